//! A differential check for stores that push filters down: generated filters answered by
//! the store must select exactly what `scim_query` evaluation selects. The filters mix what
//! SQL backends push down (the name attribute, `id`, `externalId`, `emails`, `active`, `meta`
//! times, presence) with what they do not, over users whose names exercise case folding
//! (`ß`, `İ`, `ς`, the Kelvin sign) and characters that SQL treats specially (`%`, `_`, `\\`).

use chrono::{Duration, TimeZone, Utc};
use scim_core::store::{ListQuery, QueryFilter, Seek, SortKey, SortOrder};
use scim_core::{DynUserStore, Lifecycle, TenantId, User, urn};
use scim_query::{AttrPath, AttributeFacts, CompiledFilter, parse_filter};
use serde_json::{Value, json};
use std::collections::BTreeSet;

/// A small deterministic generator (xorshift), so failures reproduce.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

const NAMES: &[&str] = &[
    "alice",
    "Bob",
    "ÄNNE",
    "änne",
    "straße",
    "STRASSE",
    "İstanbul",
    "ıi",
    "ΣΟΦΟΣ",
    "σοφος",
    "a%b",
    "a_b",
    "100%",
    "x\"y",
    "emoji😀",
    "ǅemal",
    "\u{212A}elvin",
    "Ωmega",
    "zoë",
    "ZOË",
    "li\\ne",
    "tab\tname",
];
const DOMAINS: &[&str] = &["example.com", "EXAMPLE.org", "bücher.de"];

/// The 200 users the check stores: varied names, e-mails, `externalId`s, `active` values
/// (booleans and strings), creation and modification times; a few without `userName`.
pub fn users() -> Vec<User> {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let mut out = Vec::new();
    for i in 0..200usize {
        let base = NAMES[i % NAMES.len()];
        let mut doc = json!({
            "schemas": [urn::USER],
            "id": format!("id-{i:03}"),
            "userName": format!("{base}{i}@{}", DOMAINS[i % DOMAINS.len()]),
            "title": if i % 4 == 0 { "Engineer" } else { "Manager" },
            "emails": [
                {"type": "work", "value": format!("{base}@{}", DOMAINS[(i + 1) % DOMAINS.len()]), "primary": true},
                {"type": "home", "value": format!("home{i}@mail.test")}
            ],
            "name": {"familyName": base.to_uppercase(), "givenName": format!("G{i}")},
        });
        match i % 5 {
            0 => doc["externalId"] = json!(format!("EXT-{i}")),
            1 => doc["externalId"] = json!(format!("ext-{i}")),
            2 => doc["externalId"] = json!(""),
            _ => {}
        }
        match i % 7 {
            0..=2 => doc["active"] = json!(true),
            3..=4 => doc["active"] = json!(false),
            5 => doc["active"] = json!(if i % 2 == 0 { "True" } else { "FALSE" }),
            _ => {}
        }
        if i % 50 == 49 {
            doc.as_object_mut().unwrap().remove("userName");
        }
        if i == 7 {
            doc["userName"] = json!("");
        }
        let mut u = User::from_json(doc);
        // Creation times a minute apart, some sharing one; modification times in another order.
        u.set_created(t0 + Duration::minutes((i / 2) as i64));
        u.set_last_modified(t0 + Duration::milliseconds(((i * 7919) % 200) as i64 * 1000 + (i % 3) as i64));
        u.set_lifecycle(&Lifecycle::default());
        out.push(u);
    }
    out
}

fn literal(rng: &mut Rng, docs: &[Value]) -> String {
    const FIXED: &[&str] = &[
        "",
        "alice",
        "ALICE",
        "änne",
        "ÄNNE",
        "straße",
        "ss",
        "İ",
        "i\u{307}",
        "\u{307}",
        "\u{307}stanbul",
        "σ",
        "ς",
        "Σ",
        "%",
        "_",
        "a_b",
        "a%",
        "@",
        "example.com",
        "EXAMPLE.COM",
        "😀",
        "1",
        "10@",
        "kelvin",
        "\u{212A}",
        "ext-5",
        "EXT-5",
        "EXT-10",
        "id-007",
        "ID-007",
        "Engineer",
        "engineer",
        "\"",
        "\\",
        "\t",
        "zoË",
        "ü",
        "ΣΟΦΟΣ4",
        "alice@bücher.de",
        "ALICE@BÜCHER.DE",
        "home12@mail.test",
        "HOME12@MAIL.TEST",
    ];
    if rng.below(2) == 0 {
        return (*rng.pick(FIXED)).to_owned();
    }
    // A piece of a real value, maybe with its case flipped.
    let doc = rng.pick(docs);
    let field = *rng.pick(&["userName", "externalId", "id"]);
    let value = doc.get(field).and_then(Value::as_str).unwrap_or("x");
    let chars: Vec<char> = value.chars().collect();
    let (a, b) = (rng.below(chars.len() + 1), rng.below(chars.len() + 1));
    let piece: String = match rng.below(3) {
        0 => value.to_owned(),
        1 => chars[..a.max(b)].iter().collect(),
        _ => chars[a.min(b)..].iter().collect(),
    };
    match rng.below(3) {
        0 => piece.to_uppercase(),
        1 => piece.to_lowercase(),
        _ => piece,
    }
}

fn time_literal(rng: &mut Rng) -> String {
    let t0 = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).unwrap();
    let t = t0 + Duration::milliseconds(rng.below(120 * 60_000) as i64 / 1000 * 1000 + rng.below(3) as i64);
    match rng.below(3) {
        0 => t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        1 => t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        _ => t.with_timezone(&chrono::FixedOffset::east_opt(7200).unwrap()).to_rfc3339(),
    }
}

fn leaf(rng: &mut Rng, docs: &[Value]) -> String {
    const ATTRS: &[&str] = &[
        "userName",
        "USERNAME",
        "urn:ietf:params:scim:schemas:core:2.0:User:userName",
        "externalId",
        "id",
        "title",
        "emails.value",
        "name.familyName",
        "emails",
    ];
    const OPS: &[&str] = &["eq", "eq", "sw", "co", "ew", "ne", "gt", "le"];
    if rng.below(8) == 0 {
        return format!("active eq {}", rng.pick(&["true", "false"]));
    }
    if rng.below(10) == 0 {
        return format!("{} pr", rng.pick(&["userName", "externalId", "title", "nickName"]));
    }
    if rng.below(8) == 0 {
        let attr = rng.pick(&["meta.created", "meta.lastModified"]);
        return format!("{attr} {} \"{}\"", rng.pick(&["eq", "gt", "ge", "lt", "le"]), time_literal(rng));
    }
    if rng.below(10) == 0 {
        let lit = serde_json::to_string(&literal(rng, docs)).unwrap();
        return format!("emails[type eq \"work\" and value {} {lit}]", rng.pick(&["co", "sw", "eq"]));
    }
    let attr = rng.pick(ATTRS);
    let op = rng.pick(OPS);
    let lit = serde_json::to_string(&literal(rng, docs)).unwrap();
    format!("{attr} {op} {lit}")
}

fn filter_text(rng: &mut Rng, docs: &[Value], depth: usize) -> String {
    if depth == 0 {
        return leaf(rng, docs);
    }
    match rng.below(5) {
        0 => format!("{} and {}", filter_text(rng, docs, depth - 1), filter_text(rng, docs, depth - 1)),
        1 => format!("({} or {})", filter_text(rng, docs, depth - 1), filter_text(rng, docs, depth - 1)),
        2 => format!("not ({})", filter_text(rng, docs, depth - 1)),
        _ => leaf(rng, docs),
    }
}

/// Runs 400 generated filters (of depth 1 to 3, over [`users`] in one tenant, with the same
/// users in a second tenant that must not leak in) through `store` and through the evaluator,
/// and asserts that they select the same users in creation order, with the same
/// `totalResults`, the same page 2 of 3, and the same page when sorted by `userName`,
/// `meta.created`, `meta.lastModified` or `title` in either direction (and, for every fourth
/// filter, the same sorted list walked by keyset in pages of 7).
///
/// `facts` is how the filters are compiled: a schema's facts (`registry.facts(rt)`) or
/// [`NoSchema`](scim_query::NoSchema); run both. `seed` picks the filters.
///
/// # Panics
/// On the first disagreement, naming the filter.
pub async fn generated_filters(store: &DynUserStore, facts: &dyn AttributeFacts, seed: u64) {
    let t = TenantId::new("diff");
    let mut stored = Vec::new();
    for user in users() {
        stored.push(store.create(&t, user, None).await.unwrap().into_json());
    }
    // Another tenant with the same users must not leak in.
    for user in users().into_iter().take(20) {
        store.create(&TenantId::new("other"), user, None).await.unwrap();
    }
    let mut rng = Rng(seed);
    let (mut checked, mut non_empty) = (0, 0);
    for round in 0..400 {
        let text = filter_text(&mut rng, &stored, 1 + round % 3);
        let Ok(parsed) = parse_filter(&text) else { continue };
        let Ok(compiled) = CompiledFilter::compile(&parsed, facts) else { continue };
        let expected: Vec<String> =
            stored.iter().filter(|d| compiled.matches(d)).map(|d| d["id"].as_str().unwrap().to_owned()).collect();
        let qf = QueryFilter { filter: parsed.clone(), compiled: compiled.clone() };
        let q = ListQuery::new().with_filter(qf.clone()).with_count(1000);
        let page = store.list(&t, &q).await.unwrap();
        let got: Vec<String> = page.items.iter().map(|u| u.id().unwrap().to_owned()).collect();
        assert_eq!(got, expected, "filter (creation order): {text}");
        assert_eq!(page.total_results, expected.len(), "totalResults of {text}");
        // Paging agrees with the full answer.
        let q = ListQuery::new().with_filter(qf.clone()).with_start_index(2).with_count(3);
        let page = store.list(&t, &q).await.unwrap();
        assert_eq!(page.total_results, expected.len(), "totalResults of a page of {text}");
        let want: Vec<&String> = expected.iter().skip(1).take(3).collect();
        let got: Vec<&str> = page.items.iter().map(|u| u.id().unwrap()).collect();
        assert_eq!(got, want, "page of {text}");
        // Sorted (in SQL when the pushdown is exact) as the shared sort order says.
        let name = *rng.pick(&["userName", "meta.created", "meta.lastModified", "title"]);
        let mut path = AttrPath::new(name.split('.').next().unwrap());
        path.sub_attr = name.split('.').nth(1).map(str::to_owned);
        let key = SortKey { facts: facts.resolve(None, &path), path };
        let order = *rng.pick(&[SortOrder::Ascending, SortOrder::Descending]);
        let mut want: Vec<(Option<scim_core::store::SortValue>, String)> = stored
            .iter()
            .filter(|d| compiled.matches(d))
            .map(|d| (key.value_of(d), d["id"].as_str().unwrap().to_owned()))
            .collect();
        want.sort_by(|a, b| scim_core::store::compare_sort_values(a.0.as_ref(), b.0.as_ref(), order));
        let all_sorted: Vec<String> = want.into_iter().map(|w| w.1).collect();
        let want: Vec<String> = all_sorted.iter().skip(1).take(7).cloned().collect();
        let sorted = ListQuery::new().with_filter(qf).with_sort(key, order);
        let q = sorted.clone().with_start_index(2).with_count(7);
        let page = store.list(&t, &q).await.unwrap();
        let got: Vec<String> = page.items.iter().map(|u| u.id().unwrap().to_owned()).collect();
        assert_eq!(got, want, "sorted by {name} {order:?}: {text}");
        // Keyset pages of 7 (every fourth filter) walk the same order.
        if round % 4 == 0 {
            let mut walked = Vec::new();
            let mut seek = Seek::First;
            loop {
                let page = store.list(&t, &sorted.clone().with_count(7).with_seek(seek)).await.unwrap();
                assert_eq!(page.keys.len(), page.items.len(), "keysets of {text}");
                assert_eq!(page.total_results, all_sorted.len(), "totalResults of a keyset page of {text}");
                walked.extend(page.items.iter().map(|u| u.id().unwrap().to_owned()));
                match page.keys.last() {
                    Some(last) if page.items.len() == 7 => seek = Seek::After(last.clone()),
                    _ => break,
                }
            }
            assert_eq!(walked, all_sorted, "keyset walk sorted by {name} {order:?}: {text}");
        }
        checked += 1;
        let distinct: BTreeSet<&String> = expected.iter().collect();
        non_empty += usize::from(!distinct.is_empty() && distinct.len() < stored.len());
    }
    assert!(checked >= 250, "only {checked} filters were checked");
    assert!(non_empty >= 60, "only {non_empty} filters selected a proper subset");
}
