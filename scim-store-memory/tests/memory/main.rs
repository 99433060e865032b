//! The integration tests of scim-store-memory in one test binary: the conformance suite and the
//! store's own tests.

mod conformance;
mod order;
mod purge;
