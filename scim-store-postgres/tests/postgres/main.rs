//! The integration tests of scim-store-postgres in one test binary, on the PostgreSQL named by
//! `SCIM_TEST_DATABASE_URL` (`scripts/pg-throwaway start` prints one). Without it every test
//! prints a notice and passes, unless `SCIM_REQUIRE_POSTGRES` is set (as `.ci/run` sets it),
//! which turns the skip into a failure. Each store lives in a schema of its own.

mod audit;
mod common;
mod conformance;
mod differential;
mod replicas;
