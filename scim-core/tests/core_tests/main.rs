//! The integration tests of scim-core, one module per concern, in one test binary (one link
//! instead of one per file). `provisioning`, `ids` and `purge_task` run the `Provisioning`
//! service over the memory store; `purge_task` needs the feature `tokio` (on in
//! `cargo test --workspace`, which the example server's use of it turns on).

#[macro_use]
mod patch_support;

mod discovery;
mod ids;
mod patch_add;
mod patch_entra;
mod patch_okta;
mod patch_proptest;
mod patch_remove;
mod patch_replace;
mod patch_rfc_examples;
mod patch_workload;
mod projection;
mod provisioning;
#[cfg(feature = "tokio")]
mod purge_task;
mod quirks;
mod scans;
mod schema;
mod validate;
