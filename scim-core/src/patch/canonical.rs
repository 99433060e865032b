//! Canonicalising the values an operation brings (coercions, sub-attribute names) through
//! the registry, as validation does on create.

use crate::ScimError;
use crate::schema::{AttributeDef, SchemaRegistry};
use serde_json::{Map, Value};

/// Canonicalizes a value for `def` (coercions, sub-attribute names) through the registry.
pub(super) fn canonicalize(registry: &SchemaRegistry, def: &AttributeDef, value: &Value) -> Result<Value, ScimError> {
    registry.canonicalize_value(def, value)
}

/// Canonicalizes one element of the multi-valued `def` (an empty object when nothing is left).
pub(super) fn canonical_element(
    registry: &SchemaRegistry,
    def: &AttributeDef,
    value: &Value,
) -> Result<Value, ScimError> {
    match canonicalize(registry, def, value)? {
        Value::Array(mut a) if a.len() == 1 => Ok(a.pop().unwrap_or(Value::Null)),
        Value::Array(a) if a.is_empty() => Ok(Value::Object(Map::new())),
        Value::Array(_) => Err(ScimError::invalid_value(format!("one value of \"{}\" was expected", def.name))),
        v => Ok(v),
    }
}
