//! What the evaluator needs to know about attributes, supplied by a schema.

use crate::AttrPath;

/// The SCIM data type of an attribute (RFC 7643 §2.3).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AttrType {
    /// `string`.
    String,
    /// `boolean`.
    Boolean,
    /// `decimal`.
    Decimal,
    /// `integer`.
    Integer,
    /// `dateTime` (xsd:dateTime, compared as instants).
    DateTime,
    /// `binary` (base64; only `eq`, `ne`, `pr`).
    Binary,
    /// `reference` (compared as a case-exact string).
    Reference,
    /// `complex`.
    Complex,
}

impl AttrType {
    /// The RFC 7643 §2.3 name: `string`, `boolean`, `decimal`, `integer`, `dateTime`,
    /// `binary`, `reference` or `complex`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::String => "string",
            Self::Boolean => "boolean",
            Self::Decimal => "decimal",
            Self::Integer => "integer",
            Self::DateTime => "dateTime",
            Self::Binary => "binary",
            Self::Reference => "reference",
            Self::Complex => "complex",
        }
    }
}

/// Facts about one resolved attribute.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttrFacts {
    /// The JSON keys leading to the attribute, in the schema's canonical casing.
    ///
    /// For a top-level path this starts at the resource root, e.g. `["userName"]`,
    /// `["emails", "value"]`, `["urn:ietf:params:scim:schemas:extension:enterprise:2.0:User",
    /// "manager", "value"]`. For a path inside a value filter (`emails[type eq "work"]`)
    /// it is relative to one element: `["type"]`.
    pub keys: Vec<String>,
    /// The type of the attribute the path ends at.
    pub attr_type: AttrType,
    /// Whether string comparison is case-sensitive.
    pub case_exact: bool,
    /// Whether the attribute the path ends at is multi-valued.
    pub multi_valued: bool,
}

/// Supplies attribute facts to the compiler. `scim-core` implements it from its schemas.
///
/// Returning `None` means "unknown attribute": the evaluator then looks the path up by name,
/// case-insensitively, infers the type from the JSON value and compares strings
/// case-insensitively.
pub trait AttributeFacts {
    /// Resolves `path`. `parent` is `Some(attr)` when `path` appears inside the brackets of
    /// the value filter `attr[...]`; the returned keys are then relative to one element of `attr`.
    fn resolve(&self, parent: Option<&AttrPath>, path: &AttrPath) -> Option<AttrFacts>;
}

/// An [`AttributeFacts`] that knows no attribute: every path is resolved dynamically.
#[derive(Debug, Clone, Copy, Default)]
pub struct NoSchema;

impl AttributeFacts for NoSchema {
    fn resolve(&self, _parent: Option<&AttrPath>, _path: &AttrPath) -> Option<AttrFacts> {
        None
    }
}
