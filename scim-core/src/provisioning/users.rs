//! Users: create, read, replace, patch, delete, list, accept invitations, purge.

use super::Provisioning;
use super::compat::Tally;
use super::compat::UserConflictPolicy;
use super::events::LifecycleEvent;
use super::list::ListRequest;
use super::write::{MAX_RETRIES, add_schema, check_if_match, conflict_exhausted, lifecycle_of, new_id, stored_len};
use crate::audit::AuditOperation;
use crate::lifecycle::{Lifecycle, UserStatus};
use crate::store::{ListQuery, QueryFilter};
use crate::{Page, PatchOp, ResourceKind, ScimError, StoreError, TenantId, User, Version, urn};
use serde_json::{Map, Value};

impl Provisioning {
    /// Builds the stored user from validated client attributes, the previous version (if any)
    /// and the requested `active`.
    fn build_user(
        &self,
        id: &str,
        mut attrs: Map<String, Value>,
        existing: Option<&User>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> User {
        let before = existing.map(lifecycle_of).unwrap_or_default();
        let active = attrs.get("active").and_then(Value::as_bool).or(existing.map(User::active)).unwrap_or(true);
        attrs.insert("active".into(), Value::Bool(active));
        add_schema(&mut attrs, urn::LIFECYCLE_USER);
        let lifecycle = match existing {
            Some(_) => before.with_active(active, now, self.retention),
            None => Lifecycle::created(active, now, self.retention),
        };
        if let Some(meta) = existing.and_then(|e| e.attribute_json("meta")) {
            attrs.insert("meta".into(), meta);
        }
        let mut user = User::from_json(Value::Object(attrs));
        user.set_id(id);
        match existing.and_then(User::meta) {
            Some(m) => user.set_created(m.created),
            None => user.set_created(now),
        }
        user.set_last_modified(now);
        user.set_lifecycle(&lifecycle);
        user
    }

    /// Creates a user (`POST /Users`).
    ///
    /// # Errors
    /// `400` for an invalid body (see [`SchemaRegistry::validate`](crate::SchemaRegistry::validate)), `409 uniqueness` for a
    /// taken `userName` (under [`UserConflictPolicy::Adopt`], only when the user holding it has
    /// another `externalId`: otherwise that user is updated and returned), `500` for a store
    /// failure.
    pub async fn create_user(&self, tenant: &TenantId, body: &Value) -> Result<User, ScimError> {
        let fired = Tally::default();
        let rt = self.registry.kind(ResourceKind::User)?;
        let mut validated = Some(self.quirked(&fired, || self.registry.validate(rt, body, None))?);
        // Under `Adopt`, a second attempt when the user holding the name vanished meanwhile.
        for _ in 0..2 {
            let attrs = match validated.take() {
                Some(attrs) => attrs,
                None => self.quirked(&fired, || self.registry.validate(rt, body, None))?,
            };
            let user = self.build_user(&new_id()?, attrs, None, self.clock.now());
            self.check_size("user", user.as_object(), || None)?;
            self.check_values("user", user.as_object(), || None)?;
            let id = user.id().unwrap_or_default().to_owned();
            let record = self.write_record(
                tenant,
                ResourceKind::User,
                AuditOperation::Create,
                &id,
                None,
                Some(user.as_object()),
                201,
            );
            let record = Self::with_quirks(record, &fired);
            let adopt = self.user_conflict == UserConflictPolicy::Adopt;
            let user_name = if adopt { user.user_name().map(str::to_owned) } else { None };
            let stored = match self.user_store().create(tenant, user, record.as_ref()).await {
                Ok(stored) => stored,
                Err(StoreError::Uniqueness { attribute: "userName" }) if adopt => {
                    match self.adopt_user(tenant, body, user_name.as_deref().unwrap_or_default(), &fired).await? {
                        Some(adopted) => return Ok(adopted),
                        None => continue,
                    }
                }
                Err(e) => return Err(e.into()),
            };
            let event = if stored.lifecycle().status == UserStatus::Suspended {
                LifecycleEvent::Suspended { tenant: tenant.clone(), user: stored.clone() }
            } else {
                LifecycleEvent::Invited { tenant: tenant.clone(), user: stored.clone() }
            };
            self.emit(&event);
            return Ok(stored);
        }
        Err(conflict_exhausted())
    }

    /// A create whose `userName` is taken, under [`UserConflictPolicy::Adopt`]: the posted
    /// attributes replace those of the user holding the name, when its `externalId` is the
    /// body's or it has none; a suspended user is restored unless the body says
    /// `active: false`. `None` when no user holds the name any more (deleted or purged since).
    async fn adopt_user(
        &self,
        tenant: &TenantId,
        body: &Value,
        user_name: &str,
        fired: &Tally,
    ) -> Result<Option<User>, ScimError> {
        let rt = self.registry.kind(ResourceKind::User)?;
        let filter = format!("userName eq {}", Value::String(user_name.to_owned()));
        let query = ListQuery::new().with_filter(QueryFilter::parse(&self.registry, rt, &filter)?).with_count(1);
        let Some(existing) = self.user_store().list(tenant, &query).await?.items.into_iter().next() else {
            return Ok(None);
        };
        let posted = body.as_object().and_then(|o| crate::get_ignoring_case(o, "externalId")).and_then(Value::as_str);
        if existing.external_id().is_some_and(|held| Some(held) != posted) {
            return Err(ScimError::uniqueness(
                "userName is already in use in this tenant by a user with another externalId; not adopted",
            ));
        }
        let id = existing.id().unwrap_or_default().to_owned();
        let adopted = self
            .update_user(tenant, &id, None, AuditOperation::Adopt, fired, |svc, existing| {
                let existing_doc = svc.existing_for_validation(rt, existing);
                let mut attrs = svc.quirked(fired, || svc.registry.validate(rt, body, existing_doc))?;
                attrs.entry("active").or_insert(Value::Bool(true));
                Ok(Some(svc.build_user(&id, attrs, Some(existing), svc.clock.now())))
            })
            .await;
        match adopted {
            Ok(user) => Ok(Some(user)),
            Err(e) if e.status() == http::StatusCode::NOT_FOUND => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Reads a user, suspended ones included.
    ///
    /// # Errors
    /// `404` for an unknown, deleted or purged user.
    pub async fn get_user(&self, tenant: &TenantId, id: &str) -> Result<User, ScimError> {
        let user = self.user_store().get(tenant, id).await?;
        if user.lifecycle().is_expired(self.clock.now()) {
            let record = self.purge_record(tenant).map(|template| template.purged(tenant, &user));
            match self.user_store().delete(tenant, id, user.version().as_ref(), record.as_ref()).await {
                Ok(()) => self.emit(&LifecycleEvent::Purged { tenant: tenant.clone(), user }),
                Err(StoreError::NotFound | StoreError::PreconditionFailed) => {}
                Err(e) => return Err(e.into()),
            }
            return Err(StoreError::NotFound.into());
        }
        Ok(user)
    }

    /// Read, compute, replace conditional on the version read; retried from the read when
    /// another writer won. The client's `If-Match` is checked against each read (`*` only asks
    /// that the user exists), so the write itself is always conditional and never loses an
    /// update, whatever the client sent.
    async fn update_user<F>(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        operation: AuditOperation,
        fired: &Tally,
        mut compute: F,
    ) -> Result<User, ScimError>
    where
        F: FnMut(&Self, &User) -> Result<Option<User>, ScimError> + Send,
    {
        for _ in 0..MAX_RETRIES {
            let existing = self.get_user(tenant, id).await?;
            check_if_match(if_match, existing.version().as_ref())?;
            let Some(next) = compute(self, &existing)? else { return Ok(existing) };
            if existing.same_client_part(next.as_object()) {
                return Ok(existing);
            }
            self.check_size("user", next.as_object(), || Some(stored_len(existing.as_object())))?;
            self.check_values("user", next.as_object(), || Some(existing.as_object()))?;
            let read = existing.version();
            // An adoption is answered as the create it was asked as.
            let status = if operation == AuditOperation::Adopt { 201 } else { 200 };
            let record = self.write_record(
                tenant,
                ResourceKind::User,
                operation,
                id,
                Some(existing.as_object()),
                Some(next.as_object()),
                status,
            );
            let record = Self::with_quirks(record, fired);
            match self.user_store().replace(tenant, next, read.as_ref(), record.as_ref()).await {
                Ok(stored) => {
                    self.transition_event(tenant, &lifecycle_of(&existing), &stored);
                    return Ok(stored);
                }
                // Another writer won since the read: read again. A client's `If-Match` is
                // checked against that read, so a stale one ends as `412` there.
                Err(StoreError::PreconditionFailed) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(conflict_exhausted())
    }

    /// Replaces a user (`PUT /Users/{id}`).
    ///
    /// # Errors
    /// `404` unknown user, `400` invalid body or immutable change, `409` taken `userName`,
    /// `412` when `if_match` is stale.
    pub async fn replace_user(
        &self,
        tenant: &TenantId,
        id: &str,
        body: &Value,
        if_match: Option<&Version>,
    ) -> Result<User, ScimError> {
        let rt = self.registry.kind(ResourceKind::User)?;
        let fired = Tally::default();
        self.update_user(tenant, id, if_match, AuditOperation::Replace, &fired, |svc, existing| {
            let existing_doc = svc.existing_for_validation(rt, existing);
            let attrs = svc.quirked(&fired, || svc.registry.validate(rt, body, existing_doc))?;
            Ok(Some(svc.build_user(id, attrs, Some(existing), svc.clock.now())))
        })
        .await
    }

    /// Patches a user (`PATCH /Users/{id}`).
    ///
    /// # Errors
    /// `400` (`invalidSyntax`, `invalidPath`, `noTarget`, `mutability`, `invalidValue`) for a
    /// bad request, `404` unknown user, `409` taken `userName`, `412` stale `if_match`.
    pub async fn patch_user(
        &self,
        tenant: &TenantId,
        id: &str,
        body: &Value,
        if_match: Option<&Version>,
    ) -> Result<User, ScimError> {
        let fired = Tally::default();
        let op = self.quirked(&fired, || PatchOp::from_json_limited(body, self.limits.max_patch_operations))?;
        let rt = self.registry.kind(ResourceKind::User)?;
        self.update_user(tenant, id, if_match, AuditOperation::Patch, &fired, |svc, existing| {
            let registry = &svc.registry;
            // Copied from the stored form: the stored document is not turned into JSON as well.
            let mut doc = match existing.to_json() {
                Value::Object(doc) => doc,
                _ => Map::new(),
            };
            doc.remove("groups");
            let existing_doc = svc.existing_for_validation(rt, existing);
            let attrs = svc.quirked(&fired, || {
                if !op.apply(registry, rt, &mut doc)? {
                    return Ok(None);
                }
                registry.validate_owned(rt, Value::Object(doc), existing_doc).map(Some)
            })?;
            let Some(attrs) = attrs else { return Ok(None) };
            Ok(Some(svc.build_user(id, attrs, Some(existing), svc.clock.now())))
        })
        .await
    }

    /// Deletes a user at once (`DELETE /Users/{id}`), removing it from every group.
    ///
    /// # Errors
    /// `404` unknown user, `412` stale `if_match`.
    pub async fn delete_user(&self, tenant: &TenantId, id: &str, if_match: Option<&Version>) -> Result<(), ScimError> {
        if self.audits() {
            self.delete_user_recorded(tenant, id, if_match).await?;
        } else {
            self.user_store().delete(tenant, id, if_match, None).await?;
        }
        self.emit(&LifecycleEvent::Deleted { tenant: tenant.clone(), user_id: id.to_owned() });
        Ok(())
    }

    /// A delete with its record, which names the user as it was: read, then delete conditional
    /// on the version read (retried when another writer won, unless the client gave `If-Match`).
    async fn delete_user_recorded(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
    ) -> Result<(), ScimError> {
        for _ in 0..MAX_RETRIES {
            let existing = self.user_store().get(tenant, id).await?;
            check_if_match(if_match, existing.version().as_ref())?;
            let old = existing.as_object();
            let record =
                self.write_record(tenant, ResourceKind::User, AuditOperation::Delete, id, Some(old), None, 204);
            match self.user_store().delete(tenant, id, existing.version().as_ref(), record.as_ref()).await {
                Ok(()) => return Ok(()),
                Err(StoreError::PreconditionFailed) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(conflict_exhausted())
    }

    /// Lists users (`GET /Users`), by index or, with a `cursor`, by RFC 9865 cursor (see
    /// [`ListRequest`]).
    ///
    /// # Errors
    /// `400 invalidFilter` for a filter that does not parse or apply, `400 invalidValue` for a
    /// bad `sortBy`/`sortOrder` (or `cursor` with `startIndex`), `400 invalidCursor`,
    /// `expiredCursor` or `invalidCount` for a cursor walk's bad cursor or page size, `400
    /// tooMany` for a scan over [`Limits::max_scan`](crate::Limits::max_scan)
    /// and `429` when the tenant has too many scans waiting (see [`Limits`](crate::Limits#scans)).
    pub async fn list_users(&self, tenant: &TenantId, request: &ListRequest) -> Result<Page<User>, ScimError> {
        self.list_users_charged(tenant, request, &|_| Ok(())).await
    }

    /// Records that the person accepted the invitation: `pending` becomes `active`
    /// ([`LifecycleEvent::Activated`]); an `active` user is returned as it is.
    ///
    /// # Errors
    /// `409` for a suspended user (restore it with `active: true` first), `404` unknown user.
    pub async fn accept_invitation(&self, tenant: &TenantId, id: &str) -> Result<User, ScimError> {
        self.update_user(tenant, id, None, AuditOperation::AcceptInvitation, &Tally::default(), |svc, existing| {
            let now = svc.clock.now();
            let before = lifecycle_of(existing);
            let lifecycle = before.accept_invitation(now)?;
            if lifecycle == before {
                return Ok(None);
            }
            let mut next = existing.clone();
            next.as_object_mut().remove("groups");
            next.set_lifecycle(&lifecycle);
            next.set_last_modified(now);
            Ok(Some(next))
        })
        .await
    }

    /// Removes every suspended user whose `purge_at` has come, in every tenant, reporting
    /// [`LifecycleEvent::Purged`] for each; returns how many.
    ///
    /// Nothing calls it by itself: run it periodically (every minute is plenty), or suspended
    /// users nobody reads stay for ever. With the feature `tokio`,
    /// `Provisioning::spawn_purge(interval)` (or a `PurgeTask`) runs it on the host's tokio
    /// runtime; see the crate documentation.
    ///
    /// # Errors
    /// `500` for a store failure.
    /// It also removes audit records older than the audit retention
    /// ([`with_audit_retention`](Self::with_audit_retention)).
    pub async fn purge_expired(&self) -> Result<usize, ScimError> {
        let now = self.clock.now();
        let template = self.purge_record(&TenantId::new(""));
        let purged = self.user_store().purge_expired(now, template.as_ref()).await?;
        for (tenant, user) in &purged {
            self.emit(&LifecycleEvent::Purged { tenant: tenant.clone(), user: user.clone() });
        }
        if let Some(log) = self.user_store().audit_log() {
            log.expire_audit(now - self.audit_retention).await?;
        }
        Ok(purged.len())
    }
}
