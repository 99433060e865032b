//! The audit log's expiry in batches: a log larger than one batch goes entirely.

use chrono::{Duration, TimeZone, Utc};
use scim_core::audit::{AuditContext, AuditLog, AuditOperation, AuditQuery, AuditRecord};
use scim_core::{ResourceKind, TenantId};
use scim_store_sqlite::SqliteUserStore;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expiry_removes_every_old_record_across_batches() {
    let store = SqliteUserStore::open_in_memory().expect("open");
    let t = TenantId::new("t");
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("time");
    for i in 0..12_003 {
        let time = if i < 12_000 { t0 } else { t0 + Duration::days(10) };
        let r = AuditRecord::new(time, t.clone(), &AuditContext::default(), ResourceKind::User, AuditOperation::Create);
        store.append_audit(r).await.expect("append");
    }
    assert_eq!(store.expire_audit(t0 + Duration::days(1)).await.expect("expire"), 12_000);
    let left = store.list_audit(&t, &AuditQuery::new()).await.expect("list");
    assert_eq!(left.records.len(), 3);
    assert!(left.records.iter().all(|r| r.time == t0 + Duration::days(10)));
}
