//! The user lifecycle over HTTP with a short retention, the invitation outbox, tenant
//! isolation with two tokens, and the credentials CLI.

use crate::common;

use common::Server;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

const LIFECYCLE: &str = "urn:scim-rs:params:scim:schemas:extension:lifecycle:2.0:User";
const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
        "name": {"givenName": "Kim", "familyName": "Lee"}, "title": "Engineer",
        "emails": [{"value": name, "type": "work", "primary": true}]})
}

fn set_active(server: &Server, id: &str, active: bool) -> Value {
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": active}]});
    server.patch(&format!("/Users/{id}"), &patch).expect(200).json()
}

#[test]
fn suspend_restore_and_purge_with_a_short_retention() {
    for store in ["sqlite", "memory"] {
        let server = Server::start(&["--store", store, "--retention-seconds", "3", "--purge-interval-seconds", "1"]);
        let created = server.post("/Users", &user("kim@example.com")).expect(201).json();
        let id = created["id"].as_str().expect("id").to_owned();
        assert_eq!(created[LIFECYCLE]["status"], "pending", "{created}");

        let suspended = set_active(&server, &id, false);
        assert_eq!(suspended["active"], false);
        assert_eq!(suspended[LIFECYCLE]["status"], "suspended");
        assert!(suspended[LIFECYCLE]["purgeAt"].is_string(), "{suspended}");
        server.get(&format!("/Users/{id}")).expect(200);

        let restored = set_active(&server, &id, true);
        assert_eq!(restored["active"], true);
        assert_eq!(restored[LIFECYCLE]["status"], "pending");
        assert_eq!(restored["title"], "Engineer");
        assert_eq!(restored["name"], created["name"]);
        assert_eq!(restored["emails"], created["emails"]);

        set_active(&server, &id, false);
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let status = server.get(&format!("/Users/{id}")).status;
            if status == 404 {
                break;
            }
            assert_eq!(status, 200);
            assert!(Instant::now() < deadline, "{store}: the suspended user was not purged");
            std::thread::sleep(Duration::from_millis(250));
        }
        let filter = "/Users?filter=userName%20eq%20%22kim%40example.com%22";
        assert_eq!(server.get(filter).expect(200).json()["totalResults"], 0, "{store}");
        // The name is free again.
        server.post("/Users", &user("kim@example.com")).expect(201);
    }
}

/// The outbox's invitations for `id`, as `(tenant, userName, email)`.
fn invitations(server: &Server, id: &str) -> Vec<(String, String, Option<String>)> {
    let conn = rusqlite::Connection::open(server.db()).expect("open db");
    let mut stmt = conn
        .prepare("SELECT tenant_id, user_name, email FROM example_outbox WHERE kind = 'invitation' AND user_id = ?1")
        .expect("prepare");
    stmt.query_map([id], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

/// Waits (up to 10 s) until the outbox holds `n` invitations for `id`, and returns them.
fn wait_for_invitations(server: &Server, id: &str, n: usize) -> Vec<(String, String, Option<String>)> {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let rows = invitations(server, id);
        if rows.len() >= n {
            return rows;
        }
        assert!(Instant::now() < deadline, "{} invitations in the outbox, expected {n}", rows.len());
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn creating_a_user_queues_an_invitation() {
    let server = Server::start(&[]);
    let id =
        server.post("/Users", &user("invitee@example.com")).expect(201).json()["id"].as_str().expect("id").to_owned();
    let rows = wait_for_invitations(&server, &id, 1);
    assert_eq!(
        rows,
        [(server.tenant.clone(), "invitee@example.com".to_owned(), Some("invitee@example.com".to_owned()))]
    );
}

#[test]
fn a_user_created_suspended_is_invited_when_first_restored() {
    let server = Server::start(&[]);
    let mut body = user("later@example.com");
    body["active"] = json!(false);
    let id = server.post("/Users", &body).expect(201).json()["id"].as_str().expect("id").to_owned();
    let restored = set_active(&server, &id, true);
    assert_eq!(restored[LIFECYCLE]["status"], "pending");
    assert!(restored[LIFECYCLE]["invitedAt"].is_string(), "{restored}");
    assert_eq!(wait_for_invitations(&server, &id, 1).len(), 1);
    // Suspending and restoring again does not invite twice.
    set_active(&server, &id, false);
    set_active(&server, &id, true);
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(invitations(&server, &id).len(), 1);
}

#[test]
fn a_token_never_reaches_another_tenant() {
    let server = Server::start(&[]);
    let (base2, token2) = server.create_tenant("second");
    assert_ne!(base2, server.base_path);

    let id = server.post("/Users", &user("one@example.com")).expect(201).json()["id"].as_str().expect("id").to_owned();
    let auth2 = format!("Bearer {token2}");
    let auth1 = format!("Bearer {}", server.token);
    // Token 2 on its own tenant: sees nothing of tenant 1, even by id.
    let resp = server.raw("GET", &format!("{base2}/Users"), &[("Authorization", &auth2)], None).expect(200);
    assert_eq!(resp.json()["totalResults"], 0);
    server.raw("GET", &format!("{base2}/Users/{id}"), &[("Authorization", &auth2)], None).expect_error(404, None);
    // Token 2 on tenant 1's URL, and token 1 on tenant 2's URL: 401.
    let path1 = format!("{}/Users/{id}", server.base_path);
    server.raw("GET", &path1, &[("Authorization", &auth2)], None).expect_error(401, None);
    server.raw("DELETE", &path1, &[("Authorization", &auth2)], None).expect_error(401, None);
    server.raw("GET", &format!("{base2}/Users"), &[("Authorization", &auth1)], None).expect_error(401, None);
    // The same userName is free in the other tenant.
    let body = serde_json::to_vec(&user("one@example.com")).expect("json");
    let headers = [("Authorization", auth2.as_str()), ("Content-Type", "application/scim+json")];
    server.raw("POST", &format!("{base2}/Users"), &headers, Some(&body)).expect(201);
    server.get(&format!("/Users/{id}")).expect(200);
}

#[test]
fn tokens_can_be_issued_listed_and_revoked() {
    let server = Server::start(&[]);
    let out = server.cli(&["token", "issue", "--tenant", &server.tenant, "--label", "rotation"]);
    let token_id = out.lines().find_map(|l| l.strip_prefix("Token id: ")).expect("id").to_owned();
    let secret = out.lines().find_map(|l| l.strip_prefix("Secret Token: ")).expect("secret").to_owned();
    let auth = format!("Bearer {secret}");
    let path = format!("{}/Users", server.base_path);
    server.raw("GET", &path, &[("Authorization", &auth)], None).expect(200);

    let listed = server.cli(&["token", "list"]);
    assert!(listed.contains(&token_id) && listed.contains("rotation"));
    assert!(!listed.contains(&secret) && !listed.contains(&server.token), "list must not print secrets");

    server.cli(&["token", "revoke", &token_id]);
    server.raw("GET", &path, &[("Authorization", &auth)], None).expect_error(401, None);
    // The first token still works.
    server.get("/Users").expect(200);
}

#[test]
fn tokens_expire_and_rotate_with_an_overlap() {
    let server = Server::start(&[]);
    let path = format!("{}/Users", server.base_path);
    let get = |secret: &str| server.raw("GET", &path, &[("Authorization", &format!("Bearer {secret}"))], None);
    let field = |out: &str, name: &str| {
        out.lines().find_map(|l| l.strip_prefix(name)).unwrap_or_else(|| panic!("no {name} in {out}")).to_owned()
    };

    // A token that expires in a second works, then gets 401 like a revoked one.
    let out = server.cli(&["token", "issue", "--tenant", &server.tenant, "--expires-in", "1s"]);
    let (short_id, short) = (field(&out, "Token id: "), field(&out, "Secret Token: "));
    let expires = field(&out, "Expires: ");
    get(&short).expect(200);
    let listed = server.cli(&["token", "list"]);
    assert!(listed.lines().next().is_some_and(|h| h.ends_with("\tEXPIRES")), "{listed}");
    let row = listed.lines().find(|l| l.starts_with(&short_id)).expect("listed");
    assert!(row.ends_with(&format!("\t{expires}")), "{row}");
    std::thread::sleep(std::time::Duration::from_millis(1200));
    get(&short).expect_error(401, None);

    // Rotation: the new token works at once, the old one for the overlap.
    let out = server.cli(&["token", "issue", "--tenant", &server.tenant, "--label", "entra"]);
    let (old_id, old) = (field(&out, "Token id: "), field(&out, "Secret Token: "));
    let out = server.cli(&["token", "rotate", &old_id, "--overlap", "1h"]);
    let (new_id, new) = (field(&out, "Token id: "), field(&out, "Secret Token: "));
    get(&old).expect(200);
    get(&new).expect(200);
    let listed = server.cli(&["token", "list"]);
    let row = listed.lines().find(|l| l.starts_with(&new_id)).expect("listed");
    assert!(row.contains("\tentra\t"), "the new token keeps the label: {row}");
    // With no overlap the old one stops at once.
    server.cli(&["token", "rotate", &new_id, "--overlap", "0s"]);
    get(&new).expect_error(401, None);
    // Bad durations are refused by the CLI.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
        .args(["token", "issue", "--tenant", &server.tenant, "--expires-in", "0s", "--db"])
        .arg(server.db())
        .output()
        .expect("run");
    assert!(!out.status.success() && String::from_utf8_lossy(&out.stderr).contains("longer than zero"));
    // The server's first token is untouched.
    server.get("/Users").expect(200);
}

#[test]
fn a_restart_prints_the_tenant_url_but_not_the_token() {
    use std::io::{BufRead, BufReader, Read};
    let server = Server::start(&[]);
    server.post("/Users", &user("kept@example.com")).expect(201);
    let db = server.db();
    let token = server.token.clone();
    let tenant = server.tenant.clone();
    // Stop the first process but keep its directory.
    let mut server = server;
    server.kill();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
        .args(["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0", "--db"])
        .arg(&db)
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("restart");
    let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
    let mut first = String::new();
    stdout.read_line(&mut first).expect("read");
    let url = first.trim().strip_prefix("Tenant URL: ").expect("Tenant URL line").to_owned();
    assert!(url.ends_with(&tenant));
    let rest = url.strip_prefix("http://").expect("http");
    let (addr, path) = rest.split_once('/').expect("path");
    let auth = format!("Bearer {token}");
    let filter = "filter=userName%20eq%20%22kept%40example.com%22";
    let resp = common::raw_request(addr, "GET", &format!("/{path}/Users?{filter}"), &[("Authorization", &auth)], None);
    assert_eq!(resp.status, 200);
    assert_eq!(resp.json()["totalResults"], 1, "the SQLite store kept the user");
    let _ = child.kill();
    let _ = child.wait();
    let mut remaining = String::new();
    let _ = stdout.read_to_string(&mut remaining);
    assert!(!remaining.contains("Secret Token") && !first.contains("Secret Token"), "{remaining}");
    drop(server);
}

#[cfg(unix)]
#[test]
fn sigterm_stops_the_server_cleanly() {
    let mut server = Server::start(&[]);
    server.post("/Users", &user("before-stop@example.com")).expect(201);
    let started = Instant::now();
    let status = server.terminate();
    assert!(status.success(), "graceful shutdown exits with 0, got {status}");
    assert!(started.elapsed() < Duration::from_secs(10));
}
