//! From a client's list parameters to a validated [`ListQuery`], and running it: lists the
//! indexes answer go straight to the store; scans are checked against the budget, charged,
//! admitted through the [`ScanGate`](super::scan::ScanGate) and run off the async workers.

use super::Provisioning;
use super::compat::Tally;
use super::scan::{Busy, ScanPermit, needs_scan, offload};
use crate::cursor::{Binding, Cursor, CursorKey};
use crate::schema::ResourceType;
use crate::store::{Keyset, ListQuery, QueryFilter, Seek, SortKey, SortOrder};
use crate::{Group, Limits, Page, ResourceKind, SchemaRegistry, ScimError, ScimType, TenantId, User};
use scim_query::{AttributeFacts, PatchPath, parse_path};

/// What the HTTP layer charges a scan of `n` resources to (the rate limits); `Err` refuses it.
pub(crate) type Charge<'a> = &'a (dyn Fn(usize) -> Result<(), ScimError> + Send + Sync);

/// How long a client refused for a full scan queue should wait before it retries.
const SCAN_QUEUE_RETRY: std::time::Duration = std::time::Duration::from_secs(1);

impl Provisioning {
    /// [`list_users`](Self::list_users), charging a scan to `charge` before it runs.
    pub(crate) async fn list_users_charged(
        &self,
        tenant: &TenantId,
        request: &ListRequest,
        charge: Charge<'_>,
    ) -> Result<Page<User>, ScimError> {
        let kind = ResourceKind::User;
        let rt = self.registry.kind(kind)?;
        let mut query =
            self.quirked(&Tally::default(), || list_query(&self.registry, rt, request, self.limits.max_results))?;
        let walk = self.start_walk(tenant, kind, request, &mut query)?;
        let page = if needs_scan(&query, kind) {
            let all = self.user_store().list(tenant, &ListQuery::new().with_count(0)).await?.total_results;
            let permit = self.admit_scan(tenant, kind, all, charge).await?;
            let (store, tenant) = (self.users.clone(), tenant.clone());
            let scan = async move { store.list(&tenant, &query).await };
            offload(scan, permit, self.limits.scan_share_percent).await??
        } else {
            self.user_store().list(tenant, &query).await?
        };
        self.finish_walk(page, walk.as_ref())
    }

    /// [`list_groups`](Self::list_groups), charging a scan to `charge` before it runs.
    pub(crate) async fn list_groups_charged(
        &self,
        tenant: &TenantId,
        request: &ListRequest,
        charge: Charge<'_>,
    ) -> Result<Page<Group>, ScimError> {
        let kind = ResourceKind::Group;
        let rt = self.registry.kind(kind)?;
        let mut query =
            self.quirked(&Tally::default(), || list_query(&self.registry, rt, request, self.limits.max_results))?;
        let walk = self.start_walk(tenant, kind, request, &mut query)?;
        let page = if needs_scan(&query, kind) {
            let count = ListQuery::new().with_count(0).with_members(false);
            let all = self.group_store().list(tenant, &count).await?.total_results;
            let permit = self.admit_scan(tenant, kind, all, charge).await?;
            let (store, tenant) = (self.groups.clone(), tenant.clone());
            let scan = async move { store.list(&tenant, &query).await };
            offload(scan, permit, self.limits.scan_share_percent).await??
        } else {
            self.group_store().list(tenant, &query).await?
        };
        self.finish_walk(page, walk.as_ref())
    }

    /// The key that signs cursors: the host's, else the process's random one.
    fn cursor_key(&self) -> Result<&CursorKey, ScimError> {
        match self.cursor_key.as_deref() {
            Some(key) => Ok(key),
            None => CursorKey::process_default().ok_or_else(ScimError::internal),
        }
    }

    /// For a request with a `cursor` (RFC 9865): checks the cursor and the page size, and turns
    /// `query` into a keyset query for one more item than the page (to tell whether another
    /// page follows). `None` for index paging.
    fn start_walk(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        request: &ListRequest,
        query: &mut ListQuery,
    ) -> Result<Option<Walk>, ScimError> {
        let Some(text) = request.cursor.as_deref() else { return Ok(None) };
        let max = self.limits.max_results;
        let count = match request.count {
            None => max,
            Some(c) => match usize::try_from(c) {
                Ok(c) if c <= max => c,
                _ => {
                    return Err(ScimError::bad_request(
                        ScimType::InvalidCount,
                        format!(
                            "count {c} is not a page size of a cursor walk here: it must be between 0 and                              {max} (pagination.maxPageSize)"
                        ),
                    ));
                }
            },
        };
        let binding = binding_of(tenant, kind, request, query);
        let text = text.trim();
        let seek = if text.is_empty() {
            Seek::First
        } else {
            let cursor = Cursor::decode(text, self.cursor_key()?)?;
            if cursor.binding.scope != binding.scope {
                return Err(ScimError::bad_request(
                    ScimType::InvalidCursor,
                    format!(
                        "this cursor belongs to a walk of another resource type or tenant, not of {}: \
                         send it where it was returned, or start a new walk with an empty `cursor`",
                        kind.endpoint()
                    ),
                ));
            }
            let timeout = self.limits.cursor_timeout.as_secs();
            let age = self.clock.now().timestamp().saturating_sub(cursor.issued);
            if age > i64::try_from(timeout).unwrap_or(i64::MAX) {
                return Err(ScimError::bad_request(
                    ScimType::ExpiredCursor,
                    format!(
                        "this cursor has expired: a cursor is valid for {timeout} seconds after the response \
                         that returned it (pagination.cursorTimeout); start a new walk with an empty `cursor`"
                    ),
                ));
            }
            if cursor.binding.query != binding.query {
                return Err(ScimError::bad_request(
                    ScimType::InvalidCursor,
                    "this cursor was returned for another filter, sortBy or sortOrder: send the same ones \
                     as the request that returned it, or start a new walk with an empty `cursor`",
                ));
            }
            cursor.seek
        };
        query.start_index = 1;
        query.count = count.saturating_add(1);
        query.seek = Some(seek.clone());
        Ok(Some(Walk { binding, count, seek }))
    }

    /// The page of a cursor walk: the extra item dropped, `nextCursor` and `previousCursor` set.
    fn finish_walk<T>(&self, page: Page<T>, walk: Option<&Walk>) -> Result<Page<T>, ScimError> {
        let Some(walk) = walk else { return Ok(page) };
        let Page { total_results, mut items, mut keys, .. } = page;
        if keys.len() != items.len() {
            // A store that does not report keysets cannot continue a walk.
            return Err(ScimError::internal());
        }
        let key = self.cursor_key()?;
        let issued = self.clock.now().timestamp();
        let sign = |seek: Seek| Cursor { binding: walk.binding, issued, seek }.encode(key);
        let n = walk.count;
        let (next, previous) = match &walk.seek {
            Seek::Before(at) => {
                // The last `n` before `at`; one more means more pages before.
                let more_before = items.len() > n;
                if more_before {
                    let extra = items.len() - n;
                    items.drain(..extra);
                    keys.drain(..extra);
                }
                let previous = more_before.then(|| sign(Seek::Before(keys.first().cloned().unwrap_or(at.clone()))));
                // `at` itself (and whatever follows it) is the next page.
                let next =
                    keys.last().cloned().unwrap_or_else(|| Keyset::new(at.value.clone(), at.seq.saturating_sub(1)));
                (Some(sign(Seek::After(next))), previous)
            }
            seek => {
                let more_after = items.len() > n;
                items.truncate(n);
                keys.truncate(n);
                let next = more_after.then(|| sign(keys.last().cloned().map_or_else(|| seek.clone(), Seek::After)));
                let previous = match seek {
                    Seek::After(at) => {
                        // `at` itself (and whatever precedes it) is the previous page.
                        let before = keys
                            .first()
                            .cloned()
                            .unwrap_or_else(|| Keyset::new(at.value.clone(), at.seq.saturating_add(1)));
                        Some(sign(Seek::Before(before)))
                    }
                    _ => None,
                };
                (next, previous)
            }
        };
        let mut page = Page::new(total_results, 1, items);
        page.next_cursor = next;
        page.previous_cursor = previous;
        Ok(page)
    }

    /// Lets a scan of `all` resources of `kind` run: within the budget, paid for, and with a
    /// slot of the tenant's and the service's scans.
    async fn admit_scan(
        &self,
        tenant: &TenantId,
        kind: ResourceKind,
        all: usize,
        charge: Charge<'_>,
    ) -> Result<ScanPermit, ScimError> {
        let limits: &Limits = &self.limits;
        if let Some(max) = limits.max_scan.filter(|max| all > *max) {
            return Err(over_budget(kind, all, max));
        }
        charge(all)?;
        self.scans.enter(tenant, limits.max_scans_per_tenant, limits.max_scans, Limits::SCAN_QUEUE).await.map_err(
            |Busy| {
                ScimError::too_many_requests_because(
                    "too many requests: this tenant already has as many filters running and waiting as it \
                     may; retry after the Retry-After delay, or filter on an indexed attribute",
                    SCAN_QUEUE_RETRY,
                )
            },
        )
    }
}

/// A cursor walk under way: what its cursors are bound to, the page size, and where this page
/// starts.
#[derive(Debug)]
struct Walk {
    binding: Binding,
    count: usize,
    seek: Seek,
}

/// What a cursor of this list is bound to: the tenant and resource type, and the filter and
/// sort as the client wrote them (trimmed; the attribute path ignoring case).
fn binding_of(tenant: &TenantId, kind: ResourceKind, request: &ListRequest, query: &ListQuery) -> Binding {
    let filter = request.filter.as_deref().map_or("", str::trim);
    let sort_by = request.sort_by.as_deref().map_or(String::new(), |s| s.trim().to_ascii_lowercase());
    let order = match (&query.sort_by, query.sort_order) {
        (None, _) => "",
        (Some(_), SortOrder::Ascending) => "ascending",
        (Some(_), SortOrder::Descending) => "descending",
    };
    Binding::new(tenant.as_str(), kind.endpoint(), filter, &sort_by, order)
}

/// The `400 tooMany` of a scan over the budget.
fn over_budget(kind: ResourceKind, all: usize, max: usize) -> ScimError {
    let (what, cheap) = match kind {
        ResourceKind::User => ("users", "userName eq, externalId eq or id eq"),
        ResourceKind::Group => ("groups", "displayName eq, externalId eq or id eq"),
    };
    ScimError::bad_request(
        crate::ScimType::TooMany,
        format!(
            "this list would examine all {all} {what} of the tenant, more than the {max} one list may \
             examine; filter on an indexed attribute ({cheap}), which costs the same at any size, \
             alone or joined with `and` to the rest of the filter"
        ),
    )
}

/// A list request with the client's raw parameters (`filter`, `sortBy`, `sortOrder`,
/// `startIndex`, `count`, `cursor`); [`Provisioning::list_users`](crate::Provisioning::list_users)
/// and `list_groups` validate it.
///
/// Index paging (RFC 7644 §3.4.2.4): `startIndex` below 1 counts as 1; a negative `count` as
/// 0; a `count` above the service's maximum (and a missing one) as the maximum.
///
/// Cursor paging (RFC 9865): a `cursor` (empty to start a walk, then the `nextCursor` or
/// `previousCursor` of the page before) pages by keyset; `count` must then be between 0 and the
/// maximum (`400 invalidCount` otherwise; missing means the maximum), `startIndex` must be
/// absent (`400 invalidValue`), and the filter and sort must be those of the walk's first
/// request (`400 invalidCursor` otherwise, as for a cursor that was altered or issued by a
/// service with another [`CursorKey`](crate::CursorKey)); a cursor older than
/// [`Limits::cursor_timeout`](crate::Limits::cursor_timeout) is `400 expiredCursor`. The page
/// then has [`Page::next_cursor`] (absent on the last page) and [`Page::previous_cursor`]
/// (absent on the first). A resource that matches during the whole walk is on exactly one page
/// of it, whatever is created or deleted meanwhile.
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
    /// `cursor` (RFC 9865): `Some("")` starts a cursor walk.
    pub cursor: Option<String>,
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

    /// `cursor` (RFC 9865): `""` starts a cursor walk; then the `nextCursor` or `previousCursor`
    /// of the page before.
    #[must_use]
    pub fn with_cursor(mut self, cursor: impl Into<String>) -> Self {
        self.cursor = Some(cursor.into());
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
        Self {
            filter: None,
            sort_by: None,
            sort_order: None,
            start_index: None,
            count: None,
            cursor: None,
            include_members: true,
        }
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
    if request.cursor.is_some() && request.start_index.is_some() {
        return Err(ScimError::invalid_value(
            "startIndex and cursor cannot be used together: send startIndex to page by index, or cursor \
             (empty at first, then the nextCursor of each page) to page by cursor (RFC 9865)",
        ));
    }
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
    Ok(ListQuery {
        filter,
        sort_by,
        sort_order,
        start_index,
        count,
        include_members: request.include_members,
        seek: None,
    })
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
