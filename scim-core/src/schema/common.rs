//! The common attributes (RFC 7643 §3.1) that every resource carries, and small builders
//! shared by the schema definitions.

use super::{AttrType, AttributeDef, Mutability, Returned, Uniqueness};

pub(crate) fn string(name: &str, description: &str) -> AttributeDef {
    AttributeDef::new(name, AttrType::String).with_description(description)
}

pub(crate) fn boolean(name: &str, description: &str) -> AttributeDef {
    AttributeDef::new(name, AttrType::Boolean).with_description(description)
}

pub(crate) fn date_time(name: &str, description: &str) -> AttributeDef {
    AttributeDef::new(name, AttrType::DateTime).with_description(description)
}

pub(crate) fn reference(name: &str, types: &[&str], description: &str) -> AttributeDef {
    AttributeDef::new(name, AttrType::Reference)
        .with_description(description)
        .with_reference_types(types.iter().copied())
}

pub(crate) fn complex(name: &str, description: &str, subs: Vec<AttributeDef>) -> AttributeDef {
    AttributeDef::new(name, AttrType::Complex).with_description(description).with_sub_attributes(subs)
}

/// The sub-attributes RFC 7643 §2.4 gives most multi-valued attributes: `value`, `display`,
/// `type` (with `types` as canonical values) and `primary`.
pub(crate) fn plural_subs(value: AttributeDef, what: &str, types: &[&str]) -> Vec<AttributeDef> {
    vec![
        value,
        string("display", "A human-readable name, primarily used for display purposes."),
        string("type", &format!("A label indicating the attribute's function, e.g. {}.", describe_types(what, types)))
            .with_canonical_values(types.iter().copied()),
        boolean(
            "primary",
            &format!(
                "A Boolean value indicating the 'primary' or preferred attribute value for this attribute, e.g., the preferred {what}. The primary attribute value 'true' MUST appear no more than once."
            ),
        ),
    ]
}

fn describe_types(what: &str, types: &[&str]) -> String {
    if types.is_empty() { format!("the kind of {what}") } else { format!("'{}'", types.join("' or '")) }
}

/// `id`, `externalId` and `meta` (RFC 7643 §3.1), listed at the head of each core schema.
pub(crate) fn common_attributes() -> Vec<AttributeDef> {
    vec![
        string(
            "id",
            "A unique identifier for a SCIM resource as defined by the service provider. Issued by the service provider; \
             clients cannot set it.",
        )
        .with_case_exact()
        .with_mutability(Mutability::ReadOnly)
        .with_returned(Returned::Always)
        .with_uniqueness(Uniqueness::Server),
        string(
            "externalId",
            "A String that is an identifier for the resource as defined by the provisioning client.",
        )
        .with_case_exact(),
        complex(
            "meta",
            "A complex attribute containing resource metadata.",
            vec![
                string("resourceType", "The name of the resource type of the resource.")
                    .with_case_exact()
                    .with_mutability(Mutability::ReadOnly),
                date_time("created", "The \"DateTime\" that the resource was added to the service provider.")
                    .with_mutability(Mutability::ReadOnly),
                date_time("lastModified", "The most recent DateTime that the details of this resource were updated.")
                    .with_mutability(Mutability::ReadOnly),
                reference("location", &["uri"], "The URI of the resource being returned.")
                    .with_case_exact()
                    .with_mutability(Mutability::ReadOnly),
                string("version", "The version of the resource being returned (an ETag).")
                    .with_case_exact()
                    .with_mutability(Mutability::ReadOnly),
            ],
        )
        .with_mutability(Mutability::ReadOnly),
    ]
}
