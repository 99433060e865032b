//! `/Schemas`, `/ResourceTypes` and `/ServiceProviderConfig` (RFC 7643 §5–§7, RFC 7644 §4).

use scim_core::ResourceKind;
use scim_core::schema::{AttrType, AttributeDef, Schema};
use scim_core::{Limits, SchemaRegistry, ServiceProviderConfig, urn};
use serde_json::{Value, json};

const BASE: &str = "https://app.example.com/scim/v2/t/abc";

fn registry() -> SchemaRegistry {
    SchemaRegistry::scim_default()
}

fn assert_list_response(doc: &Value, n: usize) {
    assert_eq!(doc["schemas"], json!([urn::LIST_RESPONSE]));
    assert_eq!(doc["totalResults"], json!(n));
    assert_eq!(doc["itemsPerPage"], json!(n));
    assert_eq!(doc["startIndex"], json!(1));
    assert_eq!(doc["Resources"].as_array().map(Vec::len), Some(n));
}

/// Every attribute representation has the RFC 7643 §7 keys with the right JSON types.
fn assert_attribute_shape(a: &Value, path: &str) {
    let name = a["name"].as_str().unwrap_or_else(|| panic!("{path}: name"));
    let path = format!("{path}.{name}");
    for key in ["type", "description", "mutability", "returned", "uniqueness"] {
        assert!(a[key].is_string(), "{path}: {key}");
    }
    for key in ["multiValued", "required", "caseExact"] {
        assert!(a[key].is_boolean(), "{path}: {key}");
    }
    let ty = a["type"].as_str().unwrap();
    assert!(
        ["string", "boolean", "decimal", "integer", "dateTime", "binary", "reference", "complex"].contains(&ty),
        "{path}: type {ty}"
    );
    assert!(["readOnly", "readWrite", "immutable", "writeOnly"].contains(&a["mutability"].as_str().unwrap()));
    assert!(["always", "never", "default", "request"].contains(&a["returned"].as_str().unwrap()));
    assert!(["none", "server", "global"].contains(&a["uniqueness"].as_str().unwrap()));
    assert_eq!(a.get("referenceTypes").is_some(), ty == "reference", "{path}: referenceTypes");
    assert_eq!(a.get("subAttributes").is_some(), ty == "complex", "{path}: subAttributes");
    if let Some(subs) = a.get("subAttributes") {
        for s in subs.as_array().unwrap() {
            assert_attribute_shape(s, &path);
        }
    }
}

#[test]
fn schemas_list() {
    let doc = registry().schemas_document(BASE);
    assert_list_response(&doc, 4);
    let ids: Vec<&str> = doc["Resources"].as_array().unwrap().iter().map(|s| s["id"].as_str().unwrap()).collect();
    for u in [urn::USER, urn::ENTERPRISE_USER, urn::LIFECYCLE_USER, urn::GROUP] {
        assert!(ids.contains(&u), "{u}");
    }
    for s in doc["Resources"].as_array().unwrap() {
        assert_eq!(s["schemas"], json!([urn::SCHEMA]));
        assert_eq!(s["meta"]["resourceType"], "Schema");
        assert_eq!(s["meta"]["location"], json!(format!("{BASE}/Schemas/{}", s["id"].as_str().unwrap())));
        assert!(s["name"].is_string() && s["description"].is_string());
        for a in s["attributes"].as_array().unwrap() {
            assert_attribute_shape(a, s["id"].as_str().unwrap());
        }
    }
}

#[test]
fn one_schema() {
    let r = registry();
    let user = r.schema_document(&urn::USER.to_lowercase(), &format!("{BASE}/")).expect("found ignoring case");
    assert_eq!(user["id"], urn::USER);
    assert_eq!(user["meta"]["location"], json!(format!("{BASE}/Schemas/{}", urn::USER)));
    let attrs = user["attributes"].as_array().unwrap();
    let user_name = attrs.iter().find(|a| a["name"] == "userName").unwrap();
    assert_eq!(
        user_name,
        &json!({"name": "userName", "type": "string", "multiValued": false,
                "description": user_name["description"], "required": true, "caseExact": false,
                "mutability": "readWrite", "returned": "default", "uniqueness": "server"})
    );
    let password = attrs.iter().find(|a| a["name"] == "password").unwrap();
    assert_eq!((&password["mutability"], &password["returned"]), (&json!("writeOnly"), &json!("never")));
    let emails = attrs.iter().find(|a| a["name"] == "emails").unwrap();
    assert_eq!(emails["multiValued"], true);
    let ty = emails["subAttributes"].as_array().unwrap().iter().find(|a| a["name"] == "type").unwrap();
    assert_eq!(ty["canonicalValues"], json!(["work", "home", "other"]));
    assert!(r.schema_document("urn:nope", BASE).is_none());
    // Group names are unique per tenant (the stores answer 409), and discovery says so.
    let group = r.schema_document(urn::GROUP, BASE).expect("group schema");
    let display_name = group["attributes"].as_array().unwrap().iter().find(|a| a["name"] == "displayName").unwrap();
    assert_eq!((&display_name["uniqueness"], &display_name["required"]), (&json!("server"), &json!(true)));
}

#[test]
fn resource_types() {
    let r = registry();
    let doc = r.resource_types_document(BASE);
    assert_list_response(&doc, 2);
    let user = r.resource_type_document("User", BASE).unwrap();
    assert_eq!(
        user,
        json!({
            "schemas": [urn::RESOURCE_TYPE],
            "id": "User", "name": "User", "description": "User Account",
            "endpoint": "/Users", "schema": urn::USER,
            "schemaExtensions": [{"schema": urn::ENTERPRISE_USER, "required": false},
                                 {"schema": urn::LIFECYCLE_USER, "required": false}],
            "meta": {"resourceType": "ResourceType", "location": format!("{BASE}/ResourceTypes/User")}
        })
    );
    let group = r.resource_type_document("group", BASE).unwrap();
    assert_eq!(group["endpoint"], "/Groups");
    assert!(group.get("schemaExtensions").is_none());
    assert!(doc["Resources"].as_array().unwrap().contains(&group));
    assert!(r.resource_type_document("Printer", BASE).is_none());
}

#[test]
fn service_provider_config_tells_the_truth() {
    let cfg = ServiceProviderConfig::default().with_documentation_uri("https://docs.example.com/scim");
    let doc = registry().service_provider_config(&cfg, &Limits::default(), BASE);
    assert_eq!(doc["schemas"], json!([urn::SERVICE_PROVIDER_CONFIG]));
    assert_eq!(doc["documentationUri"], "https://docs.example.com/scim");
    assert_eq!(doc["patch"], json!({"supported": true}));
    assert_eq!(doc["bulk"], json!({"supported": true, "maxOperations": 1000, "maxPayloadSize": 8_388_608}));
    let off = registry().service_provider_config(&cfg, &Limits::default().with_max_bulk_operations(0), BASE);
    assert_eq!(off["bulk"], json!({"supported": false, "maxOperations": 0, "maxPayloadSize": 8_388_608}));
    assert_eq!(doc["filter"], json!({"supported": true, "maxResults": 1000}));
    assert_eq!(doc["changePassword"], json!({"supported": false}));
    assert_eq!(doc["sort"], json!({"supported": true}));
    assert_eq!(doc["etag"], json!({"supported": true}));
    let schemes = doc["authenticationSchemes"].as_array().unwrap();
    assert_eq!(schemes.len(), 1);
    assert_eq!(schemes[0]["type"], "oauthbearertoken");
    assert!(schemes[0]["name"].is_string() && schemes[0]["description"].is_string());
    assert_eq!(doc["pagination"]["cursor"], true);
    assert_eq!(doc["pagination"]["cursorTimeout"], 3600);
    assert_eq!(doc["pagination"]["defaultPaginationMethod"], "index");
    assert_eq!(doc["pagination"]["index"], true);
    assert_eq!(
        doc["meta"],
        json!({"resourceType": "ServiceProviderConfig", "location": format!("{BASE}/ServiceProviderConfig")})
    );
    let small = Limits::default().with_max_results(50).with_max_body_bytes(4096);
    let doc = registry().service_provider_config(&ServiceProviderConfig::default(), &small, BASE);
    assert_eq!(doc["filter"]["maxResults"], 50);
    assert_eq!(doc["bulk"]["maxPayloadSize"], 4096);
    assert!(doc.get("documentationUri").is_none());
}

#[test]
fn host_schemas_are_discoverable() {
    let mut r = registry();
    r.add_schema(Schema {
        id: "urn:acme:ext:1.0:User".into(),
        name: "Acme".into(),
        description: "Acme".into(),
        attributes: vec![AttributeDef::new("badge", AttrType::Integer).with_description("Badge number")],
    });
    r.add_extension("User", "urn:acme:ext:1.0:User", true);
    assert_list_response(&r.schemas_document(BASE), 5);
    let user = r.resource_type_document("User", BASE).unwrap();
    assert_eq!(user["schemaExtensions"][2], json!({"schema": "urn:acme:ext:1.0:User", "required": true}));
    let s = r.schema_document("urn:acme:ext:1.0:User", BASE).unwrap();
    assert_eq!(s["attributes"][0]["type"], "integer");
    // A required extension is enforced by validation too.
    let err = r.validate(r.kind(ResourceKind::User).expect("User"), &json!({"userName": "a"}), None).unwrap_err();
    assert!(err.detail().contains("urn:acme:ext:1.0:User"), "{}", err.detail());
    assert!(
        r.validate(
            r.kind(ResourceKind::User).expect("User"),
            &json!({"userName": "a", "urn:acme:ext:1.0:User": {"badge": 1}}),
            None
        )
        .is_ok()
    );
}
