//! Attribute projection: the `attributes` and `excludedAttributes` query parameters
//! (RFC 7644 §3.4.2.5, §3.9) and the `returned` characteristic (RFC 7643 §2.2).

use crate::error::ScimError;
use crate::schema::{AttributeDef, ResourceType, Returned, Schema, SchemaRegistry};
use scim_query::AttrPath;
use serde_json::{Map, Value};

/// A parsed `attributes` / `excludedAttributes` pair, applied to resources with [`Projection::apply`].
///
/// [`Projection::default()`] applies only the `returned` rules.
///
/// ```
/// use scim_core::{Projection, ResourceKind, SchemaRegistry, urn};
/// use serde_json::json;
///
/// let registry = SchemaRegistry::scim_default();
/// let users = registry.kind(ResourceKind::User)?;
/// let user = json!({
///     "schemas": [urn::USER], "id": "2819c223", "userName": "bjensen",
///     "name": {"givenName": "Barbara", "familyName": "Jensen"},
///     "emails": [{"value": "bjensen@example.com", "type": "work"}]
/// });
/// let projection = Projection::from_params(Some("userName,name.givenName"), None)?;
/// assert_eq!(
///     projection.apply(&registry, users, &user),
///     json!({"schemas": [urn::USER], "id": "2819c223", "userName": "bjensen", "name": {"givenName": "Barbara"}})
/// );
/// # Ok::<(), scim_core::ScimError>(())
/// ```
///
/// # Rules
///
/// - `returned: never` attributes (`password`) are never in a response.
/// - `returned: always` attributes (`id`) are always in a response, whatever the parameters say;
///   so is `schemas`, which is not an attribute.
/// - With `attributes`, a response holds only the named attributes plus the `always` ones.
///   Naming a sub-attribute (`name.givenName`, `emails.value`) keeps only that sub-attribute of the
///   attribute (in every value of a multi-valued one); naming an extension URN keeps the whole
///   extension.
/// - `excludedAttributes` removes the named attributes, sub-attributes or whole extensions,
///   except `always` ones.
/// - `returned: request` attributes appear only when named in `attributes`.
/// - Names are matched ignoring case; they may be URN-qualified
///   (`urn:ietf:params:scim:schemas:core:2.0:User:userName`,
///   `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value`). An unqualified
///   name is looked up in the core schema first, then in the extensions.
/// - Names that match no attribute of the resource type are ignored (RFC 7644 does not make them
///   an error, and a client asking for an attribute the server does not have gets a resource
///   without it). A document key that no schema defines is kept by default, dropped under
///   `attributes` unless named exactly (ignoring case), and dropped when excluded by name.
/// - When a whole extension is removed, its URN is removed from `schemas` too.
/// - Both parameters may be given: `attributes` selects, then `excludedAttributes` removes.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Projection {
    attributes: Option<Vec<ProjPath>>,
    excluded: Vec<ProjPath>,
}

/// One comma-separated item: the text as written and its split form.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ProjPath {
    raw: String,
    path: AttrPath,
}

/// What one item names in a resource type.
#[derive(Debug, Clone, Copy)]
enum Target<'a> {
    /// A whole schema (an extension URN, or the core URN).
    Schema(&'a Schema),
    /// An attribute, or one of its sub-attributes.
    Attr(&'a AttributeDef, Option<&'a AttributeDef>),
    /// Nothing the schemas define: matched against document keys by name.
    Unknown(&'a str),
}

fn parse_list(param: &str, which: &str) -> Result<Vec<ProjPath>, ScimError> {
    let mut out = Vec::new();
    for item in param.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        out.push(parse_item(item).ok_or_else(|| {
            ScimError::invalid_value(format!("{which}: '{}' is not an attribute path", excerpt(item)))
        })?);
    }
    Ok(out)
}

fn excerpt(s: &str) -> String {
    s.chars().take(64).collect()
}

/// `[urn ":"] name ["." sub]`, split as [`AttrPath`] does: the URN at the last `:`.
fn parse_item(item: &str) -> Option<ProjPath> {
    let valid = |c: char| c.is_ascii_alphanumeric() || matches!(c, ':' | '.' | '-' | '_' | '$');
    if !item.chars().all(valid) {
        return None;
    }
    let (urn, rest) = match item.rsplit_once(':') {
        Some((urn, rest)) => (Some(urn), rest),
        None => (None, item),
    };
    let (name, sub) = match rest.split_once('.') {
        Some((name, sub)) => (name, Some(sub)),
        None => (rest, None),
    };
    if name.is_empty() || sub.is_some_and(|s| s.is_empty() || s.contains('.')) || urn.is_some_and(str::is_empty) {
        return None;
    }
    let mut path = AttrPath::new(name);
    if let Some(urn) = urn {
        path = path.with_urn(urn);
    }
    if let Some(sub) = sub {
        path = path.with_sub_attr(sub);
    }
    Some(ProjPath { raw: item.to_owned(), path })
}

impl Projection {
    /// Parses the `attributes` and `excludedAttributes` query parameters (comma-separated
    /// attribute paths; absent or empty means not given).
    ///
    /// # Errors
    ///
    /// `400 invalidValue` when an item is not an attribute path (it holds spaces, brackets,
    /// quotes or an empty name). Paths naming unknown attributes are not errors (see the
    /// [rules](Projection#rules)).
    pub fn from_params(attributes: Option<&str>, excluded_attributes: Option<&str>) -> Result<Self, ScimError> {
        let attributes = match attributes.map(str::trim).filter(|s| !s.is_empty()) {
            Some(a) => Some(parse_list(a, "attributes")?),
            None => None,
        };
        let excluded = match excluded_attributes {
            Some(e) => parse_list(e, "excludedAttributes")?,
            None => Vec::new(),
        };
        Ok(Self { attributes, excluded })
    }

    /// Whether `attributes` was given.
    pub fn has_attributes(&self) -> bool {
        self.attributes.is_some()
    }

    /// Whether `excludedAttributes` names the whole top-level attribute `name` without a URN
    /// (as Entra's `excludedAttributes=members`): a hint for code that can then skip loading it.
    pub fn excludes(&self, name: &str) -> bool {
        self.excluded
            .iter()
            .any(|p| p.path.urn.is_none() && p.path.sub_attr.is_none() && p.path.name.eq_ignore_ascii_case(name))
    }

    /// [`Projection::apply`] to a document the caller owns: without `attributes` or
    /// `excludedAttributes` it is projected in place, not copied.
    pub fn apply_owned(&self, registry: &SchemaRegistry, rt: &ResourceType, mut doc: Value) -> Value {
        if self.attributes.is_some() || !self.excluded.is_empty() {
            return self.apply(registry, rt, &doc);
        }
        if let Value::Object(obj) = &mut doc {
            if let Some(core) = registry.schema(&rt.schema) {
                strip_default(registry, rt, core, obj);
            }
        }
        doc
    }

    /// Projects one resource document of type `rt` (for a ListResponse, call it per resource).
    ///
    /// A document that is not an object, or a resource type whose core schema the registry
    /// does not hold, is returned unchanged: projection cannot fail.
    pub fn apply(&self, registry: &SchemaRegistry, rt: &ResourceType, doc: &Value) -> Value {
        let Value::Object(obj) = doc else {
            return doc.clone();
        };
        let Some(core) = registry.schema(&rt.schema) else {
            return doc.clone();
        };
        if self.attributes.is_none() && self.excluded.is_empty() {
            return Value::Object(default_projection(registry, rt, core, obj));
        }
        let attributes: Option<Vec<Target<'_>>> =
            self.attributes.as_ref().map(|list| list.iter().map(|p| resolve(registry, rt, p)).collect());
        let excluded: Vec<Target<'_>> = self.excluded.iter().map(|p| resolve(registry, rt, p)).collect();
        let sel = Selection { attributes: attributes.as_deref(), excluded: &excluded };

        let mut out = Map::new();
        let mut dropped_extensions: Vec<&str> = Vec::new();
        for (key, value) in obj {
            if key == "schemas" {
                out.insert(key.clone(), value.clone());
                continue;
            }
            if let Some(attr) = core.attribute(key) {
                if let Some(v) = sel.attr(attr, value, sel.whole_schema_included(core)) {
                    out.insert(key.clone(), v);
                }
                continue;
            }
            if let Some(ext) = extension_of(registry, rt, key) {
                match (value, sel.extension(ext, value)) {
                    (_, Some(v)) => {
                        out.insert(key.clone(), v);
                    }
                    (Value::Object(_), None) => dropped_extensions.push(&ext.id),
                    (_, None) => {}
                }
                continue;
            }
            if sel.unknown_key(key) {
                out.insert(key.clone(), value.clone());
            }
        }
        if let (false, Some(Value::Array(schemas))) = (dropped_extensions.is_empty(), out.get_mut("schemas")) {
            schemas
                .retain(|s| !s.as_str().is_some_and(|s| dropped_extensions.iter().any(|d| d.eq_ignore_ascii_case(s))));
        }
        Value::Object(out)
    }
}

fn extension_of<'a>(registry: &'a SchemaRegistry, rt: &'a ResourceType, key: &str) -> Option<&'a Schema> {
    if !key.contains(':') {
        return None;
    }
    rt.extensions.iter().find(|e| e.schema.eq_ignore_ascii_case(key)).and_then(|e| registry.schema(&e.schema))
}

fn resolve<'a>(registry: &'a SchemaRegistry, rt: &'a ResourceType, p: &'a ProjPath) -> Target<'a> {
    if p.raw.contains(':') {
        if let Some((schema, _)) = registry.schemas_of(rt).find(|(s, _)| s.id.eq_ignore_ascii_case(&p.raw)) {
            return Target::Schema(schema);
        }
    }
    match registry.resolve(rt, &p.path) {
        Some(r) => Target::Attr(r.attribute, r.sub_attribute),
        None => Target::Unknown(&p.raw),
    }
}

struct Selection<'s, 'a> {
    attributes: Option<&'s [Target<'a>]>,
    excluded: &'s [Target<'a>],
}

impl Selection<'_, '_> {
    fn whole_schema_included(&self, schema: &Schema) -> bool {
        self.attributes
            .is_some_and(|list| list.iter().any(|t| matches!(t, Target::Schema(s) if std::ptr::eq(*s, schema))))
    }

    fn whole_schema_excluded(&self, schema: &Schema) -> bool {
        self.excluded.iter().any(|t| matches!(t, Target::Schema(s) if std::ptr::eq(*s, schema)))
    }

    /// Projects an extension object; `None` when nothing of it remains.
    fn extension(&self, ext: &Schema, value: &Value) -> Option<Value> {
        let Value::Object(obj) = value else {
            // Not an object: keep it as an unknown value would be kept.
            return (self.attributes.is_none() && !self.whole_schema_excluded(ext)).then(|| value.clone());
        };
        let whole = self.whole_schema_included(ext);
        let excluded_whole = self.whole_schema_excluded(ext);
        let mut out = Map::new();
        for (k, v) in obj {
            match ext.attribute(k) {
                Some(attr) => {
                    if excluded_whole && attr.returned != Returned::Always {
                        continue;
                    }
                    if let Some(v) = self.attr(attr, v, whole) {
                        out.insert(k.clone(), v);
                    }
                }
                None => {
                    if !excluded_whole && (self.attributes.is_none() || whole) {
                        out.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        (!out.is_empty()).then_some(Value::Object(out))
    }

    /// Whether a document key that no schema defines is kept.
    fn unknown_key(&self, key: &str) -> bool {
        let named = |t: &Target<'_>| matches!(t, Target::Unknown(raw) if raw.eq_ignore_ascii_case(key));
        let included = self.attributes.is_none_or(|list| list.iter().any(named));
        included && !self.excluded.iter().any(named)
    }

    /// Projects one attribute's value; `None` when the attribute is left out.
    fn attr(&self, attr: &AttributeDef, value: &Value, parent_included: bool) -> Option<Value> {
        match attr.returned {
            Returned::Never => return None,
            Returned::Always => return Some(strip_never(attr, value)),
            Returned::Default | Returned::Request => {}
        }
        let is = |a: &AttributeDef| std::ptr::eq(a, attr);
        let named_whole = |list: &[Target<'_>]| list.iter().any(|t| matches!(t, Target::Attr(a, None) if is(a)));
        // Sub-attributes kept (None = all of them).
        let mut keep: Option<Vec<&AttributeDef>> = None;
        match self.attributes {
            Some(list) if !(named_whole(list) || parent_included && attr.returned == Returned::Default) => {
                let subs: Vec<&AttributeDef> = list
                    .iter()
                    .filter_map(|t| match t {
                        Target::Attr(a, Some(sub)) if is(a) => Some(*sub),
                        _ => None,
                    })
                    .collect();
                if subs.is_empty() {
                    return None;
                }
                keep = Some(subs);
            }
            None if attr.returned == Returned::Request => return None,
            _ => {}
        }
        if named_whole(self.excluded) {
            return None;
        }
        let drop: Vec<&AttributeDef> = self
            .excluded
            .iter()
            .filter_map(|t| match t {
                Target::Attr(a, Some(sub)) if is(a) && sub.returned != Returned::Always => Some(*sub),
                _ => None,
            })
            .collect();
        let named_subs = keep.as_deref().unwrap_or(&[]);
        let needs_filter = keep.is_some()
            || !drop.is_empty()
            || attr.sub_attributes.iter().any(|s| matches!(s.returned, Returned::Never | Returned::Request));
        if !needs_filter {
            return Some(value.clone());
        }
        let keep_sub = |key: &str| -> bool {
            let Some(sub) = attr.sub_attribute(key) else {
                // Unknown sub-attribute: kept unless a selection names sub-attributes.
                return keep.is_none();
            };
            let named = named_subs.iter().any(|s| std::ptr::eq(*s, sub));
            match sub.returned {
                Returned::Never => false,
                Returned::Always => true,
                Returned::Request => named,
                Returned::Default => (keep.is_none() || named) && !drop.iter().any(|d| std::ptr::eq(*d, sub)),
            }
        };
        let filter_obj = |v: &Value| -> Option<Value> {
            match v {
                Value::Object(o) => {
                    let m: Map<String, Value> =
                        o.iter().filter(|(k, _)| keep_sub(k)).map(|(k, v)| (k.clone(), v.clone())).collect();
                    (!m.is_empty()).then_some(Value::Object(m))
                }
                other => Some(other.clone()),
            }
        };
        match value {
            Value::Array(items) => {
                let items: Vec<Value> = items.iter().filter_map(filter_obj).collect();
                (!items.is_empty()).then_some(Value::Array(items))
            }
            v => filter_obj(v),
        }
    }
}

/// Whether an attribute is left out when no parameter names it.
fn hidden(attr: &AttributeDef) -> bool {
    matches!(attr.returned, Returned::Never | Returned::Request)
}

/// The projection without parameters: a copy of the document without `never` and `request`
/// attributes and sub-attributes (the copy is made in one piece; only schemas that define such
/// attributes are looked at key by key).
fn default_projection(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    core: &Schema,
    obj: &Map<String, Value>,
) -> Map<String, Value> {
    let mut out = obj.clone();
    strip_default(registry, rt, core, &mut out);
    out
}

/// Removes from `out` what the default projection never returns.
fn strip_default(registry: &SchemaRegistry, rt: &ResourceType, core: &Schema, out: &mut Map<String, Value>) {
    strip_hidden(core, out);
    for ext in &rt.extensions {
        let Some(schema) = registry.schema(&ext.schema) else { continue };
        if !has_hidden(schema) {
            continue;
        }
        for (key, v) in out.iter_mut() {
            if let (true, Value::Object(m)) = (key.eq_ignore_ascii_case(&schema.id), v) {
                strip_hidden(schema, m);
            }
        }
    }
}

fn has_hidden(schema: &Schema) -> bool {
    schema.attributes.iter().any(|a| hidden(a) || a.sub_attributes.iter().any(hidden))
}

/// Removes the `never` and `request` attributes of `schema` from `m` (and those sub-attributes
/// from the attributes that have them).
fn strip_hidden(schema: &Schema, m: &mut Map<String, Value>) {
    if !has_hidden(schema) {
        return;
    }
    m.retain(|key, v| {
        let Some(attr) = schema.attribute(key) else { return true };
        if hidden(attr) {
            return false;
        }
        if attr.sub_attributes.iter().any(hidden) {
            let strip = |o: &mut Map<String, Value>| o.retain(|k, _| attr.sub_attribute(k).is_none_or(|s| !hidden(s)));
            match v {
                Value::Object(o) => strip(o),
                Value::Array(items) => items.iter_mut().filter_map(Value::as_object_mut).for_each(strip),
                _ => {}
            }
        }
        true
    });
}

/// Removes `never` sub-attributes from an `always` attribute.
fn strip_never(attr: &AttributeDef, value: &Value) -> Value {
    if !attr.sub_attributes.iter().any(|s| s.returned == Returned::Never) {
        return value.clone();
    }
    let strip = |v: &Value| match v {
        Value::Object(o) => Value::Object(
            o.iter()
                .filter(|(k, _)| attr.sub_attribute(k).is_none_or(|s| s.returned != Returned::Never))
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        ),
        other => other.clone(),
    };
    match value {
        Value::Array(items) => Value::Array(items.iter().map(strip).collect()),
        v => strip(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_items() {
        let p = parse_item("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value").unwrap();
        assert_eq!(p.path.urn.as_deref(), Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"));
        assert_eq!(p.path.name, "manager");
        assert_eq!(p.path.sub_attr.as_deref(), Some("value"));
        let p = parse_item("name.givenName").unwrap();
        assert_eq!((p.path.name.as_str(), p.path.sub_attr.as_deref()), ("name", Some("givenName")));
        for bad in ["emails[type eq \"work\"]", "a b", "name.", ".x", "a.b.c", ":x"] {
            assert!(parse_item(bad).is_none(), "{bad}");
        }
    }
}
