//! The operations side of the example server: `/healthz`, `/readyz` and `/metrics` on their
//! own listener, request ids in responses and log lines, and per-tenant rate limits.

use crate::common::{self, Server};
use serde_json::json;

fn user(name: &str) -> serde_json::Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name})
}

fn ops_get(server: &Server, path: &str) -> common::Resp {
    let addr = server.metrics_addr.as_deref().expect("the server printed its Metrics URL");
    common::raw_request(addr, "GET", path, &[], None)
}

#[test]
fn health_readiness_and_metrics() {
    let dir = tempfile::tempdir().expect("dir");
    let server = Server::start_logged(&["--store", "memory"], None, &dir.path().join("server.log"));
    let health = ops_get(&server, "/healthz").expect(200);
    assert_eq!(health.text(), "ok\n");
    assert_eq!(ops_get(&server, "/readyz").expect(200).text(), "ready\n");
    // The SCIM port does not serve them, and the metrics port serves nothing else.
    assert_eq!(server.raw("GET", "/metrics", &[], None).status, 404);
    assert_eq!(ops_get(&server, &format!("{}/Users", server.base_path)).status, 404);

    let created = server.post("/Users", &user("ada@example.com")).expect(201).json();
    let id = created["id"].as_str().expect("id").to_owned();
    server.get(&format!("/Users/{id}")).expect(200);
    server.get("/Users/nope").expect(404);
    server.raw("GET", &format!("{}/Users", server.base_path), &[("Authorization", "Bearer wrong")], None).expect(401);

    let metrics = ops_get(&server, "/metrics").expect(200).text();
    for wanted in [
        r#"scim_requests_total{route="/Users",method="POST",status="2xx"} 1"#,
        r#"scim_requests_total{route="/Users/{id}",method="GET",status="2xx"} 1"#,
        r#"scim_requests_total{route="/Users/{id}",method="GET",status="4xx"} 1"#,
        r#"scim_requests_total{route="/Users",method="GET",status="4xx"} 1"#,
        r#"scim_lifecycle_events_total{event="invited"} 1"#,
        "scim_request_duration_seconds_bucket{",
        r#"scim_store_operation_duration_seconds_count{operation="user_create"} 1"#,
        r#"scim_store_errors_total{operation="user_get",kind="not_found"} 1"#,
    ] {
        assert!(metrics.contains(wanted), "missing {wanted:?} in:\n{metrics}");
    }
    // No tenant ids (customer data) unless the operator asks for them.
    assert!(!metrics.contains(&server.tenant), "a tenant id in the metrics:\n{metrics}");
}

#[test]
fn tenant_labels_on_request() {
    let server = Server::start(&["--store", "memory", "--metrics-tenant-labels"]);
    server.get("/Users").expect(200);
    let metrics = ops_get(&server, "/metrics").expect(200).text();
    assert!(metrics.contains(&format!(r#"tenant="{}""#, server.tenant)), "{metrics}");
}

#[test]
fn request_ids_are_echoed_generated_and_logged() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("server.log");
    let server = Server::start_logged(&["--store", "memory"], None, &log);
    let auth = format!("Bearer {}", server.token);
    let path = format!("{}/Users", server.base_path);
    let theirs =
        server.raw("GET", &path, &[("Authorization", &auth), ("X-Request-Id", "entra-7f3a")], None).expect(200);
    assert_eq!(theirs.header("x-request-id"), Some("entra-7f3a"));
    let ours = server.raw("GET", &path, &[("Authorization", &auth)], None).expect(200);
    let generated = ours.header("x-request-id").expect("a generated id").to_owned();
    assert!(generated.len() == 32 && generated.bytes().all(|b| b.is_ascii_hexdigit()), "{generated}");
    // An unusable one (too long) is replaced.
    let long = "x".repeat(200);
    let replaced = server.raw("GET", &path, &[("Authorization", &auth), ("X-Request-Id", &long)], None).expect(200);
    assert_ne!(replaced.header("x-request-id"), Some(long.as_str()));
    // Each request's log line carries its id.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    loop {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let has = |id: &str| text.lines().any(|l| l.contains("request_id") && l.contains(id) && l.contains("request"));
        if has("entra-7f3a") && has(&generated) {
            break;
        }
        assert!(std::time::Instant::now() < deadline, "the request ids are not in the log:\n{text}");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

#[test]
fn a_tenant_over_its_rate_gets_429_with_retry_after() {
    let server = Server::start(&["--store", "memory", "--tenant-rate", "1", "--tenant-burst", "3"]);
    for _ in 0..3 {
        server.get("/Users").expect(200);
    }
    let refused = server.get("/Users");
    assert_eq!(refused.header("retry-after"), Some("1"));
    refused.expect_error(429, None);
    // Refused before the body is read: a large body gets the same answer.
    let big = json!({"userName": "x".repeat(100_000)});
    server.post("/Users", &big).expect_error(429, None);
    let metrics = ops_get(&server, "/metrics").expect(200).text();
    assert!(metrics.contains(r#"scim_rate_limited_total{route="/Users"} 2"#), "{metrics}");
}
