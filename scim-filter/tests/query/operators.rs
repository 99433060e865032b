//! Each operator on each attribute type, with schema facts (typed) and without (dynamic).

use scim_query::{AttrFacts, AttrPath, AttrType, AttributeFacts, CompactValue, CompiledFilter, NoSchema, parse_filter};
use serde_json::{Value, json};

/// A schema for the test documents: one attribute per type.
#[derive(Debug)]
struct Facts;

fn facts(key: &str, attr_type: AttrType, case_exact: bool, multi_valued: bool) -> AttrFacts {
    AttrFacts { keys: vec![key.to_owned()], attr_type, case_exact, multi_valued }
}

impl AttributeFacts for Facts {
    fn resolve(&self, parent: Option<&AttrPath>, path: &AttrPath) -> Option<AttrFacts> {
        let top = |name: &str| -> Option<AttrFacts> {
            Some(match name.to_ascii_lowercase().as_str() {
                "str" => facts("str", AttrType::String, false, false),
                "exact" => facts("exact", AttrType::String, true, false),
                "flag" => facts("flag", AttrType::Boolean, false, false),
                "count" => facts("count", AttrType::Integer, false, false),
                "ratio" => facts("ratio", AttrType::Decimal, false, false),
                "when" => facts("when", AttrType::DateTime, false, false),
                "blob" => facts("blob", AttrType::Binary, true, false),
                "link" => facts("link", AttrType::Reference, false, false),
                "tags" => facts("tags", AttrType::String, false, true),
                "emails" => facts("emails", AttrType::Complex, false, true),
                "name" => facts("name", AttrType::Complex, false, false),
                _ => return None,
            })
        };
        let sub = |parent: &str, name: &str| -> Option<AttrFacts> {
            Some(match (parent.to_ascii_lowercase().as_str(), name.to_ascii_lowercase().as_str()) {
                ("emails", "value") => facts("value", AttrType::String, false, false),
                ("emails", "type") => facts("type", AttrType::String, false, false),
                ("emails", "primary") => facts("primary", AttrType::Boolean, false, false),
                ("name", "givenname") => facts("givenName", AttrType::String, false, false),
                _ => return None,
            })
        };
        match (parent, &path.sub_attr) {
            (Some(p), _) => sub(&p.name, &path.name),
            (None, None) => top(&path.name),
            (None, Some(s)) => {
                let mut f = sub(&path.name, s)?;
                let mut keys = top(&path.name)?.keys;
                keys.append(&mut f.keys);
                f.keys = keys;
                Some(f)
            }
        }
    }
}

fn doc() -> Value {
    json!({
        "str": "Straße Müller",
        "exact": "CaseExact",
        "flag": true,
        "count": 42,
        "ratio": 2.5,
        "when": "2024-06-01T12:00:00+02:00",
        "blob": "QUJD",
        "link": "https://Example.com/Users/1",
        "tags": ["Red", "green"],
        "emails": [
            {"value": "Work@Example.com", "type": "work", "primary": true},
            {"value": "home@example.org", "type": "home"}
        ],
        "name": {"givenName": "Renée"},
        "empty": "",
        "nothing": null,
        "none": []
    })
}

#[track_caller]
fn typed(filter: &str) -> bool {
    let f = parse_filter(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    let compiled = CompiledFilter::compile(&f, &Facts).unwrap_or_else(|e| panic!("{filter}: {e}"));
    same_on_compact(&compiled, filter)
}

/// Evaluates on `doc()` as a `serde_json::Value` and as a `CompactValue`; both must agree.
#[track_caller]
fn same_on_compact(compiled: &CompiledFilter, filter: &str) -> bool {
    let doc = doc();
    let on_value = compiled.matches(&doc);
    assert_eq!(compiled.matches_compact(&CompactValue::from(&doc)), on_value, "compact form differs: {filter}");
    on_value
}

#[track_caller]
fn dynamic(filter: &str) -> bool {
    let f = parse_filter(filter).unwrap_or_else(|e| panic!("{filter}: {e}"));
    same_on_compact(&CompiledFilter::compile(&f, &NoSchema).unwrap(), filter)
}

#[track_caller]
fn both(filter: &str, expected: bool) {
    assert_eq!(typed(filter), expected, "typed: {filter}");
    assert_eq!(dynamic(filter), expected, "dynamic: {filter}");
}

#[track_caller]
fn compile_error(filter: &str) -> String {
    let f = parse_filter(filter).unwrap();
    CompiledFilter::compile(&f, &Facts).expect_err(filter).message().to_owned()
}

#[test]
fn string_case_insensitive() {
    both(r#"str eq "STRASSE MÜLLER""#, false);
    both(r#"str eq "straße müller""#, true);
    both(r#"str ne "straße müller""#, false);
    both(r#"str ne "x""#, true);
    both(r#"str co "E MÜ""#, true);
    both(r#"str co "xyz""#, false);
    both(r#"str sw "STRA""#, true);
    both(r#"str sw "müller""#, false);
    both(r#"str ew "MÜLLER""#, true);
    both(r#"str ew "straße""#, false);
    both(r#"str gt "straße a""#, true);
    both(r#"str ge "STRASSE""#, true);
    both(r#"str lt "T""#, true);
    both(r#"str le "s""#, false);
    both("str pr", true);
    both("empty pr", false);
    both("nothing pr", false);
    both("none pr", false);
    both("missing pr", false);
}

#[test]
fn string_case_exact() {
    assert!(typed(r#"exact eq "CaseExact""#));
    assert!(!typed(r#"exact eq "caseexact""#));
    assert!(typed(r#"exact ne "caseexact""#));
    assert!(typed(r#"exact co "seEx""#));
    assert!(!typed(r#"exact co "seex""#));
    assert!(typed(r#"exact sw "Case""#));
    assert!(!typed(r#"exact sw "case""#));
    assert!(typed(r#"exact ew "Exact""#));
    assert!(typed(r#"exact gt "B""#));
    assert!(!typed(r#"exact gt "a""#), "'C' < 'a' in code point order");
    // Without a schema every string is case-insensitive.
    assert!(dynamic(r#"exact eq "caseexact""#));
}

#[test]
fn boolean() {
    both("flag eq true", true);
    both("flag eq false", false);
    both("flag ne false", true);
    both("flag eq TRUE", true);
    both(r#"flag co "t""#, false);
    both("flag pr", true);
    // A string "true" is accepted for a typed boolean literal.
    assert!(typed(r#"flag eq "True""#));
    assert!(compile_error("flag gt true").contains("'gt' is not defined for boolean attribute 'flag'"));
    assert!(compile_error("flag le false").contains("boolean"));
    assert!(compile_error("flag eq 1").contains("only be compared with true or false"));
}

#[test]
fn integer() {
    both("count eq 42", true);
    both("count eq 42.0", true);
    both("count ne 42", false);
    both("count gt 41", true);
    both("count gt 42", false);
    both("count ge 42", true);
    both("count lt 100", true);
    both("count le 41", false);
    both("count co 4", false);
    both("count sw 4", false);
    both("count pr", true);
    assert!(typed(r#"count eq "42""#), "a numeric string literal is read as a number for an integer attribute");
    assert!(compile_error("count eq abc").contains("must be compared with a number"));
}

#[test]
fn decimal() {
    both("ratio eq 2.5", true);
    both("ratio gt 2.49", true);
    both("ratio lt 2.51", true);
    both("ratio ge 3", false);
    both("ratio le 2.5e0", true);
    both("ratio ne 2.5", false);
}

#[test]
fn date_time() {
    // 12:00+02:00 is 10:00Z.
    both(r#"when eq "2024-06-01T10:00:00Z""#, true);
    both(r#"when eq "2024-06-01T10:00:00.000Z""#, true);
    both(r#"when gt "2024-06-01T09:59:59Z""#, true);
    both(r#"when gt "2024-06-01T10:00:00Z""#, false);
    both(r#"when ge "2024-06-01T10:00:00Z""#, true);
    both(r#"when lt "2024-06-01T10:00:00.001Z""#, true);
    both(r#"when le "2024-06-01T09:00:00Z""#, false);
    both(r#"when ne "2024-06-01T10:00:00Z""#, false);
    both(r#"when sw "2024-06""#, true);
    both("when pr", true);
    assert!(compile_error(r#"when gt "yesterday""#).contains("must be compared with a date-time"));
    assert!(compile_error("when eq 5").contains("date-time"));
    // Without a schema a non-date literal compares as a string.
    assert!(dynamic(r#"when gt "2024""#));
}

#[test]
fn binary() {
    assert!(typed(r#"blob eq "QUJD""#));
    assert!(!typed(r#"blob eq "qujd""#), "binary compares exactly");
    assert!(!typed(r#"blob co "U""#));
    assert!(typed("blob pr"));
    assert!(compile_error(r#"blob gt "A""#).contains("'gt' is not defined for binary attribute 'blob'"));
}

#[test]
fn reference() {
    assert!(typed(r#"link eq "https://Example.com/Users/1""#));
    assert!(!typed(r#"link eq "https://example.com/users/1""#), "references compare exactly");
    assert!(typed(r#"link sw "https://Example.com/""#));
    assert!(typed(r#"link ew "/1""#));
}

#[test]
fn multi_valued_any_value_matches() {
    both(r#"tags eq "GREEN""#, true);
    both(r#"tags eq "blue""#, false);
    both(r#"tags ne "green""#, false);
    both(r#"tags sw "r""#, true);
    both("tags pr", true);
}

#[test]
fn complex_multi_valued() {
    // Without a sub-attribute: the `value` sub-attribute.
    both(r#"emails co "example.org""#, true);
    both(r#"emails eq "work@example.com""#, true);
    both(r#"emails eq "work""#, false);
    // Sub-attribute over every element.
    both(r#"emails.type eq "home""#, true);
    both(r#"emails.value ew ".COM""#, true);
    both("emails.primary eq true", true);
    both("emails pr", true);
    both("emails.display pr", false);
    // A value path applies its filter to one element at a time.
    both(r#"emails[type eq "work" and value co "@example.com"]"#, true);
    both(r#"emails[type eq "home" and value co "@example.com"]"#, false);
    both(r#"emails[type eq "home" and not (primary eq true)]"#, true);
    both(r#"emails[type eq "work" and not (primary eq true)]"#, false);
    both(r#"emails[TYPE eq "WORK"]"#, true);
    assert!(compile_error(r#"emails[primary gt true]"#).contains("boolean"));
}

#[test]
fn complex_single_valued() {
    both(r#"name.givenName eq "RENÉE""#, true);
    both(r#"name.GIVENNAME sw "ren""#, true);
    both(r#"name[givenName eq "renée"]"#, true);
    both("name pr", true);
}

#[test]
fn absent_attributes_and_null() {
    both(r#"missing eq "x""#, false);
    both(r#"missing ne "x""#, true);
    both(r#"missing gt "x""#, false);
    both("missing eq null", true);
    both("str eq null", false);
    both("str ne null", true);
    both("nothing eq null", true);
    // `eq null` is exactly `not pr`, and an empty string is not "present".
    both("empty eq null", true);
    both("none eq null", true);
    let f = parse_filter("str gt null").unwrap();
    assert!(CompiledFilter::compile(&f, &NoSchema).is_err());
}

#[test]
fn logical_operators() {
    both(r#"str pr and count eq 42"#, true);
    both(r#"str pr and count eq 43"#, false);
    both(r#"missing pr or count eq 42"#, true);
    both(r#"not (count eq 42)"#, false);
    both(r#"not (missing pr)"#, true);
}

#[test]
fn type_mismatches_never_match() {
    both(r#"count eq "forty-two""#.replace("count", "str").as_str(), false);
    assert!(!dynamic(r#"count eq "42""#), "dynamic: a number is not equal to a string");
    assert!(!dynamic("str eq 42"));
    assert!(!dynamic("flag gt false"), "dynamic: booleans have no order");
    // Numbers and booleans as literals of a typed string attribute compare as their text.
    let d = json!({"str": "12345"});
    let f = parse_filter("str eq 12345").unwrap();
    assert!(CompiledFilter::compile(&f, &Facts).unwrap().matches(&d));
}

#[test]
fn attribute_names_are_case_insensitive_in_documents() {
    let d = json!({"UserName": "bjensen", "NAME": {"FamilyName": "Jensen"}});
    for filter in [r#"userName eq "BJENSEN""#, r#"name.familyName eq "jensen""#] {
        let f = parse_filter(filter).unwrap();
        assert!(CompiledFilter::compile(&f, &NoSchema).unwrap().matches(&d), "{filter}");
    }
}

#[test]
fn urn_qualified_paths_without_schema() {
    let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
    let d = json!({"userName": "bjensen", urn: {"department": "Sales", "manager": {"value": "m1"}}});
    for (filter, expected) in [
        (format!(r#"{urn}:department eq "sales""#), true),
        (format!(r#"{}:department eq "sales""#, urn.to_uppercase()), true),
        (format!(r#"{urn}:manager.value eq "M1""#), true),
        (format!(r#"{urn}:manager eq "m1""#), true),
        (r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "bjensen""#.to_owned(), true),
        (format!(r#"{urn}:department eq "x""#), false),
    ] {
        let f = parse_filter(&filter).unwrap();
        assert_eq!(CompiledFilter::compile(&f, &NoSchema).unwrap().matches(&d), expected, "{filter}");
    }
}

#[test]
fn non_objects_never_match_and_matches_object_agrees() {
    let f = CompiledFilter::compile(&parse_filter("str pr").unwrap(), &NoSchema).unwrap();
    assert!(!f.matches(&json!([1, 2])));
    assert!(!f.matches(&json!("str")));
    let d = doc();
    assert!(f.matches_object(d.as_object().unwrap()));
    assert!(scim_query::evaluate(&parse_filter("count gt 1").unwrap(), &d, &Facts).unwrap());
}

#[test]
fn compact_keys_that_could_not_be_interned_still_match() {
    // Fill the interning table past its bound in this test process, then build documents whose
    // keys are unshared: lookups fall back to comparing text (exact first, then ignoring case).
    let known = CompactValue::from(&serde_json::json!({"knownA": 1, "knownB": {"knownC": 2}}));
    for i in 0..scim_query::compact::MAX_INTERNED_KEYS {
        let _ = CompactValue::from(&serde_json::json!({ format!("filler{i}"): 1 }));
    }
    assert!(scim_query::compact::interned_key_count() <= scim_query::compact::MAX_INTERNED_KEYS);
    let doc = serde_json::json!({"brandNewAttribute": "X", "Another": {"Inner": 5}});
    let compact = CompactValue::from(&doc);
    assert_eq!(compact.to_value(), doc);
    for (filter, expected) in [
        (r#"brandNewAttribute eq "x""#, true),
        (r#"BRANDNEWATTRIBUTE eq "X""#, true),
        ("another.inner gt 4", true),
        ("another.inner gt 5", false),
        ("missing pr", false),
    ] {
        let compiled = CompiledFilter::compile(&parse_filter(filter).unwrap(), &NoSchema).unwrap();
        assert_eq!(compiled.matches(&doc), expected, "{filter}");
        assert_eq!(compiled.matches_compact(&compact), expected, "compact: {filter}");
    }
    // Keys that were interned before the table filled, then one that is not: the object
    // switches to text keys part-way through, keeping the entries converted so far.
    let mixed = serde_json::json!({"knownA": 1, "knownB": {"knownC": 2}, "zzUnshared": [{"knownA": "x"}, 3]});
    let compact = CompactValue::from(&mixed);
    assert_eq!(compact.to_value(), mixed);
    assert_eq!(CompactValue::from(mixed.clone()), compact, "by value alike");
    assert_eq!(known.to_value()["knownB"]["knownC"], 2);
    for (filter, expected) in
        [("knownA eq 1", true), ("knownB.knownC eq 2", true), ("zzunshared.knownA eq \"X\"", true)]
    {
        let compiled = CompiledFilter::compile(&parse_filter(filter).unwrap(), &NoSchema).unwrap();
        assert_eq!(compiled.matches_compact(&compact), expected, "compact: {filter}");
    }
}
