//! The store's private error type and its mapping to [`StoreError`].

use rusqlite::ffi;
use scim_core::StoreError;

/// Everything that can go wrong inside the SQLite store.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// SQLite reported an error.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
    /// A stored document is not valid JSON (the database was changed outside this crate).
    #[error("a stored document is not valid JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// A stored binary document is not valid JSONB (the database was changed outside this crate).
    #[error(transparent)]
    Jsonb(#[from] crate::jsonb::JsonbError),
    /// The writer or reader threads have stopped.
    #[error("the sqlite worker threads have stopped")]
    Closed,
    /// The commit of a batch failed; every write of the batch was rolled back.
    #[error("commit failed: {0}")]
    Commit(String),
    /// The database was written by a newer version of this crate.
    #[error("the database schema version {found} is newer than the newest this crate knows ({supported})")]
    TooNew {
        /// `PRAGMA user_version` of the file.
        found: i64,
        /// The newest version this crate migrates to.
        supported: i64,
    },
    /// The database could not be set up as this store needs it.
    #[error("{0}")]
    Setup(String),
    /// A worker thread could not be started.
    #[error("could not start a worker thread: {0}")]
    Thread(#[from] std::io::Error),
    /// No such resource.
    #[error("not found")]
    NotFound,
    /// `if_match` does not match.
    #[error("version mismatch")]
    PreconditionFailed,
}

/// The SCIM attribute a unique-constraint failure is about, from the columns SQLite names in
/// its message (`UNIQUE constraint failed: users.tenant, users.user_name_lower`); `None` for a
/// constraint no client attribute stands behind.
fn unique_attribute(message: &str) -> Option<&'static str> {
    let columns = message.rsplit(':').next().unwrap_or_default();
    let has = |column: &str| columns.split(',').any(|c| c.trim().rsplit('.').next() == Some(column));
    if has("user_name_lower") {
        Some("userName")
    } else if has("display_name_lower") {
        Some("displayName")
    } else if has("id") || has("id_fold") {
        Some("id")
    } else {
        None
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound => Self::NotFound,
            Error::PreconditionFailed => Self::PreconditionFailed,
            // Only a unique or primary-key constraint is a taken value; a foreign-key, check or
            // not-null failure is the store's own fault and stays a backend error.
            Error::Sqlite(rusqlite::Error::SqliteFailure(code, Some(ref message)))
                if matches!(code.extended_code, ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) =>
            {
                match unique_attribute(message) {
                    Some(attribute) => Self::Uniqueness { attribute },
                    None => Self::Backend { backend: "sqlite", source: Box::new(e) },
                }
            }
            other => Self::Backend { backend: "sqlite", source: Box::new(other) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_violations_become_uniqueness() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE users (tenant TEXT, id TEXT, user_name_lower TEXT UNIQUE, PRIMARY KEY (tenant, id));
             CREATE TABLE groups (tenant TEXT, display_name_lower TEXT, UNIQUE (tenant, display_name_lower));
             INSERT INTO users VALUES ('t', 'i', 'a'); INSERT INTO groups VALUES ('t', 'g');",
        )
        .unwrap();
        let uniqueness = |sql: &str| match StoreError::from(Error::from(conn.execute(sql, []).unwrap_err())) {
            StoreError::Uniqueness { attribute } => attribute,
            other => panic!("expected Uniqueness, got {other:?}"),
        };
        assert_eq!(uniqueness("INSERT INTO users VALUES ('t', 'j', 'a')"), "userName");
        assert_eq!(uniqueness("INSERT INTO users VALUES ('t', 'i', 'b')"), "id");
        assert_eq!(uniqueness("INSERT INTO groups VALUES ('t', 'g')"), "displayName");
        let e =
            StoreError::from(Error::from(conn.execute("INSERT INTO users VALUES ('t', 'j', 'a')", []).unwrap_err()));
        assert_eq!(e.to_string(), "userName is already in use in this tenant");
    }

    #[test]
    fn other_constraint_failures_are_not_uniqueness() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "PRAGMA foreign_keys = ON;
             CREATE TABLE groups (id TEXT PRIMARY KEY);
             CREATE TABLE memberships (group_id TEXT REFERENCES groups (id), note TEXT NOT NULL, n INTEGER CHECK (n > 0));
             CREATE TABLE other (code TEXT UNIQUE);
             INSERT INTO groups VALUES ('g'); INSERT INTO other VALUES ('x');",
        )
        .unwrap();
        for sql in [
            "INSERT INTO memberships VALUES ('nowhere', 'n', 1)",
            "INSERT INTO memberships VALUES ('g', NULL, 1)",
            "INSERT INTO memberships VALUES ('g', 'n', 0)",
            "INSERT INTO other VALUES ('x')",
        ] {
            let e = StoreError::from(Error::from(conn.execute(sql, []).unwrap_err()));
            assert!(matches!(e, StoreError::Backend { backend: "sqlite", .. }), "{sql}: {e:?}");
        }
    }

    #[test]
    fn other_errors_become_backend_errors() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        let err = conn.execute("SELECT * FROM nowhere", []).unwrap_err();
        assert!(matches!(StoreError::from(Error::from(err)), StoreError::Backend { backend: "sqlite", .. }));
        assert!(matches!(StoreError::from(Error::Closed), StoreError::Backend { backend: "sqlite", .. }));
    }
}
