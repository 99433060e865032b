//! Validation and canonicalisation of client documents against the registry; the rules are
//! documented on the [`schema`](crate::schema) module.

#[cfg(doc)]
use super::UnknownAttributes;
use super::value::{Path, excerpt, invalid, is_unassigned, kind, stored};
use super::{AttributeDef, Mutability, ResourceType, Schema, SchemaRegistry};
use crate::error::ScimError;
use crate::quirks::{self, Quirk};
use serde_json::{Map, Value}; // named in the docs of `validate`

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
    /// Validates a client document for a create (`existing` = `None`) or a replace (`existing`
    /// = the stored document) and returns its canonical, client-owned attributes plus `schemas`.
    ///
    /// See [the rules](crate::schema#validation). The result never holds `id`, `meta`,
    /// read-only or write-only attributes; the caller adds the server-owned ones.
    ///
    /// ```
    /// use scim_core::{ResourceKind, SchemaRegistry, urn};
    /// use serde_json::json;
    ///
    /// let registry = SchemaRegistry::scim_default();
    /// let body = json!({
    ///     "schemas": [urn::USER, urn::ENTERPRISE_USER],
    ///     "UserName": "bjensen", "active": "True", "password": "t1meMa$heen", "groups": [],
    ///     urn::ENTERPRISE_USER: {"manager": "26118915-6090-4610-87e4-49d8ca9f808d"}
    /// });
    /// let user = registry.validate(registry.kind(ResourceKind::User)?, &body, None)?;
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
    /// - `404` when the core schema of `rt` is not registered.
    pub fn validate(
        &self,
        rt: &ResourceType,
        input: &Value,
        existing: Option<&Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        match input {
            Value::Object(obj) => {
                check_schema_list(rt, obj)?;
                self.validate_entries(rt, obj, existing)
            }
            other => Err(not_an_object(rt, other)),
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
        rt: &ResourceType,
        input: Value,
        existing: Option<&Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        match input {
            Value::Object(obj) => {
                check_schema_list(rt, &obj)?;
                self.validate_in_place(rt, obj, existing)
            }
            other => Err(not_an_object(rt, &other)),
        }
    }

    /// The core schema of `rt`.
    fn core_schema(&self, rt: &ResourceType) -> Result<&Schema, ScimError> {
        self.schema(&rt.schema).ok_or_else(|| {
            ScimError::not_found(format!("resource type '{}' has no registered schema '{}'", rt.name, rt.schema))
        })
    }

    /// [`validate`](Self::validate): the kept values are copied into a new map.
    fn validate_entries(
        &self,
        rt: &ResourceType,
        obj: &Map<String, Value>,
        existing: Option<&Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        let core = self.core_schema(rt)?;
        // Kept attributes under canonical keys: values are copied only once it is known they
        // are kept, then canonicalised in place.
        let mut kept: Vec<(String, Value)> = Vec::with_capacity(obj.len());
        let mut exts: Vec<(&Schema, Map<String, Value>)> = Vec::new();
        for (key, value) in obj {
            if value.is_null() {
                continue;
            }
            if let Some(attr) = core.attribute(key.as_str()) {
                if stored(attr) {
                    let mut v = value.clone();
                    self.canon_attr(attr, &mut v, Path { parent: None, name: &attr.name })?;
                    if !is_unassigned(&v) {
                        kept.push((attr.name.clone(), v));
                    }
                }
            } else if key.as_str().eq_ignore_ascii_case("schemas") {
                check_schemas(value)?;
            } else if let Some(ext) = self.extension_of(rt, key.as_str()) {
                let ext_path = Path { parent: None, name: &ext.id };
                let Value::Object(ext_obj) = value else {
                    return Err(invalid(ext_path, format_args!("expected an extension object, got {}", kind(value))));
                };
                let mut ext_obj = ext_obj.clone();
                self.canon_map(&mut ext_obj, ext_path, |k| ext.attribute(k))?;
                let slot = ext_slot(&mut exts, ext);
                if slot.is_empty() {
                    *slot = ext_obj;
                } else {
                    slot.extend(ext_obj);
                }
            } else if let Some((schema, is_ext, attr)) = self.qualified(rt, key.as_str()) {
                // A URN-qualified name: `urn:…:core:2.0:User:userName`, `urn:…:enterprise:2.0:User:department`.
                if stored(attr) {
                    let mut v = value.clone();
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
        let map: Map<String, Value> = kept.into_iter().collect();
        self.finish(rt, core, map, exts, existing)
    }

    /// [`validate_owned`](Self::validate_owned): the document's own map becomes the result.
    /// Entries already canonical stay where they are (their values canonicalised in place);
    /// only dropped entries are removed, and only renamed ones (another case, a URN-qualified
    /// name, an extension object) are taken out and put back, so a canonical document costs no
    /// new map, key or value.
    fn validate_in_place(
        &self,
        rt: &ResourceType,
        mut map: Map<String, Value>,
        existing: Option<&Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        let core = self.core_schema(rt)?;
        let mut exts: Vec<(&Schema, Map<String, Value>)> = Vec::new();
        // Kept core attributes whose key is not canonical, in document order: (client key,
        // canonical name, value).
        let mut moved: Vec<(String, &str, Value)> = Vec::new();
        let mut error = None;
        map.retain(|key, value| {
            if error.is_some() || value.is_null() {
                return error.is_some();
            }
            let outcome = self.entry_in_place(rt, core, key, value, &mut exts, &mut moved);
            outcome.unwrap_or_else(|e| {
                error = Some(e);
                true
            })
        });
        if let Some(e) = error {
            return Err(e);
        }
        // As if every kept entry were inserted in document order: a renamed entry replaces a
        // canonical one only when it came later (its client key sorts after the canonical name),
        // or when the canonical one was itself put there by a renamed entry.
        let mut renamed: Vec<&str> = Vec::new();
        for (client_key, name, v) in moved {
            match map.get_mut(name) {
                Some(slot) => {
                    if renamed.contains(&name) || client_key.as_str() > name {
                        *slot = v;
                    }
                }
                None => {
                    map.insert(name.to_owned(), v);
                    renamed.push(name);
                }
            }
        }
        self.finish(rt, core, map, exts, existing)
    }

    /// One entry of [`validate_in_place`](Self::validate_in_place): canonicalises the value in
    /// place and says whether the entry stays; a kept value under another name is moved out to
    /// `moved` or to its extension's slot.
    fn entry_in_place<'a>(
        &'a self,
        rt: &'a super::ResourceType,
        core: &'a Schema,
        key: &str,
        value: &mut Value,
        exts: &mut Vec<(&'a Schema, Map<String, Value>)>,
        moved: &mut Vec<(String, &'a str, Value)>,
    ) -> Result<bool, ScimError> {
        if let Some(attr) = core.attribute(key) {
            if !stored(attr) {
                return Ok(false);
            }
            self.canon_attr(attr, value, Path { parent: None, name: &attr.name })?;
            if is_unassigned(value) {
                return Ok(false);
            }
            if key == attr.name {
                return Ok(true);
            }
            moved.push((key.to_owned(), attr.name.as_str(), std::mem::take(value)));
            return Ok(false);
        }
        if key.eq_ignore_ascii_case("schemas") {
            check_schemas(value)?;
            // Rewritten by `finish`; the entry is kept so that its key is reused.
            return Ok(key == "schemas");
        }
        if let Some(ext) = self.extension_of(rt, key) {
            let ext_path = Path { parent: None, name: &ext.id };
            let Value::Object(obj) = value else {
                return Err(invalid(ext_path, format_args!("expected an extension object, got {}", kind(value))));
            };
            self.canon_map(obj, ext_path, |k| ext.attribute(k))?;
            let obj = std::mem::take(obj);
            let slot = ext_slot(exts, ext);
            if slot.is_empty() {
                *slot = obj;
            } else {
                slot.extend(obj);
            }
            // Under its canonical URN, the (now empty) entry stays: `finish` puts the
            // extension's attributes back into it, or removes it.
            return Ok(key == ext.id);
        }
        if let Some((schema, is_ext, attr)) = self.qualified(rt, key) {
            if stored(attr) {
                let path = Path { parent: Some(&Path { parent: None, name: &schema.id }), name: &attr.name };
                self.canon_attr(attr, value, path)?;
                if !is_unassigned(value) {
                    let v = std::mem::take(value);
                    if is_ext {
                        ext_slot(exts, schema).insert(attr.name.clone(), v);
                    } else {
                        moved.push((key.to_owned(), attr.name.as_str(), v));
                    }
                }
            }
            return Ok(false);
        }
        self.unknown(Path { parent: None, name: key })?;
        Ok(false)
    }

    /// The checks and additions after the entries: required and immutable attributes, the
    /// extension objects and `schemas`.
    fn finish(
        &self,
        rt: &super::ResourceType,
        core: &Schema,
        mut map: Map<String, Value>,
        mut exts: Vec<(&Schema, Map<String, Value>)>,
        existing: Option<&Value>,
    ) -> Result<Map<String, Value>, ScimError> {
        check_required(core, &map, None)?;
        let existing = existing.and_then(Value::as_object);
        keep_immutable(core, &mut map, existing, None)?;
        let mut schemas: Vec<&str> = Vec::with_capacity(1 + rt.extensions.len());
        schemas.push(&core.id);
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
                // The place an owned document's extension object was taken from.
                map.remove(&schema.id);
                continue;
            }
            check_required(schema, &attrs, Some(&schema.id))?;
            schemas.push(&schema.id);
            match map.get_mut(&schema.id) {
                Some(slot) => *slot = Value::Object(attrs),
                None => {
                    map.insert(schema.id.clone(), Value::Object(attrs));
                }
            }
        }
        // The client's own `schemas`, when it already lists exactly these URNs in this order.
        let same = |v: &Value| match v {
            Value::Array(items) => items.len() == schemas.len() && items.iter().zip(&schemas).all(|(i, s)| i == *s),
            _ => false,
        };
        match map.get_mut("schemas") {
            Some(slot) if same(slot) => {}
            Some(slot) => *slot = schemas_value(&schemas),
            None => {
                map.insert("schemas".to_owned(), schemas_value(&schemas));
            }
        }
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

fn schemas_value(ids: &[&str]) -> Value {
    Value::Array(ids.iter().map(|id| Value::String((*id).to_owned())).collect())
}

fn not_an_object(rt: &ResourceType, input: &Value) -> ScimError {
    ScimError::invalid_syntax(format!("a {} must be a JSON object, got {}", rt.name, kind(input)))
}

/// The quirks a document's `schemas` may need: missing (`missing-schemas`), a single string
/// (`scalar-for-multi-valued`), SCIM 1.1 URNs (`scim-1.1-urns`) or other URIs that name no schema
/// of `rt` (`foreign-schema-uris`). The shape itself is checked by [`check_schemas`].
fn check_schema_list(rt: &ResourceType, obj: &Map<String, Value>) -> Result<(), ScimError> {
    let schemas = crate::get_ignoring_case(obj, "schemas");
    let uris = match schemas {
        None => {
            return quirks::admit(Quirk::MissingSchemas, || {
                ScimError::invalid_syntax(format!("a {} needs \"schemas\" listing \"{}\"", rt.name, rt.schema))
            });
        }
        Some(Value::String(_)) => {
            quirks::admit(Quirk::ScalarForMultiValued, || {
                ScimError::invalid_value("attribute 'schemas': is multi-valued; expected an array of URIs")
            })?;
            std::slice::from_ref(schemas.unwrap_or(&Value::Null))
        }
        Some(Value::Array(items)) => items.as_slice(),
        Some(other) => return check_schemas(other),
    };
    for uri in uris.iter().filter_map(Value::as_str) {
        if uri.eq_ignore_ascii_case(&rt.schema) || rt.extensions.iter().any(|e| e.schema.eq_ignore_ascii_case(uri)) {
            continue;
        }
        let scim11 = uri.get(..17).is_some_and(|p| p.eq_ignore_ascii_case("urn:scim:schemas:"));
        let quirk = if scim11 { Quirk::Scim11Urns } else { Quirk::ForeignSchemaUris };
        quirks::admit(quirk, || {
            ScimError::invalid_syntax(format!(
                "\"schemas\" lists \"{}\", which is not a schema of {}",
                excerpt(uri),
                rt.name
            ))
        })?;
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::UnknownAttributes;
    use crate::urn;
    use serde_json::json;

    /// The owned path (canonicalised in place) and the borrowed path (copies what it keeps)
    /// give the same result, error included, on documents with every kind of entry.
    #[test]
    fn owned_and_borrowed_agree() {
        let ent = urn::ENTERPRISE_USER;
        let core = urn::USER;
        let docs = [
            json!({"schemas": [core], "userName": "a", "id": "x", "meta": {"created": "now"}}),
            json!({"userName": "a", "USERNAME": "b"}),
            json!({"USERNAME": "b", "UserName": "c"}),
            json!({"USERNAME": "b", "UserName": "c", "userName": "a"}),
            json!({"USERNAME": "b", "userName": "a", "usERName": "d"}),
            json!({"userName": "a", "USERNAME": null}),
            json!({"userName": null, "USERNAME": "b"}),
            json!({"userName": "a", "emails": [], "EMAILS": [{"value": "x@y"}]}),
            json!({"userName": "a", "EMAILS": [{"value": "x@y"}], "emails": []}),
            json!({"userName": "a", "emails": [{"value": "u@v"}], "EMAILS": [{"value": "x@y"}]}),
            json!({"userName": "a", format!("{core}:userName"): "q"}),
            json!({format!("{core}:userName"): "q"}),
            json!({"USERNAME": "b", format!("{core}:userName"): "q"}),
            json!({"userName": "a", format!("{core}:displayName"): "D", "displayName": "E"}),
            json!({"userName": "a", ent: {"department": "x"}, format!("{ent}:division"): "y"}),
            json!({"userName": "a", ent: {"department": "x"}, ent.to_uppercase(): {"department": "z", "costCenter": "c"}}),
            json!({"userName": "a", ent.to_uppercase(): {"Department": "z"}, format!("{ent}:department"): "w"}),
            json!({"userName": "a", ent: {"department": null}}),
            json!({"userName": "a", ent: "nope"}),
            json!({"userName": "a", "Schemas": [core], "schemas": "x"}),
            json!({"userName": "a", "SCHEMAS": 3}),
            json!({"userName": "a", "active": "True", "ACTIVE": "nope"}),
            json!({"userName": "a", "active": "maybe", "emails": 3}),
            json!({"userName": "a", "name": {"GivenName": "g", "givenName": "h", "x": 1}}),
            json!({"userName": "a", "unknown": 1, "groups": [], "password": "p"}),
            json!({"userName": " "}),
            json!({"displayName": "no user name"}),
            json!({"userName": "a", "emails": [{"value": "a", "primary": true}, {"value": "b", "primary": true}]}),
        ];
        let mut kept = 0;
        for policy in [UnknownAttributes::Ignore, UnknownAttributes::Reject] {
            let registry = SchemaRegistry::scim_default().with_unknown_attributes(policy);
            let rt = registry.kind(crate::ResourceKind::User).expect("User");
            for doc in &docs {
                for existing in [None, Some(json!({"userName": "old", "id": "x"}))] {
                    let borrowed = registry.validate(rt, doc, existing.as_ref());
                    let owned = registry.validate_owned(rt, doc.clone(), existing.as_ref());
                    match (&borrowed, &owned) {
                        (Ok(a), Ok(b)) => {
                            assert_eq!(a, b, "{doc}");
                            kept += 1;
                        }
                        (Err(a), Err(b)) => assert_eq!(a.detail(), b.detail(), "{doc}"),
                        _ => panic!("{doc}: {borrowed:?} / {owned:?}"),
                    }
                }
            }
        }
        assert!(kept > docs.len(), "most documents are valid: {kept}");
    }
}
