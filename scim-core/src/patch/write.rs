//! `add` and `replace`, and the dispatch of every operation to its target.

use super::engine::{Engine, Loc};
use super::members::{Identity, new_elements};
use super::select::{Matcher, Target, describe, target, template, unknown_error};
use super::{PatchOpKind, PatchOperation, canonical_element, canonicalize, parse};
use crate::schema::{AttrType, AttributeDef, Mutability, ResolvedAttribute, Schema};
use crate::{ScimError, UnknownAttributes};
use scim_query::{AttrPath, Filter};
use serde_json::{Map, Value};

/// Where an operation's target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// The operation's `path`: read-only targets are errors.
    Path,
    /// A key of a no-path value object: read-only keys are ignored (Okta echoes them).
    ValueObject,
}

/// Sub-attributes that describe the resource a `value` points at; stale once `value` changes.
const REFERENCE_DETAILS: [&str; 3] = ["$ref", "display", "displayName"];

/// Whether writes to `def` proceed (`Ok(true)`), are silently skipped (`Ok(false)`), or fail.
pub(super) fn writable(def: &AttributeDef, origin: Origin) -> Result<bool, ScimError> {
    match def.mutability {
        Mutability::ReadOnly => match origin {
            Origin::Path => Err(ScimError::mutability(format!("\"{}\" is readOnly", def.name))),
            Origin::ValueObject => Ok(false),
        },
        // Never stored (as on create and replace): `password`.
        Mutability::WriteOnly => Ok(false),
        _ => Ok(true),
    }
}

/// `400 mutability` when `def` is immutable, set, and would change.
pub(super) fn check_immutable(
    def: &AttributeDef,
    current: Option<&Value>,
    new: Option<&Value>,
) -> Result<(), ScimError> {
    if def.mutability != Mutability::Immutable {
        return Ok(());
    }
    match current {
        None | Some(Value::Null) => Ok(()),
        Some(cur) if Some(cur) == new => Ok(()),
        Some(_) => Err(ScimError::mutability(format!("\"{}\" is immutable and already set", def.name))),
    }
}

/// The location of a resolved attribute (under its extension's key when it has one).
pub(super) fn attr_loc<'r>(res: &ResolvedAttribute<'r>) -> Loc<'r> {
    if res.is_extension {
        Loc::key(res.schema.id.as_str()).key_child(res.attribute.name.as_str())
    } else {
        Loc::key(res.attribute.name.as_str())
    }
}

/// A single value: one-element arrays are unwrapped (Entra sends `manager` as `[{…}]`).
fn single<'v>(def: &AttributeDef, raw: &'v Value) -> Result<&'v Value, ScimError> {
    match raw {
        Value::Array(a) if a.len() == 1 => Ok(&a[0]),
        Value::Array(a) if a.is_empty() => Ok(&Value::Null),
        Value::Array(_) => {
            Err(ScimError::invalid_value(format!("\"{}\" is single-valued; got several values", def.name)))
        }
        v => Ok(v),
    }
}

/// The element a filter describes, or `400 noTarget` when it cannot describe one.
fn template_for(attr: &AttributeDef, filter: &Filter) -> Result<Map<String, Value>, ScimError> {
    template(attr, filter).ok_or_else(|| {
        ScimError::no_target(format!(
            "no value of \"{}\" matches the filter, and the filter does not describe a value to create",
            attr.name
        ))
    })
}

fn is_true(el: Option<&Value>, key: &str) -> bool {
    el.and_then(|e| e.get(key)).and_then(Value::as_bool) == Some(true)
}

impl<'r> Engine<'r, '_> {
    /// Applies one operation.
    pub(super) fn operation(&mut self, op: &PatchOperation) -> Result<(), ScimError> {
        match &op.path {
            Some(path) => {
                let t = target(self.registry, self.rt, path)?;
                self.apply_target(op.kind, t, op.value.as_ref(), Origin::Path)
            }
            None => {
                for entry in &op.entries {
                    let t = target(self.registry, self.rt, &entry.path)?;
                    self.apply_target(op.kind, t, Some(&entry.value), Origin::ValueObject)?;
                }
                Ok(())
            }
        }
    }

    fn apply_target(
        &mut self,
        kind: PatchOpKind,
        t: Target<'r, '_>,
        value: Option<&Value>,
        origin: Origin,
    ) -> Result<(), ScimError> {
        match t {
            Target::Core => self.write_core(kind, value, origin),
            Target::Unknown { path, sub } => match self.registry.unknown_attributes() {
                UnknownAttributes::Ignore => Ok(()),
                _ => Err(unknown_error(&describe(path, sub), origin == Origin::Path)),
            },
            Target::Extension(schema) => match kind {
                PatchOpKind::Remove => self.remove_extension(schema),
                _ => self.write_extension(kind, schema, value, origin),
            },
            Target::Id => {
                let same = value
                    .and_then(Value::as_str)
                    .is_some_and(|v| self.doc.get("id").and_then(Value::as_str) == Some(v));
                if kind != PatchOpKind::Remove && same {
                    Ok(())
                } else {
                    Err(ScimError::mutability("\"id\" is readOnly"))
                }
            }
            Target::ServerManaged(name) => match origin {
                Origin::ValueObject => Ok(()),
                Origin::Path => Err(ScimError::mutability(format!("\"{name}\" is managed by the server"))),
            },
            Target::Attr(res) => match (kind, res.sub_attribute) {
                (PatchOpKind::Remove, None) => self.remove_attribute(&res, value),
                (PatchOpKind::Remove, Some(sub)) => self.remove_sub_attribute(&res, sub),
                (_, None) => self.write_attribute(kind, &res, value, origin),
                (_, Some(sub)) => self.write_sub_attribute(&res, sub, value, origin),
            },
            Target::Filtered { res, attr_path, filter, sub } => match kind {
                PatchOpKind::Remove => self.remove_filtered(&res, attr_path, filter, sub),
                _ => self.write_filtered(kind, &res, attr_path, filter, sub, value, origin),
            },
        }
    }

    /// `{"urn:…:core:2.0:User": {…}}`: the object's keys are core attributes.
    fn write_core(&mut self, kind: PatchOpKind, value: Option<&Value>, origin: Origin) -> Result<(), ScimError> {
        if kind == PatchOpKind::Remove {
            return Err(ScimError::invalid_path("the core schema cannot be removed"));
        }
        let Some(Value::Object(obj)) = value else {
            return Err(ScimError::invalid_value("the core schema URN needs an object value"));
        };
        for (key, v) in obj {
            let path = parse::path(key)?;
            let t = target(self.registry, self.rt, &path)?;
            self.apply_target(kind, t, Some(v), origin)?;
        }
        Ok(())
    }

    /// Add or replace of a whole extension: each key of the object is one of its attributes.
    fn write_extension(
        &mut self,
        kind: PatchOpKind,
        schema: &'r Schema,
        value: Option<&Value>,
        origin: Origin,
    ) -> Result<(), ScimError> {
        let read_only = schema.attributes.iter().all(|a| a.mutability == Mutability::ReadOnly);
        if read_only && origin == Origin::ValueObject {
            return Ok(());
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

    /// Creates the extension object a write needs.
    fn container(&mut self, res: &ResolvedAttribute<'r>) -> Result<(), ScimError> {
        if res.is_extension {
            self.ensure_object(Loc::key(res.schema.id.as_str()))?;
            self.touch_extension(res.schema);
        }
        Ok(())
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
    fn merge(
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

    /// Unassigns the sub-attribute `sub` of the object at `parent`.
    pub(super) fn unassign_sub(&mut self, parent: Loc<'r>, sub: &'r AttributeDef) -> Result<(), ScimError> {
        let loc = parent.key_child(sub.name.as_str());
        if self.get(&loc).is_none_or(Value::is_null) {
            return Ok(());
        }
        if sub.required {
            return Err(ScimError::mutability(format!("\"{}\" is required", sub.name)));
        }
        check_immutable(sub, self.get(&loc), None)?;
        self.remove(loc);
        Ok(())
    }

    /// Appends to a multi-valued attribute, skipping values already present.
    fn append(&mut self, res: &ResolvedAttribute<'r>, loc: Loc<'r>, elems: Vec<Value>) -> Result<(), ScimError> {
        let attr = res.attribute;
        let identity = Identity::of(attr);
        let (start, new) = match self.get(&loc) {
            None | Some(Value::Null) => (0, new_elements(identity, &[], elems)),
            Some(Value::Array(cur)) => {
                let new = new_elements(identity, cur, elems);
                if !new.is_empty() && !cur.is_empty() {
                    check_immutable(attr, Some(&Value::Bool(true)), None)?;
                }
                (cur.len(), new)
            }
            Some(_) => return Err(ScimError::invalid_value(format!("the stored \"{}\" is not an array", attr.name))),
        };
        if new.is_empty() {
            return Ok(());
        }
        self.check_types(&loc, attr, &new)?;
        let winners: Vec<usize> =
            new.iter().enumerate().filter(|(_, e)| is_true(Some(e), "primary")).map(|(i, _)| start + i).collect();
        self.container(res)?;
        self.push(loc, new)?;
        self.enforce_primary(loc, attr, &winners)
    }

    /// One value per `type` where the attribute has `primary` and canonical types (the rule
    /// [`SchemaRegistry::validate`](crate::SchemaRegistry::validate) applies): `new` may not
    /// bring a second value of a type already present.
    fn check_types(&self, loc: &Loc<'r>, attr: &AttributeDef, new: &[Value]) -> Result<(), ScimError> {
        if attr.sub_attribute("primary").is_none() {
            return Ok(());
        }
        let Some(type_def) = attr.sub_attribute("type").filter(|t| !t.canonical_values.is_empty()) else {
            return Ok(());
        };
        let Some(Value::Array(existing)) = self.get(loc) else { return Ok(()) };
        let type_of = |v: &Value| v.get(&type_def.name).and_then(Value::as_str).map(str::to_owned);
        for t in new.iter().filter_map(type_of) {
            if existing.iter().filter_map(type_of).any(|e| e.eq_ignore_ascii_case(&t)) {
                return Err(ScimError::invalid_value(format!("\"{}\" already has a value of type \"{t}\"", attr.name)));
            }
        }
        Ok(())
    }

    /// Replaces a multi-valued attribute as a whole.
    fn replace_all(&mut self, res: &ResolvedAttribute<'r>, loc: Loc<'r>, elems: Vec<Value>) -> Result<(), ScimError> {
        let attr = res.attribute;
        let elems = new_elements(Identity::of(attr), &[], elems);
        if attr.sub_attribute("primary").is_some() && elems.iter().filter(|e| is_true(Some(e), "primary")).count() > 1 {
            return Err(ScimError::invalid_value(format!("at most one value of \"{}\" may be primary", attr.name)));
        }
        let new = Value::Array(elems);
        check_immutable(attr, self.get(&loc).filter(|v| v.as_array().is_none_or(|a| !a.is_empty())), Some(&new))?;
        self.container(res)?;
        self.set(loc, new)?;
        Ok(())
    }

    /// After elements `winners` became primary: only one may, and the others stop being primary.
    fn enforce_primary(&mut self, loc: Loc<'r>, attr: &'r AttributeDef, winners: &[usize]) -> Result<(), ScimError> {
        let Some(primary) = attr.sub_attribute("primary") else { return Ok(()) };
        let key = primary.name.as_str();
        let winner = match winners {
            [] => return Ok(()),
            [w] => *w,
            _ => {
                return Err(ScimError::invalid_value(format!("at most one value of \"{}\" may be primary", attr.name)));
            }
        };
        let others: Vec<usize> = match self.get(&loc) {
            Some(Value::Array(a)) => {
                a.iter().enumerate().filter(|(i, e)| *i != winner && is_true(Some(e), key)).map(|(i, _)| i).collect()
            }
            _ => Vec::new(),
        };
        for i in others {
            self.set(loc.index_child(i).key_child(key), Value::Bool(false))?;
        }
        Ok(())
    }

    /// Add or replace of `attr.sub` (no filter): `name.givenName`, or `emails.type` on every element.
    fn write_sub_attribute(
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
    fn set_sub(
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

    /// Add or replace through a value filter: `emails[type eq "work"]` or `emails[type eq "work"].value`.
    #[allow(clippy::too_many_arguments)]
    fn write_filtered(
        &mut self,
        kind: PatchOpKind,
        res: &ResolvedAttribute<'r>,
        attr_path: &AttrPath,
        filter: &Filter,
        sub: Option<&'r AttributeDef>,
        value: Option<&Value>,
        origin: Origin,
    ) -> Result<(), ScimError> {
        let attr = res.attribute;
        if !writable(attr, origin)? {
            return Ok(());
        }
        if let Some(sub) = sub {
            if !writable(sub, origin)? {
                return Ok(());
            }
        }
        let raw = value.unwrap_or(&Value::Null);
        if raw.is_null() {
            return self.remove_filtered(res, attr_path, filter, sub);
        }
        let loc = attr_loc(res);
        let matcher = Matcher::new(self.registry, self.rt, attr_path, attr, filter)?;
        let indices: Vec<usize> = match self.get(&loc) {
            Some(Value::Array(a)) => a.iter().enumerate().filter(|(_, e)| matcher.matches(e)).map(|(i, _)| i).collect(),
            _ => Vec::new(),
        };
        let primary = attr.sub_attribute("primary").map(|p| p.name.as_str());
        match sub {
            Some(sub) => {
                let v = canonicalize(self.registry, sub, single(sub, raw)?)?;
                if v.is_null() {
                    return self.remove_filtered(res, attr_path, filter, Some(sub));
                }
                if indices.is_empty() {
                    let mut element = template_for(attr, filter)?;
                    element.insert(sub.name.clone(), v);
                    return self.add_element(res, loc, &Value::Object(element));
                }
                let makes_primary = Some(sub.name.as_str()) == primary && v == Value::Bool(true);
                for &i in &indices {
                    self.set_sub(loc.index_child(i), attr, sub, v.clone())?;
                }
                if makes_primary {
                    self.enforce_primary(loc, attr, &indices)?;
                }
                Ok(())
            }
            None => {
                let raw = single(attr, raw)?;
                if indices.is_empty() {
                    if kind == PatchOpKind::Replace {
                        return Err(ScimError::no_target(format!("no value of \"{}\" matches the filter", attr.name)));
                    }
                    let mut element = template_for(attr, filter)?;
                    let Value::Object(given) = canonical_element(self.registry, attr, raw)? else {
                        return Err(ScimError::invalid_value(format!(
                            "a value of \"{}\" must be an object",
                            attr.name
                        )));
                    };
                    element.extend(given);
                    return self.add_element(res, loc, &Value::Object(element));
                }
                for &i in &indices {
                    let el = loc.index_child(i);
                    match kind {
                        PatchOpKind::Replace => {
                            let Value::Object(mut new) = canonical_element(self.registry, attr, raw)? else {
                                return Err(ScimError::invalid_value(format!(
                                    "a value of \"{}\" must be an object",
                                    attr.name
                                )));
                            };
                            // Keep what the filter selected on when the new value leaves it out.
                            if let Some(tmpl) = super::select::template(attr, filter) {
                                for (k, v) in tmpl {
                                    new.entry(k).or_insert(v);
                                }
                            }
                            if let Some(Value::Object(cur)) = self.get(&el) {
                                for sub in attr.sub_attributes.iter() {
                                    check_immutable(sub, cur.get(&sub.name), new.get(&sub.name))?;
                                }
                            }
                            self.set(el, Value::Object(new))?;
                        }
                        _ => self.merge(None, el, attr, raw, true)?,
                    }
                }
                let winners: Vec<usize> = match (primary, self.get(&loc)) {
                    (Some(p), Some(Value::Array(a))) => {
                        indices.iter().copied().filter(|&i| is_true(a.get(i), p)).collect()
                    }
                    _ => Vec::new(),
                };
                self.enforce_primary(loc, attr, &winners)
            }
        }
    }

    /// Appends one new element (built from a filter), canonicalized, then fixes `primary`.
    fn add_element(&mut self, res: &ResolvedAttribute<'r>, loc: Loc<'r>, element: &Value) -> Result<(), ScimError> {
        let element = canonical_element(self.registry, res.attribute, element)?;
        self.append(res, loc, vec![element])
    }
}
