//! `add` and `replace` through a value filter: `emails[type eq "work"]` and
//! `emails[type eq "work"].value`, creating the element the filter describes when none matches.

use super::access::{Origin, attr_loc, check_immutable, writable};
use super::canonical::{canonical_element, canonicalize};
use super::engine::{Engine, Loc};
use super::multi_valued::is_true;
use super::operation::PatchOpKind;
use super::select::{Matcher, template};
use super::write::single;
use crate::ScimError;
use crate::quirks::{self, Quirk};
use crate::schema::{AttributeDef, ResolvedAttribute};
use scim_query::{AttrPath, Filter};
use serde_json::{Map, Value};

/// The element a filter describes, or `400 noTarget` when it cannot describe one.
fn template_for(attr: &AttributeDef, filter: &Filter) -> Result<Map<String, Value>, ScimError> {
    template(attr, filter).ok_or_else(|| {
        ScimError::no_target(format!(
            "no value of \"{}\" matches the filter, and the filter does not describe a value to create",
            attr.name
        ))
    })
}

impl<'r> Engine<'r, '_> {
    /// Add or replace through a value filter: `emails[type eq "work"]` or `emails[type eq "work"].value`.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write_filtered(
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
                    // RFC 7644 §3.5.2.3 answers a `replace` whose filter matches nothing with
                    // `noTarget`; Entra expects the element to be created, as `add` would.
                    if kind == PatchOpKind::Replace {
                        quirks::admit(Quirk::FilterUpsert, || {
                            ScimError::no_target(format!("no value of \"{}\" matches the filter", attr.name))
                        })?;
                    }
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
