//! Memory store for scim-core (under construction).
