//! [`ResourceFacts`]: what filters need to know about a resource type's attributes, read
//! from the registry.

use super::{ResourceType, SchemaRegistry};
use scim_query::{AttrFacts, AttrPath, AttributeFacts};

impl SchemaRegistry {
    /// The filter facts of a resource type, for compiling filters.
    pub fn facts<'a>(&'a self, rt: &'a ResourceType) -> ResourceFacts<'a> {
        ResourceFacts { registry: self, rt }
    }
}

/// [`AttributeFacts`] for one resource type, backed by the registry.
#[derive(Debug, Clone, Copy)]
pub struct ResourceFacts<'a> {
    registry: &'a SchemaRegistry,
    rt: &'a ResourceType,
}

impl AttributeFacts for ResourceFacts<'_> {
    fn resolve(&self, parent: Option<&AttrPath>, path: &AttrPath) -> Option<AttrFacts> {
        match parent {
            None => {
                let r = self.registry.resolve(self.rt, path)?;
                let target = r.target();
                Some(AttrFacts {
                    keys: r.keys(),
                    attr_type: target.attr_type,
                    case_exact: target.case_exact,
                    multi_valued: target.multi_valued,
                })
            }
            Some(parent) => {
                // Inside `parent[...]`: `path.name` is a sub-attribute of `parent`.
                let p = self.registry.resolve(self.rt, parent)?;
                let sub = p.attribute.sub_attribute(&path.name)?;
                Some(AttrFacts {
                    keys: vec![sub.name.clone()],
                    attr_type: sub.attr_type,
                    case_exact: sub.case_exact,
                    multi_valued: sub.multi_valued,
                })
            }
        }
    }
}
