//! Key names longer than `MAX_INTERNED_KEY_LEN` are never interned (in documents or in
//! filters), so no input can grow the process-wide table by more than short names; documents
//! with them still round trip and match. Its own test binary: the table is process-wide.

use scim_query::compact::{MAX_INTERNED_KEY_LEN, interned_key_count};
use scim_query::{CompactValue, CompiledFilter, NoSchema, parse_filter};
use serde_json::json;

#[test]
fn long_key_names_are_never_interned_and_still_match() {
    let long = "k".repeat(MAX_INTERNED_KEY_LEN + 1);
    let before = interned_key_count();
    let doc = json!({ long.clone(): {"inner": "Value"}, "short": 1 });
    let compact = CompactValue::from(&doc);
    let filter = format!("{long}.inner eq \"value\" and short eq 1");
    let compiled = CompiledFilter::compile(&parse_filter(&filter).expect("parses"), &NoSchema).expect("compiles");
    // `inner` and `short` may be new to the table; the long name must not be.
    assert!(interned_key_count() <= before + 2, "{before} -> {}", interned_key_count());
    assert_eq!(compact.to_value(), doc);
    assert!(compiled.matches(&doc));
    assert!(compiled.matches_compact(&compact));
    let mid = interned_key_count();
    let at_limit = "j".repeat(MAX_INTERNED_KEY_LEN);
    let _ = CompactValue::from(&json!({ at_limit: 1 }));
    assert_eq!(interned_key_count(), mid + 1, "a name of exactly the limit is interned");
}
