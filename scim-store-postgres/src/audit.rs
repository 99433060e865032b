//! The audit log: the table `scim_audit`, one row per record (the record as JSONB, and the
//! columns its queries filter on). A write inserts its record in the same statement or
//! transaction as the change.

use crate::PostgresUserStore;
use crate::error::Error;
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scim_core::audit::{AuditLog, AuditOutcome, AuditPage, AuditQuery, AuditRecord};
use scim_core::{StoreError, TenantId, User};
use serde_json::Value;
use sqlx::types::Json;
use sqlx::{PgConnection, Row as _};

/// A record ready to insert: its columns and its JSON.
#[derive(Debug, Clone)]
pub(crate) struct Row {
    pub(crate) tenant: String,
    pub(crate) time: DateTime<Utc>,
    pub(crate) resource_id: Option<String>,
    pub(crate) actor: String,
    pub(crate) status: i32,
    pub(crate) json: Value,
}

/// `s` without U+0000, which PostgreSQL's text and JSONB cannot hold (a refused request's
/// detail may quote what the client sent).
fn clean(s: &str) -> String {
    s.replace('\0', "\u{fffd}")
}

fn clean_value(v: &mut Value) {
    match v {
        Value::String(s) if s.contains('\0') => *s = clean(s),
        Value::Array(items) => items.iter_mut().for_each(clean_value),
        Value::Object(map) => {
            if map.keys().any(|k| k.contains('\0')) {
                *map = std::mem::take(map).into_iter().map(|(k, v)| (clean(&k), v)).collect();
            }
            map.values_mut().for_each(clean_value);
        }
        _ => {}
    }
}

impl Row {
    /// `record` as a row of `tenant` (the store's tenant wins over the record's).
    pub(crate) fn new(tenant: &str, record: &AuditRecord) -> Self {
        let mut json = record.to_json();
        json["tenant"] = tenant.into();
        clean_value(&mut json);
        Self {
            tenant: clean(tenant),
            time: record.time,
            resource_id: record.resource_id.as_deref().map(clean),
            actor: clean(record.actor.key()),
            status: i32::from(record.status),
            json,
        }
    }

    /// Inserts the row (inside the caller's transaction).
    pub(crate) async fn insert(&self, conn: &mut PgConnection) -> Result<(), Error> {
        insert_many(conn, std::slice::from_ref(self)).await
    }
}

/// Inserts `row`, if any.
pub(crate) async fn insert(conn: &mut PgConnection, row: Option<&Row>) -> Result<(), Error> {
    match row {
        Some(row) => row.insert(conn).await,
        None => Ok(()),
    }
}

/// Inserts `rows` in one statement.
pub(crate) async fn insert_many(conn: &mut PgConnection, rows: &[Row]) -> Result<(), Error> {
    if rows.is_empty() {
        return Ok(());
    }
    let column = |f: fn(&Row) -> String| rows.iter().map(f).collect::<Vec<_>>();
    let times: Vec<DateTime<Utc>> = rows.iter().map(|r| r.time).collect();
    let ids: Vec<Option<String>> = rows.iter().map(|r| r.resource_id.clone()).collect();
    let statuses: Vec<i32> = rows.iter().map(|r| r.status).collect();
    let records: Vec<Json<&Value>> = rows.iter().map(|r| Json(&r.json)).collect();
    sqlx::query(
        "INSERT INTO scim_audit (tenant, time, resource_id, actor, status, record) \
         SELECT * FROM unnest($1::text[], $2::timestamptz[], $3::text[], $4::text[], $5::int[], $6::jsonb[])",
    )
    .bind(column(|r| r.tenant.clone()))
    .bind(times)
    .bind(ids)
    .bind(column(|r| r.actor.clone()))
    .bind(statuses)
    .bind(records)
    .execute(conn)
    .await?;
    Ok(())
}

/// The rows of `template` for users a purge removed.
pub(crate) fn purged<'a>(template: &AuditRecord, purged: impl IntoIterator<Item = &'a (String, User)>) -> Vec<Row> {
    purged
        .into_iter()
        .map(|(tenant, user)| Row::new(tenant, &template.purged(&TenantId::new(tenant.as_str()), user)))
        .collect()
}

#[async_trait]
impl AuditLog for PostgresUserStore {
    async fn append_audit(&self, record: AuditRecord) -> Result<(), StoreError> {
        let row = Row::new(record.tenant.as_str(), &record);
        let mut conn = self.pool.acquire().await.map_err(Error::from)?;
        Ok(row.insert(&mut conn).await?)
    }

    async fn list_audit(&self, tenant: &TenantId, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        let size = query.page_size();
        let before = query.cursor.map_or(i64::MAX, |c| i64::try_from(c.before_seq()).unwrap_or(i64::MAX));
        let outcome = query.outcome.map(|o| o == AuditOutcome::Success);
        // Two shapes, so each uses its index: by resource, or the tenant's log.
        macro_rules! page_sql {
            ($scope:literal) => {
                concat!(
                    "SELECT seq, record FROM scim_audit WHERE tenant = $1 AND seq < $2 ",
                    $scope,
                    " AND ($4::text IS NULL OR actor = $4) AND ($5::timestamptz IS NULL OR time >= $5) \
                     AND ($6::timestamptz IS NULL OR time < $6) \
                     AND ($7::boolean IS NULL OR (status BETWEEN 200 AND 299) = $7) ORDER BY seq DESC LIMIT $8"
                )
            };
        }
        let sql = if query.resource_id.is_some() {
            page_sql!("AND resource_id = $3")
        } else {
            page_sql!("AND $3::text IS NULL")
        };
        if tenant.as_str().contains('\0') || query.resource_id.as_deref().is_some_and(|s| s.contains('\0')) {
            return Ok(AuditPage::default());
        }
        let rows = sqlx::query(sql)
            .bind(tenant.as_str())
            .bind(before)
            .bind(query.resource_id.as_deref())
            .bind(query.actor.as_deref().map(clean))
            .bind(query.since)
            .bind(query.until)
            .bind(outcome)
            .bind(i64::try_from(size + 1).unwrap_or(i64::MAX))
            .fetch_all(&self.pool)
            .await
            .map_err(Error::from)?;
        let mut records = Vec::with_capacity(rows.len());
        for row in rows {
            let seq: i64 = row.try_get(0).map_err(Error::from)?;
            let Json(json): Json<Value> = row.try_get(1).map_err(Error::from)?;
            let mut record = AuditRecord::from_json(&json).ok_or_else(|| StoreError::Backend {
                backend: "postgres",
                source: format!("audit record {seq} does not parse").into(),
            })?;
            record.seq = u64::try_from(seq).unwrap_or(0);
            if record.matches(query) {
                records.push(record);
            }
        }
        Ok(AuditPage::from_overfetch(records, size))
    }

    async fn expire_audit(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        // The tenants with records, one index seek each.
        let tenants: Vec<String> = sqlx::query_scalar(
            "WITH RECURSIVE t(tenant) AS (SELECT min(tenant) FROM scim_audit \
             UNION ALL SELECT (SELECT min(tenant) FROM scim_audit WHERE tenant > t.tenant) FROM t \
             WHERE t.tenant IS NOT NULL) SELECT tenant FROM t WHERE tenant IS NOT NULL",
        )
        .fetch_all(&self.pool)
        .await
        .map_err(Error::from)?;
        // In batches, each its own transaction: short locks, and a replica that dies midway
        // leaves the rest for the next run. A batch that keeps one of the tenant's oldest
        // records has reached records still within retention.
        const BATCH: i64 = 5000;
        let mut removed = 0;
        for tenant in tenants {
            loop {
                let done = sqlx::query(
                    "DELETE FROM scim_audit WHERE seq IN \
                     (SELECT seq FROM scim_audit WHERE tenant = $1 ORDER BY seq LIMIT $2) AND time < $3",
                )
                .bind(&tenant)
                .bind(BATCH)
                .bind(before)
                .execute(&self.pool)
                .await
                .map_err(Error::from)?;
                removed += usize::try_from(done.rows_affected()).unwrap_or(usize::MAX);
                if done.rows_affected() < BATCH.unsigned_abs() {
                    break;
                }
            }
        }
        Ok(removed)
    }
}
