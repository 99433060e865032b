//! Validation and canonicalisation of client documents against the registry; the rules are
//! documented on the [`schema`](crate::schema) module.

use super::{AttrType, AttributeDef, Mutability, Schema, SchemaRegistry};
use crate::error::ScimError;
use serde_json::{Map, Value};
use std::fmt;

/// What validation does with attributes no schema of the resource type defines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum UnknownAttributes {
    /// Drop them silently (the default): clients send attributes of their own, and storing
    /// them would keep garbage no schema describes.
    #[default]
    Ignore,
    /// Reject the request with `400 invalidValue` naming the attribute.
    Reject,
}

/// A path to an attribute, for error messages; built without allocating.
#[derive(Clone, Copy)]
struct Path<'a> {
    parent: Option<&'a Self>,
    name: &'a str,
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

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn invalid(path: Path<'_>, what: impl fmt::Display) -> ScimError {
    ScimError::invalid_value(format!("attribute '{path}': {what}"))
}

/// Shortens a client value for an error message.
fn excerpt(s: &str) -> String {
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
fn stored(attr: &AttributeDef) -> bool {
    !matches!(attr.mutability, Mutability::ReadOnly | Mutability::WriteOnly)
}

/// A key of a client document, borrowed (`&String`, copied when kept) or owned (`String`, moved).
trait Key {
    fn as_str(&self) -> &str;
    fn into_string(self) -> String;
}

impl Key for &String {
    fn as_str(&self) -> &str {
        self
    }
    fn into_string(self) -> String {
        self.clone()
    }
}

impl Key for String {
    fn as_str(&self) -> &str {
        self
    }
    fn into_string(self) -> String {
        self
    }
}

/// A value of a client document, borrowed (copied only when kept) or owned (moved).
trait Input {
    fn value(&self) -> &Value;
    fn into_value(self) -> Value;
}

impl Input for &Value {
    fn value(&self) -> &Value {
        self
    }
    fn into_value(self) -> Value {
        self.clone()
    }
}

impl Input for Value {
    fn value(&self) -> &Value {
        self
    }
    fn into_value(self) -> Value {
        self
    }
}

/// The key to store a value of `attr` under: the client's own key when it is already canonical
/// (moved, for owned input), else the canonical name.
fn canonical_key<K: Key>(key: K, attr: &AttributeDef) -> String {
    if key.as_str() == attr.name { key.into_string() } else { attr.name.clone() }
}

/// The attributes collected for one extension.
fn ext_slot<'a, 'm>(
    exts: &'m mut Vec<(&'a Schema, Map<String, Value>)>,
    schema: &'a Schema,
) -> &'m mut Map<String, Value> {
    let pos = match exts.iter().position(|(s, _)| std::ptr::eq(*s, schema)) {
        Some(pos) => pos,
        None => {
            exts.push((schema, Map::new()));
            exts.len() - 1
        }
    };
    &mut exts[pos].1
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
        self.canon_attr(def, &mut value, Path { parent: None, name: &def.name })?;
        Ok(value)
    }

    fn canon_attr(&self, def: &AttributeDef, value: &mut Value, path: Path<'_>) -> Result<(), ScimError> {
        match value {
            Value::Null => Ok(()),
            Value::Array(items) if def.multi_valued => self.canon_multi(def, items, path),
            Value::Array(_) => Err(invalid(path, "is single-valued, got an array")),
            _ if def.multi_valued => {
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
    fn canon_map<'d>(
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
    fn unknown(&self, path: Path<'_>) -> Result<(), ScimError> {
        match self.unknown_attributes {
            UnknownAttributes::Ignore => Ok(()),
            UnknownAttributes::Reject => Err(ScimError::invalid_value(format!("unknown attribute '{path}'"))),
        }
    }

    /// Validates a client document for a create (`existing` = `None`) or a replace (`existing`
    /// = the stored document) and returns its canonical, client-owned attributes plus `schemas`.
    ///
    /// See [the rules](crate::schema#validation). The result never holds `id`, `meta`,
    /// read-only or write-only attributes; the caller adds the server-owned ones.
    ///
    /// ```
    /// use scim_core::{SchemaRegistry, urn};
    /// use serde_json::json;
    ///
    /// let registry = SchemaRegistry::scim_default();
    /// let body = json!({
    ///     "schemas": [urn::USER, urn::ENTERPRISE_USER],
    ///     "UserName": "bjensen", "active": "True", "password": "t1meMa$heen", "groups": [],
    ///     urn::ENTERPRISE_USER: {"manager": "26118915-6090-4610-87e4-49d8ca9f808d"}
    /// });
    /// let user = registry.validate("User", &body, None)?;
    /// assert_eq!(serde_json::Value::Object(user), json!({
    ///     "schemas": [urn::USER, urn::ENTERPRISE_USER],
    ///     "userName": "bjensen", "active": true,
    ///     urn::ENTERPRISE_USER: {"manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d"}}
    /// }));
    /// # Ok::<(), scim_core::ScimError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// - `400 invalidSyntax` when `input` is not a JSON object;
    /// - `400 invalidValue` naming the attribute for a wrong type or shape, a missing required
    ///   attribute, two `primary` values or two values of one `type`, or an unknown attribute
    ///   under [`UnknownAttributes::Reject`];
    /// - `400 mutability` when an immutable attribute would change;
    /// - `404` when `resource_type` is not registered.
    pub fn validate(
        &self,
        resource_type: &str,
        input: &Value,
        existing: Option<&Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        match input {
            Value::Object(obj) => self.validate_entries(resource_type, obj.iter(), existing),
            other => Err(self.not_an_object(resource_type, other)),
        }
    }

    /// [`validate`](Self::validate) for a document the caller owns (a parsed request body): it
    /// is canonicalised in place, so strings and arrays are moved into the result, not copied.
    ///
    /// # Errors
    ///
    /// As [`validate`](Self::validate).
    pub fn validate_owned(
        &self,
        resource_type: &str,
        input: Value,
        existing: Option<&Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        match input {
            Value::Object(obj) => self.validate_entries(resource_type, obj.into_iter(), existing),
            other => Err(self.not_an_object(resource_type, &other)),
        }
    }

    fn not_an_object(&self, resource_type: &str, input: &Value) -> ScimError {
        match self.resource_type(resource_type) {
            Some(rt) => ScimError::invalid_syntax(format!("a {} must be a JSON object, got {}", rt.name, kind(input))),
            None => unknown_resource_type(resource_type),
        }
    }

    fn validate_entries<K: Key, V: Input>(
        &self,
        resource_type: &str,
        entries: impl Iterator<Item = (K, V)>,
        existing: Option<&Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        let rt = self.resource_type(resource_type).ok_or_else(|| unknown_resource_type(resource_type))?;
        let core = self.schema(&rt.schema).ok_or_else(|| {
            ScimError::not_found(format!("resource type '{}' has no registered schema '{}'", rt.name, rt.schema))
        })?;
        // Kept attributes under canonical keys: values are copied (borrowed input) or moved
        // (owned input) only once it is known they are kept, then canonicalised in place.
        let mut kept: Vec<(String, Value)> = Vec::with_capacity(entries.size_hint().0 + 1);
        let mut exts: Vec<(&Schema, Map<String, Value>)> = Vec::new();
        for (key, value) in entries {
            if value.value().is_null() {
                continue;
            }
            if let Some(attr) = core.attribute(key.as_str()) {
                if stored(attr) {
                    let mut v = value.into_value();
                    self.canon_attr(attr, &mut v, Path { parent: None, name: &attr.name })?;
                    if !is_unassigned(&v) {
                        kept.push((canonical_key(key, attr), v));
                    }
                }
            } else if key.as_str().eq_ignore_ascii_case("schemas") {
                check_schemas(value.value())?;
            } else if let Some(ext) = self.extension_of(rt, key.as_str()) {
                let ext_path = Path { parent: None, name: &ext.id };
                let got = kind(value.value());
                let Value::Object(mut obj) = value.into_value() else {
                    return Err(invalid(ext_path, format_args!("expected an extension object, got {got}")));
                };
                self.canon_map(&mut obj, ext_path, |k| ext.attribute(k))?;
                let slot = ext_slot(&mut exts, ext);
                if slot.is_empty() {
                    *slot = obj;
                } else {
                    slot.extend(obj);
                }
            } else if let Some((schema, is_ext, attr)) = self.qualified(rt, key.as_str()) {
                // A URN-qualified name: `urn:…:core:2.0:User:userName`, `urn:…:enterprise:2.0:User:department`.
                if stored(attr) {
                    let mut v = value.into_value();
                    let path = Path { parent: Some(&Path { parent: None, name: &schema.id }), name: &attr.name };
                    self.canon_attr(attr, &mut v, path)?;
                    if !is_unassigned(&v) {
                        if is_ext {
                            ext_slot(&mut exts, schema).insert(attr.name.clone(), v);
                        } else {
                            kept.push((attr.name.clone(), v));
                        }
                    }
                }
            } else {
                self.unknown(Path { parent: None, name: key.as_str() })?;
            }
        }
        let mut map: Map<String, Value> = kept.into_iter().collect();

        check_required(core, &map, None)?;
        let existing = existing.and_then(Value::as_object);
        keep_immutable(core, &mut map, existing, None)?;
        let mut schemas = Vec::with_capacity(1 + rt.extensions.len());
        schemas.push(Value::String(core.id.clone()));
        for ext in &rt.extensions {
            let Some(schema) = self.schema(&ext.schema) else { continue };
            let mut attrs = match exts.iter().position(|(s, _)| std::ptr::eq(*s, schema)) {
                Some(pos) => exts.swap_remove(pos).1,
                None => Map::new(),
            };
            let existing_ext = existing.and_then(|e| e.get(&schema.id)).and_then(Value::as_object);
            keep_immutable(schema, &mut attrs, existing_ext, Some(&schema.id))?;
            if attrs.is_empty() {
                if ext.required {
                    return Err(ScimError::invalid_value(format!("the extension '{}' is required", schema.id)));
                }
                continue;
            }
            check_required(schema, &attrs, Some(&schema.id))?;
            schemas.push(Value::String(schema.id.clone()));
            map.insert(schema.id.clone(), Value::Object(attrs));
        }
        map.insert("schemas".to_owned(), Value::Array(schemas));
        Ok(map)
    }

    /// The extension schema of `rt` whose URN is `key`, ignoring case.
    fn extension_of<'a>(&'a self, rt: &'a super::ResourceType, key: &str) -> Option<&'a Schema> {
        if !key.contains(':') {
            return None;
        }
        rt.extensions.iter().find(|e| e.schema.eq_ignore_ascii_case(key)).and_then(|e| self.schema(&e.schema))
    }

    /// Splits `urn:…:Schema:attr` into a schema of `rt` and one of its attributes.
    fn qualified<'a>(&'a self, rt: &'a super::ResourceType, key: &str) -> Option<(&'a Schema, bool, &'a AttributeDef)> {
        let (urn, name) = key.rsplit_once(':')?;
        let (schema, is_ext) = self.schemas_of(rt).find(|(s, _)| s.id.eq_ignore_ascii_case(urn))?;
        Some((schema, is_ext, schema.attribute(name)?))
    }
}

fn unknown_resource_type(name: &str) -> ScimError {
    ScimError::not_found(format!("unknown resource type '{name}'"))
}

fn check_schemas(value: &Value) -> Result<(), ScimError> {
    let ok = match value {
        Value::String(_) => true,
        Value::Array(items) => items.iter().all(Value::is_string),
        _ => false,
    };
    if ok {
        Ok(())
    } else {
        Err(ScimError::invalid_value(format!("attribute 'schemas': expected an array of URIs, got {}", kind(value))))
    }
}

fn check_required(schema: &Schema, out: &Map<String, Value>, urn: Option<&str>) -> Result<(), ScimError> {
    for attr in schema.attributes.iter().filter(|a| a.required && stored(a)) {
        let present = match out.get(&attr.name) {
            Some(Value::String(s)) => !s.trim().is_empty(),
            Some(v) => !is_unassigned(v),
            None => false,
        };
        if !present {
            let path = Path { parent: None, name: &attr.name };
            return Err(match urn {
                Some(urn) => {
                    invalid(Path { parent: Some(&Path { parent: None, name: urn }), name: &attr.name }, "is required")
                }
                None => invalid(path, "is required"),
            });
        }
    }
    Ok(())
}

/// On replace, immutable top-level attributes keep their stored value: a different value is
/// `400 mutability`, an omitted one is carried over.
fn keep_immutable(
    schema: &Schema,
    out: &mut Map<String, Value>,
    existing: Option<&Map<String, Value>>,
    urn: Option<&str>,
) -> Result<(), ScimError> {
    let Some(existing) = existing else { return Ok(()) };
    for attr in schema.attributes.iter().filter(|a| a.mutability == Mutability::Immutable) {
        let Some(old) = existing.get(&attr.name).filter(|v| !is_unassigned(v)) else { continue };
        match out.get(&attr.name) {
            Some(new) if new != old => {
                let name = match urn {
                    Some(urn) => format!("{urn}:{}", attr.name),
                    None => attr.name.clone(),
                };
                return Err(ScimError::mutability(format!("attribute '{name}' is immutable and cannot be changed")));
            }
            Some(_) => {}
            None => {
                out.insert(attr.name.clone(), old.clone());
            }
        }
    }
    Ok(())
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
