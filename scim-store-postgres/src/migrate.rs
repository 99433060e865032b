//! Versioned schema migrations, applied when a store is opened: all of them in one
//! transaction holding an advisory lock, so replicas that start at once migrate exactly once
//! (the others wait for the lock, then find nothing left to do).

use crate::error::Error;
use sqlx::{Executor, PgConnection, Row};

/// Migration `n` (1-based) brings the schema from version `n - 1` to `n`. Never edit one that
/// has shipped: add the next.
pub(crate) const MIGRATIONS: &[&str] = &[
    // 1: users, groups, memberships.
    r#"
    CREATE TABLE scim_users (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant text NOT NULL,
        id text NOT NULL,
        id_fold text COLLATE "C" NOT NULL,
        user_name_fold text COLLATE "C",
        external_id_fold text COLLATE "C",
        emails_fold text[] COLLATE "C",
        status text NOT NULL,
        purge_at timestamptz,
        version bigint NOT NULL,
        created timestamptz,
        last_modified timestamptz,
        doc jsonb NOT NULL,
        CONSTRAINT scim_users_id UNIQUE (tenant, id)
    );
    CREATE UNIQUE INDEX scim_users_user_name ON scim_users (tenant, user_name_fold);
    CREATE INDEX scim_users_tenant_seq ON scim_users (tenant, seq);
    CREATE INDEX scim_users_id_fold ON scim_users (tenant, id_fold);
    CREATE INDEX scim_users_external_id ON scim_users (tenant, external_id_fold) WHERE external_id_fold IS NOT NULL;
    CREATE INDEX scim_users_emails ON scim_users USING gin (emails_fold) WHERE emails_fold IS NOT NULL;
    CREATE INDEX scim_users_purge_at ON scim_users (purge_at) WHERE purge_at IS NOT NULL;

    CREATE TABLE scim_groups (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant text NOT NULL,
        id text NOT NULL,
        id_fold text COLLATE "C" NOT NULL,
        display_name_fold text COLLATE "C",
        external_id_fold text COLLATE "C",
        version bigint NOT NULL,
        created timestamptz,
        last_modified timestamptz,
        doc jsonb NOT NULL,
        CONSTRAINT scim_groups_id UNIQUE (tenant, id)
    );
    CREATE UNIQUE INDEX scim_groups_display_name ON scim_groups (tenant, display_name_fold);
    CREATE INDEX scim_groups_tenant_seq ON scim_groups (tenant, seq);
    CREATE INDEX scim_groups_id_fold ON scim_groups (tenant, id_fold);
    CREATE INDEX scim_groups_external_id ON scim_groups (tenant, external_id_fold) WHERE external_id_fold IS NOT NULL;

    CREATE TABLE scim_memberships (
        tenant text NOT NULL,
        group_id text NOT NULL,
        value text NOT NULL,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        display text,
        type text,
        ref text,
        PRIMARY KEY (tenant, group_id, value),
        FOREIGN KEY (tenant, group_id) REFERENCES scim_groups (tenant, id) ON DELETE CASCADE
    );
    CREATE INDEX scim_memberships_value ON scim_memberships (tenant, value);
    "#,
    // 2: the audit log, newest first per tenant or per resource. `time` is not indexed (each
    // index costs every audited write); expiry walks each tenant's log in `seq` order.
    r#"
    CREATE TABLE scim_audit (
        seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        tenant text NOT NULL,
        time timestamptz NOT NULL,
        resource_id text,
        actor text NOT NULL,
        status integer NOT NULL,
        record jsonb NOT NULL
    );
    CREATE INDEX scim_audit_tenant ON scim_audit (tenant, seq);
    CREATE INDEX scim_audit_resource ON scim_audit (tenant, resource_id, seq) WHERE resource_id IS NOT NULL;
    "#,
];

/// The schema version this crate writes.
pub(crate) const LATEST: i64 = MIGRATIONS.len() as i64;

/// The advisory lock migrations hold (any constant; `"scim"` in ASCII).
const LOCK_KEY: i64 = 0x7363_696d;

/// Creates `schema` (a name already checked to be letters, digits and underscores) unless it
/// exists, under the migrations' lock: `CREATE SCHEMA IF NOT EXISTS` alone races with itself.
pub(crate) async fn create_schema(conn: &mut PgConnection, schema: &str) -> Result<(), Error> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(LOCK_KEY).execute(&mut *tx).await?;
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\""))).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

/// Brings the schema up to version `target` (normally [`LATEST`]); refuses a schema that a
/// newer version of this crate migrated. Returns the version found before.
pub(crate) async fn migrate_to(conn: &mut PgConnection, target: i64) -> Result<i64, Error> {
    let mut tx = sqlx::Connection::begin(conn).await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(LOCK_KEY).execute(&mut *tx).await?;
    tx.execute(
        "CREATE TABLE IF NOT EXISTS scim_schema_migrations (
             version bigint PRIMARY KEY,
             applied_at timestamptz NOT NULL DEFAULT now()
         )",
    )
    .await?;
    let found: i64 = sqlx::query("SELECT coalesce(max(version), 0) FROM scim_schema_migrations")
        .fetch_one(&mut *tx)
        .await?
        .try_get(0)?;
    if found > LATEST {
        return Err(Error::TooNew { found, supported: LATEST });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().take(usize::try_from(target).unwrap_or(0)) {
        let version = index as i64 + 1;
        if version <= found {
            continue;
        }
        sqlx::raw_sql(sqlx::AssertSqlSafe(*sql)).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO scim_schema_migrations (version) VALUES ($1)").bind(version).execute(&mut *tx).await?;
    }
    tx.commit().await?;
    Ok(found)
}
