//! The provisioning audit log: who changed what, when, through which request, and how it
//! ended.
//!
//! Every change [`Provisioning`](crate::Provisioning) makes (create, replace, patch, delete,
//! the lifecycle transitions they cause, an accepted invitation, a purge) is described by one
//! [`AuditRecord`] that the store writes **in the same atomic step as the change**: the write
//! methods of [`UserStore`](crate::UserStore) and [`GroupStore`](crate::GroupStore) take the
//! record, so after any crash no acknowledged change lacks its record and no record describes
//! a change that was not stored. Requests that fail with a `4xx` change nothing; the protocol
//! service records them too ([`AuditLog::append_audit`], outside any transaction), with the
//! status, `scimType` and detail, which is how an admin sees why an identity provider's sync
//! fails.
//!
//! A store that keeps a log says so through [`UserStore::audit_log`](crate::UserStore::audit_log);
//! every store of this workspace does. Read it with
//! [`Provisioning::audit_records`](crate::Provisioning::audit_records), newest first, filtered by
//! [`AuditQuery`], a page at a time with an opaque [`AuditCursor`]. Records older than the
//! retention (90 days by default,
//! [`Provisioning::with_audit_retention`](crate::Provisioning::with_audit_retention)) are removed by
//! [`Provisioning::purge_expired`](crate::Provisioning::purge_expired).
//!
//! Values of attributes that are never returned (`password`) are redacted in
//! [`AttributeChange`]s; the service never stores them anyway.

use crate::lifecycle::UserStatus;
use crate::{ResourceKind, ScimError, StoreError, TenantId, User};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use serde_json::{Map, Value};
use std::fmt;
use std::str::FromStr;

/// What a redacted value reads as.
pub const REDACTED: &str = "[redacted]";

/// The default time records are kept: 90 days.
pub const DEFAULT_AUDIT_RETENTION: chrono::TimeDelta = chrono::TimeDelta::days(90);

/// The most records one [`AuditQuery`] returns.
pub const MAX_AUDIT_PAGE: usize = 1000;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Actor {
    /// A client with a bearer token of the tenant (an identity provider).
    Token {
        /// The token's id, as the [`Authenticator`](crate::Authenticator) reported it (never
        /// the secret).
        id: Option<String>,
        /// The token's label ("Entra ID", …), if it has one.
        label: Option<String>,
    },
    /// The host application, through [`Provisioning`](crate::Provisioning) (an admin console,
    /// a job of its own).
    Host {
        /// Who, in the host's terms (an admin's e-mail address, say), if the host says.
        name: Option<String>,
    },
    /// The service itself: the purge of users whose retention ended.
    System,
}

impl Actor {
    /// The key [`AuditQuery::actor`] matches: the token id (`"token"` for a token without
    /// one), `"host"`, or `"system"`.
    pub fn key(&self) -> &str {
        match self {
            Self::Token { id, .. } => id.as_deref().unwrap_or("token"),
            Self::Host { .. } => "host",
            Self::System => "system",
        }
    }

    fn from_json(v: &Value) -> Option<Self> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        match v.get("type")?.as_str()? {
            "token" => Some(Self::Token { id: text("id"), label: text("label") }),
            "host" => Some(Self::Host { name: text("name") }),
            "system" => Some(Self::System),
            _ => None,
        }
    }
}

impl Default for Actor {
    /// The host, unnamed.
    fn default() -> Self {
        Self::Host { name: None }
    }
}

/// Where a call came from: recorded in every [`AuditRecord`] it causes. Given to
/// [`Provisioning::acting_as`](crate::Provisioning::acting_as); the protocol service builds one
/// per request from the token, `User-Agent` and `X-Request-Id`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditContext {
    /// Who.
    pub actor: Actor,
    /// The client software (the request's `User-Agent`).
    pub client: Option<String>,
    /// The request id (`X-Request-Id`), to find the request in the logs.
    pub request_id: Option<String>,
    /// The HTTP method, for calls from an HTTP request.
    pub method: Option<String>,
}

impl AuditContext {
    /// A context for `actor`, without client, request id or method.
    pub fn new(actor: Actor) -> Self {
        Self { actor, ..Self::default() }
    }
}

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuditOperation {
    /// `POST` of a resource.
    Create,
    /// `POST` of a user whose `userName` was taken, applied to that user under
    /// [`UserConflictPolicy::Adopt`](crate::UserConflictPolicy::Adopt).
    Adopt,
    /// `PUT`.
    Replace,
    /// `PATCH`.
    Patch,
    /// `DELETE`.
    Delete,
    /// The host recorded that the person accepted the invitation.
    AcceptInvitation,
    /// A suspended user whose retention ended was removed.
    Purge,
    /// A read of one resource (recorded only when it failed).
    Read,
    /// A list or search (recorded only when it failed).
    List,
}

impl AuditOperation {
    /// The name in records: `create`, `adopt`, `replace`, `patch`, `delete`, `accept_invitation`,
    /// `purge`, `read`, `list`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Adopt => "adopt",
            Self::Replace => "replace",
            Self::Patch => "patch",
            Self::Delete => "delete",
            Self::AcceptInvitation => "accept_invitation",
            Self::Purge => "purge",
            Self::Read => "read",
            Self::List => "list",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        [
            Self::Create,
            Self::Adopt,
            Self::Replace,
            Self::Patch,
            Self::Delete,
            Self::AcceptInvitation,
            Self::Purge,
            Self::Read,
            Self::List,
        ]
        .into_iter()
        .find(|o| o.as_str() == s)
    }
}

/// One attribute a change touched. `old` is `None` when the attribute was absent before,
/// `new` when it is absent after. Extension attributes are named with their schema
/// (`urn:…:enterprise:2.0:User:manager`). For a group's `members`, `old` lists the members
/// removed and `new` those added (not the whole list).
#[derive(Debug, Clone, PartialEq)]
pub struct AttributeChange {
    /// The attribute.
    pub attribute: String,
    /// The value before, or the members removed.
    pub old: Option<Value>,
    /// The value after, or the members added.
    pub new: Option<Value>,
}

/// A user's lifecycle transition: `from` is `None` for a user created by the change, `to` for
/// one removed by it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    /// The status before.
    pub from: Option<UserStatus>,
    /// The status after.
    pub to: Option<UserStatus>,
}

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct AuditRecord {
    /// The store's sequence number, unique per store and growing with each record written: the
    /// order of the log. `0` until the store writes the record.
    pub seq: u64,
    /// When the change was made (the service's clock).
    pub time: DateTime<Utc>,
    /// The tenant.
    pub tenant: TenantId,
    /// Who.
    pub actor: Actor,
    /// The client software (`User-Agent`).
    pub client: Option<String>,
    /// The request id (`X-Request-Id`).
    pub request_id: Option<String>,
    /// The HTTP method, for changes made by an HTTP request.
    pub method: Option<String>,
    /// `User` or `Group`.
    pub resource_type: ResourceKind,
    /// The resource's id (`None` for a failed create or list).
    pub resource_id: Option<String>,
    /// The user's `userName` or the group's `displayName`, when known.
    pub name: Option<String>,
    /// What was done.
    pub operation: AuditOperation,
    /// The attributes changed, with old and new values.
    pub changes: Vec<AttributeChange>,
    /// The user's lifecycle transition, if the change made one.
    pub transition: Option<Transition>,
    /// The HTTP status of the outcome (`200`, `201`, `204`; `4xx` for a refused request).
    pub status: u16,
    /// The `scimType` of a refused request.
    pub scim_type: Option<String>,
    /// The error detail of a refused request.
    pub detail: Option<String>,
    /// The [quirks](crate::quirks) the request relied on, by name (`bool-strings`): the
    /// deviations from RFC 7643/7644 the tenant's compatibility profile accepted.
    pub quirks: Vec<String>,
}

impl AuditRecord {
    /// A record of `operation` on a resource, at `time`, in `context`, with status 200 and
    /// nothing changed yet.
    pub fn new(
        time: DateTime<Utc>,
        tenant: TenantId,
        context: &AuditContext,
        resource_type: ResourceKind,
        operation: AuditOperation,
    ) -> Self {
        Self {
            seq: 0,
            time,
            tenant,
            actor: context.actor.clone(),
            client: context.client.clone(),
            request_id: context.request_id.clone(),
            method: context.method.clone(),
            resource_type,
            resource_id: None,
            name: None,
            operation,
            changes: Vec::new(),
            transition: None,
            status: 200,
            scim_type: None,
            detail: None,
            quirks: Vec::new(),
        }
    }

    /// Whether the outcome was a success (`2xx`).
    pub fn succeeded(&self) -> bool {
        (200..300).contains(&self.status)
    }

    /// The record a store writes for each user [`purge_expired`](crate::UserStore::purge_expired)
    /// removes, from the template the service passed: this record with the user's tenant, id and
    /// `userName`, and the transition from `suspended` to gone.
    pub fn purged(&self, tenant: &TenantId, user: &User) -> Self {
        let mut record = self.clone();
        record.tenant = tenant.clone();
        record.resource_type = ResourceKind::User;
        record.resource_id = user.id().map(str::to_owned);
        record.name = user.user_name().map(str::to_owned);
        record.operation = AuditOperation::Purge;
        record.transition = Some(Transition { from: Some(user.lifecycle().status), to: None });
        record
    }

    /// The record as one JSON object: `seq`, `time` (RFC 3339), `tenant`, `actor`
    /// (`{"type": "token", "id", "label"}`, `{"type": "host", "name"}` or
    /// `{"type": "system"}`), `client`, `request_id`, `method`, `resource_type`,
    /// `resource_id`, `name`, `operation`, `changes` (`[{"attribute", "old", "new"}]`),
    /// `transition` (`{"from", "to"}` or null), `status`, `scim_type`, `detail`, and `quirks`
    /// (the names, only when some fired). Stores keep
    /// records in this form and `audit export` prints it.
    pub fn to_json(&self) -> Value {
        // Serializing this record cannot fail: every key is a string, every value JSON.
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    /// The record as compact JSON text (the form of [`to_json`](Self::to_json)), written
    /// straight from the record without building a [`Value`] first.
    pub fn to_json_string(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// Reads a record written by [`to_json`](Self::to_json); `None` for anything else.
    pub fn from_json(v: &Value) -> Option<Self> {
        let text = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        let status = |t: &Value, k: &str| match t.get(k) {
            None | Some(Value::Null) => Some(None),
            Some(s) => s.as_str()?.parse::<UserStatus>().ok().map(Some),
        };
        let transition = match v.get("transition") {
            None | Some(Value::Null) => None,
            Some(t) => Some(Transition { from: status(t, "from")?, to: status(t, "to")? }),
        };
        let changes = match v.get("changes") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|c| {
                    let value = |k: &str| c.get(k).filter(|x| !x.is_null()).cloned();
                    Some(AttributeChange {
                        attribute: c.get("attribute")?.as_str()?.to_owned(),
                        old: value("old"),
                        new: value("new"),
                    })
                })
                .collect::<Option<Vec<_>>>()?,
            _ => Vec::new(),
        };
        let resource_type = match v.get("resource_type")?.as_str()? {
            "User" => ResourceKind::User,
            "Group" => ResourceKind::Group,
            _ => return None,
        };
        Some(Self {
            seq: v.get("seq").and_then(Value::as_u64).unwrap_or(0),
            time: DateTime::parse_from_rfc3339(v.get("time")?.as_str()?).ok()?.with_timezone(&Utc),
            tenant: TenantId::new(v.get("tenant")?.as_str()?),
            actor: Actor::from_json(v.get("actor")?)?,
            client: text("client"),
            request_id: text("request_id"),
            method: text("method"),
            resource_type,
            resource_id: text("resource_id"),
            name: text("name"),
            operation: AuditOperation::parse(v.get("operation")?.as_str()?)?,
            changes,
            transition,
            status: u16::try_from(v.get("status")?.as_u64()?).ok()?,
            scim_type: text("scim_type"),
            detail: text("detail"),
            quirks: match v.get("quirks") {
                Some(Value::Array(names)) => names.iter().filter_map(|n| n.as_str().map(str::to_owned)).collect(),
                _ => Vec::new(),
            },
        })
    }

    /// Whether the record passes `query`'s filters (not its cursor or limit). Stores that
    /// cannot express a filter in their own query language apply this.
    pub fn matches(&self, query: &AuditQuery) -> bool {
        query.resource_id.as_deref().is_none_or(|id| self.resource_id.as_deref() == Some(id))
            && query.actor.as_deref().is_none_or(|a| self.actor.key() == a)
            && query.outcome.is_none_or(|o| (o == AuditOutcome::Success) == self.succeeded())
            && query.since.is_none_or(|t| self.time >= t)
            && query.until.is_none_or(|t| self.time < t)
    }
}

/// Success or failure, to filter records by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditOutcome {
    /// A `2xx`: the change was made.
    Success,
    /// A `4xx`: the request was refused.
    Failure,
}

/// An opaque position in the log, to read the page after the one that returned it. Written
/// and read as a string ([`Display`](fmt::Display), [`FromStr`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor(u64);

impl AuditCursor {
    /// For stores: the page goes on with records whose [`seq`](AuditRecord::seq) is below this.
    pub fn before_seq(self) -> u64 {
        self.0
    }

    /// For stores: the cursor of the page after one whose last (oldest) record has `seq`.
    pub fn after_record(seq: u64) -> Self {
        Self(seq)
    }
}

impl fmt::Display for AuditCursor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "a{}", self.0)
    }
}

impl FromStr for AuditCursor {
    type Err = ScimError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        s.strip_prefix('a')
            .and_then(|n| n.parse().ok())
            .map(Self)
            .ok_or_else(|| ScimError::invalid_value(format!("{s:?} is not a cursor of the audit log")))
    }
}

/// Which records to read: newest first, those passing every filter set, from `cursor` on.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditQuery {
    /// Only records about this resource.
    pub resource_id: Option<String>,
    /// Only records of this actor ([`Actor::key`]: a token id, `host` or `system`).
    pub actor: Option<String>,
    /// Only successes, or only failures.
    pub outcome: Option<AuditOutcome>,
    /// Only records at or after this time.
    pub since: Option<DateTime<Utc>>,
    /// Only records before this time.
    pub until: Option<DateTime<Utc>>,
    /// Go on after the page that returned this cursor.
    pub cursor: Option<AuditCursor>,
    /// The most records to return, 1 to [`MAX_AUDIT_PAGE`]; 0 counts as 100.
    pub limit: usize,
}

impl AuditQuery {
    /// Every record, newest first, 100 a page.
    pub fn new() -> Self {
        Self::default()
    }

    /// Only records about resource `id`.
    #[must_use]
    pub fn with_resource(mut self, id: impl Into<String>) -> Self {
        self.resource_id = Some(id.into());
        self
    }

    /// Only records of the actor with this [`key`](Actor::key).
    #[must_use]
    pub fn with_actor(mut self, key: impl Into<String>) -> Self {
        self.actor = Some(key.into());
        self
    }

    /// Only successes or only failures.
    #[must_use]
    pub fn with_outcome(mut self, outcome: AuditOutcome) -> Self {
        self.outcome = Some(outcome);
        self
    }

    /// Only records at or after `since`.
    #[must_use]
    pub fn with_since(mut self, since: DateTime<Utc>) -> Self {
        self.since = Some(since);
        self
    }

    /// Only records before `until`.
    #[must_use]
    pub fn with_until(mut self, until: DateTime<Utc>) -> Self {
        self.until = Some(until);
        self
    }

    /// The page after the one that returned `cursor`.
    #[must_use]
    pub fn with_cursor(mut self, cursor: Option<AuditCursor>) -> Self {
        self.cursor = cursor;
        self
    }

    /// At most `limit` records (clamped to 1..=[`MAX_AUDIT_PAGE`]; 0 means 100).
    #[must_use]
    pub fn with_limit(mut self, limit: usize) -> Self {
        self.limit = limit;
        self
    }

    /// The page size to use: `limit` clamped, 100 for 0.
    pub fn page_size(&self) -> usize {
        match self.limit {
            0 => 100,
            n => n.min(MAX_AUDIT_PAGE),
        }
    }
}

/// One page of records, newest first.
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct AuditPage {
    /// The records.
    pub records: Vec<AuditRecord>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<AuditCursor>,
}

impl AuditPage {
    /// A page of `records` with the cursor of the next page.
    pub fn new(records: Vec<AuditRecord>, next: Option<AuditCursor>) -> Self {
        Self { records, next }
    }

    /// For stores: the page from up to `page_size + 1` matching records, newest first (the
    /// one beyond the page only tells that there is a next page).
    pub fn from_overfetch(mut records: Vec<AuditRecord>, page_size: usize) -> Self {
        let more = records.len() > page_size;
        records.truncate(page_size);
        let next = if more { records.last().map(|r| AuditCursor::after_record(r.seq)) } else { None };
        Self { records, next }
    }
}

impl serde::Serialize for AuditRecord {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        struct Changes<'a>(&'a [AttributeChange]);
        impl serde::Serialize for Changes<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeSeq;
                let mut seq = serializer.serialize_seq(Some(self.0.len()))?;
                for c in self.0 {
                    seq.serialize_element(&json_change(c))?;
                }
                seq.end()
            }
        }
        /// One change as a map of borrowed fields.
        fn json_change(c: &AttributeChange) -> impl serde::Serialize + '_ {
            struct Change<'a>(&'a AttributeChange);
            impl serde::Serialize for Change<'_> {
                fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                    let mut map = serializer.serialize_map(Some(3))?;
                    map.serialize_entry("attribute", &self.0.attribute)?;
                    map.serialize_entry("old", &self.0.old)?;
                    map.serialize_entry("new", &self.0.new)?;
                    map.end()
                }
            }
            Change(c)
        }
        struct ActorJson<'a>(&'a Actor);
        impl serde::Serialize for ActorJson<'_> {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(None)?;
                match self.0 {
                    Actor::Token { id, label } => {
                        map.serialize_entry("type", "token")?;
                        map.serialize_entry("id", id)?;
                        map.serialize_entry("label", label)?;
                    }
                    Actor::Host { name } => {
                        map.serialize_entry("type", "host")?;
                        map.serialize_entry("name", name)?;
                    }
                    Actor::System => map.serialize_entry("type", "system")?,
                }
                map.end()
            }
        }
        struct TransitionJson(Transition);
        impl serde::Serialize for TransitionJson {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                let mut map = serializer.serialize_map(Some(2))?;
                map.serialize_entry("from", &self.0.from.map(UserStatus::as_str))?;
                map.serialize_entry("to", &self.0.to.map(UserStatus::as_str))?;
                map.end()
            }
        }
        let mut map = serializer.serialize_map(Some(16 + usize::from(!self.quirks.is_empty())))?;
        map.serialize_entry("seq", &self.seq)?;
        map.serialize_entry("time", &crate::format_time(self.time))?;
        map.serialize_entry("tenant", self.tenant.as_str())?;
        map.serialize_entry("actor", &ActorJson(&self.actor))?;
        map.serialize_entry("client", &self.client)?;
        map.serialize_entry("request_id", &self.request_id)?;
        map.serialize_entry("method", &self.method)?;
        map.serialize_entry("resource_type", self.resource_type.name())?;
        map.serialize_entry("resource_id", &self.resource_id)?;
        map.serialize_entry("name", &self.name)?;
        map.serialize_entry("operation", self.operation.as_str())?;
        map.serialize_entry("changes", &Changes(&self.changes))?;
        map.serialize_entry("transition", &self.transition.map(TransitionJson))?;
        map.serialize_entry("status", &self.status)?;
        map.serialize_entry("scim_type", &self.scim_type)?;
        map.serialize_entry("detail", &self.detail)?;
        if !self.quirks.is_empty() {
            map.serialize_entry("quirks", &self.quirks)?;
        }
        map.end()
    }
}

/// A store's audit log: where the records its writes carry go, and how they are read.
///
/// # Contract
/// - The write methods of [`UserStore`](crate::UserStore) and [`GroupStore`](crate::GroupStore)
///   take an `audit` record: when one is given and the write succeeds, the store keeps the
///   record (with a new [`seq`](AuditRecord::seq)) **in the same atomic step**; a write that
///   fails keeps none. [`purge_expired`](crate::UserStore::purge_expired) keeps
///   [`AuditRecord::purged`] of its template for each user it removes, in the same step.
/// - [`append_audit`](Self::append_audit) keeps a record on its own (a refused request).
/// - [`list_audit`](Self::list_audit) returns a tenant's records, highest `seq` first, below the
///   query's cursor, passing [`AuditRecord::matches`], at most
///   [`page_size`](AuditQuery::page_size), and the cursor of the next page when there are more.
/// - [`expire_audit`](Self::expire_audit) removes, in every tenant, the oldest records (lowest
///   `seq`) while their `time` is before `before`: the log is expired in its own order, so a
///   store needs no index on time. Records are written in time order, so this is the retention
///   to within the clock skew between the writers (a record written with a clock ahead of the
///   next ones keeps those until it expires itself); a record with a later `time` is never
///   removed.
/// - Tenants never see each other's records.
///
/// The conformance suite (`scim-store-conformance`) checks all of this.
#[async_trait]
pub trait AuditLog: Send + Sync + fmt::Debug + 'static {
    /// Keeps `record` outside any change.
    async fn append_audit(&self, record: AuditRecord) -> Result<(), StoreError>;
    /// A page of a tenant's records, newest first.
    async fn list_audit(&self, tenant: &TenantId, query: &AuditQuery) -> Result<AuditPage, StoreError>;
    /// Removes each tenant's oldest records while they are older than `before`; returns how many.
    async fn expire_audit(&self, before: DateTime<Utc>) -> Result<usize, StoreError>;
}

/// The attribute changes from `old` to `new` (top-level attributes, extension attributes one
/// level down; `meta`, `schemas`, `id`, a user's `groups` and the lifecycle extension left out;
/// `members` as added and removed), with never-returned values redacted.
pub(crate) fn diff(
    registry: &crate::SchemaRegistry,
    kind: ResourceKind,
    old: Option<&Map<String, Value>>,
    new: Option<&Map<String, Value>>,
) -> Vec<AttributeChange> {
    let empty = Map::new();
    let (old, new) = (old.unwrap_or(&empty), new.unwrap_or(&empty));
    // The core attributes never returned (`password`), looked up once rather than per key.
    let never: Vec<&str> = registry
        .schema(kind.core_urn())
        .map(|s| {
            s.attributes
                .iter()
                .filter(|d| d.returned == crate::schema::Returned::Never)
                .map(|d| d.name.as_str())
                .collect()
        })
        .unwrap_or_default();
    let mut changes = Vec::new();
    let skip = |k: &str| {
        matches!(k, "meta" | "schemas" | "id" | "groups") || k.eq_ignore_ascii_case(crate::urn::LIFECYCLE_USER)
    };
    let keys = old.keys().chain(new.keys().filter(|k| !old.contains_key(*k)));
    for key in keys {
        if skip(key) {
            continue;
        }
        let (a, b) = (old.get(key), new.get(key));
        if a == b {
            continue;
        }
        if key == "members" && kind == ResourceKind::Group {
            if let Some(change) = member_change(a, b) {
                changes.push(change);
            }
            continue;
        }
        if let Some(ext) = key.contains(':').then(|| registry.schema(key)).flatten() {
            let (ea, eb) = (a.and_then(Value::as_object), b.and_then(Value::as_object));
            let sub = diff_object(ea.unwrap_or(&empty), eb.unwrap_or(&empty));
            for (name, x, y) in sub {
                let never = ext.attribute(&name).is_some_and(|d| d.returned == crate::schema::Returned::Never);
                changes.push(change(format!("{key}:{name}"), x, y, never));
            }
            continue;
        }
        let redact = never.iter().any(|n| n.eq_ignore_ascii_case(key));
        changes.push(change(key.clone(), a.cloned(), b.cloned(), redact));
    }
    changes
}

fn change(attribute: String, old: Option<Value>, new: Option<Value>, redact: bool) -> AttributeChange {
    let hide = |v: Option<Value>| if redact { v.map(|_| Value::String(REDACTED.to_owned())) } else { v };
    AttributeChange { attribute, old: hide(old), new: hide(new) }
}

fn diff_object(a: &Map<String, Value>, b: &Map<String, Value>) -> Vec<(String, Option<Value>, Option<Value>)> {
    let keys = a.keys().chain(b.keys().filter(|k| !a.contains_key(*k)));
    keys.filter(|k| a.get(*k) != b.get(*k)).map(|k| (k.clone(), a.get(k).cloned(), b.get(k).cloned())).collect()
}

/// `members` before and after as the members removed (`old`) and added (`new`), by `value`.
fn member_change(a: Option<&Value>, b: Option<&Value>) -> Option<AttributeChange> {
    let list = |v: Option<&Value>| v.and_then(Value::as_array).cloned().unwrap_or_default();
    let (a, b) = (list(a), list(b));
    let id = |m: &Value| m.get("value").and_then(Value::as_str).map(str::to_owned);
    let ids = |l: &[Value]| l.iter().filter_map(id).collect::<std::collections::HashSet<_>>();
    let (ia, ib) = (ids(&a), ids(&b));
    let removed: Vec<Value> = a.into_iter().filter(|m| id(m).is_some_and(|i| !ib.contains(&i))).collect();
    let added: Vec<Value> = b.into_iter().filter(|m| id(m).is_some_and(|i| !ia.contains(&i))).collect();
    members_change(removed, added)
}

/// A `members` change from the members removed and added; `None` when both are empty.
pub(crate) fn members_change(removed: Vec<Value>, added: Vec<Value>) -> Option<AttributeChange> {
    if removed.is_empty() && added.is_empty() {
        return None;
    }
    let some = |l: Vec<Value>| (!l.is_empty()).then_some(Value::Array(l));
    Some(AttributeChange { attribute: "members".to_owned(), old: some(removed), new: some(added) })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SchemaRegistry;
    use serde_json::json;

    fn sample() -> AuditRecord {
        let ctx = AuditContext {
            actor: Actor::Token { id: Some("tok1".into()), label: Some("Entra".into()) },
            client: Some("Azure".into()),
            request_id: Some("r-1".into()),
            method: Some("PATCH".into()),
        };
        let mut r = AuditRecord::new(Utc::now(), TenantId::new("t"), &ctx, ResourceKind::User, AuditOperation::Patch);
        r.seq = 7;
        r.resource_id = Some("u1".into());
        r.name = Some("alice".into());
        r.changes = vec![AttributeChange { attribute: "title".into(), old: None, new: Some(json!("x")) }];
        r.transition = Some(Transition { from: Some(UserStatus::Pending), to: Some(UserStatus::Suspended) });
        r
    }

    #[test]
    fn records_round_trip_through_json() {
        let r = sample();
        let text: Value = serde_json::from_str(&r.to_json_string()).expect("JSON text");
        assert_eq!(text, r.to_json(), "the text and the value say the same");
        let back = AuditRecord::from_json(&r.to_json()).expect("parses");
        // Times keep milliseconds.
        assert_eq!(back.time.timestamp_millis(), r.time.timestamp_millis());
        assert_eq!(AuditRecord { time: r.time, ..back }, r);
        let mut failed = sample();
        failed.status = 400;
        failed.scim_type = Some("invalidValue".into());
        failed.actor = Actor::System;
        failed.transition = Some(Transition { from: Some(UserStatus::Suspended), to: None });
        let back = AuditRecord::from_json(&failed.to_json()).expect("parses");
        assert_eq!(back.transition, failed.transition);
        assert_eq!(back.actor, Actor::System);
        assert!(!back.succeeded());
        assert_eq!(AuditRecord::from_json(&json!({"seq": 1})), None);
    }

    #[test]
    fn cursors_are_opaque_strings() {
        let c = AuditCursor::after_record(42);
        assert_eq!(c.to_string().parse::<AuditCursor>().expect("parses"), c);
        assert!("42".parse::<AuditCursor>().is_err());
        assert!("a-1".parse::<AuditCursor>().is_err());
    }

    #[test]
    fn diff_names_changed_attributes_and_redacts_passwords() {
        let registry = SchemaRegistry::scim_default();
        let enterprise = crate::urn::ENTERPRISE_USER;
        let old = json!({"userName": "a", "title": "x", "meta": {"version": "1"}, enterprise: {"department": "d1"}});
        let new = json!({"userName": "a", "displayName": "A", "password": "secret", enterprise: {"department": "d2"}});
        let changes = diff(&registry, ResourceKind::User, old.as_object(), new.as_object());
        let named = |n: &str| changes.iter().find(|c| c.attribute == n).cloned();
        assert_eq!(named("title").map(|c| (c.old, c.new)), Some((Some(json!("x")), None)));
        assert_eq!(named("displayName").and_then(|c| c.new), Some(json!("A")));
        assert_eq!(named("password").and_then(|c| c.new), Some(json!(REDACTED)));
        assert_eq!(
            named(&format!("{enterprise}:department")).map(|c| (c.old, c.new)),
            Some((Some(json!("d1")), Some(json!("d2"))))
        );
        assert!(named("userName").is_none() && named("meta").is_none());
        assert_eq!(changes.len(), 4);
    }

    #[test]
    fn member_lists_diff_as_added_and_removed() {
        let registry = SchemaRegistry::scim_default();
        let old = json!({"displayName": "g", "members": [{"value": "a"}, {"value": "b"}]});
        let new = json!({"displayName": "g", "members": [{"value": "b"}, {"value": "c"}]});
        let changes = diff(&registry, ResourceKind::Group, old.as_object(), new.as_object());
        assert_eq!(
            changes,
            vec![AttributeChange {
                attribute: "members".into(),
                old: Some(json!([{"value": "a"}])),
                new: Some(json!([{"value": "c"}]))
            }]
        );
    }

    #[test]
    fn queries_filter_records() {
        let r = sample();
        assert!(r.matches(&AuditQuery::new()));
        assert!(r.matches(&AuditQuery::new().with_resource("u1").with_actor("tok1")));
        assert!(!r.matches(&AuditQuery::new().with_resource("u2")));
        assert!(!r.matches(&AuditQuery::new().with_actor("host")));
        assert!(r.matches(&AuditQuery::new().with_outcome(AuditOutcome::Success)));
        assert!(!r.matches(&AuditQuery::new().with_outcome(AuditOutcome::Failure)));
        assert!(r.matches(&AuditQuery::new().with_since(r.time)));
        assert!(!r.matches(&AuditQuery::new().with_until(r.time)));
        assert_eq!(AuditQuery::new().page_size(), 100);
        assert_eq!(AuditQuery::new().with_limit(5000).page_size(), MAX_AUDIT_PAGE);
    }
}
