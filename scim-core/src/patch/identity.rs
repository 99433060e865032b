//! Telling elements of a multi-valued attribute apart: the same `value` (and `type`), equal
//! simple values, or equal JSON (duplicates on `add`, Entra's removal by value).

use super::engine::field;
use crate::schema::AttributeDef;
use scim_query::fold::eq_ignore_case;
use serde_json::Value;

/// How two elements of one multi-valued attribute are judged the same.
#[derive(Debug, Clone, Copy)]
pub(super) enum Identity<'r> {
    /// Complex elements with a `value` sub-attribute: the same `value` (and the same `type`
    /// when both carry one). Members, emails, phone numbers, roles…
    Value { key: &'r str, case_exact: bool, type_key: Option<&'r str> },
    /// Simple elements: equal values (strings per `caseExact`).
    Simple { case_exact: bool },
    /// Complex elements without `value` (addresses): equal JSON.
    Whole,
}

impl<'r> Identity<'r> {
    pub(super) fn of(attr: &'r AttributeDef) -> Self {
        if attr.sub_attributes.is_empty() {
            return Self::Simple { case_exact: attr.case_exact };
        }
        match attr.sub_attribute("value") {
            Some(v) => Self::Value {
                key: v.name.as_str(),
                case_exact: v.case_exact,
                type_key: attr.sub_attribute("type").map(|t| t.name.as_str()),
            },
            None => Self::Whole,
        }
    }

    /// The string an element is indexed by, when there is one.
    pub(super) fn key<'v>(&self, el: &'v Value) -> Option<&'v str> {
        match self {
            Self::Value { key, .. } => match el {
                Value::Object(m) => field(m, key)?.as_str(),
                _ => None,
            },
            Self::Simple { .. } => el.as_str(),
            Self::Whole => None,
        }
    }

    pub(super) fn case_exact(&self) -> bool {
        match self {
            Self::Value { case_exact, .. } | Self::Simple { case_exact } => *case_exact,
            Self::Whole => true,
        }
    }

    /// Whether `a` and `b` are the same element.
    pub(super) fn same(&self, a: &Value, b: &Value) -> bool {
        let type_key = match self {
            Self::Whole => return a == b,
            Self::Simple { .. } => None,
            Self::Value { type_key, .. } => *type_key,
        };
        match (self.key(a), self.key(b)) {
            (Some(ka), Some(kb)) => {
                if !str_eq(ka, kb, self.case_exact()) {
                    return false;
                }
                match type_key {
                    Some(t) => match (a.get(t).and_then(Value::as_str), b.get(t).and_then(Value::as_str)) {
                        (Some(ta), Some(tb)) => ta.eq_ignore_ascii_case(tb),
                        _ => true,
                    },
                    None => true,
                }
            }
            (None, None) => a == b,
            _ => false,
        }
    }
}

pub(super) fn str_eq(a: &str, b: &str, case_exact: bool) -> bool {
    if case_exact { a == b } else { eq_ignore_case(a, b) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn str_eq_ignores_case_as_unicode_does() {
        let pairs = [
            ("abc", "ABC"),
            ("abc", "abd"),
            ("", ""),
            ("a", ""),
            ("Zoë", "ZOË"),
            ("Zoë", "ZOE"),
            ("\u{212A}", "k"),
            ("k\u{212A}", "KK"),
            ("xK", "x\u{212A}"),
            ("ΣΑΣ", "σας"),
            ("straße", "STRASSE"),
            ("İ", "i\u{307}"),
            ("aé", "bé"),
            ("éa", "éb"),
        ];
        for (a, b) in pairs {
            let expected = scim_query::fold::fold_case(a) == scim_query::fold::fold_case(b);
            assert_eq!(str_eq(a, b, false), expected, "{a} / {b}");
            assert_eq!(str_eq(b, a, false), expected, "{b} / {a}");
            assert_eq!(str_eq(a, b, true), a == b, "{a} / {b}");
        }
    }
}
