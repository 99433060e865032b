//! Compiled evaluation: paths and facts are resolved once, then resources are tested without
//! allocating.
//!
//! Split by concern, each module importing only those listed before it: [`key`] looks one
//! attribute name up in an object, [`document`] abstracts over the two document forms,
//! [`access`] walks a resolved path through a document, [`string`], [`number`], [`datetime`]
//! implement the per-type comparisons, and [`compare`] prepares one comparison for its
//! attribute type.

mod access;
mod compare;
mod datetime;
mod document;
mod key;
mod number;
mod string;

use crate::compact::{CompactObject, CompactValue};
use crate::{AttrFacts, AttrPath, AttrType, AttributeFacts, CompValue, CompareOp, EvalError, Filter};
use access::{Access, Step, is_present};
use compare::{Cmp, Prepared};
use document::Json;
use key::Key;
use serde_json::{Map, Value};

/// A filter with its attribute paths and facts resolved once, ready to test many resources.
///
/// # Semantics
/// - Attribute names match case-insensitively (the canonical key from the facts is tried first).
/// - Strings compare case-insensitively (Unicode lowercase mapping) unless the attribute is
///   `caseExact`; `reference` and `binary` values always compare exactly.
/// - `dateTime` values compare as instants, `integer`/`decimal` numerically, `boolean` by value.
///   For attributes the facts do not know, the JSON type of each value decides, and strings that
///   are RFC 3339 date-times compare as instants when the literal is one too.
/// - A multi-valued attribute matches when any of its values does; a complex value without a
///   sub-attribute in the path is compared through its `value` sub-attribute.
/// - `pr`: present, not null, not an empty string, array or object.
/// - `ne` is exactly `not eq`: an absent attribute is "not equal" to any value. `eq null` is
///   `not pr`, and `ne null` is `pr`.
/// - `co`/`sw`/`ew` on a boolean, number or binary attribute never match; `gt`/`ge`/`lt`/`le` on a
///   boolean or binary attribute are a compile error.
///
/// ```
/// use scim_query::{parse_filter, CompiledFilter, NoSchema};
/// use serde_json::json;
///
/// let filter = parse_filter(r#"meta.lastModified gt "2024-01-01T00:00:00Z" and not (title eq "Intern")"#).unwrap();
/// let compiled = CompiledFilter::compile(&filter, &NoSchema).unwrap();
/// let users = [
///     json!({"title": "intern", "meta": {"lastModified": "2024-05-01T10:00:00+02:00"}}),
///     json!({"title": "Engineer", "meta": {"lastModified": "2024-05-01T10:00:00+02:00"}}),
///     json!({"title": "Engineer", "meta": {"lastModified": "2023-12-31T23:59:59Z"}}),
/// ];
/// let matching: Vec<bool> = users.iter().map(|u| compiled.matches(u)).collect();
/// assert_eq!(matching, [false, true, false]);
/// ```
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    root: Node,
}

#[derive(Debug, Clone)]
enum Node {
    Const(bool),
    Present(Access),
    Compare(Access, Cmp),
    ValuePath(Access, Box<Self>),
    And(Box<Self>, Box<Self>),
    Or(Box<Self>, Box<Self>),
    Not(Box<Self>),
}

impl Node {
    fn eval<J: Json>(&self, obj: J::Obj<'_>) -> bool {
        match self {
            Self::Const(b) => *b,
            Self::Present(access) => access.any::<J, _>(obj, &mut is_present::<J>),
            Self::Compare(access, cmp) => access.any::<J, _>(obj, &mut |v: &J| cmp.test(v)),
            Self::ValuePath(access, inner) => {
                access.any::<J, _>(obj, &mut |v: &J| v.as_object().is_some_and(|element| inner.eval::<J>(element)))
            }
            Self::And(a, b) => a.eval::<J>(obj) && b.eval::<J>(obj),
            Self::Or(a, b) => a.eval::<J>(obj) || b.eval::<J>(obj),
            Self::Not(inner) => !inner.eval::<J>(obj),
        }
    }
}

struct Compiler<'a> {
    facts: &'a dyn AttributeFacts,
}

impl Compiler<'_> {
    /// The access path and facts of `path` (relative to an element of `parent` if given).
    fn resolve(&self, parent: Option<&AttrPath>, path: &AttrPath) -> (Access, Option<AttrFacts>) {
        match self.facts.resolve(parent, path) {
            Some(facts) if !facts.keys.is_empty() => {
                let steps = facts.keys.iter().map(|k| Step::Key(Key::new(k))).collect();
                (Access::new(steps), Some(facts))
            }
            _ => {
                let mut steps = Vec::with_capacity(3);
                if let Some(urn) = &path.urn {
                    steps.push(Step::UrnOrRoot(Key::new(urn)));
                }
                steps.push(Step::Key(Key::new(&path.name)));
                if let Some(sub) = &path.sub_attr {
                    steps.push(Step::Key(Key::new(sub)));
                }
                (Access::new(steps), None)
            }
        }
    }

    fn compile(&self, filter: &Filter, parent: Option<&AttrPath>) -> Result<Node, EvalError> {
        Ok(match filter {
            Filter::Present(path) => Node::Present(self.resolve(parent, path).0),
            Filter::Compare { path, op, value } => self.compare(parent, path, *op, value)?,
            Filter::ValuePath { attr, filter } => {
                let (access, _) = self.resolve(parent, attr);
                Node::ValuePath(access, Box::new(self.compile(filter, Some(attr))?))
            }
            Filter::And(a, b) => Node::And(Box::new(self.compile(a, parent)?), Box::new(self.compile(b, parent)?)),
            Filter::Or(a, b) => Node::Or(Box::new(self.compile(a, parent)?), Box::new(self.compile(b, parent)?)),
            Filter::Not(inner) => Node::Not(Box::new(self.compile(inner, parent)?)),
        })
    }

    fn compare(
        &self,
        parent: Option<&AttrPath>,
        path: &AttrPath,
        op: CompareOp,
        value: &CompValue,
    ) -> Result<Node, EvalError> {
        let (access, facts) = self.resolve(parent, path);
        if *value == CompValue::Null {
            return match op {
                CompareOp::Eq => Ok(Node::Not(Box::new(Node::Present(access)))),
                CompareOp::Ne => Ok(Node::Present(access)),
                _ => Err(EvalError::new(format!("null can only be compared with 'eq' or 'ne' ('{path} {op} null')"))),
            };
        }
        // A complex attribute without sub-attribute is compared through its `value`.
        let facts = match facts {
            Some(f) if f.attr_type == AttrType::Complex && path.sub_attr.is_none() => {
                self.facts.resolve(parent, &path.clone().with_sub_attr("value"))
            }
            other => other,
        };
        let (negate, op) = match op {
            CompareOp::Ne => (true, CompareOp::Eq),
            op => (false, op),
        };
        let node = match compare::prepare(path, op, value, facts.as_ref())? {
            Prepared::Cmp(cmp) => Node::Compare(access, cmp),
            Prepared::Const(b) => Node::Const(b),
        };
        Ok(if negate { Node::Not(Box::new(node)) } else { node })
    }
}

impl CompiledFilter {
    /// Resolves every path of `filter` through `facts`.
    ///
    /// # Errors
    /// An [`EvalError`] (`400 invalidFilter`) when the filter cannot apply to the schema:
    /// `gt`/`ge`/`lt`/`le` on a boolean or binary attribute, a literal of the wrong type (a word
    /// compared with a boolean, integer or dateTime attribute), or `null` with an operator other
    /// than `eq`/`ne`.
    pub fn compile(filter: &Filter, facts: &dyn AttributeFacts) -> Result<Self, EvalError> {
        Ok(Self { root: Compiler { facts }.compile(filter, None)? })
    }

    /// Whether `resource` (a JSON object) matches. Anything but an object never matches.
    pub fn matches(&self, resource: &Value) -> bool {
        match resource {
            Value::Object(obj) => self.root.eval::<Value>(obj),
            _ => false,
        }
    }

    /// Whether the JSON object `resource` matches.
    pub fn matches_object(&self, resource: &Map<String, Value>) -> bool {
        self.root.eval::<Value>(resource)
    }

    /// Whether the compact document `resource` matches, with exactly the semantics of
    /// [`CompiledFilter::matches`] on the same document as a `serde_json::Value`.
    pub fn matches_compact(&self, resource: &CompactValue) -> bool {
        resource.as_object().is_some_and(|obj| self.root.eval::<CompactValue>(obj))
    }

    /// Whether the compact object `resource` matches.
    pub fn matches_compact_object(&self, resource: CompactObject<'_>) -> bool {
        self.root.eval::<CompactValue>(resource)
    }
}

/// Compiles and evaluates in one step; prefer [`CompiledFilter`] for many resources.
///
/// # Errors
/// As [`CompiledFilter::compile`].
pub fn evaluate(filter: &Filter, resource: &Value, facts: &dyn AttributeFacts) -> Result<bool, EvalError> {
    Ok(CompiledFilter::compile(filter, facts)?.matches(resource))
}
