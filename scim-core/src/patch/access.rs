//! What writes and removals of an attribute share: where a resolved attribute lives, whether
//! a write may touch it (`readOnly`, `writeOnly`, `immutable`), and creating the extension
//! object it sits in.

use super::engine::{Engine, Loc};
use crate::ScimError;
use crate::quirks::{self, Quirk};
use crate::schema::{AttributeDef, Mutability, ResolvedAttribute};
use serde_json::Value;

/// Where an operation's target came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Origin {
    /// The operation's `path`: read-only targets are errors.
    Path,
    /// A key of a no-path value object: read-only keys are ignored (quirk `echoed-read-only`).
    ValueObject,
}

/// Whether writes to `def` proceed (`Ok(true)`), are silently skipped (`Ok(false)`), or fail.
pub(super) fn writable(def: &AttributeDef, origin: Origin) -> Result<bool, ScimError> {
    match def.mutability {
        Mutability::ReadOnly => match origin {
            Origin::Path => Err(ScimError::mutability(format!("\"{}\" is readOnly", def.name))),
            Origin::ValueObject => {
                quirks::admit(Quirk::EchoedReadOnly, || {
                    ScimError::mutability(format!("\"{}\" is readOnly", def.name))
                })?;
                Ok(false)
            }
        },
        // Never stored (as on create and replace): `password`.
        Mutability::WriteOnly => Ok(false),
        _ => Ok(true),
    }
}

/// `400 mutability` when `def` is immutable, set, and would change.
pub(super) fn check_immutable(
    def: &AttributeDef,
    current: Option<&Value>,
    new: Option<&Value>,
) -> Result<(), ScimError> {
    if def.mutability != Mutability::Immutable {
        return Ok(());
    }
    match current {
        None | Some(Value::Null) => Ok(()),
        Some(cur) if Some(cur) == new => Ok(()),
        Some(_) => Err(ScimError::mutability(format!("\"{}\" is immutable and already set", def.name))),
    }
}

/// The location of a resolved attribute (under its extension's key when it has one).
pub(super) fn attr_loc<'r>(res: &ResolvedAttribute<'r>) -> Loc<'r> {
    if res.is_extension {
        Loc::key(res.schema.id.as_str()).key_child(res.attribute.name.as_str())
    } else {
        Loc::key(res.attribute.name.as_str())
    }
}

impl<'r> Engine<'r, '_> {
    /// Creates the extension object a write needs.
    pub(super) fn container(&mut self, res: &ResolvedAttribute<'r>) -> Result<(), ScimError> {
        if res.is_extension {
            self.ensure_object(Loc::key(res.schema.id.as_str()))?;
            self.touch_extension(res.schema);
        }
        Ok(())
    }
}
