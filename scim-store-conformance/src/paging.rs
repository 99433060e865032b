//! Lists: order, paging, sorting.

use crate::filters::query_filter;
use crate::support::{ids, seed, t0, tenant, user_at};
use chrono::Duration;
use scim_core::store::{ListQuery, SortKey, SortOrder};
use scim_core::{DynGroupStore, DynUserStore, ResourceKind};
use scim_query::{AttrPath, AttributeFacts};
use serde_json::json;
use std::sync::Arc;

fn page(start_index: usize, count: usize) -> ListQuery {
    ListQuery::new().with_start_index(start_index).with_count(count)
}

fn sorted(path: AttrPath, order: SortOrder) -> ListQuery {
    let registry = crate::filters::registry();
    let facts = registry.kind(ResourceKind::User).ok().and_then(|rt| registry.facts(rt).resolve(None, &path));
    assert!(facts.is_some(), "the default User schema defines {path:?}");
    ListQuery::new().with_sort(SortKey { path, facts }, order).with_count(1000)
}

/// An unknown tenant lists nothing (`total_results` 0), which is what Entra's Test
/// Connection expects.
pub async fn list_of_empty_tenant(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("empty", "a");
    let p = users.list(&t, &ListQuery::default()).await.expect("list");
    assert_eq!((p.total_results, p.items.len(), p.start_index), (0, 0, 1));
    let f = query_filter(r#"userName eq "4c1e2b0a-1d7f-4b8e-9a51-0a4f1c2d3e4f""#);
    let p = users.list(&t, &ListQuery::new().with_filter(f)).await.expect("list");
    assert_eq!(p.total_results, 0);
    let p = groups.list(&t, &ListQuery::default()).await.expect("list");
    assert_eq!(p.total_results, 0);
}

/// Without `sortBy`, users come in creation order, and replaces do not move them.
pub async fn list_in_creation_order(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("creation_order", "a");
    for (id, name) in [("c", "zed@example.com"), ("a", "amy@example.com"), ("b", "bob@example.com")] {
        users.create(&t, user_at(id, name, t0()), None).await.expect("create");
    }
    let mut a = users.get(&t, "a").await.expect("get");
    a.as_object_mut().insert("title".into(), json!("moved?"));
    users.replace(&t, a, None, None).await.expect("replace");
    let p = users.list(&t, &ListQuery::default()).await.expect("list");
    assert_eq!(ids(&p.items), ["c", "a", "b"]);
}

/// `count = 0` returns no resources but the right `total_results`.
pub async fn list_count_zero_gives_total_only(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("count_zero", "a");
    seed(&*users, &t, 5).await;
    let p = users.list(&t, &page(1, 0)).await.expect("list");
    assert_eq!((p.total_results, p.items.len()), (5, 0));
    let f = query_filter(r#"userName sw "user00""#);
    let p = users.list(&t, &ListQuery::new().with_filter(f).with_count(0)).await.expect("list");
    assert_eq!((p.total_results, p.items.len()), (5, 0));
}

/// A `start_index` past the end gives an empty page with the right `total_results`.
pub async fn list_past_the_end_is_empty(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("past_end", "a");
    seed(&*users, &t, 5).await;
    let p = users.list(&t, &page(6, 10)).await.expect("list");
    assert_eq!((p.total_results, p.items.len(), p.start_index), (5, 0, 6));
    let p = users.list(&t, &page(1000, 10)).await.expect("list");
    assert_eq!((p.total_results, p.items.len()), (5, 0));
    let p = users.list(&t, &page(5, 10)).await.expect("list");
    assert_eq!(ids(&p.items), ["u004"]);
}

/// Paging with `start_index`/`count` (1-based) visits every user exactly once.
pub async fn list_pages_walk_every_user_once(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("walk", "a");
    let all = seed(&*users, &t, 23).await;
    let mut seen = Vec::new();
    let mut start = 1;
    loop {
        let p = users.list(&t, &page(start, 5)).await.expect("list");
        assert_eq!(p.total_results, 23);
        assert_eq!(p.start_index, start);
        if p.items.is_empty() {
            break;
        }
        assert!(p.items.len() <= 5);
        start += p.items.len();
        seen.extend(ids(&p.items));
    }
    assert_eq!(seen, ids(&all));
    let p = users.list(&t, &page(3, 2)).await.expect("list");
    assert_eq!(ids(&p.items), ["u002", "u003"], "start_index is 1-based");
}

/// The filter applies before paging: `total_results` counts every match, the page is a window
/// onto the matches.
pub async fn list_filter_then_page(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("filter_page", "a");
    seed(&*users, &t, 20).await;
    let f = query_filter(r#"userName co "1""#);
    let q = ListQuery::new().with_filter(f).with_start_index(3).with_count(4);
    let p = users.list(&t, &q).await.expect("list");
    // user001, user010..user019: 11 matches
    assert_eq!(p.total_results, 11);
    assert_eq!(ids(&p.items), ["u011", "u012", "u013", "u014"]);
}

/// Sorting by `userName` ignores case.
pub async fn sort_by_user_name_ignores_case(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("sort_name", "a");
    for (id, name) in [("1", "bob"), ("2", "Alice"), ("3", "carol"), ("4", "ALAN"), ("5", "Bea")] {
        users.create(&t, user_at(id, name, t0()), None).await.expect("create");
    }
    let p = users.list(&t, &sorted(AttrPath::new("userName"), SortOrder::Ascending)).await.expect("list");
    assert_eq!(ids(&p.items), ["4", "2", "5", "1", "3"]);
    assert_eq!(p.total_results, 5);
}

/// `Descending` is the exact reverse for distinct keys, and sorting happens before paging.
pub async fn sort_descending_reverses(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("sort_desc", "a");
    for (id, name) in [("1", "bob"), ("2", "Alice"), ("3", "carol"), ("4", "ALAN"), ("5", "Bea")] {
        users.create(&t, user_at(id, name, t0()), None).await.expect("create");
    }
    let p = users.list(&t, &sorted(AttrPath::new("userName"), SortOrder::Descending)).await.expect("list");
    assert_eq!(ids(&p.items), ["3", "1", "5", "2", "4"]);
    let q = sorted(AttrPath::new("userName"), SortOrder::Descending).with_start_index(2).with_count(2);
    let p = users.list(&t, &q).await.expect("list");
    assert_eq!(ids(&p.items), ["1", "5"]);
    assert_eq!(p.total_results, 5);
}

/// Sorting by `meta.created` orders by instant.
pub async fn sort_by_created(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("sort_created", "a");
    for (id, mins) in [("x", 30), ("y", -10), ("z", 5)] {
        let created = t0() + Duration::minutes(mins);
        users.create(&t, user_at(id, &format!("{id}@example.com"), created), None).await.expect("create");
    }
    let path = AttrPath::new("meta").with_sub_attr("created");
    let p = users.list(&t, &sorted(path.clone(), SortOrder::Ascending)).await.expect("list");
    assert_eq!(ids(&p.items), ["y", "z", "x"]);
    let p = users.list(&t, &sorted(path, SortOrder::Descending)).await.expect("list");
    assert_eq!(ids(&p.items), ["x", "z", "y"]);
}

/// Users without the sort attribute come last ascending and first descending (RFC 7644 §3.4.2.3).
pub async fn sort_missing_values_last_ascending_first_descending(
    users: Arc<DynUserStore>,
    _groups: Arc<DynGroupStore>,
) {
    let t = tenant("sort_missing", "a");
    for (id, title) in [("1", Some("b")), ("2", None), ("3", Some("a"))] {
        let mut u = user_at(id, &format!("{id}@example.com"), t0());
        if let Some(title) = title {
            u.as_object_mut().insert("title".into(), json!(title));
        }
        users.create(&t, u, None).await.expect("create");
    }
    let p = users.list(&t, &sorted(AttrPath::new("title"), SortOrder::Ascending)).await.expect("list");
    assert_eq!(ids(&p.items), ["3", "1", "2"]);
    let p = users.list(&t, &sorted(AttrPath::new("title"), SortOrder::Descending)).await.expect("list");
    assert_eq!(ids(&p.items), ["2", "1", "3"]);
}

/// Equal sort keys keep creation order, in both directions.
pub async fn sort_ties_keep_creation_order(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("sort_ties", "a");
    for (id, title) in [("1", "B"), ("2", "a"), ("3", "b"), ("4", "A")] {
        let mut u = user_at(id, &format!("{id}@example.com"), t0());
        u.as_object_mut().insert("title".into(), json!(title));
        users.create(&t, u, None).await.expect("create");
    }
    let p = users.list(&t, &sorted(AttrPath::new("title"), SortOrder::Ascending)).await.expect("list");
    assert_eq!(ids(&p.items), ["2", "4", "1", "3"]);
    let p = users.list(&t, &sorted(AttrPath::new("title"), SortOrder::Descending)).await.expect("list");
    assert_eq!(ids(&p.items), ["1", "3", "2", "4"]);
}
