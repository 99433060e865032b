//! Checking and canonicalising attribute values in place (the shared core of
//! [`SchemaRegistry::validate`] and PATCH, through [`SchemaRegistry::canonicalize_value`]).

use super::{AttrType, AttributeDef, Mutability, SchemaRegistry, UnknownAttributes};
use crate::error::ScimError;
use crate::quirks::{self, Quirk};
use serde_json::{Map, Value};
use std::fmt;

/// A path to an attribute, for error messages; built without allocating.
#[derive(Clone, Copy)]
pub(super) struct Path<'a> {
    pub(super) parent: Option<&'a Self>,
    pub(super) name: &'a str,
}

impl fmt::Display for Path<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(p) = self.parent {
            // An extension URN is joined with ':', everything else with '.'.
            let sep = if p.parent.is_none() && p.name.contains(':') { ':' } else { '.' };
            write!(f, "{p}{sep}")?;
        }
        f.write_str(self.name)
    }
}

pub(super) fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

pub(super) fn invalid(path: Path<'_>, what: impl fmt::Display) -> ScimError {
    ScimError::invalid_value(format!("attribute '{path}': {what}"))
}

/// Shortens a client value for an error message.
pub(super) fn excerpt(s: &str) -> String {
    let mut out: String = s.chars().take(64).collect();
    if out.len() < s.len() {
        out.push('…');
    }
    out
}

/// Whether a canonical value means "unassigned" (RFC 7643 §2.5).
pub(crate) fn is_unassigned(v: &Value) -> bool {
    match v {
        Value::Null => true,
        Value::Array(a) => a.is_empty(),
        Value::Object(o) => o.is_empty(),
        _ => false,
    }
}

/// RFC 4648 §4 base64 (padding optional, no whitespace).
fn is_base64(s: &str) -> bool {
    let body = s.trim_end_matches('=');
    let padding = s.len() - body.len();
    padding <= 2
        && (padding == 0 || s.len() % 4 == 0)
        && body.len() % 4 != 1
        && body.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'+' || b == b'/')
}

fn parse_bool(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Checks and canonicalises one simple value in place. On error, says what was wrong.
fn canon_simple(attr_type: AttrType, value: &mut Value) -> Result<(), String> {
    let ok = match (attr_type, &*value) {
        (AttrType::String | AttrType::Reference, Value::String(_)) => true,
        (AttrType::Boolean, Value::Bool(_)) => true,
        (AttrType::Boolean, Value::String(s)) => {
            let b = parse_bool(s).ok_or_else(|| format!("expected a boolean, got the string \"{}\"", excerpt(s)))?;
            if !quirks::allowed(Quirk::BoolStrings) {
                return Err(format!(
                    "expected a boolean, got the string \"{}\"{}",
                    excerpt(s),
                    quirks::note(Quirk::BoolStrings)
                ));
            }
            *value = Value::Bool(b);
            return Ok(());
        }
        (AttrType::Integer, Value::Number(n)) => n.is_i64() || n.is_u64(),
        (AttrType::Decimal, Value::Number(_)) => true,
        (AttrType::DateTime, Value::String(s)) => {
            if chrono::DateTime::parse_from_rfc3339(s).is_err() {
                return Err(format!("\"{}\" is not an RFC 3339 date-time", excerpt(s)));
            }
            true
        }
        (AttrType::Binary, Value::String(s)) => {
            if !is_base64(s) {
                return Err("expected base64-encoded binary data".to_owned());
            }
            true
        }
        _ => false,
    };
    if ok {
        return Ok(());
    }
    let expected = match attr_type {
        AttrType::String => "a string",
        AttrType::Boolean => "a boolean",
        AttrType::Decimal => "a number",
        AttrType::Integer => "an integer",
        AttrType::DateTime => "a date-time string",
        AttrType::Binary => "a base64 string",
        AttrType::Reference => "a reference (URI string)",
        AttrType::Complex => "an object",
    };
    Err(format!("expected {expected}, got {}", kind(value)))
}

/// Whether a client-sent value of `attr` is kept: read-only and write-only ones are not.
pub(super) fn stored(attr: &AttributeDef) -> bool {
    !matches!(attr.mutability, Mutability::ReadOnly | Mutability::WriteOnly)
}

impl SchemaRegistry {
    /// Checks and canonicalises the value of one attribute, as [`validate`](Self::validate)
    /// does for each attribute of a document (see [the rules](crate::schema#validation)).
    ///
    /// `def` is the target attribute or sub-attribute. For a multi-valued `def`, `value` may be
    /// an array or one element; the result is then always an array. A JSON `null` is returned as
    /// `null` (unassigned); unassigned elements and sub-attributes are left out; read-only
    /// sub-attributes are dropped.
    ///
    /// # Errors
    ///
    /// `400 invalidValue` naming the attribute when a value has the wrong type or shape, or
    /// breaks the one-`primary` / one-value-per-`type` rules; also for unknown sub-attributes
    /// under [`UnknownAttributes::Reject`].
    pub fn canonicalize_value(&self, def: &AttributeDef, value: &Value) -> Result<Value, ScimError> {
        self.canonicalize_value_owned(def, value.clone())
    }

    /// [`canonicalize_value`](Self::canonicalize_value) for a value the caller owns: it is
    /// canonicalised in place, without copying strings.
    ///
    /// # Errors
    ///
    /// As [`canonicalize_value`](Self::canonicalize_value).
    pub fn canonicalize_value_owned(&self, def: &AttributeDef, mut value: Value) -> Result<Value, ScimError> {
        // A PATCH value for a multi-valued attribute may be one element (RFC 7644 §3.5.2.1);
        // in a resource body that is quirk `scalar-for-multi-valued`.
        if def.multi_valued && !matches!(value, Value::Null | Value::Array(_)) {
            value = Value::Array(vec![value]);
        }
        self.canon_attr(def, &mut value, Path { parent: None, name: &def.name })?;
        Ok(value)
    }

    pub(super) fn canon_attr(&self, def: &AttributeDef, value: &mut Value, path: Path<'_>) -> Result<(), ScimError> {
        match value {
            Value::Null => Ok(()),
            Value::Array(items) if def.multi_valued => self.canon_multi(def, items, path),
            Value::Array(_) => Err(invalid(path, "is single-valued, got an array")),
            _ if def.multi_valued => {
                quirks::admit(Quirk::ScalarForMultiValued, || invalid(path, "is multi-valued; expected an array"))?;
                let mut items = vec![std::mem::take(value)];
                self.canon_multi(def, &mut items, path)?;
                *value = Value::Array(items);
                Ok(())
            }
            _ => self.canon_single(def, value, path),
        }
    }

    fn canon_multi(&self, def: &AttributeDef, items: &mut Vec<Value>, path: Path<'_>) -> Result<(), ScimError> {
        let mut unassigned = false;
        for item in items.iter_mut() {
            match item {
                Value::Null => unassigned = true,
                Value::Array(_) => return Err(invalid(path, "expected a value, got a nested array")),
                item => {
                    self.canon_single(def, item, path)?;
                    unassigned |= is_unassigned(item);
                }
            }
        }
        if unassigned {
            items.retain(|v| !is_unassigned(v));
        }
        check_plural(def, items, path)
    }

    fn canon_single(&self, def: &AttributeDef, value: &mut Value, path: Path<'_>) -> Result<(), ScimError> {
        if def.attr_type != AttrType::Complex {
            return canon_simple(def.attr_type, value).map_err(|what| invalid(path, what));
        }
        match value {
            Value::Object(obj) => self.canon_map(obj, path, |k| def.sub_attribute(k)),
            // A bare simple value for a complex attribute with a `value` sub-attribute: `manager: "id"`.
            Value::Bool(_) | Value::Number(_) | Value::String(_) => {
                let Some(value_def) = def.sub_attribute("value") else {
                    return Err(invalid(path, format_args!("expected an object, got {}", kind(value))));
                };
                quirks::admit(Quirk::BareComplexValue, || {
                    invalid(path, format_args!("expected an object, got {}", kind(value)))
                })?;
                let sub_path = Path { parent: Some(&path), name: &value_def.name };
                canon_simple(value_def.attr_type, value).map_err(|what| invalid(sub_path, what))?;
                let mut m = Map::new();
                m.insert(value_def.name.clone(), std::mem::take(value));
                *value = Value::Object(m);
                Ok(())
            }
            other => Err(invalid(path, format_args!("expected an object, got {}", kind(other)))),
        }
    }

    /// Canonicalises the members of a complex value or an extension object in place: values
    /// first, then (only when needed) a rebuild that drops unassigned, read-only, write-only and
    /// unknown members and renames the others to their canonical names.
    pub(super) fn canon_map<'d>(
        &self,
        obj: &mut Map<String, Value>,
        path: Path<'_>,
        lookup: impl Fn(&str) -> Option<&'d AttributeDef>,
    ) -> Result<(), ScimError> {
        let mut rebuild = false;
        for (key, v) in obj.iter_mut() {
            if v.is_null() {
                rebuild = true;
                continue;
            }
            match lookup(key) {
                Some(attr) if stored(attr) => {
                    self.canon_attr(attr, v, Path { parent: Some(&path), name: &attr.name })?;
                    rebuild |= attr.name != *key || is_unassigned(v);
                }
                Some(_) => rebuild = true,
                None => {
                    self.unknown(Path { parent: Some(&path), name: key })?;
                    rebuild = true;
                }
            }
        }
        if rebuild {
            for (key, v) in std::mem::take(obj) {
                if is_unassigned(&v) {
                    continue;
                }
                if let Some(attr) = lookup(&key).filter(|a| stored(a)) {
                    let key = if key == attr.name { key } else { attr.name.clone() };
                    obj.insert(key, v);
                }
            }
        }
        Ok(())
    }

    /// Applies the unknown-attribute policy to the attribute at `path`.
    pub(super) fn unknown(&self, path: Path<'_>) -> Result<(), ScimError> {
        match self.unknown_attributes {
            UnknownAttributes::Ignore => Ok(()),
            UnknownAttributes::Reject => Err(ScimError::invalid_value(format!("unknown attribute '{path}'"))),
        }
    }
}

/// At most one `primary: true`; at most one value per `type` where the attribute has a
/// `primary` sub-attribute and its `type` has canonical values.
fn check_plural(def: &AttributeDef, items: &[Value], path: Path<'_>) -> Result<(), ScimError> {
    if def.attr_type != AttrType::Complex || items.len() < 2 {
        return Ok(());
    }
    let Some(primary) = def.sub_attribute("primary") else { return Ok(()) };
    let primaries = items.iter().filter(|v| v.get(&primary.name) == Some(&Value::Bool(true))).count();
    if primaries > 1 {
        return Err(invalid(path, "more than one value has primary: true"));
    }
    let Some(type_def) = def.sub_attribute("type").filter(|t| !t.canonical_values.is_empty()) else {
        return Ok(());
    };
    let types: Vec<&str> = items.iter().filter_map(|v| v.get(&type_def.name).and_then(Value::as_str)).collect();
    let duplicate = if types.len() <= 16 {
        // The usual case (a handful of e-mails): compare pairwise, no allocation.
        types
            .iter()
            .enumerate()
            .find(|(i, a)| types[i + 1..].iter().any(|b| b.eq_ignore_ascii_case(a)))
            .map(|(_, a)| *a)
    } else {
        // Many values: a set, so a hostile request cannot make this quadratic.
        let mut seen = std::collections::HashSet::with_capacity(types.len());
        types.iter().find(|t| !seen.insert(t.to_ascii_lowercase())).copied()
    };
    match duplicate {
        Some(t) => Err(invalid(path, format_args!("more than one value has type '{}'", excerpt(t)))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64() {
        assert!(is_base64("TWFu"));
        assert!(is_base64("TWE="));
        assert!(is_base64("TQ=="));
        assert!(is_base64("TWE"));
        assert!(is_base64(""));
        assert!(!is_base64("T"));
        assert!(!is_base64("TW=u"));
        assert!(!is_base64("TQ==="));
        assert!(!is_base64("TWFu TWFu"));
    }

    #[test]
    fn paths_render_with_extension_colon() {
        let ext = Path { parent: None, name: "urn:x:Ext" };
        let attr = Path { parent: Some(&ext), name: "manager" };
        let sub = Path { parent: Some(&attr), name: "value" };
        assert_eq!(sub.to_string(), "urn:x:Ext:manager.value");
        let top = Path { parent: None, name: "emails" };
        assert_eq!(Path { parent: Some(&top), name: "type" }.to_string(), "emails.type");
    }

    #[test]
    fn string_booleans() {
        for (s, b) in [("True", true), ("false", false), ("FALSE", false), ("true", true)] {
            let mut v = Value::String(s.into());
            assert_eq!(canon_simple(AttrType::Boolean, &mut v), Ok(()));
            assert_eq!(v, Value::Bool(b));
        }
        assert!(canon_simple(AttrType::Boolean, &mut Value::String("yes".into())).is_err());
    }
}
