//! [`ScimService`] inside axum: authenticate the head ([`ScimService::admit`]), then buffer
//! the body with a cap (`413` above it), call [`ScimService::handle_admitted`], convert back,
//! and log each request without secrets. A client without a valid token gets its `401` before
//! any of its body is read.
//!
//! Parsed, a JSON body takes several times its size in memory (about nine times for a large
//! group). So requests whose body is over [`LARGE_BODY`] bytes (by `Content-Length`, or
//! without one) are read and handled [`LARGE_BODY_PERMITS`] at a time, and at most
//! [`TENANT_LARGE_BODY_PERMITS`] of them for one tenant, so one tenant's stalled uploads
//! cannot hold up another's; smaller ones never wait for them. A `Content-Length` above the
//! body cap is answered `413` before anything is read.
//!
//! Every request carries a request id: the client's `X-Request-Id` when it sends a usable one
//! (1 to 128 visible ASCII characters), else a new random one. It is in every log line written
//! while the request is handled (a `request` span), and in the response's `X-Request-Id`.
//! Each answered request is counted in the metrics ([`crate::ops`]).

use axum::body::HttpBody as _;
use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::header::{CONTENT_LENGTH, HeaderName, HeaderValue};
use axum::http::{Request, Response};
use scim_core::quirks::QuirkSet;
use scim_core::{Admitted, ScimError, ScimService, TenantId};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tracing::Instrument as _;

/// The request id header.
pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Bodies above this many bytes count as large: 1 MiB.
pub const LARGE_BODY: u64 = 1 << 20;

/// How many requests with large bodies are read and handled at once.
pub const LARGE_BODY_PERMITS: usize = 8;

/// How many requests with large bodies one tenant may have read and handled at once.
pub const TENANT_LARGE_BODY_PERMITS: usize = 2;

/// How long reading a request's body may take by default: a client that stalls its upload
/// (holding one of the large-body permits, say) gets `408` after it.
pub const BODY_READ_TIMEOUT: Duration = Duration::from_secs(60);

/// The handler's state: the service, the permits for large bodies, the body read timeout.
#[derive(Debug)]
pub struct Adapter {
    service: ScimService,
    large_bodies: Arc<Semaphore>,
    /// Each tenant's permits, made on its first large body (one small entry per tenant).
    tenant_large_bodies: Mutex<HashMap<TenantId, Arc<Semaphore>>>,
    body_read_timeout: Duration,
    /// Whether request metrics carry a `tenant` label.
    metrics_tenant_labels: bool,
}

impl Adapter {
    /// Waits for a large-body permit of `tenant`, then for a global one.
    async fn large_body_permits(&self, tenant: &TenantId) -> Option<(OwnedSemaphorePermit, OwnedSemaphorePermit)> {
        let own = {
            let mut map = self.tenant_large_bodies.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            Arc::clone(map.entry(tenant.clone()).or_insert_with(|| Arc::new(Semaphore::new(TENANT_LARGE_BODY_PERMITS))))
        };
        // The semaphores are never closed, so acquiring cannot fail.
        let own = own.acquire_owned().await.ok()?;
        let global = Arc::clone(&self.large_bodies).acquire_owned().await.ok()?;
        Some((own, global))
    }
}

/// A router that sends every request to the SCIM service.
pub fn router(service: ScimService) -> axum::Router {
    router_with_timeout(service, BODY_READ_TIMEOUT)
}

/// [`router`] with another body read timeout.
pub fn router_with_timeout(service: ScimService, body_read_timeout: Duration) -> axum::Router {
    router_configured(service, body_read_timeout, false)
}

/// [`router`] with another body read timeout, and with a `tenant` label on the request
/// metrics when `metrics_tenant_labels` (off by default: tenant ids are customer data).
pub fn router_configured(
    service: ScimService,
    body_read_timeout: Duration,
    metrics_tenant_labels: bool,
) -> axum::Router {
    let adapter = Adapter {
        service,
        large_bodies: Arc::new(Semaphore::new(LARGE_BODY_PERMITS)),
        tenant_large_bodies: Mutex::new(HashMap::new()),
        body_read_timeout,
        metrics_tenant_labels,
    };
    axum::Router::new().fallback(handle).with_state(Arc::new(adapter))
}

/// The request id to use: the client's, when usable, else a new one (a random UUID, 32 hex
/// digits).
pub fn request_id(headers: &axum::http::HeaderMap) -> String {
    let theirs = headers.get(&REQUEST_ID).and_then(|v| v.to_str().ok());
    match theirs.filter(|id| (1..=128).contains(&id.len()) && id.bytes().all(|b| b.is_ascii_graphic())) {
        Some(id) => id.to_owned(),
        None => {
            let mut bytes = [0u8; 16];
            // Without randomness (never on supported systems) the id is still unique enough
            // for logs: the time in nanoseconds.
            if getrandom::fill(&mut bytes).is_err() {
                let nanos = std::time::SystemTime::now()
                    .duration_since(std::time::UNIX_EPOCH)
                    .map(|d| d.as_nanos())
                    .unwrap_or(0);
                bytes = nanos.to_le_bytes();
            }
            uuid::Builder::from_random_bytes(bytes).into_uuid().simple().to_string()
        }
    }
}

/// The axum handler.
pub async fn handle(State(adapter): State<Arc<Adapter>>, mut req: Request<Body>) -> Response<Body> {
    let id = request_id(req.headers());
    // The request carries the id it is handled under, so the audit log records the same one.
    if let Ok(value) = HeaderValue::from_str(&id) {
        req.headers_mut().insert(REQUEST_ID, value);
    }
    let span = tracing::info_span!("request", request_id = %id);
    let mut response = handle_in_span(&adapter, req).instrument(span).await;
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

async fn handle_in_span(adapter: &Adapter, req: Request<Body>) -> Response<Body> {
    let service = &adapter.service;
    let started = Instant::now();
    let method = req.method().clone();
    // The path only: query strings may carry user names and e-mail addresses.
    let path = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    let admitted = service.admit(&parts).await;
    let response = match admitted {
        Err(refused) => refused.map(Body::from),
        Ok(admitted) => {
            let length = parts.headers.get(CONTENT_LENGTH).and_then(|v| v.to_str().ok()?.parse::<u64>().ok());
            if length.is_some_and(|n| n > u64::try_from(service.max_body_bytes()).unwrap_or(u64::MAX)) {
                too_large(service)
            } else {
                let large = match length {
                    Some(n) => n > LARGE_BODY,
                    None => !body.is_end_stream(),
                };
                let _permits = if large { adapter.large_body_permits(admitted.tenant()).await } else { None };
                read_and_handle(service, admitted, parts, body, adapter.body_read_timeout).await
            }
        }
    };
    let status = response.status().as_u16();
    let elapsed = started.elapsed();
    // A tenant label only for authenticated requests: a 401's URL may name anything.
    let tenant = (adapter.metrics_tenant_labels && status != 401).then(|| crate::ops::tenant_segment(&path)).flatten();
    crate::ops::record_request(crate::ops::route_label(&path), method.as_str(), status, elapsed, tenant);
    let elapsed_us = u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX);
    // The deviations from RFC 7643/7644 the tenant's profile accepted in this request.
    match response.extensions().get::<QuirkSet>() {
        Some(quirks) => tracing::info!(%method, path, status, elapsed_us, %quirks, "request"),
        None => tracing::info!(%method, path, status, elapsed_us, "request"),
    }
    response
}

async fn read_and_handle(
    service: &ScimService,
    admitted: Admitted,
    parts: axum::http::request::Parts,
    body: Body,
    timeout: Duration,
) -> Response<Body> {
    let read = match tokio::time::timeout(timeout, to_bytes(body, service.max_body_bytes())).await {
        Ok(read) => read,
        Err(_) => {
            return scim_error_response(&ScimError::request_timeout(timeout));
        }
    };
    match read {
        Ok(bytes) => {
            let response = service.handle_admitted(admitted, Request::from_parts(parts, bytes)).await;
            response.map(Body::from)
        }
        Err(e) => {
            let source = e.into_inner();
            if source.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                too_large(service)
            } else {
                // A malformed chunked body, or a client gone mid-body (then nobody reads this).
                let e = ScimError::invalid_syntax(format!("the request body could not be read: {source}"));
                scim_error_response(&e)
            }
        }
    }
}

fn too_large(service: &ScimService) -> Response<Body> {
    scim_error_response(&ScimError::payload_too_large(service.max_body_bytes()))
}

fn scim_error_response(e: &ScimError) -> Response<Body> {
    e.to_response().map(Body::from)
}
