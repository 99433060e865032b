//! The store's private error type and its mapping to [`StoreError`].

use rusqlite::ErrorCode;
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

/// What a unique-constraint message names, in words a SCIM client understands.
fn uniqueness_detail(message: &str) -> String {
    let what = if message.contains("user_name_lower") {
        "userName"
    } else if message.contains("display_name_lower") {
        "displayName"
    } else if message.contains(".id") {
        "id"
    } else {
        "a unique attribute"
    };
    format!("{what} is already in use in this tenant")
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        match e {
            Error::NotFound => Self::NotFound,
            Error::PreconditionFailed => Self::PreconditionFailed,
            Error::Sqlite(rusqlite::Error::SqliteFailure(code, message))
                if code.code == ErrorCode::ConstraintViolation =>
            {
                Self::Uniqueness(uniqueness_detail(message.as_deref().unwrap_or_default()))
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
        conn.execute_batch("CREATE TABLE users (user_name_lower TEXT UNIQUE); INSERT INTO users VALUES ('a');")
            .unwrap();
        let err = conn.execute("INSERT INTO users VALUES ('a')", []).unwrap_err();
        match StoreError::from(Error::from(err)) {
            StoreError::Uniqueness(detail) => assert_eq!(detail, "userName is already in use in this tenant"),
            other => panic!("expected Uniqueness, got {other:?}"),
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
