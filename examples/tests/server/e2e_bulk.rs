//! `POST /Bulk` against the real server on its SQLite store: users and a group that names
//! them by `bulkId`, the members stored, and each operation in the audit log.

use crate::common;

use common::Server;
use serde_json::json;

#[test]
fn bulk_creates_a_group_with_members_created_in_the_same_request() {
    let server = Server::start(&[]);
    let config = server.get("/ServiceProviderConfig").expect(200).json();
    assert_eq!(config["bulk"]["supported"], true, "{config}");
    let request = json!({
        "schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"],
        "Operations": [
            {"method": "POST", "path": "/Groups", "bulkId": "g", "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "displayName": "Engineering",
                "members": [{"value": "bulkId:ada"}, {"value": "bulkId:grace"}]}},
            {"method": "POST", "path": "/Users", "bulkId": "ada", "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "ada@example.com"}},
            {"method": "POST", "path": "/Users", "bulkId": "grace", "data": {
                "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "grace@example.com"}},
            {"method": "DELETE", "path": "/Users/bulkId:grace"},
        ]
    });
    let response = server.post("/Bulk", &request).expect(200).json();
    let ops = response["Operations"].as_array().expect("ops");
    let statuses: Vec<&str> = ops.iter().map(|o| o["status"].as_str().expect("status")).collect();
    assert_eq!(statuses, ["201", "201", "201", "204"], "{response}");
    let group = ops[0]["location"].as_str().expect("location").rsplit('/').next().expect("id").to_owned();
    let ada = ops[1]["location"].as_str().expect("location").rsplit('/').next().expect("id").to_owned();
    let read = server.get(&format!("/Groups/{group}")).expect(200).json();
    let members: Vec<&str> =
        read["members"].as_array().expect("members").iter().map(|m| m["value"].as_str().unwrap()).collect();
    assert_eq!(members, [ada.as_str()], "the deleted user left the group: {read}");
    assert_eq!(server.get("/Users").expect(200).json()["totalResults"], 1);
}
