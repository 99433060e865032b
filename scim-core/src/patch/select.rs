//! What a path points at: resolving it against the schemas, and matching value filters.

use super::engine::field;
use crate::ScimError;
use crate::schema::{AttrType, AttributeDef, ResolvedAttribute, ResourceType, Schema, SchemaRegistry};
use scim_query::{AttrFacts, AttrPath, AttributeFacts, CompValue, CompareOp, CompiledFilter, Filter, PatchPath};
use serde_json::{Map, Value};

/// The target of an operation.
#[derive(Debug, Clone, Copy)]
pub(super) enum Target<'r, 'p> {
    /// The core schema URN itself: its value object holds core attributes.
    Core,
    /// A whole extension (`urn:…:enterprise:2.0:User`).
    Extension(&'r Schema),
    /// The common attribute `id` (read-only).
    Id,
    /// `schemas` (server-managed).
    ServerManaged(&'static str),
    /// An attribute, or a sub-attribute of one.
    Attr(ResolvedAttribute<'r>),
    /// An attribute no schema defines; what happens depends on the registry's
    /// [`UnknownAttributes`](crate::UnknownAttributes) policy.
    Unknown { path: &'p AttrPath, sub: Option<&'p str> },
    /// `attr[filter]` or `attr[filter].sub`.
    Filtered { res: ResolvedAttribute<'r>, attr_path: &'p AttrPath, filter: &'p Filter, sub: Option<&'r AttributeDef> },
}

/// The attribute a path names, for messages.
pub(super) fn describe(path: &AttrPath, extra_sub: Option<&str>) -> String {
    let mut text = String::new();
    if let Some(urn) = &path.urn {
        text.push_str(urn);
        text.push(':');
    }
    text.push_str(&path.name);
    if let Some(sub) = &path.sub_attr {
        text.push('.');
        text.push_str(sub);
    }
    if let Some(sub) = extra_sub {
        text.push('.');
        text.push_str(sub);
    }
    text
}

/// The error for an unknown attribute under [`UnknownAttributes::Reject`](crate::UnknownAttributes).
pub(super) fn unknown_error(name: &str, origin_is_path: bool) -> ScimError {
    let detail = format!("no attribute \"{name}\" in the schemas of this resource");
    if origin_is_path { ScimError::invalid_path(detail) } else { ScimError::invalid_value(detail) }
}

/// Whether `path` is the whole schema `urn` (`urn:…:enterprise:2.0:User` parses as URN
/// `urn:…:enterprise:2.0` and name `User`); [`AttrPath::full_urn`] without allocating.
fn names_schema(path: &AttrPath, urn: &str) -> bool {
    let Some(prefix) = path.urn.as_deref() else { return false };
    path.sub_attr.is_none()
        && urn.len() == prefix.len() + 1 + path.name.len()
        && urn.as_bytes().get(prefix.len()) == Some(&b':')
        && urn.get(..prefix.len()).is_some_and(|u| u.eq_ignore_ascii_case(prefix))
        && urn.get(prefix.len() + 1..).is_some_and(|n| n.eq_ignore_ascii_case(&path.name))
}

/// Resolves an attribute path (no filter).
fn attr_target<'r, 'p>(
    registry: &'r SchemaRegistry,
    rt: &'r ResourceType,
    path: &'p AttrPath,
) -> Result<Target<'r, 'p>, ScimError> {
    if path.urn.is_some() && path.sub_attr.is_none() {
        if names_schema(path, &rt.schema) {
            return Ok(Target::Core);
        }
        if let Some(ext) = rt.extensions.iter().find(|e| names_schema(path, &e.schema)) {
            if let Some(schema) = registry.schema(&ext.schema) {
                return Ok(Target::Extension(schema));
            }
        }
    }
    let core_qualified = path.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(&rt.schema));
    if core_qualified && path.sub_attr.is_none() {
        if path.name.eq_ignore_ascii_case("id") {
            return Ok(Target::Id);
        }
        if path.name.eq_ignore_ascii_case("schemas") {
            return Ok(Target::ServerManaged("schemas"));
        }
    }
    if let Some(res) = registry.resolve(rt, path) {
        return Ok(Target::Attr(res));
    }
    Ok(Target::Unknown { path, sub: None })
}

/// Resolves a PATCH path against the resource type's schemas (attribute names ignore case).
///
/// # Errors
/// `400 invalidPath` for a value filter on a single-valued attribute or a sub-attribute.
pub(super) fn target<'r, 'p>(
    registry: &'r SchemaRegistry,
    rt: &'r ResourceType,
    path: &'p PatchPath,
) -> Result<Target<'r, 'p>, ScimError> {
    match path {
        PatchPath::Attr(p) => attr_target(registry, rt, p),
        PatchPath::ValuePath { attr, filter, sub_attr } => {
            if attr.sub_attr.is_some() {
                return Err(ScimError::invalid_path("a value filter must follow an attribute, not a sub-attribute"));
            }
            let Some(res) = registry.resolve(rt, attr) else { return Ok(Target::Unknown { path: attr, sub: None }) };
            if !res.attribute.multi_valued {
                return Err(ScimError::invalid_path(format!(
                    "\"{}\" is single-valued; a value filter needs a multi-valued attribute",
                    res.attribute.name
                )));
            }
            let sub = match sub_attr {
                Some(s) => match res.attribute.sub_attribute(s) {
                    Some(sub) => Some(sub),
                    None => return Ok(Target::Unknown { path: attr, sub: Some(s) }),
                },
                None => None,
            };
            Ok(Target::Filtered { res, attr_path: attr, filter, sub })
        }
    }
}

/// One `sub eq literal` condition the matcher checks directly.
#[derive(Debug)]
struct Cond<'r, 'p> {
    /// The element's key; `None` compares the element itself (simple multi-valued attributes).
    key: Option<&'r str>,
    literal: Literal<'p>,
    case_exact: bool,
}

#[derive(Debug)]
enum Literal<'p> {
    Str(&'p str),
    Bool(bool),
}

/// The `eq` conditions of a filter made only of `sub eq literal` joined by `and`.
fn eq_conditions<'r, 'p>(
    attr: &'r AttributeDef,
    filter: &'p Filter,
    out: &mut Vec<(Option<&'r AttributeDef>, &'p CompValue)>,
) -> bool {
    match filter {
        Filter::And(a, b) => eq_conditions(attr, a, out) && eq_conditions(attr, b, out),
        Filter::Compare { path, op: CompareOp::Eq, value } if path.urn.is_none() && path.sub_attr.is_none() => {
            if attr.sub_attributes.is_empty() {
                if !path.name.eq_ignore_ascii_case("value") {
                    return false;
                }
                out.push((None, value));
            } else {
                let Some(sub) = attr.sub_attribute(&path.name) else { return false };
                out.push((Some(sub), value));
            }
            true
        }
        _ => false,
    }
}

/// The element a value filter describes, when the filter is `a eq x and b eq y …`:
/// `emails[type eq "work"]` gives `{"type": "work"}`. Used to create the element an `add`
/// (or a sub-attribute `replace`) targets when no element matches yet.
pub(super) fn template(attr: &AttributeDef, filter: &Filter) -> Option<Map<String, Value>> {
    if attr.sub_attributes.is_empty() {
        return None;
    }
    let mut conds = Vec::new();
    if !eq_conditions(attr, filter, &mut conds) {
        return None;
    }
    let mut out = Map::new();
    for (sub, value) in conds {
        let sub = sub?;
        let v = match value {
            CompValue::Null => continue,
            CompValue::Bool(b) => Value::Bool(*b),
            CompValue::Number(n) => Value::Number(n.clone()),
            CompValue::Str(s) => Value::String(s.clone()),
        };
        if out.insert(sub.name.clone(), v.clone()).is_some_and(|prev| prev != v) {
            return None;
        }
    }
    Some(out)
}

/// [`AttributeFacts`] for paths inside `attr[...]`: they name sub-attributes of `attr`.
struct ElementFacts<'a> {
    registry: &'a SchemaRegistry,
    rt: &'a ResourceType,
    parent: &'a AttrPath,
}

impl AttributeFacts for ElementFacts<'_> {
    fn resolve(&self, parent: Option<&AttrPath>, path: &AttrPath) -> Option<AttrFacts> {
        match parent {
            None => self.registry.facts(self.rt).resolve(Some(self.parent), path),
            Some(_) => None,
        }
    }
}

#[derive(Debug)]
enum MatcherKind<'r, 'p> {
    /// Only `eq` on string/boolean sub-attributes: checked directly, no allocation per element.
    Eq(Vec<Cond<'r, 'p>>),
    /// Anything else: the filter crate's evaluator. `wrap` puts simple values in `{"value": …}`.
    Compiled { filter: Box<CompiledFilter>, wrap: bool },
}

/// Tells which elements of a multi-valued attribute a value filter selects.
#[derive(Debug)]
pub(super) struct Matcher<'r, 'p> {
    kind: MatcherKind<'r, 'p>,
}

impl<'r, 'p> Matcher<'r, 'p> {
    pub(super) fn new(
        registry: &SchemaRegistry,
        rt: &ResourceType,
        attr_path: &AttrPath,
        attr: &'r AttributeDef,
        filter: &'p Filter,
    ) -> Result<Self, ScimError> {
        let mut conds = Vec::new();
        if eq_conditions(attr, filter, &mut conds) {
            let fast: Option<Vec<Cond<'r, 'p>>> = conds
                .iter()
                .map(|(sub, value)| {
                    let def = sub.unwrap_or(attr);
                    let key = sub.map(|s| s.name.as_str());
                    match (def.attr_type, value) {
                        (AttrType::String | AttrType::Reference | AttrType::Binary, CompValue::Str(s))
                            if def.case_exact || def.attr_type != AttrType::String || s.is_ascii() =>
                        {
                            let case_exact = def.case_exact || def.attr_type != AttrType::String;
                            Some(Cond { key, literal: Literal::Str(s.as_str()), case_exact })
                        }
                        (AttrType::Boolean, CompValue::Bool(b)) => {
                            Some(Cond { key, literal: Literal::Bool(*b), case_exact: true })
                        }
                        _ => None,
                    }
                })
                .collect();
            if let Some(fast) = fast {
                return Ok(Self { kind: MatcherKind::Eq(fast) });
            }
        }
        let facts = ElementFacts { registry, rt, parent: attr_path };
        let compiled = CompiledFilter::compile(filter, &facts)
            .map_err(|e| ScimError::invalid_path(format!("invalid value filter: {e}")))?;
        Ok(Self { kind: MatcherKind::Compiled { filter: Box::new(compiled), wrap: attr.sub_attributes.is_empty() } })
    }

    /// Whether `element` is selected.
    pub(super) fn matches(&self, element: &Value) -> bool {
        match &self.kind {
            MatcherKind::Eq(conds) => conds.iter().all(|c| {
                let v = match c.key {
                    Some(k) => match element {
                        Value::Object(m) => field(m, k),
                        _ => None,
                    },
                    None => Some(element),
                };
                match (v, &c.literal) {
                    (Some(Value::String(s)), Literal::Str(lit)) => {
                        if c.case_exact {
                            s == lit
                        } else {
                            s.eq_ignore_ascii_case(lit)
                        }
                    }
                    (Some(Value::Bool(b)), Literal::Bool(lit)) => b == lit,
                    _ => false,
                }
            }),
            MatcherKind::Compiled { filter, wrap } => {
                if *wrap {
                    let mut m = Map::new();
                    m.insert("value".to_owned(), element.clone());
                    filter.matches(&Value::Object(m))
                } else {
                    filter.matches(element)
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_schema_matches_full_urn() {
        let ent = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let whole = AttrPath::new("User").with_urn("urn:ietf:params:scim:schemas:extension:enterprise:2.0");
        assert_eq!(whole.full_urn().as_deref(), Some(ent));
        assert!(names_schema(&whole, ent));
        assert!(names_schema(
            &AttrPath::new("USER").with_urn("URN:ietf:params:scim:schemas:extension:enterprise:2.0"),
            ent
        ));
        assert!(!names_schema(&AttrPath::new("manager").with_urn(ent), ent));
        assert!(!names_schema(&whole.clone().with_sub_attr("x"), ent));
        assert!(!names_schema(&AttrPath::new("User"), ent));
        assert!(!names_schema(
            &AttrPath::new("Usér").with_urn("urn:ietf:params:scim:schemas:extension:enterprise:2.0"),
            ent
        ));
    }

    #[test]
    fn templates_come_only_from_eq_terms() {
        let registry = SchemaRegistry::scim_default();
        let rt = registry.resource_type("User").expect("User");
        let emails = registry.resolve(rt, &AttrPath::new("emails")).expect("emails").attribute;
        let f = scim_query::parse_filter(r#"type eq "work" and primary eq true"#).expect("parses");
        assert_eq!(
            template(emails, &f),
            Some(serde_json::json!({"type": "work", "primary": true}).as_object().cloned().unwrap_or_default())
        );
        let f = scim_query::parse_filter(r#"type eq "work" or type eq "home""#).expect("parses");
        assert_eq!(template(emails, &f), None);
        let f = scim_query::parse_filter(r#"type eq "work" and type eq "home""#).expect("parses");
        assert_eq!(template(emails, &f), None, "contradictory terms describe nothing");
    }

    #[test]
    fn fast_and_compiled_matchers_agree() {
        let registry = SchemaRegistry::scim_default();
        let rt = registry.resource_type("User").expect("User");
        let path = AttrPath::new("emails");
        let emails = registry.resolve(rt, &path).expect("emails").attribute;
        let elements = [
            serde_json::json!({"type": "WORK", "value": "a@x", "primary": true}),
            serde_json::json!({"type": "home", "value": "b@x", "primary": false}),
            serde_json::json!({"value": "c@x"}),
            serde_json::json!("not an object"),
        ];
        for text in [r#"type eq "work""#, r#"type eq "home" and primary eq false"#, r#"primary eq true"#] {
            let f = scim_query::parse_filter(text).expect("parses");
            let fast = Matcher::new(&registry, rt, &path, emails, &f).expect("fast");
            assert!(matches!(fast.kind, MatcherKind::Eq(_)), "{text}");
            // The same filter with a no-op `or` cannot take the fast path.
            let slow_text = format!("({text}) or value eq \"never\"");
            let g = scim_query::parse_filter(&slow_text).expect("parses");
            let slow = Matcher::new(&registry, rt, &path, emails, &g).expect("compiled");
            assert!(matches!(slow.kind, MatcherKind::Compiled { .. }));
            for el in &elements {
                assert_eq!(fast.matches(el), slow.matches(el), "{text} on {el}");
            }
        }
    }
}
