//! Authentication of SCIM requests: a bearer token names exactly one tenant.

use crate::TenantId;
use async_trait::async_trait;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

/// Turns the bearer token of a request into the tenant it authenticates.
///
/// The service calls this once per request with the token from `Authorization: Bearer …`
/// (the scheme is matched ignoring case).
/// - `Ok(Some(tenant))`: the token is valid for `tenant`.
/// - `Ok(None)`: the token is unknown, revoked or expired: `401` with
///   `WWW-Authenticate: Bearer`.
/// - `Err(`[`AuthUnavailable`]`)`: the credential store could not answer (a database
///   outage): `503` with `Retry-After`, so the identity provider retries instead of reporting
///   the credentials as wrong. Log the cause in the implementation: the service never shows it
///   to the client.
///
/// Implementations should store only hashes of tokens and compare them in constant time; the
/// token itself must never be logged.
///
/// ```
/// use async_trait::async_trait;
/// use scim_core::{AuthUnavailable, Authenticator, TenantId};
///
/// /// One fixed token for one tenant (for tests only).
/// #[derive(Debug)]
/// struct Fixed;
///
/// #[async_trait]
/// impl Authenticator for Fixed {
///     async fn authenticate(&self, token: &str) -> Result<Option<TenantId>, AuthUnavailable> {
///         Ok((token == "test-token").then(|| TenantId::new("t1")))
///     }
/// }
/// ```
#[async_trait]
pub trait Authenticator: Send + Sync + std::fmt::Debug + 'static {
    /// The tenant `token` authenticates, `None` when the token is unknown, revoked or expired.
    ///
    /// # Errors
    /// [`AuthUnavailable`] when the credential store cannot answer just now (`503`).
    async fn authenticate(&self, token: &str) -> Result<Option<TenantId>, AuthUnavailable>;
}

#[async_trait]
impl<T: Authenticator + ?Sized> Authenticator for Arc<T> {
    async fn authenticate(&self, token: &str) -> Result<Option<TenantId>, AuthUnavailable> {
        (**self).authenticate(token).await
    }
}

#[async_trait]
impl<T: Authenticator + ?Sized> Authenticator for Box<T> {
    async fn authenticate(&self, token: &str) -> Result<Option<TenantId>, AuthUnavailable> {
        (**self).authenticate(token).await
    }
}

/// The credential store could not say whether a token is valid (answered `503` with
/// `Retry-After`, by default 5 seconds).
#[derive(Debug, thiserror::Error)]
#[error("the credential store is unavailable: {source}")]
pub struct AuthUnavailable {
    source: Box<dyn StdError + Send + Sync>,
    retry_after: Duration,
}

impl AuthUnavailable {
    /// The store failed with `source` (kept for the host's logs, never sent to clients).
    pub fn new(source: impl Into<Box<dyn StdError + Send + Sync>>) -> Self {
        Self { source: source.into(), retry_after: Duration::from_secs(5) }
    }

    /// Asks the client to retry after `retry_after` (rounded down to whole seconds, at least one).
    #[must_use]
    pub fn with_retry_after(mut self, retry_after: Duration) -> Self {
        self.retry_after = retry_after;
        self
    }

    /// How long the client is asked to wait.
    pub fn retry_after(&self) -> Duration {
        self.retry_after
    }
}
