//! Shared by the tests that call `ScimService` without a socket: a fixed-token authenticator.

use scim_core::{AuthUnavailable, Authenticator, Principal, TenantId};
use std::time::Duration;

/// `token-a` authenticates tenant `a`, `token-b` tenant `b`; `token-outage` finds the
/// credential store down; nothing else authenticates.
#[derive(Debug)]
pub(crate) struct Tokens;

#[async_trait::async_trait]
impl Authenticator for Tokens {
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AuthUnavailable> {
        let token_of = |tenant: &str| Principal::new(TenantId::new(tenant), Some(token.to_owned()), None);
        match token {
            "token-a" => Ok(Some(token_of("a"))),
            "token-b" => Ok(Some(token_of("b"))),
            "token-outage" => Err(AuthUnavailable::new("connection refused").with_retry_after(Duration::from_secs(7))),
            _ => Ok(None),
        }
    }
}
