//! `remove` (RFC 7644 §3.5.2.2).

use crate::patch_support;

use patch_support::{ENTERPRISE, apply, bjensen, patched, rejected, tour_guides};
use scim_core::ResourceKind;
use scim_core::ScimType;
use serde_json::json;

#[test]
fn remove_single_valued() {
    let after = patched(ResourceKind::User, &bjensen(), json!([{"op": "remove", "path": "title"}]));
    assert!(after.get("title").is_none());
}

#[test]
fn remove_of_an_absent_attribute_changes_nothing() {
    let user = bjensen();
    let mut copy = user.clone();
    assert!(!apply(ResourceKind::User, &mut copy, json!([{"op": "remove", "path": "nickName"}])).expect("applies"));
    assert_eq!(copy, user);
}

#[test]
fn remove_sub_attribute_and_empty_parent() {
    let after = patched(ResourceKind::User, &bjensen(), json!([{"op": "remove", "path": "name.givenName"}]));
    assert_eq!(after["name"], json!({"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen"}));
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([
            {"op": "remove", "path": "name.givenName"},
            {"op": "remove", "path": "name.familyName"},
            {"op": "remove", "path": "name.formatted"}
        ]),
    );
    assert!(after.get("name").is_none(), "an emptied complex attribute is unassigned");
}

#[test]
fn remove_sub_attribute_of_every_element() {
    let after = patched(ResourceKind::User, &bjensen(), json!([{"op": "remove", "path": "emails.type"}]));
    assert_eq!(
        after["emails"],
        json!([{"value": "bjensen@example.com", "primary": true}, {"value": "babs@jensen.org"}])
    );
}

#[test]
fn remove_sub_attribute_through_a_filter() {
    let after =
        patched(ResourceKind::User, &bjensen(), json!([{"op": "remove", "path": "emails[type eq \"work\"].primary"}]));
    assert_eq!(after["emails"][0], json!({"value": "bjensen@example.com", "type": "work"}));
}

#[test]
fn remove_with_a_filter_matching_nothing_changes_nothing() {
    let user = bjensen();
    let mut copy = user.clone();
    let changed = apply(ResourceKind::User, &mut copy, json!([{"op": "remove", "path": "emails[type eq \"other\"]"}]))
        .expect("an idempotent removal succeeds");
    assert!(!changed);
    assert_eq!(copy, user);
}

#[test]
fn removing_the_last_element_unassigns_the_attribute() {
    let after =
        patched(ResourceKind::User, &bjensen(), json!([{"op": "remove", "path": "phoneNumbers[type eq \"work\"]"}]));
    assert!(after.get("phoneNumbers").is_none());
}

#[test]
fn remove_the_whole_extension_updates_schemas() {
    let after = patched(ResourceKind::User, &bjensen(), json!([{"op": "remove", "path": ENTERPRISE}]));
    assert!(after.get(ENTERPRISE).is_none());
    assert_eq!(after["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:User"]));
}

#[test]
fn removing_the_last_extension_attribute_drops_the_extension() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([
            {"op": "remove", "path": format!("{ENTERPRISE}:employeeNumber")},
            {"op": "remove", "path": format!("{ENTERPRISE}:department")},
            {"op": "remove", "path": format!("{ENTERPRISE}:manager")}
        ]),
    );
    assert!(after.get(ENTERPRISE).is_none());
    assert_eq!(after["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:User"]));
}

#[test]
fn remove_manager_value_drops_the_manager() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "remove", "path": format!("{ENTERPRISE}:manager.value")}]),
    );
    assert_eq!(
        after[ENTERPRISE]["manager"],
        json!({"$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d"}),
        "only the named sub-attribute goes"
    );
}

#[test]
fn remove_members_by_value_array_ignores_non_members() {
    let after = patched(
        ResourceKind::Group,
        &tour_guides(),
        json!([{"op": "remove", "path": "members", "value": [
            {"value": "902c246b-6245-4190-8e05-00816be7344a"},
            {"value": "not-a-member"}
        ]}]),
    );
    let ids: Vec<&str> =
        after["members"].as_array().expect("array").iter().filter_map(|m| m["value"].as_str()).collect();
    assert_eq!(ids, vec!["2819c223-7f76-453a-919d-413861904646"]);
}

#[test]
fn remove_by_value_array_works_for_other_attributes() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "remove", "path": "emails", "value": [{"value": "BABS@jensen.org"}]}]),
    );
    assert_eq!(after["emails"], json!([{"value": "bjensen@example.com", "type": "work", "primary": true}]));
}

#[test]
fn read_only_and_server_managed_targets_are_mutability() {
    for path in
        ["id", "meta", "schemas", "groups", "urn:scim-rs:params:scim:schemas:extension:lifecycle:2.0:User:status"]
    {
        rejected(ResourceKind::User, &bjensen(), json!([{"op": "remove", "path": path}]), ScimType::Mutability);
    }
}

#[test]
fn removing_an_immutable_member_value_is_mutability() {
    rejected(
        ResourceKind::Group,
        &tour_guides(),
        json!([{"op": "remove", "path": "members[value eq \"2819c223-7f76-453a-919d-413861904646\"].value"}]),
        ScimType::Mutability,
    );
}

#[test]
fn remove_paths_must_parse() {
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "remove", "path": "emails[type eq"}]),
        ScimType::InvalidPath,
    );
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "remove", "path": "title[value eq \"x\"]"}]),
        ScimType::InvalidPath,
    );
}
