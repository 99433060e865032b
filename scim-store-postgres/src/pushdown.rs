//! Translation of the parts of a filter that SQL answers with exactly the semantics of
//! `scim_query` evaluation, or selects a superset of through an index.
//!
//! A filter becomes a SQL condition plus a flag saying whether it is *exact*. An inexact
//! condition is a superset: every resource the filter accepts satisfies it, and the caller
//! re-checks each candidate with the compiled filter. What is pushed down:
//!
//! - exactly: the name attribute (`userName`, or `displayName` for groups; not `caseExact`)
//!   `eq`, `sw`, `co`, `ew`, `pr` on a column holding the value folded with
//!   [`fold_case`] (the evaluator's rule), collated `"C"` so that comparisons are byte-wise
//!   as Rust's; `externalId pr`; `active eq true|false` (users); `and`, `or`, `not` of exact
//!   parts;
//! - as a superset: `id eq` and `externalId eq` on a folded column (so it holds whether the
//!   compiled filter compares them exactly, as the schema says, or ignoring case, as a
//!   schema-less compilation does); `emails.value eq` and `emails eq` (users) on the folded
//!   e-mail values; `meta.created` / `meta.lastModified` `eq gt ge lt le` against a date-time,
//!   widened by a millisecond; `and` with anything.
//!
//! The translation assumes documents were validated (`userName` is a string, `active` a
//! boolean or a `"true"`/`"false"` string). String literals that look like date-times are
//! never compared as strings, since a schema-less evaluation compares them as instants.
//! Placeholders are written `?` and numbered by [`number_placeholders`].

use chrono::{DateTime, Duration, Utc};
use scim_core::ResourceKind;
use scim_core::store::pushdown::{names_core_attribute, prefix_upper_bound, string_literal};
use scim_query::fold::fold_case;
use scim_query::{AttrPath, CompValue, CompareOp, Filter};

/// A bound value of a condition.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Param {
    Text(String),
    Int(i32),
    BigInt(i64),
    Float(f64),
    Bool(bool),
    TextArray(Vec<String>),
    Time(DateTime<Utc>),
}

/// A SQL condition with its parameters, in the order of its `?` placeholders.
#[derive(Debug, Default, Clone)]
pub(crate) struct Condition {
    pub(crate) sql: String,
    pub(crate) params: Vec<Param>,
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

    fn exact(sql: String, params: Vec<Param>) -> Self {
        Self { condition: Some(Condition { sql, params }), exact: true }
    }

    fn superset(sql: String, params: Vec<Param>) -> Self {
        Self { condition: Some(Condition { sql, params }), exact: false }
    }
}

/// The columns of a resource kind's table.
pub(crate) fn name_column(kind: ResourceKind) -> &'static str {
    match kind {
        ResourceKind::User => "user_name_fold",
        ResourceKind::Group => "display_name_fold",
    }
}

/// Whether `filter` is `<name attribute> eq "…"` (a lookup by the unique `userName` or
/// `displayName`: at most one resource matches, and its translation is exact).
pub(crate) fn is_unique_lookup(filter: &Filter, kind: ResourceKind) -> bool {
    matches!(filter, Filter::Compare { path, op: CompareOp::Eq, value }
        if names_core_attribute(path, kind.name_attribute(), kind) && string_literal(value).is_some())
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
                Pushdown::exact(format!("NOT coalesce(({}), false)", c.sql), c.params)
            }
            _ => Pushdown::none(),
        },
        Filter::Compare { path, op, value } => compare(path, *op, value, kind),
        Filter::Present(path) => present(path, kind),
        Filter::ValuePath { attr, filter } => value_path(attr, filter, kind),
    }
}

fn join(a: Condition, op: &str, b: Condition) -> Condition {
    let mut params = a.params;
    params.extend(b.params);
    Condition { sql: format!("({}) {op} ({})", a.sql, b.sql), params }
}

/// Whether `path` is `name.sub` of the core schema of `kind` (`sub` `None`: no sub-attribute).
fn is_core_sub(path: &AttrPath, name: &str, sub: Option<&str>, kind: ResourceKind) -> bool {
    path.name.eq_ignore_ascii_case(name)
        && path.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(kind.core_urn()))
        && match (path.sub_attr.as_deref(), sub) {
            (None, None) => true,
            (Some(a), Some(b)) => a.eq_ignore_ascii_case(b),
            _ => false,
        }
}

/// `col` (collated `"C"`) compared with a folded literal, byte-wise as Rust's `str` methods do.
fn string_op(col: &str, op: CompareOp, lit: String) -> Option<Pushdown> {
    if lit.contains('\0') && matches!(op, CompareOp::Eq | CompareOp::Sw | CompareOp::Ew | CompareOp::Co) {
        // PostgreSQL stores no U+0000 (the service refuses it), so nothing equals, starts,
        // ends with or contains such a literal; and PostgreSQL would refuse the parameter.
        return Some(Pushdown::exact("false".to_owned(), Vec::new()));
    }
    Some(match op {
        CompareOp::Eq => Pushdown::exact(format!("{col} = ?"), vec![Param::Text(lit)]),
        // Every string starts and ends with "".
        CompareOp::Sw | CompareOp::Ew if lit.is_empty() => Pushdown::exact(format!("{col} IS NOT NULL"), Vec::new()),
        CompareOp::Sw => {
            // The range lets the index answer; `starts_with` is the exact test.
            let mut sql = format!("{col} >= ?");
            let mut params = vec![Param::Text(lit.clone())];
            if let Some(upper) = prefix_upper_bound(&lit) {
                sql.push_str(&format!(" AND {col} < ?"));
                params.push(Param::Text(upper));
            }
            sql.push_str(&format!(" AND starts_with({col}, ?)"));
            params.push(Param::Text(lit));
            Pushdown::exact(sql, params)
        }
        CompareOp::Ew => {
            // A byte-wise suffix of valid UTF-8 that is itself valid UTF-8 starts at a character
            // boundary, so comparing the last `n` characters is the byte-wise test.
            let n = i32::try_from(lit.chars().count()).ok()?;
            Pushdown::exact(format!("right({col}, ?) = ?"), vec![Param::Int(n), Param::Text(lit)])
        }
        CompareOp::Co => {
            // A literal that starts with U+0307 can match inside the folded "i\u{307}" of an
            // `İ`, where the evaluator (which matches from the value's own characters) does
            // not: then the condition is only a superset, and the evaluator decides.
            let inside_expansion = lit.starts_with('\u{307}');
            let pushdown = Pushdown::exact(format!("strpos({col}, ?) > 0"), vec![Param::Text(lit)]);
            Pushdown { exact: !inside_expansion, ..pushdown }
        }
        _ => return None,
    })
}

/// A literal date-time in the one shape both the evaluator and chrono read the same way:
/// `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`, seconds below 60.
fn strict_instant(value: &CompValue) -> Option<DateTime<Utc>> {
    let CompValue::Str(s) = value else { return None };
    let b = s.as_bytes();
    if b.len() < 20 || b[10] != b'T' || b[17..19].iter().any(|c| !c.is_ascii_digit()) || &s[17..19] >= "60" {
        return None;
    }
    DateTime::parse_from_rfc3339(s).ok().map(|t| t.with_timezone(&Utc))
}

fn compare(path: &AttrPath, op: CompareOp, value: &CompValue, kind: ResourceKind) -> Pushdown {
    let translated = if names_core_attribute(path, kind.name_attribute(), kind) {
        string_literal(value).and_then(|lit| string_op(name_column(kind), op, fold_case(lit)))
    } else if names_core_attribute(path, "externalId", kind) || names_core_attribute(path, "id", kind) {
        let col = if path.name.eq_ignore_ascii_case("id") { "id_fold" } else { "external_id_fold" };
        match (op, string_literal(value)) {
            (CompareOp::Eq, Some(lit)) if lit.contains('\0') => Some(Pushdown::exact("false".to_owned(), Vec::new())),
            (CompareOp::Eq, Some(lit)) => {
                Some(Pushdown::superset(format!("{col} = ?"), vec![Param::Text(fold_case(lit))]))
            }
            _ => None,
        }
    } else if kind == ResourceKind::User
        && (is_core_sub(path, "emails", Some("value"), kind) || is_core_sub(path, "emails", None, kind))
    {
        email_eq(op, value)
    } else if kind == ResourceKind::User && names_core_attribute(path, "active", kind) {
        match (op, value) {
            // The evaluator also accepts the strings "true"/"false" in any ASCII case (a
            // string of other than 4 or 5 bytes cannot be one).
            (CompareOp::Eq, CompValue::Bool(b)) => {
                let word = if *b { "true" } else { "false" };
                Some(Pushdown::exact(
                    "((jsonb_typeof(doc->'active') = 'boolean' AND doc->>'active' = ?) OR \
                     (jsonb_typeof(doc->'active') = 'string' AND octet_length(doc->>'active') = ? \
                     AND lower(doc->>'active') = ?))"
                        .to_owned(),
                    vec![Param::Text(word.into()), Param::Int(word.len() as i32), Param::Text(word.into())],
                ))
            }
            _ => None,
        }
    } else if is_core_sub(path, "meta", Some("created"), kind) || is_core_sub(path, "meta", Some("lastModified"), kind)
    {
        let col = if path.sub_attr.as_deref().is_some_and(|s| s.eq_ignore_ascii_case("created")) {
            "created"
        } else {
            "last_modified"
        };
        strict_instant(value).and_then(|t| time_range(col, op, t))
    } else {
        None
    };
    translated.unwrap_or_else(Pushdown::none)
}

/// `emails.value eq "x"` / `emails eq "x"`: users with an e-mail value equal to `x` ignoring
/// case (a superset of what either comparison accepts).
fn email_eq(op: CompareOp, value: &CompValue) -> Option<Pushdown> {
    match (op, string_literal(value)) {
        (CompareOp::Eq, Some(lit)) if lit.contains('\0') => Some(Pushdown::exact("false".to_owned(), Vec::new())),
        (CompareOp::Eq, Some(lit)) => {
            Some(Pushdown::superset("emails_fold @> ?".to_owned(), vec![Param::TextArray(vec![fold_case(lit)])]))
        }
        _ => None,
    }
}

/// A superset of `col op t`: the column is the stored time, the evaluator compares the
/// document's text; a millisecond of slack either way covers any difference in precision.
fn time_range(col: &str, op: CompareOp, t: DateTime<Utc>) -> Option<Pushdown> {
    let slack = Duration::milliseconds(1);
    let (lo, hi) = (t - slack, t + slack);
    let (sql, params) = match op {
        CompareOp::Eq => (format!("{col} >= ? AND {col} <= ?"), vec![Param::Time(lo), Param::Time(hi)]),
        CompareOp::Gt | CompareOp::Ge => (format!("{col} >= ?"), vec![Param::Time(lo)]),
        CompareOp::Lt | CompareOp::Le => (format!("{col} <= ?"), vec![Param::Time(hi)]),
        _ => return None,
    };
    Some(Pushdown::superset(sql, params))
}

/// `emails[value eq "x"]` (and `emails[value eq "x" and …]`): a superset through the e-mail
/// values.
fn value_path(attr: &AttrPath, filter: &Filter, kind: ResourceKind) -> Pushdown {
    if kind != ResourceKind::User || !names_core_attribute(attr, "emails", kind) {
        return Pushdown::none();
    }
    match filter {
        Filter::Compare { path, op, value }
            if path.urn.is_none() && path.sub_attr.is_none() && path.name.eq_ignore_ascii_case("value") =>
        {
            email_eq(*op, value).unwrap_or_else(Pushdown::none)
        }
        Filter::And(a, b) => {
            let a = value_path(attr, a, kind);
            if a.condition.is_some() {
                Pushdown { exact: false, ..a }
            } else {
                Pushdown { exact: false, ..value_path(attr, b, kind) }
            }
        }
        _ => Pushdown::none(),
    }
}

fn present(path: &AttrPath, kind: ResourceKind) -> Pushdown {
    let col = if names_core_attribute(path, kind.name_attribute(), kind) {
        name_column(kind)
    } else if names_core_attribute(path, "externalId", kind) {
        "external_id_fold"
    } else {
        return Pushdown::none();
    };
    Pushdown::exact(format!("{col} IS NOT NULL AND {col} <> ''"), Vec::new())
}

/// Replaces the `?` placeholders of `sql` with `$first`, `$first + 1`, ….
pub(crate) fn number_placeholders(sql: &str, first: usize) -> String {
    let mut out = String::with_capacity(sql.len() + 16);
    let mut n = first;
    for c in sql.chars() {
        if c == '?' {
            out.push('$');
            out.push_str(&n.to_string());
            n += 1;
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmp(name: &str, op: CompareOp, v: &str) -> Filter {
        Filter::Compare { path: AttrPath::new(name), op, value: CompValue::Str(v.into()) }
    }

    #[test]
    fn user_name_eq_is_exact_and_folded() {
        let p = translate(&cmp("USERNAME", CompareOp::Eq, "ÄBC@x.org"), ResourceKind::User);
        assert!(p.exact);
        let c = p.condition.unwrap();
        assert_eq!(c.sql, "user_name_fold = ?");
        assert_eq!(c.params, vec![Param::Text("äbc@x.org".into())]);
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
    fn lookups_by_id_external_id_and_email_are_supersets() {
        for f in
            [cmp("id", CompareOp::Eq, "A"), cmp("externalId", CompareOp::Eq, "A"), cmp("emails", CompareOp::Eq, "A@x")]
        {
            let p = translate(&f, ResourceKind::User);
            assert!(!p.exact && p.condition.is_some(), "{f:?}");
        }
        let mut emails_value = AttrPath::new("emails");
        emails_value.sub_attr = Some("value".into());
        let f = Filter::Compare { path: emails_value, op: CompareOp::Eq, value: CompValue::Str("B@x".into()) };
        assert_eq!(
            translate(&f, ResourceKind::User).condition.unwrap().params,
            vec![Param::TextArray(vec!["b@x".into()])]
        );
        assert!(translate(&cmp("emails", CompareOp::Eq, "A@x"), ResourceKind::Group).condition.is_none());
    }

    #[test]
    fn date_like_literals_and_external_id_sw_are_not_pushed() {
        assert!(
            translate(&cmp("userName", CompareOp::Eq, "2024-01-01T00:00:00Z"), ResourceKind::User).condition.is_none()
        );
        assert!(translate(&cmp("externalId", CompareOp::Sw, "a"), ResourceKind::User).condition.is_none());
        assert!(translate(&cmp("active", CompareOp::Eq, "true"), ResourceKind::User).condition.is_none());
    }

    #[test]
    fn only_strict_date_times_are_pushed() {
        assert!(strict_instant(&CompValue::Str("2024-01-01T00:00:00Z".into())).is_some());
        assert!(strict_instant(&CompValue::Str("2024-01-01T00:00:00.123+02:00".into())).is_some());
        assert!(strict_instant(&CompValue::Str("2024-01-01 00:00:00Z".into())).is_none());
        assert!(strict_instant(&CompValue::Str("2016-12-31T23:59:60Z".into())).is_none());
        assert!(strict_instant(&CompValue::Str("2024-01-01T00:00:00".into())).is_none());
    }

    #[test]
    fn literals_with_nul_match_nothing() {
        for f in [
            cmp("userName", CompareOp::Eq, "a\0"),
            cmp("userName", CompareOp::Co, "\0"),
            cmp("id", CompareOp::Eq, "x\0"),
            cmp("emails", CompareOp::Eq, "\0@x"),
        ] {
            let p = translate(&f, ResourceKind::User);
            let c = p.condition.expect("pushed down");
            assert_eq!((c.sql.as_str(), p.exact, c.params.len()), ("false", true, 0), "{f:?}");
        }
    }

    #[test]
    fn only_name_equality_is_a_unique_lookup() {
        assert!(is_unique_lookup(&cmp("userName", CompareOp::Eq, "a@x"), ResourceKind::User));
        assert!(is_unique_lookup(&cmp("displayName", CompareOp::Eq, "Admins"), ResourceKind::Group));
        assert!(!is_unique_lookup(&cmp("userName", CompareOp::Sw, "a"), ResourceKind::User));
        assert!(!is_unique_lookup(&cmp("displayName", CompareOp::Eq, "a"), ResourceKind::User));
        assert!(!is_unique_lookup(&cmp("userName", CompareOp::Eq, "2024-01-01T00:00:00Z"), ResourceKind::User));
    }

    #[test]
    fn placeholders_are_numbered_in_order() {
        assert_eq!(number_placeholders("a = ? AND b = ?", 2), "a = $2 AND b = $3");
    }
}
