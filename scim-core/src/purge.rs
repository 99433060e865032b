//! The purge of expired suspended users as a periodic task on a tokio runtime (feature `tokio`).

use crate::{Provisioning, ScimError};
use std::fmt;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::MissedTickBehavior;

/// The shortest interval between two runs; shorter ones (zero included) count as this.
const MIN_INTERVAL: Duration = Duration::from_millis(1);

/// What a [`PurgeTask`] reports after each run.
type Report = Arc<dyn Fn(&Result<usize, ScimError>) + Send + Sync>;

/// Runs [`Provisioning::purge_expired`] at a fixed interval, so that suspended users whose
/// retention has ended are removed even when nobody reads them.
///
/// - **When**: once right after the task starts, then every `interval` (a run that takes
///   longer than the interval delays the next one; runs never overlap). An interval under
///   1 ms counts as 1 ms.
/// - **Failures**: a run whose store fails does not end the task; the next run, one interval
///   later, tries again. The task logs nothing: each run's outcome (how many users it purged,
///   or the error) goes to the hook given to [`with_report`](Self::with_report), if any. A
///   panicking hook is contained like a panicking [`LifecycleEvents`](crate::LifecycleEvents)
///   hook. Each purged user is reported as [`LifecycleEvent::Purged`](crate::LifecycleEvent)
///   to the provisioning service's events hook, as by a direct call.
/// - **Stopping**: [`run`](Self::run) never completes; drop its future to stop it.
///   [`spawn`](Self::spawn) (and [`Provisioning::spawn_purge`]) return the task's
///   [`JoinHandle`]: [`JoinHandle::abort`] stops it, while dropping the handle leaves it running
///   until the runtime shuts down. A task stopped in the middle of a run may have removed users
///   whose `Purged` events it did not report (events are delivered at most once).
///
/// ```
/// use scim_core::{Provisioning, PurgeTask};
/// use std::time::Duration;
///
/// /// Called by the host at start, on its tokio runtime.
/// fn start_purge(provisioning: &Provisioning) -> tokio::task::JoinHandle<()> {
///     // Every five minutes; failures go to the host's log.
///     PurgeTask::new(provisioning.clone(), Duration::from_secs(300))
///         .with_report(|outcome| {
///             if let Err(e) = outcome {
///                 eprintln!("purge failed: {e}");
///             }
///         })
///         .spawn()
/// }
/// ```
#[derive(Clone)]
pub struct PurgeTask {
    provisioning: Provisioning,
    interval: Duration,
    report: Option<Report>,
}

impl fmt::Debug for PurgeTask {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PurgeTask")
            .field("provisioning", &self.provisioning)
            .field("interval", &self.interval)
            .field("report", &self.report.as_ref().map(|_| "Fn"))
            .finish()
    }
}

impl PurgeTask {
    /// A task purging through `provisioning` every `interval` (and once at start).
    pub fn new(provisioning: Provisioning, interval: Duration) -> Self {
        Self { provisioning, interval: interval.max(MIN_INTERVAL), report: None }
    }

    /// Calls `report` after every run with what [`Provisioning::purge_expired`] returned: the
    /// number of users purged, or the error (the task goes on either way). Called on the
    /// task, so keep it fast.
    #[must_use]
    pub fn with_report(mut self, report: impl Fn(&Result<usize, ScimError>) + Send + Sync + 'static) -> Self {
        self.report = Some(Arc::new(report));
        self
    }

    /// The time between two runs.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Purges now and then every interval, for ever: the future never completes. Use it
    /// where the host drives its own tasks (in a `select!` with its shutdown signal, say);
    /// [`spawn`](Self::spawn) runs it as a task of its own.
    pub async fn run(self) {
        let mut ticks = tokio::time::interval(self.interval);
        ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
        loop {
            // The first tick completes at once.
            ticks.tick().await;
            let outcome = self.provisioning.purge_expired().await;
            if let Some(report) = &self.report {
                // The hook sees the outcome by shared reference only; nothing of the task's
                // is left half-changed if it unwinds.
                let _ = catch_unwind(AssertUnwindSafe(|| report(&outcome)));
            }
        }
    }

    /// Spawns [`run`](Self::run) on the current tokio runtime. Abort the handle to stop the
    /// task; dropping the handle does not stop it.
    ///
    /// # Panics
    /// When called outside a tokio runtime (as `tokio::spawn` does).
    pub fn spawn(self) -> JoinHandle<()> {
        tokio::spawn(self.run())
    }
}

impl Provisioning {
    /// Spawns a [`PurgeTask`] on the current tokio runtime that calls
    /// [`purge_expired`](Self::purge_expired) right away and then every `interval`, ignoring
    /// failures (the next run tries again; use [`PurgeTask::with_report`] to see them). The task
    /// runs until the returned handle is aborted ([`JoinHandle::abort`]) or the runtime shuts
    /// down; dropping the handle leaves it running. Feature `tokio`.
    ///
    /// # Panics
    /// When called outside a tokio runtime (as `tokio::spawn` does).
    pub fn spawn_purge(&self, interval: Duration) -> JoinHandle<()> {
        PurgeTask::new(self.clone(), interval).spawn()
    }
}
