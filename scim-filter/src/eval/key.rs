//! [`Key`]: one attribute name of a resolved path, looked up in either document form.

use crate::compact::{self, CompactObject, CompactValue, ObjRepr, Sym};
use serde_json::{Map, Value};

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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
}
