//! The store contract (scim_core::UserStore / GroupStore docs) on SQLite, beyond the
//! shared conformance suite: concurrency, durability across reopen, membership tables.

use crate::common;

use common::*;
use scim_core::store::{MemberChange, SortKey, SortOrder};
use scim_core::{GroupStore, StoreError, UserStore, Version};
use scim_query::AttrPath;
use scim_store_sqlite::{Durability, SqliteOptions, SqliteUserStore};
use serde_json::json;
use std::sync::Arc;

fn mem() -> SqliteUserStore {
    SqliteUserStore::open_in_memory().unwrap()
}

fn on_disk() -> (tempfile::TempDir, SqliteUserStore) {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteUserStore::open(dir.path().join("scim.db")).unwrap();
    (dir, store)
}

#[tokio::test]
async fn create_then_get_round_trips_and_sets_version_1() {
    let (_dir, s) = on_disk();
    let t = tenant("a");
    let mut u = user("u1", "Barbara@Example.com");
    u.as_object_mut().insert("emails".into(), json!([{"value": "b@x.org", "primary": true}]));
    let created = UserStore::create(&s, &t, u.clone(), None).await.unwrap();
    assert_eq!(created.version(), Some(Version::new("W/\"1\"")));
    let got = UserStore::get(&s, &t, "u1").await.unwrap();
    assert_eq!(got, created);
    assert_eq!(got.user_name(), Some("Barbara@Example.com"));
    assert_eq!(got.as_json()["emails"][0]["value"], "b@x.org");
    assert_eq!(got.meta().unwrap().created, t0());
}

#[tokio::test]
async fn user_name_is_unique_per_tenant_ignoring_unicode_case() {
    let s = mem();
    let t = tenant("a");
    UserStore::create(&s, &t, user("u1", "ÄNNE@x.org"), None).await.unwrap();
    let err = UserStore::create(&s, &t, user("u2", "änne@X.ORG"), None).await.unwrap_err();
    assert!(matches!(err, StoreError::Uniqueness { attribute: "userName" }), "{err:?}");
    let err = UserStore::create(&s, &t, user("u1", "other"), None).await.unwrap_err();
    assert!(matches!(err, StoreError::Uniqueness { attribute: "id" }), "{err:?}");
    // Another tenant may use both.
    UserStore::create(&s, &tenant("b"), user("u1", "änne@x.org"), None).await.unwrap();
    // A suspended user keeps its userName.
    UserStore::create(&s, &t, suspended("u3", "gone@x.org", t0()), None).await.unwrap();
    assert!(matches!(
        UserStore::create(&s, &t, user("u4", "GONE@x.org"), None).await,
        Err(StoreError::Uniqueness { .. })
    ));
}

#[tokio::test]
async fn replace_is_conditional_on_the_version() {
    let s = mem();
    let t = tenant("a");
    let v1 = UserStore::create(&s, &t, user("u1", "a"), None).await.unwrap().version().unwrap();
    let mut u = user("u1", "a2");
    u.as_object_mut().insert("title".into(), json!("Boss"));
    let replaced = UserStore::replace(&s, &t, u.clone(), Some(&v1), None).await.unwrap();
    assert_eq!(replaced.version(), Some(Version::new("W/\"2\"")));
    assert!(matches!(
        UserStore::replace(&s, &t, u.clone(), Some(&v1), None).await,
        Err(StoreError::PreconditionFailed)
    ));
    assert!(matches!(UserStore::delete(&s, &t, "u1", Some(&v1), None).await, Err(StoreError::PreconditionFailed)));
    let got = UserStore::get(&s, &t, "u1").await.unwrap();
    assert_eq!(got.as_json()["title"], "Boss");
    // Unconditional and `*` always apply.
    UserStore::replace(&s, &t, u.clone(), None, None).await.unwrap();
    let v = UserStore::replace(&s, &t, u, Some(&Version::new("*")), None).await.unwrap().version();
    assert_eq!(v, Some(Version::new("W/\"4\"")));
    // The old userName is free again.
    UserStore::create(&s, &t, user("u2", "A"), None).await.unwrap();
    // Replacing a user that does not exist, or in another tenant.
    assert!(matches!(
        UserStore::replace(&s, &tenant("b"), user("u1", "x"), None, None).await,
        Err(StoreError::NotFound)
    ));
}

#[tokio::test]
async fn delete_removes_the_user_and_its_memberships() {
    let s = mem();
    let t = tenant("a");
    UserStore::create(&s, &t, user("u1", "a"), None).await.unwrap();
    UserStore::create(&s, &t, user("u2", "b"), None).await.unwrap();
    GroupStore::create(&s, &t, group("g1", "Staff", &["u1", "u2"]), None).await.unwrap();
    let u1 = UserStore::get(&s, &t, "u1").await.unwrap();
    assert_eq!(u1.as_json()["groups"], json!([{"value": "g1", "display": "Staff", "type": "direct"}]));
    UserStore::delete(&s, &t, "u1", None, None).await.unwrap();
    assert!(matches!(UserStore::get(&s, &t, "u1").await, Err(StoreError::NotFound)));
    assert!(matches!(UserStore::delete(&s, &t, "u1", None, None).await, Err(StoreError::NotFound)));
    let g = GroupStore::get(&s, &t, "g1", true).await.unwrap();
    assert_eq!(g.member_ids().collect::<Vec<_>>(), vec!["u2"]);
    assert_eq!(g.version(), Some(Version::new("W/\"2\"")), "leaving a group changes its version");
}

#[tokio::test]
async fn purge_removes_only_expired_suspended_users() {
    let (_dir, s) = on_disk();
    let t = tenant("a");
    let later = t0() + chrono::Duration::days(30);
    UserStore::create(&s, &t, suspended("s1", "s1", later), None).await.unwrap();
    UserStore::create(&s, &tenant("b"), suspended("s2", "s2", t0()), None).await.unwrap();
    UserStore::create(&s, &t, user("live", "live"), None).await.unwrap();
    GroupStore::create(&s, &t, group("g", "G", &["s1", "live"]), None).await.unwrap();
    let purged = s.purge_expired(t0(), None).await.unwrap();
    assert_eq!(purged.len(), 1);
    assert_eq!((purged[0].0.as_str(), purged[0].1.id()), ("b", Some("s2")));
    assert!(matches!(UserStore::get(&s, &tenant("b"), "s2").await, Err(StoreError::NotFound)));
    // Still suspended and visible until its purge time.
    let s1 = UserStore::get(&s, &t, "s1").await.unwrap();
    assert!(!s1.active());
    let purged = s.purge_expired(later, None).await.unwrap();
    assert_eq!(purged.len(), 1);
    assert_eq!(purged[0].1.as_json()["groups"][0]["value"], "g", "returned as it was");
    assert_eq!(GroupStore::get(&s, &t, "g", true).await.unwrap().member_ids().collect::<Vec<_>>(), vec!["live"]);
    assert!(s.purge_expired(later + chrono::Duration::days(999), None).await.unwrap().is_empty());
    UserStore::get(&s, &t, "live").await.unwrap();
}

#[tokio::test]
async fn restored_user_leaves_the_purge_index() {
    let s = mem();
    let t = tenant("a");
    UserStore::create(&s, &t, suspended("u", "u", t0()), None).await.unwrap();
    UserStore::replace(&s, &t, user("u", "u"), None, None).await.unwrap();
    assert!(s.purge_expired(t0() + chrono::Duration::days(1), None).await.unwrap().is_empty());
    assert!(UserStore::get(&s, &t, "u").await.unwrap().active());
}

#[tokio::test]
async fn tenants_never_see_each_other() {
    let s = mem();
    UserStore::create(&s, &tenant("a"), user("u1", "x"), None).await.unwrap();
    GroupStore::create(&s, &tenant("a"), group("g1", "G", &["u1"]), None).await.unwrap();
    let b = tenant("b");
    assert!(matches!(UserStore::get(&s, &b, "u1").await, Err(StoreError::NotFound)));
    assert!(matches!(UserStore::delete(&s, &b, "u1", None, None).await, Err(StoreError::NotFound)));
    assert!(matches!(GroupStore::get(&s, &b, "g1", true).await, Err(StoreError::NotFound)));
    assert_eq!(UserStore::list(&s, &b, &query(None)).await.unwrap().total_results, 0);
    assert_eq!(UserStore::list(&s, &b, &query(Some("userName eq \"x\""))).await.unwrap().total_results, 0);
    assert_eq!(GroupStore::list(&s, &b, &query(None)).await.unwrap().total_results, 0);
}

#[tokio::test]
async fn list_filters_sorts_and_pages() {
    let s = mem();
    let t = tenant("a");
    for (i, name) in ["carol", "Alice", "bob", "dave", "Eve"].iter().enumerate() {
        let mut u = user(&format!("u{i}"), name);
        u.as_object_mut().insert("title".into(), json!(if i % 2 == 0 { "eng" } else { "ops" }));
        UserStore::create(&s, &t, u, None).await.unwrap();
    }
    // No filter: creation order.
    let all = UserStore::list(&s, &t, &query(None)).await.unwrap();
    assert_eq!(ids(&all.items, |u| u.id()), ["u0", "u1", "u2", "u3", "u4"]);
    // Pushed-down filter with SQL sort and paging.
    let mut q = query(Some("userName sw \"\" and not (userName eq \"BOB\")"));
    q.sort_by = Some(SortKey { path: AttrPath::new("userName"), facts: None });
    q.sort_order = SortOrder::Descending;
    q.start_index = 2;
    q.count = 2;
    let page = UserStore::list(&s, &t, &q).await.unwrap();
    assert_eq!(page.total_results, 4);
    assert_eq!(page.start_index, 2);
    assert_eq!(ids(&page.items, |u| u.user_name()), ["dave", "carol"]);
    // Filter evaluated in Rust, sorted and paged in Rust.
    let mut q = query(Some("title eq \"eng\" or userName eq \"alice\""));
    q.sort_by = Some(SortKey { path: AttrPath::new("userName"), facts: None });
    q.count = 10;
    let page = UserStore::list(&s, &t, &q).await.unwrap();
    assert_eq!(ids(&page.items, |u| u.user_name()), ["Alice", "bob", "carol", "Eve"]);
    assert_eq!(page.total_results, 4);
    // count = 0 gives only the total.
    let q = query(Some("userName co \"a\"")).with_count(0);
    let page = UserStore::list(&s, &t, &q).await.unwrap();
    assert_eq!((page.total_results, page.items.len()), (3, 0));
    // Past the end.
    let q = query(None).with_start_index(10);
    let page = UserStore::list(&s, &t, &q).await.unwrap();
    assert_eq!((page.total_results, page.items.len()), (5, 0));
}

/// `İ` folds to two characters, `i` and U+0307; a `co` literal starting with U+0307 must not
/// match inside that pair, as the evaluator (and the memory store) answer.
#[tokio::test]
async fn contains_never_matches_inside_a_folded_dotted_capital_i() {
    let s = mem();
    let t = tenant("a");
    UserStore::create(&s, &t, user("u1", "xİy@x.org"), None).await.unwrap();
    UserStore::create(&s, &t, user("u2", "e\u{307}@x.org"), None).await.unwrap();
    let page = UserStore::list(&s, &t, &query(Some("userName co \"\\u0307\""))).await.unwrap();
    assert_eq!(ids(&page.items, |u| u.id()), ["u2"]);
    let page = UserStore::list(&s, &t, &query(Some("userName co \"İ\""))).await.unwrap();
    assert_eq!(ids(&page.items, |u| u.id()), ["u1"]);
}

#[tokio::test]
async fn list_by_groups_loads_memberships_for_the_evaluation() {
    let s = mem();
    let t = tenant("a");
    UserStore::create(&s, &t, user("u1", "a"), None).await.unwrap();
    UserStore::create(&s, &t, user("u2", "b"), None).await.unwrap();
    GroupStore::create(&s, &t, group("g1", "G", &["u2"]), None).await.unwrap();
    let page = UserStore::list(&s, &t, &query(Some("groups[value eq \"g1\"]"))).await.unwrap();
    assert_eq!(ids(&page.items, |u| u.id()), ["u2"]);
}

#[tokio::test]
async fn group_members_are_rows() {
    let s = mem();
    let t = tenant("a");
    for (id, name) in [("u1", "a"), ("u2", "b"), ("u3", "c"), ("u9", "d")] {
        UserStore::create(&s, &t, user(id, name), None).await.unwrap();
    }
    let created = GroupStore::create(&s, &t, group("g1", "Staff", &["u1", "u2", "u1"]), None).await.unwrap();
    assert_eq!(created.member_ids().collect::<Vec<_>>(), vec!["u1", "u2"]);
    let err = GroupStore::create(&s, &t, group("g2", "STAFF", &[]), None).await.unwrap_err();
    assert!(matches!(err, StoreError::Uniqueness { attribute: "displayName" }), "{err:?}");
    let change = MemberChange { add: vec![json!({"value": "u3", "display": "Carol"})], remove: vec!["u1".into()] };
    let later = t0() + chrono::Duration::hours(1);
    let v =
        GroupStore::modify_members(&s, &t, "g1", &change, later, Some(&Version::new("W/\"1\"")), None).await.unwrap();
    assert_eq!(v, Version::new("W/\"2\""));
    let stale = GroupStore::modify_members(&s, &t, "g1", &change, later, Some(&Version::new("W/\"1\"")), None).await;
    assert!(matches!(stale, Err(StoreError::PreconditionFailed)));
    let g = GroupStore::get(&s, &t, "g1", true).await.unwrap();
    assert_eq!(g.as_json()["members"], json!([{"value": "u2", "type": "User"}, {"value": "u3", "display": "Carol"}]));
    assert_eq!(g.meta().unwrap().last_modified, later);
    assert_eq!(g.version(), Some(v));
    let bare = GroupStore::get(&s, &t, "g1", false).await.unwrap();
    assert!(bare.as_json().get("members").is_none());
    let q = query(Some("members[value eq \"u3\"]")).with_members(false);
    let page = GroupStore::list(&s, &t, &q).await.unwrap();
    assert_eq!(page.total_results, 1);
    assert!(page.items[0].as_json().get("members").is_none());
    let page = GroupStore::list(&s, &t, &query(Some("displayName eq \"staff\""))).await.unwrap();
    assert_eq!(page.items[0].member_ids().count(), 2);
    GroupStore::replace(&s, &t, group("g1", "Staff", &["u9"]), None, None).await.unwrap();
    let g = GroupStore::get(&s, &t, "g1", true).await.unwrap();
    assert_eq!(g.member_ids().collect::<Vec<_>>(), vec!["u9"]);
    GroupStore::delete(&s, &t, "g1", None, None).await.unwrap();
    assert!(matches!(GroupStore::get(&s, &t, "g1", true).await, Err(StoreError::NotFound)));
    GroupStore::create(&s, &t, group("g1", "Staff", &[]), None).await.unwrap();
    assert!(GroupStore::get(&s, &t, "g1", true).await.unwrap().as_json().get("members").is_none());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_conditional_updates_never_lose_one() {
    let (_dir, s) = on_disk();
    let t = tenant("a");
    let mut u = user("u", "counter");
    u.as_object_mut().insert("nickName".into(), json!("0"));
    UserStore::create(&s, &t, u, None).await.unwrap();
    let s = Arc::new(s);
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let (s, t) = (Arc::clone(&s), t.clone());
        tasks.push(tokio::spawn(async move {
            for _ in 0..5 {
                loop {
                    let mut cur = UserStore::get(&*s, &t, "u").await.unwrap();
                    let v = cur.version().unwrap();
                    let n: u64 = cur.as_json()["nickName"].as_str().unwrap().parse().unwrap();
                    cur.as_object_mut().insert("nickName".into(), json!((n + 1).to_string()));
                    match UserStore::replace(&*s, &t, cur, Some(&v), None).await {
                        Ok(_) => break,
                        Err(StoreError::PreconditionFailed) => {}
                        Err(e) => panic!("{e}"),
                    }
                }
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    let u = UserStore::get(&*s, &t, "u").await.unwrap();
    assert_eq!(u.as_json()["nickName"], "80");
    assert_eq!(u.version(), Some(Version::new("W/\"81\"")));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_creates_of_one_user_name_make_one_user() {
    let (_dir, s) = on_disk();
    let s = Arc::new(s);
    let t = tenant("a");
    let mut tasks = Vec::new();
    for i in 0..16 {
        let (s, t) = (Arc::clone(&s), t.clone());
        tasks.push(tokio::spawn(async move { UserStore::create(&*s, &t, user(&format!("u{i}"), "Same"), None).await }));
    }
    let mut ok = 0;
    for task in tasks {
        match task.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StoreError::Uniqueness { .. }) => {}
            Err(e) => panic!("{e}"),
        }
    }
    assert_eq!(ok, 1);
    assert_eq!(UserStore::list(&*s, &t, &query(Some("userName eq \"same\""))).await.unwrap().total_results, 1);
}

#[tokio::test]
async fn data_survives_reopen_with_either_durability() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scim.db");
    for (i, durability) in [Durability::Full, Durability::Normal].into_iter().enumerate() {
        let s = SqliteUserStore::open_with(&path, SqliteOptions::new().with_durability(durability)).unwrap();
        UserStore::create(&s, &tenant("a"), user(&format!("u{i}"), &format!("n{i}")), None).await.unwrap();
    }
    let s = SqliteUserStore::open(&path).unwrap();
    assert_eq!(UserStore::list(&s, &tenant("a"), &query(None)).await.unwrap().total_results, 2);
}

#[tokio::test]
async fn listed_users_carry_the_same_groups_as_get() {
    let (_dir, s) = on_disk();
    let t = tenant("a");
    for i in 0..7 {
        UserStore::create(&s, &t, user(&format!("u{i}"), &format!("n{i}")), None).await.unwrap();
    }
    GroupStore::create(&s, &t, group("g1", "One", &["u1", "u2", "u5"]), None).await.unwrap();
    GroupStore::create(&s, &t, group("g2", "Two", &["u2", "u6"]), None).await.unwrap();
    // An exact (SQL-paged) list and a Rust-evaluated one.
    for q in [query(None), query(Some("title pr or userName sw \"n\""))] {
        let page = UserStore::list(&s, &t, &q).await.unwrap();
        assert_eq!(page.items.len(), 7);
        for item in &page.items {
            let got = UserStore::get(&s, &t, item.id().unwrap()).await.unwrap();
            assert_eq!(item.as_json().get("groups"), got.as_json().get("groups"), "{:?}", item.id());
        }
        let u2 = page.items.iter().find(|u| u.id() == Some("u2")).unwrap();
        assert_eq!(
            u2.as_json()["groups"],
            json!([{"value": "g1", "display": "One", "type": "direct"}, {"value": "g2", "display": "Two", "type": "direct"}])
        );
        assert!(page.items[0].as_json().get("groups").is_none());
    }
}

#[tokio::test]
async fn groups_come_in_group_creation_order_whatever_the_order_of_joining() {
    let (_dir, s) = on_disk();
    let t = tenant("a");
    UserStore::create(&s, &t, user("u1", "n1"), None).await.unwrap();
    UserStore::create(&s, &t, user("u2", "n2"), None).await.unwrap();
    GroupStore::create(&s, &t, group("gb", "B \"quoted\" ünïcode", &[]), None).await.unwrap();
    GroupStore::create(&s, &t, group("ga", "A", &["u1"]), None).await.unwrap();
    let join = MemberChange { add: vec![json!({"value": "u1"})], remove: Vec::new() };
    GroupStore::modify_members(&s, &t, "gb", &join, t0(), None, None).await.unwrap();
    let expected = json!([
        {"value": "gb", "display": "B \"quoted\" ünïcode", "type": "direct"},
        {"value": "ga", "display": "A", "type": "direct"}
    ]);
    assert_eq!(UserStore::get(&s, &t, "u1").await.unwrap().as_json()["groups"], expected);
    // The write path derives them with its own query: the same answer.
    let replaced = UserStore::replace(&s, &t, user("u1", "n1"), None, None).await.unwrap();
    assert_eq!(replaced.as_json()["groups"], expected);
    for q in [query(None), query(Some("userName eq \"n1\"")), query(Some("title pr or userName sw \"n\""))] {
        let page = UserStore::list(&s, &t, &q).await.unwrap();
        let u1 = page.items.iter().find(|u| u.id() == Some("u1")).unwrap();
        assert_eq!(u1.as_json()["groups"], expected);
        let u2 = page.items.iter().find(|u| u.id() == Some("u2"));
        assert!(u2.is_none_or(|u| u.as_json().get("groups").is_none()));
    }
}

#[tokio::test]
async fn pages_under_an_indexed_filter_come_in_creation_order_with_the_full_total() {
    let s = mem();
    let t = tenant("a");
    // userNames in an order unrelated to creation order, and some that do not match.
    for i in 0..40 {
        let name = if i % 4 == 3 { format!("other{i}") } else { format!("m{:02}", (i * 17) % 40) };
        UserStore::create(&s, &t, user(&format!("u{i}"), &name), None).await.unwrap();
    }
    let all = UserStore::list(&s, &t, &query(Some("userName sw \"m\""))).await.unwrap();
    assert_eq!(all.total_results, 30);
    let expected: Vec<String> = (0..40).filter(|i| i % 4 != 3).map(|i| format!("u{i}")).collect();
    assert_eq!(ids(&all.items, |u| u.id()), expected);
    for (start_index, count) in [(1, 1), (1, 7), (5, 10), (29, 5), (30, 1), (31, 3), (100, 2), (1, 0)] {
        let mut q = query(Some("userName sw \"m\""));
        q.start_index = start_index;
        q.count = count;
        let page = UserStore::list(&s, &t, &q).await.unwrap();
        assert_eq!(page.total_results, 30, "{start_index} {count}");
        let want: Vec<String> = expected.iter().skip(start_index - 1).take(count).cloned().collect();
        assert_eq!(ids(&page.items, |u| u.id()), want, "{start_index} {count}");
    }
}
