//! The admin console over HTTP (no browser): sign-in off until a password is set, refused
//! and slowed bad passwords, CSRF tokens, expiring sessions, cookie flags, and the whole
//! provisioning story (Get credentials, SCIM with them, restore, delete, revoke).

use crate::common::{Resp, Server, raw_request};
use serde_json::json;
use std::collections::HashMap;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

pub(crate) const PASSWORD: &str = "correct horse battery staple";

/// Sets the admin password of `server`'s database with `admin set-password` (stdin).
pub(crate) fn set_password(server: &Server, password: &str) {
    let db = server.db();
    set_password_with(&["--db", db.to_str().expect("utf-8 path")], password);
}

/// Runs `admin set-password` with `store` (the arguments naming the store), the password on
/// standard input.
pub(crate) fn set_password_with(store: &[&str], password: &str) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
        .args(["admin", "set-password"])
        .args(store)
        .env("RUST_LOG", "warn")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run admin set-password");
    child.stdin.take().expect("stdin").write_all(format!("{password}\n").as_bytes()).expect("write stdin");
    let out = child.wait_with_output().expect("admin set-password");
    assert!(out.status.success(), "set-password failed: {}", String::from_utf8_lossy(&out.stderr));
}

fn encode(s: &str) -> String {
    let mut out = String::new();
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// The value of attribute `attr` right after `marker` in `html`.
pub(crate) fn attr_after(html: &str, marker: &str, attr: &str) -> Option<String> {
    let rest = &html[html.find(marker)? + marker.len()..];
    let key = format!("{attr}=\"");
    let rest = &rest[rest.find(&key)? + key.len()..];
    Some(rest[..rest.find('"')?].to_owned())
}

/// A browser stand-in: keeps the console's cookies.
pub(crate) struct Console {
    addr: String,
    cookies: HashMap<String, String>,
}

impl Console {
    pub(crate) fn new(server: &Server) -> Self {
        Self { addr: server.admin_addr.clone().expect("the server printed its Admin URL"), cookies: HashMap::new() }
    }

    fn cookie_header(&self) -> String {
        self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ")
    }

    fn keep_cookies(&mut self, resp: &Resp) {
        for (k, v) in &resp.headers {
            if k.eq_ignore_ascii_case("set-cookie") {
                let pair = v.split(';').next().unwrap_or_default();
                if let Some((name, value)) = pair.split_once('=') {
                    if value.is_empty() || v.contains("Max-Age=0") {
                        self.cookies.remove(name);
                    } else {
                        self.cookies.insert(name.to_owned(), value.to_owned());
                    }
                }
            }
        }
    }

    pub(crate) fn get(&mut self, path: &str) -> Resp {
        let cookie = self.cookie_header();
        let resp = raw_request(&self.addr, "GET", path, &[("Cookie", &cookie)], None);
        self.keep_cookies(&resp);
        resp
    }

    pub(crate) fn post(&mut self, path: &str, form: &[(&str, &str)]) -> Resp {
        let cookie = self.cookie_header();
        let body = form.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).collect::<Vec<_>>().join("&");
        let headers = [("Cookie", cookie.as_str()), ("Content-Type", "application/x-www-form-urlencoded")];
        let resp = raw_request(&self.addr, "POST", path, &headers, Some(body.as_bytes()));
        self.keep_cookies(&resp);
        resp
    }

    /// Signs in with `password`; the sign-in answer.
    pub(crate) fn sign_in(&mut self, password: &str) -> Resp {
        let form = self.get("/admin/login").expect(200);
        let nonce = attr_after(&form.text(), "name=\"csrf\"", "value").expect("the sign-in form's token");
        self.post("/admin/login", &[("csrf", &nonce), ("password", password)])
    }

    /// The CSRF token of the signed-in session (from any page's forms).
    pub(crate) fn csrf(&mut self) -> String {
        let page = self.get("/admin").expect(200);
        attr_after(&page.text(), "name=\"csrf\"", "value").expect("a form token")
    }
}

fn scim(server: &Server, token: &str, method: &str, path: &str, body: Option<&serde_json::Value>) -> Resp {
    let auth = format!("Bearer {token}");
    let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
    let headers = [("Authorization", auth.as_str()), ("Content-Type", "application/scim+json")];
    raw_request(&server.addr, method, path, &headers, bytes.as_deref())
}

#[test]
fn sign_in_is_off_until_a_password_is_set() {
    let server = Server::start(&[]);
    let mut console = Console::new(&server);
    let resp = console.get("/admin");
    assert_eq!(resp.status, 303);
    assert_eq!(resp.header("location"), Some("/admin/login"));
    let resp = console.get("/admin/login").expect(403);
    assert!(resp.text().contains("Sign-in is off"), "{}", resp.text());
    console.post("/admin/login", &[("csrf", "x"), ("password", PASSWORD)]).expect(403);
    // Too short a password is refused by the CLI.
    let out = Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
        .args(["admin", "set-password", "--db"])
        .arg(server.db())
        .stdin(Stdio::null())
        .output()
        .expect("run");
    assert!(!out.status.success());

    set_password(&server, PASSWORD);
    let resp = console.get("/admin/login").expect(200);
    assert!(resp.text().contains("type=\"password\""));
    let set_cookie = resp.header("set-cookie").expect("a sign-in cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age="] {
        assert!(set_cookie.contains(flag), "{set_cookie}");
    }
    assert!(resp.header("content-security-policy").is_some_and(|c| c.contains("frame-ancestors 'none'")));
}

#[test]
fn bad_passwords_are_refused_slowly_and_never_logged() {
    let dir = tempfile::tempdir().expect("dir");
    let log = dir.path().join("server.log");
    let server = Server::start_logged(&[], None, &log);
    set_password(&server, PASSWORD);
    let mut console = Console::new(&server);
    let started = Instant::now();
    let resp = console.sign_in("wrong password, certainly").expect(401);
    assert!(started.elapsed() >= Duration::from_secs(1), "a failed sign-in is answered after a delay");
    assert!(resp.text().contains("Wrong password"));
    assert!(!console.cookies.contains_key("scim_admin"), "no session after a failure");
    assert_eq!(console.get("/admin").status, 303);

    let resp = console.sign_in(PASSWORD);
    assert_eq!(resp.status, 303, "{}", resp.text());
    let session_cookie = resp
        .headers
        .iter()
        .find(|(k, v)| k.eq_ignore_ascii_case("set-cookie") && v.starts_with("scim_admin="))
        .map(|(_, v)| v.clone())
        .expect("a session cookie");
    for flag in ["HttpOnly", "SameSite=Strict", "Path=/admin", "Max-Age=28800"] {
        assert!(session_cookie.contains(flag), "{session_cookie}");
    }
    assert!(!session_cookie.contains("Secure"), "no Secure flag over plain HTTP: {session_cookie}");
    console.get("/admin").expect(200);

    let session_id = console.cookies["scim_admin"].clone();
    let logged = std::fs::read_to_string(&log).expect("log");
    assert!(logged.contains("failed sign-in"), "{logged}");
    for secret in [PASSWORD, "wrong password, certainly", session_id.as_str(), server.token.as_str()] {
        assert!(!logged.contains(secret), "the log holds a secret: {logged}");
    }
}

#[test]
fn every_post_needs_the_session_csrf_token() {
    let server = Server::start(&[]);
    set_password(&server, PASSWORD);
    let mut console = Console::new(&server);
    // The sign-in form needs its token too.
    console.get("/admin/login").expect(200);
    console.post("/admin/login", &[("password", PASSWORD)]).expect(403);
    console.post("/admin/login", &[("csrf", "0000"), ("password", PASSWORD)]).expect(403);
    assert_eq!(console.sign_in(PASSWORD).status, 303);

    let resp = console.post("/admin/tenants", &[("name", "Forged")]).expect(403);
    assert!(resp.text().contains("security token"));
    console.post("/admin/tenants", &[("name", "Forged"), ("csrf", "00ff")]).expect(403);
    assert!(!console.get("/admin").text().contains("Forged"));
    let csrf = console.csrf();
    let resp = console.post("/admin/tenants", &[("name", "Real"), ("csrf", &csrf)]);
    assert_eq!(resp.status, 303, "{}", resp.text());
    let page = console.get("/admin").text();
    assert!(page.contains("Real"));
    // Each tenant's compatibility profile and user conflict policy are shown.
    assert!(
        page.contains("<td class=\"mono\">lenient</td>") && page.contains("<td class=\"mono\">conflict</td>"),
        "{page}"
    );
    // Without a session a POST goes to the sign-in page.
    let mut stranger = Console::new(&server);
    assert_eq!(stranger.post("/admin/tenants", &[("name", "X"), ("csrf", &csrf)]).status, 303);
    // Signing out ends the session.
    assert_eq!(console.post("/admin/logout", &[("csrf", &csrf)]).status, 303);
    assert_eq!(console.get("/admin").status, 303);
}

#[test]
fn an_expired_session_goes_back_to_sign_in() {
    let server = Server::start(&["--admin-session-seconds", "1"]);
    set_password(&server, PASSWORD);
    let mut console = Console::new(&server);
    assert_eq!(console.sign_in(PASSWORD).status, 303);
    console.get("/admin").expect(200);
    std::thread::sleep(Duration::from_millis(1500));
    let resp = console.get("/admin");
    assert_eq!(resp.status, 303);
    assert_eq!(resp.header("location"), Some("/admin/login?expired=1"));
    let resp = console.get("/admin/login?expired=1").expect(200);
    assert!(resp.text().contains("session has expired"));
}

#[test]
fn credentials_restore_delete_and_revoke_from_the_console() {
    let server = Server::start(&[]);
    set_password(&server, PASSWORD);
    let mut console = Console::new(&server);
    assert_eq!(console.sign_in(PASSWORD).status, 303);
    let csrf = console.csrf();
    let resp = console.post("/admin/tenants", &[("name", "Contoso <b>"), ("csrf", &csrf)]);
    let location = resp.header("location").expect("redirect to the tenant").to_owned();
    let tenant = location.strip_prefix("/admin/t/").expect("tenant path").to_owned();
    let page = console.get(&location).expect(200).text();
    assert!(page.contains("Contoso &lt;b&gt;"), "names are escaped");
    assert!(!page.contains("secret-token"), "no secret before Get credentials");

    // Get credentials: the Tenant URL and a new Secret Token, shown once.
    let resp = console.post(&format!("{location}/credentials"), &[("label", "Entra ID"), ("csrf", &csrf)]).expect(200);
    assert_eq!(resp.header("cache-control"), Some("no-store"));
    let page = resp.text();
    let secret = attr_after(&page, "id=\"secret-token\"", "value").expect("the secret");
    let url = attr_after(&page, "id=\"tenant-url-new\"", "value").expect("the tenant url");
    assert!(url.ends_with(&format!("/scim/v2/t/{tenant}")), "{url}");
    assert!(!console.get(&location).text().contains(&secret), "the secret is shown once");
    let base = format!("/scim/v2/t/{tenant}");

    // As Entra would: create a user, then suspend it.
    let created = scim(
        &server,
        &secret,
        "POST",
        &format!("{base}/Users"),
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "ada@contoso.example",
            "name": {"givenName": "Ada", "familyName": "Lovelace"},
            "emails": [{"value": "ada@contoso.example", "primary": true}]
        })),
    )
    .expect(201)
    .json();
    let id = created["id"].as_str().expect("id").to_owned();
    scim(
        &server,
        &secret,
        "PATCH",
        &format!("{base}/Users/{id}"),
        Some(&json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                     "Operations": [{"op": "replace", "path": "active", "value": false}]})),
    )
    .expect(200);

    // Listed as suspended with 30 days left; not among the active.
    let list = console.get(&format!("{location}/users?state=suspended")).expect(200).text();
    assert!(list.contains("ada@contoso.example") && list.contains("<td class=\"num\">30</td>"), "{list}");
    assert!(!console.get(&format!("{location}/users?state=active")).text().contains("ada@contoso.example"));
    assert!(console.get(&format!("{location}/users?q=ADA")).text().contains("ada@contoso.example"));
    assert!(!console.get(&format!("{location}/users?q=%22bob")).text().contains("ada@contoso.example"));
    let user_page = console.get(&format!("{location}/users/{id}")).expect(200).text();
    assert!(user_page.contains("30 days left"), "{user_page}");

    // Restore: back with every attribute, recorded with the admin as actor.
    let restored = console.post(&format!("{location}/users/{id}/restore"), &[("csrf", &csrf)]).expect(200).text();
    assert!(restored.contains("Restored"));
    assert!(restored.contains("admin (admin)"), "{restored}");
    assert!(restored.contains("identity provider (Entra ID"), "{restored}");
    let user = scim(&server, &secret, "GET", &format!("{base}/Users/{id}"), None).expect(200).json();
    assert_eq!(user["active"], true);
    assert_eq!(user["name"]["familyName"], "Lovelace");
    assert_eq!(user["emails"][0]["value"], "ada@contoso.example");
    // Pending again: the invitation can be resent; activity lists the changes.
    let resent = console.post(&format!("{location}/users/{id}/resend"), &[("csrf", &csrf)]).expect(200).text();
    assert!(resent.contains("invitation is queued"));
    let activity = console.get(&format!("{location}/activity")).expect(200).text();
    assert!(activity.contains("ada@contoso.example"));

    // A refused SCIM request shows under the failures with its detail.
    scim(
        &server,
        &secret,
        "POST",
        &format!("{base}/Users"),
        Some(&json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@contoso.example"})),
    )
    .expect(409);
    let activity = console.get(&format!("{location}/activity")).expect(200).text();
    assert!(activity.contains("409"), "{activity}");

    // Delete now: gone for good.
    assert_eq!(console.post(&format!("{location}/users/{id}/delete"), &[("csrf", &csrf)]).status, 303);
    scim(&server, &secret, "GET", &format!("{base}/Users/{id}"), None).expect(404);
    console.get(&format!("{location}/users/{id}")).expect(404);

    // Revoke the token: SCIM answers 401.
    let page = console.get(&location).text();
    let action = page
        .split("action=\"")
        .filter_map(|s| s.split('"').next())
        .find(|a| a.ends_with("/revoke"))
        .expect("a revoke form")
        .to_owned();
    console.post(&action, &[("csrf", &csrf)]).expect(200);
    scim(&server, &secret, "GET", &format!("{base}/Users"), None).expect(401);

    // Unknown tenants and users are 404 pages, odd input is not a 500.
    console.get("/admin/t/nope").expect(404);
    console.get(&format!("{location}/users/nope")).expect(404);
    assert!(console.get(&format!("{location}/users?q=%00%22%5C&state=weird")).status < 500);
}

/// The users page filters by state and by name in the store, so a suspended user beyond the
/// first page is found; pages go on past the first 200.
#[test]
fn users_are_filtered_and_paged_beyond_the_first_page() {
    let server = Server::start(&[]);
    set_password(&server, PASSWORD);
    let base = server.base_path.clone();
    for i in 0..205 {
        let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": format!("a-{i:03}@x.example")});
        scim(&server, &server.token, "POST", &format!("{base}/Users"), Some(&body)).expect(201);
    }
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "zz@x.example"});
    let zz = scim(&server, &server.token, "POST", &format!("{base}/Users"), Some(&body)).expect(201).json();
    let off = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                     "Operations": [{"op": "replace", "path": "active", "value": false}]});
    let path = format!("{base}/Users/{}", zz["id"].as_str().expect("id"));
    scim(&server, &server.token, "PATCH", &path, Some(&off)).expect(200);

    let mut console = Console::new(&server);
    assert_eq!(console.sign_in(PASSWORD).status, 303);
    let users = format!("/admin/t/{}/users", server.tenant);
    let suspended = console.get(&format!("{users}?state=suspended")).expect(200).text();
    assert!(suspended.contains("zz@x.example"), "{suspended}");
    assert!(!suspended.contains("a-000@x.example"));
    assert!(suspended.contains("of 1,") || suspended.contains("of 1 "), "{suspended}");
    let pending = console.get(&format!("{users}?state=pending&q=a-20")).expect(200).text();
    assert!(pending.contains("a-204@x.example") && !pending.contains("zz@x.example"));
    let first = console.get(&users).expect(200).text();
    assert!(first.contains("a-199@x.example") && !first.contains("a-200@x.example"));
    assert!(first.contains("rel=\"next\""), "a link to the next page");
    let second = console.get(&format!("{users}?page=2")).expect(200).text();
    assert!(second.contains("a-200@x.example") && second.contains("zz@x.example"), "{second}");
    assert!(!second.contains("a-199@x.example") && second.contains("rel=\"prev\""));
    // Nonsense paging is the first page, not an error.
    console.get(&format!("{users}?page=-3")).expect(200);
    console.get(&format!("{users}?page=abc&state=bogus")).expect(200);
}
