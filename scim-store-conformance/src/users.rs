//! User CRUD, uniqueness, versions, concurrency and tenant isolation.

use crate::support::{content, group, seed, sorted_emails, suspended, t0, tenant, user};
use chrono::Duration;
use futures_util::future::join_all;
use scim_core::store::ListQuery;
use scim_core::{DynGroupStore, DynUserStore, StoreError, Version};
use serde_json::{Value, json};
use std::sync::Arc;

fn is_uniqueness<T: std::fmt::Debug>(r: &Result<T, StoreError>) -> bool {
    matches!(r, Err(StoreError::Uniqueness { .. }))
}

/// `create` then `get` returns the stored document, every attribute intact.
pub async fn create_get_round_trip(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("round_trip", "a");
    let mut u = user("2819c223-7f76-453a-919d-413861904646", "bjensen@example.com");
    u.as_object_mut().insert("emails".into(), json!([{"value": "bjensen@example.com", "type": "work"}]));
    u.as_object_mut().insert(
        "name".into(),
        json!({"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen III"}),
    );
    u.as_object_mut().insert(
        scim_core::urn::ENTERPRISE_USER.into(),
        json!({"employeeNumber": "701984", "manager": {"value": "26118915"}}),
    );
    let created = users.create(&t, u.clone(), None).await.expect("create");
    assert_eq!(content(created.as_json()), content(u.as_json()), "create returns the document");
    let got = users.get(&t, "2819c223-7f76-453a-919d-413861904646").await.expect("get");
    assert_eq!(content(got.as_json()), content(u.as_json()), "get returns the document");
    assert_eq!(got.meta().map(|m| m.created), Some(t0()), "meta.created kept");
    assert_eq!(got.version(), created.version());
}

/// A created user has version `W/"1"`.
pub async fn create_sets_first_version(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("first_version", "a");
    let created = users.create(&t, user("u1", "a@example.com"), None).await.expect("create");
    let v = created.version().expect("version set by the store");
    assert!(v.matches(&Version::from_revision(1)), "first version is W/\"1\", got {v}");
    assert_eq!(users.get(&t, "u1").await.expect("get").version(), Some(v));
}

/// A second user with a taken `id` is `Uniqueness`, and the first is untouched.
pub async fn create_duplicate_id_is_uniqueness(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("duplicate_id", "a");
    users.create(&t, user("u1", "a@example.com"), None).await.expect("create");
    assert!(is_uniqueness(&users.create(&t, user("u1", "b@example.com"), None).await));
    assert_eq!(users.get(&t, "u1").await.expect("get").user_name(), Some("a@example.com"));
}

/// `userName` is unique per tenant, ignoring case.
pub async fn duplicate_user_name_is_uniqueness(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("duplicate_user_name", "a");
    users.create(&t, user("u1", "BJensen@Example.com"), None).await.expect("create");
    assert!(is_uniqueness(&users.create(&t, user("u2", "bjensen@example.com"), None).await));
    assert!(is_uniqueness(&users.create(&t, user("u3", "BJENSEN@EXAMPLE.COM"), None).await));
    assert!(matches!(users.get(&t, "u2").await, Err(StoreError::NotFound)), "nothing stored on conflict");
    let page = users.list(&t, &ListQuery::default()).await.expect("list");
    assert_eq!(page.total_results, 1);
}

/// Case folding of `userName` is Unicode lowercasing, not only ASCII.
pub async fn duplicate_user_name_ignores_unicode_case(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("unicode_user_name", "a");
    users.create(&t, user("u1", "ZOË.MÜLLER@example.com"), None).await.expect("create");
    assert!(is_uniqueness(&users.create(&t, user("u2", "zoë.müller@example.com"), None).await));
    users.create(&t, user("u3", "zoe.muller@example.com"), None).await.expect("different letters are different names");
}

/// A suspended user keeps its `userName`: nobody else may take it.
pub async fn duplicate_user_name_of_suspended_user_is_uniqueness(
    users: Arc<DynUserStore>,
    _groups: Arc<DynGroupStore>,
) {
    let t = tenant("suspended_user_name", "a");
    let u = suspended(user("u1", "leaver@example.com"), t0(), t0() + Duration::days(30));
    users.create(&t, u, None).await.expect("create suspended");
    assert!(is_uniqueness(&users.create(&t, user("u2", "Leaver@example.com"), None).await));
}

/// After a hard delete, the `userName` can be used again.
pub async fn user_name_is_free_again_after_delete(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("user_name_free", "a");
    users.create(&t, user("u1", "a@example.com"), None).await.expect("create");
    users.delete(&t, "u1", None, None).await.expect("delete");
    users.create(&t, user("u2", "A@example.com"), None).await.expect("name free again");
}

/// Renaming a user to another user's `userName` (any case) is `Uniqueness`; nothing changes.
pub async fn rename_to_taken_user_name_is_uniqueness(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("rename_taken", "a");
    users.create(&t, user("u1", "a@example.com"), None).await.expect("create");
    let b = users.create(&t, user("u2", "b@example.com"), None).await.expect("create");
    let mut renamed = b.clone();
    renamed.as_object_mut().insert("userName".into(), json!("A@EXAMPLE.COM"));
    assert!(is_uniqueness(&users.replace(&t, renamed, None, None).await));
    let got = users.get(&t, "u2").await.expect("get");
    assert_eq!(got.user_name(), Some("b@example.com"));
    assert_eq!(got.version(), b.version(), "a failed replace changes nothing");
    // the old name of a renamed user is free
    let mut renamed = got;
    renamed.as_object_mut().insert("userName".into(), json!("c@example.com"));
    users.replace(&t, renamed, None, None).await.expect("rename");
    users.create(&t, user("u3", "B@example.com"), None).await.expect("old name is free");
}

/// A user may change the case of its own `userName`.
pub async fn rename_to_own_user_name_in_other_case(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("rename_own", "a");
    let mut u = users.create(&t, user("u1", "a@example.com"), None).await.expect("create");
    u.as_object_mut().insert("userName".into(), json!("A@Example.com"));
    let out = users.replace(&t, u, None, None).await.expect("replace");
    assert_eq!(out.user_name(), Some("A@Example.com"));
    assert!(is_uniqueness(&users.create(&t, user("u2", "a@example.com"), None).await));
}

/// `get` of an unknown id is `NotFound`.
pub async fn get_unknown_user_is_not_found(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("get_unknown", "a");
    assert!(matches!(users.get(&t, "nope").await, Err(StoreError::NotFound)));
    users.create(&t, user("u1", "a@example.com"), None).await.expect("create");
    assert!(matches!(users.get(&t, "U1-other").await, Err(StoreError::NotFound)));
}

/// `replace` never creates.
pub async fn replace_unknown_user_is_not_found(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("replace_unknown", "a");
    assert!(matches!(users.replace(&t, user("ghost", "g@example.com"), None, None).await, Err(StoreError::NotFound)));
    assert!(matches!(users.get(&t, "ghost").await, Err(StoreError::NotFound)));
}

/// `delete` of an unknown id is `NotFound`.
pub async fn delete_unknown_user_is_not_found(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("delete_unknown", "a");
    assert!(matches!(users.delete(&t, "ghost", None, None).await, Err(StoreError::NotFound)));
}

/// Each `replace` bumps the version by one, and stores `meta.lastModified` as given.
pub async fn replace_bumps_version(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("bump", "a");
    let mut u = users.create(&t, user("u1", "a@example.com"), None).await.expect("create");
    for n in 2..=4u64 {
        u.as_object_mut().insert("title".into(), json!(format!("title {n}")));
        u.set_last_modified(t0() + Duration::seconds(i64::try_from(n).unwrap_or(0)));
        u = users.replace(&t, u, None, None).await.expect("replace");
        let v = u.version().expect("version");
        assert!(v.matches(&Version::from_revision(n)), "version {n} expected, got {v}");
    }
    let got = users.get(&t, "u1").await.expect("get");
    assert_eq!(got.as_object().get("title"), Some(&json!("title 4")));
    let meta = got.meta().expect("meta");
    assert_eq!(meta.last_modified, t0() + Duration::seconds(4));
    assert_eq!(meta.created, t0());
}

/// A `replace` with a stale `if_match` is `PreconditionFailed` and changes nothing.
pub async fn replace_with_stale_version_fails(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("stale", "a");
    let v1 = users.create(&t, user("u1", "a@example.com"), None).await.expect("create");
    let mut edit = v1.clone();
    edit.as_object_mut().insert("title".into(), json!("first"));
    let v2 = users.replace(&t, edit, v1.version().as_ref(), None).await.expect("replace with current version");
    let mut stale = v1.clone();
    stale.as_object_mut().insert("title".into(), json!("second"));
    let r = users.replace(&t, stale, v1.version().as_ref(), None).await;
    assert!(matches!(r, Err(StoreError::PreconditionFailed)), "stale if_match: {r:?}");
    let got = users.get(&t, "u1").await.expect("get");
    assert_eq!(got.as_object().get("title"), Some(&json!("first")));
    assert_eq!(got.version(), v2.version());
}

/// `if_match` accepts `*`, the weak form and the strong form of the current version.
pub async fn replace_with_matching_version_forms(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("version_forms", "a");
    let u = users.create(&t, user("u1", "a@example.com"), None).await.expect("create");
    let u = users.replace(&t, u, Some(&Version::new("*")), None).await.expect("* matches");
    let u = users.replace(&t, u, Some(&Version::new("W/\"2\"")), None).await.expect("weak form matches");
    let u = users.replace(&t, u, Some(&Version::new("\"3\"")), None).await.expect("strong form matches");
    assert!(u.version().expect("version").matches(&Version::from_revision(4)));
}

/// A `delete` with a stale `if_match` is `PreconditionFailed` and keeps the user.
pub async fn delete_with_stale_version_fails(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("stale_delete", "a");
    let v1 = users.create(&t, user("u1", "a@example.com"), None).await.expect("create");
    users.replace(&t, v1.clone(), None, None).await.expect("replace");
    let r = users.delete(&t, "u1", v1.version().as_ref(), None).await;
    assert!(matches!(r, Err(StoreError::PreconditionFailed)), "{r:?}");
    users.get(&t, "u1").await.expect("still there");
    users.delete(&t, "u1", Some(&Version::from_revision(2)), None).await.expect("current version deletes");
}

/// 16 writers doing read-modify-write loops with `if_match` never lose an update.
pub async fn concurrent_writers_lose_no_update(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("concurrent", "a");
    users.create(&t, user("u1", "a@example.com"), None).await.expect("create");
    let users = &*users;
    let writers: Vec<_> = (0..16)
        .map(|w| {
            let t = t.clone();
            async move {
                let mut conflicts: usize = 0;
                loop {
                    let mut u = users.get(&t, "u1").await.expect("get");
                    let read = u.version();
                    tokio::task::yield_now().await;
                    let emails = u.as_object_mut().entry("emails").or_insert_with(|| json!([]));
                    if let Value::Array(list) = emails {
                        list.push(json!({"value": format!("writer{w}@example.com")}));
                    }
                    match users.replace(&t, u, read.as_ref(), None).await {
                        Ok(_) => return conflicts,
                        Err(StoreError::PreconditionFailed) => conflicts += 1,
                        Err(e) => panic!("replace: {e}"),
                    }
                    assert!(conflicts < 1000, "writer {w} starved");
                }
            }
        })
        .collect();
    let conflicts: usize = join_all(writers).await.into_iter().sum();
    let got = users.get(&t, "u1").await.expect("get");
    let emails = sorted_emails(&got);
    let mut expected: Vec<String> = (0..16).map(|w| format!("writer{w}@example.com")).collect();
    expected.sort();
    assert_eq!(emails, expected, "every writer's email is there exactly once ({conflicts} conflicts retried)");
    assert!(got.version().expect("version").matches(&Version::from_revision(17)));
}

/// After `delete`, `get` is `NotFound` and lists do not show the user.
pub async fn hard_delete_makes_user_not_found(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("hard_delete", "a");
    seed(&*users, &t, 3).await;
    users.delete(&t, "u001", None, None).await.expect("delete");
    assert!(matches!(users.get(&t, "u001").await, Err(StoreError::NotFound)));
    assert!(matches!(users.delete(&t, "u001", None, None).await, Err(StoreError::NotFound)));
    let page = users.list(&t, &ListQuery::default()).await.expect("list");
    assert_eq!(crate::support::ids(&page.items), ["u000", "u002"]);
    assert_eq!(page.total_results, 2);
}

/// A `groups` attribute sent with a user is not stored: `groups` comes from memberships only.
pub async fn stored_groups_attribute_is_ignored(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("groups_ignored", "a");
    let mut u = user("u1", "a@example.com");
    u.as_object_mut().insert("groups".into(), json!([{"value": "g-forged"}]));
    let out = users.create(&t, u, None).await.expect("create");
    assert!(out.as_object().get("groups").is_none(), "forged groups dropped: {:?}", out.as_json());
    groups.create(&t, group("g1", "Real", &["u1"]), None).await.expect("group");
    let got = users.get(&t, "u1").await.expect("get");
    assert_eq!(crate::support::group_values(&got), ["g1"]);
}

/// Tenant A never sees tenant B's users, by id, by list or by filter.
pub async fn tenants_never_see_each_other(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let (a, b) = (tenant("isolation_see", "a"), tenant("isolation_see", "b"));
    users.create(&b, user("b1", "secret@b.example"), None).await.expect("create");
    assert!(matches!(users.get(&a, "b1").await, Err(StoreError::NotFound)));
    let page = users.list(&a, &ListQuery::default()).await.expect("list");
    assert_eq!(page.total_results, 0);
    assert!(page.items.is_empty());
    let f = crate::filters::query_filter("userName eq \"secret@b.example\" or id eq \"b1\"");
    let page = users.list(&a, &ListQuery::new().with_filter(f)).await.expect("list");
    assert_eq!(page.total_results, 0);
}

/// Tenant A cannot replace tenant B's user, even with its id.
pub async fn tenants_cannot_change_each_others_users(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let (a, b) = (tenant("isolation_change", "a"), tenant("isolation_change", "b"));
    let theirs = users.create(&b, user("b1", "victim@b.example"), None).await.expect("create");
    let mut forged = theirs.clone();
    forged.as_object_mut().insert("title".into(), json!("pwned"));
    assert!(matches!(users.replace(&a, forged, None, None).await, Err(StoreError::NotFound)));
    let got = users.get(&b, "b1").await.expect("get");
    assert_eq!(got.as_json(), theirs.as_json());
    assert!(matches!(users.get(&a, "b1").await, Err(StoreError::NotFound)), "no user created in A");
}

/// Tenant A cannot delete tenant B's user, even with its id.
pub async fn tenants_cannot_delete_each_others_users(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let (a, b) = (tenant("isolation_delete", "a"), tenant("isolation_delete", "b"));
    users.create(&a, user("a1", "mine@a.example"), None).await.expect("create");
    users.create(&b, user("b1", "victim@b.example"), None).await.expect("create");
    assert!(matches!(users.delete(&a, "b1", None, None).await, Err(StoreError::NotFound)));
    users.get(&b, "b1").await.expect("still there");
}

/// The same `userName` and even the same `id` can exist in two tenants.
pub async fn tenants_have_separate_user_names(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let (a, b) = (tenant("isolation_names", "a"), tenant("isolation_names", "b"));
    users.create(&a, user("same", "same@example.com"), None).await.expect("create in A");
    users.create(&b, user("same", "same@example.com"), None).await.expect("create in B");
    let mut in_b = users.get(&b, "same").await.expect("get");
    in_b.as_object_mut().insert("title".into(), json!("B only"));
    users.replace(&b, in_b, None, None).await.expect("replace in B");
    assert!(users.get(&a, "same").await.expect("get A").as_object().get("title").is_none());
    users.delete(&b, "same", None, None).await.expect("delete in B");
    users.get(&a, "same").await.expect("A's user survives");
}

/// Tenant A cannot read, change, delete or add members to tenant B's groups.
pub async fn tenants_cannot_touch_each_others_groups(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let (a, b) = (tenant("isolation_groups", "a"), tenant("isolation_groups", "b"));
    users.create(&b, user("b1", "b1@b.example"), None).await.expect("create");
    groups.create(&b, group("g1", "Admins", &["b1"]), None).await.expect("create group");
    assert!(matches!(groups.get(&a, "g1", true).await, Err(StoreError::NotFound)));
    assert!(matches!(groups.replace(&a, group("g1", "Pwned", &[]), None, None).await, Err(StoreError::NotFound)));
    let change = scim_core::store::MemberChange { add: vec![json!({"value": "intruder"})], remove: vec!["b1".into()] };
    assert!(matches!(groups.modify_members(&a, "g1", &change, t0(), None, None).await, Err(StoreError::NotFound)));
    assert!(matches!(groups.delete(&a, "g1", None, None).await, Err(StoreError::NotFound)));
    let page = groups.list(&a, &ListQuery::default()).await.expect("list");
    assert_eq!(page.total_results, 0);
    let g = groups.get(&b, "g1", true).await.expect("get");
    assert_eq!(g.display_name(), Some("Admins"));
    assert_eq!(crate::support::member_values(&g), ["b1"]);
    // A's own group may reuse the name
    groups.create(&a, group("g1", "Admins", &[]), None).await.expect("same name in A");
}
