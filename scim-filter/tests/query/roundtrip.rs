//! Property tests: every tree the parser can produce prints to a string that parses back to
//! the same tree, and arbitrary input never panics.

use proptest::prelude::*;
use scim_query::{AttrPath, CompValue, CompareOp, Filter, PatchPath, parse_filter, parse_path};

fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-zA-Z][a-zA-Z0-9_-]{0,8}",
        // Names that start like keywords.
        Just("not".to_owned()),
        Just("notes".to_owned()),
        Just("and".to_owned()),
        Just("or".to_owned()),
        Just("pr".to_owned()),
        Just("$ref".to_owned()),
    ]
}

fn urn() -> impl Strategy<Value = String> {
    prop::collection::vec("[a-zA-Z0-9][a-zA-Z0-9.-]{0,5}", 1..5).prop_map(|parts| format!("urn:{}", parts.join(":")))
}

fn attr_path() -> impl Strategy<Value = AttrPath> {
    (prop::option::weighted(0.2, urn()), name(), prop::option::of(name())).prop_map(|(urn, name, sub_attr)| AttrPath {
        urn,
        name,
        sub_attr,
    })
}

fn op() -> impl Strategy<Value = CompareOp> {
    prop::sample::select(CompareOp::ALL.to_vec())
}

fn value() -> impl Strategy<Value = CompValue> {
    prop_oneof![
        Just(CompValue::Null),
        any::<bool>().prop_map(CompValue::Bool),
        any::<i64>().prop_map(|n| CompValue::Number(n.into())),
        any::<u64>().prop_map(|n| CompValue::Number(n.into())),
        any::<f64>().prop_filter_map("finite", serde_json::Number::from_f64).prop_map(CompValue::Number),
        any::<String>().prop_map(CompValue::Str),
    ]
}

fn leaf() -> impl Strategy<Value = Filter> {
    prop_oneof![
        attr_path().prop_map(Filter::Present),
        (attr_path(), op(), value()).prop_map(|(path, op, value)| Filter::Compare { path, op, value }),
    ]
}

/// Logic over leaves, without value paths (what may appear inside brackets).
fn logic(leaf: BoxedStrategy<Filter>) -> impl Strategy<Value = Filter> {
    leaf.prop_recursive(6, 48, 2, |inner| {
        prop_oneof![
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::And(Box::new(a), Box::new(b))),
            (inner.clone(), inner.clone()).prop_map(|(a, b)| Filter::Or(Box::new(a), Box::new(b))),
            inner.prop_map(|a| Filter::Not(Box::new(a))),
        ]
    })
}

fn value_path() -> impl Strategy<Value = Filter> {
    (attr_path(), logic(leaf().boxed())).prop_map(|(attr, filter)| Filter::ValuePath { attr, filter: Box::new(filter) })
}

fn filter() -> impl Strategy<Value = Filter> {
    logic(prop_oneof![3 => leaf(), 1 => value_path()].boxed())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn filters_round_trip_through_display(f in filter()) {
        let printed = f.to_string();
        let parsed = parse_filter(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        prop_assert_eq!(parsed, f, "{}", printed);
    }

    #[test]
    fn patch_paths_round_trip_through_display(
        attr in attr_path(),
        inner in prop::option::of(logic(leaf().boxed())),
        sub in prop::option::of(name()),
    ) {
        let path = match inner {
            Some(filter) => PatchPath::ValuePath { attr, filter, sub_attr: sub },
            None => PatchPath::Attr(attr),
        };
        let printed = path.to_string();
        let parsed = parse_path(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e}")))?;
        prop_assert_eq!(parsed, path, "{}", printed);
    }

    #[test]
    fn arbitrary_strings_never_panic(s in any::<String>()) {
        let _ = parse_filter(&s);
        let _ = parse_path(&s);
    }

    #[test]
    fn filter_like_strings_never_panic(s in r#"[a-z \[\]()"\\.:$0-9-]{0,40}|(not|and|or|pr|eq|urn:| |\(|\)|\[|\]|"|\\u|x){0,30}"#) {
        if let Ok(f) = parse_filter(&s) {
            // Whatever parses also round-trips.
            prop_assert_eq!(parse_filter(&f.to_string()).ok(), Some(f));
        }
        if let Ok(p) = parse_path(&s) {
            prop_assert_eq!(parse_path(&p.to_string()).ok(), Some(p));
        }
    }
}
