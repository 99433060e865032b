//! Crash test: a child process (this test binary, re-run with `SCIM_CRASH_CHILD_DB` set and
//! only the test `crash::crash_child`)
//! creates users as fast as it can and prints each acknowledged id; the parent kills it with
//! SIGKILL at a random moment after its first acknowledgement, reopens the database and checks
//! that every acknowledged user is there and that `PRAGMA integrity_check` says `ok`.

use crate::common;

use common::*;
use scim_core::UserStore;
use scim_store_sqlite::SqliteUserStore;
use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CHILD_ENV: &str = "SCIM_CRASH_CHILD_DB";

/// The child's work; a no-op when run as a normal test.
#[test]
fn crash_child() {
    let Ok(path) = std::env::var(CHILD_ENV) else { return };
    let prefix = std::env::var("SCIM_CRASH_CHILD_PREFIX").unwrap_or_default();
    let rt = tokio::runtime::Builder::new_multi_thread().worker_threads(4).enable_all().build().unwrap();
    rt.block_on(async move {
        let store = Arc::new(SqliteUserStore::open(&path).unwrap());
        let mut tasks = Vec::new();
        for task in 0..8 {
            let (store, prefix) = (Arc::clone(&store), prefix.clone());
            tasks.push(tokio::spawn(async move {
                for n in 0u64.. {
                    let id = format!("{prefix}-{task}-{n}");
                    UserStore::create(&*store, &tenant("crash"), user(&id, &id), None).await.unwrap();
                    let mut out = std::io::stdout().lock();
                    writeln!(out, "ACK {id}").unwrap();
                    out.flush().unwrap();
                }
            }));
        }
        for t in tasks {
            t.await.unwrap();
        }
    });
}

#[tokio::test]
async fn acknowledged_users_survive_sigkill() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("crash.db");
    let mut seed = SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_nanos() as u64 | 1;
    let mut acknowledged = Vec::new();
    for round in 0..3 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let delay = Duration::from_millis(300 + seed % 700);
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "crash::crash_child", "--nocapture", "--test-threads=1"])
            .env(CHILD_ENV, &path)
            .env("SCIM_CRASH_CHILD_PREFIX", format!("r{round}"))
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = child.stdout.take().unwrap();
        let (acks, acked) = std::sync::mpsc::channel();
        let reader = std::thread::spawn(move || {
            for id in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(id) = id.strip_prefix("ACK ") {
                    let _ = acks.send(id.to_owned());
                }
            }
        });
        // The random delay counts from the first acknowledgement: starting the child and
        // opening the database take longer than the shortest delay on a loaded machine.
        let first = acked.recv_timeout(Duration::from_secs(120));
        std::thread::sleep(delay);
        child.kill().unwrap(); // SIGKILL
        let status = child.wait().unwrap();
        assert!(!status.success(), "the child was killed, not finished");
        reader.join().unwrap();
        let first = first.unwrap_or_else(|_| panic!("round {round}: the child acknowledged nothing in 120 s"));
        let ids: Vec<String> = std::iter::once(first).chain(acked.try_iter()).collect();
        eprintln!("round {round}: {} acknowledged before SIGKILL after {delay:?}", ids.len());
        acknowledged.extend(ids);

        let conn = rusqlite::Connection::open(&path).unwrap();
        let check: String = conn.query_row("PRAGMA integrity_check", [], |r| r.get(0)).unwrap();
        assert_eq!(check, "ok");
        drop(conn);
        let store = SqliteUserStore::open(&path).unwrap();
        for id in &acknowledged {
            let got = UserStore::get(&store, &tenant("crash"), id).await;
            assert!(got.is_ok(), "round {round}: acknowledged user {id} is missing: {got:?}");
        }
    }
}
