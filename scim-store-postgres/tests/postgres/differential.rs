//! Differential test: generated filters answered by the PostgreSQL store (pushed down to SQL
//! where possible, sorted and paged in SQL when the pushdown is exact) select exactly what the
//! evaluator selects (`scim_store_conformance::differential`).

use crate::common;
use scim_core::{ResourceKind, SchemaRegistry};
use scim_query::NoSchema;
use scim_store_conformance::differential::generated_filters;

/// Filters compiled with the schema (`id`/`externalId` case-exact, `meta` times as instants).
#[tokio::test]
async fn generated_filters_with_the_schema() {
    let Some(store) = common::fresh().await else { return };
    let registry = SchemaRegistry::scim_default();
    let rt = registry.kind(ResourceKind::User).unwrap();
    generated_filters(&store, &registry.facts(rt), 0x5eed_cafe_f00d).await;
}

/// The same, compiled without a schema (every string compared ignoring case).
#[tokio::test]
async fn generated_filters_without_a_schema() {
    let Some(store) = common::fresh().await else { return };
    generated_filters(&store, &NoSchema, 0xface_b00c_1234).await;
}
