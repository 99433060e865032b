//! Property tests of `CompactValue`: any JSON document converts (by reference and by value)
//! and converts back unchanged, serializes as `serde_json` does, compares equal to its source,
//! finds every key, and every filter over its keys matches it exactly when it matches the
//! `serde_json::Value`.

use proptest::prelude::*;
use scim_query::{CompactValue, CompiledFilter, NoSchema, parse_filter};
use serde_json::{Map, Value};

/// Key names: a small vocabulary, so that filters hit them, in several casings.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["type", "value", "primary", "emails", "name", "Value", "TYPE", "a", "zz"])
            .prop_map(str::to_owned),
        "[a-zA-Z][a-zA-Z0-9]{0,6}",
    ]
}

/// Strings on both sides of the inline size (20 bytes), ASCII and not.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        prop::sample::select(vec!["work", "home", "x@example.com", "WORK", ""]).prop_map(str::to_owned),
        "[a-z@.]{15,25}",
        "\\PC{0,24}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_filter_map("finite", serde_json::Number::from_f64).prop_map(Value::Number),
        text().prop_map(Value::String),
    ]
}

fn json() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(4, 64, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..5).prop_map(Value::Array),
            prop::collection::vec((key(), inner), 0..7)
                .prop_map(|entries| Value::Object(entries.into_iter().collect())),
        ]
    })
}

fn document() -> impl Strategy<Value = Value> {
    prop::collection::vec((key(), json()), 0..10).prop_map(|entries| Value::Object(entries.into_iter().collect()))
}

/// Filters over the vocabulary: comparisons, presence, and value paths.
fn filter() -> impl Strategy<Value = String> {
    let path = prop_oneof![key(), (key(), key()).prop_map(|(a, b)| format!("{a}.{b}"))];
    let op = prop::sample::select(vec!["eq", "ne", "co", "sw", "ew", "gt", "ge", "lt", "le"]);
    let literal = prop_oneof![
        text().prop_map(|s| Value::String(s).to_string()),
        any::<i32>().prop_map(|n| n.to_string()),
        any::<bool>().prop_map(|b| b.to_string()),
        Just("null".to_owned()),
    ];
    let compare = (path.clone(), op, literal.clone()).prop_map(|(p, op, v)| format!("{p} {op} {v}"));
    let present = path.clone().prop_map(|p| format!("{p} pr"));
    let bracket = (key(), key(), literal).prop_map(|(a, b, v)| format!("{a}[{b} eq {v}]"));
    prop_oneof![compare, present, bracket]
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn documents_survive_conversion_both_ways(doc in document()) {
        let by_ref = CompactValue::from(&doc);
        let by_value = CompactValue::from(doc.clone());
        prop_assert_eq!(by_ref.to_value(), doc.clone());
        prop_assert_eq!(by_value.to_value(), doc.clone());
        prop_assert_eq!(serde_json::to_string(&by_ref).unwrap(), serde_json::to_string(&doc).unwrap());
        prop_assert!(by_ref == doc);
        prop_assert!(by_ref == by_value);
        let obj = by_ref.as_object().expect("documents are objects");
        let map: &Map<String, Value> = doc.as_object().expect("an object");
        prop_assert_eq!(obj.len(), map.len());
        let keys: Vec<&str> = obj.iter().map(|(k, _)| k).collect();
        let expected: Vec<&str> = map.keys().map(String::as_str).collect();
        prop_assert_eq!(keys, expected);
        for (k, v) in map {
            let found = obj.get(k).map(CompactValue::to_value);
            prop_assert_eq!(found.as_ref(), Some(v));
            // A value taken out of its object still compares by content.
            let alone = CompactValue::from(v);
            prop_assert_eq!(obj.get(k), Some(&alone));
        }
    }

    #[test]
    fn filters_agree_on_both_forms(doc in document(), filters in prop::collection::vec(filter(), 1..8)) {
        let compact = CompactValue::from(&doc);
        for text in filters {
            let Ok(parsed) = parse_filter(&text) else { continue };
            let Ok(compiled) = CompiledFilter::compile(&parsed, &NoSchema) else { continue };
            prop_assert_eq!(compiled.matches_compact(&compact), compiled.matches(&doc), "{}", text);
        }
    }
}
