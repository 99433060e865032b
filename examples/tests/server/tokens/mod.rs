//! Shared by the tests that call `ScimService` without a socket: a fixed-token authenticator.

use scim_core::{AuthUnavailable, Authenticator, TenantId};
use std::time::Duration;

/// `token-a` authenticates tenant `a`, `token-b` tenant `b`; `token-outage` finds the
/// credential store down; nothing else authenticates.
#[derive(Debug)]
pub(crate) struct Tokens;

#[async_trait::async_trait]
impl Authenticator for Tokens {
    async fn authenticate(&self, token: &str) -> Result<Option<TenantId>, AuthUnavailable> {
        match token {
            "token-a" => Ok(Some(TenantId::new("a"))),
            "token-b" => Ok(Some(TenantId::new("b"))),
            "token-outage" => Err(AuthUnavailable::new("connection refused").with_retry_after(Duration::from_secs(7))),
            _ => Ok(None),
        }
    }
}
