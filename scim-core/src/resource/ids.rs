//! The identifiers every store operation carries: [`TenantId`] and [`Version`] (the ETag).

use std::fmt;
use std::sync::Arc;

/// A tenant: one customer organisation; every store operation is scoped to one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Arc<str>);

impl TenantId {
    /// Wraps a tenant identifier. Copies of it share the text (stores keep one per record).
    pub fn new(id: impl Into<String>) -> Self {
        Self(Arc::from(id.into()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A resource version, rendered as a weak ETag (`W/"3"`), as in `meta.version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

impl Version {
    /// Wraps an ETag value as sent in `If-Match` or `meta.version` (`W/"3"`, `"3"` or `*`).
    pub fn new(etag: impl Into<String>) -> Self {
        Self(etag.into())
    }

    /// The version for a revision number: `W/"n"`.
    pub fn from_revision(n: u64) -> Self {
        // Written by hand: this runs on every write, and `format!` is several times slower.
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            // `rest % 10 < 10`: one ASCII digit.
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let mut out = String::with_capacity(4 + digits.len() - at);
        out.push_str("W/\"");
        out.extend(digits[at..].iter().map(|&d| char::from(d)));
        out.push('"');
        Self(out)
    }

    /// The revision number, if this is a `W/"n"` or `"n"` version.
    pub fn revision(&self) -> Option<u64> {
        let s = self.0.strip_prefix("W/").unwrap_or(&self.0);
        s.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
    }

    /// `*`: matches any version in `If-Match`.
    pub fn is_any(&self) -> bool {
        self.0.trim() == "*"
    }

    /// Whether this `If-Match` value matches the stored version `current`
    /// (weak comparison: `W/"3"` matches `"3"`; `*` matches everything).
    pub fn matches(&self, current: &Self) -> bool {
        if self.is_any() {
            return true;
        }
        let strip = |v: &str| v.trim().strip_prefix("W/").unwrap_or(v.trim()).to_owned();
        strip(&self.0) == strip(&current.0)
    }

    /// The ETag string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_from_revisions() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
            let v = Version::from_revision(n);
            assert_eq!(v.as_str(), format!("W/\"{n}\""));
            assert_eq!(v.revision(), Some(n));
        }
    }
}
