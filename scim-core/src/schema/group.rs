//! The core Group schema (RFC 7643 §4.2, schema representation §8.7.1).

use super::common::{common_attributes, complex, reference, string};
use super::{Mutability, Schema, Uniqueness};
use crate::urn;

/// The core Group schema, `urn:ietf:params:scim:schemas:core:2.0:Group`, with the common
/// attributes `id`, `externalId` and `meta` at its head.
///
/// `displayName` is required (RFC 7643 §4.2 says "REQUIRED"; the §8.7.1 listing says otherwise,
/// and every client sends it) and unique per tenant, ignoring case, as the stores enforce
/// (`uniqueness: server`; §8.7.1 lists `none`, which would let two groups share a name that
/// hosts and admins tell groups apart by).
pub fn group_schema() -> Schema {
    let mut attributes = common_attributes();
    attributes.extend([
        string("displayName", "A human-readable name for the Group.")
            .with_required()
            .with_uniqueness(Uniqueness::Server),
        complex(
            "members",
            "A list of members of the Group.",
            vec![
                string("value", "Identifier of the member of this Group.").with_mutability(Mutability::Immutable),
                reference(
                    "$ref",
                    &["User", "Group"],
                    "The URI corresponding to a SCIM resource that is a member of this Group.",
                )
                .with_mutability(Mutability::Immutable),
                string("display", "A human-readable name for the member, primarily used for display purposes."),
                string("type", "A label indicating the type of resource, e.g., 'User' or 'Group'.")
                    .with_canonical_values(["User", "Group"])
                    .with_mutability(Mutability::Immutable),
            ],
        )
        .with_multi_valued(),
    ]);
    Schema { id: urn::GROUP.to_owned(), name: "Group".to_owned(), description: "Group".to_owned(), attributes }
}
