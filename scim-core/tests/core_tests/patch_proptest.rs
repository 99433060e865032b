//! Arbitrary PATCH documents never panic: they either apply or return a SCIM error (a 4xx),
//! and a failed request, like one that reports no change, leaves the resource untouched.

use crate::patch_support;

use patch_support::{REGISTRY, bjensen, rt, tour_guides};
use proptest::prelude::*;
use scim_core::PatchOp;
use scim_core::ResourceKind;
use serde_json::{Map, Value, json};

fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        prop_oneof![
            Just("True".to_owned()),
            Just("false".to_owned()),
            Just("work".to_owned()),
            Just("2819c223-7f76-453a-919d-413861904646".to_owned()),
            ".{0,12}",
        ]
        .prop_map(Value::String),
    ];
    leaf.prop_recursive(3, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..4)
                .prop_map(|kv| Value::Object(kv.into_iter().collect::<Map<_, _>>())),
        ]
    })
}

fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("value".to_owned()),
        Just("type".to_owned()),
        Just("primary".to_owned()),
        Just("display".to_owned()),
        Just("$ref".to_owned()),
        Just("givenName".to_owned()),
        Just("id".to_owned()),
        Just("active".to_owned()),
        Just("name.givenName".to_owned()),
        Just("emails".to_owned()),
        Just("members".to_owned()),
        Just("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User".to_owned()),
        Just("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager".to_owned()),
        "[a-zA-Z.:\\[\\] \"]{0,10}",
    ]
}

fn path() -> impl Strategy<Value = Option<String>> {
    prop_oneof![
        Just(None),
        prop_oneof![
            Just("active"),
            Just("displayName"),
            Just("userName"),
            Just("id"),
            Just("meta.version"),
            Just("name"),
            Just("name.givenName"),
            Just("emails"),
            Just("emails.primary"),
            Just("emails[type eq \"work\"]"),
            Just("emails[type eq \"work\"].value"),
            Just("emails[primary eq true].primary"),
            Just("emails[value co \"@\" or not (type pr)].display"),
            Just("phoneNumbers[type eq \"mobile\" and primary eq false]"),
            Just("addresses[type eq \"work\"].streetAddress"),
            Just("members"),
            Just("members[value eq \"2819c223-7f76-453a-919d-413861904646\"]"),
            Just("members[display sw \"B\"].display"),
            Just("manager"),
            Just("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"),
            Just("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value"),
            Just("urn:scim-rs:params:scim:schemas:extension:lifecycle:2.0:User:status"),
            Just("groups"),
            Just("schemas"),
            Just("nosuch"),
            Just("emails[type eq"),
        ]
        .prop_map(|p| Some(p.to_owned())),
        "[a-zA-Z.:\\[\\] \"=]{0,16}".prop_map(Some),
    ]
}

fn operation() -> impl Strategy<Value = Value> {
    let op = prop_oneof![Just("add"), Just("Add"), Just("remove"), Just("REPLACE"), Just("replace"), Just("move")];
    (op, path(), prop::option::of(json_value())).prop_map(|(op, path, value)| {
        let mut o = Map::new();
        o.insert("op".to_owned(), json!(op));
        if let Some(p) = path {
            o.insert("path".to_owned(), json!(p));
        }
        if let Some(v) = value {
            o.insert("value".to_owned(), v);
        }
        Value::Object(o)
    })
}

fn check(kind: ResourceKind, doc: &Value, body: &Value) {
    let Ok(patch) = PatchOp::from_json(body) else { return };
    let mut copy = doc.clone();
    match patch.apply(&REGISTRY, rt(kind), copy.as_object_mut().expect("object")) {
        Ok(true) => {}
        Ok(false) => assert_eq!(&copy, doc, "no change reported, but the resource changed"),
        Err(e) => {
            assert_eq!(e.status(), http::StatusCode::BAD_REQUEST, "{e}");
            assert_eq!(&copy, doc, "a failed PATCH must leave the resource untouched: {e}");
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn arbitrary_operations_apply_or_fail_cleanly(ops in prop::collection::vec(operation(), 1..5)) {
        let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"], "Operations": ops});
        check(ResourceKind::User, &bjensen(), &body);
        check(ResourceKind::Group, &tour_guides(), &body);
    }

    #[test]
    fn arbitrary_bodies_never_panic(body in json_value()) {
        if let Ok(patch) = PatchOp::from_json(&body) {
            let mut doc = bjensen();
            let _ = patch.apply(&REGISTRY, REGISTRY.kind(ResourceKind::User).expect("User"), doc.as_object_mut().expect("object"));
        }
    }
}
