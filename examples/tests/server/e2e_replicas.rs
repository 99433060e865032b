//! Three example-server processes on one PostgreSQL schema, checked through different replicas:
//! one winner among concurrent creates of one `userName`, no lost update among concurrent
//! PATCHes, member adds racing user deletions, read-your-writes, token revocation seen by all,
//! each suspended user purged exactly once (one `Purged` event across the replicas' logs), and
//! a replica killed with SIGKILL mid-load losing no acknowledged write.
//!
//! Needs `SCIM_TEST_DATABASE_URL`; without it the test prints a notice and passes, unless
//! `SCIM_REQUIRE_POSTGRES` is set.

use crate::common::{self, Server};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";
const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";

/// A fresh schema of the test database and the URL that puts a server in it.
fn fresh_database() -> Option<String> {
    use scim_store_postgres::testing;
    let url = testing::database_url("scim-example-server three replicas")?;
    let runtime = tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime");
    let schema = runtime.block_on(testing::fresh_schema(&url, "e2e3"));
    Some(testing::url_with_schema(&url, &schema))
}

/// One request that never panics: `None` when the connection fails (a killed replica).
fn try_call(addr: &str, token: &str, method: &str, path: &str, body: Option<&Value>) -> Option<(u16, Value)> {
    let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
    let auth = format!("Bearer {token}");
    let mut headers = vec![("Authorization", auth.as_str())];
    if bytes.is_some() {
        headers.push(("Content-Type", "application/scim+json"));
    }
    let resp = common::try_request(addr, method, path, &headers, bytes.as_deref())?;
    Some((resp.status, serde_json::from_slice(&resp.body).unwrap_or(Value::Null)))
}

struct Replica {
    server: Server,
    log: std::path::PathBuf,
}

impl Replica {
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> (u16, Value) {
        let full = format!("{}{path}", self.server.base_path);
        try_call(&self.server.addr, &self.server.token, method, &full, body)
            .unwrap_or_else(|| panic!("{method} {path}: no answer from {}", self.server.addr))
    }
}

fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            for c in chars.by_ref() {
                if c.is_ascii_alphabetic() {
                    break;
                }
            }
        } else {
            out.push(c);
        }
    }
    out
}

#[test]
fn three_replicas_on_one_database() {
    let Some(url) = fresh_database() else { return };
    let dir = tempfile::tempdir().expect("log dir");
    // Suspended users are kept 3 s and every replica purges every second.
    let args = [
        "--store",
        "postgres",
        "--database-url",
        url.as_str(),
        "--retention-seconds",
        "3",
        "--purge-interval-seconds",
        "1",
    ];
    let first = Server::start_logged(&args, None, &dir.path().join("r0.log"));
    let token = first.token.clone();
    let mut replicas = vec![Replica { server: first, log: dir.path().join("r0.log") }];
    for n in 1..3 {
        let log = dir.path().join(format!("r{n}.log"));
        replicas.push(Replica { server: Server::start_logged(&args, Some(&token), &log), log });
    }
    let replicas = Arc::new(replicas);
    let r = |i: usize| &replicas[i % 3];

    // One winner among concurrent creates of one userName (in two letter cases), through all three.
    for round in 0..5 {
        let results: Vec<u16> = std::thread::scope(|s| {
            let handles: Vec<_> = (0..9)
                .map(|i| {
                    let name = if i % 2 == 0 {
                        format!("Same{round}@Example.com")
                    } else {
                        format!("same{round}@example.com")
                    };
                    let replica = r(i);
                    s.spawn(move || {
                        replica.call("POST", "/Users", Some(&json!({"schemas": [USER], "userName": name}))).0
                    })
                })
                .collect();
            handles.into_iter().map(|h| h.join().expect("thread")).collect()
        });
        assert_eq!(results.iter().filter(|&&s| s == 201).count(), 1, "round {round}: {results:?}");
        assert!(results.iter().all(|&s| s == 201 || s == 409), "round {round}: {results:?}");
    }

    // No lost update among concurrent PATCHes through different replicas; read-your-writes.
    let (status, created) =
        r(0).call("POST", "/Users", Some(&json!({"schemas": [USER], "userName": "busy@example.com"})));
    assert_eq!(status, 201);
    let id = created["id"].as_str().expect("id").to_owned();
    std::thread::scope(|s| {
        for w in 0..24 {
            let (replica, id) = (r(w), id.as_str());
            s.spawn(move || {
                let body = json!({"schemas": [PATCH_OP], "Operations": [
                    {"op": "add", "path": "emails", "value": [{"value": format!("w{w}@example.com"), "type": format!("t{w}")}]}
                ]});
                let (status, body) = replica.call("PATCH", &format!("/Users/{id}"), Some(&body));
                assert_eq!(status, 200, "{body}");
            });
        }
    });
    for i in 0..3 {
        let (status, u) = r(i).call("GET", &format!("/Users/{id}"), None);
        assert_eq!(status, 200);
        assert_eq!(u["emails"].as_array().map(Vec::len), Some(24), "replica {i}: {u}");
        assert_eq!(u["meta"]["version"], "W/\"25\"");
    }

    // Member adds through two replicas racing deletions of some of those users through the third.
    let (status, group) = r(1).call(
        "POST",
        "/Groups",
        Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "crowd"})),
    );
    assert_eq!(status, 201);
    let gid = group["id"].as_str().expect("group id").to_owned();
    let mut members = Vec::new();
    for m in 0..30 {
        let (status, u) = r(m).call(
            "POST",
            "/Users",
            Some(&json!({"schemas": [USER], "userName": format!("member{m}@example.com")})),
        );
        assert_eq!(status, 201);
        let uid = u["id"].as_str().expect("id").to_owned();
        // Read-your-writes: the next request, through another replica, sees it.
        assert_eq!(r(m + 1).call("GET", &format!("/Users/{uid}"), None).0, 200);
        members.push(uid);
    }
    let deleted: BTreeSet<String> = members.iter().step_by(3).cloned().collect();
    std::thread::scope(|s| {
        for (m, uid) in members.iter().enumerate() {
            let (replica, gid) = (r(m % 2), gid.as_str());
            s.spawn(move || {
                let body = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": uid}]}]});
                let (status, body) = replica.call("PATCH", &format!("/Groups/{gid}"), Some(&body));
                assert!(status == 200 || status == 204, "{status} {body}");
            });
        }
        for uid in &deleted {
            let replica = r(2);
            s.spawn(move || assert_eq!(replica.call("DELETE", &format!("/Users/{uid}"), None).0, 204));
        }
    });
    let (status, g) = r(0).call("GET", &format!("/Groups/{gid}"), None);
    assert_eq!(status, 200);
    let in_group: BTreeSet<String> = g["members"]
        .as_array()
        .map(|ms| ms.iter().filter_map(|m| m["value"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    let survivors: BTreeSet<String> = members.iter().filter(|m| !deleted.contains(*m)).cloned().collect();
    assert_eq!(in_group, survivors, "every surviving member added, no deleted user left in the group");

    // A token revoked with the CLI is refused by all three at once.
    let issued = replicas[0].server.cli(&[
        "--store",
        "postgres",
        "--database-url",
        &url,
        "token",
        "issue",
        "--tenant",
        &replicas[0].server.tenant,
    ]);
    let token_id = issued.lines().find_map(|l| l.strip_prefix("Token id: ")).expect("token id").to_owned();
    let secret = issued.lines().find_map(|l| l.strip_prefix("Secret Token: ")).expect("secret").to_owned();
    let users = |i: usize, token: &str| {
        let server = &r(i).server;
        try_call(&server.addr, token, "GET", &format!("{}/Users?count=1", server.base_path), None).expect("answer").0
    };
    assert!((0..3).all(|i| users(i, &secret) == 200));
    replicas[1].server.cli(&["--store", "postgres", "--database-url", &url, "token", "revoke", &token_id]);
    assert!((0..3).all(|i| users(i, &secret) == 401), "a revoked token still works somewhere");

    // Each suspended user is purged exactly once, with one event across the three replicas.
    let mut suspended = Vec::new();
    for k in 0..30 {
        let body = json!({"schemas": [USER], "userName": format!("leaver{k}@example.com"), "active": false});
        let (status, u) = r(k).call("POST", "/Users", Some(&body));
        assert_eq!(status, 201, "{u}");
        suspended.push(u["id"].as_str().expect("id").to_owned());
    }
    let deadline = Instant::now() + Duration::from_secs(30);
    while suspended.iter().any(|id| r(0).call("GET", &format!("/Users/{id}"), None).0 != 404) {
        assert!(Instant::now() < deadline, "the suspended users were not purged within 30 s");
        std::thread::sleep(Duration::from_millis(250));
    }
    std::thread::sleep(Duration::from_millis(1500));
    let mut purged: BTreeMap<String, usize> = BTreeMap::new();
    for replica in replicas.iter() {
        let log = strip_ansi(&std::fs::read_to_string(&replica.log).expect("read log"));
        for line in log.lines().filter(|l| l.contains("suspended user purged")) {
            if let Some(id) = line.split("user_id=").nth(1).and_then(|rest| rest.split_whitespace().next()) {
                *purged.entry(id.trim_matches('"').to_owned()).or_default() += 1;
            }
        }
    }
    for id in &suspended {
        assert_eq!(purged.get(id), Some(&1), "user {id} purged {:?} times; all: {purged:?}", purged.get(id));
    }

    // A replica killed with SIGKILL mid-load loses no acknowledged write.
    let acknowledged: Arc<Mutex<Vec<String>>> = Arc::new(Mutex::new(Vec::new()));
    let victim_addr = replicas[2].server.addr.clone();
    let base = replicas[2].server.base_path.clone();
    let load: Vec<_> = (0..6)
        .map(|w| {
            let (acknowledged, addr, base, token) =
                (Arc::clone(&acknowledged), victim_addr.clone(), base.clone(), token.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    let body = json!({"schemas": [USER], "userName": format!("load{w}-{n}@example.com")});
                    match try_call(&addr, &token, "POST", &format!("{base}/Users"), Some(&body)) {
                        Some((201, u)) => {
                            acknowledged.lock().expect("lock").push(u["id"].as_str().expect("id").to_owned())
                        }
                        Some((status, body)) => panic!("{status} {body}"),
                        None => return,
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().expect("lock").len() < 60 {
        std::thread::sleep(Duration::from_millis(10));
    }
    let mut replicas = Arc::try_unwrap(replicas).unwrap_or_else(|_| panic!("replicas still shared"));
    replicas[2].server.kill(); // SIGKILL, by the PID this test started
    for t in load {
        t.join().expect("load thread");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    assert!(acknowledged.len() >= 60);
    for id in &acknowledged {
        let (status, _) = replicas[0].call("GET", &format!("/Users/{id}"), None);
        assert_eq!(status, 200, "acknowledged user {id} was lost");
    }
}

/// A private throwaway cluster (`scripts/pg-throwaway`), stopped and removed on drop.
struct PrivateCluster {
    script: std::path::PathBuf,
    dir: String,
    url: String,
}

impl PrivateCluster {
    fn start() -> Self {
        let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../scripts/pg-throwaway");
        let out = std::process::Command::new(&script).arg("start").output().expect("run scripts/pg-throwaway");
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(out.status.success(), "pg-throwaway start failed: {stderr}");
        let url = String::from_utf8(out.stdout).expect("utf-8").trim().to_owned();
        let dir = stderr
            .split("data directory ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .expect("the data directory on stderr")
            .to_owned();
        Self { script, dir, url }
    }

    fn run(&self, command: &str) {
        let status = std::process::Command::new(&self.script).args([command, &self.dir]).status().expect("run");
        assert!(status.success(), "pg-throwaway {command} failed");
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let _ = std::process::Command::new(&self.script).args(["stop", &self.dir]).status();
    }
}

/// The database stops (a restart, a failover): requests fail fast with `503` and
/// `Retry-After`, and the server recovers by itself when the database is back, data intact.
/// Runs on a private cluster, since stopping the shared test database would fail other tests.
#[test]
fn a_database_outage_is_503_and_the_server_recovers() {
    if fresh_database().is_none() {
        return;
    }
    let cluster = PrivateCluster::start();
    let args = ["--store", "postgres", "--database-url", cluster.url.as_str()];
    let server = Server::start(&args);
    let replica = Replica { log: std::path::PathBuf::new(), server };
    let (status, u) = replica.call("POST", "/Users", Some(&json!({"schemas": [USER], "userName": "kept@example.com"})));
    assert_eq!(status, 201);
    let id = u["id"].as_str().expect("id").to_owned();

    cluster.run("pause");
    let started = Instant::now();
    let full = format!("{}/Users/{id}", replica.server.base_path);
    let auth = format!("Bearer {}", replica.server.token);
    let resp = common::raw_request(&replica.server.addr, "GET", &full, &[("Authorization", &auth)], None);
    assert_eq!(resp.status, 503, "{}", resp.text());
    assert!(resp.header("Retry-After").and_then(|v| v.parse::<u64>().ok()).is_some_and(|s| s >= 1));
    assert!(started.elapsed() < Duration::from_secs(10), "the 503 took {:?}", started.elapsed());
    let (status, _) = replica.call("POST", "/Users", Some(&json!({"schemas": [USER], "userName": "lost@example.com"})));
    assert_eq!(status, 503);
    // The readiness probe says so too; the liveness probe does not.
    let ops = replica.server.metrics_addr.clone().expect("metrics address");
    assert_eq!(common::raw_request(&ops, "GET", "/readyz", &[], None).status, 503);
    assert_eq!(common::raw_request(&ops, "GET", "/healthz", &[], None).status, 200);

    cluster.run("resume");
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (status, body) = replica.call("GET", &format!("/Users/{id}"), None);
        if status == 200 {
            assert_eq!(body["userName"], "kept@example.com");
            break;
        }
        assert_eq!(status, 503, "{body}");
        assert!(Instant::now() < deadline, "the server did not recover within 20 s");
        std::thread::sleep(Duration::from_millis(200));
    }
    let (status, _) =
        replica.call("POST", "/Users", Some(&json!({"schemas": [USER], "userName": "after@example.com"})));
    assert_eq!(status, 201);
}
