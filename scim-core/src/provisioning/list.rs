//! From a client's list parameters to a validated [`ListQuery`].

use crate::schema::ResourceType;
use crate::store::{ListQuery, QueryFilter, SortKey, SortOrder};
use crate::{SchemaRegistry, ScimError};
use scim_query::{AttributeFacts, PatchPath, parse_path};

/// A list request with the client's raw parameters (`filter`, `sortBy`, `sortOrder`,
/// `startIndex`, `count`); [`Provisioning::list_users`](crate::Provisioning::list_users) and
/// `list_groups` validate it.
///
/// `startIndex` below 1 counts as 1; a negative `count` as 0; a `count` above the service's
/// maximum (and a missing one) as the maximum (RFC 7644 §3.4.2.4).
///
/// ```
/// let request = scim_core::ListRequest::new().with_filter(r#"userName eq "bjensen""#).with_count(10);
/// assert_eq!(request.count, Some(10));
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ListRequest {
    /// `filter`, unparsed.
    pub filter: Option<String>,
    /// `sortBy`, an attribute path.
    pub sort_by: Option<String>,
    /// `sortOrder`: `ascending` (default) or `descending`, any case.
    pub sort_order: Option<String>,
    /// `startIndex` (1-based).
    pub start_index: Option<i64>,
    /// `count`.
    pub count: Option<i64>,
    /// Groups only: whether to return `members` (false for `excludedAttributes=members`).
    pub include_members: bool,
}

impl ListRequest {
    /// No filter, no sort, the first page of the service's maximum size, groups with members.
    pub fn new() -> Self {
        Self::default()
    }

    /// `filter`, unparsed.
    #[must_use]
    pub fn with_filter(mut self, filter: impl Into<String>) -> Self {
        self.filter = Some(filter.into());
        self
    }

    /// `sortBy` and `sortOrder` (`ascending` or `descending`), unparsed.
    #[must_use]
    pub fn with_sort(mut self, sort_by: impl Into<String>, sort_order: impl Into<String>) -> Self {
        self.sort_by = Some(sort_by.into());
        self.sort_order = Some(sort_order.into());
        self
    }

    /// `startIndex`.
    #[must_use]
    pub fn with_start_index(mut self, start_index: i64) -> Self {
        self.start_index = Some(start_index);
        self
    }

    /// `count`.
    #[must_use]
    pub fn with_count(mut self, count: i64) -> Self {
        self.count = Some(count);
        self
    }

    /// Groups only: whether to return `members`.
    #[must_use]
    pub fn with_members(mut self, include_members: bool) -> Self {
        self.include_members = include_members;
        self
    }
}

impl Default for ListRequest {
    fn default() -> Self {
        Self { filter: None, sort_by: None, sort_order: None, start_index: None, count: None, include_members: true }
    }
}

/// Validates `request` for resources of type `rt`.
///
/// A filter attribute the schema does not define is looked up by name in the documents (and so
/// usually matches nothing), as RFC 7644 allows; Entra and Okta only filter on known ones.
pub(crate) fn list_query(
    registry: &SchemaRegistry,
    rt: &ResourceType,
    request: &ListRequest,
    max_results: usize,
) -> Result<ListQuery, ScimError> {
    let facts = registry.facts(rt);
    let filter = match request.filter.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => Some(QueryFilter::parse(registry, rt, text)?),
    };
    let sort_by = match request.sort_by.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(text) => match parse_path(text) {
            Ok(PatchPath::Attr(path)) => {
                let facts = facts.resolve(None, &path);
                Some(SortKey { path, facts })
            }
            _ => {
                return Err(ScimError::invalid_value(format!(
                    "sortBy {text:?} is not an attribute path such as \"userName\" or \"meta.created\""
                )));
            }
        },
    };
    let sort_order = match request.sort_order.as_deref().map(str::trim) {
        None | Some("") => SortOrder::Ascending,
        Some(s) if s.eq_ignore_ascii_case("ascending") => SortOrder::Ascending,
        Some(s) if s.eq_ignore_ascii_case("descending") => SortOrder::Descending,
        Some(s) => {
            return Err(ScimError::invalid_value(format!("sortOrder {s:?} is not \"ascending\" or \"descending\"")));
        }
    };
    let start_index = request.start_index.map_or(1, |i| usize::try_from(i.max(1)).unwrap_or(usize::MAX));
    let count = request.count.map_or(max_results, |c| usize::try_from(c.max(0)).unwrap_or(usize::MAX).min(max_results));
    Ok(ListQuery { filter, sort_by, sort_order, start_index, count, include_members: request.include_members })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ScimType;

    #[allow(clippy::needless_pass_by_value)]
    fn q(req: ListRequest) -> Result<ListQuery, ScimError> {
        let registry = SchemaRegistry::scim_default();
        list_query(&registry, registry.kind(crate::ResourceKind::User)?, &req, 100)
    }

    #[test]
    fn paging_parameters_are_clamped() {
        let r = q(ListRequest { start_index: Some(0), count: Some(-5), ..ListRequest::default() }).expect("ok");
        assert_eq!((r.start_index, r.count), (1, 0));
        let r = q(ListRequest { start_index: Some(-3), count: Some(1_000_000), ..ListRequest::default() }).expect("ok");
        assert_eq!((r.start_index, r.count), (1, 100));
        let r = q(ListRequest::default()).expect("ok");
        assert_eq!((r.start_index, r.count), (1, 100));
        let r = q(ListRequest { start_index: Some(7), count: Some(3), ..ListRequest::default() }).expect("ok");
        assert_eq!((r.start_index, r.count), (7, 3));
    }

    #[test]
    fn bad_filter_is_invalid_filter() {
        let e = q(ListRequest { filter: Some("userName eq".into()), ..ListRequest::default() }).expect_err("bad");
        assert_eq!(e.scim_type(), Some(ScimType::InvalidFilter));
        assert_eq!(e.status(), http::StatusCode::BAD_REQUEST);
        let r = q(ListRequest { filter: Some("  ".into()), ..ListRequest::default() }).expect("blank = none");
        assert!(r.filter.is_none());
    }

    #[test]
    fn sort_parameters() {
        let r = q(ListRequest {
            sort_by: Some("meta.created".into()),
            sort_order: Some("DESCENDING".into()),
            ..ListRequest::default()
        })
        .expect("ok");
        assert_eq!(r.sort_order, SortOrder::Descending);
        let key = r.sort_by.expect("sort key");
        assert_eq!(key.facts.map(|f| f.keys), Some(vec!["meta".to_owned(), "created".to_owned()]));
        let e =
            q(ListRequest { sort_order: Some("sideways".into()), ..ListRequest::default() }).expect_err("bad order");
        assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
        let e = q(ListRequest { sort_by: Some("emails[type eq \"work\"]".into()), ..ListRequest::default() })
            .expect_err("bad sortBy");
        assert_eq!(e.scim_type(), Some(ScimType::InvalidValue));
    }
}
