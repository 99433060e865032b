//! Resolved attribute paths and their allocation-free traversal of a document.

use super::json::{Json, Scalar};
use crate::compact::{self, CompactObject, CompactValue, ObjRepr, Sym};
use serde_json::{Map, Value};

/// One step of a resolved path.
#[derive(Debug, Clone)]
pub(crate) enum Step {
    /// Descend into this key (exact match first, then ignoring ASCII case).
    Key(Key),
    /// Descend into this extension URN key when the object has it; otherwise stay (an unresolved
    /// URN-qualified path: the core schema URN qualifies top-level attributes).
    UrnOrRoot(Key),
}

/// A path from a resource (or value-path element) to the values it names.
#[derive(Debug, Clone)]
pub(crate) struct Access {
    steps: Box<[Step]>,
}

impl Access {
    pub(crate) fn new(steps: Vec<Step>) -> Self {
        Self { steps: steps.into_boxed_slice() }
    }

    /// Calls `f` on every value the path reaches (arrays along the way and at the end are
    /// flattened) until one returns true.
    pub(crate) fn any<J: Json, F: FnMut(&J) -> bool>(&self, obj: J::Obj<'_>, f: &mut F) -> bool {
        walk_obj::<J, F>(obj, &self.steps, f)
    }
}

/// A key to look up, with the side of the sorted map to search from.
#[derive(Clone)]
pub(crate) struct Key {
    name: Box<str>,
    from_end: bool,
    /// The interned name, compared with the keys of compact documents (`None`: the table was
    /// full, so no interned key can equal it).
    interned: Option<Sym>,
}

impl std::fmt::Debug for Key {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.name.fmt(f)
    }
}

impl Key {
    pub(crate) fn new(name: &str) -> Self {
        // Maps keep keys sorted; start from the end for names in the second half of the alphabet.
        let from_end = name.bytes().next().is_some_and(|b| b.to_ascii_lowercase() >= b'm');
        Self { name: name.into(), from_end, interned: compact::intern(name) }
    }

    /// The value of this key in `obj`: the exact key if present, otherwise a key equal ignoring ASCII case.
    pub(crate) fn get<'v>(&self, obj: &'v Map<String, Value>) -> Option<&'v Value> {
        if self.from_end { scan(obj.iter().rev(), &self.name) } else { scan(obj.iter(), &self.name) }
    }

    /// As [`Key::get`], in a compact object: interned keys compare by pointer, without reading
    /// the key text.
    pub(crate) fn get_compact<'v>(&self, obj: CompactObject<'v>) -> Option<&'v CompactValue> {
        match obj.repr() {
            ObjRepr::Interned(entries) => {
                if let Some(sym) = self.interned {
                    let same = |v: &&CompactValue| v.key() == sym;
                    let hit = if self.from_end { entries.iter().rev().find(same) } else { entries.iter().find(same) };
                    if hit.is_some() {
                        return hit;
                    }
                }
                // Another casing.
                scan(entries.iter().map(|v| (v.key().as_str(), v)), &self.name)
            }
            ObjRepr::Text(entries) => scan(entries.iter().map(|(k, v)| (&**k, v)), &self.name),
        }
    }
}

/// The value of `key` in `obj`: the exact key if present, otherwise a key equal ignoring ASCII case.
#[cfg(test)]
fn lookup<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    scan(obj.iter(), key)
}

/// One linear pass that compares lengths before bytes. Resources are scattered over the heap, so
/// what costs is touching memory: a tree or hash lookup compares the key with several stored keys,
/// each a pointer to chase (a likely cache miss), while the lengths sit inline in the map's nodes
/// and rule out almost every key without following its pointer.
fn scan<'v, K: AsRef<str>, V>(entries: impl Iterator<Item = (K, &'v V)>, key: &str) -> Option<&'v V> {
    let mut folded = None;
    for (k, v) in entries {
        let k = k.as_ref();
        if k.len() == key.len() {
            if k == key {
                return Some(v);
            }
            if folded.is_none() && k.eq_ignore_ascii_case(key) {
                folded = Some(v);
            }
        }
    }
    folded
}

fn walk_obj<J: Json, F: FnMut(&J) -> bool>(obj: J::Obj<'_>, steps: &[Step], f: &mut F) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return false;
    };
    match step {
        Step::Key(key) => J::get(obj, key).is_some_and(|v| walk(v, rest, f)),
        Step::UrnOrRoot(urn) => match J::get(obj, urn) {
            Some(v) => v.as_object().is_some_and(|ext| walk_obj::<J, F>(ext, rest, f)),
            None => walk_obj::<J, F>(obj, rest, f),
        },
    }
}

fn walk<J: Json, F: FnMut(&J) -> bool>(v: &J, steps: &[Step], f: &mut F) -> bool {
    if steps.is_empty() {
        return match v.as_array() {
            Some(items) => items.iter().any(&mut *f),
            None => f(v),
        };
    }
    if let Some(obj) = v.as_object() {
        return walk_obj::<J, F>(obj, steps, f);
    }
    v.as_array().is_some_and(|items| {
        items.iter().any(|item| item.as_object().is_some_and(|obj| walk_obj::<J, F>(obj, steps, f)))
    })
}

/// `pr`: present, not null, not an empty string, array or object.
pub(crate) fn is_present<J: Json>(v: &J) -> bool {
    if let Some(items) = v.as_array() {
        return items.iter().any(is_present);
    }
    if let Some(obj) = v.as_object() {
        return !J::is_empty_object(obj);
    }
    match v.scalar() {
        Scalar::Null => false,
        Scalar::Str(s) => !s.is_empty(),
        Scalar::Bool(_) | Scalar::Number(_) | Scalar::Composite => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn collect(access: &Access, doc: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        access.any::<Value, _>(doc.as_object().unwrap(), &mut |v: &Value| {
            out.push(v.clone());
            false
        });
        out
    }

    fn key(k: &str) -> Step {
        Step::Key(Key::new(k))
    }

    #[test]
    fn flattens_arrays_and_ignores_case() {
        let doc =
            json!({"Emails": [{"value": "a"}, {"VALUE": "b"}, {"type": "x"}, "junk"], "name": {"givenName": "B"}});
        assert_eq!(collect(&Access::new(vec![key("emails"), key("value")]), &doc), vec![json!("a"), json!("b")]);
        assert_eq!(collect(&Access::new(vec![key("name"), key("givenname")]), &doc), vec![json!("B")]);
        assert!(collect(&Access::new(vec![key("name"), key("x")]), &doc).is_empty());
    }

    #[test]
    fn urn_or_root() {
        let urn = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User";
        let doc = json!({"userName": "u", urn: {"department": "Sales"}});
        let dept = Access::new(vec![Step::UrnOrRoot(Key::new(urn)), key("department")]);
        assert_eq!(collect(&dept, &doc), vec![json!("Sales")]);
        let core =
            Access::new(vec![Step::UrnOrRoot(Key::new("urn:ietf:params:scim:schemas:core:2.0:User")), key("userName")]);
        assert_eq!(collect(&core, &doc), vec![json!("u")]);
    }

    #[test]
    fn exact_key_wins_over_folded_key() {
        let doc = json!({"Title": "folded", "title": "exact", "TITLE": "upper"});
        let obj = doc.as_object().unwrap();
        assert_eq!(lookup(obj, "title"), Some(&json!("exact")));
        let folded = lookup(obj, "tItLe").unwrap();
        assert!(folded == "folded" || folded == "upper" || folded == "exact");
        for name in ["title", "Title", "TITLE", "aaa", "zzz"] {
            assert_eq!(Key::new(name).get(obj), lookup(obj, name), "{name}");
        }
        assert_eq!(Key::new("userName").get(&Map::new()), None);
        assert_eq!(lookup(obj, "titles"), None);
    }

    #[test]
    fn presence() {
        assert!(!is_present(&json!(null)));
        assert!(!is_present(&json!("")));
        assert!(!is_present(&json!([])));
        assert!(!is_present(&json!([null, ""])));
        assert!(!is_present(&json!({})));
        assert!(is_present(&json!(false)));
        assert!(is_present(&json!(0)));
        assert!(is_present(&json!({"a": 1})));
    }
}
