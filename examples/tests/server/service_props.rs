//! Property test of the whole protocol service: sequences of generated requests (valid, nearly
//! valid and hostile: methods, paths, queries, headers and bodies) against `ScimService` on the
//! memory and SQLite stores. Whatever arrives, the service must answer without panicking, never
//! with a server error (`5xx` other than `501` for the endpoints it does not implement), with a
//! well-formed SCIM error for every `4xx`, and it must leave the stored data consistent.

use crate::tokens;

use axum::http::{Method, Request, Response, StatusCode};
use proptest::prelude::*;
use scim_core::{GroupStore, Provisioning, ScimService, UserStore};
use scim_store_memory::MemoryUserStore;
use scim_store_sqlite::SqliteUserStore;
use serde_json::{Map, Value, json};
use std::collections::HashSet;
use std::sync::Arc;
use tokens::Tokens;

/// Which resource an id slot refers to: one the sequence created earlier, or a made-up one.
#[derive(Debug, Clone)]
enum Target {
    /// The `n`th user created so far (modulo how many there are).
    User(usize),
    Group(usize),
    /// An id no resource has.
    Unknown(String),
}

#[derive(Debug, Clone)]
struct Req {
    method: Method,
    /// A path template: `{id}` is replaced by the target's id.
    path: String,
    target: Target,
    query: Vec<(String, String)>,
    content_type: Option<&'static str>,
    if_match: Option<String>,
    /// The token: tenant A's (the default), tenant B's, a wrong one, or none.
    token: Option<&'static str>,
    body: Body,
}

#[derive(Debug, Clone)]
enum Body {
    None,
    Json(Value),
    /// Bytes that need not be JSON at all.
    Raw(Vec<u8>),
}

const ATTRS: &[&str] = &[
    "userName",
    "displayName",
    "externalId",
    "active",
    "title",
    "name",
    "name.givenName",
    "name.familyName",
    "emails",
    "emails.value",
    "emails.type",
    "emails.primary",
    "phoneNumbers",
    "members",
    "members.value",
    "groups",
    "meta",
    "meta.lastModified",
    "meta.created",
    "id",
    "password",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager",
    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    "nosuch",
    "emails[type eq \"work\"]",
    "emails[type eq \"work\"].value",
    "members[value eq \"x\"]",
    "",
    "a.b.c.d",
];

fn attr() -> impl Strategy<Value = String> {
    prop_oneof![4 => proptest::sample::select(ATTRS).prop_map(str::to_owned), 1 => "[ -~]{0,12}"]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        (-1e12f64..1e12).prop_map(|f| json!(f)),
        proptest::sample::select(
            &["work", "home", "True", "False", "x@example.com", "Alice", "", "2024-01-01T00:00:00Z"][..]
        )
        .prop_map(|s| json!(s)),
        // Replaced by the id of a user the sequence created (see `Known::fill`).
        (0usize..8).prop_map(|n| json!(format!("{{user{n}}}"))),
        "\\PC{0,16}".prop_map(Value::String),
    ]
}

/// JSON shaped like SCIM resources: objects keyed by attribute names (and some others).
fn scim_json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 24, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec((attr(), inner), 0..6).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

fn user_body() -> impl Strategy<Value = Value> {
    (
        prop_oneof![3 => "[a-z]{1,6}(@example\\.com)?".prop_map(Value::String), 1 => scalar()],
        proptest::option::of(prop_oneof![3 => any::<bool>().prop_map(Value::Bool), 1 => scalar()]),
        proptest::option::of(scim_json()),
        proptest::collection::vec((attr(), scim_json()), 0..3),
    )
        .prop_map(|(name, active, emails, extra)| {
            let mut o = Map::new();
            o.insert("schemas".into(), json!(["urn:ietf:params:scim:schemas:core:2.0:User"]));
            o.insert("userName".into(), name);
            if let Some(a) = active {
                o.insert("active".into(), a);
            }
            if let Some(e) = emails {
                o.insert("emails".into(), e);
            }
            for (k, v) in extra {
                o.insert(k, v);
            }
            Value::Object(o)
        })
}

fn group_body() -> impl Strategy<Value = Value> {
    (
        prop_oneof![3 => "[A-Z][a-z]{0,6}".prop_map(Value::String), 1 => scalar()],
        proptest::option::of(proptest::collection::vec(
            prop_oneof![
                4 => (0usize..8).prop_map(|n| json!({"value": format!("{{user{n}}}")})),
                1 => Just(json!({"value": "x"})),
                1 => scim_json(),
            ],
            0..4,
        )),
    )
        .prop_map(|(name, members)| {
            let mut o = Map::new();
            o.insert("schemas".into(), json!(["urn:ietf:params:scim:schemas:core:2.0:Group"]));
            o.insert("displayName".into(), name);
            if let Some(m) = members {
                o.insert("members".into(), Value::Array(m));
            }
            Value::Object(o)
        })
}

fn name() -> impl Strategy<Value = Value> {
    prop_oneof![4 => "[A-Za-z][a-z]{0,6}".prop_map(Value::String), 1 => scalar()]
}

/// A PATCH target and a value of the kind it takes (or, now and then, of any kind).
fn path_and_value() -> impl Strategy<Value = (Option<String>, Option<Value>)> {
    let some = |p: &str| Some(p.to_owned());
    let typed = prop_oneof![
        prop_oneof![any::<bool>().prop_map(Value::Bool), Just(json!("True")), Just(json!("False"))]
            .prop_map(move |v| (some("active"), Some(v))),
        (
            proptest::sample::select(
                &["userName", "displayName", "title", "externalId", "name.givenName", "nickName"][..]
            ),
            name()
        )
            .prop_map(|(p, v)| (Some(p.to_owned()), Some(v))),
        (name(), name()).prop_map(move |(g, f)| (some("name"), Some(json!({"givenName": g, "familyName": f})))),
        (name(), any::<bool>())
            .prop_map(move |(v, p)| (some("emails"), Some(json!([{"value": v, "type": "work", "primary": p}])))),
        name().prop_map(move |v| (some("emails[type eq \"work\"].value"), Some(v))),
        Just((some("emails[type eq \"work\"]"), None)),
        (0usize..8).prop_map(move |n| (some("members"), Some(json!([{"value": format!("{{user{n}}}")}])))),
        (0usize..8).prop_map(move |n| (Some(format!("members[value eq \"{{user{n}}}\"]")), None)),
        name().prop_map(move |v| (
            some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber"),
            Some(v)
        )),
        (0usize..8).prop_map(move |n| (
            some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager"),
            Some(json!({"value": format!("{{user{n}}}")}))
        )),
        (any::<bool>(), name()).prop_map(|(a, d)| (None, Some(json!({"active": a, "displayName": d})))),
    ];
    let any_kind = (
        proptest::option::of(prop_oneof![attr().prop_map(Value::String), scalar()]),
        proptest::option::of(scim_json()),
    )
        .prop_map(|(p, v)| (p.map(|p| p.as_str().map_or_else(|| p.to_string(), str::to_owned)), v));
    prop_oneof![4 => typed, 1 => any_kind]
}

fn patch_body() -> impl Strategy<Value = Value> {
    let op = (
        prop_oneof![
            6 => proptest::sample::select(&["add", "replace", "remove", "Add", "Replace", "Remove"][..]).prop_map(|s| json!(s)),
            1 => scalar(),
        ],
        path_and_value(),
    )
        .prop_map(|(op, (path, value))| {
            let mut o = Map::new();
            o.insert("op".into(), op);
            if let Some(p) = path {
                o.insert("path".into(), Value::String(p));
            }
            if let Some(v) = value {
                o.insert("value".into(), v);
            }
            Value::Object(o)
        });
    prop_oneof![
        8 => proptest::collection::vec(op, 1..4).prop_map(|ops| json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": ops,
        })),
        1 => scim_json(),
    ]
}

/// Filters: mostly well-formed ones over the attributes above, some truncated or garbled.
fn filter() -> impl Strategy<Value = String> {
    let op = proptest::sample::select(&["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"][..]);
    let cmp = (attr(), op, scalar()).prop_map(|(a, o, v)| format!("{a} {o} {v}"));
    let leaf = prop_oneof![4 => cmp, 1 => attr().prop_map(|a| format!("{a} pr"))];
    let expr = leaf.prop_recursive(3, 12, 2, |inner| {
        prop_oneof![
            (inner.clone(), proptest::sample::select(&["and", "or"][..]), inner.clone())
                .prop_map(|(l, o, r)| format!("{l} {o} {r}")),
            inner.clone().prop_map(|e| format!("not ({e})")),
            (attr(), inner).prop_map(|(a, e)| format!("{a}[{e}]")),
        ]
    });
    prop_oneof![
        6 => expr,
        1 => (expr_cut(), 0usize..40).prop_map(|(s, n)| s.chars().take(n).collect()),
        1 => "[ -~]{0,24}",
        // Deep nesting, and past the length limit.
        1 => (0usize..400, proptest::sample::select(&["(", "not ("][..]))
            .prop_map(|(n, open)| format!("{}userName pr{}", open.repeat(n), ")".repeat(n))),
        1 => (0usize..400).prop_map(|n| format!("{}value pr{}", "emails[".repeat(n), "]".repeat(n))),
        1 => (150usize..400).prop_map(|n| vec!["userName eq \"x\""; n].join(" or ")),
    ]
}

fn expr_cut() -> impl Strategy<Value = String> {
    "(userName|emails\\[type|not \\(active) (eq|sw|pr) \"[a-z]{0,4}\"\\]? (and|or) .{0,6}"
}

/// `attributes` or `excludedAttributes` (any request that answers with a resource takes them).
fn projection_param() -> impl Strategy<Value = (String, String)> {
    prop_oneof![
        2 => proptest::collection::vec(attr(), 1..3).prop_map(|a| ("attributes".to_owned(), a.join(","))),
        1 => proptest::collection::vec(attr(), 1..3).prop_map(|a| ("excludedAttributes".to_owned(), a.join(","))),
    ]
}

fn projection() -> impl Strategy<Value = Vec<(String, String)>> {
    proptest::collection::vec(projection_param(), 0..2)
}

/// A list's query: filter, projection, sorting and paging, with some nonsense.
fn query() -> impl Strategy<Value = Vec<(String, String)>> {
    let number = prop_oneof![
        8 => (-3i64..12).prop_map(|n| n.to_string()),
        1 => Just("99999999999999999999".into()),
        1 => "[ -~]{0,4}",
    ];
    let param = prop_oneof![
        4 => filter().prop_map(|f| ("filter".to_owned(), f)),
        3 => projection_param(),
        2 => attr().prop_map(|a| ("sortBy".to_owned(), a)),
        1 => proptest::sample::select(&["ascending", "descending", "up", ""][..]).prop_map(|s| ("sortOrder".to_owned(), s.to_owned())),
        2 => number.clone().prop_map(|n| ("startIndex".to_owned(), n)),
        2 => number.prop_map(|n| ("count".to_owned(), n)),
        // RFC 9865: start a walk, or a cursor this service never issued.
        1 => prop_oneof![Just(String::new()), "[A-Za-z0-9_-]{1,60}", "[ -~]{0,8}"].prop_map(|c| ("cursor".to_owned(), c)),
        1 => ("[a-zA-Z]{1,8}", "[ -~]{0,8}"),
    ];
    proptest::collection::vec(param, 0..4)
}

fn target() -> impl Strategy<Value = Target> {
    prop_oneof![
        3 => (0usize..8).prop_map(Target::User),
        2 => (0usize..8).prop_map(Target::Group),
        1 => "[0-9a-fA-F-]{0,36}|[ -~]{1,12}".prop_map(Target::Unknown),
    ]
}

/// Any method on any path, with any body: mostly refused by routing and authentication.
fn anything() -> impl Strategy<Value = Req> {
    let method = proptest::sample::select(
        &[Method::GET, Method::POST, Method::PUT, Method::PATCH, Method::DELETE, Method::HEAD][..],
    );
    let path = proptest::sample::select(
        &[
            "/Users",
            "/Users/{id}",
            "/Groups",
            "/Groups/{id}",
            "/Users/.search",
            "/.search",
            "/Users/{id}/extra",
            "/ServiceProviderConfig",
            "/ResourceTypes",
            "/ResourceTypes/User",
            "/Schemas",
            "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User",
            "/Schemas/nosuch",
            "/Bulk",
            "/Me",
            "",
            "/",
            "/nosuch",
        ][..],
    );
    let body = prop_oneof![
        1 => Just(Body::None),
        1 => user_body().prop_map(Body::Json),
        1 => patch_body().prop_map(Body::Json),
        1 => scim_json().prop_map(Body::Json),
        1 => proptest::collection::vec(any::<u8>(), 0..40).prop_map(Body::Raw),
        1 => deep_json().prop_map(Body::Raw),
    ];
    let content_type = proptest::sample::select(
        &[Some("application/scim+json"), Some("application/json"), Some("text/plain"), None][..],
    );
    let token = proptest::sample::select(&[Some("token-a"), Some("token-b"), Some("nope"), None][..]);
    (method, path, target(), query(), content_type, token, body).prop_map(
        |(method, path, target, query, content_type, token, body)| Req {
            method,
            path: path.to_owned(),
            target,
            query,
            content_type,
            if_match: None,
            token,
            body,
        },
    )
}

/// JSON nested deeper than any parser should follow, as a user body or a PATCH value.
fn deep_json() -> impl Strategy<Value = Vec<u8>> {
    (1usize..20_000, any::<bool>()).prop_map(|(n, patch)| {
        let deep = format!("{}{}", "[".repeat(n), "]".repeat(n));
        let body = if patch {
            format!(r#"{{"schemas":["urn:ietf:params:scim:api:messages:2.0:PatchOp"],"Operations":[{{"op":"add","path":"title","value":{deep}}}]}}"#)
        } else {
            format!(r#"{{"userName":"deep","title":{deep}}}"#)
        };
        body.into_bytes()
    })
}

/// A request a client could mean: the right method for its path, tenant A's token, and a body
/// of the right kind (whose content may still be wrong).
fn meaningful() -> impl Strategy<Value = Req> {
    let search =
        || query().prop_map(|q| Body::Json(Value::Object(q.into_iter().map(|(k, v)| (k, Value::String(v))).collect())));
    let op = prop_oneof![
        5 => user_body().prop_map(|b| (Method::POST, "/Users", Body::Json(b))),
        3 => group_body().prop_map(|b| (Method::POST, "/Groups", Body::Json(b))),
        2 => user_body().prop_map(|b| (Method::PUT, "/Users/{id}", Body::Json(b))),
        1 => group_body().prop_map(|b| (Method::PUT, "/Groups/{id}", Body::Json(b))),
        4 => patch_body().prop_map(|b| (Method::PATCH, "/Users/{id}", Body::Json(b))),
        1 => deep_json().prop_map(|b| {
            if b.starts_with(br#"{"schemas""#) {
                (Method::PATCH, "/Users/{id}", Body::Raw(b))
            } else {
                (Method::POST, "/Users", Body::Raw(b))
            }
        }),
        3 => patch_body().prop_map(|b| (Method::PATCH, "/Groups/{id}", Body::Json(b))),
        1 => Just((Method::DELETE, "/Users/{id}", Body::None)),
        1 => Just((Method::DELETE, "/Groups/{id}", Body::None)),
        2 => Just((Method::GET, "/Users/{id}", Body::None)),
        1 => Just((Method::GET, "/Groups/{id}", Body::None)),
        3 => Just((Method::GET, "/Users", Body::None)),
        2 => Just((Method::GET, "/Groups", Body::None)),
        1 => search().prop_map(|b| (Method::POST, "/Users/.search", b)),
        1 => search().prop_map(|b| (Method::POST, "/.search", b)),
    ];
    let if_match =
        proptest::option::weighted(0.1, prop_oneof![Just("*".to_owned()), Just("W/\"1\"".to_owned()), "[ -~]{0,8}"]);
    let aim = prop_oneof![6 => Just(None), 1 => target().prop_map(Some)];
    (op, 0usize..8, aim, query(), projection(), if_match).prop_map(
        |((method, path, body), n, aim, list, projection, if_match)| Req {
            query: if method == Method::GET && !path.contains("{id}") { list } else { projection },
            // Mostly a resource of the kind the path names.
            target: aim.unwrap_or(if path.starts_with("/Groups") { Target::Group(n) } else { Target::User(n) }),
            method,
            path: path.to_owned(),
            content_type: (!matches!(body, Body::None)).then_some("application/scim+json"),
            if_match,
            token: Some("token-a"),
            body,
        },
    )
}

fn request() -> impl Strategy<Value = Req> {
    prop_oneof![6 => meaningful(), 1 => anything()]
}

/// `s` percent-encoded for a query string.
fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// What the sequence has created, by tenant A, so later requests can aim at real resources.
#[derive(Default)]
struct Known {
    users: Vec<String>,
    groups: Vec<String>,
}

impl Known {
    /// `body` with each `{userN}` replaced by the id of a user created earlier.
    fn fill(&self, body: &[u8]) -> Vec<u8> {
        let mut text = String::from_utf8_lossy(body).into_owned();
        for n in 0..8 {
            let placeholder = format!("{{user{n}}}");
            if text.contains(&placeholder) {
                text = text.replace(&placeholder, &self.id(&Target::User(n)));
            }
        }
        text.into_bytes()
    }

    fn id(&self, target: &Target) -> String {
        let pick =
            |ids: &[String], n: usize| ids.get(n % ids.len().max(1)).cloned().unwrap_or_else(|| "missing".into());
        match target {
            Target::User(n) => pick(&self.users, *n),
            Target::Group(n) => pick(&self.groups, *n),
            Target::Unknown(s) => encode(s),
        }
    }
}

fn build(req: &Req, known: &Known) -> Request<Vec<u8>> {
    let mut uri = format!("/scim/v2/t/a{}", req.path.replace("{id}", &known.id(&req.target)));
    if !req.query.is_empty() {
        let q: Vec<String> = req.query.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect();
        uri.push('?');
        uri.push_str(&q.join("&"));
    }
    let mut builder = Request::builder().method(req.method.clone()).uri(uri);
    if let Some(token) = req.token {
        builder = builder.header("authorization", format!("Bearer {token}"));
    }
    if let Some(ct) = req.content_type {
        builder = builder.header("content-type", ct);
    }
    if let Some(v) = &req.if_match {
        builder = builder.header("if-match", v.as_str());
    }
    let body = match &req.body {
        Body::None => Vec::new(),
        Body::Json(v) => known.fill(&serde_json::to_vec(v).expect("json")),
        Body::Raw(b) => b.clone(),
    };
    builder.body(body).expect("a well-formed request")
}

fn describe(req: &Request<Vec<u8>>, resp: &Response<Vec<u8>>) -> String {
    format!(
        "{} {} ({}) -> {}: {}",
        req.method(),
        req.uri(),
        String::from_utf8_lossy(req.body()),
        resp.status(),
        String::from_utf8_lossy(resp.body())
    )
}

/// Checks one response on its own: no server error, a SCIM error body for every error, JSON
/// for every success with a body.
fn check_response(req: &Request<Vec<u8>>, resp: &Response<Vec<u8>>) -> Result<(), TestCaseError> {
    let status = resp.status();
    prop_assert!(
        !status.is_server_error() || status == StatusCode::NOT_IMPLEMENTED,
        "server error: {}",
        describe(req, resp)
    );
    if status.is_client_error() || status == StatusCode::NOT_IMPLEMENTED {
        let body: Value = serde_json::from_slice(resp.body())
            .map_err(|e| TestCaseError::fail(format!("error body is not JSON ({e}): {}", describe(req, resp))))?;
        prop_assert_eq!(&body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{}", describe(req, resp));
        prop_assert_eq!(&body["status"], &json!(status.as_u16().to_string()), "{}", describe(req, resp));
        prop_assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "no detail: {}", describe(req, resp));
    } else if !resp.body().is_empty() {
        prop_assert!(
            serde_json::from_slice::<Value>(resp.body()).is_ok(),
            "success body is not JSON: {}",
            describe(req, resp)
        );
    }
    Ok(())
}

async fn send(service: &ScimService, method: Method, uri: &str, token: &str) -> Response<Vec<u8>> {
    let req = Request::builder()
        .method(method)
        .uri(uri)
        .header("authorization", format!("Bearer {token}"))
        .body(Vec::new())
        .expect("request");
    service.handle(req).await
}

/// Every resource of `kind` in tenant `t`, through paged lists.
async fn list_all(service: &ScimService, t: &str, token: &str, kind: &str) -> Result<Vec<Value>, TestCaseError> {
    let mut all = Vec::new();
    let mut start = 1;
    loop {
        let uri = format!("/scim/v2/t/{t}/{kind}?startIndex={start}&count=7");
        let resp = send(service, Method::GET, &uri, token).await;
        prop_assert_eq!(resp.status(), StatusCode::OK, "listing {}: {}", kind, String::from_utf8_lossy(resp.body()));
        let page: Value = serde_json::from_slice(resp.body()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        let items = page["Resources"].as_array().cloned().unwrap_or_default();
        let total = page["totalResults"].as_u64().unwrap_or(0) as usize;
        let n = items.len();
        all.extend(items);
        if n == 0 || all.len() >= total {
            prop_assert_eq!(all.len(), total, "{} pages add up to totalResults", kind);
            return Ok(all);
        }
        start += n;
    }
}

/// The stored data after a sequence: lists and reads agree, `userName` and group `displayName`
/// are unique case-insensitively, no group holds a user deleted earlier (a member value that
/// names no user is allowed: the store keeps members as sent), and a user's `groups` are exactly
/// the groups holding it.
async fn check_store(
    service: &ScimService,
    t: &str,
    token: &str,
    deleted: &HashSet<String>,
) -> Result<(), TestCaseError> {
    let users = list_all(service, t, token, "Users").await?;
    let groups = list_all(service, t, token, "Groups").await?;
    let mut names = HashSet::new();
    for u in &users {
        let id = u["id"].as_str().ok_or_else(|| TestCaseError::fail(format!("user without id: {u}")))?;
        let name = u["userName"].as_str().ok_or_else(|| TestCaseError::fail(format!("user without userName: {u}")))?;
        prop_assert!(names.insert(name.to_lowercase()), "userName {} stored twice", name);
        let resp = send(service, Method::GET, &format!("/scim/v2/t/{t}/Users/{id}"), token).await;
        prop_assert_eq!(resp.status(), StatusCode::OK);
        let got: Value = serde_json::from_slice(resp.body()).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(&got, u, "GET and the list agree");
    }
    let mut display_names = HashSet::new();
    for g in &groups {
        let gid = g["id"].as_str().unwrap_or_default();
        let name = g["displayName"].as_str().unwrap_or_default();
        prop_assert!(display_names.insert(name.to_lowercase()), "displayName {} stored twice", name);
        for m in g["members"].as_array().into_iter().flatten() {
            let v = m["value"].as_str().unwrap_or_default();
            prop_assert!(!deleted.contains(v), "group {} still holds deleted user {}", gid, v);
            if let Some(user) = users.iter().find(|u| u["id"] == *v) {
                prop_assert!(
                    user["groups"].as_array().into_iter().flatten().any(|x| x["value"] == gid),
                    "user {} does not list group {}",
                    v,
                    gid
                );
            }
        }
    }
    for u in &users {
        for x in u["groups"].as_array().into_iter().flatten() {
            let group = groups.iter().find(|g| g["id"] == x["value"]);
            prop_assert!(
                group.is_some_and(|g| g["members"].as_array().into_iter().flatten().any(|m| m["value"] == u["id"])),
                "user {} lists group {}, which does not hold it",
                u["id"],
                x["value"]
            );
        }
    }
    Ok(())
}

async fn run(service: &ScimService, reqs: &[Req]) -> Result<(), TestCaseError> {
    let mut known = Known::default();
    let mut deleted = HashSet::new();
    for r in reqs {
        let req = build(r, &known);
        let resp = service.handle(req.clone()).await;
        check_response(&req, &resp)?;
        if r.token != Some("token-a") {
            continue;
        }
        let a_path = |kind: &str| req.uri().path().strip_prefix("/scim/v2/t/a").is_some_and(|p| p.starts_with(kind));
        if r.method == Method::DELETE && resp.status() == StatusCode::NO_CONTENT {
            let id = req.uri().path().rsplit('/').next().unwrap_or_default().to_owned();
            if a_path("/Users/") {
                known.users.retain(|u| *u != id);
                deleted.insert(id);
            } else if a_path("/Groups/") {
                known.groups.retain(|g| *g != id);
            }
        } else if resp.status() == StatusCode::CREATED {
            let body: Value = serde_json::from_slice(resp.body()).map_err(|e| TestCaseError::fail(e.to_string()))?;
            if let Some(id) = body["id"].as_str() {
                if a_path("/Users") {
                    known.users.push(id.to_owned());
                } else {
                    known.groups.push(id.to_owned());
                }
            }
        }
    }
    check_store(service, "a", "token-a", &deleted).await?;
    // Every request went to tenant A's URL, so tenant B's token (refused there) wrote nothing.
    for kind in ["Users", "Groups"] {
        prop_assert!(list_all(service, "b", "token-b", kind).await?.is_empty(), "tenant B holds {}", kind);
    }
    Ok(())
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread().enable_all().build().expect("runtime")
}

/// The service over `store` (users and groups both).
fn service<S: UserStore + GroupStore>(store: S) -> ScimService {
    let store = Arc::new(store);
    ScimService::new(Provisioning::new(store), Tokens).with_base_path("/scim/v2/t/{tenant}")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn memory_store_service_answers_every_request_well(reqs in proptest::collection::vec(request(), 1..40)) {
        runtime().block_on(run(&service(MemoryUserStore::new()), &reqs))?;
    }

    #[test]
    fn sqlite_store_service_answers_every_request_well(reqs in proptest::collection::vec(request(), 1..40)) {
        runtime().block_on(run(&service(SqliteUserStore::open_in_memory().expect("in-memory SQLite")), &reqs))?;
    }
}
