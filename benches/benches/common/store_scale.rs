//! The store benches at one scale, shared by `store_sqlite` and `store_postgres` (each
//! includes this file as a module).

use chrono::Utc;
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput};
use scim_core::store::ListQuery;
use scim_core::{GroupStore, Lifecycle, TenantId, UserStatus, UserStore};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

/// The tenant every store bench uses.
pub(crate) const TENANT: &str = "bench";

fn tenant() -> TenantId {
    TenantId::new(TENANT)
}

/// How many users the bench tenant holds.
pub(crate) fn count_users<S: UserStore>(rt: &Runtime, store: &S) -> usize {
    rt.block_on(store.list(&tenant(), &ListQuery::new().with_count(0))).map(|p| p.total_results).unwrap_or(0)
}

/// Loads users `from..to` ([`scim_benches::scaled_user`]) with `tasks` concurrent creates.
pub(crate) fn load_users<S: UserStore + Clone>(
    rt: &Runtime,
    store: &S,
    templates: &Arc<Vec<Value>>,
    from: usize,
    to: usize,
    tasks: usize,
) {
    let next = Arc::new(AtomicU64::new(from as u64));
    rt.block_on(async {
        let mut running = Vec::new();
        for _ in 0..tasks {
            let (store, templates, next) = (store.clone(), Arc::clone(templates), Arc::clone(&next));
            running.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if i >= to {
                        return;
                    }
                    store.create(&tenant(), scim_benches::scaled_user(&templates, i), None).await.expect("load create");
                }
            }));
        }
        for t in running {
            t.await.expect("load task");
        }
    });
}

/// Loads the workload's groups, created 2026-01-01.
pub(crate) fn load_groups<S: GroupStore>(rt: &Runtime, store: &S) {
    for g in scim_benches::load_groups() {
        let mut group = scim_core::Group::from_json(g);
        group.as_object_mut().remove("meta");
        let t = chrono::DateTime::from_timestamp(1_767_225_600, 0).unwrap_or_default();
        group.set_created(t);
        group.set_last_modified(t);
        rt.block_on(store.create(&tenant(), group, None)).expect("load group");
    }
}

/// The store benches at one scale: lookups by id and `userName`, a page of 100 under an
/// indexed filter, creates from 1 and 16 tasks, and the purge of 10 000 expired users.
pub(crate) fn bench_scale<S: UserStore + Clone>(
    c: &mut Criterion,
    name: &str,
    rt: &Runtime,
    templates: &Arc<Vec<Value>>,
    label: &str,
    store: &S,
    n: usize,
) {
    let mut g = c.benchmark_group(format!("{name}/{label}"));
    g.measurement_time(Duration::from_secs(5));
    let t = tenant();
    let probe: Vec<usize> = (0..1000).map(|k| (k * 7919 + 13) % n).collect();

    let mut k = 0;
    g.bench_function("get_by_id", |b| {
        b.iter(|| {
            k = (k + 1) % probe.len();
            rt.block_on(UserStore::get(store, &t, &scim_benches::scaled_id(templates, probe[k]))).expect("get")
        });
    });
    let lookups: Vec<ListQuery> = probe
        .iter()
        .take(100)
        .map(|&i| {
            scim_benches::list_query(&format!("userName eq \"{}\"", scim_benches::scaled_name(templates, i)), 100)
        })
        .collect();
    g.bench_function("user_name_eq", |b| {
        b.iter(|| {
            k = (k + 1) % lookups.len();
            let page = rt.block_on(UserStore::list(store, &t, &lookups[k])).expect("lookup");
            assert_eq!(page.total_results, 1);
            page
        });
    });
    // 1 000 users have a userName starting with "0000" at either scale; a page of 100 of them.
    let page_query = scim_benches::list_query("userName sw \"0000\"", 100);
    g.bench_function("page_100_user_name_sw", |b| {
        b.iter(|| {
            let page = rt.block_on(UserStore::list(store, &t, &page_query)).expect("page");
            assert_eq!((page.total_results, page.items.len()), (1000, 100));
            page
        });
    });

    let next = Arc::new(AtomicU64::new(0));
    let run_id = std::process::id();
    let fresh = {
        let templates = Arc::clone(templates);
        move |seq: u64| {
            let mut u = scim_benches::scaled_user(&templates, seq as usize % 10_000);
            let id = format!("create-{run_id}-{seq}-{n}");
            u.set_id(id.clone());
            u.as_object_mut().insert("userName".into(), json!(id));
            u
        }
    };
    g.throughput(Throughput::Elements(1));
    g.bench_function("create_1_task", |b| {
        b.iter(|| {
            let seq = next.fetch_add(1, Ordering::Relaxed);
            rt.block_on(UserStore::create(store, &t, fresh(seq), None)).expect("create")
        });
    });
    g.sample_size(10);
    g.bench_function("create_16_tasks", |b| {
        b.iter_custom(|iters| {
            let started = Instant::now();
            rt.block_on(async {
                let mut tasks = Vec::new();
                for _ in 0..16 {
                    let (store, next, fresh, t) = (store.clone(), Arc::clone(&next), fresh.clone(), t.clone());
                    let per_task = iters.div_ceil(16);
                    tasks.push(tokio::spawn(async move {
                        for _ in 0..per_task {
                            let seq = next.fetch_add(1, Ordering::Relaxed);
                            UserStore::create(&store, &t, fresh(seq), None).await.expect("create");
                        }
                    }));
                }
                for task in tasks {
                    task.await.expect("create task");
                }
            });
            started.elapsed()
        });
    });

    g.throughput(Throughput::Elements(10_000));
    g.sampling_mode(SamplingMode::Flat);
    g.bench_function(BenchmarkId::new("purge_expired", "10000"), |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let now = Utc::now();
                let base = next.fetch_add(10_000, Ordering::Relaxed);
                rt.block_on(async {
                    let mut tasks = Vec::new();
                    for chunk in 0..100u64 {
                        let (store, fresh, t) = (store.clone(), fresh.clone(), t.clone());
                        tasks.push(tokio::spawn(async move {
                            for seq in (base + chunk * 100)..(base + (chunk + 1) * 100) {
                                let mut u = fresh(seq);
                                u.as_object_mut().insert("active".into(), json!(false));
                                u.set_lifecycle(&Lifecycle {
                                    status: UserStatus::Suspended,
                                    invited_at: None,
                                    activated_at: None,
                                    suspended_at: Some(now),
                                    purge_at: Some(now),
                                });
                                UserStore::create(&store, &t, u, None).await.expect("create suspended");
                            }
                        }));
                    }
                    for task in tasks {
                        task.await.expect("suspend task");
                    }
                });
                let started = Instant::now();
                let purged = rt.block_on(store.purge_expired(now, None)).expect("purge");
                total += started.elapsed();
                assert_eq!(purged.len(), 10_000);
            }
            total
        });
    });
    g.finish();
}

/// Opens the SQLite bench database of `n` users at `path`, loading the missing users first
/// (batched, `synchronous = NORMAL` while loading), and reopens it with the durable default.
#[allow(dead_code, reason = "used by the SQLite benches, not by store_postgres")]
pub(crate) fn sqlite_dataset(
    rt: &Runtime,
    templates: &Arc<Vec<Value>>,
    path: &std::path::Path,
    n: usize,
) -> scim_store_sqlite::SqliteUserStore {
    use scim_store_sqlite::{Durability, SqliteOptions, SqliteUserStore};
    let loader =
        SqliteUserStore::open_with(path, SqliteOptions::new().with_durability(Durability::Normal).with_max_batch(2048))
            .expect("open bench database");
    let have = count_users(rt, &loader);
    if have < n {
        let started = Instant::now();
        eprintln!("loading {} users into {} ...", n - have, path.display());
        if have == 0 {
            load_groups(rt, &loader);
        }
        load_users(rt, &loader, templates, have, n, 256);
        eprintln!("loaded in {:.1?}", started.elapsed());
    }
    drop(loader);
    SqliteUserStore::open(path).expect("reopen bench database")
}
