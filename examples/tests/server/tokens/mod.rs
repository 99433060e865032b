//! Shared by the tests that call `ScimService` without a socket: a fixed-token authenticator.

use scim_core::{Authenticator, TenantId};

/// `token-a` authenticates tenant `a`, `token-b` tenant `b`; nothing else authenticates.
#[derive(Debug)]
pub(crate) struct Tokens;

#[async_trait::async_trait]
impl Authenticator for Tokens {
    async fn authenticate(&self, token: &str) -> Option<TenantId> {
        match token {
            "token-a" => Some(TenantId::new("a")),
            "token-b" => Some(TenantId::new("b")),
            _ => None,
        }
    }
}
