//! The store conformance suite (`scim-store-conformance`), one test per case, each on a store
//! in a fresh schema.

use crate::common;

scim_store_conformance::conformance_tests!(match common::fresh().await {
    Some(store) => store,
    None => return,
});
