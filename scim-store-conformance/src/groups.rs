//! Groups: uniqueness, members, derived `User.groups`.

use crate::support::{group, group_values, member_values, seed, t0, tenant, user};
use chrono::Duration;
use scim_core::store::{ListQuery, MemberChange};
use scim_core::{DynGroupStore, DynUserStore, StoreError, Version};
use serde_json::json;
use std::sync::Arc;

/// `create` then `get` returns the group with its members.
pub async fn group_create_get_round_trip(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("group_round_trip", "a");
    seed(&*users, &t, 2).await;
    let created = groups.create(&t, group("g1", "Sales", &["u000", "u001"]), None).await.expect("create");
    assert!(created.version().expect("version").matches(&Version::from_revision(1)));
    let got = groups.get(&t, "g1", true).await.expect("get");
    assert_eq!(got.display_name(), Some("Sales"));
    assert_eq!(member_values(&got), ["u000", "u001"]);
    assert_eq!(got.meta().map(|m| m.created), Some(t0()));
}

/// Group `displayName` is unique per tenant, ignoring case.
pub async fn group_duplicate_display_name_is_uniqueness(_users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("group_duplicate", "a");
    groups.create(&t, group("g1", "Sales Team", &[]), None).await.expect("create");
    let r = groups.create(&t, group("g2", "SALES team", &[]), None).await;
    assert!(matches!(r, Err(StoreError::Uniqueness { .. })), "{r:?}");
    assert!(matches!(groups.get(&t, "g2", true).await, Err(StoreError::NotFound)));
}

/// Renaming a group to a taken `displayName` is `Uniqueness`; renaming to its own name in
/// another case is fine.
pub async fn group_rename_to_taken_display_name_is_uniqueness(_users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("group_rename", "a");
    groups.create(&t, group("g1", "One", &[]), None).await.expect("create");
    groups.create(&t, group("g2", "Two", &[]), None).await.expect("create");
    let r = groups.replace(&t, group("g2", "ONE", &[]), None, None).await;
    assert!(matches!(r, Err(StoreError::Uniqueness { .. })), "{r:?}");
    groups.replace(&t, group("g2", "TWO", &[]), None, None).await.expect("own name, other case");
    groups.replace(&t, group("g2", "Three", &[]), None, None).await.expect("rename");
    groups.create(&t, group("g3", "two", &[]), None).await.expect("old name free");
}

/// `get` with `include_members = false` leaves `members` out; the rest is there.
pub async fn group_get_without_members(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("group_no_members", "a");
    seed(&*users, &t, 3).await;
    groups.create(&t, group("g1", "All", &["u000", "u001", "u002"]), None).await.expect("create");
    let g = groups.get(&t, "g1", false).await.expect("get");
    assert!(g.as_object().get("members").is_none(), "{:?}", g.as_json());
    assert_eq!(g.display_name(), Some("All"));
    assert!(g.version().is_some());
    let page = groups.list(&t, &ListQuery::new().with_members(false)).await.expect("list");
    assert!(page.items[0].as_object().get("members").is_none());
    let page = groups.list(&t, &ListQuery::default()).await.expect("list");
    assert_eq!(member_values(&page.items[0]).len(), 3);
}

/// `modify_members` adds and removes only the named members, bumps the version and sets
/// `meta.lastModified`; adding a present member or removing an absent one is harmless.
pub async fn modify_members_adds_and_removes(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("modify_members", "a");
    seed(&*users, &t, 4).await;
    groups.create(&t, group("g1", "G", &["u000", "u001"]), None).await.expect("create");
    let later = t0() + Duration::hours(1);
    let change = MemberChange {
        add: vec![json!({"value": "u002", "display": "Two"}), json!({"value": "u000"})],
        remove: vec!["u001".into(), "absent".into()],
    };
    let v = groups.modify_members(&t, "g1", &change, later, None, None).await.expect("modify");
    assert!(v.matches(&Version::from_revision(2)), "{v}");
    let g = groups.get(&t, "g1", true).await.expect("get");
    assert_eq!(member_values(&g), ["u000", "u002"]);
    assert_eq!(g.version(), Some(v.clone()));
    assert_eq!(g.meta().map(|m| m.last_modified), Some(later));
    let added = g.as_object()["members"].as_array().and_then(|m| m.iter().find(|m| m["value"] == "u002")).cloned();
    assert_eq!(added.and_then(|m| m.get("display").cloned()), Some(json!("Two")), "member attributes kept");
    let v3 = groups
        .modify_members(
            &t,
            "g1",
            &MemberChange { add: vec![json!({"value": "u003"})], remove: vec![] },
            later,
            Some(&v),
            None,
        )
        .await
        .expect("with current version");
    assert!(v3.matches(&Version::from_revision(3)));
}

/// `modify_members` with a stale `if_match` is `PreconditionFailed` and changes nothing.
pub async fn modify_members_with_stale_version_fails(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("modify_stale", "a");
    seed(&*users, &t, 2).await;
    groups.create(&t, group("g1", "G", &["u000"]), None).await.expect("create");
    let add = MemberChange { add: vec![json!({"value": "u001"})], remove: vec![] };
    let r = groups.modify_members(&t, "g1", &add, t0(), Some(&Version::from_revision(7)), None).await;
    assert!(matches!(r, Err(StoreError::PreconditionFailed)), "{r:?}");
    assert_eq!(member_values(&groups.get(&t, "g1", true).await.expect("get")), ["u000"]);
}

/// `modify_members` on an unknown group is `NotFound`.
pub async fn modify_members_unknown_group_is_not_found(_users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("modify_unknown", "a");
    let add = MemberChange { add: vec![json!({"value": "u001"})], remove: vec![] };
    assert!(matches!(groups.modify_members(&t, "nope", &add, t0(), None, None).await, Err(StoreError::NotFound)));
}

/// `replace` replaces the whole member list, and users' `groups` follow.
pub async fn group_replace_replaces_members(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("group_replace", "a");
    seed(&*users, &t, 3).await;
    groups.create(&t, group("g1", "G", &["u000", "u001"]), None).await.expect("create");
    let out = groups.replace(&t, group("g1", "G", &["u001", "u002"]), None, None).await.expect("replace");
    assert!(out.version().expect("version").matches(&Version::from_revision(2)));
    assert_eq!(member_values(&groups.get(&t, "g1", true).await.expect("get")), ["u001", "u002"]);
    assert!(group_values(&users.get(&t, "u000").await.expect("get")).is_empty());
    assert_eq!(group_values(&users.get(&t, "u002").await.expect("get")), ["g1"]);
    groups.replace(&t, group("g1", "G", &[]), None, None).await.expect("empty");
    assert!(member_values(&groups.get(&t, "g1", true).await.expect("get")).is_empty());
    assert!(group_values(&users.get(&t, "u001").await.expect("get")).is_empty());
}

/// A user's `groups` lists the groups it is a member of, with their `displayName`.
pub async fn user_groups_are_derived_from_memberships(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("derived_groups", "a");
    seed(&*users, &t, 2).await;
    groups.create(&t, group("g1", "One", &["u000"]), None).await.expect("create");
    groups.create(&t, group("g2", "Two", &["u000", "u001"]), None).await.expect("create");
    let u = users.get(&t, "u000").await.expect("get");
    assert_eq!(group_values(&u), ["g1", "g2"]);
    let entry = u.as_object()["groups"].as_array().and_then(|g| g.iter().find(|g| g["value"] == "g2")).cloned();
    assert_eq!(entry.and_then(|e| e.get("display").cloned()), Some(json!("Two")));
    let listed = users.list(&t, &ListQuery::default()).await.expect("list");
    assert_eq!(group_values(&listed.items[1]), ["g2"], "lists derive groups too");
    let rm = MemberChange { add: vec![], remove: vec!["u000".into()] };
    groups.modify_members(&t, "g2", &rm, t0(), None, None).await.expect("remove");
    assert_eq!(group_values(&users.get(&t, "u000").await.expect("get")), ["g1"]);
    // a user with no group has no (or an empty) `groups`
    let mut u = users.get(&t, "u001").await.expect("get");
    assert_eq!(group_values(&u), ["g2"]);
    groups
        .modify_members(&t, "g2", &MemberChange { add: vec![], remove: vec!["u001".into()] }, t0(), None, None)
        .await
        .expect("rm");
    u = users.get(&t, "u001").await.expect("get");
    assert!(group_values(&u).is_empty());
}

/// Deleting a user removes it from every group at once.
pub async fn delete_user_removes_it_from_groups(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("delete_user_groups", "a");
    seed(&*users, &t, 3).await;
    groups.create(&t, group("g1", "One", &["u000", "u001"]), None).await.expect("create");
    groups.create(&t, group("g2", "Two", &["u001", "u002"]), None).await.expect("create");
    users.delete(&t, "u001", None, None).await.expect("delete");
    assert_eq!(member_values(&groups.get(&t, "g1", true).await.expect("get")), ["u000"]);
    assert_eq!(member_values(&groups.get(&t, "g2", true).await.expect("get")), ["u002"]);
    // re-creating a user with the same id does not resurrect memberships
    users.create(&t, user("u001", "again@example.com"), None).await.expect("create");
    assert!(group_values(&users.get(&t, "u001").await.expect("get")).is_empty());
}

/// Deleting a group removes it from its members' `groups`.
pub async fn delete_group_removes_it_from_user_groups(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("delete_group", "a");
    seed(&*users, &t, 1).await;
    groups.create(&t, group("g1", "One", &["u000"]), None).await.expect("create");
    groups.create(&t, group("g2", "Two", &["u000"]), None).await.expect("create");
    let r = groups.delete(&t, "g1", Some(&Version::from_revision(9)), None).await;
    assert!(matches!(r, Err(StoreError::PreconditionFailed)), "{r:?}");
    groups.delete(&t, "g1", None, None).await.expect("delete");
    assert!(matches!(groups.get(&t, "g1", true).await, Err(StoreError::NotFound)));
    assert!(matches!(groups.delete(&t, "g1", None, None).await, Err(StoreError::NotFound)));
    assert_eq!(group_values(&users.get(&t, "u000").await.expect("get")), ["g2"]);
    groups.create(&t, group("g3", "one", &[]), None).await.expect("name free again");
}

/// Deleting a group takes it out of the groups it is a member of, and bumps their versions.
pub async fn delete_group_removes_it_from_parent_groups(_users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("delete_nested_group", "a");
    groups.create(&t, group("child", "Child", &[]), None).await.expect("create");
    groups.create(&t, group("parent", "Parent", &["child"]), None).await.expect("create");
    assert_eq!(member_values(&groups.get(&t, "parent", true).await.expect("get")), ["child"]);
    groups.delete(&t, "child", None, None).await.expect("delete");
    let parent = groups.get(&t, "parent", true).await.expect("get");
    assert!(member_values(&parent).is_empty(), "{:?}", member_values(&parent));
    assert!(parent.version().expect("version").matches(&Version::from_revision(2)));
}

/// A member must name a user or another group of the tenant: create, replace and
/// `modify_members` drop the others (unknown ids, another tenant's users, the group itself),
/// and what they return shows the members stored.
pub async fn group_members_must_exist(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("members_exist", "a");
    let other = tenant("members_exist", "b");
    seed(&*users, &t, 2).await;
    users.create(&other, user("foreign", "foreign@example.com"), None).await.expect("create");
    groups.create(&t, group("g0", "Zero", &[]), None).await.expect("create");

    let created =
        groups.create(&t, group("g1", "One", &["u000", "ghost", "g0", "g1", "foreign"]), None).await.expect("create");
    assert_eq!(member_values(&created), ["g0", "u000"]);
    assert_eq!(member_values(&groups.get(&t, "g1", true).await.expect("get")), ["g0", "u000"]);

    let replaced = groups.replace(&t, group("g1", "One", &["ghost", "u001", "g1"]), None, None).await.expect("replace");
    assert_eq!(member_values(&replaced), ["u001"]);
    assert!(replaced.version().expect("version").matches(&Version::from_revision(2)));

    // Only unknown ids: nothing changes, the version stays.
    let change = MemberChange { add: vec![json!({"value": "ghost"}), json!({"value": "g1"})], remove: vec![] };
    let v = groups.modify_members(&t, "g1", &change, t0(), None, None).await.expect("modify");
    assert!(v.matches(&Version::from_revision(2)), "{v}");
    let change = MemberChange { add: vec![json!({"value": "ghost"}), json!({"value": "u000"})], remove: vec![] };
    let v = groups.modify_members(&t, "g1", &change, t0(), None, None).await.expect("modify");
    assert!(v.matches(&Version::from_revision(3)), "{v}");
    let got = groups.get(&t, "g1", true).await.expect("get");
    assert_eq!(member_values(&got), ["u000", "u001"]);
    assert_eq!(group_values(&users.get(&t, "u000").await.expect("get")), ["g1"]);

    // A user deleted before the change is not added back.
    users.delete(&t, "u001", None, None).await.expect("delete");
    let change = MemberChange { add: vec![json!({"value": "u001"})], remove: vec![] };
    groups.modify_members(&t, "g1", &change, t0(), None, None).await.expect("modify");
    assert_eq!(member_values(&groups.get(&t, "g1", true).await.expect("get")), ["u000"]);
}

/// A user's derived `groups` is part of its representation: every membership change that
/// alters it (a group created with the user, members added or removed, a rename of one of its
/// groups, the deletion of one) moves the user's version on, so its `ETag` is never stale;
/// `meta.lastModified` follows when the change has a time. Other users keep theirs.
pub async fn membership_changes_move_member_versions(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("member_versions", "a");
    let users = &*users;
    seed(users, &t, 3).await;
    let version = |u: &scim_core::User| u.version().and_then(|v| v.revision()).unwrap_or(0);
    let get = |id: &'static str| {
        let t = t.clone();
        async move { users.get(&t, id).await.expect("get") }
    };
    groups.create(&t, group("g1", "One", &["u000"]), None).await.expect("create");
    assert_eq!((version(&get("u000").await), version(&get("u001").await)), (2, 1));

    let t1 = t0() + Duration::hours(1);
    let change = MemberChange { add: vec![json!({"value": "u001"})], remove: vec!["u000".into()] };
    groups.modify_members(&t, "g1", &change, t1, None, None).await.expect("modify");
    let (u0, u1) = (get("u000").await, get("u001").await);
    assert_eq!((version(&u0), version(&u1)), (3, 2));
    assert_eq!(u1.meta().map(|m| m.last_modified), Some(t1));
    assert!(group_values(&u0).is_empty() && group_values(&u1) == ["g1"]);
    // A change that changes nothing moves nothing.
    groups.modify_members(&t, "g1", &change, t1, None, None).await.expect("again");
    assert_eq!(version(&get("u001").await), 2);

    // Same name, same members: no user changes; a rename changes every member's `groups`.
    groups.replace(&t, group("g1", "One", &["u001"]), None, None).await.expect("replace");
    assert_eq!(version(&get("u001").await), 2);
    groups.replace(&t, group("g1", "ONE", &["u001", "u002"]), None, None).await.expect("rename");
    assert_eq!((version(&get("u000").await), version(&get("u001").await), version(&get("u002").await)), (3, 3, 2));

    groups.delete(&t, "g1", None, None).await.expect("delete");
    assert_eq!((version(&get("u001").await), version(&get("u002").await)), (4, 3));
    // The bumped version is the one a conditional write must name.
    let u1 = get("u001").await;
    let stale = users.replace(&t, u1.clone(), Some(&Version::from_revision(3)), None).await;
    assert!(matches!(stale, Err(StoreError::PreconditionFailed)), "{stale:?}");
    users.replace(&t, u1, Some(&Version::from_revision(4)), None).await.expect("current version");
}

/// A replace that would store nothing new (the same document, and members that differ only
/// by ones that cannot be stored) keeps the version; any real change makes a new one.
pub async fn group_replace_storing_nothing_new_keeps_the_version(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("replace_noop", "a");
    seed(&*users, &t, 1).await;
    groups.create(&t, group("g1", "One", &["u000", "ghost"]), None).await.expect("create");
    for _ in 0..2 {
        let same = groups.replace(&t, group("g1", "One", &["u000", "ghost"]), None, None).await.expect("replace");
        assert!(same.version().expect("version").matches(&Version::from_revision(1)), "{:?}", same.version());
        assert_eq!(member_values(&same), ["u000"]);
    }
    let mut changed = group("g1", "One", &["u000", "ghost"]);
    changed.as_object_mut().insert("externalId".into(), json!("ext-1"));
    let changed = groups.replace(&t, changed, None, None).await.expect("replace");
    assert!(changed.version().expect("version").matches(&Version::from_revision(2)));
    let fewer = groups.replace(&t, group("g1", "One", &[]), None, None).await.expect("replace");
    assert!(fewer.version().expect("version").matches(&Version::from_revision(3)));
    assert!(member_values(&groups.get(&t, "g1", true).await.expect("get")).is_empty());
}

/// Groups are listed and filtered by `displayName` (Entra's lookup), ignoring case.
pub async fn group_list_by_display_name(_users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("group_list", "a");
    for (id, name) in [("g1", "Sales"), ("g2", "Engineering"), ("g3", "Support")] {
        groups.create(&t, group(id, name, &[]), None).await.expect("create");
    }
    let f = crate::filters::group_query_filter("displayName eq \"engineering\"");
    let page = groups.list(&t, &ListQuery::new().with_filter(f)).await.expect("list");
    assert_eq!(page.total_results, 1);
    assert_eq!(page.items[0].id(), Some("g2"));
    let f = crate::filters::group_query_filter("displayName eq \"nope\"");
    let page = groups.list(&t, &ListQuery::new().with_filter(f)).await.expect("list");
    assert_eq!(page.total_results, 0);
    let page = groups.list(&t, &ListQuery::default()).await.expect("list");
    let names: Vec<_> = page.items.iter().filter_map(|g| g.display_name()).collect();
    assert_eq!(names, ["Sales", "Engineering", "Support"], "creation order");
}
