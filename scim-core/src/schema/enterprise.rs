//! The enterprise User extension (RFC 7643 §4.3, schema representation §8.7.1).

use super::common::{complex, reference, string};
use super::{Mutability, Schema};
use crate::urn;

/// The enterprise User extension, `urn:ietf:params:scim:schemas:extension:enterprise:2.0:User`.
///
/// `manager` is complex; a bare string (as Entra sends it) is accepted as `{"value": …}`.
pub fn enterprise_user_schema() -> Schema {
    Schema {
        id: urn::ENTERPRISE_USER.to_owned(),
        name: "EnterpriseUser".to_owned(),
        description: "Enterprise User".to_owned(),
        attributes: vec![
            string(
                "employeeNumber",
                "Numeric or alphanumeric identifier assigned to a person, typically based on order of hire or association with an organization.",
            ),
            string("costCenter", "Identifies the name of a cost center."),
            string("organization", "Identifies the name of an organization."),
            string("division", "Identifies the name of a division."),
            string("department", "Identifies the name of a department."),
            complex(
                "manager",
                "The User's manager. A complex type that optionally allows service providers to represent \
                 organizational hierarchy by referencing the 'id' attribute of another User.",
                vec![
                    string("value", "The id of the SCIM resource representing the User's manager."),
                    reference("$ref", &["User"], "The URI of the SCIM resource representing the User's manager."),
                    string("displayName", "The displayName of the User's manager.")
                        .with_mutability(Mutability::ReadOnly),
                ],
            ),
        ],
    }
}
