//! Helpers shared by the `patch_*` integration tests.
#![allow(dead_code, unreachable_pub)]

use scim_core::schema::ResourceType;
use scim_core::{PatchOp, ResourceKind, SchemaRegistry, ScimError, ScimType};
use serde_json::{Map, Value, json};
use std::sync::LazyLock;

pub static REGISTRY: LazyLock<SchemaRegistry> = LazyLock::new(SchemaRegistry::scim_default);

pub const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// A stored user like the ones `SchemaRegistry::validate` produces.
pub fn bjensen() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User", ENTERPRISE],
        "id": "2819c223-7f76-453a-919d-413861904646",
        "externalId": "bjensen",
        "userName": "bjensen@example.com",
        "name": {"formatted": "Ms. Barbara J Jensen III", "familyName": "Jensen", "givenName": "Barbara"},
        "displayName": "Babs Jensen",
        "title": "Tour Guide",
        "active": true,
        "emails": [
            {"value": "bjensen@example.com", "type": "work", "primary": true},
            {"value": "babs@jensen.org", "type": "home"}
        ],
        "phoneNumbers": [{"value": "555-555-8377", "type": "work"}],
        "addresses": [{"type": "work", "streetAddress": "100 Universal City Plaza", "locality": "Hollywood", "region": "CA", "postalCode": "91608", "country": "USA", "primary": true}],
        ENTERPRISE: {"employeeNumber": "701984", "department": "Tour Operations", "manager": {"value": "26118915-6090-4610-87e4-49d8ca9f808d", "$ref": "../Users/26118915-6090-4610-87e4-49d8ca9f808d"}},
        "meta": {"resourceType": "User", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"3694e05e9dff591\""}
    })
}

/// A stored group with two members.
pub fn tour_guides() -> Value {
    json!({
        "schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
        "id": "e9e30dba-f08f-4109-8486-d5c6a331660a",
        "displayName": "Tour Guides",
        "members": [
            {"value": "2819c223-7f76-453a-919d-413861904646", "$ref": "https://example.com/v2/Users/2819c223-7f76-453a-919d-413861904646", "display": "Babs Jensen"},
            {"value": "902c246b-6245-4190-8e05-00816be7344a", "$ref": "https://example.com/v2/Users/902c246b-6245-4190-8e05-00816be7344a", "display": "Mandy Pepperidge"}
        ],
        "meta": {"resourceType": "Group", "created": "2010-01-23T04:56:22Z", "lastModified": "2011-05-13T04:42:34Z", "version": "W/\"3694e05e9dff592\""}
    })
}

/// A PatchOp body from its operations.
pub fn body(ops: Value) -> Value {
    let mut m = Map::new();
    m.insert("schemas".to_owned(), json!(["urn:ietf:params:scim:api:messages:2.0:PatchOp"]));
    m.insert("Operations".to_owned(), ops);
    Value::Object(m)
}

fn obj(doc: &mut Value) -> &mut Map<String, Value> {
    doc.as_object_mut().expect("test documents are objects")
}

/// The default registry's definition of `kind`.
pub fn rt(kind: ResourceKind) -> &'static ResourceType {
    REGISTRY.kind(kind).expect("the default registry has User and Group")
}

/// Parses and applies `ops` to `doc`; returns whether it changed.
pub fn apply(kind: ResourceKind, doc: &mut Value, ops: Value) -> Result<bool, ScimError> {
    let patch = PatchOp::from_json(&body(ops))?;
    patch.apply(&REGISTRY, rt(kind), obj(doc))
}

/// Applies `ops` to a copy of `doc` and returns the result; panics (test failure) on error.
pub fn patched(kind: ResourceKind, doc: &Value, ops: Value) -> Value {
    let mut doc = doc.clone();
    match apply(kind, &mut doc, ops) {
        Ok(_) => doc,
        Err(e) => panic!("PATCH failed: {e}"),
    }
}

/// Applies `ops`, expects an error of `scim_type`, and checks the document did not change.
pub fn rejected(kind: ResourceKind, doc: &Value, ops: Value, scim_type: ScimType) -> ScimError {
    let mut copy = doc.clone();
    let err = apply(kind, &mut copy, ops).expect_err("the PATCH must be rejected");
    assert_eq!(err.status(), http::StatusCode::BAD_REQUEST, "{err}");
    assert_eq!(err.scim_type(), Some(scim_type), "{err}");
    assert_eq!(&copy, doc, "a failed PATCH must leave the document untouched");
    err
}

/// The resource of a fixture file under `tests/fixtures/`.
pub fn fixture(path: &str) -> Value {
    let full = format!("{}/tests/fixtures/{path}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&full).unwrap_or_else(|e| panic!("{full}: {e}"));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{full}: {e}"))
}

/// Replays one request fixture (`tests/fixtures/<dir>/<name>.json`): `before` + `request` must
/// give `after` (and `changed`), or the `error` status and `scimType` with `before` untouched.
pub fn replay(dir: &str, name: &str) {
    let fx = fixture(&format!("{dir}/{name}.json"));
    let rt = REGISTRY.resource_type(fx["resourceType"].as_str().expect("resourceType")).expect("a known resource type");
    let before = fx["before"].clone();
    let mut doc = before.clone();
    let result = PatchOp::from_json(&fx["request"]).and_then(|p| p.apply(&REGISTRY, rt, obj(&mut doc)));
    match (&fx["error"], result) {
        (Value::Null, Ok(changed)) => {
            assert_eq!(doc, fx["after"], "{dir}/{name}: resulting resource");
            assert_eq!(Some(changed), fx["changed"].as_bool(), "{dir}/{name}: changed flag");
        }
        (Value::Null, Err(e)) => panic!("{dir}/{name}: unexpected error {e}"),
        (expected, Ok(_)) => panic!("{dir}/{name}: expected {expected}, got success"),
        (expected, Err(e)) => {
            assert_eq!(Some(u64::from(e.status().as_u16())), expected["status"].as_u64(), "{dir}/{name}: {e}");
            assert_eq!(
                Some(e.scim_type().map_or("", ScimType::as_str)),
                expected["scimType"].as_str(),
                "{dir}/{name}: {e}"
            );
            assert_eq!(doc, before, "{dir}/{name}: a failed PATCH leaves the resource untouched");
        }
    }
}

/// The fixture names of a directory, sorted.
pub fn fixture_names(dir: &str) -> Vec<String> {
    let full = format!("{}/tests/fixtures/{dir}", env!("CARGO_MANIFEST_DIR"));
    let mut names: Vec<String> = std::fs::read_dir(&full)
        .unwrap_or_else(|e| panic!("{full}: {e}"))
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|n| n.strip_suffix(".json").map(str::to_owned))
        .collect();
    names.sort();
    names
}

/// One `#[test]` per fixture, plus a test that the list covers the directory.
#[macro_export]
macro_rules! fixture_tests {
    ($dir:literal: $($name:ident),+ $(,)?) => {
        $(
            #[test]
            fn $name() {
                $crate::patch_support::replay($dir, stringify!($name));
            }
        )+

        #[test]
        fn every_fixture_has_a_test() {
            let mut listed = vec![$(stringify!($name).to_owned()),+];
            listed.sort();
            assert_eq!(listed, $crate::patch_support::fixture_names($dir));
        }
    };
}
