//! The store's private error type and its mapping to [`StoreError`].

use scim_core::StoreError;

/// Everything that can go wrong inside the PostgreSQL store.
#[derive(Debug, thiserror::Error)]
pub(crate) enum Error {
    /// PostgreSQL (or the connection to it) reported an error.
    #[error(transparent)]
    Sql(#[from] sqlx::Error),
    /// A stored document is not a JSON object (the database was changed outside this crate).
    #[error("a stored document is not a JSON object")]
    NotAnObject,
    /// The database was migrated by a newer version of this crate.
    #[error("the database schema version {found} is newer than the newest this crate knows ({supported})")]
    TooNew {
        /// The highest version in `scim_schema_migrations`.
        found: i64,
        /// The newest version this crate migrates to.
        supported: i64,
    },
    /// A schema name this crate will not put in `search_path`.
    #[error("invalid schema name {0:?}: use letters, digits and underscores")]
    BadSchema(String),
    /// No such resource.
    #[error("not found")]
    NotFound,
    /// `if_match` does not match.
    #[error("version mismatch")]
    PreconditionFailed,
    /// A resource to store has no `id`.
    #[error("a resource to store needs an id")]
    MissingId,
}

impl Error {
    /// The SQLSTATE of a database error.
    pub(crate) fn code(&self) -> Option<String> {
        match self {
            Self::Sql(sqlx::Error::Database(e)) => e.code().map(|c| c.into_owned()),
            _ => None,
        }
    }

    /// A conflict between concurrent transactions (serialization failure, deadlock) that the
    /// store resolves by running the transaction again.
    pub(crate) fn is_retryable(&self) -> bool {
        matches!(self.code().as_deref(), Some("40001" | "40P01"))
    }

    /// The database cannot be reached or refuses work for now (connection lost, server
    /// restarting or shutting down, too many connections, no connection within the acquire
    /// timeout): the request may succeed later, so it is `503` with `Retry-After`.
    pub(crate) fn is_unavailable(&self) -> bool {
        match self {
            Self::Sql(
                sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Protocol(_),
            ) => true,
            Self::Sql(sqlx::Error::Database(_)) => {
                let code = self.code().unwrap_or_default();
                // Class 08: connection exception; 57P01-57P03: shutting down, crash recovery,
                // cannot connect now; 53300: too many connections; 25006 read-only (a replica
                // promoted or a primary demoted).
                code.starts_with("08") || matches!(code.as_str(), "57P01" | "57P02" | "57P03" | "53300" | "25006")
            }
            _ => false,
        }
    }
}

/// The SCIM attribute a unique-constraint violation is about, from the constraint's name;
/// `None` for a constraint no client attribute stands behind.
fn unique_attribute(constraint: &str) -> Option<&'static str> {
    match constraint {
        "scim_users_user_name" => Some("userName"),
        "scim_groups_display_name" => Some("displayName"),
        "scim_users_id" | "scim_groups_id" => Some("id"),
        _ => None,
    }
}

impl From<Error> for StoreError {
    fn from(e: Error) -> Self {
        if let Error::Sql(sqlx::Error::Database(db)) = &e
            && db.code().as_deref() == Some("23505")
            && let Some(attribute) = db.constraint().and_then(unique_attribute)
        {
            return Self::Uniqueness { attribute };
        }
        if e.is_unavailable() {
            return Self::Unavailable { backend: "postgres", source: Box::new(e) };
        }
        match e {
            Error::NotFound => Self::NotFound,
            Error::PreconditionFailed => Self::PreconditionFailed,
            other => Self::Backend { backend: "postgres", source: Box::new(other) },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn constraint_names_map_to_attributes() {
        assert_eq!(unique_attribute("scim_users_user_name"), Some("userName"));
        assert_eq!(unique_attribute("scim_groups_display_name"), Some("displayName"));
        assert_eq!(unique_attribute("scim_users_id"), Some("id"));
        assert_eq!(unique_attribute("scim_memberships_pkey"), None);
    }

    #[test]
    fn lost_connections_are_unavailable_and_the_rest_backend_errors() {
        let io = Error::Sql(sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset)));
        assert!(matches!(StoreError::from(io), StoreError::Unavailable { backend: "postgres", .. }));
        assert!(matches!(StoreError::from(Error::Sql(sqlx::Error::PoolTimedOut)), StoreError::Unavailable { .. }));
        assert!(matches!(StoreError::from(Error::NotAnObject), StoreError::Backend { backend: "postgres", .. }));
        assert!(matches!(StoreError::from(Error::NotFound), StoreError::NotFound));
        assert!(matches!(StoreError::from(Error::PreconditionFailed), StoreError::PreconditionFailed));
    }
}
