//! The compact value layout: [`CompactValue`] (24 bytes a value, keys interned), the
//! [`CompactObject`] view of its objects, reading them, converting them back to
//! `serde_json`, comparing and serializing them.

use super::intern::Sym;
use serde::ser::{Serialize, SerializeMap, SerializeSeq, Serializer};
use serde_json::{Map, Number, Value};
use std::fmt;

/// Longest string kept inline, without an allocation.
pub(super) const INLINE: usize = 20;

/// An immutable JSON value in a compact form; see the [module docs](crate::compact).
#[derive(Clone)]
pub struct CompactValue(pub(super) Repr);

/// Every variant starts with the tag (offset 0) and has its `key` at offset 2 (`repr(u8)` lays each
/// variant out as a `repr(C)` struct that starts with the tag): an entry of an interned object is
/// just its value, which carries the entry's key there, so an entry takes 24 bytes where a `(key,
/// value)` pair would take 32. Values are built with [`Sym::NONE`]; the key of a value that is not
/// such an entry (a document, an array element, a value of a text-keyed object, a clone taken out
/// of an object) means nothing and is never read.
#[derive(Clone)]
#[repr(u8)]
pub(super) enum Repr {
    Null {
        key: Sym,
    },
    Bool {
        key: Sym,
        value: bool,
    },
    Number {
        key: Sym,
        value: Number,
    },
    Inline {
        len: u8,
        key: Sym,
        bytes: [u8; INLINE],
    },
    String {
        key: Sym,
        value: Box<str>,
    },
    Array {
        key: Sym,
        items: Box<[CompactValue]>,
    },
    /// Entries in key order, each value carrying its interned key.
    Object {
        key: Sym,
        entries: Box<[CompactValue]>,
    },
    /// Entries in key order, keys as text (some key could not be interned: the table is full).
    TextObject {
        key: Sym,
        entries: Box<[(Box<str>, CompactValue)]>,
    },
}

const _: () = assert!(std::mem::size_of::<CompactValue>() == 24);

/// A borrowed view of a compact JSON object: its entries in key order.
#[derive(Clone, Copy)]
pub struct CompactObject<'a>(ObjRepr<'a>);

#[derive(Clone, Copy)]
pub(crate) enum ObjRepr<'a> {
    Interned(&'a [CompactValue]),
    Text(&'a [(Box<str>, CompactValue)]),
}

/// Evaluates `$body` with `$key` bound to the key field of `$repr` (a `&Repr` or `&mut Repr`),
/// whichever the variant.
macro_rules! with_key {
    ($repr:expr, $key:ident => $body:expr) => {
        match $repr {
            Repr::Null { key: $key }
            | Repr::Bool { key: $key, .. }
            | Repr::Number { key: $key, .. }
            | Repr::Inline { key: $key, .. }
            | Repr::String { key: $key, .. }
            | Repr::Array { key: $key, .. }
            | Repr::Object { key: $key, .. }
            | Repr::TextObject { key: $key, .. } => $body,
        }
    };
}

impl CompactValue {
    /// JSON `null`.
    pub const NULL: Self = Self(Repr::Null { key: Sym::NONE });

    /// The key of this value as an entry of an interned object (meaningless otherwise).
    pub(crate) fn key(&self) -> Sym {
        with_key!(&self.0, key => *key)
    }

    /// Makes this value an entry of an interned object under the key `sym`.
    pub(super) fn set_key(&mut self, sym: Sym) {
        with_key!(&mut self.0, key => *key = sym);
    }

    /// Stores `s` in `slot`: inline (its bytes copied in place, so that no whole-value copy
    /// rereads them) or in one exact-size allocation.
    pub(super) fn fill_string(slot: &mut Self, s: &str) {
        if s.len() <= INLINE {
            // `s.len() <= 20` fits in a u8.
            *slot = Self(Repr::Inline { len: s.len() as u8, key: Sym::NONE, bytes: [0; INLINE] });
            if let Repr::Inline { bytes, .. } = &mut slot.0 {
                bytes[..s.len()].copy_from_slice(s.as_bytes());
            }
        } else {
            *slot = Self(Repr::String { key: Sym::NONE, value: s.into() });
        }
    }

    /// The string, if this is one.
    pub fn as_str(&self) -> Option<&str> {
        match &self.0 {
            Repr::Inline { len, bytes, .. } => {
                // Built from a `&str` of exactly `len` bytes.
                std::str::from_utf8(&bytes[..usize::from(*len)]).ok()
            }
            Repr::String { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The boolean, if this is one.
    pub fn as_bool(&self) -> Option<bool> {
        match self.0 {
            Repr::Bool { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The number, if this is one.
    pub fn as_number(&self) -> Option<&Number> {
        match &self.0 {
            Repr::Number { value, .. } => Some(value),
            _ => None,
        }
    }

    /// The elements, if this is an array.
    pub fn as_array(&self) -> Option<&[Self]> {
        match &self.0 {
            Repr::Array { items, .. } => Some(items),
            _ => None,
        }
    }

    /// The object, if this is one.
    pub fn as_object(&self) -> Option<CompactObject<'_>> {
        match &self.0 {
            Repr::Object { entries, .. } => Some(CompactObject(ObjRepr::Interned(entries))),
            Repr::TextObject { entries, .. } => Some(CompactObject(ObjRepr::Text(entries))),
            _ => None,
        }
    }

    /// Whether this is `null`.
    pub fn is_null(&self) -> bool {
        matches!(self.0, Repr::Null { .. })
    }

    /// The same document as a `serde_json::Value`.
    pub fn to_value(&self) -> Value {
        match &self.0 {
            Repr::Null { .. } => Value::Null,
            Repr::Bool { value, .. } => Value::Bool(*value),
            Repr::Number { value, .. } => Value::Number(value.clone()),
            Repr::Inline { .. } | Repr::String { .. } => Value::String(self.as_str().unwrap_or_default().to_owned()),
            Repr::Array { items, .. } => Value::Array(items.iter().map(Self::to_value).collect()),
            Repr::Object { .. } | Repr::TextObject { .. } => {
                Value::Object(self.as_object().map(CompactObject::to_map).unwrap_or_default())
            }
        }
    }
}

impl<'a> CompactObject<'a> {
    pub(crate) fn repr(self) -> ObjRepr<'a> {
        self.0
    }

    /// The value of `key` (exact match).
    pub fn get(self, key: &str) -> Option<&'a CompactValue> {
        match self.0 {
            ObjRepr::Interned(entries) => {
                entries.binary_search_by(|e| e.key().as_str().cmp(key)).ok().map(|i| &entries[i])
            }
            ObjRepr::Text(entries) => entries.binary_search_by(|(k, _)| (**k).cmp(key)).ok().map(|i| &entries[i].1),
        }
    }

    /// The entries, in key order.
    pub fn iter(self) -> impl DoubleEndedIterator<Item = (&'a str, &'a CompactValue)> + ExactSizeIterator {
        let (interned, text) = match self.0 {
            ObjRepr::Interned(entries) => (entries, &[][..]),
            ObjRepr::Text(entries) => (&[][..], entries),
        };
        Entries { interned: interned.iter(), text: text.iter() }
    }

    /// How many entries.
    pub fn len(self) -> usize {
        match self.0 {
            ObjRepr::Interned(entries) => entries.len(),
            ObjRepr::Text(entries) => entries.len(),
        }
    }

    /// Whether it has no entries.
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// The same object as a `serde_json` map.
    pub fn to_map(self) -> Map<String, Value> {
        self.iter().map(|(k, v)| (k.to_owned(), v.to_value())).collect()
    }
}

/// The entries of either kind of object (one of the two iterators is empty).
struct Entries<'a> {
    interned: std::slice::Iter<'a, CompactValue>,
    text: std::slice::Iter<'a, (Box<str>, CompactValue)>,
}

impl<'a> Iterator for Entries<'a> {
    type Item = (&'a str, &'a CompactValue);

    fn next(&mut self) -> Option<Self::Item> {
        match self.interned.next() {
            Some(v) => Some((v.key().as_str(), v)),
            None => self.text.next().map(|(k, v)| (&**k, v)),
        }
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let n = self.interned.len() + self.text.len();
        (n, Some(n))
    }
}

impl DoubleEndedIterator for Entries<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        match self.text.next_back() {
            Some((k, v)) => Some((&**k, v)),
            None => self.interned.next_back().map(|v| (v.key().as_str(), v)),
        }
    }
}

impl ExactSizeIterator for Entries<'_> {}

impl From<&CompactValue> for Value {
    fn from(value: &CompactValue) -> Self {
        value.to_value()
    }
}

/// Compares with a `serde_json::Value` without converting either: equal exactly when
/// `self.to_value() == *other`.
impl PartialEq<Value> for CompactValue {
    fn eq(&self, other: &Value) -> bool {
        match (&self.0, other) {
            (Repr::Null { .. }, Value::Null) => true,
            (Repr::Bool { value: a, .. }, Value::Bool(b)) => a == b,
            (Repr::Number { value: a, .. }, Value::Number(b)) => a == b,
            (Repr::Inline { .. } | Repr::String { .. }, Value::String(b)) => self.as_str() == Some(b.as_str()),
            (Repr::Array { items: a, .. }, Value::Array(b)) => {
                a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x == y)
            }
            (Repr::Object { .. } | Repr::TextObject { .. }, Value::Object(b)) => {
                self.as_object().is_some_and(|a| a == *b)
            }
            _ => false,
        }
    }
}

/// Equal exactly when the two convert to equal `serde_json::Value`s.
impl PartialEq for CompactValue {
    fn eq(&self, other: &Self) -> bool {
        match (&self.0, &other.0) {
            (Repr::Null { .. }, Repr::Null { .. }) => true,
            (Repr::Bool { value: a, .. }, Repr::Bool { value: b, .. }) => a == b,
            (Repr::Number { value: a, .. }, Repr::Number { value: b, .. }) => a == b,
            (Repr::Array { items: a, .. }, Repr::Array { items: b, .. }) => a == b,
            _ => match (self.as_object(), other.as_object()) {
                (Some(a), Some(b)) => a.len() == b.len() && a.iter().zip(b.iter()).all(|(x, y)| x == y),
                (None, None) => self.as_str().is_some_and(|a| other.as_str() == Some(a)),
                _ => false,
            },
        }
    }
}

/// Compares with a `serde_json` map without converting either.
impl PartialEq<Map<String, Value>> for CompactObject<'_> {
    fn eq(&self, other: &Map<String, Value>) -> bool {
        self.len() == other.len() && self.iter().all(|(k, v)| other.get(k).is_some_and(|w| v == w))
    }
}

impl fmt::Debug for CompactValue {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.0 {
            Repr::Null { .. } => f.write_str("null"),
            Repr::Bool { value, .. } => write!(f, "{value}"),
            Repr::Number { value, .. } => write!(f, "{value}"),
            Repr::Inline { .. } | Repr::String { .. } => write!(f, "{:?}", self.as_str().unwrap_or_default()),
            Repr::Array { items, .. } => f.debug_list().entries(items.iter()).finish(),
            Repr::Object { .. } | Repr::TextObject { .. } => match self.as_object() {
                Some(obj) => obj.fmt(f),
                None => Ok(()),
            },
        }
    }
}

impl fmt::Debug for CompactObject<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_map().entries(self.iter()).finish()
    }
}

impl Serialize for CompactValue {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        match &self.0 {
            Repr::Null { .. } => serializer.serialize_unit(),
            Repr::Bool { value, .. } => serializer.serialize_bool(*value),
            Repr::Number { value, .. } => value.serialize(serializer),
            Repr::Inline { .. } | Repr::String { .. } => serializer.serialize_str(self.as_str().unwrap_or_default()),
            Repr::Array { items, .. } => {
                let mut seq = serializer.serialize_seq(Some(items.len()))?;
                for item in items {
                    seq.serialize_element(item)?;
                }
                seq.end()
            }
            Repr::Object { .. } | Repr::TextObject { .. } => match self.as_object() {
                Some(obj) => obj.serialize(serializer),
                None => serializer.serialize_unit(),
            },
        }
    }
}

impl Serialize for CompactObject<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(Some(self.len()))?;
        for (k, v) in self.iter() {
            map.serialize_entry(k, v)?;
        }
        map.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::compact::intern;
    use serde_json::json;

    #[test]
    fn round_trips_every_json_type() {
        let doc = json!({
            "s": "short", "long": "a string that is longer than twenty-two bytes", "empty": "",
            "exactly20": "abcdefghijklmnopqrst", "exactly21": "abcdefghijklmnopqrstu", "unicode": "Zoë Åström 𝄞",
            "n": 1, "neg": -5, "big": u64::MAX, "f": 1.5, "t": true, "f2": false, "null": null,
            "arr": [1, "x", {"b": 2, "a": [null]}], "obj": {"z": {}, "a": []}
        });
        let compact = CompactValue::from(&doc);
        assert_eq!(compact.to_value(), doc);
        assert_eq!(CompactValue::from(doc.clone()).to_value(), doc);
        assert_eq!(serde_json::to_value(&compact).unwrap(), doc);
        assert_eq!(serde_json::to_string(&compact).unwrap(), serde_json::to_string(&doc).unwrap());
        let obj = compact.as_object().unwrap();
        assert_eq!(obj.get("exactly20").and_then(CompactValue::as_str), Some("abcdefghijklmnopqrst"));
        assert_eq!(obj.get("exactly21").and_then(CompactValue::as_str), Some("abcdefghijklmnopqrstu"));
        assert!(matches!(obj.get("exactly20").map(|v| &v.0), Some(Repr::Inline { len: 20, .. })));
        assert!(matches!(obj.get("exactly21").map(|v| &v.0), Some(Repr::String { .. })));
        assert_eq!(obj.get("unicode").and_then(CompactValue::as_str), Some("Zoë Åström 𝄞"));
        assert_eq!(obj.get("big").and_then(CompactValue::as_number).and_then(Number::as_u64), Some(u64::MAX));
        assert!(obj.get("missing").is_none());
        assert_eq!(obj.len(), 15);
    }

    #[test]
    fn compares_with_json_as_its_json_form_would() {
        let doc = json!({"a": [1, "x", null, true, {"b": 2.5}], "long": "a string longer than inline", "n": -3});
        let compact = CompactValue::from(&doc);
        assert!(compact == doc);
        for other in [
            json!({"a": [1, "x", null, true, {"b": 2.5}], "long": "a string longer than inline"}),
            json!({"a": [1, "x", null, true, {"b": 2}], "long": "a string longer than inline", "n": -3}),
            json!({"a": [1, "x", null, true], "long": "a string longer than inline", "n": -3}),
            json!({"a": [1, "x", null, false, {"b": 2.5}], "long": "a string longer than inline", "n": -3}),
            json!({"a": [1, "x", null, true, {"b": 2.5}], "long": "a string longer than inlinE", "n": -3}),
            json!({"a": [1, "x", null, true, {"b": 2.5}], "long": "a string longer than inline", "m": -3}),
            json!([1]),
            json!(null),
        ] {
            assert_eq!(compact == other, compact.to_value() == other, "{other}");
            assert!(compact != other, "{other}");
        }
        let one = CompactValue::from(&json!(1));
        assert!(one != json!(1.0), "as serde_json: 1 and 1.0 differ");
        assert!(one == json!(1));
        let obj = compact.as_object().expect("an object");
        assert!(obj == *doc.as_object().expect("an object"));
        // Entries of an object carry their keys; equality of values ignores them.
        let pair = CompactValue::from(&json!({"x": [1, {"k": "v"}], "y": [1, {"k": "v"}], "z": [1, {"j": "v"}]}));
        let pair = pair.as_object().expect("an object");
        assert_eq!(pair.get("x"), pair.get("y"));
        assert_ne!(pair.get("x"), pair.get("z"), "keys inside the values still count");
        assert_eq!(pair.get("x").cloned(), Some(CompactValue::from(&json!([1, {"k": "v"}]))));
    }

    #[test]
    fn keys_are_shared_between_documents() {
        let a = CompactValue::from(&json!({"userName": "a"}));
        let b = CompactValue::from(json!({"userName": "b"}));
        let sym = |v: &CompactValue| match &v.0 {
            Repr::Object { entries, .. } => entries[0].key(),
            _ => panic!("an interned object"),
        };
        assert_eq!(sym(&a), sym(&b));
        assert_eq!(Some(sym(&a)), intern("userName"));
        assert_eq!(sym(&a).as_str(), "userName");
    }
}
