//! Helpers shared by the integration tests.
#![allow(dead_code, unreachable_pub)]

use chrono::{DateTime, TimeZone, Utc};
use scim_core::store::{ListQuery, QueryFilter};
use scim_core::{Group, Lifecycle, TenantId, User, UserStatus, urn};
use scim_query::{AttrFacts, AttrPath, AttrType, AttributeFacts, CompiledFilter, parse_filter};
use serde_json::{Value, json};

/// The facts the default schema gives the attributes the store pushes down; everything else
/// is resolved dynamically by the evaluator.
#[derive(Debug, Clone, Copy)]
pub struct Facts;

impl AttributeFacts for Facts {
    fn resolve(&self, parent: Option<&AttrPath>, path: &AttrPath) -> Option<AttrFacts> {
        if parent.is_some() || path.sub_attr.is_some() {
            return None;
        }
        if let Some(u) = &path.urn {
            if !u.eq_ignore_ascii_case(urn::USER) && !u.eq_ignore_ascii_case(urn::GROUP) {
                return None;
            }
        }
        let (key, attr_type, case_exact) = match path.name.to_ascii_lowercase().as_str() {
            "username" => ("userName", AttrType::String, false),
            "displayname" => ("displayName", AttrType::String, false),
            "id" => ("id", AttrType::String, true),
            "externalid" => ("externalId", AttrType::String, true),
            "active" => ("active", AttrType::Boolean, false),
            _ => return None,
        };
        Some(AttrFacts { keys: vec![key.to_owned()], attr_type, case_exact, multi_valued: false })
    }
}

pub fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap()
}

pub fn tenant(name: &str) -> TenantId {
    TenantId::new(name)
}

/// A user as the provisioning service would hand it to the store.
pub fn user_from(mut doc: Value) -> User {
    doc["schemas"] = json!([urn::USER]);
    let mut u = User::from_json(doc);
    u.set_created(t0());
    u.set_last_modified(t0());
    u.set_lifecycle(&Lifecycle::default());
    u
}

pub fn user(id: &str, user_name: &str) -> User {
    user_from(json!({"id": id, "userName": user_name, "active": true}))
}

pub fn suspended(id: &str, user_name: &str, purge_at: DateTime<Utc>) -> User {
    let mut u = user_from(json!({"id": id, "userName": user_name, "active": false}));
    u.set_lifecycle(&Lifecycle {
        status: UserStatus::Suspended,
        invited_at: None,
        activated_at: None,
        suspended_at: Some(t0()),
        purge_at: Some(purge_at),
    });
    u
}

pub fn group(id: &str, display_name: &str, members: &[&str]) -> Group {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m, "type": "User"})).collect();
    let mut g =
        Group::from_json(json!({"schemas": [urn::GROUP], "id": id, "displayName": display_name, "members": members}));
    g.set_created(t0());
    g.set_last_modified(t0());
    g
}

pub fn filter(text: &str) -> QueryFilter {
    let filter = parse_filter(text).unwrap_or_else(|e| panic!("{text}: {e}"));
    let compiled = CompiledFilter::compile(&filter, &Facts).unwrap();
    QueryFilter { filter, compiled }
}

pub fn query(text: Option<&str>) -> ListQuery {
    ListQuery::new().with_filter(text.map(filter)).with_count(1000)
}

pub fn ids<T>(items: &[T], id: impl Fn(&T) -> Option<&str>) -> Vec<String> {
    items.iter().map(|i| id(i).unwrap_or_default().to_owned()).collect()
}
