//! The store conformance suite (`scim-store-conformance`), one test per case.

scim_store_conformance::conformance_tests!(scim_store_memory::MemoryUserStore::new());

/// A cursor walk while another task creates and deletes users returns every user present for
/// the whole walk exactly once, and no user twice.
#[test]
fn cursor_walks_under_concurrent_writes() {
    scim_store_conformance::cursor_walks_under_writes(64, || async {
        let store = std::sync::Arc::new(scim_store_memory::MemoryUserStore::new());
        Some((store.clone() as _, store as _))
    });
}
