//! Apply each PATCH of `data/patches.jsonl` (p01…p24) to pre-cloned resources.
//!
//! User patches run on the first [`USERS_PER_BATCH`] generated users, group patches on
//! [`GROUPS_PER_BATCH`] copies of group 0 (1 000 members). The clones are made outside the timed
//! region; one criterion iteration applies the patch to every resource of the batch, so the
//! time per resource is the reported time / batch size (criterion's throughput line shows it as
//! elements per second). Baselines: `serde_json` parse + serialize of user 0 and of group 0.
//!
//! Before timing, each patch is applied to user 0 / group 0 and must succeed (a correctness
//! gate; the expected results are asserted by `scim-core/tests/core_tests/patch_workload.rs`). At the end a
//! summary prints the median ns per resource (15 repeats after a warm-up, each of several timed
//! batches) and the ratio to the baselines.
//!
//! Run: `cargo bench -p scim-benches --bench patch_apply` (the workload is generated on first use).

use criterion::{BatchSize, Criterion, Throughput, black_box, criterion_main};
use scim_benches::{load_groups, load_users, patches};
use scim_core::{PatchOp, SchemaRegistry};
use serde_json::{Map, Value};
use std::time::Instant;

/// Users per timed batch.
const USERS_PER_BATCH: usize = 100;
/// Copies of group 0 per timed batch.
const GROUPS_PER_BATCH: usize = 8;

struct Workload {
    registry: SchemaRegistry,
    users: Vec<Map<String, Value>>,
    group0: Map<String, Value>,
    patches: Vec<(String, String, PatchOp)>,
}

fn object(v: Value) -> Map<String, Value> {
    match v {
        Value::Object(m) => m,
        other => panic!("the workload holds a non-object resource: {other}"),
    }
}

fn workload() -> Workload {
    let registry = SchemaRegistry::scim_default();
    let users: Vec<_> = load_users().into_iter().take(USERS_PER_BATCH).map(object).collect();
    let group0 = object(load_groups().into_iter().next().expect("groups.jsonl is empty"));
    let patches = patches()
        .into_iter()
        .map(|(id, rt, body)| {
            let op = PatchOp::from_json(&body).unwrap_or_else(|e| panic!("{id} does not parse: {e}"));
            (id, rt, op)
        })
        .collect::<Vec<_>>();
    for (id, rt, op) in &patches {
        let mut doc = if rt == "User" { users[0].clone() } else { group0.clone() };
        let def = registry.resource_type(rt).unwrap_or_else(|| panic!("{id}: unknown resource type {rt}"));
        op.apply(&registry, def, &mut doc).unwrap_or_else(|e| panic!("{id} fails on resource 0: {e}"));
    }
    Workload { registry, users, group0, patches }
}

fn batch(w: &Workload, rt: &str) -> Vec<Map<String, Value>> {
    if rt == "User" { w.users.clone() } else { vec![w.group0.clone(); GROUPS_PER_BATCH] }
}

fn apply_all(w: &Workload, rt: &str, op: &PatchOp, docs: &mut [Map<String, Value>]) {
    let def = w.registry.resource_type(rt).unwrap_or_else(|| panic!("unknown resource type {rt}"));
    for doc in docs {
        let changed = op.apply(&w.registry, def, doc);
        black_box(changed.is_ok());
    }
}

fn bench_patches(c: &mut Criterion) {
    let w = workload();
    let user0 = serde_json::to_string(&w.users[0]).expect("serializes");
    let group0 = serde_json::to_string(&w.group0).expect("serializes");

    let mut g = c.benchmark_group("baseline");
    for (name, text) in [("serde_json_user0", &user0), ("serde_json_group0", &group0)] {
        g.throughput(Throughput::Elements(1));
        g.bench_function(name, |b| {
            b.iter(|| {
                let v: Value = serde_json::from_str(black_box(text)).expect("parses");
                black_box(serde_json::to_string(&v).expect("serializes"))
            });
        });
    }
    g.finish();

    let mut g = c.benchmark_group("patch_apply");
    for (id, rt, op) in &w.patches {
        let n = if rt == "User" { USERS_PER_BATCH } else { GROUPS_PER_BATCH };
        g.throughput(Throughput::Elements(n as u64));
        g.bench_function(id.as_str(), |b| {
            b.iter_batched_ref(|| batch(&w, rt), |docs| apply_all(&w, rt, op, docs), BatchSize::LargeInput);
        });
    }
    g.finish();

    summary(&w, &user0, &group0);
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(f64::total_cmp);
    xs[xs.len() / 2]
}

/// Median ns per resource over 15 repeats (after one warm-up), in the workload's protocol.
fn summary(w: &Workload, user0: &str, group0: &str) {
    const REPEATS: usize = 15;
    // Short timed windows, as for the patches below, so both sides see the same machine.
    let baseline = |text: &str, samples: usize| {
        let mut out = Vec::with_capacity(samples);
        for i in 0..=samples {
            let t = Instant::now();
            let v: Value = serde_json::from_str(black_box(text)).expect("parses");
            black_box(serde_json::to_string(&v).expect("serializes"));
            let ns = t.elapsed().as_nanos() as f64;
            drop(v);
            if i > 0 {
                out.push(ns);
            }
        }
        median(out)
    };
    let base_user = baseline(user0, 20 * REPEATS * 10);
    let base_group = baseline(group0, 4 * REPEATS);
    println!("\npatch_apply summary: median ns per resource ({REPEATS} repeats)");
    println!("baseline serde_json parse+serialize: user0 {base_user:.0} ns, group0 {base_group:.0} ns");
    println!("{:<5} {:<6} {:>12} {:>14}", "id", "type", "ns/resource", "x baseline");
    for (id, rt, op) in &w.patches {
        // Each round clones one batch (untimed, so it is warm in cache) and times only its
        // applies; the median over every round of every repeat resists preemption on a busy machine.
        let rounds = if rt == "User" { 20 } else { 4 };
        let mut samples = Vec::with_capacity(REPEATS * rounds);
        for repeat in 0..=REPEATS {
            for _ in 0..rounds {
                let mut docs = batch(w, rt);
                let t = Instant::now();
                apply_all(w, rt, op, &mut docs);
                let ns = t.elapsed().as_nanos() as f64 / docs.len() as f64;
                drop(docs);
                if repeat > 0 {
                    samples.push(ns);
                }
            }
        }
        let per = median(samples);
        let base = if rt == "User" { base_user } else { base_group };
        println!("{id:<5} {rt:<6} {per:>12.0} {:>14.3}", per / base);
    }
}

// `criterion_group!` defines an undocumented `pub fn benches`.
#[allow(missing_docs)]
mod group {
    criterion::criterion_group!(benches, super::bench_patches);
}

criterion_main!(group::benches);
