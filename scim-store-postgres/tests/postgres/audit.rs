//! The audit log's expiry in batches: a log larger than one batch goes entirely.

use crate::common;
use chrono::{Duration, TimeZone, Utc};
use scim_core::TenantId;
use scim_core::audit::{AuditLog, AuditQuery};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_removes_every_old_record_across_batches() {
    let Some(store) = common::fresh().await else { return };
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("time");
    // 12 000 old records and 3 recent ones, written in one statement.
    sqlx::query(
        "INSERT INTO scim_audit (tenant, time, resource_id, actor, status, record) \
         SELECT 't', CASE WHEN i <= 12000 THEN $1 ELSE $2 END, NULL, 'host', 200, \
         jsonb_build_object('seq', 0, 'time', CASE WHEN i <= 12000 THEN $3 ELSE $4 END, 'tenant', 't', \
           'actor', jsonb_build_object('type', 'host', 'name', NULL), 'resource_type', 'User', \
           'operation', 'create', 'changes', '[]'::jsonb, 'status', 200) \
         FROM generate_series(1, 12003) AS i",
    )
    .bind(t0)
    .bind(t0 + Duration::days(10))
    .bind(scim_core::format_time(t0))
    .bind(scim_core::format_time(t0 + Duration::days(10)))
    .execute(store.pool())
    .await
    .expect("insert");
    assert_eq!(store.expire_audit(t0 + Duration::days(1)).await.expect("expire"), 12_000);
    let left = store.list_audit(&TenantId::new("t"), &AuditQuery::new()).await.expect("list");
    assert_eq!(left.records.len(), 3);
    assert!(left.records.iter().all(|r| r.time == t0 + Duration::days(10)));
}
