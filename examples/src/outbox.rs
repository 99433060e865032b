//! The invitation outbox: a [`LifecycleEvents`] hook that writes invitations to an
//! `example_outbox` table (for a mailer to send) and logs every lifecycle event.
//!
//! Events arrive synchronously from the provisioning service; they are handed to a writer
//! thread through a channel so a request never waits on the outbox.

use crate::credentials::{CredentialsError, open_connection};
use rusqlite::{Connection, params};
use scim_core::{LifecycleEvent, LifecycleEvents, TenantId, User};
use std::path::Path;
use std::sync::mpsc::{self, Sender};
use std::thread;

/// One invitation to send.
#[derive(Debug, Clone)]
struct Invitation {
    tenant: TenantId,
    user_id: String,
    user_name: String,
    email: Option<String>,
}

/// The outbox hook; cheap to share (`Arc`).
#[derive(Debug)]
pub struct Outbox {
    tx: Sender<Invitation>,
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

    fn start(conn: Connection) -> Self {
        let (tx, rx) = mpsc::channel::<Invitation>();
        thread::spawn(move || {
            for inv in rx {
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
                match written {
                    Ok(_) => {
                        tracing::info!(tenant = %inv.tenant, user_id = %inv.user_id, "invitation queued in outbox")
                    }
                    Err(e) => tracing::error!(error = %e, user_id = %inv.user_id, "could not write the outbox"),
                }
            }
        });
        Self { tx }
    }
}

impl LifecycleEvents for Outbox {
    fn on_event(&self, event: &LifecycleEvent) {
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
