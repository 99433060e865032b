//! The resource operations behind the routes: create, get, replace, patch, list, search.

use super::query::{self, Params};
use super::{Ctx, Failure, ScimService, response};
use crate::ResourceKind;
use crate::provisioning::list_query;
use crate::store::compare_sort_values;
use crate::{Group, ListRequest, Projection, ScimError, User, Version};
use http::header::IF_NONE_MATCH;
use http::{HeaderMap, Response, StatusCode};
use serde_json::Value;
use std::cmp::Ordering;
use std::time::Instant;

impl ScimService {
    fn projection(params: &Params) -> Result<Projection, ScimError> {
        Projection::from_params(params.attributes.as_deref(), params.excluded_attributes.as_deref())
    }

    /// Whether a group read should load members, given the projection parameters.
    fn wants_members(params: &Params) -> bool {
        if params.excluded_attributes.as_deref().is_some_and(query::excludes_members) {
            return false;
        }
        params.attributes.as_deref().is_none_or(query::selects_members)
    }

    /// Renders a stored document: `meta.location`, projection, and never a password.
    fn render(
        &self,
        ctx: &Ctx,
        kind: ResourceKind,
        mut doc: Value,
        projection: &Projection,
    ) -> (Value, Option<String>) {
        let location =
            doc.get("id").and_then(Value::as_str).map(|id| format!("{}{}/{id}", ctx.base_url, kind.endpoint()));
        if let (Some(location), Some(meta)) = (&location, doc.get_mut("meta").and_then(Value::as_object_mut)) {
            meta.insert("location".into(), Value::String(location.clone()));
        }
        // A registry without this kind (its store call has then already failed, or it was a
        // read) leaves the document unprojected, as projection cannot fail.
        let mut out = match self.registry().kind(kind) {
            Ok(rt) => projection.apply_owned(self.registry(), rt, doc),
            Err(_) => doc,
        };
        if let Some(object) = out.as_object_mut() {
            object.remove("password");
        }
        (out, location)
    }

    fn resource_response(
        &self,
        ctx: &Ctx,
        status: StatusCode,
        kind: ResourceKind,
        doc: Value,
        version: Option<&Version>,
        projection: &Projection,
    ) -> Response<Vec<u8>> {
        let (body, location) = self.render(ctx, kind, doc, projection);
        let mut response = response::with_etag(response::json(status, &body), version);
        if status == StatusCode::CREATED {
            response = response::with_location(response, location.as_deref());
        }
        response
    }

    pub(super) async fn create(
        &self,
        ctx: &Ctx,
        kind: ResourceKind,
        body: &Value,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let projection = Self::projection(&ctx.params)?;
        let (doc, version) = match kind {
            ResourceKind::User => split_user(ctx.provisioning.create_user(&ctx.tenant, body).await?),
            ResourceKind::Group => split_group(ctx.provisioning.create_group(&ctx.tenant, body).await?),
        };
        Ok(self.resource_response(ctx, StatusCode::CREATED, kind, doc, version.as_ref(), &projection))
    }

    pub(super) async fn get(
        &self,
        ctx: &Ctx,
        kind: ResourceKind,
        id: &str,
        headers: &HeaderMap,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let projection = Self::projection(&ctx.params)?;
        let (doc, version) = match kind {
            ResourceKind::User => split_user(self.provisioning.get_user(&ctx.tenant, id).await?),
            ResourceKind::Group => {
                let members = Self::wants_members(&ctx.params);
                split_group(self.provisioning.get_group(&ctx.tenant, id, members).await?)
            }
        };
        if let (Some(current), Some(value)) = (&version, headers.get(IF_NONE_MATCH)) {
            let value = value.to_str().unwrap_or("");
            if value.split(',').any(|tag| Version::new(tag.trim()).matches(current)) {
                return Ok(response::with_etag(response::empty(StatusCode::NOT_MODIFIED), Some(current)));
            }
        }
        Ok(self.resource_response(ctx, StatusCode::OK, kind, doc, version.as_ref(), &projection))
    }

    pub(super) async fn replace(
        &self,
        ctx: &Ctx,
        kind: ResourceKind,
        id: &str,
        body: &Value,
        if_match: Option<&Version>,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let projection = Self::projection(&ctx.params)?;
        let (doc, version) = match kind {
            ResourceKind::User => split_user(ctx.provisioning.replace_user(&ctx.tenant, id, body, if_match).await?),
            ResourceKind::Group => split_group(ctx.provisioning.replace_group(&ctx.tenant, id, body, if_match).await?),
        };
        Ok(self.resource_response(ctx, StatusCode::OK, kind, doc, version.as_ref(), &projection))
    }

    pub(super) async fn patch(
        &self,
        ctx: &Ctx,
        kind: ResourceKind,
        id: &str,
        body: &Value,
        if_match: Option<&Version>,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let projection = Self::projection(&ctx.params)?;
        match kind {
            ResourceKind::User => {
                let (doc, version) = split_user(ctx.provisioning.patch_user(&ctx.tenant, id, body, if_match).await?);
                Ok(self.resource_response(ctx, StatusCode::OK, kind, doc, version.as_ref(), &projection))
            }
            ResourceKind::Group => {
                let group = ctx.provisioning.patch_group(&ctx.tenant, id, body, if_match).await?;
                let asked = ctx.params.attributes.is_some() || ctx.params.excluded_attributes.is_some();
                if !asked {
                    let version = group.version();
                    return Ok(response::with_etag(response::empty(StatusCode::NO_CONTENT), version.as_ref()));
                }
                let group = if Self::wants_members(&ctx.params) {
                    self.provisioning.get_group(&ctx.tenant, id, true).await?
                } else {
                    group
                };
                let (doc, version) = split_group(group);
                Ok(self.resource_response(ctx, StatusCode::OK, kind, doc, version.as_ref(), &projection))
            }
        }
    }

    pub(super) async fn list(
        &self,
        ctx: &Ctx,
        kind: ResourceKind,
        params: &Params,
    ) -> Result<Response<Vec<u8>>, Failure> {
        self.check_filter(params)?;
        let projection = Self::projection(params)?;
        let request = params.list_request(kind == ResourceKind::User || Self::wants_members(params));
        let listed = self.list_page(ctx, kind, &request).await?;
        let resources = listed.items.into_iter().map(|doc| self.render(ctx, kind, doc, &projection).0).collect();
        let body = if request.cursor.is_some() {
            response::cursor_list(listed.total_results, listed.next_cursor, listed.previous_cursor, resources)
        } else {
            response::list(listed.total_results, listed.start_index, resources)
        };
        Ok(response::json(StatusCode::OK, &body))
    }

    async fn list_docs(
        &self,
        ctx: &Ctx,
        kind: ResourceKind,
        request: &ListRequest,
    ) -> Result<(usize, usize, Vec<Value>), ScimError> {
        let page = self.list_page(ctx, kind, request).await?;
        Ok((page.total_results, page.start_index, page.items))
    }

    async fn list_page(
        &self,
        ctx: &Ctx,
        kind: ResourceKind,
        request: &ListRequest,
    ) -> Result<crate::Page<Value>, ScimError> {
        // A scan pays for what it examines in the rate limits before it runs.
        let limits = self.provisioning.limits();
        let charge = |examined: usize| -> Result<(), ScimError> {
            let cost = u32::try_from(examined / limits.scan_cost.max(1)).unwrap_or(u32::MAX);
            self.rate
                .charge(limits.tenant_rate, limits.token_rate, &ctx.tenant, ctx.token_key, cost, Instant::now())
                .map_err(ScimError::too_many_requests)
        };
        Ok(match kind {
            ResourceKind::User => {
                self.provisioning.list_users_charged(&ctx.tenant, request, &charge).await?.map(User::into_json)
            }
            ResourceKind::Group => {
                self.provisioning.list_groups_charged(&ctx.tenant, request, &charge).await?.map(Group::into_json)
            }
        })
    }

    /// `POST /.search`: users then groups, paged as one list (by index only: cursor walks are
    /// per resource type, on `/Users` and `/Groups`).
    pub(super) async fn search_all(&self, ctx: &Ctx, params: &Params) -> Result<Response<Vec<u8>>, Failure> {
        self.check_filter(params)?;
        if params.cursor.is_some() {
            return Err(ScimError::invalid_value(
                "a search across resource types pages by startIndex only: for a cursor walk (RFC 9865), \
                 search /Users/.search and /Groups/.search",
            )
            .into());
        }
        let projection = Self::projection(params)?;
        if params.sort_by.as_deref().is_some_and(|s| !s.trim().is_empty()) {
            return self.search_all_sorted(ctx, params, &projection).await;
        }
        let users = params.list_request(true);
        let (user_total, start, user_docs) = self.list_docs(ctx, ResourceKind::User, &users).await?;
        let requested = users.count;
        let mut groups = params.list_request(Self::wants_members(params));
        // Groups continue where users end: skip the users counted before this page.
        let offset = i64::try_from(user_total).unwrap_or(i64::MAX);
        groups.start_index = Some((i64::try_from(start).unwrap_or(1) - offset).max(1));
        let remaining = requested.map(|c| (c - i64::try_from(user_docs.len()).unwrap_or(0)).max(0));
        groups.count = remaining;
        let (group_total, _, group_docs) = self.list_docs(ctx, ResourceKind::Group, &groups).await?;
        let mut resources: Vec<Value> =
            user_docs.into_iter().map(|doc| self.render(ctx, ResourceKind::User, doc, &projection).0).collect();
        if remaining != Some(0) {
            let cap = requested.map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(0));
            let room = cap.saturating_sub(resources.len());
            resources.extend(
                group_docs.into_iter().take(room).map(|doc| self.render(ctx, ResourceKind::Group, doc, &projection).0),
            );
        }
        Ok(response::json(StatusCode::OK, &response::list(user_total + group_total, start, resources)))
    }
}

impl ScimService {
    /// `POST /.search` with `sortBy`: the first pages of users and of groups, each sorted by
    /// its store, merged in the same order (users first among equals), then paged as one list.
    /// It reaches the first `max_results` of the merged list (`400` past them).
    async fn search_all_sorted(
        &self,
        ctx: &Ctx,
        params: &Params,
        projection: &Projection,
    ) -> Result<Response<Vec<u8>>, Failure> {
        let max = self.provisioning.limits().max_results;
        let start = usize::try_from(params.start_index.unwrap_or(1).max(1)).unwrap_or(usize::MAX);
        let count = params.count.map_or(max, |c| usize::try_from(c.max(0)).unwrap_or(0).min(max));
        let need = (start - 1).saturating_add(count);
        if need > max {
            return Err(ScimError::invalid_value(format!(
                "a sorted search across users and groups reaches the first {max} results; to go further, \
                 search /Users/.search and /Groups/.search"
            ))
            .into());
        }
        let need_count = Some(i64::try_from(need).unwrap_or(i64::MAX));
        let users = ListRequest { start_index: Some(1), count: need_count, ..params.list_request(true) };
        let groups =
            ListRequest { start_index: Some(1), count: need_count, ..params.list_request(Self::wants_members(params)) };
        let registry = self.registry();
        let user_query = list_query(registry, registry.kind(ResourceKind::User)?, &users, max)?;
        let group_query = list_query(registry, registry.kind(ResourceKind::Group)?, &groups, max)?;
        let (user_total, _, user_docs) = self.list_docs(ctx, ResourceKind::User, &users).await?;
        let (group_total, _, group_docs) = self.list_docs(ctx, ResourceKind::Group, &groups).await?;
        let value = |key: &Option<crate::store::SortKey>, doc: &Value| key.as_ref().and_then(|k| k.value_of(doc));
        let order = user_query.sort_order;
        let mut users =
            user_docs.into_iter().map(|d| (value(&user_query.sort_by, &d), ResourceKind::User, d)).peekable();
        let mut groups =
            group_docs.into_iter().map(|d| (value(&group_query.sort_by, &d), ResourceKind::Group, d)).peekable();
        let mut merged = Vec::with_capacity(need);
        while merged.len() < need {
            let take_user = match (users.peek(), groups.peek()) {
                (Some(u), Some(g)) => compare_sort_values(u.0.as_ref(), g.0.as_ref(), order) != Ordering::Greater,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            merged.extend(if take_user { users.next() } else { groups.next() });
        }
        let resources: Vec<Value> = merged
            .into_iter()
            .skip(start - 1)
            .map(|(_, kind, doc)| self.render(ctx, kind, doc, projection).0)
            .collect();
        Ok(response::json(StatusCode::OK, &response::list(user_total + group_total, start, resources)))
    }
}

fn split_user(user: User) -> (Value, Option<Version>) {
    let version = user.version();
    (user.into_json(), version)
}

fn split_group(group: Group) -> (Value, Option<Version>) {
    let version = group.version();
    (group.into_json(), version)
}
