//! What every write of the service shares: the `If-Match` check, the retry bound, the size
//! bound, the lifecycle events, ids.

use super::Provisioning;
use super::events::{LifecycleEvent, deliver};
use crate::lifecycle::{Lifecycle, UserStatus};
use crate::schema::ResourceType;
use crate::{ScimError, StoreError, TenantId, User, Version, urn};
use serde_json::{Map, Value};

/// How many times a write without a client `If-Match` is retried after losing a race.
pub(super) const MAX_RETRIES: usize = 32;

pub(super) fn conflict_exhausted() -> ScimError {
    ScimError::conflict("the resource kept changing concurrently; the change was not applied, try again")
}

pub(super) fn check_if_match(if_match: Option<&Version>, current: Option<&Version>) -> Result<(), ScimError> {
    match (if_match, current) {
        (Some(want), Some(cur)) if !want.matches(cur) => Err(StoreError::PreconditionFailed.into()),
        _ => Ok(()),
    }
}

/// The stored lifecycle of `user`, with `invited_at` filled in for users stored before it
/// existed: such a user was invited when it was created, unless it was created suspended
/// (suspended at its creation time and never activated), so restoring it does not invite a
/// person who already has an invitation or an account.
pub(super) fn lifecycle_of(user: &User) -> Lifecycle {
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
pub(super) fn stored_len(doc: &Map<String, Value>) -> usize {
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
pub(super) fn new_id() -> Result<String, ScimError> {
    // From the operating system's random source; when it fails the request gets a 500 (the
    // `uuid` crate's own `new_v4` would panic instead).
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).map_err(|_| ScimError::internal())?;
    Ok(uuid::Builder::from_random_bytes(bytes).into_uuid().hyphenated().to_string())
}

/// The attribute path (`emails[1].value`, or the key itself) of the first key or string of
/// `doc` that contains U+0000, if any.
pub(super) fn nul_path(doc: &Map<String, Value>) -> Option<String> {
    fn walk(value: &Value, path: &mut String) -> bool {
        match value {
            Value::String(s) => s.contains('\0'),
            Value::Array(items) => items.iter().enumerate().any(|(i, item)| {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                let found = walk(item, path);
                if !found {
                    path.truncate(len);
                }
                found
            }),
            Value::Object(map) => object(map, path),
            _ => false,
        }
    }
    fn object(map: &Map<String, Value>, path: &mut String) -> bool {
        map.iter().any(|(k, v)| {
            let len = path.len();
            if !path.is_empty() {
                path.push('.');
            }
            // A key with a NUL is named by its printable part.
            path.push_str(&k.replace('\0', "\\u0000"));
            let found = k.contains('\0') || walk(v, path);
            if !found {
                path.truncate(len);
            }
            found
        })
    }
    let mut path = String::new();
    object(doc, &mut path).then_some(path)
}

/// Adds `schema` to the document's `schemas` unless it is there (in any case).
pub(super) fn add_schema(doc: &mut Map<String, Value>, schema: &str) {
    let schemas = doc.entry("schemas").or_insert_with(|| Value::Array(Vec::new()));
    if let Value::Array(list) = schemas {
        if !list.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(schema))) {
            list.push(Value::String(schema.to_owned()));
        }
    }
}

impl Provisioning {
    /// The stored user a replace's validation reads, if it reads one.
    pub(super) fn existing_for_validation<'u>(&self, rt: &ResourceType, existing: &'u User) -> Option<&'u Value> {
        self.registry.replace_reads_existing(rt).then(|| existing.as_json())
    }

    /// `400 invalidValue` when a resource to store is larger than the configured bound, unless
    /// it replaces a stored one about as large (stored before the bound, or under a larger
    /// one): a client must be able to deactivate or shrink it, and the service's own changes
    /// (`active`, the lifecycle schema in `schemas`) may add a few bytes.
    /// `existing` is asked only for a resource over the bound: reading a stored user's
    /// document as JSON is not free.
    pub(super) fn check_size(
        &self,
        kind: &str,
        doc: &Map<String, Value>,
        existing: impl FnOnce() -> Option<usize>,
    ) -> Result<(), ScimError> {
        const SLACK: usize = 256;
        let len = stored_len(doc);
        if len > self.limits.max_resource_bytes && existing().is_none_or(|e| e + SLACK < len) {
            return Err(ScimError::invalid_value(format!(
                "the {kind} would take {len} bytes, more than the {} this service stores per resource",
                self.limits.max_resource_bytes
            )));
        }
        Ok(())
    }

    /// `400 invalidValue` for what some store cannot keep, refused alike whatever the store
    /// rather than stored by some and failed by others: a string with U+0000 (PostgreSQL
    /// cannot store one in text or JSONB; no client sends one on purpose), and a value that
    /// stores index longer than [`Limits::max_key_bytes`](crate::Limits::max_key_bytes).
    /// A replace may keep what `existing` (stored before these rules) already holds, so such
    /// a resource can still be deactivated.
    /// `existing` is asked only when a value breaks a rule (reading a stored user's document
    /// as JSON is not free).
    pub(super) fn check_values<'e>(
        &self,
        kind: &str,
        doc: &Map<String, Value>,
        existing: impl Fn() -> Option<&'e Map<String, Value>>,
    ) -> Result<(), ScimError> {
        self.check_keys(kind, doc, &existing)?;
        if let Some(path) = nul_path(doc) {
            if existing().is_none_or(|e| nul_path(e).is_none()) {
                return Err(ScimError::invalid_value(format!(
                    "the {kind}'s {path} contains a NUL character (U+0000), which this service does not store"
                )));
            }
        }
        Ok(())
    }

    /// `400 invalidValue` when a value that stores index is longer than
    /// [`Limits::max_key_bytes`](crate::Limits::max_key_bytes) once folded.
    fn check_keys<'e>(
        &self,
        kind: &str,
        doc: &Map<String, Value>,
        existing: &impl Fn() -> Option<&'e Map<String, Value>>,
    ) -> Result<(), ScimError> {
        let max = self.limits.max_key_bytes;
        let kept = |name: &str, v: &str| {
            existing().is_some_and(|e| match name {
                "emails.value" => e
                    .get("emails")
                    .and_then(Value::as_array)
                    .is_some_and(|es| es.iter().any(|x| x.get("value").and_then(Value::as_str) == Some(v))),
                _ => e.get(name).and_then(Value::as_str) == Some(v),
            })
        };
        let mut keys: Vec<(&str, &str)> = Vec::new();
        for name in ["userName", "displayName", "externalId"] {
            if let Some(v) = doc.get(name).and_then(Value::as_str) {
                keys.push((name, v));
            }
        }
        if let Some(Value::Array(emails)) = doc.get("emails") {
            keys.extend(emails.iter().filter_map(|e| e.get("value")?.as_str()).map(|v| ("emails.value", v)));
        }
        let too_long =
            |(name, v): &(&str, &str)| v.len() > max && scim_query::fold::fold_case(v).len() > max && !kept(name, v);
        match keys.into_iter().find(too_long) {
            Some((name, v)) => Err(ScimError::invalid_value(format!(
                "the {kind}'s {name} is {} bytes long; this service stores at most {max}",
                v.len()
            ))),
            None => Ok(()),
        }
    }

    pub(super) fn emit(&self, event: &LifecycleEvent) {
        deliver(self.events.as_deref(), event);
    }

    /// The events for a lifecycle change stored in `user`, if any: a restore of a user never
    /// invited (created suspended) is `Restored`, then `Invited`.
    pub(super) fn transition_event(&self, tenant: &TenantId, before: &Lifecycle, user: &User) {
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
}

#[cfg(test)]
mod tests {
    use crate::User;
    use scim_query::CompactValue;
    use serde_json::{Value, json};
    use std::sync::Arc;

    #[test]
    fn nul_characters_are_found_with_their_path() {
        let path = |v: Value| super::nul_path(v.as_object().expect("object"));
        assert_eq!(path(json!({"userName": "a", "emails": [{"value": "x"}]})), None);
        assert_eq!(path(json!({"userName": "a\u{0}b"})).as_deref(), Some("userName"));
        assert_eq!(path(json!({"emails": [{"value": "x"}, {"value": "y\u{0}"}]})).as_deref(), Some("emails[1].value"));
        assert_eq!(path(json!({"name": {"given\u{0}": "x"}})).as_deref(), Some("name.given\\u0000"));
    }

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
