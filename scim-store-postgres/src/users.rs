//! [`UserStore`] for [`PostgresUserStore`].

use crate::audit;
use crate::error::Error;
use crate::list;
use crate::{BoxFuture, PostgresUserStore, in_transaction};
use async_trait::async_trait;
use chrono::{DateTime, Utc};
use scim_core::audit::{AuditLog, AuditRecord};
use scim_core::store::ListQuery;
use scim_core::{Page, ResourceKind, StoreError, TenantId, User, UserStatus, UserStore, Version};
use scim_query::fold::fold_case;
use serde_json::{Map, Value};
use sqlx::types::Json;
use sqlx::{PgConnection, Row};

/// A user as stored: the indexed columns and the document (without `groups`, which is
/// derived, and without `meta.version`, which is a column).
struct Encoded {
    id: String,
    id_fold: String,
    user_name_fold: Option<String>,
    external_id_fold: Option<String>,
    emails_fold: Option<Vec<String>>,
    status: &'static str,
    purge_at: Option<DateTime<Utc>>,
    created: Option<DateTime<Utc>>,
    last_modified: Option<DateTime<Utc>>,
    doc: Map<String, Value>,
}

fn encode(user: &User) -> Result<Encoded, Error> {
    let id = user.id().ok_or(Error::MissingId)?.to_owned();
    let mut doc = user.as_object().clone();
    doc.remove("groups");
    if let Some(Value::Object(meta)) = doc.get_mut("meta") {
        meta.remove("version");
    }
    let emails: Vec<String> = match doc.get("emails") {
        Some(Value::Array(emails)) => {
            emails.iter().filter_map(|e| e.get("value").and_then(Value::as_str)).map(fold_case).collect()
        }
        _ => Vec::new(),
    };
    let lifecycle = user.lifecycle();
    let meta = user.meta();
    Ok(Encoded {
        id_fold: fold_case(&id),
        id,
        user_name_fold: user.user_name().map(fold_case),
        external_id_fold: user.external_id().map(fold_case),
        emails_fold: (!emails.is_empty()).then_some(emails),
        status: lifecycle.status.as_str(),
        purge_at: (lifecycle.status == UserStatus::Suspended).then_some(lifecycle.purge_at).flatten(),
        created: meta.as_ref().map(|m| m.created),
        last_modified: meta.as_ref().map(|m| m.last_modified),
        doc,
    })
}

/// What an `If-Match` asks of the stored revision: `None` for anything (absent or `*`),
/// `Some(n)` for exactly `n` (`-1`, which no resource has, for a value no revision matches).
pub(crate) fn expected_revision(if_match: Option<&Version>) -> Option<i64> {
    let v = if_match.filter(|v| !v.is_any())?;
    Some(
        v.revision()
            .filter(|&n| v.matches(&Version::from_revision(n)))
            .and_then(|n| i64::try_from(n).ok())
            .unwrap_or(-1),
    )
}

pub(crate) fn version_of(revision: i64) -> Version {
    Version::from_revision(u64::try_from(revision).unwrap_or(0))
}

/// The derived `groups` of the `scim_users` row aliased `u`, in group creation order, as a
/// JSONB array (NULL when the user belongs to no group). A macro, so that statements can
/// `concat!` it into a `&'static str`.
/// The insert of a write's audit record (parameters `$1` for the tenant and `$12`–`$16`) for
/// each row of the CTE `u`: with the write in one statement, both are stored or neither. A
/// `NULL` record (no auditing) inserts nothing.
macro_rules! audit_from_u {
    () => {
        "INSERT INTO scim_audit (tenant, time, resource_id, actor, status, record) \
         SELECT $1, $12::timestamptz, $13::text, $14::text, $15::int, $16::jsonb FROM u WHERE $16::jsonb IS NOT NULL"
    };
}

macro_rules! groups_column {
    () => {
        "(SELECT jsonb_agg(jsonb_strip_nulls(jsonb_build_object(\
         'value', m.group_id, 'display', g.doc->>'displayName', 'type', 'direct')) ORDER BY g.seq) \
         FROM scim_memberships m JOIN scim_groups g ON g.tenant = m.tenant AND g.id = m.group_id \
         WHERE m.tenant = u.tenant AND m.value = u.id)"
    };
}
/// [`groups_column!`] as a constant, for statements built at run time.
pub(crate) const GROUPS_COLUMN: &str = groups_column!();

/// Sets (or removes) an attribute holding a JSON array: `None` or an empty array removes it.
pub(crate) fn set_array(doc: &mut Map<String, Value>, name: &str, value: Option<Value>) {
    match value {
        Some(Value::Array(items)) if !items.is_empty() => {
            doc.insert(name.to_owned(), Value::Array(items));
        }
        _ => {
            doc.remove(name);
        }
    }
}

/// A stored document with its version set.
pub(crate) fn with_version(doc: Json<Value>, revision: i64) -> Result<Map<String, Value>, Error> {
    let Value::Object(mut doc) = doc.0 else { return Err(Error::NotAnObject) };
    let version = Value::String(version_of(revision).as_str().to_owned());
    match doc.get_mut("meta") {
        Some(Value::Object(meta)) => {
            meta.insert("version".into(), version);
        }
        _ => {
            let mut meta = Map::new();
            meta.insert("version".into(), version);
            doc.insert("meta".into(), Value::Object(meta));
        }
    }
    Ok(doc)
}

/// A resource from a row holding its version at column `at`, its document at `at + 1` and
/// its derived attribute `derived` (`groups`, `members`; NULL for none) at `at + 2`.
pub(crate) fn resource_at(row: &sqlx::postgres::PgRow, at: usize, derived: &str) -> Result<Map<String, Value>, Error> {
    let mut doc = with_version(row.try_get(at + 1)?, row.try_get(at)?)?;
    set_array(&mut doc, derived, row.try_get::<Option<Json<Value>>, _>(at + 2)?.map(|j| j.0));
    Ok(doc)
}

/// The derived `groups` of each of `ids` that is a user changed: its version moves on, and
/// its `meta.lastModified` to `now` when known.
pub(crate) async fn membership_changed(
    conn: &mut PgConnection,
    tenant: &str,
    ids: &[String],
    now: Option<DateTime<Utc>>,
) -> Result<(), Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "UPDATE scim_users SET version = version + 1, last_modified = coalesce($3, last_modified), \
         doc = CASE WHEN $4::text IS NULL THEN doc ELSE jsonb_set(doc, '{meta,lastModified}', to_jsonb($4::text)) END \
         WHERE tenant = $1 AND id = ANY($2)",
    )
    .bind(tenant)
    .bind(ids)
    .bind(now)
    .bind(now.map(scim_core::format_time))
    .execute(conn)
    .await?;
    Ok(())
}

/// Takes `member` (a user or a group that was just deleted) out of every group, moving each
/// group's version on. Runs in its own statement after the deletion, so it sees memberships
/// that concurrent writers committed while the deletion waited for their locks.
pub(crate) async fn remove_memberships_of(conn: &mut PgConnection, tenant: &str, member: &str) -> Result<(), Error> {
    sqlx::query(
        "WITH r AS (DELETE FROM scim_memberships WHERE tenant = $1 AND value = $2 RETURNING group_id) \
         UPDATE scim_groups SET version = version + 1 WHERE tenant = $1 AND id IN (SELECT group_id FROM r)",
    )
    .bind(tenant)
    .bind(member)
    .execute(conn)
    .await?;
    Ok(())
}

/// Why a conditional write of the `kind` resource `(tenant, id)` changed nothing: the row is
/// missing ([`Error::NotFound`]) or has another version ([`Error::PreconditionFailed`]).
pub(crate) async fn why_unchanged(
    conn: &mut PgConnection,
    kind: ResourceKind,
    tenant: &str,
    id: &str,
) -> Result<Error, Error> {
    let sql = match kind {
        ResourceKind::User => "SELECT 1 FROM scim_users WHERE tenant = $1 AND id = $2",
        ResourceKind::Group => "SELECT 1 FROM scim_groups WHERE tenant = $1 AND id = $2",
    };
    let found = sqlx::query(sql).bind(tenant).bind(id).fetch_optional(conn).await?;
    Ok(if found.is_some() { Error::PreconditionFailed } else { Error::NotFound })
}

#[async_trait]
impl UserStore for PostgresUserStore {
    async fn create(&self, tenant: &TenantId, mut user: User, audit: Option<&AuditRecord>) -> Result<User, StoreError> {
        let e = encode(&user)?;
        let record = audit.map(|r| audit::Row::new(tenant.as_str(), r));
        // One statement: the user and its audit record are stored together or not at all.
        sqlx::query(concat!(
            "WITH u AS (INSERT INTO scim_users (tenant, id, id_fold, user_name_fold, external_id_fold, emails_fold, \
             status, purge_at, version, created, last_modified, doc) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, 1, $9, $10, $11) RETURNING 1) ",
            audit_from_u!(),
        ))
        .bind(tenant.as_str())
        .bind(&e.id)
        .bind(&e.id_fold)
        .bind(&e.user_name_fold)
        .bind(&e.external_id_fold)
        .bind(&e.emails_fold)
        .bind(e.status)
        .bind(e.purge_at)
        .bind(e.created)
        .bind(e.last_modified)
        .bind(Json(&e.doc))
        .bind(record.as_ref().map(|r| r.time))
        .bind(record.as_ref().and_then(|r| r.resource_id.as_deref()))
        .bind(record.as_ref().map(|r| r.actor.as_str()))
        .bind(record.as_ref().map(|r| r.status))
        .bind(record.as_ref().map(|r| Json(&r.json)))
        .execute(&self.pool)
        .await
        .map_err(Error::from)?;
        // A new user belongs to no group: members must exist when they are added.
        user.set_version(&Version::from_revision(1));
        user.as_object_mut().remove("groups");
        Ok(user)
    }

    async fn get(&self, tenant: &TenantId, id: &str) -> Result<User, StoreError> {
        if id.contains('\0') {
            // No stored id has one (PostgreSQL cannot store it, nor take it as a parameter).
            return Err(StoreError::NotFound);
        }
        let row = sqlx::query(concat!(
            "SELECT u.version, u.doc, ",
            groups_column!(),
            " FROM scim_users u WHERE u.tenant = $1 AND u.id = $2"
        ))
        .bind(tenant.as_str())
        .bind(id)
        .fetch_optional(&self.pool)
        .await
        .map_err(Error::from)?
        .ok_or(StoreError::NotFound)?;
        Ok(User::from_json(Value::Object(resource_at(&row, 0, "groups")?)))
    }

    async fn replace(
        &self,
        tenant: &TenantId,
        mut user: User,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<User, StoreError> {
        let e = encode(&user)?;
        if e.id.contains('\0') {
            return Err(StoreError::NotFound);
        }
        let record = audit.map(|r| audit::Row::new(tenant.as_str(), r));
        let expected = expected_revision(if_match);
        let mut conn = self.pool.acquire().await.map_err(Error::from)?;
        let row = sqlx::query(concat!(
            "WITH u AS (UPDATE scim_users SET user_name_fold = $4, external_id_fold = $5, emails_fold = $6, \
             status = $7, purge_at = $8, created = $9, last_modified = $10, doc = $11, version = version + 1 \
             WHERE tenant = $1 AND id = $2 AND ($3::bigint IS NULL OR version = $3) RETURNING tenant, id, version), \
             a AS (",
            audit_from_u!(),
            ") SELECT u.version, ",
            groups_column!(),
            " FROM u"
        ))
        .bind(tenant.as_str())
        .bind(&e.id)
        .bind(expected)
        .bind(&e.user_name_fold)
        .bind(&e.external_id_fold)
        .bind(&e.emails_fold)
        .bind(e.status)
        .bind(e.purge_at)
        .bind(e.created)
        .bind(e.last_modified)
        .bind(Json(&e.doc))
        .bind(record.as_ref().map(|r| r.time))
        .bind(record.as_ref().and_then(|r| r.resource_id.as_deref()))
        .bind(record.as_ref().map(|r| r.actor.as_str()))
        .bind(record.as_ref().map(|r| r.status))
        .bind(record.as_ref().map(|r| Json(&r.json)))
        .fetch_optional(&mut *conn)
        .await
        .map_err(Error::from)?;
        let Some(row) = row else {
            return Err(why_unchanged(&mut conn, ResourceKind::User, tenant.as_str(), &e.id).await?.into());
        };
        let version: i64 = row.try_get(0).map_err(Error::from)?;
        let groups: Option<Json<Value>> = row.try_get(1).map_err(Error::from)?;
        user.set_version(&version_of(version));
        set_array(user.as_object_mut(), "groups", groups.map(|g| g.0));
        Ok(user)
    }

    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        if id.contains('\0') {
            return Err(StoreError::NotFound);
        }
        let expected = expected_revision(if_match);
        let record = audit.map(|r| audit::Row::new(tenant.as_str(), r));
        let (tenant, id) = (tenant.as_str().to_owned(), id.to_owned());
        in_transaction(&self.pool, |conn| -> BoxFuture<'_, Result<(), Error>> {
            let (tenant, id, record) = (tenant.clone(), id.clone(), record.clone());
            Box::pin(async move {
                let deleted = sqlx::query(
                    "DELETE FROM scim_users WHERE tenant = $1 AND id = $2 AND ($3::bigint IS NULL OR version = $3)",
                )
                .bind(&tenant)
                .bind(&id)
                .bind(expected)
                .execute(&mut *conn)
                .await?;
                if deleted.rows_affected() == 0 {
                    return Err(why_unchanged(conn, ResourceKind::User, &tenant, &id).await?);
                }
                audit::insert(conn, record.as_ref()).await?;
                remove_memberships_of(conn, &tenant, &id).await
            })
        })
        .await?;
        Ok(())
    }

    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<User>, StoreError> {
        let page = list::list(&self.pool, ResourceKind::User, tenant.as_str(), query).await?;
        Ok(page.map(|doc| User::from_json(Value::Object(doc))))
    }

    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<(TenantId, User)>, StoreError> {
        /// Users claimed per transaction: each batch commits on its own, so a replica that
        /// dies mid-purge loses no more than its current batch (which stays for the next run).
        const BATCH: i64 = 2000;
        let template = std::sync::Arc::new(audit.cloned());
        let mut purged = Vec::new();
        loop {
            let batch = in_transaction(&self.pool, |conn| -> BoxFuture<'_, Result<Vec<(String, User)>, Error>> {
                let template = std::sync::Arc::clone(&template);
                Box::pin(async move {
                    let rows = sqlx::query(concat!(
                        "WITH c AS (SELECT seq FROM scim_users WHERE purge_at <= $1 AND status = 'suspended' \
                         ORDER BY purge_at LIMIT $2 FOR UPDATE SKIP LOCKED) \
                         DELETE FROM scim_users u USING c WHERE u.seq = c.seq \
                         RETURNING u.tenant, u.version, u.doc, ",
                        groups_column!()
                    ))
                    .bind(now)
                    .bind(BATCH)
                    .fetch_all(&mut *conn)
                    .await?;
                    let mut out = Vec::with_capacity(rows.len());
                    let (mut tenants, mut ids) = (Vec::new(), Vec::new());
                    for row in rows {
                        let tenant: String = row.try_get(0)?;
                        let doc = resource_at(&row, 1, "groups")?;
                        // `groups` was just derived from the memberships: without it there are none.
                        if doc.contains_key("groups")
                            && let Some(id) = doc.get("id").and_then(Value::as_str)
                        {
                            tenants.push(tenant.clone());
                            ids.push(id.to_owned());
                        }
                        out.push((tenant, User::from_json(Value::Object(doc))));
                    }
                    if !ids.is_empty() {
                        sqlx::query(
                            "WITH r AS (DELETE FROM scim_memberships m USING unnest($1::text[], $2::text[]) AS x(tenant, id) \
                             WHERE m.tenant = x.tenant AND m.value = x.id RETURNING m.tenant, m.group_id) \
                             UPDATE scim_groups g SET version = version + 1 FROM (SELECT DISTINCT tenant, group_id FROM r) d \
                             WHERE g.tenant = d.tenant AND g.id = d.group_id",
                        )
                        .bind(&tenants)
                        .bind(&ids)
                        .execute(&mut *conn)
                        .await?;
                    }
                    if let Some(template) = template.as_ref() {
                        audit::insert_many(conn, &audit::purged(template, &out)).await?;
                    }
                    Ok(out)
                })
            })
            .await?;
            let done = (batch.len() as i64) < BATCH;
            purged.extend(batch.into_iter().map(|(t, u)| (TenantId::new(t), u)));
            if done {
                return Ok(purged);
            }
        }
    }

    fn audit_log(&self) -> Option<&dyn AuditLog> {
        Some(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_match_becomes_an_expected_revision() {
        assert_eq!(expected_revision(None), None);
        assert_eq!(expected_revision(Some(&Version::new("*"))), None);
        assert_eq!(expected_revision(Some(&Version::new("W/\"3\""))), Some(3));
        assert_eq!(expected_revision(Some(&Version::new("\"3\""))), Some(3));
        // `"03"` is not `"3"` to the weak comparison, so it matches no revision.
        assert_eq!(expected_revision(Some(&Version::new("\"03\""))), Some(-1));
        assert_eq!(expected_revision(Some(&Version::new("garbage"))), Some(-1));
    }
}
