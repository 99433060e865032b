//! Several servers on one PostgreSQL database (`--store postgres`): what one replica writes
//! the other reads, a token revoked with the CLI is refused by every replica at once, the
//! outbox is in the database, and replicas that start together create one tenant.
//!
//! These need `SCIM_TEST_DATABASE_URL` (`scripts/pg-throwaway start` prints one); without it
//! they print a notice and pass, unless `SCIM_REQUIRE_POSTGRES` is set. Each test works in a
//! schema of its own, which the servers reach through the URL's `options`.

use crate::common;

use common::Server;
use serde_json::{Value, json};
use sqlx::{Connection, PgConnection, Row};
use std::io::{BufRead, BufReader, Read};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

/// Runs `f` on a runtime of its own (the tests are synchronous, sqlx is not).
fn block_on<T>(f: impl std::future::Future<Output = T>) -> T {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime").block_on(f)
}

/// A new, empty schema of the test database, and the URL that puts a server in it; `None`
/// without a test database.
fn fresh_database() -> Option<String> {
    let url = scim_store_postgres::testing::database_url("scim-example-server end-to-end")?;
    let schema = block_on(scim_store_postgres::testing::fresh_schema(&url, "e2e"));
    Some(scim_store_postgres::testing::url_with_schema(&url, &schema))
}

/// The outbox's invitations for `id`, as `(tenant, userName, email)`, read from the database.
fn invitations(url: &str, id: &str) -> Vec<(String, String, Option<String>)> {
    block_on(async {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        let rows = sqlx::query(
            "SELECT tenant_id, user_name, email FROM example_outbox WHERE kind = 'invitation' AND user_id = $1",
        )
        .bind(id)
        .fetch_all(&mut conn)
        .await
        .expect("query the outbox");
        rows.iter().map(|r| (r.get::<String, _>(0), r.get::<String, _>(1), r.get::<Option<String>, _>(2))).collect()
    })
}

fn count(url: &str, table: &'static str) -> i64 {
    block_on(async {
        let mut conn = PgConnection::connect(url).await.expect("connect");
        let sql = format!("SELECT count(*) FROM {table}");
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql)).fetch_one(&mut conn).await.expect("count")
    })
}

fn user(name: &str) -> Value {
    json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": name,
        "name": {"givenName": "Ada", "familyName": "Byron"}, "title": "Engineer",
        "emails": [{"value": name, "type": "work", "primary": true}]})
}

#[test]
fn two_replicas_share_users_tokens_and_the_outbox() {
    let Some(url) = fresh_database() else { return };
    let args = ["--store", "postgres", "--database-url", url.as_str()];
    let a = Server::start(&args);
    let b = Server::start_replica(&args, &a.token);
    assert_eq!(b.tenant, a.tenant, "the second replica finds the first one's tenant");
    assert_ne!(b.addr, a.addr);

    // Written through A, read through B.
    let created = a.post("/Users", &user("ada@example.com")).expect(201).json();
    let id = created["id"].as_str().expect("id").to_owned();
    let read = b.get(&format!("/Users/{id}")).expect(200).json();
    assert_eq!(read["userName"], "ada@example.com");
    assert_eq!(read["meta"]["version"], created["meta"]["version"]);
    let filter = "/Users?filter=userName%20eq%20%22ada%40example.com%22";
    assert_eq!(b.get(filter).expect(200).json()["totalResults"], 1);

    // Patched through B, seen by A.
    let patch = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "CTO"}]});
    let patched = b.patch(&format!("/Users/{id}"), &patch).expect(200).json();
    assert_eq!(patched["title"], "CTO");
    let seen = a.get(&format!("/Users/{id}")).expect(200).json();
    assert_eq!(seen["title"], "CTO");
    assert_eq!(seen["meta"]["version"], patched["meta"]["version"]);
    // A's now stale version is refused by B.
    let stale = created["meta"]["version"].as_str().expect("version");
    let body = serde_json::to_vec(&patch).expect("json");
    let auth = format!("Bearer {}", a.token);
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/scim+json"), ("If-Match", stale)];
    b.raw("PATCH", &format!("{}/Users/{id}", b.base_path), &headers, Some(&body)).expect_error(412, None);

    // The invitation is a row of the database's outbox.
    let deadline = Instant::now() + Duration::from_secs(10);
    let rows = loop {
        let rows = invitations(&url, &id);
        if !rows.is_empty() || Instant::now() > deadline {
            break rows;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    assert_eq!(rows, [(a.tenant.clone(), "ada@example.com".to_owned(), Some("ada@example.com".to_owned()))]);

    // A token issued with the CLI works on both replicas; revoked with the CLI, both refuse
    // it on the very next request.
    let out = a.cli(&[
        "token",
        "issue",
        "--tenant",
        &a.tenant,
        "--label",
        "rotation",
        "--store",
        "postgres",
        "--database-url",
        &url,
    ]);
    let token_id = out.lines().find_map(|l| l.strip_prefix("Token id: ")).expect("id").to_owned();
    let secret = out.lines().find_map(|l| l.strip_prefix("Secret Token: ")).expect("secret").to_owned();
    let auth = format!("Bearer {secret}");
    for server in [&a, &b] {
        server.raw("GET", &format!("{}/Users", server.base_path), &[("Authorization", &auth)], None).expect(200);
    }
    let revoked = a.cli(&["--store", "postgres", "--database-url", &url, "token", "revoke", &token_id]);
    assert_eq!(revoked.trim(), format!("revoked {token_id}"));
    for server in [&a, &b] {
        let path = format!("{}/Users/{id}", server.base_path);
        server.raw("GET", &path, &[("Authorization", &auth)], None).expect_error(401, None);
    }
    // The first token still works everywhere, and the list shows the revocation.
    a.get("/Users").expect(200);
    b.get("/Users").expect(200);
    // The URL may come from DATABASE_URL.
    let listed = Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
        .args(["--store", "postgres", "token", "list"])
        .env("DATABASE_URL", &url)
        .output()
        .expect("run token list");
    assert!(listed.status.success(), "{}", String::from_utf8_lossy(&listed.stderr));
    let listed = String::from_utf8(listed.stdout).expect("utf-8");
    let line = listed.lines().find(|l| l.starts_with(&token_id)).expect("the revoked token is listed");
    let revoked_at = line.split('\t').nth(5);
    assert!(line.contains("rotation") && revoked_at.is_some_and(|r| r != "-"), "{listed}");
    assert!(!listed.contains(&secret) && !listed.contains(&a.token), "list must not print secrets");
}

#[test]
fn replicas_starting_together_create_one_tenant() {
    let Some(url) = fresh_database() else { return };
    let mut children: Vec<_> = (0..3)
        .map(|_| {
            Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
                .args(["--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"])
                .args(["--store", "postgres", "--database-url", &url])
                .env("RUST_LOG", "warn")
                .stdout(Stdio::piped())
                .spawn()
                .expect("start scim-example-server")
        })
        .collect();
    let mut outputs = Vec::new();
    for child in &mut children {
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut first = String::new();
        stdout.read_line(&mut first).expect("read");
        let url = first.trim().strip_prefix("Tenant URL: ").unwrap_or_else(|| panic!("Tenant URL line: {first:?}"));
        let addr = url.strip_prefix("http://").and_then(|r| r.split_once('/')).expect("URL").0.to_owned();
        // A server answers requests only once it has printed its credentials.
        assert_eq!(common::raw_request(&addr, "GET", "/scim/v2/t/x/Users", &[], None).status, 401);
        outputs.push((first, stdout));
    }
    for child in &mut children {
        // Exactly the children this test started, by their PIDs.
        let _ = child.kill();
        let _ = child.wait();
    }
    let mut secrets = 0;
    let tenants: Vec<String> = outputs
        .into_iter()
        .map(|(first, mut stdout)| {
            let mut rest = String::new();
            let _ = stdout.read_to_string(&mut rest);
            secrets += rest.lines().filter(|l| l.starts_with("Secret Token: ")).count();
            first.trim().rsplit_once('/').expect("tenant segment").1.to_owned()
        })
        .collect();
    assert_eq!(secrets, 1, "exactly one replica created the tenant and printed its token");
    assert!(tenants.iter().all(|t| t == &tenants[0]), "{tenants:?}");
    assert_eq!(count(&url, "example_tenants"), 1);
    assert_eq!(count(&url, "example_tokens"), 1);
}

#[test]
fn the_postgres_store_needs_a_url() {
    for args in [
        &["--store", "postgres"][..],
        &["--store", "postgres", "token", "list"],
        &["token", "list", "--store", "postgres"],
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
            .args(args)
            .args(["--listen", "127.0.0.1:0"])
            .env_remove("DATABASE_URL")
            .output()
            .expect("run scim-example-server");
        assert_eq!(out.status.code(), Some(2), "a usage error: {args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains("--database-url"), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?}");
    }
}

/// The admin console on PostgreSQL: `admin set-password` stores the hash in the database, where
/// every replica finds it; sign-in works on a replica that did not set it.
#[test]
fn the_admin_password_lives_in_the_database() {
    use crate::e2e_admin::{Console, PASSWORD};
    let Some(url) = fresh_database() else { return };
    let args = ["--store", "postgres", "--database-url", url.as_str()];
    let a = Server::start(&args);
    let b = Server::start_replica(&args, &a.token);
    let mut console = Console::new(&b);
    assert_eq!(console.get("/admin/login").status, 403, "sign-in is off before a password is set");
    crate::e2e_admin::set_password_with(&args, PASSWORD);
    assert_eq!(console.sign_in("not the password at all").status, 401);
    assert_eq!(console.sign_in(PASSWORD).status, 303);
    let page = console.get("/admin").expect(200);
    assert!(page.text().contains(&a.tenant), "the tenant list shows the first tenant: {}", page.text());
}
