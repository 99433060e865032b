//! The user lifecycle: pending → active → suspended (soft delete, purged after the
//! retention period) → restored, and hard delete.
//!
//! The data types and the transition rules live here; the provisioning service
//! ([`Provisioning`](crate::Provisioning)) applies them and reports each transition as a
//! [`LifecycleEvent`](crate::LifecycleEvent).
//!
//! ```text
//!  create (active absent/true) -> Pending (invited_at = now) --(host: accept_invitation)--> Active
//!  create with active=false    -> Suspended (never invited)
//!  Pending/Active --(active=false via PATCH or PUT)--> Suspended, purge_at = now + retention
//!  Suspended --(active=true before purge_at)--> Active if it was ever activated, else Pending
//!                                               (invited now if it never was); every
//!                                               attribute intact, purge_at cleared
//!  Suspended --(now >= purge_at: purge job, or any access)--> gone (404)
//!  any state --(DELETE)--> gone at once, removed from every group
//! ```
//! A suspended user cannot accept an invitation (`409`); re-sending `active=false` to a
//! suspended user keeps its original `purge_at` (retention is not extended).

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

/// The longest retention [`Provisioning`](crate::Provisioning) accepts: 100 years (36 500 days).
pub const MAX_RETENTION: chrono::Duration = chrono::Duration::days(36_500);

/// Where a user is in its lifecycle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum UserStatus {
    /// Created; the host has invited the person, who has not accepted yet.
    #[default]
    Pending,
    /// The person accepted the invitation.
    Active,
    /// `active` was set to false: kept, restorable, purged at `purge_at`.
    Suspended,
}

impl UserStatus {
    /// The wire name: `pending`, `active` or `suspended`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Active => "active",
            Self::Suspended => "suspended",
        }
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for UserStatus {
    type Err = UnknownStatus;
    fn from_str(s: &str) -> Result<Self, UnknownStatus> {
        match s {
            "pending" => Ok(Self::Pending),
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            _ => Err(UnknownStatus(s.to_owned())),
        }
    }
}

/// A status name that is not `pending`, `active` or `suspended`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown user status {0:?}: expected \"pending\", \"active\" or \"suspended\"")]
pub struct UnknownStatus(pub String);

/// A suspended user cannot accept its invitation until it is restored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("the user is suspended and cannot accept the invitation until it is restored (active=true)")]
pub struct SuspendedUser;

impl From<SuspendedUser> for crate::ScimError {
    /// `409`, no `scimType`.
    fn from(e: SuspendedUser) -> Self {
        Self::conflict(e.to_string())
    }
}

/// The lifecycle state of one user, exposed as the read-only lifecycle extension
/// (`urn:scim-rs:params:scim:schemas:extension:lifecycle:2.0:User`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lifecycle {
    /// Current status.
    pub status: UserStatus,
    /// When the user first became pending, which is when the host is asked to invite the
    /// person (the `Invited` event): at creation, or, for a user created suspended, when it
    /// is first restored. `None` for a user never yet invited.
    pub invited_at: Option<DateTime<Utc>>,
    /// When the invitation was accepted; restoring a suspended user returns it to
    /// `Active` when set and to `Pending` otherwise.
    pub activated_at: Option<DateTime<Utc>>,
    /// When the user was suspended.
    pub suspended_at: Option<DateTime<Utc>>,
    /// When a suspended user will be purged.
    pub purge_at: Option<DateTime<Utc>>,
}

impl Lifecycle {
    /// Reads the extension object; unknown or malformed fields read as absent.
    pub fn from_json(v: &Value) -> Self {
        Self::from_fields(|k| v.get(k)?.as_str())
    }

    /// Reads the extension's string fields through `field`.
    pub(crate) fn from_fields<'a>(field: impl Fn(&str) -> Option<&'a str>) -> Self {
        let time = |k: &str| field(k).and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc));
        Self {
            status: field("status").and_then(|s| s.parse().ok()).unwrap_or_default(),
            invited_at: time("invitedAt"),
            activated_at: time("activatedAt"),
            suspended_at: time("suspendedAt"),
            purge_at: time("purgeAt"),
        }
    }

    /// The extension object.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("status".into(), Value::String(self.status.as_str().into()));
        for (k, t) in [
            ("invitedAt", self.invited_at),
            ("activatedAt", self.activated_at),
            ("suspendedAt", self.suspended_at),
            ("purgeAt", self.purge_at),
        ] {
            if let Some(t) = t {
                m.insert(k.into(), Value::String(crate::format_time(t)));
            }
        }
        Value::Object(m)
    }
}

impl Lifecycle {
    /// The state of a user created at `now` with `active`: `Pending` and invited now, or
    /// (for `active: false`) `Suspended` and not invited.
    #[must_use]
    pub fn created(active: bool, now: DateTime<Utc>, retention: chrono::Duration) -> Self {
        if active {
            Self { invited_at: Some(now), ..Self::default() }
        } else {
            Self::default().with_active(false, now, retention)
        }
    }

    /// The state after a client set `active` at `now` (create, PUT or PATCH).
    ///
    /// `false` suspends a pending or active user (`suspended_at = now`,
    /// `purge_at = now + retention`) and leaves a suspended one as it is; `true` restores a
    /// suspended user to `Active` when it was ever activated and to `Pending` otherwise
    /// (clearing the suspension times; a user never invited is invited at `now`), and leaves
    /// a live one as it is.
    #[must_use]
    pub fn with_active(&self, active: bool, now: DateTime<Utc>, retention: chrono::Duration) -> Self {
        match (self.status, active) {
            (UserStatus::Suspended, true) => Self {
                status: if self.activated_at.is_some() { UserStatus::Active } else { UserStatus::Pending },
                invited_at: self.invited_at.or(Some(now)),
                activated_at: self.activated_at,
                suspended_at: None,
                purge_at: None,
            },
            (UserStatus::Pending | UserStatus::Active, false) => Self {
                status: UserStatus::Suspended,
                invited_at: self.invited_at,
                activated_at: self.activated_at,
                suspended_at: Some(now),
                // Past the end of time (only with a retention beyond `MAX_RETENTION` near the
                // year 262 143): never purged rather than a panic.
                purge_at: now.checked_add_signed(retention),
            },
            _ => self.clone(),
        }
    }

    /// The state after the person accepted the invitation at `now`: `Active` with
    /// `activated_at = now`; an active user stays as it is.
    ///
    /// # Errors
    /// [`SuspendedUser`] for a suspended user: it cannot accept until restored.
    pub fn accept_invitation(&self, now: DateTime<Utc>) -> Result<Self, SuspendedUser> {
        match self.status {
            UserStatus::Pending => Ok(Self {
                status: UserStatus::Active,
                activated_at: Some(now),
                suspended_at: None,
                purge_at: None,
                ..*self
            }),
            UserStatus::Active => Ok(self.clone()),
            UserStatus::Suspended => Err(SuspendedUser),
        }
    }

    /// Whether a suspended user's purge time has come (`now >= purge_at`).
    pub fn is_expired(&self, now: DateTime<Utc>) -> bool {
        self.status == UserStatus::Suspended && self.purge_at.is_some_and(|at| now >= at)
    }
}

/// The source of the current time, injectable so tests can move it.
pub trait Clock: Send + Sync + fmt::Debug + 'static {
    /// Now.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that stands still until told to move; for tests.
#[derive(Debug)]
pub struct ManualClock(Mutex<DateTime<Utc>>);

impl ManualClock {
    /// A clock reading `at`.
    pub fn new(at: DateTime<Utc>) -> Self {
        Self(Mutex::new(at))
    }

    /// Sets the time.
    pub fn set(&self, at: DateTime<Utc>) {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = at;
    }

    /// Moves the time forward.
    pub fn advance(&self, by: chrono::Duration) {
        let mut t = self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        *t += by;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    fn t(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2025, 1, 1, h, 0, 0).single().unwrap_or_default()
    }

    #[test]
    fn suspending_sets_times_and_restoring_returns_to_pending_or_active() {
        let pending = Lifecycle::default();
        let s = pending.with_active(false, t(1), Duration::days(30));
        assert_eq!(s.status, UserStatus::Suspended);
        assert_eq!(s.suspended_at, Some(t(1)));
        assert_eq!(s.purge_at, Some(t(1) + Duration::days(30)));
        let back = s.with_active(true, t(2), Duration::days(30));
        assert_eq!(
            back,
            Lifecycle { invited_at: Some(t(2)), ..Lifecycle::default() },
            "never activated: back to pending, times cleared, and invited now as it never was"
        );
        let invited = Lifecycle::created(true, t(0), Duration::days(30));
        assert_eq!(invited.invited_at, Some(t(0)));
        let back = invited.with_active(false, t(1), Duration::days(30)).with_active(true, t(2), Duration::days(30));
        assert_eq!(back, invited, "restored as it was: invited at creation");
        let created_suspended = Lifecycle::created(false, t(0), Duration::days(30));
        assert_eq!((created_suspended.status, created_suspended.invited_at), (UserStatus::Suspended, None));

        let active = pending.accept_invitation(t(3)).expect("pending accepts");
        assert_eq!((active.status, active.activated_at), (UserStatus::Active, Some(t(3))));
        let s = active.with_active(false, t(4), Duration::days(7));
        assert_eq!(s.activated_at, Some(t(3)), "activation time survives suspension");
        let back = s.with_active(true, t(5), Duration::days(7));
        assert_eq!(back.status, UserStatus::Active);
        assert_eq!((back.suspended_at, back.purge_at), (None, None));
    }

    #[test]
    fn repeated_values_change_nothing() {
        let s = Lifecycle::default().with_active(false, t(1), Duration::days(30));
        assert_eq!(s.with_active(false, t(9), Duration::days(30)), s, "retention is not extended");
        let a = Lifecycle::default().accept_invitation(t(1)).expect("accept");
        assert_eq!(a.with_active(true, t(2), Duration::days(30)), a);
        assert_eq!(a.accept_invitation(t(5)), Ok(a.clone()), "accepting twice keeps the first time");
    }

    #[test]
    fn suspended_user_cannot_accept_and_expiry_is_inclusive() {
        let s = Lifecycle::default().with_active(false, t(1), Duration::hours(2));
        assert_eq!(s.accept_invitation(t(2)), Err(SuspendedUser));
        assert!(!s.is_expired(t(3) - Duration::seconds(1)));
        assert!(s.is_expired(t(3)));
        assert!(!Lifecycle::default().is_expired(t(23)));
    }

    #[test]
    fn a_retention_past_the_end_of_time_never_purges_rather_than_panics() {
        let s = Lifecycle::default().with_active(false, t(1), chrono::TimeDelta::MAX);
        assert_eq!((s.status, s.suspended_at, s.purge_at), (UserStatus::Suspended, Some(t(1)), None));
        assert!(!s.is_expired(DateTime::<Utc>::MAX_UTC));
    }

    #[test]
    fn json_round_trip() {
        let s =
            Lifecycle::default().accept_invitation(t(1)).expect("accept").with_active(false, t(2), Duration::days(1));
        assert_eq!(Lifecycle::from_json(&s.to_json()), s);
        assert_eq!(s.to_json()["status"], "suspended");
    }
}
