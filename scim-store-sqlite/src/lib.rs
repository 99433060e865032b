//! A durable SQLite store for [`scim_core`]: one [`SqliteUserStore`] implements both
//! [`UserStore`](scim_core::UserStore) and [`GroupStore`](scim_core::GroupStore), so deleting
//! a user removes its group memberships in the same transaction.
//!
//! SQLite is compiled into the binary (`rusqlite` with `bundled`): a fresh machine needs
//! nothing installed.
//!
//! # Opening a store
//!
//! ```
//! use scim_core::{TenantId, User, UserStore};
//! use scim_store_sqlite::{Durability, SqliteOptions, SqliteUserStore};
//! use serde_json::json;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! # let dir = tempfile::tempdir()?;
//! # let path = dir.path().join("scim.db");
//! // A file, created and migrated if needed, with the durable default:
//! let store = SqliteUserStore::open(&path)?;
//! # drop(store);
//! // Or with options:
//! let store = SqliteUserStore::open_with(&path, SqliteOptions::new().with_durability(Durability::Full))?;
//!
//! # tokio::runtime::Builder::new_current_thread().build()?.block_on(async {
//! let tenant = TenantId::new("acme");
//! let mut user = User::from_json(json!({"id": "u1", "userName": "bjensen@example.com"}));
//! user.set_created(chrono::Utc::now());
//! user.set_last_modified(chrono::Utc::now());
//! let stored = store.create(&tenant, user, None).await?;
//! assert_eq!(stored.version().unwrap().as_str(), "W/\"1\"");
//! assert_eq!(store.get(&tenant, "u1").await?.user_name(), Some("bjensen@example.com"));
//! # Ok::<(), scim_core::StoreError>(())
//! # })?;
//! # Ok(())
//! # }
//! ```
//!
//! Tests can use [`SqliteUserStore::open_in_memory`].
//!
//! # Durability
//!
//! The database runs in WAL mode with `PRAGMA synchronous = FULL` by default
//! ([`Durability::Full`]): a write is acknowledged only after the write-ahead log has been
//! `fsync`ed, so an acknowledged provisioning change (a new user, a suspension, a removal
//! from a group) survives a killed process, a kernel panic and a power cut. Identity
//! providers do not resend changes they saw acknowledged, so a lost write would silently
//! leave a user with access they should not have. [`Durability::Normal`] skips that `fsync`
//! (safe against process crashes, not power loss) for hosts that accept the risk.
//!
//! The `fsync` is not paid per write: one writer thread takes every write queued while it
//! was busy and commits them in one transaction (each write in its own savepoint, so one
//! failing write does not affect the others), then acknowledges them all. When the previous
//! batch was larger than what is queued, it waits a little (half the last commit's time,
//! at most 4 ms) for the writers it just answered to send their next write, so concurrent
//! writers share one `fsync` instead of alternating small and large batches; a lone writer
//! never waits.
//!
//! # Threads
//!
//! No SQLite call runs on the async executor: writes go to the writer thread, reads to a
//! small pool of reader threads (WAL lets them read while the writer writes). The store
//! works with any async runtime. Connections map the database file into memory
//! (`PRAGMA mmap_size`, up to SQLite's 2 GB maximum) so reads of a large database do not pay
//! a system call per page; writes never go through the map.
//!
//! # Schema
//!
//! Tables `users`, `groups` (documents without `members`) and `memberships` (one row per
//! member, from which a user's `groups` is derived in the statement that reads the user), with unique indexes on the lowercased `userName` / `displayName` per tenant
//! (folded in Rust with [`scim_query::fold::fold_case`], the evaluator's rule, not SQL's `lower()`), an index on
//! `externalId`, and a partial index on the purge time of suspended users, so
//! [`purge_expired`](scim_core::UserStore::purge_expired) never reads live users. User
//! documents are stored as SQLite's binary JSON (JSONB), which SQL reads with the usual JSON
//! functions and the store decodes without a text parse; group documents are JSON text. The
//! schema version is `PRAGMA user_version`; migrations run when a store is opened (version 2
//! converts the user documents of a version 1 file in one transaction: a full rewrite of the
//! `users` table), and a database written by a newer version of this crate is refused.
//!
//! # Filters
//!
//! The parts of a filter that SQL answers with exactly the semantics of `scim_query`
//! (`userName`/`displayName` `eq` `sw` `co` `ew` `pr` on the case-folded column, `externalId pr`,
//! `active eq`, and `and` / `or` / `not` of these) run in SQL, with sort, paging and
//! `totalResults` in SQL when the whole filter does. `id eq` and `externalId eq` select their
//! candidates from an index on the case-folded value (correct whether the filter was compiled
//! with the schema, where they are `caseExact`, or without one). Whatever SQL cannot answer
//! exactly is evaluated in Rust with the compiled filter on the candidates, which are then
//! sorted and paged in Rust. A differential test compares both paths with `scim_query` on
//! generated filters.

mod audit;
mod db;
mod error;
mod groups;
mod jsonb;
mod list;
mod migrate;
mod options;
mod pushdown;
mod users;

pub use options::{Durability, SqliteOptions};

use db::Db;
use scim_core::StoreError;
use std::path::Path;
use std::sync::Arc;

/// A SQLite-backed user and group store. Cheap to clone (clones share the connections).
#[derive(Debug, Clone)]
pub struct SqliteUserStore {
    db: Arc<Db>,
}

impl SqliteUserStore {
    /// Opens the database file at `path` (created if missing) with the default options.
    ///
    /// # Errors
    /// [`StoreError::Backend`] when the file cannot be opened or migrated, or was written by
    /// a newer version of this crate.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        Self::open_with(path, SqliteOptions::default())
    }

    /// Opens the database file at `path` (created if missing).
    ///
    /// # Errors
    /// As [`open`](Self::open).
    #[allow(clippy::needless_pass_by_value)] // options are a builder, taken by value
    pub fn open_with(path: impl AsRef<Path>, options: SqliteOptions) -> Result<Self, StoreError> {
        Ok(Self { db: Arc::new(Db::open(path.as_ref(), &options)?) })
    }

    /// A private in-memory database, for tests; its contents go when the last clone is dropped.
    ///
    /// # Errors
    /// [`StoreError::Backend`] if SQLite cannot create the database.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        Ok(Self { db: Arc::new(Db::open_in_memory(&SqliteOptions::default())?) })
    }

    /// The newest schema version this crate writes (`PRAGMA user_version` of its databases).
    pub fn schema_version() -> i64 {
        migrate::LATEST
    }
}
