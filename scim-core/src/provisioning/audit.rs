//! The service's side of the audit log: building records for its writes, recording refused
//! requests, reading the log.

use super::Provisioning;
use super::compat::Tally;
use crate::audit::{Actor, AuditContext, AuditOperation, AuditPage, AuditQuery, AuditRecord, Transition, diff};
use crate::lifecycle::UserStatus;
use crate::{ResourceKind, ScimError, StoreError, TenantId};
use serde_json::{Map, Value};
use std::sync::Arc;

impl Provisioning {
    /// Writes of the returned service are recorded as made in `context` (the actor, client,
    /// request id and method of the request). Cheap: it clones a few `Arc`s. Calls on a service
    /// without a context are recorded as made by the host ([`Actor::Host`]).
    ///
    /// ```
    /// # use scim_core::{Provisioning, audit::{Actor, AuditContext}};
    /// # fn f(provisioning: &Provisioning) {
    /// let admin = provisioning.acting_as(AuditContext::new(Actor::Host { name: Some("admin@acme.example".into()) }));
    /// // admin.patch_user(…) is recorded with that actor.
    /// # }
    /// ```
    #[must_use]
    pub fn acting_as(&self, context: AuditContext) -> Self {
        let mut service = self.clone();
        service.context = Arc::new(context);
        service.fired = Arc::default();
        service
    }

    /// This service, its writes recorded with `method` as the HTTP method (a Bulk
    /// operation's); it shares the quirk tally of `self`.
    pub(crate) fn with_method(&self, method: &str) -> Self {
        let mut service = self.clone();
        let mut context = (*self.context).clone();
        context.method = Some(method.to_owned());
        service.context = Arc::new(context);
        service
    }

    /// The context writes are recorded in.
    pub fn audit_context(&self) -> &AuditContext {
        &self.context
    }

    /// Whether writes are recorded: auditing is on ([`with_audit`](Self::with_audit)) and the
    /// user store keeps a log ([`UserStore::audit_log`](crate::UserStore::audit_log)).
    pub fn audits(&self) -> bool {
        self.audit && self.user_store().audit_log().is_some()
    }

    /// A page of `tenant`'s audit log, newest first.
    ///
    /// # Errors
    /// `501` when the store keeps no log, `500`/`503` when it fails.
    pub async fn audit_records(&self, tenant: &TenantId, query: &AuditQuery) -> Result<AuditPage, ScimError> {
        let Some(log) = self.user_store().audit_log() else {
            return Err(ScimError::not_implemented("this service's store keeps no audit log"));
        };
        Ok(log.list_audit(tenant, query).await?)
    }

    /// Records a request that was refused with `error`, outside any change: nothing is recorded
    /// when auditing is off, for a `5xx` (the store may be what failed), for `429` (a client
    /// over its rate would fill the log) or for a `404` of a read. `resource_id` is the id the
    /// request named, if any. The protocol service calls this for every request it refuses; a
    /// host with its own HTTP layer can do the same.
    ///
    /// # Errors
    /// The store's, when it could not keep the record.
    pub async fn record_refusal(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        resource_id: Option<&str>,
        operation: AuditOperation,
        error: &ScimError,
    ) -> Result<(), StoreError> {
        let status = error.status().as_u16();
        let read = matches!(operation, AuditOperation::Read | AuditOperation::List);
        if !(400..500).contains(&status) || status == 429 || (status == 404 && read) {
            return Ok(());
        }
        let Some(mut record) = self.audit_record(tenant, kind, operation) else { return Ok(()) };
        let Some(log) = self.user_store().audit_log() else { return Ok(()) };
        record.resource_id = resource_id.map(str::to_owned);
        record.status = status;
        record.scim_type = error.scim_type().map(|t| t.as_str().to_owned());
        record.detail = Some(error.detail().to_owned());
        log.append_audit(record).await
    }

    /// A record of `operation` in this service's context at the clock's time, or `None` when
    /// writes are not recorded.
    pub(super) fn audit_record(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        operation: AuditOperation,
    ) -> Option<AuditRecord> {
        self.audits().then(|| AuditRecord::new(self.clock.now(), tenant.clone(), &self.context, kind, operation))
    }

    /// The record of a successful write of a resource: its id and name, the attributes changed
    /// from `old` to `new`, and the user's lifecycle transition.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_record(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        operation: AuditOperation,
        id: &str,
        old: Option<&Map<String, Value>>,
        new: Option<&Map<String, Value>>,
        status: u16,
    ) -> Option<AuditRecord> {
        let mut record = self.audit_record(tenant, kind, operation)?;
        record.resource_id = Some(id.to_owned());
        let name_of = |doc: Option<&Map<String, Value>>| {
            doc.and_then(|d| d.get(kind.name_attribute())).and_then(Value::as_str).map(str::to_owned)
        };
        record.name = name_of(new).or_else(|| name_of(old));
        record.changes = diff(&self.registry, kind, old, new);
        if kind == ResourceKind::User {
            let status_of = |doc: Option<&Map<String, Value>>| doc.map(lifecycle_status);
            let (from, to) = (status_of(old), status_of(new));
            if from != to {
                record.transition = Some(Transition { from, to });
            }
        }
        record.status = status;
        Some(record)
    }

    /// `record` naming the quirks in `fired`.
    pub(super) fn with_quirks(record: Option<AuditRecord>, fired: &Tally) -> Option<AuditRecord> {
        record.map(|mut r| {
            r.quirks = fired.get().names();
            r
        })
    }

    /// The template of the records of a purge: the system as actor, with this service's request
    /// id and client, if any.
    pub(super) fn purge_record(&self, tenant: &TenantId) -> Option<AuditRecord> {
        let mut record = self.audit_record(tenant, ResourceKind::User, AuditOperation::Purge)?;
        record.actor = Actor::System;
        record.status = 204;
        Some(record)
    }
}

/// The lifecycle status stored in a user document (`pending` when it has none).
fn lifecycle_status(doc: &Map<String, Value>) -> UserStatus {
    doc.get(crate::urn::LIFECYCLE_USER)
        .and_then(|l| l.get("status"))
        .and_then(Value::as_str)
        .and_then(|s| s.parse().ok())
        .unwrap_or_default()
}
