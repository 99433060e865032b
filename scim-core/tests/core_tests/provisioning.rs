//! The provisioning service over the memory store, driven the way Entra ID and Okta drive it.

use chrono::{Duration, TimeZone, Utc};
use http::StatusCode;
use scim_core::{
    LifecycleEvent, LifecycleEvents, ListRequest, ManualClock, Provisioning, ScimType, TenantId, UserStatus, urn,
};
use scim_store_memory::MemoryUserStore;
use serde_json::{Value, json};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

fn service() -> (Provisioning, Arc<ManualClock>) {
    let store = Arc::new(MemoryUserStore::new());
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2025, 6, 1, 8, 0, 0).single().expect("time")));
    (Provisioning::new(store).with_clock(clock.clone()), clock)
}

fn filter(f: &str) -> ListRequest {
    ListRequest::new().with_filter(f)
}

fn patch(ops: &Value) -> Value {
    json!({"schemas": [urn::PATCH_OP], "Operations": ops})
}

/// Entra's create body, with the quirks of its documentation (string boolean, nulls, empty roles).
fn entra_create() -> Value {
    json!({
        "schemas": [urn::USER, urn::ENTERPRISE_USER],
        "externalId": "jyoung",
        "userName": "Test_User_ab6490ee@testuser.com",
        "active": "True",
        "addresses": null,
        "displayName": "Joy Young",
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": [],
        urn::ENTERPRISE_USER: {"department": "Sales", "manager": null}
    })
}

#[tokio::test]
async fn entra_user_cycle_create_match_update_disable_enable_delete() {
    let (scim, clock) = service();
    let t = TenantId::new("entra");
    // Test Connection: a random GUID as userName, 200 with no results.
    let probe =
        scim.list_users(&t, &filter("userName eq \"6a8d3f57-1d6c-4b8e-b7e1-0f2e9a3c4d5e\"")).await.expect("probe");
    assert_eq!((probe.total_results, probe.items.len()), (0, 0));

    let created = scim.create_user(&t, &entra_create()).await.expect("create");
    let id = created.id().expect("id").to_owned();
    assert_eq!(created.as_json()["active"], json!(true), "\"True\" stored as a boolean");
    assert!(created.as_json().get("addresses").is_none(), "nulls are unassigned");
    assert_eq!(created.lifecycle().status, UserStatus::Pending);

    // Matching, by userName (any case) and by externalId (bare value, as in an old example).
    let m = scim.list_users(&t, &filter("userName eq \"test_user_AB6490EE@testuser.com\"")).await.expect("match");
    assert_eq!(m.items.iter().map(|u| u.id()).collect::<Vec<_>>(), [Some(id.as_str())]);
    let m = scim.list_users(&t, &filter("externalId eq jyoung")).await.expect("match");
    assert_eq!(m.total_results, 1);

    // Update: one op per attribute, capitalised ops, a value-path target; then the manager as a bare string.
    clock.advance(Duration::minutes(40));
    let u = scim
        .patch_user(
            &t,
            &id,
            &patch(&json!([
                {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "joy@contoso.com"},
                {"op": "Replace", "path": "name.givenName", "value": "Joy"},
                {"op": "Add", "path": "nickName", "value": "Babs"}
            ])),
            None,
        )
        .await
        .expect("update");
    assert_eq!(u.as_json()["emails"][0]["value"], "joy@contoso.com");
    assert_eq!(u.as_json()["name"]["givenName"], "Joy");
    assert_eq!(u.as_json()["name"]["familyName"], "familyName", "other sub-attributes kept");
    let manager = scim.create_user(&t, &json!({"userName": "boss@contoso.com"})).await.expect("manager");
    let manager_id = manager.id().expect("id").to_owned();
    let u = scim
        .patch_user(
            &t,
            &id,
            &patch(&json!([{"op": "Add", "path": format!("{}:manager", urn::ENTERPRISE_USER), "value": manager_id}])),
            None,
        )
        .await
        .expect("manager");
    assert_eq!(u.as_json()[urn::ENTERPRISE_USER]["manager"]["value"], json!(manager_id), "returned as an object");

    // Unassigned: "False" as a string. Still readable and matchable, active false.
    let off = scim
        .patch_user(&t, &id, &patch(&json!([{"op": "Replace", "path": "active", "value": "False"}])), None)
        .await
        .expect("disable");
    assert_eq!(off.as_json()["active"], json!(false));
    let got = scim.get_user(&t, &id).await.expect("GET after disable");
    assert_eq!(got.as_json()["active"], json!(false));
    assert_eq!(got.lifecycle().status, UserStatus::Suspended);
    let m = scim.list_users(&t, &filter("userName eq \"Test_User_ab6490ee@testuser.com\"")).await.expect("match");
    assert_eq!(m.total_results, 1);

    // Reassigned.
    let on = scim
        .patch_user(&t, &id, &patch(&json!([{"op": "Replace", "path": "active", "value": "True"}])), None)
        .await
        .expect("enable");
    assert_eq!(on.as_json()["active"], json!(true));
    assert_eq!(on.lifecycle().status, UserStatus::Pending);
    assert_eq!(on.as_json()["nickName"], "Babs");

    // Hard-deleted in Entra.
    scim.delete_user(&t, &id, None).await.expect("delete");
    assert_eq!(scim.get_user(&t, &id).await.expect_err("gone").status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn entra_group_cycle_without_members_in_reads() {
    let (scim, _clock) = service();
    let t = TenantId::new("entra-groups");
    let mut ids = Vec::new();
    for i in 0..3 {
        let u = scim.create_user(&t, &json!({"userName": format!("u{i}@contoso.com")})).await.expect("user");
        ids.push(u.id().expect("id").to_owned());
    }
    let lookup = ListRequest::new().with_filter("displayName eq \"Sales\"").with_members(false);
    assert_eq!(scim.list_groups(&t, &lookup).await.expect("lookup").total_results, 0);
    let g = scim
        .create_group(
            &t,
            &json!({
                "schemas": [urn::GROUP, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                "displayName": "Sales",
                "meta": {"resourceType": "Group"}
            }),
        )
        .await
        .expect("create group");
    let gid = g.id().expect("id").to_owned();
    let add = patch(
        &json!([{"op": "Add", "path": "members", "value": ids.iter().map(|i| json!({"$ref": null, "value": i})).collect::<Vec<_>>()}]),
    );
    scim.patch_group(&t, &gid, &add, None).await.expect("add members");
    let remove = patch(&json!([{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": ids[1]}]}]));
    scim.patch_group(&t, &gid, &remove, None).await.expect("remove member");
    let page = scim.list_groups(&t, &lookup).await.expect("lookup");
    assert_eq!(page.total_results, 1);
    assert!(page.items[0].as_json().get("members").is_none(), "excludedAttributes=members honoured");
    let full = scim.get_group(&t, &gid, true).await.expect("get");
    assert_eq!(full.member_ids().collect::<Vec<_>>(), [ids[0].as_str(), ids[2].as_str()]);
    let dup = scim.create_group(&t, &json!({"displayName": "SALES"})).await.expect_err("duplicate");
    assert_eq!(dup.scim_type(), Some(ScimType::Uniqueness));
    scim.delete_group(&t, &gid, None).await.expect("delete");
    assert!(scim.get_user(&t, &ids[0]).await.expect("user").as_json().get("groups").is_none());
}

#[tokio::test]
async fn okta_put_read_modify_write_echoes_server_attributes_and_never_returns_password() {
    let (scim, clock) = service();
    let t = TenantId::new("okta");
    let page =
        scim.list_users(&t, &ListRequest::new().with_start_index(1).with_count(2)).await.expect("test connector");
    assert_eq!(page.total_results, 0);
    let body = json!({
        "schemas": [urn::USER],
        "userName": "test.user@okta.local",
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": true, "value": "test.user@okta.local", "type": "work"}],
        "displayName": "Test User",
        "locale": "en-US",
        "externalId": "00ujl29u0le5T6Aj10h7",
        "groups": [],
        "password": "1mz050nq",
        "active": true
    });
    let created = scim.create_user(&t, &body).await.expect("create");
    assert!(created.as_json().get("password").is_none(), "password is never stored nor returned");
    let id = created.id().expect("id").to_owned();
    let again = scim.create_user(&t, &body).await.expect_err("second POST");
    assert_eq!((again.status(), again.scim_type()), (StatusCode::CONFLICT, Some(ScimType::Uniqueness)));
    let g =
        scim.create_group(&t, &json!({"displayName": "Okta Group", "members": [{"value": id}]})).await.expect("group");

    // GET, edit the JSON, PUT it all back (id, meta, schemas, groups, lifecycle extension included).
    clock.advance(Duration::minutes(5));
    let mut doc = scim.get_user(&t, &id).await.expect("get").as_json().clone();
    assert_eq!(doc["groups"][0]["value"], json!(g.id().expect("gid")));
    doc["name"]["givenName"] = json!("Changed");
    doc["password"] = json!("new-secret");
    let put = scim.replace_user(&t, &id, &doc, None).await.expect("PUT");
    assert_eq!(put.id(), Some(id.as_str()));
    assert_eq!(put.as_json()["name"]["givenName"], "Changed");
    assert!(put.as_json().get("password").is_none());
    assert_eq!(put.as_json()["groups"][0]["value"], json!(g.id().expect("gid")), "groups still derived");
    assert_eq!(put.meta().map(|m| m.created), created.meta().map(|m| m.created));
    assert_ne!(put.version(), created.version());

    // Deactivate by PUT (AIW apps) and by a no-path PATCH (OIN apps); reactivate the same id.
    let mut off = put.as_json().clone();
    off["active"] = json!(false);
    let s = scim.replace_user(&t, &id, &off, None).await.expect("PUT active=false");
    assert_eq!(s.lifecycle().status, UserStatus::Suspended);
    let found = scim.list_users(&t, &filter("userName eq \"test.user@okta.local\"")).await.expect("filter");
    assert_eq!(found.items[0].as_json()["active"], json!(false));
    let on = scim
        .patch_user(&t, &id, &patch(&json!([{"op": "replace", "value": {"id": id, "active": true}}])), None)
        .await
        .expect("PATCH active=true");
    assert_eq!(on.as_json()["active"], json!(true));
    let off = scim
        .patch_user(&t, &id, &patch(&json!([{"op": "replace", "value": {"active": false}}])), None)
        .await
        .expect("PATCH active=false");
    assert_eq!(off.lifecycle().status, UserStatus::Suspended);
}

#[derive(Debug, Default)]
struct Panicky(AtomicUsize);

impl LifecycleEvents for Panicky {
    fn on_event(&self, _event: &LifecycleEvent) {
        self.0.fetch_add(1, Ordering::SeqCst);
        panic!("the host's hook is broken");
    }
}

#[tokio::test]
async fn a_panicking_events_hook_does_not_fail_or_corrupt_the_write() {
    let store = Arc::new(MemoryUserStore::new());
    let hook = Arc::new(Panicky::default());
    let scim = Provisioning::new(store.clone()).with_events(hook.clone());
    let t = TenantId::new("panic");
    let u = scim.create_user(&t, &json!({"userName": "a@example.com"})).await.expect("create succeeds");
    let id = u.id().expect("id").to_owned();
    let s = scim
        .patch_user(&t, &id, &patch(&json!([{"op": "replace", "path": "active", "value": false}])), None)
        .await
        .expect("patch succeeds");
    assert_eq!(s.lifecycle().status, UserStatus::Suspended);
    assert_eq!(hook.0.load(Ordering::SeqCst), 2, "the hook was called for both events");
    assert_eq!(scim.get_user(&t, &id).await.expect("get").lifecycle().status, UserStatus::Suspended);
    assert_eq!(store.user_count(), 1);
    scim.create_user(&t, &json!({"userName": "b@example.com"})).await.expect("the store still works");
}

#[tokio::test]
async fn invalid_requests_are_4xx_not_500() {
    let (scim, _clock) = service();
    let t = TenantId::new("bad");
    let e = scim.create_user(&t, &json!({"name": {"givenName": "no userName"}})).await.expect_err("required");
    assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    let e = scim.create_user(&t, &json!("not an object")).await.expect_err("syntax");
    assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    let id =
        scim.create_user(&t, &json!({"userName": "a@example.com"})).await.expect("create").id().expect("id").to_owned();
    let e = scim.patch_user(&t, &id, &json!({"Operations": "nope"}), None).await.expect_err("bad patch");
    assert_eq!(e.status(), StatusCode::BAD_REQUEST);
    let e = scim.patch_user(&t, "missing", &patch(&json!([{"op": "add", "path": "title", "value": "x"}])), None).await;
    assert_eq!(e.expect_err("404").status(), StatusCode::NOT_FOUND);
    let e = scim.list_users(&t, &filter("userName eq")).await.expect_err("bad filter");
    assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter));
    let e = scim
        .list_users(&t, &{
            let mut request = ListRequest::new();
            request.sort_order = Some("up".into());
            request
        })
        .await;
    assert_eq!(e.expect_err("bad sortOrder").scim_type(), Some(ScimType::InvalidValue));
}

#[test]
fn service_futures_are_send() {
    fn assert_send<T: Send>(_: &T) {}
    let (scim, _clock) = service();
    let t = TenantId::new("send");
    let body = json!({});
    assert_send(&scim.create_user(&t, &body));
    assert_send(&scim.patch_user(&t, "x", &body, None));
    assert_send(&scim.replace_user(&t, "x", &body, None));
    assert_send(&scim.patch_group(&t, "x", &body, None));
    assert_send(&scim.list_users(&t, &ListRequest::default()));
    assert_send(&scim.accept_invitation(&t, "x"));
    assert_send(&scim.purge_expired());
}

#[tokio::test]
async fn replace_and_patch_keep_a_host_extension_immutable_attribute() {
    use scim_core::schema::{AttrType, AttributeDef, Mutability, Schema, SchemaRegistry};
    const HR: &str = "urn:example:params:scim:schemas:extension:hr:1.0:User";
    let mut registry = SchemaRegistry::scim_default();
    registry.add_schema(Schema {
        id: HR.to_owned(),
        name: "HR".to_owned(),
        description: "HR data".to_owned(),
        attributes: vec![AttributeDef::new("hireCode", AttrType::String).with_mutability(Mutability::Immutable)],
    });
    registry.add_extension("User", HR, false);
    let store = Arc::new(MemoryUserStore::new());
    let scim = Provisioning::new(store).with_registry(Arc::new(registry));
    let t = TenantId::new("hr");
    let created = scim
        .create_user(&t, &json!({"schemas": [urn::USER, HR], "userName": "ann", HR: {"hireCode": "h1"}}))
        .await
        .expect("create");
    let id = created.id().expect("id").to_owned();

    let err = scim
        .patch_user(&t, &id, &patch(&json!([{"op": "replace", "path": format!("{HR}:hireCode"), "value": "h2"}])), None)
        .await
        .expect_err("an immutable attribute cannot change");
    assert_eq!((err.status(), err.scim_type()), (StatusCode::BAD_REQUEST, Some(ScimType::Mutability)));

    let patched = scim
        .patch_user(&t, &id, &patch(&json!([{"op": "replace", "path": "title", "value": "Engineer"}])), None)
        .await
        .expect("patch");
    assert_eq!(patched.as_json()[HR]["hireCode"], "h1");
    // A PUT that omits the immutable attribute keeps the stored value.
    let put = scim.replace_user(&t, &id, &json!({"schemas": [urn::USER], "userName": "ann"}), None).await.expect("put");
    assert_eq!(put.as_json()[HR]["hireCode"], "h1");
    let err = scim
        .replace_user(&t, &id, &json!({"userName": "ann", HR: {"hireCode": "h3"}}), None)
        .await
        .expect_err("nor through a PUT");
    assert_eq!(err.scim_type(), Some(ScimType::Mutability));
}

#[tokio::test]
async fn a_patch_that_changes_nothing_keeps_the_stored_user() {
    let (scim, clock) = service();
    let t = TenantId::new("noop");
    let created = scim.create_user(&t, &entra_create()).await.expect("create");
    let id = created.id().expect("id").to_owned();
    clock.advance(Duration::minutes(5));
    // The stored user is read back in the store's compact form and compared without JSON.
    let same = scim
        .patch_user(&t, &id, &patch(&json!([{"op": "replace", "path": "displayName", "value": "Joy Young"}])), None)
        .await
        .expect("patch");
    assert_eq!(same.version(), created.version(), "nothing changed, nothing written");
    assert_eq!(same.meta().map(|m| m.last_modified), created.meta().map(|m| m.last_modified));
    let changed = scim
        .patch_user(&t, &id, &patch(&json!([{"op": "replace", "path": "displayName", "value": "Joy Y."}])), None)
        .await
        .expect("patch");
    assert_ne!(changed.version(), created.version());
    let (before, after) = (created.meta().expect("meta"), changed.meta().expect("meta"));
    assert_eq!(after.created, before.created, "created is kept");
    assert_eq!(after.last_modified, before.last_modified + Duration::minutes(5));
    assert_eq!(after.resource_type, "User");
}
