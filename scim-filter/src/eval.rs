//! Compiled evaluation (placeholder signatures; filled in by the scim-filter work).

use crate::{AttributeFacts, EvalError, Filter};
use serde_json::Value;

/// A filter with its attribute paths and facts resolved once, ready to test many resources.
#[derive(Debug, Clone)]
pub struct CompiledFilter {
    _filter: Filter,
}

impl CompiledFilter {
    /// Resolves every path of `filter` through `facts`.
    ///
    /// # Errors
    /// An [`EvalError`] (`400 invalidFilter`) when the filter cannot apply to the schema,
    /// for example `gt` on a boolean.
    pub fn compile(filter: &Filter, _facts: &dyn AttributeFacts) -> Result<Self, EvalError> {
        Ok(Self { _filter: filter.clone() })
    }

    /// Whether `resource` (a JSON object) matches.
    pub fn matches(&self, _resource: &Value) -> bool {
        false
    }
}

/// Compiles and evaluates in one step; prefer [`CompiledFilter`] for many resources.
///
/// # Errors
/// As [`CompiledFilter::compile`].
pub fn evaluate(filter: &Filter, resource: &Value, facts: &dyn AttributeFacts) -> Result<bool, EvalError> {
    Ok(CompiledFilter::compile(filter, facts)?.matches(resource))
}
