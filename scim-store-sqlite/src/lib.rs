//! Sqlite store for scim-core (under construction).
