//! Listing: pushed-down filter, sort and paging in SQL when the whole filter is exact;
//! otherwise SQL narrows the candidates and Rust filters, sorts and pages.

use crate::error::Error;
use crate::jsonb;
use crate::pushdown::{self, Condition, KindTable};
use crate::users::millis;
use rusqlite::types::{Value as SqlValue, ValueRef};
use rusqlite::{Connection, Row, params_from_iter};
use scim_core::store::{Keyset, ListQuery, Seek, SortKey, SortOrder, SortValue, compare_sort_values, sort_then_seek};
use scim_core::{ResourceKind, Version};
use serde_json::{Map, Value};
use std::collections::BinaryHeap;

/// Completes decoded documents (adds `groups` or `members`), several at a time.
pub(crate) type Attach<'a> = dyn FnMut(&Connection, &mut [Map<String, Value>]) -> Result<(), Error> + 'a;

/// Candidates completed and evaluated together when the evaluation needs `attach`.
const EVAL_CHUNK: usize = 256;

/// Sets `meta.version` of a decoded document from the version column.
fn with_version(mut map: Map<String, Value>, version: i64) -> Map<String, Value> {
    let meta = map.entry("meta").or_insert_with(|| Value::Object(Map::new()));
    if !meta.is_object() {
        *meta = Value::Object(Map::new());
    }
    if let Value::Object(meta) = meta {
        let v = Version::from_revision(u64::try_from(version).unwrap_or(0));
        meta.insert("version".into(), Value::String(v.as_str().to_owned()));
    }
    map
}

/// Parses a stored JSON text document and sets `meta.version` from the version column.
pub(crate) fn decode(doc: &[u8], version: i64) -> Result<Map<String, Value>, Error> {
    // One validation of the whole text is cheaper than serde_json's check of every string.
    let doc = std::str::from_utf8(doc).map_err(|e| Error::Sqlite(rusqlite::Error::Utf8Error(e)))?;
    Ok(with_version(serde_json::from_str(doc)?, version))
}

/// Decodes the document of a row whose columns `at` and `at + 1` are `version, doc`, reading
/// it where SQLite holds it (no copy): JSONB (a blob: users) or JSON text (groups).
pub(crate) fn decode_row(row: &Row<'_>, at: usize) -> Result<Map<String, Value>, Error> {
    let version: i64 = row.get(at)?;
    match row.get_ref(at + 1)? {
        ValueRef::Blob(doc) => Ok(with_version(jsonb::decode_object(doc)?, version)),
        ValueRef::Text(doc) => decode(doc, version),
        other => Err(Error::Sqlite(rusqlite::Error::InvalidColumnType(at + 1, "doc".to_owned(), other.data_type()))),
    }
}

/// Completes a document from the value of a [`PageColumn`].
pub(crate) type FinishFn = fn(&mut Map<String, Value>, ValueRef<'_>) -> Result<(), Error>;

/// An extra column read with each document of a page, and how it completes the document
/// (the user's `groups`, so a page needs no other query).
pub(crate) struct PageColumn {
    /// SQL of the column; it may refer to the table's row by the table's name.
    pub(crate) sql: &'static str,
    /// Completes a document from the column's value.
    pub(crate) finish: FinishFn,
}

/// The SQL column a sort key maps to, when SQL orders it as [`compare_sort_values`] does.
fn sort_column(key: &SortKey, kind: ResourceKind) -> Option<&'static str> {
    let p = &key.path;
    let core = p.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(kind.core_urn()));
    if !core {
        return None;
    }
    let name_attr = kind.name_attribute();
    // Strings sort folded unless the schema says `caseExact`.
    let exact = key.facts.as_ref().is_some_and(|f| f.case_exact);
    match (p.name.as_str(), p.sub_attr.as_deref()) {
        (n, None) if n.eq_ignore_ascii_case(name_attr) => (!exact).then_some(kind.name_column()),
        (n, None) if n.eq_ignore_ascii_case("id") => Some(if exact { "id" } else { "id_fold" }),
        (n, None) if n.eq_ignore_ascii_case("externalId") => {
            Some(if exact { "external_id" } else { "external_id_fold" })
        }
        (n, Some(s)) if n.eq_ignore_ascii_case("meta") && s.eq_ignore_ascii_case("created") => Some("created"),
        (n, Some(s)) if n.eq_ignore_ascii_case("meta") && s.eq_ignore_ascii_case("lastModified") => {
            Some("last_modified")
        }
        _ => None,
    }
}

/// One page: `total_results`, the documents, and (for a keyset query) their keysets.
pub(crate) type Listed = (usize, Vec<Map<String, Value>>, Vec<Keyset>);

/// A keyset's sort value as the SQL sort column holds it.
fn column_value(column: &str, value: &SortValue) -> SqlValue {
    match value {
        SortValue::Time(t) if column == "created" || column == "last_modified" => SqlValue::Integer(millis(*t)),
        SortValue::Str(s) => SqlValue::Text(s.clone()),
        SortValue::Bool(b) => SqlValue::Integer(i64::from(*b)),
        SortValue::Number(n) => SqlValue::Real(*n),
        SortValue::Time(t) => SqlValue::Text(t.to_rfc3339()),
    }
}

/// The condition (with its parameters) that keeps the rows strictly after (`forward`) or
/// before a keyset in the order of `column` (`None`: creation order), as `ORDER BY` of
/// [`list`] orders them: missing values last ascending, first descending, ties by `seq`.
fn keyset_condition(column: Option<&str>, order: SortOrder, at: &Keyset, forward: bool) -> (String, Vec<SqlValue>) {
    let seq = SqlValue::Integer(i64::try_from(at.seq).unwrap_or(i64::MAX));
    let Some(c) = column else {
        return (if forward { "seq > ?" } else { "seq < ?" }.to_owned(), vec![seq]);
    };
    // Whether the rows sought lie towards larger values (and missing ones, which sort as the
    // largest of all).
    let up = forward == (order == SortOrder::Ascending);
    let seq_op = if forward { ">" } else { "<" };
    match &at.value {
        Some(v) => {
            let v = column_value(c, v);
            let (op, nulls) = if up { (">", format!(" OR {c} IS NULL")) } else { ("<", String::new()) };
            (format!("({c} {op} ? OR ({c} = ? AND seq {seq_op} ?){nulls})"), vec![v.clone(), v, seq])
        }
        None if up => (format!("({c} IS NULL AND seq {seq_op} ?)"), vec![seq]),
        None => (format!("({c} IS NOT NULL OR seq {seq_op} ?)"), vec![seq]),
    }
}

/// The keyset of a document at row `seq` under `query`'s sort.
fn keyset_of(query: &ListQuery, doc: &mut Map<String, Value>, seq: i64) -> Keyset {
    Keyset::of_document(query.sort_by.as_ref(), doc, u64::try_from(seq).unwrap_or(0))
}

/// Lists one page; returns `(total_results, page, keysets)`.
///
/// `attach` completes documents; it runs on every candidate before the Rust evaluation when
/// `attach_for_eval` (the filter or sort names the attached attribute), and on the page's
/// items otherwise when `attach_page`. When SQL answers the whole query and `page_column` is
/// given, the page's documents are completed from that column instead (same statement).
#[allow(clippy::too_many_arguments)] // internal; each caller names every argument
pub(crate) fn list(
    conn: &Connection,
    kind: ResourceKind,
    tenant: &str,
    query: &ListQuery,
    attach: &mut Attach<'_>,
    attach_for_eval: bool,
    attach_page: bool,
    page_column: Option<&PageColumn>,
) -> Result<Listed, Error> {
    let t = kind.table();
    let pushed = query.filter.as_ref().map(|f| pushdown::translate(&f.filter, kind));
    let exact = pushed.as_ref().is_none_or(|p| p.exact);
    let condition = pushed.and_then(|p| p.condition).unwrap_or_default();
    let has_condition = !condition.sql.is_empty();
    // Rust-evaluated lists read candidates in creation order; with a condition, `+seq` keeps
    // the planner from walking the tenant in creation order (the `users_tenant` index)
    // instead of using the condition's index.
    let seq_order = if has_condition { "+seq" } else { "seq" };
    let (where_sql, params) = where_clause(tenant, condition);
    let forward = !matches!(query.seek, Some(Seek::Before(_)));
    let sql_sort = match &query.sort_by {
        None => Some(None),
        Some(key) => sort_column(key, kind).map(Some),
    };

    if let (true, Some(column), false) = (exact, sql_sort, attach_for_eval) {
        let count_rows = |params: &[SqlValue]| -> Result<usize, Error> {
            let total: i64 = conn
                .prepare_cached(&format!("SELECT count(*) FROM {t} {where_sql}"))?
                .query_row(params_from_iter(params.iter()), |r| r.get(0))?;
            Ok(usize::try_from(total).unwrap_or(0))
        };
        let offset = if query.seek.is_some() { 0 } else { query.start_index.saturating_sub(1) };
        if query.count == 0 {
            return Ok((count_rows(&params)?, Vec::new(), Vec::new()));
        }
        let mut items = Vec::new();
        let mut known_total = None;
        let seqs: Vec<i64>;
        {
            // Order and page on the index (row ids only), then read the page's documents, so
            // sorting never copies documents that are not on the page.
            seqs = match (column, has_condition) {
                (None, true) if query.seek.is_none() => {
                    // Creation order under a condition: SQL would sort every candidate in a
                    // temporary b-tree and count them again for the total; one pass over the
                    // condition's (covering) index keeps the page's row ids and the count.
                    let (seqs, total) = page_in_creation_order(conn, t, &where_sql, &params, offset, query.count)?;
                    known_total = Some(total);
                    seqs
                }
                _ => {
                    // As `compare_sort_values`: missing values last ascending, first descending;
                    // ties in creation order either way. A backward keyset page reads the
                    // reverse order, then turns it round.
                    let order = match (column, query.sort_order, forward) {
                        (None, _, true) => "seq".to_owned(),
                        (None, _, false) => "seq DESC".to_owned(),
                        (Some(c), SortOrder::Ascending, true) => format!("{c} IS NULL, {c}, seq"),
                        (Some(c), SortOrder::Descending, true) => format!("{c} IS NULL DESC, {c} DESC, seq"),
                        (Some(c), SortOrder::Ascending, false) => format!("{c} IS NULL DESC, {c} DESC, seq DESC"),
                        (Some(c), SortOrder::Descending, false) => format!("{c} IS NULL, {c}, seq DESC"),
                    };
                    let mut page_params = params.clone();
                    let mut where_sql = where_sql.clone();
                    if let Some(Seek::After(at) | Seek::Before(at)) = &query.seek {
                        let (sql, keyset_params) = keyset_condition(column, query.sort_order, at, forward);
                        where_sql = format!("{where_sql} AND {sql}");
                        page_params.extend(keyset_params);
                    }
                    page_params.push(SqlValue::Integer(i64::try_from(query.count).unwrap_or(i64::MAX)));
                    page_params.push(SqlValue::Integer(i64::try_from(offset).unwrap_or(i64::MAX)));
                    let mut stmt = conn.prepare_cached(&format!(
                        "SELECT seq FROM {t} {where_sql} ORDER BY {order} LIMIT ? OFFSET ?"
                    ))?;
                    let mut seqs = stmt
                        .query_map(params_from_iter(page_params.iter()), |r| r.get::<_, i64>(0))?
                        .collect::<Result<Vec<_>, _>>()?;
                    if !forward {
                        seqs.reverse();
                    }
                    seqs
                }
            };
            let page_column = page_column.filter(|_| attach_page);
            let extra = page_column.map_or(String::new(), |c| format!(", {}", c.sql));
            let complete = |row: &Row<'_>| -> Result<Map<String, Value>, Error> {
                let mut doc = decode_row(row, 0)?;
                if let Some(c) = page_column {
                    (c.finish)(&mut doc, row.get_ref(2)?)?;
                }
                Ok(doc)
            };
            if let [seq] = seqs[..] {
                let mut by_seq = conn.prepare_cached(&format!("SELECT version, doc{extra} FROM {t} WHERE seq = ?1"))?;
                let mut rows = by_seq.query([seq])?;
                if let Some(row) = rows.next()? {
                    items.push(complete(row)?);
                }
            } else if !seqs.is_empty() {
                // The whole page in one statement: the row ids as a JSON array, each row found
                // by its id; the array index puts every document back in its place.
                let ids = seqs.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
                let mut stmt = conn.prepare_cached(&format!(
                    "SELECT {t}.version, {t}.doc{extra}, page.key FROM json_each(?1) AS page \
                     CROSS JOIN {t} ON {t}.seq = page.value"
                ))?;
                let mut rows = stmt.query([format!("[{ids}]")])?;
                let mut slots: Vec<Option<Map<String, Value>>> = vec![None; seqs.len()];
                let at = if page_column.is_some() { 3 } else { 2 };
                while let Some(row) = rows.next()? {
                    let slot = usize::try_from(row.get::<_, i64>(at)?).ok().and_then(|k| slots.get_mut(k));
                    if let Some(slot) = slot {
                        *slot = Some(complete(row)?);
                    }
                }
                // Every row id is there: the ids were read in this same read transaction.
                items.extend(slots.into_iter().flatten());
            }
        }
        let mut keys = Vec::new();
        if query.seek.is_some() {
            keys = items.iter_mut().zip(&seqs).map(|(doc, seq)| keyset_of(query, doc, *seq)).collect();
        }
        // A page that is not full, and not past the end, tells the total without counting
        // (an `eq` lookup then costs one index probe). A keyset page after the first does not.
        let from_start = matches!(query.seek, None | Some(Seek::First));
        let total = if let Some(total) = known_total {
            total
        } else if from_start && items.len() < query.count && (!items.is_empty() || offset == 0) {
            offset + items.len()
        } else {
            count_rows(&params)?
        };
        if attach_page && page_column.is_none() {
            attach(conn, &mut items)?;
        }
        return Ok((total, items, keys));
    }

    // Candidates from SQL (a superset), the exact answer from the compiled filter.
    let mut stmt =
        conn.prepare_cached(&format!("SELECT version, doc, seq FROM {t} {where_sql} ORDER BY {seq_order}"))?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    let mut matches = Vec::new();
    let mut chunk = Vec::new();
    let mut chunk_seqs = Vec::new();
    let mut evaluate = |chunk: &mut Vec<Map<String, Value>>,
                        seqs: &mut Vec<i64>,
                        matches: &mut Vec<(i64, Value)>|
     -> Result<(), Error> {
        if attach_for_eval {
            attach(conn, chunk)?;
        }
        for (doc, seq) in chunk.drain(..).zip(seqs.drain(..)) {
            let doc = Value::Object(doc);
            if query.filter.as_ref().is_none_or(|f| f.compiled.matches(&doc)) {
                matches.push((seq, doc));
            }
        }
        Ok(())
    };
    while let Some(row) = rows.next()? {
        chunk.push(decode_row(row, 0)?);
        chunk_seqs.push(row.get::<_, i64>(2)?);
        if chunk.len() >= EVAL_CHUNK {
            evaluate(&mut chunk, &mut chunk_seqs, &mut matches)?;
        }
    }
    evaluate(&mut chunk, &mut chunk_seqs, &mut matches)?;
    let as_map = |d: Value| match d {
        Value::Object(m) => Some(m),
        _ => None,
    };
    if query.seek.is_some() {
        let hits = matches
            .into_iter()
            .map(|(seq, d)| {
                let value = query.sort_by.as_ref().and_then(|k| k.value_of(&d));
                (Keyset::new(value, u64::try_from(seq).unwrap_or(0)), d)
            })
            .collect();
        let page = sort_then_seek(hits, query);
        let keys = page.keys;
        let mut items: Vec<Map<String, Value>> = page.items.into_iter().filter_map(as_map).collect();
        if attach_page && !attach_for_eval {
            attach(conn, &mut items)?;
        }
        return Ok((page.total_results, items, keys));
    }
    let matches: Vec<Value> = matches.into_iter().map(|(_, d)| d).collect();
    let mut matches = matches;
    if let Some(key) = &query.sort_by {
        // The shared order of every store; the sort is stable, so ties keep creation order.
        let mut keyed: Vec<(Option<SortValue>, Value)> = matches.into_iter().map(|d| (key.value_of(&d), d)).collect();
        keyed.sort_by(|a, b| compare_sort_values(a.0.as_ref(), b.0.as_ref(), query.sort_order));
        matches = keyed.into_iter().map(|(_, d)| d).collect();
    }
    let total = matches.len();
    let offset = query.start_index.saturating_sub(1);
    let mut items: Vec<Map<String, Value>> =
        matches.into_iter().skip(offset).take(query.count).filter_map(as_map).collect();
    if attach_page && !attach_for_eval {
        attach(conn, &mut items)?;
    }
    Ok((total, items, Vec::new()))
}

/// The row ids of rows `offset..offset + count` in creation order among those matching
/// `where_sql`, and how many match, from one pass over the matching row ids (no sort of all
/// candidates, no second pass to count them).
fn page_in_creation_order(
    conn: &Connection,
    t: &str,
    where_sql: &str,
    params: &[SqlValue],
    offset: usize,
    count: usize,
) -> Result<(Vec<i64>, usize), Error> {
    let keep = offset.saturating_add(count);
    let mut stmt = conn.prepare_cached(&format!("SELECT seq FROM {t} {where_sql}"))?;
    let mut rows = stmt.query(params_from_iter(params.iter()))?;
    // The `keep` smallest row ids seen so far, largest on top.
    let mut smallest: BinaryHeap<i64> = BinaryHeap::new();
    let mut total = 0usize;
    while let Some(row) = rows.next()? {
        total += 1;
        let seq: i64 = row.get(0)?;
        if smallest.len() < keep {
            smallest.push(seq);
        } else if let Some(mut top) = smallest.peek_mut() {
            if seq < *top {
                *top = seq;
            }
        }
    }
    let mut seqs = smallest.into_sorted_vec();
    let page = seqs.split_off(offset.min(seqs.len()));
    Ok((page, total))
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decode_sets_the_version() {
        let doc = decode(br#"{"id":"1","meta":{"created":"x"}}"#, 3).unwrap();
        assert_eq!(doc["meta"]["version"], "W/\"3\"");
        assert_eq!(doc["meta"]["created"], "x");
    }
}
