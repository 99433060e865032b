//! Scans: which lists need one ([`needs_scan`]), the gate that bounds how many run at once
//! per tenant and in all ([`ScanGate`]), and running one off the async workers ([`offload`]).
//! The rules are documented on [`Limits`](crate::Limits#scans).

use crate::store::ListQuery;
use crate::store::pushdown::names_core_attribute;
use crate::{ResourceKind, TenantId};
use scim_query::{CompValue, CompareOp, Filter};
use std::collections::{HashMap, VecDeque};
use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll, Waker};

/// Whether an index answers `filter`: a string `eq` on `id`, the name attribute or
/// `externalId`, an `or` of such filters, or an `and` with one on either side.
pub(crate) fn indexed(filter: &Filter, kind: ResourceKind) -> bool {
    match filter {
        Filter::Compare { path, op: CompareOp::Eq, value: CompValue::Str(_) } => {
            ["id", kind.name_attribute(), "externalId"].iter().any(|name| names_core_attribute(path, name, kind))
        }
        Filter::Or(a, b) => indexed(a, kind) && indexed(b, kind),
        Filter::And(a, b) => indexed(a, kind) || indexed(b, kind),
        _ => false,
    }
}

/// Whether answering `query` examines every resource of its kind in the tenant: a filter no
/// index answers, or a sort without a filter that one does.
pub(crate) fn needs_scan(query: &ListQuery, kind: ResourceKind) -> bool {
    match &query.filter {
        Some(f) => !indexed(&f.filter, kind),
        None => query.sort_by.is_some(),
    }
}

/// Runs `scan` where it cannot hold up an async worker, then gives `permit` back: with the
/// feature `tokio`, on a multi-thread runtime, on a blocking thread (driven there by the
/// runtime's handle, so the store's I/O still works), which answers as soon as the scan is
/// done and keeps `permit` for the pause of `share_percent` (see
/// [`Limits::scan_share_percent`](crate::Limits::scan_share_percent)); elsewhere in place,
/// without a pause. A scan that panics is `500`.
pub(crate) async fn offload<T, F>(scan: F, permit: ScanPermit, share_percent: u8) -> Result<T, crate::ScimError>
where
    T: Send + 'static,
    F: Future<Output = T> + Send + 'static,
{
    #[cfg(feature = "tokio")]
    {
        use tokio::runtime::{Handle, RuntimeFlavor};
        if let Some(handle) = Handle::try_current().ok().filter(|h| h.runtime_flavor() == RuntimeFlavor::MultiThread) {
            let (tx, rx) = tokio::sync::oneshot::channel();
            drop(tokio::task::spawn_blocking(move || {
                let started = std::time::Instant::now();
                let out = handle.block_on(scan);
                let took = started.elapsed();
                // The client's answer first (unless it has gone), then the pause.
                let _ = tx.send(out);
                std::thread::sleep(pause(took, share_percent));
                drop(permit);
            }));
            return rx.await.map_err(|_| crate::ScimError::internal());
        }
    }
    let _ = share_percent;
    let out = scan.await;
    drop(permit);
    Ok(out)
}

/// How long a scan slot stays taken after a scan that took `took`, for scans to use
/// `share_percent` of its time.
#[cfg_attr(not(feature = "tokio"), allow(dead_code))]
fn pause(took: std::time::Duration, share_percent: u8) -> std::time::Duration {
    let p = u32::from(share_percent.clamp(1, 100));
    took * (100 - p) / p
}

/// A lane's key: a tenant, or `None` for the service-wide lane.
type Key = Option<TenantId>;

/// Bounds how many scans run at once, per tenant and in all: a counting semaphore per lane,
/// first come first served, whose waiters can give up (a dropped request) without losing a
/// slot. Shared by the clones of one [`Provisioning`](crate::Provisioning).
#[derive(Debug, Default)]
pub(crate) struct ScanGate {
    state: Mutex<GateState>,
}

#[derive(Debug, Default)]
struct GateState {
    next_id: u64,
    lanes: HashMap<Key, Lane>,
}

/// The scans of one lane: how many run, and who waits (granted waiters hold a slot already).
#[derive(Debug, Default)]
struct Lane {
    running: usize,
    queue: VecDeque<Waiter>,
}

#[derive(Debug)]
struct Waiter {
    id: u64,
    waker: Option<Waker>,
    granted: bool,
}

/// The lane is full and so is its queue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Busy;

/// Where [`ScanGate::try_enter`] put a caller.
enum Entry {
    In,
    Queued(u64),
}

/// A running scan's slots (its tenant's and the service's), given back when dropped.
#[derive(Debug)]
pub(crate) struct ScanPermit {
    _tenant: Slot,
    _all: Slot,
}

/// One slot of one lane, given back when dropped.
#[derive(Debug)]
struct Slot {
    gate: Arc<ScanGate>,
    key: Key,
}

impl Drop for Slot {
    fn drop(&mut self) {
        self.gate.release(&self.key);
    }
}

/// Waits for a queued caller's turn; gives its place (or its slot) up when dropped early.
struct Wait {
    gate: Arc<ScanGate>,
    key: Key,
    id: Option<u64>,
}

impl Future for Wait {
    type Output = ();

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
        let Some(id) = self.id else { return Poll::Ready(()) };
        if self.gate.poll_turn(&self.key, id, cx.waker()) {
            self.id = None;
            Poll::Ready(())
        } else {
            Poll::Pending
        }
    }
}

impl Drop for Wait {
    fn drop(&mut self) {
        if let Some(id) = self.id {
            self.gate.cancel(&self.key, id);
        }
    }
}

impl ScanGate {
    fn lock(&self) -> std::sync::MutexGuard<'_, GateState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// A slot of `tenant`'s lane (at most `per_tenant` at once, at most `per_tenant *
    /// queue_factor` waiting), then of the service-wide lane (at most `total`).
    ///
    /// # Errors
    /// [`Busy`] when the tenant's queue is full.
    pub(crate) async fn enter(
        self: &Arc<Self>,
        tenant: &TenantId,
        per_tenant: usize,
        total: usize,
        queue_factor: usize,
    ) -> Result<ScanPermit, Busy> {
        let per_tenant = per_tenant.max(1);
        let tenant_slot = self.slot(Some(tenant.clone()), per_tenant, per_tenant.saturating_mul(queue_factor)).await?;
        // Every tenant's running scans queue here, at most `per_tenant` each: no bound needed.
        let all_slot = self.slot(None, total.max(1), usize::MAX).await?;
        Ok(ScanPermit { _tenant: tenant_slot, _all: all_slot })
    }

    async fn slot(self: &Arc<Self>, key: Key, max: usize, max_queue: usize) -> Result<Slot, Busy> {
        match self.try_enter(&key, max, max_queue)? {
            Entry::In => {}
            Entry::Queued(id) => Wait { gate: Arc::clone(self), key: key.clone(), id: Some(id) }.await,
        }
        Ok(Slot { gate: Arc::clone(self), key })
    }

    fn try_enter(&self, key: &Key, max: usize, max_queue: usize) -> Result<Entry, Busy> {
        let mut state = self.lock();
        let id = state.next_id;
        let lane = state.lanes.entry(key.clone()).or_default();
        if lane.running < max && lane.queue.is_empty() {
            lane.running += 1;
            return Ok(Entry::In);
        }
        if lane.queue.len() >= max_queue {
            return Err(Busy);
        }
        lane.queue.push_back(Waiter { id, waker: None, granted: false });
        state.next_id += 1;
        Ok(Entry::Queued(id))
    }

    /// Whether waiter `id` has been granted its slot (then it leaves the queue); else
    /// remembers `waker`.
    fn poll_turn(&self, key: &Key, id: u64, waker: &Waker) -> bool {
        let mut state = self.lock();
        let Some(lane) = state.lanes.get_mut(key) else { return false };
        let Some(at) = lane.queue.iter().position(|w| w.id == id) else { return false };
        if lane.queue[at].granted {
            lane.queue.remove(at);
            return true;
        }
        let slot = &mut lane.queue[at].waker;
        if !slot.as_ref().is_some_and(|w| w.will_wake(waker)) {
            *slot = Some(waker.clone());
        }
        false
    }

    /// A waiter gives up: its place, or the slot it was granted and never took.
    fn cancel(&self, key: &Key, id: u64) {
        let granted = {
            let mut state = self.lock();
            let Some(lane) = state.lanes.get_mut(key) else { return };
            let Some(at) = lane.queue.iter().position(|w| w.id == id) else { return };
            let granted = lane.queue.remove(at).is_some_and(|w| w.granted);
            if !granted && lane.running == 0 && lane.queue.is_empty() {
                state.lanes.remove(key);
            }
            granted
        };
        if granted {
            self.release(key);
        }
    }

    /// Gives a slot back: to the first waiter not yet granted one, else to the lane.
    fn release(&self, key: &Key) {
        let waker = {
            let mut state = self.lock();
            let Some(lane) = state.lanes.get_mut(key) else { return };
            match lane.queue.iter_mut().find(|w| !w.granted) {
                Some(next) => {
                    next.granted = true;
                    next.waker.take()
                }
                None => {
                    lane.running = lane.running.saturating_sub(1);
                    if lane.running == 0 && lane.queue.is_empty() {
                        state.lanes.remove(key);
                    }
                    None
                }
            }
        };
        if let Some(waker) = waker {
            waker.wake();
        }
    }

    /// How many scans of `tenant` hold a slot (for tests).
    #[cfg(test)]
    fn running(&self, tenant: &TenantId) -> usize {
        self.lock().lanes.get(&Some(tenant.clone())).map_or(0, |l| l.running)
    }

    /// Whether no lane is left (every slot given back, nobody waiting).
    #[cfg(test)]
    fn is_idle(&self) -> bool {
        self.lock().lanes.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::SchemaRegistry;
    use crate::store::QueryFilter;
    use std::time::Duration;

    fn scans(filter: &str, kind: ResourceKind) -> bool {
        let registry = SchemaRegistry::scim_default();
        let rt = registry.kind(kind).expect("kind");
        let f = QueryFilter::parse(&registry, rt, filter).expect("filter");
        needs_scan(&ListQuery::new().with_filter(f), kind)
    }

    #[test]
    fn the_pause_gives_scans_their_share() {
        let d = Duration::from_millis(40);
        assert_eq!(pause(d, 50), d);
        assert_eq!(pause(d, 100), Duration::ZERO);
        assert_eq!(pause(d, 20), 4 * d);
        assert_eq!(pause(d, 0), 99 * d, "clamped to 1 %");
    }

    #[test]
    fn which_lists_scan() {
        use ResourceKind::{Group, User};
        for f in [
            r#"userName eq "a""#,
            r#"USERNAME eq "a""#,
            r#"externalId eq "e""#,
            r#"id eq "1" or userName eq "b""#,
            r#"userName eq "a" and title co "x""#,
            r#"title co "x" and externalId eq "e""#,
            r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "a""#,
        ] {
            assert!(!scans(f, User), "{f}");
        }
        for f in [
            r#"title co "zzz""#,
            r#"userName sw "a""#,
            r#"userName eq "a" or title pr"#,
            r#"not (userName eq "a")"#,
            r#"emails.value eq "a@x""#,
            r#"emails[value eq "a@x"]"#,
            r#"displayName eq "x""#,
            "active eq true",
        ] {
            assert!(scans(f, User), "{f}");
        }
        assert!(!scans(r#"displayName eq "Sales""#, Group));
        assert!(scans(r#"userName eq "x""#, Group));
        assert!(!needs_scan(&ListQuery::new(), User), "an unfiltered page is no scan");
        let key = crate::store::SortKey { path: scim_query::AttrPath::new("title"), facts: None };
        let sorted = ListQuery::new().with_sort(key, crate::store::SortOrder::Ascending);
        assert!(needs_scan(&sorted, User), "a sort examines every user");
    }

    /// Polls `f` once.
    fn poll_once<F: Future + Unpin>(f: &mut F) -> Poll<F::Output> {
        let waker = Waker::noop();
        Pin::new(f).poll(&mut Context::from_waker(waker))
    }

    #[test]
    fn at_most_n_per_tenant_and_others_pass() {
        let gate = Arc::new(ScanGate::default());
        let (a, b) = (TenantId::new("a"), TenantId::new("b"));
        let mut first = Box::pin(gate.enter(&a, 2, 10, 4));
        let Poll::Ready(Ok(p1)) = poll_once(&mut first) else { panic!("first scan waits") };
        let mut second = Box::pin(gate.enter(&a, 2, 10, 4));
        let Poll::Ready(Ok(p2)) = poll_once(&mut second) else { panic!("second scan waits") };
        let mut third = Box::pin(gate.enter(&a, 2, 10, 4));
        assert!(poll_once(&mut third).is_pending(), "a third scan of the tenant waits");
        assert_eq!(gate.running(&a), 2);
        let mut other = Box::pin(gate.enter(&b, 2, 10, 4));
        assert!(matches!(poll_once(&mut other), Poll::Ready(Ok(_))), "another tenant does not wait");
        drop(p1);
        let Poll::Ready(Ok(p3)) = poll_once(&mut third) else { panic!("the waiter gets the freed slot") };
        assert_eq!(gate.running(&a), 2);
        drop((p2, p3, other));
        assert!(gate.is_idle());
    }

    #[test]
    fn the_queue_is_bounded_and_leaving_it_hands_the_slot_on() {
        let gate = Arc::new(ScanGate::default());
        let a = TenantId::new("a");
        let mut running = Box::pin(gate.enter(&a, 1, 10, 2));
        let Poll::Ready(Ok(permit)) = poll_once(&mut running) else { panic!("free lane") };
        let mut w1 = Box::pin(gate.enter(&a, 1, 10, 2));
        let mut w2 = Box::pin(gate.enter(&a, 1, 10, 2));
        assert!(poll_once(&mut w1).is_pending() && poll_once(&mut w2).is_pending());
        let mut w3 = Box::pin(gate.enter(&a, 1, 10, 2));
        assert!(matches!(poll_once(&mut w3), Poll::Ready(Err(Busy))), "a full queue refuses");
        // The slot goes to w1, which gives up before it runs: w2 gets it.
        drop(permit);
        drop(w1);
        let Poll::Ready(Ok(p2)) = poll_once(&mut w2) else { panic!("w2 is next") };
        drop(p2);
        assert!(gate.is_idle());
    }

    #[test]
    fn the_service_wide_lane_bounds_every_tenant_together() {
        let gate = Arc::new(ScanGate::default());
        let (a, b) = (TenantId::new("a"), TenantId::new("b"));
        let mut pa = Box::pin(gate.enter(&a, 1, 1, 4));
        let Poll::Ready(Ok(pa)) = poll_once(&mut pa) else { panic!("free") };
        let mut pb = Box::pin(gate.enter(&b, 1, 1, 4));
        assert!(poll_once(&mut pb).is_pending(), "one scan in all");
        drop(pa);
        assert!(matches!(poll_once(&mut pb), Poll::Ready(Ok(_))));
        assert!(gate.is_idle());
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_scans_never_exceed_the_bound() {
        use std::sync::atomic::{AtomicUsize, Ordering};
        let gate = Arc::new(ScanGate::default());
        let now = Arc::new(AtomicUsize::new(0));
        let peak = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = (0..12)
            .map(|_| {
                let (gate, now, peak) = (gate.clone(), now.clone(), peak.clone());
                tokio::spawn(async move {
                    let Ok(_permit) = gate.enter(&TenantId::new("a"), 2, 8, 8).await else { return false };
                    let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                    peak.fetch_max(n, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(5)).await;
                    now.fetch_sub(1, Ordering::SeqCst);
                    true
                })
            })
            .collect();
        for t in tasks {
            assert!(t.await.expect("task"), "12 scans fit 2 running and 16 waiting");
        }
        assert_eq!(peak.load(Ordering::SeqCst), 2);
        assert!(gate.is_idle());
    }
}
