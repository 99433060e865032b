//! Differential test: generated filters answered by the SQLite store (pushed down to SQL
//! where possible) must select exactly the users `scim_query` evaluation selects.

use crate::common;

use common::*;
use scim_core::UserStore;
use scim_core::store::{ListQuery, QueryFilter};
use scim_query::{AttributeFacts, CompiledFilter, NoSchema, parse_filter};
use scim_store_sqlite::SqliteUserStore;
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

fn users() -> Vec<Value> {
    let mut out = Vec::new();
    for i in 0..200usize {
        let base = NAMES[i % NAMES.len()];
        let mut doc = json!({
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
        out.push(doc);
    }
    out
}

fn literals(rng: &mut Rng, docs: &[Value]) -> String {
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
        "ΣΟΦΟΣ8",
        "ΣΟΦΟΣ30@",
        "σοφοσ52",
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
    if rng.below(10) == 0 {
        let lit = serde_json::to_string(&literals(rng, docs)).unwrap();
        return format!("emails[type eq \"work\" and value {} {lit}]", rng.pick(&["co", "sw", "eq"]));
    }
    let attr = rng.pick(ATTRS);
    let op = rng.pick(OPS);
    let lit = serde_json::to_string(&literals(rng, docs)).unwrap();
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

/// Filters compiled with the schema's facts (`id`/`externalId` case-exact).
#[tokio::test]
async fn generated_filters_with_schema_facts() {
    run(&Facts, 0x5eed_cafe_f00d).await;
}

/// The same, compiled without a schema (every string compared ignoring case).
#[tokio::test]
async fn generated_filters_without_schema() {
    run(&NoSchema, 0xface_b00c_1234).await;
}

async fn run(facts: &dyn AttributeFacts, seed: u64) {
    let store = SqliteUserStore::open_in_memory().unwrap();
    let t = tenant("diff");
    let mut stored = Vec::new();
    for doc in users() {
        stored.push(UserStore::create(&store, &t, user_from(doc)).await.unwrap().into_json());
    }
    // Another tenant with the same users must not leak in.
    for doc in users().into_iter().take(20) {
        UserStore::create(&store, &tenant("other"), user_from(doc)).await.unwrap();
    }
    let mut rng = Rng(seed);
    let (mut checked, mut non_empty) = (0, 0);
    for round in 0..350 {
        let text = filter_text(&mut rng, &stored, 1 + round % 3);
        let Ok(parsed) = parse_filter(&text) else { continue };
        let Ok(compiled) = CompiledFilter::compile(&parsed, facts) else { continue };
        let expected: BTreeSet<String> =
            stored.iter().filter(|d| compiled.matches(d)).map(|d| d["id"].as_str().unwrap().to_owned()).collect();
        let qf = QueryFilter { filter: parsed.clone(), compiled: compiled.clone() };
        let q = ListQuery::new().with_filter(qf.clone()).with_count(1000);
        let page = UserStore::list(&store, &t, &q).await.unwrap();
        let got: BTreeSet<String> = page.items.iter().map(|u| u.id().unwrap().to_owned()).collect();
        assert_eq!(got, expected, "filter: {text}");
        assert_eq!(page.total_results, expected.len(), "totalResults of {text}");
        // Paging agrees with the full answer.
        let q = ListQuery::new().with_filter(qf).with_start_index(2).with_count(3);
        let page = UserStore::list(&store, &t, &q).await.unwrap();
        assert_eq!(page.total_results, expected.len(), "totalResults of a page of {text}");
        assert_eq!(page.items.len(), expected.len().saturating_sub(1).min(3), "page of {text}");
        checked += 1;
        non_empty += usize::from(!expected.is_empty() && expected.len() < stored.len());
    }
    assert!(checked >= 250, "only {checked} filters were checked");
    assert!(non_empty >= 60, "only {non_empty} filters selected a proper subset");
}
