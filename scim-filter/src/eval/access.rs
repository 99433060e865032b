//! Resolved attribute paths and their allocation-free traversal of a document.

use super::document::{Json, Scalar};
use super::key::Key;

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
    use serde_json::{Value, json};

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
