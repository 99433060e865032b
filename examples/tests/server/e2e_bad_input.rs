//! Bad input over HTTP: every case is a SCIM error with the right status and `scimType`,
//! and leaves the stored data unchanged.

use crate::common;

use common::Server;
use serde_json::{Value, json};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name, "title": "T"})
}

fn count_users(server: &Server) -> u64 {
    server.get("/Users").expect(200).json()["totalResults"].as_u64().expect("totalResults")
}

fn send(server: &Server, method: &str, path: &str, content_type: &str, body: &[u8]) -> common::Resp {
    let auth = format!("Bearer {}", server.token);
    let headers = [("Authorization", auth.as_str()), ("Content-Type", content_type)];
    server.raw(method, &format!("{}{path}", server.base_path), &headers, Some(body))
}

#[test]
fn malformed_bodies_create_nothing() {
    let server = Server::start(&[]);
    for body in [&b"{\"userName\": "[..], b"not json", b"", b"[1,2]", b"\"just a string\""] {
        let resp = send(&server, "POST", "/Users", "application/scim+json", body);
        assert_eq!(resp.status, 400, "{}", resp.text());
        let scim_type = resp.json()["scimType"].as_str().map(str::to_owned);
        assert!(matches!(scim_type.as_deref(), Some("invalidSyntax" | "invalidValue")), "{scim_type:?}");
    }
    send(&server, "POST", "/Users", "text/plain", b"{}").expect_error(415, None);
    // application/json is accepted.
    let body = serde_json::to_vec(&user("json@example.com")).expect("json");
    send(&server, "POST", "/Users", "application/json", &body).expect(201);
    assert_eq!(count_users(&server), 1);
}

#[test]
fn wrong_types_and_missing_required_attributes() {
    let server = Server::start(&[]);
    server
        .post("/Users", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": 42}))
        .expect_error(400, Some("invalidValue"));
    server
        .post("/Users", &json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "title": "no name"}))
        .expect_error(400, Some("invalidValue"));
    server
        .post("/Users", &json!({"userName": "x@example.com", "active": "maybe"}))
        .expect_error(400, Some("invalidValue"));
    server.post("/Users", &json!({"userName": "y@example.com", "emails": 5})).expect_error(400, Some("invalidValue"));
    server
        .post("/Users", &json!({"userName": "z@example.com", "name": "not an object"}))
        .expect_error(400, Some("invalidValue"));
    assert_eq!(count_users(&server), 0);
}

#[test]
fn huge_bodies_are_refused() {
    let server = Server::start(&["--max-body-bytes", "65536"]);
    let big = json!({"userName": "big@example.com", "title": "x".repeat(200_000)});
    let resp = server.post("/Users", &big);
    assert_eq!(resp.status, 413, "{}", resp.text());
    assert_eq!(count_users(&server), 0);
    // Without a valid token the answer is 401, given before the body is read.
    let resp = server.raw("POST", &format!("{}/Users", server.base_path), &[], Some(big.to_string().as_bytes()));
    resp.expect_error(401, None);
}

/// A group body of `n` members: the first is `real`, the others name no user (and are
/// dropped), each about 85 bytes as an Okta custom app sends them.
fn group_of(name: &str, real: &str, n: usize) -> serde_json::Value {
    let mut members = vec![json!({"value": real, "display": "Real Member"})];
    members.extend((1..n).map(
        |i| json!({"value": format!("00000000-0000-4000-8000-{i:012}"), "display": "Some Member", "type": "User"}),
    ));
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": name, "members": members})
}

/// The default cap (8 MiB) takes the large bodies real clients send, e.g. an Okta custom app's
/// `PUT` of a group with tens of thousands of members (about 85 bytes each); one resource's own
/// attributes are bounded much lower (256 KiB).
#[test]
fn the_default_body_cap_takes_multi_megabyte_bodies() {
    let server = Server::start(&["--store", "memory"]);
    let id =
        server.post("/Users", &user("member@example.com")).expect(201).json()["id"].as_str().expect("id").to_owned();
    let big = group_of("Big", &id, 45_000);
    assert!(serde_json::to_vec(&big).expect("json").len() > 3 << 20);
    let created = server.post("/Groups", &big).expect(201).json();
    assert_eq!(created["members"].as_array().map(Vec::len), Some(1));
    let huge = json!({"userName": "huge@example.com", "title": "x".repeat(9 << 20)});
    assert_eq!(server.post("/Users", &huge).status, 413);
    let large_user = json!({"userName": "large@example.com", "title": "x".repeat(300 << 10)});
    server.post("/Users", &large_user).expect_error(400, Some("invalidValue"));
}

#[test]
fn bad_filters_and_paging() {
    let server = Server::start(&[]);
    server.post("/Users", &user("f@example.com")).expect(201);
    let deep = format!("{}userName eq \"x\"{}", "(".repeat(1500), ")".repeat(1500));
    let encoded = deep.replace('(', "%28").replace(')', "%29").replace(' ', "%20").replace('"', "%22");
    server.get(&format!("/Users?filter={encoded}")).expect_error(400, Some("invalidFilter"));
    let long = format!("userName eq \"{}\"", "a".repeat(10_000));
    server
        .get(&format!("/Users?filter={}", long.replace(' ', "%20").replace('"', "%22")))
        .expect_error(400, Some("invalidFilter"));
    server.get("/Users?filter=userName%20eq").expect_error(400, Some("invalidFilter"));
    server.get("/Users?filter=userName%20zz%20%22x%22").expect_error(400, Some("invalidFilter"));
    server.get("/Users?count=ten").expect_error(400, Some("invalidValue"));
    // Negative and huge paging values are clamped, not errors.
    let page = server.get("/Users?startIndex=-5&count=-1").expect(200).json();
    assert_eq!(page["startIndex"], 1);
    assert_eq!(page["itemsPerPage"], 0);
    assert_eq!(page["totalResults"], 1);
    let page = server.get("/Users?count=1000000").expect(200).json();
    assert_eq!(page["itemsPerPage"], 1);
    // An unknown attribute in `attributes` is ignored; unknown query parameters too.
    server.get("/Users?attributes=noSuchThing&aadOptscim062020&foo=bar").expect(200);
}

#[test]
fn bad_patches_change_nothing() {
    let server = Server::start(&[]);
    let created = server.post("/Users", &user("p@example.com")).expect(201).json();
    let id = created["id"].as_str().expect("id").to_owned();
    let path = format!("/Users/{id}");
    let before = server.get(&path).expect(200).json();

    let cases = [
        json!({"schemas": [PATCH_OP]}),
        json!({"schemas": [PATCH_OP], "Operations": "nope"}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "frobnicate", "path": "title", "value": "x"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title[", "value": "x"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "id", "value": "other"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active", "value": "maybe"}]}),
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "userName", "value": 7}]}),
        // Atomic: the first operation is valid, the second is not.
        json!({"schemas": [PATCH_OP], "Operations": [
            {"op": "replace", "path": "title", "value": "changed"},
            {"op": "replace", "path": "active", "value": [1, 2]}]}),
    ];
    for patch in &cases {
        let resp = server.patch(&path, patch);
        assert_eq!(resp.status, 400, "{patch}: {}", resp.text());
        let body = resp.json();
        assert!(body["scimType"].is_string(), "{body}");
    }
    let after = server.get(&path).expect(200).json();
    assert_eq!(before, after, "nothing changed");
}

#[test]
fn preconditions_routes_and_methods() {
    let server = Server::start(&[]);
    let resp = server.post("/Users", &user("e@example.com")).expect(201);
    let etag = resp.header("ETag").expect("ETag").to_owned();
    let id = resp.json()["id"].as_str().expect("id").to_owned();
    let path = format!("{}/Users/{id}", server.base_path);
    let auth = format!("Bearer {}", server.token);

    let resp = server.raw("GET", &path, &[("Authorization", &auth), ("If-None-Match", &etag)], None);
    assert_eq!(resp.status, 304);
    assert!(resp.body.is_empty());
    let body = serde_json::to_vec(&user("e2@example.com")).expect("json");
    let stale =
        [("Authorization", auth.as_str()), ("Content-Type", "application/scim+json"), ("If-Match", "W/\"999\"")];
    server.raw("PUT", &path, &stale, Some(&body)).expect_error(412, None);
    server
        .raw("DELETE", &path, &stale[..1].iter().chain(&stale[2..]).copied().collect::<Vec<_>>(), None)
        .expect_error(412, None);
    let fresh =
        [("Authorization", auth.as_str()), ("Content-Type", "application/scim+json"), ("If-Match", etag.as_str())];
    let resp = server.raw("PUT", &path, &fresh, Some(&body)).expect(200);
    assert_ne!(resp.header("ETag"), Some(etag.as_str()));
    assert_eq!(resp.json()["userName"], "e2@example.com");

    server.get("/Widgets").expect_error(404, None);
    server.raw("GET", "/nowhere", &[("Authorization", &auth)], None).expect_error(404, None);
    server.delete("/Users").expect_error(405, None);
    server.call("PUT", "/ServiceProviderConfig", Some(&json!({}))).expect_error(405, None);
    server.post("/Bulk", &json!({})).expect_error(400, Some("invalidSyntax"));
    // POST /.search with a SearchRequest body.
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
        "filter": "userName eq \"e2@example.com\"", "startIndex": 1, "count": 10});
    let list = server.post("/Users/.search", &search).expect(200).json();
    assert_eq!(list["totalResults"], 1);
    let list = server.post("/.search", &search).expect(200).json();
    assert_eq!(list["totalResults"], 1);
}

#[test]
fn unknown_attributes_are_dropped_by_default_and_rejected_when_strict() {
    let server = Server::start(&[]);
    let created =
        server.post("/Users", &json!({"userName": "u@example.com", "favouriteColour": "blue"})).expect(201).json();
    assert!(created.get("favouriteColour").is_none(), "{created}");
    let id = created["id"].as_str().expect("id").to_owned();
    let patch =
        json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "favouriteColour", "value": "red"}]});
    let patched = server.patch(&format!("/Users/{id}"), &patch).expect(200).json();
    assert!(patched.get("favouriteColour").is_none(), "{patched}");

    let strict = Server::start(&["--unknown-attributes", "reject"]);
    strict
        .post("/Users", &json!({"userName": "u@example.com", "favouriteColour": "blue"}))
        .expect_error(400, Some("invalidValue"));
    let created = strict.post("/Users", &user("s@example.com")).expect(201).json();
    let path = format!("/Users/{}", created["id"].as_str().expect("id"));
    let before = strict.get(&path).expect(200).json();
    let patch = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "title", "value": "changed"},
        {"op": "add", "path": "favouriteColour", "value": "red"}]});
    let resp = strict.patch(&path, &patch);
    assert_eq!(resp.status, 400, "{}", resp.text());
    assert_eq!(strict.get(&path).expect(200).json(), before, "an atomic PATCH changed nothing");
    assert_eq!(strict.get("/Users").expect(200).json()["totalResults"], 1);
}

#[test]
fn out_of_range_retention_is_refused_at_startup() {
    for flag in [["--retention-days", "100000000"], ["--retention-seconds", "18446744073709551615"]] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
            .args(["--listen", "127.0.0.1:0", "--db", "/nonexistent/never-opened.db"])
            .args(flag)
            .output()
            .expect("run the server binary");
        assert!(!out.status.success(), "{flag:?} accepted");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(flag[0]) && !stderr.contains("panicked"), "{flag:?}: {stderr}");
    }
}

/// Recording a token's last use is bookkeeping: while another connection holds the database's
/// write lock, a request with a valid token is still served.
#[test]
fn a_locked_credentials_database_does_not_refuse_valid_tokens() {
    let server = Server::start(&["--store", "memory"]);
    let conn = rusqlite::Connection::open(server.db()).expect("open db");
    conn.execute_batch("BEGIN IMMEDIATE").expect("take the write lock");
    assert_eq!(count_users(&server), 0);
    conn.execute_batch("COMMIT").expect("release");
}

/// Large bodies (over 1 MiB) are read and handled two at a time per tenant: while two uploads
/// of one tenant stall, its third waits, and small requests and another tenant's large ones go
/// on; when one of the two goes away, the third is served.
#[test]
fn large_bodies_are_handled_a_few_at_a_time_per_tenant() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    let server = Server::start(&["--store", "memory"]);
    let (base2, token2) = server.create_tenant("second");

    let id =
        server.post("/Users", &user("large@example.com")).expect(201).json()["id"].as_str().expect("id").to_owned();
    let gid = server.post("/Groups", &json!({"displayName": "Large"})).expect(201).json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let path = format!("{}/Groups/{gid}", server.base_path);
    let body = serde_json::to_vec(&group_of("Large", &id, 30_000)).expect("json");
    assert!(body.len() > 2 << 20);
    let head = |method: &str, path: &str, token: &str, len: usize| {
        format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {token}\r\n\
             Content-Type: application/scim+json\r\nContent-Length: {len}\r\nConnection: close\r\n\r\n",
            server.addr
        )
    };
    let stalled: Vec<TcpStream> = (0..2)
        .map(|_| {
            let mut s = TcpStream::connect(&server.addr).expect("connect");
            s.write_all(head("PUT", &path, &server.token, body.len()).as_bytes()).expect("head");
            s.write_all(&body[..10]).expect("a little of the body");
            s
        })
        .collect();
    // Small requests are not held up by the stalled uploads.
    assert_eq!(count_users(&server), 1);
    // Let the server take the two permits before the others arrive, even on a busy machine.
    std::thread::sleep(Duration::from_millis(300));

    // Another tenant's large body is served.
    let auth2 = format!("Bearer {token2}");
    let headers = [("Authorization", auth2.as_str()), ("Content-Type", "application/scim+json")];
    assert_eq!(server.raw("POST", &format!("{base2}/Groups"), &headers, Some(&body)).status, 201);

    let mut third = TcpStream::connect(&server.addr).expect("connect");
    let mut writer = third.try_clone().expect("clone");
    let (h, b) = (head("PUT", &path, &server.token, body.len()), body.clone());
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(h.as_bytes());
        let _ = writer.write_all(&b);
    });
    third.set_read_timeout(Some(Duration::from_millis(500))).expect("timeout");
    let mut first = [0u8; 1];
    let waited = third.read(&mut first);
    assert!(waited.is_err(), "the third large request was served while two held the tenant's permits: {waited:?}");

    drop(stalled);
    third.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let mut raw = Vec::new();
    third.read_to_end(&mut raw).expect("the third is served once a permit is free");
    sending.join().expect("sender");
    let resp = common::parse_response(&raw);
    assert_eq!(resp.status, 200, "{}", resp.text());

    // A Content-Length above the cap is answered at once, before any of the body is sent.
    let mut s = TcpStream::connect(&server.addr).expect("connect");
    s.write_all(head("POST", &format!("{}/Users", server.base_path), &server.token, 9 << 20).as_bytes()).expect("head");
    s.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    assert_eq!(common::parse_response(&raw).status, 413);
}

/// A client that stalls its upload gets `408` once the body read timeout passes (here 1 s).
#[test]
fn a_stalled_upload_times_out_with_408() {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    let server = Server::start(&["--store", "memory", "--body-read-timeout-seconds", "1"]);
    let mut s = TcpStream::connect(&server.addr).expect("connect");
    let head = format!(
        "POST {}/Users HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nContent-Type: application/scim+json\r\n\
         Content-Length: 100\r\nConnection: close\r\n\r\n{{\"userName\"",
        server.base_path, server.addr, server.token
    );
    s.write_all(head.as_bytes()).expect("head");
    s.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("timeout");
    let mut raw = Vec::new();
    let _ = s.read_to_end(&mut raw);
    let resp = common::parse_response(&raw);
    assert_eq!(resp.status, 408, "{}", resp.text());
    assert_eq!(count_users(&server), 0);
}

/// Connections that send nothing, trickle their headers, or sit idle after a response are
/// closed once the header read timeout passes (here 1 s), so they cannot pile up.
#[test]
fn idle_and_trickling_connections_are_closed() {
    use std::io::{Read, Write};
    use std::net::TcpStream;
    use std::time::Duration;

    let server = Server::start(&["--store", "memory", "--header-read-timeout-seconds", "1"]);
    let closed_within = |mut s: TcpStream, what: &str| -> Vec<u8> {
        s.set_read_timeout(Some(Duration::from_secs(15))).expect("timeout");
        let mut raw = Vec::new();
        let r = s.read_to_end(&mut raw);
        assert!(
            !matches!(&r, Err(e) if matches!(e.kind(), std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut)),
            "{what}: still open after 15 s"
        );
        raw
    };
    // Nothing sent.
    closed_within(TcpStream::connect(&server.addr).expect("connect"), "silent connection");
    // Half a request head, then nothing.
    let mut s = TcpStream::connect(&server.addr).expect("connect");
    s.write_all(format!("GET {}/Users HTTP/1.1\r\nHost: x\r\n", server.base_path).as_bytes()).expect("write");
    closed_within(s, "trickling connection");
    // A keep-alive connection after its response.
    let mut s = TcpStream::connect(&server.addr).expect("connect");
    let request = format!(
        "GET {}/ServiceProviderConfig HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\n\r\n",
        server.base_path, server.token
    );
    s.write_all(request.as_bytes()).expect("write");
    let raw = closed_within(s, "idle keep-alive connection");
    assert_eq!(common::parse_response(&raw).status, 200);
}

/// A chunked body (no `Content-Length`) over the cap is `413`; a malformed chunked body is
/// `400 invalidSyntax`, not "too large".
#[test]
fn chunked_bodies_over_the_cap_or_malformed() {
    use std::io::{Read, Write};
    use std::net::TcpStream;

    let server = Server::start(&["--store", "memory", "--max-body-bytes", "65536"]);
    let send = |chunks: &[u8]| {
        let mut s = TcpStream::connect(&server.addr).expect("connect");
        let head = format!(
            "POST {}/Users HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {}\r\nContent-Type: application/scim+json\r\n\
             Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n",
            server.base_path, server.token
        );
        s.write_all(head.as_bytes()).expect("head");
        let _ = s.write_all(chunks);
        s.set_read_timeout(Some(std::time::Duration::from_secs(30))).expect("timeout");
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        common::parse_response(&raw)
    };
    let chunk = vec![b'x'; 0x4000];
    let mut big = Vec::new();
    for _ in 0..6 {
        big.extend_from_slice(b"4000\r\n");
        big.extend_from_slice(&chunk);
        big.extend_from_slice(b"\r\n");
    }
    big.extend_from_slice(b"0\r\n\r\n");
    let resp = send(&big);
    assert_eq!(resp.status, 413, "{}", resp.text());
    let resp = send(b"zz\r\n");
    assert_eq!(resp.status, 400, "{}", resp.text());
    assert!(resp.text().contains("invalidSyntax"), "{}", resp.text());
    assert_eq!(count_users(&server), 0);
}
