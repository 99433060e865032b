//! Differential test: generated filters answered by the SQLite store (pushed down to SQL
//! where possible) select exactly what the evaluator selects
//! (`scim_store_conformance::differential`), on an in-memory database and on a file.

use scim_core::{ResourceKind, SchemaRegistry};
use scim_query::NoSchema;
use scim_store_conformance::differential::generated_filters;
use scim_store_sqlite::SqliteUserStore;

/// Filters compiled with the schema (`id`/`externalId` case-exact, `meta` times as instants).
#[tokio::test]
async fn generated_filters_with_the_schema() {
    let store = SqliteUserStore::open_in_memory().unwrap();
    let registry = SchemaRegistry::scim_default();
    let rt = registry.kind(ResourceKind::User).unwrap();
    generated_filters(&store, &registry.facts(rt), 0x5eed_cafe_f00d).await;
}

/// The same, compiled without a schema (every string compared ignoring case).
#[tokio::test]
async fn generated_filters_without_a_schema() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteUserStore::open(dir.path().join("diff.db")).unwrap();
    generated_filters(&store, &NoSchema, 0xface_b00c_1234).await;
}
