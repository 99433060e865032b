//! Every example filter of RFC 7644 §3.4.2.2 and every example path of §3.5.2: parsed, and
//! (filters) evaluated against a few users.

use scim_query::{CompactValue, CompiledFilter, Filter, NoSchema, PatchPath, parse_filter, parse_path};
use serde_json::{Value, json};

fn users() -> Vec<Value> {
    vec![
        // 0: the RFC's Barbara Jensen.
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User",
                        "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"],
            "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "bjensen",
            "name": {"familyName": "Jensen", "givenName": "Barbara"},
            "title": "Tour Guide",
            "userType": "Employee",
            "emails": [
                {"value": "bjensen@example.com", "type": "work", "primary": true},
                {"value": "babs@jensen.org", "type": "home"}
            ],
            "ims": [{"value": "someaimhandle", "type": "aim"}],
            "meta": {"lastModified": "2011-05-13T04:42:34Z"}
        }),
        // 1: an intern with an apostrophe in the name, no title, only a home address at example.org.
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "Jsmith",
            "name": {"familyName": "O'Malley"},
            "userType": "Intern",
            "emails": [{"value": "js@example.org", "type": "home"}],
            "ims": [{"value": "js@foo.com", "type": "xmpp"}],
            "meta": {"lastModified": "2011-05-13T04:42:35Z"}
        }),
        // 2: a contractor without emails, modified earlier, with an empty title.
        json!({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
            "userName": "alice",
            "title": "",
            "userType": "Contractor",
            "meta": {"lastModified": "2010-01-01T00:00:00Z"}
        }),
    ]
}

#[track_caller]
fn check(filter: &str, expected: [bool; 3]) {
    let parsed = parse_filter(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    // The canonical form parses back to the same tree.
    assert_eq!(parse_filter(&parsed.to_string()).unwrap(), parsed, "{filter}");
    let compiled = CompiledFilter::compile(&parsed, &NoSchema).unwrap();
    let got: Vec<bool> = users().iter().map(|u| compiled.matches(u)).collect();
    assert_eq!(got, expected, "{filter}");
    let compact: Vec<bool> = users().iter().map(|u| compiled.matches_compact(&CompactValue::from(u))).collect();
    assert_eq!(compact, expected, "compact form: {filter}");
}

#[test]
fn attribute_names_and_operators_are_case_insensitive() {
    let a = parse_filter(r#"userName Eq "john""#).unwrap();
    let b = parse_filter(r#"Username eq "john""#).unwrap();
    // Names keep their spelling in the tree but evaluate the same.
    let doc = json!({"userName": "John"});
    assert!(CompiledFilter::compile(&a, &NoSchema).unwrap().matches(&doc));
    assert!(CompiledFilter::compile(&b, &NoSchema).unwrap().matches(&doc));
    check(r#"userName Eq "BJENSEN""#, [true, false, false]);
}

#[test]
fn section_3_4_2_2_examples() {
    check(r#"userName eq "bjensen""#, [true, false, false]);
    check(r#"name.familyName co "O'Malley""#, [false, true, false]);
    check(r#"userName sw "J""#, [false, true, false]);
    check(r#"urn:ietf:params:scim:schemas:core:2.0:User:userName sw "J""#, [false, true, false]);
    check("title pr", [true, false, false]);
    check(r#"meta.lastModified gt "2011-05-13T04:42:34Z""#, [false, true, false]);
    check(r#"meta.lastModified ge "2011-05-13T04:42:34Z""#, [true, true, false]);
    check(r#"meta.lastModified lt "2011-05-13T04:42:34Z""#, [false, false, true]);
    check(r#"meta.lastModified le "2011-05-13T04:42:34Z""#, [true, false, true]);
    check(r#"title pr and userType eq "Employee""#, [true, false, false]);
    check(r#"title pr or userType eq "Intern""#, [true, true, false]);
    check(r#"schemas eq "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User""#, [true, false, false]);
    check(
        r#"userType eq "Employee" and (emails co "example.com" or emails.value co "example.org")"#,
        [true, false, false],
    );
    check(
        r#"userType ne "Employee" and not (emails co "example.com" or emails.value co "example.org")"#,
        [false, false, true],
    );
    check(r#"userType eq "Employee" and (emails.type eq "work")"#, [true, false, false]);
    check(r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#, [true, false, false]);
    check(
        r#"emails[type eq "work" and value co "@example.com"] or ims[type eq "xmpp" and value co "@foo.com"]"#,
        [true, true, false],
    );
}

#[test]
fn example_trees() {
    let f = parse_filter(r#"userType eq "Employee" and emails[type eq "work" and value co "@example.com"]"#).unwrap();
    let Filter::And(left, right) = f else { panic!("an and") };
    assert!(matches!(*left, Filter::Compare { .. }));
    let Filter::ValuePath { attr, filter } = *right else { panic!("a value path") };
    assert_eq!(attr.name, "emails");
    assert!(matches!(*filter, Filter::And(..)));
}

#[test]
fn section_3_5_2_patch_paths() {
    for (path, canonical) in [
        ("members", "members"),
        ("name.familyName", "name.familyName"),
        (r#"addresses[type eq "work"]"#, r#"addresses[type eq "work"]"#),
        (
            r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
            r#"members[value eq "2819c223-7f76-453a-919d-413861904646"]"#,
        ),
        (
            r#"members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName"#,
            r#"members[value eq "2819c223-7f76-453a-919d-413861904646"].displayName"#,
        ),
        (r#"addresses[type eq "work"].streetAddress"#, r#"addresses[type eq "work"].streetAddress"#),
        (
            r#"emails[type eq "work" and value ew "example.com"]"#,
            r#"emails[type eq "work" and value ew "example.com"]"#,
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
        ),
        (
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager.value",
        ),
    ] {
        let parsed = parse_path(path).unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(parsed.to_string(), canonical);
        assert_eq!(parse_path(canonical).unwrap(), parsed);
    }
    let PatchPath::ValuePath { attr, sub_attr, filter } =
        parse_path(r#"addresses[type eq "work"].streetAddress"#).unwrap()
    else {
        panic!("a value path")
    };
    assert_eq!(attr.name, "addresses");
    assert_eq!(sub_attr.as_deref(), Some("streetAddress"));
    assert_eq!(filter.to_string(), r#"type eq "work""#);
}
