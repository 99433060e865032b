//! Query strings, list parameters and request headers.

use crate::{Limits, ListRequest, ScimError};
use serde_json::Value;

/// Checks that a query string's components are UTF-8 once percent-decoded.
///
/// `form_urlencoded` replaces what is not UTF-8 with U+FFFD; the service answers `400`
/// instead. Decoding the whole string at once checks every component: the separators `&` and
/// `=` are ASCII (so an escape never spans two components, and a broken sequence stays broken
/// next to one), and `+` does not change what is UTF-8.
fn check_utf8(query: &str) -> Result<(), ScimError> {
    match percent_encoding::percent_decode_str(query).decode_utf8() {
        Ok(_) => Ok(()),
        Err(_) => Err(ScimError::invalid_value("a query parameter is not valid UTF-8 once decoded")),
    }
}

/// The SCIM query parameters of a request; unknown parameters (such as Entra's
/// `aadOptscim062020`) are ignored. Names are matched ignoring case.
#[derive(Debug, Default, Clone, PartialEq)]
pub(crate) struct Params {
    pub(crate) filter: Option<String>,
    pub(crate) attributes: Option<String>,
    pub(crate) excluded_attributes: Option<String>,
    pub(crate) sort_by: Option<String>,
    pub(crate) sort_order: Option<String>,
    pub(crate) start_index: Option<i64>,
    pub(crate) count: Option<i64>,
    /// RFC 9865 `cursor`; `Some("")` for `?cursor` or `?cursor=` (start a walk).
    pub(crate) cursor: Option<String>,
}

impl Params {
    /// Parses a raw query string (without the `?`).
    pub(crate) fn from_query(query: Option<&str>, limits: &Limits) -> Result<Self, ScimError> {
        let mut params = Self::default();
        let Some(query) = query else { return Ok(params) };
        check_utf8(query)?;
        // `application/x-www-form-urlencoded`: `+` is a space, `%XX` a byte, and invalid escapes
        // are kept literally (as browsers do).
        for (name, value) in form_urlencoded::parse(query.as_bytes()) {
            params.set(&name, Value::String(value.into_owned()), limits)?;
        }
        Ok(params)
    }

    /// Reads a SearchRequest body (RFC 7644 §3.4.3).
    pub(crate) fn from_search_request(body: &Value, limits: &Limits) -> Result<Self, ScimError> {
        let Some(object) = body.as_object() else {
            return Err(ScimError::invalid_syntax("a SearchRequest must be a JSON object"));
        };
        let mut params = Self::default();
        for (name, value) in object {
            if name.eq_ignore_ascii_case("schemas") {
                continue;
            }
            params.set(name, value.clone(), limits)?;
        }
        Ok(params)
    }

    fn set(&mut self, name: &str, value: Value, limits: &Limits) -> Result<(), ScimError> {
        let lower = name.to_ascii_lowercase();
        match lower.as_str() {
            "filter" => self.filter = Some(text(name, value)?),
            "attributes" => self.attributes = Some(list(name, value, limits.max_projection_names)?),
            "excludedattributes" => {
                self.excluded_attributes = Some(list(name, value, limits.max_projection_names)?);
            }
            "sortby" => self.sort_by = Some(text(name, value)?),
            "sortorder" => self.sort_order = Some(text(name, value)?),
            "startindex" => self.start_index = Some(integer(name, &value)?),
            "count" => self.count = Some(integer(name, &value)?),
            "cursor" => self.cursor = Some(text(name, value)?),
            _ => {}
        }
        Ok(())
    }

    /// The list request for the provisioning service.
    pub(crate) fn list_request(&self, include_members: bool) -> ListRequest {
        ListRequest {
            filter: self.filter.clone(),
            sort_by: self.sort_by.clone(),
            sort_order: self.sort_order.clone(),
            start_index: self.start_index,
            count: self.count,
            cursor: self.cursor.clone(),
            include_members,
        }
    }
}

fn text(name: &str, value: Value) -> Result<String, ScimError> {
    match value {
        Value::String(s) => Ok(s),
        _ => Err(ScimError::invalid_value(format!("`{name}` must be a string"))),
    }
}

/// `attributes` as a comma-separated string (a SearchRequest may send a JSON array) of at most
/// `max` names: each name costs a pass over every resource returned, and the schemas define a
/// few hundred attributes.
fn list(name: &str, value: Value, max: usize) -> Result<String, ScimError> {
    let too_many = || ScimError::invalid_value(format!("`{name}` may list at most {max} attribute names"));
    match value {
        Value::String(s) => {
            if s.split(',').count() > max {
                return Err(too_many());
            }
            Ok(s)
        }
        Value::Array(items) => {
            if items.len() > max {
                return Err(too_many());
            }
            let mut names = Vec::with_capacity(items.len());
            for item in items {
                names.push(text(name, item)?);
            }
            Ok(names.join(","))
        }
        _ => Err(ScimError::invalid_value(format!("`{name}` must be a string or an array of strings"))),
    }
}

fn integer(name: &str, value: &Value) -> Result<i64, ScimError> {
    let parsed = match value {
        Value::Number(n) => n.as_i64(),
        Value::String(s) => s.trim().parse::<i64>().ok(),
        _ => None,
    };
    parsed.ok_or_else(|| ScimError::invalid_value(format!("`{name}` must be an integer")))
}

/// The names of an attribute list, each without a leading Group schema URN (`urn:…:Group:members`
/// is `members`; the URN alone is `""`).
fn group_names(list: &str) -> impl Iterator<Item = &str> {
    list.split(',').map(str::trim).map(|name| {
        if name.eq_ignore_ascii_case(crate::urn::GROUP) {
            return "";
        }
        name.rsplit_once(':')
            .map_or(name, |(urn, attr)| if urn.eq_ignore_ascii_case(crate::urn::GROUP) { attr } else { name })
    })
}

/// Whether an `attributes` list asks for the group's `members`: by name, by one of its
/// sub-attributes, or by naming the whole Group schema.
pub(crate) fn selects_members(list: &str) -> bool {
    group_names(list).any(|name| {
        name.is_empty() || name.eq_ignore_ascii_case("members") || name.to_ascii_lowercase().starts_with("members.")
    })
}

/// Whether an `excludedAttributes` list leaves out the group's `members` as a whole (excluding
/// a sub-attribute such as `members.display` keeps the members).
pub(crate) fn excludes_members(list: &str) -> bool {
    group_names(list).any(|name| name.eq_ignore_ascii_case("members"))
}

/// Whether a `Content-Type` is one the service reads: `application/scim+json` or
/// `application/json`, with any parameters (`charset=utf-8`).
pub(crate) fn is_json_content_type(value: &str) -> bool {
    let essence = value.split(';').next().unwrap_or("").trim();
    essence.eq_ignore_ascii_case("application/scim+json") || essence.eq_ignore_ascii_case("application/json")
}

/// The token of an `Authorization: Bearer <token>` header (scheme matched ignoring case).
pub(crate) fn bearer_token(value: &str) -> Option<&str> {
    let (scheme, token) = value.trim().split_once(' ')?;
    let token = token.trim();
    (scheme.eq_ignore_ascii_case("bearer") && !token.is_empty()).then_some(token)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limits() -> Limits {
        Limits::default()
    }
    use serde_json::json;

    #[test]
    fn decodes_entra_and_okta_filters() {
        let p = Params::from_query(Some("filter=userName+eq+%22a%40b.c%22&aadOptscim062020"), &limits()).unwrap();
        assert_eq!(p.filter.as_deref(), Some("userName eq \"a@b.c\""));
        let p = Params::from_query(Some("filter=userName%20eq%20%22x%22&startIndex=1&count=100"), &limits()).unwrap();
        assert_eq!(p.filter.as_deref(), Some("userName eq \"x\""));
        assert_eq!((p.start_index, p.count), (Some(1), Some(100)));
    }

    #[test]
    fn keeps_invalid_escapes_and_rejects_bad_utf8() {
        let filter = |query: &str| Params::from_query(Some(query), &limits()).map(|p| p.filter.unwrap_or_default());
        assert_eq!(filter("filter=100%").unwrap(), "100%");
        assert_eq!(filter("filter=%zz%4").unwrap(), "%zz%4");
        assert!(filter("filter=%ff").is_err());
        // In a name, in a parameter the service ignores, split by a separator: all refused.
        assert_eq!(filter("%ff=1").unwrap_err().scim_type(), Some(crate::ScimType::InvalidValue));
        assert!(filter("x=%ff&filter=a").is_err());
        assert!(filter("filter=%c3&x=%a9").is_err());
        assert!(filter("filter=%c3=%a9").is_err());
        // Multi-byte characters, escaped or not, and an escaped U+FFFD are fine.
        assert_eq!(filter("filter=%C3%A9+%E2%82%AC").unwrap(), "é €");
        assert_eq!(filter("filter=é").unwrap(), "é");
        assert_eq!(filter("filter=%EF%BF%BD").unwrap(), "\u{fffd}");
        assert_eq!(filter("filter=a%2Bb%26c%3Dd").unwrap(), "a+b&c=d");
    }

    #[test]
    fn rejects_non_integer_paging() {
        let e = Params::from_query(Some("count=ten"), &limits()).unwrap_err();
        assert_eq!(e.status(), 400);
        let p = Params::from_query(Some("COUNT=-3&StartIndex=0"), &limits()).unwrap();
        assert_eq!((p.start_index, p.count), (Some(0), Some(-3)));
    }

    #[test]
    fn reads_search_requests() {
        let body = json!({"schemas": [crate::urn::SEARCH_REQUEST], "filter": "userName eq \"a\"",
            "attributes": ["userName", "emails"], "startIndex": 1, "count": 10});
        let p = Params::from_search_request(&body, &limits()).unwrap();
        assert_eq!(p.attributes.as_deref(), Some("userName,emails"));
        assert_eq!(p.count, Some(10));
        assert!(Params::from_search_request(&json!([]), &limits()).is_err());
        assert!(Params::from_search_request(&json!({"count": true}), &limits()).is_err());
    }

    #[test]
    fn projection_lists_are_bounded() {
        let names = |n: usize| (0..n).map(|i| format!("a{i}")).collect::<Vec<_>>();
        let ok = names(limits().max_projection_names).join(",");
        assert!(Params::from_query(Some(&format!("attributes={ok}")), &limits()).is_ok());
        let many = names(limits().max_projection_names + 1).join(",");
        let e = Params::from_query(Some(&format!("excludedAttributes={many}")), &limits()).expect_err("too many");
        assert_eq!(e.scim_type(), Some(crate::ScimType::InvalidValue));
        let body = serde_json::json!({"attributes": names(limits().max_projection_names + 1)});
        assert!(Params::from_search_request(&body, &limits()).is_err());
    }

    #[test]
    fn recognises_members_and_headers() {
        assert!(selects_members("members"));
        assert!(selects_members("displayName, Members"));
        assert!(selects_members("urn:ietf:params:scim:schemas:core:2.0:Group:members"));
        assert!(selects_members("members.value"));
        assert!(selects_members("urn:ietf:params:scim:schemas:core:2.0:Group"));
        assert!(!selects_members("displayName"));
        assert!(excludes_members("externalId, MEMBERS"));
        assert!(excludes_members("urn:ietf:params:scim:schemas:core:2.0:Group:members"));
        assert!(!excludes_members("members.display"));
        assert!(!excludes_members("urn:ietf:params:scim:schemas:core:2.0:Group"));
        assert!(is_json_content_type("application/scim+json; charset=utf-8"));
        assert!(is_json_content_type("Application/JSON"));
        assert!(!is_json_content_type("text/plain"));
        assert_eq!(bearer_token("Bearer abc"), Some("abc"));
        assert_eq!(bearer_token("bearer  abc "), Some("abc"));
        assert_eq!(bearer_token("Basic abc"), None);
        assert_eq!(bearer_token("Bearer "), None);
    }
}
