//! Per-tenant and per-token request rate limits: token buckets, checked as soon as a request
//! is authenticated (before its body is read), answering `429` with `Retry-After`.
//!
//! A bucket holds up to `burst` requests and refills at `per_second`; a request takes one. A
//! request passes only when its tenant's bucket and its token's bucket both have one (a
//! refused request takes none). A scan then takes its cost as well
//! ([`RateLimiter::charge`]), when both buckets have it. Tokens are told apart by a keyed hash of the bearer token, kept
//! only in memory. Buckets are per process: N replicas allow N times the rate in all.

use crate::{RateLimit, TenantId};
use std::collections::HashMap;
use std::collections::hash_map::RandomState;
use std::hash::BuildHasher;
use std::sync::{Mutex, PoisonError};
use std::time::{Duration, Instant};

/// How many buckets of one kind are kept before full (idle) ones are dropped.
const MAX_BUCKETS: usize = 100_000;

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(limit: RateLimit, now: Instant) -> Self {
        Self { tokens: f64::from(limit.burst), at: now }
    }

    /// The bucket refilled to `now`.
    fn refilled(self, limit: RateLimit, now: Instant) -> Self {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        let tokens = (self.tokens + elapsed * f64::from(limit.per_second)).min(f64::from(limit.burst));
        Self { tokens, at: now }
    }

    /// How long until the bucket holds `n` requests (zero when it does).
    fn wait(self, limit: RateLimit, n: f64) -> Duration {
        if self.tokens >= n {
            Duration::ZERO
        } else if limit.per_second == 0 {
            Duration::from_secs(3600)
        } else {
            Duration::from_secs_f64((n - self.tokens) / f64::from(limit.per_second))
        }
    }
}

/// The buckets of one kind (tenants, or tokens).
#[derive(Debug)]
struct Buckets<K>(Mutex<HashMap<K, Bucket>>);

impl<K> Default for Buckets<K> {
    fn default() -> Self {
        Self(Mutex::new(HashMap::new()))
    }
}

/// One kind's buckets, locked: what [`RateLimiter::admit`] reads and writes in one step.
type Locked<'a, K> = std::sync::MutexGuard<'a, HashMap<K, Bucket>>;

impl<K: std::hash::Hash + Eq + Clone> Buckets<K> {
    fn lock(&self) -> Locked<'_, K> {
        self.0.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// `key`'s bucket refilled to `now` (a full one when it has none).
fn current<K: std::hash::Hash + Eq>(map: &HashMap<K, Bucket>, key: &K, limit: RateLimit, now: Instant) -> Bucket {
    map.get(key).map_or_else(|| Bucket::full(limit, now), |b| b.refilled(limit, now))
}

/// Stores `bucket` less `n` requests as `key`'s, forgetting full (idle) buckets first when
/// there are too many.
fn take<K: std::hash::Hash + Eq + Clone>(
    map: &mut HashMap<K, Bucket>,
    key: &K,
    bucket: Bucket,
    limit: RateLimit,
    n: f64,
    now: Instant,
) {
    if map.len() >= MAX_BUCKETS && !map.contains_key(key) {
        // Full buckets are the same as none: forget them.
        map.retain(|_, b| b.refilled(limit, now).tokens < f64::from(limit.burst));
    }
    map.insert(key.clone(), Bucket { tokens: bucket.tokens - n, at: now });
}

/// `n` requests, capped at the bucket's burst (so that any cost can be paid once the bucket
/// is full).
fn capped(n: u32, limit: RateLimit) -> f64 {
    f64::from(n.min(limit.burst))
}

/// The request rate limits of one service (shared by its clones).
#[derive(Debug, Default)]
pub(crate) struct RateLimiter {
    tenants: Buckets<TenantId>,
    tokens: Buckets<u64>,
    keys: RandomState,
}

impl RateLimiter {
    /// The key of `token`'s bucket: a keyed hash, so the token itself is not kept.
    pub(crate) fn token_key(&self, token: &str) -> u64 {
        self.keys.hash_one(token)
    }

    /// Admits one request of `tenant` with bearer `token` at `now`, or says how long to wait.
    pub(crate) fn admit(
        &self,
        tenant_limit: Option<RateLimit>,
        token_limit: Option<RateLimit>,
        tenant: &TenantId,
        token: &str,
        now: Instant,
    ) -> Result<(), Duration> {
        self.spend(tenant_limit, token_limit, tenant, self.token_key(token), 1, now)
    }

    /// Takes `cost` more requests (each bucket at most its burst) from `tenant`'s bucket and
    /// from the bucket of the token with key `token_key` when both have them, or says how
    /// long to wait; a refused charge takes nothing. A scan pays its cost this way.
    pub(crate) fn charge(
        &self,
        tenant_limit: Option<RateLimit>,
        token_limit: Option<RateLimit>,
        tenant: &TenantId,
        token_key: u64,
        cost: u32,
        now: Instant,
    ) -> Result<(), Duration> {
        if cost == 0 {
            return Ok(());
        }
        self.spend(tenant_limit, token_limit, tenant, token_key, cost, now)
    }

    fn spend(
        &self,
        tenant_limit: Option<RateLimit>,
        token_limit: Option<RateLimit>,
        tenant: &TenantId,
        token_key: u64,
        n: u32,
        now: Instant,
    ) -> Result<(), Duration> {
        let token_key = token_limit.map(|_| token_key);
        // Both checked and taken under the locks (always tenants first), so two requests
        // cannot both take a bucket's last request.
        let mut tenants = tenant_limit.map(|_| self.tenants.lock());
        let mut tokens = token_limit.map(|_| self.tokens.lock());
        let tenant_bucket = tenant_limit.zip(tenants.as_deref()).map(|(l, m)| (l, current(m, tenant, l, now)));
        let token_bucket =
            token_limit.zip(tokens.as_deref()).zip(token_key).map(|((l, m), k)| (l, current(m, &k, l, now)));
        let wait = [tenant_bucket, token_bucket]
            .into_iter()
            .flatten()
            .map(|(l, b)| b.wait(l, capped(n, l)))
            .max()
            .unwrap_or_default();
        if !wait.is_zero() {
            return Err(wait);
        }
        if let (Some(map), Some((l, b))) = (tenants.as_deref_mut(), tenant_bucket) {
            take(map, tenant, b, l, capped(n, l), now);
        }
        if let (Some(map), Some((l, b)), Some(k)) = (tokens.as_deref_mut(), token_bucket, token_key) {
            take(map, &k, b, l, capped(n, l), now);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limit(per_second: u32, burst: u32) -> Option<RateLimit> {
        Some(RateLimit::new(per_second, burst))
    }

    #[test]
    fn a_burst_passes_then_the_rate_holds() {
        let r = RateLimiter::default();
        let (t, now) = (TenantId::new("a"), Instant::now());
        for _ in 0..5 {
            assert!(r.admit(limit(2, 5), None, &t, "k", now).is_ok());
        }
        let wait = r.admit(limit(2, 5), None, &t, "k", now).unwrap_err();
        assert!(wait > Duration::from_millis(400) && wait <= Duration::from_millis(500), "{wait:?}");
        // Half a second later one request has dripped in, and only one.
        let later = now + Duration::from_millis(500);
        assert!(r.admit(limit(2, 5), None, &t, "k", later).is_ok());
        assert!(r.admit(limit(2, 5), None, &t, "k", later).is_err());
    }

    #[test]
    fn tenants_and_tokens_have_their_own_buckets() {
        let r = RateLimiter::default();
        let now = Instant::now();
        let (a, b) = (TenantId::new("a"), TenantId::new("b"));
        assert!(r.admit(limit(1, 1), None, &a, "k1", now).is_ok());
        assert!(r.admit(limit(1, 1), None, &a, "k2", now).is_err(), "the tenant's bucket is shared by its tokens");
        assert!(r.admit(limit(1, 1), None, &b, "k3", now).is_ok(), "another tenant is not affected");
        // Per token: one token of a tenant exhausted, another of the same tenant still passes.
        let c = TenantId::new("c");
        assert!(r.admit(None, limit(1, 1), &c, "t1", now).is_ok());
        assert!(r.admit(None, limit(1, 1), &c, "t1", now).is_err());
        assert!(r.admit(None, limit(1, 1), &c, "t2", now).is_ok());
    }

    #[test]
    fn a_refused_request_takes_nothing() {
        let r = RateLimiter::default();
        let now = Instant::now();
        let t = TenantId::new("a");
        // The token's bucket refuses: the tenant's keeps its request for another token.
        assert!(r.admit(limit(1, 2), limit(1, 1), &t, "t1", now).is_ok());
        assert!(r.admit(limit(1, 2), limit(1, 1), &t, "t1", now).is_err());
        assert!(r.admit(limit(1, 2), limit(1, 1), &t, "t2", now).is_ok());
    }

    #[test]
    fn a_charge_takes_its_cost_from_both_buckets_or_nothing() {
        let r = RateLimiter::default();
        let now = Instant::now();
        let t = TenantId::new("a");
        let key = r.token_key("k");
        // 10 a second, bursts of 20: a request, then a scan costing 15, fit; another does not.
        assert!(r.admit(limit(10, 20), limit(10, 20), &t, "k", now).is_ok());
        assert!(r.charge(limit(10, 20), limit(10, 20), &t, key, 15, now).is_ok());
        let wait = r.charge(limit(10, 20), limit(10, 20), &t, key, 15, now).unwrap_err();
        assert!(wait > Duration::from_millis(1000) && wait <= Duration::from_millis(1100), "{wait:?}");
        // The refused charge took nothing: the 4 requests left still pass.
        for _ in 0..4 {
            assert!(r.admit(limit(10, 20), limit(10, 20), &t, "k", now).is_ok());
        }
        assert!(r.admit(limit(10, 20), limit(10, 20), &t, "k", now).is_err());
        // A cost above the burst is capped: a full bucket pays it.
        let later = now + Duration::from_secs(2);
        assert!(r.charge(limit(10, 20), None, &t, key, 1_000_000, later).is_ok());
        assert!(r.charge(None, None, &t, key, 1_000_000, later).is_ok(), "no limit, no charge");
        assert!(r.charge(limit(10, 20), None, &t, key, 0, later).is_ok(), "nothing to pay");
    }

    #[test]
    fn no_limit_admits_everything() {
        let r = RateLimiter::default();
        for _ in 0..10_000 {
            assert!(r.admit(None, None, &TenantId::new("a"), "k", Instant::now()).is_ok());
        }
    }
}
