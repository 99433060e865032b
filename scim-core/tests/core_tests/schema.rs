//! The attribute definitions of the default registry, checked against RFC 7643 §4 and §8.7.1,
//! and a host's own schema extension.

use scim_core::ResourceKind;
use scim_core::schema::{AttrType, AttributeDef, Mutability, Returned, Schema, SchemaRegistry, Uniqueness};
use scim_core::{Projection, urn};
use scim_query::{AttrPath, AttributeFacts};
use serde_json::json;

/// One expected attribute: path (`name` or `name.sub`), type, multiValued, required,
/// caseExact, mutability, returned, uniqueness.
type Row = (&'static str, AttrType, bool, bool, bool, Mutability, Returned, Uniqueness);

use AttrType::{Binary, Boolean, Complex, DateTime, Reference, String as Str};
use Mutability::{Immutable, ReadOnly, ReadWrite, WriteOnly};
use Returned::{Always, Default as Dflt, Never};
use Uniqueness::{None as NoU, Server};

const RW: Mutability = ReadWrite;

fn plural(name: &'static str, value_type: AttrType) -> Vec<Row> {
    // Every plural attribute of RFC 7643 §4.1.2 has these four sub-attributes.
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    vec![
        (name, Complex, true, false, false, RW, Dflt, NoU),
        (leak(format!("{name}.value")), value_type, false, false, false, RW, Dflt, NoU),
        (leak(format!("{name}.display")), Str, false, false, false, RW, Dflt, NoU),
        (leak(format!("{name}.type")), Str, false, false, false, RW, Dflt, NoU),
        (leak(format!("{name}.primary")), Boolean, false, false, false, RW, Dflt, NoU),
    ]
}

fn common() -> Vec<Row> {
    vec![
        ("id", Str, false, false, true, ReadOnly, Always, Server),
        ("externalId", Str, false, false, true, RW, Dflt, NoU),
        ("meta", Complex, false, false, false, ReadOnly, Dflt, NoU),
        ("meta.resourceType", Str, false, false, true, ReadOnly, Dflt, NoU),
        ("meta.created", DateTime, false, false, false, ReadOnly, Dflt, NoU),
        ("meta.lastModified", DateTime, false, false, false, ReadOnly, Dflt, NoU),
        ("meta.location", Reference, false, false, true, ReadOnly, Dflt, NoU),
        ("meta.version", Str, false, false, true, ReadOnly, Dflt, NoU),
    ]
}

fn user_rows() -> Vec<Row> {
    let mut rows = common();
    rows.extend([
        ("userName", Str, false, true, false, RW, Dflt, Server),
        ("name", Complex, false, false, false, RW, Dflt, NoU),
        ("name.formatted", Str, false, false, false, RW, Dflt, NoU),
        ("name.familyName", Str, false, false, false, RW, Dflt, NoU),
        ("name.givenName", Str, false, false, false, RW, Dflt, NoU),
        ("name.middleName", Str, false, false, false, RW, Dflt, NoU),
        ("name.honorificPrefix", Str, false, false, false, RW, Dflt, NoU),
        ("name.honorificSuffix", Str, false, false, false, RW, Dflt, NoU),
        ("displayName", Str, false, false, false, RW, Dflt, NoU),
        ("nickName", Str, false, false, false, RW, Dflt, NoU),
        ("profileUrl", Reference, false, false, false, RW, Dflt, NoU),
        ("title", Str, false, false, false, RW, Dflt, NoU),
        ("userType", Str, false, false, false, RW, Dflt, NoU),
        ("preferredLanguage", Str, false, false, false, RW, Dflt, NoU),
        ("locale", Str, false, false, false, RW, Dflt, NoU),
        ("timezone", Str, false, false, false, RW, Dflt, NoU),
        ("active", Boolean, false, false, false, RW, Dflt, NoU),
        ("password", Str, false, false, false, WriteOnly, Never, NoU),
    ]);
    rows.extend(plural("emails", Str));
    rows.extend(plural("phoneNumbers", Str));
    rows.extend(plural("ims", Str));
    rows.extend(plural("photos", Reference));
    rows.extend([
        ("addresses", Complex, true, false, false, RW, Dflt, NoU),
        ("addresses.formatted", Str, false, false, false, RW, Dflt, NoU),
        ("addresses.streetAddress", Str, false, false, false, RW, Dflt, NoU),
        ("addresses.locality", Str, false, false, false, RW, Dflt, NoU),
        ("addresses.region", Str, false, false, false, RW, Dflt, NoU),
        ("addresses.postalCode", Str, false, false, false, RW, Dflt, NoU),
        ("addresses.country", Str, false, false, false, RW, Dflt, NoU),
        ("addresses.type", Str, false, false, false, RW, Dflt, NoU),
        ("groups", Complex, true, false, false, ReadOnly, Dflt, NoU),
        ("groups.value", Str, false, false, false, ReadOnly, Dflt, NoU),
        ("groups.$ref", Reference, false, false, false, ReadOnly, Dflt, NoU),
        ("groups.display", Str, false, false, false, ReadOnly, Dflt, NoU),
        ("groups.type", Str, false, false, false, ReadOnly, Dflt, NoU),
    ]);
    rows.extend(plural("entitlements", Str));
    rows.extend(plural("roles", Str));
    rows.extend(plural("x509Certificates", Binary));
    rows
}

fn group_rows() -> Vec<Row> {
    let mut rows = common();
    rows.extend([
        ("displayName", Str, false, true, false, RW, Dflt, Server),
        ("members", Complex, true, false, false, RW, Dflt, NoU),
        ("members.value", Str, false, false, false, Immutable, Dflt, NoU),
        ("members.$ref", Reference, false, false, false, Immutable, Dflt, NoU),
        ("members.display", Str, false, false, false, RW, Dflt, NoU),
        ("members.type", Str, false, false, false, Immutable, Dflt, NoU),
    ]);
    rows
}

fn enterprise_rows() -> Vec<Row> {
    vec![
        ("employeeNumber", Str, false, false, false, RW, Dflt, NoU),
        ("costCenter", Str, false, false, false, RW, Dflt, NoU),
        ("organization", Str, false, false, false, RW, Dflt, NoU),
        ("division", Str, false, false, false, RW, Dflt, NoU),
        ("department", Str, false, false, false, RW, Dflt, NoU),
        ("manager", Complex, false, false, false, RW, Dflt, NoU),
        ("manager.value", Str, false, false, false, RW, Dflt, NoU),
        ("manager.$ref", Reference, false, false, false, RW, Dflt, NoU),
        ("manager.displayName", Str, false, false, false, ReadOnly, Dflt, NoU),
    ]
}

fn lifecycle_rows() -> Vec<Row> {
    vec![
        ("status", Str, false, false, true, ReadOnly, Dflt, NoU),
        ("invitedAt", DateTime, false, false, false, ReadOnly, Dflt, NoU),
        ("activatedAt", DateTime, false, false, false, ReadOnly, Dflt, NoU),
        ("suspendedAt", DateTime, false, false, false, ReadOnly, Dflt, NoU),
        ("purgeAt", DateTime, false, false, false, ReadOnly, Dflt, NoU),
    ]
}

fn lookup<'a>(schema: &'a Schema, path: &str) -> &'a AttributeDef {
    let (top, sub) = match path.split_once('.') {
        Some((t, s)) => (t, Some(s)),
        None => (path, None),
    };
    let attr = schema.attribute(top).unwrap_or_else(|| panic!("{}: missing {top}", schema.id));
    match sub {
        Some(s) => attr.sub_attribute(s).unwrap_or_else(|| panic!("{}: missing {path}", schema.id)),
        None => attr,
    }
}

fn check(schema_urn: &str, rows: &[Row]) {
    let registry = SchemaRegistry::scim_default();
    let schema = registry.schema(schema_urn).expect("schema registered");
    for &(path, ty, multi, required, case_exact, mutability, returned, uniqueness) in rows {
        let a = lookup(schema, path);
        assert_eq!(a.name, path.rsplit('.').next().unwrap(), "{path}: canonical name");
        assert_eq!(a.attr_type, ty, "{path}: type");
        assert_eq!(a.multi_valued, multi, "{path}: multiValued");
        assert_eq!(a.required, required, "{path}: required");
        assert_eq!(a.case_exact, case_exact, "{path}: caseExact");
        assert_eq!(a.mutability, mutability, "{path}: mutability");
        assert_eq!(a.returned, returned, "{path}: returned");
        assert_eq!(a.uniqueness, uniqueness, "{path}: uniqueness");
        assert!(!a.description.is_empty(), "{path}: description");
    }
    // And nothing undocumented: every defined attribute and sub-attribute is in the table.
    for attr in &schema.attributes {
        assert!(rows.iter().any(|r| r.0 == attr.name), "{}: unexpected {}", schema.id, attr.name);
        for sub in &attr.sub_attributes {
            let path = format!("{}.{}", attr.name, sub.name);
            let extra_primary = path == "addresses.primary"; // RFC 7643 §2.4 / §4.1.2, absent from §8.7.1
            assert!(extra_primary || rows.iter().any(|r| r.0 == path), "{}: unexpected {path}", schema.id);
        }
    }
}

#[test]
fn user_schema_matches_rfc7643() {
    check(urn::USER, &user_rows());
}

#[test]
fn group_schema_matches_rfc7643() {
    check(urn::GROUP, &group_rows());
}

#[test]
fn enterprise_schema_matches_rfc7643() {
    check(urn::ENTERPRISE_USER, &enterprise_rows());
}

#[test]
fn lifecycle_schema_is_read_only() {
    check(urn::LIFECYCLE_USER, &lifecycle_rows());
}

#[test]
fn canonical_values_and_reference_types() {
    let r = SchemaRegistry::scim_default();
    let user = r.schema(urn::USER).unwrap();
    let cv = |path: &str| lookup(user, path).canonical_values.clone();
    assert_eq!(cv("emails.type"), ["work", "home", "other"]);
    assert_eq!(cv("phoneNumbers.type"), ["work", "home", "mobile", "fax", "pager", "other"]);
    assert_eq!(cv("ims.type"), ["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"]);
    assert_eq!(cv("photos.type"), ["photo", "thumbnail"]);
    assert_eq!(cv("addresses.type"), ["work", "home", "other"]);
    assert_eq!(cv("groups.type"), ["direct", "indirect"]);
    assert!(cv("roles.type").is_empty());
    assert_eq!(lookup(user, "profileUrl").reference_types, ["external"]);
    assert_eq!(lookup(user, "photos.value").reference_types, ["external"]);
    assert_eq!(lookup(user, "groups.$ref").reference_types, ["User", "Group"]);
    assert_eq!(lookup(user, "meta.location").reference_types, ["uri"]);
    let group = r.schema(urn::GROUP).unwrap();
    assert_eq!(lookup(group, "members.type").canonical_values, ["User", "Group"]);
    assert_eq!(lookup(group, "members.$ref").reference_types, ["User", "Group"]);
    let ent = r.schema(urn::ENTERPRISE_USER).unwrap();
    assert_eq!(lookup(ent, "manager.$ref").reference_types, ["User"]);
    let life = r.schema(urn::LIFECYCLE_USER).unwrap();
    assert_eq!(lookup(life, "status").canonical_values, ["pending", "active", "suspended"]);
}

#[test]
fn resource_types_and_extensions() {
    let r = SchemaRegistry::scim_default();
    let user = r.resource_type("user").expect("found ignoring case");
    assert_eq!((user.endpoint.as_str(), user.schema.as_str()), ("/Users", urn::USER));
    let exts: Vec<(&str, bool)> = user.extensions.iter().map(|e| (e.schema.as_str(), e.required)).collect();
    assert_eq!(exts, [(urn::ENTERPRISE_USER, false), (urn::LIFECYCLE_USER, false)]);
    let group = r.resource_type("Group").unwrap();
    assert_eq!((group.endpoint.as_str(), group.schema.as_str()), ("/Groups", urn::GROUP));
    assert!(group.extensions.is_empty());
    assert_eq!(r.schemas().len(), 4);
}

#[test]
fn lookups_prefer_exact_then_ignore_case() {
    let r = SchemaRegistry::scim_default();
    let user = r.schema(urn::USER).unwrap();
    assert_eq!(user.attribute("USERNAME").unwrap().name, "userName");
    assert_eq!(user.attribute("emails").unwrap().sub_attribute("VALUE").unwrap().name, "value");
    assert!(user.attribute("user_name").is_none());
    assert!(r.schema(&urn::ENTERPRISE_USER.to_uppercase()).is_some());
}

#[test]
fn facts_resolve_paths() {
    let r = SchemaRegistry::scim_default();
    let rt = r.resource_type("User").unwrap();
    let facts = r.facts(rt);
    let f = facts.resolve(None, &AttrPath::new("USERNAME")).unwrap();
    assert_eq!(f.keys, ["userName"]);
    assert!(!f.case_exact);
    let f = facts.resolve(None, &AttrPath::new("emails").with_sub_attr("Value")).unwrap();
    assert_eq!(f.keys, ["emails", "value"]);
    assert_eq!(f.attr_type, AttrType::String);
    let f =
        facts.resolve(None, &AttrPath::new("manager").with_urn(urn::ENTERPRISE_USER).with_sub_attr("value")).unwrap();
    assert_eq!(f.keys, [urn::ENTERPRISE_USER, "manager", "value"]);
    let f = facts.resolve(None, &AttrPath::new("lastModified").with_urn("x").with_sub_attr("y"));
    assert!(f.is_none());
    let f = facts.resolve(None, &AttrPath::new("meta").with_sub_attr("lastModified")).unwrap();
    assert_eq!(f.attr_type, AttrType::DateTime);
    let f = facts.resolve(Some(&AttrPath::new("emails")), &AttrPath::new("TYPE")).unwrap();
    assert_eq!(f.keys, ["type"]);
    let f = facts.resolve(None, &AttrPath::new("id")).unwrap();
    assert!(f.case_exact);
}

const ACME: &str = "urn:acme:params:scim:schemas:extension:workforce:1.0:User";

fn acme_registry() -> SchemaRegistry {
    let mut r = SchemaRegistry::scim_default();
    r.add_schema(Schema {
        id: ACME.to_owned(),
        name: "Workforce".to_owned(),
        description: "ACME workforce data".to_owned(),
        attributes: vec![
            AttributeDef::new("badgeNumber", AttrType::Integer).with_description("Badge number").with_case_exact(),
            AttributeDef::new("clearance", AttrType::String)
                .with_description("Security clearance")
                .with_canonical_values(["public", "secret"]),
            AttributeDef::new("sites", AttrType::Complex).with_multi_valued().with_sub_attributes(vec![
                AttributeDef::new("value", AttrType::String),
                AttributeDef::new("since", AttrType::DateTime),
                AttributeDef::new("internalCode", AttrType::String).with_returned(Returned::Request),
            ]),
            AttributeDef::new("hireCode", AttrType::String).with_mutability(Mutability::Immutable),
            AttributeDef::new("secretNote", AttrType::String).with_returned(Returned::Request),
        ],
    });
    r.add_extension("User", ACME, false);
    r
}

#[test]
fn host_extension_validates() {
    let r = acme_registry();
    let out = r
        .validate(
            r.kind(ResourceKind::User).expect("User"),
            &json!({
                "userName": "ann",
                "URN:ACME:params:scim:schemas:extension:workforce:1.0:User": {
                    "BadgeNumber": 42, "clearance": "secret",
                    "sites": [{"VALUE": "HQ", "since": "2020-01-01T00:00:00Z"}],
                    "hireCode": "h1", "junk": 1
                }
            }),
            None,
        )
        .unwrap();
    assert_eq!(
        serde_json::Value::Object(out),
        json!({
            "schemas": [urn::USER, ACME],
            "userName": "ann",
            ACME: {"badgeNumber": 42, "clearance": "secret",
                   "sites": [{"value": "HQ", "since": "2020-01-01T00:00:00Z"}], "hireCode": "h1"}
        })
    );
    let err = r
        .validate(
            r.kind(ResourceKind::User).expect("User"),
            &json!({"userName": "ann", ACME: {"badgeNumber": "x"}}),
            None,
        )
        .unwrap_err();
    assert_eq!(err.status(), 400);
    assert!(err.detail().contains("badgeNumber"), "{}", err.detail());
    let err = r
        .validate(
            r.kind(ResourceKind::User).expect("User"),
            &json!({"userName": "ann", ACME: {"badgeNumber": 1.5}}),
            None,
        )
        .unwrap_err();
    assert!(err.detail().contains("integer"), "{}", err.detail());
    let err = r
        .validate(
            r.kind(ResourceKind::User).expect("User"),
            &json!({"userName": "ann", ACME: {"sites": [{"since": "yesterday"}]}}),
            None,
        )
        .unwrap_err();
    assert!(err.detail().contains(&format!("{ACME}:sites.since")), "{}", err.detail());
}

#[test]
fn host_extension_immutable_attribute() {
    let r = acme_registry();
    let existing = json!({"userName": "ann", ACME: {"hireCode": "h1"}});
    let err = r
        .validate(
            r.kind(ResourceKind::User).expect("User"),
            &json!({"userName": "ann", ACME: {"hireCode": "h2"}}),
            Some(&existing),
        )
        .unwrap_err();
    assert_eq!(err.scim_type(), Some(scim_core::ScimType::Mutability));
    // Same value: fine. Omitted: the stored value is kept.
    assert!(
        r.validate(
            r.kind(ResourceKind::User).expect("User"),
            &json!({"userName": "ann", ACME: {"hireCode": "h1"}}),
            Some(&existing)
        )
        .is_ok()
    );
    let out =
        r.validate(r.kind(ResourceKind::User).expect("User"), &json!({"userName": "ann"}), Some(&existing)).unwrap();
    assert_eq!(out[ACME], json!({"hireCode": "h1"}));
    // On create anything goes.
    assert!(
        r.validate(
            r.kind(ResourceKind::User).expect("User"),
            &json!({"userName": "ann", ACME: {"hireCode": "h2"}}),
            None
        )
        .is_ok()
    );
}

#[test]
fn host_extension_filters_and_projects() {
    let r = acme_registry();
    let rt = r.resource_type("User").unwrap();
    let f = r
        .facts(rt)
        .resolve(None, &AttrPath::new("badgenumber").with_urn(ACME.to_lowercase()))
        .expect("extension attribute resolves");
    assert_eq!(f.keys, [ACME, "badgeNumber"]);
    assert_eq!(f.attr_type, AttrType::Integer);
    // Unqualified names fall back to the extensions.
    let f = r.facts(rt).resolve(None, &AttrPath::new("clearance")).unwrap();
    assert_eq!(f.keys, [ACME, "clearance"]);

    let doc = json!({"schemas": [urn::USER, ACME], "id": "1", "userName": "ann",
                     ACME: {"badgeNumber": 42, "clearance": "secret", "secretNote": "n"}});
    let p = Projection::from_params(Some(&format!("{ACME}:badgeNumber")), None).unwrap();
    assert_eq!(
        p.apply(&r, r.kind(ResourceKind::User).expect("User"), &doc),
        json!({"schemas": [urn::USER, ACME], "id": "1", ACME: {"badgeNumber": 42}})
    );
    // `returned: request` only when named.
    let all = Projection::default().apply(&r, r.kind(ResourceKind::User).expect("User"), &doc);
    assert_eq!(all[ACME], json!({"badgeNumber": 42, "clearance": "secret"}));
    let p = Projection::from_params(Some("userName,secretNote"), None).unwrap();
    assert_eq!(p.apply(&r, r.kind(ResourceKind::User).expect("User"), &doc)[ACME], json!({"secretNote": "n"}));

    // A `request` sub-attribute: left out by default, even when its attribute is named.
    let doc = json!({"id": "1", ACME: {"sites": [{"value": "HQ", "internalCode": "x"}, {"value": "B2"}]}});
    let all = Projection::default().apply(&r, r.kind(ResourceKind::User).expect("User"), &doc);
    assert_eq!(all[ACME], json!({"sites": [{"value": "HQ"}, {"value": "B2"}]}));
    let p = Projection::from_params(Some(&format!("{ACME}:sites")), None).unwrap();
    assert_eq!(
        p.apply(&r, r.kind(ResourceKind::User).expect("User"), &doc)[ACME],
        json!({"sites": [{"value": "HQ"}, {"value": "B2"}]})
    );
    let p = Projection::from_params(Some(&format!("{ACME}:sites.internalCode")), None).unwrap();
    assert_eq!(
        p.apply(&r, r.kind(ResourceKind::User).expect("User"), &doc)[ACME],
        json!({"sites": [{"internalCode": "x"}]})
    );
}
