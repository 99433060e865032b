//! Validation and canonicalisation of client documents (`SchemaRegistry::validate`).

use scim_core::{SchemaRegistry, ScimType, urn};
use serde_json::{Value, json};

fn registry() -> SchemaRegistry {
    SchemaRegistry::scim_default()
}

fn user(input: &Value) -> Value {
    Value::Object(registry().validate("User", input, None).expect("valid user"))
}

#[test]
fn okta_create_body() {
    let body = json!({"schemas":["urn:ietf:params:scim:schemas:core:2.0:User",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
     "userName":"test.user@okta.local",
     "name":{"givenName":"Test","familyName":"User"},
     "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
     "displayName":"Test User","locale":"en-US","title":"Manager",
     "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User":{"department":"Engineering"},
     "externalId":"00ujl29u0le5T6Aj10h7","groups":[],"password":"1mz050nq","active":true});
    assert_eq!(
        user(&body),
        json!({"schemas":[urn::USER, urn::ENTERPRISE_USER],
         "userName":"test.user@okta.local",
         "name":{"givenName":"Test","familyName":"User"},
         "emails":[{"primary":true,"value":"test.user@okta.local","type":"work"}],
         "displayName":"Test User","locale":"en-US","title":"Manager",
         urn::ENTERPRISE_USER:{"department":"Engineering"},
         "externalId":"00ujl29u0le5T6Aj10h7","active":true})
    );
}

#[test]
fn canonicalize_value_manager_string() {
    let r = registry();
    let ext = r.schema(urn::ENTERPRISE_USER).unwrap();
    let manager = ext.attribute("MANAGER").unwrap();
    assert_eq!(r.canonicalize_value(manager, &json!("m-1")).unwrap(), json!({"value": "m-1"}));
    let emails = r.schema(urn::USER).unwrap().attribute("emails").unwrap();
    assert_eq!(
        r.canonicalize_value(emails, &json!({"Value": "a@b", "Primary": "True"})).unwrap(),
        json!([{"value": "a@b", "primary": true}])
    );
    let err = r.canonicalize_value(emails, &json!([{"type": "work"}, {"type": "Work"}])).unwrap_err();
    assert_eq!(err.scim_type(), Some(ScimType::InvalidValue));
}
