//! Microsoft Entra ID provisioning flows (see ENTRA.md of the design notes) against the real
//! server binary over HTTP, with the exact shapes Entra sends.

use crate::common;

use common::{Server, entra_query};
use serde_json::{Value, json};

const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

fn entra_user(user_name: &str, external_id: &str) -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": external_id,
        "userName": user_name,
        "active": true,
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "Ryan Leenay", "familyName": "Leenay", "givenName": "Ryan"},
        "roles": []
    })
}

fn filter_users(server: &Server, filter: &str) -> Value {
    server.get(&format!("/Users?filter={}", entra_query(filter))).expect(200).json()
}

fn create(server: &Server, body: &Value) -> String {
    let resp = server.post("/Users", body).expect(201);
    let user = resp.json();
    let id = user["id"].as_str().expect("id").to_owned();
    let location = resp.header("Location").expect("Location header");
    assert_eq!(location, format!("{}/Users/{id}", server.tenant_url));
    assert_eq!(user["meta"]["location"], location);
    assert_eq!(resp.header("ETag"), user["meta"]["version"].as_str());
    assert!(resp.header("Content-Type").is_some_and(|c| c.starts_with("application/scim+json")));
    id
}

#[test]
fn test_connection_finds_nothing_and_needs_the_token() {
    let server = Server::start(&[]);
    let list = filter_users(&server, "userName eq \"4f0a6b3c-1c1f-4e3e-9d55-0c7a6f1b2e3d\"");
    assert_eq!(list["schemas"][0], "urn:ietf:params:scim:api:messages:2.0:ListResponse");
    assert_eq!(list["totalResults"], 0);
    // The same probe when the matching attribute is the work e-mail.
    let probe = "emails[type eq \"work\"].value eq \"4f0a6b3c-1c1f-4e3e-9d55-0c7a6f1b2e3d\"";
    assert_eq!(filter_users(&server, probe)["totalResults"], 0);
    assert_eq!(list["startIndex"], 1);
    assert_eq!(list["itemsPerPage"], 0);
    assert_eq!(list["Resources"], json!([]));

    let path = format!("{}/Users?filter={}", server.base_path, entra_query("userName eq \"x\""));
    let resp = server.raw("GET", &path, &[], None);
    assert!(resp.header("WWW-Authenticate").is_some_and(|h| h.starts_with("Bearer realm=")));
    resp.expect_error(401, None);
    let resp = server.raw("GET", &path, &[("Authorization", "Bearer scim_wrong")], None);
    resp.expect_error(401, None);
    // Entra's "fetch a random group" check.
    assert_eq!(server.get("/Groups?excludedAttributes=members").expect(200).json()["totalResults"], 0);
}

#[test]
fn create_match_and_update_with_both_patch_dialects() {
    let server = Server::start(&[]);
    let id = create(&server, &entra_user("ryan@contoso.example", "ryanl"));

    // Match: by userName (case-insensitive) and by externalId, with Entra's encoding.
    let list = filter_users(&server, "userName eq \"RYAN@contoso.example\"");
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["id"], id);
    let list = filter_users(&server, "externalId eq \"ryanl\"");
    assert_eq!(list["Resources"][0]["id"], id);
    // With the work e-mail as the matching attribute, in Microsoft's documented form.
    let list = filter_users(&server, "emails[type eq \"work\"].value eq \"Ryan@Contoso.example\"");
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["id"], id);
    let list = filter_users(&server, "emails[type eq \"home\"].value eq \"ryan@contoso.example\"");
    assert_eq!(list["totalResults"], 0);
    server.get(&format!("/Users/{id}")).expect(200);

    // Default dialect: capitalised ops, one op per attribute, value-path filters.
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "Replace", "path": "emails[type eq \"work\"].value", "value": "ryan.l@contoso.example"},
            {"op": "Replace", "path": "name.givenName", "value": "Ryan2"},
            {"op": "Replace", "path": "externalId", "value": "ryanl2"},
            {"op": "Add", "path": "nickName", "value": "Babs"},
            {"op": "Add", "path": format!("{ENTERPRISE}:employeeNumber"), "value": "701984"}
        ]
    });
    let user = server.patch(&format!("/Users/{id}"), &patch).expect(200).json();
    assert_eq!(user["emails"][0]["value"], "ryan.l@contoso.example");
    assert_eq!(user["name"]["givenName"], "Ryan2");
    assert_eq!(user["externalId"], "ryanl2");
    assert_eq!(user["nickName"], "Babs");
    assert_eq!(user[ENTERPRISE]["employeeNumber"], "701984");

    // aadOptscim062020: lowercase ops and a no-path op with dotted keys (flag kept in the URL).
    let patch = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "ryan3@contoso.example"},
            {"op": "replace", "value": {
                "displayName": "Ryan Three",
                "name.givenName": "Ryan3",
                "name.familyName": "Leenay3",
                format!("{ENTERPRISE}:employeeNumber"): "42"
            }}
        ]
    });
    server.patch(&format!("/Users/{id}?aadOptscim062020"), &patch).expect(200);
    let user = server.get(&format!("/Users/{id}?aadOptscim062020")).expect(200).json();
    assert_eq!(user["displayName"], "Ryan Three");
    assert_eq!(user["name"]["givenName"], "Ryan3");
    assert_eq!(user["name"]["familyName"], "Leenay3");
    assert!(user.get("name.givenName").is_none(), "dotted keys must be nested: {user}");
    assert_eq!(user[ENTERPRISE]["employeeNumber"], "42");
    assert_eq!(user["emails"][0]["value"], "ryan3@contoso.example");
}

#[test]
fn create_with_nulls_from_the_older_tutorial_example() {
    let server = Server::start(&[]);
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
        "active": "True",
        "addresses": null,
        "displayName": null,
        "emails": [{"primary": true, "type": "work", "value": "Test_User_fd0ea19b@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"familyName": "User", "givenName": "Test"},
        "title": null,
        ENTERPRISE: {"manager": null, "department": null}
    });
    let resp = server.post("/Users", &body).expect(201).json();
    assert_eq!(resp["active"], true);
    assert!(resp.get("addresses").is_none_or(Value::is_null));
}

#[test]
fn disable_as_string_and_boolean_then_re_enable() {
    let server = Server::start(&[]);
    let id = create(&server, &entra_user("dis@contoso.example", "dis"));
    let disable = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let user = server.patch(&format!("/Users/{id}"), &disable).expect(200).json();
    assert_eq!(user["active"], false);
    // Still visible to GET and to the match filter (Entra relies on it).
    assert_eq!(server.get(&format!("/Users/{id}")).expect(200).json()["active"], false);
    let list = filter_users(&server, "userName eq \"dis@contoso.example\"");
    assert_eq!(list["totalResults"], 1);
    assert_eq!(list["Resources"][0]["active"], false);

    let enable = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "active", "value": "True"}]});
    let user = server.patch(&format!("/Users/{id}"), &enable).expect(200).json();
    assert_eq!(user["active"], true);
    assert_eq!(user["name"]["givenName"], "Ryan", "attributes survive the suspension");

    let disable = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": false}]});
    assert_eq!(server.patch(&format!("/Users/{id}"), &disable).expect(200).json()["active"], false);
    let enable = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "replace", "path": "active", "value": true}]});
    assert_eq!(server.patch(&format!("/Users/{id}"), &enable).expect(200).json()["active"], true);
}

#[test]
fn manager_added_as_a_string_is_returned_as_an_object_and_removed() {
    let server = Server::start(&[]);
    let manager = create(&server, &entra_user("boss@contoso.example", "boss"));
    let id = create(&server, &entra_user("report@contoso.example", "report"));
    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Add", "path": format!("{ENTERPRISE}:manager"), "value": manager}]});
    server.patch(&format!("/Users/{id}"), &add).expect(200);
    let user = server.get(&format!("/Users/{id}")).expect(200).json();
    assert_eq!(user[ENTERPRISE]["manager"]["value"], manager, "{user}");

    let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Remove", "path": format!("{ENTERPRISE}:manager")}]});
    server.patch(&format!("/Users/{id}"), &remove).expect(200);
    let user = server.get(&format!("/Users/{id}")).expect(200).json();
    assert!(user.get(ENTERPRISE).and_then(|e| e.get("manager")).is_none(), "{user}");
}

#[test]
fn duplicate_missing_and_delete() {
    let server = Server::start(&[]);
    let id = create(&server, &entra_user("dup@contoso.example", "dup"));
    server.post("/Users", &entra_user("DUP@contoso.example", "dup2")).expect_error(409, Some("uniqueness"));
    server.get("/Users/00000000-0000-0000-0000-000000000000").expect_error(404, None);
    let resp = server.delete(&format!("/Users/{id}")).expect(204);
    assert!(resp.body.is_empty());
    server.get(&format!("/Users/{id}")).expect_error(404, None);
    server.delete(&format!("/Users/{id}")).expect_error(404, None);
    assert_eq!(filter_users(&server, "userName eq \"dup@contoso.example\"")["totalResults"], 0);
}

#[test]
fn groups_create_members_rename_delete() {
    let server = Server::start(&[]);
    let alice = create(&server, &entra_user("alice@contoso.example", "alice"));
    let bob = create(&server, &entra_user("bob@contoso.example", "bob"));
    let lookup = format!("/Groups?excludedAttributes=members&filter={}", entra_query("displayName eq \"Sales\""));
    assert_eq!(server.get(&lookup).expect(200).json()["totalResults"], 0);

    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "Sales",
        "meta": {"resourceType": "Group"}
    });
    let resp = server.post("/Groups", &body).expect(201);
    let gid = resp.json()["id"].as_str().expect("group id").to_owned();
    assert_eq!(resp.header("Location"), Some(format!("{}/Groups/{gid}", server.tenant_url).as_str()));
    let list = server.get(&lookup).expect(200).json();
    assert_eq!(list["Resources"][0]["id"], gid);
    assert!(list["Resources"][0].get("members").is_none());

    let add = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Add", "path": "members",
            "value": [{"$ref": null, "value": alice}, {"$ref": null, "value": bob}]}]});
    let resp = server.patch(&format!("/Groups/{gid}"), &add).expect(204);
    assert!(resp.header("ETag").is_some());
    let group = server.get(&format!("/Groups/{gid}")).expect(200).json();
    let mut members: Vec<&str> =
        group["members"].as_array().expect("members").iter().filter_map(|m| m["value"].as_str()).collect();
    members.sort_unstable();
    let mut want = vec![alice.as_str(), bob.as_str()];
    want.sort_unstable();
    assert_eq!(members, want);
    let group = server.get(&format!("/Groups/{gid}?excludedAttributes=members")).expect(200).json();
    assert!(group.get("members").is_none(), "{group}");
    assert_eq!(group["displayName"], "Sales");

    // Default dialect removal: path "members" with a value array.
    let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Remove", "path": "members", "value": [{"$ref": null, "value": alice}]}]});
    server.patch(&format!("/Groups/{gid}"), &remove).expect(204);
    let group = server.get(&format!("/Groups/{gid}")).expect(200).json();
    assert_eq!(group["members"].as_array().map(Vec::len), Some(1));
    assert_eq!(group["members"][0]["value"], bob);

    // aadOptscim062020 removal: a value-path filter.
    let remove = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "remove", "path": format!("members[value eq \"{bob}\"]")}]});
    server.patch(&format!("/Groups/{gid}"), &remove).expect(204);
    let group = server.get(&format!("/Groups/{gid}")).expect(200).json();
    assert!(group.get("members").is_none_or(|m| m.as_array().is_some_and(Vec::is_empty)), "{group}");

    // Rename.
    let rename = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
        "Operations": [{"op": "Replace", "path": "displayName", "value": "Sales EMEA"}]});
    server.patch(&format!("/Groups/{gid}"), &rename).expect(204);
    let group = server.get(&format!("/Groups/{gid}?excludedAttributes=members")).expect(200).json();
    assert_eq!(group["displayName"], "Sales EMEA");
    // A group PATCH that asks for attributes gets the group back.
    let resp = server.patch(&format!("/Groups/{gid}?excludedAttributes=members"), &rename).expect(200).json();
    assert_eq!(resp["displayName"], "Sales EMEA");

    server.delete(&format!("/Groups/{gid}")).expect(204);
    server.get(&format!("/Groups/{gid}")).expect_error(404, None);
    // The users are untouched.
    server.get(&format!("/Users/{alice}")).expect(200);
}

#[test]
fn schemas_discovery_is_served() {
    let server = Server::start(&[]);
    let schemas = server.get("/Schemas").expect(200).json();
    assert!(schemas["totalResults"].as_u64().is_some_and(|n| n >= 3), "{schemas}");
    let spc = server.get("/ServiceProviderConfig").expect(200).json();
    assert_eq!(spc["patch"]["supported"], true);
    assert_eq!(spc["bulk"]["supported"], true);
    let rts = server.get("/ResourceTypes").expect(200).json();
    assert!(rts["Resources"].as_array().is_some_and(|r| r.len() >= 2));
    server.get("/ResourceTypes/User").expect(200);
    server.get(&format!("/Schemas/{ENTERPRISE}")).expect(200);
    server.get("/Schemas/urn:nope").expect_error(404, None);
    server.post("/Schemas", &json!({})).expect_error(405, None);
}
