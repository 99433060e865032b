//! Listing: pushed-down filter, sort and paging in SQL when the whole filter is exact;
//! otherwise SQL narrows the candidates and Rust filters, sorts and pages.

use crate::error::Error;
use crate::pushdown::{self, Condition, Table};
use chrono::{DateTime, Utc};
use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};
use scim_core::{ListQuery, SortKey, SortOrder, Version};
use scim_filter::AttrType;
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// Completes a decoded document (adds `groups` or `members`).
pub(crate) type Attach<'a> = dyn FnMut(&Connection, &mut Map<String, Value>) -> Result<(), Error> + 'a;

/// Parses a stored document and sets `meta.version` from the version column.
pub(crate) fn decode(doc: &str, version: i64) -> Result<Map<String, Value>, Error> {
    let mut map: Map<String, Value> = serde_json::from_str(doc)?;
    let meta = map.entry("meta").or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    if let Value::Object(meta) = meta {
        let v = Version::from_revision(u64::try_from(version).unwrap_or(0));
        meta.insert("version".into(), Value::String(v.as_str().to_owned()));
    }
    Ok(map)
}

/// The SQL column a sort key maps to, when SQL orders it exactly as [`compare_docs`] would.
fn sort_column(key: &SortKey, table: Table) -> Option<&'static str> {
    let p = &key.path;
    let core = p.urn.as_deref().is_none_or(|u| {
        u.eq_ignore_ascii_case(match table {
            Table::Users => scim_core::urn::USER,
            Table::Groups => scim_core::urn::GROUP,
        })
    });
    if !core {
        return None;
    }
    let name_attr = match table {
        Table::Users => "userName",
        Table::Groups => "displayName",
    };
    match (p.name.as_str(), p.sub_attr.as_deref()) {
        (n, None) if n.eq_ignore_ascii_case(name_attr) => Some(table.name_column()),
        (n, None) if n.eq_ignore_ascii_case("id") => Some("id"),
        (n, None) if n.eq_ignore_ascii_case("externalId") => Some("external_id"),
        (n, Some(s)) if n.eq_ignore_ascii_case("meta") && s.eq_ignore_ascii_case("created") => Some("created"),
        (n, Some(s)) if n.eq_ignore_ascii_case("meta") && s.eq_ignore_ascii_case("lastModified") => {
            Some("last_modified")
        }
        _ => None,
    }
}

/// Lists one page; returns `(total_results, page)`.
///
/// `attach` completes documents; it runs on every candidate before the Rust evaluation when
/// `attach_for_eval` (the filter or sort names the attached attribute), and on the page's
/// items otherwise when `attach_page`.
pub(crate) fn list(
    conn: &Connection,
    table: Table,
    tenant: &str,
    query: &ListQuery,
    attach: &mut Attach<'_>,
    attach_for_eval: bool,
    attach_page: bool,
) -> Result<(usize, Vec<Map<String, Value>>), Error> {
    let t = match table {
        Table::Users => "users",
        Table::Groups => "groups",
    };
    let pushed = query.filter.as_ref().map(|f| pushdown::translate(&f.filter, table));
    let exact = pushed.as_ref().is_none_or(|p| p.exact);
    let condition = pushed.and_then(|p| p.condition).unwrap_or_default();
    let (where_sql, mut params) = where_clause(tenant, condition);
    let sql_sort = match &query.sort_by {
        None => Some(None),
        Some(key) => sort_column(key, table).map(Some),
    };

    if let (true, Some(column), false) = (exact, sql_sort, attach_for_eval) {
        let total: i64 =
            conn.prepare_cached(&format!("SELECT count(*) FROM {t} {where_sql}"))?.query_row(
                params_from_iter(params.iter()),
                |r| r.get(0),
            )?;
        let total = usize::try_from(total).unwrap_or(0);
        let offset = query.start_index.saturating_sub(1);
        let mut items = Vec::new();
        if query.count > 0 && offset < total {
            let order = match (column, query.sort_order) {
                (None, _) => "seq".to_owned(),
                (Some(c), SortOrder::Ascending) => format!("{c} IS NULL, {c}, seq"),
                (Some(c), SortOrder::Descending) => format!("{c} IS NULL, {c} DESC, seq"),
            };
            params.push(SqlValue::Integer(i64::try_from(query.count).unwrap_or(i64::MAX)));
            params.push(SqlValue::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
            let mut stmt =
                conn.prepare_cached(&format!("SELECT version, doc FROM {t} {where_sql} ORDER BY {order} LIMIT ? OFFSET ?"))?;
            let mut rows = stmt.query(params_from_iter(params.iter()))?;
            while let Some(row) = rows.next()? {
                let doc: String = row.get(1)?;
                items.push(decode(&doc, row.get(0)?)?);
            }
            if attach_page {
                for item in &mut items {
                    attach(conn, item)?;
                }
            }
        }
        return Ok((total, items));
    }

    // Candidates from SQL (a superset), the exact answer from the compiled filter.
    let mut stmt = conn.prepare_cached(&format!("SELECT version, doc FROM {t} {where_sql} ORDER BY seq"))?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    let mut matches = Vec::new();
    while let Some(row) = rows.next()? {
        let doc: String = row.get(1)?;
        let mut doc = decode(&doc, row.get(0)?)?;
        if attach_for_eval {
            attach(conn, &mut doc)?;
        }
        let doc = Value::Object(doc);
        if query.filter.as_ref().is_none_or(|f| f.compiled.matches(&doc)) {
            if let Value::Object(doc) = doc {
                matches.push(doc);
            }
        }
    }
    if let Some(key) = &query.sort_by {
        let mut keyed: Vec<(Option<SortValue>, Map<String, Value>)> =
            matches.into_iter().map(|d| (sort_value(&d, key), d)).collect();
        keyed.sort_by(|a, b| compare_keys(a.0.as_ref(), b.0.as_ref(), query.sort_order));
        matches = keyed.into_iter().map(|(_, d)| d).collect();
    }
    let total = matches.len();
    let offset = query.start_index.saturating_sub(1);
    let mut items: Vec<_> = matches.into_iter().skip(offset).take(query.count).collect();
    if attach_page && !attach_for_eval {
        for item in &mut items {
            attach(conn, item)?;
        }
    }
    Ok((total, items))
}

fn where_clause(tenant: &str, condition: Condition) -> (String, Vec<SqlValue>) {
    let mut params = vec![SqlValue::Text(tenant.to_owned())];
    let sql = if condition.sql.is_empty() {
        "WHERE tenant = ?".to_owned()
    } else {
        params.extend(condition.params);
        format!("WHERE tenant = ? AND ({})", condition.sql)
    };
    (sql, params)
}

/// A sortable value.
#[derive(Debug, PartialEq)]
enum SortValue {
    Bool(bool),
    Number(f64),
    Time(DateTime<Utc>),
    Text(String),
}

/// Finds `name` in `obj`: exactly, then ignoring case.
fn get_ci<'a>(obj: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)).map(|(_, v)| v))
}

/// For a multi-valued attribute, the primary value (or the first).
fn pick(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => {
            items.iter().find(|i| i.get("primary").and_then(Value::as_bool) == Some(true)).or_else(|| items.first())
        }
        other => Some(other),
    }
}

fn sort_value(doc: &Map<String, Value>, key: &SortKey) -> Option<SortValue> {
    let keys: Vec<String> = match &key.facts {
        Some(f) => f.keys.clone(),
        None => {
            let mut k = Vec::new();
            if let Some(urn) = &key.path.urn {
                if get_ci(doc, urn).is_some() {
                    k.push(urn.clone());
                }
            }
            k.push(key.path.name.clone());
            k.extend(key.path.sub_attr.clone());
            k
        }
    };
    let mut current: Option<&Value> = None;
    for (i, k) in keys.iter().enumerate() {
        let obj = if i == 0 { doc } else { pick(current?)?.as_object()? };
        current = Some(get_ci(obj, k)?);
    }
    let value = pick(current?)?;
    let (attr_type, case_exact) = key.facts.as_ref().map_or((None, false), |f| (Some(f.attr_type), f.case_exact));
    match value {
        Value::Bool(b) => Some(SortValue::Bool(*b)),
        Value::Number(n) => n.as_f64().map(SortValue::Number),
        Value::String(s) => {
            if matches!(attr_type, Some(AttrType::DateTime) | None) {
                if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                    return Some(SortValue::Time(t.with_timezone(&Utc)));
                }
            }
            Some(SortValue::Text(if case_exact { s.clone() } else { crate::pushdown::lower(s) }))
        }
        _ => None,
    }
}

fn rank(v: &SortValue) -> u8 {
    match v {
        SortValue::Bool(_) => 0,
        SortValue::Number(_) => 1,
        SortValue::Time(_) => 2,
        SortValue::Text(_) => 3,
    }
}

/// Missing values sort last in both directions; ties keep creation order (stable sort).
fn compare_keys(a: Option<&SortValue>, b: Option<&SortValue>, order: SortOrder) -> Ordering {
    match (a, b) {
        (None, None) => Ordering::Equal,
        (None, Some(_)) => Ordering::Greater,
        (Some(_), None) => Ordering::Less,
        (Some(a), Some(b)) => {
            let o = match (a, b) {
                (SortValue::Bool(x), SortValue::Bool(y)) => x.cmp(y),
                (SortValue::Number(x), SortValue::Number(y)) => x.total_cmp(y),
                (SortValue::Time(x), SortValue::Time(y)) => x.cmp(y),
                (SortValue::Text(x), SortValue::Text(y)) => x.cmp(y),
                _ => rank(a).cmp(&rank(b)),
            };
            match order {
                SortOrder::Ascending => o,
                SortOrder::Descending => o.reverse(),
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim_filter::AttrPath;
    use serde_json::json;

    #[test]
    fn sort_value_reads_primary_sub_attribute_and_lowercases() {
        let doc = json!({"emails": [{"value": "B@x"}, {"value": "A@X", "primary": true}]});
        let key = SortKey { path: AttrPath::new("emails").with_sub_attr("value"), facts: None };
        assert_eq!(sort_value(doc.as_object().unwrap(), &key), Some(SortValue::Text("a@x".into())));
    }

    #[test]
    fn missing_values_sort_last_in_both_orders() {
        let v = SortValue::Number(1.0);
        assert_eq!(compare_keys(None, Some(&v), SortOrder::Ascending), Ordering::Greater);
        assert_eq!(compare_keys(None, Some(&v), SortOrder::Descending), Ordering::Greater);
    }

    #[test]
    fn decode_sets_the_version() {
        let doc = decode(r#"{"id":"1","meta":{"created":"x"}}"#, 3).unwrap();
        assert_eq!(doc["meta"]["version"], "W/\"3\"");
        assert_eq!(doc["meta"]["created"], "x");
    }
}
