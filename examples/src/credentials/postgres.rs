//! The PostgreSQL statements behind [`Credentials`](super::Credentials): the tables
//! `example_tenants` and `example_tokens` in the first schema of the pool's `search_path`
//! (the store's), times as `timestamptz` from the database's clock (one clock for every
//! replica).

use super::{Candidate, CredentialsError, FirstStart, IssuedToken, NewToken, TenantInfo, TenantSettings, TokenInfo};
use chrono::{DateTime, Utc};
use scim_core::TenantId;
use sqlx::{PgExecutor, PgPool, Row};

/// The advisory lock held while the example's tables are created (`"scimexam"` in ASCII; the
/// store's migrations hold another).
const MIGRATION_LOCK: i64 = 0x7363_696d_6578_616d;
/// The advisory lock held while a starting server looks for a tenant and creates the first
/// (`"scimfrst"` in ASCII).
const FIRST_START_LOCK: i64 = 0x7363_696d_6672_7374;

/// How long recording a token's last use may wait for a row lock.
const TOUCH_LOCK_TIMEOUT: &str = "1s";
/// How long recording a token's last use may take altogether.
const TOUCH_STATEMENT_TIMEOUT: &str = "2s";

const CREATE_TABLES: &str = "
    CREATE TABLE IF NOT EXISTS example_tenants (
        id text PRIMARY KEY,
        name text,
        created_at timestamptz NOT NULL DEFAULT now(),
        profile text NOT NULL DEFAULT 'lenient',
        user_conflict text NOT NULL DEFAULT 'conflict'
    );
    CREATE TABLE IF NOT EXISTS example_tokens (
        id text PRIMARY KEY,
        tenant_id text NOT NULL REFERENCES example_tenants (id),
        lookup text NOT NULL,
        hash bytea NOT NULL,
        label text,
        created_at timestamptz NOT NULL DEFAULT now(),
        last_used_at timestamptz,
        revoked_at timestamptz,
        expires_at timestamptz
    );
    CREATE INDEX IF NOT EXISTS example_tokens_lookup ON example_tokens (lookup);
    CREATE TABLE IF NOT EXISTS example_admin (
        id integer PRIMARY KEY CHECK (id = 1),
        password_hash text NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
    );
    -- Columns added after the tables' first release, added to older tables once. Only when
    -- missing: an ALTER TABLE takes an exclusive lock even when it has nothing to do, and would
    -- deadlock with a server that started at the same time and is already creating its tenant.
    DO $$
    BEGIN
        IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                       AND table_name = 'example_tenants' AND column_name = 'profile') THEN
            ALTER TABLE example_tenants ADD COLUMN profile text NOT NULL DEFAULT 'lenient';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                       AND table_name = 'example_tenants' AND column_name = 'user_conflict') THEN
            ALTER TABLE example_tenants ADD COLUMN user_conflict text NOT NULL DEFAULT 'conflict';
        END IF;
        IF NOT EXISTS (SELECT 1 FROM information_schema.columns WHERE table_schema = current_schema()
                       AND table_name = 'example_tokens' AND column_name = 'expires_at') THEN
            ALTER TABLE example_tokens ADD COLUMN expires_at timestamptz;
        END IF;
    END
    $$;
";

/// Runs `sql` (`CREATE … IF NOT EXISTS` statements) in one transaction holding the example's
/// advisory lock: `IF NOT EXISTS` alone does not stop two servers that start at once from
/// both creating a table (one of them fails on the catalog's unique index).
pub(crate) async fn create_tables(pool: &PgPool, sql: &'static str) -> Result<(), CredentialsError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(MIGRATION_LOCK).execute(&mut *tx).await?;
    sqlx::raw_sql(sql).execute(&mut *tx).await?;
    tx.commit().await?;
    Ok(())
}

pub(super) async fn migrate(pool: &PgPool) -> Result<(), CredentialsError> {
    create_tables(pool, CREATE_TABLES).await
}

fn time(t: DateTime<Utc>) -> String {
    scim_core::format_time(t)
}

pub(super) async fn create_tenant<'c>(
    db: impl PgExecutor<'c>,
    name: Option<&str>,
    settings: &TenantSettings,
) -> Result<TenantInfo, CredentialsError> {
    let id = super::new_tenant_id()?;
    let row = sqlx::query(
        "INSERT INTO example_tenants (id, name, profile, user_conflict) VALUES ($1, $2, $3, $4) RETURNING created_at",
    )
    .bind(&id)
    .bind(name)
    .bind(&settings.profile)
    .bind(settings.user_conflict.as_str())
    .fetch_one(db)
    .await?;
    Ok(TenantInfo {
        id: TenantId::new(id),
        name: name.map(str::to_owned),
        created_at: time(row.try_get(0)?),
        settings: settings.clone(),
    })
}

pub(super) async fn tenants<'c>(db: impl PgExecutor<'c>) -> Result<Vec<TenantInfo>, CredentialsError> {
    let rows =
        sqlx::query("SELECT id, name, created_at, profile, user_conflict FROM example_tenants ORDER BY created_at, id")
            .fetch_all(db)
            .await?;
    rows.iter()
        .map(|r| {
            Ok(TenantInfo {
                id: TenantId::new(r.try_get::<String, _>(0)?),
                name: r.try_get(1)?,
                created_at: time(r.try_get(2)?),
                settings: TenantSettings::stored(r.try_get(3)?, r.try_get(4)?),
            })
        })
        .collect()
}

pub(super) async fn set_settings(
    pool: &PgPool,
    tenant: &TenantId,
    settings: &TenantSettings,
) -> Result<bool, CredentialsError> {
    let done = sqlx::query("UPDATE example_tenants SET profile = $2, user_conflict = $3 WHERE id = $1")
        .bind(tenant.as_str())
        .bind(&settings.profile)
        .bind(settings.user_conflict.as_str())
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Issues a token for an existing tenant: one statement, which inserts nothing when there is
/// no such tenant.
pub(super) async fn issue_token<'c>(
    db: impl PgExecutor<'c>,
    tenant: &TenantId,
    label: Option<&str>,
    expires_at: Option<DateTime<Utc>>,
) -> Result<IssuedToken, CredentialsError> {
    let token = NewToken::generate()?;
    let inserted = sqlx::query(
        "INSERT INTO example_tokens (id, tenant_id, lookup, hash, label, expires_at)
         SELECT $1, $2, $3, $4, $5, $6 WHERE EXISTS (SELECT 1 FROM example_tenants WHERE id = $2)",
    )
    .bind(&token.id)
    .bind(tenant.as_str())
    .bind(token.lookup())
    .bind(token.hash.as_slice())
    .bind(label)
    .bind(expires_at)
    .execute(db)
    .await?;
    if inserted.rows_affected() != 1 {
        return Err(CredentialsError(format!("no tenant {tenant}")));
    }
    Ok(token.issued(tenant, expires_at))
}

/// Sets a token's expiry to `at` unless it expires earlier; `false` when there is no such
/// unrevoked token.
pub(super) async fn expire_by(pool: &PgPool, token_id: &str, at: DateTime<Utc>) -> Result<bool, CredentialsError> {
    let done = sqlx::query(
        "UPDATE example_tokens SET expires_at = LEAST(coalesce(expires_at, $2), $2)
         WHERE id = $1 AND revoked_at IS NULL",
    )
    .bind(token_id)
    .bind(at)
    .execute(pool)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The tenant and label of an unrevoked token.
pub(super) async fn token_owner(
    pool: &PgPool,
    token_id: &str,
) -> Result<Option<(TenantId, Option<String>)>, CredentialsError> {
    let row: Option<(String, Option<String>)> =
        sqlx::query_as("SELECT tenant_id, label FROM example_tokens WHERE id = $1 AND revoked_at IS NULL")
            .bind(token_id)
            .fetch_optional(pool)
            .await?;
    Ok(row.map(|(tenant, label)| (TenantId::new(tenant), label)))
}

pub(super) async fn list_tokens(pool: &PgPool, tenant: Option<&TenantId>) -> Result<Vec<TokenInfo>, CredentialsError> {
    let rows = sqlx::query(
        "SELECT id, tenant_id, label, created_at, last_used_at, revoked_at, expires_at FROM example_tokens
         WHERE $1::text IS NULL OR tenant_id = $1 ORDER BY created_at, id",
    )
    .bind(tenant.map(TenantId::as_str))
    .fetch_all(pool)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(TokenInfo {
                id: r.try_get(0)?,
                tenant: TenantId::new(r.try_get::<String, _>(1)?),
                label: r.try_get(2)?,
                created_at: time(r.try_get(3)?),
                last_used_at: r.try_get::<Option<DateTime<Utc>>, _>(4)?.map(time),
                revoked_at: r.try_get::<Option<DateTime<Utc>>, _>(5)?.map(time),
                expires_at: r.try_get::<Option<DateTime<Utc>>, _>(6)?.map(time),
            })
        })
        .collect()
}

pub(super) async fn set_admin_password_hash(pool: &PgPool, phc: &str) -> Result<(), CredentialsError> {
    sqlx::query(
        "INSERT INTO example_admin (id, password_hash) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash, updated_at = now()",
    )
    .bind(phc)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn admin_password_hash(pool: &PgPool) -> Result<Option<String>, CredentialsError> {
    let row: Option<(String,)> =
        sqlx::query_as("SELECT password_hash FROM example_admin WHERE id = 1").fetch_optional(pool).await?;
    Ok(row.map(|(h,)| h))
}

pub(super) async fn revoke(pool: &PgPool, token_id: &str) -> Result<bool, CredentialsError> {
    let done = sqlx::query("UPDATE example_tokens SET revoked_at = now() WHERE id = $1 AND revoked_at IS NULL")
        .bind(token_id)
        .execute(pool)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The unrevoked tokens under a lookup key, as `(id, tenant, hash, label)` with their
/// tenant's settings (`profile`, `user_conflict`).
pub(super) async fn candidates(pool: &PgPool, lookup: &str) -> Result<Vec<Candidate>, CredentialsError> {
    Ok(sqlx::query_as(
        "SELECT k.id, k.tenant_id, k.hash, k.label, t.profile, t.user_conflict
         FROM example_tokens k JOIN example_tenants t ON t.id = k.tenant_id
         WHERE k.lookup = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())",
    )
    .bind(lookup)
    .fetch_all(pool)
    .await?)
}

/// Records a token's last use in a task of its own, so the request neither waits for it nor
/// fails with it: the statement gives up on a row lock after [`TOUCH_LOCK_TIMEOUT`] and
/// altogether after [`TOUCH_STATEMENT_TIMEOUT`], and a failure is logged.
pub(super) fn touch(pool: &PgPool, token_id: &str) {
    let Ok(runtime) = tokio::runtime::Handle::try_current() else {
        tracing::warn!("no runtime to record a token's last use on; skipped");
        return;
    };
    let pool = pool.clone();
    let token_id = token_id.to_owned();
    runtime.spawn(async move {
        if let Err(e) = record_use(&pool, &token_id).await {
            tracing::warn!(error = %e, "could not record a token's last use; the request went on");
        }
    });
}

async fn record_use(pool: &PgPool, token_id: &str) -> Result<(), sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT set_config('lock_timeout', $1, true), set_config('statement_timeout', $2, true)")
        .bind(TOUCH_LOCK_TIMEOUT)
        .bind(TOUCH_STATEMENT_TIMEOUT)
        .execute(&mut *tx)
        .await?;
    // Every replica records a token's use once a minute; one record a minute is enough.
    sqlx::query(
        "UPDATE example_tokens SET last_used_at = now()
         WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
    )
    .bind(token_id)
    .execute(&mut *tx)
    .await?;
    tx.commit().await
}

/// [`Credentials::first_start`](super::Credentials::first_start): the check and the creation
/// in one transaction holding [`FIRST_START_LOCK`]. A server that waited for the lock reads
/// the tenants after the holder committed (each statement of a read-committed transaction
/// sees what was committed before it began), so it finds the tenant the holder created.
pub(super) async fn first_start(
    pool: &PgPool,
    name: Option<&str>,
    label: Option<&str>,
) -> Result<FirstStart, CredentialsError> {
    let mut tx = pool.begin().await?;
    sqlx::query("SELECT pg_advisory_xact_lock($1)").bind(FIRST_START_LOCK).execute(&mut *tx).await?;
    let existing = tenants(&mut *tx).await?;
    if !existing.is_empty() {
        tx.commit().await?;
        return Ok(FirstStart::Existing(existing));
    }
    let tenant = create_tenant(&mut *tx, name, &TenantSettings::default()).await?;
    let token = issue_token(&mut *tx, &tenant.id, label, None).await?;
    tx.commit().await?;
    Ok(FirstStart::Created { tenant, token })
}

#[cfg(test)]
mod tests {
    //! These need `SCIM_TEST_DATABASE_URL` (`scripts/pg-throwaway start` prints one); without
    //! it they print a notice and pass, unless `SCIM_REQUIRE_POSTGRES` is set. Each test works
    //! in a schema of its own.

    use super::super::{Credentials, FirstStart, TOKEN_PREFIX};
    use scim_core::TenantId;
    use sha2::{Digest, Sha256};
    use sqlx::{PgPool, Row};
    use std::time::{Duration, Instant};

    /// A pool on a new, empty schema of the test database (through the URL's `options`, as
    /// the end-to-end tests give it to the server), or `None` without a test database.
    async fn fresh_pool() -> Option<PgPool> {
        let url = scim_store_postgres::testing::database_url("scim-example-server credentials")?;
        let schema = scim_store_postgres::testing::fresh_schema(&url, "creds").await;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect(&scim_store_postgres::testing::url_with_schema(&url, &schema))
            .await
            .expect("pool");
        let current: String = sqlx::query_scalar("SELECT current_schema()").fetch_one(&pool).await.expect("schema");
        assert_eq!(current, schema, "the URL's options set the search_path");
        Some(pool)
    }

    #[tokio::test]
    async fn issues_verifies_and_revokes() {
        let Some(pool) = fresh_pool().await else { return };
        let creds = Credentials::connect_postgres(pool.clone()).await.unwrap();
        let tenant = creds.create_tenant(Some("acme")).await.unwrap();
        let a = creds.issue_token(&tenant.id, Some("entra")).await.unwrap();
        let b = creds.issue_token(&tenant.id, None).await.unwrap();
        assert_eq!(a.secret.len(), TOKEN_PREFIX.len() + 64);
        assert_ne!(a.secret, b.secret);
        assert_eq!(creds.verify(&a.secret).await.unwrap(), Some(tenant.id.clone()));
        assert_eq!(creds.verify(&b.secret).await.unwrap(), Some(tenant.id.clone()));
        assert_eq!(creds.verify("scim_nope").await.unwrap(), None);
        assert_eq!(creds.verify("").await.unwrap(), None);
        assert_eq!(creds.verify(&a.secret[..a.secret.len() - 1]).await.unwrap(), None);

        // Another server on the same database: a revocation through it counts at once here.
        let other = Credentials::connect_postgres(pool.clone()).await.unwrap();
        assert!(other.revoke(&a.id).await.unwrap());
        assert!(!other.revoke(&a.id).await.unwrap());
        assert_eq!(creds.verify(&a.secret).await.unwrap(), None);
        assert_eq!(other.verify(&a.secret).await.unwrap(), None);
        assert_eq!(creds.verify(&b.secret).await.unwrap(), Some(tenant.id.clone()));

        // The last use is recorded in a task of its own: wait for it.
        let deadline = Instant::now() + Duration::from_secs(5);
        let listed = loop {
            let listed = creds.list_tokens(Some(&tenant.id)).await.unwrap();
            if listed.iter().any(|t| t.id == b.id && t.last_used_at.is_some()) || Instant::now() > deadline {
                break listed;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|t| t.id == a.id && t.revoked_at.is_some()), "{listed:?}");
        assert!(listed.iter().any(|t| t.id == b.id && t.last_used_at.is_some()), "{listed:?}");
        assert!(listed.iter().all(|t| t.created_at.ends_with('Z')), "{listed:?}");
        assert_eq!(creds.list_tokens(None).await.unwrap(), listed);
        let debug = format!("{a:?} {listed:?} {creds:?}");
        assert!(!debug.contains(&a.secret[TOKEN_PREFIX.len()..]), "Debug must not show secrets");
    }

    #[tokio::test]
    async fn secrets_are_stored_hashed() {
        let Some(pool) = fresh_pool().await else { return };
        let creds = Credentials::connect_postgres(pool.clone()).await.unwrap();
        let tenant = creds.create_tenant(None).await.unwrap();
        let token = creds.issue_token(&tenant.id, None).await.unwrap();
        let stored: Vec<u8> = sqlx::query_scalar("SELECT hash FROM example_tokens").fetch_one(&pool).await.unwrap();
        assert_eq!(stored, Sha256::digest(token.secret.as_bytes()).to_vec());
        let row = sqlx::query(
            "SELECT string_agg(id || lookup || coalesce(label, '') || encode(hash, 'escape'), ',') FROM example_tokens",
        )
        .fetch_one(&pool)
        .await
        .unwrap();
        let dump: String = row.try_get(0).unwrap();
        assert!(!dump.contains(&token.secret[TOKEN_PREFIX.len()..]));
    }

    #[tokio::test]
    async fn a_token_names_only_its_tenant() {
        let Some(pool) = fresh_pool().await else { return };
        let creds = Credentials::connect_postgres(pool).await.unwrap();
        let t1 = creds.create_tenant(None).await.unwrap();
        let t2 = creds.create_tenant(Some("second")).await.unwrap();
        let k1 = creds.issue_token(&t1.id, None).await.unwrap();
        let k2 = creds.issue_token(&t2.id, None).await.unwrap();
        assert_eq!(creds.verify(&k1.secret).await.unwrap(), Some(t1.id.clone()));
        assert_eq!(creds.verify(&k2.secret).await.unwrap(), Some(t2.id.clone()));
        let missing = creds.issue_token(&TenantId::new("missing"), None).await.unwrap_err();
        assert!(missing.to_string().contains("no tenant missing"), "{missing}");
        assert_eq!(creds.tenants().await.unwrap(), [t1, t2]);
        assert_eq!(creds.list_tokens(None).await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn tenant_settings_are_stored_applied_and_migrated() {
        use super::super::TenantSettings;
        use scim_core::UserConflictPolicy;
        use scim_core::quirks::Profile;
        let Some(pool) = fresh_pool().await else { return };
        // A table from before the settings columns.
        sqlx::raw_sql(
            "CREATE TABLE example_tenants (id text PRIMARY KEY, name text, created_at timestamptz NOT NULL DEFAULT now());
             INSERT INTO example_tenants (id, name) VALUES ('old', 'old');",
        )
        .execute(&pool)
        .await
        .unwrap();
        let creds = Credentials::connect_postgres(pool).await.unwrap();
        let old = creds.tenant(&TenantId::new("old")).await.unwrap().unwrap();
        assert_eq!(old.settings, TenantSettings::default());
        let strict = TenantSettings::new("strict", UserConflictPolicy::Adopt).unwrap();
        let tenant = creds.create_tenant_with(None, &strict).await.unwrap();
        assert_eq!(creds.tenant(&tenant.id).await.unwrap().unwrap().settings, strict);
        let token = creds.issue_token(&tenant.id, None).await.unwrap();
        let principal = creds.verify_principal(&token.secret).await.unwrap().unwrap();
        assert_eq!(principal.profile, Some(Profile::strict()));
        assert_eq!(principal.user_conflict, Some(UserConflictPolicy::Adopt));
        let okta = TenantSettings::new("okta", UserConflictPolicy::Conflict).unwrap();
        assert!(creds.set_tenant_settings(&tenant.id, &okta).await.unwrap());
        let principal = creds.verify_principal(&token.secret).await.unwrap().unwrap();
        assert_eq!(principal.profile.as_ref().map(Profile::name), Some("okta"));
        assert_eq!(principal.user_conflict, Some(UserConflictPolicy::Conflict));
    }

    #[tokio::test]
    async fn tokens_expire_and_rotation_overlaps() {
        let Some(pool) = fresh_pool().await else { return };
        let creds = Credentials::connect_postgres(pool).await.unwrap();
        super::super::tests::expiry_and_rotation(&creds).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn servers_starting_together_create_one_tenant() {
        let Some(pool) = fresh_pool().await else { return };
        // Three servers whose tables do not exist yet, starting at once.
        let start = |pool: PgPool| async move {
            let creds = Credentials::connect_postgres(pool).await.unwrap();
            creds.first_start(Some("first tenant"), Some("first")).await.unwrap()
        };
        let (a, b, c) = tokio::join!(
            tokio::spawn(start(pool.clone())),
            tokio::spawn(start(pool.clone())),
            tokio::spawn(start(pool.clone()))
        );
        let outcomes = [a.unwrap(), b.unwrap(), c.unwrap()];
        let created: Vec<_> = outcomes
            .iter()
            .filter_map(|o| match o {
                FirstStart::Created { tenant, .. } => Some(tenant.clone()),
                FirstStart::Existing(_) => None,
            })
            .collect();
        assert_eq!(created.len(), 1, "{outcomes:?}");
        for outcome in &outcomes {
            if let FirstStart::Existing(tenants) = outcome {
                assert_eq!(tenants, &created, "{outcomes:?}");
            }
        }
        let creds = Credentials::connect_postgres(pool).await.unwrap();
        assert_eq!(creds.tenants().await.unwrap(), created);
        assert_eq!(creds.list_tokens(None).await.unwrap().len(), 1);
    }
}
