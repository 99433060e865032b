//! The admin console in a real browser: Debian's `chromium` driven by `chromedriver` over
//! WebDriver (HTTP on loopback, spoken here directly). Skips with a notice when either is
//! missing, unless `SCIM_REQUIRE_BROWSER` is set (CI), then it fails.
//!
//! The story: set the password, a bad sign-in, sign in, create a tenant, Get credentials, use
//! them over SCIM as Entra would (create a user, a group, suspend the user), see the user
//! suspended with 30 days left, restore it, read the audit trail (the identity provider's and
//! the admin's actions), revoke the token and see SCIM answer 401. Every page visited is saved
//! as a PNG under `target/admin-screenshots/`.

use crate::common::{Resp, Server, raw_request};
use crate::e2e_admin::{PASSWORD, set_password};
use serde_json::{Value, json};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The W3C WebDriver element key.
const ELEMENT: &str = "element-6066-11e4-a52e-4f735466cecf";

fn find_program(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

fn screenshot_dir() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("target"));
    let dir = target.join("admin-screenshots");
    std::fs::create_dir_all(&dir).expect("create the screenshot directory");
    dir
}

fn base64_decode(text: &str) -> Vec<u8> {
    let value = |c: u8| -> Option<u32> {
        match c {
            b'A'..=b'Z' => Some(u32::from(c - b'A')),
            b'a'..=b'z' => Some(u32::from(c - b'a') + 26),
            b'0'..=b'9' => Some(u32::from(c - b'0') + 52),
            b'+' => Some(62),
            b'/' => Some(63),
            _ => None,
        }
    };
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for v in text.bytes().filter_map(value) {
        acc = (acc << 6) | v;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push(u8::try_from((acc >> bits) & 0xff).expect("a byte"));
        }
    }
    out
}

/// A chromedriver process and one browser session; both end on drop.
struct Browser {
    driver: Child,
    addr: String,
    session: String,
    shots: PathBuf,
    count: usize,
}

impl Browser {
    fn start(chromium: &Path, chromedriver: &Path) -> Self {
        let port = TcpListener::bind("127.0.0.1:0").expect("a free port").local_addr().expect("addr").port();
        let driver = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .arg("--allowed-ips=127.0.0.1")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let addr = format!("127.0.0.1:{port}");
        let mut browser = Self { driver, addr, session: String::new(), shots: screenshot_dir(), count: 0 };
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            if std::net::TcpStream::connect(&browser.addr).is_ok()
                && browser.call("GET", "/status", None).json()["value"]["ready"] == true
            {
                break;
            }
            assert!(Instant::now() < deadline, "chromedriver did not start");
            std::thread::sleep(Duration::from_millis(100));
        }
        let caps = json!({"capabilities": {"alwaysMatch": {
            "browserName": "chrome",
            "goog:chromeOptions": {
                "binary": chromium.to_str().expect("utf-8 path"),
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                         "--window-size=1366,900", "--no-first-run", "--disable-extensions"]
            }
        }}});
        let resp = browser.call("POST", "/session", Some(&caps));
        let body = resp.json();
        browser.session =
            body["value"]["sessionId"].as_str().unwrap_or_else(|| panic!("no browser session: {body}")).to_owned();
        browser
    }

    /// One WebDriver request. chromedriver keeps connections open whatever the client asks,
    /// so the answer is read up to its `Content-Length`, not to the end of the stream.
    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        use std::io::{Read, Write};
        let bytes = body.map(|b| serde_json::to_vec(b).expect("json")).unwrap_or_default();
        let mut stream = std::net::TcpStream::connect(&self.addr).expect("connect to chromedriver");
        stream.set_read_timeout(Some(Duration::from_secs(120))).expect("timeout");
        let head = format!(
            "{method} {path} HTTP/1.1\r\nHost: {}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: {}\r\n\r\n",
            self.addr,
            bytes.len()
        );
        stream.write_all(head.as_bytes()).expect("write");
        stream.write_all(&bytes).expect("write");
        let mut raw = Vec::new();
        let mut buf = [0u8; 65536];
        loop {
            if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
                let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
                let length = head
                    .lines()
                    .find_map(|l| l.strip_prefix("content-length:"))
                    .and_then(|v| v.trim().parse::<usize>().ok());
                if length.is_some_and(|n| raw.len() >= end + 4 + n) {
                    break;
                }
            }
            match stream.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => raw.extend_from_slice(&buf[..n]),
            }
        }
        crate::common::parse_response(&raw)
    }

    /// A session command; panics on a WebDriver error.
    fn cmd(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let resp = self.call(method, &format!("/session/{}{path}", self.session), body);
        let v = resp.json();
        assert_eq!(resp.status, 200, "WebDriver {method} {path}: {v}");
        v["value"].clone()
    }

    fn go(&self, url: &str) {
        self.cmd("POST", "/url", Some(&json!({"url": url})));
    }

    fn find(&self, css: &str) -> String {
        let v = self.cmd("POST", "/element", Some(&json!({"using": "css selector", "value": css})));
        v[ELEMENT].as_str().unwrap_or_else(|| panic!("no element {css}: {v}")).to_owned()
    }

    fn type_into(&self, css: &str, text: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/clear"), Some(&json!({})));
        self.cmd("POST", &format!("/element/{e}/value"), Some(&json!({"text": text})));
    }

    fn click(&self, css: &str) {
        let e = self.find(css);
        self.cmd("POST", &format!("/element/{e}/click"), Some(&json!({})));
    }

    fn value_of(&self, css: &str) -> String {
        let e = self.find(css);
        self.cmd("GET", &format!("/element/{e}/property/value"), None).as_str().unwrap_or_default().to_owned()
    }

    fn source(&self) -> String {
        self.cmd("GET", "/source", None).as_str().unwrap_or_default().to_owned()
    }

    fn url(&self) -> String {
        self.cmd("GET", "/url", None).as_str().unwrap_or_default().to_owned()
    }

    /// Waits (up to 20 s) for the page's URL to end with `suffix`: a click that submits a
    /// form may return before the next page has loaded.
    fn wait_for_url(&self, suffix: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.url().ends_with(suffix) {
            assert!(Instant::now() < deadline, "the browser stayed at {} (waiting for …{suffix})", self.url());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until the page holds `text`: a form's answer may come a while after the click (a
    /// refused sign-in is answered after a delay) while the old page is still shown.
    fn wait_for_text(&self, text: &str) {
        let deadline = Instant::now() + Duration::from_secs(20);
        while !self.source().contains(text) {
            assert!(Instant::now() < deadline, "the page at {} never showed {text:?}", self.url());
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    fn accept_alert(&self) {
        self.cmd("POST", "/alert/accept", Some(&json!({})));
    }

    /// Saves a screenshot as `NN-name.png`; returns its path.
    fn shot(&mut self, name: &str) -> PathBuf {
        self.count += 1;
        // The whole page: the window grows to the document's height for the shot.
        let height = self.cmd(
            "POST",
            "/execute/sync",
            Some(&json!({
                "script": "return document.documentElement.scrollHeight", "args": []
            })),
        );
        // The window is taller than its viewport by the (headless) browser frame.
        let height = (height.as_u64().unwrap_or(900) + 150).clamp(900, 4000);
        self.cmd("POST", "/window/rect", Some(&json!({"width": 1366, "height": height})));
        let data = self.cmd("GET", "/screenshot", None);
        self.cmd("POST", "/window/rect", Some(&json!({"width": 1366, "height": 900})));
        let png = base64_decode(data.as_str().expect("base64 screenshot"));
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let path = self.shots.join(format!("{:02}-{name}.png", self.count));
        std::fs::write(&path, png).expect("write the screenshot");
        path
    }
}

impl Drop for Browser {
    fn drop(&mut self) {
        if !self.session.is_empty() {
            let _ = self.call("DELETE", &format!("/session/{}", self.session), None);
        }
        // Stops exactly the chromedriver this test started, by its PID.
        let _ = self.driver.kill();
        let _ = self.driver.wait();
    }
}

fn scim(server: &Server, token: &str, method: &str, path: &str, body: Option<&Value>) -> Resp {
    let auth = format!("Bearer {token}");
    let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
    let headers = [
        ("Authorization", auth.as_str()),
        ("Content-Type", "application/scim+json"),
        ("User-Agent", "Azure AD SCIM Provisioning"),
    ];
    raw_request(&server.addr, method, path, &headers, bytes.as_deref())
}

#[test]
fn the_admin_console_in_chromium() {
    let chromium = find_program(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]);
    let chromedriver = find_program(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]);
    let (Some(chromium), Some(chromedriver)) = (chromium, chromedriver) else {
        assert!(
            std::env::var_os("SCIM_REQUIRE_BROWSER").is_none(),
            "SCIM_REQUIRE_BROWSER is set but chromium or chromedriver is missing (apt-get install chromium chromium-driver)"
        );
        eprintln!("SKIPPED the_admin_console_in_chromium: chromium and chromium-driver are not installed");
        return;
    };
    let server = Server::start(&[]);
    set_password(&server, PASSWORD);
    let admin = format!("http://{}", server.admin_addr.as_deref().expect("admin address"));
    let mut b = Browser::start(&chromium, &chromedriver);

    // Sign-in: a wrong password first.
    b.go(&format!("{admin}/admin"));
    assert!(b.url().ends_with("/admin/login"), "{}", b.url());
    b.shot("sign-in");
    b.type_into("#password", "not the password at all");
    b.click("button[type=submit]");
    b.wait_for_text("Wrong password");
    b.shot("sign-in-refused");
    b.type_into("#password", PASSWORD);
    b.click("button[type=submit]");
    b.wait_for_url("/admin");
    b.shot("tenants");

    // Create a tenant.
    b.type_into("#tenant-name", "Contoso");
    b.click("form[action='/admin/tenants'] button");
    b.wait_for_url("");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !b.url().contains("/admin/t/") {
        assert!(Instant::now() < deadline, "no tenant page");
        std::thread::sleep(Duration::from_millis(50));
    }
    let tenant_page = b.url();
    let tenant = tenant_page.rsplit('/').next().expect("tenant id").to_owned();
    b.wait_for_text("User provisioning: Contoso");
    b.shot("user-provisioning");

    // Get credentials.
    b.type_into("#label", "Entra ID");
    b.click("form[action$='/credentials'] button");
    b.wait_for_url("/credentials");
    let secret = b.value_of("#secret-token");
    let url = b.value_of("#tenant-url-new");
    assert!(secret.starts_with("scim_"), "{secret}");
    assert!(url.ends_with(&format!("/scim/v2/t/{tenant}")), "{url}");
    // The copy buttons are shown by the script.
    assert!(!b.source().contains("data-copy=\"secret-token\" hidden"));
    b.shot("get-credentials");

    // As Entra would: create a user and a group, then suspend the user.
    let base = format!("/scim/v2/t/{tenant}");
    let user = scim(
        &server,
        &secret,
        "POST",
        &format!("{base}/Users"),
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "userName": "grace@contoso.example", "externalId": "e-1001",
            "name": {"givenName": "Grace", "familyName": "Hopper"}, "displayName": "Grace Hopper",
            "emails": [{"value": "grace@contoso.example", "type": "work", "primary": true}],
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Engineering"}
        })),
    )
    .expect(201)
    .json();
    let id = user["id"].as_str().expect("id").to_owned();
    scim(&server, &secret, "POST", &format!("{base}/Users"), Some(&json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "alan@contoso.example", "displayName": "Alan Turing"
    })))
    .expect(201);
    scim(
        &server,
        &secret,
        "POST",
        &format!("{base}/Groups"),
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering",
            "members": [{"value": id}]
        })),
    )
    .expect(201);
    scim(
        &server,
        &secret,
        "PATCH",
        &format!("{base}/Users/{id}"),
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
            "Operations": [{"op": "replace", "path": "active", "value": false}]
        })),
    )
    .expect(200);

    // Users: suspended, 30 days left.
    b.go(&format!("{tenant_page}/users"));
    b.shot("users");
    b.go(&format!("{tenant_page}/users?state=suspended"));
    let list = b.source();
    assert!(list.contains("grace@contoso.example") && !list.contains("alan@contoso.example"), "{list}");
    assert!(list.contains(">30<"), "30 days until the purge: {list}");
    b.shot("users-suspended");
    b.click(&format!("a[href$='/users/{id}']"));
    b.wait_for_url(&format!("/users/{id}"));
    b.wait_for_text("30 days left");
    b.shot("user-suspended");

    // Restore: back with every attribute, the admin recorded as actor.
    b.click("form[action$='/restore'] button");
    b.wait_for_url("/restore");
    let page = b.source();
    assert!(page.contains("Restored"), "{page}");
    assert!(page.contains("admin (admin)") && page.contains("identity provider (Entra ID"), "{page}");
    b.shot("user-restored");
    let restored = scim(&server, &secret, "GET", &format!("{base}/Users/{id}"), None).expect(200).json();
    assert_eq!(restored["active"], true);
    assert_eq!(restored["name"]["familyName"], "Hopper");
    assert_eq!(restored["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"]["department"], "Engineering");

    b.go(&format!("{tenant_page}/groups"));
    b.wait_for_text("Engineering");
    b.shot("groups");
    scim(
        &server,
        &secret,
        "POST",
        &format!("{base}/Users"),
        Some(&json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "grace@contoso.example"
        })),
    )
    .expect(409);
    b.go(&format!("{tenant_page}/activity"));
    b.wait_for_text("409");
    b.shot("activity");

    // Revoke the token (the page asks first): SCIM answers 401.
    b.go(&tenant_page);
    b.click("form[action$='/revoke'] button");
    b.accept_alert();
    b.wait_for_url("/revoke");
    b.wait_for_text("is revoked");
    b.shot("token-revoked");
    scim(&server, &secret, "GET", &format!("{base}/Users"), None).expect(401);

    // Signing out ends the session.
    b.click("header form button");
    b.wait_for_url("/admin/login");
    b.go(&format!("{admin}/admin"));
    assert!(b.url().ends_with("/admin/login"), "{}", b.url());
    eprintln!("admin console screenshots in {}", b.shots.display());
}
