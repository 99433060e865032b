//! Okta provisioning flows (see OKTA.md of the design notes) against the real server binary
//! over HTTP: connection test, lookup, create, read-modify-write PUT, no-path PATCH
//! deactivate/reactivate, and Group Push.

use crate::common;

use common::{Server, okta_query};
use serde_json::{Value, json};

const PATCH_OP: &str = "urn:ietf:params:scim:api:messages:2.0:PatchOp";

fn okta_user(user_name: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "userName": user_name,
        "name": {"givenName": "Test", "familyName": "User"},
        "emails": [{"primary": true, "value": user_name, "type": "work"}],
        "displayName": "Test User", "locale": "en-US", "title": "Manager",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"department": "Engineering"},
        "externalId": "00ujl29u0le5T6Aj10h7", "groups": [], "password": "1mz050nq", "active": true
    })
}

fn lookup(server: &Server, user_name: &str) -> Value {
    let filter = okta_query(&format!("userName eq \"{user_name}\""));
    server.get(&format!("/Users?filter={filter}&startIndex=1&count=100")).expect(200).json()
}

fn members_of(server: &Server, gid: &str) -> Vec<String> {
    let group = server.get(&format!("/Groups/{gid}")).expect(200).json();
    let mut ids: Vec<String> = group
        .get("members")
        .and_then(Value::as_array)
        .map(|m| m.iter().filter_map(|x| x["value"].as_str().map(str::to_owned)).collect())
        .unwrap_or_default();
    ids.sort_unstable();
    ids
}

fn sorted(mut ids: Vec<String>) -> Vec<String> {
    ids.sort_unstable();
    ids
}

#[test]
fn connection_test_and_spec_checks() {
    let server = Server::start(&[]);
    let list = server.get("/Users?startIndex=1&count=2").expect(200).json();
    assert_eq!(list["totalResults"], 0);
    assert!(list["startIndex"].is_u64() && list["itemsPerPage"].is_u64() && list["totalResults"].is_u64());
    let groups = server.get("/Groups?startIndex=1&count=100").expect(200).json();
    assert_eq!(groups["totalResults"], 0);

    assert_eq!(lookup(&server, "test.user@okta.local")["totalResults"], 0);
    let created = server.post("/Users", &okta_user("test.user@okta.local")).expect(201).json();
    assert_eq!(created["active"], true);
    assert_eq!(created["userName"], "test.user@okta.local");
    assert_eq!(created["name"]["givenName"], "Test");
    assert!(created.get("password").is_none(), "password must never be returned: {created}");
    let id = created["id"].as_str().expect("id");

    // The first resource of the first page is complete.
    let list = server.get("/Users?count=1&startIndex=1").expect(200).json();
    let first = &list["Resources"][0];
    assert_eq!(first["id"], id);
    for key in ["userName", "active"] {
        assert!(first.get(key).is_some(), "{key} missing: {first}");
    }
    assert!(first["name"]["familyName"].is_string() && first["emails"][0]["value"].is_string());
    assert!(first.get("password").is_none());
    let fetched = server.get(&format!("/Users/{id}")).expect(200).json();
    assert!(fetched.get("password").is_none());

    // Duplicate, case-insensitive lookup, unknown id, wrong token.
    server.post("/Users", &okta_user("test.user@okta.local")).expect_error(409, Some("uniqueness"));
    assert_eq!(lookup(&server, "TEST.USER@OKTA.LOCAL")["totalResults"], 1);
    server.get("/Users/010101010101").expect_error(404, None);
    let path = format!("{}/Users", server.base_path);
    server.raw("GET", &path, &[("Authorization", "Bearer scim_0000")], None).expect_error(401, None);
}

#[test]
fn profile_push_by_read_modify_write_put() {
    let server = Server::start(&[]);
    let created = server.post("/Users", &okta_user("rmw@okta.local")).expect(201).json();
    let id = created["id"].as_str().expect("id").to_owned();
    let resp = server.get(&format!("/Users/{id}")).expect(200);
    let etag = resp.header("ETag").map(str::to_owned);
    let mut body = resp.json();
    body["title"] = json!("Director");
    body["name"]["givenName"] = json!("Tess");
    body["password"] = json!("another-placeholder");
    let updated = server.put(&format!("/Users/{id}"), &body).expect(200).json();
    assert_eq!(updated["id"], id);
    assert_eq!(updated["title"], "Director");
    assert_eq!(updated["name"]["givenName"], "Tess");
    assert!(updated.get("password").is_none());
    assert_ne!(updated["meta"]["version"].as_str(), etag.as_deref(), "the version changes");

    // AIW deactivation: GET then PUT active:false; still found by the lookup.
    let mut body = server.get(&format!("/Users/{id}")).expect(200).json();
    body["active"] = json!(false);
    assert_eq!(server.put(&format!("/Users/{id}"), &body).expect(200).json()["active"], false);
    let found = lookup(&server, "rmw@okta.local");
    assert_eq!(found["Resources"][0]["active"], false);
    body["active"] = json!(true);
    assert_eq!(server.put(&format!("/Users/{id}"), &body).expect(200).json()["active"], true);

    // PUT to an unknown id never creates.
    server.put("/Users/nope", &okta_user("ghost@okta.local")).expect_error(404, None);
}

#[test]
fn deactivate_and_reactivate_with_a_no_path_replace() {
    let server = Server::start(&[]);
    let id =
        server.post("/Users", &okta_user("deact@okta.local")).expect(201).json()["id"].as_str().expect("id").to_owned();
    let deactivate = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    let user = server.patch(&format!("/Users/{id}"), &deactivate).expect(200).json();
    assert_eq!(user["active"], false);
    assert_eq!(user["title"], "Manager", "other attributes untouched");
    let found = lookup(&server, "deact@okta.local");
    assert_eq!(found["totalResults"], 1);
    assert_eq!(found["Resources"][0]["active"], false);
    let reactivate = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": true}}]});
    let user = server.patch(&format!("/Users/{id}"), &reactivate).expect(200).json();
    assert_eq!(user["active"], true);
    assert_eq!(user["id"], id, "reassignment keeps the same id");
    // Password sync (assumed shape): accepted, never returned.
    let sync = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"password": "n3w"}}]});
    let user = server.patch(&format!("/Users/{id}"), &sync).expect(200).json();
    assert!(user.get("password").is_none());
}

#[test]
fn group_push() {
    let server = Server::start(&[]);
    let mut users = Vec::new();
    for name in ["a@okta.local", "b@okta.local", "c@okta.local"] {
        let mut body = okta_user(name);
        body["externalId"] = json!(format!("00u{name}"));
        users.push(server.post("/Users", &body).expect(201).json()["id"].as_str().expect("id").to_owned());
    }
    let (a, b, c) = (&users[0], &users[1], &users[2]);

    // Create, empty, then look it up by name.
    let body =
        json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Push", "members": []});
    let gid = server.post("/Groups", &body).expect(201).json()["id"].as_str().expect("id").to_owned();
    let filter = okta_query("displayName eq \"Push\"");
    assert_eq!(server.get(&format!("/Groups?filter={filter}")).expect(200).json()["Resources"][0]["id"], gid);
    server.get(&format!("/Groups/{gid}")).expect(200);

    // A group created with members (AIW).
    let body = json!({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "WithMembers",
        "members": [{"value": a, "display": "a@okta.local"}]});
    let g2 = server.post("/Groups", &body).expect(201).json()["id"].as_str().expect("id").to_owned();
    assert_eq!(members_of(&server, &g2), vec![a.clone()]);

    // Add two, then one PATCH with a remove and an add.
    let add = json!({"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "members",
        "value": [{"value": a, "display": "a@okta.local"}, {"value": b, "display": "b@okta.local"}]}]});
    let status = server.patch(&format!("/Groups/{gid}"), &add).status;
    assert!(status == 200 || status == 204, "{status}");
    assert_eq!(members_of(&server, &gid), sorted(vec![a.clone(), b.clone()]));
    let both = json!({"schemas": [PATCH_OP], "Operations": [
        {"op": "remove", "path": format!("members[value eq \"{a}\"]")},
        {"op": "add", "path": "members", "value": [{"value": c, "display": "c@okta.local"}]}]});
    server.patch(&format!("/Groups/{gid}"), &both).expect(204);
    assert_eq!(members_of(&server, &gid), sorted(vec![b.clone(), c.clone()]));

    // Rename with a no-path value object carrying the read-only id: members untouched.
    let rename = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"id": gid, "displayName": "Push 2"}}]});
    server.patch(&format!("/Groups/{gid}"), &rename).expect(204);
    let group = server.get(&format!("/Groups/{gid}")).expect(200).json();
    assert_eq!(group["displayName"], "Push 2");
    assert_eq!(members_of(&server, &gid), sorted(vec![b.clone(), c.clone()]));
    // The same rename again (sent on every membership update) is a no-op success.
    server.patch(&format!("/Groups/{gid}"), &rename).expect(204);

    // Full member replace.
    let replace = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "members",
        "value": [{"value": a, "display": "a@okta.local"}]}]});
    server.patch(&format!("/Groups/{gid}"), &replace).expect(204);
    assert_eq!(members_of(&server, &gid), vec![a.clone()]);

    // AIW: GET then PUT with the complete member list.
    let mut body = server.get(&format!("/Groups/{gid}")).expect(200).json();
    body["members"] = json!([{"value": b, "display": "b@okta.local"}, {"value": c, "display": "c@okta.local"}]);
    server.put(&format!("/Groups/{gid}"), &body).expect(200);
    assert_eq!(members_of(&server, &gid), sorted(vec![b.clone(), c.clone()]));

    // Unassigning a user deactivates it only; it stays a member.
    let deactivate = json!({"schemas": [PATCH_OP], "Operations": [{"op": "replace", "value": {"active": false}}]});
    server.patch(&format!("/Users/{b}"), &deactivate).expect(200);
    assert_eq!(members_of(&server, &gid), sorted(vec![b.clone(), c.clone()]));

    server.delete(&format!("/Groups/{gid}")).expect(204);
    server.get(&format!("/Groups/{gid}")).expect_error(404, None);
    // Paging of groups for import.
    let page = server.get("/Groups?startIndex=1&count=100").expect(200).json();
    assert_eq!(page["totalResults"], 1);
}
