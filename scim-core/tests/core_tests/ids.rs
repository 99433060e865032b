//! The ids the provisioning service gives new resources: random UUID v4s, lowercase, hyphenated.

use scim_core::{Provisioning, TenantId};
use scim_store_memory::MemoryUserStore;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;

/// Whether `id` is a UUID v4 (RFC 9562 variant) written as 8-4-4-4-12 lowercase hex digits.
fn is_uuid_v4(id: &str) -> bool {
    let b = id.as_bytes();
    b.len() == 36
        && b.iter().enumerate().all(|(i, c)| match i {
            8 | 13 | 18 | 23 => *c == b'-',
            _ => c.is_ascii_digit() || (b'a'..=b'f').contains(c),
        })
        && b[14] == b'4'
        && matches!(b[19], b'8' | b'9' | b'a' | b'b')
}

#[tokio::test]
async fn new_users_and_groups_get_distinct_uuid_v4_ids() {
    let scim = Provisioning::new(Arc::new(MemoryUserStore::new()));
    let tenant = TenantId::new("acme");
    let mut ids = HashSet::new();
    for i in 0..50 {
        let user = scim.create_user(&tenant, &json!({"userName": format!("u{i}@example.com")})).await.expect("user");
        let group = scim.create_group(&tenant, &json!({"displayName": format!("G{i}")})).await.expect("group");
        for id in [user.id().expect("user id"), group.id().expect("group id")] {
            assert!(is_uuid_v4(id), "{id} is not a lowercase UUID v4");
            assert!(ids.insert(id.to_owned()), "{id} given twice");
        }
    }
    assert!(!is_uuid_v4("2819c223-7f76-453a-919d-413861904646".to_uppercase().as_str()));
    assert!(!is_uuid_v4("2819c223-7f76-153a-919d-413861904646"));
}
