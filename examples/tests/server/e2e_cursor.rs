//! RFC 9865 cursors across processes: three servers on one SQLite file, two sharing
//! `--cursor-key-file` (a walk started on one continues on the other) and one with its own
//! random key (`400 invalidCursor`); a key file that is too short stops the server at start.

use crate::common::Server;
use serde_json::{Value, json};

fn names(page: &Value) -> Vec<String> {
    page["Resources"]
        .as_array()
        .expect("Resources")
        .iter()
        .map(|u| u["userName"].as_str().unwrap_or("").to_owned())
        .collect()
}

#[test]
fn replicas_sharing_a_cursor_key_continue_each_others_walks() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("cursor.key");
    std::fs::write(&key, "a shared secret of the replicas, 32+ bytes\n").expect("key file");
    let key = key.to_str().expect("utf-8 path");
    let a = Server::start(&["--cursor-key-file", key]);
    for n in 0..5 {
        a.post("/Users", &json!({"userName": format!("r{n}@example.com")})).expect(201);
    }
    let b = Server::start_replica_in(&a, &["--cursor-key-file", key]);
    let c = Server::start_replica_in(&a, &[]);

    let first = a.get("/Users?cursor=&count=2&sortBy=userName").expect(200).json();
    assert_eq!(names(&first), ["r0@example.com", "r1@example.com"]);
    let next = first["nextCursor"].as_str().expect("nextCursor");
    let second = b.get(&format!("/Users?cursor={next}&count=2&sortBy=userName")).expect(200).json();
    assert_eq!(names(&second), ["r2@example.com", "r3@example.com"], "the walk goes on on the other replica");
    c.get(&format!("/Users?cursor={next}&count=2&sortBy=userName")).expect_error(400, Some("invalidCursor"));
    let config = c.get("/ServiceProviderConfig").expect(200).json();
    assert_eq!(config["pagination"]["cursor"], true);
    assert_eq!(config["pagination"]["cursorTimeout"], 3600);
}

#[test]
fn a_short_cursor_key_is_refused_at_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let key = dir.path().join("short.key");
    std::fs::write(&key, "too short").expect("key file");
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
        .args(["--store", "memory", "--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"])
        .args(["--admin-listen", "127.0.0.1:0", "--cursor-key-file", key.to_str().expect("utf-8")])
        .output()
        .expect("run the server");
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("--cursor-key-file") && err.contains("16 bytes"), "{err}");
}
