//! The second adapter (`scim-example-hyper`, hyper without axum) serves the same service.

use crate::common;

use common::Server;
use serde_json::json;

#[test]
fn the_hyper_adapter_serves_scim() {
    let dir = tempfile::tempdir().expect("temp dir");
    let server = Server::start_binary(env!("CARGO_BIN_EXE_scim-example-hyper"), dir, &[]);
    let list = server.get("/Users?filter=userName+eq+%22nobody%22").expect(200).json();
    assert_eq!(list["totalResults"], 0);
    let resp = server.post("/Users", &json!({"userName": "h@example.com"})).expect(201);
    let id = resp.json()["id"].as_str().expect("id").to_owned();
    assert_eq!(resp.header("Location"), Some(format!("{}/Users/{id}", server.tenant_url).as_str()));
    server.get(&format!("/Users/{id}")).expect(200);
    let path = format!("{}/Users", server.base_path);
    server.raw("GET", &path, &[], None).expect_error(401, None);
    let big = json!({"userName": "big@example.com", "title": "x".repeat(9 * 1024 * 1024)});
    assert_eq!(server.post("/Users", &big).status, 413);
    // Without a token: 401 before the body is read.
    server.raw("POST", &path, &[], Some(big.to_string().as_bytes())).expect_error(401, None);
}
