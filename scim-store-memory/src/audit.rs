//! The audit log: records kept per tenant in write order, under a lock of their own that
//! writers take while they still hold the store's lock (so a record is there exactly when its
//! change is), and that readers of the log take without touching the store's lock.

use scim_core::audit::{AuditLog, AuditPage, AuditQuery, AuditRecord};
use scim_core::{StoreError, TenantId, User};
use std::collections::{HashMap, VecDeque};

use crate::MemoryUserStore;
use async_trait::async_trait;
use chrono::{DateTime, Utc};

#[derive(Debug, Default)]
pub(crate) struct Trail {
    /// The last `seq` given out.
    last: u64,
    /// Each tenant's records, oldest first.
    tenants: HashMap<TenantId, VecDeque<AuditRecord>>,
}

impl Trail {
    /// Keeps `record` for `tenant` with the next `seq`.
    pub(crate) fn push(&mut self, tenant: &TenantId, record: &AuditRecord) {
        self.last += 1;
        let mut record = record.clone();
        record.seq = self.last;
        record.tenant = tenant.clone();
        self.tenants.entry(tenant.clone()).or_default().push_back(record);
    }

    /// Keeps the purge record of each `(tenant, user)` made from `template`.
    pub(crate) fn push_purged<'a>(
        &mut self,
        template: &AuditRecord,
        purged: impl IntoIterator<Item = &'a (TenantId, User)>,
    ) {
        for (tenant, user) in purged {
            self.push(tenant, &template.purged(tenant, user));
        }
    }

    fn page(&self, tenant: &TenantId, query: &AuditQuery) -> AuditPage {
        let size = query.page_size();
        let before = query.cursor.map_or(u64::MAX, |c| c.before_seq());
        let records = self.tenants.get(tenant).into_iter().flat_map(|records| records.iter().rev());
        let found = records.filter(|r| r.seq < before && r.matches(query)).take(size + 1).cloned().collect::<Vec<_>>();
        AuditPage::from_overfetch(found, size)
    }

    /// Removes each tenant's oldest records while they are older than `before` (log order:
    /// see [`AuditLog::expire_audit`]).
    fn expire(&mut self, before: DateTime<Utc>) -> usize {
        let mut removed = 0;
        self.tenants.retain(|_, records| {
            while records.front().is_some_and(|r| r.time < before) {
                records.pop_front();
                removed += 1;
            }
            !records.is_empty()
        });
        removed
    }
}

#[async_trait]
impl AuditLog for MemoryUserStore {
    async fn append_audit(&self, record: AuditRecord) -> Result<(), StoreError> {
        let tenant = record.tenant.clone();
        self.trail().push(&tenant, &record);
        Ok(())
    }

    async fn list_audit(&self, tenant: &TenantId, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        Ok(self.trail().page(tenant, query))
    }

    async fn expire_audit(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        Ok(self.trail().expire(before))
    }
}
