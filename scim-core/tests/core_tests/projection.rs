//! `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5, §3.9) with the `returned`
//! characteristic (RFC 7643 §2.2).

use scim_core::ResourceKind;
use scim_core::schema::ResourceType;
use scim_core::{Projection, SchemaRegistry, ScimType, urn};
use serde_json::{Value, json};

fn doc() -> Value {
    json!({
        "schemas": [urn::USER, urn::ENTERPRISE_USER, urn::LIFECYCLE_USER],
        "id": "2819c223",
        "externalId": "bjensen-ext",
        "userName": "bjensen",
        "password": "must never leave",
        "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen, III"},
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "active": true,
        "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00.000Z",
                 "lastModified": "2024-01-01T00:00:00.000Z", "version": "W/\"1\"",
                 "location": "https://h/scim/v2/Users/2819c223"},
        urn::ENTERPRISE_USER: {"employeeNumber": "701984", "department": "Tour Operations",
                               "manager": {"value": "26118915", "displayName": "John Smith"}},
        urn::LIFECYCLE_USER: {"status": "active"}
    })
}

fn project(attributes: Option<&str>, excluded: Option<&str>) -> Value {
    let p = Projection::from_params(attributes, excluded).expect("valid params");
    let registry = SchemaRegistry::scim_default();
    let out = p.apply(&registry, registry.kind(ResourceKind::User).expect("User"), &doc());
    assert_eq!(
        p.apply_owned(&registry, registry.kind(ResourceKind::User).expect("User"), doc()),
        out,
        "in place or copied, the same projection"
    );
    out
}

fn without(mut v: Value, keys: &[&str]) -> Value {
    for k in keys {
        v.as_object_mut().unwrap().remove(*k);
    }
    v
}

#[test]
fn default_drops_only_never_attributes() {
    assert_eq!(project(None, None), without(doc(), &["password"]));
    assert_eq!(Projection::default(), Projection::from_params(None, Some("")).unwrap());
    assert_eq!(project(Some(""), Some(" , ")), without(doc(), &["password"]));
}

#[test]
fn attributes_keep_named_plus_always() {
    assert_eq!(
        project(Some("userName"), None),
        json!({"schemas": [urn::USER], "id": "2819c223", "userName": "bjensen"})
    );
    let out = project(Some("userName,emails"), None);
    assert_eq!(
        out,
        json!({"schemas": [urn::USER], "id": "2819c223", "userName": "bjensen", "emails": doc()["emails"]})
    );
}

#[test]
fn attribute_names_ignore_case_and_may_be_urn_qualified() {
    let expected = json!({"schemas": [urn::USER], "id": "2819c223", "userName": "bjensen"});
    assert_eq!(project(Some("USERNAME"), None), expected);
    assert_eq!(project(Some("urn:ietf:params:scim:schemas:core:2.0:User:userName"), None), expected);
    assert_eq!(project(Some(" userName , "), None), expected);
}

#[test]
fn sub_attribute_paths() {
    assert_eq!(
        project(Some("name.givenName"), None),
        json!({"schemas": [urn::USER], "id": "2819c223", "name": {"givenName": "Barbara"}})
    );
    assert_eq!(
        project(Some("emails.value,name.familyName"), None),
        json!({"schemas": [urn::USER], "id": "2819c223", "name": {"familyName": "Jensen"},
               "emails": [{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}]})
    );
    // The whole attribute wins over one of its sub-attributes.
    assert_eq!(project(Some("name,name.givenName"), None)["name"], doc()["name"]);
}

#[test]
fn extension_paths() {
    assert_eq!(
        project(Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"), None),
        json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "2819c223",
               urn::ENTERPRISE_USER: {"manager": {"value": "26118915"}}})
    );
    assert_eq!(
        project(Some(&urn::ENTERPRISE_USER.to_lowercase()), None),
        json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "id": "2819c223",
               urn::ENTERPRISE_USER: doc()[urn::ENTERPRISE_USER]})
    );
    // An unqualified name finds an extension attribute.
    assert_eq!(project(Some("employeeNumber"), None)[urn::ENTERPRISE_USER], json!({"employeeNumber": "701984"}));
}

#[test]
fn excluded_attributes() {
    let out = project(None, Some("emails,name.familyName,meta"));
    let mut expected = without(doc(), &["password", "emails", "meta"]);
    expected["name"].as_object_mut().unwrap().remove("familyName");
    assert_eq!(out, expected);
    // `id` is returned always; excluding it does nothing.
    assert_eq!(project(None, Some("id")), without(doc(), &["password"]));
    // A whole extension, which also leaves `schemas`.
    let out = project(None, Some(urn::ENTERPRISE_USER));
    assert!(out.get(urn::ENTERPRISE_USER).is_none());
    assert_eq!(out["schemas"], json!([urn::USER, urn::LIFECYCLE_USER]));
    // A sub-attribute of every value of a multi-valued attribute.
    let out = project(None, Some("emails.type,emails.primary"));
    assert_eq!(out["emails"], json!([{"value": "bjensen@example.com"}, {"value": "babs@jensen.org"}]));
    // An extension attribute's sub-attribute.
    let out = project(None, Some("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.displayName"));
    assert_eq!(out[urn::ENTERPRISE_USER]["manager"], json!({"value": "26118915"}));
}

#[test]
fn both_parameters() {
    assert_eq!(
        project(Some("userName,name"), Some("name.formatted")),
        json!({"schemas": [urn::USER], "id": "2819c223", "userName": "bjensen",
               "name": {"givenName": "Barbara", "familyName": "Jensen"}})
    );
}

#[test]
fn password_never_even_when_asked_for() {
    assert!(project(Some("password,userName"), None).get("password").is_none());
    assert!(project(None, None).get("password").is_none());
}

#[test]
fn unknown_names_are_ignored() {
    assert_eq!(project(Some("shoeSize"), None), json!({"schemas": [urn::USER], "id": "2819c223"}));
    assert_eq!(project(None, Some("shoeSize,name.shoe,urn:x:y:z")), without(doc(), &["password"]));
}

#[test]
fn malformed_params_are_invalid_value() {
    for bad in ["emails[type eq \"work\"]", "name.", "user name", "a.b.c"] {
        let err = Projection::from_params(Some(bad), None).unwrap_err();
        assert_eq!(err.scim_type(), Some(ScimType::InvalidValue), "{bad}");
        let err = Projection::from_params(None, Some(bad)).unwrap_err();
        assert!(err.detail().contains("excludedAttributes"), "{}", err.detail());
    }
}

#[test]
fn group_members_excluded_as_entra_asks() {
    let r = SchemaRegistry::scim_default();
    let group = json!({"schemas": [urn::GROUP], "id": "g1", "displayName": "Admins",
                       "members": [{"value": "u1", "display": "Ann"}], "meta": {"resourceType": "Group"}});
    let p = Projection::from_params(None, Some("members")).unwrap();
    assert!(p.excludes("members") && p.excludes("MEMBERS") && !p.excludes("displayName"));
    assert_eq!(
        p.apply(&r, r.kind(ResourceKind::Group).expect("Group"), &group),
        json!({"schemas": [urn::GROUP], "id": "g1", "displayName": "Admins", "meta": {"resourceType": "Group"}})
    );
    let p = Projection::from_params(Some("members.value"), None).unwrap();
    assert_eq!(
        p.apply(&r, r.kind(ResourceKind::Group).expect("Group"), &group),
        json!({"schemas": [urn::GROUP], "id": "g1", "members": [{"value": "u1"}]})
    );
}

#[test]
fn list_items_are_projected_one_by_one() {
    let r = SchemaRegistry::scim_default();
    let p = Projection::from_params(Some("userName"), None).unwrap();
    let users =
        [json!({"id": "1", "userName": "a", "title": "x"}), json!({"id": "2", "userName": "b", "nickName": "y"})];
    let out: Vec<Value> = users.iter().map(|u| p.apply(&r, r.kind(ResourceKind::User).expect("User"), u)).collect();
    assert_eq!(out, [json!({"id": "1", "userName": "a"}), json!({"id": "2", "userName": "b"})]);
}

#[test]
fn unknown_document_keys() {
    let r = SchemaRegistry::scim_default();
    let d = json!({"id": "1", "userName": "a", "legacyField": 1});
    assert_eq!(Projection::default().apply(&r, r.kind(ResourceKind::User).expect("User"), &d), d);
    let p = Projection::from_params(Some("LEGACYFIELD"), None).unwrap();
    assert_eq!(p.apply(&r, r.kind(ResourceKind::User).expect("User"), &d), json!({"id": "1", "legacyField": 1}));
    let p = Projection::from_params(None, Some("legacyField")).unwrap();
    assert_eq!(p.apply(&r, r.kind(ResourceKind::User).expect("User"), &d), json!({"id": "1", "userName": "a"}));
    // Nothing to project against: returned unchanged.
    let printer = ResourceType {
        id: "Printer".into(),
        name: "Printer".into(),
        endpoint: "/Printers".into(),
        description: String::new(),
        schema: "urn:example:Printer".into(),
        extensions: Vec::new(),
    };
    assert_eq!(Projection::default().apply(&r, &printer, &d), d);
    assert_eq!(Projection::default().apply(&r, r.kind(ResourceKind::User).expect("User"), &json!([1])), json!([1]));
}
