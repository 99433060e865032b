//! [`User`]'s own accessors: `userName`, `active`, the lifecycle state, name parts, emails,
//! phone numbers and the enterprise extension.

use super::common::User;
use super::plural::{PluralValue, plural, preferred, str_at};
use crate::lifecycle::Lifecycle;
use crate::urn;
use serde_json::{Map, Value};

impl User {
    /// `userName`.
    pub fn user_name(&self) -> Option<&str> {
        self.doc.str_at("userName", None)
    }

    /// A copy of the top-level attribute `name` (exact case) as JSON.
    pub(crate) fn attribute_json(&self, name: &str) -> Option<Value> {
        self.doc.attribute_json(name)
    }

    /// `active`; an absent `active` counts as `true`.
    pub fn active(&self) -> bool {
        self.doc.bool_at("active").unwrap_or(true)
    }

    /// The lifecycle state, read from the lifecycle extension (pending when absent).
    pub fn lifecycle(&self) -> Lifecycle {
        match self.doc.compact_object(urn::LIFECYCLE_USER) {
            // Read without turning a compact document into JSON.
            Some(ext) => ext.map(|ext| Lifecycle::from_fields(|k| ext.get(k)?.as_str())).unwrap_or_default(),
            None => self.as_object().get(urn::LIFECYCLE_USER).map(Lifecycle::from_json).unwrap_or_default(),
        }
    }

    /// Writes the lifecycle state into the lifecycle extension.
    pub fn set_lifecycle(&mut self, lifecycle: &Lifecycle) {
        self.as_object_mut().insert(urn::LIFECYCLE_USER.into(), lifecycle.to_json());
    }
}

impl User {
    /// `name.<part>` (`givenName`, `familyName`, `formatted`, …), with the canonical key.
    pub fn name_part(&self, part: &str) -> Option<&str> {
        self.as_object().get("name").and_then(Value::as_object).and_then(|n| str_at(n, part))
    }

    /// `name.givenName`.
    pub fn given_name(&self) -> Option<&str> {
        self.name_part("givenName")
    }

    /// `name.familyName`.
    pub fn family_name(&self) -> Option<&str> {
        self.name_part("familyName")
    }

    /// The `emails`, in order.
    pub fn emails(&self) -> impl Iterator<Item = PluralValue<'_>> + Clone {
        plural(self.as_object(), "emails")
    }

    /// The address to write to: the primary email, else the first `work` email, else the first.
    pub fn preferred_email(&self) -> Option<&str> {
        preferred(self.emails(), "work")
    }

    /// The `phoneNumbers`, in order.
    pub fn phone_numbers(&self) -> impl Iterator<Item = PluralValue<'_>> {
        plural(self.as_object(), "phoneNumbers")
    }

    /// The enterprise extension object, if present.
    pub fn enterprise(&self) -> Option<&Map<String, Value>> {
        self.as_object().get(urn::ENTERPRISE_USER).and_then(Value::as_object)
    }

    /// `urn:…:enterprise:2.0:User:employeeNumber`.
    pub fn employee_number(&self) -> Option<&str> {
        self.enterprise().and_then(|e| str_at(e, "employeeNumber"))
    }

    /// `urn:…:enterprise:2.0:User:department`.
    pub fn department(&self) -> Option<&str> {
        self.enterprise().and_then(|e| str_at(e, "department"))
    }

    /// The manager's id: `urn:…:enterprise:2.0:User:manager.value` (a bare string, as an
    /// unvalidated document may hold, is read too).
    pub fn manager_id(&self) -> Option<&str> {
        match self.enterprise()?.get("manager")? {
            Value::String(s) => Some(s),
            Value::Object(m) => str_at(m, "value"),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use serde_json::json;

    #[test]
    fn lifecycle_reads_alike_from_compact_and_json() {
        let mut user = User::from_json(json!({"userName": "a"}));
        assert_eq!(User::from_compact(user.to_compact()).lifecycle(), Lifecycle::default(), "no extension");
        let t = chrono::TimeZone::with_ymd_and_hms(&Utc, 2026, 1, 2, 3, 4, 5).single().expect("time");
        let lc = Lifecycle {
            status: crate::UserStatus::Suspended,
            invited_at: Some(t - chrono::Duration::days(1)),
            activated_at: None,
            suspended_at: Some(t),
            purge_at: Some(t + chrono::Duration::days(30)),
        };
        user.set_lifecycle(&lc);
        assert_eq!(user.lifecycle(), lc);
        let compact = User::from_compact(user.to_compact());
        assert_eq!(compact.lifecycle(), lc);
        assert_eq!(compact.as_json(), user.as_json(), "to_compact loses nothing");
    }

    #[test]
    fn user_accessors() {
        let user = User::from_json(json!({
            "id": "u1", "userName": "bjensen", "externalId": "e1", "displayName": "Babs",
            "name": {"givenName": "Barbara", "familyName": "Jensen"},
            "emails": [{"value": "home@x.org", "type": "home"}, {"value": "work@x.org", "type": "work"}, {"type": "other"}],
            "phoneNumbers": [{"value": "+1 555", "type": "work", "primary": true}],
            urn::ENTERPRISE_USER: {"employeeNumber": "701984", "department": "Tour", "manager": {"value": "m1"}}
        }));
        assert_eq!(user.given_name(), Some("Barbara"));
        assert_eq!(user.family_name(), Some("Jensen"));
        assert_eq!(user.name_part("middleName"), None);
        // Elements without a string `value` are skipped.
        let emails: Vec<&str> = user.emails().map(|e| e.value).collect();
        assert_eq!(emails, ["home@x.org", "work@x.org"]);
        assert_eq!(user.preferred_email(), Some("work@x.org"));
        let phone = user.phone_numbers().next().unwrap();
        assert_eq!((phone.value, phone.kind, phone.primary, phone.display), ("+1 555", Some("work"), true, None));
        assert_eq!(user.employee_number(), Some("701984"));
        assert_eq!(user.department(), Some("Tour"));
        assert_eq!(user.manager_id(), Some("m1"));
        assert!(user.active());
    }

    #[test]
    fn preferred_email_order() {
        let primary =
            User::from_json(json!({"emails": [{"value": "a", "type": "work"}, {"value": "b", "primary": true}]}));
        assert_eq!(primary.preferred_email(), Some("b"));
        let first = User::from_json(json!({"emails": [{"value": "a", "type": "home"}, {"value": "b"}]}));
        assert_eq!(first.preferred_email(), Some("a"));
        assert_eq!(User::from_json(json!({})).preferred_email(), None);
        let bare_manager = User::from_json(json!({urn::ENTERPRISE_USER: {"manager": "m2"}}));
        assert_eq!(bare_manager.manager_id(), Some("m2"));
    }
}
