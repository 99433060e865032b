//! Shared by the end-to-end tests: start the real server binary on 127.0.0.1 with a temporary
//! database, read the credentials it prints, and talk HTTP/1.1 to it over a plain TCP socket.

#![allow(dead_code, unreachable_pub)]

use serde_json::Value;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, ChildStdout, Command, Stdio};
use std::time::Duration;

/// A running `scim-example-server`.
pub struct Server {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    pub dir: tempfile::TempDir,
    /// `127.0.0.1:port`.
    pub addr: String,
    /// `/scim/v2/t/<tenant>`.
    pub base_path: String,
    pub tenant_url: String,
    pub tenant: String,
    pub token: String,
    /// `127.0.0.1:port` of `/healthz`, `/readyz` and `/metrics` (the axum server only).
    pub metrics_addr: Option<String>,
    /// `127.0.0.1:port` of the admin console (the axum server only).
    pub admin_addr: Option<String>,
}

/// One HTTP response.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v.as_str())
    }

    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("status {} body is not JSON ({e}): {}", self.status, self.text()))
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// Asserts the status, printing the body on failure.
    #[track_caller]
    pub fn expect(self, status: u16) -> Self {
        assert_eq!(self.status, status, "unexpected status; body: {}", self.text());
        self
    }

    /// Asserts a SCIM error with this status (and scimType, when given).
    #[track_caller]
    pub fn expect_error(self, status: u16, scim_type: Option<&str>) -> Value {
        let resp = self.expect(status);
        let body = resp.json();
        assert_eq!(body["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:Error", "{body}");
        assert_eq!(body["status"], status.to_string(), "{body}");
        assert!(body["detail"].as_str().is_some_and(|d| !d.is_empty()), "{body}");
        assert_eq!(body["scimType"].as_str(), scim_type, "{body}");
        body
    }
}

impl Server {
    /// Starts the server with the SQLite store and extra arguments.
    pub fn start(extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::start_in(dir, extra)
    }

    /// Starts the server with `--store memory`.
    pub fn start_memory(extra: &[&str]) -> Self {
        let mut args = vec!["--store", "memory"];
        args.extend_from_slice(extra);
        Self::start(&args)
    }

    fn start_in(dir: tempfile::TempDir, extra: &[&str]) -> Self {
        Self::start_binary(env!("CARGO_BIN_EXE_scim-example-server"), dir, extra)
    }

    /// Starts `binary` (one of the package's servers) with `--listen 127.0.0.1:0 --db <dir>/scim.db`.
    pub fn start_binary(binary: &str, dir: tempfile::TempDir, extra: &[&str]) -> Self {
        Self::spawn(binary, dir, extra, None)
    }

    /// Starts another server on a database that has its tenant already (as another replica
    /// on the same PostgreSQL database): it prints the Tenant URL only, so requests use
    /// `token`, a token of that tenant.
    pub fn start_replica(extra: &[&str], token: &str) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        Self::spawn(env!("CARGO_BIN_EXE_scim-example-server"), dir, extra, Some(token.to_owned()))
    }

    /// Starts the example server with `extra`, its log (`RUST_LOG=info`) written to `log`;
    /// `token` as in [`start_replica`](Self::start_replica), `None` when it creates the tenant.
    pub fn start_logged(extra: &[&str], token: Option<&str>, log: &std::path::Path) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let file = std::fs::File::create(log).expect("log file");
        Self::spawn_with(env!("CARGO_BIN_EXE_scim-example-server"), dir, extra, token.map(str::to_owned), Some(file))
    }

    fn spawn(binary: &str, dir: tempfile::TempDir, extra: &[&str], token: Option<String>) -> Self {
        Self::spawn_with(binary, dir, extra, token, None)
    }

    /// Starts the example server again on `other`'s database file with `extra` (a restart
    /// after `other` stopped): its tenant exists, so requests use `other`'s token.
    pub fn start_replica_in(other: &Self, extra: &[&str]) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let db = other.db();
        let mut args = vec!["--db", db.to_str().expect("utf-8 path")];
        args.extend_from_slice(extra);
        Self::spawn_with(env!("CARGO_BIN_EXE_scim-example-server"), dir, &args, Some(other.token.clone()), None)
    }

    fn spawn_with(
        binary: &str,
        dir: tempfile::TempDir,
        extra: &[&str],
        mut token: Option<String>,
        log: Option<std::fs::File>,
    ) -> Self {
        // `--db` in `extra` names another file (a restart on another server's database).
        let db = dir.path().join("scim.db");
        let db_args: Vec<&std::ffi::OsStr> =
            if extra.contains(&"--db") { Vec::new() } else { vec!["--db".as_ref(), db.as_os_str()] };
        let (level, stderr) = match log {
            Some(file) => ("info", Stdio::from(file)),
            None => ("warn", Stdio::inherit()),
        };
        // Only the axum server has a metrics listener; a free port, so servers run side by side.
        let axum_server = binary == env!("CARGO_BIN_EXE_scim-example-server");
        let metrics_args: &[&str] =
            if axum_server { &["--metrics-listen", "127.0.0.1:0", "--admin-listen", "127.0.0.1:0"] } else { &[] };
        let mut child = Command::new(binary)
            .arg("--listen")
            .arg("127.0.0.1:0")
            .args(&db_args)
            .args(metrics_args)
            .args(extra)
            .env("RUST_LOG", level)
            .env("NO_COLOR", "1")
            .stdout(Stdio::piped())
            .stderr(stderr)
            .spawn()
            .expect("start scim-example-server");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut tenant_url = None;
        let mut metrics_addr = None;
        let mut admin_addr = None;
        let mut line = String::new();
        while tenant_url.is_none()
            || token.is_none()
            || (axum_server && (metrics_addr.is_none() || admin_addr.is_none()))
        {
            line.clear();
            let n = stdout.read_line(&mut line).expect("read server stdout");
            assert!(n > 0, "the server exited before printing its credentials");
            if let Some(url) = line.trim().strip_prefix("Tenant URL: ") {
                tenant_url = Some(url.to_owned());
            } else if let Some(t) = line.trim().strip_prefix("Secret Token: ") {
                token = Some(t.to_owned());
            } else if let Some(url) = line.trim().strip_prefix("Metrics URL: http://") {
                metrics_addr = url.strip_suffix("/metrics").map(str::to_owned);
            } else if let Some(url) = line.trim().strip_prefix("Admin URL: ") {
                let url = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")).unwrap_or(url);
                admin_addr = url.strip_suffix("/admin").map(str::to_owned);
            }
        }
        let tenant_url = tenant_url.expect("Tenant URL line");
        let rest =
            tenant_url.strip_prefix("http://").or_else(|| tenant_url.strip_prefix("https://")).expect("http(s) URL");
        let (addr, path) = rest.split_once('/').expect("URL with a path");
        let tenant = path.rsplit('/').next().expect("tenant segment").to_owned();
        Self {
            child,
            _stdout: stdout,
            addr: addr.to_owned(),
            base_path: format!("/{path}"),
            tenant,
            tenant_url: tenant_url.clone(),
            token: token.expect("token"),
            metrics_addr,
            admin_addr,
            dir,
        }
    }

    /// Stops the process (the directory and database stay until drop).
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Sends SIGTERM to the process (by its PID) and waits for it to exit.
    pub fn terminate(&mut self) -> std::process::ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill").args(["-TERM", &pid]).status().expect("run kill");
        assert!(sent.success(), "kill -TERM {pid} failed");
        self.child.wait().expect("wait for the server")
    }

    /// The database file.
    pub fn db(&self) -> std::path::PathBuf {
        self.dir.path().join("scim.db")
    }

    /// Runs a credentials subcommand against the same database; returns stdout.
    pub fn cli(&self, args: &[&str]) -> String {
        let out = Command::new(env!("CARGO_BIN_EXE_scim-example-server"))
            .args(args)
            .arg("--db")
            .arg(self.db())
            .arg("--listen")
            .arg(&self.addr)
            .env("RUST_LOG", "warn")
            .output()
            .expect("run subcommand");
        assert!(out.status.success(), "subcommand {args:?} failed: {}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).expect("utf-8 output")
    }

    /// Creates another tenant with the CLI; returns its base path (`/scim/v2/t/<id>`) and its
    /// secret token.
    pub fn create_tenant(&self, name: &str) -> (String, String) {
        self.create_tenant_with(name, &[])
    }

    /// [`create_tenant`](Self::create_tenant) with more arguments (`--profile strict`).
    pub fn create_tenant_with(&self, name: &str, extra: &[&str]) -> (String, String) {
        let mut args = vec!["tenant", "create", "--name", name];
        args.extend_from_slice(extra);
        let out = self.cli(&args);
        let url = out.lines().find_map(|l| l.strip_prefix("Tenant URL: ")).expect("tenant url");
        let token = out.lines().find_map(|l| l.strip_prefix("Secret Token: ")).expect("token").to_owned();
        let base = format!("/{}", url.strip_prefix("http://").and_then(|r| r.split_once('/')).expect("url").1);
        (base, token)
    }

    /// A request under the tenant base path with the server's token.
    pub fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
        let auth = format!("Bearer {}", self.token);
        let mut headers = vec![("Authorization", auth.as_str())];
        if bytes.is_some() {
            headers.push(("Content-Type", "application/scim+json; charset=utf-8"));
        }
        let full = format!("{}{path}", self.base_path);
        raw_request(&self.addr, method, &full, &headers, bytes.as_deref())
    }

    pub fn get(&self, path: &str) -> Resp {
        self.call("GET", path, None)
    }

    pub fn post(&self, path: &str, body: &Value) -> Resp {
        self.call("POST", path, Some(body))
    }

    pub fn put(&self, path: &str, body: &Value) -> Resp {
        self.call("PUT", path, Some(body))
    }

    pub fn patch(&self, path: &str, body: &Value) -> Resp {
        self.call("PATCH", path, Some(body))
    }

    pub fn delete(&self, path: &str) -> Resp {
        self.call("DELETE", path, None)
    }

    /// Any request with explicit headers (path is absolute).
    pub fn raw(&self, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Resp {
        raw_request(&self.addr, method, path, headers, body)
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // Kills exactly the child this test started, by its PID.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The head of an HTTP/1.1 request (`Connection: close`), with `Content-Length` for a body.
fn request_head(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body_len: Option<usize>) -> String {
    let mut head = format!("{method} {path} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    if let Some(len) = body_len {
        head.push_str(&format!("Content-Length: {len}\r\n"));
    }
    head.push_str("\r\n");
    head
}

/// Sends one HTTP/1.1 request (`Connection: close`) and reads the whole response.
pub fn raw_request(addr: &str, method: &str, path: &str, headers: &[(&str, &str)], body: Option<&[u8]>) -> Resp {
    let mut stream = TcpStream::connect(addr).expect("connect to the server");
    stream.set_read_timeout(Some(Duration::from_secs(30))).expect("timeout");
    let head = request_head(addr, method, path, headers, body.map(<[u8]>::len));
    stream.write_all(head.as_bytes()).expect("write head");
    if let Some(b) = body {
        // The server may answer (413) before reading everything; ignore a reset here.
        let _ = stream.write_all(b);
    }
    let mut raw = Vec::new();
    let _ = stream.read_to_end(&mut raw);
    parse_response(&raw)
}

/// As [`raw_request`], but `None` instead of a panic when the connection fails or closes before
/// a whole response head (a server killed mid-request).
pub fn try_request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
) -> Option<Resp> {
    let mut stream = TcpStream::connect(addr).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(20))).ok()?;
    let head = request_head(addr, method, path, headers, body.map(<[u8]>::len));
    stream.write_all(head.as_bytes()).ok()?;
    stream.write_all(body.unwrap_or_default()).ok()?;
    let mut raw = Vec::new();
    stream.read_to_end(&mut raw).ok()?;
    raw.windows(4).position(|w| w == b"\r\n\r\n")?;
    Some(parse_response(&raw))
}

pub fn parse_response(raw: &[u8]) -> Resp {
    let split = raw.windows(4).position(|w| w == b"\r\n\r\n").expect("a complete HTTP response head");
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status_line = lines.next().expect("status line");
    let status: u16 = status_line.split(' ').nth(1).and_then(|s| s.parse().ok()).expect("status code");
    let headers: Vec<(String, String)> =
        lines.filter_map(|l| l.split_once(':')).map(|(k, v)| (k.trim().to_owned(), v.trim().to_owned())).collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked =
        headers.iter().any(|(k, v)| k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked"));
    if chunked {
        body = dechunk(&body);
    }
    Resp { status, headers, body }
}

fn dechunk(mut data: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    while let Some(end) = data.windows(2).position(|w| w == b"\r\n") {
        let size = usize::from_str_radix(String::from_utf8_lossy(&data[..end]).trim(), 16).unwrap_or(0);
        if size == 0 {
            break;
        }
        let start = end + 2;
        out.extend_from_slice(&data[start..start + size]);
        data = &data[start + size + 2..];
    }
    out
}

/// Percent-encodes a query value the way Entra does (spaces as `+`, quotes as `%22`).
pub fn entra_query(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        match b {
            b' ' => out.push('+'),
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => out.push(char::from(b)),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Percent-encodes a query value the way Okta does (spaces as `%20`).
pub fn okta_query(value: &str) -> String {
    entra_query(value).replace('+', "%20")
}

/// A tenant of a running server: its SCIM base path (`/scim/v2/t/<id>`), one of its tokens, and
/// its id.
#[derive(Debug, Clone)]
pub struct Tenant {
    pub base: String,
    pub token: String,
    pub id: String,
}

impl Tenant {
    fn new(base: String, token: String) -> Self {
        let id = base.trim_end_matches('/').rsplit('/').next().unwrap_or_default().to_owned();
        Self { base, token, id }
    }

    /// The tenant the server created on its first start.
    pub fn first(server: &Server) -> Self {
        Self::new(server.base_path.clone(), server.token.clone())
    }

    /// Another tenant, created with the CLI (`tenant create --name NAME`).
    pub fn create(server: &Server, name: &str) -> Self {
        Self::create_with(server, name, &[])
    }

    /// Another tenant, created with the CLI with more arguments (`--profile strict`).
    pub fn create_with(server: &Server, name: &str, extra: &[&str]) -> Self {
        let (base, token) = server.create_tenant_with(name, extra);
        Self::new(base, token)
    }

    /// A request under the tenant's base path with its token (`scim+json` bodies).
    pub fn send(&self, server: &Server, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let bytes = body.map(|b| serde_json::to_vec(b).expect("json"));
        let auth = format!("Bearer {}", self.token);
        let mut headers = vec![("Authorization", auth.as_str())];
        if bytes.is_some() {
            headers.push(("Content-Type", "application/scim+json"));
        }
        server.raw(method, &format!("{}{path}", self.base), &headers, bytes.as_deref())
    }
}
