//! Parse each filter of `data/filters.txt` (`f01`…`f33`); criterion reports time per parse.
#![allow(missing_docs, reason = "criterion_group! generates an undocumented pub fn")]

use criterion::{Criterion, black_box, criterion_main};
use scim_query::parse_filter;

fn filter_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("filter_parse");
    for (id, filter) in scim_benches::filters() {
        if let Err(e) = parse_filter(&filter) {
            panic!("{id} does not parse: {e}\n  {filter}");
        }
        group.bench_function(&id, |b| b.iter(|| parse_filter(black_box(&filter))));
    }
    group.finish();

    // Baseline of the workload protocol, to compare runs on a noisy machine: serde_json parse +
    // serialize of user 0.
    let users = std::fs::read_to_string(scim_benches::users_path()).expect("users.jsonl");
    let user0 = users.lines().next().expect("user 0").to_owned();
    c.bench_function("baseline/serde_json_user0", |b| {
        b.iter(|| {
            let v: serde_json::Value = serde_json::from_str(black_box(&user0)).expect("user 0 is JSON");
            serde_json::to_string(&v).expect("serialize")
        })
    });
}

mod group {
    // `criterion_group!` defines an undocumented `pub fn`.
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::filter_parse);
}
criterion_main!(group::benches);
