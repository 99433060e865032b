//! An indexed in-memory store for [`scim_core`]: [`MemoryUserStore`] keeps users and groups of
//! every tenant in memory, behind one lock, and implements both [`UserStore`] and [`GroupStore`]
//! (one type for both, so deleting or purging a user removes it from every group at once).
//!
//! Data is lost when the process exits: use it for tests, demos and hosts that rebuild their
//! state from the identity provider. `scim-store-sqlite` is the durable choice.
//!
//! # Indexes
//! Per tenant: users by `id`, by folded `userName` (unique) and by folded `externalId`;
//! groups by `id`, folded `displayName` (unique) and `externalId`; a reverse index from a
//! member to its groups (so a user's `groups` attribute is derived without a scan); creation
//! order (ids by position, with holes where resources were removed, compacted once the holes
//! outnumber the resources) for listing. Across tenants, a purge index ordered
//! by `purge_at`, so [`UserStore::purge_expired`] never looks at live users.
//!
//! The `userName`, `displayName` and `externalId` indexes keep no copy of the keys: each entry
//! holds the key's hash and the ids under it, and the key itself is read from the record when
//! a hash matches (collisions are told apart that way). Hashes are `foldhash`, seeded per map,
//! so clients cannot pick keys that collide.
//!
//! A filter made of `eq` comparisons on `id`, `userName` (groups: `displayName`) or
//! `externalId`, joined by `or` (or `and` with anything), is answered from the indexes in time
//! independent of the tenant's size; every other filter scans the tenant in creation order with
//! the compiled filter, cloning only the resources of the requested page. Case folding is
//! [`scim_query::fold::fold_case`]; index hits are always re-checked with the compiled filter, so the
//! results are exactly the filter's.
//!
//! # Example: the user lifecycle
//! [`scim_core::Provisioning`] applies the lifecycle rules over any store; here with a manual
//! clock and an events hook that records what happened.
//!
//! ```
//! use chrono::{Duration, TimeZone, Utc};
//! use scim_core::{LifecycleEvent, LifecycleEvents, ManualClock, Provisioning, TenantId, UserStatus};
//! use scim_store_memory::MemoryUserStore;
//! use serde_json::json;
//! use std::sync::{Arc, Mutex};
//!
//! #[derive(Debug, Default)]
//! struct Log(Mutex<Vec<String>>);
//! impl LifecycleEvents for Log {
//!     // Called after each change is stored, synchronously, at most once.
//!     fn on_event(&self, event: &LifecycleEvent) {
//!         let what = match event {
//!             LifecycleEvent::Invited { .. } => "invited",     // send the invitation e-mail
//!             LifecycleEvent::Activated { .. } => "activated",
//!             LifecycleEvent::Suspended { .. } => "suspended", // revoke sessions
//!             LifecycleEvent::Restored { .. } => "restored",
//!             LifecycleEvent::Purged { .. } => "purged",
//!             LifecycleEvent::Deleted { .. } => "deleted",
//!             _ => "other",
//!         };
//!         self.0.lock().unwrap().push(what.to_owned());
//!     }
//! }
//!
//! # async fn run() -> Result<(), scim_core::ScimError> {
//! let store = Arc::new(MemoryUserStore::new());
//! let start = Utc.with_ymd_and_hms(2025, 1, 1, 9, 0, 0).unwrap();
//! let clock = Arc::new(ManualClock::new(start));
//! let log = Arc::new(Log::default());
//! let scim = Provisioning::new(store)
//!     .with_clock(clock.clone())
//!     .with_retention(Duration::days(30))
//!     .with_events(log.clone());
//! let tenant = TenantId::new("acme");
//!
//! // Entra creates the user: pending, invited.
//! let user = scim.create_user(&tenant, &json!({"userName": "bjensen@example.com", "title": "Engineer"})).await?;
//! let id = user.id().unwrap().to_owned();
//! assert_eq!(user.lifecycle().status, UserStatus::Pending);
//!
//! // The person registers; the host records it.
//! scim.accept_invitation(&tenant, &id).await?;
//!
//! // Unassigned in Entra: PATCH active "False". Suspended, still visible, purged in 30 days.
//! let off = json!({"Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
//! let user = scim.patch_user(&tenant, &id, &off, None).await?;
//! assert!(!user.active());
//! assert_eq!(user.lifecycle().purge_at, Some(start + Duration::days(30)));
//!
//! // Reassigned 10 days later: active again, every attribute intact.
//! clock.advance(Duration::days(10));
//! let on = json!({"Operations": [{"op": "Replace", "path": "active", "value": true}]});
//! let user = scim.patch_user(&tenant, &id, &on, None).await?;
//! assert_eq!(user.lifecycle().status, UserStatus::Active);
//! assert_eq!(user.as_json()["title"], "Engineer");
//!
//! // Unassigned for good: 30 days later the purge job removes the user.
//! scim.patch_user(&tenant, &id, &off, None).await?;
//! clock.advance(Duration::days(30));
//! assert_eq!(scim.purge_expired().await?, 1);
//! assert_eq!(scim.get_user(&tenant, &id).await.unwrap_err().status(), 404);
//!
//! assert_eq!(*log.0.lock().unwrap(), ["invited", "activated", "suspended", "restored", "suspended", "purged"]);
//! # Ok(())
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```
//!
//! The stores can also be used directly:
//!
//! ```
//! use scim_core::store::ListQuery;
//! use scim_core::{TenantId, User, UserStore};
//! use scim_store_memory::MemoryUserStore;
//! use serde_json::json;
//!
//! # async fn run() -> Result<(), scim_core::StoreError> {
//! let store = MemoryUserStore::new();
//! let tenant = TenantId::new("acme");
//! let user = User::from_json(json!({"id": "2819c223", "userName": "bjensen@example.com"}));
//! let stored = store.create(&tenant, user, None).await?;
//! assert_eq!(stored.version().map(|v| v.to_string()).as_deref(), Some("W/\"1\""));
//! assert_eq!(store.get(&tenant, "2819c223").await?.user_name(), Some("bjensen@example.com"));
//! let page = store.list(&tenant, &ListQuery::new()).await?;
//! assert_eq!(page.total_results, 1);
//! # Ok(())
//! # }
//! # tokio::runtime::Runtime::new().unwrap().block_on(run()).unwrap();
//! ```
//!
//! Unfiltered, unsorted pages skip from the start of the creation order, except that a page
//! starting where the previous one ended (a client walking `startIndex` 1, 101, 201, …)
//! resumes there, as long as no resource was added or removed in between.
//!
//! # Memory
//! User documents are kept as [`scim_query::CompactValue`]s: objects as exact-size slices with
//! interned keys, short strings inline. For the 1.4 KB (compact JSON) users of the shared
//! benchmark workload that is about 3.0 KB per user with every index, against 10.5 KB when they
//! were kept as `serde_json` values (whose map nodes hold room for eleven entries each).
//! Filters run on the compact form directly. `create` and `replace` hand back the stored
//! document.
//! `get` and `list` hand documents out without copying them ([`User::from_compact`]): a
//! document is turned into JSON the first time the caller reads it as JSON (a few
//! microseconds), while `id`, `userName`, `externalId`, `meta.version` and the lifecycle
//! extension read straight from the compact form. Groups are kept as JSON.
//!
//! # Locking
//! One `std::sync::RwLock` guards everything; operations hold it only for the in-memory work
//! (never across an `.await`), so the async methods complete without suspending.
//!
//! # Audit log
//! The [`AuditLog`] is kept per tenant in write order behind a mutex of
//! its own: a write that succeeds appends its record while it still holds the store's write
//! lock (so the record is there exactly when the change is), and reading the log never takes
//! the store's lock. Records live as long as the store, or until `expire_audit`.

mod audit;
mod index;
mod query;
mod tenant;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scim_core::audit::{AuditLog, AuditRecord};
use scim_core::store::{ListQuery, MemberChange};
use scim_core::{Group, GroupStore, Page, StoreError, TenantId, User, UserStore, Version};
use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};
use tenant::Tenant;

/// Users and groups of every tenant, in memory, indexed. See the [crate docs](crate).
#[derive(Debug, Default)]
pub struct MemoryUserStore {
    state: RwLock<State>,
    /// The audit log; taken only while holding `state`'s write lock, or alone.
    trail: Mutex<audit::Trail>,
}

#[derive(Debug, Default)]
struct State {
    tenants: HashMap<TenantId, Tenant>,
    /// Suspended users by purge time.
    purge: BTreeSet<(DateTime<Utc>, TenantId, Arc<str>)>,
}

impl State {
    fn tenant_mut(&mut self, tenant: &TenantId) -> &mut Tenant {
        // A clone of a `TenantId` shares its text: no allocation.
        self.tenants.entry(tenant.clone()).or_default()
    }

    fn drop_if_empty(&mut self, tenant: &TenantId) {
        if self.tenants.get(tenant).is_some_and(Tenant::is_empty) {
            self.tenants.remove(tenant);
        }
    }
}

/// How many users `purge_expired` takes out of a tenant at a time: enough for the memory
/// accesses of different users to overlap, few enough for the batch to stay in the cache.
const PURGE_BATCH: usize = 256;

impl MemoryUserStore {
    /// An empty store.
    pub fn new() -> Self {
        Self::default()
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(PoisonError::into_inner)
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(PoisonError::into_inner)
    }

    fn trail(&self) -> MutexGuard<'_, audit::Trail> {
        self.trail.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Keeps `audit`, if any, for a write of `tenant` that succeeded (called with the state's
    /// write lock held).
    fn record(&self, tenant: &TenantId, audit: Option<&AuditRecord>) {
        if let Some(record) = audit {
            self.trail().push(tenant, record);
        }
    }

    /// How many users the store holds, in every tenant.
    pub fn user_count(&self) -> usize {
        self.read().tenants.values().map(|t| t.users.len()).sum()
    }
}

#[async_trait]
impl UserStore for MemoryUserStore {
    async fn create(&self, tenant: &TenantId, user: User, audit: Option<&AuditRecord>) -> Result<User, StoreError> {
        let mut state = self.write();
        let out = state.tenant_mut(tenant).create_user(user);
        match out {
            Ok((user, id, purge_at)) => {
                if let Some(at) = purge_at {
                    state.purge.insert((at, tenant.clone(), id));
                }
                self.record(tenant, audit);
                Ok(user)
            }
            Err(e) => {
                state.drop_if_empty(tenant);
                Err(e)
            }
        }
    }

    async fn get(&self, tenant: &TenantId, id: &str) -> Result<User, StoreError> {
        let state = self.read();
        let t = state.tenants.get(tenant).ok_or(StoreError::NotFound)?;
        let rec = t.users.get(id).ok_or(StoreError::NotFound)?;
        Ok(t.user_view(id, &rec.doc))
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        user: User,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<User, StoreError> {
        let mut state = self.write();
        let t = state.tenants.get_mut(tenant).ok_or(StoreError::NotFound)?;
        let (out, tenant::users::PurgeMove { old, new }) = t.replace_user(user, if_match)?;
        self.record(tenant, audit);
        if old != new {
            if let Some(id) = out.id() {
                let id: Arc<str> = Arc::from(id);
                if let Some(at) = old {
                    state.purge.remove(&(at, tenant.clone(), Arc::clone(&id)));
                }
                if let Some(at) = new {
                    state.purge.insert((at, tenant.clone(), id));
                }
            }
        }
        Ok(out)
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        let mut state = self.write();
        let t = state.tenants.get_mut(tenant).ok_or(StoreError::NotFound)?;
        let rec = t.remove_user(id, if_match)?;
        self.record(tenant, audit);
        if let Some(at) = rec.purge_at {
            state.purge.remove(&(at, tenant.clone(), Arc::from(id)));
        }
        state.drop_if_empty(tenant);
        Ok(())
    }

    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<User>, StoreError> {
        let state = self.read();
        match state.tenants.get(tenant) {
            Some(t) => Ok(query::list_users(t, query)),
            None => Ok(Page::new(0, query.start_index, Vec::new())),
        }
    }

    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<(TenantId, User)>, StoreError> {
        let mut state = self.write();
        // Detach the due part of the purge index with one split (the first entry after `now` is
        // the first with a later time), walk it, and free it once every user is removed.
        let due = match now.checked_add_signed(chrono::Duration::nanoseconds(1)) {
            Some(after) => {
                let later = state.purge.split_off(&(after, TenantId::new(""), Arc::from("")));
                std::mem::replace(&mut state.purge, later)
            }
            None => std::mem::take(&mut state.purge),
        };
        let mut purged = Vec::with_capacity(due.len());
        let mut entries = due.iter().peekable();
        while let Some((_, tenant, id)) = entries.next() {
            // Up to `PURGE_BATCH` due users of this tenant, taken out together.
            let mut run = Vec::with_capacity(PURGE_BATCH);
            run.push(&**id);
            while run.len() < PURGE_BATCH {
                let Some((_, _, next)) = entries.next_if(|(_, t, _)| t == tenant) else { break };
                run.push(&**next);
            }
            if let Some(t) = state.tenants.get_mut(tenant) {
                // A copy of a `TenantId` shares its text.
                purged.extend(t.take_users(run).into_iter().map(|user| (tenant.clone(), user)));
            }
            state.drop_if_empty(tenant);
        }
        if let Some(template) = audit {
            self.trail().push_purged(template, &purged);
        }
        drop(state);
        drop(due);
        Ok(purged)
    }

    fn audit_log(&self) -> Option<&dyn AuditLog> {
        Some(self)
    }
}

#[async_trait]
impl GroupStore for MemoryUserStore {
    async fn create(&self, tenant: &TenantId, group: Group, audit: Option<&AuditRecord>) -> Result<Group, StoreError> {
        let mut state = self.write();
        let out = state.tenant_mut(tenant).create_group(group);
        match out {
            Ok(_) => self.record(tenant, audit),
            Err(_) => state.drop_if_empty(tenant),
        }
        out
    }

    async fn get(&self, tenant: &TenantId, id: &str, include_members: bool) -> Result<Group, StoreError> {
        let state = self.read();
        let t = state.tenants.get(tenant).ok_or(StoreError::NotFound)?;
        let rec = t.groups.get(id).ok_or(StoreError::NotFound)?;
        Ok(tenant::groups::group_view(rec, include_members))
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        group: Group,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<Group, StoreError> {
        let mut state = self.write();
        let t = state.tenants.get_mut(tenant).ok_or(StoreError::NotFound)?;
        let out = t.replace_group(group, if_match)?;
        self.record(tenant, audit);
        Ok(out)
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
        let mut state = self.write();
        let t = state.tenants.get_mut(tenant).ok_or(StoreError::NotFound)?;
        let version = t.modify_members(id, &change.add, &change.remove, now, if_match)?;
        self.record(tenant, audit);
        Ok(version)
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        let mut state = self.write();
        let t = state.tenants.get_mut(tenant).ok_or(StoreError::NotFound)?;
        t.remove_group(id, if_match)?;
        self.record(tenant, audit);
        state.drop_if_empty(tenant);
        Ok(())
    }

    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<Group>, StoreError> {
        let state = self.read();
        match state.tenants.get(tenant) {
            Some(t) => Ok(query::list_groups(t, query)),
            None => Ok(Page::new(0, query.start_index, Vec::new())),
        }
    }
}
