//! The 24 PATCH requests of the shared benchmark workload (`benches/data/patches.jsonl`,
//! copied to `tests/fixtures/workload/`), applied to generated user 0 and group 0, with the
//! expected result of each.

use crate::patch_support;

use patch_support::{ENTERPRISE, REGISTRY, fixture};
use scim_core::PatchOp;
use scim_core::ResourceKind;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const USER1_ID: &str = "e065e8ec-b52d-58a0-8fb4-92be906b0438";

fn patches() -> BTreeMap<String, (String, Value)> {
    let path = format!("{}/tests/fixtures/workload/patches.jsonl", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).expect("patches.jsonl");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let v: Value = serde_json::from_str(l).expect("one JSON object per line");
            let id = v["id"].as_str().expect("id").to_owned();
            let rt = v["resource"].as_str().expect("resource").to_owned();
            (id, (rt, v["body"].clone()))
        })
        .collect()
}

/// Applies patch `id` to user 0 or group 0; returns (before, after, changed).
fn run(id: &str) -> (Value, Value, bool) {
    let all = patches();
    let (rt, body) = &all[id];
    let before = if rt == "User" { fixture("workload/user0.json") } else { fixture("workload/group0.json") };
    let mut after = before.clone();
    let patch = PatchOp::from_json(body).unwrap_or_else(|e| panic!("{id}: {e}"));
    let rt = REGISTRY.resource_type(rt).unwrap_or_else(|| panic!("{id}: unknown resource type {rt}"));
    let changed =
        patch.apply(&REGISTRY, rt, after.as_object_mut().expect("object")).unwrap_or_else(|e| panic!("{id}: {e}"));
    (before, after, changed)
}

/// `before` with the top-level keys in `changes` replaced (or removed when `null`).
fn with(before: &Value, changes: Value) -> Value {
    let mut out = before.clone();
    let Value::Object(changes) = changes else { panic!("changes must be an object") };
    for (k, v) in changes {
        if v.is_null() {
            out.as_object_mut().expect("object").remove(&k);
        } else {
            out[k.as_str()] = v;
        }
    }
    out
}

fn member_count(group: &Value) -> usize {
    group["members"].as_array().map_or(0, Vec::len)
}

#[test]
fn all_24_parse() {
    assert_eq!(patches().len(), 24);
    for (id, (_, body)) in patches() {
        PatchOp::from_json(&body).unwrap_or_else(|e| panic!("{id}: {e}"));
    }
}

#[test]
fn p01_p02_deactivate() {
    for id in ["p01", "p02"] {
        let (before, after, changed) = run(id);
        assert!(changed, "{id}");
        assert_eq!(after, with(&before, json!({"active": false})), "{id}");
    }
}

#[test]
fn p03_rename() {
    let (before, after, _) = run("p03");
    assert_eq!(after, with(&before, json!({"displayName": "Barbara J. Jensen"})));
}

#[test]
fn p04_entra_sync() {
    let (before, after, _) = run("p04");
    let mut expected = with(&before, json!({"title": "Regional Sales Director"}));
    expected["name"]["familyName"] = json!("Jensen-Smith");
    expected["emails"][0]["value"] = json!("barbara.jensen-smith@example.com");
    expected[ENTERPRISE]["department"] = json!("Sales Operations");
    assert_eq!(after, expected);
}

#[test]
fn p05_work_email() {
    let (before, after, _) = run("p05");
    let mut expected = before.clone();
    expected["emails"][0]["value"] = json!("new.address@example.com");
    assert_eq!(after, expected);
}

#[test]
fn p06_mobile_phone_is_replaced_or_created() {
    let (before, after, _) = run("p06");
    let mut expected = before.clone();
    expected["phoneNumbers"][1]["value"] = json!("+1 425 555 0199");
    assert_eq!(after, expected);
    // Without a mobile phone the element is created from the filter.
    let mut no_mobile = before.clone();
    no_mobile["phoneNumbers"].as_array_mut().expect("array").truncate(1);
    let patch = PatchOp::from_json(&patches()["p06"].1).expect("parses");
    patch
        .apply(&REGISTRY, REGISTRY.kind(ResourceKind::User).expect("User"), no_mobile.as_object_mut().expect("object"))
        .expect("applies");
    assert_eq!(no_mobile["phoneNumbers"][1], json!({"type": "mobile", "value": "+1 425 555 0199"}));
}

#[test]
fn p07_p08_manager_set_to_user_1() {
    for id in ["p07", "p08"] {
        let (before, after, changed) = run(id);
        assert!(changed, "{id}");
        let mut expected = before.clone();
        expected[ENTERPRISE]["manager"] = json!({"value": USER1_ID});
        assert_eq!(after, expected, "{id}");
    }
}

#[test]
fn p09_manager_removed() {
    // User 0 is the root of the manager tree: nothing to remove, nothing changes.
    let (before, after, changed) = run("p09");
    assert!(!changed);
    assert_eq!(after, before);
    // On a user with a manager, it goes and the rest of the extension stays.
    let all = patches();
    let mut user = fixture("workload/user0.json");
    user[ENTERPRISE]["manager"] = json!({"value": USER1_ID, "$ref": format!("../Users/{USER1_ID}")});
    let patch = PatchOp::from_json(&all["p09"].1).expect("parses");
    assert!(
        patch
            .apply(&REGISTRY, REGISTRY.kind(ResourceKind::User).expect("User"), user.as_object_mut().expect("object"))
            .expect("applies")
    );
    assert_eq!(user, before);
}

#[test]
fn p10_no_path_add_merges_into_extension() {
    let (before, after, _) = run("p10");
    let mut expected = with(&before, json!({"nickName": "Babs", "title": "Tour Guide"}));
    expected[ENTERPRISE]["costCenter"] = json!("CC-4130");
    expected[ENTERPRISE]["employeeNumber"] = json!("701984");
    assert_eq!(after, expected);
    assert_eq!(after[ENTERPRISE]["department"], json!("Sales"), "other extension attributes stay");
}

#[test]
fn p11_no_path_replace_with_dotted_and_urn_keys() {
    let (before, after, _) = run("p11");
    let mut expected = with(&before, json!({"displayName": "Babs Jensen"}));
    expected["name"]["givenName"] = json!("Babs");
    expected[ENTERPRISE]["department"] = json!("Field Sales");
    assert_eq!(after, expected);
    assert!(after.get("name.givenName").is_none());
    assert_eq!(after["name"]["familyName"], json!("Jensen"));
}

#[test]
fn p12_home_email_removed() {
    let (before, after, _) = run("p12");
    let mut expected = before.clone();
    expected["emails"].as_array_mut().expect("array").remove(1);
    assert_eq!(after, expected);
}

#[test]
fn p13_email_appended() {
    let (before, after, _) = run("p13");
    let mut expected = before.clone();
    expected["emails"]
        .as_array_mut()
        .expect("array")
        .push(json!({"value": "alias@example.com", "type": "other", "primary": false}));
    assert_eq!(after, expected);
}

#[test]
fn p14_work_address_sub_attributes() {
    let (before, after, _) = run("p14");
    let mut expected = before.clone();
    let a = &mut expected["addresses"][0];
    a["streetAddress"] = json!("1 Microsoft Way");
    a["locality"] = json!("Redmond");
    a["postalCode"] = json!("98052");
    a["country"] = json!("US");
    assert_eq!(after, expected);
}

#[test]
fn p15_mobile_phone_removed_by_complex_filter() {
    let (before, after, _) = run("p15");
    let mut expected = before.clone();
    expected["phoneNumbers"].as_array_mut().expect("array").remove(1);
    assert_eq!(after, expected);
}

#[test]
fn p16_name_replaced() {
    let (before, after, _) = run("p16");
    let expected =
        with(&before, json!({"name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Barbara Jensen"}}));
    assert_eq!(after, expected);
}

#[test]
fn p17_title_removed() {
    let (before, after, changed) = run("p17");
    assert!(changed);
    assert_eq!(after, with(&before, json!({"title": null})));
}

#[test]
fn p18_extension_urn_paths() {
    let (before, after, _) = run("p18");
    let mut expected = before.clone();
    expected[ENTERPRISE]["department"] = json!("Research");
    expected[ENTERPRISE]["employeeNumber"] = json!("900001");
    assert_eq!(after, expected);
}

#[test]
fn p19_primary_from_string_true() {
    let (before, after, changed) = run("p19");
    // User 0's work email is already primary: nothing changes, and the value is a boolean.
    assert!(!changed);
    assert_eq!(after, before);
    assert_eq!(after["emails"][0]["primary"], json!(true));
    // Made primary from false, the other email stops being primary.
    let mut user = before.clone();
    user["emails"][0]["primary"] = json!(false);
    user["emails"][1]["primary"] = json!(true);
    let patch = PatchOp::from_json(&patches()["p19"].1).expect("parses");
    assert!(
        patch
            .apply(&REGISTRY, REGISTRY.kind(ResourceKind::User).expect("User"), user.as_object_mut().expect("object"))
            .expect("applies")
    );
    assert_eq!(user["emails"][0]["primary"], json!(true));
    assert_eq!(user["emails"][1]["primary"], json!(false));
}

#[test]
fn p20_to_p23_member_counts() {
    for (id, count) in [("p20", 1001), ("p21", 1050), ("p22", 999), ("p23", 980)] {
        let (before, after, changed) = run(id);
        assert!(changed, "{id}");
        assert_eq!(member_count(&before), 1000);
        assert_eq!(member_count(&after), count, "{id}");
        let mut rest = after.clone();
        rest.as_object_mut().expect("object").remove("members");
        let mut before_rest = before.clone();
        before_rest.as_object_mut().expect("object").remove("members");
        assert_eq!(rest, before_rest, "{id} touches only members");
    }
}

#[test]
fn p22_p23_remove_exactly_the_named_members() {
    let all = patches();
    for id in ["p22", "p23"] {
        let (before, after, _) = run(id);
        let removed: Vec<&str> = match &all[id].1["Operations"][0]["value"] {
            Value::Array(items) => items.iter().filter_map(|m| m["value"].as_str()).collect(),
            _ => vec!["80a3cad7-b79b-58a7-a01c-fbca2cb29913"],
        };
        let expected: Vec<&Value> = before["members"]
            .as_array()
            .expect("array")
            .iter()
            .filter(|m| !removed.contains(&m["value"].as_str().unwrap_or_default()))
            .collect();
        let got: Vec<&Value> = after["members"].as_array().expect("array").iter().collect();
        assert_eq!(got, expected, "{id}: order kept, only those removed");
    }
}

#[test]
fn p21_adds_are_not_duplicated_on_retry() {
    let all = patches();
    let mut group = fixture("workload/group0.json");
    let patch = PatchOp::from_json(&all["p21"].1).expect("parses");
    assert!(
        patch
            .apply(
                &REGISTRY,
                REGISTRY.kind(ResourceKind::Group).expect("Group"),
                group.as_object_mut().expect("object")
            )
            .expect("applies")
    );
    assert!(
        !patch
            .apply(
                &REGISTRY,
                REGISTRY.kind(ResourceKind::Group).expect("Group"),
                group.as_object_mut().expect("object")
            )
            .expect("applies")
    );
    assert_eq!(member_count(&group), 1050);
}

#[test]
fn p24_okta_rename_keeps_members() {
    let (before, after, changed) = run("p24");
    assert!(changed);
    assert_eq!(after, with(&before, json!({"displayName": "All Staff (renamed)"})));
    assert_eq!(member_count(&after), 1000);
}

#[test]
fn member_change_is_offered_for_the_member_patches() {
    let all = patches();
    for (id, adds, removes) in [("p20", 1, 0), ("p21", 50, 0), ("p22", 0, 1), ("p23", 0, 20)] {
        let change = PatchOp::from_json(&all[id].1).expect("parses").member_change().expect(id);
        assert_eq!((change.add.len(), change.remove.len()), (adds, removes), "{id}");
    }
    assert!(PatchOp::from_json(&all["p24"].1).expect("parses").member_change().is_none());
}
