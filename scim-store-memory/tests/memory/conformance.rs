//! The store conformance suite (`scim-store-conformance`), one test per case.

scim_store_conformance::conformance_tests!(scim_store_memory::MemoryUserStore::new());
