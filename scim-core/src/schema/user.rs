//! The core User schema (RFC 7643 §4.1, schema representation §8.7.1).

use super::common::{boolean, common_attributes, complex, plural_subs, reference, string};
use super::{AttrType, AttributeDef, Mutability, Returned, Schema, Uniqueness};
use crate::urn;

/// The core User schema, `urn:ietf:params:scim:schemas:core:2.0:User`, with the common
/// attributes `id`, `externalId` and `meta` at its head.
pub fn user_schema() -> Schema {
    let mut attributes = common_attributes();
    attributes.extend([
        string(
            "userName",
            "Unique identifier for the User, typically used by the user to directly authenticate to the service \
             provider. Each User MUST include a non-empty userName value. This identifier MUST be unique across the \
             service provider's entire set of Users.",
        )
        .with_required()
        .with_uniqueness(Uniqueness::Server),
        complex(
            "name",
            "The components of the user's real name.",
            vec![
                string(
                    "formatted",
                    "The full name, including all middle names, titles, and suffixes as appropriate, formatted for \
                     display (e.g., 'Ms. Barbara J Jensen, III').",
                ),
                string("familyName", "The family name of the User, or last name in most Western languages."),
                string("givenName", "The given name of the User, or first name in most Western languages."),
                string("middleName", "The middle name(s) of the User."),
                string("honorificPrefix", "The honorific prefix(es) of the User, or title in most Western languages."),
                string("honorificSuffix", "The honorific suffix(es) of the User, or suffix in most Western languages."),
            ],
        ),
        string("displayName", "The name of the User, suitable for display to end-users."),
        string("nickName", "The casual way to address the user in real life."),
        reference("profileUrl", &["external"], "A fully qualified URL pointing to a page representing the User's online profile."),
        string("title", "The user's title, such as \"Vice President\"."),
        string("userType", "Used to identify the relationship between the organization and the user."),
        string("preferredLanguage", "Indicates the User's preferred written or spoken language (e.g., 'en-US')."),
        string("locale", "Used to indicate the User's default location for purposes of localizing items (e.g., 'en-US')."),
        string("timezone", "The User's time zone in the 'Olson' time zone database format, e.g., 'America/Los_Angeles'."),
        boolean("active", "A Boolean value indicating the User's administrative status."),
        string(
            "password",
            "The User's cleartext password. Write-only and never returned; this library does not store it.",
        )
        .with_mutability(Mutability::WriteOnly)
        .with_returned(Returned::Never),
        complex(
            "emails",
            "Email addresses for the user.",
            plural_subs(
                string("value", "Email addresses for the user, canonicalized per RFC 5321."),
                "mailing address or primary email address",
                &["work", "home", "other"],
            ),
        )
        .with_multi_valued(),
        complex(
            "phoneNumbers",
            "Phone numbers for the User.",
            plural_subs(
                string("value", "Phone number of the User."),
                "phone number",
                &["work", "home", "mobile", "fax", "pager", "other"],
            ),
        )
        .with_multi_valued(),
        complex(
            "ims",
            "Instant messaging addresses for the User.",
            plural_subs(
                string("value", "Instant messaging address for the User."),
                "messenger",
                &["aim", "gtalk", "icq", "xmpp", "msn", "skype", "qq", "yahoo"],
            ),
        )
        .with_multi_valued(),
        complex(
            "photos",
            "URLs of photos of the User.",
            plural_subs(
                reference("value", &["external"], "URL of a photo of the User."),
                "photo or thumbnail",
                &["photo", "thumbnail"],
            ),
        )
        .with_multi_valued(),
        complex(
            "addresses",
            "A physical mailing address for this User.",
            vec![
                string("formatted", "The full mailing address, formatted for display or use with a mailing label."),
                string("streetAddress", "The full street address component, which may include house number, street name, P.O. box, and multi-line extended street address information."),
                string("locality", "The city or locality component."),
                string("region", "The state or region component."),
                string("postalCode", "The zip code or postal code component."),
                string("country", "The country name component (ISO 3166-1 alpha-2 code)."),
                string("type", "A label indicating the attribute's function, e.g., 'work' or 'home'.")
                    .with_canonical_values(["work", "home", "other"]),
                boolean("primary", "A Boolean value indicating the 'primary' or preferred address. The primary attribute value 'true' MUST appear no more than once."),
            ],
        )
        .with_multi_valued(),
        complex(
            "groups",
            "A list of groups to which the user belongs, either through direct membership, through nested groups, or \
             dynamically calculated. Read-only: membership is changed through the Group resource.",
            vec![
                string("value", "The identifier of the User's group.").with_mutability(Mutability::ReadOnly),
                reference("$ref", &["User", "Group"], "The URI of the corresponding 'Group' resource to which the user belongs.")
                    .with_mutability(Mutability::ReadOnly),
                string("display", "A human-readable name, primarily used for display purposes.")
                    .with_mutability(Mutability::ReadOnly),
                string("type", "A label indicating the attribute's function, e.g., 'direct' or 'indirect'.")
                    .with_canonical_values(["direct", "indirect"])
                    .with_mutability(Mutability::ReadOnly),
            ],
        )
        .with_multi_valued()
        .with_mutability(Mutability::ReadOnly),
        complex(
            "entitlements",
            "A list of entitlements for the User that represent a thing the User has.",
            plural_subs(string("value", "The value of an entitlement."), "entitlement", &[]),
        )
        .with_multi_valued(),
        complex(
            "roles",
            "A list of roles for the User that collectively represent who the User is, e.g., 'Student', 'Faculty'.",
            plural_subs(string("value", "The value of a role."), "role", &[]),
        )
        .with_multi_valued(),
        complex(
            "x509Certificates",
            "A list of certificates issued to the User.",
            plural_subs(
                AttributeDef::new("value", AttrType::Binary).with_description("The value of an X.509 certificate (DER, base64)."),
                "certificate",
                &[],
            ),
        )
        .with_multi_valued(),
    ]);
    Schema { id: urn::USER.to_owned(), name: "User".to_owned(), description: "User Account".to_owned(), attributes }
}
