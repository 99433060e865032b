//! SCIM 2.0 (RFC 7643, RFC 7644) for services that receive provisioning from identity
//! providers such as Microsoft Entra ID and Okta.
//!
//! - [`schema`]: attribute definitions and the [`SchemaRegistry`];
//! - resources ([`User`], [`Group`]) as validated JSON with typed accessors;
//! - [`ScimError`]: every failure as an RFC 7644 §3.12 error;
//! - [`UserStore`] / [`GroupStore`]: the storage contract, tenant-scoped;
//! - [`lifecycle`]: pending → active → suspended (soft delete) → purged;
//! - [`Provisioning`]: the service-level API (create, replace, patch, delete, list, accept
//!   invitations, purge) applying the lifecycle over any store, with a [`LifecycleEvents`] hook;
//! - `PurgeTask` (feature `tokio`): the periodic purge of expired suspended users;
//!
//! The suite every store backend runs is the crate `scim-store-conformance`.
//!
//! # The purge must run
//! A suspended user is removed once its retention has ended only when
//! [`Provisioning::purge_expired`] runs (or when someone reads or writes that user): a host
//! must call it periodically, or suspended users stay for ever. With the feature `tokio`,
//! `Provisioning::spawn_purge(interval)` spawns a task on the host's tokio runtime that
//! purges right away and then every `interval`, keeps going when a run fails, and stops when
//! its handle is aborted; `PurgeTask` adds a hook that sees each run's outcome (the task logs
//! nothing itself) and a `run` future for hosts that drive their own tasks:
//!
//! ```toml
//! scim-core = { version = "0.2", features = ["tokio"] }
//! ```
//! ```
//! # #[cfg(feature = "tokio")]
//! # async fn start(provisioning: scim_core::Provisioning) {
//! let purge = provisioning.spawn_purge(std::time::Duration::from_secs(60));
//! // … at shutdown, if the runtime lives on:
//! purge.abort();
//! # }
//! ```
//! Hosts without tokio call `purge_expired` from their own scheduler (every minute is plenty).

pub mod audit;
mod cursor;
mod error;
mod kind;
pub mod lifecycle;
mod limits;
mod patch;
mod projection;
mod protocol;
mod provisioning;
#[cfg(feature = "tokio")]
mod purge;
pub mod quirks;
mod resource;
pub mod schema;
pub mod store;
pub mod urn;

pub use audit::{AuditContext, AuditLog, AuditRecord};
pub use cursor::CursorKey;
pub use error::{ERROR_SCHEMA, ScimError, ScimType};
pub use kind::ResourceKind;
pub use lifecycle::{Clock, Lifecycle, ManualClock, SystemClock, UserStatus};
pub use limits::{Limits, RateLimit};
pub use patch::{PatchOp, PatchOpKind, PatchOperation};
pub use projection::Projection;
pub use protocol::{Admitted, AuthUnavailable, Authenticator, Principal, SCIM_CONTENT_TYPE, ScimService};
pub use provisioning::{LifecycleEvent, LifecycleEvents, ListRequest, Provisioning, UserConflictPolicy};
#[cfg(feature = "tokio")]
pub use purge::PurgeTask;
pub use resource::{Group, Meta, PluralValue, TenantId, User, Version};
pub use schema::{SchemaRegistry, ServiceProviderConfig, UnknownAttributes};
pub use store::{DynGroupStore, DynUserStore, GroupStore, Page, StoreError, UserStore};

/// The member of `map` named `key`, ignoring case (SCIM names are case-insensitive); the exact
/// spelling is tried first, so canonical input costs no case folding.
pub(crate) fn get_ignoring_case<'a>(
    map: &'a serde_json::Map<String, serde_json::Value>,
    key: &str,
) -> Option<&'a serde_json::Value> {
    map.get(key).or_else(|| map.iter().find(|(k, _)| k.eq_ignore_ascii_case(key)).map(|(_, v)| v))
}

/// Formats a time as SCIM does: RFC 3339 in UTC with a `Z`, to the millisecond.
pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
