//! One operation of a PATCH request, as parsed: its kind, its path, its value and, for a
//! no-path `add`/`replace`, the value object's keys with their parsed paths.

use crate::ScimError;
use scim_query::PatchPath;
use serde_json::Value;

/// The kind of a PATCH operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PatchOpKind {
    /// `add`.
    Add,
    /// `remove`.
    Remove,
    /// `replace`.
    Replace,
}

impl PatchOpKind {
    /// The RFC name: `add`, `remove`, `replace`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Add => "add",
            Self::Remove => "remove",
            Self::Replace => "replace",
        }
    }
}

/// One key of a no-path value object, with its parsed path.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct ValueEntry {
    pub(super) path: PatchPath,
    pub(super) value: Value,
}

/// One operation of a [`PatchOp`](super::PatchOp).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOperation {
    pub(super) kind: PatchOpKind,
    pub(super) path: Option<PatchPath>,
    pub(super) path_text: Option<String>,
    pub(super) value: Option<Value>,
    /// For `add`/`replace` without a path: the value object's keys, parsed.
    pub(super) entries: Vec<ValueEntry>,
}

impl PatchOperation {
    /// `add`, `remove` or `replace`.
    pub fn kind(&self) -> PatchOpKind {
        self.kind
    }

    /// The parsed path; `None` targets the resource itself.
    pub fn path(&self) -> Option<&PatchPath> {
        self.path.as_ref()
    }

    /// The path as the client wrote it (trimmed).
    pub fn path_text(&self) -> Option<&str> {
        self.path_text.as_deref()
    }

    /// The value as the client sent it.
    pub fn value(&self) -> Option<&Value> {
        self.value.as_ref()
    }
}

/// Prefixes an error's detail with the operation it came from.
pub(super) fn at_operation(index: usize, path: Option<&str>, e: &ScimError) -> ScimError {
    let detail = match path {
        Some(p) => format!("Operations[{index}] (path \"{p}\"): {}", e.detail()),
        None => format!("Operations[{index}]: {}", e.detail()),
    };
    ScimError::new(e.status(), e.scim_type(), detail)
}
