//! Validating and canonicalising the generated users (`SchemaRegistry::validate`), as a
//! create request would: each iteration validates the next already-parsed user.
//!
//! Target (issue 3): ≤ 2 µs per user.
#![allow(missing_docs, reason = "criterion_group! generates an undocumented pub fn")]

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use scim_core::quirks::Profile;
use scim_core::{ResourceKind, SchemaRegistry};
use serde_json::Value;
use std::hint::black_box;

fn bench_validate(c: &mut Criterion) {
    let users = scim_benches::load_users();
    let groups = scim_benches::load_groups();
    let registry = SchemaRegistry::scim_default();
    let user_type = registry.kind(ResourceKind::User).expect("the default registry has User");
    let group_type = registry.kind(ResourceKind::Group).expect("the default registry has Group");
    for u in &users {
        if let Err(e) = registry.validate(user_type, u, None) {
            panic!("generated user {} does not validate: {e}", u["id"]);
        }
    }

    let mut g = c.benchmark_group("validate");
    g.throughput(Throughput::Elements(1));
    let mut i = 0;
    g.bench_function("user", |b| {
        b.iter(|| {
            let u = &users[i % users.len()];
            i += 1;
            black_box(registry.validate(user_type, black_box(u), None))
        });
    });
    // The same under a compatibility profile, as `Provisioning` runs it: the cost of the
    // scope that admits and reports quirks (issue 21).
    let lenient = Profile::lenient();
    let mut i = 0;
    g.bench_function("user_in_profile", |b| {
        b.iter(|| {
            let u = &users[i % users.len()];
            i += 1;
            black_box(lenient.check(|| registry.validate(user_type, black_box(u), None)))
        });
    });
    // The owned variant, as a request handler holding the parsed body calls it (the copy of
    // the user is made outside the measurement).
    let mut i = 0;
    g.bench_function("user_owned", |b| {
        b.iter_batched(
            || {
                i += 1;
                users[i % users.len()].clone()
            },
            |u| black_box(registry.validate_owned(user_type, u, None)),
            BatchSize::SmallInput,
        );
    });
    // For comparison: a deep copy of a user.
    let mut i = 0;
    g.bench_function("clone_user", |b| {
        b.iter(|| {
            let u = &users[i % users.len()];
            i += 1;
            black_box(u.clone())
        });
    });
    // A replace: the stored document is passed for the immutable checks.
    let mut i = 0;
    g.bench_function("user_replace", |b| {
        b.iter(|| {
            let u = &users[i % users.len()];
            i += 1;
            black_box(registry.validate(user_type, black_box(u), Some(u)))
        });
    });
    // The 1 000-member group.
    let big = groups.iter().max_by_key(|g| g["members"].as_array().map_or(0, Vec::len)).cloned().unwrap_or(Value::Null);
    g.bench_function("group_1000_members", |b| {
        b.iter_batched(|| &big, |g| black_box(registry.validate(group_type, g, None)), BatchSize::SmallInput);
    });
    // For comparison: one serde_json parse of a user, the cost validation should stay near.
    let texts: Vec<String> = users.iter().take(1000).map(Value::to_string).collect();
    let mut i = 0;
    g.bench_function("serde_json_parse_user", |b| {
        b.iter(|| {
            let t = &texts[i % texts.len()];
            i += 1;
            black_box(serde_json::from_str::<Value>(t).ok())
        });
    });
    g.finish();
}

criterion_group!(benches, bench_validate);
criterion_main!(benches);
