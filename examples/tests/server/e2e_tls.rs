//! HTTPS with `--tls-cert`/`--tls-key` (rustls): a TLS client that trusts the test
//! certificate reaches the SCIM endpoint; the printed Tenant URL is `https://`.

use crate::common;

use common::{Server, parse_response};
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::Arc;
use tokio_rustls::rustls::{self, ClientConfig, ClientConnection, RootCertStore, StreamOwned};

fn fixture(name: &str) -> String {
    format!("{}/tests/fixtures/tls/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn serves_https_with_the_given_certificate() {
    let cert = fixture("cert.pem");
    let key = fixture("key.pem");
    let server = Server::start(&["--store", "memory", "--tls-cert", &cert, "--tls-key", &key]);
    assert!(server.tenant_url.starts_with("https://127.0.0.1:"), "{}", server.tenant_url);

    let request = format!(
        "GET {}/Users?filter=userName+eq+%22x%22 HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        server.base_path, server.addr, server.token
    );
    let resp = tls_request(&cert, &server.addr, &request).expect(200);
    assert_eq!(resp.json()["totalResults"], 0);
}

#[test]
fn the_admin_console_sets_secure_cookies_under_tls() {
    let cert = fixture("cert.pem");
    let key = fixture("key.pem");
    let server = Server::start(&["--store", "memory", "--tls-cert", &cert, "--tls-key", &key]);
    crate::e2e_admin::set_password(&server, crate::e2e_admin::PASSWORD);
    let addr = server.admin_addr.clone().expect("admin address");
    let request = format!("GET /admin/login HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n");
    let resp = tls_request(&cert, &addr, &request).expect(200);
    let cookie = resp.header("set-cookie").expect("a sign-in cookie");
    assert!(cookie.contains("; Secure") && cookie.contains("HttpOnly"), "{cookie}");
}

/// Sends `request` over TLS to `addr`, trusting the certificate `cert`.
fn tls_request(cert: &str, addr: &str, request: &str) -> common::Resp {
    let pem = std::fs::read(cert).expect("read cert");
    let mut roots = RootCertStore::empty();
    for c in rustls_pemfile::certs(&mut pem.as_slice()) {
        roots.add(c.expect("cert")).expect("add root");
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_root_certificates(roots)
        .with_no_client_auth();
    let name = rustls::pki_types::ServerName::try_from("127.0.0.1").expect("name");
    let conn = ClientConnection::new(Arc::new(config), name).expect("client");
    let tcp = TcpStream::connect(addr).expect("connect");
    let mut tls = StreamOwned::new(conn, tcp);
    tls.write_all(request.as_bytes()).expect("write");
    let mut raw = Vec::new();
    let _ = tls.read_to_end(&mut raw);
    parse_response(&raw)
}
