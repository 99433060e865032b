//! The provisioning logic over borrowed stores (shared by [`Provisioning`](super::Provisioning)
//! and the conformance suite).

use super::events::{LifecycleEvent, LifecycleEvents, deliver};
use super::list::{ListRequest, list_query};
use crate::lifecycle::{Clock, Lifecycle, UserStatus};
use crate::{
    DynGroupStore, DynUserStore, Group, Page, PatchOp, SchemaRegistry, ScimError, StoreError, TenantId, User, Version,
    urn,
};
use chrono::Duration;
use http::StatusCode;
use serde_json::{Map, Value};
use std::sync::Arc;

/// How many times a write without a client `If-Match` is retried after losing a race.
pub(crate) const MAX_RETRIES: usize = 32;

/// The settings of a provisioning service.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) registry: Arc<SchemaRegistry>,
    pub(crate) clock: Arc<dyn Clock>,
    pub(crate) retention: Duration,
    pub(crate) events: Option<Arc<dyn LifecycleEvents>>,
    pub(crate) max_results: usize,
    pub(crate) max_resource_bytes: usize,
    /// Conformance only: yield to the executor between the read and the write of an update,
    /// so concurrent updates on a store that never suspends still interleave.
    #[cfg(any(test, feature = "conformance"))]
    pub(crate) interleave: bool,
}

impl Config {
    pub(crate) fn new() -> Self {
        Self {
            registry: Arc::new(SchemaRegistry::scim_default()),
            clock: Arc::new(crate::SystemClock),
            retention: Duration::days(30),
            events: None,
            max_results: 1000,
            max_resource_bytes: super::DEFAULT_MAX_RESOURCE_BYTES,
            #[cfg(any(test, feature = "conformance"))]
            interleave: false,
        }
    }
}

/// The service over borrowed stores.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Service<'a> {
    pub(crate) users: &'a DynUserStore,
    pub(crate) groups: &'a DynGroupStore,
    pub(crate) config: &'a Config,
}

fn conflict_exhausted() -> ScimError {
    ScimError::new(
        StatusCode::CONFLICT,
        None,
        "the resource kept changing concurrently; the change was not applied, try again",
    )
}

fn check_if_match(if_match: Option<&Version>, current: Option<&Version>) -> Result<(), ScimError> {
    match (if_match, current) {
        (Some(want), Some(cur)) if !want.matches(cur) => Err(StoreError::PreconditionFailed.into()),
        _ => Ok(()),
    }
}

/// The stored lifecycle of `user`, with `invited_at` filled in for users stored before it
/// existed: such a user was invited when it was created, unless it was created suspended
/// (suspended at its creation time and never activated), so restoring it does not invite a
/// person who already has an invitation or an account.
fn lifecycle_of(user: &User) -> Lifecycle {
    let mut lifecycle = user.lifecycle();
    if lifecycle.invited_at.is_none() {
        if let Some(created) = user.meta().map(|m| m.created) {
            let created_suspended = lifecycle.activated_at.is_none()
                && lifecycle.status == UserStatus::Suspended
                && lifecycle.suspended_at == Some(created);
            if !created_suspended {
                lifecycle.invited_at = Some(created);
            }
        }
    }
    lifecycle
}

/// The length of the client's part of `doc` as compact JSON, counted without building it.
/// Left out: a group's `members` (stored one by one, bounded by the body cap and the count of
/// users), a user's derived `groups`, and what the server writes (`meta`, the lifecycle
/// extension), so a change of state never counts toward the bound.
fn stored_len(doc: &Map<String, Value>) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    for (k, v) in doc {
        if matches!(k.as_str(), "members" | "groups" | "meta") || k == urn::LIFECYCLE_USER {
            continue;
        }
        // Writing to a counter cannot fail; a value that would not serialize counts as empty.
        let _ = serde_json::to_writer(&mut count, k);
        let _ = serde_json::to_writer(&mut count, v);
        count.0 += 2;
    }
    count.0
}

/// A random UUID v4 in its 8-4-4-4-12 form.
fn new_id() -> Result<String, ScimError> {
    // From the operating system's random source; when it fails the request gets a 500 (the
    // `uuid` crate's own `new_v4` would panic instead).
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| ScimError::internal())?;
    Ok(uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string())
}

/// Adds `schema` to the document's `schemas` unless it is there (in any case).
fn add_schema(doc: &mut Map<String, Value>, schema: &str) {
    let schemas = doc.entry("schemas").or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = schemas {
        if !list.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(schema))) {
            list.push(Value::String(schema.to_owned()));
        }
    }
}

impl Service<'_> {
    /// The stored user a replace's validation reads, if it reads one.
    fn existing_for_validation<'u>(&self, resource_type: &str, existing: &'u User) -> Option<&'u Value> {
        self.config.registry.replace_reads_existing(resource_type).then(|| existing.as_json())
    }

    /// `400 invalidValue` when a resource to store is larger than the configured bound, unless
    /// it replaces a stored one about as large (stored before the bound, or under a larger
    /// one): a client must be able to deactivate or shrink it, and the service's own changes
    /// (`active`, the lifecycle schema in `schemas`) may add a few bytes.
    /// `existing` is asked only for a resource over the bound: reading a stored user's
    /// document as JSON is not free.
    fn check_size(
        &self,
        kind: &str,
        doc: &Map<String, Value>,
        existing: impl FnOnce() -> Option<usize>,
    ) -> Result<(), ScimError> {
        const SLACK: usize = 256;
        let len = stored_len(doc);
        if len > self.config.max_resource_bytes && existing().is_none_or(|e| e + SLACK < len) {
            return Err(ScimError::invalid_value(format!(
                "the {kind} would take {len} bytes, more than the {} this service stores per resource",
                self.config.max_resource_bytes
            )));
        }
        Ok(())
    }

    fn emit(&self, event: &LifecycleEvent) {
        deliver(self.config.events.as_deref(), event);
    }

    /// The events for a lifecycle change stored in `user`, if any: a restore of a user never
    /// invited (created suspended) is `Restored`, then `Invited`.
    fn transition_event(&self, tenant: &TenantId, before: &Lifecycle, user: &User) {
        let after = user.lifecycle();
        let event = |make: fn(TenantId, User) -> LifecycleEvent| make(tenant.clone(), user.clone());
        match (before.status, after.status) {
            (UserStatus::Pending | UserStatus::Active, UserStatus::Suspended) => {
                self.emit(&event(|tenant, user| LifecycleEvent::Suspended { tenant, user }));
            }
            (UserStatus::Suspended, UserStatus::Pending | UserStatus::Active) => {
                self.emit(&event(|tenant, user| LifecycleEvent::Restored { tenant, user }));
                if before.invited_at.is_none() && after.invited_at.is_some() {
                    self.emit(&event(|tenant, user| LifecycleEvent::Invited { tenant, user }));
                }
            }
            (UserStatus::Pending, UserStatus::Active) => {
                self.emit(&event(|tenant, user| LifecycleEvent::Activated { tenant, user }));
            }
            _ => {}
        }
    }

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
            Some(_) => before.with_active(active, now, self.config.retention),
            None => Lifecycle::created(active, now, self.config.retention),
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

    // ---------------- users ----------------

    pub(crate) async fn create_user(&self, tenant: &TenantId, body: &Value) -> Result<User, ScimError> {
        let attrs = self.config.registry.validate("User", body, None)?;
        let now = self.config.clock.now();
        let user = self.build_user(&new_id()?, attrs, None, now);
        self.check_size("user", user.as_object(), || None)?;
        let stored = self.users.create(tenant, user).await?;
        let event = if stored.lifecycle().status == UserStatus::Suspended {
            LifecycleEvent::Suspended { tenant: tenant.clone(), user: stored.clone() }
        } else {
            LifecycleEvent::Invited { tenant: tenant.clone(), user: stored.clone() }
        };
        self.emit(&event);
        Ok(stored)
    }

    /// Reads a user; a suspended user past its purge time is purged now and reads as `404`.
    pub(crate) async fn get_user(&self, tenant: &TenantId, id: &str) -> Result<User, ScimError> {
        let user = self.users.get(tenant, id).await?;
        if user.lifecycle().is_expired(self.config.clock.now()) {
            match self.users.delete(tenant, id, user.version().as_ref()).await {
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
            #[cfg(any(test, feature = "conformance"))]
            if self.config.interleave {
                crate::conformance::yield_now().await;
            }
            let read = existing.version();
            match self.users.replace(tenant, next, read.as_ref()).await {
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

    pub(crate) async fn replace_user(
        &self,
        tenant: &TenantId,
        id: &str,
        body: &Value,
        if_match: Option<&Version>,
    ) -> Result<User, ScimError> {
        self.update_user(tenant, id, if_match, |svc, existing| {
            let attrs = svc.config.registry.validate("User", body, svc.existing_for_validation("User", existing))?;
            Ok(Some(svc.build_user(id, attrs, Some(existing), svc.config.clock.now())))
        })
        .await
    }

    pub(crate) async fn patch_user(
        &self,
        tenant: &TenantId,
        id: &str,
        body: &Value,
        if_match: Option<&Version>,
    ) -> Result<User, ScimError> {
        let op = PatchOp::from_json(body)?;
        self.update_user(tenant, id, if_match, |svc, existing| {
            let registry = &svc.config.registry;
            // Copied from the stored form: the stored document is not turned into JSON as well.
            let mut doc = match existing.to_json() {
                Value::Object(doc) => doc,
                _ => Map::new(),
            };
            doc.remove("groups");
            if !op.apply(registry, "User", &mut doc)? {
                return Ok(None);
            }
            let attrs =
                registry.validate_owned("User", Value::Object(doc), svc.existing_for_validation("User", existing))?;
            Ok(Some(svc.build_user(id, attrs, Some(existing), svc.config.clock.now())))
        })
        .await
    }

    pub(crate) async fn delete_user(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
    ) -> Result<(), ScimError> {
        self.users.delete(tenant, id, if_match).await?;
        self.emit(&LifecycleEvent::Deleted { tenant: tenant.clone(), user_id: id.to_owned() });
        Ok(())
    }

    pub(crate) async fn list_users(&self, tenant: &TenantId, request: &ListRequest) -> Result<Page<User>, ScimError> {
        let query = list_query(&self.config.registry, "User", request, self.config.max_results)?;
        Ok(self.users.list(tenant, &query).await?)
    }

    pub(crate) async fn accept_invitation(&self, tenant: &TenantId, id: &str) -> Result<User, ScimError> {
        self.update_user(tenant, id, None, |svc, existing| {
            let now = svc.config.clock.now();
            let before = lifecycle_of(existing);
            let lifecycle = before.accept_invitation(now).map_err(|()| {
                ScimError::new(
                    StatusCode::CONFLICT,
                    None,
                    "the user is suspended and cannot accept the invitation until it is restored (active=true)",
                )
            })?;
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

    pub(crate) async fn purge_expired(&self) -> Result<usize, ScimError> {
        let purged = self.users.purge_expired(self.config.clock.now()).await?;
        for (tenant, user) in &purged {
            self.emit(&LifecycleEvent::Purged { tenant: tenant.clone(), user: user.clone() });
        }
        Ok(purged.len())
    }

    // ---------------- groups ----------------

    fn build_group(&self, id: &str, attrs: Map<String, Value>, existing: Option<&Group>) -> Group {
        let now = self.config.clock.now();
        let mut group = Group::from_json(Value::Object(attrs));
        group.set_id(id);
        match existing.and_then(Group::meta) {
            Some(m) => group.set_created(m.created),
            None => group.set_created(now),
        }
        group.set_last_modified(now);
        group
    }

    pub(crate) async fn create_group(&self, tenant: &TenantId, body: &Value) -> Result<Group, ScimError> {
        let attrs = self.config.registry.validate("Group", body, None)?;
        let group = self.build_group(&new_id()?, attrs, None);
        self.check_size("group", group.as_object(), || None)?;
        Ok(self.groups.create(tenant, group).await?)
    }

    pub(crate) async fn get_group(
        &self,
        tenant: &TenantId,
        id: &str,
        include_members: bool,
    ) -> Result<Group, ScimError> {
        Ok(self.groups.get(tenant, id, include_members).await?)
    }

    async fn update_group<F>(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        mut compute: F,
    ) -> Result<Group, ScimError>
    where
        F: FnMut(&Self, &Group) -> Result<Option<Group>, ScimError> + Send,
    {
        for _ in 0..MAX_RETRIES {
            let existing = self.groups.get(tenant, id, true).await?;
            check_if_match(if_match, existing.version().as_ref())?;
            let Some(next) = compute(self, &existing)? else { return Ok(existing) };
            if existing.same_client_part(next.as_object()) {
                return Ok(existing);
            }
            self.check_size("group", next.as_object(), || Some(stored_len(existing.as_object())))?;
            #[cfg(any(test, feature = "conformance"))]
            if self.config.interleave {
                crate::conformance::yield_now().await;
            }
            let read = existing.version();
            match self.groups.replace(tenant, next, read.as_ref()).await {
                Ok(stored) => return Ok(stored),
                Err(StoreError::PreconditionFailed) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Err(conflict_exhausted())
    }

    pub(crate) async fn replace_group(
        &self,
        tenant: &TenantId,
        id: &str,
        body: &Value,
        if_match: Option<&Version>,
    ) -> Result<Group, ScimError> {
        self.update_group(tenant, id, if_match, |svc, existing| {
            let attrs = svc.config.registry.validate("Group", body, Some(existing.as_json()))?;
            Ok(Some(svc.build_group(id, attrs, Some(existing))))
        })
        .await
    }

    pub(crate) async fn patch_group(
        &self,
        tenant: &TenantId,
        id: &str,
        body: &Value,
        if_match: Option<&Version>,
    ) -> Result<Group, ScimError> {
        let op = PatchOp::from_json(body)?;
        if let Some(mut change) = op.member_change() {
            let registry = &self.config.registry;
            let def = registry.schema(urn::GROUP).and_then(|s| s.attribute("members"));
            if let Some(def) = def {
                if !change.add.is_empty() {
                    let canonical = registry.canonicalize_value(def, &Value::Array(change.add))?;
                    change.add = match canonical {
                        Value::Array(items) => items,
                        Value::Null => Vec::new(),
                        other => vec![other],
                    };
                }
            }
            let now = self.config.clock.now();
            self.groups.modify_members(tenant, id, &change, now, if_match).await?;
            return Ok(self.groups.get(tenant, id, false).await?);
        }
        self.update_group(tenant, id, if_match, |svc, existing| {
            let registry = &svc.config.registry;
            let mut doc = existing.as_object().clone();
            if !op.apply(registry, "Group", &mut doc)? {
                return Ok(None);
            }
            let attrs = registry.validate_owned("Group", Value::Object(doc), Some(existing.as_json()))?;
            Ok(Some(svc.build_group(id, attrs, Some(existing))))
        })
        .await
    }

    pub(crate) async fn delete_group(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
    ) -> Result<(), ScimError> {
        Ok(self.groups.delete(tenant, id, if_match).await?)
    }

    pub(crate) async fn list_groups(&self, tenant: &TenantId, request: &ListRequest) -> Result<Page<Group>, ScimError> {
        let query = list_query(&self.config.registry, "Group", request, self.config.max_results)?;
        Ok(self.groups.list(tenant, &query).await?)
    }
}

#[cfg(test)]
mod tests {
    use crate::User;
    use scim_query::CompactValue;
    use serde_json::{Value, json};
    use std::sync::Arc;

    #[test]
    fn client_part_ignores_meta_and_groups_only() {
        let a = json!({"userName": "a", "meta": {"version": "1"}, "groups": [{"value": "g"}]});
        let b = json!({"userName": "a", "meta": {"version": "2"}});
        let c = json!({"userName": "b", "meta": {"version": "1"}});
        let d = json!({"userName": "a", "title": "x"});
        // The stored user as JSON and in the compact form a store keeps.
        let forms = |v: &Value| [User::from_json(v.clone()), User::from_compact(Arc::new(CompactValue::from(v)))];
        let map = |v: &Value| v.as_object().cloned().unwrap_or_default();
        for existing in forms(&a) {
            assert!(existing.same_client_part(&map(&b)));
            assert!(!existing.same_client_part(&map(&c)));
            assert!(!existing.same_client_part(&map(&d)));
        }
        for existing in forms(&b) {
            assert!(existing.same_client_part(&map(&a)));
        }
        for existing in forms(&d) {
            assert!(!existing.same_client_part(&map(&a)));
        }
    }
}
