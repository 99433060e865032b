//! Shapes real clients send that RFC 7644's grammar does not have, and how they parse.

use scim_query::{AttrPath, CompValue, CompareOp, CompiledFilter, Filter, NoSchema, parse_filter, parse_path};
use serde_json::json;

fn cmp(name: &str, op: CompareOp, value: &str) -> Filter {
    Filter::Compare { path: AttrPath::new(name), op, value: CompValue::Str(value.to_owned()) }
}

/// Microsoft documents `emails[type eq "work"].value eq "x"` for Entra's user lookups (with
/// `emails[type eq "work"].value` as the matching attribute, its Test Connection sends it too).
/// It reads as the element filter `emails[type eq "work" and value eq "x"]`.
#[test]
fn value_path_then_sub_attribute_comparison() {
    let f = parse_filter(r#"emails[type eq "work"].value eq "user@contoso.com""#).expect("parses");
    let expected = Filter::ValuePath {
        attr: AttrPath::new("emails"),
        filter: Box::new(Filter::And(
            Box::new(cmp("type", CompareOp::Eq, "work")),
            Box::new(cmp("value", CompareOp::Eq, "user@contoso.com")),
        )),
    };
    assert_eq!(f, expected);
    // The canonical form is the RFC's, and parses back to the same tree.
    let printed = f.to_string();
    assert_eq!(printed, r#"emails[type eq "work" and value eq "user@contoso.com"]"#);
    assert_eq!(parse_filter(&printed).expect("reparses"), f);
}

#[test]
fn value_path_comparison_forms() {
    let same = |a: &str, b: &str| assert_eq!(parse_filter(a).expect(a), parse_filter(b).expect(b), "{a}");
    same(r#"emails[type eq "work"].value pr"#, r#"emails[type eq "work" and value pr]"#);
    same(r#"EMAILS[ type EQ "work" ].Value SW "a""#, r#"EMAILS[type eq "work" and Value sw "a"]"#);
    same(
        r#"emails[type eq "work" or type eq "home"].value co "@x.org""#,
        r#"emails[(type eq "work" or type eq "home") and value co "@x.org"]"#,
    );
    same(
        r#"userName eq "a" or emails[type eq "work"].value eq "b" and active eq true"#,
        r#"userName eq "a" or (emails[type eq "work" and value eq "b"] and active eq true)"#,
    );
    same(r#"not (emails[type eq "work"].value eq "b")"#, r#"not (emails[type eq "work" and value eq "b"])"#);
}

#[test]
fn value_path_comparison_errors() {
    for bad in [
        r#"emails[type eq "work"]."#,
        r#"emails[type eq "work"].value"#,
        r#"emails[type eq "work"].value eq"#,
        r#"emails[type eq "work"].value.x eq "a""#,
        r#"emails[type eq "work"].[value eq "a"]"#,
    ] {
        assert!(parse_filter(bad).is_err(), "{bad}");
    }
}

#[test]
fn value_path_comparison_evaluates_per_element() {
    let user = json!({"emails": [
        {"type": "home", "value": "a@contoso.com"},
        {"type": "work", "value": "b@contoso.com"},
    ]});
    let matches =
        |f: &str| CompiledFilter::compile(&parse_filter(f).expect(f), &NoSchema).expect("compiles").matches(&user);
    assert!(matches(r#"emails[type eq "work"].value eq "b@contoso.com""#));
    assert!(matches(r#"emails[type eq "work"].value eq "B@CONTOSO.COM""#));
    // The home address is not the work one: one element must satisfy both.
    assert!(!matches(r#"emails[type eq "work"].value eq "a@contoso.com""#));
}

/// A value in single quotes is an error, in filters and PATCH paths, rather than a bare word
/// with the quotes in it (which would match nothing, or be stored as a `type` of `'work'`).
#[test]
fn single_quoted_values_are_errors() {
    let e = parse_filter("userName eq 'bjensen'").expect_err("single quotes");
    assert_eq!(e.position(), 12);
    assert!(e.message().contains("double quotes"), "{}", e.message());
    assert!(parse_filter("emails[type eq 'work'].value eq \"x\"").is_err());
    assert!(parse_path("emails[type eq 'work'].value").is_err());
    // A quote inside a bare word is still that word.
    assert_eq!(parse_filter("externalId eq o'brien").expect("bare word"), cmp("externalId", CompareOp::Eq, "o'brien"));
}
