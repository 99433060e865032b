//! Compatibility settings of a service: the quirk profile its requests run under, and what a
//! create does when the `userName` is taken.

use super::Provisioning;
use crate::quirks::{Profile, QuirkSet};
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};

/// What `POST /Users` does when a user with the same `userName` exists in the tenant.
///
/// Identity providers re-send creates: Okta re-POSTs every assigned user when a group is
/// re-assigned and treats a `409` as a permanent error; JumpCloud repeats adds; Auth0 retries
/// a create that timed out. [`Adopt`](Self::Adopt) turns such a create into an update of the
/// user that is already there.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UserConflictPolicy {
    /// `409 uniqueness` (RFC 7644 §3.3): the default.
    #[default]
    Conflict,
    /// When the existing user has the same `externalId` as the body, or has none: answer as a
    /// create would (`201`, the user), with the existing user replaced by the posted attributes
    /// (its `id` and `meta.created` kept; a suspended user is restored when the body does not
    /// say `active: false`). An existing user with another `externalId` is someone else: `409`.
    Adopt,
}

impl UserConflictPolicy {
    /// `conflict` or `adopt`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Conflict => "conflict",
            Self::Adopt => "adopt",
        }
    }
}

impl fmt::Display for UserConflictPolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserConflictPolicy {
    type Err = String;

    /// `conflict` or `adopt`, ignoring case.
    fn from_str(s: &str) -> Result<Self, String> {
        [Self::Conflict, Self::Adopt]
            .into_iter()
            .find(|p| p.as_str().eq_ignore_ascii_case(s))
            .ok_or_else(|| format!("unknown user conflict policy \"{s}\"; expected \"conflict\" or \"adopt\""))
    }
}

/// The quirks that fired in the calls made through one service value (shared by its clones).
#[derive(Debug, Default)]
pub(super) struct Tally(AtomicU32);

impl Tally {
    pub(super) fn add(&self, quirks: QuirkSet) {
        if !quirks.is_empty() {
            self.0.fetch_or(quirks.bits(), Ordering::Relaxed);
        }
    }

    pub(super) fn get(&self) -> QuirkSet {
        QuirkSet::from_bits(self.0.load(Ordering::Relaxed))
    }
}

impl Provisioning {
    /// Runs requests under `profile`: the deviations from RFC 7643/7644 it allows are accepted
    /// and reported, the others refused with the RFC's error (see [`quirks`](crate::quirks)).
    /// Default: [`Profile::lenient`]. The protocol service sets it per request from the
    /// [`Principal`](crate::Principal).
    #[must_use]
    pub fn with_profile(mut self, profile: Profile) -> Self {
        self.profile = Arc::new(profile);
        self
    }

    /// The compatibility profile requests run under.
    pub fn profile(&self) -> &Profile {
        &self.profile
    }

    /// What a create does when the `userName` is taken (default
    /// [`UserConflictPolicy::Conflict`]).
    #[must_use]
    pub fn with_user_conflict(mut self, policy: UserConflictPolicy) -> Self {
        self.user_conflict = policy;
        self
    }

    /// The policy for a create whose `userName` is taken.
    pub fn user_conflict(&self) -> UserConflictPolicy {
        self.user_conflict
    }

    /// The quirks that fired in the calls made through this service since it was made by
    /// [`acting_as`](Self::acting_as) (which the protocol service calls once per request), so
    /// the HTTP layer can log them. Clones share the tally.
    pub fn quirks_fired(&self) -> QuirkSet {
        self.fired.get()
    }

    /// Runs the synchronous `f` (a protocol-level parser) under the profile; what fired is
    /// added to the service's tally.
    pub(crate) fn check_quirks<R>(&self, f: impl FnOnce() -> R) -> R {
        self.quirked(&Tally::default(), f)
    }

    /// Runs the synchronous `f` under the profile; what fired is added to `fired` (the
    /// operation's own tally, for its audit records) and to the service's.
    pub(super) fn quirked<R>(&self, fired: &Tally, f: impl FnOnce() -> R) -> R {
        let (result, quirks) = self.profile.check(f);
        fired.add(quirks);
        self.fired.add(quirks);
        result
    }
}
