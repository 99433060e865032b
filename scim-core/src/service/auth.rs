//! Authentication of SCIM requests: a bearer token names exactly one tenant.

use crate::TenantId;
use async_trait::async_trait;
use std::sync::Arc;

/// Turns the bearer token of a request into the tenant it authenticates.
///
/// The service calls this once per request with the token from `Authorization: Bearer …`
/// (the scheme is matched ignoring case). Returning `None` answers `401` with
/// `WWW-Authenticate: Bearer`. Implementations should store only hashes of tokens and
/// compare them in constant time; the token itself must never be logged.
///
/// ```
/// use async_trait::async_trait;
/// use scim_core::{Authenticator, TenantId};
///
/// /// One fixed token for one tenant (for tests only).
/// #[derive(Debug)]
/// struct Fixed;
///
/// #[async_trait]
/// impl Authenticator for Fixed {
///     async fn authenticate(&self, token: &str) -> Option<TenantId> {
///         (token == "test-token").then(|| TenantId::new("t1"))
///     }
/// }
/// ```
#[async_trait]
pub trait Authenticator: Send + Sync + std::fmt::Debug + 'static {
    /// The tenant `token` authenticates, or `None` when the token is unknown, revoked or expired.
    async fn authenticate(&self, token: &str) -> Option<TenantId>;
}

#[async_trait]
impl<T: Authenticator + ?Sized> Authenticator for Arc<T> {
    async fn authenticate(&self, token: &str) -> Option<TenantId> {
        (**self).authenticate(token).await
    }
}

#[async_trait]
impl<T: Authenticator + ?Sized> Authenticator for Box<T> {
    async fn authenticate(&self, token: &str) -> Option<TenantId> {
        (**self).authenticate(token).await
    }
}
