//! `ScimService::handle` without a socket: build an `http::Request`, call `handle`, assert the
//! status, headers and JSON body. Uses the memory store and a fixed-token authenticator.

use crate::tokens;

use axum::http::{Method, Request, Response, StatusCode};
use scim_core::{Limits, Provisioning, ScimService};
use scim_store_memory::MemoryUserStore;
use serde_json::{Value, json};
use std::sync::Arc;
use tokens::Tokens;

fn service() -> ScimService {
    let store = Arc::new(MemoryUserStore::new());
    ScimService::new(Provisioning::new(store), Tokens)
        .with_base_path("/scim/v2/t/{tenant}")
        .with_public_url("https://scim.example.com/")
}

struct Call<'a> {
    method: Method,
    uri: String,
    token: Option<&'a str>,
    headers: Vec<(&'a str, &'a str)>,
    body: Vec<u8>,
}

fn call(method: Method, path: &str) -> Call<'static> {
    Call { method, uri: format!("/scim/v2/t/a{path}"), token: Some("token-a"), headers: Vec::new(), body: Vec::new() }
}

impl<'a> Call<'a> {
    fn json(mut self, body: &Value) -> Self {
        self.body = serde_json::to_vec(body).expect("json");
        self.headers.push(("content-type", "application/scim+json"));
        self
    }

    fn header(mut self, name: &'a str, value: &'a str) -> Self {
        self.headers.push((name, value));
        self
    }

    fn request(self) -> Request<Vec<u8>> {
        let mut req = Request::builder().method(self.method).uri(self.uri);
        if let Some(token) = self.token {
            req = req.header("authorization", format!("Bearer {token}"));
        }
        for (k, v) in self.headers {
            req = req.header(k, v);
        }
        req.body(self.body).expect("request")
    }

    async fn send(self, service: &ScimService) -> Response<Vec<u8>> {
        service.handle(self.request()).await
    }
}

fn body(resp: &Response<Vec<u8>>) -> Value {
    serde_json::from_slice(resp.body()).expect("JSON body")
}

fn header<'r>(resp: &'r Response<Vec<u8>>, name: &str) -> Option<&'r str> {
    resp.headers().get(name).and_then(|v| v.to_str().ok())
}

#[track_caller]
fn assert_error(resp: &Response<Vec<u8>>, status: u16, scim_type: Option<&str>) {
    assert_eq!(resp.status().as_u16(), status, "{}", String::from_utf8_lossy(resp.body()));
    assert_eq!(header(resp, "content-type"), Some("application/scim+json"));
    let b = body(resp);
    assert_eq!(b["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    assert_eq!(b["status"], status.to_string());
    assert_eq!(b["scimType"].as_str(), scim_type);
}

async fn create_user(service: &ScimService, name: &str) -> Value {
    let resp = call(Method::POST, "/Users").json(&json!({"userName": name, "password": "secret"})).send(service).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    body(&resp)
}

#[tokio::test]
async fn authentication_and_tenant_binding() {
    let svc = service();
    let mut no_token = call(Method::GET, "/Users");
    no_token.token = None;
    let resp = no_token.send(&svc).await;
    assert_error(&resp, 401, None);
    assert_eq!(header(&resp, "www-authenticate"), Some("Bearer realm=\"SCIM\""));
    let mut wrong = call(Method::GET, "/Users");
    wrong.token = Some("nope");
    assert_error(&wrong.send(&svc).await, 401, None);
    let resp = call(Method::GET, "/Users").header("authorization", "Basic dXNlcjpwYXNz");
    // The Basic header is sent in addition to the Bearer one; the first value counts.
    assert_eq!(resp.send(&svc).await.status(), StatusCode::OK);
    // Tenant b's token on tenant a's URL.
    let mut other = call(Method::GET, "/Users");
    other.token = Some("token-b");
    assert_error(&other.send(&svc).await, 401, None);
}

#[tokio::test]
async fn entra_test_connection_and_list_shape() {
    let svc = service();
    let resp = call(Method::GET, "/Users?filter=userName+eq+%22a%2Bb%40x.org%22&aadOptscim062020").send(&svc).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(header(&resp, "content-type"), Some("application/scim+json"));
    assert_eq!(
        body(&resp),
        json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0,
            "itemsPerPage": 0, "startIndex": 1, "Resources": []})
    );
    create_user(&svc, "a+b@x.org").await;
    let resp = call(Method::GET, "/Users?filter=userName+eq+%22A%2BB%40x.org%22").send(&svc).await;
    assert_eq!(body(&resp)["totalResults"], 1);
}

#[tokio::test]
async fn create_sets_location_etag_and_never_returns_the_password() {
    let svc = service();
    let resp =
        call(Method::POST, "/Users").json(&json!({"userName": "pw@x.org", "password": "hunter2"})).send(&svc).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let user = body(&resp);
    let id = user["id"].as_str().expect("id");
    let location = format!("https://scim.example.com/scim/v2/t/a/Users/{id}");
    assert_eq!(header(&resp, "location"), Some(location.as_str()));
    assert_eq!(user["meta"]["location"], location);
    assert_eq!(header(&resp, "etag"), user["meta"]["version"].as_str());
    assert!(user.get("password").is_none());
    let resp = call(Method::GET, &format!("/Users/{id}")).send(&svc).await;
    assert!(body(&resp).get("password").is_none());
    assert!(!String::from_utf8_lossy(resp.body()).contains("hunter2"));
}

#[tokio::test]
async fn conditional_requests() {
    let svc = service();
    let user = create_user(&svc, "c@x.org").await;
    let id = user["id"].as_str().expect("id");
    let etag = user["meta"]["version"].as_str().expect("version");
    let resp = call(Method::GET, &format!("/Users/{id}")).header("if-none-match", etag).send(&svc).await;
    assert_eq!(resp.status(), StatusCode::NOT_MODIFIED);
    assert!(resp.body().is_empty());
    assert_eq!(header(&resp, "etag"), Some(etag));
    let resp = call(Method::GET, &format!("/Users/{id}")).header("if-none-match", "W/\"77\"").send(&svc).await;
    assert_eq!(resp.status(), StatusCode::OK);
    // Joining a group changes the user's `groups`, so its ETag: no stale 304.
    let group = json!({"displayName": "Cachers", "members": [{"value": id}]});
    assert_eq!(call(Method::POST, "/Groups").json(&group).send(&svc).await.status(), StatusCode::CREATED);
    let resp = call(Method::GET, &format!("/Users/{id}")).header("if-none-match", etag).send(&svc).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(body(&resp)["groups"][0]["display"], "Cachers");
    let etag = header(&resp, "etag").expect("etag").to_owned();
    let etag = etag.as_str();

    let patch = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "title", "value": "x"}]});
    let stale = call(Method::PATCH, &format!("/Users/{id}")).json(&patch).header("if-match", "W/\"77\"");
    assert_error(&stale.send(&svc).await, 412, None);
    let list = call(Method::PATCH, &format!("/Users/{id}")).json(&patch).header("if-match", "W/\"77\", W/\"78\"");
    assert_error(&list.send(&svc).await, 412, None);
    let both = format!("W/\"77\", {etag}");
    let ok = call(Method::PATCH, &format!("/Users/{id}")).json(&patch).header("if-match", &both);
    let resp = ok.send(&svc).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_ne!(header(&resp, "etag"), Some(etag));
    let any = call(Method::DELETE, &format!("/Users/{id}")).header("if-match", "*");
    assert_eq!(any.send(&svc).await.status(), StatusCode::NO_CONTENT);
}

#[tokio::test]
async fn group_patch_is_204_unless_attributes_are_asked() {
    let svc = service();
    let user = create_user(&svc, "m@x.org").await;
    let resp = call(Method::POST, "/Groups").json(&json!({"displayName": "G"})).send(&svc).await;
    let gid = body(&resp)["id"].as_str().expect("id").to_owned();
    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "add", "path": "members", "value": [{"value": user["id"]}]}]});
    let resp = call(Method::PATCH, &format!("/Groups/{gid}")).json(&add).send(&svc).await;
    assert_eq!(resp.status(), StatusCode::NO_CONTENT);
    assert!(resp.body().is_empty() && header(&resp, "etag").is_some());
    let resp = call(Method::PATCH, &format!("/Groups/{gid}?attributes=members")).json(&add).send(&svc).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert_eq!(body(&resp)["members"][0]["value"], user["id"]);
    let resp = call(Method::GET, &format!("/Groups/{gid}?excludedAttributes=members")).send(&svc).await;
    assert!(body(&resp).get("members").is_none());
    let resp = call(Method::GET, "/Groups?attributes=displayName").send(&svc).await;
    assert!(body(&resp)["Resources"][0].get("members").is_none());
    // Leaving out a sub-attribute of members, or asking for the whole Group schema, keeps them.
    for query in [
        "excludedAttributes=members.display",
        "attributes=members.value",
        "attributes=urn:ietf:params:scim:schemas:core:2.0:Group",
    ] {
        let resp = call(Method::GET, &format!("/Groups/{gid}?{query}")).send(&svc).await;
        assert_eq!(body(&resp)["members"][0]["value"], user["id"], "{query}");
        let resp = call(Method::GET, &format!("/Groups?{query}")).send(&svc).await;
        assert_eq!(body(&resp)["Resources"][0]["members"][0]["value"], user["id"], "list, {query}");
    }
    // On .search, the URL's excludedAttributes counts as its attributes does (the body has neither).
    let resp = call(Method::POST, "/Users/.search?excludedAttributes=emails,groups")
        .json(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 1}))
        .send(&svc)
        .await;
    let first = &body(&resp)["Resources"][0];
    assert!(first.get("userName").is_some() && first.get("groups").is_none(), "{first}");
    let resp = call(Method::POST, "/Users/.search?excludedAttributes=userName")
        .json(&json!({"attributes": ["userName"]}))
        .send(&svc)
        .await;
    assert!(body(&resp)["Resources"][0].get("userName").is_some(), "the body's parameters win");
}

#[tokio::test]
async fn routes_methods_and_media_types() {
    let svc = service();
    assert_error(&call(Method::GET, "/Nope").send(&svc).await, 404, None);
    let mut outside = call(Method::GET, "");
    outside.uri = "/elsewhere/Users".into();
    assert_error(&outside.send(&svc).await, 404, None);
    let resp = call(Method::DELETE, "/Users").send(&svc).await;
    assert_error(&resp, 405, None);
    assert_eq!(header(&resp, "allow"), Some("GET, POST"));
    assert_error(&call(Method::POST, "/Schemas").json(&json!({})).send(&svc).await, 405, None);
    assert_error(&call(Method::GET, "/Users/.search").send(&svc).await, 405, None);
    assert_error(&call(Method::POST, "/Bulk").json(&json!({})).send(&svc).await, 400, Some("invalidSyntax"));
    assert_error(&call(Method::GET, "/Bulk").send(&svc).await, 405, None);
    assert_error(&call(Method::GET, "/Me").send(&svc).await, 501, None);
    let mut text = call(Method::POST, "/Users");
    text.body = b"{}".to_vec();
    text.headers.push(("content-type", "text/plain"));
    assert_error(&text.send(&svc).await, 415, None);
    let mut charset = call(Method::POST, "/Users");
    charset.body = br#"{"userName": "cs@x.org"}"#.to_vec();
    charset.headers.push(("content-type", "application/scim+json; charset=utf-8"));
    assert_eq!(charset.send(&svc).await.status(), StatusCode::CREATED);
    let mut bad = call(Method::POST, "/Users");
    bad.body = b"{nope".to_vec();
    assert_error(&bad.send(&svc).await, 400, Some("invalidSyntax"));
    let resp = call(Method::GET, "/ServiceProviderConfig").send(&svc).await;
    assert_eq!(body(&resp)["etag"]["supported"], true);
    let resp = call(Method::GET, "/ResourceTypes/Group").send(&svc).await;
    assert_eq!(resp.status(), StatusCode::OK);
    // RFC 7644 §4: discovery endpoints answer a filter with 403 rather than ignore it.
    for path in [
        "/ResourceTypes?filter=name%20eq%20%22Group%22",
        "/Schemas?filter=id%20eq%20%22x%22",
        "/Schemas/urn:ietf:params:scim:schemas:core:2.0:User?filter=id%20pr",
        "/ServiceProviderConfig?FILTER=x",
    ] {
        assert_error(&call(Method::GET, path).send(&svc).await, 403, None);
    }
    // A write is still 405 first.
    assert_error(&call(Method::POST, "/Schemas?filter=x").json(&json!({})).send(&svc).await, 405, None);
}

#[tokio::test]
async fn limits() {
    let store = Arc::new(MemoryUserStore::new());
    let limits = Limits::default().with_max_body_bytes(100).with_max_filter_length(20).with_max_results(7);
    let svc =
        ScimService::new(Provisioning::new(store).with_limits(limits), Tokens).with_base_path("/scim/v2/t/{tenant}");
    // `/ServiceProviderConfig` is derived from the same limits.
    let config = body(&call(Method::GET, "/ServiceProviderConfig").send(&svc).await);
    assert_eq!(
        (config["bulk"]["maxPayloadSize"].as_u64(), config["filter"]["maxResults"].as_u64()),
        (Some(100), Some(7))
    );
    assert_eq!(svc.max_body_bytes(), 100);
    let big = call(Method::POST, "/Users").json(&json!({"userName": "x".repeat(200)}));
    assert_error(&big.send(&svc).await, 413, None);
    let long = call(Method::GET, "/Users?filter=userName%20eq%20%22aaaaaaaaaaaaaaaaaaa%22");
    assert_error(&long.send(&svc).await, 400, Some("invalidFilter"));
    assert_error(&call(Method::GET, "/Users?startIndex=x").send(&svc).await, 400, Some("invalidValue"));
}

#[tokio::test]
async fn rate_limits_answer_429_with_retry_after_before_the_body_is_read() {
    let store = Arc::new(MemoryUserStore::new());
    let limits = Limits::default().with_tenant_rate(Some(scim_core::RateLimit::new(1, 3))).with_token_rate(None);
    let svc =
        ScimService::new(Provisioning::new(store).with_limits(limits), Tokens).with_base_path("/scim/v2/t/{tenant}");
    for _ in 0..3 {
        assert_eq!(call(Method::GET, "/Users").send(&svc).await.status(), StatusCode::OK);
    }
    let refused = call(Method::GET, "/Users").send(&svc).await;
    assert_error(&refused, 429, None);
    assert_eq!(header(&refused, "retry-after"), Some("1"));
    // Refused at admission, from the head alone: the body is never read.
    let head = call(Method::POST, "/Users").request().into_parts().0;
    let response = svc.admit(&head).await.expect_err("over the limit");
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    // Another tenant has its own bucket.
    let mut other = call(Method::GET, "/Users");
    other.uri = "/scim/v2/t/b/Users".into();
    other.token = Some("token-b");
    assert_eq!(other.send(&svc).await.status(), StatusCode::OK);
    // A bad token is 401, not 429, and spends nothing.
    let mut bad = call(Method::GET, "/Users");
    bad.token = Some("nope");
    assert_eq!(bad.send(&svc).await.status(), StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn default_base_path_and_host_based_locations() {
    let store = Arc::new(MemoryUserStore::new());
    let svc = ScimService::new(Provisioning::new(store), Tokens);
    let req = Request::builder()
        .method(Method::POST)
        .uri("/scim/v2/Users")
        .header("authorization", "Bearer token-b")
        .header("host", "localhost:9999")
        .body(br#"{"userName": "h@x.org"}"#.to_vec())
        .expect("request");
    let resp = svc.handle(req).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let location = header(&resp, "location").expect("location");
    assert!(location.starts_with("http://localhost:9999/scim/v2/Users/"), "{location}");
}

/// RFC 9865 cursor paging over HTTP: `cursor` (empty to start) and `count` in, `nextCursor`
/// and `previousCursor` out, no `startIndex`; the errors; `/ServiceProviderConfig` says so.
#[tokio::test]
async fn cursor_paging() {
    let svc = service();
    let mut names = Vec::new();
    for n in 0..5 {
        names.push(create_user(&svc, &format!("c{n}@x.org")).await["userName"].clone());
    }
    let page_names = |b: &Value| {
        b["Resources"].as_array().expect("Resources").iter().map(|u| u["userName"].clone()).collect::<Vec<_>>()
    };
    let first = body(&call(Method::GET, "/Users?cursor&count=2").send(&svc).await);
    assert_eq!((first["totalResults"].as_u64(), first["itemsPerPage"].as_u64()), (Some(5), Some(2)));
    assert!(first.get("startIndex").is_none() && first.get("previousCursor").is_none(), "{first}");
    assert_eq!(page_names(&first), names[..2]);
    let next = first["nextCursor"].as_str().expect("nextCursor").to_owned();
    let second = body(&call(Method::GET, &format!("/Users?count=2&cursor={next}")).send(&svc).await);
    assert_eq!(page_names(&second), names[2..4]);
    assert!(second["previousCursor"].is_string());
    let search = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "count": 2,
                        "cursor": second["nextCursor"]});
    let last = body(&call(Method::POST, "/Users/.search").json(&search).send(&svc).await);
    assert_eq!(page_names(&last), names[4..]);
    assert!(last.get("nextCursor").is_none(), "the last page has no nextCursor: {last}");
    let back = last["previousCursor"].as_str().expect("previousCursor");
    let back = body(&call(Method::GET, &format!("/Users?count=2&cursor={back}")).send(&svc).await);
    assert_eq!(page_names(&back), names[2..4]);

    assert_error(&call(Method::GET, "/Users?cursor=bm90IG91cnM").send(&svc).await, 400, Some("invalidCursor"));
    assert_error(&call(Method::GET, "/Users?cursor=%00%ff").send(&svc).await, 400, Some("invalidValue"));
    assert_error(&call(Method::GET, &format!("/Groups?cursor={next}")).send(&svc).await, 400, Some("invalidCursor"));
    let other_filter = format!("/Users?count=2&cursor={next}&filter=userName%20pr");
    assert_error(&call(Method::GET, &other_filter).send(&svc).await, 400, Some("invalidCursor"));
    assert_error(&call(Method::GET, "/Users?cursor=&startIndex=1").send(&svc).await, 400, Some("invalidValue"));
    assert_error(&call(Method::GET, "/Users?cursor=&count=1001").send(&svc).await, 400, Some("invalidCount"));
    assert_error(&call(Method::GET, "/Users?cursor=&count=-1").send(&svc).await, 400, Some("invalidCount"));
    let root = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "cursor": ""});
    assert_error(&call(Method::POST, "/.search").json(&root).send(&svc).await, 400, Some("invalidValue"));
    let index = body(&call(Method::GET, "/Users?startIndex=2&count=2").send(&svc).await);
    assert!(index.get("nextCursor").is_none() && index["startIndex"] == 2, "index paging is unchanged: {index}");

    let config = body(&call(Method::GET, "/ServiceProviderConfig").send(&svc).await);
    assert_eq!(
        config["pagination"],
        json!({"cursor": true, "index": true, "defaultPaginationMethod": "index", "defaultPageSize": 1000,
               "maxPageSize": 1000, "cursorTimeout": 3600})
    );
}

#[tokio::test]
async fn root_search_pages_users_then_groups() {
    let svc = service();
    for n in 0..3 {
        create_user(&svc, &format!("s{n}@x.org")).await;
    }
    for n in 0..2 {
        call(Method::POST, "/Groups").json(&json!({"displayName": format!("g{n}")})).send(&svc).await;
    }
    let search = |start: i64, count: i64| json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"], "startIndex": start, "count": count});
    let resp = call(Method::POST, "/.search").json(&search(1, 10)).send(&svc).await;
    let b = body(&resp);
    assert_eq!((b["totalResults"].as_u64(), b["itemsPerPage"].as_u64()), (Some(5), Some(5)));
    let resp = call(Method::POST, "/.search").json(&search(3, 2)).send(&svc).await;
    let b = body(&resp);
    assert_eq!(b["itemsPerPage"], 2);
    assert!(b["Resources"][0].get("userName").is_some() && b["Resources"][1].get("displayName").is_some(), "{b}");
    let resp = call(Method::POST, "/.search").json(&search(5, 10)).send(&svc).await;
    let b = body(&resp);
    assert_eq!(b["itemsPerPage"], 1);
    assert_eq!(b["Resources"][0]["displayName"], "g1");
}

/// `POST /.search` with `sortBy` sorts users and groups as one list: resources without the
/// attribute last when ascending and first when descending, paged after the merge.
#[tokio::test]
async fn root_search_sorts_users_and_groups_together() {
    let svc = service();
    for (name, display) in [("u-b@x.org", Some("b")), ("u-d@x.org", Some("d")), ("u-none@x.org", None)] {
        let mut user = json!({"userName": name});
        if let Some(d) = display {
            user["displayName"] = json!(d);
        }
        assert_eq!(call(Method::POST, "/Users").json(&user).send(&svc).await.status(), StatusCode::CREATED);
    }
    for display in ["c", "A"] {
        call(Method::POST, "/Groups").json(&json!({"displayName": display})).send(&svc).await;
    }
    let names = |b: &Value| -> Vec<String> {
        b["Resources"]
            .as_array()
            .expect("resources")
            .iter()
            .map(|r| r["displayName"].as_str().map_or_else(|| "-".to_owned(), str::to_owned))
            .collect()
    };
    let search = |extra: Value| {
        let mut body = json!({"sortBy": "displayName", "attributes": ["displayName"]});
        for (k, v) in extra.as_object().expect("object") {
            body[k] = v.clone();
        }
        body
    };
    let b = body(&call(Method::POST, "/.search").json(&search(json!({}))).send(&svc).await);
    assert_eq!(names(&b), ["A", "b", "c", "d", "-"]);
    assert_eq!(b["totalResults"], 5);
    let b = body(&call(Method::POST, "/.search").json(&search(json!({"sortOrder": "descending"}))).send(&svc).await);
    assert_eq!(names(&b), ["-", "d", "c", "b", "A"]);
    let b = body(&call(Method::POST, "/.search").json(&search(json!({"startIndex": 2, "count": 2}))).send(&svc).await);
    assert_eq!((names(&b), b["startIndex"].clone()), (vec!["b".to_owned(), "c".to_owned()], json!(2)));
    let resp = call(Method::POST, "/.search").json(&search(json!({"startIndex": 990, "count": 20}))).send(&svc).await;
    assert_error(&resp, 400, Some("invalidValue"));
}

/// A credential store that cannot answer is `503` with `Retry-After`, not `401`: Entra and
/// Okta retry a 503, while a 401 reads as wrong credentials.
#[tokio::test]
async fn credential_store_outage_is_503_with_retry_after() {
    let svc = service();
    let mut outage = call(Method::GET, "/Users");
    outage.token = Some("token-outage");
    let resp = outage.send(&svc).await;
    assert_error(&resp, 503, None);
    assert_eq!(header(&resp, "retry-after"), Some("7"));
    assert_eq!(header(&resp, "www-authenticate"), None);
    let mut head = call(Method::POST, "/Users");
    head.token = Some("token-outage");
    let refused = svc.admit(&head.request().into_parts().0).await.expect_err("store down");
    assert_error(&refused, 503, None);
    assert_eq!(header(&refused, "retry-after"), Some("7"));
}

/// `admit` authenticates from the head alone; `handle_admitted` does not authenticate again,
/// except for a request with another path than the admitted one.
#[tokio::test]
async fn admit_then_handle_admitted() {
    let svc = service();
    let (head, _) = call(Method::POST, "/Users").json(&json!({})).request().into_parts();
    let mut no_token = call(Method::POST, "/Users");
    no_token.token = None;
    let (no_token, _) = no_token.request().into_parts();
    let refused = svc.admit(&no_token).await.expect_err("no token");
    assert_error(&refused, 401, None);
    assert!(header(&refused, "www-authenticate").is_some());
    let mut wrong_tenant = call(Method::GET, "/Users");
    wrong_tenant.uri = "/scim/v2/t/b/Users".into();
    assert_error(&svc.admit(&wrong_tenant.request().into_parts().0).await.expect_err("A's token, B's URL"), 401, None);
    let mut outside = call(Method::GET, "");
    outside.uri = "/elsewhere".into();
    assert_error(&svc.admit(&outside.request().into_parts().0).await.expect_err("outside"), 404, None);

    let admitted = svc.admit(&head).await.expect("token A");
    assert_eq!(admitted.tenant().as_str(), "a");
    // The admitted request is not authenticated again: served even with its token gone.
    let mut same = call(Method::POST, "/Users").json(&json!({"userName": "ad@x.org"}));
    same.token = None;
    let created = svc.handle_admitted(admitted, same.request()).await;
    assert_eq!(created.status(), StatusCode::CREATED);
    // Admitted for POST /Users, used for another path or method without a token:
    // authenticated again, refused.
    for (method, path) in [(Method::GET, "/Groups"), (Method::GET, "/Users")] {
        let admitted = svc.admit(&head).await.expect("token A");
        let mut other = call(method, path);
        other.token = None;
        assert_error(&svc.handle_admitted(admitted, other.request()).await, 401, None);
    }
}

// --- POST /Bulk (RFC 7644 §3.7) ---------------------------------------------------------------

const BULK: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";

async fn bulk(svc: &ScimService, ops: Value) -> Value {
    bulk_with(svc, json!({"schemas": [BULK], "Operations": ops})).await
}

async fn bulk_with(svc: &ScimService, request: Value) -> Value {
    let resp = call(Method::POST, "/Bulk").json(&request).send(svc).await;
    assert_eq!(resp.status(), StatusCode::OK, "{}", String::from_utf8_lossy(resp.body()));
    let b = body(&resp);
    assert_eq!(b["schemas"], json!(["urn:ietf:params:scim:api:messages:2.0:BulkResponse"]));
    b
}

fn statuses(response: &Value) -> Vec<String> {
    response["Operations"]
        .as_array()
        .expect("ops")
        .iter()
        .map(|o| o["status"].as_str().expect("status").to_owned())
        .collect()
}

/// The id at the end of an operation's `location`.
fn created_id(op: &Value) -> String {
    op["location"].as_str().expect("location").rsplit('/').next().expect("id").to_owned()
}

async fn members(svc: &ScimService, group: &str) -> Vec<String> {
    let g = body(&call(Method::GET, &format!("/Groups/{group}")).send(svc).await);
    let mut ids: Vec<String> = g["members"]
        .as_array()
        .map(|m| m.iter().map(|x| x["value"].as_str().unwrap().to_owned()).collect())
        .unwrap_or_default();
    ids.sort();
    ids
}

async fn count(svc: &ScimService, endpoint: &str) -> u64 {
    body(&call(Method::GET, endpoint).send(svc).await)["totalResults"].as_u64().expect("total")
}

#[tokio::test]
async fn bulk_resolves_bulk_ids_in_any_order() {
    let svc = service();
    // The group comes first and names users created after it.
    let response = bulk(
        &svc,
        json!([
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                "displayName": "Tour Guides", "members": [{"value": "bulkId:u1"}, {"value": "bulkId:u2"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "u1", "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "alice"}},
            {"method": "POST", "path": "/Users", "bulkId": "u2", "data": {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "bob",
                "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": "bulkId:u1"}}}},
            {"method": "PATCH", "path": "/Users/bulkId:u1", "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "replace", "path": "title", "value": "Guide"}]}},
        ]),
    )
    .await;
    assert_eq!(statuses(&response), ["201", "201", "201", "200"], "{response}");
    let ops = response["Operations"].as_array().unwrap();
    assert_eq!(ops[0]["bulkId"], "g");
    assert_eq!(ops[0]["method"], "POST");
    assert!(ops[0]["location"].as_str().unwrap().starts_with("https://scim.example.com/scim/v2/t/a/Groups/"));
    assert!(ops[0]["version"].as_str().unwrap().starts_with("W/"));
    let (group, alice, bob) = (created_id(&ops[0]), created_id(&ops[1]), created_id(&ops[2]));
    let mut expected = vec![alice.clone(), bob.clone()];
    expected.sort();
    assert_eq!(members(&svc, &group).await, expected);
    let b = body(&call(Method::GET, &format!("/Users/{bob}")).send(&svc).await);
    assert_eq!(b["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["manager"]["value"], alice.as_str());
    let a = body(&call(Method::GET, &format!("/Users/{alice}")).send(&svc).await);
    assert_eq!(a["title"], "Guide");
}

#[tokio::test]
async fn bulk_breaks_group_cycles_and_refuses_others() {
    let svc = service();
    // Groups that are members of each other (RFC 7644 §3.7.1): created, then linked.
    let response = bulk(
        &svc,
        json!([
            {"method": "POST", "path": "/Groups", "bulkId": "a", "data": {"displayName": "A", "members": [{"value": "bulkId:b"}]}},
            {"method": "POST", "path": "/Groups", "bulkId": "b", "data": {"displayName": "B", "members": [{"value": "bulkId:a"}]}},
        ]),
    )
    .await;
    assert_eq!(statuses(&response), ["201", "201"], "{response}");
    let ops = response["Operations"].as_array().unwrap();
    let (a, b) = (created_id(&ops[0]), created_id(&ops[1]));
    assert_eq!(members(&svc, &a).await, [b.as_str()]);
    assert_eq!(members(&svc, &b).await, [a.as_str()]);
    // Users naming each other as manager cannot be split: 409 for both, nothing created.
    let manager = |b: &str| json!({"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"manager": {"value": format!("bulkId:{b}")}}});
    let mut x = manager("y");
    x["userName"] = json!("x");
    let mut y = manager("x");
    y["userName"] = json!("y");
    let response = bulk(
        &svc,
        json!([{"method": "POST", "path": "/Users", "bulkId": "x", "data": x},
               {"method": "POST", "path": "/Users", "bulkId": "y", "data": y}]),
    )
    .await;
    assert_eq!(statuses(&response), ["409", "409"], "{response}");
    assert!(response["Operations"][0]["response"]["detail"].as_str().unwrap().contains("circular"));
    assert_eq!(count(&svc, "/Users").await, 0);
}

#[tokio::test]
async fn bulk_failures_are_per_operation_and_fail_on_errors_stops() {
    let svc = service();
    let existing = create_user(&svc, "taken").await;
    let id = existing["id"].as_str().unwrap().to_owned();
    let response = bulk(
        &svc,
        json!([
            {"method": "POST", "path": "/Users", "bulkId": "dup", "data": {"userName": "taken"}},
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {"displayName": "G", "members": [{"value": "bulkId:dup"}]}},
            {"method": "PATCH", "path": "/Users/bulkId:nowhere", "data": {"Operations": [{"op": "add", "path": "title", "value": "x"}]}},
            {"method": "PUT", "path": format!("/Users/{id}"), "version": "W/\"stale\"", "data": {"userName": "taken2"}},
            {"method": "DELETE", "path": "/Users/missing"},
            {"method": "FETCH", "path": "/Users"},
            {"method": "POST", "path": "/Users", "bulkId": "ok", "data": {"userName": "fresh", "active": "False"}},
            {"method": "DELETE", "path": format!("/Users/{id}")},
        ]),
    )
    .await;
    assert_eq!(statuses(&response), ["409", "409", "409", "412", "404", "400", "201", "204"], "{response}");
    let ops = response["Operations"].as_array().unwrap();
    assert_eq!(ops[0]["response"]["scimType"], "uniqueness");
    assert_eq!(ops[0]["response"]["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error");
    assert!(ops[0].get("location").is_none());
    assert!(ops[1]["response"]["detail"].as_str().unwrap().contains("dup"));
    assert!(ops[2]["response"]["detail"].as_str().unwrap().contains("nowhere"));
    assert_eq!(ops[5]["response"]["scimType"], "invalidSyntax");
    assert_eq!(count(&svc, "/Groups").await, 0, "the group referencing a failed POST was not created");
    // The suspended user exists; the deleted one does not.
    let list = body(&call(Method::GET, "/Users").send(&svc).await);
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["userName"], "fresh");
    assert_eq!(list["Resources"][0]["active"], false);

    // failOnErrors: 1 stops after the first failure; what came after is not run nor listed.
    let response = bulk_with(
        &svc,
        json!({"schemas": [BULK], "failOnErrors": 1, "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "one", "data": {"userName": "one"}},
            {"method": "POST", "path": "/Users", "bulkId": "bad", "data": {"userName": ""}},
            {"method": "POST", "path": "/Users", "bulkId": "two", "data": {"userName": "two"}},
        ]}),
    )
    .await;
    assert_eq!(statuses(&response), ["201", "400"], "{response}");
    assert_eq!(count(&svc, "/Users").await, 2);
}

#[tokio::test]
async fn bulk_limits_rate_limits_and_discovery() {
    let store = Arc::new(MemoryUserStore::new());
    let limits = Limits::default()
        .with_max_bulk_operations(3)
        .with_tenant_rate(Some(scim_core::RateLimit::new(1, 4)))
        .with_token_rate(None);
    let svc = ScimService::new(Provisioning::new(store.clone()).with_limits(limits), Tokens)
        .with_base_path("/scim/v2/t/{tenant}");
    let config = body(&call(Method::GET, "/ServiceProviderConfig").send(&svc).await);
    assert_eq!(config["bulk"], json!({"supported": true, "maxOperations": 3, "maxPayloadSize": 8_388_608}));
    let op = |n: usize| json!({"method": "POST", "path": "/Users", "bulkId": format!("b{n}"), "data": {"userName": format!("u{n}")}});
    let four = json!({"schemas": [BULK], "Operations": [op(1), op(2), op(3), op(4)]});
    let resp = call(Method::POST, "/Bulk").json(&four).send(&svc).await;
    assert_error(&resp, 413, None);
    assert!(body(&resp)["detail"].as_str().unwrap().contains("maxOperations"));
    // Three operations take three requests from the bucket of four, which has two left after
    // the discovery read and the refused request: the bulk is refused whole with 429.
    let three = json!({"schemas": [BULK], "Operations": [op(1), op(2), op(3)]});
    let resp = call(Method::POST, "/Bulk").json(&three).send(&svc).await;
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS, "{}", String::from_utf8_lossy(resp.body()));
    // Off: 501 and not advertised.
    let off =
        ScimService::new(Provisioning::new(store).with_limits(Limits::default().with_max_bulk_operations(0)), Tokens)
            .with_base_path("/scim/v2/t/{tenant}");
    assert_error(&call(Method::POST, "/Bulk").json(&three).send(&off).await, 501, None);
    assert_eq!(body(&call(Method::GET, "/ServiceProviderConfig").send(&off).await)["bulk"]["supported"], false);
}

#[tokio::test]
async fn bulk_operations_are_audited_one_by_one() {
    let store = Arc::new(MemoryUserStore::new());
    let svc = ScimService::new(Provisioning::new(store.clone()), Tokens).with_base_path("/scim/v2/t/{tenant}");
    let response = bulk(
        &svc,
        json!([
            {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"userName": "audited"}},
            {"method": "PATCH", "path": "/Users/bulkId:u", "data": {"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "Replace", "path": "active", "value": "False"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "v", "data": {"userName": "audited"}},
        ]),
    )
    .await;
    assert_eq!(statuses(&response), ["201", "200", "409"], "{response}");
    let provisioning = Provisioning::new(store);
    let page = provisioning
        .audit_records(&scim_core::TenantId::new("a"), &scim_core::audit::AuditQuery::default())
        .await
        .expect("audit");
    let records: Vec<_> = page.records.iter().rev().collect();
    let ops: Vec<(&str, Option<&str>, u16)> =
        records.iter().map(|r| (r.operation.as_str(), r.method.as_deref(), r.status)).collect();
    assert_eq!(ops, [("create", Some("POST"), 201), ("patch", Some("PATCH"), 200), ("create", Some("POST"), 409)]);
    assert_eq!(records[1].quirks, ["patch-case", "bool-strings"], "quirks are reported per operation");
}
