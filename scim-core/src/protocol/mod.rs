//! The framework-agnostic SCIM protocol service: an `http::Request` in, an `http::Response` out.
//!
//! [`ScimService::handle`] authenticates the request, matches `(method, path)` against the
//! routes of RFC 7644 below a configurable base path, calls [`Provisioning`], and renders
//! the result. It never returns an error and never panics on input: every failure becomes an
//! RFC 7644 §3.12 error response. Hosts put it behind any HTTP server (axum, hyper, actix, a
//! lambda) by buffering the body (capped at [`ScimService::max_body_bytes`]) and calling `handle`.
//!
//! An adapter that can look at a request's head before reading its body should call
//! [`ScimService::admit`] first, read the body only of an admitted request, and hand both to
//! [`ScimService::handle_admitted`]: then a client without a valid token never makes the
//! server buffer a body, and the body cap can be as large as real clients need (an Okta custom
//! app `PUT`s a group with every member, about 85 bytes each).
//!
//! # Decisions
//! - **Base path and tenants**: the base path (default `/scim/v2`) may contain one `{tenant}`
//!   segment, e.g. `/scim/v2/t/{tenant}`. The bearer token decides the tenant; when the URL
//!   names a different one the answer is `401`, so a token never reaches another tenant's data
//!   and the answer does not reveal whether that tenant exists.
//! - **Locations**: `Location` and `meta.location` are `public_url + base path`; without a
//!   public URL, `http://` plus the request's `Host` header.
//! - **Bodies**: `application/scim+json` and `application/json` requests (with parameters such
//!   as `charset=utf-8`) are read, and so are requests without a `Content-Type`; anything else
//!   is `415`. Bodies above the limit are `413`.
//! - **PATCH answers**: a user PATCH answers `200` with the user. A group PATCH answers `204`
//!   (Entra recommends it, Okta accepts it, and it avoids sending large member lists) unless
//!   the request asks for `attributes` or `excludedAttributes`, then `200` with the group.
//!   Both carry the new `ETag`.
//! - **Discovery** endpoints need a token too, and answer `405` to writes.
//! - **Rate limits**: once a request is authenticated, and before its body is read, its tenant
//!   and its token each spend one request of their token bucket
//!   ([`Limits::tenant_rate`](crate::Limits::tenant_rate), [`Limits::token_rate`](crate::Limits::token_rate));
//!   over either, the answer is `429` with `Retry-After`. A list that scans (see
//!   [`Limits`](crate::Limits#scans)) spends its cost as well, one request per
//!   [`Limits::scan_cost`](crate::Limits::scan_cost) resources it examines, before it runs.
//! - **Paging**: by `startIndex` and `count` (RFC 7644 §3.4.2.4), or on `/Users`, `/Groups`
//!   and their `/.search` by `cursor` (RFC 9865: empty to start, then `nextCursor` or
//!   `previousCursor`; see [`ListRequest`](crate::ListRequest)). A cursor page has no
//!   `startIndex`. The root `/.search` pages by index only (`400 invalidValue` for a cursor).
//! - `POST /Bulk` runs its operations through the same provisioning path as single requests
//!   (see [`Limits::max_bulk_operations`](crate::Limits::max_bulk_operations)); `/Me` answers
//!   `501`. Unknown query parameters are ignored.

mod auth;
mod bulk;
mod query;
mod rate;
mod resources;
mod response;
mod route;

pub use auth::{AuthUnavailable, Authenticator, Principal};
pub use response::SCIM_CONTENT_TYPE;

use crate::ResourceKind;
use crate::audit::{Actor, AuditContext};
use crate::{Provisioning, ScimError, ServiceProviderConfig, TenantId, Version};
use http::header::{AUTHORIZATION, CONTENT_TYPE, HOST, IF_MATCH};
use http::{HeaderMap, Method, Request, Response, StatusCode};
use query::Params;
use route::{BasePath, Route};
use serde_json::Value;
use std::sync::Arc;

/// The SCIM protocol service. Cheap to clone; share one per process.
///
/// ```
/// # use std::sync::Arc;
/// # use async_trait::async_trait;
/// # use scim_core::{AuthUnavailable, Authenticator, Principal, Provisioning, ScimService};
/// # #[derive(Debug)] struct Tokens;
/// # #[async_trait] impl Authenticator for Tokens {
/// #     async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AuthUnavailable> { Ok(None) }
/// # }
/// # fn build(provisioning: Provisioning) -> ScimService {
/// ScimService::new(provisioning, Tokens)
///     .with_base_path("/scim/v2/t/{tenant}")
///     .with_public_url("https://app.example.com")
/// # }
/// ```
#[derive(Debug, Clone)]
pub struct ScimService {
    provisioning: Provisioning,
    authenticator: Arc<dyn Authenticator>,
    base: BasePath,
    public_url: Option<String>,
    realm: String,
    config: ServiceProviderConfig,
    rate: Arc<rate::RateLimiter>,
}

impl ScimError {
    /// This error as the RFC 7644 §3.12 response the service sends (status, `scim+json` body),
    /// for adapters that answer before the service does (a body too large to read, say).
    pub fn to_response(&self) -> Response<Vec<u8>> {
        response::error(self)
    }
}

/// A request head that [`ScimService::admit`] authenticated: its tenant, for
/// [`ScimService::handle_admitted`]. Only `admit` makes one, and it is not `Clone`: one
/// admission serves one request (and only one with the admitted method and path).
#[derive(Debug)]
pub struct Admitted {
    principal: Principal,
    /// The key of the token's rate-limit bucket.
    token_key: u64,
    method: Method,
    path: String,
    /// The path's segments below the base path, as matched (not matched again).
    rest: Vec<String>,
}

impl Admitted {
    /// The tenant the request's token belongs to.
    pub fn tenant(&self) -> &TenantId {
        &self.principal.tenant
    }
}

/// What a request is about once authenticated.
pub(crate) struct Ctx {
    tenant: TenantId,
    /// The provisioning service acting for this request's token (for the audit log).
    provisioning: Provisioning,
    /// The key of the bearer token's rate-limit bucket (scans are charged to it).
    token_key: u64,
    /// The absolute SCIM base URL for this tenant, e.g. `https://host/scim/v2/t/abc`.
    base_url: String,
    params: Params,
}

impl ScimService {
    /// A service over `provisioning`, authenticating with `authenticator`; base path `/scim/v2`.
    pub fn new<A: Authenticator>(provisioning: Provisioning, authenticator: A) -> Self {
        Self {
            provisioning,
            authenticator: Arc::new(authenticator),
            base: BasePath::new("/scim/v2"),
            public_url: None,
            realm: "SCIM".to_owned(),
            config: ServiceProviderConfig::default(),
            rate: Arc::default(),
        }
    }

    /// The path prefix the routes live under, e.g. `/scim/v2/t/{tenant}` or `""` for the root.
    /// One `{tenant}` segment names the tenant in the URL, checked against the token's tenant.
    #[must_use]
    pub fn with_base_path(mut self, pattern: &str) -> Self {
        self.base = BasePath::new(pattern);
        self
    }

    /// The public origin (`https://app.example.com`) for `Location` and `meta.location`;
    /// without it the request's `Host` header is used with `http://`.
    #[must_use]
    pub fn with_public_url(mut self, url: impl Into<String>) -> Self {
        let url = url.into();
        self.public_url = Some(url.trim_end_matches('/').to_owned());
        self
    }

    /// The realm of the `WWW-Authenticate: Bearer` challenge. Default `SCIM`.
    #[must_use]
    pub fn with_realm(mut self, realm: impl Into<String>) -> Self {
        self.realm = realm.into();
        self
    }

    /// What `/ServiceProviderConfig` reports beyond what it derives from the provisioning
    /// service's [`Limits`](crate::Limits) (page sizes, body size) and the library's fixed
    /// facts: the host's documentation URI.
    #[must_use]
    pub fn with_service_provider_config(mut self, config: ServiceProviderConfig) -> Self {
        self.config = config;
        self
    }

    /// The body cap adapters should enforce while buffering (answer `413` above it):
    /// [`Limits::max_body_bytes`](crate::Limits::max_body_bytes) of the provisioning service.
    pub fn max_body_bytes(&self) -> usize {
        self.provisioning.limits().max_body_bytes
    }

    /// The provisioning service behind the handler.
    pub fn provisioning(&self) -> &Provisioning {
        &self.provisioning
    }

    /// Handles one request. Never fails: errors are SCIM error responses.
    pub async fn handle<B: AsRef<[u8]>>(&self, req: Request<B>) -> Response<Vec<u8>> {
        let result = self.dispatch(&req, None).await;
        self.respond(result, req.method())
    }

    /// Authenticates a request from its head alone, before its body is read. `Err` is the
    /// response to send as it is (`401`, or `404` for a path outside the base path); read the
    /// body only after `Ok`, then call [`handle_admitted`](Self::handle_admitted).
    ///
    /// # Errors
    /// The response to send instead of reading the body.
    pub async fn admit(&self, head: &http::request::Parts) -> Result<Admitted, Response<Vec<u8>>> {
        let path = head.uri.path();
        let Some(matched) = self.base.matches(path) else {
            let failure = ScimError::not_found(format!("no SCIM endpoint at {path}")).into();
            return Err(self.respond(Err(failure), &head.method));
        };
        match self.authenticate(&head.headers, matched.tenant.as_deref()).await {
            Ok((principal, token_key)) => Ok(Admitted {
                principal,
                token_key,
                method: head.method.clone(),
                path: path.to_owned(),
                rest: matched.rest,
            }),
            Err(failure) => Err(self.respond(Err(failure), &head.method)),
        }
    }

    /// Handles a request [`admit`](Self::admit) let in, without authenticating it again.
    /// `admitted` must come from this request's head: for a request with another method or
    /// path it counts for nothing, and the request is authenticated as by
    /// [`handle`](Self::handle).
    pub async fn handle_admitted<B: AsRef<[u8]>>(&self, admitted: Admitted, req: Request<B>) -> Response<Vec<u8>> {
        let result = self.dispatch(&req, Some(admitted)).await;
        self.respond(result, req.method())
    }

    fn respond(&self, result: Result<Response<Vec<u8>>, Failure>, method: &Method) -> Response<Vec<u8>> {
        match result {
            Ok(response) => response,
            Err(Failure::Scim(e)) => response::error(&e),
            Err(Failure::Unauthorized(detail)) => response::unauthorized(&self.realm, detail),
            Err(Failure::MethodNotAllowed(allow)) => response::method_not_allowed(method, allow),
        }
    }

    async fn dispatch<B: AsRef<[u8]>>(
        &self,
        req: &Request<B>,
        admitted: Option<Admitted>,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let ((principal, token_key), rest) = match admitted {
            Some(admitted) if admitted.path == req.uri().path() && admitted.method == *req.method() => {
                ((admitted.principal, admitted.token_key), admitted.rest)
            }
            _ => {
                let Some(matched) = self.base.matches(req.uri().path()) else {
                    return Err(ScimError::not_found(format!("no SCIM endpoint at {}", req.uri().path())).into());
                };
                (self.authenticate(req.headers(), matched.tenant.as_deref()).await?, matched.rest)
            }
        };
        let Some(route) = Route::parse(&rest) else {
            return Err(ScimError::not_found(format!("no SCIM endpoint at {}", req.uri().path())).into());
        };
        let target = route.audit_target(req.method());
        let mut provisioning = self.provisioning.acting_as(audit_context(&principal, req));
        if let Some(profile) = principal.profile {
            provisioning = provisioning.with_profile(profile);
        }
        if let Some(policy) = principal.user_conflict {
            provisioning = provisioning.with_user_conflict(policy);
        }
        let tenant = principal.tenant;
        let mut result = self.serve(req, route, tenant.clone(), token_key, provisioning.clone()).await;
        let fired = provisioning.quirks_fired();
        if let (Ok(response), false) = (&mut result, fired.is_empty()) {
            // For the host's request log: the response itself says nothing new.
            response.extensions_mut().insert(fired);
        }
        if let (Err(Failure::Scim(e)), Some((kind, id, operation))) = (&result, target) {
            // A log that cannot keep the record must not change the answer; the store reports
            // its own failures (the example server counts them).
            let _ = provisioning.record_refusal(&tenant, kind, id.as_deref(), operation, e).await;
        }
        result
    }

    /// Serves an authenticated request on a route.
    async fn serve<B: AsRef<[u8]>>(
        &self,
        req: &Request<B>,
        route: Route,
        tenant: TenantId,
        token_key: u64,
        provisioning: Provisioning,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let params = Params::from_query(req.uri().query(), self.provisioning.limits())?;
        let base_url = self.base_url(req.headers(), tenant.as_str());
        let ctx = Ctx { tenant, provisioning, token_key, base_url, params };
        let method = req.method();
        let body = req.body().as_ref();
        if body.len() > self.max_body_bytes() {
            return Err(ScimError::payload_too_large(self.max_body_bytes()).into());
        }
        let read_body = || self.read_json(req.headers(), body);
        if route.is_discovery() && method == Method::GET && ctx.params.filter.is_some() {
            // RFC 7644 §4: a client must not take the entries returned as matching its filter.
            return Err(ScimError::forbidden(
                "the discovery endpoints do not take a filter (RFC 7644 §4); ask for a schema or \
                 resource type by its id instead",
            )
            .into());
        }
        match (route, method) {
            (Route::Collection(kind), &Method::GET) => self.list(&ctx, kind, &ctx.params).await,
            (Route::Collection(kind), &Method::POST) => self.create(&ctx, kind, &read_body()?).await,
            (Route::Search(kind), &Method::POST) => {
                let body = read_body()?;
                let mut params = Params::from_search_request(&body, self.provisioning.limits())?;
                // The body is the request. The URL's projection parameters, which some clients
                // send there, count only when the body has neither.
                if params.attributes.is_none() && params.excluded_attributes.is_none() {
                    params.attributes.clone_from(&ctx.params.attributes);
                    params.excluded_attributes.clone_from(&ctx.params.excluded_attributes);
                }
                match kind {
                    Some(kind) => self.list(&ctx, kind, &params).await,
                    None => self.search_all(&ctx, &params).await,
                }
            }
            (Route::Resource(kind, id), &Method::GET) => self.get(&ctx, kind, &id, req.headers()).await,
            (Route::Resource(kind, id), &Method::PUT) => {
                let body = read_body()?;
                let if_match = self.if_match(&ctx, kind, &id, req.headers()).await?;
                self.replace(&ctx, kind, &id, &body, if_match.as_ref()).await
            }
            (Route::Resource(kind, id), &Method::PATCH) => {
                let body = read_body()?;
                let if_match = self.if_match(&ctx, kind, &id, req.headers()).await?;
                self.patch(&ctx, kind, &id, &body, if_match.as_ref()).await
            }
            (Route::Resource(kind, id), &Method::DELETE) => {
                let if_match = self.if_match(&ctx, kind, &id, req.headers()).await?;
                match kind {
                    ResourceKind::User => ctx.provisioning.delete_user(&ctx.tenant, &id, if_match.as_ref()).await?,
                    ResourceKind::Group => ctx.provisioning.delete_group(&ctx.tenant, &id, if_match.as_ref()).await?,
                }
                Ok(response::empty(StatusCode::NO_CONTENT))
            }
            (Route::Schemas, &Method::GET) => {
                Ok(response::json(StatusCode::OK, &self.registry().schemas_document(&ctx.base_url)))
            }
            (Route::Schema(id), &Method::GET) => match self.registry().schema_document(&id, &ctx.base_url) {
                Some(doc) => Ok(response::json(StatusCode::OK, &doc)),
                None => Err(ScimError::not_found(format!("no schema {id}")).into()),
            },
            (Route::ResourceTypes, &Method::GET) => {
                Ok(response::json(StatusCode::OK, &self.registry().resource_types_document(&ctx.base_url)))
            }
            (Route::ResourceType(id), &Method::GET) => {
                match self.registry().resource_type_document(&id, &ctx.base_url) {
                    Some(doc) => Ok(response::json(StatusCode::OK, &doc)),
                    None => Err(ScimError::not_found(format!("no resource type {id}")).into()),
                }
            }
            (Route::ServiceProviderConfig, &Method::GET) => {
                let doc =
                    self.registry().service_provider_config(&self.config, self.provisioning.limits(), &ctx.base_url);
                Ok(response::json(StatusCode::OK, &doc))
            }
            (Route::Bulk, &Method::POST) => self.bulk(&ctx, &read_body()?).await,
            (Route::Unsupported(what), _) => {
                Err(ScimError::not_implemented(format!("{what} is not supported by this service provider")).into())
            }
            (route, _) => Err(Failure::MethodNotAllowed(route.allowed())),
        }
    }

    fn registry(&self) -> &crate::SchemaRegistry {
        self.provisioning.registry()
    }

    /// Who the request's bearer token is and the key of the token's rate-limit bucket, once
    /// the request has passed the rate limits.
    async fn authenticate(&self, headers: &HeaderMap, url_tenant: Option<&str>) -> Result<(Principal, u64), Failure> {
        let Some(value) = headers.get(AUTHORIZATION) else {
            return Err(Failure::Unauthorized("authentication required: send Authorization: Bearer <token>"));
        };
        let token = value.to_str().ok().and_then(query::bearer_token);
        let Some(token) = token else {
            return Err(Failure::Unauthorized("the Authorization header must be `Bearer <token>`"));
        };
        let principal = match self.authenticator.authenticate(token).await {
            Ok(Some(principal)) => principal,
            Ok(None) => return Err(Failure::Unauthorized("the bearer token is not valid")),
            Err(unavailable) => {
                return Err(ScimError::service_unavailable(
                    "the credentials could not be checked just now; retry later",
                    unavailable.retry_after(),
                )
                .into());
            }
        };
        if url_tenant.is_some_and(|named| named != principal.tenant.as_str()) {
            return Err(Failure::Unauthorized("the bearer token is not valid for this tenant URL"));
        }
        let limits = self.provisioning.limits();
        self.rate
            .admit(limits.tenant_rate, limits.token_rate, &principal.tenant, token, std::time::Instant::now())
            .map_err(ScimError::too_many_requests)?;
        let token_key = self.rate.token_key(token);
        Ok((principal, token_key))
    }

    fn base_url(&self, headers: &HeaderMap, tenant: &str) -> String {
        let origin = match &self.public_url {
            Some(url) => url.clone(),
            None => {
                let host = headers.get(HOST).and_then(|h| h.to_str().ok()).unwrap_or("localhost");
                format!("http://{host}")
            }
        };
        format!("{origin}{}", self.base.render(tenant))
    }

    fn read_json(&self, headers: &HeaderMap, body: &[u8]) -> Result<Value, ScimError> {
        if let Some(ct) = headers.get(CONTENT_TYPE) {
            let ok = ct.to_str().is_ok_and(query::is_json_content_type);
            if !ok {
                return Err(ScimError::unsupported_media_type());
            }
        }
        if body.len() > self.max_body_bytes() {
            return Err(ScimError::payload_too_large(self.max_body_bytes()));
        }
        if body.iter().all(u8::is_ascii_whitespace) {
            return Err(ScimError::invalid_syntax("the request body is empty; a JSON object is required"));
        }
        serde_json::from_slice(body).map_err(|e| ScimError::invalid_syntax(format!("the body is not valid JSON: {e}")))
    }

    fn check_filter(&self, params: &Params) -> Result<(), ScimError> {
        let max = self.provisioning.limits().max_filter_length;
        match &params.filter {
            Some(f) if f.len() > max => {
                Err(ScimError::invalid_filter(format!("the filter is {} bytes long; the limit is {max}", f.len())))
            }
            _ => Ok(()),
        }
    }

    /// Resolves `If-Match`: one tag is passed through; a list is checked against the current
    /// version here (412 if none matches).
    async fn if_match(
        &self,
        ctx: &Ctx,
        kind: ResourceKind,
        id: &str,
        headers: &HeaderMap,
    ) -> Result<Option<Version>, Failure> {
        let Some(value) = headers.get(IF_MATCH) else { return Ok(None) };
        let Ok(value) = value.to_str() else {
            return Err(ScimError::precondition_failed("If-Match is not a valid entity tag list").into());
        };
        if !value.contains(',') {
            return Ok(Some(Version::new(value.trim())));
        }
        let current = match kind {
            ResourceKind::User => self.provisioning.get_user(&ctx.tenant, id).await?.version(),
            ResourceKind::Group => self.provisioning.get_group(&ctx.tenant, id, false).await?.version(),
        };
        let Some(current) = current else { return Ok(None) };
        if value.split(',').any(|tag| Version::new(tag.trim()).matches(&current)) {
            Ok(Some(current))
        } else {
            Err(ScimError::precondition_failed("the resource has changed: If-Match does not match its version").into())
        }
    }
}

/// The longest `User-Agent` or `X-Request-Id` kept in an audit record, in bytes.
const MAX_AUDIT_HEADER: usize = 256;

/// The audit context of a request: its token, `User-Agent`, `X-Request-Id` and method.
fn audit_context<B>(principal: &Principal, req: &Request<B>) -> AuditContext {
    let header = |name: &str| {
        let value = req.headers().get(name)?.to_str().ok()?.trim();
        let mut end = value.len().min(MAX_AUDIT_HEADER);
        while !value.is_char_boundary(end) {
            end -= 1;
        }
        (!value.is_empty()).then(|| value[..end].to_owned())
    };
    AuditContext {
        actor: Actor::Token { id: principal.token_id.clone(), label: principal.token_label.clone() },
        client: header("user-agent"),
        request_id: header("x-request-id"),
        method: Some(req.method().as_str().to_owned()),
    }
}

/// Why a request failed before producing a response.
pub(crate) enum Failure {
    Scim(ScimError),
    Unauthorized(&'static str),
    MethodNotAllowed(&'static str),
}

impl From<ScimError> for Failure {
    fn from(e: ScimError) -> Self {
        Self::Scim(e)
    }
}
