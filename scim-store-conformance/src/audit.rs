//! The audit log: one record per change, in the same step as the change; none for a write
//! that fails; purges recorded; reading newest first with filters and cursors; retention.

use crate::support::{t0, tenant, user};
use chrono::Duration;
use scim_core::audit::{
    Actor, AuditContext, AuditLog, AuditOperation, AuditOutcome, AuditQuery, AuditRecord, REDACTED, Transition,
};
use scim_core::lifecycle::ManualClock;
use scim_core::{
    DynGroupStore, DynUserStore, Provisioning, ResourceKind, ScimError, StoreError, TenantId, UserStatus, urn,
};
use serde_json::{Value, json};
use std::sync::Arc;

fn service(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>, clock: &Arc<ManualClock>) -> Provisioning {
    Provisioning::from_stores(users, groups).with_clock(clock.clone()).with_retention(Duration::days(30))
}

fn log(users: &DynUserStore) -> &dyn AuditLog {
    users.audit_log().expect("the store keeps an audit log (UserStore::audit_log)")
}

/// Every record of `tenant`, newest first, read a page of `limit` at a time.
async fn all_records(users: &DynUserStore, t: &TenantId, query: AuditQuery, limit: usize) -> Vec<AuditRecord> {
    let mut out = Vec::new();
    let mut cursor = None;
    loop {
        let page = log(users)
            .list_audit(t, &query.clone().with_cursor(cursor).with_limit(limit))
            .await
            .expect("list the audit log");
        assert!(page.records.len() <= limit, "a page holds at most `limit` records");
        out.extend(page.records);
        match page.next {
            Some(next) => cursor = Some(next),
            None => return out,
        }
        assert!(out.len() < 100_000, "the cursor must move on");
    }
}

fn ops(records: &[AuditRecord]) -> Vec<&'static str> {
    records.iter().map(|r| r.operation.as_str()).collect()
}

fn change<'r>(record: &'r AuditRecord, attribute: &str) -> Option<(Option<&'r Value>, Option<&'r Value>)> {
    record.changes.iter().find(|c| c.attribute == attribute).map(|c| (c.old.as_ref(), c.new.as_ref()))
}

fn patch(path: &str, value: &Value) -> Value {
    json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "Replace", "path": path, "value": value}]})
}

/// Each write of the service leaves exactly one record, newest first, with the resource, the
/// operation, the attributes changed (old and new), the lifecycle transition and the status;
/// the actor is the host unless the service acts for a token.
pub async fn audit_records_every_service_write(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("audit_writes", "a");
    let clock = Arc::new(ManualClock::new(t0()));
    let host = service(users.clone(), groups, &clock);
    assert!(host.audits(), "auditing is on by default over a store with a log");
    let entra = host.acting_as(AuditContext {
        actor: Actor::Token { id: Some("tok-1".into()), label: Some("Entra ID".into()) },
        client: Some("Azure AD SCIM Provisioning".into()),
        request_id: Some("req-1".into()),
        method: Some("POST".into()),
    });
    let body = json!({"userName": "alice@example.com", "externalId": "alice", "title": "Engineer",
                      "password": "s3cret-Passw0rd"});
    let alice = entra.create_user(&t, &body).await.expect("create");
    let id = alice.id().expect("id").to_owned();
    clock.advance(Duration::seconds(1));
    entra.patch_user(&t, &id, &patch("active", &json!(false)), None).await.expect("suspend");
    entra.patch_user(&t, &id, &patch("active", &json!(true)), None).await.expect("restore");
    host.accept_invitation(&t, &id).await.expect("accept");
    let replaced = json!({"userName": "alice@example.com", "externalId": "alice", "title": "Manager"});
    entra.replace_user(&t, &id, &replaced, None).await.expect("replace");
    // A write that changes nothing stores nothing and records nothing.
    entra.replace_user(&t, &id, &replaced, None).await.expect("replace, same");
    let g = entra.create_group(&t, &json!({"displayName": "Staff"})).await.expect("group");
    let gid = g.id().expect("id").to_owned();
    let add =
        json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "add", "path": "members", "value": [{"value": id}]}]});
    entra.patch_group(&t, &gid, &add, None).await.expect("add member");
    entra.replace_group(&t, &gid, &json!({"displayName": "Staff 2"}), None).await.expect("replace group");
    entra.delete_group(&t, &gid, None).await.expect("delete group");
    entra.delete_user(&t, &id, None).await.expect("delete");

    let records = all_records(&*users, &t, AuditQuery::new(), 3).await;
    assert_eq!(
        ops(&records),
        ["delete", "delete", "replace", "patch", "create", "replace", "accept_invitation", "patch", "patch", "create"],
        "one record per change, newest first"
    );
    assert!(records.windows(2).all(|w| w[0].seq > w[1].seq), "seq falls from newest to oldest");
    let create = &records[9];
    assert_eq!((create.resource_type, create.resource_id.as_deref()), (ResourceKind::User, Some(id.as_str())));
    assert_eq!(create.name.as_deref(), Some("alice@example.com"));
    assert_eq!(create.status, 201);
    assert_eq!(create.time, t0());
    assert_eq!(create.transition, Some(Transition { from: None, to: Some(UserStatus::Pending) }));
    assert_eq!(change(create, "title"), Some((None, Some(&json!("Engineer")))));
    assert_eq!(create.actor, Actor::Token { id: Some("tok-1".into()), label: Some("Entra ID".into()) });
    assert_eq!(create.client.as_deref(), Some("Azure AD SCIM Provisioning"));
    assert_eq!(create.request_id.as_deref(), Some("req-1"));
    assert_eq!(create.tenant, t);
    for r in &records {
        let text = r.to_json().to_string();
        assert!(!text.contains("s3cret"), "a password never reaches the log: {text}");
        if let Some((old, new)) = change(r, "password") {
            assert!(old.is_none_or(|v| v == REDACTED) && new.is_none_or(|v| v == REDACTED));
        }
    }
    let suspend = &records[8];
    assert_eq!(
        suspend.transition,
        Some(Transition { from: Some(UserStatus::Pending), to: Some(UserStatus::Suspended) })
    );
    assert_eq!(change(suspend, "active"), Some((Some(&json!(true)), Some(&json!(false)))));
    assert_eq!(suspend.time, t0() + Duration::seconds(1));
    let restore = &records[7];
    assert_eq!(
        restore.transition,
        Some(Transition { from: Some(UserStatus::Suspended), to: Some(UserStatus::Pending) })
    );
    let accept = &records[6];
    assert_eq!(accept.actor, Actor::Host { name: None }, "the host's own calls are the host's");
    assert_eq!(accept.transition, Some(Transition { from: Some(UserStatus::Pending), to: Some(UserStatus::Active) }));
    assert_eq!(change(&records[5], "title"), Some((Some(&json!("Engineer")), Some(&json!("Manager")))));
    assert_eq!(records[5].transition, None);
    let members = &records[3];
    assert_eq!(members.resource_type, ResourceKind::Group);
    assert_eq!(members.name.as_deref(), Some("Staff"));
    let (removed, added) = change(members, "members").expect("members change");
    assert_eq!(removed, None);
    assert_eq!(added.and_then(|a| a[0]["value"].as_str()), Some(id.as_str()));
    assert_eq!(change(&records[2], "displayName"), Some((Some(&json!("Staff")), Some(&json!("Staff 2")))));
    assert_eq!((records[1].resource_type, records[1].name.as_deref()), (ResourceKind::Group, Some("Staff 2")));
    let delete = &records[0];
    assert_eq!(delete.transition, Some(Transition { from: Some(UserStatus::Active), to: None }));
    assert_eq!(delete.status, 204);
    assert_eq!(delete.name.as_deref(), Some("alice@example.com"));
    // By resource: the user's own records only.
    let mine = all_records(&*users, &t, AuditQuery::new().with_resource(id.as_str()), 100).await;
    assert_eq!(ops(&mine), ["delete", "replace", "accept_invitation", "patch", "patch", "create"]);
    // By actor.
    let hosts = all_records(&*users, &t, AuditQuery::new().with_actor("host"), 100).await;
    assert_eq!(ops(&hosts), ["accept_invitation"]);
}

/// A write that fails (uniqueness, a stale version, an unknown resource) keeps no record, at
/// the store and through the service; one that succeeds keeps exactly its own.
pub async fn audit_failed_writes_keep_no_record(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("audit_failed", "a");
    let clock = Arc::new(ManualClock::new(t0()));
    let svc = service(users.clone(), groups.clone(), &clock);
    let record = |op| AuditRecord::new(t0(), t.clone(), &AuditContext::default(), ResourceKind::User, op);
    let stored = users.create(&t, user("u1", "bjensen"), Some(&record(AuditOperation::Create))).await.expect("create");
    let dup = users.create(&t, user("u2", "BJENSEN"), Some(&record(AuditOperation::Create))).await;
    assert!(matches!(dup, Err(StoreError::Uniqueness { .. })));
    let stale = scim_core::Version::from_revision(7);
    let replaced = users.replace(&t, stored.clone(), Some(&stale), Some(&record(AuditOperation::Replace))).await;
    assert!(matches!(replaced, Err(StoreError::PreconditionFailed)));
    let gone = users.delete(&t, "nobody", None, Some(&record(AuditOperation::Delete))).await;
    assert!(matches!(gone, Err(StoreError::NotFound)));
    let change = scim_core::store::MemberChange { add: vec![json!({"value": "u1"})], remove: vec![] };
    let no_group = groups.modify_members(&t, "nog", &change, t0(), None, Some(&record(AuditOperation::Patch))).await;
    assert!(matches!(no_group, Err(StoreError::NotFound)));
    assert_eq!(all_records(&*users, &t, AuditQuery::new(), 100).await.len(), 1, "only the create that succeeded");
    // Through the service.
    let taken = svc.create_user(&t, &json!({"userName": "bjensen"})).await;
    assert_eq!(taken.map(|_| ()).map_err(|e| e.status().as_u16()), Err(409));
    let bad = svc.patch_user(&t, "u1", &patch("userName", &json!(42)), None).await;
    assert!(bad.is_err());
    assert_eq!(all_records(&*users, &t, AuditQuery::new(), 100).await.len(), 1);
    // A refused request, recorded by the protocol layer: a failure with its status and detail.
    let refusal = ScimError::invalid_value("userName must be a string");
    svc.record_refusal(&t, ResourceKind::User, Some("u1"), AuditOperation::Patch, &refusal).await.expect("record");
    // A 5xx, a 429 and a 404 of a read are not recorded.
    svc.record_refusal(&t, ResourceKind::User, None, AuditOperation::Create, &ScimError::internal()).await.expect("ok");
    let throttled = ScimError::too_many_requests(std::time::Duration::from_secs(1));
    svc.record_refusal(&t, ResourceKind::User, None, AuditOperation::List, &throttled).await.expect("ok");
    let missing = ScimError::not_found("no such user");
    svc.record_refusal(&t, ResourceKind::User, Some("x"), AuditOperation::Read, &missing).await.expect("ok");
    let failures = all_records(&*users, &t, AuditQuery::new().with_outcome(AuditOutcome::Failure), 100).await;
    assert_eq!(failures.len(), 1);
    assert_eq!((failures[0].status, failures[0].scim_type.as_deref()), (400, Some("invalidValue")));
    assert_eq!(failures[0].detail.as_deref(), Some("userName must be a string"));
    let successes = all_records(&*users, &t, AuditQuery::new().with_outcome(AuditOutcome::Success), 100).await;
    assert_eq!(successes.len(), 1);
}

/// The purge keeps one record per user it removes (the system as actor, `suspended` to gone),
/// in every tenant; so does a read that finds an expired user and purges it on the spot.
pub async fn audit_purges_are_recorded(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let (a, b) = (tenant("audit_purge", "a"), tenant("audit_purge", "b"));
    let clock = Arc::new(ManualClock::new(t0()));
    let svc = service(users.clone(), groups, &clock);
    let off = patch("active", &json!(false));
    let mut ids = Vec::new();
    for (t, name) in [(&a, "p1"), (&a, "p2"), (&b, "p3"), (&a, "read")] {
        let u = svc.create_user(t, &json!({"userName": name})).await.expect("create");
        let id = u.id().expect("id").to_owned();
        svc.patch_user(t, &id, &off, None).await.expect("suspend");
        ids.push(id);
    }
    clock.advance(Duration::days(31));
    // A read of an expired user purges it.
    assert!(svc.get_user(&a, &ids[3]).await.is_err());
    assert_eq!(svc.purge_expired().await.expect("purge"), 3);
    let purges = |t: &TenantId| {
        let t = t.clone();
        let users = users.clone();
        async move {
            all_records(&*users, &t, AuditQuery::new(), 100)
                .await
                .into_iter()
                .filter(|r| r.operation == AuditOperation::Purge)
                .collect::<Vec<_>>()
        }
    };
    let in_a = purges(&a).await;
    let in_b = purges(&b).await;
    assert_eq!(in_a.len(), 3, "two by the purge, one by the read");
    assert_eq!(in_b.len(), 1);
    for r in in_a.iter().chain(&in_b) {
        assert_eq!(r.actor, Actor::System);
        assert_eq!(r.transition, Some(Transition { from: Some(UserStatus::Suspended), to: None }));
        assert!(r.name.is_some() && r.resource_id.is_some());
        assert_eq!(r.time, t0() + Duration::days(31));
    }
    assert_eq!(in_b[0].resource_id.as_deref(), Some(ids[2].as_str()));
    assert_eq!(in_b[0].tenant, b);
}

/// Pages walk a tenant's log once, newest first, and see no other tenant's; time filters
/// bound it; records older than the audit retention go with the purge job.
pub async fn audit_paging_filters_and_retention(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let (a, b) = (tenant("audit_paging", "a"), tenant("audit_paging", "b"));
    let clock = Arc::new(ManualClock::new(t0()));
    let svc = service(users.clone(), groups, &clock).with_audit_retention(Duration::days(2));
    for i in 0..23 {
        svc.create_user(&a, &json!({"userName": format!("a{i}")})).await.expect("create");
        if i % 5 == 0 {
            svc.create_user(&b, &json!({"userName": format!("b{i}")})).await.expect("create");
        }
        clock.advance(Duration::hours(1));
    }
    let records = all_records(&*users, &a, AuditQuery::new(), 5).await;
    assert_eq!(records.len(), 23);
    let names: Vec<String> = records.iter().filter_map(|r| r.name.clone()).collect();
    let expected: Vec<String> = (0..23).rev().map(|i| format!("a{i}")).collect();
    assert_eq!(names, expected, "every record once, newest first, only this tenant's");
    assert_eq!(all_records(&*users, &b, AuditQuery::new(), 100).await.len(), 5);
    let window = AuditQuery::new().with_since(t0() + Duration::hours(3)).with_until(t0() + Duration::hours(6));
    let within = all_records(&*users, &a, window, 2).await;
    assert_eq!(within.iter().filter_map(|r| r.name.as_deref()).collect::<Vec<_>>(), ["a5", "a4", "a3"]);
    // A bad cursor is the client's error.
    assert_eq!("x1".parse::<scim_core::audit::AuditCursor>().map_err(|e| e.status().as_u16()), Err(400));
    // Retention: two days after the last record, the first 22 hours' records are older than
    // two days and go with the purge job; the rest stay.
    clock.set(t0() + Duration::hours(22) + Duration::days(2));
    svc.purge_expired().await.expect("purge");
    let kept = all_records(&*users, &a, AuditQuery::new(), 100).await;
    assert_eq!(kept.len(), 1, "only a22 is within two days");
    assert_eq!(kept[0].name.as_deref(), Some("a22"));
    assert!(all_records(&*users, &b, AuditQuery::new(), 100).await.is_empty());
}

/// With auditing turned off the service passes no records and the log stays empty.
pub async fn audit_can_be_turned_off(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("audit_off", "a");
    let clock = Arc::new(ManualClock::new(t0()));
    let svc = service(users.clone(), groups, &clock).with_audit(false);
    assert!(!svc.audits());
    let u = svc.create_user(&t, &json!({"userName": "quiet"})).await.expect("create");
    svc.delete_user(&t, u.id().expect("id"), None).await.expect("delete");
    assert!(all_records(&*users, &t, AuditQuery::new(), 100).await.is_empty());
}
