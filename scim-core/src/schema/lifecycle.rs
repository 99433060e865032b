//! This library's lifecycle extension of User: where the user is in pending → active →
//! suspended, all read-only (the provisioning service writes it; clients cannot).

use super::common::{date_time, string};
use super::{Mutability, Schema};
use crate::urn;

/// The lifecycle extension, [`urn::LIFECYCLE_USER`]: `status`, `invitedAt`, `activatedAt`,
/// `suspendedAt`, `purgeAt`, every attribute read-only.
pub fn lifecycle_user_schema() -> Schema {
    Schema {
        id: urn::LIFECYCLE_USER.to_owned(),
        name: "UserLifecycle".to_owned(),
        description: "Lifecycle of a provisioned user: pending until the invitation is accepted, active, or \
                      suspended (soft-deleted) until purgeAt."
            .to_owned(),
        attributes: vec![
            string("status", "The lifecycle status: 'pending', 'active' or 'suspended'.")
                .with_case_exact()
                .with_canonical_values(["pending", "active", "suspended"])
                .with_mutability(Mutability::ReadOnly),
            date_time("invitedAt", "When the user became pending and the host was asked to invite them.")
                .with_mutability(Mutability::ReadOnly),
            date_time("activatedAt", "When the user accepted the invitation.").with_mutability(Mutability::ReadOnly),
            date_time("suspendedAt", "When the user was suspended (set active=false).")
                .with_mutability(Mutability::ReadOnly),
            date_time("purgeAt", "When a suspended user will be permanently deleted.")
                .with_mutability(Mutability::ReadOnly),
        ],
    }
}
