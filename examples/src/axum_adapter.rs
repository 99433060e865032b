//! [`ScimService`] inside axum: authenticate the head ([`ScimService::admit`]), then buffer
//! the body with a cap (`413` above it), call [`ScimService::handle_admitted`], convert back,
//! and log each request without secrets. A client without a valid token gets its `401` before
//! any of its body is read.

use axum::body::{Body, to_bytes};
use axum::extract::State;
use axum::http::{Request, Response, StatusCode};
use axum::response::IntoResponse;
use scim_core::{Admitted, ScimError, ScimService};
use std::sync::Arc;
use std::time::Instant;

/// A router that sends every request to the SCIM service.
pub fn router(service: ScimService) -> axum::Router {
    axum::Router::new().fallback(handle).with_state(Arc::new(service))
}

/// The axum handler.
pub async fn handle(State(service): State<Arc<ScimService>>, req: Request<Body>) -> Response<Body> {
    let started = Instant::now();
    let method = req.method().clone();
    // The path only: query strings may carry user names and e-mail addresses.
    let path = req.uri().path().to_owned();
    let (parts, body) = req.into_parts();
    let admitted = service.admit(&parts).await;
    let response = match admitted {
        Err(refused) => refused.map(Body::from),
        Ok(admitted) => read_and_handle(&service, admitted, parts, body).await,
    };
    tracing::info!(
        %method,
        path,
        status = response.status().as_u16(),
        elapsed_us = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "request"
    );
    response
}

async fn read_and_handle(
    service: &ScimService,
    admitted: Admitted,
    parts: axum::http::request::Parts,
    body: Body,
) -> Response<Body> {
    match to_bytes(body, service.max_body_bytes()).await {
        Ok(bytes) => {
            let response = service.handle_admitted(admitted, Request::from_parts(parts, bytes)).await;
            response.map(Body::from)
        }
        Err(_) => {
            let e = ScimError::new(
                StatusCode::PAYLOAD_TOO_LARGE,
                None,
                format!("the request body exceeds {} bytes", service.max_body_bytes()),
            );
            let mut response = (StatusCode::PAYLOAD_TOO_LARGE, e.to_json().to_string()).into_response();
            response.headers_mut().insert(
                axum::http::header::CONTENT_TYPE,
                axum::http::HeaderValue::from_static(scim_core::SCIM_CONTENT_TYPE),
            );
            response
        }
    }
}
