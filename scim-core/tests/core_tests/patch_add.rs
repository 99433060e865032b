//! `add` (RFC 7644 §3.5.2.1) and the no-path forms.

use crate::patch_support;

use patch_support::{ENTERPRISE, apply, bjensen, body, patched, rejected, tour_guides};
use scim_core::ResourceKind;
use scim_core::{PatchOp, SchemaRegistry, ScimType, UnknownAttributes};
use serde_json::json;

#[test]
fn add_to_single_valued_sets_it() {
    let after = patched(ResourceKind::User, &bjensen(), json!([{"op": "add", "path": "title", "value": "Lead Guide"}]));
    assert_eq!(after["title"], json!("Lead Guide"));
}

#[test]
fn add_to_complex_merges_sub_attributes() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "name", "value": {"middleName": "Jane"}}]),
    );
    assert_eq!(
        after["name"],
        json!({"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara", "middleName": "Jane"})
    );
}

#[test]
fn add_creates_the_parent_of_a_sub_attribute() {
    let mut user = bjensen();
    user.as_object_mut().expect("object").remove("name");
    let after =
        patched(ResourceKind::User, &user, json!([{"op": "add", "path": "name.familyName", "value": "Jensen"}]));
    assert_eq!(after["name"], json!({"familyName": "Jensen"}));
}

#[test]
fn add_to_multi_valued_appends_without_duplicates() {
    let mut user = bjensen();
    let changed = apply(
        ResourceKind::User,
        &mut user,
        json!([{"op": "add", "path": "emails", "value": [
            {"value": "BJENSEN@example.com", "type": "work"},
            {"value": "babs@example.net", "type": "other"}
        ]}]),
    )
    .expect("applies");
    assert!(changed);
    let emails = user["emails"].as_array().expect("array");
    assert_eq!(emails.len(), 3, "{emails:?}");
    assert_eq!(emails[2], json!({"value": "babs@example.net", "type": "other"}));
}

#[test]
fn add_of_a_second_value_of_one_type_is_invalid() {
    // One value per `type` (as `SchemaRegistry::validate` requires); the same value is skipped.
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "emails", "value": [{"value": "other@example.com", "type": "work"}]}]),
        ScimType::InvalidValue,
    );
}

#[test]
fn add_of_a_single_element_without_array() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "phoneNumbers", "value": {"value": "555-555-4444", "type": "mobile"}}]),
    );
    assert_eq!(after["phoneNumbers"][1], json!({"value": "555-555-4444", "type": "mobile"}));
}

#[test]
fn add_of_a_primary_value_clears_the_other_primary() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "emails", "value": [{"value": "new@example.com", "type": "other", "primary": true}]}]),
    );
    assert_eq!(after["emails"][0]["primary"], json!(false));
    assert_eq!(after["emails"][2]["primary"], json!(true));
}

#[test]
fn add_of_two_primaries_is_invalid() {
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "emails", "value": [
            {"value": "a@example.com", "type": "other", "primary": true},
            {"value": "b@example.com", "type": "home", "primary": true}
        ]}]),
        ScimType::InvalidValue,
    );
}

#[test]
fn add_without_path_maps_every_key_form() {
    let mut user = bjensen();
    user.as_object_mut().expect("object").remove(ENTERPRISE);
    user["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User"]);
    let after = patched(
        ResourceKind::User,
        &user,
        json!([{"op": "add", "value": {
            "NAME.GIVENNAME": "Babs",
            "urn:ietf:params:scim:schemas:core:2.0:User:nickName": "B",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value": "m-1"
        }}]),
    );
    assert_eq!(after["name"]["givenName"], json!("Babs"));
    assert_eq!(after["nickName"], json!("B"));
    assert_eq!(after[ENTERPRISE], json!({"employeeNumber": "7", "manager": {"value": "m-1"}}));
    assert_eq!(after["schemas"], json!(["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE]));
    let keys: Vec<&String> = after.as_object().expect("object").keys().collect();
    assert!(
        keys.iter().all(|k| !k.starts_with("name.") && !k.contains(":nickName") && !k.contains("employeeNumber")),
        "keys are mapped into the nested structure: {keys:?}"
    );
}

#[test]
fn add_with_the_whole_extension_as_path() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": ENTERPRISE, "value": {"costCenter": "4130"}}]),
    );
    assert_eq!(after[ENTERPRISE]["costCenter"], json!("4130"));
    assert_eq!(after[ENTERPRISE]["employeeNumber"], json!("701984"));
}

#[test]
fn add_with_client_casing_stores_schema_casing() {
    let after =
        patched(ResourceKind::User, &bjensen(), json!([{"op": "add", "path": "NAME", "value": {"GIVENNAME": "Babs"}}]));
    assert_eq!(after["name"]["givenName"], json!("Babs"));
    assert!(after["name"].get("GIVENNAME").is_none());
}

#[test]
fn add_to_a_value_path_creates_only_from_eq_filters() {
    let mut user = bjensen();
    user["phoneNumbers"] = json!([]);
    let after = patched(
        ResourceKind::User,
        &user,
        json!([{"op": "add", "path": "phoneNumbers[type eq \"mobile\"]", "value": {"value": "555-0100"}}]),
    );
    assert_eq!(after["phoneNumbers"], json!([{"type": "mobile", "value": "555-0100"}]));
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "phoneNumbers[type co \"mob\"].value", "value": "555-0100"}]),
        ScimType::NoTarget,
    );
}

#[test]
fn add_to_a_value_path_merges_into_matches() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "emails[type eq \"home\"]", "value": {"display": "Home"}}]),
    );
    assert_eq!(after["emails"][1], json!({"value": "babs@jensen.org", "type": "home", "display": "Home"}));
}

#[test]
fn one_element_array_for_single_valued_and_too_many_values() {
    let after = patched(ResourceKind::User, &bjensen(), json!([{"op": "add", "path": "title", "value": ["Guide"]}]));
    assert_eq!(after["title"], json!("Guide"));
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "title", "value": ["a", "b"]}]),
        ScimType::InvalidValue,
    );
}

#[test]
fn wrong_types_are_invalid_value() {
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "active", "value": "maybe"}]),
        ScimType::InvalidValue,
    );
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "name", "value": 3}]),
        ScimType::InvalidValue,
    );
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "emails", "value": [[1]]}]),
        ScimType::InvalidValue,
    );
}

#[test]
fn null_unassigns() {
    let after = patched(ResourceKind::User, &bjensen(), json!([{"op": "add", "path": "title", "value": null}]));
    assert!(after.get("title").is_none());
}

#[test]
fn password_is_accepted_but_never_stored() {
    let mut user = bjensen();
    let changed =
        apply(ResourceKind::User, &mut user, json!([{"op": "add", "path": "password", "value": "t1meMa$heen"}]))
            .expect("applies");
    assert!(!changed);
    assert!(user.get("password").is_none());
}

#[test]
fn read_only_keys_of_a_value_object_are_ignored() {
    let user = bjensen();
    let after = patched(
        ResourceKind::User,
        &user,
        json!([{"op": "add", "value": {"groups": [{"value": "g"}], "meta": {"version": "W/\"9\""}, "id": user["id"]}}]),
    );
    assert_eq!(after, user);
}

#[test]
fn unknown_attributes_follow_the_registry_policy() {
    // Default policy: ignored, as on create.
    let user = bjensen();
    let after = patched(ResourceKind::User, &user, json!([{"op": "add", "value": {"favouriteColour": "teal"}}]));
    assert_eq!(after, user);
    let after = patched(ResourceKind::User, &user, json!([{"op": "add", "path": "favouriteColour", "value": "teal"}]));
    assert_eq!(after, user);
    // Reject policy: 400, invalidPath for a path and invalidValue for a value-object key.
    let strict = SchemaRegistry::scim_default().with_unknown_attributes(UnknownAttributes::Reject);
    for (ops, scim_type) in [
        (json!([{"op": "add", "path": "favouriteColour", "value": "teal"}]), ScimType::InvalidPath),
        (json!([{"op": "add", "path": "name.nickname", "value": "teal"}]), ScimType::InvalidPath),
        (json!([{"op": "add", "value": {"favouriteColour": "teal"}}]), ScimType::InvalidValue),
    ] {
        let mut doc = user.clone();
        let err = PatchOp::from_json(&body(ops))
            .expect("parses")
            .apply(&strict, strict.kind(ResourceKind::User).expect("User"), doc.as_object_mut().expect("object"))
            .expect_err("rejected");
        assert_eq!(err.scim_type(), Some(scim_type), "{err}");
        assert_eq!(doc, user);
    }
}

#[test]
fn add_member_keeps_existing_member_as_it_is() {
    let group = tour_guides();
    let mut copy = group.clone();
    let changed = apply(
        ResourceKind::Group,
        &mut copy,
        json!([{"op": "add", "path": "members", "value": [{"value": "2819C223-7F76-453A-919D-413861904646", "display": "Other"}]}]),
    )
    .expect("applies");
    assert!(!changed);
    assert_eq!(copy, group);
}

#[test]
fn unknown_resource_type_is_a_server_error() {
    // The type is looked up before the patch applies: a registry without it answers 500.
    let empty = SchemaRegistry::empty();
    let err = empty.kind(ResourceKind::User).expect_err("no such type");
    assert_eq!(err.status(), http::StatusCode::INTERNAL_SERVER_ERROR);
}
