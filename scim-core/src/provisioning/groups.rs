//! Groups: create, read, replace, patch (member changes without rewriting the group), delete,
//! list.

use super::Provisioning;
use super::compat::Tally;
use super::list::ListRequest;
use super::write::{MAX_RETRIES, check_if_match, conflict_exhausted, new_id, stored_len};
use crate::audit::{AuditOperation, members_change};
use crate::{Group, Page, PatchOp, ResourceKind, ScimError, StoreError, TenantId, Version, urn};
use serde_json::{Map, Value};

impl Provisioning {
    fn build_group(&self, id: &str, attrs: Map<String, Value>, existing: Option<&Group>) -> Group {
        let now = self.clock.now();
        let mut group = Group::from_json(Value::Object(attrs));
        group.set_id(id);
        match existing.and_then(Group::meta) {
            Some(m) => group.set_created(m.created),
            None => group.set_created(now),
        }
        group.set_last_modified(now);
        group
    }

    /// Creates a group (`POST /Groups`).
    ///
    /// # Errors
    /// `400` invalid body, `409 uniqueness` for a taken `displayName`.
    pub async fn create_group(&self, tenant: &TenantId, body: &Value) -> Result<Group, ScimError> {
        let fired = Tally::default();
        let rt = self.registry.kind(ResourceKind::Group)?;
        let attrs = self.quirked(&fired, || self.registry.validate(rt, body, None))?;
        let group = self.build_group(&new_id()?, attrs, None);
        self.check_size("group", group.as_object(), || None)?;
        self.check_values("group", group.as_object(), || None)?;
        let id = group.id().unwrap_or_default().to_owned();
        let record = self.write_record(
            tenant,
            ResourceKind::Group,
            AuditOperation::Create,
            &id,
            None,
            Some(group.as_object()),
            201,
        );
        let record = Self::with_quirks(record, &fired);
        Ok(self.group_store().create(tenant, group, record.as_ref()).await?)
    }

    /// Reads a group, with its members when `include_members`.
    ///
    /// # Errors
    /// `404` unknown group.
    pub async fn get_group(&self, tenant: &TenantId, id: &str, include_members: bool) -> Result<Group, ScimError> {
        Ok(self.group_store().get(tenant, id, include_members).await?)
    }

    async fn update_group<F>(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        operation: AuditOperation,
        fired: &Tally,
        mut compute: F,
    ) -> Result<Group, ScimError>
    where
        F: FnMut(&Self, &Group) -> Result<Option<Group>, ScimError> + Send,
    {
        for _ in 0..MAX_RETRIES {
            let existing = self.group_store().get(tenant, id, true).await?;
            check_if_match(if_match, existing.version().as_ref())?;
            let Some(next) = compute(self, &existing)? else { return Ok(existing) };
            if existing.same_client_part(next.as_object()) {
                return Ok(existing);
            }
            self.check_size("group", next.as_object(), || Some(stored_len(existing.as_object())))?;
            self.check_values("group", next.as_object(), || Some(existing.as_object()))?;
            let read = existing.version();
            let record = self.write_record(
                tenant,
                ResourceKind::Group,
                operation,
                id,
                Some(existing.as_object()),
                Some(next.as_object()),
                200,
            );
            let record = Self::with_quirks(record, fired);
            match self.group_store().replace(tenant, next, read.as_ref(), record.as_ref()).await {
                Ok(stored) => return Ok(stored),
                Err(StoreError::PreconditionFailed) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(conflict_exhausted())
    }

    /// Replaces a group, members included (`PUT /Groups/{id}`).
    ///
    /// # Errors
    /// As [`Provisioning::replace_user`].
    pub async fn replace_group(
        &self,
        tenant: &TenantId,
        id: &str,
        body: &Value,
        if_match: Option<&Version>,
    ) -> Result<Group, ScimError> {
        let rt = self.registry.kind(ResourceKind::Group)?;
        let fired = Tally::default();
        self.update_group(tenant, id, if_match, AuditOperation::Replace, &fired, |svc, existing| {
            let attrs = svc.quirked(&fired, || svc.registry.validate(rt, body, Some(existing.as_json())))?;
            Ok(Some(svc.build_group(id, attrs, Some(existing))))
        })
        .await
    }

    /// Patches a group (`PATCH /Groups/{id}`); see [Writes](Self#writes) for member changes.
    ///
    /// # Errors
    /// As [`Provisioning::patch_user`].
    pub async fn patch_group(
        &self,
        tenant: &TenantId,
        id: &str,
        body: &Value,
        if_match: Option<&Version>,
    ) -> Result<Group, ScimError> {
        let fired = Tally::default();
        let op = self.quirked(&fired, || PatchOp::from_json_limited(body, self.limits.max_patch_operations))?;
        if let Some(mut change) = self.quirked(&fired, || op.member_change()) {
            let registry = &self.registry;
            let def = registry.schema(urn::GROUP).and_then(|s| s.attribute("members"));
            if let Some(def) = def {
                if !change.add.is_empty() {
                    let add = Value::Array(change.add);
                    let canonical = self.quirked(&fired, || registry.canonicalize_value(def, &add))?;
                    change.add = match canonical {
                        Value::Array(items) => items,
                        Value::Null => Vec::new(),
                        other => vec![other],
                    };
                }
            }
            let now = self.clock.now();
            let record = match self.audit_record(tenant, ResourceKind::Group, AuditOperation::Patch) {
                Some(mut record) => {
                    // The group's name as it is now: the change does not touch it.
                    let name = self.group_store().get(tenant, id, false).await?.display_name().map(str::to_owned);
                    let removed = change.remove.iter().map(|id| serde_json::json!({ "value": id })).collect();
                    record.resource_id = Some(id.to_owned());
                    record.name = name;
                    record.changes.extend(members_change(removed, change.add.clone()));
                    record.status = 204;
                    record.quirks = fired.get().names();
                    Some(record)
                }
                None => None,
            };
            self.group_store().modify_members(tenant, id, &change, now, if_match, record.as_ref()).await?;
            return Ok(self.group_store().get(tenant, id, false).await?);
        }
        let rt = self.registry.kind(ResourceKind::Group)?;
        self.update_group(tenant, id, if_match, AuditOperation::Patch, &fired, |svc, existing| {
            let registry = &svc.registry;
            let mut doc = existing.as_object().clone();
            let attrs = svc.quirked(&fired, || {
                if !op.apply(registry, rt, &mut doc)? {
                    return Ok(None);
                }
                registry.validate_owned(rt, Value::Object(doc), Some(existing.as_json())).map(Some)
            })?;
            let Some(attrs) = attrs else { return Ok(None) };
            Ok(Some(svc.build_group(id, attrs, Some(existing))))
        })
        .await
    }

    /// Deletes a group at once.
    ///
    /// # Errors
    /// `404` unknown group, `412` stale `if_match`.
    pub async fn delete_group(&self, tenant: &TenantId, id: &str, if_match: Option<&Version>) -> Result<(), ScimError> {
        if !self.audits() {
            return Ok(self.group_store().delete(tenant, id, if_match, None).await?);
        }
        // Read first, so the record names the group (its members left out: a group of
        // 100 000 would make a record of megabytes); delete conditional on the version read.
        for _ in 0..MAX_RETRIES {
            let existing = self.group_store().get(tenant, id, false).await?;
            check_if_match(if_match, existing.version().as_ref())?;
            let old = existing.as_object();
            let record =
                self.write_record(tenant, ResourceKind::Group, AuditOperation::Delete, id, Some(old), None, 204);
            match self.group_store().delete(tenant, id, existing.version().as_ref(), record.as_ref()).await {
                Ok(()) => return Ok(()),
                Err(StoreError::PreconditionFailed) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(conflict_exhausted())
    }

    /// Lists groups (`GET /Groups`).
    ///
    /// # Errors
    /// As [`Provisioning::list_users`].
    pub async fn list_groups(&self, tenant: &TenantId, request: &ListRequest) -> Result<Page<Group>, ScimError> {
        self.list_groups_charged(tenant, request, &|_| Ok(())).await
    }
}
