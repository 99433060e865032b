//! How a resource holds its document: shared JSON, or a compact document turned into JSON
//! on first read, with the reads that need no conversion.

use scim_query::CompactValue;
use serde_json::{Map, Value};
use std::sync::{Arc, OnceLock};

/// A resource's document: JSON, or a compact document turned into JSON on first read.
pub(super) enum Doc {
    Json(Arc<Value>),
    Compact { compact: Arc<CompactValue>, json: OnceLock<Arc<Value>> },
}

impl Doc {
    pub(super) fn from_json(doc: Value) -> Self {
        Self::Json(Arc::new(if doc.is_object() { doc } else { Value::Object(Map::new()) }))
    }

    pub(super) fn from_compact(compact: Arc<CompactValue>) -> Self {
        if compact.as_object().is_some() {
            Self::Compact { compact, json: OnceLock::new() }
        } else {
            Self::from_json(Value::Null)
        }
    }

    pub(super) fn json(&self) -> &Value {
        match self {
            Self::Json(doc) => doc,
            Self::Compact { compact, json } => json.get_or_init(|| Arc::new(compact.to_value())),
        }
    }

    pub(super) fn json_arc(&mut self) -> &mut Arc<Value> {
        if let Self::Compact { compact, json } = self {
            let doc = json.take().unwrap_or_else(|| Arc::new(compact.to_value()));
            *self = Self::Json(doc);
        }
        match self {
            Self::Json(doc) => doc,
            Self::Compact { .. } => unreachable!("converted to JSON above"),
        }
    }

    pub(super) fn into_json(mut self) -> Value {
        let doc = std::mem::take(self.json_arc());
        Arc::try_unwrap(doc).unwrap_or_else(|shared| (*shared).clone())
    }

    /// A copy of the document as JSON; a compact document's JSON is made for the copy, not kept.
    pub(super) fn to_json(&self) -> Value {
        match self {
            Self::Json(doc) => (**doc).clone(),
            Self::Compact { compact, json } => json.get().map_or_else(|| compact.to_value(), |doc| (**doc).clone()),
        }
    }

    /// A copy of the top-level attribute `key` as JSON, made without turning a compact
    /// document into JSON.
    pub(super) fn attribute_json(&self, key: &str) -> Option<Value> {
        match self {
            Self::Compact { compact, .. } => compact.as_object()?.get(key).map(CompactValue::to_value),
            Self::Json(doc) => doc.get(key).cloned(),
        }
    }

    /// The top-level boolean `key`, read without turning a compact document into JSON.
    pub(super) fn bool_at(&self, key: &str) -> Option<bool> {
        match self {
            Self::Compact { compact, .. } => compact.as_object()?.get(key)?.as_bool(),
            Self::Json(doc) => doc.get(key)?.as_bool(),
        }
    }

    /// Whether the attributes a client sets (all but `meta` and the derived `groups`) equal
    /// those of `other`, compared without turning a compact document into JSON.
    pub(super) fn same_client_part(&self, other: &Map<String, Value>) -> bool {
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
    pub(super) fn str_at(&self, key: &str, sub: Option<&str>) -> Option<&str> {
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

    pub(super) fn to_compact(&self) -> Arc<CompactValue> {
        match self {
            Self::Json(doc) => Arc::new(CompactValue::from(&**doc)),
            Self::Compact { compact, .. } => Arc::clone(compact),
        }
    }

    /// The object `key` of a compact document, read without turning it into JSON.
    pub(super) fn compact_object(&self, key: &str) -> Option<Option<scim_query::CompactObject<'_>>> {
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
