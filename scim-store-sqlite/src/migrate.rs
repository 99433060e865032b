//! Schema migrations, numbered by `PRAGMA user_version`.

use crate::error::Error;
use rusqlite::Connection;

/// Migration `n` (1-based) brings the schema from version `n - 1` to `n`.
const MIGRATIONS: &[&str] = &[
    // 1: users, groups, memberships.
    "
    CREATE TABLE users (
        seq INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        id_fold TEXT NOT NULL,
        user_name_lower TEXT,
        external_id TEXT,
        external_id_fold TEXT,
        status TEXT NOT NULL,
        purge_at INTEGER,
        version INTEGER NOT NULL,
        created INTEGER,
        last_modified INTEGER,
        doc TEXT NOT NULL
    );
    -- Unique on (tenant, id); the folded id in between lets a case-insensitive `id eq` use it.
    CREATE UNIQUE INDEX users_id ON users (tenant, id_fold, id);
    CREATE UNIQUE INDEX users_user_name ON users (tenant, user_name_lower);
    CREATE INDEX users_tenant ON users (tenant);
    CREATE INDEX users_external_id ON users (tenant, external_id_fold) WHERE external_id_fold IS NOT NULL;
    CREATE INDEX users_purge_at ON users (purge_at) WHERE purge_at IS NOT NULL;

    CREATE TABLE groups (
        seq INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL,
        id TEXT NOT NULL,
        id_fold TEXT NOT NULL,
        display_name_lower TEXT,
        external_id TEXT,
        external_id_fold TEXT,
        version INTEGER NOT NULL,
        created INTEGER,
        last_modified INTEGER,
        doc TEXT NOT NULL
    );
    CREATE UNIQUE INDEX groups_id ON groups (tenant, id);
    CREATE UNIQUE INDEX groups_display_name ON groups (tenant, display_name_lower);
    CREATE INDEX groups_tenant ON groups (tenant);
    CREATE INDEX groups_id_fold ON groups (tenant, id_fold);
    CREATE INDEX groups_external_id ON groups (tenant, external_id_fold) WHERE external_id_fold IS NOT NULL;

    CREATE TABLE memberships (
        tenant TEXT NOT NULL,
        group_id TEXT NOT NULL,
        value TEXT NOT NULL,
        display TEXT,
        type TEXT,
        ref TEXT,
        PRIMARY KEY (tenant, group_id, value),
        FOREIGN KEY (tenant, group_id) REFERENCES groups (tenant, id) ON DELETE CASCADE
    );
    CREATE INDEX memberships_value ON memberships (tenant, value);
    ",
    // 2: user documents as JSONB (SQLite's binary JSON; the column's TEXT affinity keeps
    // blobs as they are). SQL reads them with the same JSON functions; the store decodes
    // them without a text parse.
    "
    UPDATE users SET doc = jsonb(doc) WHERE typeof(doc) = 'text';
    ",
    // 3: the audit log. `seq` is the rowid (the log's order); `time` in milliseconds, not
    // indexed (each index costs every audited write; expiry walks each tenant's log in order).
    "
    CREATE TABLE audit (
        seq INTEGER PRIMARY KEY,
        tenant TEXT NOT NULL,
        time INTEGER NOT NULL,
        resource_id TEXT,
        actor TEXT NOT NULL,
        status INTEGER NOT NULL,
        record TEXT NOT NULL
    );
    CREATE INDEX audit_tenant ON audit (tenant, seq);
    CREATE INDEX audit_resource ON audit (tenant, resource_id, seq) WHERE resource_id IS NOT NULL;
    ",
];

/// The schema version this crate writes.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// Brings the database up to [`LATEST`], one transaction per step; refuses newer files.
pub(crate) fn migrate(conn: &mut Connection) -> Result<i64, Error> {
    let found: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > LATEST {
        return Err(Error::TooNew { found, supported: LATEST });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(usize::try_from(found).unwrap_or(0)) {
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", index as i64 + 1)?;
        tx.commit()?;
    }
    Ok(LATEST)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fresh_database_reaches_latest_and_rerun_is_a_no_op() {
        let mut conn = Connection::open_in_memory().unwrap();
        assert_eq!(migrate(&mut conn).unwrap(), LATEST);
        let v: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, LATEST);
        assert_eq!(migrate(&mut conn).unwrap(), LATEST);
        let tables: i64 = conn
            .query_row(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN ('users', 'groups', 'memberships')",
                [],
                |r| r.get(0),
            )
            .unwrap();
        assert_eq!(tables, 3);
    }

    #[test]
    fn newer_database_is_refused() {
        let mut conn = Connection::open_in_memory().unwrap();
        conn.pragma_update(None, "user_version", LATEST + 1).unwrap();
        assert!(matches!(migrate(&mut conn), Err(Error::TooNew { .. })));
    }
}
