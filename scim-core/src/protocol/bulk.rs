//! `POST /Bulk` (RFC 7644 §3.7): many operations in one request, each run through the same
//! provisioning path as the single request would be (validation, quirks, lifecycle, events,
//! audit), one at a time.
//!
//! - **Operations**: `POST` to `/Users` or `/Groups` (with a `bulkId`, RFC 7644 §3.7: required),
//!   `PUT`, `PATCH` and `DELETE` of `/Users/{id}` or `/Groups/{id}`; `version` is the
//!   operation's `If-Match`. Each operation is atomic, as the single request is: a failed one
//!   changed nothing.
//! - **`bulkId` references**: any string `"bulkId:X"` in an operation's `data` (a member's
//!   `value`, a `manager`) or in its path stands for the id of the resource the `POST` with
//!   `bulkId: X` created. Operations run in request order, except that one waits until the
//!   resources it references exist, whatever their order in the request. An operation that
//!   references a `bulkId` no `POST` of the request defines, or whose `POST` failed, fails
//!   with `409`.
//! - **Circular references** (RFC 7644 §3.7.1): groups that are members of each other are
//!   created without those members first, then the members are added; a cycle that cannot be
//!   broken that way (users naming each other as manager) fails with `409`.
//! - **`failOnErrors`**: after that many failed operations the rest are not run (and not in
//!   the response). Without it every operation is tried.
//! - **Limits** (RFC 7644 §3.7.4): more operations than
//!   [`Limits::max_bulk_operations`](crate::Limits::max_bulk_operations), or a body over
//!   [`Limits::max_body_bytes`](crate::Limits::max_body_bytes), is `413`; each operation takes
//!   one request from the rate limits (`429` for the whole request when they do not have it).
//! - **Response**: `200` with a `BulkResponse` listing, in request order, each operation run:
//!   `method`, `bulkId`, `location`, `version`, `status` (as a string, as in RFC 7644's
//!   examples), and for a failure `response`, the error (RFC 7644 §3.12).

use super::route::Route;
use super::{Ctx, Failure, ScimService, response};
use crate::audit::AuditOperation;
use crate::quirks::{self, Quirk};
use crate::{Provisioning, ResourceKind, ScimError, Version, get_ignoring_case};
use http::{Response, StatusCode};
use serde_json::{Map, Value, json};
use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::time::Instant;

/// `urn:ietf:params:scim:api:messages:2.0:BulkRequest`.
pub(crate) const BULK_REQUEST: &str = "urn:ietf:params:scim:api:messages:2.0:BulkRequest";
/// `urn:ietf:params:scim:api:messages:2.0:BulkResponse`.
pub(crate) const BULK_RESPONSE: &str = "urn:ietf:params:scim:api:messages:2.0:BulkResponse";
/// The prefix of a reference to a resource created in the same request.
const BULK_ID_PREFIX: &str = "bulkId:";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Method {
    Post,
    Put,
    Patch,
    Delete,
}

impl Method {
    fn as_str(self) -> &'static str {
        match self {
            Self::Post => "POST",
            Self::Put => "PUT",
            Self::Patch => "PATCH",
            Self::Delete => "DELETE",
        }
    }

    fn audit(self) -> AuditOperation {
        match self {
            Self::Post => AuditOperation::Create,
            Self::Put => AuditOperation::Replace,
            Self::Patch => AuditOperation::Patch,
            Self::Delete => AuditOperation::Delete,
        }
    }
}

/// One operation, as read.
#[derive(Debug)]
struct Op {
    method: Method,
    /// The method as the client wrote it, echoed in the response.
    method_text: String,
    kind: ResourceKind,
    /// The id the path names (`None` for a `POST`); may be a `bulkId:` reference.
    id: Option<String>,
    bulk_id: Option<String>,
    version: Option<String>,
    data: Option<Value>,
    /// The `bulkId`s referenced in the path and data.
    refs: BTreeSet<String>,
}

/// What one operation came to.
#[derive(Debug)]
enum Outcome {
    Done { status: StatusCode, id: String, location: String, version: Option<Version> },
    Failed(ScimError),
}

/// The `bulkId`s named by `"bulkId:X"` strings anywhere in `value`.
fn collect_refs(value: &Value, refs: &mut BTreeSet<String>) {
    match value {
        Value::String(s) => {
            if let Some(id) = s.strip_prefix(BULK_ID_PREFIX) {
                refs.insert(id.to_owned());
            }
        }
        Value::Array(items) => items.iter().for_each(|v| collect_refs(v, refs)),
        Value::Object(map) => map.values().for_each(|v| collect_refs(v, refs)),
        _ => {}
    }
}

/// Replaces every `"bulkId:X"` string in `value` with the id created for `X`.
fn resolve_refs(value: &mut Value, created: &HashMap<String, (ResourceKind, String)>) {
    match value {
        Value::String(s) => {
            if let Some((_, id)) = s.strip_prefix(BULK_ID_PREFIX).and_then(|b| created.get(b)) {
                *s = id.clone();
            }
        }
        Value::Array(items) => items.iter_mut().for_each(|v| resolve_refs(v, created)),
        Value::Object(map) => map.values_mut().for_each(|v| resolve_refs(v, created)),
        _ => {}
    }
}

/// Reads one operation; an error is that operation's answer.
fn parse_op(value: &Value) -> Result<Op, ScimError> {
    let Value::Object(obj) = value else {
        return Err(ScimError::invalid_syntax("a bulk operation must be a JSON object"));
    };
    let method_text = match get_ignoring_case(obj, "method") {
        Some(Value::String(m)) => m.clone(),
        Some(_) => return Err(ScimError::invalid_syntax("\"method\" must be a string")),
        None => return Err(ScimError::invalid_syntax("a bulk operation needs \"method\"")),
    };
    let method = match method_text.to_ascii_uppercase().as_str() {
        "POST" => Method::Post,
        "PUT" => Method::Put,
        "PATCH" => Method::Patch,
        "DELETE" => Method::Delete,
        _ => {
            return Err(ScimError::invalid_syntax(format!(
                "unknown bulk method \"{method_text}\"; expected POST, PUT, PATCH or DELETE"
            )));
        }
    };
    let path = match get_ignoring_case(obj, "path") {
        Some(Value::String(p)) => p.clone(),
        Some(_) => return Err(ScimError::invalid_syntax("\"path\" must be a string")),
        None => return Err(ScimError::invalid_syntax("a bulk operation needs \"path\"")),
    };
    let text = |name: &str| match get_ignoring_case(obj, name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(ScimError::invalid_syntax(format!("\"{name}\" must be a string"))),
    };
    let bulk_id = text("bulkId")?;
    let version = text("version")?;
    let segments: Vec<String> = path.trim_start_matches('/').split('/').map(str::to_owned).collect();
    let (kind, id) = match (method, Route::parse(&segments)) {
        (Method::Post, Some(Route::Collection(kind))) => (kind, None),
        (_, Some(Route::Resource(kind, id))) if method != Method::Post => (kind, Some(id)),
        _ => {
            let expected = if method == Method::Post { "/Users or /Groups" } else { "/Users/{id} or /Groups/{id}" };
            return Err(ScimError::invalid_path(format!(
                "a bulk {} takes the path {expected}, not \"{path}\"",
                method.as_str()
            )));
        }
    };
    if method == Method::Post && bulk_id.as_deref().is_none_or(str::is_empty) {
        return Err(ScimError::invalid_syntax("a bulk POST needs a \"bulkId\" (RFC 7644 §3.7)"));
    }
    let data = get_ignoring_case(obj, "data").filter(|d| !d.is_null()).cloned();
    match (&data, method) {
        (None, Method::Post | Method::Put | Method::Patch) => {
            return Err(ScimError::invalid_syntax(format!("a bulk {} needs \"data\"", method.as_str())));
        }
        (Some(d), _) if !d.is_object() => return Err(ScimError::invalid_syntax("\"data\" must be a JSON object")),
        _ => {}
    }
    let mut refs = BTreeSet::new();
    if let Some(d) = &data {
        collect_refs(d, &mut refs);
    }
    if let Some(id) = id.as_deref().and_then(|id| id.strip_prefix(BULK_ID_PREFIX)) {
        refs.insert(id.to_owned());
    }
    Ok(Op { method, method_text, kind, id, bulk_id, version, data, refs })
}

/// The whole request: `failOnErrors` and its operations (each read, or its error).
struct Request {
    fail_on_errors: Option<usize>,
    ops: Vec<Result<Op, ScimError>>,
}

fn parse_request(body: &Value, max_operations: usize) -> Result<Request, ScimError> {
    let Value::Object(obj) = body else {
        return Err(ScimError::invalid_syntax("a bulk request must be a JSON object (a BulkRequest message)"));
    };
    match get_ignoring_case(obj, "schemas") {
        Some(schemas) => {
            let ok = schemas.as_array().is_some_and(|list| {
                list.iter().any(|s| s.as_str().is_some_and(|s| s.eq_ignore_ascii_case(BULK_REQUEST)))
            });
            if !ok {
                return Err(ScimError::invalid_syntax(format!("\"schemas\" must contain \"{BULK_REQUEST}\"")));
            }
        }
        None => quirks::admit(Quirk::MissingSchemas, || {
            ScimError::invalid_syntax(format!("a bulk request needs \"schemas\": [\"{BULK_REQUEST}\"]"))
        })?,
    }
    let fail_on_errors = match get_ignoring_case(obj, "failOnErrors") {
        None | Some(Value::Null) => None,
        Some(Value::Number(n)) => match n.as_u64().and_then(|n| usize::try_from(n).ok()) {
            Some(n) if n >= 1 => Some(n),
            _ => return Err(ScimError::invalid_value("\"failOnErrors\" must be a whole number of at least 1")),
        },
        Some(_) => return Err(ScimError::invalid_value("\"failOnErrors\" must be a whole number of at least 1")),
    };
    let ops = match get_ignoring_case(obj, "Operations") {
        Some(Value::Array(ops)) if !ops.is_empty() => ops,
        Some(Value::Array(_)) => {
            return Err(ScimError::invalid_syntax("\"Operations\" must hold at least one operation"));
        }
        Some(_) => return Err(ScimError::invalid_syntax("\"Operations\" must be an array")),
        None => return Err(ScimError::invalid_syntax("a bulk request needs \"Operations\"")),
    };
    if ops.len() > max_operations {
        return Err(ScimError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            None,
            format!(
                "the bulk request holds {} operations, more than the {max_operations} of bulk.maxOperations",
                ops.len()
            ),
        ));
    }
    let mut ops: Vec<Result<Op, ScimError>> = ops.iter().map(parse_op).collect();
    // A bulkId names one resource: a second POST with the same one fails.
    let mut seen = BTreeSet::new();
    for op in &mut ops {
        let duplicate = match op {
            Ok(Op { method: Method::Post, bulk_id: Some(b), .. }) => !seen.insert(b.clone()),
            _ => false,
        };
        if duplicate {
            *op = Err(ScimError::invalid_value("this bulkId is used by an earlier POST of the request"));
        }
    }
    Ok(Request { fail_on_errors, ops })
}

/// The state of one bulk run.
struct Run<'a> {
    ctx: &'a Ctx,
    /// The resources created so far, by `bulkId`.
    created: HashMap<String, (ResourceKind, String)>,
    /// `bulkId`s whose `POST` failed or never ran.
    failed: BTreeSet<String>,
    outcomes: Vec<Option<Outcome>>,
    errors: usize,
}

impl Run<'_> {
    fn location(&self, kind: ResourceKind, id: &str) -> String {
        format!("{}{}/{id}", self.ctx.base_url, kind.endpoint())
    }

    /// Records the outcome of operation `i` (`op` is `None` for one that could not be read).
    fn finish(&mut self, i: usize, op: Option<&Op>, outcome: Outcome) {
        if let Outcome::Failed(_) = &outcome {
            self.errors += 1;
            if let Some(Op { method: Method::Post, bulk_id: Some(b), .. }) = op {
                self.failed.insert(b.clone());
            }
        }
        self.outcomes[i] = Some(outcome);
    }

    /// Runs one operation whose references are all resolved, with the members listed in
    /// `deferred` left out of its data (a group `POST` in a cycle).
    async fn execute(&mut self, op: &Op, deferred: &BTreeSet<String>) -> Outcome {
        let provisioning = self.ctx.provisioning.with_method(op.method.as_str());
        // Copied only when it holds references to replace.
        let data = match &op.data {
            Some(d) if !op.refs.is_empty() => {
                let mut d = d.clone();
                if let (Value::Object(map), false) = (&mut d, deferred.is_empty()) {
                    strip_members(map, deferred);
                }
                resolve_refs(&mut d, &self.created);
                Some(Cow::Owned(d))
            }
            d => d.as_ref().map(Cow::Borrowed),
        };
        let id = op.id.as_deref().map(|id| match id.strip_prefix(BULK_ID_PREFIX) {
            Some(b) => self.created.get(b).map_or_else(|| id.to_owned(), |(_, id)| id.clone()),
            None => id.to_owned(),
        });
        let result = self.call(&provisioning, op, id.as_deref(), data.as_deref()).await;
        match result {
            Ok((status, id, version)) => {
                if let (Method::Post, Some(b)) = (op.method, &op.bulk_id) {
                    self.created.insert(b.clone(), (op.kind, id.clone()));
                }
                Outcome::Done { status, location: self.location(op.kind, &id), id, version }
            }
            Err(e) => {
                // Recorded as the single request's refusal would be.
                let _ =
                    provisioning.record_refusal(&self.ctx.tenant, op.kind, id.as_deref(), op.method.audit(), &e).await;
                Outcome::Failed(e)
            }
        }
    }

    /// The provisioning call of one operation: its status, the resource's id and version.
    async fn call(
        &self,
        provisioning: &Provisioning,
        op: &Op,
        id: Option<&str>,
        data: Option<&Value>,
    ) -> Result<(StatusCode, String, Option<Version>), ScimError> {
        let tenant = &self.ctx.tenant;
        let empty = Value::Null;
        let data = data.unwrap_or(&empty);
        let if_match = op.version.as_deref().map(Version::new);
        let id = id.unwrap_or_default();
        if let Some(b) = id.strip_prefix(BULK_ID_PREFIX) {
            return Err(ScimError::conflict(format!("bulkId \"{b}\" names no resource created by this request")));
        }
        let (status, id, version) = match (op.method, op.kind) {
            (Method::Post, ResourceKind::User) => {
                let user = provisioning.create_user(tenant, data).await?;
                (StatusCode::CREATED, user.id().unwrap_or_default().to_owned(), user.version())
            }
            (Method::Post, ResourceKind::Group) => {
                let group = provisioning.create_group(tenant, data).await?;
                (StatusCode::CREATED, group.id().unwrap_or_default().to_owned(), group.version())
            }
            (Method::Put, ResourceKind::User) => {
                let user = provisioning.replace_user(tenant, id, data, if_match.as_ref()).await?;
                (StatusCode::OK, id.to_owned(), user.version())
            }
            (Method::Put, ResourceKind::Group) => {
                let group = provisioning.replace_group(tenant, id, data, if_match.as_ref()).await?;
                (StatusCode::OK, id.to_owned(), group.version())
            }
            (Method::Patch, ResourceKind::User) => {
                let user = provisioning.patch_user(tenant, id, data, if_match.as_ref()).await?;
                (StatusCode::OK, id.to_owned(), user.version())
            }
            (Method::Patch, ResourceKind::Group) => {
                let group = provisioning.patch_group(tenant, id, data, if_match.as_ref()).await?;
                (StatusCode::NO_CONTENT, id.to_owned(), group.version())
            }
            (Method::Delete, ResourceKind::User) => {
                provisioning.delete_user(tenant, id, if_match.as_ref()).await?;
                (StatusCode::NO_CONTENT, id.to_owned(), None)
            }
            (Method::Delete, ResourceKind::Group) => {
                provisioning.delete_group(tenant, id, if_match.as_ref()).await?;
                (StatusCode::NO_CONTENT, id.to_owned(), None)
            }
        };
        Ok((status, id, version))
    }
}

/// Removes from a group's `members` the elements whose `value` is a reference to one of
/// `bulk_ids`.
fn strip_members(map: &mut Map<String, Value>, bulk_ids: &BTreeSet<String>) {
    let key = map.keys().find(|k| k.eq_ignore_ascii_case("members")).cloned();
    if let Some(Value::Array(members)) = key.and_then(|k| map.get_mut(&k)) {
        members.retain(|m| !member_ref(m).is_some_and(|b| bulk_ids.contains(b)));
    }
}

/// The `bulkId` a member element's `value` references, if any.
fn member_ref(member: &Value) -> Option<&str> {
    member.get("value").and_then(Value::as_str).and_then(|v| v.strip_prefix(BULK_ID_PREFIX))
}

/// The `bulkId`s that a group `POST` references only as members (so it can be created without
/// them), or `None` when it references some elsewhere, or is not a group `POST`.
fn member_only_refs(op: &Op) -> Option<BTreeSet<String>> {
    if op.method != Method::Post || op.kind != ResourceKind::Group {
        return None;
    }
    let Some(Value::Object(map)) = &op.data else { return None };
    let mut in_members = BTreeSet::new();
    let mut elsewhere = BTreeSet::new();
    for (k, v) in map {
        if k.eq_ignore_ascii_case("members") {
            if let Value::Array(members) = v {
                for m in members {
                    match member_ref(m) {
                        Some(b) => {
                            in_members.insert(b.to_owned());
                        }
                        None => collect_refs(m, &mut elsewhere),
                    }
                }
            }
        } else {
            collect_refs(v, &mut elsewhere);
        }
    }
    elsewhere.is_empty().then_some(in_members)
}

impl ScimService {
    /// `POST /Bulk`.
    pub(super) async fn bulk(&self, ctx: &Ctx, body: &Value) -> Result<Response<Vec<u8>>, Failure> {
        let limits = self.provisioning.limits();
        if limits.max_bulk_operations == 0 {
            return Err(ScimError::not_implemented("/Bulk is turned off in this service provider").into());
        }
        let request = ctx.provisioning.check_quirks(|| parse_request(body, limits.max_bulk_operations))?;
        // The request itself took one from the rate limits; each further operation takes one.
        let extra = u32::try_from(request.ops.len().saturating_sub(1)).unwrap_or(u32::MAX);
        if extra > 0 {
            self.rate
                .charge(limits.tenant_rate, limits.token_rate, &ctx.tenant, ctx.token_key, extra, Instant::now())
                .map_err(ScimError::too_many_requests)?;
        }
        let ops = request.ops;
        let defined: BTreeSet<&str> = ops
            .iter()
            .filter_map(|op| match op {
                Ok(Op { method: Method::Post, bulk_id: Some(b), .. }) => Some(b.as_str()),
                _ => None,
            })
            .collect();
        let mut run = Run {
            ctx,
            created: HashMap::new(),
            failed: BTreeSet::new(),
            outcomes: (0..ops.len()).map(|_| None).collect(),
            errors: 0,
        };
        let stop = |run: &Run<'_>| request.fail_on_errors.is_some_and(|n| run.errors >= n);
        // In request order; an operation waits while the resources it references do not exist.
        let mut pending: Vec<usize> = (0..ops.len()).collect();
        // Groups created without members that are created later: (op, group id, member bulkIds).
        let mut deferred: Vec<(usize, String, BTreeSet<String>)> = Vec::new();
        while !pending.is_empty() && !stop(&run) {
            let mut progressed = false;
            let mut still = Vec::new();
            for &i in &pending {
                if stop(&run) {
                    still.push(i);
                    continue;
                }
                let op = match &ops[i] {
                    Ok(op) => op,
                    Err(e) => {
                        run.finish(i, None, Outcome::Failed(e.clone()));
                        progressed = true;
                        continue;
                    }
                };
                if let Some(r) = op.refs.iter().find(|r| !defined.contains(r.as_str())) {
                    let e = ScimError::conflict(format!("bulkId \"{r}\" is defined by no POST of this request"));
                    run.finish(i, Some(op), Outcome::Failed(e));
                    progressed = true;
                } else if let Some(r) = op.refs.iter().find(|r| run.failed.contains(*r)) {
                    let e = ScimError::conflict(format!("bulkId \"{r}\" was not created: its operation failed"));
                    run.finish(i, Some(op), Outcome::Failed(e));
                    progressed = true;
                } else if op.refs.iter().all(|r| run.created.contains_key(r)) {
                    let outcome = run.execute(op, &BTreeSet::new()).await;
                    run.finish(i, Some(op), outcome);
                    progressed = true;
                } else {
                    still.push(i);
                }
            }
            pending = still;
            if progressed || pending.is_empty() || stop(&run) {
                continue;
            }
            // Every waiting operation waits on another: a cycle. Break it at the first group
            // POST that references the others only as members (RFC 7644 §3.7.1).
            let breakable = pending.iter().find_map(|&i| {
                let op = ops[i].as_ref().ok()?;
                let refs = member_only_refs(op)?;
                let unresolved: BTreeSet<String> = refs.into_iter().filter(|r| !run.created.contains_key(r)).collect();
                Some((i, unresolved))
            });
            match breakable {
                Some((i, later)) => {
                    let Ok(op) = &ops[i] else { continue };
                    let outcome = run.execute(op, &later).await;
                    if let (Outcome::Done { id, .. }, false) = (&outcome, later.is_empty()) {
                        deferred.push((i, id.clone(), later));
                    }
                    run.finish(i, Some(op), outcome);
                    pending.retain(|&p| p != i);
                }
                None => {
                    for &i in &pending {
                        let Ok(op) = &ops[i] else { continue };
                        let e = ScimError::conflict(
                            "circular bulkId references that this service cannot resolve (RFC 7644 §3.7.1); \
                             create the resources first, then reference them by id",
                        );
                        run.finish(i, Some(op), Outcome::Failed(e));
                    }
                    pending.clear();
                }
            }
        }
        // The members left out to break cycles, now that their resources exist.
        for (i, group_id, later) in deferred {
            let Ok(op) = &ops[i] else { continue };
            if let Err(e) = add_deferred_members(&run, &group_id, &later).await {
                // Undo the group, so that the operation's failure leaves nothing behind.
                let provisioning = ctx.provisioning.with_method("DELETE");
                let _ = provisioning.delete_group(&ctx.tenant, &group_id, None).await;
                if let Some(b) = &op.bulk_id {
                    run.created.remove(b);
                }
                run.outcomes[i] = Some(Outcome::Failed(e));
                run.errors += 1;
            }
        }
        let results: Vec<Value> = ops
            .iter()
            .zip(run.outcomes)
            .filter_map(|(op, outcome)| Some(operation_json(op.as_ref().ok(), outcome?)))
            .collect();
        Ok(response::json(StatusCode::OK, &json!({"schemas": [BULK_RESPONSE], "Operations": results})))
    }
}

/// Adds to a group created without them the members whose resources the request created
/// since.
async fn add_deferred_members(run: &Run<'_>, group_id: &str, later: &BTreeSet<String>) -> Result<(), ScimError> {
    let mut members = Vec::new();
    for b in later {
        match run.created.get(b) {
            Some((_, id)) => members.push(json!({"value": id})),
            None => return Err(ScimError::conflict(format!("bulkId \"{b}\" was not created: its operation failed"))),
        }
    }
    let patch = json!({
        "schemas": [crate::urn::PATCH_OP],
        "Operations": [{"op": "add", "path": "members", "value": members}],
    });
    let provisioning = run.ctx.provisioning.with_method("PATCH");
    provisioning.patch_group(&run.ctx.tenant, group_id, &patch, None).await?;
    Ok(())
}

/// One operation of the `BulkResponse`.
fn operation_json(op: Option<&Op>, outcome: Outcome) -> Value {
    let mut out = Map::new();
    if let Some(op) = op {
        out.insert("method".into(), Value::String(op.method_text.clone()));
        if let Some(b) = &op.bulk_id {
            out.insert("bulkId".into(), Value::String(b.clone()));
        }
    }
    match outcome {
        Outcome::Done { status, location, version, .. } => {
            out.insert("location".into(), Value::String(location));
            if let Some(v) = version {
                out.insert("version".into(), Value::String(v.as_str().to_owned()));
            }
            out.insert("status".into(), Value::String(status.as_u16().to_string()));
        }
        Outcome::Failed(e) => {
            out.insert("status".into(), Value::String(e.status().as_u16().to_string()));
            out.insert("response".into(), e.to_json());
        }
    }
    Value::Object(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_found_and_resolved() {
        let mut data = json!({"members": [{"value": "bulkId:a"}, {"value": "x"}],
                              "urn:x": {"manager": {"value": "bulkId:b"}}});
        let mut refs = BTreeSet::new();
        collect_refs(&data, &mut refs);
        assert_eq!(refs.into_iter().collect::<Vec<_>>(), ["a", "b"]);
        let created = HashMap::from([("a".to_owned(), (ResourceKind::User, "id-a".to_owned()))]);
        resolve_refs(&mut data, &created);
        assert_eq!(data["members"][0]["value"], "id-a");
        assert_eq!(data["urn:x"]["manager"]["value"], "bulkId:b", "unknown ones stay");
    }

    #[test]
    fn operations_are_read_with_their_errors() {
        let op = |v: Value| parse_op(&v);
        let post = op(json!({"method": "post", "path": "/Users", "bulkId": "q", "data": {"userName": "a"}})).unwrap();
        assert_eq!((post.method, post.kind, post.id.as_deref()), (Method::Post, ResourceKind::User, None));
        let put = op(json!({"method": "PUT", "path": "/Groups/bulkId:g", "data": {}})).unwrap();
        assert_eq!(put.refs.into_iter().collect::<Vec<_>>(), ["g"]);
        let err = |v: Value| op(v).unwrap_err().scim_type();
        use crate::ScimType::*;
        assert_eq!(err(json!({"method": "POST", "path": "/Users", "data": {}})), Some(InvalidSyntax));
        assert_eq!(err(json!({"method": "GET", "path": "/Users/1"})), Some(InvalidSyntax));
        assert_eq!(err(json!({"method": "DELETE", "path": "/Users"})), Some(InvalidPath));
        assert_eq!(err(json!({"method": "POST", "path": "/Users/1", "bulkId": "q", "data": {}})), Some(InvalidPath));
        assert_eq!(err(json!({"method": "PATCH", "path": "/Users/1"})), Some(InvalidSyntax));
        assert_eq!(err(json!({"method": "PUT", "path": "/Users/1", "data": []})), Some(InvalidSyntax));
        assert_eq!(err(json!("x")), Some(InvalidSyntax));
    }

    #[test]
    fn requests_are_bounded_and_checked() {
        let ops = |n: usize| {
            let op = json!({"method": "DELETE", "path": "/Users/1"});
            json!({"schemas": [BULK_REQUEST], "Operations": vec![op; n]})
        };
        assert!(parse_request(&ops(3), 3).is_ok());
        assert_eq!(parse_request(&ops(4), 3).err().map(|e| e.status()), Some(StatusCode::PAYLOAD_TOO_LARGE));
        assert!(parse_request(&ops(0), 3).is_err());
        let bad = json!({"schemas": ["urn:x"], "Operations": [{"method": "DELETE", "path": "/Users/1"}]});
        assert!(parse_request(&bad, 3).is_err());
        let fail = json!({"schemas": [BULK_REQUEST], "failOnErrors": 0, "Operations": []});
        assert!(parse_request(&fail, 3).is_err());
        let dup = json!({"schemas": [BULK_REQUEST], "Operations": [
            {"method": "POST", "path": "/Users", "bulkId": "q", "data": {}},
            {"method": "POST", "path": "/Users", "bulkId": "q", "data": {}}]});
        let read = parse_request(&dup, 3).unwrap();
        assert!(read.ops[0].is_ok() && read.ops[1].is_err());
    }
}
