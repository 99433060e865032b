//! Evaluate each compiled filter of `data/filters.txt` over the 10 000 generated users.
//!
//! One iteration tests every user, so the time per user is the reported time / 10 000
//! (criterion also prints it as throughput). Before timing, each filter's match count is
//! checked against the workload's table: a wrong count panics (a correctness gate).
#![allow(missing_docs, reason = "criterion_group! generates an undocumented pub fn")]

use criterion::{Criterion, Throughput, black_box, criterion_main};
use scim_query::{AttrFacts, AttrPath, AttrType, AttributeFacts, CompactValue, CompiledFilter, parse_filter};

const CORE: &str = "urn:ietf:params:scim:schemas:core:2.0:User";
const ENTERPRISE: &str = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";

/// One attribute of the User schemas (the subset the workload touches, as RFC 7643 defines it).
struct Def {
    name: &'static str,
    ty: AttrType,
    case_exact: bool,
    multi: bool,
    subs: &'static [Self],
}

const fn attr(name: &'static str, ty: AttrType, case_exact: bool) -> Def {
    Def { name, ty, case_exact, multi: false, subs: &[] }
}

const fn complex(name: &'static str, multi: bool, subs: &'static [Def]) -> Def {
    Def { name, ty: AttrType::Complex, case_exact: false, multi, subs }
}

use AttrType::{Boolean, DateTime, Reference, String as Str};

const MULTI_SUBS: &[Def] = &[
    attr("value", Str, false),
    attr("display", Str, false),
    attr("type", Str, false),
    attr("primary", Boolean, false),
];

const ADDRESS_SUBS: &[Def] = &[
    attr("formatted", Str, false),
    attr("streetAddress", Str, false),
    attr("locality", Str, false),
    attr("region", Str, false),
    attr("postalCode", Str, false),
    attr("country", Str, false),
    attr("type", Str, false),
    attr("primary", Boolean, false),
];

const CORE_ATTRS: &[Def] = &[
    attr("id", Str, true),
    attr("externalId", Str, true),
    attr("userName", Str, false),
    complex(
        "name",
        false,
        &[
            attr("formatted", Str, false),
            attr("familyName", Str, false),
            attr("givenName", Str, false),
            attr("middleName", Str, false),
        ],
    ),
    attr("displayName", Str, false),
    attr("nickName", Str, false),
    attr("title", Str, false),
    attr("userType", Str, false),
    attr("preferredLanguage", Str, false),
    attr("locale", Str, false),
    attr("timezone", Str, false),
    attr("active", Boolean, false),
    complex("emails", true, MULTI_SUBS),
    complex("phoneNumbers", true, MULTI_SUBS),
    complex("addresses", true, ADDRESS_SUBS),
    complex(
        "meta",
        false,
        &[
            attr("resourceType", Str, true),
            attr("created", DateTime, false),
            attr("lastModified", DateTime, false),
            attr("location", Reference, true),
            attr("version", Str, true),
        ],
    ),
];

const ENTERPRISE_ATTRS: &[Def] = &[
    attr("employeeNumber", Str, false),
    attr("costCenter", Str, false),
    attr("organization", Str, false),
    attr("division", Str, false),
    attr("department", Str, false),
    complex(
        "manager",
        false,
        &[attr("value", Str, false), attr("$ref", Reference, false), attr("displayName", Str, false)],
    ),
];

fn find<'a>(defs: &'a [Def], name: &str) -> Option<&'a Def> {
    defs.iter().find(|d| d.name.eq_ignore_ascii_case(name))
}

/// Resolves like scim-core's schema registry: URN-qualified paths in that schema, unqualified
/// ones in the core schema, then the enterprise extension; canonical keys.
#[derive(Debug)]
struct UserFacts;

impl UserFacts {
    fn top(path: &AttrPath) -> Option<(Option<&'static str>, &'static Def)> {
        match &path.urn {
            Some(urn) if urn.eq_ignore_ascii_case(CORE) => Some((None, find(CORE_ATTRS, &path.name)?)),
            Some(urn) if urn.eq_ignore_ascii_case(ENTERPRISE) => {
                Some((Some(ENTERPRISE), find(ENTERPRISE_ATTRS, &path.name)?))
            }
            Some(_) => None,
            None => find(CORE_ATTRS, &path.name)
                .map(|d| (None, d))
                .or_else(|| find(ENTERPRISE_ATTRS, &path.name).map(|d| (Some(ENTERPRISE), d))),
        }
    }
}

fn facts(keys: Vec<String>, def: &Def) -> AttrFacts {
    AttrFacts { keys, attr_type: def.ty, case_exact: def.case_exact, multi_valued: def.multi }
}

impl AttributeFacts for UserFacts {
    fn resolve(&self, parent: Option<&AttrPath>, path: &AttrPath) -> Option<AttrFacts> {
        match parent {
            Some(parent) => {
                let (_, p) = Self::top(parent)?;
                let sub = find(p.subs, &path.name)?;
                Some(facts(vec![sub.name.to_owned()], sub))
            }
            None => {
                let (urn, def) = Self::top(path)?;
                let mut keys: Vec<String> = urn.into_iter().map(str::to_owned).collect();
                keys.push(def.name.to_owned());
                match &path.sub_attr {
                    Some(sub) => {
                        let sub = find(def.subs, sub)?;
                        keys.push(sub.name.to_owned());
                        Some(facts(keys, sub))
                    }
                    None => Some(facts(keys, def)),
                }
            }
        }
    }
}

fn filter_eval(c: &mut Criterion) {
    let users = scim_benches::load_users();
    assert_eq!(users.len(), scim_benches::USER_COUNT, "unexpected number of users");
    let mut group = c.benchmark_group("filter_eval");
    group.throughput(Throughput::Elements(users.len() as u64));
    group.sample_size(20);
    let compact: Vec<CompactValue> = users.iter().map(CompactValue::from).collect();
    let mut compiled_filters = Vec::new();
    for (id, text) in scim_benches::filters() {
        let filter = parse_filter(&text).unwrap_or_else(|e| panic!("{id} does not parse: {e}"));
        let compiled =
            CompiledFilter::compile(&filter, &UserFacts).unwrap_or_else(|e| panic!("{id} does not compile: {e}"));
        let count = users.iter().filter(|u| compiled.matches(u)).count();
        let expected = scim_benches::expected_matches(&id).unwrap_or_else(|| panic!("no expected count for {id}"));
        assert_eq!(count, expected, "{id} matches {count} users, the workload says {expected}: {text}");
        let count = compact.iter().filter(|u| compiled.matches_compact(u)).count();
        assert_eq!(count, expected, "{id} matches {count} compact users, the workload says {expected}: {text}");
        compiled_filters.push((id, compiled));
    }
    // The native form the stores keep documents in.
    for (id, compiled) in &compiled_filters {
        group.bench_function(id.as_str(), |b| {
            b.iter(|| black_box(&compact).iter().filter(|u| compiled.matches_compact(u)).count())
        });
    }
    // The same filters over `serde_json::Value` documents.
    for (id, compiled) in &compiled_filters {
        group.bench_function(format!("value_{id}"), |b| {
            b.iter(|| black_box(&users).iter().filter(|u| compiled.matches(u)).count())
        });
    }
    // Baseline in the same run: the plain serde_json way of testing f01 on each user.
    group.bench_function("baseline_serde_json_get", |b| {
        b.iter(|| {
            black_box(&users)
                .iter()
                .filter(|u| {
                    u.get("userName")
                        .and_then(serde_json::Value::as_str)
                        .is_some_and(|s| s.eq_ignore_ascii_case("bjensen@example.com"))
                })
                .count()
        })
    });
    group.finish();

    // What the compact form costs to make and to read back, per user (user 0).
    let mut convert = c.benchmark_group("compact_convert");
    let user0 = users[0].clone();
    convert.bench_function("from_value_ref", |b| b.iter(|| CompactValue::from(black_box(&user0))));
    convert.bench_function("from_value_owned", |b| {
        b.iter_batched(|| user0.clone(), CompactValue::from, criterion::BatchSize::SmallInput)
    });
    convert.bench_function("clone_value", |b| b.iter(|| black_box(&user0).clone()));
    let compact0 = CompactValue::from(&user0);
    convert.bench_function("to_value", |b| b.iter(|| black_box(&compact0).to_value()));
    convert.bench_function("serialize_compact", |b| b.iter(|| serde_json::to_vec(black_box(&compact0))));
    convert.bench_function("serialize_value", |b| b.iter(|| serde_json::to_vec(black_box(&user0))));
    convert.finish();
}

mod group {
    // `criterion_group!` defines an undocumented `pub fn`.
    #![allow(missing_docs)]
    criterion::criterion_group!(benches, super::filter_eval);
}
criterion_main!(group::benches);
