//! Translation of the parts of a filter that SQL answers with exactly the semantics of
//! `scim_query` evaluation.
//!
//! A filter becomes a SQL condition plus a flag saying whether that condition is *exact*.
//! An inexact condition is a superset: every resource the filter accepts satisfies it, and
//! the caller re-checks each candidate with the compiled filter. What is pushed down:
//!
//! - the name attribute (`userName`, or `displayName` for groups; `caseExact = false`):
//!   `eq`, `sw`, `co`, `ew`, `pr` on a column holding the value lowercased by [`lower`] (the
//!   evaluator's mapping), compared byte-wise with the literal lowercased the same way;
//! - `externalId` and `id`: `eq` as a superset, on a column folded like the name column (so
//!   it holds whether the compiled filter compares them exactly, as the schema says, or
//!   ignoring case, as a schema-less compilation does); `pr` for `externalId`;
//! - `active` (users): `eq true` / `eq false`, read from the JSON document;
//! - `and`, `or`, `not` of those.
//!
//! The translation assumes the documents were validated (`userName` is a string, `active` a
//! boolean or a `"true"`/`"false"` string) and that the name attribute is not `caseExact`.
//! String literals that look like date-times are never pushed down, since a schema-less
//! evaluation would compare them as instants.

use rusqlite::types::Value as SqlValue;
use scim_core::ResourceKind;
use scim_core::store::pushdown::{names_core_attribute, prefix_upper_bound, string_literal};
use scim_query::fold::fold_case;
use scim_query::{AttrPath, CompValue, CompareOp, Filter};

/// The SQL side of a resource kind: its table and the column holding its name attribute
/// lowercased (see the module docs).
pub(crate) trait KindTable {
    /// `users`, `groups`.
    fn table(self) -> &'static str;
    /// `user_name_lower`, `display_name_lower`.
    fn name_column(self) -> &'static str;
}

impl KindTable for ResourceKind {
    fn table(self) -> &'static str {
        match self {
            Self::User => "users",
            Self::Group => "groups",
        }
    }

    fn name_column(self) -> &'static str {
        match self {
            Self::User => "user_name_lower",
            Self::Group => "display_name_lower",
        }
    }
}

/// A SQL condition with its parameters, in order of the `?` placeholders.
#[derive(Debug, Default)]
pub(crate) struct Condition {
    pub(crate) sql: String,
    pub(crate) params: Vec<SqlValue>,
}

/// The pushed-down part of a filter.
#[derive(Debug)]
pub(crate) struct Pushdown {
    /// `None`: nothing could be pushed down (every row of the tenant is a candidate).
    pub(crate) condition: Option<Condition>,
    /// Whether `condition` accepts exactly the rows the filter accepts.
    pub(crate) exact: bool,
}

impl Pushdown {
    fn none() -> Self {
        Self { condition: None, exact: false }
    }

    fn exact(sql: String, params: Vec<SqlValue>) -> Self {
        Self { condition: Some(Condition { sql, params }), exact: true }
    }
}

/// Translates `filter` for the table of `kind`.
pub(crate) fn translate(filter: &Filter, kind: ResourceKind) -> Pushdown {
    match filter {
        Filter::And(a, b) => {
            let (a, b) = (translate(a, kind), translate(b, kind));
            let exact = a.exact && b.exact;
            let condition = match (a.condition, b.condition) {
                (Some(a), Some(b)) => Some(join(a, "AND", b)),
                (Some(one), None) | (None, Some(one)) => Some(one),
                (None, None) => None,
            };
            Pushdown { condition, exact }
        }
        Filter::Or(a, b) => {
            let (a, b) = (translate(a, kind), translate(b, kind));
            match (a.condition, b.condition) {
                (Some(ca), Some(cb)) => Pushdown { condition: Some(join(ca, "OR", cb)), exact: a.exact && b.exact },
                _ => Pushdown::none(),
            }
        }
        Filter::Not(inner) => match translate(inner, kind) {
            // NULL (an absent column) counts as false inside; `not` of it is then true.
            Pushdown { condition: Some(c), exact: true } => {
                Pushdown::exact(format!("NOT COALESCE(({}), 0)", c.sql), c.params)
            }
            _ => Pushdown::none(),
        },
        Filter::Compare { path, op, value } => compare(path, *op, value, kind),
        Filter::Present(path) => present(path, kind),
        Filter::ValuePath { .. } => Pushdown::none(),
    }
}

fn join(a: Condition, op: &str, b: Condition) -> Condition {
    let mut params = a.params;
    params.extend(b.params);
    Condition { sql: format!("({}) {op} ({})", a.sql, b.sql), params }
}

/// `col` compared with a (lowered or exact) literal, byte-wise as Rust's `str` methods do.
fn string_op(col: &str, op: CompareOp, lit: String) -> Option<Pushdown> {
    let blob = format!("CAST({col} AS BLOB)");
    Some(match op {
        CompareOp::Eq => Pushdown::exact(format!("{col} = ?"), vec![SqlValue::Text(lit)]),
        // Every string starts and ends with "" (and SQLite's substr of an empty blob is NULL).
        CompareOp::Sw | CompareOp::Ew if lit.is_empty() => Pushdown::exact(format!("{col} IS NOT NULL"), Vec::new()),
        CompareOp::Sw => {
            let n = lit.len() as i64;
            let mut sql = format!("{col} >= ?");
            let mut params = vec![SqlValue::Text(lit.clone())];
            if let Some(upper) = prefix_upper_bound(&lit) {
                sql.push_str(&format!(" AND {col} < ?"));
                params.push(SqlValue::Text(upper));
            }
            sql.push_str(&format!(" AND substr({blob}, 1, ?) = CAST(? AS BLOB)"));
            params.push(SqlValue::Integer(n));
            params.push(SqlValue::Text(lit));
            Pushdown::exact(sql, params)
        }
        CompareOp::Ew => {
            let n = lit.len() as i64;
            Pushdown::exact(
                format!("length({blob}) >= ? AND substr({blob}, -?) = CAST(? AS BLOB)"),
                vec![SqlValue::Integer(n), SqlValue::Integer(n), SqlValue::Text(lit)],
            )
        }
        CompareOp::Co => {
            // A literal that starts with U+0307 can match inside the folded "i\u{307}" of an
            // `İ`, where the evaluator (which matches from the value's own characters) does
            // not: then the condition is only a superset, and the evaluator decides.
            let inside_expansion = lit.starts_with('\u{307}');
            let pushdown = Pushdown::exact(format!("instr({blob}, CAST(? AS BLOB)) > 0"), vec![SqlValue::Text(lit)]);
            Pushdown { exact: !inside_expansion, ..pushdown }
        }
        _ => return None,
    })
}

fn compare(path: &AttrPath, op: CompareOp, value: &CompValue, kind: ResourceKind) -> Pushdown {
    let translated = if names_core_attribute(path, kind.name_attribute(), kind) {
        string_literal(value).and_then(|lit| string_op(kind.name_column(), op, fold_case(lit)))
    } else if names_core_attribute(path, "externalId", kind) || names_core_attribute(path, "id", kind) {
        // A superset: equal ignoring case; the compiled filter decides the exact answer.
        let col = if path.name.eq_ignore_ascii_case("id") { "id_fold" } else { "external_id_fold" };
        match (op, string_literal(value)) {
            (CompareOp::Eq, Some(lit)) => Some(Pushdown {
                condition: Some(Condition { sql: format!("{col} = ?"), params: vec![SqlValue::Text(fold_case(lit))] }),
                exact: false,
            }),
            _ => None,
        }
    } else if kind == ResourceKind::User && names_core_attribute(path, "active", kind) {
        match (op, value) {
            // The evaluator also accepts the strings "true"/"false" in any ASCII case.
            (CompareOp::Eq, CompValue::Bool(b)) => Some(Pushdown::exact(
                "(json_type(doc, '$.active') = ? OR (json_type(doc, '$.active') = 'text' \
                 AND lower(json_extract(doc, '$.active')) = ?))"
                    .to_owned(),
                vec![SqlValue::Text(if *b { "true" } else { "false" }.to_owned()); 2],
            )),
            _ => None,
        }
    } else {
        None
    };
    translated.unwrap_or_else(Pushdown::none)
}

fn present(path: &AttrPath, kind: ResourceKind) -> Pushdown {
    let col = if names_core_attribute(path, kind.name_attribute(), kind) {
        kind.name_column()
    } else if names_core_attribute(path, "externalId", kind) {
        "external_id"
    } else {
        return Pushdown::none();
    };
    Pushdown::exact(format!("{col} IS NOT NULL AND {col} <> ''"), Vec::new())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(name: &str, op: CompareOp, v: &str) -> Filter {
        Filter::Compare { path: AttrPath::new(name), op, value: CompValue::Str(v.into()) }
    }

    #[test]
    fn user_name_eq_is_exact_and_lowercased() {
        let p = translate(&cmp("USERNAME", CompareOp::Eq, "ÄBC@x.org"), ResourceKind::User);
        assert!(p.exact);
        let c = p.condition.unwrap();
        assert_eq!(c.sql, "user_name_lower = ?");
        assert_eq!(c.params, vec![SqlValue::Text("äbc@x.org".into())]);
    }

    #[test]
    fn unknown_attributes_make_and_inexact_and_or_unpushable() {
        let known = cmp("userName", CompareOp::Sw, "a");
        let unknown = cmp("title", CompareOp::Eq, "x");
        let and = translate(&Filter::And(Box::new(known.clone()), Box::new(unknown.clone())), ResourceKind::User);
        assert!(!and.exact);
        assert!(and.condition.is_some());
        let or = translate(&Filter::Or(Box::new(known), Box::new(unknown)), ResourceKind::User);
        assert!(!or.exact);
        assert!(or.condition.is_none());
    }

    #[test]
    fn date_like_literals_and_external_id_sw_are_not_pushed() {
        assert!(
            translate(&cmp("userName", CompareOp::Eq, "2024-01-01T00:00:00Z"), ResourceKind::User).condition.is_none()
        );
        assert!(translate(&cmp("externalId", CompareOp::Sw, "a"), ResourceKind::User).condition.is_none());
        assert!(translate(&cmp("active", CompareOp::Eq, "true"), ResourceKind::User).condition.is_none());
    }
}
