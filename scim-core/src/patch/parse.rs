//! Reading a `PatchOp` message (RFC 7644 §3.5.2) into operations.

use super::operation::{PatchOpKind, PatchOperation, ValueEntry, at_operation};
use crate::quirks::{self, Quirk};
use crate::{ScimError, urn};
use scim_query::{AttrPath, ParseOptions, PatchPath, parse_path, parse_path_with};
use serde_json::{Map, Value};

/// The member of `obj` named `name`; another case is quirk `patch-case` (exact spelling first).
fn member<'v>(obj: &'v Map<String, Value>, name: &str) -> Result<Option<&'v Value>, ScimError> {
    if let Some(v) = obj.get(name) {
        return Ok(Some(v));
    }
    match obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(name)) {
        None => Ok(None),
        Some((key, v)) => {
            quirks::admit(Quirk::PatchCase, || {
                ScimError::invalid_syntax(format!("the member \"{key}\" of a PatchOp message is spelt \"{name}\""))
            })?;
            Ok(Some(v))
        }
    }
}

/// A plain attribute name (`ATTRNAME` of RFC 7644): no URN, sub-attribute or filter.
fn is_plain_name(s: &str) -> bool {
    let mut chars = s.chars();
    chars.next().is_some_and(|c| c.is_ascii_alphabetic() || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '$')
}

/// Parses a path, answering `400 invalidPath` with the position of the problem. An unquoted
/// word as a string in its value filter (`emails[type eq work]`) is quirk `bare-filter-values`.
pub(super) fn path(text: &str) -> Result<PatchPath, ScimError> {
    if is_plain_name(text) {
        return Ok(PatchPath::Attr(AttrPath::new(text)));
    }
    match parse_path_with(text, &ParseOptions::new().with_bare_values(false)) {
        Ok(path) => Ok(path),
        Err(strict) => {
            let path =
                parse_path(text).map_err(|e| ScimError::invalid_path(format!("invalid path \"{text}\": {e}")))?;
            quirks::admit(Quirk::BareFilterValues, || {
                ScimError::invalid_filter(format!("invalid filter in path \"{text}\": {strict}"))
            })?;
            Ok(path)
        }
    }
}

/// The operations of a PatchOp message, at most `max_operations` of them.
pub(super) fn operations(body: &Value, max_operations: usize) -> Result<Vec<PatchOperation>, ScimError> {
    let Value::Object(obj) = body else {
        return Err(ScimError::invalid_syntax("a PATCH body must be a JSON object (a PatchOp message)"));
    };
    // When present, `schemas` must name the PatchOp message; absent is quirk `missing-schemas`.
    let schemas = member(obj, "schemas")?;
    if schemas.is_none() {
        quirks::admit(Quirk::MissingSchemas, || {
            ScimError::invalid_syntax(format!("a PatchOp message needs \"schemas\": [\"{}\"]", urn::PATCH_OP))
        })?;
    }
    if let Some(schemas) = schemas {
        let ok = schemas
            .as_array()
            .is_some_and(|list| list.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(urn::PATCH_OP))));
        if !ok {
            return Err(ScimError::invalid_syntax(format!("\"schemas\" must contain \"{}\"", urn::PATCH_OP)));
        }
    }
    let ops = match member(obj, "Operations")? {
        Some(Value::Array(ops)) => ops,
        Some(_) => return Err(ScimError::invalid_syntax("\"Operations\" must be an array")),
        None => return Err(ScimError::invalid_syntax("a PatchOp message needs \"Operations\"")),
    };
    if ops.is_empty() {
        return Err(ScimError::invalid_syntax("\"Operations\" must hold at least one operation"));
    }
    if ops.len() > max_operations {
        return Err(ScimError::invalid_value(format!(
            "a PatchOp message may hold at most {} operations, this one has {}; send several, or put the \
             values of one attribute in one operation's value array",
            max_operations,
            ops.len()
        )));
    }
    let operations = ops
        .iter()
        .enumerate()
        .map(|(i, op)| operation(op).map_err(|e| at_operation(i, None, &e)))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(operations)
}

fn operation(op: &Value) -> Result<PatchOperation, ScimError> {
    let Value::Object(op) = op else {
        return Err(ScimError::invalid_syntax("an operation must be a JSON object"));
    };
    let kind = match member(op, "op")? {
        Some(Value::String(s)) => {
            let kind = [PatchOpKind::Add, PatchOpKind::Remove, PatchOpKind::Replace]
                .into_iter()
                .find(|k| s.eq_ignore_ascii_case(k.as_str()))
                .ok_or_else(|| {
                    ScimError::invalid_syntax(format!(
                        "unknown op \"{s}\"; expected \"add\", \"remove\" or \"replace\""
                    ))
                })?;
            if s != kind.as_str() {
                quirks::admit(Quirk::PatchCase, || {
                    ScimError::invalid_syntax(format!("op \"{s}\" must be written \"{}\"", kind.as_str()))
                })?;
            }
            kind
        }
        Some(_) => return Err(ScimError::invalid_syntax("\"op\" must be a string")),
        None => return Err(ScimError::invalid_syntax("an operation needs \"op\"")),
    };
    // A missing, null or empty path all mean "the resource itself".
    let path_text = match member(op, "path")? {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.trim().is_empty() => None,
        Some(Value::String(s)) => Some(s.trim().to_owned()),
        Some(_) => return Err(ScimError::invalid_path("\"path\" must be a string")),
    };
    let value = member(op, "value")?.cloned();
    let parsed = path_text.as_deref().map(path).transpose()?;
    let mut entries = Vec::new();
    match (kind, &parsed, &value) {
        (PatchOpKind::Remove, None, _) => {
            return Err(ScimError::no_target("a \"remove\" operation needs a \"path\""));
        }
        (PatchOpKind::Add | PatchOpKind::Replace, _, None) => {
            return Err(ScimError::invalid_syntax(format!("an \"{}\" operation needs a \"value\"", kind.as_str())));
        }
        (PatchOpKind::Add | PatchOpKind::Replace, None, Some(Value::Object(obj))) => {
            for (key, v) in obj {
                entries.push(ValueEntry { path: path(key)?, value: v.clone() });
            }
        }
        (PatchOpKind::Add | PatchOpKind::Replace, None, Some(_)) => {
            return Err(ScimError::invalid_syntax(format!(
                "an \"{}\" operation without a \"path\" needs an object \"value\"",
                kind.as_str()
            )));
        }
        _ => {}
    }
    Ok(PatchOperation { kind, path: parsed, path_text, value, entries })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::PatchOp;
    use serde_json::json;

    fn parse(body: &Value, max_operations: usize) -> Result<PatchOp, ScimError> {
        PatchOp::from_json_limited(body, max_operations)
    }

    fn err(body: &Value) -> ScimError {
        parse(body, 1000).expect_err("must be rejected")
    }

    #[test]
    fn op_names_ignore_case_and_operations_key_too() {
        let p = parse(&json!({"operations": [{"Op": "REPLACE", "Path": "active", "Value": false}]}), 1000).unwrap();
        assert_eq!(p.operations()[0].kind(), PatchOpKind::Replace);
        assert_eq!(p.operations()[0].value(), Some(&json!(false)));
    }

    #[test]
    fn message_shape_errors() {
        use crate::ScimType::*;
        assert_eq!(err(&json!([])).scim_type(), Some(InvalidSyntax));
        assert_eq!(err(&json!({"Operations": []})).scim_type(), Some(InvalidSyntax));
        assert_eq!(err(&json!({"Operations": {}})).scim_type(), Some(InvalidSyntax));
        assert_eq!(
            err(&json!({"schemas": ["urn:x"], "Operations": [{"op": "add", "value": {}}]})).scim_type(),
            Some(InvalidSyntax)
        );
        assert_eq!(err(&json!({"Operations": [{"op": "move", "path": "a"}]})).scim_type(), Some(InvalidSyntax));
        assert_eq!(err(&json!({"Operations": [{"op": "add", "path": "title"}]})).scim_type(), Some(InvalidSyntax));
        assert_eq!(err(&json!({"Operations": [{"op": "add", "value": "x"}]})).scim_type(), Some(InvalidSyntax));
        assert_eq!(err(&json!({"Operations": [{"op": "remove"}]})).scim_type(), Some(NoTarget));
        assert_eq!(err(&json!({"Operations": [{"op": "remove", "path": 3}]})).scim_type(), Some(InvalidPath));
        let e = err(&json!({"Operations": [{"op": "add", "path": "title", "value": 1}, {"op": "frob"}]}));
        assert!(e.detail().contains("Operations[1]"), "{}", e.detail());
    }

    #[test]
    fn operations_are_bounded_by_the_limit_given() {
        let ops = |n: usize| json!({"Operations": vec![json!({"op": "add", "path": "title", "value": "x"}); n]});
        assert!(parse(&ops(3), 3).is_ok());
        let e = parse(&ops(4), 3).expect_err("over the limit");
        assert_eq!(e.scim_type(), Some(crate::ScimType::InvalidValue));
        assert!(e.detail().contains("at most 3 operations"), "{}", e.detail());
    }

    #[test]
    fn missing_schemas_is_accepted_and_empty_path_means_resource() {
        let p =
            parse(&json!({"Operations": [{"op": "replace", "path": "", "value": {"active": false}}]}), 1000).unwrap();
        assert!(p.operations()[0].path().is_none());
    }

    #[test]
    fn plain_names_do_not_need_the_parser() {
        assert_eq!(path("displayName").unwrap(), PatchPath::Attr(AttrPath::new("displayName")));
        assert!(!is_plain_name("name.givenName"));
        assert!(!is_plain_name("urn:a:b"));
        assert!(!is_plain_name(""));
    }
}
