//! Resources: a validated JSON document with typed accessors.
//!
//! A [`User`] or [`Group`] is a JSON object whose attribute names are in the schema's
//! canonical casing. It is cheap to clone (the document sits behind an `Arc` and is copied
//! on first write), so stores can hand out copies without deep clones.
//!
//! A store that keeps documents as [`CompactValue`]s (as the memory store does) hands them out
//! with `from_compact`: nothing is copied until the document is first read as JSON, and then
//! once per resource value.

use crate::lifecycle::Lifecycle;
use crate::urn;
use chrono::{DateTime, Utc};
use scim_query::CompactValue;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::{Arc, OnceLock};

/// A resource's document: JSON, or a compact document turned into JSON on first read.
enum Doc {
    Json(Arc<Value>),
    Compact { compact: Arc<CompactValue>, json: OnceLock<Arc<Value>> },
}

impl Doc {
    fn from_json(doc: Value) -> Self {
        Self::Json(Arc::new(if doc.is_object() { doc } else { Value::Object(Map::new()) }))
    }

    fn from_compact(compact: Arc<CompactValue>) -> Self {
        if compact.as_object().is_some() {
            Self::Compact { compact, json: OnceLock::new() }
        } else {
            Self::from_json(Value::Null)
        }
    }

    fn json(&self) -> &Value {
        match self {
            Self::Json(doc) => doc,
            Self::Compact { compact, json } => json.get_or_init(|| Arc::new(compact.to_value())),
        }
    }

    fn json_arc(&mut self) -> &mut Arc<Value> {
        if let Self::Compact { compact, json } = self {
            let doc = json.take().unwrap_or_else(|| Arc::new(compact.to_value()));
            *self = Self::Json(doc);
        }
        match self {
            Self::Json(doc) => doc,
            Self::Compact { .. } => unreachable!("converted to JSON above"),
        }
    }

    fn into_json(mut self) -> Value {
        let doc = std::mem::take(self.json_arc());
        Arc::try_unwrap(doc).unwrap_or_else(|shared| (*shared).clone())
    }

    /// A copy of the document as JSON; a compact document's JSON is made for the copy, not kept.
    fn to_json(&self) -> Value {
        match self {
            Self::Json(doc) => (**doc).clone(),
            Self::Compact { compact, json } => json.get().map_or_else(|| compact.to_value(), |doc| (**doc).clone()),
        }
    }

    /// A copy of the top-level attribute `key` as JSON, made without turning a compact
    /// document into JSON.
    fn attribute_json(&self, key: &str) -> Option<Value> {
        match self {
            Self::Compact { compact, .. } => compact.as_object()?.get(key).map(CompactValue::to_value),
            Self::Json(doc) => doc.get(key).cloned(),
        }
    }

    /// The top-level boolean `key`, read without turning a compact document into JSON.
    fn bool_at(&self, key: &str) -> Option<bool> {
        match self {
            Self::Compact { compact, .. } => compact.as_object()?.get(key)?.as_bool(),
            Self::Json(doc) => doc.get(key)?.as_bool(),
        }
    }

    /// Whether the attributes a client sets (all but `meta` and the derived `groups`) equal
    /// those of `other`, compared without turning a compact document into JSON.
    fn same_client_part(&self, other: &Map<String, Value>) -> bool {
        /// The entries `mine` gives (of either form) against `other`, `eq` comparing two values.
        fn same<'a, V, I: Iterator<Item = (&'a str, V)>>(
            mine: impl Fn() -> I,
            other: &Map<String, Value>,
            eq: impl Fn(V, &Value) -> bool,
        ) -> bool {
            let client = |k: &str| k != "meta" && k != "groups";
            mine().filter(|(k, _)| client(k)).count() == other.keys().filter(|k| client(k)).count()
                && mine().filter(|(k, _)| client(k)).all(|(k, v)| other.get(k).is_some_and(|w| eq(v, w)))
        }
        match self {
            Self::Compact { compact, .. } => {
                compact.as_object().is_some_and(|doc| same(|| doc.iter(), other, |v, w| v == w))
            }
            Self::Json(doc) => doc
                .as_object()
                .is_some_and(|doc| same(|| doc.iter().map(|(k, v)| (k.as_str(), v)), other, |v, w| v == w)),
        }
    }

    /// The top-level string `key` (then, with `sub`, its sub-attribute), read without turning a
    /// compact document into JSON.
    fn str_at(&self, key: &str, sub: Option<&str>) -> Option<&str> {
        match self {
            // The compact form never changes (a write turns the document into JSON first).
            Self::Compact { compact, .. } => {
                let top = compact.as_object()?.get(key)?;
                match sub {
                    Some(sub) => top.as_object()?.get(sub)?.as_str(),
                    None => top.as_str(),
                }
            }
            Self::Json(doc) => {
                let top = doc.get(key)?;
                match sub {
                    Some(sub) => top.get(sub)?.as_str(),
                    None => top.as_str(),
                }
            }
        }
    }

    fn to_compact(&self) -> Arc<CompactValue> {
        match self {
            Self::Json(doc) => Arc::new(CompactValue::from(&**doc)),
            Self::Compact { compact, .. } => Arc::clone(compact),
        }
    }

    /// The object `key` of a compact document, read without turning it into JSON.
    fn compact_object(&self, key: &str) -> Option<Option<scim_query::CompactObject<'_>>> {
        match self {
            Self::Compact { compact, .. } => Some(compact.as_object().and_then(|o| o.get(key)?.as_object())),
            Self::Json(_) => None,
        }
    }
}

impl Clone for Doc {
    fn clone(&self) -> Self {
        match self {
            Self::Json(doc) => Self::Json(Arc::clone(doc)),
            // The copy does not share the JSON made from the compact form: a copy that is then
            // changed (PATCH) makes its own JSON from the compact form, which is cheaper than
            // copying the JSON, and the original keeps its own.
            Self::Compact { compact, .. } => Self::Compact { compact: Arc::clone(compact), json: OnceLock::new() },
        }
    }
}

impl PartialEq for Doc {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Compact { compact: a, .. }, Self::Compact { compact: b, .. }) => a == b,
            _ => self.json() == other.json(),
        }
    }
}

/// A tenant: one customer organisation; every store operation is scoped to one.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TenantId(Arc<str>);

impl TenantId {
    /// Wraps a tenant identifier. Copies of it share the text (stores keep one per record).
    pub fn new(id: impl Into<String>) -> Self {
        Self(Arc::from(id.into()))
    }

    /// The identifier.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A resource version, rendered as a weak ETag (`W/"3"`), as in `meta.version`.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Version(String);

impl Version {
    /// Wraps an ETag value as sent in `If-Match` or `meta.version` (`W/"3"`, `"3"` or `*`).
    pub fn new(etag: impl Into<String>) -> Self {
        Self(etag.into())
    }

    /// The version for a revision number: `W/"n"`.
    pub fn from_revision(n: u64) -> Self {
        // Written by hand: this runs on every write, and `format!` is several times slower.
        let mut digits = [0u8; 20];
        let mut at = digits.len();
        let mut rest = n;
        loop {
            at -= 1;
            // `rest % 10 < 10`: one ASCII digit.
            digits[at] = b'0' + (rest % 10) as u8;
            rest /= 10;
            if rest == 0 {
                break;
            }
        }
        let mut out = String::with_capacity(4 + digits.len() - at);
        out.push_str("W/\"");
        out.extend(digits[at..].iter().map(|&d| char::from(d)));
        out.push('"');
        Self(out)
    }

    /// The revision number, if this is a `W/"n"` or `"n"` version.
    pub fn revision(&self) -> Option<u64> {
        let s = self.0.strip_prefix("W/").unwrap_or(&self.0);
        s.strip_prefix('"')?.strip_suffix('"')?.parse().ok()
    }

    /// `*`: matches any version in `If-Match`.
    pub fn is_any(&self) -> bool {
        self.0.trim() == "*"
    }

    /// Whether this `If-Match` value matches the stored version `current`
    /// (weak comparison: `W/"3"` matches `"3"`; `*` matches everything).
    pub fn matches(&self, current: &Self) -> bool {
        if self.is_any() {
            return true;
        }
        let strip = |v: &str| v.trim().strip_prefix("W/").unwrap_or(v.trim()).to_owned();
        strip(&self.0) == strip(&current.0)
    }

    /// The ETag string.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The server-owned `meta` attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// `User` or `Group`.
    pub resource_type: String,
    /// When the resource was created.
    pub created: DateTime<Utc>,
    /// When it last changed.
    pub last_modified: DateTime<Utc>,
    /// Its current version.
    pub version: Option<Version>,
}

fn str_at<'a>(doc: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    doc.get(key).and_then(Value::as_str)
}

fn parse_time(s: Option<&str>) -> Option<DateTime<Utc>> {
    s.and_then(|s| DateTime::parse_from_rfc3339(s).ok()).map(|t| t.with_timezone(&Utc))
}

macro_rules! resource_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq)]
        pub struct $name {
            doc: Doc,
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("id", &self.id())
                    .finish_non_exhaustive()
            }
        }

        impl $name {
            /// Wraps a JSON object without validating it (see `SchemaRegistry` for validation).
            /// Anything but an object becomes an empty object.
            pub fn from_json(doc: Value) -> Self {
                Self { doc: Doc::from_json(doc) }
            }

            /// Wraps a compact document without validating it or copying it: it is turned
            /// into JSON the first time it is read as JSON. Anything but an object becomes an
            /// empty object.
            pub fn from_compact(doc: Arc<CompactValue>) -> Self {
                Self { doc: Doc::from_compact(doc) }
            }

            /// The document in compact form (shared when it was made from one).
            pub fn to_compact(&self) -> Arc<CompactValue> {
                self.doc.to_compact()
            }

            /// The document.
            pub fn as_json(&self) -> &Value {
                self.doc.json()
            }

            /// The document as an object.
            pub fn as_object(&self) -> &Map<String, Value> {
                self.as_json().as_object().expect("resource documents are objects")
            }

            /// The document, for changing it (copies it first if it is shared).
            pub fn as_object_mut(&mut self) -> &mut Map<String, Value> {
                Arc::make_mut(self.doc.json_arc())
                    .as_object_mut()
                    .expect("resource documents are objects")
            }

            /// The document by value.
            pub fn into_json(self) -> Value {
                self.doc.into_json()
            }

            /// A copy of the document as JSON (a stored, compact document is converted for the
            /// copy alone, without also keeping its JSON).
            pub fn to_json(&self) -> Value {
                self.doc.to_json()
            }

            /// Whether the attributes a client sets (all but `meta` and `groups`) equal those of
            /// `other` (a replace that would store them again changes nothing). Stores use it
            /// to skip writes that would store nothing new.
            pub fn same_client_part(&self, other: &Map<String, Value>) -> bool {
                self.doc.same_client_part(other)
            }

            /// `id`.
            pub fn id(&self) -> Option<&str> {
                self.doc.str_at("id", None)
            }

            /// Sets `id`.
            pub fn set_id(&mut self, id: impl Into<String>) {
                self.as_object_mut().insert("id".into(), Value::String(id.into()));
            }

            /// `externalId`.
            pub fn external_id(&self) -> Option<&str> {
                self.doc.str_at("externalId", None)
            }

            /// `displayName`.
            pub fn display_name(&self) -> Option<&str> {
                self.doc.str_at("displayName", None)
            }

            /// `meta`, if it is complete enough to read.
            pub fn meta(&self) -> Option<Meta> {
                let at = |key: &str| self.doc.str_at("meta", Some(key));
                Some(Meta {
                    resource_type: at("resourceType").unwrap_or(stringify!($name)).to_owned(),
                    created: parse_time(at("created"))?,
                    last_modified: parse_time(at("lastModified"))?,
                    version: at("version").map(Version::new),
                })
            }

            /// `meta.version`.
            pub fn version(&self) -> Option<Version> {
                self.doc.str_at("meta", Some("version")).map(Version::new)
            }

            /// Sets `meta.version`.
            pub fn set_version(&mut self, version: &Version) {
                let version = Value::String(version.as_str().to_owned());
                let meta = self.meta_mut();
                // Replacing in place spares allocating the key.
                match meta.get_mut("version") {
                    Some(slot) => *slot = version,
                    None => {
                        meta.insert("version".into(), version);
                    }
                }
            }

            /// Sets `meta.created` and `meta.resourceType`.
            pub fn set_created(&mut self, at: DateTime<Utc>) {
                let meta = self.meta_mut();
                meta.insert("resourceType".into(), Value::String(stringify!($name).into()));
                meta.insert("created".into(), Value::String(crate::format_time(at)));
            }

            /// Sets `meta.lastModified`.
            pub fn set_last_modified(&mut self, at: DateTime<Utc>) {
                self.meta_mut().insert("lastModified".into(), Value::String(crate::format_time(at)));
            }

            fn meta_mut(&mut self) -> &mut Map<String, Value> {
                let doc = self.as_object_mut();
                // Looked up before inserting: `entry` would allocate the key on every call.
                if !doc.get("meta").is_some_and(Value::is_object) {
                    doc.insert("meta".into(), Value::Object(Map::new()));
                }
                doc.get_mut("meta").and_then(Value::as_object_mut).expect("just made an object")
            }
        }
    };
}

resource_type!(
    /// A SCIM User (RFC 7643 §4.1) with the enterprise and lifecycle extensions.
    User
);
resource_type!(
    /// A SCIM Group (RFC 7643 §4.2).
    Group
);

impl User {
    /// `userName`.
    pub fn user_name(&self) -> Option<&str> {
        self.doc.str_at("userName", None)
    }

    /// A copy of the top-level attribute `name` (exact case) as JSON.
    pub(crate) fn attribute_json(&self, name: &str) -> Option<Value> {
        self.doc.attribute_json(name)
    }

    /// `active`; an absent `active` counts as `true`.
    pub fn active(&self) -> bool {
        self.doc.bool_at("active").unwrap_or(true)
    }

    /// The lifecycle state, read from the lifecycle extension (pending when absent).
    pub fn lifecycle(&self) -> Lifecycle {
        match self.doc.compact_object(urn::LIFECYCLE_USER) {
            // Read without turning a compact document into JSON.
            Some(ext) => ext.map(|ext| Lifecycle::from_fields(|k| ext.get(k)?.as_str())).unwrap_or_default(),
            None => self.as_object().get(urn::LIFECYCLE_USER).map(Lifecycle::from_json).unwrap_or_default(),
        }
    }

    /// Writes the lifecycle state into the lifecycle extension.
    pub fn set_lifecycle(&mut self, lifecycle: &Lifecycle) {
        self.as_object_mut().insert(urn::LIFECYCLE_USER.into(), lifecycle.to_json());
    }
}

impl Group {
    /// The `value` of each member, in order.
    pub fn member_ids(&self) -> impl Iterator<Item = &str> {
        self.as_object()
            .get("members")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("value").and_then(Value::as_str))
    }
}

/// One value of a multi-valued attribute (`emails`, `phoneNumbers`, Group `members`, …),
/// borrowed from the document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PluralValue<'a> {
    /// `value`.
    pub value: &'a str,
    /// `type` (`work`, `home`, `User`, …).
    pub kind: Option<&'a str>,
    /// `primary`; absent counts as `false`.
    pub primary: bool,
    /// `display`.
    pub display: Option<&'a str>,
}

impl<'a> PluralValue<'a> {
    /// Reads one element; `None` when it is not an object with a string `value`.
    fn from_json(v: &'a Value) -> Option<Self> {
        let o = v.as_object()?;
        Some(Self {
            value: str_at(o, "value")?,
            kind: str_at(o, "type"),
            primary: o.get("primary").and_then(Value::as_bool).unwrap_or(false),
            display: str_at(o, "display"),
        })
    }
}

/// The elements of the multi-valued attribute `key` that have a string `value`, in order.
fn plural<'a>(doc: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = PluralValue<'a>> + Clone + 'a {
    doc.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(PluralValue::from_json)
}

/// The preferred value: the `primary` one, else the first of `kind`, else the first.
fn preferred<'a>(mut values: impl Iterator<Item = PluralValue<'a>> + Clone, kind: &str) -> Option<&'a str> {
    values
        .clone()
        .find(|v| v.primary)
        .or_else(|| values.clone().find(|v| v.kind.is_some_and(|k| k.eq_ignore_ascii_case(kind))))
        .or_else(|| values.next())
        .map(|v| v.value)
}

impl User {
    /// `name.<part>` (`givenName`, `familyName`, `formatted`, …), with the canonical key.
    pub fn name_part(&self, part: &str) -> Option<&str> {
        self.as_object().get("name").and_then(Value::as_object).and_then(|n| str_at(n, part))
    }

    /// `name.givenName`.
    pub fn given_name(&self) -> Option<&str> {
        self.name_part("givenName")
    }

    /// `name.familyName`.
    pub fn family_name(&self) -> Option<&str> {
        self.name_part("familyName")
    }

    /// The `emails`, in order.
    pub fn emails(&self) -> impl Iterator<Item = PluralValue<'_>> + Clone {
        plural(self.as_object(), "emails")
    }

    /// The address to write to: the primary email, else the first `work` email, else the first.
    pub fn preferred_email(&self) -> Option<&str> {
        preferred(self.emails(), "work")
    }

    /// The `phoneNumbers`, in order.
    pub fn phone_numbers(&self) -> impl Iterator<Item = PluralValue<'_>> {
        plural(self.as_object(), "phoneNumbers")
    }

    /// The enterprise extension object, if present.
    pub fn enterprise(&self) -> Option<&Map<String, Value>> {
        self.as_object().get(urn::ENTERPRISE_USER).and_then(Value::as_object)
    }

    /// `urn:…:enterprise:2.0:User:employeeNumber`.
    pub fn employee_number(&self) -> Option<&str> {
        self.enterprise().and_then(|e| str_at(e, "employeeNumber"))
    }

    /// `urn:…:enterprise:2.0:User:department`.
    pub fn department(&self) -> Option<&str> {
        self.enterprise().and_then(|e| str_at(e, "department"))
    }

    /// The manager's id: `urn:…:enterprise:2.0:User:manager.value` (a bare string, as an
    /// unvalidated document may hold, is read too).
    pub fn manager_id(&self) -> Option<&str> {
        match self.enterprise()?.get("manager")? {
            Value::String(s) => Some(s),
            Value::Object(m) => str_at(m, "value"),
            _ => None,
        }
    }
}

impl Group {
    /// The `members`, in order (`value` is the member's id, `kind` is `User` or `Group`).
    pub fn members(&self) -> impl Iterator<Item = PluralValue<'_>> {
        plural(self.as_object(), "members")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn versions_from_revisions() {
        for n in [0, 1, 9, 10, 99, 100, 12_345, u64::MAX] {
            let v = Version::from_revision(n);
            assert_eq!(v.as_str(), format!("W/\"{n}\""));
            assert_eq!(v.revision(), Some(n));
        }
    }

    #[test]
    fn lifecycle_reads_alike_from_compact_and_json() {
        let mut user = User::from_json(json!({"userName": "a"}));
        assert_eq!(User::from_compact(user.to_compact()).lifecycle(), Lifecycle::default(), "no extension");
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 2, 3, 4, 5).single().expect("time");
        let lc = Lifecycle {
            status: crate::UserStatus::Suspended,
            invited_at: Some(t - chrono::Duration::days(1)),
            activated_at: None,
            suspended_at: Some(t),
            purge_at: Some(t + chrono::Duration::days(30)),
        };
        user.set_lifecycle(&lc);
        assert_eq!(user.lifecycle(), lc);
        let compact = User::from_compact(user.to_compact());
        assert_eq!(compact.lifecycle(), lc);
        assert_eq!(compact.as_json(), user.as_json(), "to_compact loses nothing");
    }

    #[test]
    fn user_accessors() {
        let user = User::from_json(json!({
            "id": "u1", "userName": "bjensen", "externalId": "e1", "displayName": "Babs",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "home@x.org", "type": "home"}, {"value": "work@x.org", "type": "work"}, {"type": "other"}],
            "phoneNumbers": [{"value": "+1 555", "type": "work", "primary": true}],
            urn::ENTERPRISE_USER: {"employeeNumber": "701984", "department": "Tour", "manager": {"value": "m1"}}
        }));
        assert_eq!(user.given_name(), Some("Barbara"));
        assert_eq!(user.family_name(), Some("Jensen"));
        assert_eq!(user.name_part("middleName"), None);
        // Elements without a string `value` are skipped.
        let emails: Vec<&str> = user.emails().map(|e| e.value).collect();
        assert_eq!(emails, ["home@x.org", "work@x.org"]);
        assert_eq!(user.preferred_email(), Some("work@x.org"));
        let phone = user.phone_numbers().next().unwrap();
        assert_eq!((phone.value, phone.kind, phone.primary, phone.display), ("+1 555", Some("work"), true, None));
        assert_eq!(user.employee_number(), Some("701984"));
        assert_eq!(user.department(), Some("Tour"));
        assert_eq!(user.manager_id(), Some("m1"));
        assert!(user.active());
    }

    #[test]
    fn compact_backed_resources_read_and_write_like_json_ones() {
        let json = json!({"id": "u1", "userName": "bjensen", "meta": {"version": "W/\"1\""}, "active": false});
        let compact = Arc::new(CompactValue::from(&json));
        let mut user = User::from_compact(Arc::clone(&compact));
        assert!(Arc::ptr_eq(&user.to_compact(), &compact), "no copy while unread");
        let unread = User::from_compact(Arc::clone(&compact));
        assert_eq!((unread.id(), unread.user_name(), unread.external_id()), (Some("u1"), Some("bjensen"), None));
        assert!(unread.version().is_some());
        assert!(matches!(&unread.doc, Doc::Compact { json, .. } if json.get().is_none()), "read without JSON");
        assert_eq!(user, User::from_json(json.clone()));
        assert_eq!((user.id(), user.user_name(), user.active()), (Some("u1"), Some("bjensen"), false));
        assert_eq!(user.version().map(|v| v.as_str().to_owned()), Some("W/\"1\"".to_owned()));
        let copy = user.clone();
        user.set_id("u2");
        assert_eq!(user.id(), Some("u2"));
        assert_eq!(copy.id(), Some("u1"), "a write does not reach other copies");
        assert_eq!(*compact, CompactValue::from(&json), "nor the compact document");
        assert_eq!(copy.into_json(), json);
        assert_eq!(User::from_compact(Arc::new(CompactValue::from(&json!([1])))).as_json(), &json!({}));
    }

    #[test]
    fn preferred_email_order() {
        let primary =
            User::from_json(json!({"emails": [{"value": "a", "type": "work"}, {"value": "b", "primary": true}]}));
        assert_eq!(primary.preferred_email(), Some("b"));
        let first = User::from_json(json!({"emails": [{"value": "a", "type": "home"}, {"value": "b"}]}));
        assert_eq!(first.preferred_email(), Some("a"));
        assert_eq!(User::from_json(json!({})).preferred_email(), None);
        let bare_manager = User::from_json(json!({urn::ENTERPRISE_USER: {"manager": "m2"}}));
        assert_eq!(bare_manager.manager_id(), Some("m2"));
    }

    #[test]
    fn group_members() {
        let group = Group::from_json(json!({"members": [
            {"value": "u1", "display": "Ann", "type": "User"}, {"value": "g2", "type": "Group"}, {"display": "no id"}
        ]}));
        let members: Vec<(&str, Option<&str>)> = group.members().map(|m| (m.value, m.kind)).collect();
        assert_eq!(members, [("u1", Some("User")), ("g2", Some("Group"))]);
        assert_eq!(group.member_ids().collect::<Vec<_>>(), ["u1", "g2"]);
    }
}
