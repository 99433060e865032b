//! The audit log end to end: what an identity provider's requests leave in it (actor, client,
//! request id, changes, refusals), `audit export` with its filters, and the crash test: a
//! server killed with SIGKILL under load, restarted, has exactly one record for every write it
//! acknowledged, on SQLite and (with `SCIM_TEST_DATABASE_URL`) on PostgreSQL.

use crate::common;

use common::Server;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;
use std::sync::{Arc, Mutex};
use std::time::Duration;

const USER: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// `audit export` on the server's store (`store` are the store arguments); the records, parsed.
fn export(server: &Server, store: &[&str], extra: &[&str]) -> Vec<Value> {
    let out = Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
        .args(["audit", "export", "--tenant", &server.tenant])
        .args(extra)
        .arg("--db")
        .arg(server.db())
        .args(store)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run audit export");
    assert!(out.status.success(), "audit export failed: {}", String::from_utf8_lossy(&out.stderr));
    let text = String::from_utf8(out.stdout).expect("utf-8");
    text.lines().map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON ({e}): {l}"))).collect()
}

/// One request with `X-Request-Id: request_id` and `User-Agent`; `None` when the connection
/// failed or closed before a whole response (the server was killed).
fn send(
    addr: &str,
    token: &str,
    method: &str,
    path: &str,
    body: Option<&Value>,
    request_id: &str,
) -> Option<(u16, Value)> {
    let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
    let auth = format!("Bearer {token}");
    let mut headers =
        vec![("Authorization", auth.as_str()), ("X-Request-Id", request_id), ("User-Agent", "e2e-audit/1.0")];
    if bytes.is_some() {
        headers.push(("Content-Type", "application/scim+json"));
    }
    let resp = common::try_request(addr, method, path, &headers, bytes.as_deref())?;
    Some((resp.status, serde_json::from_slice(&resp.body).unwrap_or(Value::Null)))
}

fn active(value: bool) -> Value {
    json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": value}]})
}

#[test]
fn records_say_who_changed_what_and_why_a_request_failed() {
    let server = Server::start(&[]);
    let (addr, token, base) = (server.addr.clone(), server.token.clone(), server.base_path.clone());
    let body = json!({"schemas": [USER], "userName": "alice@example.com", "externalId": "a1", "title": "Engineer"});
    let (status, user) =
        send(&addr, &token, "POST", &format!("{base}/Users"), Some(&body), "req-create").expect("post");
    assert_eq!(status, 201);
    let id = user["id"].as_str().expect("id").to_owned();
    let path = format!("{base}/Users/{id}");
    assert_eq!(send(&addr, &token, "PATCH", &path, Some(&active(false)), "req-suspend").expect("patch").0, 200);
    let (status, _) = send(&addr, &token, "POST", &format!("{base}/Users"), Some(&body), "req-dup").expect("post");
    assert_eq!(status, 409);
    // A response carries the request id the record has.
    let resp = server.raw("GET", &path, &[("Authorization", &format!("Bearer {token}"))], None).expect(200);
    assert!(resp.header("X-Request-Id").is_some_and(|v| !v.is_empty()));

    let records = export(&server, &[], &[]);
    let by_request: BTreeMap<&str, &Value> =
        records.iter().map(|r| (r["request_id"].as_str().expect("request id"), r)).collect();
    assert_eq!(by_request.len(), 3, "{records:?}");
    let create = by_request["req-create"];
    for field in ["time", "tenant", "actor", "client", "method", "resource_type", "operation", "changes", "status"] {
        assert!(create.get(field).is_some(), "{field} missing: {create}");
    }
    assert_eq!(create["tenant"], server.tenant.as_str());
    assert_eq!(create["actor"]["type"], "token");
    assert!(create["actor"]["id"].as_str().is_some_and(|t| t.starts_with("tok_")), "{create}");
    assert_eq!(create["actor"]["label"], "first");
    assert_eq!(create["client"], "e2e-audit/1.0");
    assert_eq!((create["method"].as_str(), create["operation"].as_str()), (Some("POST"), Some("create")));
    assert_eq!((create["resource_type"].as_str(), create["resource_id"].as_str()), (Some("User"), Some(id.as_str())));
    assert_eq!(create["status"], 201);
    assert_eq!(create["transition"], json!({"from": null, "to": "pending"}));
    let suspend = by_request["req-suspend"];
    assert_eq!(suspend["transition"], json!({"from": "pending", "to": "suspended"}));
    assert!(
        suspend["changes"]
            .as_array()
            .expect("changes")
            .contains(&json!({"attribute": "active", "old": true, "new": false}))
    );
    let dup = by_request["req-dup"];
    assert_eq!((dup["status"].as_u64(), dup["scim_type"].as_str()), (Some(409), Some("uniqueness")));
    assert!(dup["detail"].as_str().is_some_and(|d| d.contains("userName")), "{dup}");
    // Newest first.
    assert_eq!(records[0]["request_id"], "req-dup");
    // Filters.
    let mine = export(&server, &[], &["--resource", &id]);
    assert_eq!(mine.len(), 2);
    let future = export(&server, &[], &["--since", "2999-01-01T00:00:00Z"]);
    assert!(future.is_empty());
    // A bad --since is refused with a message.
    let out = Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
        .args(["audit", "export", "--tenant", &server.tenant, "--since", "yesterday", "--db"])
        .arg(server.db())
        .output()
        .expect("run");
    assert!(!out.status.success());
    assert!(String::from_utf8_lossy(&out.stderr).contains("RFC 3339"));
}

#[test]
fn no_audit_keeps_no_records() {
    let server = Server::start(&["--no-audit"]);
    server.post("/Users", &json!({"schemas": [USER], "userName": "quiet@example.com"})).expect(201);
    assert!(export(&server, &[], &[]).is_empty());
}

/// Request id -> (operation, resource id, status) of acknowledged writes.
type Acknowledged = BTreeMap<String, (&'static str, String, u16)>;

/// Writers loop on creates, patches and deletes with distinct request ids; the server is
/// killed with SIGKILL mid-load and started again on the same store. Every acknowledged write
/// has exactly one record (same operation, resource and status); a record whose response never
/// arrived is one of the requests in flight at the kill (its write happened; the answer was lost).
fn crash_leaves_one_record_per_acknowledged_write(store: &[&str]) {
    let mut server = Server::start(store);
    let (addr, token, base) = (server.addr.clone(), server.token.clone(), server.base_path.clone());
    let acknowledged: Arc<Mutex<Acknowledged>> = Arc::default();
    let in_flight: Arc<Mutex<BTreeSet<String>>> = Arc::default();
    let writers: Vec<_> = (0..4)
        .map(|w| {
            let (acknowledged, in_flight) = (Arc::clone(&acknowledged), Arc::clone(&in_flight));
            let (addr, token, base) = (addr.clone(), token.clone(), base.clone());
            std::thread::spawn(move || {
                for n in 0.. {
                    let steps: [(&str, &'static str, Option<Value>); 3] = [
                        (
                            "POST",
                            "create",
                            Some(json!({"schemas": [USER], "userName": format!("w{w}-{n}@example.com")})),
                        ),
                        ("PATCH", "patch", Some(active(false))),
                        ("DELETE", "delete", None),
                    ];
                    let mut id = String::new();
                    for (i, (method, operation, body)) in steps.iter().enumerate() {
                        let rid = format!("w{w}-{n}-{i}");
                        let path = if i == 0 { format!("{base}/Users") } else { format!("{base}/Users/{id}") };
                        in_flight.lock().expect("lock").insert(rid.clone());
                        let Some((status, answer)) = send(&addr, &token, method, &path, body.as_ref(), &rid) else {
                            return;
                        };
                        in_flight.lock().expect("lock").remove(&rid);
                        assert!((200..300).contains(&status), "{method} {status} {answer}");
                        if i == 0 {
                            id = answer["id"].as_str().expect("id").to_owned();
                        }
                        acknowledged.lock().expect("lock").insert(rid, (*operation, id.clone(), status));
                    }
                }
            })
        })
        .collect();
    while acknowledged.lock().expect("lock").len() < 150 {
        std::thread::sleep(Duration::from_millis(5));
    }
    server.kill(); // SIGKILL, by the PID this test started
    for t in writers {
        t.join().expect("writer");
    }
    let acknowledged = acknowledged.lock().expect("lock").clone();
    let in_flight = in_flight.lock().expect("lock").clone();
    // A restart on the same store, which must come up and answer.
    let restarted = Server::start_replica_in(&server, store);
    restarted.get("/Users?count=1").expect(200);
    drop(restarted);

    let records = export(&server, store, &[]);
    let mut seen: BTreeMap<String, Vec<&Value>> = BTreeMap::new();
    for r in &records {
        seen.entry(r["request_id"].as_str().expect("request id").to_owned()).or_default().push(r);
    }
    for (rid, (operation, id, status)) in &acknowledged {
        let found = seen.get(rid).map_or(&[][..], Vec::as_slice);
        assert_eq!(found.len(), 1, "acknowledged write {rid} has {} records", found.len());
        let r = found[0];
        assert_eq!(r["operation"].as_str(), Some(*operation), "{r}");
        assert_eq!(r["resource_id"].as_str(), Some(id.as_str()), "{r}");
        assert_eq!(r["status"].as_u64(), Some(u64::from(*status)), "{r}");
    }
    for (rid, found) in &seen {
        assert_eq!(found.len(), 1, "request {rid} has {} records", found.len());
        assert!(acknowledged.contains_key(rid) || in_flight.contains(rid), "record of a request never sent: {rid}");
    }
    assert!(acknowledged.len() >= 150);
}

#[cfg(unix)]
#[test]
fn sigkill_leaves_one_record_per_acknowledged_write_on_sqlite() {
    crash_leaves_one_record_per_acknowledged_write(&[]);
}

#[cfg(unix)]
#[test]
fn sigkill_leaves_one_record_per_acknowledged_write_on_postgres() {
    let Some(url) = scim_store_postgres::testing::database_url("the audit crash test on PostgreSQL") else { return };
    let schema = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(scim_store_postgres::testing::fresh_schema(&url, "e2e_audit"));
    let url = scim_store_postgres::testing::url_with_schema(&url, &schema);
    crash_leaves_one_record_per_acknowledged_write(&["--store", "postgres", "--database-url", &url]);
}
