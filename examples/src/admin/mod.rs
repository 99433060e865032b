//! The admin console: server-rendered HTML under `/admin`, on a listener of its own
//! (`--admin-listen`, loopback by default).
//!
//! - Sign-in is off until `scim-example-server admin set-password` stored an argon2id hash of
//!   the admin password (in the credentials' database, table `example_admin`).
//! - A session is a random id in an `HttpOnly`, `SameSite=Strict` cookie (`Secure` under TLS);
//!   the server keeps only its SHA-256, in memory, with an expiry (a restart signs admins
//!   out). Every form carries the session's CSRF token, checked on every `POST`.
//! - Each failed sign-in waits longer before its answer (one second more per recent failure,
//!   at most ten), on a timer: other requests are not held up.
//! - Pages: tenants; a tenant's *User provisioning* (Tenant URL, **Get credentials**, tokens);
//!   users (by state, by `userName`); a user (attributes, groups, lifecycle, audit trail,
//!   **Restore**, **Delete now**, **Resend invitation**); groups; provisioning activity.
//!
//! Nothing here logs a password, a token or a session id.

// Handlers answer `Result<Response, Response>`: the error is the page to show, built once.
#![allow(clippy::result_large_err)]

mod pages;

use crate::credentials::Credentials;
use crate::outbox::Outbox;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::{Algorithm, Argon2, Params, Version};
use axum::Router;
use axum::extract::Request;
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use scim_core::Provisioning;
use sha2::{Digest, Sha256};
use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};
use subtle::ConstantTimeEq;

/// The session cookie.
const SESSION_COOKIE: &str = "scim_admin";
/// The sign-in form's CSRF cookie (before there is a session).
const LOGIN_COOKIE: &str = "scim_admin_login";
/// The shortest admin password `admin set-password` accepts.
pub const MIN_PASSWORD_CHARS: usize = 12;
/// Failed sign-ins older than this no longer slow the next one down.
const FAILURE_MEMORY: Duration = Duration::from_secs(15 * 60);
/// The longest wait before answering a failed sign-in.
const MAX_FAILURE_DELAY_SECS: u64 = 10;

/// What the console needs from the server's configuration.
#[derive(Debug, Clone)]
pub struct AdminConfig {
    /// The public origin of the SCIM server (the Tenant URLs shown start with it).
    pub origin: String,
    /// Whether the console is served over TLS (the cookies get `Secure`).
    pub secure_cookies: bool,
    /// How long a session lasts after sign-in.
    pub session_ttl: Duration,
    /// How long a suspended user is kept (to explain the purge).
    pub retention: chrono::Duration,
}

/// One signed-in admin.
#[derive(Clone)]
struct Session {
    csrf: String,
    expires: Instant,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session").field("expires", &self.expires).finish_non_exhaustive()
    }
}

/// The console's state, shared by its handlers.
pub struct Admin {
    provisioning: Provisioning,
    creds: Arc<Credentials>,
    outbox: Option<Outbox>,
    config: AdminConfig,
    /// Sessions by the SHA-256 of their id.
    sessions: Mutex<HashMap<[u8; 32], Session>>,
    /// When recent sign-ins failed.
    failures: Mutex<Vec<Instant>>,
}

impl fmt::Debug for Admin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Admin").field("config", &self.config).finish_non_exhaustive()
    }
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(PoisonError::into_inner)
}

fn random_hex() -> String {
    let mut bytes = [0u8; 32];
    // getrandom fails only without an OS random source; then the process cannot do anything
    // safely, and a panic in a handler is answered 500 by nothing here: fall back to refusing.
    if getrandom::fill(&mut bytes).is_err() {
        return String::new();
    }
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn session_key(id: &str) -> [u8; 32] {
    Sha256::digest(id.as_bytes()).into()
}

/// The argon2id parameters: OWASP's second recommendation (19 MiB, 2 passes, 1 lane).
fn argon2() -> Argon2<'static> {
    let params = Params::new(19 * 1024, 2, 1, None).unwrap_or_default();
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
}

/// Hashes an admin password with argon2id and a random salt, as a PHC string.
///
/// # Errors
/// A password shorter than [`MIN_PASSWORD_CHARS`], or no random source.
pub fn hash_password(password: &str) -> Result<String, String> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(format!("the password must have at least {MIN_PASSWORD_CHARS} characters"));
    }
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).map_err(|e| format!("no random source: {e}"))?;
    let salt = SaltString::encode_b64(&salt).map_err(|e| e.to_string())?;
    argon2().hash_password(password.as_bytes(), &salt).map(|h| h.to_string()).map_err(|e| e.to_string())
}

/// Whether `password` matches the PHC string `phc` (argon2 compares in constant time).
pub fn verify_password(phc: &str, password: &str) -> bool {
    PasswordHash::new(phc).is_ok_and(|hash| argon2().verify_password(password.as_bytes(), &hash).is_ok())
}

/// Whether two secrets are equal, in constant time (for equal lengths).
fn same_secret(a: &str, b: &str) -> bool {
    !a.is_empty() && a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// The value of cookie `name` in the request's `Cookie` headers.
fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// An HTML answer with a status.
fn html(status: StatusCode, markup: maud::Markup) -> Response {
    (status, [(header::CONTENT_TYPE, "text/html; charset=utf-8")], markup.into_string()).into_response()
}

impl Admin {
    /// The console for these services; `outbox` lets it resend invitations.
    pub fn new(
        provisioning: Provisioning,
        creds: Arc<Credentials>,
        outbox: Option<Outbox>,
        config: AdminConfig,
    ) -> Arc<Self> {
        Arc::new(Self {
            provisioning,
            creds,
            outbox,
            config,
            sessions: Mutex::new(HashMap::new()),
            failures: Mutex::new(Vec::new()),
        })
    }

    fn cookie_attributes(&self, max_age: u64) -> String {
        let secure = if self.config.secure_cookies { "; Secure" } else { "" };
        format!("; Path=/admin; HttpOnly; SameSite=Strict; Max-Age={max_age}{secure}")
    }

    /// Starts a session; returns its `Set-Cookie` value.
    fn start_session(&self) -> Option<String> {
        let id = random_hex();
        let csrf = random_hex();
        if id.is_empty() || csrf.is_empty() {
            return None;
        }
        let now = Instant::now();
        let mut sessions = lock(&self.sessions);
        sessions.retain(|_, s| s.expires > now);
        sessions.insert(session_key(&id), Session { csrf, expires: now + self.config.session_ttl });
        Some(format!("{SESSION_COOKIE}={id}{}", self.cookie_attributes(self.config.session_ttl.as_secs())))
    }

    /// The request's session, or the redirect to the sign-in page (`?expired=1` for a session
    /// that ran out).
    fn session(&self, headers: &HeaderMap) -> Result<Session, Response> {
        let Some(id) = cookie(headers, SESSION_COOKIE) else {
            return Err(Redirect::to("/admin/login").into_response());
        };
        let key = session_key(id);
        let mut sessions = lock(&self.sessions);
        match sessions.get(&key) {
            Some(s) if s.expires > Instant::now() => Ok(s.clone()),
            Some(_) => {
                sessions.remove(&key);
                Err(Redirect::to("/admin/login?expired=1").into_response())
            }
            None => Err(Redirect::to("/admin/login?expired=1").into_response()),
        }
    }

    /// The session of a `POST`, whose form must carry the session's CSRF token (`403` if not).
    fn session_for_post(&self, headers: &HeaderMap, form: &HashMap<String, String>) -> Result<Session, Response> {
        let session = self.session(headers)?;
        match form.get("csrf") {
            Some(token) if same_secret(token, &session.csrf) => Ok(session),
            _ => Err(forbidden()),
        }
    }

    fn end_session(&self, headers: &HeaderMap) {
        if let Some(id) = cookie(headers, SESSION_COOKIE) {
            lock(&self.sessions).remove(&session_key(id));
        }
    }

    /// Records a failed sign-in and says how long to wait before answering it.
    fn failure_delay(&self) -> Duration {
        let now = Instant::now();
        let mut failures = lock(&self.failures);
        failures.retain(|t| now.duration_since(*t) < FAILURE_MEMORY);
        failures.push(now);
        // Only whether there were more failures than the longest delay counts: keep no more
        // (a flood of bad sign-ins must not grow the list without bound).
        let keep = usize::try_from(MAX_FAILURE_DELAY_SECS).unwrap_or(usize::MAX);
        if failures.len() > keep {
            let extra = failures.len() - keep;
            failures.drain(..extra);
        }
        let n = u64::try_from(failures.len()).unwrap_or(u64::MAX);
        Duration::from_secs(n.min(MAX_FAILURE_DELAY_SECS))
    }
}

fn forbidden() -> Response {
    html(
        StatusCode::FORBIDDEN,
        pages::message_page(
            "Forbidden",
            "This form was not sent from the console (its security token is missing or wrong). Reload the page and try again.",
        ),
    )
}

/// Security headers on every answer: no framing, no caching, only the console's own assets.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; style-src 'self'; script-src 'self'; img-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    h.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    if !h.contains_key(header::CACHE_CONTROL) {
        h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    response
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")],
        include_str!("admin.css"),
    )
        .into_response()
}

async fn js() -> Response {
    (
        [(header::CONTENT_TYPE, "text/javascript; charset=utf-8"), (header::CACHE_CONTROL, "max-age=3600")],
        include_str!("admin.js"),
    )
        .into_response()
}

/// The console's routes, all under `/admin`.
pub fn router(admin: Arc<Admin>) -> Router {
    Router::new()
        .route("/", get(|| async { Redirect::to("/admin") }))
        .route("/admin", get(pages::tenants))
        .route("/admin/", get(|| async { Redirect::to("/admin") }))
        .route("/admin/assets/admin.css", get(css))
        .route("/admin/assets/admin.js", get(js))
        .route("/admin/login", get(pages::login_form).post(pages::login))
        .route("/admin/logout", post(pages::logout))
        .route("/admin/tenants", post(pages::create_tenant))
        .route("/admin/t/{tenant}", get(pages::provisioning))
        .route("/admin/t/{tenant}/credentials", post(pages::get_credentials))
        .route("/admin/t/{tenant}/tokens/{token}/revoke", post(pages::revoke_token))
        .route("/admin/t/{tenant}/tokens/{token}/rotate", post(pages::rotate_token))
        .route("/admin/t/{tenant}/users", get(pages::users))
        .route("/admin/t/{tenant}/users/{id}", get(pages::user))
        .route("/admin/t/{tenant}/users/{id}/restore", post(pages::restore_user))
        .route("/admin/t/{tenant}/users/{id}/delete", post(pages::delete_user))
        .route("/admin/t/{tenant}/users/{id}/resend", post(pages::resend_invitation))
        .route("/admin/t/{tenant}/groups", get(pages::groups))
        .route("/admin/t/{tenant}/activity", get(pages::activity))
        .fallback(|| async { html(StatusCode::NOT_FOUND, pages::message_page("Not found", "There is no such page.")) })
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(admin)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_and_verifies_passwords() {
        assert!(hash_password("short").is_err());
        let phc = hash_password("correct horse battery").expect("hash");
        assert!(phc.starts_with("$argon2id$"), "{phc}");
        assert!(verify_password(&phc, "correct horse battery"));
        assert!(!verify_password(&phc, "correct horse battery!"));
        assert!(!verify_password("not a hash", "correct horse battery"));
    }

    #[test]
    fn reads_cookies() {
        let mut headers = HeaderMap::new();
        headers.insert(header::COOKIE, HeaderValue::from_static("a=1; scim_admin=abc; b=2"));
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("", ""));
    }

    #[test]
    fn failed_sign_ins_slow_down_up_to_a_bound_and_keep_little() {
        let store = Arc::new(scim_store_memory::MemoryUserStore::new());
        let config = AdminConfig {
            origin: "http://127.0.0.1".into(),
            secure_cookies: false,
            session_ttl: Duration::from_secs(60),
            retention: chrono::Duration::days(30),
        };
        let creds = Arc::new(Credentials::open_in_memory().expect("credentials"));
        let admin = Admin::new(Provisioning::new(store), creds, None, config);
        assert_eq!(admin.failure_delay(), Duration::from_secs(1));
        assert_eq!(admin.failure_delay(), Duration::from_secs(2));
        for _ in 0..1000 {
            admin.failure_delay();
        }
        assert_eq!(admin.failure_delay(), Duration::from_secs(MAX_FAILURE_DELAY_SECS));
        let kept = lock(&admin.failures).len();
        assert!(kept <= usize::try_from(MAX_FAILURE_DELAY_SECS).unwrap_or(usize::MAX), "{kept} failures kept");
    }
}
