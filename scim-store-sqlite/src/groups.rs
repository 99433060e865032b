//! [`GroupStore`] for [`SqliteUserStore`]: the group document without `members`, and one
//! `memberships` row per member, so a member change touches one row.

use crate::SqliteUserStore;
use crate::audit;
use crate::error::Error;
use crate::list::{self, decode_row};
use crate::users::{check_version, current_group_version, membership_changed, millis, remove_memberships_of};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::{Connection, params};
use scim_core::audit::AuditRecord;
use scim_core::store::{ListQuery, MemberChange, StoredMember};
use scim_core::{Group, GroupStore, Page, ResourceKind, StoreError, TenantId, Version};
use scim_query::fold::fold_case;
use serde_json::{Map, Value};
use std::collections::HashSet;

struct Encoded {
    id: String,
    id_fold: String,
    display_name: Option<String>,
    display_name_lower: Option<String>,
    external_id: Option<String>,
    external_id_fold: Option<String>,
    created: Option<i64>,
    last_modified: Option<i64>,
    doc: String,
    members: Vec<StoredMember>,
}

fn encode(group: &Group) -> Result<Encoded, Error> {
    let id = group.id().ok_or(Error::NotFound)?.to_owned();
    let mut doc = group.as_object().clone();
    let members = match doc.remove("members") {
        Some(Value::Array(values)) => StoredMember::all_from(&values),
        _ => Vec::new(),
    };
    if let Some(Value::Object(meta)) = doc.get_mut("meta") {
        meta.remove("version");
    }
    let meta = group.meta();
    Ok(Encoded {
        id_fold: fold_case(&id),
        id,
        display_name: group.display_name().map(str::to_owned),
        display_name_lower: group.display_name().map(fold_case),
        external_id: group.external_id().map(str::to_owned),
        external_id_fold: group.external_id().map(fold_case),
        created: meta.as_ref().map(|m| millis(m.created)),
        last_modified: meta.as_ref().map(|m| millis(m.last_modified)),
        doc: serde_json::to_string(&doc)?,
        members,
    })
}

/// The condition a member (`?3`, folded `?4`) of group `?2` of tenant `?1` must meet to be
/// stored: it names a user of the tenant or another of its groups, so a member never outlives
/// what it names. Callers check it inside their write transaction.
macro_rules! storable_member {
    () => {
        "(EXISTS (SELECT 1 FROM users WHERE tenant = ?1 AND id = ?3 AND id_fold = ?4) \
         OR (?3 <> ?2 AND EXISTS (SELECT 1 FROM groups WHERE tenant = ?1 AND id = ?3)))"
    };
}

/// Inserts the members not already present that may be stored (the check and the insert are
/// one statement); returns whether each was inserted.
fn insert_members(
    conn: &Connection,
    tenant: &str,
    group_id: &str,
    members: &[StoredMember],
) -> Result<Vec<bool>, Error> {
    let mut stmt = conn.prepare_cached(concat!(
        "INSERT INTO memberships (tenant, group_id, value, display, type, ref) \
         SELECT ?1, ?2, ?3, ?5, ?6, ?7 WHERE ",
        storable_member!(),
        " ON CONFLICT DO NOTHING"
    ))?;
    let mut inserted = Vec::with_capacity(members.len());
    for m in members {
        let id_fold = fold_case(&m.value);
        inserted.push(stmt.execute(params![tenant, group_id, m.value, id_fold, m.display, m.kind, m.reference])? > 0);
    }
    Ok(inserted)
}

/// What a replace did: wrote a new version (with which members were stored), or found that
/// nothing stored would change (the version and the group as stored).
enum Replaced {
    Written(i64, Vec<bool>),
    Unchanged(i64, Group),
}

/// Which of `members` [`insert_members`] would store, without storing them.
fn storable_members(
    conn: &Connection,
    tenant: &str,
    group_id: &str,
    members: &[StoredMember],
) -> Result<Vec<bool>, Error> {
    let mut stmt = conn.prepare_cached(concat!("SELECT ", storable_member!()))?;
    members
        .iter()
        .map(|m| Ok(stmt.query_row(params![tenant, group_id, m.value, fold_case(&m.value)], |r| r.get(0))?))
        .collect()
}

/// The `value`s of a group's members.
fn member_values(conn: &Connection, tenant: &str, group_id: &str) -> Result<Vec<String>, Error> {
    let mut stmt = conn.prepare_cached("SELECT value FROM memberships WHERE tenant = ?1 AND group_id = ?2")?;
    let values = stmt.query_map(params![tenant, group_id], |r| r.get(0))?.collect::<Result<_, _>>()?;
    Ok(values)
}

/// The values of the `members` that `inserted` says were stored.
fn inserted_values<'m>(members: &'m [StoredMember], inserted: &[bool]) -> impl Iterator<Item = &'m str> {
    members.iter().zip(inserted).filter(|(_, new)| **new).map(|(m, _)| m.value.as_str())
}

/// The members' JSON, of those `inserted` says were stored.
fn kept(members: Vec<Value>, inserted: &[bool]) -> Vec<Value> {
    members.into_iter().zip(inserted).filter_map(|(m, &kept)| kept.then_some(m)).collect()
}

fn load_members(conn: &Connection, tenant: &str, group_id: &str) -> Result<Vec<Value>, Error> {
    let mut stmt = conn.prepare_cached(
        "SELECT value, display, type, ref FROM memberships WHERE tenant = ?1 AND group_id = ?2 ORDER BY rowid",
    )?;
    let mut rows = stmt.query(params![tenant, group_id])?;
    let mut members = Vec::new();
    while let Some(row) = rows.next()? {
        members.push(
            StoredMember { value: row.get(0)?, display: row.get(1)?, kind: row.get(2)?, reference: row.get(3)? }
                .to_json(),
        );
    }
    Ok(members)
}

fn set_members(doc: &mut Map<String, Value>, members: Vec<Value>) {
    if members.is_empty() {
        doc.remove("members");
    } else {
        doc.insert("members".into(), Value::Array(members));
    }
}

fn attach_members(conn: &Connection, tenant: &str, doc: &mut Map<String, Value>) -> Result<(), Error> {
    let members = match doc.get("id").and_then(Value::as_str) {
        Some(id) => load_members(conn, tenant, id)?,
        None => Vec::new(),
    };
    set_members(doc, members);
    Ok(())
}

fn missing_id() -> StoreError {
    StoreError::Backend { backend: "sqlite", source: "a group to create needs an id".into() }
}

#[async_trait]
impl GroupStore for SqliteUserStore {
    async fn create(
        &self,
        tenant: &TenantId,
        mut group: Group,
        audit: Option<&AuditRecord>,
    ) -> Result<Group, StoreError> {
        let e = encode(&group).map_err(|e| match e {
            Error::NotFound => missing_id(),
            other => other.into(),
        })?;
        let record = audit.map(|r| audit::Row::new(tenant.as_str(), r));
        let members: Vec<Value> = e.members.iter().map(StoredMember::to_json).collect();
        let tenant = tenant.as_str().to_owned();
        let inserted = self
            .db
            .write(move |conn| {
                conn.prepare_cached(
                    "INSERT INTO groups (tenant, id, id_fold, display_name_lower, external_id, external_id_fold, \
                     version, created, last_modified, doc) VALUES (?1, ?2, ?3, ?4, ?5, ?6, 1, ?7, ?8, ?9)",
                )?
                .execute(params![
                    tenant,
                    e.id,
                    e.id_fold,
                    e.display_name_lower,
                    e.external_id,
                    e.external_id_fold,
                    e.created,
                    e.last_modified,
                    e.doc
                ])?;
                let inserted = insert_members(conn, &tenant, &e.id, &e.members)?;
                let now = e.last_modified.and_then(DateTime::from_timestamp_millis);
                membership_changed(conn, &tenant, inserted_values(&e.members, &inserted), now)?;
                audit::insert(conn, record.as_ref())?;
                Ok(inserted)
            })
            .await?;
        group.set_version(&Version::from_revision(1));
        set_members(group.as_object_mut(), kept(members, &inserted));
        Ok(group)
    }

    async fn get(&self, tenant: &TenantId, id: &str, include_members: bool) -> Result<Group, StoreError> {
        let (tenant, id) = (tenant.as_str().to_owned(), id.to_owned());
        let doc = self
            .db
            .read(move |conn| {
                let mut stmt = conn.prepare_cached("SELECT version, doc FROM groups WHERE tenant = ?1 AND id = ?2")?;
                let mut rows = stmt.query(params![tenant, id])?;
                let mut doc = decode_row(rows.next()?.ok_or(Error::NotFound)?, 0)?;
                if include_members {
                    attach_members(conn, &tenant, &mut doc)?;
                }
                Ok(doc)
            })
            .await?;
        Ok(Group::from_json(Value::Object(doc)))
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        mut group: Group,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<Group, StoreError> {
        let e = encode(&group)?;
        let record = audit.map(|r| audit::Row::new(tenant.as_str(), r));
        let members: Vec<Value> = e.members.iter().map(StoredMember::to_json).collect();
        let tenant = tenant.as_str().to_owned();
        let if_match = if_match.cloned();
        let outcome = self
            .db
            .write(move |conn| {
                let current = current_group_version(conn, &tenant, &e.id)?;
                check_version(if_match.as_ref(), current)?;
                let old_doc: String = conn
                    .prepare_cached("SELECT doc FROM groups WHERE tenant = ?1 AND id = ?2")?
                    .query_row(params![tenant, e.id], |r| r.get(0))?;
                let mut old = Group::from_json(serde_json::from_str(&old_doc)?);
                let old_members = load_members(conn, &tenant, &e.id)?;
                let storable = storable_members(conn, &tenant, &e.id, &e.members)?;
                let new_doc: Map<String, Value> = serde_json::from_str(&e.doc)?;
                let stored_members: Vec<Value> =
                    e.members.iter().zip(&storable).filter(|(_, s)| **s).map(|(m, _)| m.to_json()).collect();
                if old.same_client_part(&new_doc) && old_members == stored_members {
                    // Nothing stored changes (say, the only difference was a member that cannot
                    // be stored): no new version.
                    set_members(old.as_object_mut(), old_members);
                    audit::insert(conn, record.as_ref())?;
                    return Ok(Replaced::Unchanged(current, old));
                }
                let old_name = old.display_name().map(str::to_owned);
                let old_members: Vec<String> =
                    old_members.iter().filter_map(|m| m.get("value")?.as_str().map(str::to_owned)).collect();
                conn.prepare_cached(
                    "UPDATE groups SET display_name_lower = ?3, external_id = ?4, external_id_fold = ?5, version = ?6, \
                     created = ?7, last_modified = ?8, doc = ?9 WHERE tenant = ?1 AND id = ?2",
                )?
                .execute(params![
                    tenant,
                    e.id,
                    e.display_name_lower,
                    e.external_id,
                    e.external_id_fold,
                    current + 1,
                    e.created,
                    e.last_modified,
                    e.doc
                ])?;
                conn.prepare_cached("DELETE FROM memberships WHERE tenant = ?1 AND group_id = ?2")?
                    .execute(params![tenant, e.id])?;
                let inserted = insert_members(conn, &tenant, &e.id, &e.members)?;
                // The members whose `groups` changed: those added or removed, and on a rename
                // (their `groups[].display`) every member.
                let new_members: HashSet<&str> = inserted_values(&e.members, &inserted).collect();
                let old_set: HashSet<&str> = old_members.iter().map(String::as_str).collect();
                let now = e.last_modified.and_then(DateTime::from_timestamp_millis);
                if old_name != e.display_name {
                    membership_changed(conn, &tenant, new_members.union(&old_set).copied(), now)?;
                } else {
                    membership_changed(conn, &tenant, new_members.symmetric_difference(&old_set).copied(), now)?;
                }
                audit::insert(conn, record.as_ref())?;
                Ok(Replaced::Written(current + 1, inserted))
            })
            .await?;
        match outcome {
            Replaced::Written(version, inserted) => {
                group.set_version(&Version::from_revision(u64::try_from(version).unwrap_or(0)));
                set_members(group.as_object_mut(), kept(members, &inserted));
                Ok(group)
            }
            Replaced::Unchanged(version, mut stored) => {
                stored.set_version(&Version::from_revision(u64::try_from(version).unwrap_or(0)));
                Ok(stored)
            }
        }
    }

    async fn modify_members(
        &self,
        tenant: &TenantId,
        id: &str,
        change: &MemberChange,
        now: DateTime<Utc>,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<Version, StoreError> {
        let record = audit.map(|r| audit::Row::new(tenant.as_str(), r));
        let (tenant, id) = (tenant.as_str().to_owned(), id.to_owned());
        let if_match = if_match.cloned();
        let add = StoredMember::all_from(&change.add);
        let remove = change.remove.clone();
        let (now_millis, now_text) = (millis(now), scim_core::format_time(now));
        let version = self
            .db
            .write(move |conn| {
                let current = current_group_version(conn, &tenant, &id)?;
                check_version(if_match.as_ref(), current)?;
                let inserted = insert_members(conn, &tenant, &id, &add)?;
                let mut touched: Vec<&str> = inserted_values(&add, &inserted).collect();
                let mut delete =
                    conn.prepare_cached("DELETE FROM memberships WHERE tenant = ?1 AND group_id = ?2 AND value = ?3")?;
                for value in &remove {
                    if delete.execute(params![tenant, id, value])? > 0 {
                        touched.push(value);
                    }
                }
                let changed = touched.len();
                membership_changed(conn, &tenant, touched, Some(now))?;
                audit::insert(conn, record.as_ref())?;
                if changed == 0 {
                    return Ok(current);
                }
                conn.prepare_cached(
                    "UPDATE groups SET version = ?3, last_modified = ?4, \
                     doc = json_set(doc, '$.meta.lastModified', ?5) WHERE tenant = ?1 AND id = ?2",
                )?
                .execute(params![tenant, id, current + 1, now_millis, now_text])?;
                Ok(current + 1)
            })
            .await?;
        Ok(Version::from_revision(u64::try_from(version).unwrap_or(0)))
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        let record = audit.map(|r| audit::Row::new(tenant.as_str(), r));
        let (tenant, id) = (tenant.as_str().to_owned(), id.to_owned());
        let if_match = if_match.cloned();
        self.db
            .write(move |conn| {
                let current = current_group_version(conn, &tenant, &id)?;
                check_version(if_match.as_ref(), current)?;
                audit::insert(conn, record.as_ref())?;
                let members = member_values(conn, &tenant, &id)?;
                membership_changed(conn, &tenant, members.iter().map(String::as_str), None)?;
                // The group's own memberships go with it (ON DELETE CASCADE).
                conn.prepare_cached("DELETE FROM groups WHERE tenant = ?1 AND id = ?2")?
                    .execute(params![tenant, id])?;
                remove_memberships_of(conn, &tenant, &id)
            })
            .await?;
        Ok(())
    }

    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<Group>, StoreError> {
        let tenant = tenant.as_str().to_owned();
        let query = query.clone();
        let start_index = query.start_index;
        let include_members = query.include_members;
        let (total, mut docs, keys) = self
            .db
            .read(move |conn| {
                let for_eval = query.needs("members");
                let mut attach = |conn: &Connection, docs: &mut [Map<String, Value>]| {
                    docs.iter_mut().try_for_each(|doc| attach_members(conn, &tenant, doc))
                };
                list::list(
                    conn,
                    ResourceKind::Group,
                    &tenant,
                    &query,
                    &mut attach,
                    for_eval,
                    query.include_members,
                    None,
                )
            })
            .await?;
        if !include_members {
            for doc in &mut docs {
                doc.remove("members");
            }
        }
        let items = docs.into_iter().map(|d| Group::from_json(Value::Object(d))).collect();
        Ok(Page::new(total, start_index, items).with_keys(keys))
    }
}
