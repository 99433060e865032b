//! Every PATCH example of RFC 7644 §3.5.2.1–3.5.2.3, applied to the RFC's own resources.

use crate::patch_support;

use patch_support::{bjensen, patched, rejected, tour_guides};
use scim_core::ResourceKind;
use scim_core::ScimType;
use serde_json::{Value, json};

const BABS: &str = "2819c223-7f76-453a-919d-413861904646";
const MANDY: &str = "902c246b-6245-4190-8e05-00816be7344a";

fn member_ids(group: &Value) -> Vec<&str> {
    group["members"].as_array().map(|a| a.iter().filter_map(|m| m["value"].as_str()).collect()).unwrap_or_default()
}

fn empty_group() -> Value {
    let mut g = tour_guides();
    g.as_object_mut().expect("object").remove("members");
    g
}

// §3.5.2.1 Add Operation

#[test]
fn add_member_to_group() {
    let after = patched(
        ResourceKind::Group,
        &empty_group(),
        json!([{"op": "add", "path": "members", "value": [{
            "display": "Babs Jensen",
            "$ref": format!("https://example.com/v2/Users/{BABS}"),
            "value": BABS
        }]}]),
    );
    assert_eq!(
        after["members"],
        json!([{"display": "Babs Jensen", "$ref": format!("https://example.com/v2/Users/{BABS}"), "value": BABS}])
    );
}

#[test]
fn add_without_path_appends_email_and_sets_nickname() {
    let mut user = bjensen();
    user["emails"].as_array_mut().expect("array").truncate(1);
    let after = patched(
        ResourceKind::User,
        &user,
        json!([{"op": "add", "value": {
            "emails": [{"value": "babs@jensen.org", "type": "home"}],
            "nickname": "Babs"
        }}]),
    );
    assert_eq!(
        after["emails"],
        json!([
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ])
    );
    // `nickname` is matched to the schema's `nickName`, never stored under the client's casing.
    assert_eq!(after["nickName"], json!("Babs"));
    assert!(after.get("nickname").is_none());
}

#[test]
fn add_of_a_value_already_present_changes_nothing() {
    let user = bjensen();
    let mut copy = user.clone();
    let changed = patch_support::apply(
        ResourceKind::User,
        &mut copy,
        json!([{"op": "add", "value": {"emails": [{"value": "babs@jensen.org", "type": "home"}]}}]),
    )
    .expect("applies");
    assert!(!changed, "RFC 7644 §3.5.2.1: no change when the value is already there");
    assert_eq!(copy, user);
}

// §3.5.2.2 Remove Operation

#[test]
fn remove_all_members() {
    let after = patched(ResourceKind::Group, &tour_guides(), json!([{"op": "remove", "path": "members"}]));
    assert!(after.get("members").is_none());
}

#[test]
fn remove_one_member() {
    let after = patched(
        ResourceKind::Group,
        &tour_guides(),
        json!([{"op": "remove", "path": format!("members[value eq \"{BABS}\"]")}]),
    );
    assert_eq!(member_ids(&after), vec![MANDY]);
}

#[test]
fn remove_emails_by_complex_filter() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "remove", "path": "emails[type eq \"work\" and value ew \"example.com\"]"}]),
    );
    assert_eq!(after["emails"], json!([{"value": "babs@jensen.org", "type": "home"}]));
}

#[test]
fn remove_several_members() {
    let after = patched(
        ResourceKind::Group,
        &tour_guides(),
        json!([
            {"op": "remove", "path": format!("members[value eq \"{BABS}\"]")},
            {"op": "remove", "path": format!("members[value eq \"{MANDY}\"]")}
        ]),
    );
    // The list became empty, so the attribute is unassigned.
    assert!(after.get("members").is_none());
}

#[test]
fn remove_all_members_then_add_new_ones() {
    let mut group = tour_guides();
    group["members"].as_array_mut().expect("array").truncate(1);
    let after = patched(
        ResourceKind::Group,
        &group,
        json!([
            {"op": "remove", "path": "members"},
            {"op": "add", "path": "members", "value": [
                {"display": "Babs Jensen", "$ref": format!("https://example.com/v2/Users/{BABS}"), "value": BABS},
                {"display": "James Smith", "$ref": "https://example.com/v2/Users/08e1d05d-121c-4561-8b96-473d93df9210", "value": "08e1d05d-121c-4561-8b96-473d93df9210"}
            ]}
        ]),
    );
    assert_eq!(member_ids(&after), vec![BABS, "08e1d05d-121c-4561-8b96-473d93df9210"]);
}

#[test]
fn remove_without_path_is_no_target() {
    rejected(ResourceKind::User, &bjensen(), json!([{"op": "remove"}]), ScimType::NoTarget);
}

#[test]
fn remove_of_a_required_attribute_is_mutability() {
    rejected(ResourceKind::User, &bjensen(), json!([{"op": "remove", "path": "userName"}]), ScimType::Mutability);
    rejected(
        ResourceKind::Group,
        &tour_guides(),
        json!([{"op": "remove", "path": "displayName"}]),
        ScimType::Mutability,
    );
}

// §3.5.2.3 Replace Operation

#[test]
fn replace_all_members() {
    let after = patched(
        ResourceKind::Group,
        &tour_guides(),
        json!([{"op": "replace", "path": "members", "value": [
            {"display": "Babs Jensen", "$ref": format!("https://example.com/v2/Users/{BABS}"), "value": BABS},
            {"display": "James Smith", "$ref": "https://example.com/v2/Users/08e1d05d-121c-4561-8b96-473d93df9210", "value": "08e1d05d-121c-4561-8b96-473d93df9210"}
        ]}]),
    );
    assert_eq!(member_ids(&after), vec![BABS, "08e1d05d-121c-4561-8b96-473d93df9210"]);
}

#[test]
fn replace_work_address() {
    let address = json!({
        "type": "work",
        "streetAddress": "911 Universal City Plaza",
        "locality": "Hollywood",
        "region": "CA",
        "postalCode": "91608",
        "country": "US",
        "formatted": "911 Universal City Plaza\nHollywood, CA 91608 US",
        "primary": true
    });
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "addresses[type eq \"work\"]", "value": address}]),
    );
    assert_eq!(after["addresses"], json!([address]));
}

#[test]
fn replace_street_address_of_work_address() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "addresses[type eq \"work\"].streetAddress", "value": "1010 Broadway Ave"}]),
    );
    let mut expected = bjensen();
    expected["addresses"][0]["streetAddress"] = json!("1010 Broadway Ave");
    assert_eq!(after, expected);
}

#[test]
fn replace_several_attributes_without_path() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "value": {
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "nickname": "Babs"
        }}]),
    );
    let mut expected = bjensen();
    expected["nickName"] = json!("Babs");
    assert_eq!(after, expected);
}

#[test]
fn replace_with_a_filter_that_matches_nothing_is_no_target() {
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "addresses[type eq \"home\"]", "value": {"type": "home", "locality": "Paris"}}]),
        ScimType::NoTarget,
    );
}

#[test]
fn replace_of_a_missing_attribute_adds_it() {
    let after =
        patched(ResourceKind::User, &bjensen(), json!([{"op": "replace", "path": "nickName", "value": "Babs"}]));
    assert_eq!(after["nickName"], json!("Babs"));
}

#[test]
fn replace_of_complex_keeps_unmentioned_sub_attributes() {
    let after = patched(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "name", "value": {"givenName": "Babs"}}]),
    );
    assert_eq!(
        after["name"],
        json!({"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Babs"})
    );
}

#[test]
fn read_only_attributes_are_mutability() {
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "id", "value": "x"}]),
        ScimType::Mutability,
    );
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"}]),
        ScimType::Mutability,
    );
    rejected(
        ResourceKind::User,
        &bjensen(),
        json!([{"op": "add", "path": "groups", "value": [{"value": "g"}]}]),
        ScimType::Mutability,
    );
}

#[test]
fn immutable_values_cannot_change_once_set() {
    rejected(
        ResourceKind::Group,
        &tour_guides(),
        json!([{"op": "replace", "path": format!("members[value eq \"{BABS}\"].value"), "value": "other"}]),
        ScimType::Mutability,
    );
}
