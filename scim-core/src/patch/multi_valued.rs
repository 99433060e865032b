//! Writing a multi-valued attribute as a whole: `add` appends the values not already present,
//! `replace` swaps the array; at most one value per `type` and one `primary` value.

use super::access::check_immutable;
use super::engine::{Engine, Loc};
use super::identity::Identity;
use super::lookup::new_elements;
use crate::ScimError;
use crate::schema::{AttributeDef, ResolvedAttribute};
use serde_json::Value;

pub(super) fn is_true(el: Option<&Value>, key: &str) -> bool {
    el.and_then(|e| e.get(key)).and_then(Value::as_bool) == Some(true)
}

impl<'r> Engine<'r, '_> {
    /// Appends to a multi-valued attribute, skipping values already present.
    pub(super) fn append(
        &mut self,
        res: &ResolvedAttribute<'r>,
        loc: Loc<'r>,
        elems: Vec<Value>,
    ) -> Result<(), ScimError> {
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
    pub(super) fn replace_all(
        &mut self,
        res: &ResolvedAttribute<'r>,
        loc: Loc<'r>,
        elems: Vec<Value>,
    ) -> Result<(), ScimError> {
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
    pub(super) fn enforce_primary(
        &mut self,
        loc: Loc<'r>,
        attr: &'r AttributeDef,
        winners: &[usize],
    ) -> Result<(), ScimError> {
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
}
