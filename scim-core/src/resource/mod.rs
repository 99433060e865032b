//! Resources: a validated JSON document with typed accessors.
//!
//! A [`User`] or [`Group`] is a JSON object whose attribute names are in the schema's
//! canonical casing. It is cheap to clone (the document sits behind an `Arc` and is copied
//! on first write), so stores can hand out copies without deep clones.
//!
//! A store that keeps documents as [`CompactValue`](scim_query::CompactValue)s (as the memory
//! store does) hands them out with `from_compact`: nothing is copied until the document is
//! first read as JSON, and then once per resource value.
//!
//! In reading order: `storage` (how the document is held), `ids` ([`TenantId`], [`Version`]),
//! `meta` ([`Meta`]), `plural` ([`PluralValue`]), `common` (what [`User`] and [`Group`]
//! share), then `user` and `group` (the accessors of each).

mod common;
mod group;
mod ids;
mod meta;
mod plural;
mod storage;
mod user;

pub use common::{Group, User};
pub use ids::{TenantId, Version};
pub use meta::Meta;
pub use plural::PluralValue;
