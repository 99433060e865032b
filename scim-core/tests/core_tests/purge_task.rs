//! The purge loop (`Provisioning::spawn_purge`, `PurgeTask`, scim-core's feature `tokio`) of a
//! service embedded as the README shows: over the memory store, with a manual clock, on tokio
//! time that the tests advance by hand.

use async_trait::async_trait;
use chrono::{DateTime, TimeZone, Utc};
use scim_core::AuditRecord;
use scim_core::store::ListQuery;
use scim_core::{
    LifecycleEvent, LifecycleEvents, ListRequest, ManualClock, Page, Provisioning, PurgeTask, ScimError, StoreError,
    TenantId, User, UserStore, Version, urn,
};
use scim_store_memory::MemoryUserStore;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

const INTERVAL: Duration = Duration::from_secs(60);

/// Records the lifecycle events.
#[derive(Debug, Default)]
struct Events(Mutex<Vec<LifecycleEvent>>);

impl LifecycleEvents for Events {
    fn on_event(&self, event: &LifecycleEvent) {
        self.0.lock().expect("events").push(event.clone());
    }
}

impl Events {
    /// The ids of the users reported purged.
    fn purged(&self) -> Vec<String> {
        let events = self.0.lock().expect("events");
        events.iter().filter(|e| matches!(e, LifecycleEvent::Purged { .. })).map(|e| e.user_id().to_owned()).collect()
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 9, 0, 0).single().expect("time")
}

/// Lets the spawned purge task run what is due (the memory store never suspends).
async fn settle() {
    for _ in 0..16 {
        tokio::task::yield_now().await;
    }
}

/// Creates a user and suspends it with Entra's PATCH (`active` "False"); returns its id.
async fn create_suspended(scim: &Provisioning, tenant: &TenantId, name: &str) -> String {
    let user = scim.create_user(tenant, &json!({"userName": name})).await.expect("create");
    let id = user.id().expect("id").to_owned();
    let off =
        json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
    let suspended = scim.patch_user(tenant, &id, &off, None).await.expect("suspend");
    assert!(!suspended.active());
    id
}

async fn listed(scim: &Provisioning, tenant: &TenantId) -> usize {
    scim.list_users(tenant, &ListRequest::default()).await.expect("list").total_results
}

#[tokio::test(start_paused = true)]
async fn the_spawned_purge_removes_expired_users_from_lists() {
    let clock = Arc::new(ManualClock::new(start()));
    let events = Arc::new(Events::default());
    let scim =
        Provisioning::new(Arc::new(MemoryUserStore::new())).with_clock(clock.clone()).with_events(events.clone());
    let task = scim.spawn_purge(INTERVAL);
    settle().await; // its first run, right away: nothing to purge

    let tenant = TenantId::new("acme");
    let id = create_suspended(&scim, &tenant, "bjensen@example.com").await;
    scim.create_user(&tenant, &json!({"userName": "stays@example.com"})).await.expect("create");
    clock.advance(chrono::Duration::days(30) + chrono::Duration::seconds(1));
    // The retention has ended, but the loop has not run since: a list still shows the user.
    settle().await;
    assert_eq!(listed(&scim, &tenant).await, 2);
    assert!(events.purged().is_empty());

    tokio::time::advance(INTERVAL).await;
    settle().await;
    assert_eq!(listed(&scim, &tenant).await, 1, "the loop purged the user");
    assert_eq!(events.purged(), std::slice::from_ref(&id));

    // Later runs find nothing more to purge, and report nothing twice.
    for _ in 0..3 {
        tokio::time::advance(INTERVAL).await;
        settle().await;
    }
    assert_eq!(events.purged(), [id]);
    assert_eq!(listed(&scim, &tenant).await, 1);

    // Aborted, it stops: a user expiring afterwards stays listed.
    task.abort();
    assert!(task.await.expect_err("aborted").is_cancelled());
    create_suspended(&scim, &tenant, "later@example.com").await;
    clock.advance(chrono::Duration::days(31));
    tokio::time::advance(INTERVAL * 2).await;
    settle().await;
    assert_eq!(listed(&scim, &tenant).await, 2);
    assert_eq!(events.purged().len(), 1);
}

#[tokio::test(start_paused = true)]
async fn the_purge_runs_once_at_start_and_dropping_its_handle_does_not_stop_it() {
    let clock = Arc::new(ManualClock::new(start()));
    let events = Arc::new(Events::default());
    let scim =
        Provisioning::new(Arc::new(MemoryUserStore::new())).with_clock(clock.clone()).with_events(events.clone());
    let tenant = TenantId::new("acme");
    let id = create_suspended(&scim, &tenant, "gone@example.com").await;
    clock.advance(chrono::Duration::days(31));

    drop(scim.spawn_purge(Duration::from_secs(3600)));
    settle().await;
    assert_eq!(listed(&scim, &tenant).await, 0, "purged at start, before the first interval");
    assert_eq!(events.purged(), [id]);

    let later = create_suspended(&scim, &tenant, "later@example.com").await;
    clock.advance(chrono::Duration::days(31));
    tokio::time::advance(Duration::from_secs(3600)).await;
    settle().await;
    assert_eq!(listed(&scim, &tenant).await, 0, "the detached task still runs");
    assert_eq!(events.purged().last(), Some(&later));
}

/// A user store whose `purge_expired` fails a given number of times, then works.
#[derive(Debug)]
struct FailingPurge {
    inner: Arc<MemoryUserStore>,
    failures_left: AtomicUsize,
    purge_calls: AtomicUsize,
}

#[async_trait]
impl UserStore for FailingPurge {
    async fn create(&self, tenant: &TenantId, user: User, audit: Option<&AuditRecord>) -> Result<User, StoreError> {
        UserStore::create(&*self.inner, tenant, user, audit).await
    }
    async fn get(&self, tenant: &TenantId, id: &str) -> Result<User, StoreError> {
        UserStore::get(&*self.inner, tenant, id).await
    }
    async fn replace(
        &self,
        tenant: &TenantId,
        user: User,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<User, StoreError> {
        UserStore::replace(&*self.inner, tenant, user, if_match, audit).await
    }
    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        UserStore::delete(&*self.inner, tenant, id, if_match, audit).await
    }
    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<User>, StoreError> {
        UserStore::list(&*self.inner, tenant, query).await
    }
    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<(TenantId, User)>, StoreError> {
        self.purge_calls.fetch_add(1, Ordering::SeqCst);
        let failing = self.failures_left.fetch_update(Ordering::SeqCst, Ordering::SeqCst, |n| n.checked_sub(1)).is_ok();
        if failing {
            return Err(StoreError::Backend { backend: "test", source: "the disk is on fire".into() });
        }
        UserStore::purge_expired(&*self.inner, now, audit).await
    }
}

/// A service whose store fails its first `failures` purges.
fn failing_service(failures: usize) -> (Provisioning, Arc<FailingPurge>, Arc<ManualClock>, Arc<Events>) {
    let memory = Arc::new(MemoryUserStore::new());
    let users = Arc::new(FailingPurge {
        inner: memory.clone(),
        failures_left: AtomicUsize::new(failures),
        purge_calls: AtomicUsize::new(0),
    });
    let clock = Arc::new(ManualClock::new(start()));
    let events = Arc::new(Events::default());
    let scim = Provisioning::from_stores(users.clone(), memory).with_clock(clock.clone()).with_events(events.clone());
    (scim, users, clock, events)
}

#[tokio::test(start_paused = true)]
async fn a_failing_purge_is_reported_and_the_loop_goes_on() {
    let (scim, users, clock, events) = failing_service(1);
    let tenant = TenantId::new("acme");
    let id = create_suspended(&scim, &tenant, "bjensen@example.com").await;
    clock.advance(chrono::Duration::days(31));

    let outcomes: Arc<Mutex<Vec<Result<usize, u16>>>> = Arc::default();
    let seen = outcomes.clone();
    let task = PurgeTask::new(scim.clone(), INTERVAL)
        .with_report(move |outcome: &Result<usize, ScimError>| {
            seen.lock().expect("outcomes").push(outcome.as_ref().copied().map_err(|e| e.status().as_u16()));
        })
        .spawn();
    settle().await;
    // The first run failed: nothing purged, the failure reported as a 500.
    assert_eq!(*outcomes.lock().expect("outcomes"), [Err(500)]);
    assert_eq!(listed(&scim, &tenant).await, 1);
    assert!(events.purged().is_empty());

    tokio::time::advance(INTERVAL).await;
    settle().await;
    assert_eq!(*outcomes.lock().expect("outcomes"), [Err(500), Ok(1)], "the next run purged");
    assert_eq!(listed(&scim, &tenant).await, 0);
    assert_eq!(events.purged(), [id]);
    assert_eq!(users.purge_calls.load(Ordering::SeqCst), 2);
    assert!(!task.is_finished());
    task.abort();
}

#[tokio::test(start_paused = true)]
async fn a_failing_purge_without_a_report_and_a_panicking_report_do_not_stop_the_loop() {
    // No report: the failure is dropped and the next run tries again.
    let (scim, users, clock, events) = failing_service(2);
    let tenant = TenantId::new("acme");
    let id = create_suspended(&scim, &tenant, "bjensen@example.com").await;
    clock.advance(chrono::Duration::days(31));
    let task = scim.spawn_purge(INTERVAL);
    settle().await;
    tokio::time::advance(INTERVAL).await;
    settle().await;
    assert_eq!(users.purge_calls.load(Ordering::SeqCst), 2);
    assert_eq!(listed(&scim, &tenant).await, 1, "two failed runs");
    tokio::time::advance(INTERVAL).await;
    settle().await;
    assert_eq!(listed(&scim, &tenant).await, 0, "the third run purged");
    assert_eq!(events.purged(), [id]);
    assert!(!task.is_finished());
    task.abort();

    // A report hook that panics on every run: the loop still runs on.
    let (scim, users, _clock, _events) = failing_service(1);
    let task = PurgeTask::new(scim, INTERVAL).with_report(|_| panic!("the host's hook is broken")).spawn();
    for _ in 0..3 {
        settle().await;
        tokio::time::advance(INTERVAL).await;
    }
    settle().await;
    assert_eq!(users.purge_calls.load(Ordering::SeqCst), 4);
    assert!(!task.is_finished());
    task.abort();
}

#[test]
fn a_zero_interval_counts_as_one_millisecond() {
    let scim = Provisioning::new(Arc::new(MemoryUserStore::new()));
    assert_eq!(PurgeTask::new(scim.clone(), Duration::ZERO).interval(), Duration::from_millis(1));
    assert_eq!(PurgeTask::new(scim, INTERVAL).interval(), INTERVAL);
}
