//! `remove` (RFC 7644 §3.5.2.2), and unassigning (a `null` value).

use super::access::{Origin, attr_loc, check_immutable, writable};
use super::canonical::canonicalize;
use super::engine::{Engine, Loc};
use super::identity::Identity;
use super::lookup::Lookup;
use super::select::Matcher;
use crate::ScimError;
use crate::quirks::{self, Quirk};
use crate::schema::{AttributeDef, Mutability, ResolvedAttribute, Schema};
use scim_query::{AttrPath, Filter};
use serde_json::Value;

impl<'r> Engine<'r, '_> {
    /// Unassigns a whole attribute: `400 mutability` if it is required or an immutable value is set.
    pub(super) fn unassign(&mut self, res: &ResolvedAttribute<'r>) -> Result<(), ScimError> {
        let attr = res.attribute;
        if attr.required {
            return Err(ScimError::mutability(format!("\"{}\" is required and cannot be removed", attr.name)));
        }
        let loc = attr_loc(res);
        check_immutable(attr, self.get(&loc), None)?;
        if self.remove(loc) && res.is_extension {
            self.touch_extension(res.schema);
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

    /// `remove` of an attribute; with a value array on a multi-valued attribute (Entra's
    /// `{"op":"Remove","path":"members","value":[{"value":"id"}]}`), only those values.
    pub(super) fn remove_attribute(
        &mut self,
        res: &ResolvedAttribute<'r>,
        value: Option<&Value>,
    ) -> Result<(), ScimError> {
        let attr = res.attribute;
        if !writable(attr, Origin::Path)? {
            return Ok(());
        }
        match value {
            Some(v) if attr.multi_valued && !v.is_null() => {
                quirks::admit(Quirk::RemoveByValue, || {
                    ScimError::invalid_syntax(format!(
                        "\"remove\" takes no \"value\"; name the values of \"{}\" with a filter such as \"{}[value eq \\\"…\\\"]\"",
                        attr.name, attr.name
                    ))
                })?;
                self.remove_values(res, v)
            }
            _ => self.unassign(res),
        }
    }

    /// Removes the given values from a multi-valued attribute (one pass, hash-indexed).
    fn remove_values(&mut self, res: &ResolvedAttribute<'r>, value: &Value) -> Result<(), ScimError> {
        let attr = res.attribute;
        let targets = match canonicalize(self.registry, attr, value)? {
            Value::Array(a) => a,
            Value::Null => Vec::new(),
            v => vec![v],
        };
        if targets.is_empty() {
            return Ok(());
        }
        let loc = attr_loc(res);
        if !matches!(self.get(&loc), Some(Value::Array(_))) {
            return Ok(());
        }
        let identity = Identity::of(attr);
        let lookup = Lookup::new(identity, &targets);
        let (removed, remaining) = self.remove_elements(loc, |_, el| lookup.contains(el))?;
        self.after_element_removal(res, removed, remaining)
    }

    /// Checks and clean-up after elements were removed from a multi-valued attribute.
    fn after_element_removal(
        &mut self,
        res: &ResolvedAttribute<'r>,
        removed: usize,
        remaining: usize,
    ) -> Result<(), ScimError> {
        if removed == 0 {
            return Ok(());
        }
        let attr = res.attribute;
        if attr.mutability == Mutability::Immutable {
            return Err(ScimError::mutability(format!("\"{}\" is immutable", attr.name)));
        }
        if remaining == 0 {
            self.unassign(res)?;
        }
        Ok(())
    }

    /// `remove` of `attr.sub`: from the object, or from every element of a multi-valued attribute.
    pub(super) fn remove_sub_attribute(
        &mut self,
        res: &ResolvedAttribute<'r>,
        sub: &'r AttributeDef,
    ) -> Result<(), ScimError> {
        let attr = res.attribute;
        if !writable(attr, Origin::Path)? || !writable(sub, Origin::Path)? {
            return Ok(());
        }
        let loc = attr_loc(res);
        match self.get(&loc) {
            Some(Value::Array(a)) => {
                let n = a.len();
                for i in 0..n {
                    self.unassign_sub(loc.index_child(i), sub)?;
                }
            }
            Some(Value::Object(_)) => {
                self.unassign_sub(loc, sub)?;
                if matches!(self.get(&loc), Some(Value::Object(m)) if m.is_empty()) {
                    self.unassign(res)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// `remove` through a value filter: the matching elements, or their sub-attribute.
    /// A filter that matches nothing changes nothing.
    pub(super) fn remove_filtered(
        &mut self,
        res: &ResolvedAttribute<'r>,
        attr_path: &AttrPath,
        filter: &Filter,
        sub: Option<&'r AttributeDef>,
    ) -> Result<(), ScimError> {
        let attr = res.attribute;
        if !writable(attr, Origin::Path)? {
            return Ok(());
        }
        if let Some(sub) = sub {
            if !writable(sub, Origin::Path)? {
                return Ok(());
            }
        }
        let loc = attr_loc(res);
        if !matches!(self.get(&loc), Some(Value::Array(_))) {
            return Ok(());
        }
        let matcher = Matcher::new(self.registry, self.rt, attr_path, attr, filter)?;
        match sub {
            None => {
                let (removed, remaining) = self.remove_elements(loc, |_, el| matcher.matches(el))?;
                self.after_element_removal(res, removed, remaining)
            }
            Some(sub) => {
                let indices: Vec<usize> = match self.get(&loc) {
                    Some(Value::Array(a)) => {
                        a.iter().enumerate().filter(|(_, e)| matcher.matches(e)).map(|(i, _)| i).collect()
                    }
                    _ => Vec::new(),
                };
                for i in indices {
                    self.unassign_sub(loc.index_child(i), sub)?;
                }
                Ok(())
            }
        }
    }

    /// `remove` of a whole extension.
    pub(super) fn remove_extension(&mut self, schema: &'r Schema) -> Result<(), ScimError> {
        let required = self.rt.extensions.iter().any(|e| e.schema.eq_ignore_ascii_case(&schema.id) && e.required);
        if required {
            return Err(ScimError::mutability(format!("the extension \"{}\" is required", schema.id)));
        }
        let loc = Loc::key(schema.id.as_str());
        if let Some(Value::Object(obj)) = self.get(&loc) {
            for (k, v) in obj {
                if v.is_null() {
                    continue;
                }
                if let Some(def) = schema.attribute(k) {
                    if def.mutability == Mutability::ReadOnly || def.mutability == Mutability::Immutable || def.required
                    {
                        return Err(ScimError::mutability(format!(
                            "\"{}\" of \"{}\" cannot be removed ({:?})",
                            def.name, schema.id, def.mutability
                        )));
                    }
                }
            }
        }
        if self.remove(loc) {
            self.touch_extension(schema);
        }
        Ok(())
    }
}
