//! The integration tests of scim-store-sqlite in one test binary: the conformance suite (twice:
//! in memory and on disk), the store's own tests, the crash test (which re-runs this binary as
//! its child, filtered to `crash::crash_child`), differential tests against the memory
//! semantics, migrations.

mod audit;
mod common;
mod conformance;
mod crash;
mod differential;
mod migrations;
mod store;
