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
}

/// The schema URN of SCIM error bodies.
pub const ERROR_SCHEMA: &str = "urn:ietf:params:scim:api:messages:2.0:Error";

impl ScimError {
    /// An error with any status.
    pub fn new(status: StatusCode, scim_type: Option<ScimType>, detail: impl Into<String>) -> Self {
        Self { status, scim_type, detail: detail.into() }
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

    /// `412` (an `If-Match` precondition failed).
    pub fn precondition_failed(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::PRECONDITION_FAILED, None, detail)
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
    fn sensitive_is_a_400() {
        let e = ScimError::sensitive("personal data in the query string; use POST /.search");
        assert_eq!(e.status(), StatusCode::BAD_REQUEST);
        assert_eq!(e.to_json()["scimType"], "sensitive");
        assert_eq!(e.to_json()["status"], "400");
    }
}
