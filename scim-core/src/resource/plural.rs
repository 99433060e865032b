//! Reading multi-valued attributes (`emails`, `members`, …) as [`PluralValue`]s, and picking
//! the preferred one.

use serde_json::{Map, Value};

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
pub(super) fn plural<'a>(doc: &'a Map<String, Value>, key: &str) -> impl Iterator<Item = PluralValue<'a>> + Clone + 'a {
    doc.get(key).and_then(Value::as_array).into_iter().flatten().filter_map(PluralValue::from_json)
}

/// The preferred value: the `primary` one, else the first of `kind`, else the first.
pub(super) fn preferred<'a>(mut values: impl Iterator<Item = PluralValue<'a>> + Clone, kind: &str) -> Option<&'a str> {
    values
        .clone()
        .find(|v| v.primary)
        .or_else(|| values.clone().find(|v| v.kind.is_some_and(|k| k.eq_ignore_ascii_case(kind))))
        .or_else(|| values.next())
        .map(|v| v.value)
}

/// The string `key` of an object.
pub(super) fn str_at<'a>(doc: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    doc.get(key).and_then(Value::as_str)
}
