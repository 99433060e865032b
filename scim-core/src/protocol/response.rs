//! The one place that builds responses: `Content-Type`, `ETag`, `Location`, error bodies.

use crate::{ScimError, Version, urn};
use http::header::{ALLOW, CONTENT_TYPE, ETAG, HeaderValue, LOCATION, RETRY_AFTER, WWW_AUTHENTICATE};
use http::{Response, StatusCode};
use serde_json::{Value, json};

/// The media type of every SCIM body the service sends.
pub const SCIM_CONTENT_TYPE: &str = "application/scim+json";

/// A JSON response with `Content-Type: application/scim+json`.
pub(crate) fn json(status: StatusCode, body: &Value) -> Response<Vec<u8>> {
    // Serialising a `Value` cannot fail (its keys are strings).
    let bytes = serde_json::to_vec(body).unwrap_or_default();
    let mut response = Response::new(bytes);
    *response.status_mut() = status;
    response.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static(SCIM_CONTENT_TYPE));
    response
}

/// A response without a body (`204`, `304`).
pub(crate) fn empty(status: StatusCode) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = status;
    response
}

/// Adds `ETag` (when the version is a valid header value).
pub(crate) fn with_etag(mut response: Response<Vec<u8>>, version: Option<&Version>) -> Response<Vec<u8>> {
    if let Some(v) = version.and_then(|v| HeaderValue::from_str(v.as_str()).ok()) {
        response.headers_mut().insert(ETAG, v);
    }
    response
}

/// Adds `Location`.
pub(crate) fn with_location(mut response: Response<Vec<u8>>, location: Option<&str>) -> Response<Vec<u8>> {
    if let Some(v) = location.and_then(|l| HeaderValue::from_str(l).ok()) {
        response.headers_mut().insert(LOCATION, v);
    }
    response
}

/// The RFC 7644 §3.12 error response.
pub(crate) fn error(e: &ScimError) -> Response<Vec<u8>> {
    let mut response = json(e.status(), &e.to_json());
    if let Some(seconds) = e.retry_after() {
        response.headers_mut().insert(RETRY_AFTER, HeaderValue::from(seconds));
    }
    response
}

/// `401` with `WWW-Authenticate: Bearer realm="…"` and an error body.
pub(crate) fn unauthorized(realm: &str, detail: &str) -> Response<Vec<u8>> {
    let mut response = error(&ScimError::unauthorized(detail));
    let challenge = format!("Bearer realm=\"{}\"", realm.replace(['"', '\\'], ""));
    if let Ok(v) = HeaderValue::from_str(&challenge) {
        response.headers_mut().insert(WWW_AUTHENTICATE, v);
    }
    response
}

/// `405` with `Allow` and an error body.
pub(crate) fn method_not_allowed(method: &http::Method, allow: &'static str) -> Response<Vec<u8>> {
    let mut response = error(&ScimError::method_not_allowed(method, allow));
    response.headers_mut().insert(ALLOW, HeaderValue::from_static(allow));
    response
}

/// A ListResponse (RFC 7644 §3.4.2); the counters are JSON integers.
/// A `ListResponse` page of a cursor walk (RFC 9865): no `startIndex`; `nextCursor` unless it
/// is the last page, `previousCursor` unless it is the first.
pub(crate) fn cursor_list(
    total_results: usize,
    next: Option<String>,
    previous: Option<String>,
    resources: Vec<Value>,
) -> Value {
    let mut body = json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": total_results,
        "itemsPerPage": resources.len(),
    });
    if let Some(next) = next {
        body["nextCursor"] = Value::String(next);
    }
    if let Some(previous) = previous {
        body["previousCursor"] = Value::String(previous);
    }
    body["Resources"] = Value::Array(resources);
    body
}

pub(crate) fn list(total_results: usize, start_index: usize, resources: Vec<Value>) -> Value {
    let mut body = json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": total_results,
        "itemsPerPage": resources.len(),
        "startIndex": start_index,
    });
    body["Resources"] = Value::Array(resources);
    body
}
