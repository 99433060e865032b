//! The SCIM error type and its RFC 7644 §3.12 rendering.

use http::StatusCode;
use serde_json::{Value, json};
use std::fmt;

/// The `scimType` of a `400` (and a few other) SCIM errors (RFC 7644 §3.12, RFC 9865).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ScimType {
    /// The filter syntax was invalid or the filter cannot apply.
    InvalidFilter,
    /// The filter yields more results than the server will return.
    TooMany,
    /// A value is not unique (`409`).
    Uniqueness,
    /// An attempt to change an immutable or read-only attribute.
    Mutability,
    /// The request body is not a valid SCIM message.
    InvalidSyntax,
    /// The PATCH `path` is invalid.
    InvalidPath,
    /// The PATCH path matched nothing.
    NoTarget,
    /// A value is missing, of the wrong type, or not allowed.
    InvalidValue,
    /// The protocol version is not supported.
    InvalidVers,
    /// The request cannot be completed because of sensitive information in the URI.
    Sensitive,
    /// RFC 9865: the cursor is invalid.
    InvalidCursor,
    /// RFC 9865: the cursor has expired.
    ExpiredCursor,
    /// RFC 9865: the count is invalid.
    InvalidCount,
}

impl ScimType {
    /// The wire name, e.g. `invalidFilter`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidFilter => "invalidFilter",
            Self::TooMany => "tooMany",
            Self::Uniqueness => "uniqueness",
            Self::Mutability => "mutability",
            Self::InvalidSyntax => "invalidSyntax",
            Self::InvalidPath => "invalidPath",
            Self::NoTarget => "noTarget",
            Self::InvalidValue => "invalidValue",
            Self::InvalidVers => "invalidVers",
            Self::Sensitive => "sensitive",
            Self::InvalidCursor => "invalidCursor",
            Self::ExpiredCursor => "expiredCursor",
            Self::InvalidCount => "invalidCount",
        }
    }
}

impl fmt::Display for ScimType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A SCIM protocol error: HTTP status, optional `scimType`, and a human-readable detail.
///
/// Every failure the library reports ends up as one of these, and [`ScimError::to_json`]
/// renders the RFC 7644 §3.12 body.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{status} {}: {detail}", scim_type.map_or("", ScimType::as_str))]
pub struct ScimError {
    status: StatusCode,
    scim_type: Option<ScimType>,
    detail: String,
    /// Seconds for a `Retry-After` header (`503`).
    retry_after: Option<u64>,
}

/// The schema URN of SCIM error bodies.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

impl ScimError {
    /// An error with any status. Prefer the named constructors below, which word each status
    /// the same way everywhere.
    pub fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self { status, scim_type, detail: detail.into(), retry_after: None }
    }

    /// `400` with a `scimType`.
    pub fn bad_request(scim_type: ScimType, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, Some(scim_type), detail)
    }

    /// `400 invalidValue`.
    pub fn invalid_value(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidValue, detail)
    }

    /// `400 invalidSyntax`.
    pub fn invalid_syntax(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidSyntax, detail)
    }

    /// `400 invalidFilter`.
    pub fn invalid_filter(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidFilter, detail)
    }

    /// `400 invalidPath`.
    pub fn invalid_path(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::InvalidPath, detail)
    }

    /// `400 noTarget`.
    pub fn no_target(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::NoTarget, detail)
    }

    /// `400 mutability`.
    pub fn mutability(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::Mutability, detail)
    }

    /// `400 sensitive`: the request carried sensitive (e.g. personal) information in its URI;
    /// the client should use `POST …/.search` instead (RFC 7644 §7.5.2).
    ///
    /// RFC 7644 §3.12 introduces its table of `scimType` keywords, `sensitive` included, with
    /// "For HTTP status code 400 (Bad Request) responses, the following detail error types are
    /// defined", and its `403` row is about authorization only, so this is a `400`.
    pub fn sensitive(detail: impl Into<String>) -> Self {
        Self::bad_request(ScimType::Sensitive, detail)
    }

    /// `404` without a `scimType`.
    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, None, detail)
    }

    /// `409 uniqueness`.
    pub fn uniqueness(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, Some(ScimType::Uniqueness), detail)
    }

    /// `409` without a `scimType`: the request conflicts with the resource's state (e.g. a
    /// suspended user accepting an invitation) or with concurrent writes.
    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, None, detail)
    }

    /// `401`: no credentials, or credentials the service does not accept. The HTTP layer adds
    /// `WWW-Authenticate`.
    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, None, detail)
    }

    /// `403`: the request is understood and not allowed.
    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, None, detail)
    }

    /// `405`: the endpoint does not take this method. The HTTP layer adds `Allow`.
    pub fn method_not_allowed(method: &http::Method, allow: &str) -> Self {
        Self::new(
            StatusCode::METHOD_NOT_ALLOWED,
            None,
            format!("method {method} is not allowed here; allowed: {allow}"),
        )
    }

    /// `408`: the request body did not arrive in time.
    pub fn request_timeout(waited: std::time::Duration) -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            None,
            format!("the request body did not arrive within {} s", waited.as_secs()),
        )
    }

    /// `413`: the request body is over the cap.
    pub fn payload_too_large(max_bytes: usize) -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, None, format!("the request body exceeds {max_bytes} bytes"))
    }

    /// `415`: the body is not JSON.
    pub fn unsupported_media_type() -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            None,
            "send the body as application/scim+json or application/json",
        )
    }

    /// `503` with `Retry-After`: a service the request needs (the credential store, the
    /// database) did not answer; the client should retry after `retry_after`.
    pub fn service_unavailable(detail: impl Into<String>, retry_after: std::time::Duration) -> Self {
        let mut e = Self::new(StatusCode::SERVICE_UNAVAILABLE, None, detail);
        e.retry_after = Some(retry_after.as_secs().max(1));
        e
    }

    /// `412` (an `If-Match` precondition failed).
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, None, detail)
    }

    /// `429`: the tenant or the token sent more requests than its rate limit allows; the
    /// client should retry after `retry_after` (sent in whole seconds, rounded up, at least 1).
    pub fn too_many_requests(retry_after: std::time::Duration) -> Self {
        Self::too_many_requests_because(
            "too many requests: over the rate limit of this tenant or token; retry after the Retry-After delay",
            retry_after,
        )
    }

    /// `429` with `Retry-After` as [`too_many_requests`](Self::too_many_requests), saying why.
    pub fn too_many_requests_because(detail: impl Into<String>, retry_after: std::time::Duration) -> Self {
        let mut e = Self::new(StatusCode::TOO_MANY_REQUESTS, None, detail);
        let seconds = retry_after.as_millis().div_ceil(1000).max(1);
        e.retry_after = Some(u64::try_from(seconds).unwrap_or(u64::MAX));
        e
    }

    /// `500` with a generic detail; log the cause, never send it.
    pub fn internal() -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, None, "internal server error")
    }

    /// `501` for unsupported operations.
    pub fn not_implemented(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_IMPLEMENTED, None, detail)
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// The `scimType`, if any.
    pub fn scim_type(&self) -> Option<ScimType> {
        self.scim_type
    }

    /// The human-readable detail.
    pub fn detail(&self) -> &str {
        &self.detail
    }

    /// The seconds a `Retry-After` header carries, for errors that have one (`503`).
    pub fn retry_after(&self) -> Option<u64> {
        self.retry_after
    }

    /// The RFC 7644 §3.12 error body (`status` is a string, as the RFC's examples show).
    pub fn to_json(&self) -> Value {
        let mut body = json!({
            "schemas": [ERROR_SCHEMA],
            "status": self.status.as_u16().to_string(),
            "detail": self.detail,
        });
        if let Some(t) = self.scim_type {
            body["scimType"] = Value::String(t.as_str().to_owned());
        }
        body
    }
}

impl From<scim_query::ParseError> for ScimError {
    /// Filter parse errors are `400 invalidFilter`; PATCH paths use [`ScimError::invalid_path`].
    fn from(e: scim_query::ParseError) -> Self {
        Self::invalid_filter(format!("invalid filter: {e}"))
    }
}

impl From<scim_query::EvalError> for ScimError {
    fn from(e: scim_query::EvalError) -> Self {
        Self::invalid_filter(format!("invalid filter: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_rfc_body() {
        let e = ScimError::uniqueness("userName bjensen is already taken");
        assert_eq!(
            e.to_json(),
            json!({
                "schemas": [ERROR_SCHEMA],
                "status": "409",
                "scimType": "uniqueness",
                "detail": "userName bjensen is already taken"
            })
        );
        let e = ScimError::not_found("no such user");
        assert!(e.to_json().get("scimType").is_none());
    }

    #[test]
    fn service_unavailable_says_when_to_retry() {
        let e = ScimError::service_unavailable("down", std::time::Duration::from_secs(30));
        assert_eq!((e.status(), e.retry_after()), (StatusCode::SERVICE_UNAVAILABLE, Some(30)));
        // Never `Retry-After: 0`, which invites a busy loop.
        assert_eq!(ScimError::service_unavailable("down", std::time::Duration::ZERO).retry_after(), Some(1));
        assert_eq!(ScimError::not_found("x").retry_after(), None);
    }

    #[test]
    fn sensitive_is_a_400() {
        let e = ScimError::sensitive("personal data in the query string; use POST /.search");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.to_json()["scimType"], "sensitive");
        assert_eq!(e.to_json()["status"], "400");
    }
}
