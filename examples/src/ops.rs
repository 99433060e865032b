//! Operations: `/healthz`, `/readyz` and `/metrics` (Prometheus text) on a listener of their
//! own (`--metrics-listen`, loopback by default), request ids, and what the server measures.
//!
//! Metrics (names as Prometheus shows them):
//! - `scim_requests_total{route, method, status}`: requests by route (`/Users`,
//!   `/Users/{id}`, `/Groups`, `/Groups/{id}`, `/.search`, `discovery`, `other`), method and
//!   status class (`2xx` … `5xx`); with `--metrics-tenant-labels`, a `tenant` label too (off by
//!   default: tenant ids are customer data, and many tenants make many series);
//! - `scim_request_duration_seconds{route, method}`: latency histogram;
//! - `scim_rate_limited_total{route}`: requests answered `429`;
//! - `scim_store_operation_duration_seconds{operation}` and `scim_store_errors_total{operation,
//!   kind}`: every call into the user and group store;
//! - `scim_lifecycle_events_total{event}`: invitations, activations, suspensions, restores,
//!   purges, deletions;
//! - `scim_purge_runs_total{outcome}`, `scim_purged_users_total`: the purge task.

use async_trait::async_trait;
use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::get;
use chrono::{DateTime, Utc};
use metrics::{counter, histogram};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use scim_core::audit::{AuditLog, AuditPage, AuditQuery, AuditRecord};
use scim_core::store::{ListQuery, MemberChange};
use scim_core::{DynGroupStore, DynUserStore, Group, GroupStore, Page, StoreError, TenantId, User, UserStore, Version};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The latency buckets, in seconds: 0.5 ms to 10 s.
const BUCKETS: &[f64] = &[0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0];

/// Installs the process's metrics recorder; the handle renders `/metrics`.
///
/// # Errors
/// When a recorder is installed already.
pub fn install_recorder() -> Result<PrometheusHandle, String> {
    PrometheusBuilder::new()
        .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), BUCKETS)
        .map_err(|e| e.to_string())?
        .install_recorder()
        .map_err(|e| format!("cannot install the metrics recorder: {e}"))
}

#[derive(Clone)]
struct OpsState {
    metrics: PrometheusHandle,
    users: Arc<DynUserStore>,
}

/// The operations router: `/healthz` (the process answers), `/readyz` (the store answers a
/// query within 5 s), `/metrics`.
pub fn router(metrics: PrometheusHandle, users: Arc<DynUserStore>) -> axum::Router {
    axum::Router::new()
        .route("/healthz", get(|| async { "ok\n" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(|State(s): State<OpsState>| async move { s.metrics.render() }))
        .with_state(OpsState { metrics, users })
}

async fn readyz(State(s): State<OpsState>) -> (StatusCode, &'static str) {
    let (tenant, query) = (TenantId::new("readyz-probe"), ListQuery::new().with_count(0));
    match tokio::time::timeout(Duration::from_secs(5), s.users.list(&tenant, &query)).await {
        Ok(Ok(_)) => (StatusCode::OK, "ready\n"),
        Ok(Err(e)) => {
            tracing::warn!(error = %e, "readiness probe: the store failed");
            (StatusCode::SERVICE_UNAVAILABLE, "the store does not answer\n")
        }
        Err(_) => (StatusCode::SERVICE_UNAVAILABLE, "the store does not answer\n"),
    }
}

/// The route label of a request path below the base path `/scim/v2/t/{tenant}`.
pub fn route_label(path: &str) -> &'static str {
    let Some(rest) = path.strip_prefix("/scim/v2/t/").and_then(|r| r.split_once('/')).map(|(_, rest)| rest) else {
        return "other";
    };
    let mut segments = rest.split('/');
    let (first, second, third) = (segments.next(), segments.next(), segments.next());
    let is = |s: Option<&str>, name: &str| s.is_some_and(|s| s.eq_ignore_ascii_case(name));
    match (first, second, third) {
        (f, None, _) if is(f, "Users") => "/Users",
        (f, Some(".search"), None) if is(f, "Users") => "/Users/.search",
        (f, Some(_), None) if is(f, "Users") => "/Users/{id}",
        (f, None, _) if is(f, "Groups") => "/Groups",
        (f, Some(".search"), None) if is(f, "Groups") => "/Groups/.search",
        (f, Some(_), None) if is(f, "Groups") => "/Groups/{id}",
        (Some(".search"), None, _) => "/.search",
        (f, _, _) if is(f, "ServiceProviderConfig") || is(f, "Schemas") || is(f, "ResourceTypes") => "discovery",
        _ => "other",
    }
}

/// The tenant segment of a request path (for `--metrics-tenant-labels`).
pub fn tenant_segment(path: &str) -> Option<&str> {
    path.strip_prefix("/scim/v2/t/").map(|r| r.split('/').next().unwrap_or(r)).filter(|t| !t.is_empty())
}

/// Records one answered request.
pub fn record_request(route: &'static str, method: &str, status: u16, elapsed: Duration, tenant: Option<&str>) {
    let class = match status {
        100..=199 => "1xx",
        200..=299 => "2xx",
        300..=399 => "3xx",
        400..=499 => "4xx",
        _ => "5xx",
    };
    // A fixed set of labels: a client can send any method, and each label value is a series.
    let method = match method {
        "GET" => "GET",
        "POST" => "POST",
        "PUT" => "PUT",
        "PATCH" => "PATCH",
        "DELETE" => "DELETE",
        _ => "other",
    };
    match tenant {
        Some(tenant) => counter!("scim_requests_total", "route" => route, "method" => method, "status" => class, "tenant" => tenant.to_owned()).increment(1),
        None => counter!("scim_requests_total", "route" => route, "method" => method, "status" => class).increment(1),
    }
    histogram!("scim_request_duration_seconds", "route" => route, "method" => method).record(elapsed.as_secs_f64());
    if status == 429 {
        counter!("scim_rate_limited_total", "route" => route).increment(1);
    }
}

/// Records a lifecycle event by its name.
pub fn record_lifecycle(event: &'static str) {
    counter!("scim_lifecycle_events_total", "event" => event).increment(1);
}

/// Records one run of the purge task.
pub fn record_purge(outcome: &Result<usize, scim_core::ScimError>) {
    match outcome {
        Ok(n) => {
            counter!("scim_purge_runs_total", "outcome" => "ok").increment(1);
            counter!("scim_purged_users_total").increment(*n as u64);
        }
        Err(_) => counter!("scim_purge_runs_total", "outcome" => "error").increment(1),
    }
}

/// A user and group store that times every call (`scim_store_operation_duration_seconds`)
/// and counts failures (`scim_store_errors_total`), then answers as the wrapped store.
#[derive(Debug)]
pub struct Metered<S: ?Sized> {
    inner: Arc<S>,
}

impl<S: ?Sized> Metered<S> {
    /// Wraps `inner`.
    pub fn new(inner: Arc<S>) -> Self {
        Self { inner }
    }
}

async fn timed<T>(
    operation: &'static str,
    call: impl std::future::Future<Output = Result<T, StoreError>>,
) -> Result<T, StoreError> {
    let started = Instant::now();
    let result = call.await;
    histogram!("scim_store_operation_duration_seconds", "operation" => operation)
        .record(started.elapsed().as_secs_f64());
    if let Err(e) = &result {
        let kind = match e {
            StoreError::NotFound => "not_found",
            StoreError::Uniqueness { .. } => "uniqueness",
            StoreError::PreconditionFailed => "precondition_failed",
            StoreError::Unavailable { .. } => "unavailable",
            _ => "backend",
        };
        counter!("scim_store_errors_total", "operation" => operation, "kind" => kind).increment(1);
    }
    result
}

#[async_trait]
impl UserStore for Metered<DynUserStore> {
    async fn create(&self, tenant: &TenantId, user: User, audit: Option<&AuditRecord>) -> Result<User, StoreError> {
        timed("user_create", self.inner.create(tenant, user, audit)).await
    }
    async fn get(&self, tenant: &TenantId, id: &str) -> Result<User, StoreError> {
        timed("user_get", self.inner.get(tenant, id)).await
    }
    async fn replace(
        &self,
        tenant: &TenantId,
        user: User,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<User, StoreError> {
        timed("user_replace", self.inner.replace(tenant, user, if_match, audit)).await
    }
    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        timed("user_delete", self.inner.delete(tenant, id, if_match, audit)).await
    }
    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<User>, StoreError> {
        timed("user_list", self.inner.list(tenant, query)).await
    }
    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<(TenantId, User)>, StoreError> {
        timed("user_purge_expired", self.inner.purge_expired(now, audit)).await
    }
    fn audit_log(&self) -> Option<&dyn AuditLog> {
        // Only when the wrapped store keeps one; then this wrapper times it and counts failures.
        self.inner.audit_log().map(|_| self as &dyn AuditLog)
    }
}

/// The wrapped store's audit log, timed, with failed audit writes counted in
/// `scim_audit_write_failures_total` (a refused request's record that could not be kept: the
/// request's answer is unchanged). Only reached through [`UserStore::audit_log`], which
/// answers `None` when the wrapped store keeps no log.
#[async_trait]
impl AuditLog for Metered<DynUserStore> {
    async fn append_audit(&self, record: AuditRecord) -> Result<(), StoreError> {
        let Some(log) = self.inner.audit_log() else { return Ok(()) };
        let result = timed("audit_append", log.append_audit(record)).await;
        if let Err(e) = &result {
            counter!("scim_audit_write_failures_total").increment(1);
            tracing::warn!(error = %e, "could not keep the audit record of a refused request");
        }
        result
    }
    async fn list_audit(&self, tenant: &TenantId, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        let Some(log) = self.inner.audit_log() else { return Ok(AuditPage::default()) };
        timed("audit_list", log.list_audit(tenant, query)).await
    }
    async fn expire_audit(&self, before: DateTime<Utc>) -> Result<usize, StoreError> {
        let Some(log) = self.inner.audit_log() else { return Ok(0) };
        timed("audit_expire", log.expire_audit(before)).await
    }
}

#[async_trait]
impl GroupStore for Metered<DynGroupStore> {
    async fn create(&self, tenant: &TenantId, group: Group, audit: Option<&AuditRecord>) -> Result<Group, StoreError> {
        timed("group_create", self.inner.create(tenant, group, audit)).await
    }
    async fn get(&self, tenant: &TenantId, id: &str, include_members: bool) -> Result<Group, StoreError> {
        timed("group_get", self.inner.get(tenant, id, include_members)).await
    }
    async fn replace(
        &self,
        tenant: &TenantId,
        group: Group,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<Group, StoreError> {
        timed("group_replace", self.inner.replace(tenant, group, if_match, audit)).await
    }
    async fn modify_members(
        &self,
        tenant: &TenantId,
        id: &str,
        change: &MemberChange,
        now: DateTime<Utc>,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<Version, StoreError> {
        timed("group_modify_members", self.inner.modify_members(tenant, id, change, now, if_match, audit)).await
    }
    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        timed("group_delete", self.inner.delete(tenant, id, if_match, audit)).await
    }
    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<Group>, StoreError> {
        timed("group_list", self.inner.list(tenant, query)).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_labelled_without_ids() {
        let t = "/scim/v2/t/abc";
        assert_eq!(route_label(&format!("{t}/Users")), "/Users");
        assert_eq!(route_label(&format!("{t}/users/123")), "/Users/{id}");
        assert_eq!(route_label(&format!("{t}/Users/.search")), "/Users/.search");
        assert_eq!(route_label(&format!("{t}/Groups/g1")), "/Groups/{id}");
        assert_eq!(route_label(&format!("{t}/.search")), "/.search");
        assert_eq!(route_label(&format!("{t}/Schemas/urn:x")), "discovery");
        assert_eq!(route_label(&format!("{t}/Users/1/extra")), "other");
        assert_eq!(route_label("/elsewhere"), "other");
        assert_eq!(tenant_segment(&format!("{t}/Users")), Some("abc"));
        assert_eq!(tenant_segment("/elsewhere"), None);
    }
}
