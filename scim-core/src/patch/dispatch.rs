//! The dispatch of every operation (and of every key of a no-path value object) to the
//! write or removal its target needs.

use super::access::Origin;
use super::engine::Engine;
use super::operation::{PatchOpKind, PatchOperation};
use super::parse;
use super::select::{Target, describe, target, unknown_error};
use crate::quirks::{self, Quirk};
use crate::{ScimError, UnknownAttributes};
use scim_query::PatchPath;
use serde_json::Value;

impl<'r> Engine<'r, '_> {
    /// Applies one operation.
    pub(super) fn operation(&mut self, op: &PatchOperation) -> Result<(), ScimError> {
        match &op.path {
            Some(path) => {
                let t = target(self.registry, self.rt, path)?;
                self.apply_target(op.kind, t, op.value.as_ref(), Origin::Path)
            }
            None => {
                for entry in &op.entries {
                    let t = target(self.registry, self.rt, &entry.path)?;
                    let plain = matches!(&entry.path, PatchPath::Attr(p) if p.urn.is_none() && p.sub_attr.is_none());
                    if !plain && !matches!(t, Target::Core | Target::Extension(_) | Target::Unknown { .. }) {
                        quirks::admit(Quirk::PathlessPaths, || {
                            ScimError::invalid_value(format!(
                                "the key \"{}\" of an \"{}\" value without a \"path\" is an attribute path; \
                                 send it as the operation's \"path\", or nest it under its attribute",
                                entry.path,
                                op.kind.as_str()
                            ))
                        })?;
                    }
                    self.apply_target(op.kind, t, Some(&entry.value), Origin::ValueObject)?;
                }
                Ok(())
            }
        }
    }

    fn apply_target(
        &mut self,
        kind: PatchOpKind,
        t: Target<'r, '_>,
        value: Option<&Value>,
        origin: Origin,
    ) -> Result<(), ScimError> {
        match t {
            Target::Core => self.write_core(kind, value, origin),
            Target::Unknown { path, sub } => match self.registry.unknown_attributes() {
                UnknownAttributes::Ignore => Ok(()),
                _ => Err(unknown_error(&describe(path, sub), origin == Origin::Path)),
            },
            Target::Extension(schema) => match kind {
                PatchOpKind::Remove => self.remove_extension(schema),
                _ => self.write_extension(kind, schema, value, origin),
            },
            Target::Id => {
                let same = value
                    .and_then(Value::as_str)
                    .is_some_and(|v| self.doc.get("id").and_then(Value::as_str) == Some(v));
                if kind != PatchOpKind::Remove && same {
                    quirks::admit(Quirk::EchoedReadOnly, || ScimError::mutability("\"id\" is readOnly"))
                } else {
                    Err(ScimError::mutability("\"id\" is readOnly"))
                }
            }
            Target::ServerManaged(name) => match origin {
                Origin::ValueObject => quirks::admit(Quirk::EchoedReadOnly, || {
                    ScimError::mutability(format!("\"{name}\" is managed by the server"))
                }),
                Origin::Path => Err(ScimError::mutability(format!("\"{name}\" is managed by the server"))),
            },
            Target::Attr(res) => match (kind, res.sub_attribute) {
                (PatchOpKind::Remove, None) => self.remove_attribute(&res, value),
                (PatchOpKind::Remove, Some(sub)) => self.remove_sub_attribute(&res, sub),
                (_, None) => self.write_attribute(kind, &res, value, origin),
                (_, Some(sub)) => self.write_sub_attribute(&res, sub, value, origin),
            },
            Target::Filtered { res, attr_path, filter, sub } => match kind {
                PatchOpKind::Remove => self.remove_filtered(&res, attr_path, filter, sub),
                _ => self.write_filtered(kind, &res, attr_path, filter, sub, value, origin),
            },
        }
    }

    /// `{"urn:…:core:2.0:User": {…}}`: the object's keys are core attributes.
    fn write_core(&mut self, kind: PatchOpKind, value: Option<&Value>, origin: Origin) -> Result<(), ScimError> {
        if kind == PatchOpKind::Remove {
            return Err(ScimError::invalid_path("the core schema cannot be removed"));
        }
        let Some(Value::Object(obj)) = value else {
            return Err(ScimError::invalid_value("the core schema URN needs an object value"));
        };
        for (key, v) in obj {
            let path = parse::path(key)?;
            let t = target(self.registry, self.rt, &path)?;
            self.apply_target(kind, t, Some(v), origin)?;
        }
        Ok(())
    }
}
