//! The registry of a standard SCIM service ([`SchemaRegistry::scim_default`]): the User
//! resource type with the enterprise and lifecycle extensions, and the Group resource type.

use super::enterprise::enterprise_user_schema;
use super::group::group_schema;
use super::lifecycle::lifecycle_user_schema;
use super::user::user_schema;
use super::{ResourceType, SchemaRegistry};
use crate::urn;

impl SchemaRegistry {
    /// The registry of a standard SCIM service: resource type `User` (`/Users`, core User
    /// schema, with the enterprise extension and this library's read-only lifecycle extension,
    /// neither required) and resource type `Group` (`/Groups`, core Group schema).
    ///
    /// Hosts add their own schemas with [`add_schema`](Self::add_schema) and attach them with
    /// [`add_extension`](Self::add_extension).
    pub fn scim_default() -> Self {
        let mut registry = Self::empty();
        registry.add_schema(user_schema());
        registry.add_schema(enterprise_user_schema());
        registry.add_schema(lifecycle_user_schema());
        registry.add_schema(group_schema());
        registry.add_resource_type(ResourceType {
            id: "User".to_owned(),
            name: "User".to_owned(),
            endpoint: "/Users".to_owned(),
            description: "User Account".to_owned(),
            schema: urn::USER.to_owned(),
            extensions: Vec::new(),
        });
        registry.add_extension("User", urn::ENTERPRISE_USER, false);
        registry.add_extension("User", urn::LIFECYCLE_USER, false);
        registry.add_resource_type(ResourceType {
            id: "Group".to_owned(),
            name: "Group".to_owned(),
            endpoint: "/Groups".to_owned(),
            description: "Group".to_owned(),
            schema: urn::GROUP.to_owned(),
            extensions: Vec::new(),
        });
        registry
    }
}
