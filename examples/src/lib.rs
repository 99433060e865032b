//! The pieces of the example SCIM server, shared by its two binaries:
//! `scim-example-server` (axum, TLS, credentials CLI) and `scim-example-hyper` (hyper alone).
//!
//! - [`credentials`]: tenants and hashed bearer tokens in SQLite or PostgreSQL, the
//!   [`scim_core::Authenticator`];
//! - [`outbox`]: the lifecycle hook that queues invitations (SQLite or PostgreSQL);
//! - [`axum_adapter`]: [`scim_core::ScimService`] behind axum, with request logs;
//! - [`tls`]: rustls configuration from PEM files;
//! - [`admin`]: the admin console (HTML under `/admin`, on `--admin-listen`).

pub mod admin;
pub mod axum_adapter;
pub mod credentials;
pub mod ops;
pub mod outbox;
pub mod tls;

/// Compiles and runs every Rust block of the workspace README as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
struct ReadmeDoctests;

use scim_core::TenantId;

/// Where each tenant's SCIM base lives; `{tenant}` is the tenant id.
pub const BASE_PATH: &str = "/scim/v2/t/{tenant}";

/// The Tenant URL to give an identity provider: `<origin>/scim/v2/t/<tenant>`.
pub fn tenant_url(origin: &str, tenant: &TenantId) -> String {
    format!("{}{}", origin.trim_end_matches('/'), BASE_PATH.replace("{tenant}", tenant.as_str()))
}

/// Resolves when the process receives SIGINT (Ctrl-C) or SIGTERM.
pub async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = term => {}
    }
    tracing::info!("shutdown signal received; finishing in-flight requests");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builds_tenant_urls() {
        let t = TenantId::new("abc");
        assert_eq!(tenant_url("https://h.example/", &t), "https://h.example/scim/v2/t/abc");
        assert_eq!(tenant_url("http://127.0.0.1:8080", &t), "http://127.0.0.1:8080/scim/v2/t/abc");
    }
}
