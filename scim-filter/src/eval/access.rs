//! Resolved attribute paths and their allocation-free traversal of a JSON document.

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
    pub(crate) fn any<F: FnMut(&Value) -> bool>(&self, obj: &Map<String, Value>, f: &mut F) -> bool {
        walk_obj(obj, &self.steps, f)
    }
}

/// A key to look up, with the side of the sorted map to search from.
#[derive(Debug, Clone)]
pub(crate) struct Key {
    name: Box<str>,
    from_end: bool,
}

impl Key {
    pub(crate) fn new(name: &str) -> Self {
        // Maps keep keys sorted; start from the end for names in the second half of the alphabet.
        let from_end = name.bytes().next().is_some_and(|b| b.to_ascii_lowercase() >= b'm');
        Self { name: name.into(), from_end }
    }

    /// The value of this key in `obj`: the exact key if present, otherwise a key equal ignoring ASCII case.
    pub(crate) fn get<'v>(&self, obj: &'v Map<String, Value>) -> Option<&'v Value> {
        if self.from_end { scan(obj.iter().rev(), &self.name) } else { scan(obj.iter(), &self.name) }
    }
}

/// The value of `key` in `obj`: the exact key if present, otherwise a key equal ignoring ASCII case.
#[cfg(test)]
fn lookup<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    scan(obj.iter(), key)
}

/// The value of `key` in `obj` (exact, else ignoring ASCII case), searching from the end of the sorted map (for names late in the alphabet).
pub(crate) fn lookup_from_end<'v>(obj: &'v Map<String, Value>, key: &str) -> Option<&'v Value> {
    scan(obj.iter().rev(), key)
}

/// One linear pass that compares lengths before bytes. Resources are scattered over the heap, so
/// what costs is touching memory: a tree or hash lookup compares the key with several stored keys,
/// each a pointer to chase (a likely cache miss), while the lengths sit inline in the map's nodes
/// and rule out almost every key without following its pointer.
fn scan<'v>(entries: impl Iterator<Item = (&'v String, &'v Value)>, key: &str) -> Option<&'v Value> {
    let mut folded = None;
    for (k, v) in entries {
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

fn walk_obj<F: FnMut(&Value) -> bool>(obj: &Map<String, Value>, steps: &[Step], f: &mut F) -> bool {
    let Some((step, rest)) = steps.split_first() else {
        return false;
    };
    match step {
        Step::Key(key) => key.get(obj).is_some_and(|v| walk(v, rest, f)),
        Step::UrnOrRoot(urn) => match urn.get(obj) {
            Some(Value::Object(ext)) => walk_obj(ext, rest, f),
            Some(_) => false,
            None => walk_obj(obj, rest, f),
        },
    }
}

fn walk<F: FnMut(&Value) -> bool>(v: &Value, steps: &[Step], f: &mut F) -> bool {
    if steps.is_empty() {
        return match v {
            Value::Array(items) => items.iter().any(&mut *f),
            _ => f(v),
        };
    }
    match v {
        Value::Object(obj) => walk_obj(obj, steps, f),
        Value::Array(items) => items.iter().any(|item| matches!(item, Value::Object(obj) if walk_obj(obj, steps, f))),
        _ => false,
    }
}

/// `pr`: present, not null, not an empty string, array or object.
pub(crate) fn is_present(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::String(s) => !s.is_empty(),
        Value::Array(a) => a.iter().any(is_present),
        Value::Object(o) => !o.is_empty(),
        Value::Bool(_) | Value::Number(_) => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn collect(access: &Access, doc: &Value) -> Vec<Value> {
        let mut out = Vec::new();
        access.any(doc.as_object().unwrap(), &mut |v| {
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
