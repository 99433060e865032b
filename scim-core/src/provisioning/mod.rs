//! The provisioning service: the one code path from a SCIM request to a store, with the
//! lifecycle rules.

mod audit;
mod compat;
mod events;
mod groups;
mod list;
pub(crate) use list::list_query;
mod scan;
mod users;
mod write;

pub use compat::UserConflictPolicy;
pub use events::{LifecycleEvent, LifecycleEvents};
pub use list::ListRequest;

use crate::audit::AuditContext;
use crate::lifecycle::Clock;
use crate::{DynGroupStore, DynUserStore, GroupStore, Limits, SchemaRegistry, UserStore};
use chrono::Duration;
use std::sync::Arc;

/// The service-level API that the HTTP layer and hosts share: create, read, replace, patch,
/// delete and list users and groups of a tenant, accept invitations, purge; the same code for
/// every store.
///
/// Its registry must define the resource types `User` and `Group`
/// ([`SchemaRegistry::kind`](crate::SchemaRegistry::kind)); an operation on a kind the
/// registry lacks answers `500` ([`ScimError::internal`](crate::ScimError::internal)).
///
/// # Writes
/// - **create** validates the body ([`SchemaRegistry::validate`]), assigns a random UUID v4
///   `id`, sets `meta.created = meta.lastModified = now` and the lifecycle, then stores it.
/// - **replace** (PUT) validates the body against the stored user (immutable attributes),
///   keeps `id` and `meta.created`, and applies the lifecycle transition from the old to the
///   new `active` (a body without `active` keeps the current state).
/// - **patch** reads the resource, applies the [`PatchOp`](crate::PatchOp) (atomic),
///   re-validates, and writes. A request that changes nothing returns the resource as it was,
///   same version.
/// - Replace and patch write conditionally on the version they read. With a client `If-Match`
///   a mismatch is `412`; without one, a lost race is retried from the read (up to 32 times,
///   then `409`), so concurrent writers never lose an update.
/// - Group PATCHes that only add or remove members go through
///   [`GroupStore::modify_members`](crate::GroupStore::modify_members) without rewriting the
///   other members, and return the group **without** `members` (what Entra and Okta expect of
///   a membership PATCH; GET the group for its members).
///
/// # Lifecycle
/// See [`lifecycle`](crate::lifecycle) for the diagram. `POST` with `active` absent or true
/// creates a `pending` user ([`LifecycleEvent::Invited`]); with `active: false` a suspended
/// one. `active: false` by PUT or PATCH suspends (`purge_at = now + retention`, 30 days by
/// default, [`Provisioning::with_retention`]); `active: true` before `purge_at` restores,
/// every attribute intact. [`Provisioning::accept_invitation`] (called by the host when the
/// person completes registration) turns `pending` into `active`; a suspended user gets `409`.
/// [`Provisioning::purge_expired`] (run it periodically) removes suspended users whose
/// `purge_at` has come; a read or write of such a user before the job runs purges it on the
/// spot and answers `404` (lists still show it, `active: false`, until the job or an access
/// removes it). `DELETE` removes at once. Suspended users stay visible to GET and
/// filters with `active: false`. Status and times are in the read-only lifecycle extension
/// ([`urn::LIFECYCLE_USER`](crate::urn::LIFECYCLE_USER)).
///
/// Every transition is reported to the [`LifecycleEvents`] hook after it is stored; see
/// there for the delivery guarantee.
///
/// # Audit
/// Every write is recorded in the store's audit log in the same atomic step as the change
/// (see [`audit`](crate::audit)): by the host unless the service was made with
/// [`acting_as`](Self::acting_as) (the protocol service does so per request, with the token
/// as actor). Read it with [`audit_records`](Self::audit_records); turn it off with
/// [`with_audit(false)`](Self::with_audit).
///
/// # Example
/// ```no_run
/// use scim_core::{DynGroupStore, DynUserStore, LifecycleEvent, LifecycleEvents, Provisioning, TenantId};
/// use serde_json::json;
/// use std::sync::Arc;
///
/// #[derive(Debug)]
/// struct Mailer;
/// impl LifecycleEvents for Mailer {
///     fn on_event(&self, event: &LifecycleEvent) {
///         if let LifecycleEvent::Invited { user, .. } = event {
///             println!("queue an invitation for {:?}", user.user_name());
///         }
///     }
/// }
///
/// async fn provision(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) -> Result<(), scim_core::ScimError> {
///     let service = Provisioning::from_stores(users, groups)
///         .with_retention(chrono::Duration::days(30))
///         .with_events(Arc::new(Mailer));
///     let tenant = TenantId::new("acme");
///     let user = service.create_user(&tenant, &json!({"userName": "bjensen@example.com"})).await?;
///     let id = user.id().unwrap_or_default().to_owned();
///     // Entra unassigns the user: suspended, kept for 30 days.
///     let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///                      "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
///     let suspended = service.patch_user(&tenant, &id, &off, None).await?;
///     assert!(!suspended.active());
///     Ok(())
/// }
/// ```
/// `scim-store-memory`'s crate docs run the whole lifecycle with a manual clock.
#[derive(Debug, Clone)]
pub struct Provisioning {
    users: Arc<DynUserStore>,
    groups: Arc<DynGroupStore>,
    registry: Arc<SchemaRegistry>,
    clock: Arc<dyn Clock>,
    retention: Duration,
    events: Option<Arc<dyn LifecycleEvents>>,
    limits: Limits,
    audit: bool,
    audit_retention: Duration,
    context: Arc<AuditContext>,
    /// The scans under way, shared by every clone.
    scans: Arc<scan::ScanGate>,
    profile: Arc<crate::quirks::Profile>,
    user_conflict: UserConflictPolicy,
    /// The quirks fired through this value since `acting_as` made it.
    fired: Arc<compat::Tally>,
    /// Signs RFC 9865 cursors; `None`: the process's random key.
    cursor_key: Option<Arc<crate::CursorKey>>,
}

impl Provisioning {
    /// A service over `store`, which keeps both users and groups (every backend of this
    /// workspace does), with the default registry ([`SchemaRegistry::scim_default`]), the
    /// system clock, 30 days of retention, no events hook and the default [`Limits`].
    pub fn new<S: UserStore + GroupStore>(store: Arc<S>) -> Self {
        Self::from_stores(store.clone(), store)
    }

    /// A service over a user store and a group store that are separate objects; otherwise as
    /// [`Provisioning::new`].
    pub fn from_stores(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) -> Self {
        Self {
            users,
            groups,
            registry: Arc::new(SchemaRegistry::scim_default()),
            clock: Arc::new(crate::SystemClock),
            retention: Duration::days(30),
            events: None,
            limits: Limits::default(),
            audit: true,
            audit_retention: crate::audit::DEFAULT_AUDIT_RETENTION,
            context: Arc::default(),
            scans: Arc::default(),
            profile: Arc::default(),
            user_conflict: UserConflictPolicy::default(),
            fired: Arc::default(),
            cursor_key: None,
        }
    }

    /// Signs RFC 9865 cursors with `key` (see [`ListRequest`]). By default each process
    /// draws a random key ([`CursorKey::process_default`](crate::CursorKey::process_default)),
    /// so a cursor walk breaks when a load balancer sends its next request to another
    /// process (`400 invalidCursor`) and when the process restarts: replicas must share a key.
    #[must_use]
    pub fn with_cursor_key(mut self, key: crate::CursorKey) -> Self {
        self.cursor_key = Some(Arc::new(key));
        self
    }

    /// Uses this schema registry (for hosts with their own extensions).
    ///
    /// The registry must define the resource types `User` and `Group`
    /// ([`SchemaRegistry::kind`]): every user operation on a registry without `User`, and
    /// every group operation on one without `Group`, answers `500`.
    #[must_use]
    pub fn with_registry(mut self, registry: Arc<SchemaRegistry>) -> Self {
        self.registry = registry;
        self
    }

    /// Uses this clock (a [`ManualClock`](crate::ManualClock) in tests).
    #[must_use]
    pub fn with_clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// How long a suspended user is kept before the purge (default 30 days), clamped to
    /// between zero and [`MAX_RETENTION`](crate::lifecycle::MAX_RETENTION).
    #[must_use]
    pub fn with_retention(mut self, retention: Duration) -> Self {
        self.retention = retention.clamp(Duration::zero(), crate::lifecycle::MAX_RETENTION);
        self
    }

    /// Reports lifecycle transitions to `events`.
    #[must_use]
    pub fn with_events(mut self, events: Arc<dyn LifecycleEvents>) -> Self {
        self.events = Some(events);
        self
    }

    /// The bounds on requests and stored resources ([`Limits`]; [`Limits::default`] unless
    /// set). The HTTP service reads them from here and advertises them in
    /// `/ServiceProviderConfig`.
    #[must_use]
    pub fn with_limits(mut self, limits: Limits) -> Self {
        self.limits = limits;
        self
    }

    /// Whether writes are recorded in the store's audit log (default: yes, when the store keeps
    /// one). See [`audit`](crate::audit).
    #[must_use]
    pub fn with_audit(mut self, enabled: bool) -> Self {
        self.audit = enabled;
        self
    }

    /// How long audit records are kept (default 90 days): [`purge_expired`](Self::purge_expired)
    /// removes older ones. Clamped to at least one day.
    #[must_use]
    pub fn with_audit_retention(mut self, retention: Duration) -> Self {
        self.audit_retention = retention.max(Duration::days(1));
        self
    }

    /// The schema registry.
    pub fn registry(&self) -> &Arc<SchemaRegistry> {
        &self.registry
    }

    /// The clock.
    pub fn clock(&self) -> &Arc<dyn Clock> {
        &self.clock
    }

    /// The bounds on requests and stored resources.
    pub fn limits(&self) -> &Limits {
        &self.limits
    }

    /// The user store, called through its vtable (not through the forwarding impl of `Arc`).
    fn user_store(&self) -> &DynUserStore {
        &*self.users
    }

    /// The group store.
    fn group_store(&self) -> &DynGroupStore {
        &*self.groups
    }
}
