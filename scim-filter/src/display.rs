//! Canonical printing (placeholder; filled in by the scim-filter work).
