//! The store conformance suite (`scim-store-conformance`), one test per case, twice: on an in-memory
//! database (every query on the writer thread) and on a database file (reads on the reader
//! threads, WAL, `synchronous = FULL`).

scim_store_conformance::conformance_tests!(scim_store_sqlite::SqliteUserStore::open_in_memory().unwrap());

mod on_disk {
    use scim_store_sqlite::SqliteUserStore;
    use std::path::PathBuf;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// A fresh database file under cargo's per-target temp directory; the names repeat from
    /// run to run, so old files are replaced rather than piling up.
    fn fresh() -> SqliteUserStore {
        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sqlite-conformance");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("case-{}.db", NEXT.fetch_add(1, Ordering::Relaxed)));
        for suffix in ["", "-wal", "-shm"] {
            let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
        }
        SqliteUserStore::open(&path).unwrap()
    }

    scim_store_conformance::conformance_tests!(fresh());
}

/// A cursor walk while another task creates and deletes users returns every user present for
/// the whole walk exactly once, and no user twice: in memory and on disk (reads on the reader
/// threads, beside the writer).
#[test]
fn cursor_walks_under_concurrent_writes() {
    scim_store_conformance::cursor_walks_under_writes(32, || async {
        let store = std::sync::Arc::new(scim_store_sqlite::SqliteUserStore::open_in_memory().unwrap());
        Some((store.clone() as _, store as _))
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("walk.db");
    scim_store_conformance::cursor_walks_under_writes(32, || async move {
        let store = std::sync::Arc::new(scim_store_sqlite::SqliteUserStore::open(&path).unwrap());
        Some((store.clone() as _, store as _))
    });
}
