//! The 33 filters of the shared benchmark workload (a copy of `benches/data/filters.txt`) parse,
//! and their canonical form parses back to the same tree.

use scim_query::parse_filter;

#[test]
fn all_workload_filters_parse_and_round_trip() {
    let text = include_str!("../data/filters.txt");
    let filters: Vec<&str> = text.lines().filter(|l| !l.is_empty()).collect();
    assert_eq!(filters.len(), 33);
    for (n, filter) in filters.iter().enumerate() {
        let parsed = parse_filter(filter).unwrap_or_else(|e| panic!("f{:02} {filter}: {e}", n + 1));
        let printed = parsed.to_string();
        assert_eq!(parse_filter(&printed).unwrap(), parsed, "f{:02}: {printed}", n + 1);
    }
}

#[test]
fn workload_copy_is_current() {
    // The copy must match the benches' file when both are present (the repository layout).
    let ours = include_str!("../data/filters.txt");
    let benches = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../benches/data/filters.txt");
    if let Ok(theirs) = std::fs::read_to_string(benches) {
        assert_eq!(ours, theirs, "scim-filter/tests/data/filters.txt differs from benches/data/filters.txt");
    }
}
