//! Tenant credentials: tenants and their bearer tokens, in the server's SQLite file or in
//! PostgreSQL (shared by every replica of the server).
//!
//! A token is 32 bytes from the operating system's random source (256 bits), shown once as
//! `scim_` + 64 hex digits. Only its SHA-256 hash is stored; the first 8 bytes of the hash
//! (hex) are an indexed lookup key, and the full hash is compared in constant time. A tenant
//! may hold several tokens (rotation); revoked tokens stop working at once: every verification
//! reads the database, and none is cached.
//!
//! The methods are async and serve both backends; on SQLite they run the statement on the
//! caller's task (a few microseconds on the server's own file).

mod postgres;

pub(crate) use postgres::create_tables as create_postgres_tables;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, TransactionBehavior, params};
use scim_core::quirks::{BUILTIN_PROFILES, Profile};
use scim_core::{AuthUnavailable, Authenticator, Principal, TenantId, UserConflictPolicy};
use sha2::{Digest, Sha256};
use sqlx::PgPool;
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The prefix of every secret token (helps secret scanners recognise leaked tokens).
pub const TOKEN_PREFIX: &str = "scim_";

/// How often at most `last_used_at` is written for one token (by one server process).
const LAST_USED_GRANULARITY: Duration = Duration::from_secs(60);
/// How long the credentials database waits for another writer.
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
/// How long recording a token's last use waits for another writer: not at all.
const TOUCH_WAIT: Duration = Duration::ZERO;

/// A credentials failure (database or randomness).
#[derive(Debug)]
pub struct CredentialsError(String);

impl fmt::Display for CredentialsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CredentialsError {}

impl From<rusqlite::Error> for CredentialsError {
    fn from(e: rusqlite::Error) -> Self {
        Self(format!("credentials database: {e}"))
    }
}

impl From<sqlx::Error> for CredentialsError {
    fn from(e: sqlx::Error) -> Self {
        Self(format!("credentials database: {e}"))
    }
}

/// A newly issued token: the secret is only available here, once.
#[derive(Clone)]
pub struct IssuedToken {
    /// The token's public id (for `token list` / `token revoke`).
    pub id: String,
    /// The tenant it authenticates.
    pub tenant: TenantId,
    /// The secret, to hand to the identity provider.
    pub secret: String,
    /// When it stops working, if it expires.
    pub expires_at: Option<DateTime<Utc>>,
}

impl fmt::Debug for IssuedToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IssuedToken").field("id", &self.id).field("tenant", &self.tenant).finish_non_exhaustive()
    }
}

/// What `token list` shows about a token: never the secret or its hash.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    /// Public id.
    pub id: String,
    /// Tenant.
    pub tenant: TenantId,
    /// Free-text label.
    pub label: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// RFC 3339 time of the last successful use (to the minute), if any.
    pub last_used_at: Option<String>,
    /// RFC 3339 revocation time, if revoked.
    pub revoked_at: Option<String>,
    /// RFC 3339 time from which it no longer works, if it expires.
    pub expires_at: Option<String>,
}

/// A tenant.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantInfo {
    /// Its id (the last segment of the Tenant URL).
    pub id: TenantId,
    /// Free-text name.
    pub name: Option<String>,
    /// RFC 3339 creation time.
    pub created_at: String,
    /// How its requests are read.
    pub settings: TenantSettings,
}

/// How a tenant's requests are read: its compatibility profile (`lenient`, `strict`, `entra`,
/// …; see `scim_core::quirks`) and what a `POST /Users` whose `userName` exists does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TenantSettings {
    /// The name of a built-in profile ([`scim_core::quirks::BUILTIN_PROFILES`]).
    pub profile: String,
    /// `conflict` (409, the default) or `adopt`.
    pub user_conflict: UserConflictPolicy,
}

impl Default for TenantSettings {
    fn default() -> Self {
        Self { profile: "lenient".into(), user_conflict: UserConflictPolicy::Conflict }
    }
}

impl TenantSettings {
    /// Settings with a profile checked against the built-in ones.
    ///
    /// # Errors
    /// The list of profile names, for an unknown one.
    pub fn new(profile: &str, user_conflict: UserConflictPolicy) -> Result<Self, String> {
        let profile = Profile::builtin(profile).ok_or_else(|| {
            format!("unknown profile \"{profile}\"; the profiles are {}", BUILTIN_PROFILES.join(", "))
        })?;
        Ok(Self { profile: profile.name().to_owned(), user_conflict })
    }

    /// Read from the stored columns; an unknown stored value (edited by hand) falls back to
    /// the default, with a warning.
    fn stored(profile: &str, user_conflict: &str) -> Self {
        let known = Profile::builtin(profile).map(|p| p.name().to_owned());
        if known.is_none() {
            tracing::warn!(profile, "unknown stored compatibility profile; using lenient");
        }
        let policy = user_conflict.parse().unwrap_or_else(|e: String| {
            tracing::warn!(error = %e, "unknown stored user conflict policy; using conflict");
            UserConflictPolicy::Conflict
        });
        Self { profile: known.unwrap_or_else(|| "lenient".into()), user_conflict: policy }
    }

    /// The principal of a token of a tenant with these settings.
    fn apply(&self, principal: Principal) -> Principal {
        principal
            .with_profile(Profile::builtin(&self.profile).unwrap_or_default())
            .with_user_conflict(self.user_conflict)
    }
}

/// What [`Credentials::first_start`] found.
#[derive(Debug)]
pub enum FirstStart {
    /// There was no tenant: this call created one and its first token.
    Created {
        /// The new tenant.
        tenant: TenantInfo,
        /// Its first token (the only time its secret is available).
        token: IssuedToken,
    },
    /// Tenants existed already (oldest first); nothing was created.
    Existing(Vec<TenantInfo>),
}

/// Tenants and tokens, in SQLite or PostgreSQL; the server's [`Authenticator`].
pub struct Credentials {
    backend: Backend,
    /// When this process last recorded each token's use.
    last_used: Mutex<HashMap<String, Instant>>,
}

/// Where the credentials live.
enum Backend {
    /// One SQLite connection (the server's file, or in memory).
    Sqlite(Mutex<Connection>),
    /// A PostgreSQL pool (shared with the store).
    Postgres(PgPool),
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let backend = match self.backend {
            Backend::Sqlite(_) => "sqlite",
            Backend::Postgres(_) => "postgres",
        };
        f.debug_struct("Credentials").field("backend", &backend).finish_non_exhaustive()
    }
}

fn random_bytes<const N: usize>() -> Result<[u8; N], CredentialsError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| CredentialsError(format!("no randomness available: {e}")))?;
    Ok(buf)
}

fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(char::from(DIGITS[usize::from(b >> 4)]));
        s.push(char::from(DIGITS[usize::from(b & 0xf)]));
    }
    s
}

fn now() -> String {
    scim_core::format_time(Utc::now())
}

/// A new tenant id: a UUID v4 as 32 hex digits, without hyphens.
fn new_tenant_id() -> Result<String, CredentialsError> {
    Ok(uuid::Builder::from_random_bytes(random_bytes()?).into_uuid().simple().to_string())
}

/// A new token before it is stored: what the database keeps of it, and the secret.
struct NewToken {
    id: String,
    secret: String,
    /// SHA-256 of the secret.
    hash: [u8; 32],
}

impl NewToken {
    fn generate() -> Result<Self, CredentialsError> {
        let secret = format!("{TOKEN_PREFIX}{}", hex(&random_bytes::<32>()?));
        let hash = Sha256::digest(secret.as_bytes()).into();
        let id = format!("tok_{}", hex(&random_bytes::<6>()?));
        Ok(Self { id, secret, hash })
    }

    /// The indexed lookup key: the first 8 bytes of the hash, in hex.
    fn lookup(&self) -> String {
        lookup_key(&self.hash)
    }

    fn issued(self, tenant: &TenantId, expires_at: Option<DateTime<Utc>>) -> IssuedToken {
        IssuedToken { id: self.id, tenant: tenant.clone(), secret: self.secret, expires_at }
    }
}

fn lookup_key(hash: &[u8]) -> String {
    hex(&hash[..8])
}

/// The SHA-256 hash of a presented token, or `None` when it cannot be one of ours.
fn presented_hash(token: &str) -> Option<[u8; 32]> {
    if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
        return None;
    }
    Some(Sha256::digest(token.as_bytes()).into())
}

/// An unrevoked token under a lookup key, with its tenant's settings.
type Candidate = (String, String, Vec<u8>, Option<String>, String, String);

/// The token among `rows` (`id, tenant, hash, label, profile, user_conflict`) whose hash is
/// `hash`, compared in constant time with every candidate.
fn matching_row(rows: Vec<Candidate>, hash: &[u8]) -> Option<Principal> {
    let mut found = None;
    for (id, tenant, stored, label, profile, user_conflict) in rows {
        if bool::from(stored.as_slice().ct_eq(hash)) {
            let principal = Principal::new(TenantId::new(tenant), Some(id), label);
            found = Some(TenantSettings::stored(&profile, &user_conflict).apply(principal));
        }
    }
    found
}

/// Opens an SQLite connection with the settings every user of the server's file shares.
pub fn open_connection(path: &Path) -> Result<Connection, CredentialsError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
}

/// The SQLite statements behind the credentials, on any connection or transaction.
mod sqlite {
    use super::{CredentialsError, NewToken, TenantInfo, TenantSettings, now};
    use chrono::{DateTime, Utc};
    use rusqlite::{Connection, OptionalExtension, params};
    use scim_core::TenantId;

    pub(super) fn create_tenant(
        conn: &Connection,
        name: Option<&str>,
        settings: &TenantSettings,
    ) -> Result<TenantInfo, CredentialsError> {
        let id = super::new_tenant_id()?;
        let created_at = now();
        conn.execute(
            "INSERT INTO example_tenants (id, name, created_at, profile, user_conflict) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, name, created_at, settings.profile, settings.user_conflict.as_str()],
        )?;
        Ok(TenantInfo { id: TenantId::new(id), name: name.map(str::to_owned), created_at, settings: settings.clone() })
    }

    pub(super) fn tenants(conn: &Connection) -> Result<Vec<TenantInfo>, CredentialsError> {
        let mut stmt = conn.prepare(
            "SELECT id, name, created_at, profile, user_conflict FROM example_tenants ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(TenantInfo {
                id: TenantId::new(r.get::<_, String>(0)?),
                name: r.get(1)?,
                created_at: r.get(2)?,
                settings: TenantSettings::stored(&r.get::<_, String>(3)?, &r.get::<_, String>(4)?),
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Adds the columns added after the tables' first release (tenant settings, token expiry)
    /// to tables created before, where they are missing.
    pub(super) fn add_missing_columns(conn: &Connection) -> Result<(), CredentialsError> {
        const ADDED: [(&str, &str, &str); 3] = [
            ("example_tenants", "profile", "TEXT NOT NULL DEFAULT 'lenient'"),
            ("example_tenants", "user_conflict", "TEXT NOT NULL DEFAULT 'conflict'"),
            ("example_tokens", "expires_at", "TEXT"),
        ];
        for (table, column, definition) in ADDED {
            let present: bool = conn.query_row(
                "SELECT EXISTS (SELECT 1 FROM pragma_table_info(?1) WHERE name = ?2)",
                [table, column],
                |r| r.get(0),
            )?;
            if !present {
                conn.execute(&format!("ALTER TABLE {table} ADD COLUMN {column} {definition}"), [])?;
            }
        }
        Ok(())
    }

    /// Changes a tenant's settings; `false` when there is no such tenant.
    pub(super) fn set_settings(
        conn: &Connection,
        tenant: &TenantId,
        settings: &TenantSettings,
    ) -> Result<bool, CredentialsError> {
        let n = conn.execute(
            "UPDATE example_tenants SET profile = ?2, user_conflict = ?3 WHERE id = ?1",
            params![tenant.as_str(), settings.profile, settings.user_conflict.as_str()],
        )?;
        Ok(n == 1)
    }

    pub(super) fn tenant_exists(conn: &Connection, tenant: &TenantId) -> Result<bool, CredentialsError> {
        let found: Option<i64> = conn
            .query_row("SELECT 1 FROM example_tenants WHERE id = ?1", [tenant.as_str()], |r| r.get(0))
            .optional()?;
        Ok(found.is_some())
    }

    pub(super) fn issue_token(
        conn: &Connection,
        tenant: &TenantId,
        label: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<super::IssuedToken, CredentialsError> {
        if !tenant_exists(conn, tenant)? {
            return Err(CredentialsError(format!("no tenant {tenant}")));
        }
        let token = NewToken::generate()?;
        conn.execute(
            "INSERT INTO example_tokens (id, tenant_id, lookup, hash, label, created_at, expires_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![
                token.id,
                tenant.as_str(),
                token.lookup(),
                token.hash.as_slice(),
                label,
                now(),
                expires_at.map(scim_core::format_time)
            ],
        )?;
        Ok(token.issued(tenant, expires_at))
    }

    /// Sets a token's expiry to `at` unless it expires earlier; `false` when there is no such
    /// unrevoked token.
    pub(super) fn expire_by(conn: &Connection, token_id: &str, at: DateTime<Utc>) -> Result<bool, CredentialsError> {
        let at = scim_core::format_time(at);
        let n = conn.execute(
            "UPDATE example_tokens SET expires_at = CASE WHEN expires_at IS NOT NULL AND expires_at < ?2
             THEN expires_at ELSE ?2 END WHERE id = ?1 AND revoked_at IS NULL",
            params![token_id, at],
        )?;
        Ok(n == 1)
    }

    /// The tenant and label of an unrevoked token.
    pub(super) fn token_owner(
        conn: &Connection,
        token_id: &str,
    ) -> Result<Option<(TenantId, Option<String>)>, CredentialsError> {
        Ok(conn
            .query_row(
                "SELECT tenant_id, label FROM example_tokens WHERE id = ?1 AND revoked_at IS NULL",
                [token_id],
                |r| Ok((TenantId::new(r.get::<_, String>(0)?), r.get(1)?)),
            )
            .optional()?)
    }
}

impl Credentials {
    /// Opens (and migrates) the credentials tables in the SQLite file at `path`.
    pub fn open(path: &Path) -> Result<Self, CredentialsError> {
        Self::from_connection(open_connection(path)?)
    }

    /// Credentials in a private in-memory database (tests).
    pub fn open_in_memory() -> Result<Self, CredentialsError> {
        Self::from_connection(Connection::open_in_memory()?)
    }

    /// Credentials in PostgreSQL on `pool` (the store's, so they share its schema): creates
    /// the tables `example_tenants` and `example_tokens` if missing, under an advisory lock,
    /// so replicas that start together do not race.
    pub async fn connect_postgres(pool: PgPool) -> Result<Self, CredentialsError> {
        postgres::migrate(&pool).await?;
        Ok(Self::with_backend(Backend::Postgres(pool)))
    }

    fn from_connection(conn: Connection) -> Result<Self, CredentialsError> {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS example_tenants (
                 id TEXT PRIMARY KEY,
                 name TEXT,
                 created_at TEXT NOT NULL,
                 profile TEXT NOT NULL DEFAULT 'lenient',
                 user_conflict TEXT NOT NULL DEFAULT 'conflict'
             );
             CREATE TABLE IF NOT EXISTS example_tokens (
                 id TEXT PRIMARY KEY,
                 tenant_id TEXT NOT NULL REFERENCES example_tenants(id),
                 lookup TEXT NOT NULL,
                 hash BLOB NOT NULL,
                 label TEXT,
                 created_at TEXT NOT NULL,
                 last_used_at TEXT,
                 revoked_at TEXT,
                 expires_at TEXT
             );
             CREATE INDEX IF NOT EXISTS example_tokens_lookup ON example_tokens(lookup);
             CREATE TABLE IF NOT EXISTS example_admin (
                 id INTEGER PRIMARY KEY CHECK (id = 1),
                 password_hash TEXT NOT NULL,
                 updated_at TEXT NOT NULL
             );",
        )?;
        sqlite::add_missing_columns(&conn)?;
        Ok(Self::with_backend(Backend::Sqlite(Mutex::new(conn))))
    }

    fn with_backend(backend: Backend) -> Self {
        Self { backend, last_used: Mutex::new(HashMap::new()) }
    }

    /// The SQLite connection (called from the SQLite arms only; an error on PostgreSQL).
    fn sqlite(&self) -> Result<MutexGuard<'_, Connection>, CredentialsError> {
        match &self.backend {
            Backend::Sqlite(conn) => Ok(conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)),
            Backend::Postgres(_) => Err(CredentialsError("the credentials are in PostgreSQL, not SQLite".into())),
        }
    }

    /// [`list_tokens`](Self::list_tokens) on SQLite.
    fn sqlite_list_tokens(&self, tenant: Option<&TenantId>) -> Result<Vec<TokenInfo>, CredentialsError> {
        let conn = self.sqlite()?;
        let mut stmt = conn.prepare(
            "SELECT id, tenant_id, label, created_at, last_used_at, revoked_at, expires_at FROM example_tokens
             WHERE ?1 IS NULL OR tenant_id = ?1 ORDER BY created_at, id",
        )?;
        let rows = stmt.query_map([tenant.map(TenantId::as_str)], |r| {
            Ok(TokenInfo {
                id: r.get(0)?,
                tenant: TenantId::new(r.get::<_, String>(1)?),
                label: r.get(2)?,
                created_at: r.get(3)?,
                last_used_at: r.get(4)?,
                revoked_at: r.get(5)?,
                expires_at: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// [`revoke`](Self::revoke) on SQLite.
    fn sqlite_revoke(&self, token_id: &str) -> Result<bool, CredentialsError> {
        let n = self.sqlite()?.execute(
            "UPDATE example_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![token_id, now()],
        )?;
        Ok(n == 1)
    }

    /// [`verify`](Self::verify) on SQLite.
    fn sqlite_verify(&self, token: &str) -> Result<Option<Principal>, CredentialsError> {
        let Some(hash) = presented_hash(token) else { return Ok(None) };
        let found = {
            let conn = self.sqlite()?;
            let mut stmt = conn.prepare_cached(
                "SELECT k.id, k.tenant_id, k.hash, k.label, t.profile, t.user_conflict
                 FROM example_tokens k JOIN example_tenants t ON t.id = k.tenant_id
                 WHERE k.lookup = ?1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?2)",
            )?;
            let rows = stmt
                .query_map([lookup_key(&hash), now()], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?, r.get(5)?))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            matching_row(rows, &hash)
        };
        let Some(principal) = found else { return Ok(None) };
        if let Some(id) = &principal.token_id {
            self.touch_sqlite(id);
        }
        Ok(Some(principal))
    }

    /// Creates a tenant with a random id and the default settings.
    pub async fn create_tenant(&self, name: Option<&str>) -> Result<TenantInfo, CredentialsError> {
        self.create_tenant_with(name, &TenantSettings::default()).await
    }

    /// Creates a tenant with a random id and these settings.
    pub async fn create_tenant_with(
        &self,
        name: Option<&str>,
        settings: &TenantSettings,
    ) -> Result<TenantInfo, CredentialsError> {
        match &self.backend {
            Backend::Sqlite(_) => sqlite::create_tenant(&*self.sqlite()?, name, settings),
            Backend::Postgres(pool) => postgres::create_tenant(pool, name, settings).await,
        }
    }

    /// Changes a tenant's settings (they apply from its next request); `false` when there is
    /// no such tenant.
    pub async fn set_tenant_settings(
        &self,
        tenant: &TenantId,
        settings: &TenantSettings,
    ) -> Result<bool, CredentialsError> {
        match &self.backend {
            Backend::Sqlite(_) => sqlite::set_settings(&*self.sqlite()?, tenant, settings),
            Backend::Postgres(pool) => postgres::set_settings(pool, tenant, settings).await,
        }
    }

    /// One tenant, `None` when there is no such tenant.
    pub async fn tenant(&self, tenant: &TenantId) -> Result<Option<TenantInfo>, CredentialsError> {
        Ok(self.tenants().await?.into_iter().find(|t| t.id == *tenant))
    }

    /// Stores the admin console's password hash (a PHC string, argon2id), replacing any
    /// previous one. The password itself is never stored.
    pub async fn set_admin_password_hash(&self, phc: &str) -> Result<(), CredentialsError> {
        match &self.backend {
            Backend::Sqlite(_) => {
                self.sqlite()?.execute(
                    "INSERT INTO example_admin (id, password_hash, updated_at) VALUES (1, ?1, ?2)
                     ON CONFLICT (id) DO UPDATE SET password_hash = excluded.password_hash,
                     updated_at = excluded.updated_at",
                    params![phc, now()],
                )?;
                Ok(())
            }
            Backend::Postgres(pool) => postgres::set_admin_password_hash(pool, phc).await,
        }
    }

    /// The admin console's password hash, `None` until `admin set-password` ran (the console's
    /// sign-in is off until then).
    pub async fn admin_password_hash(&self) -> Result<Option<String>, CredentialsError> {
        match &self.backend {
            Backend::Sqlite(_) => {
                let conn = self.sqlite()?;
                let mut stmt = conn.prepare("SELECT password_hash FROM example_admin WHERE id = 1")?;
                let mut rows = stmt.query([])?;
                match rows.next()? {
                    Some(row) => Ok(Some(row.get(0)?)),
                    None => Ok(None),
                }
            }
            Backend::Postgres(pool) => postgres::admin_password_hash(pool).await,
        }
    }

    /// Every tenant, oldest first.
    pub async fn tenants(&self) -> Result<Vec<TenantInfo>, CredentialsError> {
        match &self.backend {
            Backend::Sqlite(_) => sqlite::tenants(&*self.sqlite()?),
            Backend::Postgres(pool) => postgres::tenants(pool).await,
        }
    }

    /// Issues a new token for an existing tenant, valid until revoked.
    pub async fn issue_token(&self, tenant: &TenantId, label: Option<&str>) -> Result<IssuedToken, CredentialsError> {
        self.issue_token_expiring(tenant, label, None).await
    }

    /// Issues a new token for an existing tenant that stops working at `expires_at` (answered
    /// `401` like a revoked one from then on), or never when `None`.
    pub async fn issue_token_expiring(
        &self,
        tenant: &TenantId,
        label: Option<&str>,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<IssuedToken, CredentialsError> {
        match &self.backend {
            Backend::Sqlite(_) => sqlite::issue_token(&*self.sqlite()?, tenant, label, expires_at),
            Backend::Postgres(pool) => postgres::issue_token(pool, tenant, label, expires_at).await,
        }
    }

    /// Rotation: issues a token for the tenant of `token_id` with its label (expiring at
    /// `expires_at`, if given), and lets `token_id` work for `overlap` more (or until its own
    /// expiry, if that is earlier), so the identity provider can be given the new one first.
    /// Fails when `token_id` is not an unrevoked token.
    pub async fn rotate_token(
        &self,
        token_id: &str,
        overlap: chrono::Duration,
        expires_at: Option<DateTime<Utc>>,
    ) -> Result<IssuedToken, CredentialsError> {
        let owner = match &self.backend {
            Backend::Sqlite(_) => sqlite::token_owner(&*self.sqlite()?, token_id)?,
            Backend::Postgres(pool) => postgres::token_owner(pool, token_id).await?,
        };
        let (tenant, label) = owner.ok_or_else(|| CredentialsError(format!("no active token {token_id}")))?;
        let issued = self.issue_token_expiring(&tenant, label.as_deref(), expires_at).await?;
        let until = Utc::now() + overlap.max(chrono::Duration::zero());
        let limited = match &self.backend {
            Backend::Sqlite(_) => sqlite::expire_by(&*self.sqlite()?, token_id, until)?,
            Backend::Postgres(pool) => postgres::expire_by(pool, token_id, until).await?,
        };
        if !limited {
            // Revoked between the two statements: the new token stands; say so.
            tracing::warn!(token_id, "the rotated token was revoked meanwhile");
        }
        Ok(issued)
    }

    /// Tokens (of one tenant, or all), without secrets.
    pub async fn list_tokens(&self, tenant: Option<&TenantId>) -> Result<Vec<TokenInfo>, CredentialsError> {
        match &self.backend {
            Backend::Sqlite(_) => self.sqlite_list_tokens(tenant),
            Backend::Postgres(pool) => postgres::list_tokens(pool, tenant).await,
        }
    }

    /// Revokes a token by id; `false` when there is no such (unrevoked) token . Every server sharing the database refuses it from then on.
    pub async fn revoke(&self, token_id: &str) -> Result<bool, CredentialsError> {
        match &self.backend {
            Backend::Sqlite(_) => self.sqlite_revoke(token_id),
            Backend::Postgres(pool) => postgres::revoke(pool, token_id).await,
        }
    }

    /// The tenant of a valid, unrevoked token; reads the database every time.
    pub async fn verify(&self, token: &str) -> Result<Option<TenantId>, CredentialsError> {
        Ok(self.verify_principal(token).await?.map(|p| p.tenant))
    }

    /// As [`verify`](Self::verify), with the token's id and label (the actor of the audit log).
    pub async fn verify_principal(&self, token: &str) -> Result<Option<Principal>, CredentialsError> {
        let pool = match &self.backend {
            Backend::Sqlite(_) => return self.sqlite_verify(token),
            Backend::Postgres(pool) => pool,
        };
        let Some(hash) = presented_hash(token) else { return Ok(None) };
        let rows = postgres::candidates(pool, &lookup_key(&hash)).await?;
        let Some(principal) = matching_row(rows, &hash) else { return Ok(None) };
        if let Some(id) = principal.token_id.as_deref().filter(|id| self.touch_due(id)) {
            postgres::touch(pool, id);
        }
        Ok(Some(principal))
    }

    /// On a server's start: when there is no tenant yet, creates one named `name` and its
    /// first token labelled `label`; otherwise lists the tenants. The check and the creation
    /// are one transaction that excludes every other (an advisory lock on PostgreSQL, an
    /// immediate transaction on SQLite), so of several servers starting at once on an empty
    /// database exactly one creates the tenant.
    pub async fn first_start(&self, name: Option<&str>, label: Option<&str>) -> Result<FirstStart, CredentialsError> {
        match &self.backend {
            Backend::Sqlite(_) => {
                let mut conn = self.sqlite()?;
                let tx = conn.transaction_with_behavior(TransactionBehavior::Immediate)?;
                let existing = sqlite::tenants(&tx)?;
                if !existing.is_empty() {
                    return Ok(FirstStart::Existing(existing));
                }
                let tenant = sqlite::create_tenant(&tx, name, &TenantSettings::default())?;
                let token = sqlite::issue_token(&tx, &tenant.id, label, None)?;
                tx.commit()?;
                Ok(FirstStart::Created { tenant, token })
            }
            Backend::Postgres(pool) => postgres::first_start(pool, name, label).await,
        }
    }

    /// Closes the PostgreSQL pool, waiting for its connections to finish (nothing to do on
    /// SQLite). The credentials (and whatever else shares the pool) fail from then on.
    pub async fn close(&self) {
        if let Backend::Postgres(pool) = &self.backend {
            pool.close().await;
        }
    }

    /// Whether this process should record the token's use now (at most once a minute per
    /// token); marks it recorded. A failed record is tried again a minute later, not at every
    /// request.
    fn touch_due(&self, token_id: &str) -> bool {
        let mut seen = self.last_used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        let fresh = seen.get(token_id).is_some_and(|at| at.elapsed() < LAST_USED_GRANULARITY);
        if !fresh {
            seen.insert(token_id.to_owned(), Instant::now());
        }
        !fresh
    }

    /// Records the last use in SQLite, at most once a minute per token. Bookkeeping, so it
    /// neither fails nor holds up the request it comes with: it does not wait for the
    /// database's write lock (another writer holding it means this minute's record is
    /// skipped), and a failure is logged.
    fn touch_sqlite(&self, token_id: &str) {
        if !self.touch_due(token_id) {
            return;
        }
        let Ok(conn) = self.sqlite() else { return };
        let result = conn.busy_timeout(TOUCH_WAIT).and_then(|()| {
            conn.execute("UPDATE example_tokens SET last_used_at = ?2 WHERE id = ?1", params![token_id, now()])
        });
        if let Err(e) = conn.busy_timeout(BUSY_TIMEOUT) {
            tracing::warn!(error = %e, "could not restore the credentials database's busy timeout");
        }
        if let Err(e) = result {
            tracing::warn!(error = %e, "could not record a token's last use; the request goes on");
        }
    }
}

#[async_trait]
impl Authenticator for Credentials {
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AuthUnavailable> {
        self.verify_principal(token).await.map_err(|e| {
            tracing::error!(error = %e, "token verification failed; answering 503");
            AuthUnavailable::new(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn issues_verifies_and_revokes() {
        let creds = Credentials::open_in_memory().unwrap();
        let tenant = creds.create_tenant(Some("acme")).await.unwrap();
        let a = creds.issue_token(&tenant.id, Some("entra")).await.unwrap();
        let b = creds.issue_token(&tenant.id, None).await.unwrap();
        assert_eq!(a.secret.len(), TOKEN_PREFIX.len() + 64);
        assert_ne!(a.secret, b.secret);
        assert_eq!(creds.verify(&a.secret).await.unwrap(), Some(tenant.id.clone()));
        assert_eq!(creds.verify(&b.secret).await.unwrap(), Some(tenant.id.clone()));
        assert_eq!(creds.verify("scim_nope").await.unwrap(), None);
        assert_eq!(creds.verify("").await.unwrap(), None);
        assert!(creds.revoke(&a.id).await.unwrap());
        assert!(!creds.revoke(&a.id).await.unwrap());
        assert_eq!(creds.verify(&a.secret).await.unwrap(), None);
        assert_eq!(creds.verify(&b.secret).await.unwrap(), Some(tenant.id.clone()));
        let listed = creds.list_tokens(Some(&tenant.id)).await.unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|t| t.id == a.id && t.revoked_at.is_some()));
        assert!(listed.iter().any(|t| t.id == b.id && t.last_used_at.is_some()));
        let debug = format!("{a:?} {listed:?}");
        assert!(!debug.contains(&a.secret[TOKEN_PREFIX.len()..]), "Debug must not show secrets");
    }

    #[tokio::test]
    async fn secrets_are_stored_hashed() {
        let creds = Credentials::open_in_memory().unwrap();
        let tenant = creds.create_tenant(None).await.unwrap();
        let token = creds.issue_token(&tenant.id, None).await.unwrap();
        let conn = creds.sqlite().unwrap();
        let stored: Vec<u8> = conn.query_row("SELECT hash FROM example_tokens", [], |r| r.get(0)).unwrap();
        assert_eq!(stored, Sha256::digest(token.secret.as_bytes()).to_vec());
        let dump: String = conn
            .query_row("SELECT group_concat(id || lookup || coalesce(label,'')) FROM example_tokens", [], |r| r.get(0))
            .unwrap();
        assert!(!dump.contains(&token.secret));
    }

    #[tokio::test]
    async fn a_token_names_only_its_tenant() {
        let creds = Credentials::open_in_memory().unwrap();
        let t1 = creds.create_tenant(None).await.unwrap();
        let t2 = creds.create_tenant(None).await.unwrap();
        let k1 = creds.issue_token(&t1.id, None).await.unwrap();
        let k2 = creds.issue_token(&t2.id, None).await.unwrap();
        assert_eq!(creds.verify(&k1.secret).await.unwrap(), Some(t1.id));
        assert_eq!(creds.verify(&k2.secret).await.unwrap(), Some(t2.id));
        assert!(creds.issue_token(&TenantId::new("missing"), None).await.is_err());
        assert_eq!(creds.tenants().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn tenant_settings_are_stored_applied_and_migrated() {
        // A database from before the settings columns: migrated on open, with the defaults.
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE example_tenants (id TEXT PRIMARY KEY, name TEXT, created_at TEXT NOT NULL);
             INSERT INTO example_tenants VALUES ('old', 'old', '2026-01-01T00:00:00Z');",
        )
        .unwrap();
        let creds = Credentials::from_connection(conn).unwrap();
        let old = creds.tenant(&TenantId::new("old")).await.unwrap().unwrap();
        assert_eq!(old.settings, TenantSettings::default());
        let token = creds.issue_token(&old.id, None).await.unwrap();
        let principal = creds.verify_principal(&token.secret).await.unwrap().unwrap();
        assert_eq!(principal.profile.as_ref().map(Profile::name), Some("lenient"));
        assert_eq!(principal.user_conflict, Some(UserConflictPolicy::Conflict));

        let strict = TenantSettings::new("STRICT", UserConflictPolicy::Adopt).unwrap();
        assert_eq!(strict.profile, "strict");
        let tenant = creds.create_tenant_with(Some("s"), &strict).await.unwrap();
        let token = creds.issue_token(&tenant.id, None).await.unwrap();
        let principal = creds.verify_principal(&token.secret).await.unwrap().unwrap();
        assert_eq!(principal.profile, Some(Profile::strict()));
        assert_eq!(principal.user_conflict, Some(UserConflictPolicy::Adopt));
        let entra = TenantSettings::new("entra", UserConflictPolicy::Conflict).unwrap();
        assert!(creds.set_tenant_settings(&tenant.id, &entra).await.unwrap());
        assert!(!creds.set_tenant_settings(&TenantId::new("missing"), &entra).await.unwrap());
        let principal = creds.verify_principal(&token.secret).await.unwrap().unwrap();
        assert_eq!(principal.profile.as_ref().map(Profile::name), Some("entra"));
        assert!(TenantSettings::new("nonesuch", UserConflictPolicy::Conflict).unwrap_err().contains("pingfederate"));
        // A value edited by hand into the table falls back to the default.
        creds.sqlite().unwrap().execute("UPDATE example_tenants SET profile = 'bogus'", []).unwrap();
        assert_eq!(creds.tenant(&tenant.id).await.unwrap().unwrap().settings.profile, "lenient");
    }

    #[tokio::test]
    async fn tokens_expire_and_rotation_overlaps() {
        expiry_and_rotation(&Credentials::open_in_memory().unwrap()).await;
    }

    /// Expiry and rotation, on either backend.
    pub(super) async fn expiry_and_rotation(creds: &Credentials) {
        use chrono::Duration;
        let tenant = creds.create_tenant(None).await.unwrap();
        let past = creds.issue_token_expiring(&tenant.id, None, Some(Utc::now() - Duration::seconds(1))).await.unwrap();
        assert_eq!(creds.verify(&past.secret).await.unwrap(), None, "an expired token is refused");
        let future = creds.issue_token_expiring(&tenant.id, Some("idp"), Some(Utc::now() + Duration::hours(1))).await;
        let future = future.unwrap();
        assert_eq!(creds.verify(&future.secret).await.unwrap(), Some(tenant.id.clone()));
        let listed = creds.list_tokens(Some(&tenant.id)).await.unwrap();
        let row = listed.iter().find(|t| t.id == future.id).unwrap();
        assert_eq!(row.expires_at.as_deref(), future.expires_at.map(scim_core::format_time).as_deref());

        // Rotation with an overlap: both work; the new one has the old one's label.
        let rotated = creds.rotate_token(&future.id, Duration::minutes(10), None).await.unwrap();
        assert_eq!(creds.verify(&future.secret).await.unwrap(), Some(tenant.id.clone()));
        assert_eq!(creds.verify(&rotated.secret).await.unwrap(), Some(tenant.id.clone()));
        let listed = creds.list_tokens(Some(&tenant.id)).await.unwrap();
        assert_eq!(listed.iter().find(|t| t.id == rotated.id).unwrap().label.as_deref(), Some("idp"));
        assert!(listed.iter().find(|t| t.id == rotated.id).unwrap().expires_at.is_none());
        // An overlap never extends a token: a longer one keeps the earlier expiry.
        let before = listed.iter().find(|t| t.id == future.id).unwrap().expires_at.clone();
        creds.rotate_token(&future.id, Duration::days(30), None).await.unwrap();
        let listed = creds.list_tokens(Some(&tenant.id)).await.unwrap();
        assert_eq!(listed.iter().find(|t| t.id == future.id).unwrap().expires_at, before);
        // No overlap: the old token stops at once.
        let last = creds.rotate_token(&rotated.id, Duration::zero(), None).await.unwrap();
        assert_eq!(creds.verify(&rotated.secret).await.unwrap(), None);
        assert_eq!(creds.verify(&last.secret).await.unwrap(), Some(tenant.id.clone()));
        // Revoked or unknown tokens cannot be rotated.
        assert!(creds.revoke(&last.id).await.unwrap());
        assert!(creds.rotate_token(&last.id, Duration::zero(), None).await.is_err());
        assert!(creds.rotate_token("tok_missing", Duration::zero(), None).await.is_err());
    }

    #[tokio::test]
    async fn the_first_start_creates_one_tenant_once() {
        let creds = Credentials::open_in_memory().unwrap();
        let FirstStart::Created { tenant, token } = creds.first_start(Some("first"), Some("first")).await.unwrap()
        else {
            panic!("an empty database gets a tenant");
        };
        assert_eq!(creds.verify(&token.secret).await.unwrap(), Some(tenant.id.clone()));
        match creds.first_start(Some("again"), None).await.unwrap() {
            FirstStart::Existing(tenants) => assert_eq!(tenants, [tenant]),
            created @ FirstStart::Created { .. } => panic!("a second tenant: {created:?}"),
        }
    }
}
