//! The store conformance suite (`scim-store-conformance`), one test per case, each on a store
//! in a fresh schema.

use crate::common;

scim_store_conformance::conformance_tests!(match common::fresh().await {
    Some(store) => store,
    None => return,
});

/// A cursor walk while another task creates and deletes users returns every user present for
/// the whole walk exactly once, and no user twice (skipped without `SCIM_TEST_DATABASE_URL`).
#[test]
fn cursor_walks_under_concurrent_writes() {
    scim_store_conformance::cursor_walks_under_writes(24, || async {
        let store = std::sync::Arc::new(common::fresh().await?);
        Some((store.clone() as _, store as _))
    });
}
