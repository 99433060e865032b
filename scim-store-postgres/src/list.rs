//! Lists: the filter pushed down as far as SQL answers it exactly; then either SQL filters,
//! sorts, pages and counts in one statement, or SQL selects the candidates and the compiled
//! filter, the shared sort order and the paging run in Rust.

use crate::error::Error;
use crate::groups::MEMBERS_COLUMN;
use crate::pushdown::{self, Condition, Param};
use crate::users::{GROUPS_COLUMN, resource_at, set_array};
use futures_util::TryStreamExt;
use scim_core::store::{Keyset, ListQuery, Seek, SortKey, SortOrder, SortValue, sort_then_page, sort_then_seek};
use scim_core::{Page, ResourceKind};
use scim_query::AttrType;
use serde_json::{Map, Value};
use sqlx::postgres::PgArguments;
use sqlx::query::Query;
use sqlx::types::Json;
use sqlx::{AssertSqlSafe, PgPool, Postgres, Row};
use std::collections::HashMap;

/// How a kind's table is read: its name, alias, and the derived attribute (`groups` of a
/// user, `members` of a group) with the column that computes it.
struct Table {
    name: &'static str,
    alias: &'static str,
    derived: &'static str,
    derived_column: &'static str,
}

fn table(kind: ResourceKind) -> Table {
    match kind {
        ResourceKind::User => {
            Table { name: "scim_users", alias: "u", derived: "groups", derived_column: GROUPS_COLUMN }
        }
        ResourceKind::Group => {
            Table { name: "scim_groups", alias: "g", derived: "members", derived_column: MEMBERS_COLUMN }
        }
    }
}

fn bind_all<'q>(mut q: Query<'q, Postgres, PgArguments>, params: &'q [Param]) -> Query<'q, Postgres, PgArguments> {
    for p in params {
        q = match p {
            Param::Text(s) => q.bind(s.as_str()),
            Param::Int(i) => q.bind(*i),
            Param::BigInt(i) => q.bind(*i),
            Param::Float(f) => q.bind(*f),
            Param::Bool(b) => q.bind(*b),
            Param::TextArray(a) => q.bind(a.as_slice()),
            Param::Time(t) => q.bind(*t),
        };
    }
    q
}

/// The SQL `ORDER BY` of a sort key (see [`sql_column`]), reversed for a backward keyset page.
fn sql_order(column: Option<&str>, order: SortOrder, forward: bool) -> String {
    // Missing values last ascending, first descending; ties in creation order both ways.
    match (column, order, forward) {
        (None, _, true) => "seq".to_owned(),
        (None, _, false) => "seq DESC".to_owned(),
        (Some(c), SortOrder::Ascending, true) => format!("{c} ASC NULLS LAST, seq"),
        (Some(c), SortOrder::Descending, true) => format!("{c} DESC NULLS FIRST, seq"),
        (Some(c), SortOrder::Ascending, false) => format!("{c} DESC NULLS FIRST, seq DESC"),
        (Some(c), SortOrder::Descending, false) => format!("{c} ASC NULLS LAST, seq DESC"),
    }
}

/// The condition that keeps rows strictly after (`forward`) or before keyset `at` in the
/// order [`sql_order`] gives, its placeholders numbered from `$first`; and its parameters.
fn keyset_condition(
    column: Option<&str>,
    order: SortOrder,
    at: &Keyset,
    forward: bool,
    first: usize,
) -> (String, Vec<Param>) {
    let seq = Param::BigInt(i64::try_from(at.seq).unwrap_or(i64::MAX));
    let seq_op = if forward { ">" } else { "<" };
    let Some(c) = column else { return (format!("seq {seq_op} ${first}"), vec![seq]) };
    // Whether the rows sought lie towards larger values (missing ones sort as the largest).
    let up = forward == (order == SortOrder::Ascending);
    match &at.value {
        Some(v) => {
            let v = match v {
                SortValue::Str(s) => Param::Text(s.clone()),
                SortValue::Time(t) => Param::Time(*t),
                SortValue::Number(n) => Param::Float(*n),
                SortValue::Bool(b) => Param::Bool(*b),
            };
            let (op, nulls) = if up { (">", format!(" OR {c} IS NULL")) } else { ("<", String::new()) };
            let (a, b) = (first, first + 1);
            (format!("({c} {op} ${a} OR ({c} = ${a} AND seq {seq_op} ${b}){nulls})"), vec![v, seq])
        }
        None if up => (format!("({c} IS NULL AND seq {seq_op} ${first})"), vec![seq]),
        None => (format!("({c} IS NOT NULL OR seq {seq_op} ${first})"), vec![seq]),
    }
}

/// The keyset of a document at row `seq` under `query`'s sort.
fn keyset_of(query: &ListQuery, doc: &mut Map<String, Value>, seq: i64) -> Keyset {
    Keyset::of_document(query.sort_by.as_ref(), doc, u64::try_from(seq).unwrap_or(0))
}

/// The SQL column of a sort key when it orders exactly as
/// [`compare_sort_values`](scim_core::store::compare_sort_values) does on the documents:
/// the folded name (byte-wise, collation `"C"`) and the two `meta` times; `Some(None)` for
/// creation order (no sort key); `None` when no column does.
fn sql_column(kind: ResourceKind, key: Option<&SortKey>) -> Option<Option<&'static str>> {
    let Some(key) = key else { return Some(None) };
    let path = &key.path;
    let core = path.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(kind.core_urn()));
    let column = if !core {
        return None;
    } else if path.sub_attr.is_none() && path.name.eq_ignore_ascii_case(kind.name_attribute()) {
        // Folded unless the schema says caseExact.
        if key.facts.as_ref().is_some_and(|f| f.case_exact) {
            return None;
        }
        pushdown::name_column(kind)
    } else if path.name.eq_ignore_ascii_case("meta")
        && key.facts.as_ref().is_some_and(|f| f.attr_type == AttrType::DateTime)
    {
        match path.sub_attr.as_deref() {
            Some(s) if s.eq_ignore_ascii_case("created") => "created",
            Some(s) if s.eq_ignore_ascii_case("lastModified") => "last_modified",
            _ => return None,
        }
    } else {
        return None;
    };
    Some(Some(column))
}

/// Lists resources of `kind` in `tenant`.
pub(crate) async fn list(
    pool: &PgPool,
    kind: ResourceKind,
    tenant: &str,
    query: &ListQuery,
) -> Result<Page<Map<String, Value>>, Error> {
    let t = table(kind);
    let pushdown = match &query.filter {
        None => pushdown::Pushdown { condition: None, exact: true },
        Some(f) => pushdown::translate(&f.filter, kind),
    };
    let column = if pushdown.exact { sql_column(kind, query.sort_by.as_ref()) } else { None };
    // A page carries the derived attribute: always `groups` for users, `members` when asked.
    let page_needs_derived = kind == ResourceKind::User || query.include_members;
    let condition = pushdown.condition.unwrap_or_default();
    let where_sql = if condition.sql.is_empty() {
        format!("{}.tenant = $1", t.alias)
    } else {
        format!("{}.tenant = $1 AND ({})", t.alias, pushdown::number_placeholders(&condition.sql, 2))
    };
    let unique = query.filter.as_ref().is_some_and(|f| pushdown::is_unique_lookup(&f.filter, kind));
    match column {
        Some(_) if unique && query.seek.is_none() => {
            lookup(pool, &t, tenant, query, &where_sql, &condition, page_needs_derived).await
        }
        Some(column) => in_sql(pool, &t, tenant, query, &where_sql, &condition, column, page_needs_derived).await,
        None => in_rust(pool, &t, tenant, query, &where_sql, &condition, page_needs_derived).await,
    }
}

/// A lookup by the unique name attribute: at most one row, so its count is the number of rows
/// and one plain indexed query answers it (what Entra and Okta send before every create).
async fn lookup(
    pool: &PgPool,
    t: &Table,
    tenant: &str,
    query: &ListQuery,
    where_sql: &str,
    condition: &Condition,
    derived: bool,
) -> Result<Page<Map<String, Value>>, Error> {
    let (name, a) = (t.name, t.alias);
    let derived_column = if derived { t.derived_column } else { "NULL::jsonb" };
    let sql = format!("SELECT {a}.version, {a}.doc, {derived_column} FROM {name} {a} WHERE {where_sql}");
    let rows = bind_all(sqlx::query(AssertSqlSafe(sql)).bind(tenant), &condition.params).fetch_all(pool).await?;
    let total = rows.len();
    let mut items = Vec::with_capacity(total);
    for row in rows.iter().skip(query.start_index.saturating_sub(1)).take(query.count) {
        items.push(resource_at(row, 0, t.derived)?);
    }
    Ok(Page::new(total, query.start_index, items))
}

/// The whole list in one statement: the count and the page, from one snapshot.
#[allow(clippy::too_many_arguments)]
async fn in_sql(
    pool: &PgPool,
    t: &Table,
    tenant: &str,
    query: &ListQuery,
    where_sql: &str,
    condition: &Condition,
    column: Option<&str>,
    derived: bool,
) -> Result<Page<Map<String, Value>>, Error> {
    let (name, a) = (t.name, t.alias);
    let derived_column = if derived { t.derived_column } else { "NULL::jsonb" };
    let forward = !matches!(query.seek, Some(Seek::Before(_)));
    let order = sql_order(column, query.sort_order, forward);
    let mut next = condition.params.len() + 2;
    // A keyset page: the rows past the keyset, from the first (an index range, no offset).
    let (page_where, keyset_params) = match &query.seek {
        Some(Seek::After(at) | Seek::Before(at)) => {
            let (sql, params) = keyset_condition(column, query.sort_order, at, forward, next);
            next += params.len();
            (format!("{where_sql} AND {sql}"), params)
        }
        _ => (where_sql.to_owned(), Vec::new()),
    };
    let sql = format!(
        "SELECT total.n, p.version, p.doc, p.derived, p.seq FROM (SELECT count(*) AS n FROM {name} {a} WHERE {where_sql}) total \
         LEFT JOIN LATERAL (SELECT {a}.version, {a}.doc, {derived_column} AS derived, {a}.seq FROM {name} {a} \
         WHERE {page_where} ORDER BY {order} LIMIT ${next} OFFSET ${}) p ON true",
        next + 1
    );
    let limit = i64::try_from(query.count).unwrap_or(i64::MAX);
    let offset = if query.seek.is_some() { 0 } else { query.start_index.saturating_sub(1) };
    let offset = i64::try_from(offset).unwrap_or(i64::MAX);
    let q = bind_all(bind_all(sqlx::query(AssertSqlSafe(sql)).bind(tenant), &condition.params), &keyset_params)
        .bind(limit)
        .bind(offset);
    let rows = q.fetch_all(pool).await?;
    let mut total = 0usize;
    let mut items = Vec::with_capacity(rows.len());
    let mut keys = Vec::new();
    for row in rows {
        total = usize::try_from(row.try_get::<i64, _>(0)?).unwrap_or(0);
        // The count's row without a page row (a page past the end, or `count=0`).
        if row.try_get::<Option<i64>, _>(1)?.is_some() {
            let mut doc = resource_at(&row, 1, t.derived)?;
            if query.seek.is_some() {
                keys.push(keyset_of(query, &mut doc, row.try_get::<i64, _>(4)?));
            }
            items.push(doc);
        }
    }
    if !forward {
        items.reverse();
        keys.reverse();
    }
    let start_index = if query.seek.is_some() { 1 } else { query.start_index };
    Ok(Page::new(total, start_index, items).with_keys(keys))
}

/// Candidates from SQL, in creation order, evaluated, sorted and paged in Rust; one snapshot
/// (a repeatable-read transaction) for the candidates and the page's derived attributes.
async fn in_rust(
    pool: &PgPool,
    t: &Table,
    tenant: &str,
    query: &ListQuery,
    where_sql: &str,
    condition: &Condition,
    page_needs_derived: bool,
) -> Result<Page<Map<String, Value>>, Error> {
    let (name, a) = (t.name, t.alias);
    let for_eval = query.needs(t.derived);
    let derived_column = if for_eval { t.derived_column } else { "NULL::jsonb" };
    let sql = format!(
        "SELECT {a}.version, {a}.doc, {derived_column}, {a}.seq FROM {name} {a} WHERE {where_sql} ORDER BY {a}.seq"
    );
    let mut tx = pool.begin().await?;
    sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY").execute(&mut *tx).await?;
    let mut hits: Vec<(Keyset, Value)> = Vec::new();
    {
        let q = bind_all(sqlx::query(AssertSqlSafe(sql)).bind(tenant), &condition.params);
        let mut rows = q.fetch(&mut *tx);
        let mut seen = 0usize;
        while let Some(row) = rows.try_next().await? {
            // Decoding and evaluating a large tenant's rows takes a while: let the other tasks
            // of this worker thread run between chunks, so one broad filter does not stall them.
            seen += 1;
            if seen.is_multiple_of(256) {
                tokio::task::yield_now().await;
            }
            // The derived column is NULL unless the filter needs it (stored documents hold none).
            let doc = Value::Object(resource_at(&row, 0, t.derived)?);
            if query.filter.as_ref().is_none_or(|f| f.compiled.matches(&doc)) {
                let key = query.sort_by.as_ref().and_then(|k| k.value_of(&doc));
                let seq = u64::try_from(row.try_get::<i64, _>(3)?).unwrap_or(0);
                hits.push((Keyset::new(key, seq), doc));
            }
        }
    }
    let page = if query.seek.is_some() {
        sort_then_seek(hits, query)
    } else {
        sort_then_page(hits.into_iter().map(|(k, d)| (k.value, d)).collect(), query)
    };
    let keys = page.keys;
    let mut items: Vec<Map<String, Value>> = page
        .items
        .into_iter()
        .filter_map(|d| match d {
            Value::Object(m) => Some(m),
            _ => None,
        })
        .collect();
    if for_eval && !page_needs_derived {
        for doc in &mut items {
            doc.remove(t.derived);
        }
    } else if !for_eval && page_needs_derived && !items.is_empty() {
        let ids: Vec<String> =
            items.iter().filter_map(|d| d.get("id").and_then(Value::as_str).map(str::to_owned)).collect();
        let sql =
            format!("SELECT {a}.id, {} FROM {name} {a} WHERE {a}.tenant = $1 AND {a}.id = ANY($2)", t.derived_column);
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(tenant).bind(&ids).fetch_all(&mut *tx).await?;
        let mut derived: HashMap<String, Value> = HashMap::with_capacity(rows.len());
        for row in rows {
            if let Some(Json(v)) = row.try_get::<Option<Json<Value>>, _>(1)? {
                derived.insert(row.try_get(0)?, v);
            }
        }
        for doc in &mut items {
            let v = doc.get("id").and_then(Value::as_str).and_then(|id| derived.remove(id));
            set_array(doc, t.derived, v);
        }
    }
    tx.commit().await?;
    Ok(Page::new(page.total_results, page.start_index, items).with_keys(keys))
}
