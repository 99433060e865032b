//! Schema versioning: `PRAGMA user_version` is set on open, kept on reopen, older files are
//! migrated (version 1 -> 2: user documents from JSON text to JSONB), and a database
//! from a newer version of the crate is refused.

use crate::common;

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
        UserStore::create(&s, &tenant("a"), user("u1", "a"), None).await.unwrap();
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

/// Version 1 stored user documents as JSON text; version 2 stores them as JSONB. A version 1
/// file (the same tables, text documents) is converted on open and reads back unchanged.
#[tokio::test]
async fn a_version_1_file_with_text_documents_is_migrated_to_jsonb() {
    use scim_core::GroupStore;
    use serde_json::json;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scim.db");
    let t = tenant("a");
    let (before, listed_before) = {
        let s = SqliteUserStore::open(&path).unwrap();
        let mut u = user("u1", "Barbara");
        u.as_object_mut().insert("emails".into(), json!([{"value": "b@x.org", "primary": true}]));
        u.as_object_mut().insert("title".into(), json!("Tab\t\"quoted\" ünïcode"));
        UserStore::create(&s, &t, u, None).await.unwrap();
        UserStore::create(&s, &t, suspended("u2", "Gone", t0()), None).await.unwrap();
        GroupStore::create(&s, &t, group("g1", "Staff", &["u1"]), None).await.unwrap();
        let before = UserStore::get(&s, &t, "u1").await.unwrap();
        let listed = UserStore::list(&s, &t, &query(Some("active eq true"))).await.unwrap();
        (before, listed)
    };
    // Back to what version 1 wrote: text documents, no audit log, user_version 1.
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        conn.execute_batch("UPDATE users SET doc = json(doc); DROP TABLE audit; PRAGMA user_version = 1;").unwrap();
        let kinds: Vec<String> = conn
            .prepare("SELECT typeof(doc) FROM users")
            .unwrap()
            .query_map([], |r| r.get(0))
            .unwrap()
            .map(Result::unwrap)
            .collect();
        assert_eq!(kinds, ["text", "text"]);
    }
    let s = SqliteUserStore::open(&path).unwrap();
    assert_eq!(user_version(&path), SqliteUserStore::schema_version());
    assert!(SqliteUserStore::schema_version() >= 2);
    {
        let conn = rusqlite::Connection::open(&path).unwrap();
        let blobs: i64 =
            conn.query_row("SELECT count(*) FROM users WHERE typeof(doc) = 'blob'", [], |r| r.get(0)).unwrap();
        assert_eq!(blobs, 2);
        let groups: String = conn.query_row("SELECT typeof(doc) FROM groups", [], |r| r.get(0)).unwrap();
        assert_eq!(groups, "text", "group documents stay JSON text");
    }
    let after = UserStore::get(&s, &t, "u1").await.unwrap();
    assert_eq!(after, before);
    assert_eq!(after.as_json()["groups"][0]["value"], "g1");
    // Filters that SQL reads from the document still work on JSONB.
    let listed = UserStore::list(&s, &t, &query(Some("active eq true"))).await.unwrap();
    assert_eq!(listed.items, listed_before.items);
    assert_eq!(listed.total_results, 1);
    let inactive = UserStore::list(&s, &t, &query(Some("active eq false"))).await.unwrap();
    assert_eq!(inactive.items.iter().map(|u| u.id().unwrap()).collect::<Vec<_>>(), ["u2"]);
    // Writes after the migration, and the purge, read the converted documents.
    let replaced = UserStore::replace(&s, &t, user("u1", "Barbara J"), None, None).await.unwrap();
    assert_eq!(UserStore::get(&s, &t, "u1").await.unwrap(), replaced);
    let purged = s.purge_expired(t0(), None).await.unwrap();
    assert_eq!(purged.len(), 1);
    assert_eq!(purged[0].1.user_name(), Some("Gone"));
}
