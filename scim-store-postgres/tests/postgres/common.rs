//! Finding the test database, and fresh stores on it.

use scim_store_postgres::{PostgresOptions, PostgresUserStore};
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// The URL of the test database, or `None` (after a notice on stderr, once per binary) when
/// `SCIM_TEST_DATABASE_URL` is unset.
///
/// # Panics
/// When `SCIM_REQUIRE_POSTGRES` is set and no URL is: CI must not skip these tests.
pub(crate) fn database_url() -> Option<String> {
    static NOTICE: AtomicBool = AtomicBool::new(false);
    match std::env::var("SCIM_TEST_DATABASE_URL") {
        Ok(url) if !url.is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("SCIM_REQUIRE_POSTGRES").is_none(),
                "SCIM_REQUIRE_POSTGRES is set but SCIM_TEST_DATABASE_URL is not: the PostgreSQL tests must run"
            );
            if !NOTICE.swap(true, Ordering::Relaxed) {
                // Not `eprintln!`: the test harness captures that; this notice must show.
                let _ = writeln!(
                    std::io::stderr(),
                    "scim-store-postgres: PostgreSQL tests SKIPPED (set SCIM_TEST_DATABASE_URL; \
                     `scripts/pg-throwaway start` prints a URL)"
                );
            }
            None
        }
    }
}

/// A schema name no other store of this run (or of another run) uses.
pub(crate) fn fresh_schema() -> String {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_nanos()).unwrap_or(0);
    format!("t{}_{}_{}", std::process::id(), nanos % 1_000_000_000, NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A store in a schema of its own, or `None` when there is no test database.
pub(crate) async fn fresh() -> Option<PostgresUserStore> {
    let url = database_url()?;
    Some(
        PostgresUserStore::connect_with(
            &url,
            PostgresOptions::new().with_schema(fresh_schema()).with_max_connections(8),
        )
        .await
        .expect("connect to the test database"),
    )
}
