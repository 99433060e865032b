//! `replace` (RFC 7644 §3.5.2.3), the "changed" flag, and atomicity.

use crate::patch_support;

use patch_support::{ENTERPRISE, apply, bjensen, patched, rejected, tour_guides};
use scim_core::ResourceKind;
use scim_core::ScimType;
use serde_json::{Value, json};

#[test]
fn replace_with_the_same_value_reports_no_change() {
    let user = bjensen();
    let mut copy = user.clone();
    let changed = apply(
        ResourceKind::User,
        &mut copy,
        json!([
            {"op": "Replace", "path": "active", "value": "True"},
            {"op": "replace", "path": "name.givenName", "value": "Barbara"},
            {"op": "replace", "value": {"displayName": "Babs Jensen", "id": user["id"]}},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "bjensen@example.com"}
        ]),
    )
    .expect("applies");
    assert!(!changed, "restating current values must keep the version");
    assert_eq!(copy, user);
}

#[test]
fn replace_multi_valued_replaces_the_list() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "phoneNumbers", "value": [{"value": "555-0100", "type": "mobile"}]}]),
    );
    assert_eq!(after["phoneNumbers"], json!([{"value": "555-0100", "type": "mobile"}]));
}

#[test]
fn replace_with_an_empty_list_unassigns() {
    let after =
        patched(ResourceKind::User, &bjensen(), json!([{"op": "replace", "path": "phoneNumbers", "value": []}]));
    assert!(after.get("phoneNumbers").is_none());
}

#[test]
fn replace_of_matched_elements_keeps_the_filter_terms() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "emails[type eq \"home\"]", "value": {"value": "babs@example.org"}}]),
    );
    assert_eq!(after["emails"][1], json!({"value": "babs@example.org", "type": "home"}));
}

#[test]
fn replace_of_a_sub_attribute_on_a_missing_element() {
    // An `eq` filter describes the element: it is created (the attribute value did not exist).
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "phoneNumbers[type eq \"mobile\"].value", "value": "555-0100"}]),
    );
    assert_eq!(after["phoneNumbers"][1], json!({"type": "mobile", "value": "555-0100"}));
    // Any other filter cannot: noTarget.
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "phoneNumbers[type ne \"work\"].value", "value": "555-0100"}]),
        ScimType::NoTarget,
    );
}

#[test]
fn replace_sub_attribute_on_every_element_needs_elements() {
    let mut user = bjensen();
    user.as_object_mut().expect("object").remove("phoneNumbers");
    rejected(
        ResourceKind::User,
        &user,
        json!([{"op": "replace", "path": "phoneNumbers.type", "value": "work"}]),
        ScimType::NoTarget,
    );
}

#[test]
fn making_another_value_primary_clears_the_old_primary() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "emails[type eq \"home\"].primary", "value": true}]),
    );
    assert_eq!(after["emails"][0]["primary"], json!(false));
    assert_eq!(after["emails"][1]["primary"], json!(true));
}

#[test]
fn two_primaries_in_a_replaced_list_are_invalid() {
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "emails", "value": [
            {"value": "a@example.com", "type": "work", "primary": true},
            {"value": "b@example.com", "type": "home", "primary": true}
        ]}]),
        ScimType::InvalidValue,
    );
}

#[test]
fn replace_with_null_unassigns_unless_required() {
    let after = patched(ResourceKind::User, &bjensen(), json!([{"op": "replace", "path": "title", "value": null}]));
    assert!(after.get("title").is_none());
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "userName", "value": null}]),
        ScimType::Mutability,
    );
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "value": {"userName": null}}]),
        ScimType::Mutability,
    );
}

#[test]
fn replace_of_the_whole_extension_merges() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": ENTERPRISE, "value": {"department": "HQ"}}]),
    );
    assert_eq!(after[ENTERPRISE]["department"], json!("HQ"));
    assert_eq!(after[ENTERPRISE]["employeeNumber"], json!("701984"));
}

#[test]
fn replace_of_members_is_the_whole_list() {
    let after = patched(
        ResourceKind::Group,
        &tour_guides(),
        json!([{"op": "replace", "path": "members", "value": [{"value": "x-1"}]}]),
    );
    assert_eq!(after["members"], json!([{"value": "x-1"}]));
}

#[test]
fn no_path_replace_with_another_id_is_mutability() {
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "value": {"id": "other", "title": "x"}}]),
        ScimType::Mutability,
    );
}

#[test]
fn replacing_a_member_element_cannot_change_its_immutable_value() {
    rejected(
        ResourceKind::Group,
        &tour_guides(),
        json!([{"op": "replace", "path": "members[value eq \"2819c223-7f76-453a-919d-413861904646\"]", "value": {"value": "other"}}]),
        ScimType::Mutability,
    );
}

// Atomicity: a failing operation after successful ones leaves the resource exactly as it was.

#[test]
fn failing_third_operation_leaves_the_user_untouched() {
    let err = rejected(
        ResourceKind::User,
        &bjensen(),
        json!([
            {"op": "replace", "path": "displayName", "value": "Changed"},
            {"op": "add", "path": "emails", "value": [{"value": "new@example.com", "type": "other", "primary": true}]},
            {"op": "replace", "path": "active", "value": "perhaps"}
        ]),
        ScimType::InvalidValue,
    );
    assert!(err.detail().starts_with("Operations[2]"), "{}", err.detail());
}

#[test]
fn failure_after_many_kinds_of_edit_restores_everything() {
    let mut user = bjensen();
    user.as_object_mut().expect("object").remove(ENTERPRISE);
    user["schemas"] = json!(["urn:ietf:params:scim:schemas:core:2.0:User"]);
    rejected(
        ResourceKind::User,
        &user,
        json!([
            {"op": "add", "path": format!("{ENTERPRISE}:department"), "value": "HQ"},
            {"op": "remove", "path": "emails[type eq \"home\"]"},
            {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "x@example.com"},
            {"op": "add", "path": "emails", "value": [{"value": "y@example.com", "type": "home"}]},
            {"op": "remove", "path": "name.givenName"},
            {"op": "replace", "path": "addresses", "value": []},
            {"op": "add", "value": {"nickName": "B", "name.middleName": "J"}},
            {"op": "remove", "path": "userName"}
        ]),
        ScimType::Mutability,
    );
}

#[test]
fn failure_after_member_changes_restores_the_group() {
    let mut group = tour_guides();
    let members = group["members"].as_array_mut().expect("array");
    for i in 0..300 {
        members.push(json!({"value": format!("m-{i}")}));
    }
    let adds: Vec<_> = (0..40).map(|i| json!({"value": format!("n-{i}")})).collect();
    let removes: Vec<_> = (0..40).map(|i| json!({"value": format!("m-{}", i * 7)})).collect();
    rejected(
        ResourceKind::Group,
        &group,
        json!([
            {"op": "add", "path": "members", "value": adds},
            {"op": "remove", "path": "members", "value": removes},
            {"op": "remove", "path": "members[value eq \"m-299\"]"},
            {"op": "replace", "path": "displayName", "value": "Renamed"},
            {"op": "replace", "path": "members[value eq \"nobody\"]", "value": {"display": "x"}}
        ]),
        ScimType::NoTarget,
    );
}

/// A new e-mail address keeps the element's other sub-attributes (`display`, `primary`): only
/// references (attributes with a `$ref`, such as `manager`) drop the details of what they
/// pointed at before.
#[test]
fn replacing_a_value_keeps_the_other_sub_attributes_of_non_references() {
    let user = json!({"userName": "d", "emails": [{"value": "a@x.com", "type": "work", "display": "Work mail", "primary": true}],
        "phoneNumbers": [{"value": "1", "type": "work", "display": "Desk"}]});
    for ops in [
        json!([{"op": "replace", "path": "emails[type eq \"work\"].value", "value": "b@x.com"}]),
        json!([{"op": "replace", "path": "emails.value", "value": "b@x.com"}]),
        json!([{"op": "add", "path": "emails[type eq \"work\"]", "value": {"value": "b@x.com"}}]),
    ] {
        let out = patched(ResourceKind::User, &user, ops.clone());
        assert_eq!(
            out["emails"],
            json!([{"value": "b@x.com", "type": "work", "display": "Work mail", "primary": true}]),
            "{ops}"
        );
    }
    let out = patched(
        ResourceKind::User,
        &user,
        json!([{"op": "replace", "path": "phoneNumbers[type eq \"work\"].value", "value": "2"}]),
    );
    assert_eq!(out["phoneNumbers"][0]["display"], "Desk");

    let managed = json!({"userName": "m", ENTERPRISE: {"manager": {"value": "old", "displayName": "Old Boss", "$ref": "../Users/old"}}});
    let out = patched(
        ResourceKind::User,
        &managed,
        json!([{"op": "replace", "path": format!("{ENTERPRISE}:manager.value"), "value": "new"}]),
    );
    assert_eq!(out[ENTERPRISE]["manager"], json!({"value": "new"}), "a reference's details go with its old target");
}

/// More operations than [`Limits::max_patch_operations`](scim_core::Limits::max_patch_operations) (by default) in one message are refused before
/// any is applied.
#[test]
fn too_many_operations_are_refused() {
    let user = json!({"userName": "many"});
    let one = json!({"op": "add", "path": "emails", "value": [{"value": "x@x.com"}]});
    let ops = Value::Array(vec![one; scim_core::Limits::default().max_patch_operations + 1]);
    let e = rejected(ResourceKind::User, &user, ops, ScimType::InvalidValue);
    assert!(e.detail().contains("at most 1000 operations"), "{}", e.detail());
    let ops = Value::Array(vec![
        json!({"op": "add", "path": "title", "value": "t"});
        scim_core::Limits::default().max_patch_operations
    ]);
    assert_eq!(patched(ResourceKind::User, &user, ops)["title"], "t");
}
