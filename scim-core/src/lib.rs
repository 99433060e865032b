//! SCIM 2.0 (RFC 7643, RFC 7644) for services that receive provisioning from identity
//! providers such as Microsoft Entra ID and Okta.
//!
//! - [`schema`]: attribute definitions and the [`SchemaRegistry`];
//! - resources ([`User`], [`Group`]) as validated JSON with typed accessors;
//! - [`ScimError`]: every failure as an RFC 7644 §3.12 error;
//! - [`UserStore`] / [`GroupStore`]: the storage contract, tenant-scoped;
//! - [`lifecycle`]: pending → active → suspended (soft delete) → purged;
//! - [`Provisioning`]: the service-level API (create, replace, patch, delete, list, accept
//!   invitations, purge) applying the lifecycle over any store, with a [`LifecycleEvents`] hook.
//!
//! The suite every store backend runs is the crate `scim-store-conformance`.

mod error;
pub mod lifecycle;
mod patch;
mod projection;
mod provisioning;
mod resource;
pub mod schema;
mod service;
mod store;
pub mod urn;

pub use error::{ERROR_SCHEMA, ScimError, ScimType};
pub use lifecycle::{Clock, Lifecycle, ManualClock, SystemClock, UserStatus};
pub use patch::{MAX_OPERATIONS as MAX_PATCH_OPERATIONS, PatchOp, PatchOpKind, PatchOperation};
pub use projection::Projection;
pub use provisioning::{
    DEFAULT_MAX_RESOURCE_BYTES, LifecycleEvent, LifecycleEvents, ListRequest, Provisioning, SortValue,
    compare_sort_values, fold_case,
};
pub use resource::{Group, Meta, PluralValue, TenantId, User, Version};
pub use schema::{SchemaRegistry, ServiceProviderConfig, UnknownAttributes};
pub use service::{
    Admitted, Authenticator, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_FILTER_LENGTH, SCIM_CONTENT_TYPE, ScimService,
};
pub use store::{
    DynGroupStore, DynUserStore, GroupStore, ListQuery, MemberChange, Page, QueryFilter, SortKey, SortOrder,
    StoreError, UserStore,
};

/// Formats a time as SCIM does: RFC 3339 in UTC with a `Z`, to the millisecond.
pub fn format_time(t: chrono::DateTime<chrono::Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}
