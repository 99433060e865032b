//! SQLite store benches on the shared workload, database on disk, durable default
//! (`synchronous = FULL`), at 10 000 and 1 000 000 users.
//!
//! The 1 000 000-user database is built once (batched, `synchronous = NORMAL` while loading)
//! into `<target>/bench-data/sqlite-1m.db` and reused by later runs; set
//! `SCIM_SQLITE_BENCH_SCALES=10k` to skip it. Users beyond the 10 000 of the workload are
//! copies of them with a fresh `id`, `userName` and `externalId`.
//!
//! `cargo bench -p scim-benches --bench store_sqlite`

#[path = "common/store_scale.rs"]
mod store_scale;

use criterion::{Criterion, criterion_main};
use scim_store_sqlite::SqliteUserStore;
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use tokio::runtime::Runtime;

/// Opens (building if needed) a database of `n` users at `path`.
fn dataset(rt: &Runtime, templates: &Arc<Vec<Value>>, path: &Path, n: usize) -> SqliteUserStore {
    let store = store_scale::sqlite_dataset(rt, templates, path, n);
    // Closing the loader checkpointed the log into the main file; the log file that remains is
    // reused scratch space, not data, so only the main file counts.
    let bytes = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
    let users = store_scale::count_users(rt, &store);
    eprintln!(
        "{}: {users} users, {:.1} MB on disk, {:.0} bytes per user",
        path.display(),
        bytes as f64 / 1e6,
        bytes as f64 / users.max(1) as f64
    );
    store
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    let templates = Arc::new(scim_benches::load_users());
    let scales = std::env::var("SCIM_SQLITE_BENCH_SCALES").unwrap_or_else(|_| "10k,1m".to_owned());
    let dir = tempfile::tempdir().expect("temp dir");
    if scales.split(',').any(|s| s.trim() == "10k") {
        let store = dataset(&rt, &templates, &dir.path().join("10k.db"), 10_000);
        store_scale::bench_scale(c, "store_sqlite", &rt, &templates, "10k", &store, 10_000);
    }
    if scales.split(',').any(|s| s.trim() == "1m") {
        let cache: PathBuf = scim_benches::target_dir().join("bench-data");
        std::fs::create_dir_all(&cache).expect("bench-data dir");
        let store = dataset(&rt, &templates, &cache.join("sqlite-1m.db"), 1_000_000);
        store_scale::bench_scale(c, "store_sqlite", &rt, &templates, "1m", &store, 1_000_000);
    }
}

mod group {
    #![allow(missing_docs, unreachable_pub)]
    criterion::criterion_group!(store_sqlite, super::benches);
}

criterion_main!(group::store_sqlite);
