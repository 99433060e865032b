//! PostgreSQL store benches on the shared workload, at 10 000 and 1 000 000 users, on the
//! database named by `SCIM_BENCH_DATABASE_URL` (or `SCIM_TEST_DATABASE_URL`; run it with
//! durable settings, `synchronous_commit = on`, as `scripts/pg-throwaway start` does). Without
//! one the bench prints a notice and measures nothing.
//!
//! Each scale lives in its own schema (`scim_bench_10k`, `scim_bench_1m`), built once (the
//! loader's connections commit with `synchronous_commit = off`; the measured store's are
//! durable) and reused by later runs; set `SCIM_POSTGRES_BENCH_SCALES=10k` to skip the million.
//! The disk each user takes (tables and indexes, `pg_total_relation_size`) is printed.
//!
//! `cargo bench -p scim-benches --bench store_postgres`

#[path = "common/store_scale.rs"]
mod store_scale;

use criterion::{Criterion, criterion_main};
use scim_store_postgres::{PostgresOptions, PostgresUserStore};
use serde_json::Value;
use std::sync::Arc;
use std::time::Instant;
use tokio::runtime::Runtime;

fn database_url() -> Option<String> {
    ["SCIM_BENCH_DATABASE_URL", "SCIM_TEST_DATABASE_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok())
        .filter(|u| !u.is_empty())
}

/// Opens (building if needed) the data set of `n` users in schema `schema`.
fn dataset(rt: &Runtime, templates: &Arc<Vec<Value>>, url: &str, schema: &str, n: usize) -> PostgresUserStore {
    let store = rt
        .block_on(PostgresUserStore::connect_with(
            url,
            PostgresOptions::new().with_schema(schema).with_max_connections(32),
        ))
        .expect("open the bench database");
    let have = store_scale::count_users(rt, &store);
    if have < n {
        let started = Instant::now();
        eprintln!("loading {} users into schema {schema} ...", n - have);
        let sep = if url.contains('?') { '&' } else { '?' };
        let loader_url = format!("{url}{sep}options=-c%20synchronous_commit%3Doff");
        let loader = rt
            .block_on(PostgresUserStore::connect_with(
                &loader_url,
                PostgresOptions::new().with_schema(schema).with_max_connections(16),
            ))
            .expect("open the loader");
        if have == 0 {
            store_scale::load_groups(rt, &loader);
        }
        store_scale::load_users(rt, &loader, templates, have, n, 64);
        rt.block_on(sqlx::query("VACUUM ANALYZE").execute(loader.pool())).expect("vacuum");
        eprintln!("loaded in {:.1?}", started.elapsed());
    }
    let (users, bytes): (i64, i64) = rt
        .block_on(
            sqlx::query_as(
                "SELECT (SELECT count(*) FROM scim_users), pg_total_relation_size('scim_users') \
                 + pg_total_relation_size('scim_memberships') + pg_total_relation_size('scim_groups')",
            )
            .fetch_one(store.pool()),
        )
        .expect("sizes");
    eprintln!(
        "schema {schema}: {users} users, {:.1} MB with indexes, {:.0} bytes per user",
        bytes as f64 / 1e6,
        bytes as f64 / users.max(1) as f64
    );
    store
}

fn benches(c: &mut Criterion) {
    let Some(url) = database_url() else {
        eprintln!("store_postgres: no database (set SCIM_BENCH_DATABASE_URL; scripts/pg-throwaway start prints one)");
        return;
    };
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().expect("runtime");
    let templates = Arc::new(scim_benches::load_users());
    let scales = std::env::var("SCIM_POSTGRES_BENCH_SCALES").unwrap_or_else(|_| "10k,1m".to_owned());
    for (label, n) in [("10k", 10_000), ("1m", 1_000_000)] {
        if scales.split(',').any(|s| s.trim() == label) {
            let store = dataset(&rt, &templates, &url, &format!("scim_bench_{label}"), n);
            store_scale::bench_scale(c, "store_postgres", &rt, &templates, label, &store, n);
        }
    }
}

mod group {
    #![allow(missing_docs, unreachable_pub)]
    criterion::criterion_group!(store_postgres, super::benches);
}

criterion_main!(group::store_postgres);
