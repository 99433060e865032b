//! Projecting the generated users with `attributes=userName,emails` (`Projection::apply`),
//! as a list response does per resource.
#![allow(missing_docs, reason = "criterion_group! generates an undocumented pub fn")]

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use scim_core::{Projection, ResourceKind, SchemaRegistry};
use std::hint::black_box;

fn bench_project(c: &mut Criterion) {
    let users = scim_benches::load_users();
    let registry = SchemaRegistry::scim_default();
    let user_type = registry.kind(ResourceKind::User).expect("the default registry has User");
    let mut g = c.benchmark_group("project");
    g.throughput(Throughput::Elements(1));
    for (name, attributes, excluded) in [
        ("attributes=userName,emails", Some("userName,emails"), None),
        ("default", None, None),
        ("excludedAttributes=emails,phoneNumbers", None, Some("emails,phoneNumbers")),
    ] {
        let projection = Projection::from_params(attributes, excluded).expect("valid parameters");
        let first = projection.apply(&registry, user_type, &users[0]);
        if attributes.is_some() {
            assert!(first.get("userName").is_some() && first.get("emails").is_some() && first.get("name").is_none());
        }
        let mut i = 0;
        g.bench_function(name, |b| {
            b.iter(|| {
                let u = &users[i % users.len()];
                i += 1;
                black_box(projection.apply(&registry, user_type, black_box(u)))
            });
        });
    }
    g.bench_function("parse_params", |b| {
        b.iter(|| black_box(Projection::from_params(black_box(Some("userName,emails")), None)));
    });
    g.finish();
}

criterion_group!(benches, bench_project);
criterion_main!(benches);
