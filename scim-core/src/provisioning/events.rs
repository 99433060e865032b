//! The lifecycle events hook.

use crate::{TenantId, User};
use std::panic::{AssertUnwindSafe, catch_unwind};

/// What happened to a user, reported to [`LifecycleEvents::on_event`] after it was stored.
#[non_exhaustive]
#[derive(Debug, Clone)]
pub enum LifecycleEvent {
    /// A user became `pending` for the first time: created live, or (created suspended)
    /// restored for the first time, right after its `Restored`. Send the invitation.
    Invited {
        /// The tenant.
        tenant: TenantId,
        /// The stored user.
        user: User,
    },
    /// The host accepted the user's invitation (status `active`).
    Activated {
        /// The tenant.
        tenant: TenantId,
        /// The stored user.
        user: User,
    },
    /// The user was suspended (`active` set false, or created inactive): revoke its sessions;
    /// it will be purged at `purge_at` unless restored.
    Suspended {
        /// The tenant.
        tenant: TenantId,
        /// The stored user.
        user: User,
    },
    /// A suspended user was restored (`active` set true before `purge_at`), back to
    /// `pending` or `active` (see its lifecycle status). A pending user's earlier invitation
    /// can be accepted again; a user never invited gets `Invited` next.
    Restored {
        /// The tenant.
        tenant: TenantId,
        /// The stored user.
        user: User,
    },
    /// A suspended user's retention ended and it was removed.
    Purged {
        /// The tenant.
        tenant: TenantId,
        /// The user as it was before the purge.
        user: User,
    },
    /// A user was deleted (`DELETE`), at once and for good.
    Deleted {
        /// The tenant.
        tenant: TenantId,
        /// The id the user had.
        user_id: String,
    },
}

impl LifecycleEvent {
    /// The tenant the event happened in.
    pub fn tenant(&self) -> &TenantId {
        match self {
            Self::Invited { tenant, .. }
            | Self::Activated { tenant, .. }
            | Self::Suspended { tenant, .. }
            | Self::Restored { tenant, .. }
            | Self::Purged { tenant, .. }
            | Self::Deleted { tenant, .. } => tenant,
        }
    }

    /// The id of the user concerned.
    pub fn user_id(&self) -> &str {
        match self {
            Self::Invited { user, .. }
            | Self::Activated { user, .. }
            | Self::Suspended { user, .. }
            | Self::Restored { user, .. }
            | Self::Purged { user, .. } => user.id().unwrap_or_default(),
            Self::Deleted { user_id, .. } => user_id,
        }
    }
}

/// The host's hook into the user lifecycle (send invitations, revoke sessions, audit).
///
/// # Delivery
/// - **After commit**: `on_event` is called only once the change is stored; a failed write
///   produces no event.
/// - **Synchronously**, on the task that made the change, before the provisioning call
///   returns. Keep it fast: queue e-mails and the like instead of sending them inline.
/// - **At most once**: an event is not retried and is lost if the process dies between the
///   write and the call. Hosts that need every event should reconcile from the store (the
///   lifecycle extension holds the status and times of every user).
/// - A **panicking** hook is contained: the panic is caught, the stored change stands, and
///   the provisioning call still succeeds.
pub trait LifecycleEvents: Send + Sync + std::fmt::Debug + 'static {
    /// Called once per event, after the change is stored.
    fn on_event(&self, event: &LifecycleEvent);
}

/// Delivers `event` to `hook`, containing a panic.
pub(crate) fn deliver(hook: Option<&dyn LifecycleEvents>, event: &LifecycleEvent) {
    if let Some(hook) = hook {
        // The hook sees `event` by shared reference only; nothing of ours is left half-changed
        // if it unwinds.
        let _ = catch_unwind(AssertUnwindSafe(|| hook.on_event(event)));
    }
}
