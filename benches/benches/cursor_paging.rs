//! Cursor paging (RFC 9865) against index paging over 1 000 000 users, memory and SQLite: the
//! first and the last page of 100 of an unsorted walk, by keyset (`ListQuery::seek`, as
//! `Provisioning` asks it: 101 items, the extra one telling whether a page follows) and by
//! `startIndex`; the last page through the service (`ListRequest::with_cursor`, cursor
//! decoding and signing included); and, for SQLite, the `count(*)` every full page pays for
//! `totalResults`.
//!
//! The SQLite database is the one `store_sqlite` builds and caches in
//! `<target>/bench-data/sqlite-1m.db` (built here when missing); the memory store is loaded on
//! each run (about a minute).
//!
//! `cargo bench -p scim-benches --bench cursor_paging`

#[path = "common/store_scale.rs"]
#[allow(dead_code)]
mod store_scale;

use criterion::{Criterion, black_box, criterion_main};
use scim_core::store::{Keyset, ListQuery, Seek};
use scim_core::{ListRequest, Provisioning, TenantId, UserStore};
use scim_store_memory::MemoryUserStore;
use std::sync::Arc;
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const USERS: usize = 1_000_000;
const PAGE: usize = 100;

fn bench_store<S>(c: &mut Criterion, name: &str, rt: &Runtime, store: &Arc<S>)
where
    S: UserStore + scim_core::GroupStore,
{
    let t = TenantId::new(store_scale::TENANT);
    let total = rt.block_on(store.list(&t, &ListQuery::new().with_count(0))).expect("count").total_results;
    assert!(total >= USERS, "{name}: {total} users");
    // The keyset just before the last page: the first of the last PAGE + 1.
    let tail = ListQuery::new().with_count(PAGE + 1).with_seek(Seek::Before(Keyset::new(None, u64::MAX)));
    let tail = rt.block_on(store.list(&t, &tail)).expect("tail");
    let before_last = tail.keys.first().cloned().expect("keys");
    let first = ListQuery::new().with_count(PAGE + 1).with_seek(Seek::First);
    let last = ListQuery::new().with_count(PAGE + 1).with_seek(Seek::After(before_last));
    let page = rt.block_on(store.list(&t, &last)).expect("last page");
    assert_eq!(page.items.len(), PAGE, "the last page");

    let mut g = c.benchmark_group(format!("cursor_paging/{name}"));
    g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(4));
    g.bench_function("cursor_first_page", |b| b.iter(|| black_box(rt.block_on(store.list(&t, &first)).expect("list"))));
    g.bench_function("cursor_last_page", |b| b.iter(|| black_box(rt.block_on(store.list(&t, &last)).expect("list"))));
    let index_first = ListQuery::new().with_count(PAGE);
    let index_last = ListQuery::new().with_start_index(total - PAGE + 1).with_count(PAGE);
    g.bench_function("index_first_page", |b| {
        b.iter(|| black_box(rt.block_on(store.list(&t, &index_first)).expect("list")));
    });
    g.bench_function("index_last_page", |b| {
        b.iter(|| black_box(rt.block_on(store.list(&t, &index_last)).expect("list")));
    });
    let count_only = ListQuery::new().with_count(0);
    g.bench_function("total_results_only", |b| {
        b.iter(|| black_box(rt.block_on(store.list(&t, &count_only)).expect("list")));
    });
    // Through the service: the cursor of the page before the last, decoded, checked, and the
    // page's own cursors signed.
    let svc = Provisioning::new(store.clone());
    let request = |cursor: String| ListRequest::new().with_cursor(cursor).with_count(PAGE as i64);
    // Walk to the page before the last: a first page that leaves a multiple of 1000 (the
    // maximum) before the last PAGE, then pages of 1000.
    let mut cursor = String::new();
    let mut seen = 0usize;
    let mut size = (total - PAGE) % 1000;
    while seen < total - PAGE {
        let walk = ListRequest::new().with_cursor(cursor.clone()).with_count(size as i64);
        let p = rt.block_on(svc.list_users(&t, &walk)).expect("walk");
        seen += p.items.len();
        cursor = p.next_cursor.expect("next");
        size = 1000;
    }
    let p = rt.block_on(svc.list_users(&t, &request(cursor.clone()))).expect("last page");
    assert_eq!(p.items.len(), PAGE);
    assert!(p.next_cursor.is_none(), "{name}: the service's last page");
    g.bench_function("service_cursor_last_page", |b| {
        b.iter(|| black_box(rt.block_on(svc.list_users(&t, &request(cursor.clone()))).expect("list")));
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let templates = Arc::new(scim_benches::load_users());
    let which = std::env::var("SCIM_CURSOR_BENCH_STORES").unwrap_or_else(|_| "memory,sqlite".to_owned());
    if which.split(',').any(|s| s.trim() == "memory") {
        let started = Instant::now();
        let store = Arc::new(MemoryUserStore::new());
        store_scale::load_users(&rt, &store, &templates, 0, USERS, 2);
        eprintln!("memory store: {USERS} users loaded in {:.1?}", started.elapsed());
        bench_store(c, "memory", &rt, &store);
    }
    if which.split(',').any(|s| s.trim() == "sqlite") {
        let cache = scim_benches::target_dir().join("bench-data");
        std::fs::create_dir_all(&cache).expect("bench-data dir");
        let store = Arc::new(store_scale::sqlite_dataset(&rt, &templates, &cache.join("sqlite-1m.db"), USERS));
        bench_store(c, "sqlite", &rt, &store);
    }
}

mod group {
    #![allow(missing_docs, unreachable_pub)]
    criterion::criterion_group!(cursor_paging, super::benches);
}

criterion_main!(group::cursor_paging);
