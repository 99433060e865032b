//! [`Group`]'s own accessors: its members.

use super::common::Group;
use super::plural::{PluralValue, plural};
use serde_json::Value;

impl Group {
    /// The `value` of each member, in order.
    pub fn member_ids(&self) -> impl Iterator<Item = &str> {
        self.as_object()
            .get("members")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|m| m.get("value").and_then(Value::as_str))
    }
}

impl Group {
    /// The `members`, in order (`value` is the member's id, `kind` is `User` or `Group`).
    pub fn members(&self) -> impl Iterator<Item = PluralValue<'_>> {
        plural(self.as_object(), "members")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn group_members() {
        let group = Group::from_json(json!({"members": [
            {"value": "u1", "display": "Ann", "type": "User"}, {"value": "g2", "type": "Group"}, {"display": "no id"}
        ]}));
        let members: Vec<(&str, Option<&str>)> = group.members().map(|m| (m.value, m.kind)).collect();
        assert_eq!(members, [("u1", Some("User")), ("g2", Some("Group"))]);
        assert_eq!(group.member_ids().collect::<Vec<_>>(), ["u1", "g2"]);
    }
}
