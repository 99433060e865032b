//! Options of [`PostgresUserStore::connect_with`](crate::PostgresUserStore::connect_with).

use std::time::Duration;

/// How to connect a [`PostgresUserStore`](crate::PostgresUserStore) to its database.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct PostgresOptions {
    pub(crate) max_connections: u32,
    pub(crate) acquire_timeout: Duration,
    pub(crate) schema: Option<String>,
}

impl Default for PostgresOptions {
    fn default() -> Self {
        Self { max_connections: 32, acquire_timeout: Duration::from_secs(3), schema: None }
    }
}

impl PostgresOptions {
    /// The defaults: at most 32 connections, a 3 s wait for one, the connection's default schema.
    pub fn new() -> Self {
        Self::default()
    }

    /// At most this many connections to the database (at least 1).
    #[must_use]
    pub fn with_max_connections(mut self, max: u32) -> Self {
        self.max_connections = max.max(1);
        self
    }

    /// How long a request waits for a connection (all busy, or the database unreachable)
    /// before it fails with `503` and `Retry-After`. Short, so that requests fail fast while
    /// the database is away rather than pile up.
    #[must_use]
    pub fn with_acquire_timeout(mut self, timeout: Duration) -> Self {
        self.acquire_timeout = timeout;
        self
    }

    /// Keeps the store's tables in this schema (created if missing) instead of the
    /// connection's default (`public`): connections set `search_path` to it.
    #[must_use]
    pub fn with_schema(mut self, schema: impl Into<String>) -> Self {
        self.schema = Some(schema.into());
        self
    }
}
