//! [`GroupStore`] for [`PostgresUserStore`]: the group document without `members`, and one
//! `scim_memberships` row per member, so a member change touches one row.

use crate::audit;
use crate::error::Error;
use crate::list;
use crate::users::{
    expected_revision, membership_changed, remove_memberships_of, resource_at, set_array, version_of, why_unchanged,
    with_version,
};
use crate::{BoxFuture, PostgresUserStore, in_transaction};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scim_core::audit::AuditRecord;
use scim_core::store::{ListQuery, MemberChange, StoredMember};
use scim_core::{Group, GroupStore, Page, ResourceKind, StoreError, TenantId, Version};
use scim_query::fold::fold_case;
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{PgConnection, Row};
use std::collections::{BTreeSet, HashSet};
use std::sync::Arc;

/// The members of a group as a JSONB array in the order they were added, for the
/// `scim_groups` row aliased `g` (NULL without members). A macro, for `concat!`.
macro_rules! members_column {
    () => {
        "(SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(\
         'value', m.value, 'display', m.display, 'type', m.type, '$ref', m.ref)) ORDER BY m.seq) \
         FROM scim_memberships m WHERE m.tenant = g.tenant AND m.group_id = g.id)"
    };
}

/// [`members_column!`] as a constant, for statements built at run time.
pub(crate) const MEMBERS_COLUMN: &str = members_column!();

struct Encoded {
    id: String,
    id_fold: String,
    display_name: Option<String>,
    display_name_fold: Option<String>,
    external_id_fold: Option<String>,
    created: Option<DateTime<Utc>>,
    last_modified: Option<DateTime<Utc>>,
    doc: Map<String, Value>,
    members: Vec<StoredMember>,
}

fn encode(group: &Group) -> Result<Encoded, Error> {
    let id = group.id().ok_or(Error::MissingId)?.to_owned();
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
        display_name_fold: group.display_name().map(fold_case),
        external_id_fold: group.external_id().map(fold_case),
        created: meta.as_ref().map(|m| m.created),
        last_modified: meta.as_ref().map(|m| m.last_modified),
        doc,
        members,
    })
}

/// Of `members`, the values that may be stored in group `group_id`: they name a user of the
/// tenant or another of its groups. Those rows stay locked (`FOR KEY SHARE`) until the
/// transaction ends, so what they name cannot be deleted before the members are written,
/// and a deletion that waited for the lock removes the new members after.
async fn storable(
    conn: &mut PgConnection,
    tenant: &str,
    group_id: &str,
    members: &[StoredMember],
) -> Result<HashSet<String>, Error> {
    if members.is_empty() {
        return Ok(HashSet::new());
    }
    // Locked in a stable order, so two transactions adding the same members do not deadlock.
    // A value with U+0000 names nothing (no stored id has one; PostgreSQL refuses it).
    let values: Vec<&str> = members
        .iter()
        .map(|m| m.value.as_str())
        .filter(|v| !v.contains('\0'))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let rows = sqlx::query(
        "SELECT id FROM (SELECT id FROM scim_users WHERE tenant = $1 AND id = ANY($3) ORDER BY id FOR KEY SHARE) u \
         UNION ALL \
         SELECT id FROM (SELECT id FROM scim_groups WHERE tenant = $1 AND id = ANY($3) AND id <> $2 ORDER BY id FOR KEY SHARE) g",
    )
    .bind(tenant)
    .bind(group_id)
    .bind(&values)
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get::<String, _>(0).map_err(Error::from)).collect()
}

/// Inserts the members (in order) that are not there yet; returns the values inserted.
async fn insert_members(
    conn: &mut PgConnection,
    tenant: &str,
    group_id: &str,
    members: &[&StoredMember],
) -> Result<Vec<String>, Error> {
    if members.is_empty() {
        return Ok(Vec::new());
    }
    let column = |f: fn(&StoredMember) -> Option<String>| members.iter().map(|m| f(m)).collect::<Vec<Option<String>>>();
    let rows = sqlx::query(
        "INSERT INTO scim_memberships (tenant, group_id, value, display, type, ref) \
         SELECT $1, $2, x.value, x.display, x.type, x.ref \
         FROM unnest($3::text[], $4::text[], $5::text[], $6::text[]) WITH ORDINALITY AS x(value, display, type, ref, n) \
         ORDER BY x.n ON CONFLICT DO NOTHING RETURNING value",
    )
    .bind(tenant)
    .bind(group_id)
    .bind(column(|m| Some(m.value.clone())))
    .bind(column(|m| m.display.clone()))
    .bind(column(|m| m.kind.clone()))
    .bind(column(|m| m.reference.clone()))
    .fetch_all(conn)
    .await?;
    rows.iter().map(|r| r.try_get::<String, _>(0).map_err(Error::from)).collect()
}

/// The group's members, in the order they were added.
async fn load_members(conn: &mut PgConnection, tenant: &str, group_id: &str) -> Result<Vec<StoredMember>, Error> {
    let rows = sqlx::query(
        "SELECT value, display, type, ref FROM scim_memberships WHERE tenant = $1 AND group_id = $2 ORDER BY seq",
    )
    .bind(tenant)
    .bind(group_id)
    .fetch_all(conn)
    .await?;
    rows.iter()
        .map(|r| {
            Ok(StoredMember {
                value: r.try_get(0)?,
                display: r.try_get(1)?,
                kind: r.try_get(2)?,
                reference: r.try_get(3)?,
            })
        })
        .collect()
}

/// Locks the group's row for the rest of the transaction and checks `expected`; returns the
/// stored revision and document.
async fn lock_group(
    conn: &mut PgConnection,
    tenant: &str,
    id: &str,
    expected: Option<i64>,
) -> Result<(i64, Json<Value>), Error> {
    if id.contains('\0') {
        return Err(Error::NotFound);
    }
    let row = sqlx::query("SELECT version, doc FROM scim_groups WHERE tenant = $1 AND id = $2 FOR UPDATE")
        .bind(tenant)
        .bind(id)
        .fetch_optional(conn)
        .await?
        .ok_or(Error::NotFound)?;
    let current: i64 = row.try_get(0)?;
    if expected.is_some_and(|e| e != current) {
        return Err(Error::PreconditionFailed);
    }
    Ok((current, row.try_get(1)?))
}

/// What a replace did: wrote a new version with these members, or found that nothing stored
/// would change (the group as stored).
enum Replaced {
    Written(i64, Vec<Value>),
    Unchanged(Group),
}

fn set_members(doc: &mut Map<String, Value>, members: Vec<Value>) {
    set_array(doc, "members", Some(Value::Array(members)));
}

#[async_trait]
impl GroupStore for PostgresUserStore {
    async fn create(
        &self,
        tenant: &TenantId,
        mut group: Group,
        audit: Option<&AuditRecord>,
    ) -> Result<Group, StoreError> {
        let e = Arc::new(encode(&group)?);
        let record = Arc::new(audit.map(|r| audit::Row::new(tenant.as_str(), r)));
        let tenant: Arc<str> = tenant.as_str().into();
        let stored = in_transaction(&self.pool, |conn| -> BoxFuture<'_, Result<Vec<Value>, Error>> {
            let (e, tenant, record) = (Arc::clone(&e), Arc::clone(&tenant), Arc::clone(&record));
            Box::pin(async move {
                let tenant = &*tenant;
                sqlx::query(
                    "INSERT INTO scim_groups (tenant, id, id_fold, display_name_fold, external_id_fold, version, \
                     created, last_modified, doc) VALUES ($1, $2, $3, $4, $5, 1, $6, $7, $8)",
                )
                .bind(tenant)
                .bind(&e.id)
                .bind(&e.id_fold)
                .bind(&e.display_name_fold)
                .bind(&e.external_id_fold)
                .bind(e.created)
                .bind(e.last_modified)
                .bind(Json(&e.doc))
                .execute(&mut *conn)
                .await?;
                let ok = storable(conn, tenant, &e.id, &e.members).await?;
                let keep: Vec<&StoredMember> = e.members.iter().filter(|m| ok.contains(&m.value)).collect();
                let inserted = insert_members(conn, tenant, &e.id, &keep).await?;
                membership_changed(conn, tenant, &inserted, e.last_modified).await?;
                audit::insert(conn, record.as_ref().as_ref()).await?;
                Ok(keep.iter().map(|m| m.to_json()).collect())
            })
        })
        .await?;
        group.set_version(&Version::from_revision(1));
        set_members(group.as_object_mut(), stored);
        Ok(group)
    }

    async fn get(&self, tenant: &TenantId, id: &str, include_members: bool) -> Result<Group, StoreError> {
        if id.contains('\0') {
            return Err(StoreError::NotFound);
        }
        let sql = if include_members {
            concat!(
                "SELECT g.version, g.doc, ",
                members_column!(),
                " FROM scim_groups g WHERE g.tenant = $1 AND g.id = $2"
            )
        } else {
            "SELECT g.version, g.doc, NULL::jsonb FROM scim_groups g WHERE g.tenant = $1 AND g.id = $2"
        };
        let row = sqlx::query(sql)
            .bind(tenant.as_str())
            .bind(id)
            .fetch_optional(&self.pool)
            .await
            .map_err(Error::from)?
            .ok_or(StoreError::NotFound)?;
        Ok(Group::from_json(Value::Object(resource_at(&row, 0, "members")?)))
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        mut group: Group,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<Group, StoreError> {
        let e = Arc::new(encode(&group)?);
        let expected = expected_revision(if_match);
        let record = Arc::new(audit.map(|r| audit::Row::new(tenant.as_str(), r)));
        let tenant: Arc<str> = tenant.as_str().into();
        let outcome = in_transaction(&self.pool, |conn| -> BoxFuture<'_, Result<Replaced, Error>> {
            let (e, tenant, record) = (Arc::clone(&e), Arc::clone(&tenant), Arc::clone(&record));
            Box::pin(async move {
                let tenant = &*tenant;
                let (current, old_doc) = lock_group(conn, tenant, &e.id, expected).await?;
                let old_doc = with_version(old_doc, current)?;
                let old_members = load_members(conn, tenant, &e.id).await?;
                let ok = storable(conn, tenant, &e.id, &e.members).await?;
                let keep: Vec<&StoredMember> = e.members.iter().filter(|m| ok.contains(&m.value)).collect();
                let mut old = Group::from_json(Value::Object(old_doc));
                if old.same_client_part(&e.doc) && old_members.iter().eq(keep.iter().copied()) {
                    // Nothing stored changes (say, the only difference was a member that
                    // cannot be stored): no new version.
                    set_members(old.as_object_mut(), old_members.iter().map(StoredMember::to_json).collect());
                    audit::insert(conn, record.as_ref().as_ref()).await?;
                    return Ok(Replaced::Unchanged(old));
                }
                sqlx::query(
                    "UPDATE scim_groups SET display_name_fold = $3, external_id_fold = $4, version = $5, \
                     created = $6, last_modified = $7, doc = $8 WHERE tenant = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(&e.id)
                .bind(&e.display_name_fold)
                .bind(&e.external_id_fold)
                .bind(current + 1)
                .bind(e.created)
                .bind(e.last_modified)
                .bind(Json(&e.doc))
                .execute(&mut *conn)
                .await?;
                sqlx::query("DELETE FROM scim_memberships WHERE tenant = $1 AND group_id = $2")
                    .bind(tenant)
                    .bind(&e.id)
                    .execute(&mut *conn)
                    .await?;
                let inserted = insert_members(conn, tenant, &e.id, &keep).await?;
                // The members whose `groups` changed: those added or removed, and on a rename
                // (their `groups[].display`) every member.
                let new_set: HashSet<&str> = inserted.iter().map(String::as_str).collect();
                let old_set: HashSet<&str> = old_members.iter().map(|m| m.value.as_str()).collect();
                let renamed = old.display_name() != e.display_name.as_deref();
                let mut touched: Vec<String> = if renamed {
                    new_set.union(&old_set).map(|s| (*s).to_owned()).collect()
                } else {
                    new_set.symmetric_difference(&old_set).map(|s| (*s).to_owned()).collect()
                };
                touched.sort_unstable();
                membership_changed(conn, tenant, &touched, e.last_modified).await?;
                audit::insert(conn, record.as_ref().as_ref()).await?;
                Ok(Replaced::Written(current + 1, keep.iter().map(|m| m.to_json()).collect()))
            })
        })
        .await?;
        match outcome {
            Replaced::Written(version, members) => {
                group.set_version(&version_of(version));
                set_members(group.as_object_mut(), members);
                Ok(group)
            }
            Replaced::Unchanged(stored) => Ok(stored),
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
        let expected = expected_revision(if_match);
        let args = Arc::new((
            tenant.as_str().to_owned(),
            id.to_owned(),
            StoredMember::all_from(&change.add),
            change.remove.clone(),
            audit.map(|r| audit::Row::new(tenant.as_str(), r)),
        ));
        let version = in_transaction(&self.pool, |conn| -> BoxFuture<'_, Result<i64, Error>> {
            let args = Arc::clone(&args);
            Box::pin(async move {
                let (tenant, id, add, remove) = (&args.0, &args.1, &args.2, &args.3);
                let (current, _) = lock_group(conn, tenant, id, expected).await?;
                audit::insert(conn, args.4.as_ref()).await?;
                let ok = storable(conn, tenant, id, add).await?;
                let keep: Vec<&StoredMember> = add.iter().filter(|m| ok.contains(&m.value)).collect();
                let mut touched = insert_members(conn, tenant, id, &keep).await?;
                let remove: Vec<&String> = remove.iter().filter(|v| !v.contains('\0')).collect();
                if !remove.is_empty() {
                    let rows = sqlx::query(
                        "DELETE FROM scim_memberships WHERE tenant = $1 AND group_id = $2 AND value = ANY($3) RETURNING value",
                    )
                    .bind(tenant)
                    .bind(id)
                    .bind(remove)
                    .fetch_all(&mut *conn)
                    .await?;
                    for row in rows {
                        touched.push(row.try_get(0)?);
                    }
                }
                if touched.is_empty() {
                    return Ok(current);
                }
                touched.sort_unstable();
                touched.dedup();
                membership_changed(conn, tenant, &touched, Some(now)).await?;
                sqlx::query(
                    "UPDATE scim_groups SET version = $3, last_modified = $4, \
                     doc = jsonb_set(doc, '{meta,lastModified}', to_jsonb($5::text)) WHERE tenant = $1 AND id = $2",
                )
                .bind(tenant)
                .bind(id)
                .bind(current + 1)
                .bind(now)
                .bind(scim_core::format_time(now))
                .execute(&mut *conn)
                .await?;
                Ok(current + 1)
            })
        })
        .await?;
        Ok(version_of(version))
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        let expected = expected_revision(if_match);
        let args =
            Arc::new((tenant.as_str().to_owned(), id.to_owned(), audit.map(|r| audit::Row::new(tenant.as_str(), r))));
        in_transaction(&self.pool, |conn| -> BoxFuture<'_, Result<(), Error>> {
            let args = Arc::clone(&args);
            Box::pin(async move {
                let (tenant, id) = (&args.0, &args.1);
                lock_group(conn, tenant, id, expected).await?;
                audit::insert(conn, args.2.as_ref()).await?;
                let mut members: Vec<String> =
                    load_members(conn, tenant, id).await?.into_iter().map(|m| m.value).collect();
                members.sort_unstable();
                membership_changed(conn, tenant, &members, None).await?;
                // The group's own memberships go with it (ON DELETE CASCADE).
                let deleted = sqlx::query("DELETE FROM scim_groups WHERE tenant = $1 AND id = $2")
                    .bind(tenant)
                    .bind(id)
                    .execute(&mut *conn)
                    .await?;
                if deleted.rows_affected() == 0 {
                    return Err(why_unchanged(conn, ResourceKind::Group, tenant, id).await?);
                }
                remove_memberships_of(conn, tenant, id).await
            })
        })
        .await?;
        Ok(())
    }

    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<Group>, StoreError> {
        let page = list::list(&self.pool, ResourceKind::Group, tenant.as_str(), query).await?;
        Ok(page.map(|doc| Group::from_json(Value::Object(doc))))
    }
}
