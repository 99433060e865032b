//! `add` and `replace` of a whole attribute, of a sub-attribute (`name.givenName`) and of a
//! whole extension; complex values are merged, and references drop their stale details.

use super::access::{Origin, attr_loc, check_immutable, writable};
use super::canonical::{canonical_element, canonicalize};
use super::engine::{Engine, Loc};
use super::operation::PatchOpKind;
use super::select::unknown_error;
use crate::quirks::{self, Quirk};
use crate::schema::{AttrType, AttributeDef, Mutability, ResolvedAttribute, Schema};
use crate::{ScimError, UnknownAttributes};
use serde_json::{Map, Value};

/// Sub-attributes that describe the resource a `value` points at; stale once `value` changes.
const REFERENCE_DETAILS: [&str; 3] = ["$ref", "display", "displayName"];

/// A single value: one-element arrays are unwrapped (quirk `array-for-single-value`: Entra
/// sends `manager` as `[{…}]`).
pub(super) fn single<'v>(def: &AttributeDef, raw: &'v Value) -> Result<&'v Value, ScimError> {
    let unwrap = |v: &'v Value| {
        quirks::admit(Quirk::ArrayForSingleValue, || {
            ScimError::invalid_value(format!("\"{}\" is single-valued; got an array", def.name))
        })
        .map(|()| v)
    };
    match raw {
        Value::Array(a) if a.len() == 1 => unwrap(&a[0]),
        Value::Array(a) if a.is_empty() => unwrap(&Value::Null),
        Value::Array(_) => {
            Err(ScimError::invalid_value(format!("\"{}\" is single-valued; got several values", def.name)))
        }
        v => Ok(v),
    }
}

impl<'r> Engine<'r, '_> {
    /// Add or replace of a whole extension: each key of the object is one of its attributes.
    pub(super) fn write_extension(
        &mut self,
        kind: PatchOpKind,
        schema: &'r Schema,
        value: Option<&Value>,
        origin: Origin,
    ) -> Result<(), ScimError> {
        let read_only = schema.attributes.iter().all(|a| a.mutability == Mutability::ReadOnly);
        if read_only && origin == Origin::ValueObject {
            return quirks::admit(Quirk::EchoedReadOnly, || {
                ScimError::mutability(format!("the extension \"{}\" is readOnly", schema.id))
            });
        }
        match value {
            None | Some(Value::Null) => self.remove_extension(schema),
            Some(Value::Object(obj)) => {
                for (key, v) in obj {
                    let Some(attribute) = schema.attribute(key) else {
                        match self.registry.unknown_attributes() {
                            UnknownAttributes::Ignore => continue,
                            _ => return Err(unknown_error(&format!("{}:{key}", schema.id), false)),
                        }
                    };
                    let res = ResolvedAttribute { schema, is_extension: true, attribute, sub_attribute: None };
                    self.write_attribute(kind, &res, Some(v), origin)?;
                }
                Ok(())
            }
            Some(_) => Err(ScimError::invalid_value(format!("\"{}\" needs an object value", schema.id))),
        }
    }

    /// Add or replace of a whole attribute (no sub-attribute, no filter).
    pub(super) fn write_attribute(
        &mut self,
        kind: PatchOpKind,
        res: &ResolvedAttribute<'r>,
        value: Option<&Value>,
        origin: Origin,
    ) -> Result<(), ScimError> {
        let attr = res.attribute;
        if !writable(attr, origin)? {
            return Ok(());
        }
        let loc = attr_loc(res);
        let raw = match value {
            None | Some(Value::Null) => return self.unassign(res),
            Some(v) => v,
        };
        if attr.multi_valued {
            let elems = match canonicalize(self.registry, attr, raw)? {
                Value::Array(a) => a,
                Value::Null => Vec::new(),
                v => vec![v],
            };
            if elems.is_empty() {
                return match kind {
                    PatchOpKind::Replace => self.unassign(res),
                    _ => Ok(()),
                };
            }
            return match kind {
                PatchOpKind::Replace => self.replace_all(res, loc, elems),
                _ => self.append(res, loc, elems),
            };
        }
        let raw = single(attr, raw)?;
        if raw.is_null() {
            return self.unassign(res);
        }
        if attr.attr_type == AttrType::Complex {
            return self.merge(Some(res), loc, attr, raw, false);
        }
        let v = canonicalize(self.registry, attr, raw)?;
        if v.is_null() {
            return self.unassign(res);
        }
        check_immutable(attr, self.get(&loc), Some(&v))?;
        self.container(res)?;
        self.set(loc, v)?;
        Ok(())
    }

    /// Merges the sub-attributes of `raw` into the complex value at `loc` (`def` describes it;
    /// for an element of a multi-valued attribute, `def` is that attribute).
    /// `null` sub-attributes are unassigned. When `value` changes, stale `$ref`/`display`
    /// not given in `raw` are dropped.
    pub(super) fn merge(
        &mut self,
        res: Option<&ResolvedAttribute<'r>>,
        loc: Loc<'r>,
        def: &'r AttributeDef,
        raw: &Value,
        element: bool,
    ) -> Result<(), ScimError> {
        let canonical =
            if element { canonical_element(self.registry, def, raw)? } else { canonicalize(self.registry, def, raw)? };
        let Value::Object(canonical) = canonical else {
            return Err(ScimError::invalid_value(format!("\"{}\" needs an object with sub-attributes", def.name)));
        };
        let raw_obj = raw.as_object();
        let nulls: Vec<&'r AttributeDef> = raw_obj
            .map(|m| m.iter().filter(|(_, v)| v.is_null()).filter_map(|(k, _)| def.sub_attribute(k)).collect())
            .unwrap_or_default();
        match self.get(&loc) {
            None | Some(Value::Null) => {
                if canonical.is_empty() {
                    return Ok(());
                }
                if let Some(res) = res {
                    self.container(res)?;
                }
                let mut out = Map::new();
                for (k, v) in canonical {
                    if let Some(sub) = def.sub_attribute(&k) {
                        if writable(sub, Origin::ValueObject)? {
                            out.insert(k, v);
                        }
                    }
                }
                if !out.is_empty() {
                    self.set(loc, Value::Object(out))?;
                }
                return Ok(());
            }
            Some(Value::Object(_)) => {}
            Some(_) => {
                return Err(ScimError::invalid_value(format!("the stored \"{}\" is not an object", def.name)));
            }
        }
        let mut value_changed = false;
        for (k, v) in canonical {
            let Some(sub) = def.sub_attribute(&k) else { continue };
            if !writable(sub, Origin::ValueObject)? {
                continue;
            }
            let sub_loc = loc.key_child(sub.name.as_str());
            check_immutable(sub, self.get(&sub_loc), Some(&v))?;
            let changed = self.set(sub_loc, v)?;
            value_changed |= changed && sub.name == "value";
        }
        if value_changed {
            self.drop_stale_details(loc, def, raw_obj)?;
        }
        for sub in nulls {
            self.unassign_sub(loc, sub)?;
        }
        if matches!(self.get(&loc), Some(Value::Object(m)) if m.is_empty()) {
            match res {
                Some(res) => self.unassign(res)?,
                None => {
                    self.remove(loc);
                }
            }
        }
        Ok(())
    }

    /// After `value` changed in a reference to a resource (an attribute with a `$ref`, such as
    /// `manager` or `members`): drops `$ref`/`display`/`displayName` the client did not resend,
    /// which described the resource pointed at before. Other attributes (an e-mail's
    /// `display`) keep every sub-attribute not given.
    fn drop_stale_details(
        &mut self,
        loc: Loc<'r>,
        def: &'r AttributeDef,
        given: Option<&Map<String, Value>>,
    ) -> Result<(), ScimError> {
        if def.sub_attribute("$ref").is_none() {
            return Ok(());
        }
        for name in REFERENCE_DETAILS {
            let Some(sub) = def.sub_attribute(name) else { continue };
            if given.is_some_and(|m| m.keys().any(|k| k.eq_ignore_ascii_case(name))) {
                continue;
            }
            self.remove(loc.key_child(sub.name.as_str()));
        }
        Ok(())
    }

    /// Add or replace of `attr.sub` (no filter): `name.givenName`, or `emails.type` on every element.
    pub(super) fn write_sub_attribute(
        &mut self,
        res: &ResolvedAttribute<'r>,
        sub: &'r AttributeDef,
        value: Option<&Value>,
        origin: Origin,
    ) -> Result<(), ScimError> {
        let attr = res.attribute;
        if !writable(attr, origin)? || !writable(sub, origin)? {
            return Ok(());
        }
        let loc = attr_loc(res);
        let raw = value.unwrap_or(&Value::Null);
        if attr.multi_valued {
            let n = match self.get(&loc) {
                Some(Value::Array(a)) => a.len(),
                _ => 0,
            };
            if raw.is_null() {
                for i in 0..n {
                    self.unassign_sub(loc.index_child(i), sub)?;
                }
                return Ok(());
            }
            if n == 0 {
                return Err(ScimError::no_target(format!("\"{}\" has no values", attr.name)));
            }
            let v = canonicalize(self.registry, sub, single(sub, raw)?)?;
            if n > 1 && sub.name == "primary" && v == Value::Bool(true) {
                return Err(ScimError::invalid_value(format!("at most one value of \"{}\" may be primary", attr.name)));
            }
            for i in 0..n {
                let el = loc.index_child(i);
                self.set_sub(el, attr, sub, v.clone())?;
            }
            return Ok(());
        }
        if raw.is_null() {
            self.unassign_sub(loc, sub)?;
            if matches!(self.get(&loc), Some(Value::Object(m)) if m.is_empty()) {
                self.unassign(res)?;
            }
            return Ok(());
        }
        let v = canonicalize(self.registry, sub, single(sub, raw)?)?;
        if v.is_null() {
            return self.unassign_sub(loc, sub);
        }
        self.container(res)?;
        self.ensure_object(loc)?;
        self.set_sub(loc, attr, sub, v)
    }

    /// Sets `sub` of the object at `parent`, with the immutable check and stale-detail cleanup.
    pub(super) fn set_sub(
        &mut self,
        parent: Loc<'r>,
        def: &'r AttributeDef,
        sub: &'r AttributeDef,
        v: Value,
    ) -> Result<(), ScimError> {
        let loc = parent.key_child(sub.name.as_str());
        check_immutable(sub, self.get(&loc), Some(&v))?;
        if self.set(loc, v)? && sub.name == "value" {
            self.drop_stale_details(parent, def, None)?;
        }
        Ok(())
    }
}
