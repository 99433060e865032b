//! PATCH paths (`parse_path`): every form RFC 7644 §3.5.2 allows, and what Entra ID and Okta send.

use scim_query::{AttrPath, CompValue, CompareOp, Filter, PatchPath, parse_path};

#[track_caller]
fn attr(path: &str) -> AttrPath {
    match parse_path(path).unwrap_or_else(|e| panic!("{path}: {e}")) {
        PatchPath::Attr(a) => a,
        other => panic!("{path}: not an attribute path: {other:?}"),
    }
}

#[test]
fn attribute_and_sub_attribute() {
    assert_eq!(attr("active"), AttrPath::new("active"));
    assert_eq!(attr("name.givenName"), AttrPath::new("name").with_sub_attr("givenName"));
    assert_eq!(attr("members"), AttrPath::new("members"));
    assert_eq!(attr("manager.$ref"), AttrPath::new("manager").with_sub_attr("$ref"));
}

#[test]
fn urn_qualified() {
    let enterprise = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    assert_eq!(attr(&format!("{enterprise}:manager")), AttrPath::new("manager").with_urn(enterprise));
    assert_eq!(
        attr(&format!("{enterprise}:manager.value")),
        AttrPath::new("manager").with_urn(enterprise).with_sub_attr("value")
    );
    // The whole extension (Okta and Entra send it as a path for the extension object).
    let whole = attr(enterprise);
    assert_eq!(whole.full_urn().as_deref(), Some(enterprise));
    assert_eq!(whole.name, "User");
    // Core attributes qualified with the core URN.
    let core = attr("urn:ietf:params:scim:schemas:core:2.0:User:name.familyName");
    assert_eq!(core.urn.as_deref(), Some("urn:ietf:params:scim:schemas:core:2.0:User"));
    assert_eq!((core.name.as_str(), core.sub_attr.as_deref()), ("name", Some("familyName")));
}

#[test]
fn value_paths() {
    let PatchPath::ValuePath { attr, filter, sub_attr } = parse_path(r#"emails[type eq "work"].value"#).unwrap() else {
        panic!("value path")
    };
    assert_eq!(attr, AttrPath::new("emails"));
    assert_eq!(
        filter,
        Filter::Compare { path: AttrPath::new("type"), op: CompareOp::Eq, value: CompValue::Str("work".into()) }
    );
    assert_eq!(sub_attr.as_deref(), Some("value"));

    let PatchPath::ValuePath { filter, sub_attr, .. } =
        parse_path(r#"members[value eq "2819c223" or value eq "902c246b"]"#).unwrap()
    else {
        panic!("value path")
    };
    assert!(matches!(filter, Filter::Or(..)));
    assert_eq!(sub_attr, None);

    // Okta's phone number update and a URN-qualified value path.
    assert!(matches!(
        parse_path(r#"phoneNumbers[type eq "mobile" and primary eq true].value"#).unwrap(),
        PatchPath::ValuePath { .. }
    ));
    let PatchPath::ValuePath { attr, .. } =
        parse_path(r#"urn:ietf:params:scim:schemas:core:2.0:User:emails[type eq "work"]"#).unwrap()
    else {
        panic!("value path")
    };
    assert_eq!(attr.urn.as_deref(), Some("urn:ietf:params:scim:schemas:core:2.0:User"));
}

#[test]
fn case_and_whitespace() {
    assert_eq!(attr("  Name.GivenName "), AttrPath::new("Name").with_sub_attr("GivenName"));
    assert_eq!(parse_path(r#"emails[ TYPE Eq "work" ].value"#).unwrap().to_string(), r#"emails[TYPE eq "work"].value"#);
}

#[test]
fn filters_are_not_paths() {
    assert!(parse_path(r#"userName eq "x""#).is_err());
    assert!(parse_path("title pr").is_err());
    assert!(parse_path("(name)").is_err());
}
