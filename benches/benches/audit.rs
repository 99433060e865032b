//! What the audit log costs: the same writes with auditing on and off, in one run, on every
//! store (memory; SQLite on disk with its durable default; PostgreSQL on
//! `SCIM_BENCH_DATABASE_URL`, skipped without one), one writer at a time:
//!
//! - through the provisioning service (`Provisioning`): a create, a user PATCH (`title`), a
//!   group membership PATCH (add or remove one member);
//! - through the protocol layer (`ScimService::handle`, no socket): `POST /Users` and a user
//!   `PATCH` with a token, as an identity provider sends them (rate limits off).
//!
//! `cargo bench -p scim-benches --bench audit` (`SCIM_AUDIT_BENCH_STORES=memory,sqlite` to pick).

use async_trait::async_trait;
use criterion::{Criterion, criterion_main};
use scim_core::{
    AuthUnavailable, Authenticator, DynGroupStore, DynUserStore, Limits, Principal, Provisioning, ScimService,
    TenantId, urn,
};
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};
use tokio::runtime::Runtime;

#[derive(Debug)]
struct Token;

#[async_trait]
impl Authenticator for Token {
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AuthUnavailable> {
        Ok((token == "bench")
            .then(|| Principal::new(TenantId::new("t"), Some("tok_bench".into()), Some("Entra".into()))))
    }
}

fn database_url() -> Option<String> {
    ["SCIM_BENCH_DATABASE_URL", "SCIM_TEST_DATABASE_URL"]
        .iter()
        .find_map(|v| std::env::var(v).ok())
        .filter(|u| !u.is_empty())
}

/// The stores to measure, each as (label, users, groups); the guard keeps a temp dir alive.
fn stores(rt: &Runtime, dir: &std::path::Path) -> Vec<(&'static str, Arc<DynUserStore>, Arc<DynGroupStore>)> {
    let wanted = std::env::var("SCIM_AUDIT_BENCH_STORES").unwrap_or_else(|_| "memory,sqlite,postgres".to_owned());
    let wants = |s: &str| wanted.split(',').any(|w| w.trim() == s);
    let mut out: Vec<(&'static str, Arc<DynUserStore>, Arc<DynGroupStore>)> = Vec::new();
    if wants("memory") {
        let s = Arc::new(scim_store_memory::MemoryUserStore::new());
        out.push(("memory", s.clone(), s));
    }
    if wants("sqlite") {
        let s = Arc::new(scim_store_sqlite::SqliteUserStore::open(dir.join("audit.db")).expect("sqlite"));
        out.push(("sqlite", s.clone(), s));
    }
    if wants("postgres") {
        match database_url() {
            Some(url) => {
                let schema = rt.block_on(scim_store_postgres::testing::fresh_schema(&url, "bench_audit"));
                let options = scim_store_postgres::PostgresOptions::new().with_schema(schema).with_max_connections(8);
                let s = Arc::new(
                    rt.block_on(scim_store_postgres::PostgresUserStore::connect_with(&url, options)).expect("pg"),
                );
                out.push(("postgres", s.clone(), s));
            }
            None => eprintln!("audit: no PostgreSQL (set SCIM_BENCH_DATABASE_URL); measuring the others"),
        }
    }
    out
}

fn entra_user(name: &str) -> Value {
    json!({
        "schemas": [urn::USER, urn::ENTERPRISE_USER],
        "userName": name,
        "externalId": name,
        "active": true,
        "displayName": "Bench User",
        "name": {"givenName": "Bench", "familyName": "User"},
        "emails": [{"value": name, "type": "work", "primary": true}],
        "title": "Engineer",
        urn::ENTERPRISE_USER: {"department": "R&D", "employeeNumber": "1"}
    })
}

fn patch_title(n: usize) -> Value {
    json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "Replace", "path": "title", "value": format!("Title {n}")}]})
}

/// Times `iters` runs of `op(i)`, one after the other.
fn timed<F, Fut>(rt: &Runtime, iters: u64, op: F) -> Duration
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    rt.block_on(async {
        let started = Instant::now();
        for i in 0..iters {
            op(usize::try_from(i).unwrap_or(usize::MAX)).await;
        }
        started.elapsed()
    })
}

fn benches(c: &mut Criterion) {
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().expect("runtime");
    let dir = tempfile::tempdir().expect("temp dir");
    let tenant = TenantId::new("t");
    let counter = Arc::new(AtomicUsize::new(0));
    for (label, users, groups) in stores(&rt, dir.path()) {
        let limits = Limits::default().with_tenant_rate(None).with_token_rate(None);
        let base = Provisioning::from_stores(users, groups).with_limits(limits);
        // Users to patch, and a group whose membership flips.
        let ids: Vec<String> = rt.block_on(async {
            let mut ids = Vec::new();
            for i in 0..1000 {
                let u =
                    base.create_user(&tenant, &entra_user(&format!("seed{i}@{label}.example"))).await.expect("seed");
                ids.push(u.id().expect("id").to_owned());
            }
            ids
        });
        let group =
            rt.block_on(base.create_group(&tenant, &json!({"displayName": format!("bench {label}")}))).expect("group");
        let gid = group.id().expect("id").to_owned();
        let mut g = c.benchmark_group(format!("audit/{label}"));
        g.sample_size(20).warm_up_time(Duration::from_secs(1)).measurement_time(Duration::from_secs(3));
        for audit in [false, true] {
            let mode = if audit { "on" } else { "off" };
            let svc = base.clone().with_audit(audit);
            let http = ScimService::new(svc.clone(), Token).with_base_path("/scim/v2");
            g.bench_function(format!("create/{mode}"), |b| {
                b.iter_custom(|iters| {
                    timed(&rt, iters, |_| {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        let svc = &svc;
                        let tenant = &tenant;
                        async move {
                            svc.create_user(tenant, &entra_user(&format!("c{n}@{label}.example")))
                                .await
                                .expect("create");
                        }
                    })
                });
            });
            g.bench_function(format!("patch_user/{mode}"), |b| {
                b.iter_custom(|iters| {
                    timed(&rt, iters, |i| {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        let (svc, tenant, id) = (&svc, &tenant, &ids[i % ids.len()]);
                        async move {
                            svc.patch_user(tenant, id, &patch_title(n), None).await.expect("patch");
                        }
                    })
                });
            });
            g.bench_function(format!("patch_group_member/{mode}"), |b| {
                b.iter_custom(|iters| {
                    timed(&rt, iters, |i| {
                        let op = if i % 2 == 0 { "add" } else { "remove" };
                        let member = &ids[(i / 2) % ids.len()];
                        let body = if op == "add" {
                            json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": member}]}]})
                        } else {
                            json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "remove", "path": format!("members[value eq \"{member}\"]")}]})
                        };
                        let (svc, tenant, gid) = (&svc, &tenant, &gid);
                        async move {
                            svc.patch_group(tenant, gid, &body, None).await.expect("member patch");
                        }
                    })
                });
            });
            g.bench_function(format!("http_post/{mode}"), |b| {
                b.iter_custom(|iters| {
                    timed(&rt, iters, |_| {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        let body = serde_json::to_vec(&entra_user(&format!("h{n}@{label}.example"))).expect("json");
                        let req = http::Request::post("/scim/v2/Users")
                            .header("authorization", "Bearer bench")
                            .header("content-type", "application/scim+json")
                            .header("user-agent", "Azure AD SCIM Provisioning")
                            .header("x-request-id", format!("r{n}"))
                            .body(body)
                            .expect("request");
                        let http = &http;
                        async move {
                            assert_eq!(http.handle(req).await.status(), 201);
                        }
                    })
                });
            });
            g.bench_function(format!("http_patch/{mode}"), |b| {
                b.iter_custom(|iters| {
                    timed(&rt, iters, |i| {
                        let n = counter.fetch_add(1, Ordering::Relaxed);
                        let body = serde_json::to_vec(&patch_title(n)).expect("json");
                        let req = http::Request::patch(format!("/scim/v2/Users/{}", ids[i % ids.len()]))
                            .header("authorization", "Bearer bench")
                            .header("content-type", "application/scim+json")
                            .header("x-request-id", format!("r{n}"))
                            .body(body)
                            .expect("request");
                        let http = &http;
                        async move {
                            assert_eq!(http.handle(req).await.status(), 200);
                        }
                    })
                });
            });
        }
        g.finish();
    }
}

mod group {
    #![allow(missing_docs, unreachable_pub)]
    criterion::criterion_group!(audit, super::benches);
}

criterion_main!(group::audit);
