//! The user lifecycle: pending → active → suspended (soft delete, purged after the
//! retention period) → restored, and hard delete.
//!
//! The data types live here; the transition rules are applied by the provisioning service.

use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;
use std::sync::Mutex;

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
    type Err = ();
    fn from_str(s: &str) -> Result<Self, ()> {
        match s {
            "pending" => Ok(Self::Pending),
            "active" => Ok(Self::Active),
            "suspended" => Ok(Self::Suspended),
            _ => Err(()),
        }
    }
}

/// The lifecycle state of one user, exposed as the read-only lifecycle extension
/// (`urn:scim-rs:params:scim:schemas:extension:lifecycle:2.0:User`).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Lifecycle {
    /// Current status.
    pub status: UserStatus,
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
        let time = |k: &str| {
            v.get(k)
                .and_then(Value::as_str)
                .and_then(|s| DateTime::parse_from_rfc3339(s).ok())
                .map(|t| t.with_timezone(&Utc))
        };
        Self {
            status: v.get("status").and_then(Value::as_str).and_then(|s| s.parse().ok()).unwrap_or_default(),
            activated_at: time("activatedAt"),
            suspended_at: time("suspendedAt"),
            purge_at: time("purgeAt"),
        }
    }

    /// The extension object.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("status".into(), Value::String(self.status.as_str().into()));
        for (k, t) in
            [("activatedAt", self.activated_at), ("suspendedAt", self.suspended_at), ("purgeAt", self.purge_at)]
        {
            if let Some(t) = t {
                m.insert(k.into(), Value::String(crate::format_time(t)));
            }
        }
        Value::Object(m)
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
