//! Finding the elements that are the same (per [`Identity`]) without comparing every pair:
//! a hash index for large attributes such as a 1 000-member group, a scan for small ones.

use super::identity::{Identity, str_eq};
use foldhash::fast::RandomState;
use scim_query::fold::hash_folded;
use serde_json::Value;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};

/// A string key that hashes and compares per `caseExact` (folded with
/// [`scim_query::fold`] when not exact). The table's hasher is randomly seeded, so values a
/// client chooses cannot be made to collide.
#[derive(Debug, Clone, Copy)]
struct Folded<'a> {
    s: &'a str,
    case_exact: bool,
}

impl PartialEq for Folded<'_> {
    fn eq(&self, other: &Self) -> bool {
        str_eq(self.s, other.s, self.case_exact)
    }
}

impl Eq for Folded<'_> {}

impl Hash for Folded<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        if self.case_exact {
            state.write(self.s.as_bytes());
        } else {
            // Both sides of every match of [`str_eq`] fold to the same bytes.
            hash_folded(self.s, state);
        }
    }
}

/// Bit 5 of each byte of a word: ASCII upper case to lower case.
const ASCII_FOLD: u64 = 0x2020_2020_2020_2020;

/// The 64-bit halves of a 128-bit product, combined: a strong mix for one multiplication.
fn fold_mul(a: u64, b: u64) -> u64 {
    let p = u128::from(a).wrapping_mul(u128::from(b));
    (p as u64) ^ ((p >> 64) as u64)
}

/// The little-endian word at `at` (zero past the end, which callers never ask for).
fn word(bytes: &[u8], at: usize) -> u64 {
    bytes.get(at..).and_then(<[u8]>::first_chunk::<8>).map_or(0, |c| u64::from_le_bytes(*c))
}

/// Up to this many items, an index is a plain list (a scan beats hashing).
const SCAN_LIMIT: usize = 8;

/// No next item in a chain.
const END: usize = usize::MAX;

/// An index over a (usually small) list of elements, to ask "which of them is the same as
/// this one?" for every element of a large list in one pass.
#[derive(Debug)]
pub(super) struct Lookup<'a, 'r> {
    identity: Identity<'r>,
    items: &'a [Value],
    keys: Vec<Option<&'a str>>,
    /// Key -> first item with that key; `next` chains the others.
    table: Option<HashMap<Folded<'a>, usize, RandomState>>,
    next: Vec<usize>,
    /// Items without a string key, compared one by one.
    unkeyed: Vec<usize>,
    /// With `table`: one bit per [`prefix_hash`] of the keys (empty when some key's prefix is
    /// not ASCII). An element whose prefix has no bit cannot match, and the rest of its string
    /// is neither read nor hashed.
    prefixes: Vec<u64>,
}

/// A hash of a string's first eight bytes and of its length up to eight, ASCII case folded
/// unless `case_exact`; `None` when folding could not tell (a non-ASCII byte among them).
///
/// Strings equal under [`str_eq`] whose prefixes are ASCII have equal prefix hashes: their
/// first difference ignoring ASCII case, if any, cannot be between two ASCII bytes, and a
/// string that is a strict prefix of the other lower-cases shorter.
fn prefix_hash(s: &str, case_exact: bool) -> Option<u64> {
    let bytes = s.as_bytes();
    let n = bytes.len().min(8);
    let mut w = word(bytes, 0);
    if n < 8 {
        w = 0;
        for (i, b) in bytes.iter().enumerate() {
            w |= u64::from(*b) << (8 * i);
        }
    }
    if !case_exact {
        if w & 0x8080_8080_8080_8080 != 0 {
            return None;
        }
        w |= ASCII_FOLD;
    }
    Some(fold_mul(w ^ 0x243f_6a88_85a3_08d3, n as u64 ^ 0x1319_8a2e_0370_7344))
}

impl<'a, 'r> Lookup<'a, 'r> {
    /// Indexes `items`.
    pub(super) fn new(identity: Identity<'r>, items: &'a [Value]) -> Self {
        let keys: Vec<Option<&'a str>> = items.iter().map(|v| identity.key(v)).collect();
        let unkeyed = keys.iter().enumerate().filter(|(_, k)| k.is_none()).map(|(i, _)| i).collect();
        let mut lookup = Self { identity, items, keys, table: None, next: Vec::new(), unkeyed, prefixes: Vec::new() };
        if items.len() > SCAN_LIMIT && !matches!(identity, Identity::Whole) {
            let case_exact = identity.case_exact();
            let mut table: HashMap<Folded<'a>, usize, RandomState> =
                HashMap::with_capacity_and_hasher(items.len(), RandomState::default());
            let mut next = vec![END; items.len()];
            // Insert backwards so that each chain lists items in their original order.
            for (i, key) in lookup.keys.iter().enumerate().rev() {
                if let Some(s) = key {
                    if let Some(head) = table.insert(Folded { s, case_exact }, i) {
                        next[i] = head;
                    }
                }
            }
            lookup.table = Some(table);
            lookup.next = next;
            // About 16 bits per key: few elements that match nothing get through.
            let words = (items.len() / 4).next_power_of_two().max(8);
            let mut prefixes = vec![0u64; words];
            let all = lookup.keys.iter().flatten().all(|s| match prefix_hash(s, case_exact) {
                Some(h) => {
                    let bit = h as usize & (words * 64 - 1);
                    prefixes[bit / 64] |= 1 << (bit % 64);
                    true
                }
                None => false,
            });
            if all {
                lookup.prefixes = prefixes;
            }
        }
        lookup
    }

    /// Whether an item's key may equal `s`, from its prefix alone.
    fn may_hold(&self, s: &str, case_exact: bool) -> bool {
        match prefix_hash(s, case_exact) {
            Some(h) if !self.prefixes.is_empty() => {
                let bit = h as usize & (self.prefixes.len() * 64 - 1);
                self.prefixes[bit / 64] & (1 << (bit % 64)) != 0
            }
            _ => true,
        }
    }

    /// Calls `f` with the index of every item that is the same as `el`, in order.
    pub(super) fn for_each_same(&self, el: &Value, mut f: impl FnMut(usize)) {
        if let (Some(table), Identity::Value { key: name, case_exact, .. }, Value::Object(m), true) =
            (&self.table, self.identity, el, self.unkeyed.is_empty())
        {
            // Probe with every string member whose name is as long as the key's, and read the
            // name only on a hit: most elements of a large attribute (the members of a group)
            // match nothing, and their names then stay unread.
            for (k, v) in m.iter().rev() {
                let Value::String(s) = v else { continue };
                if k.len() != name.len() || !self.may_hold(s, case_exact) {
                    continue;
                }
                let Some(&head) = table.get(&Folded { s, case_exact }) else { continue };
                if k != name {
                    continue;
                }
                let mut i = head;
                while i != END {
                    if self.identity.same(&self.items[i], el) {
                        f(i);
                    }
                    i = self.next[i];
                }
                return;
            }
            return;
        }
        let key = self.identity.key(el);
        if let (Some(table), Some(s)) = (&self.table, key) {
            let mut i = table.get(&Folded { s, case_exact: self.identity.case_exact() }).copied().unwrap_or(END);
            while i != END {
                if self.identity.same(&self.items[i], el) {
                    f(i);
                }
                i = self.next[i];
            }
        } else if self.table.is_none() {
            let case_exact = self.identity.case_exact();
            for (i, k) in self.keys.iter().enumerate() {
                let candidate = match (k, key) {
                    (Some(a), Some(b)) => str_eq(a, b, case_exact),
                    _ => true,
                };
                if candidate && self.identity.same(&self.items[i], el) {
                    f(i);
                }
            }
            return;
        }
        for &i in &self.unkeyed {
            if self.identity.same(&self.items[i], el) {
                f(i);
            }
        }
    }

    /// Clears `keep[j]` for each item that is the same as an earlier item still kept.
    pub(super) fn drop_repeats(&self, keep: &mut [bool]) {
        let Some(table) = &self.table else {
            for (i, el) in self.items.iter().enumerate() {
                if keep[i] {
                    self.for_each_same(el, |j| {
                        if j > i {
                            keep[j] = false;
                        }
                    });
                }
            }
            return;
        };
        // Items with a key can only be the same as items with an equal key: those of their
        // chain, listed in item order. Most chains hold one item, so this costs no lookup.
        for &head in table.values() {
            let mut i = head;
            while i != END {
                if keep[i] {
                    let mut j = self.next[i];
                    while j != END {
                        if keep[j] && self.identity.same(&self.items[i], &self.items[j]) {
                            keep[j] = false;
                        }
                        j = self.next[j];
                    }
                }
                i = self.next[i];
            }
        }
        // Items without a key can only be the same as one another.
        for (n, &i) in self.unkeyed.iter().enumerate() {
            if keep[i] {
                for &j in &self.unkeyed[n + 1..] {
                    if keep[j] && self.identity.same(&self.items[i], &self.items[j]) {
                        keep[j] = false;
                    }
                }
            }
        }
    }

    /// Whether some item is the same as `el`.
    pub(super) fn contains(&self, el: &Value) -> bool {
        let mut found = false;
        self.for_each_same(el, |_| found = true);
        found
    }
}

/// `incoming` without the elements already in `existing` or repeated earlier in `incoming`.
/// One pass over `existing`, with `incoming` (the small side) indexed.
pub(super) fn new_elements(identity: Identity<'_>, existing: &[Value], incoming: Vec<Value>) -> Vec<Value> {
    let keep: Vec<bool> = {
        let index = Lookup::new(identity, &incoming);
        let mut keep = vec![true; incoming.len()];
        index.drop_repeats(&mut keep);
        for el in existing {
            index.for_each_same(el, |j| keep[j] = false);
        }
        keep
    };
    incoming.into_iter().zip(keep).filter_map(|(el, keep)| keep.then_some(el)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::{AttrType, AttributeDef};
    use serde_json::{Map, json};

    fn members_def() -> AttributeDef {
        let mut def = AttributeDef::new("members", AttrType::Complex);
        def.multi_valued = true;
        def.sub_attributes =
            vec![AttributeDef::new("value", AttrType::String), AttributeDef::new("type", AttrType::String)];
        def
    }

    #[test]
    fn hashed_and_scanned_lookups_agree() {
        let def = members_def();
        let id = Identity::of(&def);
        let items: Vec<Value> = (0..3000).map(|i| json!({"value": format!("ID-{i}"), "type": "User"})).collect();
        let few = &items[..SCAN_LIMIT];
        let hashed = Lookup::new(id, &items);
        let scanned = Lookup::new(id, few);
        assert!(hashed.table.is_some() && scanned.table.is_none());
        let all = |l: &Lookup<'_, '_>, el: &Value| {
            let mut v = Vec::new();
            l.for_each_same(el, |i| v.push(i));
            v
        };
        for probe in [
            json!({"value": "id-7"}),
            json!({"value": "ID-5", "type": "user"}),
            json!({"value": "nope"}),
            json!({"value": "ID-5", "type": "Group"}),
            json!({"types": "ID-5"}),
            json!({"types": "ID-5", "value": "id-6", "vALUE": "ID-4"}),
            json!({"value": 5, "other": "ID-5"}),
        ] {
            let h: Vec<usize> = all(&hashed, &probe).into_iter().filter(|&i| i < SCAN_LIMIT).collect();
            assert_eq!(h, all(&scanned, &probe), "{probe}");
        }
        assert_eq!(all(&hashed, &json!({"value": "id-2999"})), vec![2999]);
        assert_eq!(all(&hashed, &json!({"types": "ID-5", "value": "id-6"})), vec![6]);
        assert!(all(&hashed, &json!({"types": "ID-5"})).is_empty());
        assert!(!hashed.contains(&json!({"value": "ID-5", "type": "Group"})));
        let dups: Vec<Value> = (0..20).map(|i| json!({"value": format!("X{}", i % 3)})).collect();
        assert_eq!(all(&Lookup::new(id, &dups), &json!({"value": "x1"})), vec![1, 4, 7, 10, 13, 16, 19]);
    }

    #[test]
    fn repeats_dropped_as_by_pairwise_comparison() {
        let def = members_def();
        let id = Identity::of(&def);
        let types = [None, Some("User"), Some("Group"), Some("user")];
        let items: Vec<Value> = (0..40)
            .map(|i| {
                let mut m = Map::new();
                if i % 7 != 3 {
                    m.insert("value".to_owned(), json!(["A", "a", "b", "\u{212A}", "k"][i % 5]));
                } else {
                    m.insert("display".to_owned(), json!(["x", "y"][i % 2]));
                }
                if let Some(t) = types[(i / 5) % 4] {
                    m.insert("type".to_owned(), json!(t));
                }
                Value::Object(m)
            })
            .collect();
        for n in [3, SCAN_LIMIT, 40] {
            let items = &items[..n];
            let mut expected = vec![true; n];
            for i in 0..n {
                if expected[i] {
                    for j in i + 1..n {
                        if id.same(&items[j], &items[i]) {
                            expected[j] = false;
                        }
                    }
                }
            }
            let mut keep = vec![true; n];
            Lookup::new(id, items).drop_repeats(&mut keep);
            assert_eq!(keep, expected, "{n} items");
        }
    }

    #[test]
    fn prefix_filter_keeps_every_match() {
        let def = members_def();
        let id = Identity::of(&def);
        let probes = ["abcdefgh\u{212A}", "\u{212A}-short", "K-SHORT", "k", "id-3", "ID-3x", "abcdefghk", "ZOË-1", ""];
        for extra in ["plain", "zoë-1"] {
            let mut items: Vec<Value> = (0..20).map(|i| json!({"value": format!("ID-{i}")})).collect();
            for v in ["ABCDEFGHk", "k-short", "K", extra, ""] {
                items.push(json!({ "value": v }));
            }
            let index = Lookup::new(id, &items);
            assert!(index.table.is_some());
            assert_eq!(index.prefixes.is_empty(), extra == "zoë-1", "a non-ASCII prefix turns the filter off");
            for probe in probes {
                let el = json!({ "value": probe });
                let mut found = Vec::new();
                index.for_each_same(&el, |i| found.push(i));
                let expected: Vec<usize> = (0..items.len()).filter(|&i| id.same(&items[i], &el)).collect();
                assert_eq!(found, expected, "{probe} with {extra}");
            }
        }
        for (a, b) in [("abcdefgh\u{212A}", "ABCDEFGHk"), ("x", "X"), ("Long-Identifier", "long-IDENTIFIER")] {
            assert!(str_eq(a, b, false));
            assert_eq!(prefix_hash(a, false), prefix_hash(b, false), "{a} / {b}");
        }
        assert_eq!(prefix_hash("\u{212A}elvin", false), None);
        assert_ne!(prefix_hash("abc", false), prefix_hash("abcd", false));
        assert_ne!(prefix_hash("abc", true), prefix_hash("ABC", true));
    }

    #[test]
    fn new_elements_skips_present_and_repeated() {
        let def = members_def();
        let existing = vec![json!({"value": "a"}), json!({"value": "b"})];
        let incoming = vec![json!({"value": "A"}), json!({"value": "c"}), json!({"value": "c", "display": "C"})];
        assert_eq!(new_elements(Identity::of(&def), &existing, incoming), vec![json!({"value": "c"})]);
    }

    #[test]
    fn folded_hash_matches_ignoring_ascii_case() {
        use std::hash::BuildHasher;
        let b = RandomState::default();
        let h = |s: &str| b.hash_one(Folded { s, case_exact: false });
        assert_eq!(h("AbCdEfGh-1234567890"), h("abcdefgh-1234567890"));
        assert_eq!(h("Zoë"), h("ZOË"));
        assert_ne!(h("abc"), h("abd"));
        // The Kelvin sign lower-cases to an ASCII `k`: equal ignoring case, so hashed alike.
        assert!(str_eq("\u{212A}elvin", "kELVIN", false));
        assert_eq!(h("\u{212A}elvin"), h("kELVIN"));
        for n in 0..40 {
            let lower: String = (0..n).map(|i| char::from(b'a' + (i % 26) as u8)).collect();
            assert_eq!(h(&lower), h(&lower.to_ascii_uppercase()), "{lower}");
            let mut other = lower.clone().into_bytes();
            if let Some(last) = other.last_mut() {
                *last = b'0';
                assert_ne!(h(&lower), h(&String::from_utf8(other).unwrap_or_default()), "{lower}");
            }
        }
        let exact = |s: &str| b.hash_one(Folded { s, case_exact: true });
        assert_ne!(exact("abc"), exact("ABC"));
    }
}
