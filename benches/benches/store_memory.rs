//! The memory store at 10 000 and 1 000 000 users: create (into a store held at that size,
//! into a growing store, and of documents made in bulk beforehand), get by id, `userName eq` and
//! `externalId eq` lookups, pages of 100, PATCH through the provisioning service, the purge
//! of 10 000 expired users, and resident memory per user.
//!
//! Users are the 10 000 workload users, cloned with distinct `id`, `userName` and
//! `externalId` up to the size wanted. Sizes: `STORE_BENCH_SIZES=10000,1000000` (the default).
//! Memory is read from `/proc/self/status` (Linux) before and after loading a store (the
//! growth of the resident set, which includes what the allocator keeps after freeing the
//! documents made for loading).

use chrono::{Duration, TimeZone, Utc};
use criterion::{Criterion, black_box};
use scim_benches::{block_on, make_user};
use scim_core::store::{ListQuery, QueryFilter};
use scim_core::{
    Lifecycle, ListRequest, Provisioning, ResourceKind, SchemaRegistry, TenantId, User, UserStatus, UserStore,
};
use scim_store_memory::MemoryUserStore;
use serde_json::{Value, json};
use std::sync::Arc;
use std::time::Instant;

/// `VmRSS` and `VmHWM` in KiB.
fn memory_kib() -> (u64, u64) {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let field = |name: &str| {
        status
            .lines()
            .find(|l| l.starts_with(name))
            .and_then(|l| l.split_whitespace().nth(1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(0)
    };
    (field("VmRSS:"), field("VmHWM:"))
}

/// Times `iters` creates, each of a document made (untimed) just before it, numbered from
/// `next`. With `keep_size`, each created user is deleted again (untimed).
fn time_creates(
    store: &MemoryUserStore,
    tenant: &TenantId,
    base: &[Value],
    next: &std::sync::atomic::AtomicUsize,
    iters: u64,
    keep_size: bool,
) -> std::time::Duration {
    let mut spent = std::time::Duration::ZERO;
    for _ in 0..iters {
        let u = make_user(base, next.fetch_add(1, std::sync::atomic::Ordering::Relaxed));
        let t = Instant::now();
        let created = black_box(block_on(UserStore::create(store, tenant, u, None)).expect("create"));
        spent += t.elapsed();
        if keep_size {
            let id = created.id().expect("created users have ids").to_owned();
            drop(created);
            block_on(UserStore::delete(store, tenant, &id, None, None)).expect("delete");
        }
    }
    spent
}

fn query(filter: &str) -> ListQuery {
    let registry = SchemaRegistry::scim_default();
    let user_type = registry.kind(ResourceKind::User).expect("the default registry has User");
    let filter = QueryFilter::parse(&registry, user_type, filter).expect("bench filters apply");
    ListQuery::new().with_filter(filter)
}

fn user_name(store: &MemoryUserStore, tenant: &TenantId, i: usize) -> String {
    let id = format!("{i:08x}-0000-4000-8000-000000000000");
    block_on(UserStore::get(store, tenant, &id)).expect("get").user_name().expect("userName").to_owned()
}

fn bench_size(c: &mut Criterion, base: &[Value], n: usize) {
    let tenant = TenantId::new("bench");
    let (rss0, _) = memory_kib();
    let store = Arc::new(MemoryUserStore::new());
    let start = Instant::now();
    let mut build = Duration::zero().to_std().unwrap_or_default();
    // Users are made and stored one at a time, as a server stores each request's body before it
    // parses the next. Making them 10 000 at a time first (as this bench did until 2026-11-30)
    // interleaved the stored users with each batch's freed JSON, and under glibc every later
    // figure depended on that history: at 1M, loading ran at 31 000–34 000 users/s against
    // 164 000–169 000, `create_steady` took 5.8–6.4 µs against 4.7–5.0 µs, and a PATCH through
    // the service 66 µs against 21 µs. Bulk-made documents are `create_premade`'s subject.
    for i in 0..n {
        let u = make_user(base, i);
        let t = Instant::now();
        block_on(UserStore::create(&*store, &tenant, u, None)).expect("create");
        build += t.elapsed();
    }
    let (rss1, hwm1) = memory_kib();
    let per_user = (rss1.saturating_sub(rss0) * 1024) as f64 / n as f64;
    println!(
        "store_memory/{n}: loaded in {:.1?} (documents made and stored); store.create alone {:.0} users/s; \
         RSS {} -> {} KiB (peak {} KiB): {per_user:.0} bytes per user",
        start.elapsed(),
        n as f64 / build.as_secs_f64(),
        rss0,
        rss1,
        hwm1
    );

    let mut g = c.benchmark_group(format!("store_memory/{n}"));
    g.sample_size(20)
        .warm_up_time(std::time::Duration::from_millis(500))
        .measurement_time(std::time::Duration::from_secs(2));

    let sample: Vec<usize> = (0..1024).map(|k| (k * 7919 + 13) % n).collect();
    let ids: Vec<String> = sample.iter().map(|i| format!("{i:08x}-0000-4000-8000-000000000000")).collect();
    let mut k = 0;
    g.bench_function("get_by_id", |b| {
        b.iter(|| {
            k = (k + 1) % ids.len();
            black_box(block_on(UserStore::get(&*store, &tenant, &ids[k])).expect("get"))
        });
    });

    let by_name: Vec<ListQuery> = sample
        .iter()
        .take(256)
        .map(|&i| query(&format!("userName eq \"{}\"", user_name(&store, &tenant, i).to_uppercase())))
        .collect();
    let by_ext: Vec<ListQuery> =
        sample.iter().take(256).map(|&i| query(&format!("externalId eq \"ext{i}\""))).collect();
    for (label, queries) in [("userName_eq", &by_name), ("externalId_eq", &by_ext)] {
        let mut k = 0;
        g.bench_function(label, |b| {
            b.iter(|| {
                k = (k + 1) % queries.len();
                let page = block_on(UserStore::list(&*store, &tenant, &queries[k])).expect("list");
                assert_eq!(page.total_results, 1);
                black_box(page)
            });
        });
    }

    // Pages of 100: under an indexed filter (100 `id eq` terms), unfiltered at the start and in
    // the middle, and under a filter that needs a scan (every user must be tested for totalResults).
    let hundred_ids = sample
        .iter()
        .take(100)
        .map(|i| format!("id eq \"{i:08x}-0000-4000-8000-000000000000\""))
        .collect::<Vec<_>>()
        .join(" or ");
    let mut indexed = query(&hundred_ids);
    indexed.count = 100;
    let ten_ids = sample
        .iter()
        .take(10)
        .map(|i| format!("id eq \"{i:08x}-0000-4000-8000-000000000000\""))
        .collect::<Vec<_>>()
        .join(" or ");
    let pages = [
        ("or_of_10_ids", query(&ten_ids)),
        ("page100_indexed_filter", indexed),
        ("page100_unfiltered_start", ListQuery::new().with_count(100)),
        ("page100_unfiltered_middle", ListQuery::new().with_count(100).with_start_index(n / 2)),
        ("page100_scan_filter", query("title eq \"Intern\" and active eq true").with_count(100)),
    ];
    for (label, q) in &pages {
        if label.contains("scan") && n > 100_000 {
            g.sample_size(10);
        }
        g.bench_function(*label, |b| {
            b.iter(|| black_box(block_on(UserStore::list(&*store, &tenant, q)).expect("list")))
        });
    }
    g.sample_size(20);
    // Okta-style walk: each iteration asks for the page after the previous one.
    let mut start = 1;
    g.bench_function("page100_sequential_walk", |b| {
        b.iter(|| {
            let q = ListQuery::new().with_count(100).with_start_index(start);
            let page = block_on(UserStore::list(&*store, &tenant, &q)).expect("list");
            start = if page.items.len() < 100 { 1 } else { start + 100 };
            black_box(page)
        });
    });

    // PATCH through the provisioning service (read, apply, validate, conditional replace).
    let scim = Provisioning::new(store.clone());
    let mut k = 0;
    g.bench_function("patch_via_service", |b| {
        b.iter(|| {
            k += 1;
            let body = json!({"Operations": [{"op": "Replace", "path": "title", "value": format!("Title {k}")}]});
            black_box(block_on(scim.patch_user(&tenant, &ids[k % ids.len()], &body, None)).expect("patch"))
        });
    });
    let list_req = ListRequest::new().with_filter(format!("userName eq \"{}\"", user_name(&store, &tenant, sample[3])));
    g.bench_function("userName_eq_via_service", |b| {
        b.iter(|| black_box(block_on(scim.list_users(&tenant, &list_req)).expect("list")));
    });
    // purge_expired: 10 000 suspended and due among n (timed alone, suspension untimed), before
    // the creates below grow the store past n.
    let due = Utc.with_ymd_and_hms(2025, 2, 1, 0, 0, 0).single().expect("time");
    let victims = 10_000.min(n / 10);
    let mut times = Vec::new();
    for round in 0..5 {
        for v in 0..victims {
            let i = (v * 97 + round) % n;
            let id = format!("{i:08x}-0000-4000-8000-000000000000");
            let mut u = match block_on(UserStore::get(&*store, &tenant, &id)) {
                Ok(u) => u,
                Err(_) => continue,
            };
            u.as_object_mut().insert("active".into(), json!(false));
            u.set_lifecycle(&Lifecycle {
                status: UserStatus::Suspended,
                invited_at: None,
                activated_at: None,
                suspended_at: Some(due - Duration::days(30)),
                purge_at: Some(due),
            });
            block_on(UserStore::replace(&*store, &tenant, u, None, None)).expect("suspend");
        }
        let t = Instant::now();
        let purged = block_on(UserStore::purge_expired(&*store, due, None)).expect("purge");
        times.push(t.elapsed());
        assert_eq!(purged.len(), victims, "exactly the suspended users are purged");
        for (_, mut u) in purged {
            u.as_object_mut().insert("active".into(), json!(true));
            u.as_object_mut().remove("groups");
            u.set_lifecycle(&Lifecycle::default());
            block_on(UserStore::create(&*store, &tenant, u, None)).expect("re-create");
        }
    }
    times.sort();
    println!("store_memory/{n}/purge_expired of {victims} due users: median {:.2?} (of {times:?})", times[2]);

    // create_steady: the store stays at n users (each created user is deleted again, untimed),
    // so this is a create into a store of n users; `create` below lets the store grow by every
    // iteration (several hundred thousand users over a measurement at 10k). The next create
    // reuses the memory the delete freed, still in the cache: this is a create's own work,
    // without the cost of growing the heap and the indexes, which `create` includes.
    let next_steady = std::sync::atomic::AtomicUsize::new(4 * n);
    g.bench_function("create_steady", |b| {
        b.iter_custom(|iters| time_creates(&store, &tenant, base, &next_steady, iters, true));
    });

    // create runs last: it grows the store.
    // create: each document is made just before its create and only the create is timed, as
    // a server stores the body it has just parsed (the document is in the cache).
    let next = std::sync::atomic::AtomicUsize::new(n);
    g.bench_function("create", |b| {
        b.iter_custom(|iters| time_creates(&store, &tenant, base, &next, iters, false));
    });
    // create_premade: the documents of a whole sample are made first (cold in memory by the
    // time they are stored, as in a bulk import of documents parsed long before).
    g.bench_function("create_premade", |b| {
        b.iter_custom(|iters| {
            let first = next.fetch_add(iters as usize, std::sync::atomic::Ordering::Relaxed);
            let users: Vec<User> = (first..first + iters as usize).map(|i| make_user(base, i)).collect();
            let t = Instant::now();
            for u in users {
                black_box(block_on(UserStore::create(&*store, &tenant, u, None)).expect("create"));
            }
            t.elapsed()
        });
    });

    g.finish();

    drop(scim);
    drop(store);
}

fn main() {
    let base = scim_benches::load_users();
    let sizes: Vec<usize> = std::env::var("STORE_BENCH_SIZES")
        .ok()
        .map(|s| s.split(',').filter_map(|x| x.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![10_000, 1_000_000]);
    let mut c = Criterion::default().configure_from_args();
    // The baseline of the workload's protocol: serde_json parse + serialize of user 0, so the
    // figures can be compared across machines and loads.
    let user0 = serde_json::to_string(&base[0]).expect("serialize");
    c.bench_function("store_memory/baseline_serde_json_user0_parse_serialize", |b| {
        b.iter(|| {
            let v: Value = serde_json::from_str(black_box(&user0)).expect("parse");
            black_box(serde_json::to_string(&v).expect("serialize"))
        });
    });
    for n in sizes {
        bench_size(&mut c, &base, n);
    }
    c.final_summary();
}
