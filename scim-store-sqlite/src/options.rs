//! Options of [`SqliteUserStore::open_with`](crate::SqliteUserStore::open_with).

use std::time::Duration;

/// When an acknowledged write is on disk.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
#[non_exhaustive]
pub enum Durability {
    /// `PRAGMA synchronous = FULL` (the default): the write-ahead log is flushed to disk
    /// (`fsync`) before a write is acknowledged, so an acknowledged write survives a crash
    /// of the process *and* a power loss or kernel panic. Writes from concurrent tasks are
    /// committed together, so the cost of one `fsync` is shared by every write of a batch.
    #[default]
    Full,
    /// `PRAGMA synchronous = NORMAL`: the log is flushed only at checkpoints. An
    /// acknowledged write survives a crash of the process but the last writes may be lost
    /// on power loss. The database is never corrupted either way.
    Normal,
}

/// How to open an [`SqliteUserStore`](crate::SqliteUserStore).
#[derive(Debug, Clone)]
pub struct SqliteOptions {
    pub(crate) durability: Durability,
    pub(crate) busy_timeout: Duration,
    pub(crate) readers: usize,
    pub(crate) max_batch: usize,
}

impl Default for SqliteOptions {
    fn default() -> Self {
        Self { durability: Durability::Full, busy_timeout: Duration::from_secs(5), readers: 4, max_batch: 256 }
    }
}

impl SqliteOptions {
    /// The defaults: [`Durability::Full`], a 5 s busy timeout, 4 reader connections,
    /// batches of at most 256 writes per transaction.
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets the durability of acknowledged writes.
    #[must_use]
    pub fn with_durability(mut self, durability: Durability) -> Self {
        self.durability = durability;
        self
    }

    /// How long a connection waits for a lock held by another process before failing.
    #[must_use]
    pub fn with_busy_timeout(mut self, timeout: Duration) -> Self {
        self.busy_timeout = timeout;
        self
    }

    /// How many reader connections (each on its own thread) serve reads; at least 1.
    #[must_use]
    pub fn with_readers(mut self, readers: usize) -> Self {
        self.readers = readers.max(1);
        self
    }

    /// At most this many queued writes are committed in one transaction; at least 1.
    #[must_use]
    pub fn with_max_batch(mut self, max_batch: usize) -> Self {
        self.max_batch = max_batch.max(1);
        self
    }
}
