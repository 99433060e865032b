//! Schemas (RFC 7643 §2, §7): attribute definitions, resource types and the registry.
//!
//! [`SchemaRegistry::scim_default`] holds the User (with the enterprise and lifecycle
//! extensions) and Group resource types; hosts add their own schemas and extensions. The
//! registry validates client documents, resolves attribute paths for filters
//! ([`ResourceFacts`]) and renders the discovery documents.
//!
//! # Validation
//!
//! What [`SchemaRegistry::validate`] does with a client document:
//!
//! - **Names** are canonicalised to the schema's casing, at every level: top-level attributes,
//!   sub-attributes and the attributes inside extension objects. Extension URNs are matched
//!   ignoring case. An exact match is tried first, so canonical input costs no case folding.
//! - **Read-only** attributes (`id`, `meta`, `groups`, the lifecycle extension, `manager.displayName`, …)
//!   are dropped without an error: Okta sends `groups: []` on every create and returns the whole
//!   resource (with `id` and `meta`) on PUT.
//! - **Write-only** attributes (`password`) are dropped: this library never stores secrets, and the
//!   service provider configuration says `changePassword: false`.
//! - **Unassigned** values are dropped: JSON `null`, empty arrays and complex values left empty
//!   (`{"value": null}`), as RFC 7643 §2.5 makes them equivalent to an absent attribute.
//! - **`schemas`** must be a URI or an array of URIs; unknown URIs in it are tolerated (Entra
//!   sends an extra Microsoft URI on group create) and it may be missing. The output's `schemas`
//!   is rebuilt: the core schema plus each extension present in the output.
//! - **Unknown attributes** (including an extension object under a URN the resource type does not
//!   have, such as Entra's malformed `…:enterprise:2.0User`) follow the registry's
//!   [`UnknownAttributes`] policy: dropped (the default) or rejected with `400 invalidValue`.
//! - **Types** are checked (`400 invalidValue` naming the attribute). `"True"`/`"False"` strings (any
//!   case) become booleans; `dateTime` must be RFC 3339; `binary` must be base64; `integer` must be
//!   a whole JSON number. Strings are stored exactly as sent.
//! - **Complex attributes** given a bare simple value become `{"value": …}` when the attribute has a
//!   `value` sub-attribute: Entra sends `manager` as an id string, and `manager` is always stored
//!   as an object.
//! - **Multi-valued attributes** given a single value (not an array) are treated as a one-element
//!   array. At most one value may have `primary: true`. Where the attribute has a `primary`
//!   sub-attribute and its `type` has canonical values (`emails`, `phoneNumbers`, `ims`, `photos`,
//!   `addresses`), at most one value may have each `type` (compared ignoring case); values without
//!   a `type` are not counted. `roles` and `entitlements` are exempt: Entra sends several roles of
//!   one type. Canonical values are suggestions (RFC 7643 §7) and are not enforced.
//! - **Required** attributes must be present and not empty (`userName`, Group `displayName`).
//! - **Immutable** top-level attributes, on replace (`existing` given), must keep their value
//!   (`400 mutability`); when the client omits one, the existing value is kept.

mod common;
mod discovery;
mod enterprise;
mod facts;
mod group;
mod lifecycle;
mod standard;
mod unknown;
mod user;
mod validate;
mod value;

pub use discovery::ServiceProviderConfig;
pub use enterprise::enterprise_user_schema;
pub use facts::ResourceFacts;
pub use group::group_schema;
pub use lifecycle::lifecycle_user_schema;
pub use scim_query::AttrType;
pub use unknown::UnknownAttributes;
pub use user::user_schema;

use crate::{ResourceKind, ScimError};
use scim_query::AttrPath;

/// `mutability` (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Mutability {
    /// Clients cannot set it; the server ignores it on input.
    ReadOnly,
    /// Clients may read and write it.
    #[default]
    ReadWrite,
    /// Set once (on create, or when empty), never changed after.
    Immutable,
    /// Clients may write it; it is never returned.
    WriteOnly,
}

/// `returned` (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Returned {
    /// Always returned, whatever `attributes`/`excludedAttributes` say.
    Always,
    /// Never returned (`password`).
    Never,
    /// Returned unless excluded.
    #[default]
    Default,
    /// Returned only when named in `attributes`.
    Request,
}

/// `uniqueness` (RFC 7643 §2.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Uniqueness {
    /// No uniqueness.
    #[default]
    None,
    /// Unique within the server (here: within a tenant).
    Server,
    /// Globally unique.
    Global,
}

/// One attribute definition, with every RFC 7643 §7 characteristic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttributeDef {
    /// Name in canonical casing.
    pub name: String,
    /// Data type.
    pub attr_type: AttrType,
    /// Whether the value is an array.
    pub multi_valued: bool,
    /// Human-readable description.
    pub description: String,
    /// Whether a value is required.
    pub required: bool,
    /// Whether string comparison is case-sensitive.
    pub case_exact: bool,
    /// Mutability.
    pub mutability: Mutability,
    /// When it is returned.
    pub returned: Returned,
    /// Uniqueness.
    pub uniqueness: Uniqueness,
    /// Suggested values (`type` of emails: `work`, `home`, `other`).
    pub canonical_values: Vec<String>,
    /// For `reference` attributes: `User`, `Group`, `external`, `uri`.
    pub reference_types: Vec<String>,
    /// Sub-attributes of a complex attribute.
    pub sub_attributes: Vec<Self>,
}

impl AttributeDef {
    /// A single-valued, optional, read-write, case-insensitive attribute of `attr_type`.
    pub fn new(name: impl Into<String>, attr_type: AttrType) -> Self {
        Self {
            name: name.into(),
            attr_type,
            multi_valued: false,
            description: String::new(),
            required: false,
            case_exact: false,
            mutability: Mutability::ReadWrite,
            returned: Returned::Default,
            uniqueness: Uniqueness::None,
            canonical_values: Vec::new(),
            reference_types: Vec::new(),
            sub_attributes: Vec::new(),
        }
    }

    /// The sub-attribute named `name`: an exact match first, then ignoring case.
    pub fn sub_attribute(&self, name: &str) -> Option<&Self> {
        find_attr(&self.sub_attributes, name)
    }

    /// Sets `description`.
    #[must_use]
    pub fn with_description(mut self, description: impl Into<String>) -> Self {
        self.description = description.into();
        self
    }

    /// Makes the attribute multi-valued.
    #[must_use]
    pub fn with_multi_valued(mut self) -> Self {
        self.multi_valued = true;
        self
    }

    /// Makes the attribute required.
    #[must_use]
    pub fn with_required(mut self) -> Self {
        self.required = true;
        self
    }

    /// Makes string comparison case-sensitive.
    #[must_use]
    pub fn with_case_exact(mut self) -> Self {
        self.case_exact = true;
        self
    }

    /// Sets `mutability`.
    #[must_use]
    pub fn with_mutability(mut self, mutability: Mutability) -> Self {
        self.mutability = mutability;
        self
    }

    /// Sets `returned`.
    #[must_use]
    pub fn with_returned(mut self, returned: Returned) -> Self {
        self.returned = returned;
        self
    }

    /// Sets `uniqueness`.
    #[must_use]
    pub fn with_uniqueness(mut self, uniqueness: Uniqueness) -> Self {
        self.uniqueness = uniqueness;
        self
    }

    /// Sets `canonicalValues`.
    #[must_use]
    pub fn with_canonical_values<I, S>(mut self, values: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.canonical_values = values.into_iter().map(Into::into).collect();
        self
    }

    /// Sets `referenceTypes`.
    #[must_use]
    pub fn with_reference_types<I, S>(mut self, types: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.reference_types = types.into_iter().map(Into::into).collect();
        self
    }

    /// Sets the sub-attributes (for `complex` attributes).
    #[must_use]
    pub fn with_sub_attributes(mut self, sub_attributes: Vec<Self>) -> Self {
        self.sub_attributes = sub_attributes;
        self
    }

    /// Whether clients can never set it (`readOnly`).
    pub fn is_read_only(&self) -> bool {
        self.mutability == Mutability::ReadOnly
    }
}

/// Finds an attribute by name: exact match first (the common case, no case folding), then ignoring case.
pub(crate) fn find_attr<'a>(attrs: &'a [AttributeDef], name: &str) -> Option<&'a AttributeDef> {
    let n = name.as_bytes();
    // Length and last byte first: attribute names are short and often share a length, and this
    // rejects almost every candidate without a `memcmp` call.
    let exact = |a: &&AttributeDef| {
        let b = a.name.as_bytes();
        b.len() == n.len() && b.last() == n.last() && b == n
    };
    attrs.iter().find(exact).or_else(|| attrs.iter().find(|a| a.name.eq_ignore_ascii_case(name)))
}

/// A schema: a URN and its attributes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schema {
    /// The schema URN.
    pub id: String,
    /// Short name (`User`).
    pub name: String,
    /// Description.
    pub description: String,
    /// Top-level attributes.
    pub attributes: Vec<AttributeDef>,
}

impl Schema {
    /// The attribute named `name`: an exact match first, then ignoring case.
    pub fn attribute(&self, name: &str) -> Option<&AttributeDef> {
        find_attr(&self.attributes, name)
    }
}

/// A schema extension of a resource type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaExtension {
    /// The extension's schema URN.
    pub schema: String,
    /// Whether resources must carry it.
    pub required: bool,
}

/// A resource type (RFC 7643 §6): `User` at `/Users`, `Group` at `/Groups`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResourceType {
    /// `User`.
    pub id: String,
    /// `User`.
    pub name: String,
    /// `/Users`.
    pub endpoint: String,
    /// Description.
    pub description: String,
    /// The core schema URN.
    pub schema: String,
    /// Extensions.
    pub extensions: Vec<SchemaExtension>,
}

/// An attribute found by path in a resource type's schemas.
#[derive(Debug, Clone, Copy)]
pub struct ResolvedAttribute<'a> {
    /// The schema that defines the top-level attribute.
    pub schema: &'a Schema,
    /// Whether that schema is an extension (its attributes sit under the schema URN key).
    pub is_extension: bool,
    /// The top-level attribute.
    pub attribute: &'a AttributeDef,
    /// The sub-attribute, when the path names one.
    pub sub_attribute: Option<&'a AttributeDef>,
}

impl ResolvedAttribute<'_> {
    /// The definition the path ends at.
    pub fn target(&self) -> &AttributeDef {
        self.sub_attribute.unwrap_or(self.attribute)
    }

    /// The canonical JSON keys from the resource root.
    pub fn keys(&self) -> Vec<String> {
        let mut keys = Vec::with_capacity(3);
        if self.is_extension {
            keys.push(self.schema.id.clone());
        }
        keys.push(self.attribute.name.clone());
        if let Some(sub) = self.sub_attribute {
            keys.push(sub.name.clone());
        }
        keys
    }
}

/// The schemas and resource types a server supports. Hosts add their own extensions.
#[derive(Debug, Clone, Default)]
pub struct SchemaRegistry {
    schemas: Vec<Schema>,
    resource_types: Vec<ResourceType>,
    unknown_attributes: UnknownAttributes,
}

impl SchemaRegistry {
    /// An empty registry.
    pub fn empty() -> Self {
        Self::default()
    }

    /// Sets the policy for attributes no schema defines (default [`UnknownAttributes::Ignore`]).
    #[must_use]
    pub fn with_unknown_attributes(mut self, policy: UnknownAttributes) -> Self {
        self.unknown_attributes = policy;
        self
    }

    /// The policy for attributes no schema defines.
    pub fn unknown_attributes(&self) -> UnknownAttributes {
        self.unknown_attributes
    }

    /// Adds (or replaces, by URN) a schema.
    pub fn add_schema(&mut self, schema: Schema) {
        self.schemas.retain(|s| !s.id.eq_ignore_ascii_case(&schema.id));
        self.schemas.push(schema);
    }

    /// Adds (or replaces, by name) a resource type.
    pub fn add_resource_type(&mut self, rt: ResourceType) {
        self.resource_types.retain(|r| !r.name.eq_ignore_ascii_case(&rt.name));
        self.resource_types.push(rt);
    }

    /// Adds an extension schema to a resource type (the schema must be added too).
    pub fn add_extension(&mut self, resource_type: &str, schema_urn: &str, required: bool) {
        if let Some(rt) = self.resource_types.iter_mut().find(|r| r.name.eq_ignore_ascii_case(resource_type)) {
            rt.extensions.retain(|e| !e.schema.eq_ignore_ascii_case(schema_urn));
            rt.extensions.push(SchemaExtension { schema: schema_urn.to_owned(), required });
        }
    }

    /// Every schema.
    pub fn schemas(&self) -> &[Schema] {
        &self.schemas
    }

    /// Every resource type.
    pub fn resource_types(&self) -> &[ResourceType] {
        &self.resource_types
    }

    /// The schema with this URN, ignoring case.
    pub fn schema(&self, urn: &str) -> Option<&Schema> {
        self.schemas.iter().find(|s| s.id.eq_ignore_ascii_case(urn))
    }

    /// The resource type with this name (`User`), ignoring case.
    pub fn resource_type(&self, name: &str) -> Option<&ResourceType> {
        self.resource_types.iter().find(|r| r.name.eq_ignore_ascii_case(name))
    }

    /// The registry's definition of `kind`: the resource type named [`ResourceKind::name`],
    /// ignoring case.
    ///
    /// # Errors
    ///
    /// `500` when the registry has no such resource type (a host built it without one).
    pub fn kind(&self, kind: ResourceKind) -> Result<&ResourceType, ScimError> {
        self.resource_type(kind.name()).ok_or_else(ScimError::internal)
    }

    /// The core schema and the extension schemas of a resource type, core first.
    pub fn schemas_of<'a>(&'a self, rt: &'a ResourceType) -> impl Iterator<Item = (&'a Schema, bool)> + 'a {
        self.schema(&rt.schema)
            .map(|s| (s, false))
            .into_iter()
            .chain(rt.extensions.iter().filter_map(|e| self.schema(&e.schema).map(|s| (s, true))))
    }

    /// Whether validating a replace of an `rt` resource reads the stored resource: only to
    /// keep its immutable top-level attributes, so only when a schema of the type has one
    /// (none of the RFC's User and Group schemas does).
    pub(crate) fn replace_reads_existing(&self, rt: &ResourceType) -> bool {
        self.schemas_of(rt).any(|(schema, _)| schema.attributes.iter().any(|a| a.mutability == Mutability::Immutable))
    }

    /// Finds the attribute a path names in resource type `rt`.
    ///
    /// A URN-qualified path is looked up in that schema only; an unqualified path in the
    /// core schema first, then in the extensions. Returns `None` for a path naming a whole
    /// extension (see [`AttrPath::full_urn`]) or an unknown attribute.
    pub fn resolve<'a>(&'a self, rt: &'a ResourceType, path: &AttrPath) -> Option<ResolvedAttribute<'a>> {
        let mut candidates = self.schemas_of(rt);
        let (schema, is_extension, attribute) = match &path.urn {
            Some(urn) => {
                let (schema, ext) = candidates.find(|(s, _)| s.id.eq_ignore_ascii_case(urn))?;
                (schema, ext, schema.attribute(&path.name)?)
            }
            None => candidates.find_map(|(s, ext)| s.attribute(&path.name).map(|a| (s, ext, a)))?,
        };
        let sub_attribute = match &path.sub_attr {
            Some(sub) => Some(attribute.sub_attribute(sub)?),
            None => None,
        };
        Some(ResolvedAttribute { schema, is_extension, attribute, sub_attribute })
    }
}
