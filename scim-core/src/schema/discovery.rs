//! The discovery documents: `/Schemas` (RFC 7643 §7), `/ResourceTypes` (§6) and
//! `/ServiceProviderConfig` (§5), served as RFC 7644 §4 describes.
//!
//! Every document carries `meta.resourceType` and `meta.location` (built from the SCIM base
//! URL); the list endpoints answer a `ListResponse` holding every resource.

use super::{AttrType, AttributeDef, Mutability, ResourceType, Returned, Schema, SchemaRegistry, Uniqueness};
use crate::{Limits, urn};
use serde_json::{Map, Value, json};

/// What the service provider configuration document advertises beyond the fixed facts
/// (PATCH yes, bulk no, filter yes, changePassword no, sort yes, ETag yes, OAuth bearer tokens)
/// and beyond what it derives from the service's [`Limits`]: today the host's documentation URI.
///
/// ```
/// let config = scim_core::ServiceProviderConfig::default().with_documentation_uri("https://docs.example.com/scim");
/// assert_eq!(config.documentation_uri.as_deref(), Some("https://docs.example.com/scim"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Default)]
#[non_exhaustive]
pub struct ServiceProviderConfig {
    /// Where the host documents its SCIM service (`documentationUri`).
    pub documentation_uri: Option<String>,
}

impl ServiceProviderConfig {
    /// Advertises `uri` as `documentationUri`.
    #[must_use]
    pub fn with_documentation_uri(mut self, uri: impl Into<String>) -> Self {
        self.documentation_uri = Some(uri.into());
        self
    }
}

fn mutability_name(m: Mutability) -> &'static str {
    match m {
        Mutability::ReadOnly => "readOnly",
        Mutability::ReadWrite => "readWrite",
        Mutability::Immutable => "immutable",
        Mutability::WriteOnly => "writeOnly",
    }
}

fn returned_name(r: Returned) -> &'static str {
    match r {
        Returned::Always => "always",
        Returned::Never => "never",
        Returned::Default => "default",
        Returned::Request => "request",
    }
}

fn uniqueness_name(u: Uniqueness) -> &'static str {
    match u {
        Uniqueness::None => "none",
        Uniqueness::Server => "server",
        Uniqueness::Global => "global",
    }
}

/// The RFC 7643 §7 representation of one attribute.
fn attribute_json(a: &AttributeDef) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), Value::String(a.name.clone()));
    m.insert("type".into(), Value::String(a.attr_type.as_str().into()));
    m.insert("multiValued".into(), Value::Bool(a.multi_valued));
    m.insert("description".into(), Value::String(a.description.clone()));
    m.insert("required".into(), Value::Bool(a.required));
    m.insert("caseExact".into(), Value::Bool(a.case_exact));
    m.insert("mutability".into(), Value::String(mutability_name(a.mutability).into()));
    m.insert("returned".into(), Value::String(returned_name(a.returned).into()));
    m.insert("uniqueness".into(), Value::String(uniqueness_name(a.uniqueness).into()));
    if !a.canonical_values.is_empty() {
        m.insert("canonicalValues".into(), json!(a.canonical_values));
    }
    if a.attr_type == AttrType::Reference {
        m.insert("referenceTypes".into(), json!(a.reference_types));
    }
    if a.attr_type == AttrType::Complex {
        m.insert("subAttributes".into(), Value::Array(a.sub_attributes.iter().map(attribute_json).collect()));
    }
    Value::Object(m)
}

fn base(base: &str) -> &str {
    base.trim_end_matches('/')
}

fn list_response(resources: Vec<Value>) -> Value {
    let n = resources.len();
    json!({
        "schemas": [urn::LIST_RESPONSE],
        "totalResults": n,
        "itemsPerPage": n,
        "startIndex": 1,
        "Resources": Value::Array(resources),
    })
}

fn schema_json(s: &Schema, base_url: &str) -> Value {
    json!({
        "schemas": [urn::SCHEMA],
        "id": s.id,
        "name": s.name,
        "description": s.description,
        "attributes": s.attributes.iter().map(attribute_json).collect::<Vec<_>>(),
        "meta": {
            "resourceType": "Schema",
            "location": format!("{}/Schemas/{}", base(base_url), s.id),
        },
    })
}

fn resource_type_json(rt: &ResourceType, base_url: &str) -> Value {
    let mut doc = json!({
        "schemas": [urn::RESOURCE_TYPE],
        "id": rt.id,
        "name": rt.name,
        "description": rt.description,
        "endpoint": rt.endpoint,
        "schema": rt.schema,
        "meta": {
            "resourceType": "ResourceType",
            "location": format!("{}/ResourceTypes/{}", base(base_url), rt.id),
        },
    });
    if !rt.extensions.is_empty() {
        doc["schemaExtensions"] = rt
            .extensions
            .iter()
            .map(|e| json!({"schema": e.schema, "required": e.required}))
            .collect::<Vec<_>>()
            .into();
    }
    doc
}

impl SchemaRegistry {
    /// `GET /Schemas`: a `ListResponse` of every schema (RFC 7643 §7, RFC 7644 §4).
    pub fn schemas_document(&self, base: &str) -> Value {
        list_response(self.schemas().iter().map(|s| schema_json(s, base)).collect())
    }

    /// `GET /Schemas/{urn}`: one schema (URN matched ignoring case), or `None` (answer `404`).
    pub fn schema_document(&self, urn: &str, base: &str) -> Option<Value> {
        self.schema(urn).map(|s| schema_json(s, base))
    }

    /// `GET /ResourceTypes`: a `ListResponse` of every resource type (RFC 7643 §6).
    pub fn resource_types_document(&self, base: &str) -> Value {
        list_response(self.resource_types().iter().map(|rt| resource_type_json(rt, base)).collect())
    }

    /// `GET /ResourceTypes/{name}`: one resource type (name matched ignoring case), or `None`.
    pub fn resource_type_document(&self, name: &str, base: &str) -> Option<Value> {
        self.resource_type(name).map(|rt| resource_type_json(rt, base))
    }

    /// `GET /ServiceProviderConfig` (RFC 7643 §5). It states what this library does: PATCH is
    /// supported; bulk is, up to `limits.max_bulk_operations` operations (off at 0); filtering is, up to `max_results`; changing passwords is not
    /// (`password` is never stored); sorting and ETags are; clients authenticate with OAuth
    /// bearer tokens; paging is by index (the default) and by cursor on `/Users` and `/Groups`
    /// (RFC 9865 `pagination`, `cursorTimeout` from `limits.cursor_timeout`).
    /// `filter.maxResults` and the page sizes are `limits.max_results`; `bulk.maxPayloadSize` is
    /// `limits.max_body_bytes`.
    pub fn service_provider_config(&self, config: &ServiceProviderConfig, limits: &Limits, base_url: &str) -> Value {
        let mut doc = json!({
            "schemas": [urn::SERVICE_PROVIDER_CONFIG],
            "patch": {"supported": true},
            "bulk": {
                "supported": limits.max_bulk_operations > 0,
                "maxOperations": limits.max_bulk_operations,
                "maxPayloadSize": limits.max_body_bytes,
            },
            "filter": {"supported": true, "maxResults": limits.max_results},
            "changePassword": {"supported": false},
            "sort": {"supported": true},
            "etag": {"supported": true},
            "pagination": {
                "cursor": true,
                "index": true,
                "defaultPaginationMethod": "index",
                "defaultPageSize": limits.max_results,
                "maxPageSize": limits.max_results,
                "cursorTimeout": limits.cursor_timeout.as_secs(),
            },
            "authenticationSchemes": [{
                "type": "oauthbearertoken",
                "name": "OAuth Bearer Token",
                "description": "Authentication scheme using the OAuth Bearer Token Standard",
                "specUri": "https://www.rfc-editor.org/info/rfc6750",
                "primary": true,
            }],
            "meta": {
                "resourceType": "ServiceProviderConfig",
                "location": format!("{}/ServiceProviderConfig", base(base_url)),
            },
        });
        if let Some(uri) = &config.documentation_uri {
            doc["documentationUri"] = Value::String(uri.clone());
        }
        doc
    }
}
