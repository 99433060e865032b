//! The audit log: the table `audit`, one row per record (the record as JSON, and the columns
//! its queries filter on). Writes insert their record in their own transaction; the record is
//! serialized before the write reaches the writer thread, so the write lock is held for one
//! short insert more.

use crate::SqliteUserStore;
use crate::error::Error;
use crate::users::millis;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use scim_core::audit::{AuditLog, AuditOutcome, AuditPage, AuditQuery, AuditRecord};
use scim_core::{StoreError, TenantId, User};

/// How many records one write of `expire_audit` removes.
const EXPIRE_BATCH: usize = 5000;

/// A record ready to insert: its columns and its JSON.
#[derive(Debug)]
pub(crate) struct Row {
    tenant: String,
    time: i64,
    resource_id: Option<String>,
    actor: String,
    status: i64,
    json: String,
}

impl Row {
    /// `record` as a row of `tenant` (the store's tenant wins over the record's).
    pub(crate) fn new(tenant: &str, record: &AuditRecord) -> Self {
        let json = if record.tenant.as_str() == tenant {
            record.to_json_string()
        } else {
            let mut record = record.clone();
            record.tenant = scim_core::TenantId::new(tenant);
            record.to_json_string()
        };
        Self {
            tenant: tenant.to_owned(),
            time: millis(record.time),
            resource_id: record.resource_id.clone(),
            actor: record.actor.key().to_owned(),
            status: i64::from(record.status),
            json,
        }
    }

    /// The rows of `template` for users a purge removed.
    pub(crate) fn purged<'a>(
        template: &AuditRecord,
        purged: impl IntoIterator<Item = &'a (TenantId, User)>,
    ) -> Vec<Self> {
        purged.into_iter().map(|(tenant, user)| Self::new(tenant.as_str(), &template.purged(tenant, user))).collect()
    }

    /// Inserts the row (inside the caller's transaction).
    pub(crate) fn insert(&self, conn: &Connection) -> Result<(), Error> {
        conn.prepare_cached(
            "INSERT INTO audit (tenant, time, resource_id, actor, status, record) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )?
        .execute(params![self.tenant, self.time, self.resource_id, self.actor, self.status, self.json])?;
        Ok(())
    }
}

/// Inserts `row`, if any.
pub(crate) fn insert(conn: &Connection, row: Option<&Row>) -> Result<(), Error> {
    match row {
        Some(row) => row.insert(conn),
        None => Ok(()),
    }
}

/// The tenants that have records, one index seek each (not a scan of the log).
fn audit_tenants(conn: &Connection) -> Result<Vec<String>, Error> {
    let mut stmt = conn.prepare_cached(
        "WITH RECURSIVE t(tenant) AS (SELECT min(tenant) FROM audit \
         UNION ALL SELECT (SELECT min(tenant) FROM audit WHERE tenant > t.tenant) FROM t WHERE t.tenant IS NOT NULL) \
         SELECT tenant FROM t WHERE tenant IS NOT NULL",
    )?;
    let tenants = stmt.query_map([], |r| r.get(0))?.collect::<Result<Vec<String>, _>>()?;
    Ok(tenants)
}

fn page(conn: &Connection, tenant: &str, query: &AuditQuery) -> Result<AuditPage, Error> {
    let size = query.page_size();
    let before = query.cursor.map_or(i64::MAX, |c| i64::try_from(c.before_seq()).unwrap_or(i64::MAX));
    let outcome = query.outcome.map(|o| i64::from(o == AuditOutcome::Success));
    // Two shapes, so each uses its index: by resource, or the tenant's log.
    let scope = if query.resource_id.is_some() { "AND resource_id = ?3" } else { "AND ?3 IS NULL" };
    let sql = format!(
        "SELECT seq, record FROM audit WHERE tenant = ?1 AND seq < ?2 {scope} \
         AND (?4 IS NULL OR actor = ?4) AND (?5 IS NULL OR time >= ?5) AND (?6 IS NULL OR time < ?6) \
         AND (?7 IS NULL OR (status BETWEEN 200 AND 299) = ?7) ORDER BY seq DESC LIMIT ?8"
    );
    let mut stmt = conn.prepare_cached(&sql)?;
    let mut rows = stmt.query(params![
        tenant,
        before,
        query.resource_id,
        query.actor,
        query.since.map(millis),
        query.until.map(millis),
        outcome,
        i64::try_from(size + 1).unwrap_or(i64::MAX),
    ])?;
    let mut records = Vec::new();
    while let Some(row) = rows.next()? {
        let seq: i64 = row.get(0)?;
        let text: String = row.get(1)?;
        let json: serde_json::Value = serde_json::from_str(&text)?;
        let mut record =
            AuditRecord::from_json(&json).ok_or_else(|| Error::Setup(format!("audit record {seq} does not parse")))?;
        record.seq = u64::try_from(seq).unwrap_or(0);
        // The SQL compares milliseconds; the record decides.
        if record.matches(query) {
            records.push(record);
        }
    }
    Ok(AuditPage::from_overfetch(records, size))
}

#[async_trait]
impl AuditLog for SqliteUserStore {
    async fn append_audit(&self, record: AuditRecord) -> Result<(), StoreError> {
        let row = Row::new(record.tenant.as_str(), &record);
        self.db.write(move |conn| row.insert(conn)).await?;
        Ok(())
    }

    async fn list_audit(&self, tenant: &TenantId, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        let (tenant, query) = (tenant.as_str().to_owned(), query.clone());
        Ok(self.db.read(move |conn| page(conn, &tenant, &query)).await?)
    }

    async fn expire_audit(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let before = millis(before);
        let tenants = self.db.read(audit_tenants).await?;
        let mut removed = 0;
        for tenant in tenants {
            // In batches, each its own write: the first expiry of a large log must not hold the
            // write lock (and every provisioning write behind it) for long. A batch that keeps
            // one of the tenant's oldest records has reached records still within retention.
            loop {
                let tenant = tenant.clone();
                let n = self
                    .db
                    .write(move |conn| {
                        Ok(conn
                            .prepare_cached(
                                "DELETE FROM audit WHERE seq IN \
                                 (SELECT seq FROM audit WHERE tenant = ?1 ORDER BY seq LIMIT ?2) AND time < ?3",
                            )?
                            .execute(params![tenant, EXPIRE_BATCH, before])?)
                    })
                    .await?;
                removed += n;
                if n < EXPIRE_BATCH {
                    break;
                }
            }
        }
        Ok(removed)
    }
}
