//! Parse each filter of `data/filters.txt` (`f01`…`f33`); criterion reports time per parse.
#![allow(missing_docs, reason = "criterion_group! generates an undocumented pub fn")]

use criterion::{Criterion, black_box, criterion_group, criterion_main};
use scim_filter::parse_filter;

fn filter_parse(c: &mut Criterion) {
    let mut group = c.benchmark_group("filter_parse");
    for (id, filter) in scim_benches::filters() {
        if let Err(e) = parse_filter(&filter) {
            panic!("{id} does not parse: {e}\n  {filter}");
        }
        group.bench_function(&id, |b| b.iter(|| parse_filter(black_box(&filter))));
    }
    group.finish();
}

criterion_group!(benches, filter_parse);
criterion_main!(benches);
