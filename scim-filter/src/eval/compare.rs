//! One comparison (`attrPath op value`), prepared at compile time for the attribute's type.

use super::datetime::{Instant, parse_instant};
use super::document::{Json, Scalar};
use super::key::Key;
use super::number;
use super::string::{lower, str_op};
use crate::{AttrFacts, AttrPath, AttrType, CompValue, CompareOp, EvalError};
use serde_json::Number;
use std::cmp::Ordering;
use std::sync::OnceLock;

/// A prepared comparison. `Ne` never appears: the compiler turns `ne` into `not eq`.
#[derive(Debug, Clone)]
pub(crate) enum Cmp {
    /// Typed string (`string`, `reference`, `binary`, or `co`/`sw`/`ew` on `dateTime`).
    Str { op: CompareOp, lit: Box<str>, ci: bool },
    /// Typed `integer` / `decimal`.
    Num { op: CompareOp, lit: Number },
    /// Typed `boolean` (`eq` only).
    Bool(bool),
    /// Typed `dateTime`.
    DateTime { op: CompareOp, lit: Instant },
    /// Unknown attribute: decided by the JSON type of each value.
    Dynamic(Box<Dynamic>),
}

/// The literal in every form a value of unknown type may need.
#[derive(Debug, Clone)]
pub(crate) struct Dynamic {
    op: CompareOp,
    /// Lowercased text of the literal (strings compare case-insensitively).
    text: Box<str>,
    instant: Option<Instant>,
    number: Option<Number>,
    boolean: Option<bool>,
}

/// What the compiler builds for one comparison.
#[derive(Debug)]
pub(crate) enum Prepared {
    /// A comparison to run on each value.
    Cmp(Cmp),
    /// The outcome is known without looking at the resource (`co` on a boolean is always false).
    Const(bool),
}

fn ordering_holds(op: CompareOp, ord: Option<Ordering>) -> bool {
    match (op, ord) {
        (CompareOp::Eq, Some(o)) => o == Ordering::Equal,
        (CompareOp::Ne, o) => o != Some(Ordering::Equal),
        (CompareOp::Gt, Some(o)) => o == Ordering::Greater,
        (CompareOp::Ge, Some(o)) => o != Ordering::Less,
        (CompareOp::Lt, Some(o)) => o == Ordering::Less,
        (CompareOp::Le, Some(o)) => o != Ordering::Greater,
        _ => false,
    }
}

fn is_ordering(op: CompareOp) -> bool {
    matches!(op, CompareOp::Gt | CompareOp::Ge | CompareOp::Lt | CompareOp::Le)
}

fn is_substring(op: CompareOp) -> bool {
    matches!(op, CompareOp::Co | CompareOp::Sw | CompareOp::Ew)
}

/// The literal's text: strings as written, numbers and booleans as printed.
fn literal_text(value: &CompValue) -> String {
    match value {
        CompValue::Str(s) => s.clone(),
        CompValue::Number(n) => n.to_string(),
        CompValue::Bool(b) => b.to_string(),
        CompValue::Null => "null".to_owned(),
    }
}

/// Prepares `path op value` (`op` is not `Ne`, `value` is not `Null`). `facts` are those of the
/// attribute compared (for a complex attribute without sub-attribute: of its `value` sub-attribute),
/// or `None` when unknown.
pub(crate) fn prepare(
    path: &AttrPath,
    op: CompareOp,
    value: &CompValue,
    facts: Option<&AttrFacts>,
) -> Result<Prepared, EvalError> {
    let Some(facts) = facts else {
        return Ok(Prepared::Cmp(dynamic(op, value)));
    };
    let t = facts.attr_type;
    let not_ordered =
        || EvalError::new(format!("operator '{op}' is not defined for {} attribute '{path}'", t.as_str()));
    let cmp = match t {
        AttrType::Boolean | AttrType::Binary if is_ordering(op) => return Err(not_ordered()),
        AttrType::Boolean | AttrType::Binary | AttrType::Integer | AttrType::Decimal if is_substring(op) => {
            return Ok(Prepared::Const(false));
        }
        AttrType::Boolean => {
            let b = match value {
                CompValue::Bool(b) => *b,
                CompValue::Str(s) if s.eq_ignore_ascii_case("true") => true,
                CompValue::Str(s) if s.eq_ignore_ascii_case("false") => false,
                _ => {
                    return Err(EvalError::new(format!(
                        "boolean attribute '{path}' can only be compared with true or false, not {value}"
                    )));
                }
            };
            Cmp::Bool(b)
        }
        AttrType::Integer | AttrType::Decimal => {
            let n = match value {
                CompValue::Number(n) => n.clone(),
                CompValue::Str(s) => s.trim().parse().map_err(|_| {
                    EvalError::new(format!(
                        "{} attribute '{path}' must be compared with a number, not {value}",
                        t.as_str()
                    ))
                })?,
                _ => {
                    return Err(EvalError::new(format!(
                        "{} attribute '{path}' must be compared with a number, not {value}",
                        t.as_str()
                    )));
                }
            };
            Cmp::Num { op, lit: n }
        }
        AttrType::DateTime if !is_substring(op) => {
            let instant = match value {
                CompValue::Str(s) => parse_instant(s, true),
                _ => None,
            };
            let lit = instant.ok_or_else(|| {
                EvalError::new(format!(
                    "dateTime attribute '{path}' must be compared with a date-time such as \"2024-01-31T12:00:00Z\", not {value}"
                ))
            })?;
            Cmp::DateTime { op, lit }
        }
        AttrType::DateTime => Cmp::Str { op, lit: lower(&literal_text(value)).into(), ci: true },
        AttrType::String | AttrType::Reference | AttrType::Binary => {
            let ci = t == AttrType::String && !facts.case_exact;
            let text = literal_text(value);
            Cmp::Str { op, lit: if ci { lower(&text) } else { text }.into(), ci }
        }
        AttrType::Complex => dynamic(op, value),
    };
    Ok(Prepared::Cmp(cmp))
}

fn dynamic(op: CompareOp, value: &CompValue) -> Cmp {
    let text = literal_text(value);
    let instant = match value {
        CompValue::Str(s) => parse_instant(s, false),
        _ => None,
    };
    let number = match value {
        CompValue::Number(n) => Some(n.clone()),
        _ => None,
    };
    let boolean = match value {
        CompValue::Bool(b) => Some(*b),
        _ => None,
    };
    Cmp::Dynamic(Box::new(Dynamic { op, text: lower(&text).into(), instant, number, boolean }))
}

/// The `value` key, for comparing a complex value through its `value` sub-attribute.
fn value_key() -> &'static Key {
    static VALUE: OnceLock<Key> = OnceLock::new();
    VALUE.get_or_init(|| Key::new("value"))
}

impl Cmp {
    /// Tests one value reached by the path. An object (an element of a complex attribute)
    /// is compared through its `value` sub-attribute.
    pub(crate) fn test<J: Json>(&self, v: &J) -> bool {
        match v.as_object() {
            Some(obj) => J::get(obj, value_key()).is_some_and(|inner| inner.as_object().is_none() && self.test(inner)),
            None => self.test_scalar(v.scalar()),
        }
    }

    fn test_scalar(&self, v: Scalar<'_>) -> bool {
        match self {
            Self::Str { op, lit, ci } => matches!(v, Scalar::Str(s) if str_op(*op, s, lit, *ci)),
            Self::Num { op, lit } => {
                matches!(v, Scalar::Number(n) if ordering_holds(*op, number::compare(n, lit)))
            }
            Self::Bool(b) => match v {
                Scalar::Bool(x) => x == *b,
                Scalar::Str(s) => s.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
                _ => false,
            },
            Self::DateTime { op, lit } => match v {
                Scalar::Str(s) => parse_instant(s, true).is_some_and(|t| ordering_holds(*op, Some(t.cmp(lit)))),
                _ => false,
            },
            Self::Dynamic(d) => d.test(v),
        }
    }
}

impl Dynamic {
    fn test(&self, v: Scalar<'_>) -> bool {
        match v {
            Scalar::Str(s) => {
                if let Some(lit) = self.instant.filter(|_| !is_substring(self.op)) {
                    if let Some(t) = parse_instant(s, false) {
                        return ordering_holds(self.op, Some(t.cmp(&lit)));
                    }
                }
                str_op(self.op, s, &self.text, true)
            }
            Scalar::Number(n) => match &self.number {
                Some(lit) if !is_substring(self.op) => ordering_holds(self.op, number::compare(n, lit)),
                _ => false,
            },
            Scalar::Bool(b) => self.op == CompareOp::Eq && self.boolean == Some(b),
            Scalar::Null | Scalar::Composite => false,
        }
    }
}
