//! Several stores on one schema, each with its own pool, stand for replicas: the races the
//! database must settle (creates of one `userName`, PATCHes of one user, member changes of
//! one group, purges), concurrent migrations, and a database that goes away.

use crate::common;
use chrono::{Duration, Utc};
use futures_util::future::join_all;
use scim_core::{
    LifecycleEvent, LifecycleEvents, ManualClock, Provisioning, ScimError, StoreError, TenantId, UserStore, urn,
};
use scim_store_postgres::{PostgresOptions, PostgresUserStore};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// `n` stores on one fresh schema, each with its own pool of `connections`.
async fn replicas(n: usize, connections: u32) -> Option<Vec<PostgresUserStore>> {
    let url = common::database_url()?;
    let schema = common::fresh_schema();
    let mut stores = Vec::new();
    for _ in 0..n {
        let options = PostgresOptions::new().with_schema(schema.clone()).with_max_connections(connections);
        stores.push(PostgresUserStore::connect_with(&url, options).await.expect("connect"));
    }
    Some(stores)
}

/// Counts the lifecycle events of one kind.
#[derive(Debug, Default)]
struct Purges(Mutex<BTreeMap<String, usize>>);

impl LifecycleEvents for Purges {
    fn on_event(&self, event: &LifecycleEvent) {
        if let LifecycleEvent::Purged { user, .. } = event {
            *self.0.lock().unwrap().entry(user.id().unwrap_or_default().to_owned()).or_default() += 1;
        }
    }
}

fn services(stores: &[PostgresUserStore], clock: &Arc<ManualClock>, events: &Arc<Purges>) -> Vec<Provisioning> {
    stores
        .iter()
        .map(|s| {
            Provisioning::new(Arc::new(s.clone()))
                .with_clock(clock.clone())
                .with_retention(Duration::days(30))
                .with_events(events.clone())
        })
        .collect()
}

fn id_of(u: &scim_core::User) -> String {
    u.id().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_starting_together_migrate_once() {
    let Some(url) = common::database_url() else { return };
    let schema = common::fresh_schema();
    let opens = (0..8).map(|_| {
        PostgresUserStore::connect_with(
            &url,
            PostgresOptions::new().with_schema(schema.clone()).with_max_connections(2),
        )
    });
    let stores: Vec<PostgresUserStore> = join_all(opens).await.into_iter().map(|s| s.expect("open")).collect();
    let versions: Vec<i64> = sqlx::query_scalar("SELECT version FROM scim_schema_migrations ORDER BY version")
        .fetch_all(stores[0].pool())
        .await
        .unwrap();
    assert_eq!(versions, (1..=PostgresUserStore::schema_version()).collect::<Vec<_>>());
    // Opening again finds nothing to do.
    let again =
        PostgresUserStore::connect_with(&url, PostgresOptions::new().with_schema(schema).with_max_connections(1)).await;
    assert!(again.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_database_migrated_by_a_newer_crate_is_refused() {
    let Some(url) = common::database_url() else { return };
    let schema = common::fresh_schema();
    let store =
        PostgresUserStore::connect_with(&url, PostgresOptions::new().with_schema(schema.clone())).await.unwrap();
    sqlx::query("INSERT INTO scim_schema_migrations (version) VALUES ($1)")
        .bind(PostgresUserStore::schema_version() + 1)
        .execute(store.pool())
        .await
        .unwrap();
    let err = PostgresUserStore::connect_with(&url, PostgresOptions::new().with_schema(schema)).await.unwrap_err();
    assert!(err.to_string().contains("newer"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_creates_of_one_user_name_through_replicas_give_one_winner() {
    let Some(stores) = replicas(3, 4).await else { return };
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let events = Arc::new(Purges::default());
    let svcs = services(&stores, &clock, &events);
    let t = TenantId::new("race");
    for round in 0..10 {
        let body = json!({"schemas": [urn::USER], "userName": format!("Same{round}@Example.com"), "externalId": "x"});
        let creates = (0..12).map(|i| {
            let (svc, t, mut body) = (&svcs[i % svcs.len()], &t, body.clone());
            // Differently cased, as two IdPs (or retries) might send it.
            if i % 2 == 1 {
                body["userName"] = json!(body["userName"].as_str().unwrap().to_lowercase());
            }
            async move { svc.create_user(t, &body).await }
        });
        let results = join_all(creates).await;
        let winners = results.iter().filter(|r| r.is_ok()).count();
        assert_eq!(winners, 1, "round {round}: {results:?}");
        for r in &results {
            if let Err(e) = r {
                assert_eq!(e.status(), http::StatusCode::CONFLICT, "{e:?}");
                assert_eq!(e.scim_type(), Some(scim_core::ScimType::Uniqueness));
            }
        }
    }
    let all = svcs[1].list_users(&t, &scim_core::ListRequest::new()).await.unwrap();
    assert_eq!(all.total_results, 10);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_patches_through_replicas_lose_no_update() {
    let Some(stores) = replicas(3, 4).await else { return };
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let events = Arc::new(Purges::default());
    let svcs = services(&stores, &clock, &events);
    let t = TenantId::new("patch");
    let id = id_of(&svcs[0].create_user(&t, &json!({"userName": "busy@example.com"})).await.unwrap());
    let patches = (0..24).map(|w| {
        let (svc, t, id) = (&svcs[w % svcs.len()], &t, id.as_str());
        let body = json!({"schemas": [urn::PATCH_OP], "Operations": [
            {"op": "add", "path": "emails", "value": [{"value": format!("w{w}@example.com"), "type": format!("t{w}")}]}
        ]});
        async move { svc.patch_user(t, id, &body, None).await }
    });
    for r in join_all(patches).await {
        r.expect("every patch succeeds");
    }
    let u = svcs[2].get_user(&t, &id).await.unwrap();
    let emails = u.as_object()["emails"].as_array().unwrap().len();
    assert_eq!(emails, 24, "every replica's PATCH landed");
    assert_eq!(u.version().unwrap().as_str(), "W/\"25\"");

    // Member adds to one group through every replica: none lost.
    let gid = svcs[0].create_group(&t, &json!({"displayName": "crowd"})).await.unwrap().id().unwrap().to_owned();
    let mut members = Vec::new();
    for m in 0..30 {
        members.push(id_of(
            &svcs[m % 3].create_user(&t, &json!({"userName": format!("m{m}@example.com")})).await.unwrap(),
        ));
    }
    let adds = members.iter().enumerate().map(|(m, member)| {
        let (svc, t, gid) = (&svcs[m % svcs.len()], &t, gid.as_str());
        let body = json!({"schemas": [urn::PATCH_OP], "Operations": [
            {"op": "add", "path": "members", "value": [{"value": member}]}
        ]});
        async move { svc.patch_group(t, gid, &body, None).await }
    });
    for r in join_all(adds).await {
        r.expect("every member add succeeds");
    }
    let g = svcs[1].get_group(&t, &gid, true).await.unwrap();
    assert_eq!(g.as_object()["members"].as_array().unwrap().len(), 30);
    // Read-your-writes across replicas: each member's `groups` names the group.
    for (m, member) in members.iter().enumerate() {
        let u = svcs[(m + 1) % 3].get_user(&t, member).await.unwrap();
        assert_eq!(u.as_object()["groups"][0]["value"], Value::String(gid.clone()));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_never_outlives_its_user_when_a_delete_races_an_add() {
    let Some(stores) = replicas(2, 4).await else { return };
    let t = TenantId::new("member-race");
    let (a, b) = (&stores[0], &stores[1]);
    for round in 0..20 {
        let gid = format!("g{round}");
        let mut g = scim_core::Group::from_json(json!({"schemas": [urn::GROUP], "id": gid, "displayName": gid}));
        g.set_created(Utc::now());
        g.set_last_modified(Utc::now());
        scim_core::GroupStore::create(a, &t, g, None).await.unwrap();
        let uid = format!("u{round}");
        let mut u = scim_core::User::from_json(json!({"schemas": [urn::USER], "id": uid, "userName": uid}));
        u.set_created(Utc::now());
        u.set_last_modified(Utc::now());
        UserStore::create(a, &t, u, None).await.unwrap();
        let change = scim_core::store::MemberChange { add: vec![json!({"value": uid})], remove: vec![] };
        let (added, deleted) = tokio::join!(
            scim_core::GroupStore::modify_members(a, &t, &gid, &change, Utc::now(), None, None),
            UserStore::delete(b, &t, &uid, None, None)
        );
        added.unwrap();
        deleted.unwrap();
        let g = scim_core::GroupStore::get(b, &t, &gid, true).await.unwrap();
        assert!(g.as_object().get("members").is_none(), "round {round}: the deleted user is still a member: {g:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replicas_purging_at_once_purge_each_user_once() {
    let Some(stores) = replicas(3, 4).await else { return };
    let clock = Arc::new(ManualClock::new(Utc::now()));
    let events = Arc::new(Purges::default());
    let svcs = services(&stores, &clock, &events);
    let t = TenantId::new("purge");
    let mut ids = Vec::new();
    for i in 0..300 {
        let body = json!({"schemas": [urn::USER], "userName": format!("gone{i}@example.com"), "active": false});
        ids.push(id_of(&svcs[i % 3].create_user(&t, &body).await.unwrap()));
    }
    let keep = id_of(&svcs[0].create_user(&t, &json!({"userName": "stays@example.com"})).await.unwrap());
    clock.advance(Duration::days(31));
    let purges = svcs.iter().map(|s| s.purge_expired());
    let counts: Vec<usize> = join_all(purges).await.into_iter().map(|r| r.unwrap()).collect();
    assert_eq!(counts.iter().sum::<usize>(), 300, "{counts:?}");
    let seen = events.0.lock().unwrap().clone();
    assert_eq!(seen.len(), 300);
    assert!(seen.values().all(|&n| n == 1), "a user purged twice: {seen:?}");
    assert!(svcs[1].get_user(&t, &keep).await.is_ok());
    for id in ids.iter().take(10) {
        assert_eq!(svcs[2].get_user(&t, id).await.unwrap_err().status(), http::StatusCode::NOT_FOUND);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_database_is_503_with_retry_after_and_the_store_recovers() {
    let Some(url) = common::database_url() else { return };
    let options = PostgresOptions::new()
        .with_schema(common::fresh_schema())
        .with_max_connections(1)
        .with_acquire_timeout(std::time::Duration::from_millis(200));
    let store = PostgresUserStore::connect_with(&url, options).await.unwrap();
    let svc = Provisioning::new(Arc::new(store.clone()));
    let t = TenantId::new("down");
    let id = id_of(&svc.create_user(&t, &json!({"userName": "a@example.com"})).await.unwrap());

    // Every connection busy (as when the database stops answering): fail fast with 503.
    let held = store.pool().acquire().await.unwrap();
    let err = svc.get_user(&t, &id).await.unwrap_err();
    assert_eq!(err.status(), http::StatusCode::SERVICE_UNAVAILABLE, "{err:?}");
    assert!(err.retry_after().is_some_and(|s| s >= 1));
    let raw = UserStore::get(&store, &t, &id).await.unwrap_err();
    assert!(matches!(raw, StoreError::Unavailable { backend: "postgres", .. }), "{raw:?}");
    drop(held);

    // The server drops the store's connection (a restart or a failover looks the same):
    // requests fail fast or succeed, and the pool reconnects by itself.
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()").fetch_one(store.pool()).await.unwrap();
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    let killed: bool = sqlx::query_scalar("SELECT pg_terminate_backend($1)").bind(pid).fetch_one(&admin).await.unwrap();
    assert!(killed);
    let mut recovered = false;
    for _ in 0..20 {
        match svc.get_user(&t, &id).await {
            Ok(u) => {
                assert_eq!(u.user_name(), Some("a@example.com"));
                recovered = true;
                break;
            }
            Err(e) => {
                let e: ScimError = e;
                assert_eq!(e.status(), http::StatusCode::SERVICE_UNAVAILABLE, "{e:?}");
                tokio::time::sleep(std::time::Duration::from_millis(100)).await;
            }
        }
    }
    assert!(recovered, "the store did not recover");
}
