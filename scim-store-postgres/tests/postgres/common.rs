//! Finding the test database, and fresh stores on it (see `scim_store_postgres::testing`).

use scim_store_postgres::testing;
use scim_store_postgres::{PostgresOptions, PostgresUserStore};

/// The URL of the test database, or `None` (after a notice) when there is none.
pub(crate) fn database_url() -> Option<String> {
    testing::database_url("scim-store-postgres")
}

/// A schema name no other store of this run (or of another run) uses.
pub(crate) fn fresh_schema() -> String {
    testing::unique_schema_name("t")
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
