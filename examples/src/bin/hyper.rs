//! `scim-example-hyper`: the same SCIM service behind hyper alone (no axum), to show that
//! `ScimService` is framework-agnostic. Memory store, credentials in `--db`.
//!
//! ```text
//! scim-example-hyper [--listen 127.0.0.1:8081] [--db ./scim-example.db]
//! ```

use http_body_util::{BodyExt, Full, Limited};
use hyper::body::{Bytes, Incoming};
use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper::{Request, Response};
use hyper_util::rt::TokioIo;
use scim_core::{Provisioning, ScimError, ScimService};
use scim_example_server::credentials::Credentials;
use scim_example_server::{BASE_PATH, shutdown_signal, tenant_url};
use scim_store_memory::MemoryUserStore;
use std::convert::Infallible;
use std::sync::Arc;
use tokio::net::TcpListener;

/// Authenticates the head, then buffers the body (capped), calls the service, converts back.
async fn handle(service: Arc<ScimService>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = req.into_parts();
    let admitted = match service.admit(&parts).await {
        Ok(admitted) => admitted,
        Err(refused) => return Ok(refused.map(|body| Full::new(Bytes::from(body)))),
    };
    let response = match Limited::new(body, service.max_body_bytes()).collect().await {
        Ok(collected) => service.handle_admitted(admitted, Request::from_parts(parts, collected.to_bytes())).await,
        Err(_) => ScimError::payload_too_large(service.max_body_bytes()).to_response(),
    };
    Ok(response.map(|body| Full::new(Bytes::from(body))))
}

fn arg(name: &str, default: &str) -> String {
    let args: Vec<String> = std::env::args().collect();
    args.iter().position(|a| a == name).and_then(|i| args.get(i + 1)).cloned().unwrap_or_else(|| default.to_owned())
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    tracing_subscriber::fmt().with_writer(std::io::stderr).init();
    let creds = Arc::new(Credentials::open(arg("--db", "./scim-example.db").as_ref())?);
    let listener = TcpListener::bind(arg("--listen", "127.0.0.1:8081")).await?;
    let origin = format!("http://{}", listener.local_addr()?);
    match creds.tenants().await?.into_iter().next() {
        Some(tenant) => println!("Tenant URL: {}", tenant_url(&origin, &tenant.id)),
        None => {
            let tenant = creds.create_tenant(None).await?;
            let token = creds.issue_token(&tenant.id, None).await?;
            println!("Tenant URL: {}", tenant_url(&origin, &tenant.id));
            println!("Secret Token: {}", token.secret);
        }
    }
    let store = Arc::new(MemoryUserStore::new());
    let service = ScimService::new(Provisioning::new(store), creds).with_base_path(BASE_PATH).with_public_url(origin);
    let service = Arc::new(service);
    let graceful = hyper_util::server::graceful::GracefulShutdown::new();
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let service = service.clone();
                let conn = http1::Builder::new()
                    .serve_connection(TokioIo::new(tcp), service_fn(move |req| handle(service.clone(), req)));
                let conn = graceful.watch(conn);
                tokio::spawn(async move {
                    if let Err(e) = conn.await {
                        tracing::debug!(error = %e, "connection error");
                    }
                });
            }
            () = &mut shutdown => break,
        }
    }
    graceful.shutdown().await;
    Ok(())
}
