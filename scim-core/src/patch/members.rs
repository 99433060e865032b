//! Telling elements of a multi-valued attribute apart (duplicates on `add`, Entra's removal by
//! value), with a hash index for large attributes such as a 1 000-member group, and
//! [`PatchOp::member_change`](super::PatchOp::member_change).

use super::{PatchOp, PatchOpKind};
use crate::MemberChange;
use crate::schema::AttributeDef;
use scim_filter::{CompValue, CompareOp, Filter, PatchPath};
use serde_json::{Map, Value};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hash, Hasher};

/// How two elements of one multi-valued attribute are judged the same.
#[derive(Debug, Clone, Copy)]
pub(super) enum Identity<'r> {
    /// Complex elements with a `value` sub-attribute: the same `value` (and the same `type`
    /// when both carry one). Members, emails, phone numbers, roles…
    Value { key: &'r str, case_exact: bool, type_key: Option<&'r str> },
    /// Simple elements: equal values (strings per `caseExact`).
    Simple { case_exact: bool },
    /// Complex elements without `value` (addresses): equal JSON.
    Whole,
}

impl<'r> Identity<'r> {
    pub(super) fn of(attr: &'r AttributeDef) -> Self {
        if attr.sub_attributes.is_empty() {
            return Self::Simple { case_exact: attr.case_exact };
        }
        match attr.sub_attribute("value") {
            Some(v) => Self::Value {
                key: v.name.as_str(),
                case_exact: v.case_exact,
                type_key: attr.sub_attribute("type").map(|t| t.name.as_str()),
            },
            None => Self::Whole,
        }
    }

    /// The string an element is indexed by, when there is one.
    fn key<'v>(&self, el: &'v Value) -> Option<&'v str> {
        match self {
            Self::Value { key, .. } => el.get(*key)?.as_str(),
            Self::Simple { .. } => el.as_str(),
            Self::Whole => None,
        }
    }

    fn case_exact(&self) -> bool {
        match self {
            Self::Value { case_exact, .. } | Self::Simple { case_exact } => *case_exact,
            Self::Whole => true,
        }
    }

    /// Whether `a` and `b` are the same element.
    pub(super) fn same(&self, a: &Value, b: &Value) -> bool {
        let type_key = match self {
            Self::Whole => return a == b,
            Self::Simple { .. } => None,
            Self::Value { type_key, .. } => *type_key,
        };
        match (self.key(a), self.key(b)) {
            (Some(ka), Some(kb)) => {
                if !str_eq(ka, kb, self.case_exact()) {
                    return false;
                }
                match type_key {
                    Some(t) => match (a.get(t).and_then(Value::as_str), b.get(t).and_then(Value::as_str)) {
                        (Some(ta), Some(tb)) => ta.eq_ignore_ascii_case(tb),
                        _ => true,
                    },
                    None => true,
                }
            }
            (None, None) => a == b,
            _ => false,
        }
    }
}

fn str_eq(a: &str, b: &str, case_exact: bool) -> bool {
    if case_exact {
        a == b
    } else if a.is_ascii() && b.is_ascii() {
        a.eq_ignore_ascii_case(b)
    } else {
        a.to_lowercase() == b.to_lowercase()
    }
}

/// A string key that hashes and compares per `caseExact` (ASCII case folded when not exact;
/// non-ASCII strings hash by their lower-case form).
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
        if !self.case_exact && !self.s.is_ascii() {
            state.write(self.s.to_lowercase().as_bytes());
            return;
        }
        let mask = if self.case_exact { 0 } else { 0x2020_2020_2020_2020_u64 };
        let bytes = self.s.as_bytes();
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut buf = [0u8; 8];
            buf.copy_from_slice(c);
            state.write_u64(u64::from_le_bytes(buf) | mask);
        }
        let rest = chunks.remainder();
        let mut buf = [0u8; 8];
        buf[..rest.len()].copy_from_slice(rest);
        state.write_u64(u64::from_le_bytes(buf) | mask);
        state.write_usize(bytes.len());
    }
}

/// A small multiply-rotate hasher: the keys are short identifiers from one request, and a
/// collision only costs an extra comparison.
#[derive(Debug, Default)]
struct FoldHasher(u64);

impl Hasher for FoldHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 = (self.0.rotate_left(5) ^ n).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }

    fn write_usize(&mut self, n: usize) {
        self.write_u64(n as u64);
    }
}

/// Below this many comparisons a plain scan beats building a hash index.
const SCAN_LIMIT: usize = 4096;

/// Finds, for an element, the first item of a list that is the same element.
#[derive(Debug)]
pub(super) struct Lookup<'a, 'r> {
    identity: Identity<'r>,
    items: &'a [Value],
    index: Option<HashMap<Folded<'a>, Vec<usize>, BuildHasherDefault<FoldHasher>>>,
    /// Items without a string key (compared one by one).
    unkeyed: Vec<usize>,
}

impl<'a, 'r> Lookup<'a, 'r> {
    /// Indexes `items`, expecting about `probes` look-ups.
    pub(super) fn new(identity: Identity<'r>, items: &'a [Value], probes: usize) -> Self {
        let hashable = !matches!(identity, Identity::Whole);
        if !hashable || items.len().saturating_mul(probes) <= SCAN_LIMIT {
            return Self { identity, items, index: None, unkeyed: Vec::new() };
        }
        let case_exact = identity.case_exact();
        let mut index: HashMap<Folded<'a>, Vec<usize>, BuildHasherDefault<FoldHasher>> =
            HashMap::with_capacity_and_hasher(items.len(), BuildHasherDefault::default());
        let mut unkeyed = Vec::new();
        for (i, item) in items.iter().enumerate() {
            match identity.key(item) {
                Some(s) => index.entry(Folded { s, case_exact }).or_default().push(i),
                None => unkeyed.push(i),
            }
        }
        Self { identity, items, index: Some(index), unkeyed }
    }

    /// The index of the first item that is the same as `el`.
    pub(super) fn find(&self, el: &Value) -> Option<usize> {
        let Some(index) = &self.index else {
            return self.items.iter().position(|item| self.identity.same(item, el));
        };
        let hit = self.identity.key(el).and_then(|s| {
            let key = Folded { s, case_exact: self.identity.case_exact() };
            index.get(&key)?.iter().copied().find(|&i| self.identity.same(&self.items[i], el))
        });
        hit.or_else(|| self.unkeyed.iter().copied().find(|&i| self.identity.same(&self.items[i], el)))
    }
}

/// `incoming` without the elements already in `existing` or repeated earlier in `incoming`.
pub(super) fn new_elements(identity: Identity<'_>, existing: &[Value], incoming: Vec<Value>) -> Vec<Value> {
    let keep: Vec<bool> = {
        let lookup = Lookup::new(identity, existing, incoming.len());
        let own = Lookup::new(identity, &incoming, incoming.len());
        incoming
            .iter()
            .enumerate()
            .map(|(i, el)| lookup.find(el).is_none() && own.find(el).is_none_or(|first| first == i))
            .collect()
    };
    incoming.into_iter().zip(keep).filter_map(|(el, keep)| keep.then_some(el)).collect()
}

/// Whether `path` is `members` (optionally qualified with a URN), ignoring case.
fn is_members(path: &scim_filter::AttrPath) -> bool {
    path.name.eq_ignore_ascii_case("members") && path.sub_attr.is_none()
}

/// A member object for [`MemberChange::add`]: `value` plus known sub-attributes, nulls dropped.
fn member_object(v: &Value) -> Option<Value> {
    let Value::Object(m) = v else { return None };
    let mut out = Map::new();
    for (k, v) in m {
        let canonical = ["value", "display", "type", "$ref"].into_iter().find(|c| c.eq_ignore_ascii_case(k))?;
        match v {
            Value::Null => {}
            Value::String(_) => {
                out.insert(canonical.to_owned(), v.clone());
            }
            _ => return None,
        }
    }
    out.get("value").and_then(Value::as_str).is_some_and(|s| !s.is_empty()).then_some(Value::Object(out))
}

fn value_list(v: &Value) -> Vec<&Value> {
    match v {
        Value::Array(a) => a.iter().collect(),
        other => vec![other],
    }
}

pub(super) fn member_change(patch: &PatchOp) -> Option<MemberChange> {
    let mut change = MemberChange { add: Vec::new(), remove: Vec::new() };
    for op in &patch.operations {
        match (op.kind, op.path.as_ref()?) {
            (PatchOpKind::Add, PatchPath::Attr(p)) if is_members(p) => {
                for item in value_list(op.value.as_ref()?) {
                    change.add.push(member_object(item)?);
                }
            }
            (PatchOpKind::Remove, PatchPath::Attr(p)) if is_members(p) => {
                // Entra: `path: "members"` with the members to remove as the value. Without a
                // value this removes every member, which is not a member change.
                for item in value_list(op.value.as_ref()?) {
                    let m = member_object(item)?;
                    change.remove.push(m.get("value")?.as_str()?.to_owned());
                }
            }
            (PatchOpKind::Remove, PatchPath::ValuePath { attr, filter, sub_attr: None }) if is_members(attr) => {
                match filter {
                    Filter::Compare { path, op: CompareOp::Eq, value: CompValue::Str(id) }
                        if path.urn.is_none() && path.sub_attr.is_none() && path.name.eq_ignore_ascii_case("value") =>
                    {
                        change.remove.push(id.clone());
                    }
                    _ => return None,
                }
            }
            _ => return None,
        }
    }
    // The change has no order: an id both added and removed needs the full PATCH.
    let conflict = change
        .add
        .iter()
        .filter_map(|m| m.get("value").and_then(Value::as_str))
        .any(|id| change.remove.iter().any(|r| r == id));
    (!conflict).then_some(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::schema::AttrType;
    use serde_json::json;

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
        let scan = Lookup::new(id, &items, 1);
        let hashed = Lookup::new(id, &items, 100);
        assert!(scan.index.is_none() && hashed.index.is_some());
        for probe in [
            json!({"value": "id-17"}),
            json!({"value": "ID-2999", "type": "user"}),
            json!({"value": "nope"}),
            json!({"value": "ID-5", "type": "Group"}),
        ] {
            assert_eq!(scan.find(&probe), hashed.find(&probe), "{probe}");
        }
        assert_eq!(hashed.find(&json!({"value": "id-17"})), Some(17));
        assert_eq!(hashed.find(&json!({"value": "ID-5", "type": "Group"})), None);
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
        let b = BuildHasherDefault::<FoldHasher>::default();
        let h = |s: &str| b.hash_one(Folded { s, case_exact: false });
        assert_eq!(h("AbCdEfGh-1234567890"), h("abcdefgh-1234567890"));
        assert_eq!(h("Zoë"), h("ZOË"));
        assert_ne!(h("abc"), h("abd"));
    }
}
