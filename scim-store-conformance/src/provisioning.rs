//! The provisioning service over the store: lifecycle transitions with a manual clock, events,
//! concurrency, `If-Match`, paging parameters.

use crate::Interleaving;
use crate::support::{content, sorted_emails, suspended, t0, tenant, user_at};
use chrono::Duration;
use futures_util::future::join_all;
use http::StatusCode;
use scim_core::lifecycle::ManualClock;
use scim_core::{
    DynGroupStore, DynUserStore, LifecycleEvent, LifecycleEvents, Limits, ListRequest, Provisioning, ScimError,
    TenantId, User, UserStatus, Version, urn,
};
use serde_json::{Value, json};
use std::sync::{Arc, Mutex, PoisonError};

/// Records events as `"kind:user_id"`.
#[derive(Debug, Default)]
struct Recorder(Mutex<Vec<String>>);

impl Recorder {
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

impl LifecycleEvents for Recorder {
    fn on_event(&self, event: &LifecycleEvent) {
        let kind = match event {
            LifecycleEvent::Invited { .. } => "invited",
            LifecycleEvent::Activated { .. } => "activated",
            LifecycleEvent::Suspended { .. } => "suspended",
            LifecycleEvent::Restored { .. } => "restored",
            LifecycleEvent::Purged { .. } => "purged",
            LifecycleEvent::Deleted { .. } => "deleted",
            // An event this suite does not know yet: recorded, so a case sees it.
            _ => "unknown",
        };
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push(format!("{kind}:{}", event.user_id()));
    }
}

/// The clock and the events of a case's service.
struct Fixture {
    clock: Arc<ManualClock>,
    events: Arc<Recorder>,
    retention: Duration,
}

impl Fixture {
    fn new(retention: Duration) -> Self {
        Self { clock: Arc::new(ManualClock::new(t0())), events: Arc::new(Recorder::default()), retention }
    }

    /// A service over the stores with the fixture's clock, events and retention.
    fn service(&self, users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) -> Provisioning {
        Provisioning::from_stores(users, groups)
            .with_clock(self.clock.clone())
            .with_events(self.events.clone())
            .with_retention(self.retention)
    }

    /// As [`Fixture::service`], over the stores wrapped in [`Interleaving`], so concurrent
    /// updates interleave between their read and their write even on a store that never
    /// suspends.
    fn interleaved_service(&self, users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) -> Provisioning {
        self.service(Arc::new(Interleaving::new(users)), Arc::new(Interleaving::new(groups)))
    }
}

fn patch_active(value: &Value) -> Value {
    json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": value}]})
}

fn entra_user(user_name: &str) -> Value {
    json!({
        "schemas": [urn::USER, urn::ENTERPRISE_USER],
        "externalId": user_name.split('@').next().unwrap_or(user_name),
        "userName": user_name,
        "active": true,
        "displayName": "Barbara Jensen",
        "title": "Engineer",
        "emails": [{"primary": true, "type": "work", "value": user_name}],
        "phoneNumbers": [{"type": "work", "value": "+1 555 0100"}],
        "name": {"formatted": "Barbara Jensen", "familyName": "Jensen", "givenName": "Barbara"},
        urn::ENTERPRISE_USER: {"employeeNumber": "701984", "department": "Sales"},
        "meta": {"resourceType": "User"},
    })
}

fn id_of(u: &User) -> String {
    u.id().unwrap_or_default().to_owned()
}

/// The attributes a client owns (no `meta`, lifecycle extension, `active` or `groups`).
fn client_attrs(u: &User) -> Value {
    let mut v = content(u.as_json());
    if let Some(o) = v.as_object_mut() {
        o.remove(urn::LIFECYCLE_USER);
        o.remove("active");
        o.remove("groups");
    }
    v
}

fn status(e: &ScimError) -> StatusCode {
    e.status()
}

/// `POST` makes a pending, active user with a UUID `id`, `meta` from the clock, the
/// lifecycle extension, and reports `Invited`.
pub async fn service_create_is_pending_and_invites(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_create", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let u = svc.create_user(&t, &entra_user("bjensen@example.com")).await.expect("create");
    let id = id_of(&u);
    let groups_of_dashes: Vec<usize> = id.split('-').map(str::len).collect();
    assert_eq!(groups_of_dashes, [8, 4, 4, 4, 12], "UUID form: {id}");
    assert_eq!(id.as_bytes()[14], b'4', "UUID v4: {id}");
    assert!(u.active());
    assert_eq!((u.lifecycle().status, u.lifecycle().invited_at), (UserStatus::Pending, Some(t0())));
    let meta = u.meta().expect("meta");
    assert_eq!((meta.created, meta.last_modified, meta.resource_type.as_str()), (t0(), t0(), "User"));
    let schemas = u.as_object()["schemas"].as_array().cloned().unwrap_or_default();
    assert!(schemas.contains(&json!(urn::LIFECYCLE_USER)), "{schemas:?}");
    assert_eq!(fx.events.take(), [format!("invited:{id}")]);
    assert_eq!(svc.get_user(&t, &id).await.expect("get").as_json(), u.as_json());
    let other = svc.create_user(&t, &entra_user("other@example.com")).await.expect("create");
    assert_ne!(id_of(&other), id, "fresh ids");
    let dup = svc.create_user(&t, &entra_user("BJENSEN@example.com")).await.expect_err("duplicate");
    assert_eq!((dup.status(), dup.scim_type()), (StatusCode::CONFLICT, Some(scim_core::ScimType::Uniqueness)));
}

/// `POST` with `active: "False"` (Entra's string) makes a suspended user, never invited.
pub async fn service_create_inactive_is_suspended(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_create_inactive", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let mut body = entra_user("late@example.com");
    body["active"] = json!("False");
    let u = svc.create_user(&t, &body).await.expect("create");
    assert!(!u.active());
    let lc = u.lifecycle();
    assert_eq!(
        (lc.status, lc.suspended_at, lc.purge_at),
        (UserStatus::Suspended, Some(t0()), Some(t0() + Duration::days(30)))
    );
    assert_eq!(fx.events.take(), [format!("suspended:{}", id_of(&u))]);
    assert_eq!(lc.invited_at, None, "not invited while suspended");
}

/// A user created suspended is invited when it is first restored (`Restored`, then `Invited`),
/// and can then accept; a later suspend and restore does not invite it again.
pub async fn service_restore_of_never_invited_user_invites(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_restore_uninvited", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let mut body = entra_user("later@example.com");
    body["active"] = json!(false);
    let id = id_of(&svc.create_user(&t, &body).await.expect("create"));
    fx.clock.advance(Duration::hours(1));
    let r = svc.patch_user(&t, &id, &patch_active(&json!("True")), None).await.expect("restore");
    let lc = r.lifecycle();
    assert_eq!((lc.status, lc.invited_at), (UserStatus::Pending, Some(t0() + Duration::hours(1))));
    assert_eq!(fx.events.take(), [format!("suspended:{id}"), format!("restored:{id}"), format!("invited:{id}")]);
    svc.patch_user(&t, &id, &patch_active(&json!(false)), None).await.expect("suspend");
    svc.patch_user(&t, &id, &patch_active(&json!(true)), None).await.expect("restore");
    assert_eq!(fx.events.take(), [format!("suspended:{id}"), format!("restored:{id}")]);
    svc.accept_invitation(&t, &id).await.expect("accept");
    assert_eq!(svc.get_user(&t, &id).await.expect("get").lifecycle().status, UserStatus::Active);
}

/// Users stored before `invitedAt` existed (no `invitedAt` in their lifecycle): one created
/// live, pending or active, was invited at its creation and is not invited again on restore;
/// one created suspended (suspended at its creation time) is invited on its first restore.
pub async fn service_restore_of_users_stored_without_invited_at(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_restore_legacy", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users.clone(), groups);
    let earlier = t0() - Duration::days(3);
    users.create(&t, user_at("pending", "pending@example.com", earlier), None).await.expect("create");
    let mut accepted = user_at("accepted", "accepted@example.com", earlier);
    accepted.set_lifecycle(&scim_core::Lifecycle {
        status: UserStatus::Active,
        activated_at: Some(earlier + Duration::hours(1)),
        ..scim_core::Lifecycle::default()
    });
    users.create(&t, accepted, None).await.expect("create");
    let never = suspended(user_at("never", "never@example.com", earlier), earlier, earlier + Duration::days(30));
    users.create(&t, never, None).await.expect("create");
    for id in ["pending", "accepted", "never"] {
        svc.patch_user(&t, id, &patch_active(&json!(false)), None).await.expect("suspend");
        let r = svc.patch_user(&t, id, &patch_active(&json!(true)), None).await.expect("restore");
        let lc = r.lifecycle();
        let expected = if id == "never" { t0() } else { earlier };
        assert_eq!(lc.invited_at, Some(expected), "{id}");
    }
    let events = fx.events.take();
    let invited: Vec<&String> = events.iter().filter(|e| e.starts_with("invited:")).collect();
    assert_eq!(invited, ["invited:never"], "{events:?}");
    assert_eq!(svc.get_user(&t, "accepted").await.expect("get").lifecycle().status, UserStatus::Active);
}

/// Suspending (PATCH `active` "False") keeps every attribute; restoring (`true`) brings the
/// user back to pending, intact, with the purge time cleared.
pub async fn service_suspend_and_restore_keep_every_attribute(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_suspend_restore", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let u = svc.create_user(&t, &entra_user("leaver@example.com")).await.expect("create");
    let id = id_of(&u);
    fx.clock.advance(Duration::hours(1));
    let s = svc.patch_user(&t, &id, &patch_active(&json!("False")), None).await.expect("suspend");
    assert!(!s.active());
    let lc = s.lifecycle();
    let now = t0() + Duration::hours(1);
    assert_eq!(
        (lc.status, lc.suspended_at, lc.purge_at),
        (UserStatus::Suspended, Some(now), Some(now + Duration::days(30)))
    );
    assert_eq!(client_attrs(&s), client_attrs(&u), "attributes intact while suspended");
    assert_eq!(s.meta().map(|m| m.last_modified), Some(now));
    let got = svc.get_user(&t, &id).await.expect("visible while suspended");
    assert!(!got.active());
    let page =
        svc.list_users(&t, &ListRequest::new().with_filter("userName eq \"LEAVER@example.com\"")).await.expect("list");
    assert_eq!(page.total_results, 1, "filters find suspended users");
    // re-sending false does not extend the retention
    fx.clock.advance(Duration::days(2));
    let again = svc.patch_user(&t, &id, &patch_active(&json!(false)), None).await.expect("again");
    assert_eq!(again.lifecycle().purge_at, Some(now + Duration::days(30)));
    assert_eq!(again.version(), s.version(), "no change, same version");
    fx.clock.advance(Duration::days(8));
    let r = svc.patch_user(&t, &id, &patch_active(&json!("True")), None).await.expect("restore");
    assert!(r.active());
    let lc = r.lifecycle();
    assert_eq!((lc.status, lc.suspended_at, lc.purge_at), (UserStatus::Pending, None, None));
    assert_eq!(client_attrs(&r), client_attrs(&u), "every attribute intact after restore");
    assert_eq!(fx.events.take(), [format!("invited:{id}"), format!("suspended:{id}"), format!("restored:{id}")]);
}

/// A user that accepted its invitation, suspended and restored (by PUT, as Okta's AIW apps
/// do), is active again.
pub async fn service_restore_returns_active_user_to_active(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_restore_active", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let u = svc.create_user(&t, &entra_user("a@example.com")).await.expect("create");
    let id = id_of(&u);
    svc.accept_invitation(&t, &id).await.expect("accept");
    fx.clock.advance(Duration::days(1));
    let mut body = u.as_json().clone();
    body["active"] = json!(false);
    let s = svc.replace_user(&t, &id, &body, None).await.expect("PUT active=false");
    assert_eq!(s.lifecycle().status, UserStatus::Suspended);
    assert_eq!(s.lifecycle().activated_at, Some(t0()));
    body["active"] = json!(true);
    let r = svc.replace_user(&t, &id, &body, None).await.expect("PUT active=true");
    assert_eq!(r.lifecycle().status, UserStatus::Active);
    assert_eq!(r.lifecycle().activated_at, Some(t0()));
    assert_eq!(
        fx.events.take(),
        [format!("invited:{id}"), format!("activated:{id}"), format!("suspended:{id}"), format!("restored:{id}")]
    );
}

/// `accept_invitation` turns pending into active once; a second call changes nothing.
pub async fn service_accept_invitation_activates(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_accept", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let u = svc.create_user(&t, &entra_user("a@example.com")).await.expect("create");
    let id = id_of(&u);
    fx.clock.advance(Duration::minutes(5));
    let a = svc.accept_invitation(&t, &id).await.expect("accept");
    assert_eq!(a.lifecycle().status, UserStatus::Active);
    assert_eq!(a.lifecycle().activated_at, Some(t0() + Duration::minutes(5)));
    assert_eq!(client_attrs(&a), client_attrs(&u));
    fx.clock.advance(Duration::minutes(5));
    let again = svc.accept_invitation(&t, &id).await.expect("again");
    assert_eq!(again.version(), a.version());
    assert_eq!(fx.events.take(), [format!("invited:{id}"), format!("activated:{id}")]);
    let e = svc.accept_invitation(&t, "unknown").await.expect_err("unknown");
    assert_eq!(status(&e), StatusCode::NOT_FOUND);
}

/// A suspended pending user cannot accept the invitation (`409`), and stays suspended.
pub async fn service_suspended_user_cannot_accept_invitation(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_no_accept", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let id = id_of(&svc.create_user(&t, &entra_user("a@example.com")).await.expect("create"));
    svc.patch_user(&t, &id, &patch_active(&json!("False")), None).await.expect("suspend");
    let e = svc.accept_invitation(&t, &id).await.expect_err("suspended cannot accept");
    assert_eq!(status(&e), StatusCode::CONFLICT);
    assert!(e.detail().contains("suspended"), "{}", e.detail());
    assert_eq!(svc.get_user(&t, &id).await.expect("get").lifecycle().status, UserStatus::Suspended);
}

/// With a 7-day retention: one second before `purge_at` the purge keeps the user; at
/// `purge_at` it removes it (`Purged` event) and GET is `404`.
pub async fn service_purge_at_boundary(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_purge", "a");
    let fx = Fixture::new(Duration::days(7));
    let svc = fx.service(users, groups);
    let id = id_of(&svc.create_user(&t, &entra_user("a@example.com")).await.expect("create"));
    let keep = id_of(&svc.create_user(&t, &entra_user("keep@example.com")).await.expect("create"));
    svc.patch_user(&t, &id, &patch_active(&json!(false)), None).await.expect("suspend");
    let purge_at = t0() + Duration::days(7);
    fx.events.take();
    fx.clock.set(purge_at - Duration::seconds(1));
    svc.purge_expired().await.expect("purge");
    assert!(fx.events.take().is_empty());
    svc.get_user(&t, &id).await.expect("kept one second before");
    fx.clock.set(purge_at);
    svc.purge_expired().await.expect("purge");
    assert_eq!(fx.events.take(), [format!("purged:{id}")]);
    assert_eq!(status(&svc.get_user(&t, &id).await.expect_err("purged")), StatusCode::NOT_FOUND);
    svc.get_user(&t, &keep).await.expect("live user kept");
    svc.create_user(&t, &entra_user("A@example.com")).await.expect("userName free after purge");
}

/// A suspended user past `purge_at` reads as `404` even before the purge job runs, and
/// cannot be restored.
pub async fn service_expired_user_reads_as_not_found(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_expired", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let id = id_of(&svc.create_user(&t, &entra_user("a@example.com")).await.expect("create"));
    svc.patch_user(&t, &id, &patch_active(&json!(false)), None).await.expect("suspend");
    fx.clock.set(t0() + Duration::days(30));
    let e = svc.patch_user(&t, &id, &patch_active(&json!(true)), None).await.expect_err("too late");
    assert_eq!(status(&e), StatusCode::NOT_FOUND);
    assert_eq!(status(&svc.get_user(&t, &id).await.expect_err("gone")), StatusCode::NOT_FOUND);
    assert!(fx.events.take().contains(&format!("purged:{id}")));
}

/// Restored one second before `purge_at`: intact, and never purged afterwards.
pub async fn service_restore_one_second_before_purge(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_restore_edge", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let u = svc.create_user(&t, &entra_user("a@example.com")).await.expect("create");
    let id = id_of(&u);
    svc.patch_user(&t, &id, &patch_active(&json!(false)), None).await.expect("suspend");
    fx.clock.set(t0() + Duration::days(30) - Duration::seconds(1));
    let r = svc.patch_user(&t, &id, &patch_active(&json!(true)), None).await.expect("restore");
    assert!(r.active());
    assert_eq!(client_attrs(&r), client_attrs(&u));
    fx.clock.advance(Duration::days(365));
    assert_eq!(svc.purge_expired().await.expect("purge"), 0);
    svc.get_user(&t, &id).await.expect("still there");
}

/// `DELETE` removes the user at once (even a suspended one), from its groups too, and reports
/// `Deleted`; a second `DELETE` is `404`.
pub async fn service_delete_is_immediate_and_permanent(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_delete", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let id = id_of(&svc.create_user(&t, &entra_user("a@example.com")).await.expect("create"));
    let other = id_of(&svc.create_user(&t, &entra_user("b@example.com")).await.expect("create"));
    let g = svc
        .create_group(&t, &json!({"displayName": "Team", "members": [{"value": id}, {"value": other}]}))
        .await
        .expect("group");
    svc.patch_user(&t, &id, &patch_active(&json!(false)), None).await.expect("suspend");
    fx.events.take();
    svc.delete_user(&t, &id, None).await.expect("delete");
    assert_eq!(fx.events.take(), [format!("deleted:{id}")]);
    assert_eq!(status(&svc.get_user(&t, &id).await.expect_err("gone")), StatusCode::NOT_FOUND);
    assert_eq!(status(&svc.delete_user(&t, &id, None).await.expect_err("gone")), StatusCode::NOT_FOUND);
    let g = svc.get_group(&t, g.id().unwrap_or_default(), true).await.expect("group");
    assert_eq!(g.member_ids().collect::<Vec<_>>(), [other.as_str()]);
}

/// 16 concurrent PATCHes adding distinct emails, without `If-Match`, all land.
pub async fn service_concurrent_patches_lose_no_update(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    concurrent_email_patches(users, groups, "svc_concurrent", None).await;
}

/// 16 concurrent PATCHes adding distinct emails, each with `If-Match: *`, all land: `*` asks only
/// that the user exists, and the write stays conditional on the version the service read.
pub async fn service_concurrent_patches_with_if_match_any_lose_no_update(
    users: Arc<DynUserStore>,
    groups: Arc<DynGroupStore>,
) {
    concurrent_email_patches(users, groups, "svc_concurrent_any", Some(&Version::new("*"))).await;
}

async fn concurrent_email_patches(
    users: Arc<DynUserStore>,
    groups: Arc<DynGroupStore>,
    case: &str,
    if_match: Option<&Version>,
) {
    let t = tenant(case, "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = &fx.interleaved_service(users, groups);
    let id = id_of(&svc.create_user(&t, &json!({"userName": "busy@example.com"})).await.expect("create"));
    let t = &t;
    let id = id.as_str();
    let patches: Vec<_> = (0..16)
        .map(|w| {
            let body = json!({"schemas": [urn::PATCH_OP], "Operations": [
                {"op": "add", "path": "emails", "value": [{"value": format!("w{w}@example.com"), "type": format!("t{w}")}]}
            ]});
            async move { svc.patch_user(t, id, &body, if_match).await }
        })
        .collect();
    for r in join_all(patches).await {
        r.expect("every patch succeeds");
    }
    let u = svc.get_user(t, id).await.expect("get");
    let emails = sorted_emails(&u);
    let mut expected: Vec<String> = (0..16).map(|w| format!("w{w}@example.com")).collect();
    expected.sort();
    assert_eq!(emails, expected);
    assert!(u.version().expect("version").matches(&Version::from_revision(17)));
}

/// 8 concurrent group PATCHes with `If-Match: *`, each adding a member and setting `externalId`
/// (so the whole group is rewritten, not just its members), lose no member.
pub async fn service_concurrent_group_patches_with_if_match_any_lose_no_update(
    users: Arc<DynUserStore>,
    groups: Arc<DynGroupStore>,
) {
    let t = tenant("svc_concurrent_group_any", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = &fx.interleaved_service(users, groups);
    let mut ids = Vec::new();
    for w in 0..8 {
        let u = svc.create_user(&t, &json!({"userName": format!("m{w}@example.com")})).await.expect("create");
        ids.push(id_of(&u));
    }
    let g = svc.create_group(&t, &json!({"displayName": "Busy"})).await.expect("group");
    let gid = g.id().unwrap_or_default().to_owned();
    let any = Version::new("*");
    let (t, gid, any) = (&t, gid.as_str(), &any);
    let patches: Vec<_> = ids
        .iter()
        .enumerate()
        .map(|(w, member)| {
            let body = json!({"schemas": [urn::PATCH_OP], "Operations": [
                {"op": "add", "path": "members", "value": [{"value": member}]},
                {"op": "replace", "path": "externalId", "value": format!("ext{w}")}
            ]});
            async move { svc.patch_group(t, gid, &body, Some(any)).await }
        })
        .collect();
    for r in join_all(patches).await {
        r.expect("every patch succeeds");
    }
    let g = svc.get_group(t, gid, true).await.expect("get");
    let mut got: Vec<&str> = g.member_ids().collect();
    got.sort_unstable();
    let mut want: Vec<&str> = ids.iter().map(String::as_str).collect();
    want.sort_unstable();
    assert_eq!(got, want);
}

/// A create, replace or PATCH that would store a resource over the size bound is
/// `400 invalidValue` and stores nothing; a group's members do not count toward it.
pub async fn service_resources_over_the_size_bound_are_refused(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_size", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users.clone(), groups).with_limits(Limits::default().with_max_resource_bytes(4096));
    let big = "x".repeat(5000);
    let e = svc.create_user(&t, &json!({"userName": "big@example.com", "title": big})).await.expect_err("too big");
    assert_eq!((status(&e), e.scim_type()), (StatusCode::BAD_REQUEST, Some(scim_core::ScimType::InvalidValue)));
    let page = svc.list_users(&t, &ListRequest::default()).await.expect("list");
    assert_eq!(page.total_results, 0, "nothing stored");

    let u = svc.create_user(&t, &json!({"userName": "small@example.com"})).await.expect("create");
    let id = id_of(&u);
    let grow = json!({"Operations": [{"op": "add", "path": "title", "value": big}]});
    let e = svc.patch_user(&t, &id, &grow, None).await.expect_err("too big");
    assert_eq!(e.scim_type(), Some(scim_core::ScimType::InvalidValue));
    let mut put = u.as_json().clone();
    put["title"] = json!(big);
    assert!(svc.replace_user(&t, &id, &put, None).await.is_err());
    assert_eq!(svc.get_user(&t, &id).await.expect("get").version(), u.version(), "unchanged");

    // A resource stored over the bound (before it, say) can still be changed without growing.
    let mut legacy = crate::support::user_at("legacy", "legacy@example.com", t0());
    legacy.as_object_mut().insert("title".into(), json!(big));
    users.create(&t, legacy, None).await.expect("stored directly");
    let shrink = json!({"Operations": [{"op": "replace", "path": "title", "value": "x".repeat(4500)}]});
    svc.patch_user(&t, "legacy", &patch_active(&json!(false)), None).await.expect("deactivating is allowed");
    svc.patch_user(&t, "legacy", &shrink, None).await.expect("shrinking is allowed");
    let grow = json!({"Operations": [{"op": "replace", "path": "title", "value": "x".repeat(5000)}]});
    assert!(svc.patch_user(&t, "legacy", &grow, None).await.is_err(), "growing past the stored size is not");

    let mut ids = Vec::new();
    for i in 0..60 {
        ids.push(id_of(&svc.create_user(&t, &json!({"userName": format!("m{i}@example.com")})).await.expect("create")));
    }
    let members: Vec<Value> =
        ids.iter().map(|id| json!({"value": id, "display": "A member with a long display name"})).collect();
    let g =
        svc.create_group(&t, &json!({"displayName": "Many", "members": members})).await.expect("members do not count");
    assert_eq!(g.member_ids().count(), 60);
    let e = svc.create_group(&t, &json!({"displayName": big})).await.expect_err("too big");
    assert_eq!(e.scim_type(), Some(scim_core::ScimType::InvalidValue));
}

/// With a client `If-Match`, a stale version is `412` for PATCH, PUT and DELETE; the current
/// one works.
pub async fn service_stale_if_match_is_412(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_412", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let u = svc.create_user(&t, &entra_user("a@example.com")).await.expect("create");
    let id = id_of(&u);
    let v1 = u.version().expect("version");
    let title = |s: &str| json!({"Operations": [{"op": "replace", "path": "title", "value": s}]});
    let u2 = svc.patch_user(&t, &id, &title("one"), Some(&v1)).await.expect("current version");
    let e = svc.patch_user(&t, &id, &title("two"), Some(&v1)).await.expect_err("stale");
    assert_eq!(status(&e), StatusCode::PRECONDITION_FAILED);
    let e = svc.replace_user(&t, &id, &entra_user("a@example.com"), Some(&v1)).await.expect_err("stale");
    assert_eq!(status(&e), StatusCode::PRECONDITION_FAILED);
    let e = svc.delete_user(&t, &id, Some(&v1)).await.expect_err("stale");
    assert_eq!(status(&e), StatusCode::PRECONDITION_FAILED);
    let got = svc.get_user(&t, &id).await.expect("get");
    assert_eq!(got.as_object()["title"], "one");
    svc.delete_user(&t, &id, u2.version().as_ref()).await.expect("current version deletes");
}

/// PUT keeps `id` and `meta.created` whatever the body says, sets `meta.lastModified`, bumps
/// the version; an identical PUT changes nothing (same version).
pub async fn service_replace_keeps_id_and_created(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_put", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let u = svc.create_user(&t, &entra_user("a@example.com")).await.expect("create");
    let id = id_of(&u);
    fx.clock.advance(Duration::minutes(1));
    let mut body = u.as_json().clone();
    body["id"] = json!("forged");
    body["meta"] = json!({"created": "2001-01-01T00:00:00Z", "version": "W/\"99\""});
    body["title"] = json!("Manager");
    let r = svc.replace_user(&t, &id, &body, None).await.expect("PUT");
    assert_eq!(r.id(), Some(id.as_str()));
    let meta = r.meta().expect("meta");
    assert_eq!((meta.created, meta.last_modified), (t0(), t0() + Duration::minutes(1)));
    assert!(r.version().expect("version").matches(&Version::from_revision(2)));
    assert_eq!(r.as_object()["title"], "Manager");
    fx.clock.advance(Duration::minutes(1));
    let same = svc.replace_user(&t, &id, r.as_json(), None).await.expect("PUT unchanged");
    assert_eq!(same.version(), r.version(), "unchanged PUT keeps the version");
    assert_eq!(same.meta().map(|m| m.last_modified), Some(t0() + Duration::minutes(1)));
    let e = svc.replace_user(&t, "unknown", &body, None).await.expect_err("PUT never creates");
    assert_eq!(status(&e), StatusCode::NOT_FOUND);
}

/// `startIndex` 0 or negative counts as 1, `count` 0 (or negative) gives only `totalResults`,
/// past the end is empty, `count` is capped at the maximum.
pub async fn service_paging_edges(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_paging", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups).with_limits(Limits::default().with_max_results(3));
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(id_of(&svc.create_user(&t, &json!({"userName": format!("p{i}@example.com")})).await.expect("create")));
    }
    let req = |start: Option<i64>, count: Option<i64>| {
        let mut request = ListRequest::new();
        (request.start_index, request.count) = (start, count);
        request
    };
    for start in [Some(0), Some(-7), None, Some(1)] {
        let p = svc.list_users(&t, &req(start, Some(2))).await.expect("list");
        assert_eq!((p.start_index, p.total_results), (1, 5));
        assert_eq!(p.items.iter().map(id_of).collect::<Vec<_>>(), ids[..2].to_vec());
    }
    for count in [Some(0), Some(-1)] {
        let p = svc.list_users(&t, &req(None, count)).await.expect("list");
        assert_eq!((p.total_results, p.items.len()), (5, 0));
    }
    let p = svc.list_users(&t, &req(Some(6), Some(2))).await.expect("list");
    assert_eq!((p.total_results, p.items.len()), (5, 0));
    let p = svc.list_users(&t, &req(Some(2), Some(100))).await.expect("list");
    assert_eq!(p.items.len(), 3, "capped at max_results");
    let p = svc.list_users(&t, &req(None, None)).await.expect("list");
    assert_eq!(p.items.len(), 3, "no count means the maximum");
    let sorted = ListRequest::new().with_sort("userName", "descending");
    let p = svc.list_users(&t, &sorted).await.expect("list");
    assert_eq!(p.items.iter().map(id_of).collect::<Vec<_>>(), [ids[4].clone(), ids[3].clone(), ids[2].clone()]);
    let e = svc.list_users(&t, &ListRequest::new().with_filter("userName xx \"a\"")).await;
    assert_eq!(e.map(|_| ()).map_err(|e| e.scim_type()), Err(Some(scim_core::ScimType::InvalidFilter)));
}

/// Entra's membership PATCHes (`Add` of members, `Remove` with a value array) change only the
/// named members; a rename goes through the full replace path.
pub async fn service_group_member_patches(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t: TenantId = tenant("svc_group_patch", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let mut ids = Vec::new();
    for i in 0..3 {
        ids.push(id_of(&svc.create_user(&t, &json!({"userName": format!("m{i}@example.com")})).await.expect("create")));
    }
    let g = svc
        .create_group(&t, &json!({"schemas": [urn::GROUP], "displayName": "Team", "externalId": "e1"}))
        .await
        .expect("group");
    let gid = g.id().unwrap_or_default().to_owned();
    let add = json!({"schemas": [urn::PATCH_OP], "Operations": [
        {"op": "Add", "path": "members", "value": [{"$ref": null, "value": ids[0]}, {"$ref": null, "value": ids[1]}]}
    ]});
    let out = svc.patch_group(&t, &gid, &add, None).await.expect("add");
    assert!(out.as_object().get("members").is_none(), "member patches answer without members");
    let remove = json!({"schemas": [urn::PATCH_OP], "Operations": [
        {"op": "Remove", "path": "members", "value": [{"value": ids[0]}]}
    ]});
    svc.patch_group(&t, &gid, &remove, None).await.expect("remove");
    let got = svc.get_group(&t, &gid, true).await.expect("get");
    assert_eq!(got.member_ids().collect::<Vec<_>>(), [ids[1].as_str()]);
    let member = &got.as_object()["members"][0];
    assert!(member.get("$ref").is_none_or(|r| !r.is_null()), "null $ref not stored: {member}");
    let user = svc.get_user(&t, &ids[1]).await.expect("get");
    assert_eq!(user.as_object()["groups"][0]["value"], json!(gid));
    let rename = json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "replace", "value": {"id": gid, "displayName": "Renamed"}}]});
    let r = svc.patch_group(&t, &gid, &rename, None).await.expect("rename");
    assert_eq!(r.display_name(), Some("Renamed"));
    assert_eq!(svc.get_group(&t, &gid, true).await.expect("get").member_ids().count(), 1, "members kept");
    let again = svc.patch_group(&t, &gid, &rename, None).await.expect("same name again");
    assert_eq!(again.version(), r.version(), "a rename to the same name is a no-op");
}

/// A string with U+0000 (which PostgreSQL cannot store) is `400 invalidValue` whatever the
/// store, in a create, a replace or a PATCH; an id, a member or a filter literal with one
/// names nothing.
pub async fn service_nul_characters_are_refused_and_match_nothing(
    users: Arc<DynUserStore>,
    groups: Arc<DynGroupStore>,
) {
    let t = tenant("svc_nul", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users, groups);
    let invalid = |e: ScimError| assert_eq!(e.scim_type(), Some(scim_core::ScimType::InvalidValue), "{e:?}");
    invalid(svc.create_user(&t, &json!({"userName": "a\u{0}b"})).await.expect_err("NUL in userName"));
    let u = svc.create_user(&t, &json!({"userName": "ok@example.com"})).await.expect("create");
    let id = id_of(&u);
    let patch = json!({"Operations": [{"op": "add", "path": "title", "value": "x\u{0}"}]});
    invalid(svc.patch_user(&t, &id, &patch, None).await.expect_err("NUL in a PATCH value"));
    let mut put = u.as_json().clone();
    put["emails"] = json!([{"value": "e\u{0}@x"}]);
    invalid(svc.replace_user(&t, &id, &put, None).await.expect_err("NUL in a PUT"));
    invalid(svc.create_group(&t, &json!({"displayName": "g\u{0}"})).await.expect_err("NUL in displayName"));
    assert_eq!(svc.get_user(&t, &id).await.expect("get").version(), u.version(), "unchanged");

    assert_eq!(status(&svc.get_user(&t, "ok\u{0}").await.expect_err("no such id")), StatusCode::NOT_FOUND);
    for filter in
        ["userName eq \"ok@example.com\u{0}\"", "userName co \"\u{0}\"", "id eq \"\u{0}\"", "emails eq \"\u{0}\""]
    {
        let page = svc.list_users(&t, &ListRequest::new().with_filter(filter)).await.expect(filter);
        assert_eq!(page.total_results, 0, "{filter:?}");
    }
    let g = svc.create_group(&t, &json!({"displayName": "crew"})).await.expect("group");
    let gid = g.id().expect("id").to_owned();
    let add =
        json!({"Operations": [{"op": "add", "path": "members", "value": [{"value": "nobody\u{0}"}, {"value": id}]}]});
    svc.patch_group(&t, &gid, &add, None).await.expect("the unknown member is dropped");
    let g = svc.get_group(&t, &gid, true).await.expect("get group");
    let members: Vec<&str> =
        g.as_json()["members"].as_array().expect("members").iter().filter_map(|m| m["value"].as_str()).collect();
    assert_eq!(members, [id.as_str()]);
}

/// A value that stores index (`userName`, `externalId`, an e-mail address, a group's
/// `displayName`) longer than `Limits::max_key_bytes` is `400 invalidValue`, whatever the store;
/// a user stored with one before the rule can still be deactivated.
pub async fn service_overlong_keys_are_refused(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let t = tenant("svc_keys", "a");
    let fx = Fixture::new(Duration::days(30));
    let svc = fx.service(users.clone(), groups).with_limits(Limits::default().with_max_key_bytes(64));
    let long = format!("{}@example.com", "k".repeat(80));
    let invalid = |e: ScimError| assert_eq!(e.scim_type(), Some(scim_core::ScimType::InvalidValue), "{e:?}");
    invalid(svc.create_user(&t, &json!({"userName": long})).await.expect_err("long userName"));
    invalid(svc.create_user(&t, &json!({"userName": "a@x", "externalId": long})).await.expect_err("long externalId"));
    invalid(
        svc.create_user(&t, &json!({"userName": "a@x", "emails": [{"value": long}]})).await.expect_err("long e-mail"),
    );
    invalid(svc.create_group(&t, &json!({"displayName": long})).await.expect_err("long displayName"));
    let u = svc.create_user(&t, &json!({"userName": "a@x", "title": long})).await.expect("title is not a key");
    let rename = json!({"Operations": [{"op": "replace", "path": "userName", "value": long}]});
    invalid(svc.patch_user(&t, &id_of(&u), &rename, None).await.expect_err("renamed to a long userName"));

    // Stored directly (as before the rule): the service still deactivates it.
    let legacy = crate::support::user_at("legacy-key", &long, t0());
    users.create(&t, legacy, None).await.expect("stored directly");
    let off = svc.patch_user(&t, "legacy-key", &patch_active(&json!(false)), None).await.expect("deactivate");
    assert_eq!(off.as_json()["active"], json!(false));
}
