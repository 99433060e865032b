//! SQLite store benches on the shared workload, database on disk, durable default
//! (`synchronous = FULL`), at 10 000 and 1 000 000 users.
//!
//! The 1 000 000-user database is built once (batched, `synchronous = NORMAL` while loading)
//! into `<target>/bench-data/sqlite-1m.db` and reused by later runs; set
//! `SCIM_SQLITE_BENCH_SCALES=10k` to skip it. Users beyond the 10 000 of the workload are
//! copies of them with a fresh `id`, `userName` and `externalId`.
//!
//! `cargo bench -p scim-benches --bench store_sqlite`

use chrono::{TimeZone, Utc};
use criterion::{BenchmarkId, Criterion, SamplingMode, Throughput, criterion_main};
use scim_core::store::{ListQuery, QueryFilter};
use scim_core::{GroupStore, Lifecycle, TenantId, User, UserStatus, UserStore};
use scim_query::{CompiledFilter, NoSchema, parse_filter};
use scim_store_sqlite::{Durability, SqliteOptions, SqliteUserStore};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

const TENANT: &str = "bench";

fn tenant() -> TenantId {
    TenantId::new(TENANT)
}

/// User `i` of a data set: the workload's user `i % 10 000`, renamed for `i >= 10 000`.
fn user_doc(templates: &[Value], i: usize) -> User {
    let mut doc = templates[i % templates.len()].clone();
    let obj = doc.as_object_mut().expect("workload users are objects");
    obj.insert("id".into(), json!(id_of(templates, i)));
    obj.insert("userName".into(), json!(name_of(templates, i)));
    if i >= templates.len() {
        obj.insert("externalId".into(), json!(format!("ext-{i}")));
    }
    obj.remove("meta");
    let mut user = User::from_json(doc);
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
    user.set_created(t);
    user.set_last_modified(t);
    user.set_lifecycle(&Lifecycle::default());
    user
}

fn id_of(templates: &[Value], i: usize) -> String {
    let id = templates[i % templates.len()]["id"].as_str().unwrap_or("00000000-0000-0000-0000-000000000000");
    if i < templates.len() { id.to_owned() } else { format!("{i:08x}{}", &id[8..]) }
}

fn name_of(templates: &[Value], i: usize) -> String {
    let name = templates[i % templates.len()]["userName"].as_str().unwrap_or("user@example.com");
    format!("{i:07}.{name}")
}

fn query(filter: &str, count: usize) -> ListQuery {
    let parsed = parse_filter(filter).expect("bench filters parse");
    let compiled = CompiledFilter::compile(&parsed, &NoSchema).expect("bench filters compile");
    ListQuery::new().with_filter(QueryFilter { filter: parsed, compiled }).with_count(count)
}

fn count_users(rt: &Runtime, store: &SqliteUserStore) -> usize {
    rt.block_on(UserStore::list(store, &tenant(), &ListQuery::new().with_count(0)))
        .map(|p| p.total_results)
        .unwrap_or(0)
}

/// Loads users `from..to` with many concurrent creates (the writer batches them).
fn load(rt: &Runtime, store: &SqliteUserStore, templates: &Arc<Vec<Value>>, from: usize, to: usize) {
    let next = Arc::new(AtomicU64::new(from as u64));
    rt.block_on(async {
        let mut tasks = Vec::new();
        for _ in 0..256 {
            let (store, templates, next) = (store.clone(), Arc::clone(templates), Arc::clone(&next));
            tasks.push(tokio::spawn(async move {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed) as usize;
                    if i >= to {
                        return;
                    }
                    UserStore::create(&store, &tenant(), user_doc(&templates, i)).await.expect("load create");
                }
            }));
        }
        for t in tasks {
            t.await.expect("load task");
        }
    });
}

fn load_groups(rt: &Runtime, store: &SqliteUserStore) {
    for g in scim_benches::load_groups() {
        let mut group = scim_core::Group::from_json(g);
        group.as_object_mut().remove("meta");
        let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
        group.set_created(t);
        group.set_last_modified(t);
        rt.block_on(GroupStore::create(store, &tenant(), group)).expect("load group");
    }
}

/// Opens (building if needed) a database of `n` users at `path`.
fn dataset(rt: &Runtime, templates: &Arc<Vec<Value>>, path: &Path, n: usize) -> SqliteUserStore {
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
        load(rt, &loader, templates, have, n);
        eprintln!("loaded in {:.1?}", started.elapsed());
    }
    drop(loader);
    let store = SqliteUserStore::open(path).expect("reopen bench database");
    // Closing the loader checkpointed the log into the main file; the log file that remains is
    // reused scratch space, not data, so only the main file counts.
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let users = count_users(rt, &store);
    eprintln!(
        "{}: {users} users, {:.1} MB on disk, {:.0} bytes per user",
        path.display(),
        bytes as f64 / 1e6,
        bytes as f64 / users.max(1) as f64
    );
    store
}

fn bench_scale(
    c: &mut Criterion,
    rt: &Runtime,
    templates: &Arc<Vec<Value>>,
    label: &str,
    store: &SqliteUserStore,
    n: usize,
) {
    let mut g = c.benchmark_group(format!("store_sqlite/{label}"));
    g.measurement_time(Duration::from_secs(5));
    let t = tenant();
    let probe: Vec<usize> = (0..1000).map(|k| (k * 7919 + 13) % n).collect();

    let mut k = 0;
    g.bench_function("get_by_id", |b| {
        b.iter(|| {
            k = (k + 1) % probe.len();
            rt.block_on(UserStore::get(store, &t, &id_of(templates, probe[k]))).expect("get")
        });
    });
    let lookups: Vec<ListQuery> =
        probe.iter().take(100).map(|&i| query(&format!("userName eq \"{}\"", name_of(templates, i)), 100)).collect();
    g.bench_function("user_name_eq", |b| {
        b.iter(|| {
            k = (k + 1) % lookups.len();
            let page = rt.block_on(UserStore::list(store, &t, &lookups[k])).expect("lookup");
            assert_eq!(page.total_results, 1);
            page
        });
    });
    // 1 000 users have a userName starting with "0000" at either scale; a page of 100 of them.
    let page_query = query("userName sw \"0000\"", 100);
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
            let mut u = user_doc(&templates, seq as usize % 10_000);
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
            rt.block_on(UserStore::create(store, &t, fresh(seq))).expect("create")
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
                            UserStore::create(&store, &t, fresh(seq)).await.expect("create");
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
                                UserStore::create(&store, &t, u).await.expect("create suspended");
                            }
                        }));
                    }
                    for task in tasks {
                        task.await.expect("suspend task");
                    }
                });
                let started = Instant::now();
                let purged = rt.block_on(store.purge_expired(now)).expect("purge");
                total += started.elapsed();
                assert_eq!(purged.len(), 10_000);
            }
            total
        });
    });
    g.finish();
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    let templates = Arc::new(scim_benches::load_users());
    let scales = std::env::var("SCIM_SQLITE_BENCH_SCALES").unwrap_or_else(|_| "10k,1m".to_owned());
    let dir = tempfile::tempdir().expect("temp dir");
    if scales.split(',').any(|s| s.trim() == "10k") {
        let store = dataset(&rt, &templates, &dir.path().join("10k.db"), 10_000);
        bench_scale(c, &rt, &templates, "10k", &store, 10_000);
    }
    if scales.split(',').any(|s| s.trim() == "1m") {
        let cache: PathBuf = scim_benches::target_dir().join("bench-data");
        std::fs::create_dir_all(&cache).expect("bench-data dir");
        let store = dataset(&rt, &templates, &cache.join("sqlite-1m.db"), 1_000_000);
        bench_scale(c, &rt, &templates, "1m", &store, 1_000_000);
    }
}

mod group {
    #![allow(missing_docs, unreachable_pub)]
    criterion::criterion_group!(store_sqlite, super::benches);
}

criterion_main!(group::store_sqlite);
