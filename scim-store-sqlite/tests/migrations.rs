//! Schema versioning: `PRAGMA user_version` is set on open, kept on reopen, and a database
//! from a newer version of the crate is refused.

mod common;

use common::*;
use scim_core::{StoreError, UserStore};
use scim_store_sqlite::SqliteUserStore;

fn user_version(path: &std::path::Path) -> i64 {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap()
}

#[tokio::test]
async fn a_new_file_is_migrated_to_the_latest_version_and_reopens_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scim.db");
    {
        let s = SqliteUserStore::open(&path).unwrap();
        UserStore::create(&s, &tenant("a"), user("u1", "a")).await.unwrap();
    }
    assert_eq!(user_version(&path), SqliteUserStore::schema_version());
    assert!(SqliteUserStore::schema_version() >= 1);
    let s = SqliteUserStore::open(&path).unwrap();
    assert_eq!(UserStore::get(&s, &tenant("a"), "u1").await.unwrap().user_name(), Some("a"));
    drop(s);
    assert_eq!(user_version(&path), SqliteUserStore::schema_version());
}

#[test]
fn an_empty_file_from_version_0_is_migrated() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scim.db");
    rusqlite::Connection::open(&path).unwrap().execute_batch("CREATE TABLE unrelated (x)").unwrap();
    assert_eq!(user_version(&path), 0);
    drop(SqliteUserStore::open(&path).unwrap());
    assert_eq!(user_version(&path), SqliteUserStore::schema_version());
}

#[test]
fn a_newer_schema_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scim.db");
    drop(SqliteUserStore::open(&path).unwrap());
    rusqlite::Connection::open(&path)
        .unwrap()
        .pragma_update(None, "user_version", SqliteUserStore::schema_version() + 1)
        .unwrap();
    match SqliteUserStore::open(&path) {
        Err(StoreError::Backend { backend: "sqlite", source }) => assert!(source.to_string().contains("newer")),
        other => panic!("expected a backend error, got {other:?}"),
    }
}
