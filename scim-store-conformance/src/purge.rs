//! The lifecycle as stores persist it: suspended users stay visible; the purge is exact.

use crate::support::{group, member_values, seed, suspended, t0, tenant, user};
use chrono::Duration;
use scim_core::lifecycle::Lifecycle;
use scim_core::store::ListQuery;
use scim_core::{DynGroupStore, DynUserStore, StoreError, UserStatus};
use serde_json::json;
use std::sync::Arc;

/// A suspended user answers `get` and lists with `active: false` and its purge time.
pub async fn suspended_user_stays_visible(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("suspended_visible", "a");
    let purge_at = t0() + Duration::days(30);
    let mut u = suspended(user("u1", "leaver@example.com"), t0(), purge_at);
    u.as_object_mut().insert("title".into(), json!("Engineer"));
    users.create(&t, u, None).await.expect("create");
    let got = users.get(&t, "u1").await.expect("suspended users are returned");
    assert!(!got.active());
    assert_eq!(got.lifecycle().status, UserStatus::Suspended);
    assert_eq!(got.lifecycle().purge_at, Some(purge_at));
    assert_eq!(got.as_object().get("title"), Some(&json!("Engineer")));
    let page = users.list(&t, &ListQuery::default()).await.expect("list");
    assert_eq!(page.total_results, 1);
    assert!(!page.items[0].active());
}

/// `purge_expired(now)` removes a suspended user whose `purge_at == now`, returns it as it
/// was, and `get` is then `NotFound`.
pub async fn purge_removes_user_at_boundary(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("purge_boundary", "a");
    let purge_at = t0() + Duration::days(30);
    users.create(&t, suspended(user("u1", "leaver@example.com"), t0(), purge_at), None).await.expect("create");
    let purged = users.purge_expired(purge_at, None).await.expect("purge");
    let mine: Vec<_> = purged.iter().filter(|(pt, _)| *pt == t).collect();
    assert_eq!(mine.len(), 1, "purged exactly at purge_at");
    assert_eq!(mine[0].1.id(), Some("u1"));
    assert_eq!(mine[0].1.user_name(), Some("leaver@example.com"), "returned as it was");
    assert!(matches!(users.get(&t, "u1").await, Err(StoreError::NotFound)));
    assert!(users.purge_expired(purge_at, None).await.expect("purge").iter().all(|(pt, _)| *pt != t), "purged once");
    users.create(&t, user("u2", "leaver@example.com"), None).await.expect("userName free after purge");
}

/// One second before `purge_at` the user is kept, intact.
pub async fn purge_keeps_user_one_second_before(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("purge_before", "a");
    let purge_at = t0() + Duration::days(30);
    let stored = users.create(&t, suspended(user("u1", "x@example.com"), t0(), purge_at), None).await.expect("create");
    let purged = users.purge_expired(purge_at - Duration::seconds(1), None).await.expect("purge");
    assert!(purged.iter().all(|(pt, _)| *pt != t), "nothing purged early");
    assert_eq!(users.get(&t, "u1").await.expect("still there").as_json(), stored.as_json());
}

/// Live (pending or active) users are never purged, whatever the time.
pub async fn purge_ignores_live_users(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("purge_live", "a");
    seed(&*users, &t, 3).await;
    let mut active = user("act", "act@example.com");
    active.set_lifecycle(&Lifecycle { status: UserStatus::Active, activated_at: Some(t0()), ..Lifecycle::default() });
    users.create(&t, active, None).await.expect("create");
    let purged = users.purge_expired(t0() + Duration::days(100_000), None).await.expect("purge");
    assert!(purged.iter().all(|(pt, _)| *pt != t));
    assert_eq!(users.list(&t, &ListQuery::default()).await.expect("list").total_results, 4);
}

/// A user restored (replaced with a live status) before its purge time is not purged later.
pub async fn purge_respects_restore(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("purge_restore", "a");
    let purge_at = t0() + Duration::days(30);
    let s = users.create(&t, suspended(user("u1", "x@example.com"), t0(), purge_at), None).await.expect("create");
    let mut restored = s.clone();
    restored.as_object_mut().insert("active".into(), json!(true));
    restored.set_lifecycle(&Lifecycle::default());
    users.replace(&t, restored, s.version().as_ref(), None).await.expect("restore");
    let purged = users.purge_expired(purge_at + Duration::days(1), None).await.expect("purge");
    assert!(purged.iter().all(|(pt, _)| *pt != t));
    assert!(users.get(&t, "u1").await.expect("kept").active());
}

/// When a replace moves `purge_at`, the purge follows the new time.
pub async fn purge_respects_new_purge_time(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("purge_moved", "a");
    let first = t0() + Duration::days(30);
    let later = t0() + Duration::days(60);
    let s = users.create(&t, suspended(user("u1", "x@example.com"), t0(), first), None).await.expect("create");
    let moved = suspended(s.clone(), t0() + Duration::days(1), later);
    users.replace(&t, moved, None, None).await.expect("replace");
    assert!(users.purge_expired(first, None).await.expect("purge").iter().all(|(pt, _)| *pt != t));
    users.get(&t, "u1").await.expect("kept until the new time");
    let purged = users.purge_expired(later, None).await.expect("purge");
    assert_eq!(purged.iter().filter(|(pt, _)| *pt == t).count(), 1);
}

/// The purge covers every tenant, and only the expired users of each.
pub async fn purge_spans_tenants(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let (a, b) = (tenant("purge_tenants", "a"), tenant("purge_tenants", "b"));
    let due = t0() + Duration::days(30);
    users.create(&a, suspended(user("a1", "a1@example.com"), t0(), due), None).await.expect("create");
    users
        .create(&a, suspended(user("a2", "a2@example.com"), t0(), due + Duration::days(1)), None)
        .await
        .expect("create");
    users
        .create(&b, suspended(user("b1", "b1@example.com"), t0(), due - Duration::days(1)), None)
        .await
        .expect("create");
    users.create(&b, user("b2", "b2@example.com"), None).await.expect("create");
    let mut purged: Vec<(String, String)> = users
        .purge_expired(due, None)
        .await
        .expect("purge")
        .into_iter()
        .filter(|(t, _)| *t == a || *t == b)
        .map(|(t, u)| (t.to_string(), u.id().unwrap_or_default().to_owned()))
        .collect();
    purged.sort();
    assert_eq!(purged, [(a.to_string(), "a1".to_owned()), (b.to_string(), "b1".to_owned())]);
    users.get(&a, "a2").await.expect("not yet due");
    users.get(&b, "b2").await.expect("live");
}

/// A purged user is removed from its groups.
pub async fn purge_removes_memberships(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("purge_groups", "a");
    let due = t0() + Duration::days(30);
    users.create(&t, user("u0", "stay@example.com"), None).await.expect("create");
    users.create(&t, suspended(user("u1", "go@example.com"), t0(), due), None).await.expect("create");
    groups.create(&t, group("g1", "G", &["u0", "u1"]), None).await.expect("group");
    users.purge_expired(due, None).await.expect("purge");
    assert_eq!(member_values(&groups.get(&t, "g1", true).await.expect("get")), ["u0"]);
    assert!(matches!(users.get(&t, "u1").await, Err(StoreError::NotFound)));
}
