//! PATCH (RFC 7644 §3.5.2): `add`, `remove` and `replace`, including the shapes Microsoft
//! Entra ID and Okta really send.
//!
//! See [`PatchOp`] for the semantics.

mod access;
mod canonical;
mod dispatch;
mod engine;
mod filtered;
mod identity;
mod lookup;
mod members;
mod multi_valued;
mod operation;
mod parse;
mod remove;
mod select;
mod write;

use crate::ScimError;
use crate::schema::{ResourceType, SchemaRegistry};
use crate::store::MemberChange;
use engine::Engine;
pub use operation::{PatchOpKind, PatchOperation};
use serde_json::{Map, Value};

/// A parsed PATCH request (`urn:ietf:params:scim:api:messages:2.0:PatchOp`).
///
/// ```
/// use scim_core::{PatchOp, ResourceKind, SchemaRegistry};
/// use serde_json::json;
///
/// let registry = SchemaRegistry::scim_default();
/// let users = registry.kind(ResourceKind::User).unwrap();
/// let mut user = json!({
///     "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
///     "id": "2819c223", "userName": "bjensen", "active": true,
///     "name": {"givenName": "Barbara", "familyName": "Jensen"}
/// });
/// // Entra: capitalised op, a boolean sent as a string, a dotted key in a no-path value.
/// let patch = PatchOp::from_json(&json!({
///     "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
///     "Operations": [
///         {"op": "Replace", "path": "active", "value": "False"},
///         {"op": "add", "value": {"name.givenName": "Babs"}}
///     ]
/// })).unwrap();
/// let changed = patch.apply(&registry, users, user.as_object_mut().unwrap()).unwrap();
/// assert!(changed);
/// assert_eq!(user["active"], json!(false));
/// assert_eq!(user["name"], json!({"givenName": "Babs", "familyName": "Jensen"}));
/// ```
///
/// # Semantics
///
/// Names in paths and value objects are matched to the schema ignoring case and written in the
/// schema's casing; values go through [`SchemaRegistry::canonicalize_value`] (so `"False"`
/// becomes `false` and a bare `manager` id becomes `{"value": id}`).
///
/// - **Message**: `op` in any case; the `Operations`, `op`, `path` and `value` member names in
///   any case. A missing `schemas` is accepted; a `schemas` without the PatchOp URN, an empty
///   `Operations`, an unknown `op`, or an `add`/`replace` without `value` is `400 invalidSyntax`.
///   A bad path is `400 invalidPath`. More operations than
///   [`Limits::max_patch_operations`](crate::Limits::max_patch_operations) (1000 by default) is
///   `400 invalidValue`: real clients send a handful, with many values in one operation's
///   array, and each operation costs a pass over the attribute it changes.
/// - **References**: when the `value` of a reference (an attribute with a `$ref` sub-attribute:
///   `manager`, `members`) changes, its `$ref`, `display` and `displayName` go unless resent, as
///   they described the old target; any other element (an e-mail) keeps the sub-attributes not
///   given.
/// - **Unknown attributes** (in a path or a value object) follow the registry's
///   [`UnknownAttributes`](crate::UnknownAttributes) policy, as on create: ignored by default;
///   under `Reject`, `400 invalidPath` for a path and `400 invalidValue` for a value-object key.
/// - **No path** (`add`/`replace`): the value object's keys may be plain (`displayName`),
///   dotted (`name.givenName`), URN-qualified (`urn:…:enterprise:2.0:User:employeeNumber`), an
///   extension URN with an object value, or even a value path; each key is applied as if it were
///   the operation's path. Read-only keys (`meta`, `schemas`, `groups`, the lifecycle extension)
///   are ignored, as Okta echoes them; `id` is ignored when equal to the resource's id.
/// - **add**: single-valued attributes are set; complex ones are merged (sub-attributes not
///   given are kept); multi-valued ones get the new values appended, skipping values already
///   present (same `value` and, when both have one, same `type`; equal JSON for elements without
///   `value`); a second value of one `type` is `400 invalidValue`, as in
///   [`SchemaRegistry::validate`]. An `add` to `attr[filter].sub` (or `attr[filter]`) that matches nothing creates the
///   element from the filter's `eq` terms, as Entra expects for `emails[type eq "work"].value`.
/// - **replace**: single-valued attributes are set; complex ones merged (RFC 7644 §3.5.2.3:
///   "sub-attributes that are not specified in the value parameter are left unchanged");
///   multi-valued ones replaced as a whole; `attr[filter]` replaces the matching elements (the
///   filter's `eq` terms are kept when the new value omits them) and answers `400 noTarget` when
///   nothing matches; `attr[filter].sub` sets the sub-attribute of the matching elements and,
///   when nothing matches, creates the element like `add` (an attribute that does not exist is
///   added, §3.5.2.3) if the filter is made of `eq` terms, else `400 noTarget`.
/// - **remove**: a `path` is required (`400 noTarget`). Removing an absent attribute, or a value
///   filter that matches nothing, succeeds without change, so that IdP retries are idempotent.
///   A multi-valued attribute left empty is removed. `path: "members"` with a `value` array (Entra)
///   removes exactly those members.
/// - `null`, like an empty array for a multi-valued attribute, unassigns (RFC 7643 §2.5).
/// - **Mutability**: writing a `readOnly` attribute through a path, changing an `immutable` value
///   that is set, or removing a `required` attribute (RFC 7644 §3.5.2.2) answers
///   `400 mutability`. `writeOnly` attributes (`password`) are accepted and not stored, as on
///   create.
/// - A write that makes an element `primary` turns `primary` off on the others (RFC 7644 §3.5.2).
/// - Adding or removing extension attributes keeps `schemas` in step and drops emptied extensions.
/// - **Atomic**: on error the document is exactly as before (an undo log restores what was
///   touched; the document is never cloned whole).
#[derive(Debug, Clone, PartialEq)]
pub struct PatchOp {
    operations: Vec<PatchOperation>,
}

impl PatchOp {
    /// Reads a PatchOp message. Paths are parsed here, once; nothing is checked against a
    /// schema until [`PatchOp::apply`].
    ///
    /// # Errors
    /// `400 invalidSyntax` for a malformed message (not an object, no or empty `Operations`,
    /// unknown `op`, `add`/`replace` without `value`, `schemas` without the PatchOp URN),
    /// `400 invalidPath` for a path that does not parse, `400 noTarget` for `remove` without a path.
    pub fn from_json(body: &Value) -> Result<Self, ScimError> {
        Self::from_json_limited(body, crate::Limits::default().max_patch_operations)
    }

    /// [`PatchOp::from_json`] with at most `max_operations` operations (`400 invalidValue`
    /// above; [`Provisioning`](crate::Provisioning) passes its
    /// [`Limits::max_patch_operations`](crate::Limits::max_patch_operations)).
    ///
    /// # Errors
    /// As [`PatchOp::from_json`].
    pub fn from_json_limited(body: &Value, max_operations: usize) -> Result<Self, ScimError> {
        Ok(Self { operations: parse::operations(body, max_operations)? })
    }

    /// The operations, in order.
    pub fn operations(&self) -> &[PatchOperation] {
        &self.operations
    }

    /// Applies every operation to `doc`, a stored resource of type `rt` (canonical
    /// attribute names, as [`SchemaRegistry::validate`] produces).
    ///
    /// All or nothing: on `Err`, `doc` is exactly as before. Returns whether anything changed;
    /// a request that only restates current values returns `false`, so the version can be kept.
    ///
    /// # Errors
    /// `400 invalidPath` (a bad value filter, or an unknown attribute under the `Reject` policy),
    /// `400 noTarget` (a `replace` filter that matches
    /// nothing), `400 mutability` (read-only, immutable or required attribute), `400 invalidValue`
    /// (a value of the wrong type), each with the failing operation's index in the detail.
    pub fn apply(
        &self,
        registry: &SchemaRegistry,
        rt: &ResourceType,
        doc: &mut Map<String, Value>,
    ) -> Result<bool, ScimError> {
        let mut engine = Engine::new(registry, rt, doc);
        match self.run(&mut engine) {
            Ok(()) => Ok(engine.changed()),
            Err(e) => {
                engine.rollback();
                Err(e)
            }
        }
    }

    fn run(&self, engine: &mut Engine<'_, '_>) -> Result<(), ScimError> {
        for (i, op) in self.operations.iter().enumerate() {
            engine.operation(op).map_err(|e| operation::at_operation(i, op.path_text(), &e))?;
        }
        engine.finish_extensions()
    }

    /// The request as a group membership change, when it is nothing else: every operation is
    /// an `add` to `members` with an array of `{"value": id, …}`, a `remove` of
    /// `members[value eq "id"]`, or Entra's `remove` of `members` with a value array. `None`
    /// for anything else (a `replace` of `members`, removing all members, any other attribute,
    /// or one id both added and removed), which then needs [`PatchOp::apply`].
    pub fn member_change(&self) -> Option<MemberChange> {
        members::member_change(&self.operations)
    }
}
