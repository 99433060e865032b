//! A PostgreSQL store for [`scim_core`]: one [`PostgresUserStore`] implements both
//! [`UserStore`](scim_core::UserStore) and [`GroupStore`](scim_core::GroupStore), for any
//! number of stateless servers sharing one database (PostgreSQL 14 or newer).
//!
//! It uses [`sqlx`] without its query macros, so building needs no database, and without TLS
//! (a host that connects over TLS enables one of sqlx's TLS features in its own manifest;
//! cargo unifies the features).
//!
//! # Opening a store
//!
//! With a URL (the store makes its own pool), or with the [`PgPool`] the host already has:
//!
//! ```no_run
//! use scim_core::{Provisioning, TenantId, UserStore};
//! use scim_store_postgres::{PostgresOptions, PostgresUserStore};
//! use std::sync::Arc;
//!
//! # async fn example() -> Result<(), Box<dyn std::error::Error>> {
//! // A URL: a pool of at most 32 connections, tables in `public`, migrated if needed.
//! let store = PostgresUserStore::connect("postgres://scim@db.internal/app").await?;
//!
//! // The host's own pool (say the one its other tables use), tables in their own schema:
//! let pool = sqlx::postgres::PgPoolOptions::new()
//!     .max_connections(20)
//!     .connect("postgres://app@db.internal/app")
//!     .await?;
//! let store = PostgresUserStore::from_pool(pool.clone()).await?;
//!
//! // Or with options:
//! let store = PostgresUserStore::connect_with(
//!     "postgres://scim@db.internal/app",
//!     PostgresOptions::new().with_schema("scim").with_max_connections(16),
//! )
//! .await?;
//!
//! let provisioning = Provisioning::new(Arc::new(store));
//! # Ok(())
//! # }
//! ```
//!
//! Opening a store applies the schema migrations it needs, in one transaction under an
//! advisory lock, so replicas that start together migrate exactly once; a database migrated
//! by a newer version of this crate is refused.
//!
//! # Schema
//!
//! Tables `scim_users` and `scim_groups` hold each resource's JSONB document (without
//! `meta.version`, a column, and without the derived `groups` / the `members`) beside the
//! columns the indexes need; `scim_memberships` holds one row per member, so adding one
//! member to a group of 100 000 touches one row. `userName` and group `displayName` are
//! unique per tenant on a column folded in Rust with [`scim_query::fold::fold_case`], the
//! evaluator's rule (SQL's `lower()` folds differently), collated `"C"` so that SQL compares
//! it byte by byte as Rust does. `scim_users.purge_at` is indexed (partially: only suspended
//! users have one), so the purge never reads live users.
//!
//! # Filters
//!
//! The parts of a filter SQL answers exactly as `scim_query` does run in SQL: `userName` /
//! `displayName` `eq` `sw` `ew` `co` `pr` on the folded column, `externalId pr`, `active eq`,
//! and `and` / `or` / `not` of these; sort (by `userName`/`displayName`, `meta.created`,
//! `meta.lastModified`), paging and `totalResults` then run in SQL too. `id eq`,
//! `externalId eq`, `emails.value eq` / `emails eq` (PingFederate's lookup) and comparisons of
//! `meta.created` / `meta.lastModified` select their candidates through an index, and the
//! compiled filter decides on each candidate in Rust (correct whether the filter was compiled
//! with the schema or without one); so does anything else. A differential test compares the
//! store with the evaluator on generated filters.
//!
//! # Several replicas
//!
//! Nothing is cached between requests: every replica reads what every other wrote.
//! Writes are conditional in the statement that makes them (`WHERE version = $n`), so
//! concurrent PATCHes through different replicas never lose an update; the unique indexes
//! give exactly one winner among concurrent creates of one `userName`; a member is added only
//! while what it names is locked (`FOR KEY SHARE`) and exists, so a member never outlives its
//! user. [`purge_expired`](scim_core::UserStore::purge_expired) claims expired users with
//! `FOR UPDATE SKIP LOCKED`, so replicas purging at once purge each user once. Transactions
//! that deadlock or fail to serialize run again.
//!
//! When the database cannot be reached (a lost connection, a restart, no free connection
//! within the acquire timeout) operations fail with [`StoreError::Unavailable`], which the
//! service answers with `503` and `Retry-After`; the pool reconnects by itself when the
//! database is back.

mod audit;
mod error;
mod groups;
mod list;
mod migrate;
mod options;
mod pushdown;
pub mod testing;
mod users;

pub use options::PostgresOptions;
pub use sqlx::PgPool;

use error::Error;
use scim_core::StoreError;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use std::str::FromStr;

/// A PostgreSQL-backed user and group store. Cheap to clone (clones share the pool).
#[derive(Debug, Clone)]
pub struct PostgresUserStore {
    pool: PgPool,
}

impl PostgresUserStore {
    /// Connects to the database at `url` (`postgres://user:password@host:port/database`) with
    /// the default [`PostgresOptions`], and migrates it.
    ///
    /// # Errors
    /// [`StoreError::Unavailable`] when the database cannot be reached, [`StoreError::Backend`]
    /// when it cannot be migrated or a newer version of this crate migrated it.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        Self::connect_with(url, PostgresOptions::default()).await
    }

    /// Connects to the database at `url` with `options`, and migrates it.
    ///
    /// # Errors
    /// As [`connect`](Self::connect); also [`StoreError::Backend`] for a malformed URL or
    /// schema name.
    #[allow(clippy::needless_pass_by_value)] // options are a builder, taken by value
    pub async fn connect_with(url: &str, options: PostgresOptions) -> Result<Self, StoreError> {
        let mut connect = PgConnectOptions::from_str(url).map_err(Error::from)?;
        if let Some(schema) = &options.schema {
            if schema.is_empty() || !schema.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                return Err(Error::BadSchema(schema.clone()).into());
            }
            let mut conn = sqlx::ConnectOptions::connect(&connect).await.map_err(Error::from)?;
            migrate::create_schema(&mut conn, schema).await?;
            sqlx::Connection::close(conn).await.map_err(Error::from)?;
            connect = connect.options([("search_path", schema.as_str())]);
        }
        let pool = PgPoolOptions::new()
            // No ping before each use (a round trip per operation): a connection the server
            // dropped fails its next statement, that request gets 503, and the pool replaces it.
            .test_before_acquire(false)
            .max_connections(options.max_connections)
            .acquire_timeout(options.acquire_timeout)
            .connect_with(connect)
            .await
            .map_err(Error::from)?;
        Self::from_pool(pool).await
    }

    /// A store on the host's own pool; migrates the database (the tables go to the first
    /// schema of the connections' `search_path`).
    ///
    /// # Errors
    /// As [`connect`](Self::connect).
    pub async fn from_pool(pool: PgPool) -> Result<Self, StoreError> {
        let mut conn = pool.acquire().await.map_err(Error::from)?;
        migrate::migrate_to(&mut conn, migrate::LATEST).await?;
        drop(conn);
        Ok(Self { pool })
    }

    /// The pool the store uses, for the host's own queries (or to close it).
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The newest schema version this crate writes (the highest `version` of its
    /// `scim_schema_migrations` table).
    pub fn schema_version() -> i64 {
        migrate::LATEST
    }
}

/// A boxed future borrowing a connection, as [`in_transaction`] runs them.
pub(crate) type BoxFuture<'c, T> = std::pin::Pin<Box<dyn std::future::Future<Output = T> + Send + 'c>>;

/// Runs `f` in a transaction, again (up to 5 times) when PostgreSQL aborts it for a deadlock
/// or a serialization failure between concurrent writers.
pub(crate) async fn in_transaction<T, F>(pool: &PgPool, mut f: F) -> Result<T, Error>
where
    F: for<'c> FnMut(&'c mut sqlx::PgConnection) -> BoxFuture<'c, Result<T, Error>>,
{
    let mut attempt = 0;
    loop {
        attempt += 1;
        let mut tx = pool.begin().await?;
        let result = match f(&mut tx).await {
            Ok(value) => tx.commit().await.map(|()| value).map_err(Error::from),
            Err(e) => {
                // Dropping the transaction rolls it back; roll back explicitly so the
                // connection is clean when it goes back to the pool.
                let _ = tx.rollback().await;
                Err(e)
            }
        };
        match result {
            Err(e) if e.is_retryable() && attempt < 5 => continue,
            other => return other,
        }
    }
}
