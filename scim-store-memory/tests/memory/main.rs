//! The integration tests of scim-store-memory in one test binary: the conformance suite, the
//! differential filter check, and the store's own tests.

mod conformance;
mod differential;
mod order;
mod purge;
