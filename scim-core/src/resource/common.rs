//! [`User`] and [`Group`]: a document and the accessors both have (`id`, `externalId`,
//! `displayName`, `meta`), written once in a macro.

use super::ids::Version;
use super::meta::{Meta, parse_time};
use super::storage::Doc;
use chrono::{DateTime, Utc};
use scim_query::CompactValue;
use serde_json::{Map, Value};
use std::fmt;
use std::sync::Arc;

macro_rules! resource_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, PartialEq)]
        pub struct $name {
            pub(super) doc: Doc,
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
