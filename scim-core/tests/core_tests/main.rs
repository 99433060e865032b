//! The integration tests of scim-core, one module per concern, in one test binary (one link
//! instead of one per file). `provisioning` runs the `Provisioning` service over the memory
//! store.

#[macro_use]
mod patch_support;

mod discovery;
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
mod schema;
mod validate;
