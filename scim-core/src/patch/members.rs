//! [`PatchOp::member_change`](super::PatchOp::member_change): a request that only adds and
//! removes group members, recognised so that stores can apply it without the whole group.

use super::operation::{PatchOpKind, PatchOperation};
use crate::store::MemberChange;
use crate::urn;
use scim_query::{CompValue, CompareOp, Filter, PatchPath};
use serde_json::{Map, Value};

/// Whether `path` is `members` (optionally qualified with a URN), ignoring case.
/// `members`, or `urn:…:core:2.0:Group:members`; not `members` under another schema's URN.
fn is_members(path: &scim_query::AttrPath) -> bool {
    path.name.eq_ignore_ascii_case("members")
        && path.sub_attr.is_none()
        && path.urn.as_deref().is_none_or(|urn| urn.eq_ignore_ascii_case(urn::GROUP))
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

pub(super) fn member_change(operations: &[PatchOperation]) -> Option<MemberChange> {
    let mut change = MemberChange { add: Vec::new(), remove: Vec::new() };
    for op in operations {
        match (op.kind, op.path.as_ref()?) {
            (PatchOpKind::Add, PatchPath::Attr(p)) if is_members(p) => {
                for item in value_list(op.value.as_ref()?) {
                    change.add.push(member_object(item)?);
                }
            }
            (PatchOpKind::Remove, PatchPath::Attr(p)) if is_members(p) => {
                // Entra: `path: "members"` with the members to remove as the value. Without a
                // value this removes every member, which is not a member change. A profile
                // without quirk `remove-by-value` takes the general path, which refuses it.
                let values = value_list(op.value.as_ref()?);
                if !crate::quirks::allowed(crate::quirks::Quirk::RemoveByValue) {
                    return None;
                }
                for item in values {
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
    let removed: std::collections::HashSet<&str> = change.remove.iter().map(String::as_str).collect();
    let conflict = !removed.is_empty()
        && change.add.iter().filter_map(|m| m.get("value")?.as_str()).any(|id| removed.contains(id));
    (!conflict).then_some(change)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn member_changes_are_only_the_group_schema_members() {
        let op = |path: &str| {
            let body = json!({"Operations": [{"op": "add", "path": path, "value": [{"value": "u1"}]}]});
            member_change(crate::PatchOp::from_json(&body).expect("parses").operations())
        };
        assert!(op("members").is_some());
        assert!(op("urn:ietf:params:scim:schemas:core:2.0:Group:members").is_some());
        assert!(op("urn:foo:bar:members").is_none());
        assert!(op("urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:members").is_none());
    }
}
