//! Authentication of SCIM requests: a bearer token names exactly one tenant.

use crate::quirks::Profile;
use crate::{TenantId, UserConflictPolicy};
use async_trait::async_trait;
use std::error::Error as StdError;
use std::sync::Arc;
use std::time::Duration;

/// Who a valid bearer token is: its tenant, and for the audit log the token's id and label.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Principal {
    /// The tenant the token belongs to.
    pub tenant: TenantId,
    /// The token's id (never the secret), recorded as the actor of the changes it makes.
    pub token_id: Option<String>,
    /// The token's label ("Entra ID"), if it has one.
    pub token_label: Option<String>,
    /// The tenant's compatibility profile ([`quirks`](crate::quirks)); `None` keeps the
    /// service's ([`Provisioning::with_profile`](crate::Provisioning::with_profile)).
    pub profile: Option<Profile>,
    /// What a create whose `userName` is taken does for this tenant; `None` keeps the
    /// service's ([`Provisioning::with_user_conflict`](crate::Provisioning::with_user_conflict)).
    pub user_conflict: Option<UserConflictPolicy>,
}

impl Principal {
    /// A token of `tenant` with this id and label.
    pub fn new(tenant: TenantId, token_id: Option<String>, token_label: Option<String>) -> Self {
        Self { tenant, token_id, token_label, profile: None, user_conflict: None }
    }

    /// The tenant's requests run under `profile`.
    #[must_use]
    pub fn with_profile(mut self, profile: Profile) -> Self {
        self.profile = Some(profile);
        self
    }

    /// The tenant's creates whose `userName` is taken follow `policy`.
    #[must_use]
    pub fn with_user_conflict(mut self, policy: UserConflictPolicy) -> Self {
        self.user_conflict = Some(policy);
        self
    }
}

impl From<TenantId> for Principal {
    /// A token of `tenant` without id or label.
    fn from(tenant: TenantId) -> Self {
        Self::new(tenant, None, None)
    }
}

/// Turns the bearer token of a request into the tenant it authenticates.
///
/// The service calls this once per request with the token from `Authorization: Bearer …`
/// (the scheme is matched ignoring case).
/// - `Ok(Some(principal))`: the token is valid for `principal.tenant`; its id and label, if
///   given, name the actor in the audit log (a bare [`TenantId`] converts with `into()`).
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
/// use scim_core::{AuthUnavailable, Authenticator, Principal, TenantId};
///
/// /// One fixed token for one tenant (for tests only).
/// #[derive(Debug)]
/// struct Fixed;
///
/// #[async_trait]
/// impl Authenticator for Fixed {
///     async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AuthUnavailable> {
///         Ok((token == "test-token").then(|| TenantId::new("t1").into()))
///     }
/// }
/// ```
#[async_trait]
pub trait Authenticator: Send + Sync + std::fmt::Debug + 'static {
    /// Who `token` is, `None` when the token is unknown, revoked or expired.
    ///
    /// # Errors
    /// [`AuthUnavailable`] when the credential store cannot answer just now (`503`).
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AuthUnavailable>;
}

#[async_trait]
impl<T: Authenticator + ?Sized> Authenticator for Arc<T> {
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AuthUnavailable> {
        (**self).authenticate(token).await
    }
}

#[async_trait]
impl<T: Authenticator + ?Sized> Authenticator for Box<T> {
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AuthUnavailable> {
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
