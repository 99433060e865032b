//! [`UserStore`] for [`SqliteUserStore`].

use crate::SqliteUserStore;
use crate::audit;
use crate::error::Error;
use crate::jsonb;
use crate::list::{self, PageColumn, decode_row};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::ValueRef;
use rusqlite::{Connection, OptionalExtension, params};
use scim_core::audit::{AuditLog, AuditRecord};
use scim_core::store::ListQuery;
use scim_core::store::derived_group;
use scim_core::{Page, ResourceKind, StoreError, TenantId, User, UserStatus, UserStore, Version};
use scim_query::fold::fold_case;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, HashMap};

pub(crate) fn millis(t: DateTime<Utc>) -> i64 {
    t.timestamp_millis()
}

/// A user as stored: the indexed columns and the document (without `groups`, which is
/// derived, and without `meta.version`, which is a column), as JSONB (see `jsonb`).
struct Encoded {
    id: String,
    id_fold: String,
    user_name_lower: Option<String>,
    external_id: Option<String>,
    external_id_fold: Option<String>,
    status: &'static str,
    purge_at: Option<i64>,
    created: Option<i64>,
    last_modified: Option<i64>,
    doc: Vec<u8>,
}

fn encode(user: &User) -> Result<Encoded, Error> {
    let id = user.id().ok_or(Error::NotFound)?.to_owned();
    let mut doc = user.as_object().clone();
    doc.remove("groups");
    if let Some(Value::Object(meta)) = doc.get_mut("meta") {
        meta.remove("version");
    }
    let lifecycle = user.lifecycle();
    let meta = user.meta();
    Ok(Encoded {
        id_fold: fold_case(&id),
        id,
        user_name_lower: user.user_name().map(fold_case),
        external_id: user.external_id().map(str::to_owned),
        external_id_fold: user.external_id().map(fold_case),
        status: lifecycle.status.as_str(),
        purge_at: (lifecycle.status == UserStatus::Suspended).then_some(lifecycle.purge_at).flatten().map(millis),
        created: meta.as_ref().map(|m| millis(m.created)),
        last_modified: meta.as_ref().map(|m| millis(m.last_modified)),
        doc: jsonb::encode_object(&doc),
    })
}

/// [`scim_core::store::check_version`] on a revision as SQLite stores it.
pub(crate) fn check_version(if_match: Option<&Version>, current: i64) -> Result<(), Error> {
    scim_core::store::check_version(if_match, u64::try_from(current).unwrap_or(0))
        .map_err(|_| Error::PreconditionFailed)
}

/// The user's `groups`, derived from memberships (`None` when it belongs to none), in group
/// creation order.
pub(crate) fn groups_of(conn: &Connection, tenant: &str, user_id: &str) -> Result<Option<Value>, Error> {
    let mut stmt = conn.prepare_cached(
        // The user's few memberships first (by the index on `value`; without statistics the
        // planner would walk the tenant's groups or memberships), then one group lookup each.
        // Sorted here rather than by SQL, which would set up a sorter on every write.
        "SELECT g.seq, m.group_id, json_extract(g.doc, '$.displayName') FROM memberships m \
         INDEXED BY memberships_value CROSS JOIN groups g ON g.tenant = m.tenant AND g.id = m.group_id \
         WHERE m.tenant = ?1 AND m.value = ?2",
    )?;
    let mut rows = stmt.query(params![tenant, user_id])?;
    let mut groups: Vec<(i64, Value)> = Vec::new();
    while let Some(row) = rows.next()? {
        groups.push((row.get(0)?, derived_group(row.get(1)?, row.get(2)?)));
    }
    groups.sort_unstable_by_key(|g| g.0);
    Ok((!groups.is_empty()).then(|| Value::Array(groups.into_iter().map(|g| g.1).collect())))
}

/// A column with the `groups` of the `users` row at hand, for reading them in the same
/// statement as the document: a JSON array of `[group seq, group id, displayName]`, `[]` when
/// the user belongs to no group. Unordered: an `ORDER BY` inside the aggregate would open a
/// temporary b-tree for every row; [`finish_groups`] orders them.
const GROUPS_COLUMN: &str = "(SELECT json_group_array(json_array(g.seq, m.group_id, json_extract(g.doc, '$.displayName'))) \
     FROM memberships m INDEXED BY memberships_value \
     CROSS JOIN groups g ON g.tenant = m.tenant AND g.id = m.group_id \
     WHERE m.tenant = users.tenant AND m.value = users.id)";

/// Sets `groups` from the value of [`GROUPS_COLUMN`], in group creation order (as
/// [`groups_of`]).
fn finish_groups(doc: &mut Map<String, Value>, column: ValueRef<'_>) -> Result<(), Error> {
    let text = match column {
        ValueRef::Text(t) => t,
        _ => b"[]",
    };
    let groups = if text == b"[]" {
        None
    } else {
        let mut rows: Vec<(i64, String, Option<String>)> = serde_json::from_slice(text)?;
        rows.sort_unstable_by_key(|r| r.0);
        Some(Value::Array(rows.into_iter().map(|(_, id, display)| derived_group(id, display)).collect()))
    };
    set_groups(doc, groups);
    Ok(())
}

fn set_groups(doc: &mut Map<String, Value>, groups: Option<Value>) {
    match groups {
        Some(g) => doc.insert("groups".into(), g),
        None => doc.remove("groups"),
    };
}

fn attach_groups(conn: &Connection, tenant: &str, doc: &mut Map<String, Value>) -> Result<(), Error> {
    // Only the Rust-evaluated list path completes one document at a time.
    let groups = match doc.get("id").and_then(Value::as_str) {
        Some(id) => groups_of(conn, tenant, id)?,
        None => None,
    };
    set_groups(doc, groups);
    Ok(())
}

/// Sets `groups` on many users with one query per [`IN_CHUNK`] users.
fn attach_groups_all(conn: &Connection, tenant: &str, docs: &mut [Map<String, Value>]) -> Result<(), Error> {
    const IN_CHUNK: usize = 500;
    if docs.len() == 1 {
        return attach_groups(conn, tenant, &mut docs[0]);
    }
    for chunk in docs.chunks_mut(IN_CHUNK) {
        let ids: Vec<String> =
            chunk.iter().filter_map(|d| d.get("id").and_then(Value::as_str).map(str::to_owned)).collect();
        let mut by_user: HashMap<String, Vec<Value>> = HashMap::new();
        if !ids.is_empty() {
            let marks = vec!["?"; ids.len()].join(", ");
            let mut stmt = conn.prepare_cached(&format!(
                "SELECT m.value, m.group_id, json_extract(g.doc, '$.displayName') \
                 FROM memberships m INDEXED BY memberships_value \
                 CROSS JOIN groups g ON g.tenant = m.tenant AND g.id = m.group_id \
                 WHERE m.tenant = ? AND m.value IN ({marks}) ORDER BY g.seq"
            ))?;
            let params = std::iter::once(tenant).chain(ids.iter().map(String::as_str));
            let mut rows = stmt.query(rusqlite::params_from_iter(params))?;
            while let Some(row) = rows.next()? {
                let user: String = row.get(0)?;
                let group = derived_group(row.get(1)?, row.get(2)?);
                by_user.entry(user).or_default().push(group);
            }
        }
        for doc in chunk.iter_mut() {
            let groups = doc.get("id").and_then(Value::as_str).and_then(|id| by_user.remove(id)).map(Value::Array);
            set_groups(doc, groups);
        }
    }
    Ok(())
}

/// A membership change altered the derived `groups` of each of `ids` that is a user: its
/// representation changed, so its version moves on, and its `meta.lastModified` to `now`
/// when known.
pub(crate) fn membership_changed<'a>(
    conn: &Connection,
    tenant: &str,
    ids: impl IntoIterator<Item = &'a str>,
    now: Option<DateTime<Utc>>,
) -> Result<(), Error> {
    let mut stmt = conn.prepare_cached(&format!(
        "UPDATE users SET version = version + 1, last_modified = coalesce(?4, last_modified), \
         doc = CASE WHEN ?5 IS NULL THEN doc ELSE jsonb_set(doc, '$.meta.lastModified', ?5) END \
         WHERE {USER_KEY}"
    ))?;
    let (now_millis, now_text) = (now.map(millis), now.map(scim_core::format_time));
    for id in ids {
        stmt.execute(params![tenant, id, fold_case(id), now_millis, now_text])?;
    }
    Ok(())
}

/// Removes a user's memberships, bumping the version of each group it leaves.
pub(crate) fn remove_memberships_of(conn: &Connection, tenant: &str, member: &str) -> Result<(), Error> {
    conn.prepare_cached(
        "UPDATE groups SET version = version + 1 WHERE tenant = ?1 AND id IN \
         (SELECT group_id FROM memberships INDEXED BY memberships_value WHERE tenant = ?1 AND value = ?2)",
    )?
    .execute(params![tenant, member])?;
    conn.prepare_cached("DELETE FROM memberships WHERE tenant = ?1 AND value = ?2")?
        .execute(params![tenant, member])?;
    Ok(())
}

/// The users row of `(tenant, id)`: `tenant = ?1 AND id = ?2 AND id_fold = ?3`, so the
/// lookup uses the unique index `(tenant, id_fold, id)`.
const USER_KEY: &str = "tenant = ?1 AND id = ?2 AND id_fold = ?3";

fn current_user_version(conn: &Connection, tenant: &str, id: &str, id_fold: &str) -> Result<i64, Error> {
    conn.prepare_cached(&format!("SELECT version FROM users WHERE {USER_KEY}"))?
        .query_row(params![tenant, id, id_fold], |r| r.get(0))
        .optional()?
        .ok_or(Error::NotFound)
}

pub(crate) fn current_group_version(conn: &Connection, tenant: &str, id: &str) -> Result<i64, Error> {
    conn.prepare_cached("SELECT version FROM groups WHERE tenant = ?1 AND id = ?2")?
        .query_row(params![tenant, id], |r| r.get(0))
        .optional()?
        .ok_or(Error::NotFound)
}

#[async_trait]
impl UserStore for SqliteUserStore {
    async fn create(&self, tenant: &TenantId, mut user: User, audit: Option<&AuditRecord>) -> Result<User, StoreError> {
        let e = encode(&user).map_err(|e| match e {
            Error::NotFound => StoreError::Backend { backend: "sqlite", source: "a user to create needs an id".into() },
            other => other.into(),
        })?;
        let record = audit.map(|r| audit::Row::new(tenant.as_str(), r));
        let tenant = tenant.as_str().to_owned();
        let groups = self
            .db
            .write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO users (tenant, id, id_fold, user_name_lower, external_id, external_id_fold, status, \
                     purge_at, version, created, last_modified, doc) \
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, 1, ?9, ?10, ?11)",
                )?
                .execute(params![
                    tenant,
                    e.id,
                    e.id_fold,
                    e.user_name_lower,
                    e.external_id,
                    e.external_id_fold,
                    e.status,
                    e.purge_at,
                    e.created,
                    e.last_modified,
                    e.doc
                ])?;
                audit::insert(conn, record.as_ref())?;
                groups_of(conn, &tenant, &e.id)
            })
            .await?;
        user.set_version(&Version::from_revision(1));
        set_groups(user.as_object_mut(), groups);
        Ok(user)
    }

    async fn get(&self, tenant: &TenantId, id: &str) -> Result<User, StoreError> {
        let (tenant, id, id_fold) = (tenant.as_str().to_owned(), id.to_owned(), fold_case(id));
        let doc = self
            .db
            .read(move |conn| {
                let mut stmt =
                    conn.prepare_cached(&format!("SELECT version, doc, {GROUPS_COLUMN} FROM users WHERE {USER_KEY}"))?;
                let mut rows = stmt.query(params![tenant, id, id_fold])?;
                let row = rows.next()?.ok_or(Error::NotFound)?;
                let mut doc = decode_row(row, 0)?;
                finish_groups(&mut doc, row.get_ref(2)?)?;
                Ok(doc)
            })
            .await?;
        Ok(User::from_json(Value::Object(doc)))
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        mut user: User,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<User, StoreError> {
        let e = encode(&user)?;
        let record = audit.map(|r| audit::Row::new(tenant.as_str(), r));
        let tenant = tenant.as_str().to_owned();
        let if_match = if_match.cloned();
        let (version, groups) = self
            .db
            .write(move |conn| {
                let current = current_user_version(conn, &tenant, &e.id, &e.id_fold)?;
                check_version(if_match.as_ref(), current)?;
                conn.prepare_cached(&format!(
                    "UPDATE users SET user_name_lower = ?4, external_id = ?5, external_id_fold = ?6, status = ?7, \
                     purge_at = ?8, version = ?9, created = ?10, last_modified = ?11, doc = ?12 WHERE {USER_KEY}"
                ))?
                .execute(params![
                    tenant,
                    e.id,
                    e.id_fold,
                    e.user_name_lower,
                    e.external_id,
                    e.external_id_fold,
                    e.status,
                    e.purge_at,
                    current + 1,
                    e.created,
                    e.last_modified,
                    e.doc
                ])?;
                audit::insert(conn, record.as_ref())?;
                Ok((current + 1, groups_of(conn, &tenant, &e.id)?))
            })
            .await?;
        user.set_version(&Version::from_revision(u64::try_from(version).unwrap_or(0)));
        set_groups(user.as_object_mut(), groups);
        Ok(user)
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        let record = audit.map(|r| audit::Row::new(tenant.as_str(), r));
        let (tenant, id, id_fold) = (tenant.as_str().to_owned(), id.to_owned(), fold_case(id));
        let if_match = if_match.cloned();
        self.db
            .write(move |conn| {
                let current = current_user_version(conn, &tenant, &id, &id_fold)?;
                check_version(if_match.as_ref(), current)?;
                conn.prepare_cached(&format!("DELETE FROM users WHERE {USER_KEY}"))?
                    .execute(params![tenant, id, id_fold])?;
                audit::insert(conn, record.as_ref())?;
                remove_memberships_of(conn, &tenant, &id)
            })
            .await?;
        Ok(())
    }

    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<User>, StoreError> {
        let tenant = tenant.as_str().to_owned();
        let query = query.clone();
        let start_index = query.start_index;
        let (total, docs, keys) = self
            .db
            .read(move |conn| {
                let for_eval = query.needs("groups");
                let mut attach =
                    |conn: &Connection, docs: &mut [Map<String, Value>]| attach_groups_all(conn, &tenant, docs);
                let groups = PageColumn { sql: GROUPS_COLUMN, finish: finish_groups };
                list::list(conn, ResourceKind::User, &tenant, &query, &mut attach, for_eval, true, Some(&groups))
            })
            .await?;
        let items = docs.into_iter().map(|d| User::from_json(Value::Object(d))).collect();
        Ok(Page::new(total, start_index, items).with_keys(keys))
    }

    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<(TenantId, User)>, StoreError> {
        let now = millis(now);
        let template = audit.cloned();
        let purged = self
            .db
            .write(move |conn| {
                // Set-based: read the expired users (partial index on purge_at), derive their
                // groups per tenant in batches, delete them in one statement, then clean up
                // the memberships of those that had any.
                let mut by_tenant: BTreeMap<String, Vec<Map<String, Value>>> = BTreeMap::new();
                {
                    let mut stmt = conn.prepare_cached(
                        "SELECT tenant, version, doc FROM users \
                         WHERE purge_at IS NOT NULL AND purge_at <= ?1 AND status = 'suspended' ORDER BY seq",
                    )?;
                    let mut rows = stmt.query(params![now])?;
                    while let Some(row) = rows.next()? {
                        let tenant: String = row.get(0)?;
                        by_tenant.entry(tenant).or_default().push(decode_row(row, 1)?);
                    }
                }
                conn.prepare_cached(
                    "DELETE FROM users WHERE purge_at IS NOT NULL AND purge_at <= ?1 AND status = 'suspended'",
                )?
                .execute(params![now])?;
                let mut purged = Vec::new();
                for (tenant, mut docs) in by_tenant {
                    attach_groups_all(conn, &tenant, &mut docs)?;
                    for doc in docs {
                        // `groups` was just derived from the memberships: without it there are none.
                        if let (Some(id), true) = (doc.get("id").and_then(Value::as_str), doc.contains_key("groups")) {
                            remove_memberships_of(conn, &tenant, id)?;
                        }
                        purged.push((TenantId::new(tenant.clone()), User::from_json(Value::Object(doc))));
                    }
                }
                if let Some(template) = &template {
                    for row in audit::Row::purged(template, &purged) {
                        row.insert(conn)?;
                    }
                }
                Ok(purged)
            })
            .await?;
        Ok(purged)
    }

    fn audit_log(&self) -> Option<&dyn AuditLog> {
        Some(self)
    }
}
