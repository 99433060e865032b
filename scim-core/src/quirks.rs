//! Named deviations from RFC 7643/7644 that identity providers send, and per-tenant
//! compatibility profiles that choose which of them a tenant accepts.
//!
//! Every deviation this library tolerates is a [`Quirk`]: a name, what it accepts, the
//! identity providers known to send it and where that is documented. A [`Profile`] is a named
//! set of quirks:
//!
//! - [`Profile::lenient`] allows every quirk. It is the default, and what the library did
//!   before profiles existed.
//! - [`Profile::strict`] allows none: a request that relies on one gets the RFC 7644 error
//!   the strict reading gives (`400` with its `scimType`), and the error's `detail` names the
//!   quirk that would have accepted it.
//! - One profile per identity provider ([`Profile::builtin`]: `entra`, `okta`, `onelogin`,
//!   `jumpcloud`, `pingfederate`, `rippling`, `authentik`, `auth0`, `google`) allows what that
//!   provider is documented to send.
//!
//! A request that uses a quirk gets the same answer under every profile that allows it; what
//! changes is that the service knows which quirks fired. [`Provisioning`](crate::Provisioning)
//! runs each request under its profile ([`Provisioning::with_profile`](crate::Provisioning::with_profile),
//! or the [`Principal`](crate::Principal)'s profile through the protocol service), writes the
//! names of the quirks that fired into the request's audit records
//! ([`AuditRecord::quirks`](crate::AuditRecord::quirks)) and logs them, so an admin can read
//! "Entra sent `active` as the string \"False\", accepted by quirk `bool-strings`".
//!
//! ```
//! use scim_core::quirks::{Profile, Quirk};
//! use scim_core::{PatchOp, ResourceKind, SchemaRegistry};
//! use serde_json::json;
//!
//! let registry = SchemaRegistry::scim_default();
//! let users = registry.kind(ResourceKind::User).unwrap();
//! let mut user = json!({"id": "1", "userName": "bjensen", "active": true});
//! let body = json!({"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
//!                   "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});
//! let apply = |doc: &mut serde_json::Value| {
//!     PatchOp::from_json(&body)?.apply(&registry, users, doc.as_object_mut().unwrap())
//! };
//!
//! // Entra's profile accepts the capitalised op and the string boolean, and says so.
//! let (result, fired) = Profile::builtin("entra").unwrap().check(|| apply(&mut user.clone()));
//! assert!(result.is_ok());
//! assert!(fired.contains(Quirk::PatchCase) && fired.contains(Quirk::BoolStrings));
//!
//! // The strict profile answers with the RFC's error, naming the quirk.
//! let (result, _) = Profile::strict().check(|| apply(&mut user.clone()));
//! let err = result.unwrap_err();
//! assert_eq!(err.status(), 400);
//! assert!(err.detail().contains("patch-case"), "{}", err.detail());
//! ```
//!
//! # How a profile is applied
//!
//! The quirks are detected deep inside the parsers (validation, PATCH, filters), all of which
//! are synchronous. [`Profile::check`] runs a closure with the profile in force on the current
//! thread and returns the quirks that fired; code outside any `check` runs under `lenient` and
//! records nothing, so [`SchemaRegistry::validate`](crate::SchemaRegistry::validate) and
//! [`PatchOp`](crate::PatchOp) called directly behave as they always did. A `check` never spans an
//! `.await`, so a task that moves between threads cannot carry a profile to the wrong request.

use crate::ScimError;
use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;

macro_rules! quirks {
    ($( $(#[$doc:meta])* $variant:ident = $name:literal {
        accepts: $accepts:literal,
        strict: $strict:literal,
        senders: [$($sender:literal),* $(,)?],
        sources: [$($source:literal),* $(,)?] $(,)?
    } )*) => {
        /// One named deviation from RFC 7643/7644 that the library can accept.
        ///
        /// See the [module documentation](self) for profiles; [`Quirk::ALL`] lists them all.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum Quirk {
            $( $(#[$doc])* $variant, )*
        }

        impl Quirk {
            /// Every quirk, in registry order.
            pub const ALL: &'static [Quirk] = &[$(Quirk::$variant),*];

            /// The quirk's stable name (`bool-strings`), as written in logs, audit records and
            /// profile definitions.
            pub fn name(self) -> &'static str {
                match self { $(Quirk::$variant => $name,)* }
            }

            /// What the quirk accepts that the RFC does not.
            pub fn accepts(self) -> &'static str {
                match self { $(Quirk::$variant => $accepts,)* }
            }

            /// What a strict server answers instead (the RFC's reading).
            pub fn strict_answer(self) -> &'static str {
                match self { $(Quirk::$variant => $strict,)* }
            }

            /// The identity providers known to send it (empty when none is documented).
            pub fn senders(self) -> &'static [&'static str] {
                match self { $(Quirk::$variant => &[$($sender),*],)* }
            }

            /// Where the senders' behaviour is documented.
            pub fn sources(self) -> &'static [&'static str] {
                match self { $(Quirk::$variant => &[$($source),*],)* }
            }
        }
    };
}

quirks! {
    /// `op` values, and the `Operations`/`op`/`path`/`value` member names of a PatchOp message, in
    /// another case than the RFC's (`"Replace"`, `"operations"`).
    PatchCase = "patch-case" {
        accepts: "PatchOp `op` values and member names in any case (\"Replace\", \"Operations\" as \"operations\")",
        strict: "400 invalidSyntax: `op` is \"add\", \"remove\" or \"replace\" (RFC 7644 §3.5.2)",
        senders: ["Microsoft Entra ID"],
        sources: [
            "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility",
            "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups",
        ],
    }
    /// `"True"`/`"False"` strings (any case) for boolean attributes.
    BoolStrings = "bool-strings" {
        accepts: "a boolean attribute given as the string \"True\"/\"False\" (any case)",
        strict: "400 invalidValue: a boolean is a JSON true or false (RFC 7643 §2.3.2)",
        senders: ["Microsoft Entra ID"],
        sources: [
            "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility",
            "https://github.com/AzureAD/SCIMReferenceCode/issues/21",
            "https://github.com/scimmyjs/scimmy/issues/86",
        ],
    }
    /// A complex attribute with a `value` sub-attribute given as a bare simple value (Entra's
    /// `manager` as an id string), read as `{"value": …}`.
    BareComplexValue = "bare-complex-value" {
        accepts: "a complex attribute given as a bare value (`manager: \"id\"`), read as {\"value\": …}",
        strict: "400 invalidValue: a complex attribute is a JSON object (RFC 7643 §2.3.8)",
        senders: ["Microsoft Entra ID"],
        sources: [
            "https://github.com/Captain-P-Goldfish/SCIM-SDK/issues/686",
            "https://github.com/apache/directory-scimple/issues/1242",
        ],
    }
    /// A single-valued attribute given as a one-element array (Entra's `manager` as `[{…}]` in a
    /// PATCH value).
    ArrayForSingleValue = "array-for-single-value" {
        accepts: "a single-valued attribute given as a one-element array in a PATCH value, unwrapped",
        strict: "400 invalidValue: a single-valued attribute takes one value, not an array (RFC 7643 §2.4)",
        senders: ["Microsoft Entra ID"],
        sources: ["https://github.com/Captain-P-Goldfish/SCIM-SDK/issues/686"],
    }
    /// A multi-valued attribute given one value instead of an array, read as a one-element array.
    ScalarForMultiValued = "scalar-for-multi-valued" {
        accepts: "a multi-valued attribute given a single value instead of an array in a resource body",
        strict: "400 invalidValue: a multi-valued attribute is a JSON array (RFC 7643 §2.4)",
        senders: ["OneLogin (admin-written JSON templates can send it; not seen in a captured request)"],
        sources: ["https://onelogin.service-now.com/kb?id=kb_article_view&sysparm_article=KB0013904"],
    }
    /// Keys of a no-path `add`/`replace` value that are attribute paths (`name.givenName`, an
    /// extension attribute's full URN, a value path) rather than attribute names.
    PathlessPaths = "pathless-paths" {
        accepts: "keys of a no-path add/replace value that are paths (`name.givenName`, `urn:…:User:employeeNumber`)",
        strict: "400 invalidValue: without a path, the value holds attributes by name (RFC 7644 §3.5.2.1)",
        senders: ["Microsoft Entra ID (with aadOptscim062020)"],
        sources: [
            "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility",
            "https://github.com/pond/scimitar/issues/123",
            "https://github.com/Captain-P-Goldfish/SCIM-SDK/issues/267",
        ],
    }
    /// Read-only attributes (`id`, `meta`, `schemas`, `groups`, …) inside a no-path PATCH value,
    /// ignored (the client sends the whole resource back).
    EchoedReadOnly = "echoed-read-only" {
        accepts: "read-only attributes (`id`, `meta`, `groups`, …) inside a no-path PATCH value, ignored",
        strict: "400 mutability: a PATCH may not write a read-only attribute (RFC 7644 §3.5.2)",
        senders: [
            "Okta (group push: `{\"op\":\"replace\",\"value\":{\"id\":…,\"displayName\":…}}` on every membership update)",
            "authentik (pathless replace of the whole group)",
        ],
        sources: [
            "https://developer.okta.com/docs/api/openapi/okta-scim/guides/scim-20",
            "https://github.com/imulab/go-scim/issues/57",
            "https://github.com/goauthentik/authentik/blob/main/authentik/providers/scim/clients/groups.py",
        ],
    }
    /// `remove` with `path: "members"` (or another multi-valued attribute) and a `value` array:
    /// removes exactly those values.
    RemoveByValue = "remove-by-value" {
        accepts: "`remove` of a multi-valued attribute with a `value` array, removing just those values",
        strict: "400 invalidSyntax: `remove` takes no value; name the values with a filter (`members[value eq \"…\"]`, RFC 7644 §3.5.2.2)",
        senders: ["Microsoft Entra ID", "authentik", "JumpCloud"],
        sources: [
            "https://learn.microsoft.com/en-us/entra/identity/app-provisioning/application-provisioning-config-problem-scim-compatibility",
            "https://github.com/goauthentik/authentik/blob/main/authentik/providers/scim/clients/groups.py",
            "https://app.uni-moni.com/en/kb/sso-setup-jumpcloud",
        ],
    }
    /// A `replace` of `attr[filter].sub` whose filter matches no element creates the element
    /// from the filter's `eq` terms. (A `replace` of a whole `attr[filter]` that matches nothing
    /// stays `noTarget` under every profile.)
    FilterUpsert = "filter-upsert" {
        accepts: "a PATCH to `emails[type eq \"work\"].value` that matches nothing creates that element",
        strict: "400 noTarget: the value filter matched nothing (RFC 7644 §3.5.2)",
        senders: ["Microsoft Entra ID"],
        sources: ["https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups"],
    }
    /// A request body (resource or PatchOp message) without `schemas`.
    MissingSchemas = "missing-schemas" {
        accepts: "a resource or PatchOp body without `schemas`",
        strict: "400 invalidSyntax: `schemas` is required (RFC 7643 §3, RFC 7644 §3.5.2)",
        senders: [],
        sources: [],
    }
    /// URIs in `schemas` that name no schema of the resource type (Entra's
    /// `http://schemas.microsoft.com/…/ADSCIM/2.0/Group` on group create).
    ForeignSchemaUris = "foreign-schema-uris" {
        accepts: "URIs in `schemas` that name no schema of the resource type",
        strict: "400 invalidSyntax: `schemas` lists the resource's schemas (RFC 7643 §3)",
        senders: ["Microsoft Entra ID"],
        sources: ["https://learn.microsoft.com/en-us/entra/identity/app-provisioning/use-scim-to-provision-users-and-groups"],
    }
    /// SCIM 1.1 schema URNs (`urn:scim:schemas:core:1.0`, `urn:scim:schemas:extension:…:1.0`) in
    /// `schemas` of a body sent to this SCIM 2.0 endpoint.
    Scim11Urns = "scim-1.1-urns" {
        accepts: "SCIM 1.1 URNs (`urn:scim:schemas:core:1.0`) in `schemas`",
        strict: "400 invalidSyntax: SCIM 2.0 schemas are `urn:ietf:params:scim:schemas:…` (RFC 7643 §3)",
        senders: ["OneLogin (Core Schema connector template)", "Google Workspace (reported, unconfirmed)"],
        sources: [
            "https://onelogin.service-now.com/kb?id=kb_article_view&sysparm_article=KB0013904",
            "https://www.ory.com/docs/kratos/manage-identities/scim/google-workspace",
        ],
    }
    /// An unquoted word as a string value in a `filter` (`externalId eq jyoung`) or in the value
    /// filter of a PATCH path (`emails[type eq work].value`).
    BareFilterValues = "bare-filter-values" {
        accepts: "an unquoted word as a string in a filter (`externalId eq jyoung`, `emails[type eq work]`)",
        strict: "400 invalidFilter: a string value is a JSON string in quotes (RFC 7644 §3.4.2.2)",
        senders: ["PingFederate / PingOne (admin-written lookup filters)"],
        sources: ["https://docs.pingidentity.com/pingone/integrations/p1_scim_filter_expressions.html"],
    }
}

impl Quirk {
    /// The quirk named `name` (its [`name`](Self::name), ignoring case).
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.iter().copied().find(|q| q.name().eq_ignore_ascii_case(name))
    }

    const fn bit(self) -> u32 {
        1 << self as u32
    }
}

impl fmt::Display for Quirk {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of [`Quirk`]s.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct QuirkSet(u32);

impl QuirkSet {
    /// No quirk.
    pub const EMPTY: Self = Self(0);

    /// Every quirk.
    pub fn all() -> Self {
        Quirk::ALL.iter().copied().collect()
    }

    /// Whether `quirk` is in the set.
    pub fn contains(self, quirk: Quirk) -> bool {
        self.0 & quirk.bit() != 0
    }

    /// Adds `quirk`.
    pub fn insert(&mut self, quirk: Quirk) {
        self.0 |= quirk.bit();
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The quirks in both sets.
    #[must_use]
    pub fn union(self, other: Self) -> Self {
        Self(self.0 | other.0)
    }

    /// The quirks, in registry order.
    pub fn iter(self) -> impl Iterator<Item = Quirk> {
        Quirk::ALL.iter().copied().filter(move |q| self.contains(*q))
    }

    /// The set as bits, one per quirk in registry order (for storage in an atomic).
    pub(crate) fn bits(self) -> u32 {
        self.0
    }

    /// The set of `bits` ([`bits`](Self::bits)).
    pub(crate) fn from_bits(bits: u32) -> Self {
        Self(bits)
    }

    /// The quirks' names, in registry order.
    pub fn names(self) -> Vec<String> {
        self.iter().map(|q| q.name().to_owned()).collect()
    }
}

impl FromIterator<Quirk> for QuirkSet {
    fn from_iter<I: IntoIterator<Item = Quirk>>(iter: I) -> Self {
        let mut set = Self::EMPTY;
        for q in iter {
            set.insert(q);
        }
        set
    }
}

impl fmt::Debug for QuirkSet {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_set().entries(self.iter().map(Quirk::name)).finish()
    }
}

impl fmt::Display for QuirkSet {
    /// The names, comma-separated (`bool-strings, patch-case`); `none` for the empty set.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.is_empty() {
            return f.write_str("none");
        }
        for (i, q) in self.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            f.write_str(q.name())?;
        }
        Ok(())
    }
}

/// A named set of quirks a tenant accepts. See the [module documentation](self).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Profile {
    name: Cow<'static, str>,
    quirks: QuirkSet,
}

/// The names of the built-in profiles, in the order they are listed.
pub const BUILTIN_PROFILES: &[&str] = &[
    "lenient",
    "strict",
    "entra",
    "okta",
    "onelogin",
    "jumpcloud",
    "pingfederate",
    "rippling",
    "authentik",
    "auth0",
    "google",
];

impl Default for Profile {
    /// [`Profile::lenient`].
    fn default() -> Self {
        Self::lenient()
    }
}

impl Profile {
    /// Every quirk: accept everything any known identity provider sends (the default).
    pub fn lenient() -> Self {
        Self { name: Cow::Borrowed("lenient"), quirks: QuirkSet::all() }
    }

    /// No quirk: RFC 7643/7644 only.
    pub fn strict() -> Self {
        Self { name: Cow::Borrowed("strict"), quirks: QuirkSet::EMPTY }
    }

    /// A profile of the host's own: `quirks` under `name`.
    pub fn custom(name: impl Into<Cow<'static, str>>, quirks: QuirkSet) -> Self {
        Self { name: name.into(), quirks }
    }

    /// The built-in profile named `name` (one of [`BUILTIN_PROFILES`], ignoring case).
    ///
    /// The identity providers' profiles allow what each is documented to send (see each
    /// quirk's [`senders`](Quirk::senders)). Where nothing about a provider's requests could be
    /// sourced (Rippling), its profile allows every quirk, like `lenient`, so that nothing it
    /// sends is refused; the log shows which quirks fire.
    pub fn builtin(name: &str) -> Option<Self> {
        use Quirk::*;
        let name = BUILTIN_PROFILES.iter().copied().find(|n| n.eq_ignore_ascii_case(name))?;
        let quirks: QuirkSet = match name {
            "lenient" | "rippling" => return Some(Self { name: Cow::Borrowed(name), quirks: QuirkSet::all() }),
            "strict" | "auth0" => QuirkSet::EMPTY,
            "entra" => [
                PatchCase,
                BoolStrings,
                BareComplexValue,
                ArrayForSingleValue,
                PathlessPaths,
                RemoveByValue,
                FilterUpsert,
                ForeignSchemaUris,
            ]
            .into_iter()
            .collect(),
            // Okta's group push repeats the group's `id` in a no-path replace; its PUT echoes
            // read-only attributes too, which the RFC tells a server to ignore (no quirk needed).
            "okta" => [EchoedReadOnly].into_iter().collect(),
            "onelogin" => [Scim11Urns, ScalarForMultiValued, ForeignSchemaUris].into_iter().collect(),
            "jumpcloud" => [RemoveByValue].into_iter().collect(),
            "pingfederate" => [BareFilterValues].into_iter().collect(),
            "authentik" => [RemoveByValue, EchoedReadOnly].into_iter().collect(),
            "google" => [Scim11Urns, ForeignSchemaUris].into_iter().collect(),
            _ => return None,
        };
        Some(Self { name: Cow::Borrowed(name), quirks })
    }

    /// The profile's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The quirks it allows.
    pub fn quirks(&self) -> QuirkSet {
        self.quirks
    }

    /// Whether it allows `quirk`.
    pub fn allows(&self, quirk: Quirk) -> bool {
        self.quirks.contains(quirk)
    }

    /// Runs `f` with this profile in force on the current thread; returns its result and the
    /// quirks that fired (were relied on and allowed). A quirk the profile does not allow makes
    /// the parser that met it answer with the RFC's error, whose detail names the quirk.
    ///
    /// Calls nest: the inner profile applies inside, and the quirks that fired inside are also
    /// reported by the outer call.
    pub fn check<R>(&self, f: impl FnOnce() -> R) -> (R, QuirkSet) {
        /// Puts the outer scope back, with what fired inside added, even if `f` panics.
        struct Restore(Option<Scope>);
        impl Drop for Restore {
            fn drop(&mut self) {
                SCOPE.with(|s| {
                    let inner = s.replace(self.0);
                    if let (Some(mut outer), Some(inner)) = (self.0, inner) {
                        outer.fired = outer.fired.union(inner.fired);
                        s.set(Some(outer));
                    }
                });
            }
        }
        let _restore = Restore(SCOPE.with(|s| s.replace(Some(Scope { allowed: self.quirks, fired: QuirkSet::EMPTY }))));
        let result = f();
        let fired = SCOPE.with(Cell::get).map_or(QuirkSet::EMPTY, |s| s.fired);
        (result, fired)
    }
}

impl fmt::Display for Profile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

#[derive(Clone, Copy)]
struct Scope {
    allowed: QuirkSet,
    fired: QuirkSet,
}

thread_local! {
    static SCOPE: Cell<Option<Scope>> = const { Cell::new(None) };
}

/// Whether the profile in force allows `quirk`; records it as fired when it does. Outside
/// [`Profile::check`] every quirk is allowed and nothing is recorded.
pub(crate) fn allowed(quirk: Quirk) -> bool {
    SCOPE.with(|s| match s.get() {
        None => true,
        Some(mut scope) => {
            let ok = scope.allowed.contains(quirk);
            if ok {
                scope.fired.insert(quirk);
                s.set(Some(scope));
            }
            ok
        }
    })
}

/// `Ok` when the profile in force allows `quirk` (recording it); otherwise the error `refuse`
/// builds, with the quirk named at the end of its detail.
pub(crate) fn admit(quirk: Quirk, refuse: impl FnOnce() -> ScimError) -> Result<(), ScimError> {
    if allowed(quirk) { Ok(()) } else { Err(refused(quirk, &refuse())) }
}

/// `err` with a note that `quirk` would have accepted the request.
pub(crate) fn refused(quirk: Quirk, err: &ScimError) -> ScimError {
    let detail = format!("{}{}", err.detail(), note(quirk));
    ScimError::new(err.status(), err.scim_type(), detail)
}

/// The note appended to the detail of an error that `quirk` would have avoided.
pub(crate) fn note(quirk: Quirk) -> String {
    format!(" (accepted only under quirk `{}`, which this tenant's compatibility profile does not allow)", quirk.name())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_round_trip() {
        let mut seen = std::collections::HashSet::new();
        for q in Quirk::ALL {
            assert!(seen.insert(q.name()), "duplicate name {}", q.name());
            assert_eq!(Quirk::from_name(q.name()), Some(*q));
            assert_eq!(Quirk::from_name(&q.name().to_uppercase()), Some(*q));
            assert!(!q.accepts().is_empty() && !q.strict_answer().is_empty());
            assert_eq!(q.senders().is_empty(), q.sources().is_empty(), "{q}: senders need sources");
        }
        assert!(Quirk::ALL.len() <= 32);
    }

    #[test]
    fn builtin_profiles() {
        for name in BUILTIN_PROFILES {
            let p = Profile::builtin(name).unwrap();
            assert_eq!(p.name(), *name);
            assert_eq!(Profile::builtin(&name.to_uppercase()).unwrap(), p);
        }
        assert_eq!(Profile::builtin("lenient").unwrap().quirks(), QuirkSet::all());
        assert!(Profile::builtin("strict").unwrap().quirks().is_empty());
        assert!(Profile::builtin("nope").is_none());
        // Each quirk with a documented sender is in that sender's profile.
        let entra = Profile::builtin("entra").unwrap();
        for q in Quirk::ALL {
            if q.senders().iter().any(|s| s.starts_with("Microsoft Entra ID")) {
                assert!(entra.allows(*q), "{q}");
            }
        }
    }

    #[test]
    fn check_records_and_refuses() {
        assert!(allowed(Quirk::BoolStrings), "outside a check everything is allowed");
        let (ok, fired) = Profile::lenient().check(|| allowed(Quirk::BoolStrings));
        assert!(ok);
        assert_eq!(fired.names(), ["bool-strings"]);
        let (ok, fired) = Profile::strict().check(|| allowed(Quirk::BoolStrings));
        assert!(!ok);
        assert!(fired.is_empty());
        let (refused, _) = Profile::strict().check(|| admit(Quirk::PatchCase, || ScimError::invalid_syntax("bad op")));
        let err = refused.unwrap_err();
        assert!(err.detail().starts_with("bad op (accepted only under quirk `patch-case`"));
        // Nesting: the inner profile applies inside; the outer call sees what fired inside.
        let ((inner_ok, inner_fired), outer_fired) = Profile::lenient().check(|| {
            allowed(Quirk::Scim11Urns);
            Profile::strict().check(|| allowed(Quirk::BoolStrings))
        });
        assert!(!inner_ok && inner_fired.is_empty());
        assert_eq!(outer_fired.names(), ["scim-1.1-urns"]);
        let (_, outer) =
            Profile::lenient().check(|| Profile::builtin("entra").unwrap().check(|| allowed(Quirk::BoolStrings)));
        assert_eq!(outer.names(), ["bool-strings"]);
        assert!(allowed(Quirk::BoolStrings));
    }

    #[test]
    fn a_panic_inside_check_restores_the_scope() {
        let r = std::panic::catch_unwind(|| Profile::strict().check(|| panic!("boom")));
        assert!(r.is_err());
        assert!(allowed(Quirk::BoolStrings), "the strict scope must not outlive its check");
    }
}
