//! Keyset paging (the stores' side of RFC 9865 cursors) and cursor walks through the service.

use crate::filters::query_filter;
use crate::support::{ids, seed, t0, tenant, user_at};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};
use scim_core::lifecycle::ManualClock;
use scim_core::store::{Keyset, ListQuery, Seek, SortKey, SortOrder};
use scim_core::{
    DynGroupStore, DynUserStore, Limits, ListRequest, Page, Provisioning, ResourceKind, ScimType, TenantId, User,
};
use scim_query::{AttrPath, AttributeFacts};
use serde_json::json;
use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn sort_key(kind: ResourceKind, path: AttrPath) -> SortKey {
    let registry = crate::filters::registry();
    let facts = registry.kind(kind).ok().and_then(|rt| registry.facts(rt).resolve(None, &path));
    SortKey { path, facts }
}

fn sorted(path: AttrPath, order: SortOrder) -> ListQuery {
    ListQuery::new().with_sort(sort_key(ResourceKind::User, path), order)
}

fn checked<T>(p: Page<T>) -> Page<T> {
    assert_eq!(p.keys.len(), p.items.len(), "a keyset page reports one keyset per item");
    p
}

/// Every page of `query` from the first, `count` at a time, by keyset: the ids in order.
async fn walk_forward(users: &DynUserStore, t: &TenantId, query: &ListQuery, count: usize) -> Vec<String> {
    let mut seen = Vec::new();
    let mut seek = Seek::First;
    for _ in 0..10_000 {
        let p = checked(users.list(t, &query.clone().with_count(count).with_seek(seek)).await.expect("list"));
        assert!(p.items.len() <= count);
        seen.extend(ids(&p.items));
        match p.keys.last() {
            Some(last) if p.items.len() == count => seek = Seek::After(last.clone()),
            _ => return seen,
        }
    }
    panic!("the walk does not end");
}

/// Every page of `query` before `end`, `count` at a time, backwards: the ids in list order.
async fn walk_backward(
    users: &DynUserStore,
    t: &TenantId,
    query: &ListQuery,
    count: usize,
    end: Keyset,
) -> Vec<String> {
    let mut pages: Vec<Vec<String>> = Vec::new();
    let mut seek = Seek::Before(end);
    for _ in 0..10_000 {
        let p = checked(users.list(t, &query.clone().with_count(count).with_seek(seek)).await.expect("list"));
        assert!(p.items.len() <= count);
        pages.push(ids(&p.items));
        match p.keys.first() {
            Some(first) if p.items.len() == count => seek = Seek::Before(first.clone()),
            _ => return pages.into_iter().rev().flatten().collect(),
        }
    }
    panic!("the walk does not end");
}

/// The ids of the whole list by index paging (the reference order).
async fn whole(users: &DynUserStore, t: &TenantId, query: &ListQuery) -> Vec<String> {
    ids(&users.list(t, &query.clone().with_start_index(1).with_count(100_000)).await.expect("list").items)
}

/// Keyset pages of an unsorted list walk creation order, forwards and backwards, each user
/// once; `total_results` counts every user on every page; a page after the last is empty.
pub async fn keyset_walk_unsorted_visits_every_user_once(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("keyset_unsorted", "a");
    let all = ids(&seed(&*users, &t, 23).await);
    let q = ListQuery::new();
    for count in [1, 5, 23, 50] {
        assert_eq!(walk_forward(&*users, &t, &q, count).await, all, "forward by {count}");
        let end = Keyset::new(None, u64::MAX);
        assert_eq!(walk_backward(&*users, &t, &q, count, end).await, all, "backward by {count}");
    }
    let first = checked(users.list(&t, &q.clone().with_count(5).with_seek(Seek::First)).await.expect("list"));
    assert_eq!((first.total_results, ids(&first.items)), (23, all[..5].to_vec()));
    let last = first.keys.last().cloned().expect("keys");
    let next = checked(users.list(&t, &q.clone().with_count(5).with_seek(Seek::After(last))).await.expect("list"));
    assert_eq!((next.total_results, ids(&next.items)), (23, all[5..10].to_vec()));
    let zero = users.list(&t, &q.clone().with_count(0).with_seek(Seek::First)).await.expect("list");
    assert_eq!((zero.total_results, zero.items.len()), (23, 0));
    let end = walk_forward(&*users, &t, &q, 100).await;
    assert_eq!(end.len(), 23);
    let all_keys = checked(users.list(&t, &q.clone().with_count(100).with_seek(Seek::First)).await.expect("list")).keys;
    let after_end = Seek::After(all_keys.last().cloned().expect("keys"));
    let p = users.list(&t, &q.clone().with_count(5).with_seek(after_end)).await.expect("list");
    assert_eq!((p.total_results, p.items.len()), (23, 0));
    let before_start = Seek::Before(all_keys.first().cloned().expect("keys"));
    let p = users.list(&t, &q.clone().with_count(5).with_seek(before_start)).await.expect("list");
    assert_eq!((p.total_results, p.items.len()), (23, 0));
}

/// Keyset pages of sorted lists (strings ignoring case with ties and missing values, the name
/// attribute, `meta.created`), both orders, both directions, give the order of index paging.
pub async fn keyset_walk_sorted_both_directions(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("keyset_sorted", "a");
    let titles = [Some("b"), None, Some("A"), Some("a"), Some("c"), None, Some("B"), Some("a"), Some("d"), Some("b")];
    for (i, title) in titles.iter().enumerate() {
        let minutes = i64::try_from((i * 7) % 5).unwrap_or(0);
        let created = t0() + chrono::Duration::minutes(minutes);
        let mut u = user_at(&format!("s{i:02}"), &format!("{}{i}@example.com", ["Zed", "amy", "Bob"][i % 3]), created);
        if let Some(title) = title {
            u.as_object_mut().insert("title".into(), json!(title));
        }
        users.create(&t, u, None).await.expect("create");
    }
    let paths = [AttrPath::new("title"), AttrPath::new("userName"), AttrPath::new("meta").with_sub_attr("created")];
    for path in paths {
        for order in [SortOrder::Ascending, SortOrder::Descending] {
            let q = sorted(path.clone(), order);
            let reference = whole(&*users, &t, &q).await;
            assert_eq!(reference.len(), titles.len());
            for count in [1, 3, 10] {
                let forward = walk_forward(&*users, &t, &q, count).await;
                assert_eq!(forward, reference, "forward by {count}, {path} {order:?}");
                let all = checked(users.list(&t, &q.clone().with_count(100).with_seek(Seek::First)).await.expect("l"));
                // Just past the last item: its value, a position after every other.
                let last = all.keys.last().cloned().expect("keys");
                let end = Keyset::new(last.value, u64::MAX);
                let backward = walk_backward(&*users, &t, &q, count, end).await;
                assert_eq!(backward, reference, "backward by {count}, {path} {order:?}");
            }
        }
    }
}

/// A filtered keyset walk returns the matches, in order, each once; `total_results` counts them.
pub async fn keyset_walk_with_filter(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("keyset_filter", "a");
    seed(&*users, &t, 20).await;
    for q in [
        ListQuery::new().with_filter(query_filter(r#"userName co "1""#)),
        ListQuery::new().with_filter(query_filter(r#"userName eq "user013@example.com" or id eq "u002""#)),
        sorted(AttrPath::new("userName"), SortOrder::Descending).with_filter(query_filter(r#"userName co "1""#)),
        sorted(AttrPath::new("userName"), SortOrder::Ascending).with_filter(query_filter(r#"userName sw "user01""#)),
    ] {
        let reference = whole(&*users, &t, &q).await;
        assert!(!reference.is_empty());
        for count in [1, 4] {
            assert_eq!(walk_forward(&*users, &t, &q, count).await, reference);
        }
        let p = users.list(&t, &q.clone().with_count(2).with_seek(Seek::First)).await.expect("list");
        assert_eq!(p.total_results, reference.len());
    }
}

/// Between the pages of a keyset walk, users are created and deleted (before and after the
/// walk's position): every user present for the whole walk is returned exactly once, and no
/// user twice.
pub async fn keyset_walk_under_writes_returns_stable_users_once(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("keyset_writes", "a");
    for (q, label) in [
        (ListQuery::new(), "unsorted"),
        (sorted(AttrPath::new("userName"), SortOrder::Ascending), "userName ascending"),
        (sorted(AttrPath::new("userName"), SortOrder::Descending), "userName descending"),
        (sorted(AttrPath::new("title"), SortOrder::Ascending), "title"),
    ] {
        let before = whole(&*users, &t, &ListQuery::new()).await;
        for id in before {
            users.delete(&t, &id, None, None).await.expect("clean");
        }
        let mut initial = Vec::new();
        for i in 0..30 {
            let mut u = user_at(&format!("w{i:02}"), &format!("{}{i:02}@example.com", ["m", "c", "x"][i % 3]), t0());
            if i % 4 != 0 {
                u.as_object_mut().insert("title".into(), json!(["p", "q", "r"][i % 3]));
            }
            initial.push(ids(&[users.create(&t, u, None).await.expect("create")])[0].clone());
        }
        // Deleted during the walk: every third, taken from the front, middle and back of the list.
        let doomed: Vec<String> = initial.iter().step_by(3).cloned().collect();
        let stable: HashSet<String> = initial.iter().filter(|id| !doomed.contains(id)).cloned().collect();
        let mut seen: Vec<String> = Vec::new();
        let mut seek = Seek::First;
        let mut step = 0usize;
        loop {
            let p = checked(users.list(&t, &q.clone().with_count(4).with_seek(seek)).await.expect("list"));
            seen.extend(ids(&p.items));
            let Some(last) = p.keys.last().cloned().filter(|_| p.items.len() == 4) else { break };
            seek = Seek::After(last);
            // Writes between pages: a delete, and a create that sorts anywhere.
            if let Some(id) = doomed.get(step) {
                users.delete(&t, id, None, None).await.expect("delete");
            }
            let letter = ["a", "n", "z"][step % 3];
            let u = user_at(&format!("n{step:02}"), &format!("{letter}new{step:02}@example.com"), t0());
            users.create(&t, u, None).await.expect("create");
            step += 1;
        }
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for id in &seen {
            *counts.entry(id).or_default() += 1;
        }
        let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "{label}: returned twice: {twice:?}");
        let missing: Vec<_> = stable.iter().filter(|id| !counts.contains_key(id.as_str())).collect();
        assert!(missing.is_empty(), "{label}: present throughout but never returned: {missing:?}");
    }
}

/// Groups page by keyset too, unsorted and by `displayName`.
pub async fn keyset_walk_of_groups(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("keyset_groups", "a");
    let _ = users;
    for i in 0..9 {
        let g = crate::support::group(&format!("g{i}"), &format!("{}{i}", ["Zeta", "alpha", "Mid"][i % 3]), &[]);
        groups.create(&t, g, None).await.expect("create");
    }
    let name = sort_key(ResourceKind::Group, AttrPath::new("displayName"));
    for q in [ListQuery::new().with_members(false), ListQuery::new().with_sort(name, SortOrder::Descending)] {
        let reference: Vec<String> = groups
            .list(&t, &q.clone().with_count(100))
            .await
            .expect("list")
            .items
            .iter()
            .map(|g| g.id().unwrap_or_default().to_owned())
            .collect();
        let mut seen = Vec::new();
        let mut seek = Seek::First;
        loop {
            let p = groups.list(&t, &q.clone().with_count(2).with_seek(seek)).await.expect("list");
            assert_eq!(p.keys.len(), p.items.len());
            assert_eq!(p.total_results, 9);
            seen.extend(p.items.iter().map(|g| g.id().unwrap_or_default().to_owned()));
            match p.keys.last() {
                Some(k) if p.items.len() == 2 => seek = Seek::After(k.clone()),
                _ => break,
            }
        }
        assert_eq!(seen, reference);
    }
}

fn user_ids(p: &Page<User>) -> Vec<String> {
    ids(&p.items)
}

/// Through the service: a walk with `cursor` from an empty one to the page without
/// `nextCursor`, back with `previousCursor`, and every RFC 9865 error.
pub async fn service_cursor_walk_and_errors(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_cursor", "a");
    let clock = Arc::new(ManualClock::new(t0()));
    let svc = Provisioning::from_stores(users, groups)
        .with_clock(clock.clone())
        .with_limits(Limits::default().with_max_results(4).with_cursor_timeout(std::time::Duration::from_secs(600)));
    let mut all = Vec::new();
    for i in 0..7 {
        let u = svc.create_user(&t, &json!({"userName": format!("c{i}@example.com")})).await.expect("create");
        all.push(u.id().unwrap_or_default().to_owned());
    }
    let req = |cursor: &str| ListRequest::new().with_cursor(cursor).with_count(3);
    let p1 = svc.list_users(&t, &req("")).await.expect("first page");
    assert_eq!((p1.total_results, user_ids(&p1)), (7, all[..3].to_vec()));
    assert!(p1.previous_cursor.is_none(), "no previousCursor on the first page");
    let c2 = p1.next_cursor.clone().expect("nextCursor");
    assert!(c2.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b)), "unreserved characters only");
    let p2 = svc.list_users(&t, &req(&c2)).await.expect("second page");
    assert_eq!(user_ids(&p2), all[3..6].to_vec());
    let p3 = svc.list_users(&t, &req(p2.next_cursor.as_deref().expect("next"))).await.expect("last page");
    assert_eq!(user_ids(&p3), all[6..].to_vec());
    assert!(p3.next_cursor.is_none(), "no nextCursor on the last page");
    let back = svc.list_users(&t, &req(p3.previous_cursor.as_deref().expect("previous"))).await.expect("back");
    assert_eq!(user_ids(&back), all[3..6].to_vec());
    let back = svc.list_users(&t, &req(back.previous_cursor.as_deref().expect("previous"))).await.expect("back");
    assert_eq!(user_ids(&back), all[..3].to_vec());
    assert!(back.previous_cursor.is_none(), "back on the first page");
    assert!(back.next_cursor.is_some());
    // A page of exactly the rest has no nextCursor; count absent is the maximum (4).
    let p = svc.list_users(&t, &ListRequest::new().with_cursor(c2.clone())).await.expect("rest");
    assert_eq!((user_ids(&p), p.next_cursor.is_none()), (all[3..].to_vec(), true));
    let p = svc.list_users(&t, &ListRequest::new().with_cursor("")).await.expect("default size");
    assert_eq!(p.items.len(), 4);
    // Sorted and filtered walks keep their order.
    let sorted = |cursor: &str| {
        ListRequest::new()
            .with_cursor(cursor)
            .with_count(2)
            .with_sort("userName", "descending")
            .with_filter("userName pr")
    };
    let mut walked = Vec::new();
    let mut cursor = String::new();
    loop {
        let p = svc.list_users(&t, &sorted(&cursor)).await.expect("sorted page");
        walked.extend(user_ids(&p));
        match p.next_cursor {
            Some(next) => cursor = next,
            None => break,
        }
    }
    let mut expected = all.clone();
    expected.reverse();
    assert_eq!(walked, expected);

    let scim_type = |r: Result<Page<User>, scim_core::ScimError>| {
        let e = r.map(|_| ()).expect_err("refused");
        assert_eq!(e.status(), http::StatusCode::BAD_REQUEST, "{e}");
        e.scim_type()
    };
    let invalid = Some(ScimType::InvalidCursor);
    assert_eq!(scim_type(svc.list_users(&t, &req("not-a-cursor")).await), invalid);
    let mut forged = c2.clone();
    let last = forged.pop().map_or('A', |c| if c == 'A' { 'B' } else { 'A' });
    forged.push(last);
    assert_eq!(scim_type(svc.list_users(&t, &req(&forged)).await), invalid, "altered");
    let other_filter = req(&c2).with_filter("userName pr");
    assert_eq!(scim_type(svc.list_users(&t, &other_filter).await), invalid, "another filter");
    let other_sort = req(&c2).with_sort("userName", "ascending");
    assert_eq!(scim_type(svc.list_users(&t, &other_sort).await), invalid, "another sort");
    let other_tenant = tenant("svc_cursor", "b");
    assert_eq!(scim_type(svc.list_users(&other_tenant, &req(&c2)).await), invalid, "another tenant");
    let as_groups = svc.list_groups(&t, &req(&c2)).await.map(|_| ()).expect_err("a user cursor on groups");
    assert_eq!(as_groups.scim_type(), invalid);
    let other_key = svc.clone().with_cursor_key(scim_core::CursorKey::new([9u8; 32]).expect("key"));
    assert_eq!(scim_type(other_key.list_users(&t, &req(&c2)).await), invalid, "another key");
    let both = req("").with_start_index(1);
    assert_eq!(scim_type(svc.list_users(&t, &both).await), Some(ScimType::InvalidValue));
    for count in [-1, 5, i64::MAX] {
        let r = ListRequest::new().with_cursor("").with_count(count);
        assert_eq!(scim_type(svc.list_users(&t, &r).await), Some(ScimType::InvalidCount), "count {count}");
    }
    clock.advance(chrono::Duration::seconds(600));
    assert!(svc.list_users(&t, &req(&c2)).await.is_ok(), "valid up to cursorTimeout");
    clock.advance(chrono::Duration::seconds(1));
    assert_eq!(scim_type(svc.list_users(&t, &req(&c2)).await), Some(ScimType::ExpiredCursor));
    // count=0: the total only, and a cursor that stays where it was.
    let zero = svc.list_users(&t, &ListRequest::new().with_cursor("").with_count(0)).await.expect("count 0");
    assert_eq!((zero.total_results, zero.items.len()), (7, 0));
    let again = svc.list_users(&t, &req(zero.next_cursor.as_deref().expect("next"))).await.expect("resume");
    assert_eq!(user_ids(&again), all[..3].to_vec());
}

/// What [`WalkPlan::run`] does: the users there before the walk, the page size and
/// order of the walk, and what another task writes meanwhile.
#[derive(Debug, Clone)]
pub struct WalkPlan {
    /// The users there before the walk: each one's `userName` prefix (it decides where it
    /// sorts) and `title` (ties and missing values).
    pub initial: Vec<(char, Option<u8>)>,
    /// Which of them the other task deletes (indexes into `initial`; the others stay).
    pub deletes: Vec<usize>,
    /// The users the other task creates: `userName` prefix and `title`.
    pub inserts: Vec<(char, Option<u8>)>,
    /// The page size.
    pub count: usize,
    /// 0: unsorted; 1: `userName` ascending; 2: `userName` descending; 3: `title` ascending;
    /// 4: `title` descending.
    pub order: u8,
}

impl WalkPlan {
    /// A cursor walk through the service while another task creates and deletes users: every user
    /// present for the whole walk is returned exactly once, no user twice. For property tests.
    ///
    /// # Panics
    /// When the walk breaks the rule, or a call fails.
    pub async fn run(&self, users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
        let plan = self;
        static RUN: AtomicUsize = AtomicUsize::new(0);
        let t = tenant("walk_writes", &RUN.fetch_add(1, Ordering::Relaxed).to_string());
        let svc = Provisioning::from_stores(users, groups).with_limits(Limits::default().with_max_results(1000));
        let body = |prefix: char, n: usize, tag: &str, title: Option<u8>| {
            let mut b = json!({"userName": format!("{prefix}{n:04}{tag}@example.com")});
            if let Some(title) = title {
                b["title"] = json!(format!("t{title}"));
            }
            b
        };
        let mut initial = Vec::new();
        for (n, (prefix, title)) in plan.initial.iter().enumerate() {
            let u = svc.create_user(&t, &body(*prefix, n, "i", *title)).await.expect("create");
            initial.push(u.id().unwrap_or_default().to_owned());
        }
        let doomed: HashSet<usize> = plan.deletes.iter().map(|i| i % initial.len().max(1)).collect();
        let stable: Vec<String> =
            initial.iter().enumerate().filter(|(i, _)| !doomed.contains(i)).map(|(_, id)| id.clone()).collect();
        let writer = {
            let (svc, t) = (svc.clone(), t.clone());
            let doomed: Vec<String> = doomed.iter().map(|&i| initial[i].clone()).collect();
            let inserts = plan.inserts.clone();
            tokio::spawn(async move {
                let mut doomed = doomed.into_iter();
                for (n, (prefix, title)) in inserts.into_iter().enumerate() {
                    svc.create_user(&t, &body(prefix, n, "w", title)).await.expect("concurrent create");
                    tokio::task::yield_now().await;
                    if let Some(id) = doomed.next() {
                        svc.delete_user(&t, &id, None).await.expect("concurrent delete");
                        tokio::task::yield_now().await;
                    }
                }
                for id in doomed {
                    svc.delete_user(&t, &id, None).await.expect("concurrent delete");
                    tokio::task::yield_now().await;
                }
            })
        };
        let (sort_by, sort_order) = match plan.order {
            1 => (Some("userName"), "ascending"),
            2 => (Some("userName"), "descending"),
            3 => (Some("title"), "ascending"),
            4 => (Some("title"), "descending"),
            _ => (None, "ascending"),
        };
        let count = i64::try_from(plan.count.max(1)).unwrap_or(1);
        let mut seen: Vec<String> = Vec::new();
        let mut cursor = String::new();
        for _ in 0..100_000 {
            let mut req = ListRequest::new().with_cursor(cursor.clone()).with_count(count);
            if let Some(sort_by) = sort_by {
                req = req.with_sort(sort_by, sort_order);
            }
            let page = svc.list_users(&t, &req).await.expect("page");
            seen.extend(page.items.iter().map(|u| u.id().unwrap_or_default().to_owned()));
            tokio::task::yield_now().await;
            match page.next_cursor {
                Some(next) => cursor = next,
                None => break,
            }
        }
        writer.await.expect("writer");
        let mut counts: HashMap<&str, usize> = HashMap::new();
        for id in &seen {
            *counts.entry(id.as_str()).or_default() += 1;
        }
        let twice: Vec<_> = counts.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "returned twice: {twice:?} ({plan:?})");
        let missing: Vec<_> = stable.iter().filter(|id| !counts.contains_key(id.as_str())).collect();
        assert!(missing.is_empty(), "present for the whole walk, never returned: {missing:?} ({plan:?})");
    }
}

/// Plans for [`WalkPlan::run`]: up to 60 users, up to 30 deleted and 30 created
/// during the walk, pages of 1 to 12, every order.
pub fn walk_plans() -> impl Strategy<Value = WalkPlan> {
    let user = (prop::sample::select(vec!['a', 'm', 'z', 'M']), prop::option::of(0u8..4));
    (
        prop::collection::vec(user.clone(), 1..60),
        prop::collection::vec(any::<usize>(), 0..30),
        prop::collection::vec(user, 0..30),
        1usize..12,
        0u8..5,
    )
        .prop_map(|(initial, deletes, inserts, count, order)| WalkPlan { initial, deletes, inserts, count, order })
}

/// The property test: `cases` plans of [`walk_plans`], each run by [`WalkPlan::run`]
/// (each in a tenant of its own) on the stores `make` gives once, on a two-thread tokio
/// runtime so the writer really runs beside the walk. `make` returning `None` skips the test
/// (a backend that is not there).
///
/// # Panics
/// With the smallest failing plan, when one breaks the rule.
pub fn cursor_walks_under_writes<F, Fut>(cases: u32, make: F)
where
    F: FnOnce() -> Fut,
    Fut: Future<Output = Option<(Arc<DynUserStore>, Arc<DynGroupStore>)>>,
{
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let Some((users, groups)) = rt.block_on(make()) else { return };
    let mut runner = TestRunner::new(Config { cases, failure_persistence: None, ..Config::default() });
    let result = runner.run(&walk_plans(), |plan| {
        rt.block_on(plan.run(users.clone(), groups.clone()));
        Ok(())
    });
    if let Err(e) = result {
        panic!("{e}");
    }
}
