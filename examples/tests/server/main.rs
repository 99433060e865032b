//! The integration tests of the example server in one test binary: end-to-end tests that start
//! the server binaries (`CARGO_BIN_EXE_*`) and talk HTTP to them (`e2e_*`, helpers in
//! `common`; `e2e_postgres` runs on `SCIM_TEST_DATABASE_URL` when set), and tests of
//! `ScimService` without a socket (`service`, `service_props`, helpers in `tokens`). proptest
//! keeps failures in `tests/proptest-regressions/<module>.txt`.

mod common;
mod e2e_admin;
mod e2e_admin_browser;
mod e2e_audit;
mod e2e_bad_input;
mod e2e_bulk;
mod e2e_cursor;
mod e2e_entra;
mod e2e_hyper;
mod e2e_idps;
mod e2e_lifecycle;
mod e2e_okta;
mod e2e_ops;
mod e2e_postgres;
mod e2e_profiles;
mod e2e_replicas;
mod e2e_tls;
mod service;
mod service_props;
mod tokens;
