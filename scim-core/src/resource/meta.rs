//! The server-owned `meta` attribute, and reading its times.

use super::ids::Version;
use chrono::{DateTime, Utc};

/// The server-owned `meta` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// `User` or `Group`.
    pub resource_type: String,
    /// When the resource was created.
    pub created: DateTime<Utc>,
    /// When it last changed.
    pub last_modified: DateTime<Utc>,
    /// Its current version.
    pub version: Option<Version>,
}

pub(super) fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc))
}
