//! Tenant credentials: tenants and their bearer tokens, in the server's SQLite file.
//!
//! A token is 32 bytes from the operating system's random source (256 bits), shown once as
//! `scim_` + 64 hex digits. Only its SHA-256 hash is stored; the first 8 bytes of the hash
//! (hex) are an indexed lookup key, and the full hash is compared in constant time. A tenant
//! may hold several tokens (rotation); revoked tokens stop working at once.

use async_trait::async_trait;
use chrono::Utc;
use rusqlite::{Connection, OptionalExtension, params};
use scim_core::{AuthUnavailable, Authenticator, TenantId};
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::path::Path;
use std::sync::Mutex;
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The prefix of every secret token (helps secret scanners recognise leaked tokens).
pub const TOKEN_PREFIX: &str = "scim_";

/// How often at most `last_used_at` is written for one token.
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

/// A newly issued token: the secret is only available here, once.
#[derive(Clone)]
pub struct IssuedToken {
    /// The token's public id (for `token list` / `token revoke`).
    pub id: String,
    /// The tenant it authenticates.
    pub tenant: TenantId,
    /// The secret, to hand to the identity provider.
    pub secret: String,
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
}

/// Tenants and tokens in SQLite; the server's [`Authenticator`].
pub struct Credentials {
    conn: Mutex<Connection>,
    last_used: Mutex<HashMap<String, Instant>>,
}

impl fmt::Debug for Credentials {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Credentials").finish_non_exhaustive()
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

/// Opens an SQLite connection with the settings every user of the server's file shares.
pub fn open_connection(path: &Path) -> Result<Connection, CredentialsError> {
    let conn = Connection::open(path)?;
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    Ok(conn)
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

    fn from_connection(conn: Connection) -> Result<Self, CredentialsError> {
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS example_tenants (
                 id TEXT PRIMARY KEY,
                 name TEXT,
                 created_at TEXT NOT NULL
             );
             CREATE TABLE IF NOT EXISTS example_tokens (
                 id TEXT PRIMARY KEY,
                 tenant_id TEXT NOT NULL REFERENCES example_tenants(id),
                 lookup TEXT NOT NULL,
                 hash BLOB NOT NULL,
                 label TEXT,
                 created_at TEXT NOT NULL,
                 last_used_at TEXT,
                 revoked_at TEXT
             );
             CREATE INDEX IF NOT EXISTS example_tokens_lookup ON example_tokens(lookup);",
        )?;
        Ok(Self { conn: Mutex::new(conn), last_used: Mutex::new(HashMap::new()) })
    }

    fn conn(&self) -> std::sync::MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Creates a tenant with a random id: a UUID v4 as 32 hex digits, without hyphens.
    pub fn create_tenant(&self, name: Option<&str>) -> Result<TenantInfo, CredentialsError> {
        let id = uuid::Builder::from_random_bytes(random_bytes()?).into_uuid().simple().to_string();
        let created_at = now();
        self.conn().execute(
            "INSERT INTO example_tenants (id, name, created_at) VALUES (?1, ?2, ?3)",
            params![id, name, created_at],
        )?;
        Ok(TenantInfo { id: TenantId::new(id), name: name.map(str::to_owned), created_at })
    }

    /// Every tenant, oldest first.
    pub fn tenants(&self) -> Result<Vec<TenantInfo>, CredentialsError> {
        let conn = self.conn();
        let mut stmt = conn.prepare("SELECT id, name, created_at FROM example_tenants ORDER BY created_at, id")?;
        let rows = stmt.query_map([], |r| {
            Ok(TenantInfo { id: TenantId::new(r.get::<_, String>(0)?), name: r.get(1)?, created_at: r.get(2)? })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Whether the tenant exists.
    pub fn tenant_exists(&self, tenant: &TenantId) -> Result<bool, CredentialsError> {
        let found: Option<i64> = self
            .conn()
            .query_row("SELECT 1 FROM example_tenants WHERE id = ?1", [tenant.as_str()], |r| r.get(0))
            .optional()?;
        Ok(found.is_some())
    }

    /// Issues a new token for an existing tenant.
    pub fn issue_token(&self, tenant: &TenantId, label: Option<&str>) -> Result<IssuedToken, CredentialsError> {
        if !self.tenant_exists(tenant)? {
            return Err(CredentialsError(format!("no tenant {tenant}")));
        }
        let secret = format!("{TOKEN_PREFIX}{}", hex(&random_bytes::<32>()?));
        let hash = Sha256::digest(secret.as_bytes());
        let id = format!("tok_{}", hex(&random_bytes::<6>()?));
        self.conn().execute(
            "INSERT INTO example_tokens (id, tenant_id, lookup, hash, label, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![id, tenant.as_str(), hex(&hash[..8]), hash.as_slice(), label, now()],
        )?;
        Ok(IssuedToken { id, tenant: tenant.clone(), secret })
    }

    /// Tokens (of one tenant, or all), without secrets.
    pub fn list_tokens(&self, tenant: Option<&TenantId>) -> Result<Vec<TokenInfo>, CredentialsError> {
        let conn = self.conn();
        let mut stmt = conn.prepare(
            "SELECT id, tenant_id, label, created_at, last_used_at, revoked_at FROM example_tokens
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
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Revokes a token by id; `false` when there is no such (unrevoked) token.
    pub fn revoke(&self, token_id: &str) -> Result<bool, CredentialsError> {
        let n = self.conn().execute(
            "UPDATE example_tokens SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL",
            params![token_id, now()],
        )?;
        Ok(n == 1)
    }

    /// The tenant of a valid, unrevoked token.
    pub fn verify(&self, token: &str) -> Result<Option<TenantId>, CredentialsError> {
        if !token.starts_with(TOKEN_PREFIX) || token.len() > 128 {
            return Ok(None);
        }
        let hash = Sha256::digest(token.as_bytes());
        let lookup = hex(&hash[..8]);
        let mut found = None;
        {
            let conn = self.conn();
            let mut stmt = conn.prepare_cached(
                "SELECT id, tenant_id, hash FROM example_tokens WHERE lookup = ?1 AND revoked_at IS NULL",
            )?;
            let mut rows = stmt.query([&lookup])?;
            while let Some(row) = rows.next()? {
                let stored: Vec<u8> = row.get(2)?;
                if bool::from(stored.as_slice().ct_eq(hash.as_slice())) {
                    found = Some((row.get::<_, String>(0)?, TenantId::new(row.get::<_, String>(1)?)));
                }
            }
        }
        let Some((token_id, tenant)) = found else { return Ok(None) };
        self.touch(&token_id);
        Ok(Some(tenant))
    }

    /// Records the last use, at most once a minute per token. Bookkeeping, so it neither fails
    /// nor holds up the request it comes with: it does not wait for the database's write lock
    /// (another writer holding it means this minute's record is skipped), and a failure is
    /// logged and tried again a minute later, not at every request.
    fn touch(&self, token_id: &str) {
        {
            let mut seen = self.last_used.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            let fresh = seen.get(token_id).is_some_and(|at| at.elapsed() < LAST_USED_GRANULARITY);
            if fresh {
                return;
            }
            seen.insert(token_id.to_owned(), Instant::now());
        }
        let conn = self.conn();
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
    async fn authenticate(&self, token: &str) -> Result<Option<TenantId>, AuthUnavailable> {
        self.verify(token).map_err(|e| {
            tracing::error!(error = %e, "token verification failed; answering 503");
            AuthUnavailable::new(e)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issues_verifies_and_revokes() {
        let creds = Credentials::open_in_memory().unwrap();
        let tenant = creds.create_tenant(Some("acme")).unwrap();
        let a = creds.issue_token(&tenant.id, Some("entra")).unwrap();
        let b = creds.issue_token(&tenant.id, None).unwrap();
        assert_eq!(a.secret.len(), TOKEN_PREFIX.len() + 64);
        assert_ne!(a.secret, b.secret);
        assert_eq!(creds.verify(&a.secret).unwrap(), Some(tenant.id.clone()));
        assert_eq!(creds.verify(&b.secret).unwrap(), Some(tenant.id.clone()));
        assert_eq!(creds.verify("scim_nope").unwrap(), None);
        assert_eq!(creds.verify("").unwrap(), None);
        assert!(creds.revoke(&a.id).unwrap());
        assert!(!creds.revoke(&a.id).unwrap());
        assert_eq!(creds.verify(&a.secret).unwrap(), None);
        assert_eq!(creds.verify(&b.secret).unwrap(), Some(tenant.id.clone()));
        let listed = creds.list_tokens(Some(&tenant.id)).unwrap();
        assert_eq!(listed.len(), 2);
        assert!(listed.iter().any(|t| t.id == a.id && t.revoked_at.is_some()));
        assert!(listed.iter().any(|t| t.id == b.id && t.last_used_at.is_some()));
        let debug = format!("{a:?} {listed:?}");
        assert!(!debug.contains(&a.secret[TOKEN_PREFIX.len()..]), "Debug must not show secrets");
    }

    #[test]
    fn secrets_are_stored_hashed() {
        let creds = Credentials::open_in_memory().unwrap();
        let tenant = creds.create_tenant(None).unwrap();
        let token = creds.issue_token(&tenant.id, None).unwrap();
        let conn = creds.conn();
        let stored: Vec<u8> = conn.query_row("SELECT hash FROM example_tokens", [], |r| r.get(0)).unwrap();
        assert_eq!(stored, Sha256::digest(token.secret.as_bytes()).to_vec());
        let dump: String = conn
            .query_row("SELECT group_concat(id || lookup || coalesce(label,'')) FROM example_tokens", [], |r| r.get(0))
            .unwrap();
        assert!(!dump.contains(&token.secret));
    }

    #[test]
    fn a_token_names_only_its_tenant() {
        let creds = Credentials::open_in_memory().unwrap();
        let t1 = creds.create_tenant(None).unwrap();
        let t2 = creds.create_tenant(None).unwrap();
        let k1 = creds.issue_token(&t1.id, None).unwrap();
        let k2 = creds.issue_token(&t2.id, None).unwrap();
        assert_eq!(creds.verify(&k1.secret).unwrap(), Some(t1.id));
        assert_eq!(creds.verify(&k2.secret).unwrap(), Some(t2.id));
        assert!(creds.issue_token(&TenantId::new("missing"), None).is_err());
        assert_eq!(creds.tenants().unwrap().len(), 2);
    }
}
