//! The connections: one writer thread that commits queued writes in batches, and reader
//! threads, so no SQLite call ever blocks an async executor thread.
//!
//! When no other read is under way and the caller is on a multi-thread tokio runtime, a read
//! runs on the calling thread instead, with a pooled read-only connection, inside
//! `tokio::task::block_in_place` (which hands the worker's other tasks to another thread
//! first). That saves the two thread hand-offs a reader thread costs, about half the time of
//! an indexed lookup. Under concurrent reads `block_in_place` costs more than it saves (it
//! moves the worker's run queue at every call), so they go to the reader threads, as do reads
//! on a current-thread runtime or another executor.
//!
//! A write is a closure run inside a savepoint of the writer's current transaction. The
//! writer takes every write queued while it was busy (up to `max_batch`), runs each in its
//! own savepoint (a failing write rolls back alone), commits once, and only then answers
//! the callers. With `synchronous = FULL` one `fsync` thus covers a whole batch.

use crate::error::Error;
use crate::migrate;
use crate::options::{Durability, SqliteOptions};
use rusqlite::{Connection, OpenFlags};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// What a write hands back to the writer: whether it succeeded, and how to answer its caller
/// once the batch's commit is known (`Some(message)` when the commit failed).
struct Done {
    ok: bool,
    finish: FinishFn,
}

type FinishFn = Box<dyn FnOnce(Option<&str>) + Send>;

type WriteFn = Box<dyn FnOnce(&Connection) -> Done + Send>;
type ReadFn = Box<dyn FnOnce(&Connection) + Send>;

enum Job {
    Write(WriteFn),
    /// Only used when there are no reader threads (in-memory databases).
    Read(ReadFn),
}

/// The worker threads of one database.
pub(crate) struct Db {
    writer: Option<mpsc::Sender<Job>>,
    readers: Option<mpsc::Sender<ReadFn>>,
    threads: Vec<JoinHandle<()>>,
    /// Idle read-only connections for reads run inline (see the module docs).
    inline: Option<Mutex<Vec<Connection>>>,
    /// Reads under way.
    reads: AtomicUsize,
}

/// Counts a read as under way until dropped (also when the read's future is dropped).
struct ReadGuard<'a>(&'a AtomicUsize);

impl Drop for ReadGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}

impl std::fmt::Debug for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Db").field("threads", &self.threads.len()).finish_non_exhaustive()
    }
}

fn configure(conn: &Connection, options: &SqliteOptions) -> Result<(), Error> {
    conn.busy_timeout(options.busy_timeout)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    // Without the query planner stability guarantee, SQLite recompiles a statement at its
    // next step whenever a parameter the planner looked at (such as `LIMIT ?`) is bound
    // again, so every cached list statement would be parsed and planned anew on each use.
    // No plan here depends on a bound value (no statistics, no `LIKE`).
    conn.set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_ENABLE_QPSG, true)?;
    conn.set_prepared_statement_cache_capacity(64);
    Ok(())
}

impl Db {
    /// Opens (creating if needed) the database file at `path`, in WAL mode, migrated.
    pub(crate) fn open(path: &Path, options: &SqliteOptions) -> Result<Self, Error> {
        let mut writer = Connection::open(path)?;
        configure(&writer, options)?;
        let mode: String = writer.query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))?;
        if !mode.eq_ignore_ascii_case("wal") {
            return Err(Error::Setup(format!("could not switch to WAL mode (journal_mode is {mode})")));
        }
        let synchronous = match options.durability {
            Durability::Full => "FULL",
            Durability::Normal => "NORMAL",
        };
        writer.pragma_update(None, "synchronous", synchronous)?;
        map_file(&writer);
        migrate::migrate(&mut writer)?;

        let (read_tx, read_rx) = mpsc::channel::<ReadFn>();
        let read_rx = Arc::new(Mutex::new(read_rx));
        let mut threads = Vec::with_capacity(options.readers + 1);
        for n in 0..options.readers {
            let conn = open_reader(path, options)?;
            let rx = Arc::clone(&read_rx);
            threads.push(
                std::thread::Builder::new()
                    .name(format!("scim-sqlite-reader-{n}"))
                    .spawn(move || run_reader(&conn, &rx))?,
            );
        }
        let mut inline = Vec::with_capacity(options.readers);
        for _ in 0..options.readers {
            inline.push(open_reader(path, options)?);
        }
        let mut db = Self::start_writer(writer, options.max_batch, threads)?;
        db.readers = Some(read_tx);
        db.inline = Some(Mutex::new(inline));
        Ok(db)
    }

    /// A private in-memory database served by the writer thread alone.
    pub(crate) fn open_in_memory(options: &SqliteOptions) -> Result<Self, Error> {
        let mut conn = Connection::open_in_memory()?;
        configure(&conn, options)?;
        migrate::migrate(&mut conn)?;
        Self::start_writer(conn, options.max_batch, Vec::new())
    }

    fn start_writer(conn: Connection, max_batch: usize, mut threads: Vec<JoinHandle<()>>) -> Result<Self, Error> {
        let (tx, rx) = mpsc::channel::<Job>();
        threads.push(std::thread::Builder::new().name("scim-sqlite-writer".into()).spawn(move || {
            run_writer(&conn, &rx, max_batch);
        })?);
        Ok(Self { writer: Some(tx), readers: None, threads, inline: None, reads: AtomicUsize::new(0) })
    }

    /// Runs `f` in the writer's transaction; answers after the commit.
    pub(crate) async fn write<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let job: WriteFn = Box::new(move |conn| {
            let result = f(conn);
            Done {
                ok: result.is_ok(),
                finish: Box::new(move |commit_error| {
                    let answer = match commit_error {
                        Some(message) if result.is_ok() => Err(Error::Commit(message.to_owned())),
                        _ => result,
                    };
                    let _ = tx.send(answer);
                }),
            }
        });
        self.writer.as_ref().ok_or(Error::Closed)?.send(Job::Write(job)).map_err(|_| Error::Closed)?;
        rx.await.map_err(|_| Error::Closed)?
    }

    /// Runs `f` in a read transaction (one consistent snapshot) on a reader thread.
    pub(crate) async fn read<T, F>(&self, f: F) -> Result<T, Error>
    where
        T: Send + 'static,
        F: FnOnce(&Connection) -> Result<T, Error> + Send + 'static,
    {
        let alone = self.reads.fetch_add(1, Ordering::Relaxed) == 0;
        let _guard = ReadGuard(&self.reads);
        if let Some(pool) = self.inline.as_ref().filter(|_| alone && inline_reads_allowed()) {
            let idle = pool.lock().unwrap_or_else(PoisonError::into_inner).pop();
            if let Some(conn) = idle {
                let result = tokio::task::block_in_place(|| in_read_transaction(&conn, f));
                pool.lock().unwrap_or_else(PoisonError::into_inner).push(conn);
                return result;
            }
        }
        let (tx, rx) = oneshot::channel();
        let job: ReadFn = Box::new(move |conn| {
            let _ = tx.send(in_read_transaction(conn, f));
        });
        match &self.readers {
            Some(readers) => readers.send(job).map_err(|_| Error::Closed)?,
            None => self.writer.as_ref().ok_or(Error::Closed)?.send(Job::Read(job)).map_err(|_| Error::Closed)?,
        }
        rx.await.map_err(|_| Error::Closed)?
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        // Closing the channels stops the threads once the queued jobs are done.
        self.writer = None;
        self.readers = None;
        for thread in self.threads.drain(..) {
            let _ = thread.join();
        }
    }
}

fn open_reader(path: &Path, options: &SqliteOptions) -> Result<Connection, Error> {
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX | OpenFlags::SQLITE_OPEN_URI,
    )?;
    configure(&conn, options)?;
    map_file(&conn);
    Ok(conn)
}

/// Reads the database file through a memory map: a page that is not in the connection's
/// small page cache then costs no `pread` (a system call and a 4 KiB copy), which is most of
/// the difference between a lookup in a large database and in a small one. SQLite caps the
/// size at its compile-time maximum (2 GB); the rest of a larger file, and the log, are read
/// as before. Only reads use the map: SQLite still writes with `write` and never changes a
/// page through the map. Best effort: without the map, reads work as before.
fn map_file(conn: &Connection) {
    let _: Option<i64> = conn.query_row(&format!("PRAGMA mmap_size = {MMAP_SIZE}"), [], |r| r.get(0)).ok();
}

/// How much of the database file connections map (SQLite lowers it to its maximum).
const MMAP_SIZE: u64 = if cfg!(target_pointer_width = "64") { 1 << 40 } else { 1 << 28 };

/// Whether the current task may block its thread through `block_in_place`: only on a
/// multi-thread tokio runtime (it panics on a current-thread one).
fn inline_reads_allowed() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

/// Runs a statement without parameters or rows through the statement cache (these run
/// several times per request, so they are not parsed each time).
fn run(conn: &Connection, sql: &str) -> rusqlite::Result<()> {
    conn.prepare_cached(sql)?.execute([]).map(drop)
}

fn in_read_transaction<T>(conn: &Connection, f: impl FnOnce(&Connection) -> Result<T, Error>) -> Result<T, Error> {
    if !conn.is_autocommit() {
        return f(conn);
    }
    run(conn, "BEGIN")?;
    let result = f(conn);
    let end = run(conn, "COMMIT");
    if end.is_err() {
        let _ = conn.execute_batch("ROLLBACK");
    }
    let value = result?;
    end?;
    Ok(value)
}

fn run_reader(conn: &Connection, jobs: &Mutex<mpsc::Receiver<ReadFn>>) {
    loop {
        let job = {
            let rx = jobs.lock().unwrap_or_else(PoisonError::into_inner);
            rx.recv()
        };
        match job {
            Ok(job) => job(conn),
            Err(_) => return,
        }
    }
}

/// How long the writer may wait for more writes before committing a batch smaller than the
/// previous one: half the time the last commit took (mostly its `fsync`), within these bounds.
/// When many tasks write, their next writes arrive while the previous batch's answers are
/// being delivered; waiting a little for them makes one `fsync` serve them all instead of
/// alternating small and large batches. A lone writer never waits (its previous batch had one
/// write), and on a disk with fast `fsync` the wait is short.
const LINGER_MIN: Duration = Duration::from_micros(100);
const LINGER_MAX: Duration = Duration::from_millis(4);

fn run_writer(conn: &Connection, jobs: &mpsc::Receiver<Job>, max_batch: usize) {
    let mut writes: Vec<WriteFn> = Vec::new();
    let mut reads: Vec<ReadFn> = Vec::new();
    let mut expected = 1;
    let mut linger = LINGER_MIN;
    while let Ok(first) = jobs.recv() {
        let deadline = Instant::now() + linger;
        let mut next = Some(first);
        while let Some(job) = next.take() {
            match job {
                Job::Write(w) => writes.push(w),
                Job::Read(r) => reads.push(r),
            }
            if writes.len() >= max_batch {
                break;
            }
            next = match jobs.try_recv() {
                Ok(job) => Some(job),
                Err(mpsc::TryRecvError::Disconnected) => None,
                Err(mpsc::TryRecvError::Empty) if writes.len() >= expected => None,
                Err(mpsc::TryRecvError::Empty) => {
                    jobs.recv_timeout(deadline.saturating_duration_since(Instant::now())).ok()
                }
            };
        }
        expected = writes.len().max(1);
        if !writes.is_empty() {
            let started = Instant::now();
            commit_batch(conn, writes.drain(..));
            linger = (started.elapsed() / 2).clamp(LINGER_MIN, LINGER_MAX);
        }
        for read in reads.drain(..) {
            read(conn);
        }
    }
}

/// Runs each write in its own savepoint of one transaction, commits, then answers.
/// When the transaction cannot start, the writes are dropped unrun and their callers see
/// [`Error::Closed`].
fn commit_batch(conn: &Connection, writes: impl Iterator<Item = WriteFn>) {
    if conn.execute_batch("BEGIN IMMEDIATE").is_err() {
        return;
    }
    let mut done = Vec::new();
    for write in writes {
        if run(conn, "SAVEPOINT w").is_err() {
            continue;
        }
        let d = write(conn);
        let end = if d.ok {
            run(conn, "RELEASE w")
        } else {
            run(conn, "ROLLBACK TO w").and_then(|()| run(conn, "RELEASE w"))
        };
        match end {
            Ok(()) => done.push(d),
            Err(e) => (d.finish)(Some(&e.to_string())),
        }
    }
    let commit_error = match conn.execute_batch("COMMIT") {
        Ok(()) => None,
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Some(e.to_string())
        }
    };
    for d in done {
        (d.finish)(commit_error.as_deref());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread::ThreadId;

    fn read_thread(db: &Db, rt: &tokio::runtime::Runtime) -> ThreadId {
        rt.block_on(db.read(|conn| {
            let one: i64 = conn.query_row("SELECT 1", [], |r| r.get(0))?;
            assert_eq!(one, 1);
            Ok(std::thread::current().id())
        }))
        .unwrap()
    }

    #[test]
    fn reads_run_inline_on_a_multi_thread_runtime_and_on_readers_otherwise() {
        let dir = tempfile::tempdir().unwrap();
        let db = Db::open(&dir.path().join("inline.db"), &SqliteOptions::default()).unwrap();
        let here = std::thread::current().id();

        let multi = tokio::runtime::Builder::new_multi_thread().worker_threads(2).build().unwrap();
        assert_eq!(read_thread(&db, &multi), here, "multi-thread runtime: the read runs on the caller");
        // The connection went back to the pool: every later read still runs inline.
        for _ in 0..8 {
            assert_eq!(read_thread(&db, &multi), here);
        }

        let current = tokio::runtime::Builder::new_current_thread().build().unwrap();
        assert_ne!(read_thread(&db, &current), here, "current-thread runtime: a reader thread runs it");
    }
}
