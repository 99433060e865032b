//! Validation and canonicalisation of client documents (`SchemaRegistry::validate`,
//! `SchemaRegistry::canonicalize_value`), with the bodies Entra and Okta really send.

use proptest::prelude::*;
use scim_core::schema::ResourceType;
use scim_core::{ResourceKind, SchemaRegistry, ScimError, ScimType, UnknownAttributes, urn};
use serde_json::{Value, json};

fn registry() -> SchemaRegistry {
    SchemaRegistry::scim_default()
}

fn valid(kind: ResourceKind, input: &Value) -> Value {
    let r = registry();
    match r.validate(r.kind(kind).expect("kind"), input, None) {
        Ok(out) => Value::Object(out),
        Err(e) => panic!("expected valid, got {e}"),
    }
}

fn user(input: &Value) -> Value {
    valid(ResourceKind::User, input)
}

fn user_err(input: &Value) -> ScimError {
    let r = registry();
    r.validate(r.kind(ResourceKind::User).expect("User"), input, None).expect_err("expected an error")
}

fn strict() -> SchemaRegistry {
    SchemaRegistry::scim_default().with_unknown_attributes(UnknownAttributes::Reject)
}

/// ENTRA.md §3: the create-user body of the Entra SCIM tutorial.
#[test]
fn entra_create_user() {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
        "active": true,
        "emails": [{"primary": true, "type": "work",
                    "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
        "meta": {"resourceType": "User"},
        "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"},
        "roles": []
    });
    assert_eq!(
        user(&body),
        json!({
            "schemas": [urn::USER],
            "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
            "userName": "Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1",
            "active": true,
            "emails": [{"primary": true, "type": "work",
                        "value": "Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com"}],
            "name": {"formatted": "givenName familyName", "familyName": "familyName", "givenName": "givenName"}
        })
    );
}

/// ENTRA.md §3: the older tutorial example, with nulls and the malformed `…enterprise:2.0User` URN.
#[test]
fn entra_create_user_older_example_with_nulls() {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0User"],
        "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "active": true,
        "addresses": null,
        "displayName": "Test User",
        "emails": [{"type": "work", "value": "Test_User_1@testuser.com", "primary": true}],
        "meta": {"resourceType": "User"},
        "name": {"familyName": "User", "givenName": "Test", "formatted": null},
        "phoneNumbers": null,
        "title": null,
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0User": {"department": null, "manager": null}
    });
    let expected = json!({
        "schemas": [urn::USER],
        "userName": "Test_User_00aa00aa-bb11-cc22-dd33-44ee44ee44ee",
        "externalId": "0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef",
        "active": true,
        "displayName": "Test User",
        "emails": [{"type": "work", "value": "Test_User_1@testuser.com", "primary": true}],
        "name": {"familyName": "User", "givenName": "Test"}
    });
    assert_eq!(user(&body), expected);
    // Strict registries name the malformed extension.
    let err = strict().validate(strict().kind(ResourceKind::User).expect("User"), &body, None).unwrap_err();
    assert_eq!(err.scim_type(), Some(ScimType::InvalidValue));
    assert!(err.detail().contains("enterprise:2.0User"), "{}", err.detail());
}

/// ENTRA.md §3: group create with Microsoft's extra schema URI.
#[test]
fn entra_create_group_with_unknown_schema_uri() {
    let body = json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group",
                    "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
        "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
        "displayName": "Group1",
        "meta": {"resourceType": "Group"}
    });
    let expected = json!({"schemas": [urn::GROUP], "externalId": "8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159",
                          "displayName": "Group1"});
    assert_eq!(valid(ResourceKind::Group, &body), expected);
    // Unknown URIs in `schemas` are tolerated even by a strict registry.
    assert_eq!(
        Value::Object(strict().validate(strict().kind(ResourceKind::Group).expect("Group"), &body, None).unwrap()),
        expected
    );
}

/// OKTA.md §3: create user, with `password` and `groups: []`.
#[test]
fn okta_create_user() {
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
     "userName":"test.user@okta.local",
     "name":{"givenName":"Test","familyName":"User"},
     "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
     "displayName":"Test User","locale":"en-US","title":"Manager",
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engineering"},
     "externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true});
    let out = user(&body);
    assert_eq!(
        out,
        json!({"schemas":[urn::USER, urn::ENTERPRISE_USER],
         "userName":"test.user@okta.local",
         "name":{"givenName":"Test","familyName":"User"},
         "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
         "displayName":"Test User","locale":"en-US","title":"Manager",
         urn::ENTERPRISE_USER:{"department":"Engineering"},
         "externalId":"00ujl29u0le5T6Aj10h7","active":true})
    );
    // A strict registry accepts it too: password and groups are known attributes.
    assert!(strict().validate(strict().kind(ResourceKind::User).expect("User"), &body, None).is_ok());
}

/// OKTA.md §2.5: PUT sends back what GET returned, read-only parts included.
#[test]
fn okta_put_round_trip_drops_server_owned_attributes() {
    let stored = json!({
        "schemas": [urn::USER, urn::LIFECYCLE_USER],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "userName": "bjensen", "active": false,
        "groups": [{"value": "g1", "display": "Admins", "$ref": "https://h/Groups/g1"}],
        "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z",
                 "lastModified": "2024-01-02T00:00:00Z", "version": "W/\"3\"",
                 "location": "https://h/Users/2819c223-7f76-453a-919d-413861904646"},
        urn::LIFECYCLE_USER: {"status": "suspended", "suspendedAt": "2024-01-02T00:00:00Z",
                              "purgeAt": "2024-02-01T00:00:00Z"}
    });
    let out = registry().validate(registry().kind(ResourceKind::User).expect("User"), &stored, Some(&stored)).unwrap();
    assert_eq!(Value::Object(out), json!({"schemas": [urn::USER], "userName": "bjensen", "active": false}));
}

#[test]
fn names_are_canonicalised_at_every_level() {
    let body = json!({
        "SCHEMAS": [urn::USER],
        "USERNAME": "ann",
        "Name": {"GivenName": "Ann", "FAMILYNAME": "Lee"},
        "Emails": [{"Value": "ann@x.org", "TYPE": "work", "pRiMaRy": true}],
        "addresses": [{"streetaddress": "1 Main St", "Country": "US"}],
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user": {
            "Department": "R&D", "MANAGER": {"Value": "m1", "$REF": "../Users/m1"}
        }
    });
    assert_eq!(
        user(&body),
        json!({
            "schemas": [urn::USER, urn::ENTERPRISE_USER],
            "userName": "ann",
            "name": {"givenName": "Ann", "familyName": "Lee"},
            "emails": [{"value": "ann@x.org", "type": "work", "primary": true}],
            "addresses": [{"streetAddress": "1 Main St", "country": "US"}],
            urn::ENTERPRISE_USER: {"department": "R&D", "manager": {"value": "m1", "$ref": "../Users/m1"}}
        })
    );
}

#[test]
fn urn_qualified_top_level_keys() {
    let body = json!({
        "urn:ietf:params:scim:schemas:core:2.0:User:userName": "ann",
        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "701984",
        urn::ENTERPRISE_USER: {"department": "R&D"}
    });
    assert_eq!(
        user(&body),
        json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "userName": "ann",
               urn::ENTERPRISE_USER: {"department": "R&D", "employeeNumber": "701984"}})
    );
}

#[test]
fn string_booleans_become_booleans() {
    for (s, b) in [("True", true), ("False", false), ("true", true), ("false", false), ("TRUE", true)] {
        let out = user(&json!({"userName": "a", "active": s, "emails": [{"value": "a@x", "primary": s}]}));
        assert_eq!(out["active"], json!(b), "{s}");
        assert_eq!(out["emails"][0]["primary"], json!(b), "{s}");
    }
    let err = user_err(&json!({"userName": "a", "active": "yes"}));
    assert_eq!(err.scim_type(), Some(ScimType::InvalidValue));
    assert!(err.detail().contains("active") && err.detail().contains("yes"), "{}", err.detail());
}

#[test]
fn wrong_types_are_invalid_value_naming_the_attribute() {
    let cases: Vec<(Value, &str)> = vec![
        (json!({"userName": 5}), "userName"),
        (json!({"userName": "a", "active": 1}), "active"),
        (json!({"userName": "a", "displayName": ["x"]}), "displayName"),
        (json!({"userName": "a", "name": "Ann Lee"}), "name"),
        (json!({"userName": "a", "name": {"givenName": {"first": "Ann"}}}), "name.givenName"),
        (json!({"userName": "a", "name": {"givenName": ["Ann"]}}), "name.givenName"),
        (json!({"userName": "a", "emails": [{"value": 5}]}), "emails.value"),
        (json!({"userName": "a", "emails": [["a@x"]]}), "emails"),
        (json!({"userName": "a", "emails": [true]}), "emails.value"),
        (json!({"userName": "a", "profileUrl": 7}), "profileUrl"),
        (json!({"userName": "a", "x509Certificates": [{"value": "not base64!"}]}), "x509Certificates.value"),
        (json!({"userName": "a", "phoneNumbers": [{"primary": "maybe"}]}), "phoneNumbers.primary"),
        (json!({"userName": "a", urn::ENTERPRISE_USER: "R&D"}), urn::ENTERPRISE_USER),
        (json!({"userName": "a", urn::ENTERPRISE_USER: {"department": 3}}), "enterprise:2.0:User:department"),
        (json!({"userName": "a", urn::ENTERPRISE_USER: {"manager": {"value": 3}}}), "manager.value"),
        (json!({"userName": "a", urn::ENTERPRISE_USER: {"manager": ["m1"]}}), "manager"),
        (json!({"userName": "a", "schemas": 3}), "schemas"),
    ];
    for (body, attr) in cases {
        let err = user_err(&body);
        assert_eq!(err.status(), 400, "{body}");
        assert_eq!(err.scim_type(), Some(ScimType::InvalidValue), "{body}");
        assert!(err.detail().contains(attr), "{body}: detail {:?} should name {attr}", err.detail());
    }
}

#[test]
fn read_only_attributes_are_ignored_not_rejected() {
    let out = user(&json!({
        "userName": "a", "id": "client-chosen", "meta": {"created": "garbage"},
        "groups": [{"value": "g1"}],
        urn::ENTERPRISE_USER: {"manager": {"value": "m1", "displayName": "Boss"}},
        urn::LIFECYCLE_USER: {"status": "active"}
    }));
    assert_eq!(
        out,
        json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "userName": "a",
               urn::ENTERPRISE_USER: {"manager": {"value": "m1"}}})
    );
}

#[test]
fn password_is_never_stored() {
    let out = user(&json!({"userName": "a", "password": "hunter2"}));
    assert!(out.get("password").is_none());
    // Not even when it is malformed: it is not looked at.
    let out = user(&json!({"userName": "a", "PASSWORD": {"x": 1}}));
    assert!(out.get("password").is_none() && out.get("PASSWORD").is_none());
}

#[test]
fn manager_string_becomes_an_object() {
    let out =
        user(&json!({"userName": "a", urn::ENTERPRISE_USER: {"manager": "26118915-6090-4610-87e4-49d8ca9f808d"}}));
    assert_eq!(out[urn::ENTERPRISE_USER]["manager"], json!({"value": "26118915-6090-4610-87e4-49d8ca9f808d"}));
}

#[test]
fn lone_values_for_multi_valued_attributes_are_wrapped() {
    let out = user(&json!({"userName": "a", "emails": {"value": "a@x", "type": "work"}}));
    assert_eq!(out["emails"], json!([{"value": "a@x", "type": "work"}]));
    let out = user(&json!({"userName": "a", "emails": "a@x"}));
    assert_eq!(out["emails"], json!([{"value": "a@x"}]));
}

#[test]
fn unassigned_values_are_dropped() {
    let out = user(&json!({
        "userName": "a", "roles": [], "name": {}, "emails": [null, {"value": null}],
        "nickName": null, "addresses": [{"type": null}], urn::ENTERPRISE_USER: {}
    }));
    assert_eq!(out, json!({"schemas": [urn::USER], "userName": "a"}));
}

#[test]
fn one_value_per_type_and_one_primary() {
    let err = user_err(
        &json!({"userName": "a", "emails": [{"value": "a@x", "type": "work"}, {"value": "b@x", "type": "WORK"}]}),
    );
    assert_eq!(err.scim_type(), Some(ScimType::InvalidValue));
    assert!(err.detail().contains("emails") && err.detail().contains("type"), "{}", err.detail());
    let err = user_err(
        &json!({"userName": "a", "phoneNumbers": [{"value": "1", "primary": true}, {"value": "2", "primary": "True"}]}),
    );
    assert!(err.detail().contains("phoneNumbers") && err.detail().contains("primary"), "{}", err.detail());
    // Values without a type do not count; one primary is fine; primary false any number of times.
    let ok = user(&json!({"userName": "a", "emails": [
        {"value": "a@x"}, {"value": "b@x"}, {"value": "c@x", "type": "work", "primary": true},
        {"value": "d@x", "type": "home", "primary": false}, {"value": "e@x", "primary": false}]}));
    assert_eq!(ok["emails"].as_array().map(Vec::len), Some(5));
    // Roles and entitlements may repeat a type (Entra's app-role assignments do).
    let ok = user(&json!({"userName": "a", "roles": [
        {"value": "Admin", "type": "WindowsAzureActiveDirectoryRole", "primary": false},
        {"value": "Reader", "type": "WindowsAzureActiveDirectoryRole", "primary": false}]}));
    assert_eq!(ok["roles"].as_array().map(Vec::len), Some(2));
    // Many values: still one per type, and no quadratic blow-up.
    let mut many: Vec<Value> = (0..5000).map(|i| json!({"value": format!("{i}@x"), "type": format!("t{i}")})).collect();
    let ok = user(&json!({"userName": "a", "emails": many.clone()}));
    assert_eq!(ok["emails"].as_array().map(Vec::len), Some(5000));
    many.push(json!({"value": "dup@x", "type": "T4999"}));
    let err = user_err(&json!({"userName": "a", "emails": many}));
    assert!(err.detail().to_lowercase().contains("type 't4999'"), "{}", err.detail());
    // Group members all have type User.
    let members: Vec<Value> = (0..50).map(|i| json!({"value": format!("u{i}"), "type": "User"})).collect();
    let ok = valid(ResourceKind::Group, &json!({"displayName": "G", "members": members}));
    assert_eq!(ok["members"].as_array().map(Vec::len), Some(50));
}

#[test]
fn required_attributes() {
    for body in [json!({}), json!({"userName": ""}), json!({"userName": "  "}), json!({"userName": null})] {
        let err = user_err(&body);
        assert_eq!(err.scim_type(), Some(ScimType::InvalidValue), "{body}");
        assert!(err.detail().contains("userName") && err.detail().contains("required"), "{}", err.detail());
    }
    let err = registry()
        .validate(registry().kind(ResourceKind::Group).expect("Group"), &json!({"members": []}), None)
        .unwrap_err();
    assert!(err.detail().contains("displayName"), "{}", err.detail());
}

#[test]
fn unknown_attributes_follow_the_policy() {
    let body = json!({"userName": "a", "favouriteColour": "green", "name": {"givenName": "A", "nickname": "x"},
                      "urn:example:unknown:1.0:User": {"x": 1}});
    assert_eq!(user(&body), json!({"schemas": [urn::USER], "userName": "a", "name": {"givenName": "A"}}));
    assert_eq!(registry().unknown_attributes(), UnknownAttributes::Ignore);

    let r = strict();
    let detail =
        |b: &Value| r.validate(r.kind(ResourceKind::User).expect("User"), b, None).unwrap_err().detail().to_owned();
    assert!(detail(&json!({"userName": "a", "favouriteColour": "g"})).contains("favouriteColour"));
    assert!(detail(&json!({"userName": "a", "name": {"nickname": "x"}})).contains("name.nickname"));
    assert!(detail(&json!({"userName": "a", "urn:example:unknown:1.0:User": {}})).contains("urn:example:unknown"));
    assert!(detail(&json!({"userName": "a", urn::ENTERPRISE_USER: {"floor": 3}})).contains("floor"));
    let err =
        r.validate(r.kind(ResourceKind::User).expect("User"), &json!({"userName": "a", "x": 1}), None).unwrap_err();
    assert_eq!((err.status().as_u16(), err.scim_type()), (400, Some(ScimType::InvalidValue)));
}

#[test]
fn types_are_checked_per_rfc7643_section_2_3() {
    let ok =
        user(&json!({"userName": "a", "x509Certificates": [{"value": "MIIDQzCCAqygAwIBAgICEAAwDQYJKoZIhvcNAQEFBQAw"}],
                          "photos": [{"value": "https://photos.example.com/profilephoto/72930000000Ccne/F"}]}));
    assert!(ok.get("x509Certificates").is_some() && ok.get("photos").is_some());
}

#[test]
fn not_an_object_and_unknown_resource_type() {
    for body in [json!([]), json!("user"), json!(null), json!(1)] {
        assert_eq!(user_err(&body).scim_type(), Some(ScimType::InvalidSyntax), "{body}");
    }
    // A resource type whose schema the registry does not hold.
    let printer = ResourceType {
        id: "Printer".into(),
        name: "Printer".into(),
        endpoint: "/Printers".into(),
        description: String::new(),
        schema: "urn:example:Printer".into(),
        extensions: Vec::new(),
    };
    let err = registry().validate(&printer, &json!({}), None).unwrap_err();
    assert_eq!(err.status(), 404);
}

#[test]
fn canonicalize_value_for_patch() {
    let r = registry();
    let user_schema = r.schema(urn::USER).unwrap();
    let ext = r.schema(urn::ENTERPRISE_USER).unwrap();
    let manager = ext.attribute("MANAGER").unwrap();
    assert_eq!(r.canonicalize_value(manager, &json!("m-1")).unwrap(), json!({"value": "m-1"}));
    assert_eq!(
        r.canonicalize_value(manager, &json!({"VALUE": "m-1", "displayName": "x"})).unwrap(),
        json!({"value": "m-1"})
    );
    let emails = user_schema.attribute("emails").unwrap();
    assert_eq!(
        r.canonicalize_value(emails, &json!({"Value": "a@b", "Primary": "True"})).unwrap(),
        json!([{"value": "a@b", "primary": true}])
    );
    let err = r.canonicalize_value(emails, &json!([{"type": "work"}, {"type": "Work"}])).unwrap_err();
    assert_eq!(err.scim_type(), Some(ScimType::InvalidValue));
    let active = user_schema.attribute("active").unwrap();
    assert_eq!(r.canonicalize_value(active, &json!("False")).unwrap(), json!(false));
    assert_eq!(r.canonicalize_value(active, &Value::Null).unwrap(), Value::Null);
    let given = user_schema.attribute("name").unwrap().sub_attribute("givenName").unwrap();
    assert_eq!(r.canonicalize_value(given, &json!("Babs")).unwrap(), json!("Babs"));
    let err = r.canonicalize_value(given, &json!(1)).unwrap_err();
    assert!(err.detail().contains("givenName"), "{}", err.detail());
    let email_value = emails.sub_attribute("value").unwrap();
    assert!(r.canonicalize_value(email_value, &json!({"x": 1})).is_err());
}

#[test]
fn immutable_group_member_values_are_not_compared_across_elements() {
    // `members.value` is immutable per element; replacing the member list is allowed.
    let existing = json!({"displayName": "G", "members": [{"value": "u1"}]});
    let out = registry().validate(
        registry().kind(ResourceKind::Group).expect("Group"),
        &json!({"displayName": "G", "members": [{"value": "u2"}]}),
        Some(&existing),
    );
    assert_eq!(out.unwrap()["members"], json!([{"value": "u2"}]));
}

fn arb_json() -> impl Strategy<Value = Value> {
    let key = prop_oneof![
        Just("userName".to_owned()),
        Just("emails".to_owned()),
        Just("value".to_owned()),
        Just("type".to_owned()),
        Just("primary".to_owned()),
        Just("name".to_owned()),
        Just("givenName".to_owned()),
        Just("manager".to_owned()),
        Just("members".to_owned()),
        Just("displayName".to_owned()),
        Just("schemas".to_owned()),
        Just("active".to_owned()),
        Just("x509Certificates".to_owned()),
        Just("meta".to_owned()),
        Just(urn::ENTERPRISE_USER.to_owned()),
        Just(urn::LIFECYCLE_USER.to_owned()),
        Just(format!("{}:userName", urn::USER)),
        "[a-zA-Z:.$]{0,12}",
    ];
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "(True|False|work|home|[ -~]{0,10})".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 64, 8, move |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::vec((key.clone(), inner), 0..8).prop_map(|kv| Value::Object(kv.into_iter().collect())),
        ]
    })
}

proptest! {
    #[test]
    fn arbitrary_documents_never_panic(doc in arb_json(), strict_policy in any::<bool>(), group in any::<bool>()) {
        let r = if strict_policy { strict() } else { registry() };
        let rt = r.kind(if group { ResourceKind::Group } else { ResourceKind::User }).expect("kind");
        let result = r.validate(rt, &doc, Some(&doc));
        // The owned variant gives exactly the same answer.
        prop_assert_eq!(&r.validate_owned(rt, doc.clone(), Some(&doc)), &result);
        match result {
            Ok(out) => {
                // The output is valid again and stable.
                let again = r.validate(rt, &Value::Object(out.clone()), None).expect("canonical output validates");
                prop_assert_eq!(again, out);
            }
            Err(e) => prop_assert!(e.status().is_client_error(), "{e}"),
        }
    }
}
