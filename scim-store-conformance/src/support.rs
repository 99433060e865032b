//! Helpers shared by the cases.

use chrono::{DateTime, Duration, TimeZone, Utc};
use scim_core::lifecycle::Lifecycle;
use scim_core::{DynUserStore, Group, TenantId, User, UserStatus, urn};
use serde_json::{Value, json};

/// A tenant id private to one case.
pub(crate) fn tenant(case: &str, name: &str) -> TenantId {
    TenantId::new(format!("conformance-{case}-{name}"))
}

/// A fixed instant the cases start from.
pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).single().unwrap_or_default()
}

/// A user document as the provisioning service would hand it to a store.
pub(crate) fn user(id: &str, user_name: &str) -> User {
    user_at(id, user_name, t0())
}

pub(crate) fn user_at(id: &str, user_name: &str, created: DateTime<Utc>) -> User {
    let mut u = User::from_json(json!({
        "schemas": [urn::USER, urn::LIFECYCLE_USER],
        "id": id,
        "userName": user_name,
        "active": true,
        "name": {"givenName": "Given", "familyName": "Family"},
    }));
    u.set_created(created);
    u.set_last_modified(created);
    u.set_lifecycle(&Lifecycle::default());
    u
}

/// `user` turned into a suspended user that will be purged at `purge_at`.
pub(crate) fn suspended(mut u: User, at: DateTime<Utc>, purge_at: DateTime<Utc>) -> User {
    u.as_object_mut().insert("active".into(), Value::Bool(false));
    u.set_lifecycle(&Lifecycle {
        status: UserStatus::Suspended,
        invited_at: None,
        activated_at: None,
        suspended_at: Some(at),
        purge_at: Some(purge_at),
    });
    u
}

/// A group document with members.
pub(crate) fn group(id: &str, display_name: &str, members: &[&str]) -> Group {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m, "type": "User"})).collect();
    let mut doc = json!({"schemas": [urn::GROUP], "id": id, "displayName": display_name});
    if !members.is_empty() {
        doc["members"] = Value::Array(members);
    }
    let mut g = Group::from_json(doc);
    g.set_created(t0());
    g.set_last_modified(t0());
    g
}

/// The document without `meta` (for comparing content across writes).
pub(crate) fn content(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("meta");
    }
    v
}

/// Ids of a page's users, in order.
pub(crate) fn ids(users: &[User]) -> Vec<String> {
    users.iter().map(|u| u.id().unwrap_or_default().to_owned()).collect()
}

/// Member values of a group's document.
/// The `value`s of a user's `emails`, sorted.
pub(crate) fn sorted_emails(u: &User) -> Vec<String> {
    let mut emails: Vec<String> = u.as_object()["emails"]
        .as_array()
        .expect("emails")
        .iter()
        .filter_map(|e| e["value"].as_str().map(str::to_owned))
        .collect();
    emails.sort();
    emails
}

pub(crate) fn member_values(g: &Group) -> Vec<String> {
    let mut v: Vec<String> = g.member_ids().map(str::to_owned).collect();
    v.sort();
    v
}

/// Group ids in a user's derived `groups`.
pub(crate) fn group_values(u: &User) -> Vec<String> {
    let mut v: Vec<String> = u
        .as_object()
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("value").and_then(Value::as_str).map(str::to_owned))
        .collect();
    v.sort();
    v
}

/// Creates `n` users `u000…` named `user000@example.com…`, one minute apart.
pub(crate) async fn seed(users: &DynUserStore, t: &TenantId, n: usize) -> Vec<User> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let created = t0() + Duration::minutes(i64::try_from(i).unwrap_or(0));
        let u = user_at(&format!("u{i:03}"), &format!("user{i:03}@example.com"), created);
        out.push(users.create(t, u, None).await.expect("create"));
    }
    out
}
