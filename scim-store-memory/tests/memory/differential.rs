//! Differential test: generated filters answered by the memory store (through its indexes
//! where it has them) select exactly what the evaluator selects
//! (`scim_store_conformance::differential`).

use scim_core::{ResourceKind, SchemaRegistry};
use scim_query::NoSchema;
use scim_store_conformance::differential::generated_filters;
use scim_store_memory::MemoryUserStore;

#[tokio::test]
async fn generated_filters_with_the_schema() {
    let registry = SchemaRegistry::scim_default();
    let rt = registry.kind(ResourceKind::User).unwrap();
    generated_filters(&MemoryUserStore::new(), &registry.facts(rt), 0x5eed_cafe_f00d).await;
}

#[tokio::test]
async fn generated_filters_without_a_schema() {
    generated_filters(&MemoryUserStore::new(), &NoSchema, 0xface_b00c_1234).await;
}
