//! Fairness under expensive queries, through the service: the scan budget (`400 tooMany`),
//! the bound on a tenant's concurrent scans, and scans paying their size in the rate limits.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use http::{Request, StatusCode};
use scim_core::store::ListQuery;
use scim_core::{
    AuditRecord, AuthUnavailable, Authenticator, Limits, ListRequest, Page, Principal, Provisioning, RateLimit,
    ScimService, StoreError, TenantId, User, UserStore, Version,
};
use scim_store_memory::MemoryUserStore;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

/// The memory store, with every list whose filter mentions `title` (a scan) taking `delay`,
/// and the most such lists of each tenant seen running at once.
#[derive(Debug)]
struct SlowScans {
    inner: Arc<MemoryUserStore>,
    delay: Duration,
    running: Mutex<HashMap<String, (usize, usize)>>,
}

impl SlowScans {
    fn peak(&self, tenant: &str) -> usize {
        self.running.lock().unwrap_or_else(PoisonError::into_inner).get(tenant).map_or(0, |r| r.1)
    }

    fn count(&self, tenant: &TenantId, by: isize) {
        let mut map = self.running.lock().unwrap_or_else(PoisonError::into_inner);
        let entry = map.entry(tenant.as_str().to_owned()).or_default();
        entry.0 = entry.0.saturating_add_signed(by);
        entry.1 = entry.1.max(entry.0);
    }
}

#[async_trait]
impl UserStore for SlowScans {
    async fn create(&self, tenant: &TenantId, user: User, audit: Option<&AuditRecord>) -> Result<User, StoreError> {
        self.inner.create(tenant, user, audit).await
    }
    async fn get(&self, tenant: &TenantId, id: &str) -> Result<User, StoreError> {
        self.inner.get(tenant, id).await
    }
    async fn replace(
        &self,
        tenant: &TenantId,
        user: User,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<User, StoreError> {
        self.inner.replace(tenant, user, if_match, audit).await
    }
    async fn delete(
        &self,
        tenant: &TenantId,
        id: &str,
        if_match: Option<&Version>,
        audit: Option<&AuditRecord>,
    ) -> Result<(), StoreError> {
        self.inner.delete(tenant, id, if_match, audit).await
    }
    async fn list(&self, tenant: &TenantId, query: &ListQuery) -> Result<Page<User>, StoreError> {
        let scan = query.filter.as_ref().is_some_and(|f| f.filter.mentions("title"));
        if scan {
            self.count(tenant, 1);
            tokio::time::sleep(self.delay).await;
            self.count(tenant, -1);
        }
        self.inner.list(tenant, query).await
    }
    async fn purge_expired(
        &self,
        now: DateTime<Utc>,
        audit: Option<&AuditRecord>,
    ) -> Result<Vec<(TenantId, User)>, StoreError> {
        self.inner.purge_expired(now, audit).await
    }
}

async fn seed(service: &Provisioning, tenant: &TenantId, n: usize) {
    for i in 0..n {
        service.create_user(tenant, &json!({"userName": format!("u{i}@example.com")})).await.expect("create");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tenant_runs_at_most_its_scans_at_once_and_others_do_not_wait() {
    let memory = Arc::new(MemoryUserStore::new());
    let delay = Duration::from_millis(60);
    let slow = Arc::new(SlowScans { inner: memory.clone(), delay, running: Mutex::default() });
    let limits = Limits::default().with_max_scans_per_tenant(2).with_max_scans(8).with_scan_share_percent(100);
    let service = Provisioning::from_stores(slow.clone(), memory).with_limits(limits);
    let (a, b) = (TenantId::new("a"), TenantId::new("b"));
    seed(&service, &a, 3).await;
    seed(&service, &b, 3).await;
    let scan = ListRequest::new().with_filter(r#"title co "zzz""#);

    // 2 running and 2 × 4 waiting fit; one more is refused at once.
    let started = Instant::now();
    let tasks: Vec<_> = (0..10)
        .map(|_| {
            let (service, a, scan) = (service.clone(), a.clone(), scan.clone());
            tokio::spawn(async move { service.list_users(&a, &scan).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let e = service.list_users(&a, &scan).await.expect_err("the tenant's scan queue is full");
    assert_eq!(e.status(), StatusCode::TOO_MANY_REQUESTS, "{e:?}");

    // Another tenant's scan and this tenant's indexed lookup do not wait behind them.
    let other = Instant::now();
    service.list_users(&b, &scan).await.expect("tenant b scans");
    assert!(other.elapsed() < delay * 3, "b waited {:?}", other.elapsed());
    let lookup = Instant::now();
    let page =
        service.list_users(&a, &ListRequest::new().with_filter(r#"userName eq "u1@example.com""#)).await.expect("eq");
    assert_eq!(page.total_results, 1);
    assert!(lookup.elapsed() < delay, "the lookup waited {:?}", lookup.elapsed());

    for task in tasks {
        task.await.expect("task").expect("a queued scan is served in its turn");
    }
    assert_eq!(slow.peak("a"), 2, "at most 2 scans of tenant a at once");
    assert_eq!(slow.peak("b"), 1);
    // 10 scans, 2 at a time, take at least 5 rounds.
    assert!(started.elapsed() >= delay * 5, "{:?}", started.elapsed());
}

#[derive(Debug)]
struct OneToken;

#[async_trait]
impl Authenticator for OneToken {
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AuthUnavailable> {
        Ok((token == "secret").then(|| TenantId::new("t").into()))
    }
}

fn get(path: &str) -> Request<Vec<u8>> {
    Request::get(path).header("authorization", "Bearer secret").body(Vec::new()).expect("request")
}

async fn service_with(limits: Limits, users: usize) -> ScimService {
    let store = Arc::new(MemoryUserStore::new());
    let provisioning = Provisioning::new(store).with_limits(limits);
    seed(&provisioning, &TenantId::new("t"), users).await;
    ScimService::new(provisioning, OneToken)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scan_over_the_budget_is_400_too_many() {
    let service = service_with(Limits::default().with_max_scan(Some(4)), 5).await;
    let resp = service.handle(get("/scim/v2/Users?filter=title%20co%20%22zzz%22")).await;
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: Value = serde_json::from_slice(resp.body()).expect("json");
    assert_eq!(body["scimType"], "tooMany");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("all 5 users") && detail.contains("the 4") && detail.contains("userName eq"), "{detail}");
    let lookup = service.handle(get("/scim/v2/Users?filter=userName%20eq%20%22u1%40example.com%22")).await;
    assert_eq!(lookup.status(), StatusCode::OK, "an indexed lookup is no scan");
    let page = service.handle(get("/scim/v2/Users?count=2")).await;
    assert_eq!(page.status(), StatusCode::OK, "an unfiltered page is no scan");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scans_pay_their_size_in_the_rate_limit() {
    // Bursts of 20 requests; a scan of 5 users costs 5 more (one request per user examined).
    let rate = Some(RateLimit::new(1, 20));
    let limits = Limits::default().with_tenant_rate(rate).with_token_rate(rate).with_scan_cost(1);
    let scan = "/scim/v2/Users?filter=title%20co%20%22zzz%22";
    let plain = "/scim/v2/Users?filter=userName%20eq%20%22u1%40example.com%22";
    let mut passed = HashMap::new();
    for (name, path) in [("scans", scan), ("lookups", plain)] {
        // Seeding goes through the provisioning service, not the rate limiter.
        let service = service_with(limits.clone(), 5).await;
        let mut n = 0;
        loop {
            let resp = service.handle(get(path)).await;
            if resp.status() == StatusCode::TOO_MANY_REQUESTS {
                assert!(resp.headers().contains_key("retry-after"));
                break;
            }
            assert_eq!(resp.status(), StatusCode::OK);
            n += 1;
            assert!(n < 100, "never limited");
        }
        passed.insert(name, n);
    }
    // 20 lookups (one a second may drip in while the test runs); 3 scans of 6 each.
    assert!((20..=21).contains(&passed["lookups"]), "{passed:?}");
    assert!((3..=4).contains(&passed["scans"]), "{passed:?}");
}
