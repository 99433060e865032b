//! The integration tests of scim-query in one test binary, one module per concern.
//! `compact_long_keys` stays a binary of its own: it counts entries of a process-wide table.
//! proptest keeps the failures of a test binary with a `main.rs` in
//! `tests/proptest-regressions/<module>.txt`, where it reads them before new cases.

mod client_shapes;
mod compact_props;
mod errors;
mod operators;
mod paths;
mod precedence;
mod rfc7644_examples;
mod roundtrip;
mod workload_filters;
