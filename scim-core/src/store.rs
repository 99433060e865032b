//! For store implementors: the storage contract ([`UserStore`] and [`GroupStore`],
//! tenant-scoped and object safe), what a list asks of a store ([`ListQuery`] with its
//! [`QueryFilter`] and [`SortKey`]), and the rules every store applies alike (the sort order
//! [`compare_sort_values`], [`check_version`], [`derived_group`], [`distinct_members`],
//! [`sort_then_page`], [`StoredMember`]), and for stores that translate filters, [`pushdown`].
//! The crate `scim-store-conformance` checks a store against the contract.
//!
//! Embedders need little of this: the traits, [`DynUserStore`]/[`DynGroupStore`],
//! [`StoreError`] and [`Page`] are also at the crate root.

use crate::audit::{AuditLog, AuditRecord};
use crate::quirks::{self, Quirk};
use crate::schema::ResourceType;
use crate::{Group, SchemaRegistry, ScimError, TenantId, User, Version};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scim_query::{AttrFacts, AttrPath, CompiledFilter, Filter, ParseOptions, parse_filter, parse_filter_with};
use std::error::Error as StdError;
use std::sync::Arc;

pub mod pushdown;
mod rules;
mod sort;
pub use rules::{StoredMember, check_version, derived_group, distinct_members, sort_then_page, sort_then_seek};
pub use sort::{Keyset, Seek, SortValue, compare_keysets, compare_sort_values};

/// What a store reports when it cannot do what was asked.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// No such resource in this tenant (never created, hard-deleted, or purged).
    #[error("not found")]
    NotFound,
    /// A unique attribute (`userName`, group `displayName`, `id`) is taken in this tenant.
    /// The answer is `409 uniqueness` with a detail that names the attribute, not its value.
    #[error("{attribute} is already in use in this tenant")]
    Uniqueness {
        /// The attribute's name as the schema spells it: `"userName"`, `"displayName"`, `"id"`.
        attribute: &'static str,
    },
    /// The `if_match` version is not the stored version.
    #[error("version mismatch")]
    PreconditionFailed,
    /// The backend cannot be reached or refuses work for now (a lost connection, a database
    /// restarting, no free connection in time): the client should retry later. The answer is
    /// `503` with `Retry-After`; the source is logged, never shown to clients.
    #[error("{backend} store unavailable: {source}")]
    Unavailable {
        /// `"postgres"`, …
        backend: &'static str,
        /// The cause.
        source: Box<dyn StdError + Send + Sync>,
    },
    /// The backend failed; the source is logged, never shown to clients.
    #[error("{backend} store error: {source}")]
    Backend {
        /// `"memory"`, `"sqlite"`, …
        backend: &'static str,
        /// The cause.
        source: Box<dyn StdError + Send + Sync>,
    },
}

impl From<StoreError> for ScimError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::not_found("resource not found"),
            e @ StoreError::Uniqueness { .. } => Self::uniqueness(e.to_string()),
            StoreError::PreconditionFailed => {
                Self::precondition_failed("the resource has changed: If-Match does not match its version")
            }
            StoreError::Unavailable { .. } => {
                Self::service_unavailable("the data store is unavailable; retry later", STORE_RETRY_AFTER)
            }
            StoreError::Backend { .. } => Self::internal(),
        }
    }
}

/// The `Retry-After` of a `503` for [`StoreError::Unavailable`]: long enough for a restarted
/// database or a reconnect, short enough that an identity provider's retry finds it back.
pub const STORE_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(5);

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    /// Ascending (the default).
    #[default]
    Ascending,
    /// Descending.
    Descending,
}

/// A filter in both forms a store may want: the tree (to push parts down to an index or
/// SQL) and the compiled evaluator (exact semantics, used for anything not pushed down).
#[derive(Debug, Clone)]
pub struct QueryFilter {
    /// The parsed filter.
    pub filter: Filter,
    /// The same filter compiled against the resource type's schema.
    pub compiled: CompiledFilter,
}

impl QueryFilter {
    /// Parses `text` and compiles it against the schemas of `rt` in `registry`.
    ///
    /// # Errors
    /// `400 invalidFilter` for a filter that does not parse or does not apply to the schema.
    ///
    /// An unquoted word as a string value (`externalId eq jyoung`) is quirk
    /// [`bare-filter-values`](crate::quirks::Quirk::BareFilterValues).
    pub fn parse(registry: &SchemaRegistry, rt: &ResourceType, text: &str) -> Result<Self, ScimError> {
        let filter = match parse_filter_with(text, &ParseOptions::new().with_bare_values(false)) {
            Ok(filter) => filter,
            Err(strict) => match parse_filter(text) {
                Ok(filter) => {
                    quirks::admit(Quirk::BareFilterValues, move || strict.into())?;
                    filter
                }
                Err(_) => return Err(strict.into()),
            },
        };
        let compiled = CompiledFilter::compile(&filter, &registry.facts(rt))?;
        Ok(Self { filter, compiled })
    }
}

/// The sort key of a list, resolved against the schema.
#[derive(Debug, Clone)]
pub struct SortKey {
    /// As the client wrote it.
    pub path: AttrPath,
    /// Resolved facts; `None` for an attribute the schema does not know (sorts as string).
    pub facts: Option<AttrFacts>,
}

/// A list request, already validated: `start_index` ≥ 1. Built by
/// [`Provisioning`](crate::Provisioning) from a client's [`ListRequest`](crate::ListRequest);
/// stores and their tests build one with [`ListQuery::new`] and the `with_*` setters (it grows
/// with the protocol, so it cannot be built field by field outside this crate).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ListQuery {
    /// Only resources matching this filter.
    pub filter: Option<QueryFilter>,
    /// Sort by this attribute; unsorted lists come in a stable order (creation order).
    pub sort_by: Option<SortKey>,
    /// Sort direction.
    pub sort_order: SortOrder,
    /// 1-based index of the first result.
    pub start_index: usize,
    /// Page size; `Some(0)` returns only `total_results`.
    pub count: usize,
    /// Groups only: whether to load `members` (Entra lists groups with `excludedAttributes=members`).
    pub include_members: bool,
    /// Keyset paging (RFC 9865 cursors): `Some` pages from a position in the list order
    /// instead of from `start_index` (which is then ignored), and the page reports each item's
    /// [`Keyset`] in [`Page::keys`]. See [`Seek`] for what each position returns.
    pub seek: Option<Seek>,
}

impl ListQuery {
    /// Every resource, in creation order, from the first, 100 per page, groups with members.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only resources matching `filter` (or all, for `None`).
    #[must_use]
    pub fn with_filter(mut self, filter: impl Into<Option<QueryFilter>>) -> Self {
        self.filter = filter.into();
        self
    }

    /// Sorted by `key` in `order`.
    #[must_use]
    pub fn with_sort(mut self, key: SortKey, order: SortOrder) -> Self {
        self.sort_by = Some(key);
        self.sort_order = order;
        self
    }

    /// From the `start_index`-th result (1-based; 0 counts as 1).
    #[must_use]
    pub fn with_start_index(mut self, start_index: usize) -> Self {
        self.start_index = start_index.max(1);
        self
    }

    /// At most `count` results (0: only `total_results`).
    #[must_use]
    pub fn with_count(mut self, count: usize) -> Self {
        self.count = count;
        self
    }

    /// Keyset paging from `seek` (see [`ListQuery::seek`]).
    #[must_use]
    pub fn with_seek(mut self, seek: impl Into<Option<Seek>>) -> Self {
        self.seek = seek.into();
        self
    }

    /// Groups only: whether to load `members`.
    #[must_use]
    pub fn with_members(mut self, include_members: bool) -> Self {
        self.include_members = include_members;
        self
    }

    /// Whether answering the query needs attribute `name` (ignoring case): its filter
    /// [mentions](scim_query::Filter::mentions) it or it sorts by it. Stores load derived
    /// attributes (a user's `groups`, a group's `members`) only when this says so.
    pub fn needs(&self, name: &str) -> bool {
        self.filter.as_ref().is_some_and(|f| f.filter.mentions(name))
            || self.sort_by.as_ref().is_some_and(|s| s.path.name.eq_ignore_ascii_case(name))
    }
}

impl Default for ListQuery {
    fn default() -> Self {
        Self {
            filter: None,
            sort_by: None,
            sort_order: SortOrder::Ascending,
            start_index: 1,
            count: 100,
            include_members: true,
            seek: None,
        }
    }
}

/// One page of a list.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Page<T> {
    /// How many resources match the filter in all.
    pub total_results: usize,
    /// The 1-based index of `items[0]` among them (1 for a keyset page, where it is unknown).
    pub start_index: usize,
    /// The page.
    pub items: Vec<T>,
    /// For a keyset query ([`ListQuery::seek`]): the [`Keyset`] of each item, in the same
    /// order; empty otherwise. Stores fill it ([`Page::with_keys`]).
    pub keys: Vec<Keyset>,
    /// For a cursor walk: the RFC 9865 `nextCursor`, absent on the last page. Set by
    /// [`Provisioning`](crate::Provisioning), never by stores.
    pub next_cursor: Option<String>,
    /// For a cursor walk: the RFC 9865 `previousCursor`, absent on the first page. Set by
    /// [`Provisioning`](crate::Provisioning), never by stores.
    pub previous_cursor: Option<String>,
}

impl<T> Page<T> {
    /// A page of `items`, the first being the `start_index`-th of `total_results` matches.
    pub fn new(total_results: usize, start_index: usize, items: Vec<T>) -> Self {
        Self { total_results, start_index, items, keys: Vec::new(), next_cursor: None, previous_cursor: None }
    }

    /// The same page with the [`Keyset`] of each item (for a keyset query).
    #[must_use]
    pub fn with_keys(mut self, keys: Vec<Keyset>) -> Self {
        self.keys = keys;
        self
    }

    /// The same page with each item mapped.
    pub fn map<U>(self, f: impl FnMut(T) -> U) -> Page<U> {
        Page {
            total_results: self.total_results,
            start_index: self.start_index,
            items: self.items.into_iter().map(f).collect(),
            keys: self.keys,
            next_cursor: self.next_cursor,
            previous_cursor: self.previous_cursor,
        }
    }
}

/// A change to a group's membership that touches only the named members.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemberChange {
    /// Members to add (`{"value", "display", "type", "$ref"}` objects); already present ones are kept as they are.
    pub add: Vec<serde_json::Value>,
    /// Member ids to remove; absent ones are ignored.
    pub remove: Vec<String>,
}

/// Storage of users, scoped by tenant.
///
/// # Contract
/// - `create` stores a user whose `id`, `meta.created`, `meta.lastModified` and lifecycle
///   extension the caller has set; the store sets `meta.version` (`W/"1"`) and returns the stored user.
///   A `userName` equal, ignoring case, to a stored user's of the same tenant (suspended users
///   included) is [`StoreError::Uniqueness`]; so is a duplicate `id`. "Ignoring case" means
///   equal after [`fold_case`](scim_query::fold::fold_case) (Unicode simple lowercase, char by char; SQL
///   `lower()` folds only ASCII, so SQL backends store the folded key computed in Rust).
/// - `get` returns suspended users too; `groups` is derived from memberships. A `groups`
///   attribute in a document given to `create`/`replace` is not stored.
/// - `replace` overwrites the user with the same `id` if `if_match` is `None` or matches the stored
///   version, in one atomic step, and bumps the version; otherwise [`StoreError::PreconditionFailed`].
///   It never creates ([`StoreError::NotFound`]) and keeps the user's place in creation order.
/// - `delete` removes the user at once, and removes it from every group of the tenant.
/// - `list` filters first, then sorts, then pages; `total_results` counts every match. Without
///   `sort_by` the order is creation order. With it, resources are ordered by
///   [`SortKey::value_of`] and [`compare_sort_values`] (missing
///   values last ascending, first descending), ties in creation order in both directions.
///   Creation order is a store position (a sequence number) that a resource keeps for life
///   and that no other resource of the tenant holds at the same time; a create takes a
///   position after every live resource's.
/// - With [`ListQuery::seek`], `list` pages by keyset instead of by index: it returns the
///   `count` matches that follow (or precede) the [`Keyset`] in the list order (the sort key's
///   value, then the store position: see [`compare_keysets`]), with each one's keyset in
///   [`Page::keys`]. A resource that matches during the whole walk is returned by exactly one
///   page of it, whatever is created or deleted meanwhile; `total_results` still counts every
///   match. Stores answer it from an ordered index (a range, not a skip) where they have one.
///   The filter result must be exactly what [`QueryFilter::compiled`] matches on the document
///   `get` would return (`groups` included).
/// - `purge_expired` removes every user whose lifecycle (see [`User::lifecycle`]) is
///   `Suspended` with `purge_at <= now`, in every tenant (and from their groups), and returns
///   them as they were. Stores index `purge_at` so this never scans live users.
/// - Tenants never see each other's data, even when given each other's ids.
/// - Every write takes an `audit` record: a store with an [`audit_log`](UserStore::audit_log)
///   keeps it in the same atomic step as the change when the write succeeds, and keeps none
///   when it fails (see [`AuditLog`] for the whole contract).
///
/// The conformance suite (the crate `scim-store-conformance`) checks all of this.
#[async_trait]
pub trait UserStore: Send + Sync + std::fmt::Debug + 'static {
    /// Stores a new user (and `audit`, in the same atomic step).
    async fn create(&self, tenant: &TenantId, user: User, audit: Option<&AuditRecord>) -> Result<User, StoreError>;
    /// Reads a user.
    async fn get(&self, tenant: &TenantId, id: &str) -> Result<User, StoreError>;
    /// Replaces a user (conditional on `if_match`), keeping `audit` in the same step.
    async fn replace(
        &self,
        tenant: &TenantId,
        user: User,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<User, StoreError>;
    /// Deletes a user at once (conditional on `if_match`), keeping `audit` in the same step.
    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError>;
    /// Lists users.
    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<User>, StoreError>;
    /// Purges suspended users whose `purge_at` has passed, keeping
    /// [`AuditRecord::purged`] of the `audit` template for each, in the same step.
    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<(TenantId, User)>, StoreError>;
    /// The store's audit log, which keeps the records its writes carry; `None` (the default)
    /// for a store without one, which ignores the records (and the service then builds none).
    fn audit_log(&self) -> Option<&dyn AuditLog> {
        None
    }
}

/// Storage of groups, scoped by tenant. The same contract as [`UserStore`], with
/// `displayName` unique per tenant (ignoring case, as [`fold_case`](scim_query::fold::fold_case)) and
/// member changes that touch only the members named. Members are kept in the order they were
/// added, one per `value`; `get`/`list` leave `members` out when `include_members` is false
/// (and when the group has none).
///
/// A member names a user or another group of the same tenant. `create`, `replace` and
/// `modify_members` drop any other member (an unknown or deleted id, another tenant's, the
/// group itself), checking in the same atomic step as the write, so a member never outlives
/// what it names; deleting or purging a user or a group takes it out of every group. A store
/// of groups therefore needs the tenant's users at hand: this workspace's stores keep both.
///
/// A user's derived `groups` is part of its representation, so a change that alters it (a
/// member added or removed, a group renamed or deleted) moves that user's version on, and its
/// `meta.lastModified` to the change's time when the call has one (`modify_members`' `now`,
/// the group document's `meta.lastModified` on create and replace; a deletion has none).
#[async_trait]
pub trait GroupStore: Send + Sync + std::fmt::Debug + 'static {
    /// Stores a new group (with its members), keeping `audit` in the same step.
    async fn create(&self, tenant: &TenantId, group: Group, audit: Option<&AuditRecord>) -> Result<Group, StoreError>;
    /// Reads a group, with its members when `include_members`.
    async fn get(&self, tenant: &TenantId, id: &str, include_members: bool) -> Result<Group, StoreError>;
    /// Replaces a group, members included (conditional on `if_match`). A replace that would
    /// store nothing new (the same document but for `meta`, and the same members once those
    /// that cannot be stored are dropped) changes nothing and returns the group as stored.
    async fn replace(
        &self,
        tenant: &TenantId,
        group: Group,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<Group, StoreError>;
    /// Adds and removes members without rewriting the others. When anything changed, bumps
    /// the version and sets `meta.lastModified` to `now`. Returns the (new) version. Adding a
    /// present member or removing an absent one changes nothing (and `audit` is still kept).
    async fn modify_members(
        &self,
        tenant: &TenantId,
        id: &str,
        change: &MemberChange,
        now: DateTime<Utc>,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<Version, StoreError>;
    /// Deletes a group at once, keeping `audit` in the same step.
    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError>;
    /// Lists groups.
    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<Group>, StoreError>;
}

/// A user store picked at run time.
pub type DynUserStore = dyn UserStore;
/// A group store picked at run time.
pub type DynGroupStore = dyn GroupStore;

macro_rules! forward_user_store {
    ($ty:ty) => {
        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<T: UserStore + ?Sized> UserStore for $ty {
            async fn create(
                &self,
                tenant: &TenantId,
                user: User,
                audit: Option<&AuditRecord>,
            ) -> Result<User, StoreError> {
                (**self).create(tenant, user, audit).await
            }
            async fn get(&self, tenant: &TenantId, id: &str) -> Result<User, StoreError> {
                (**self).get(tenant, id).await
            }
            async fn replace(
                &self,
                tenant: &TenantId,
                user: User,
                if_match: Option<&Version>,
                audit: Option<&AuditRecord>,
            ) -> Result<User, StoreError> {
                (**self).replace(tenant, user, if_match, audit).await
            }
            async fn delete(
                &self,
                tenant: &TenantId,
                id: &str,
                if_match: Option<&Version>,
                audit: Option<&AuditRecord>,
            ) -> Result<(), StoreError> {
                (**self).delete(tenant, id, if_match, audit).await
            }
            async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<User>, StoreError> {
                (**self).list(tenant, query).await
            }
            async fn purge_expired(
                &self,
                now: DateTime<Utc>,
                audit: Option<&AuditRecord>,
            ) -> Result<Vec<(TenantId, User)>, StoreError> {
                (**self).purge_expired(now, audit).await
            }
            fn audit_log(&self) -> Option<&dyn AuditLog> {
                (**self).audit_log()
            }
        }
    };
}

macro_rules! forward_group_store {
    ($ty:ty) => {
        #[async_trait]
        #[deny(clippy::missing_trait_methods)]
        impl<T: GroupStore + ?Sized> GroupStore for $ty {
            async fn create(
                &self,
                tenant: &TenantId,
                group: Group,
                audit: Option<&AuditRecord>,
            ) -> Result<Group, StoreError> {
                (**self).create(tenant, group, audit).await
            }
            async fn get(&self, tenant: &TenantId, id: &str, include_members: bool) -> Result<Group, StoreError> {
                (**self).get(tenant, id, include_members).await
            }
            async fn replace(
                &self,
                tenant: &TenantId,
                group: Group,
                if_match: Option<&Version>,
                audit: Option<&AuditRecord>,
            ) -> Result<Group, StoreError> {
                (**self).replace(tenant, group, if_match, audit).await
            }
            async fn modify_members(
                &self,
                tenant: &TenantId,
                id: &str,
                change: &MemberChange,
                now: DateTime<Utc>,
                if_match: Option<&Version>,
                audit: Option<&AuditRecord>,
            ) -> Result<Version, StoreError> {
                (**self).modify_members(tenant, id, change, now, if_match, audit).await
            }
            async fn delete(
                &self,
                tenant: &TenantId,
                id: &str,
                if_match: Option<&Version>,
                audit: Option<&AuditRecord>,
            ) -> Result<(), StoreError> {
                (**self).delete(tenant, id, if_match, audit).await
            }
            async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<Group>, StoreError> {
                (**self).list(tenant, query).await
            }
        }
    };
}

forward_user_store!(Arc<T>);
forward_user_store!(Box<T>);
forward_group_store!(Arc<T>);
forward_group_store!(Box<T>);
