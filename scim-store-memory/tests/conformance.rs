//! The store conformance suite of `scim-core`, one test per case.

scim_core::conformance_tests!(scim_store_memory::MemoryUserStore::new());
