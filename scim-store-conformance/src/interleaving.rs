//! A store wrapper that lets concurrent read-modify-write sequences interleave.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scim_core::audit::{AuditLog, AuditRecord};
use scim_core::store::{ListQuery, MemberChange};
use scim_core::{Group, GroupStore, Page, StoreError, TenantId, User, UserStore, Version};

/// A store that delegates every call to the store it wraps, but first yields to the executor
/// (`tokio::task::yield_now`) before each write that may be conditional on a version read
/// earlier: `replace`, `delete` and `modify_members`.
///
/// Futures run concurrently on one task (`join_all`) over a store that never suspends, such as
/// an in-memory one, would otherwise each run from their read to their write without a break,
/// one after the other, and a service that forgot to check or retry a lost race would still
/// pass. Behind this wrapper, every writer reads, then yields, so the others read the same
/// version before the first one writes: all but one lose the race and must retry.
///
/// The suite's concurrent service cases build their [`Provisioning`](scim_core::Provisioning)
/// over `Interleaving::new(users)` and `Interleaving::new(groups)`; a backend's own tests may
/// use it the same way. `S` is usually `Arc<DynUserStore>` or `Arc<DynGroupStore>` (or the
/// backend's type in an `Arc`); `Interleaving<S>` is a [`UserStore`] when `S` is one, and a
/// [`GroupStore`] when `S` is one.
#[derive(Debug, Clone)]
pub struct Interleaving<S> {
    inner: S,
}

impl<S> Interleaving<S> {
    /// Wraps `inner`.
    pub fn new(inner: S) -> Self {
        Self { inner }
    }

    /// The wrapped store.
    pub fn inner(&self) -> &S {
        &self.inner
    }

    /// Unwraps the store.
    pub fn into_inner(self) -> S {
        self.inner
    }
}

#[async_trait]
impl<S: UserStore> UserStore for Interleaving<S> {
    async fn create(&self, tenant: &TenantId, user: User, audit: Option<&AuditRecord>) -> Result<User, StoreError> {
        self.inner.create(tenant, user, audit).await
    }

    async fn get(&self, tenant: &TenantId, id: &str) -> Result<User, StoreError> {
        self.inner.get(tenant, id).await
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        user: User,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<User, StoreError> {
        tokio::task::yield_now().await;
        self.inner.replace(tenant, user, if_match, audit).await
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        UserStore::delete(&self.inner, tenant, id, if_match, audit).await
    }

    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<User>, StoreError> {
        self.inner.list(tenant, query).await
    }

    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<(TenantId, User)>, StoreError> {
        self.inner.purge_expired(now, audit).await
    }

    fn audit_log(&self) -> Option<&dyn AuditLog> {
        self.inner.audit_log()
    }
}

#[async_trait]
impl<S: GroupStore> GroupStore for Interleaving<S> {
    async fn create(&self, tenant: &TenantId, group: Group, audit: Option<&AuditRecord>) -> Result<Group, StoreError> {
        self.inner.create(tenant, group, audit).await
    }

    async fn get(&self, tenant: &TenantId, id: &str, include_members: bool) -> Result<Group, StoreError> {
        self.inner.get(tenant, id, include_members).await
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        group: Group,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<Group, StoreError> {
        tokio::task::yield_now().await;
        self.inner.replace(tenant, group, if_match, audit).await
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
        tokio::task::yield_now().await;
        self.inner.modify_members(tenant, id, change, now, if_match, audit).await
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        tokio::task::yield_now().await;
        GroupStore::delete(&self.inner, tenant, id, if_match, audit).await
    }

    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<Group>, StoreError> {
        self.inner.list(tenant, query).await
    }
}
