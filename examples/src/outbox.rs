//! The invitation outbox: a [`LifecycleEvents`] hook that writes invitations to an
//! `example_outbox` table (for a mailer to send), in SQLite or PostgreSQL, and logs every
//! lifecycle event.
//!
//! Events arrive synchronously from the provisioning service; they are handed through a
//! channel to a writer (a thread for SQLite, a task for PostgreSQL) so a request never waits
//! on the outbox.

use crate::credentials::{CredentialsError, create_postgres_tables, open_connection};
use rusqlite::{Connection, params};
use scim_core::{LifecycleEvent, LifecycleEvents, TenantId, User};
use sqlx::PgPool;
use std::path::Path;
use std::thread;
use tokio::sync::mpsc::{self, UnboundedReceiver, UnboundedSender};

/// One invitation to send.
#[derive(Debug, Clone)]
struct Invitation {
    tenant: TenantId,
    user_id: String,
    user_name: String,
    email: Option<String>,
}

/// The outbox hook; cheap to share (`Arc`) and to clone (the clones queue to one writer).
#[derive(Debug, Clone)]
pub struct Outbox {
    tx: UnboundedSender<Invitation>,
}

fn primary_email(user: &User) -> Option<String> {
    let emails = user.as_object().get("emails")?.as_array()?;
    let primary = emails
        .iter()
        .find(|e| e.get("primary").and_then(serde_json::Value::as_bool) == Some(true))
        .or_else(|| emails.first())?;
    primary.get("value")?.as_str().map(str::to_owned)
}

fn migrate(conn: &Connection) -> Result<(), CredentialsError> {
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS example_outbox (
             id INTEGER PRIMARY KEY AUTOINCREMENT,
             kind TEXT NOT NULL,
             tenant_id TEXT NOT NULL,
             user_id TEXT NOT NULL,
             user_name TEXT NOT NULL,
             email TEXT,
             created_at TEXT NOT NULL,
             sent_at TEXT
         );",
    )?;
    Ok(())
}

/// The PostgreSQL table (in the first schema of the pool's `search_path`, the store's).
const CREATE_POSTGRES_TABLE: &str = "
    CREATE TABLE IF NOT EXISTS example_outbox (
        id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
        kind text NOT NULL,
        tenant_id text NOT NULL,
        user_id text NOT NULL,
        user_name text NOT NULL,
        email text,
        created_at timestamptz NOT NULL DEFAULT now(),
        sent_at timestamptz
    );
";

fn log_written<E: std::fmt::Display>(inv: &Invitation, written: Result<(), E>) {
    match written {
        Ok(()) => tracing::info!(tenant = %inv.tenant, user_id = %inv.user_id, "invitation queued in outbox"),
        Err(e) => tracing::error!(error = %e, user_id = %inv.user_id, "could not write the outbox"),
    }
}

impl Outbox {
    /// Opens the outbox table in the SQLite file at `path` and starts its writer thread.
    pub fn open(path: &Path) -> Result<Self, CredentialsError> {
        let conn = open_connection(path)?;
        migrate(&conn)?;
        Ok(Self::start(conn))
    }

    /// An outbox in a private in-memory database (the memory store without a file).
    pub fn open_in_memory() -> Result<Self, CredentialsError> {
        let conn = Connection::open_in_memory()?;
        migrate(&conn)?;
        Ok(Self::start(conn))
    }

    /// The outbox table in PostgreSQL on `pool` (the store's): creates it if missing (under
    /// the advisory lock the credentials' tables are created with) and starts its writer task
    /// on the current runtime.
    pub async fn connect_postgres(pool: PgPool) -> Result<Self, CredentialsError> {
        create_postgres_tables(&pool, CREATE_POSTGRES_TABLE).await?;
        let (tx, mut rx) = mpsc::unbounded_channel::<Invitation>();
        tokio::spawn(async move {
            while let Some(inv) = rx.recv().await {
                let written = sqlx::query(
                    "INSERT INTO example_outbox (kind, tenant_id, user_id, user_name, email)
                     VALUES ('invitation', $1, $2, $3, $4)",
                )
                .bind(inv.tenant.as_str())
                .bind(&inv.user_id)
                .bind(&inv.user_name)
                .bind(&inv.email)
                .execute(&pool)
                .await;
                log_written(&inv, written.map(drop));
            }
        });
        Ok(Self { tx })
    }

    /// Queues an invitation for `user` again (the admin console's *Resend invitation*).
    /// `false` when the writer has stopped.
    pub fn queue_invitation(&self, tenant: &TenantId, user: &User) -> bool {
        self.tx
            .send(Invitation {
                tenant: tenant.clone(),
                user_id: user.id().unwrap_or_default().to_owned(),
                user_name: user.user_name().unwrap_or_default().to_owned(),
                email: primary_email(user),
            })
            .is_ok()
    }

    fn start(conn: Connection) -> Self {
        let (tx, rx) = mpsc::unbounded_channel::<Invitation>();
        thread::spawn(move || Self::write_sqlite(&conn, rx));
        Self { tx }
    }

    /// The SQLite writer thread: writes each invitation until every sender is gone.
    fn write_sqlite(conn: &Connection, mut rx: UnboundedReceiver<Invitation>) {
        while let Some(inv) = rx.blocking_recv() {
            let written = conn.execute(
                "INSERT INTO example_outbox (kind, tenant_id, user_id, user_name, email, created_at)
                 VALUES ('invitation', ?1, ?2, ?3, ?4, ?5)",
                params![
                    inv.tenant.as_str(),
                    inv.user_id,
                    inv.user_name,
                    inv.email,
                    scim_core::format_time(chrono::Utc::now())
                ],
            );
            log_written(&inv, written.map(drop));
        }
    }
}

/// The metrics label of an event.
fn event_label(event: &LifecycleEvent) -> &'static str {
    match event {
        LifecycleEvent::Invited { .. } => "invited",
        LifecycleEvent::Activated { .. } => "activated",
        LifecycleEvent::Suspended { .. } => "suspended",
        LifecycleEvent::Restored { .. } => "restored",
        LifecycleEvent::Purged { .. } => "purged",
        LifecycleEvent::Deleted { .. } => "deleted",
        _ => "other",
    }
}

impl LifecycleEvents for Outbox {
    fn on_event(&self, event: &LifecycleEvent) {
        crate::ops::record_lifecycle(event_label(event));
        match event {
            LifecycleEvent::Invited { tenant, user } => {
                let invitation = Invitation {
                    tenant: tenant.clone(),
                    user_id: user.id().unwrap_or_default().to_owned(),
                    user_name: user.user_name().unwrap_or_default().to_owned(),
                    email: primary_email(user),
                };
                if self.tx.send(invitation).is_err() {
                    tracing::error!("the outbox writer has stopped; invitation dropped");
                }
            }
            LifecycleEvent::Activated { tenant, user } => {
                tracing::info!(%tenant, user_id = user.id().unwrap_or_default(), "user activated");
            }
            LifecycleEvent::Suspended { tenant, user } => {
                tracing::info!(%tenant, user_id = user.id().unwrap_or_default(), "user suspended: revoke sessions");
            }
            LifecycleEvent::Restored { tenant, user } => {
                tracing::info!(%tenant, user_id = user.id().unwrap_or_default(), "user restored");
            }
            LifecycleEvent::Purged { tenant, user } => {
                tracing::info!(%tenant, user_id = user.id().unwrap_or_default(), "suspended user purged");
            }
            LifecycleEvent::Deleted { tenant, user_id } => {
                tracing::info!(%tenant, %user_id, "user deleted");
            }
            other => tracing::info!(?other, "lifecycle event"),
        }
    }
}
