//! HTTP throughput and latency of the example server on loopback.
//!
//! The example server's axum router (credentials, `ScimService`, axum adapter) is served
//! in-process on `127.0.0.1:0`; a bounded load generator (32 keep-alive HTTP/1.1 connections,
//! one tokio task each, a fixed duration per scenario) measures requests per second and
//! p50/p99 latency for, per store (memory, SQLite with its durable default, PostgreSQL at
//! `SCIM_BENCH_DATABASE_URL` when set) at 100 000 users:
//! `GET /Users?filter=userName eq "…"`, `POST /Users`, and an Entra multi-operation `PATCH`.
//!
//! The write scenarios (`POST`, `PATCH`) run four times, without, with, with and without the
//! audit log (two servers on the same store), and print the means and their ratio.
//!
//! Fairness under expensive queries (first, on the freshly seeded tenant): the same `userName
//! eq` lookups alone, then beside two more clients (one connection each) looping on the
//! unindexed `GET /Users?filter=title co "zzz"` (a scan of every user, served: the scan budget
//! is set above the tenant's size), in the same run; it prints both, the ratios of throughput
//! and p99 (targets: at least 0.7× the lookups, p99 at most 3×), and the scans served.
//! `SCIM_BENCH_SCENARIOS` (default `fairness,lookup,create,patch`) picks the scenarios.
//!
//! `cargo bench -p scim-benches --bench http` (env: `SCIM_BENCH_USERS`, default 100000;
//! `SCIM_BENCH_SECONDS`, default 5; `SCIM_BENCH_CONNECTIONS`, default 32; `SCIM_BENCH_STORES`,
//! default `memory,sqlite,postgres`).
//! Under `cargo test` / `cargo bench --no-run` nothing runs; `--bench` is required.
//! The example server binary runs on jemalloc: `--features jemalloc` measures it as shipped,
//! the default measures the system allocator.

use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use hyper::{Method, Request};
use hyper_util::rt::TokioIo;
// Linked for its global allocator under `--features jemalloc`.
use scim_benches as _;
use scim_core::{DynGroupStore, DynUserStore, Provisioning, ScimService, TenantId};
use scim_example_server::credentials::Credentials;
use scim_example_server::{BASE_PATH, axum_adapter};
use serde_json::json;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};
use tokio::net::{TcpListener, TcpStream};

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

/// What one request of a scenario is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scenario {
    FilterUserName,
    CreateUser,
    PatchEntra,
    /// An unindexed filter: every user examined (`title co "zzz"` matches none).
    ScanTitle,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Self::FilterUserName => "GET /Users?filter=userName eq",
            Self::CreateUser => "POST /Users",
            Self::PatchEntra => "PATCH /Users/{id} (Entra multi-op)",
            Self::ScanTitle => "GET /Users?filter=title co \"zzz\"",
        }
    }
}

struct Target {
    addr: String,
    base: String,
    auth: String,
    ids: Arc<Vec<String>>,
    users: usize,
}

fn user_body(n: u64, prefix: &str) -> serde_json::Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": format!("{prefix}{n}@bench.example"),
        "externalId": format!("ext-{prefix}{n}"),
        "active": true,
        "displayName": format!("User {n}"),
        "name": {"givenName": "Given", "familyName": format!("Family{n}")},
        "emails": [{"value": format!("{prefix}{n}@bench.example"), "type": "work", "primary": true}],
        "title": "Engineer",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "R&D", "employeeNumber": n.to_string()}
    })
}

fn entra_patch(n: u64) -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": [
        {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": format!("moved{n}@bench.example")},
        {"op": "Replace", "path": "name.givenName", "value": format!("G{n}")},
        {"op": "Replace", "path": "title", "value": format!("Title {n}")},
        {"op": "Replace", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department", "value": "Ops"}
    ]})
}

/// Cheap deterministic pseudo-random numbers per task.
fn next(seed: &mut u64) -> u64 {
    *seed ^= *seed << 13;
    *seed ^= *seed >> 7;
    *seed ^= *seed << 17;
    *seed
}

async fn connection(addr: &str) -> hyper::client::conn::http1::SendRequest<Full<Bytes>> {
    let stream = TcpStream::connect(addr).await.expect("connect");
    stream.set_nodelay(true).expect("nodelay");
    let (sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream)).await.expect("handshake");
    tokio::spawn(async move {
        let _ = conn.await;
    });
    sender
}

/// What one scenario measured.
#[derive(Debug, Clone, Copy, Default)]
struct Stats {
    rate: f64,
    p50: Duration,
    p99: Duration,
    requests: usize,
    errors: u64,
}

impl Stats {
    fn print(&self, name: &str) {
        println!(
            "  {:<40} {:>9.0} req/s   p50 {:>7.2} ms   p99 {:>7.2} ms   ({} requests, {} non-2xx/errors)",
            name,
            self.rate,
            self.p50.as_secs_f64() * 1e3,
            self.p99.as_secs_f64() * 1e3,
            self.requests,
            self.errors
        );
    }
}

/// Users created by the `POST` scenario so far, across runs: every run creates new names.
static CREATED: AtomicU64 = AtomicU64::new(0);

async fn run(target: Arc<Target>, scenario: Scenario, connections: usize, duration: Duration) -> Stats {
    let created = &CREATED;
    let deadline = Instant::now() + duration;
    let mut tasks = Vec::new();
    for task in 0..connections {
        let target = target.clone();
        tasks.push(tokio::spawn(async move {
            let mut sender = connection(&target.addr).await;
            let mut latencies = Vec::with_capacity(100_000);
            let mut errors = 0u64;
            let mut seed = 0x9E37_79B9_7F4A_7C15u64 ^ (task as u64 + 1);
            while Instant::now() < deadline {
                let r = next(&mut seed);
                let (method, path, body) = match scenario {
                    Scenario::FilterUserName => {
                        let n = r % target.users as u64;
                        let path = format!("{}/Users?filter=userName+eq+%22u{n}%40bench.example%22", target.base);
                        (Method::GET, path, None)
                    }
                    Scenario::CreateUser => {
                        let n = created.fetch_add(1, Ordering::Relaxed);
                        (Method::POST, format!("{}/Users", target.base), Some(user_body(n, "new")))
                    }
                    Scenario::PatchEntra => {
                        let id = &target.ids[(r % target.ids.len() as u64) as usize];
                        (Method::PATCH, format!("{}/Users/{id}", target.base), Some(entra_patch(r)))
                    }
                    Scenario::ScanTitle => {
                        (Method::GET, format!("{}/Users?filter=title+co+%22zzz%22", target.base), None)
                    }
                };
                let bytes = body.map(|b| Bytes::from(serde_json::to_vec(&b).expect("json"))).unwrap_or_default();
                let req = Request::builder()
                    .method(method)
                    .uri(path)
                    .header("host", target.addr.as_str())
                    .header("authorization", target.auth.as_str())
                    .header("content-type", "application/scim+json")
                    .body(Full::new(bytes))
                    .expect("request");
                let started = Instant::now();
                if sender.ready().await.is_err() {
                    sender = connection(&target.addr).await;
                }
                match sender.send_request(req).await {
                    Ok(resp) => {
                        let ok = resp.status().is_success();
                        let _ = resp.into_body().collect().await;
                        latencies.push(started.elapsed());
                        if !ok {
                            errors += 1;
                        }
                    }
                    Err(_) => {
                        errors += 1;
                        sender = connection(&target.addr).await;
                    }
                }
            }
            (latencies, errors)
        }));
    }
    let mut all = Vec::new();
    let mut errors = 0;
    for t in tasks {
        let (l, e) = t.await.expect("task");
        all.extend(l);
        errors += e;
    }
    all.sort_unstable();
    let pct = |p: f64| all.get(((all.len() as f64 * p) as usize).min(all.len().saturating_sub(1))).copied();
    Stats {
        rate: all.len() as f64 / duration.as_secs_f64(),
        p50: pct(0.50).unwrap_or_default(),
        p99: pct(0.99).unwrap_or_default(),
        requests: all.len(),
        errors,
    }
}

/// `userName eq` lookups alone, then beside two clients looping on an unindexed filter.
async fn fairness(target: Arc<Target>, connections: usize, duration: Duration) {
    let alone = run(target.clone(), Scenario::FilterUserName, connections, duration).await;
    alone.print("lookups alone");
    let (beside, scans) = tokio::join!(
        run(target.clone(), Scenario::FilterUserName, connections, duration),
        run(target.clone(), Scenario::ScanTitle, 2, duration)
    );
    beside.print("lookups beside 2 looping scans");
    scans.print(Scenario::ScanTitle.name());
    let throughput = beside.rate / alone.rate.max(f64::MIN_POSITIVE);
    let p99 = beside.p99.as_secs_f64() / alone.p99.as_secs_f64().max(f64::MIN_POSITIVE);
    let verdict = |ok: bool| if ok { "met" } else { "MISSED" };
    println!(
        "  fairness: throughput {throughput:.2}x (target >= 0.7x: {}), p99 {p99:.2}x (target <= 3x: {})",
        verdict(throughput >= 0.7),
        verdict(p99 <= 3.0)
    );
}

async fn bench_store(name: &str, users: Arc<DynUserStore>, groups: Arc<DynGroupStore>, count: usize) {
    let creds = Arc::new(Credentials::open_in_memory().expect("credentials"));
    let tenant = creds.create_tenant(None).await.expect("tenant");
    let token = creds.issue_token(&tenant.id, None).await.expect("token");
    // The load generator is one tenant with one token far above any sane rate limit: measure
    // the stores, not the limiter. The scan budget is above the tenant's size, so that the
    // fairness scenario's scans are served (the per-tenant and service-wide scan bounds stay
    // at their defaults).
    let limits = scim_core::Limits::default()
        .with_tenant_rate(None)
        .with_token_rate(None)
        .with_max_scan(Some(count.saturating_mul(2)));
    let provisioning = Provisioning::from_stores(users, groups).with_limits(limits);
    let seeding = Instant::now();
    // Seeded without the audit log: 100 000 records of seeding would only slow the set-up.
    let ids = Arc::new(seed(&provisioning.clone().with_audit(false), &tenant.id, count).await);
    println!("{name}: seeded {count} users in {:.1} s", seeding.elapsed().as_secs_f64());

    // One server with the audit log (the default), one without, on the same store and
    // credentials: the write scenarios run on both, one after the other, in the same run.
    let mut servers = Vec::new();
    let mut targets = Vec::new();
    for audit in [true, false] {
        let service = ScimService::new(provisioning.clone().with_audit(audit), creds.clone()).with_base_path(BASE_PATH);
        if audit {
            handler_baseline(&service, &tenant.id, &token.secret, count).await;
        }
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr").to_string();
        let app = axum_adapter::router(service);
        servers.push(tokio::spawn(async move { axum::serve(listener, app).await }));
        targets.push(Arc::new(Target {
            base: BASE_PATH.replace("{tenant}", tenant.id.as_str()),
            auth: format!("Bearer {}", token.secret),
            addr,
            ids: Arc::clone(&ids),
            users: count,
        }));
    }
    let (target, unaudited) = (targets[0].clone(), targets[1].clone());
    let connections = env_usize("SCIM_BENCH_CONNECTIONS", 32);
    let duration = Duration::from_secs(env_usize("SCIM_BENCH_SECONDS", 5) as u64);
    let scenarios = std::env::var("SCIM_BENCH_SCENARIOS").unwrap_or_else(|_| "fairness,lookup,create,patch".into());
    for name in scenarios.split(',').map(str::trim) {
        let scenario = match name {
            "fairness" => {
                fairness(target.clone(), connections, duration).await;
                continue;
            }
            "lookup" => Scenario::FilterUserName,
            "create" => Scenario::CreateUser,
            "patch" => Scenario::PatchEntra,
            other => {
                println!("  unknown scenario {other:?} (fairness, lookup, create, patch)");
                continue;
            }
        };
        if scenario == Scenario::FilterUserName {
            run(target.clone(), scenario, connections, duration).await.print(scenario.name());
            continue;
        }
        // Off, on, on, off: each mode runs once early and once late, so neither gains from
        // going first or last (a store warming up, SQLite's log growing).
        let mut runs = Vec::new();
        for (i, audited) in [false, true, true, false].into_iter().enumerate() {
            let which = if audited { target.clone() } else { unaudited.clone() };
            let stats = run(which, scenario, connections, duration).await;
            stats.print(&format!("{} (audit {}, run {})", scenario.name(), if audited { "on" } else { "off" }, i + 1));
            runs.push((audited, stats));
        }
        let mean = |audited: bool, f: fn(&Stats) -> f64| {
            let picked: Vec<f64> = runs.iter().filter(|(a, _)| *a == audited).map(|(_, s)| f(s)).collect();
            picked.iter().sum::<f64>() / picked.len().max(1) as f64
        };
        let (rate, p99) = (|s: &Stats| s.rate, |s: &Stats| s.p99.as_secs_f64());
        println!(
            "  audit log: {:.0} req/s against {:.0} without ({:.2}x), p99 {:.2} ms against {:.2} ({:.2}x)",
            mean(true, rate),
            mean(false, rate),
            mean(true, rate) / mean(false, rate).max(f64::MIN_POSITIVE),
            mean(true, p99) * 1e3,
            mean(false, p99) * 1e3,
            mean(true, p99) / mean(false, p99).max(f64::MIN_POSITIVE)
        );
    }
    for server in servers {
        server.abort();
    }
}

/// The cost of one `GET /Users?filter=userName eq` inside the process, without HTTP or
/// sockets: `ScimService::handle` called sequentially on one task.
async fn handler_baseline(service: &ScimService, tenant: &TenantId, token: &str, users: usize) {
    const N: u64 = 20_000;
    let base = BASE_PATH.replace("{tenant}", tenant.as_str());
    let auth = format!("Bearer {token}");
    let mut seed = 0x2545_F491_4F6C_DD1Du64;
    let started = Instant::now();
    for _ in 0..N {
        let n = next(&mut seed) % users as u64;
        let req = Request::builder()
            .uri(format!("{base}/Users?filter=userName+eq+%22u{n}%40bench.example%22"))
            .header("authorization", auth.as_str())
            .body(Vec::new())
            .expect("request");
        let resp = service.handle(req).await;
        assert_eq!(resp.status(), 200);
    }
    let per = started.elapsed().as_secs_f64() / N as f64;
    println!(
        "  {:<36} {:>9.0} req/s   ({:.1} us per request, one task, no HTTP)",
        "handle() GET filter in-process",
        1.0 / per,
        per * 1e6
    );
}

/// Creates `count` users through the provisioning service, 64 at a time (so a store that
/// groups concurrent commits can batch them).
async fn seed(provisioning: &Provisioning, tenant: &TenantId, count: usize) -> Vec<String> {
    const WORKERS: u64 = 64;
    let mut tasks = Vec::new();
    for worker in 0..WORKERS {
        let provisioning = provisioning.clone();
        let tenant = tenant.clone();
        tasks.push(tokio::spawn(async move {
            let mut ids = Vec::new();
            let mut n = worker;
            while n < count as u64 {
                let user = provisioning.create_user(&tenant, &user_body(n, "u")).await.expect("seed user");
                ids.push(user.id().expect("id").to_owned());
                n += WORKERS;
            }
            ids
        }));
    }
    let mut ids = Vec::with_capacity(count);
    for task in tasks {
        ids.extend(task.await.expect("seed task"));
    }
    ids
}

fn main() {
    // `cargo test --benches` and `cargo bench --no-run` must not start a load test.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let count = env_usize("SCIM_BENCH_USERS", 100_000);
    let rt = tokio::runtime::Builder::new_multi_thread().enable_all().build().expect("runtime");
    rt.block_on(async {
        let stores = std::env::var("SCIM_BENCH_STORES").unwrap_or_else(|_| "memory,sqlite,postgres".to_owned());
        let wanted = |name: &str| stores.split(',').any(|s| s.trim() == name);
        if wanted("memory") {
            let memory = Arc::new(scim_store_memory::MemoryUserStore::new());
            bench_store("memory", memory.clone(), memory, count).await;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        if wanted("sqlite") {
            let sqlite =
                Arc::new(scim_store_sqlite::SqliteUserStore::open(dir.path().join("bench.db")).expect("sqlite"));
            bench_store("sqlite", sqlite.clone(), sqlite, count).await;
        }
        let url = ["SCIM_BENCH_DATABASE_URL", "SCIM_TEST_DATABASE_URL"]
            .iter()
            .find_map(|v| std::env::var(v).ok())
            .filter(|u| !u.is_empty());
        match url {
            Some(url) if wanted("postgres") => {
                // A fresh schema per run: the store's tables start empty, like the others'.
                let schema = format!("scim_http_bench_{}", std::process::id());
                let options = scim_store_postgres::PostgresOptions::new().with_schema(schema).with_max_connections(32);
                let pg = Arc::new(
                    scim_store_postgres::PostgresUserStore::connect_with(&url, options).await.expect("postgres"),
                );
                bench_store("postgres", pg.clone(), pg, count).await;
            }
            _ if wanted("postgres") => println!("postgres: skipped (set SCIM_BENCH_DATABASE_URL)"),
            _ => {}
        }
    });
}
