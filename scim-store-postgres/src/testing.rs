//! For tests that need a PostgreSQL database, this workspace's and a host's own.
//!
//! The convention: [`URL_VAR`] (`SCIM_TEST_DATABASE_URL`) names the database
//! (`scripts/pg-throwaway start` in this repository prints one). Without it a test calls
//! [`database_url`], gets `None` and returns, so `cargo test` passes on a machine without
//! PostgreSQL after a notice on stderr; with [`REQUIRE_VAR`] (`SCIM_REQUIRE_POSTGRES`) set, as CI
//! sets it, the missing URL is a failure instead. Each test works in a schema of its own
//! ([`fresh_schema`]), so tests run in parallel on one database and never see each other's rows.

use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The variable naming the test database.
pub const URL_VAR: &str = "SCIM_TEST_DATABASE_URL";
/// The variable that turns a skipped PostgreSQL test into a failure.
pub const REQUIRE_VAR: &str = "SCIM_REQUIRE_POSTGRES";

/// The test database's URL; `None` (after a notice on stderr, once per process, naming `what`)
/// when [`URL_VAR`] is unset or empty.
///
/// # Panics
/// When [`REQUIRE_VAR`] is set and [`URL_VAR`] is not: the PostgreSQL tests must run.
pub fn database_url(what: &str) -> Option<String> {
    static NOTICE: AtomicBool = AtomicBool::new(false);
    match std::env::var(URL_VAR) {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os(REQUIRE_VAR).is_none(),
                "{REQUIRE_VAR} is set but {URL_VAR} is not: the PostgreSQL tests must run"
            );
            if !NOTICE.swap(true, Ordering::Relaxed) {
                // Not `eprintln!`: the test harness captures that, and this notice must show.
                let _ = writeln!(
                    std::io::stderr(),
                    "{what}: PostgreSQL tests SKIPPED (set {URL_VAR}; `scripts/pg-throwaway start` prints a URL)"
                );
            }
            None
        }
    }
}

/// A schema name no other test of this or another run uses: `prefix`, the process id, the
/// clock's nanoseconds and a counter (letters, digits and underscores, for `prefix` alike).
pub fn unique_schema_name(prefix: &str) -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos =
        std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.subsec_nanos()).unwrap_or(0);
    format!("{prefix}_{}_{nanos}_{}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed))
}

/// Creates a new, empty schema named after `prefix` in the database at `url`; returns its name.
///
/// # Panics
/// When the database cannot be reached or the schema cannot be created (a test cannot go on).
pub async fn fresh_schema(url: &str, prefix: &str) -> String {
    let schema = unique_schema_name(prefix);
    let mut conn = <sqlx::PgConnection as sqlx::Connection>::connect(url).await.expect("connect to the test database");
    crate::migrate::create_schema(&mut conn, &schema).await.expect("create a test schema");
    let _ = sqlx::Connection::close(conn).await;
    schema
}

/// `url` with `search_path` set to `schema` for every connection (the `options` parameter),
/// so a server given the URL keeps its tables there.
pub fn url_with_schema(url: &str, schema: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}options=-c%20search_path%3D{schema}")
}
