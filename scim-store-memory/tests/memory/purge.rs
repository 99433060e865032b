//! `purge_expired` across batches: many due users in several tenants, interleaved in time,
//! some in groups; everything they were indexed under goes with them, nothing else does.

use chrono::{Duration, TimeZone, Utc};
use scim_core::store::ListQuery;
use scim_core::store::QueryFilter;
use scim_core::{Group, GroupStore, Lifecycle, TenantId, User, UserStatus, UserStore};
use scim_core::{ResourceKind, SchemaRegistry};
use scim_store_memory::MemoryUserStore;
use serde_json::json;

fn query(filter: &str) -> ListQuery {
    let registry = SchemaRegistry::scim_default();
    let filter =
        QueryFilter::parse(&registry, registry.kind(ResourceKind::User).expect("User"), filter).expect("filter");
    ListQuery::new().with_filter(filter)
}

#[tokio::test]
async fn purges_every_due_user_of_every_tenant_in_batches() {
    let store = MemoryUserStore::new();
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().expect("time");
    let tenants = [TenantId::new("a"), TenantId::new("b")];
    // 700 users per tenant (more than one batch); every third is due, at times that interleave
    // the tenants; user 0 of each tenant is in a group.
    for (ti, tenant) in tenants.iter().enumerate() {
        for i in 0..700 {
            let mut user = User::from_json(json!({
                "id": format!("{ti}-{i}"), "userName": format!("User{i}@X.org"), "externalId": format!("E{i}")
            }));
            if i % 3 == 0 {
                user.set_lifecycle(&Lifecycle {
                    status: UserStatus::Suspended,
                    invited_at: None,
                    activated_at: None,
                    suspended_at: Some(t0),
                    purge_at: Some(t0 + Duration::seconds(i)),
                });
            }
            UserStore::create(&store, tenant, user, None).await.expect("create");
        }
        let group = Group::from_json(json!({"id": format!("g{ti}"), "displayName": "G",
            "members": [{"value": format!("{ti}-0")}, {"value": format!("{ti}-1")}]}));
        GroupStore::create(&store, tenant, group, None).await.expect("group");
    }

    let purged = store.purge_expired(t0 + Duration::days(1), None).await.expect("purge");
    assert_eq!(purged.len(), 2 * 234, "every third of 700 users, in both tenants");
    for (tenant, user) in &purged {
        let id = user.id().expect("id");
        assert!(id.starts_with(if *tenant == tenants[0] { "0-" } else { "1-" }), "{id} under {tenant}");
        let i: usize = id[2..].parse().expect("number");
        assert_eq!(i % 3, 0, "only due users");
        assert_eq!(user.as_json().get("groups").is_some(), i == 0, "groups as they were, for {id}");
    }
    for (ti, tenant) in tenants.iter().enumerate() {
        let left = UserStore::list(&store, tenant, &ListQuery::default()).await.expect("list");
        assert_eq!(left.total_results, 700 - 234);
        for i in [0, 3, 699] {
            let gone = UserStore::list(
                &store,
                tenant,
                &query(&format!("userName eq \"user{i}@x.org\" or externalId eq \"e{i}\"")),
            )
            .await;
            assert_eq!(gone.expect("list").total_results, 0, "user {i} is out of every index");
            // Its userName is free again.
            let again = User::from_json(json!({"id": format!("{ti}-{i}-new"), "userName": format!("USER{i}@x.org")}));
            UserStore::create(&store, tenant, again, None).await.expect("userName free after the purge");
        }
        let kept = UserStore::list(&store, tenant, &query("userName eq \"user1@x.org\"")).await.expect("list");
        assert_eq!(kept.total_results, 1, "a live user keeps its index entries");
        let group = GroupStore::get(&store, tenant, &format!("g{ti}"), true).await.expect("group");
        let members: Vec<&str> = group.member_ids().collect();
        assert_eq!(members, [format!("{ti}-1")], "the purged member left the group");
    }
    assert!(store.purge_expired(t0 + Duration::days(1), None).await.expect("purge").is_empty(), "nothing twice");
}
