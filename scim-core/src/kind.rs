//! The resource types this library serves itself: [`ResourceKind`].

use crate::urn;

/// A resource type this library knows by name: `User` or `Group`.
///
/// The registry holds each one's definition ([`SchemaRegistry::kind`](crate::SchemaRegistry::kind));
/// the functions that validate, patch, project and filter resources take that definition
/// (a [`ResourceType`](crate::schema::ResourceType)), so a misspelt type is a compile error,
/// not a runtime `500`. Host-defined resource types are looked up by name with
/// [`SchemaRegistry::resource_type`](crate::SchemaRegistry::resource_type).
///
/// ```
/// use scim_core::{ResourceKind, SchemaRegistry, urn};
///
/// assert_eq!(ResourceKind::User.name(), "User");
/// assert_eq!(ResourceKind::Group.endpoint(), "/Groups");
/// assert_eq!(ResourceKind::User.core_urn(), urn::USER);
/// assert_eq!(ResourceKind::Group.name_attribute(), "displayName");
/// assert_eq!(ResourceKind::User.derived_attribute(), "groups");
///
/// let registry = SchemaRegistry::scim_default();
/// for kind in ResourceKind::ALL {
///     let rt = registry.kind(kind).expect("the default registry has User and Group");
///     assert_eq!(rt.name, kind.name());
/// }
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResourceKind {
    /// `User`, at `/Users`.
    User,
    /// `Group`, at `/Groups`.
    Group,
}

impl ResourceKind {
    /// Every kind, `User` first.
    pub const ALL: [Self; 2] = [Self::User, Self::Group];

    /// The resource type's name, as in `meta.resourceType`: `User`, `Group`.
    pub const fn name(self) -> &'static str {
        match self {
            Self::User => "User",
            Self::Group => "Group",
        }
    }

    /// The endpoint, relative to the base URL: `/Users`, `/Groups`.
    pub const fn endpoint(self) -> &'static str {
        match self {
            Self::User => "/Users",
            Self::Group => "/Groups",
        }
    }

    /// The core schema URN: [`urn::USER`], [`urn::GROUP`].
    pub const fn core_urn(self) -> &'static str {
        match self {
            Self::User => urn::USER,
            Self::Group => urn::GROUP,
        }
    }

    /// The required, server-unique naming attribute: `userName`, `displayName`.
    pub const fn name_attribute(self) -> &'static str {
        match self {
            Self::User => "userName",
            Self::Group => "displayName",
        }
    }

    /// The attribute a store keeps apart from the stored document and attaches when it hands
    /// the resource out: a User's read-only `groups` (derived from group memberships), a
    /// Group's `members`.
    pub const fn derived_attribute(self) -> &'static str {
        match self {
            Self::User => "groups",
            Self::Group => "members",
        }
    }
}
