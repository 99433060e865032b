//! The console's pages and form handlers (maud templates: every value is escaped).

use super::{Admin, LOGIN_COOKIE, Session, cookie, forbidden, html, random_hex, same_secret, verify_password};
use crate::credentials::{TenantInfo, TokenInfo};
use crate::tenant_url;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use maud::{DOCTYPE, Markup, html as m};
use scim_core::audit::{Actor, AuditContext, AuditOutcome, AuditQuery, AuditRecord};
use scim_core::{ListRequest, ScimError, TenantId, User, UserStatus};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;

type Result<T = Response> = std::result::Result<T, Response>;
type Form = axum::Form<HashMap<String, String>>;
type App = State<Arc<Admin>>;

/// The name the audit log records for the console's admin.
const ADMIN_NAME: &str = "admin";

/// A page: header, navigation and `body` under an `h1` of `title`.
fn layout(title: &str, session: Option<&Session>, body: &Markup) -> Markup {
    m! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · SCIM admin" }
                link rel="stylesheet" href="/admin/assets/admin.css";
                script src="/admin/assets/admin.js" defer {}
            }
            body {
                header {
                    a.brand href="/admin" { "SCIM admin" }
                    @if let Some(s) = session {
                        nav aria-label="Main" {
                            a href="/admin" { "Tenants" }
                            form.inline method="post" action="/admin/logout" {
                                input type="hidden" name="csrf" value=(s.csrf);
                                button type="submit" { "Sign out" }
                            }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}

/// A page with a title and one paragraph (errors, notices).
pub(super) fn message_page(title: &str, text: &str) -> Markup {
    layout(title, None, &m! { p { (text) } p { a href="/admin" { "Back to the console" } } })
}

fn error_page(session: &Session, status: StatusCode, text: &str) -> Response {
    let title = status.canonical_reason().unwrap_or("Error");
    html(
        status,
        layout(title, Some(session), &m! { p.notice.error { (text) } p { a href="/admin" { "Back to the tenants" } } }),
    )
}

fn scim_error(session: &Session, e: &ScimError) -> Response {
    let status = StatusCode::from_u16(e.status().as_u16()).unwrap_or(StatusCode::BAD_REQUEST);
    error_page(session, status, e.detail())
}

fn unavailable(session: Option<&Session>, what: &str, e: &dyn std::fmt::Display) -> Response {
    tracing::error!(error = %e, "admin console: {what}");
    let body = m! { p.notice.error { "The credentials database is unavailable; try again shortly." } };
    html(StatusCode::SERVICE_UNAVAILABLE, layout("Unavailable", session, &body))
}

fn time(t: Option<DateTime<Utc>>) -> String {
    t.map_or_else(|| "—".to_owned(), |t| t.format("%Y-%m-%d %H:%M UTC").to_string())
}

/// Whole days from `now` until `at`, rounded up (a user suspended a moment ago has 30 left).
fn days_until(at: DateTime<Utc>, now: DateTime<Utc>) -> i64 {
    let secs = (at - now).num_seconds().max(0);
    (secs + 86_399) / 86_400
}

fn state_badge(status: UserStatus) -> Markup {
    m! { span class={ "state state-" (status.as_str()) } { (status.as_str()) } }
}

fn tenant_title(t: &TenantInfo) -> String {
    t.name.clone().unwrap_or_else(|| t.id.as_str().to_owned())
}

/// The tenant's tabs.
fn tabs(tenant: &TenantId, current: &str) -> Markup {
    let base = format!("/admin/t/{}", tenant.as_str());
    let items = [
        ("provisioning", "User provisioning", base.clone()),
        ("users", "Users", format!("{base}/users")),
        ("groups", "Groups", format!("{base}/groups")),
        ("activity", "Provisioning activity", format!("{base}/activity")),
    ];
    m! {
        nav.tabs aria-label="Tenant" {
            @for (key, label, href) in &items {
                @if *key == current { a href=(href) aria-current="page" { (label) } } @else { a href=(href) { (label) } }
            }
        }
    }
}

fn csrf_field(session: &Session) -> Markup {
    m! { input type="hidden" name="csrf" value=(session.csrf); }
}

/// A read-only field with a copy button (shown by the script; the field can be selected
/// and copied without it).
fn copy_field(id: &str, label: &str, value: &str) -> Markup {
    m! {
        label for=(id) { (label) }
        div.copyrow {
            input type="text" id=(id) value=(value) readonly spellcheck="false";
            button type="button" data-copy=(id) hidden aria-label={ "Copy the " (label) } { "Copy" }
        }
    }
}

async fn tenant(app: &Admin, session: &Session, id: &str) -> Result<TenantInfo> {
    let tenants = app.creds.tenants().await.map_err(|e| unavailable(Some(session), "listing tenants", &e))?;
    tenants
        .into_iter()
        .find(|t| t.id.as_str() == id)
        .ok_or_else(|| error_page(session, StatusCode::NOT_FOUND, "There is no such tenant."))
}

// ---- sign-in ----------------------------------------------------------------------------

fn login_page(nonce: &str, notice: Option<(&str, bool)>) -> Markup {
    let body = m! {
        div.login {
            @if let Some((text, error)) = notice {
                p class={ "notice" @if error { " error" } } role=(if error { "alert" } else { "status" }) { (text) }
            }
            form method="post" action="/admin/login" {
                input type="hidden" name="csrf" value=(nonce);
                label for="password" { "Admin password" }
                input type="password" id="password" name="password" autocomplete="current-password" required autofocus;
                p { button.primary type="submit" { "Sign in" } }
            }
        }
    };
    layout("Sign in", None, &body)
}

fn sign_in_off() -> Response {
    let body = m! {
        p.notice { "Sign-in is off: no admin password is set." }
        p { "Set one on the server with " code { "scim-example-server admin set-password" } " (it reads the password from standard input), then reload this page." }
    };
    html(StatusCode::FORBIDDEN, layout("Sign-in is off", None, &body))
}

fn with_login_cookie(app: &Admin, nonce: &str, mut response: Response) -> Response {
    let value = format!("{LOGIN_COOKIE}={nonce}{}", app.cookie_attributes(3600));
    if let Ok(v) = value.parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    response
}

/// `GET /admin/login`.
pub(super) async fn login_form(
    State(app): App,
    headers: HeaderMap,
    Query(q): Query<HashMap<String, String>>,
) -> Response {
    match app.creds.admin_password_hash().await {
        Ok(Some(_)) => {}
        Ok(None) => return sign_in_off(),
        Err(e) => return unavailable(None, "reading the admin password", &e),
    }
    if app.session(&headers).is_ok() {
        return Redirect::to("/admin").into_response();
    }
    let nonce = random_hex();
    let notice = q.contains_key("expired").then_some(("Your session has expired; sign in again.", false));
    with_login_cookie(&app, &nonce, html(StatusCode::OK, login_page(&nonce, notice)))
}

/// `POST /admin/login`.
pub(super) async fn login(State(app): App, headers: HeaderMap, axum::Form(form): Form) -> Response {
    let nonce = cookie(&headers, LOGIN_COOKIE).unwrap_or_default().to_owned();
    if !form.get("csrf").is_some_and(|c| same_secret(c, &nonce)) {
        return forbidden();
    }
    let phc = match app.creds.admin_password_hash().await {
        Ok(Some(phc)) => phc,
        Ok(None) => return sign_in_off(),
        Err(e) => return unavailable(None, "reading the admin password", &e),
    };
    let password = form.get("password").cloned().unwrap_or_default();
    let ok = tokio::task::spawn_blocking(move || verify_password(&phc, &password)).await.unwrap_or(false);
    if !ok {
        let delay = app.failure_delay();
        tracing::warn!(delay_secs = delay.as_secs(), "admin console: failed sign-in");
        tokio::time::sleep(delay).await;
        let page = login_page(&nonce, Some(("Wrong password.", true)));
        return html(StatusCode::UNAUTHORIZED, page);
    }
    let Some(set_cookie) = app.start_session() else {
        return unavailable(None, "starting a session", &"no random source");
    };
    tracing::info!("admin console: signed in");
    let mut response = Redirect::to("/admin").into_response();
    let headers = response.headers_mut();
    if let Ok(v) = set_cookie.parse() {
        headers.append(header::SET_COOKIE, v);
    }
    if let Ok(v) = format!("{LOGIN_COOKIE}={}", app.cookie_attributes(0)).parse() {
        headers.append(header::SET_COOKIE, v);
    }
    response
}

/// `POST /admin/logout`.
pub(super) async fn logout(State(app): App, headers: HeaderMap, axum::Form(form): Form) -> Result {
    app.session_for_post(&headers, &form)?;
    app.end_session(&headers);
    let mut response = Redirect::to("/admin/login").into_response();
    if let Ok(v) = format!("{}={}", super::SESSION_COOKIE, app.cookie_attributes(0)).parse() {
        response.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(response)
}

// ---- tenants ----------------------------------------------------------------------------

/// `GET /admin`: the tenants.
pub(super) async fn tenants(State(app): App, headers: HeaderMap) -> Result {
    let session = app.session(&headers)?;
    let tenants = app.creds.tenants().await.map_err(|e| unavailable(Some(&session), "listing tenants", &e))?;
    let body = m! {
        p.muted { "Each tenant is one customer organisation, with its own Tenant URL, tokens, users and groups." }
        table {
            caption.muted { (tenants.len()) " tenant(s)" }
            thead { tr {
                th scope="col" { "Name" } th scope="col" { "Tenant id" } th scope="col" { "Created" }
                th scope="col" { "Profile" } th scope="col" { "userName taken" }
            } }
            tbody {
                @for t in &tenants {
                    tr {
                        td { a href={ "/admin/t/" (t.id.as_str()) } { (tenant_title(t)) } }
                        td.mono { (t.id.as_str()) }
                        td { (t.created_at) }
                        td.mono { (t.settings.profile) }
                        td.mono { (t.settings.user_conflict) }
                    }
                }
            }
        }
        section.card {
            h2 { "Create a tenant" }
            form method="post" action="/admin/tenants" {
                (csrf_field(&session))
                label for="tenant-name" { "Name" }
                input type="text" id="tenant-name" name="name" maxlength="200" required;
                " "
                button.primary type="submit" { "Create tenant" }
            }
        }
    };
    Ok(html(StatusCode::OK, layout("Tenants", Some(&session), &body)))
}

/// `POST /admin/tenants`.
pub(super) async fn create_tenant(State(app): App, headers: HeaderMap, axum::Form(form): Form) -> Result {
    let session = app.session_for_post(&headers, &form)?;
    let name = form.get("name").map(|n| n.trim()).filter(|n| !n.is_empty());
    if name.is_some_and(|n| n.chars().count() > 200) {
        return Err(error_page(&session, StatusCode::BAD_REQUEST, "A tenant name has at most 200 characters."));
    }
    let tenant =
        app.creds.create_tenant(name).await.map_err(|e| unavailable(Some(&session), "creating a tenant", &e))?;
    tracing::info!(tenant = %tenant.id, "admin console: tenant created");
    Ok(Redirect::to(&format!("/admin/t/{}", tenant.id.as_str())).into_response())
}

// ---- user provisioning (credentials, tokens) --------------------------------------------

/// A secret shown once, after **Get credentials** or a rotation.
struct NewSecret {
    secret: String,
    rotated_from: Option<String>,
}

async fn provisioning_page(
    app: &Admin,
    session: &Session,
    tenant: &TenantInfo,
    new_secret: Option<NewSecret>,
    notice: Option<&str>,
) -> Result {
    let tokens =
        app.creds.list_tokens(Some(&tenant.id)).await.map_err(|e| unavailable(Some(session), "listing tokens", &e))?;
    let url = tenant_url(&app.config.origin, &tenant.id);
    let base = format!("/admin/t/{}", tenant.id.as_str());
    let body = m! {
        (tabs(&tenant.id, "provisioning"))
        @if let Some(text) = notice { p.notice.ok role="status" { (text) } }
        @if let Some(new) = &new_secret {
            section.card.secret aria-labelledby="new-credentials" {
                h2 #new-credentials { "Your credentials" }
                p { strong { "Copy the Secret Token now: it is shown only once." } " The server keeps only a hash of it." }
                (copy_field("tenant-url-new", "Tenant URL", &url))
                (copy_field("secret-token", "Secret Token", &new.secret))
                @if let Some(old) = &new.rotated_from {
                    p { "The token it replaces (" code { (old) } ") keeps working until you revoke it: put the new Secret Token into the identity provider, test the connection, then revoke the old one below." }
                }
            }
        }
        section.card {
            h2 { "Connect an identity provider" }
            (copy_field("tenant-url", "Tenant URL", &url))
            form method="post" action={ (base) "/credentials" } {
                (csrf_field(session))
                label for="label" { "Label for the new token" }
                input type="text" id="label" name="label" value="Entra ID" maxlength="100";
                " "
                button.primary type="submit" { "Get credentials" }
            }
            h3 { "Microsoft Entra ID" }
            ol {
                li { "In the Entra admin center, open " em { "Enterprise applications" } ", your application, then " em { "Provisioning" } "." }
                li { "Set " em { "Provisioning Mode" } " to " em { "Automatic" } "." }
                li { "Under " em { "Admin Credentials" } ", paste the Tenant URL and the Secret Token, then press " em { "Test Connection" } " and " em { "Save" } "." }
                li { "Assign users and groups, and turn " em { "Provisioning Status" } " on." }
            }
            h3 { "Okta" }
            ol {
                li { "In the Okta admin console, open your application; on " em { "General" } ", enable SCIM provisioning." }
                li { "On " em { "Provisioning > Integration" } ": " em { "SCIM connector base URL" } " = the Tenant URL, " em { "Unique identifier field for users" } " = " code { "userName" } "." }
                li { em { "Authentication Mode" } " = " em { "HTTP Header" } ", " em { "Authorization" } " = the Secret Token; " em { "Test Connector Configuration" } ", then save." }
                li { "On " em { "Provisioning > To App" } ", enable Create, Update and Deactivate Users." }
            }
        }
        section.card {
            h2 { "Tokens" }
            (token_table(session, &base, &tokens))
        }
    };
    let mut response =
        html(StatusCode::OK, layout(&format!("User provisioning: {}", tenant_title(tenant)), Some(session), &body));
    if new_secret.is_some() {
        response.headers_mut().insert(header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    }
    Ok(response)
}

fn token_table(session: &Session, base: &str, tokens: &[TokenInfo]) -> Markup {
    m! {
        table {
            thead { tr {
                th scope="col" { "Label" } th scope="col" { "Token id" } th scope="col" { "Created" }
                th scope="col" { "Last used" } th scope="col" { "State" } th scope="col" { "Actions" }
            } }
            tbody {
                @for t in tokens {
                    tr {
                        td { (t.label.as_deref().unwrap_or("—")) }
                        td.mono { (t.id) }
                        td { (t.created_at) }
                        td { (t.last_used_at.as_deref().unwrap_or("never")) }
                        td {
                            @if let Some(at) = &t.revoked_at { "revoked " (at) }
                            @else if let Some(at) = &t.expires_at { "expires " (at) }
                            @else { "active" }
                        }
                        td {
                            @if t.revoked_at.is_none() {
                                form.inline method="post" action={ (base) "/tokens/" (t.id) "/rotate" } {
                                    (csrf_field(session))
                                    button type="submit" aria-label={ "Rotate token " (t.id) } { "Rotate" }
                                }
                                " "
                                form.inline method="post" action={ (base) "/tokens/" (t.id) "/revoke" } data-confirm="Revoke this token? Clients using it are refused at once." {
                                    (csrf_field(session))
                                    button.danger type="submit" aria-label={ "Revoke token " (t.id) } { "Revoke" }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

/// `GET /admin/t/{tenant}`: the tenant's *User provisioning* page.
pub(super) async fn provisioning(State(app): App, headers: HeaderMap, Path(id): Path<String>) -> Result {
    let session = app.session(&headers)?;
    let tenant = tenant(&app, &session, &id).await?;
    provisioning_page(&app, &session, &tenant, None, None).await
}

fn label_of(form: &HashMap<String, String>) -> Option<String> {
    form.get("label").map(|l| l.trim().chars().take(100).collect::<String>()).filter(|l| !l.is_empty())
}

/// `POST /admin/t/{tenant}/credentials`: **Get credentials** (a new token, shown once).
pub(super) async fn get_credentials(
    State(app): App,
    headers: HeaderMap,
    Path(id): Path<String>,
    axum::Form(form): Form,
) -> Result {
    let session = app.session_for_post(&headers, &form)?;
    let tenant = tenant(&app, &session, &id).await?;
    let label = label_of(&form);
    let issued = app
        .creds
        .issue_token(&tenant.id, label.as_deref())
        .await
        .map_err(|e| unavailable(Some(&session), "issuing a token", &e))?;
    tracing::info!(tenant = %tenant.id, token_id = %issued.id, "admin console: token issued");
    provisioning_page(&app, &session, &tenant, Some(NewSecret { secret: issued.secret, rotated_from: None }), None)
        .await
}

async fn tenant_token(app: &Admin, session: &Session, tenant: &TenantInfo, token: &str) -> Result<TokenInfo> {
    let tokens =
        app.creds.list_tokens(Some(&tenant.id)).await.map_err(|e| unavailable(Some(session), "listing tokens", &e))?;
    tokens
        .into_iter()
        .find(|t| t.id == token)
        .ok_or_else(|| error_page(session, StatusCode::NOT_FOUND, "This tenant has no such token."))
}

/// `POST /admin/t/{tenant}/tokens/{token}/revoke`.
pub(super) async fn revoke_token(
    State(app): App,
    headers: HeaderMap,
    Path((id, token)): Path<(String, String)>,
    axum::Form(form): Form,
) -> Result {
    let session = app.session_for_post(&headers, &form)?;
    let tenant = tenant(&app, &session, &id).await?;
    let token = tenant_token(&app, &session, &tenant, &token).await?;
    let revoked = app.creds.revoke(&token.id).await.map_err(|e| unavailable(Some(&session), "revoking", &e))?;
    tracing::info!(tenant = %tenant.id, token_id = %token.id, revoked, "admin console: token revoked");
    let notice = format!("Token {} is revoked: requests with it are refused.", token.id);
    provisioning_page(&app, &session, &tenant, None, Some(&notice)).await
}

/// `POST /admin/t/{tenant}/tokens/{token}/rotate`: a new token with the same label; the old
/// one keeps working until revoked (the overlap while the identity provider is updated).
pub(super) async fn rotate_token(
    State(app): App,
    headers: HeaderMap,
    Path((id, token)): Path<(String, String)>,
    axum::Form(form): Form,
) -> Result {
    let session = app.session_for_post(&headers, &form)?;
    let tenant = tenant(&app, &session, &id).await?;
    let old = tenant_token(&app, &session, &tenant, &token).await?;
    if old.revoked_at.is_some() {
        return Err(error_page(&session, StatusCode::CONFLICT, "This token is revoked already."));
    }
    let issued = app
        .creds
        .issue_token(&tenant.id, old.label.as_deref())
        .await
        .map_err(|e| unavailable(Some(&session), "issuing a token", &e))?;
    tracing::info!(tenant = %tenant.id, token_id = %issued.id, replaces = %old.id, "admin console: token rotated");
    let new = NewSecret { secret: issued.secret, rotated_from: Some(old.id) };
    provisioning_page(&app, &session, &tenant, Some(new), None).await
}

// ---- users ------------------------------------------------------------------------------

/// A filter value as a SCIM string literal.
fn scim_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// How many users a page of the console lists at most.
const USERS_PER_PAGE: i64 = 200;

/// `GET /admin/t/{tenant}/users?state=…&q=…`.
pub(super) async fn users(
    State(app): App,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<HashMap<String, String>>,
) -> Result {
    let session = app.session(&headers)?;
    let tenant = tenant(&app, &session, &id).await?;
    let state = q.get("state").map(String::as_str).filter(|s| ["pending", "active", "suspended"].contains(s));
    let search =
        q.get("q").map(|s| s.trim()).filter(|s| !s.is_empty()).map(|s| s.chars().take(200).collect::<String>());
    let page_number = q.get("page").and_then(|p| p.parse::<i64>().ok()).filter(|p| *p >= 1).unwrap_or(1).min(1_000_000);
    // The state and the search are both the store's filter, so a page holds only matching users.
    let mut terms = Vec::new();
    if let Some(s) = state {
        terms.push(format!("{}:status eq {}", scim_core::urn::LIFECYCLE_USER, scim_string(s)));
    }
    if let Some(s) = &search {
        terms.push(format!("userName co {}", scim_string(s)));
    }
    let mut request = ListRequest::new()
        .with_count(USERS_PER_PAGE)
        .with_start_index((page_number - 1) * USERS_PER_PAGE + 1)
        .with_sort("userName", "ascending");
    if !terms.is_empty() {
        request = request.with_filter(terms.join(" and "));
    }
    let (page, error) = match app.provisioning.list_users(&tenant.id, &request).await {
        Ok(page) => (Some(page), None),
        Err(e) => (None, Some(e.detail().to_owned())),
    };
    let now = app.provisioning.clock().now();
    let users: Vec<&User> = page.as_ref().map(|p| p.items.iter().collect()).unwrap_or_default();
    let total = page.as_ref().map_or(0, |p| p.total_results);
    let shown_to = (page_number - 1) * USERS_PER_PAGE + i64::try_from(users.len()).unwrap_or(0);
    let more = i64::try_from(total).unwrap_or(i64::MAX) > shown_to;
    let link = |n: i64| {
        let mut query = format!("page={n}");
        if let Some(s) = state {
            query.push_str(&format!("&state={s}"));
        }
        if let Some(s) = &search {
            query.push_str(&format!("&q={}", url_component(s)));
        }
        query
    };
    let base = format!("/admin/t/{}", tenant.id.as_str());
    let body = m! {
        (tabs(&tenant.id, "users"))
        form.filters method="get" action={ (base) "/users" } role="search" {
            div {
                label for="state" { "State" }
                select id="state" name="state" {
                    @for (value, text) in [("", "All"), ("pending", "Pending"), ("active", "Active"), ("suspended", "Suspended")] {
                        @if state.unwrap_or("") == value { option value=(value) selected { (text) } } @else { option value=(value) { (text) } }
                    }
                }
            }
            div {
                label for="q" { "userName contains" }
                input type="search" id="q" name="q" value=(search.as_deref().unwrap_or(""));
            }
            div { button type="submit" { "Filter" } }
        }
        @if let Some(e) = &error { p.notice.error role="alert" { (e) } }
        table {
            caption.muted {
                @if users.is_empty() { "No users." }
                @else { "Users " ((page_number - 1) * USERS_PER_PAGE + 1) "–" (shown_to) " of " (total) ", by userName" }
            }
            thead { tr {
                th scope="col" { "userName" } th scope="col" { "Name" } th scope="col" { "State" }
                th scope="col" { "Suspended at" } th scope="col" { "Days until purge" }
            } }
            tbody {
                @for u in &users {
                    @let lc = u.lifecycle();
                    tr {
                        td { a href={ (base) "/users/" (u.id().unwrap_or_default()) } { (u.user_name().unwrap_or("(no userName)")) } }
                        td { (u.display_name().unwrap_or("")) }
                        td { (state_badge(lc.status)) }
                        td { @if lc.status == UserStatus::Suspended { (time(lc.suspended_at)) } }
                        td.num { @if let (UserStatus::Suspended, Some(at)) = (lc.status, lc.purge_at) { (days_until(at, now)) } }
                    }
                }
            }
        }
        @if page_number > 1 || more {
            nav.pager aria-label="Pages of users" {
                @if page_number > 1 { a href={ (base) "/users?" (link(page_number - 1)) } rel="prev" { "← Previous" } " " }
                @if more { a href={ (base) "/users?" (link(page_number + 1)) } rel="next" { "Next →" } }
            }
        }
    };
    Ok(html(StatusCode::OK, layout(&format!("Users: {}", tenant_title(&tenant)), Some(&session), &body)))
}

/// `s` percent-encoded for a query string.
fn url_component(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// A JSON value as short text.
fn value_text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn actor_text(actor: &Actor) -> String {
    match actor {
        Actor::Token { id, label } => match (label, id) {
            (Some(l), Some(i)) => format!("identity provider ({l}, {i})"),
            (Some(l), None) => format!("identity provider ({l})"),
            (None, Some(i)) => format!("identity provider ({i})"),
            (None, None) => "identity provider".to_owned(),
        },
        Actor::Host { name } => format!("admin ({})", name.as_deref().unwrap_or("host")),
        Actor::System => "system (purge)".to_owned(),
        _ => "other".to_owned(),
    }
}

fn record_summary(r: &AuditRecord) -> Markup {
    m! {
        @if let Some(t) = &r.transition {
            div { "lifecycle: " (t.from.map_or("—", UserStatus::as_str)) " → " (t.to.map_or("—", UserStatus::as_str)) }
        }
        @for c in &r.changes {
            div { code { (c.attribute) } ": " (c.old.as_ref().map(value_text).unwrap_or_default()) " → " (c.new.as_ref().map(value_text).unwrap_or_default()) }
        }
        @if let Some(d) = &r.detail { div { (r.scim_type.as_deref().unwrap_or("")) " " (d) } }
    }
}

fn audit_table(records: &[AuditRecord], with_resource: bool) -> Markup {
    m! {
        table {
            thead { tr {
                th scope="col" { "Time" } th scope="col" { "Who" } th scope="col" { "Request" }
                @if with_resource { th scope="col" { "Resource" } }
                th scope="col" { "Status" } th scope="col" { "What" }
            } }
            tbody {
                @for r in records {
                    tr {
                        td.time { (time(Some(r.time))) }
                        td { (actor_text(&r.actor)) @if let Some(c) = &r.client { div.muted { (c) } } }
                        td { (r.method.as_deref().unwrap_or("")) " " (r.operation.as_str()) }
                        @if with_resource {
                            td { (r.resource_type.name()) " " (r.name.as_deref().or(r.resource_id.as_deref()).unwrap_or("")) }
                        }
                        td.num { (r.status) }
                        td { (record_summary(r)) }
                    }
                }
            }
        }
    }
}

async fn load_user(app: &Admin, session: &Session, tenant: &TenantInfo, id: &str) -> Result<User> {
    app.provisioning.get_user(&tenant.id, id).await.map_err(|e| scim_error(session, &e))
}

/// The attributes shown on a user's page (the lifecycle extension and `groups` have their own
/// sections).
fn attribute_rows(user: &User) -> Vec<(String, String)> {
    let mut rows = Vec::new();
    for (k, v) in user.as_object() {
        if matches!(k.as_str(), "schemas" | "groups") || k == scim_core::urn::LIFECYCLE_USER {
            continue;
        }
        match v {
            Value::Object(map) => {
                for (sub, sv) in map {
                    rows.push((format!("{k}.{sub}"), value_text(sv)));
                }
            }
            Value::Array(items) => {
                let texts: Vec<String> = items
                    .iter()
                    .map(|i| match i {
                        Value::Object(o) => o.get("value").map_or_else(|| i.to_string(), value_text),
                        other => value_text(other),
                    })
                    .collect();
                rows.push((k.clone(), texts.join(", ")));
            }
            other => rows.push((k.clone(), value_text(other))),
        }
    }
    rows
}

fn user_page(
    app: &Admin,
    session: &Session,
    tenant: &TenantInfo,
    user: &User,
    trail: &[AuditRecord],
    notice: Option<&str>,
) -> Response {
    let lc = user.lifecycle();
    let now = app.provisioning.clock().now();
    let base = format!("/admin/t/{}/users/{}", tenant.id.as_str(), user.id().unwrap_or_default());
    let groups: Vec<(String, String)> = user
        .as_object()
        .get("groups")
        .and_then(Value::as_array)
        .map(|gs| {
            gs.iter()
                .map(|g| {
                    let id = g.get("value").map(value_text).unwrap_or_default();
                    (g.get("display").map_or_else(|| id.clone(), value_text), id)
                })
                .collect()
        })
        .unwrap_or_default();
    let days = days_until(now + app.config.retention, now);
    let body = m! {
        (tabs(&tenant.id, "users"))
        @if let Some(text) = notice { p.notice.ok role="status" { (text) } }
        section.card {
            h2 { "Lifecycle" }
            dl.attrs {
                dt { "State" } dd { (state_badge(lc.status)) }
                dt { "Invited" } dd { (time(lc.invited_at)) }
                dt { "Activated" } dd { (time(lc.activated_at)) }
                @if lc.status == UserStatus::Suspended {
                    dt { "Suspended" } dd { (time(lc.suspended_at)) }
                    dt { "Purged" } dd { (time(lc.purge_at)) @if let Some(at) = lc.purge_at { " (" strong { (days_until(at, now)) " days left" } ")" } }
                }
            }
            div.actions {
                @if lc.status == UserStatus::Suspended {
                    form method="post" action={ (base) "/restore" } {
                        (csrf_field(session))
                        button.primary type="submit" { "Restore" }
                    }
                }
                @if lc.status == UserStatus::Pending {
                    form method="post" action={ (base) "/resend" } {
                        (csrf_field(session))
                        button type="submit" { "Resend invitation" }
                    }
                }
                form method="post" action={ (base) "/delete" } data-confirm="Delete this user for good? This cannot be undone." {
                    (csrf_field(session))
                    button.danger type="submit" { "Delete now" }
                }
            }
            p.muted {
                "Restore brings a suspended user back with every attribute, as " code { "active: true" } " from the identity provider would. "
                "Delete now removes the user at once, for good. A suspended user is purged " (days) " days after the suspension."
            }
        }
        section.card {
            h2 { "Attributes" }
            dl.attrs {
                @for (k, v) in attribute_rows(user) { dt { (k) } dd { (v) } }
            }
        }
        section.card {
            h2 { "Groups" }
            @if groups.is_empty() { p.muted { "In no group." } }
            @else { ul { @for (name, id) in &groups { li { (name) " " span.muted.mono { (id) } } } } }
        }
        section.card {
            h2 { "Audit trail" }
            @if trail.is_empty() { p.muted { "No audit records (the audit log may be off)." } }
            @else { (audit_table(trail, false)) }
        }
    };
    let title = format!("User: {}", user.user_name().unwrap_or_default());
    html(StatusCode::OK, layout(&title, Some(session), &body))
}

async fn trail(app: &Admin, tenant: &TenantId, id: &str) -> Vec<AuditRecord> {
    match app.provisioning.audit_records(tenant, &AuditQuery::new().with_resource(id).with_limit(100)).await {
        Ok(page) => page.records,
        Err(e) => {
            tracing::warn!(error = %e, "admin console: reading the audit log");
            Vec::new()
        }
    }
}

/// `GET /admin/t/{tenant}/users/{id}`.
pub(super) async fn user(State(app): App, headers: HeaderMap, Path((tid, id)): Path<(String, String)>) -> Result {
    let session = app.session(&headers)?;
    let tenant = tenant(&app, &session, &tid).await?;
    let user = load_user(&app, &session, &tenant, &id).await?;
    let trail = trail(&app, &tenant.id, &id).await;
    Ok(user_page(&app, &session, &tenant, &user, &trail, None))
}

/// The provisioning service acting as the console's admin (the audit log's actor).
fn as_admin(app: &Admin) -> scim_core::Provisioning {
    app.provisioning.acting_as(AuditContext {
        actor: Actor::Host { name: Some(ADMIN_NAME.to_owned()) },
        client: Some("admin console".to_owned()),
        request_id: None,
        method: Some("POST".to_owned()),
    })
}

/// `POST /admin/t/{tenant}/users/{id}/restore`: `active: true`, as the identity provider would
/// send, with the admin as actor.
pub(super) async fn restore_user(
    State(app): App,
    headers: HeaderMap,
    Path((tid, id)): Path<(String, String)>,
    axum::Form(form): Form,
) -> Result {
    let session = app.session_for_post(&headers, &form)?;
    let tenant = tenant(&app, &session, &tid).await?;
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{ "op": "replace", "path": "active", "value": true }]
    });
    let user = as_admin(&app).patch_user(&tenant.id, &id, &patch, None).await.map_err(|e| scim_error(&session, &e))?;
    tracing::info!(tenant = %tenant.id, user_id = %id, "admin console: user restored");
    let trail = trail(&app, &tenant.id, &id).await;
    Ok(user_page(&app, &session, &tenant, &user, &trail, Some("Restored: the user is back with all their attributes.")))
}

/// `POST /admin/t/{tenant}/users/{id}/delete`: the hard delete.
pub(super) async fn delete_user(
    State(app): App,
    headers: HeaderMap,
    Path((tid, id)): Path<(String, String)>,
    axum::Form(form): Form,
) -> Result {
    let session = app.session_for_post(&headers, &form)?;
    let tenant = tenant(&app, &session, &tid).await?;
    as_admin(&app).delete_user(&tenant.id, &id, None).await.map_err(|e| scim_error(&session, &e))?;
    tracing::info!(tenant = %tenant.id, user_id = %id, "admin console: user deleted");
    Ok(Redirect::to(&format!("/admin/t/{}/users", tenant.id.as_str())).into_response())
}

/// `POST /admin/t/{tenant}/users/{id}/resend`: queues the invitation again (pending users).
pub(super) async fn resend_invitation(
    State(app): App,
    headers: HeaderMap,
    Path((tid, id)): Path<(String, String)>,
    axum::Form(form): Form,
) -> Result {
    let session = app.session_for_post(&headers, &form)?;
    let tenant = tenant(&app, &session, &tid).await?;
    let user = load_user(&app, &session, &tenant, &id).await?;
    if user.lifecycle().status != UserStatus::Pending {
        return Err(error_page(&session, StatusCode::CONFLICT, "Only a pending user has an invitation to resend."));
    }
    let queued = app.outbox.as_ref().is_some_and(|o| o.queue_invitation(&tenant.id, &user));
    if !queued {
        return Err(error_page(&session, StatusCode::SERVICE_UNAVAILABLE, "The invitation outbox is not running."));
    }
    let trail = trail(&app, &tenant.id, &id).await;
    Ok(user_page(&app, &session, &tenant, &user, &trail, Some("The invitation is queued again.")))
}

// ---- groups and activity ----------------------------------------------------------------

/// `GET /admin/t/{tenant}/groups`.
pub(super) async fn groups(State(app): App, headers: HeaderMap, Path(id): Path<String>) -> Result {
    let session = app.session(&headers)?;
    let tenant = tenant(&app, &session, &id).await?;
    let request =
        ListRequest::new().with_count(USERS_PER_PAGE).with_sort("displayName", "ascending").with_members(true);
    let page = app.provisioning.list_groups(&tenant.id, &request).await.map_err(|e| scim_error(&session, &e))?;
    let base = format!("/admin/t/{}", tenant.id.as_str());
    let body = m! {
        (tabs(&tenant.id, "groups"))
        table {
            caption.muted { (page.total_results) " group(s)" }
            thead { tr { th scope="col" { "Name" } th scope="col" { "Members" } th scope="col" { "Group id" } } }
            tbody {
                @for g in &page.items {
                    @let members: Vec<&Value> = g.as_object().get("members").and_then(Value::as_array).map(|a| a.iter().collect()).unwrap_or_default();
                    tr {
                        td { (g.display_name().unwrap_or("")) }
                        td {
                            (members.len()) ": "
                            @for (i, mem) in members.iter().enumerate() {
                                @let mid = mem.get("value").map(value_text).unwrap_or_default();
                                @if i > 0 { ", " }
                                a href={ (base) "/users/" (mid) } { (mem.get("display").map_or_else(|| mid.clone(), value_text)) }
                            }
                        }
                        td.mono { (g.id().unwrap_or("")) }
                    }
                }
            }
        }
    };
    Ok(html(StatusCode::OK, layout(&format!("Groups: {}", tenant_title(&tenant)), Some(&session), &body)))
}

/// `GET /admin/t/{tenant}/activity`: the latest refused requests, then the latest changes.
pub(super) async fn activity(State(app): App, headers: HeaderMap, Path(id): Path<String>) -> Result {
    let session = app.session(&headers)?;
    let tenant = tenant(&app, &session, &id).await?;
    let read = |outcome| {
        let query = AuditQuery::new().with_outcome(outcome).with_limit(50);
        let app = app.clone();
        let tenant = tenant.id.clone();
        async move { app.provisioning.audit_records(&tenant, &query).await.map(|p| p.records) }
    };
    let failures = read(AuditOutcome::Failure).await.map_err(|e| scim_error(&session, &e))?;
    let successes = read(AuditOutcome::Success).await.map_err(|e| scim_error(&session, &e))?;
    let body = m! {
        (tabs(&tenant.id, "activity"))
        @if !app.provisioning.audits() { p.notice { "The audit log is off (--no-audit): nothing is recorded." } }
        h2 { "Refused requests" }
        @if failures.is_empty() { p.muted { "None." } } @else { (audit_table(&failures, true)) }
        h2 { "Latest changes" }
        @if successes.is_empty() { p.muted { "None yet." } } @else { (audit_table(&successes, true)) }
    };
    Ok(html(
        StatusCode::OK,
        layout(&format!("Provisioning activity: {}", tenant_title(&tenant)), Some(&session), &body),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_filter_values() {
        assert_eq!(scim_string(r#"a"b\c"#), r#""a\"b\\c""#);
    }

    #[test]
    fn counts_days_up() {
        let now = Utc::now();
        assert_eq!(days_until(now + chrono::Duration::days(30), now), 30);
        assert_eq!(days_until(now + chrono::Duration::days(30) - chrono::Duration::seconds(5), now), 30);
        assert_eq!(days_until(now - chrono::Duration::days(1), now), 0);
    }
}
