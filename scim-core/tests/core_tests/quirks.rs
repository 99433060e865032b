//! Quirks and compatibility profiles through the provisioning service and the protocol service:
//! one request per quirk, refused with the RFC's error under `strict` (nothing stored), accepted
//! and reported under `lenient` and under the profiles of the identity providers that send it;
//! the `Adopt` policy for a create whose `userName` is taken; per-tenant profiles and policies
//! from the `Principal`.

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use http::{Method, Request, Response, StatusCode};
use scim_core::audit::{Actor, AuditContext, AuditOperation, AuditQuery, AuditRecord};
use scim_core::quirks::{BUILTIN_PROFILES, Profile, Quirk, QuirkSet};
use scim_core::{
    AuthUnavailable, Authenticator, LifecycleEvent, LifecycleEvents, ListRequest, ManualClock, Principal, Provisioning,
    SCIM_CONTENT_TYPE, ScimError, ScimService, ScimType, TenantId, User, UserConflictPolicy, UserStatus, urn,
};
use scim_store_memory::MemoryUserStore;
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, Mutex, PoisonError};

/// The `schemas` URI Entra sends on group create besides the core one.
const ENTRA_GROUP_URI: &str = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group";

fn service() -> Provisioning {
    let store = Arc::new(MemoryUserStore::new());
    let clock = Arc::new(ManualClock::new(Utc.with_ymd_and_hms(2025, 6, 1, 8, 0, 0).single().expect("time")));
    Provisioning::new(store).with_clock(clock)
}

fn patch(ops: &Value) -> Value {
    json!({"schemas": [urn::PATCH_OP], "Operations": ops})
}

fn context() -> AuditContext {
    AuditContext::new(Actor::Host { name: Some("quirk-test".into()) })
}

fn id_of(user: &User) -> String {
    user.id().expect("id").to_owned()
}

/// A tenant holding bjensen (two e-mails), jsmith, and the group "Tour Guides" with both.
struct World {
    base: Provisioning,
    tenant: TenantId,
    bjensen: String,
    jsmith: String,
    group: String,
}

async fn world() -> World {
    let base = service();
    let tenant = TenantId::new("quirks");
    let bjensen = base
        .create_user(
            &tenant,
            &json!({
                "schemas": [urn::USER],
                "userName": "bjensen",
                "externalId": "bj-1",
                "name": {"givenName": "Barbara", "familyName": "Jensen"},
                "title": "Tour Guide",
                "emails": [
                    {"value": "bjensen@home.example", "type": "home"},
                    {"value": "bjensen@work.example", "type": "work"}
                ]
            }),
        )
        .await
        .expect("seed bjensen");
    let jsmith = base
        .create_user(&tenant, &json!({"schemas": [urn::USER], "userName": "jsmith", "externalId": "js-1"}))
        .await
        .expect("seed jsmith");
    let (bjensen, jsmith) = (id_of(&bjensen), id_of(&jsmith));
    let group = base
        .create_group(
            &tenant,
            &json!({"schemas": [urn::GROUP], "displayName": "Tour Guides",
                    "members": [{"value": bjensen}, {"value": jsmith}]}),
        )
        .await
        .expect("seed group");
    let group = group.id().expect("id").to_owned();
    World { base, tenant, bjensen, jsmith, group }
}

/// Everything the tenant holds: users, groups with members, and how many audit records.
#[derive(Debug, PartialEq)]
struct State {
    users: BTreeMap<String, Value>,
    groups: BTreeMap<String, Value>,
    audit_records: usize,
}

impl State {
    async fn of(w: &World) -> Self {
        Self::read(&w.base, &w.tenant).await
    }

    async fn read(p: &Provisioning, tenant: &TenantId) -> Self {
        let users = p.list_users(tenant, &ListRequest::new()).await.expect("list users");
        let users = users.items.iter().map(|u| (id_of(u), u.to_json())).collect();
        let mut groups = BTreeMap::new();
        for g in p.list_groups(tenant, &ListRequest::new()).await.expect("list groups").items {
            let id = g.id().expect("id").to_owned();
            let full = p.get_group(tenant, &id, true).await.expect("get group");
            groups.insert(id, full.to_json());
        }
        let audit = p.audit_records(tenant, &AuditQuery::new().with_limit(1000)).await.expect("audit");
        Self { users, groups, audit_records: audit.records.len() }
    }

    fn user(&self, id: &str) -> &Value {
        self.users.get(id).unwrap_or_else(|| panic!("no user {id}"))
    }

    fn user_named(&self, name: &str) -> &Value {
        self.users.values().find(|u| u["userName"] == name).unwrap_or_else(|| panic!("no user {name}"))
    }

    fn group(&self, id: &str) -> &Value {
        self.groups.get(id).unwrap_or_else(|| panic!("no group {id}"))
    }

    fn members(&self, group: &str) -> BTreeSet<String> {
        let members = self.group(group)["members"].as_array().cloned().unwrap_or_default();
        members.iter().map(|m| m["value"].as_str().expect("member value").to_owned()).collect()
    }
}

/// One request of a case.
#[derive(Debug)]
enum Call {
    PatchUser(Value),
    PatchGroup(Value),
    ReplaceUser(Value),
    CreateUser(Value),
    CreateGroup(Value),
    ListUsers(&'static str),
    /// A GET of bjensen, then a PUT of what it answered with these attributes changed.
    PutUserAsRead(Value),
    /// The same for the group.
    PutGroupAsRead(Value),
}

impl Call {
    /// The operation its audit record names (`None` for a read).
    fn operation(&self) -> Option<AuditOperation> {
        match self {
            Self::PatchUser(_) | Self::PatchGroup(_) => Some(AuditOperation::Patch),
            Self::ReplaceUser(_) | Self::PutUserAsRead(_) | Self::PutGroupAsRead(_) => Some(AuditOperation::Replace),
            Self::CreateUser(_) | Self::CreateGroup(_) => Some(AuditOperation::Create),
            Self::ListUsers(_) => None,
        }
    }

    /// Runs it; a resource comes back as JSON, a list as the array of its ids.
    async fn run(&self, svc: &Provisioning, w: &World) -> Result<Value, ScimError> {
        let t = &w.tenant;
        match self {
            Self::PatchUser(b) => svc.patch_user(t, &w.bjensen, b, None).await.map(|u| u.to_json()),
            Self::PatchGroup(b) => svc.patch_group(t, &w.group, b, None).await.map(|g| g.to_json()),
            Self::ReplaceUser(b) => svc.replace_user(t, &w.bjensen, b, None).await.map(|u| u.to_json()),
            Self::CreateUser(b) => svc.create_user(t, b).await.map(|u| u.to_json()),
            Self::CreateGroup(b) => svc.create_group(t, b).await.map(|g| g.to_json()),
            Self::ListUsers(f) => svc
                .list_users(t, &ListRequest::new().with_filter(*f))
                .await
                .map(|page| page.items.iter().map(|u| json!(u.id())).collect()),
            Self::PutUserAsRead(changes) => {
                let mut doc = svc.get_user(t, &w.bjensen).await?.to_json();
                merge(&mut doc, changes);
                svc.replace_user(t, &w.bjensen, &doc, None).await.map(|u| u.to_json())
            }
            Self::PutGroupAsRead(changes) => {
                let mut doc = svc.get_group(t, &w.group, true).await?.to_json();
                merge(&mut doc, changes);
                svc.replace_group(t, &w.group, &doc, None).await.map(|g| g.to_json())
            }
        }
    }
}

fn merge(doc: &mut Value, changes: &Value) {
    for (k, v) in changes.as_object().expect("object") {
        doc[k] = v.clone();
    }
}

/// Builds a request for a world (which holds the ids).
type MakeCall = fn(&World) -> Call;

/// A request that relies on exactly one quirk.
struct Case {
    name: &'static str,
    quirk: Quirk,
    /// The strict answer: `400` and this `scimType`.
    scim_type: ScimType,
    call: MakeCall,
    /// Checks the effect of the accepted request: the tenant read back, and the answer.
    effect: fn(&World, &State, &Value),
}

fn cases() -> Vec<Case> {
    use Quirk::*;
    vec![
        Case {
            name: "Entra's capitalised op",
            quirk: PatchCase,
            scim_type: ScimType::InvalidSyntax,
            call: |_| Call::PatchUser(patch(&json!([{"op": "Replace", "path": "title", "value": "Lead Guide"}]))),
            effect: |w, s, _| assert_eq!(s.user(&w.bjensen)["title"], "Lead Guide"),
        },
        Case {
            name: "\"operations\" in lower case",
            quirk: PatchCase,
            scim_type: ScimType::InvalidSyntax,
            call: |_| {
                Call::PatchUser(json!({"schemas": [urn::PATCH_OP],
                    "operations": [{"op": "replace", "path": "title", "value": "Lead Guide"}]}))
            },
            effect: |w, s, _| assert_eq!(s.user(&w.bjensen)["title"], "Lead Guide"),
        },
        Case {
            name: "active as the string \"False\" in a PATCH",
            quirk: BoolStrings,
            scim_type: ScimType::InvalidValue,
            call: |_| Call::PatchUser(patch(&json!([{"op": "replace", "path": "active", "value": "False"}]))),
            effect: |w, s, _| {
                let u = s.user(&w.bjensen);
                assert_eq!(u["active"], json!(false));
                assert_eq!(u[urn::LIFECYCLE_USER]["status"], "suspended");
            },
        },
        Case {
            name: "active as the string \"False\" in a POST",
            quirk: BoolStrings,
            scim_type: ScimType::InvalidValue,
            call: |_| Call::CreateUser(json!({"schemas": [urn::USER], "userName": "jdoe", "active": "False"})),
            effect: |_, s, _| assert_eq!(s.user_named("jdoe")["active"], json!(false)),
        },
        Case {
            name: "Entra's manager as a bare id",
            quirk: BareComplexValue,
            scim_type: ScimType::InvalidValue,
            call: |w| {
                let path = format!("{}:manager", urn::ENTERPRISE_USER);
                Call::PatchUser(patch(&json!([{"op": "add", "path": path, "value": w.jsmith}])))
            },
            effect: |w, s, _| assert_eq!(s.user(&w.bjensen)[urn::ENTERPRISE_USER]["manager"]["value"], json!(w.jsmith)),
        },
        Case {
            name: "Entra's manager as a one-element array",
            quirk: ArrayForSingleValue,
            scim_type: ScimType::InvalidValue,
            call: |w| {
                let path = format!("{}:manager", urn::ENTERPRISE_USER);
                Call::PatchUser(patch(&json!([{"op": "add", "path": path, "value": [{"value": w.jsmith}]}])))
            },
            effect: |w, s, _| assert_eq!(s.user(&w.bjensen)[urn::ENTERPRISE_USER]["manager"]["value"], json!(w.jsmith)),
        },
        Case {
            name: "a simple single-valued attribute as a one-element array",
            quirk: ArrayForSingleValue,
            scim_type: ScimType::InvalidValue,
            call: |_| Call::PatchUser(patch(&json!([{"op": "replace", "path": "title", "value": ["Lead Guide"]}]))),
            effect: |w, s, _| assert_eq!(s.user(&w.bjensen)["title"], "Lead Guide"),
        },
        Case {
            name: "emails as one object in a PUT",
            quirk: ScalarForMultiValued,
            scim_type: ScimType::InvalidValue,
            call: |_| {
                Call::ReplaceUser(json!({"schemas": [urn::USER], "userName": "bjensen", "externalId": "bj-1",
                    "emails": {"value": "babs@work.example", "type": "work"}}))
            },
            effect: |w, s, _| {
                let u = s.user(&w.bjensen);
                assert_eq!(u["emails"], json!([{"value": "babs@work.example", "type": "work"}]));
                assert!(u.get("title").is_none(), "a PUT replaces: {u}");
            },
        },
        Case {
            name: "schemas as one string",
            quirk: ScalarForMultiValued,
            scim_type: ScimType::InvalidValue,
            call: |_| Call::CreateUser(json!({"schemas": urn::USER, "userName": "jdoe"})),
            effect: |_, s, _| {
                let u = s.user_named("jdoe");
                assert!(u["schemas"].as_array().is_some_and(|a| a.contains(&json!(urn::USER))), "{u}");
            },
        },
        Case {
            name: "a sub-attribute path as a key of a no-path replace",
            quirk: PathlessPaths,
            scim_type: ScimType::InvalidValue,
            call: |_| Call::PatchUser(patch(&json!([{"op": "replace", "value": {"name.givenName": "Babs"}}]))),
            effect: |w, s, _| {
                let u = s.user(&w.bjensen);
                assert_eq!(u["name"], json!({"givenName": "Babs", "familyName": "Jensen"}));
            },
        },
        Case {
            name: "authentik's no-path replace of the whole group, id and meta included",
            quirk: EchoedReadOnly,
            scim_type: ScimType::Mutability,
            call: |w| {
                Call::PatchGroup(patch(&json!([{"op": "replace", "value": {
                    "id": w.group, "displayName": "Guides", "meta": {"resourceType": "Group"}}}])))
            },
            effect: |w, s, _| {
                assert_eq!(s.group(&w.group)["displayName"], "Guides");
                assert_eq!(s.members(&w.group), BTreeSet::from([w.bjensen.clone(), w.jsmith.clone()]));
            },
        },
        Case {
            name: "a user's own id and groups echoed in a no-path replace",
            quirk: EchoedReadOnly,
            scim_type: ScimType::Mutability,
            call: |w| {
                Call::PatchUser(patch(&json!([{"op": "replace", "value": {
                    "id": w.bjensen, "title": "Lead Guide", "groups": [{"value": w.group}]}}])))
            },
            effect: |w, s, _| assert_eq!(s.user(&w.bjensen)["title"], "Lead Guide"),
        },
        Case {
            name: "Entra's removal of a group member by value (the member-change path)",
            quirk: RemoveByValue,
            scim_type: ScimType::InvalidSyntax,
            call: |w| {
                Call::PatchGroup(patch(&json!([{"op": "remove", "path": "members", "value": [{"value": w.jsmith}]}])))
            },
            effect: |w, s, _| assert_eq!(s.members(&w.group), BTreeSet::from([w.bjensen.clone()])),
        },
        Case {
            name: "removal of one e-mail by value",
            quirk: RemoveByValue,
            scim_type: ScimType::InvalidSyntax,
            call: |_| {
                Call::PatchUser(patch(&json!([{"op": "remove", "path": "emails",
                    "value": [{"value": "bjensen@home.example", "type": "home"}]}])))
            },
            effect: |w, s, _| {
                assert_eq!(s.user(&w.bjensen)["emails"], json!([{"value": "bjensen@work.example", "type": "work"}]));
            },
        },
        Case {
            name: "Entra's replace of an e-mail type the user lacks",
            quirk: FilterUpsert,
            scim_type: ScimType::NoTarget,
            call: |_| {
                Call::PatchUser(patch(
                    &json!([{"op": "replace", "path": "emails[type eq \"other\"].value", "value": "babs@other.example"}]),
                ))
            },
            effect: |w, s, _| {
                let emails = s.user(&w.bjensen)["emails"].as_array().cloned().unwrap_or_default();
                assert_eq!(emails.len(), 3, "{emails:?}");
                assert!(emails.contains(&json!({"value": "babs@other.example", "type": "other"})), "{emails:?}");
            },
        },
        Case {
            name: "a PatchOp message without schemas",
            quirk: MissingSchemas,
            scim_type: ScimType::InvalidSyntax,
            call: |_| {
                Call::PatchUser(json!({"Operations": [{"op": "replace", "path": "title", "value": "Lead Guide"}]}))
            },
            effect: |w, s, _| assert_eq!(s.user(&w.bjensen)["title"], "Lead Guide"),
        },
        Case {
            name: "a user without schemas",
            quirk: MissingSchemas,
            scim_type: ScimType::InvalidSyntax,
            call: |_| Call::CreateUser(json!({"userName": "jdoe"})),
            effect: |_, s, out| assert_eq!(s.user_named("jdoe")["id"], out["id"]),
        },
        Case {
            name: "Entra's ADSCIM group URI",
            quirk: ForeignSchemaUris,
            scim_type: ScimType::InvalidSyntax,
            call: |_| {
                Call::CreateGroup(json!({"schemas": [urn::GROUP, ENTRA_GROUP_URI], "displayName": "Entra Group"}))
            },
            effect: |_, s, out| {
                let id = out["id"].as_str().expect("id");
                assert_eq!(s.group(id)["displayName"], "Entra Group");
            },
        },
        Case {
            name: "a SCIM 1.1 core URN",
            quirk: Scim11Urns,
            scim_type: ScimType::InvalidSyntax,
            call: |_| Call::CreateUser(json!({"schemas": ["urn:scim:schemas:core:1.0"], "userName": "jdoe"})),
            effect: |_, s, out| assert_eq!(s.user_named("jdoe")["id"], out["id"]),
        },
        Case {
            name: "an unquoted externalId in a filter",
            quirk: BareFilterValues,
            scim_type: ScimType::InvalidFilter,
            call: |_| Call::ListUsers("externalId eq bj-1"),
            effect: |w, _, out| assert_eq!(out, &json!([w.bjensen])),
        },
        Case {
            name: "an unquoted word in the filter of a PATCH path",
            quirk: BareFilterValues,
            scim_type: ScimType::InvalidFilter,
            call: |_| {
                Call::PatchUser(patch(
                    &json!([{"op": "replace", "path": "emails[type eq work].value", "value": "babs@work.example"}]),
                ))
            },
            effect: |w, s, _| {
                let emails = &s.user(&w.bjensen)["emails"];
                assert_eq!(emails[1], json!({"value": "babs@work.example", "type": "work"}), "{emails}");
                assert_eq!(emails[0]["value"], "bjensen@home.example");
            },
        },
    ]
}

/// The built-in profile named after each identity provider a quirk's `senders` mention.
const SENDER_PROFILES: &[(&str, &str)] = &[
    ("Microsoft Entra ID", "entra"),
    ("authentik", "authentik"),
    ("JumpCloud", "jumpcloud"),
    ("OneLogin", "onelogin"),
    ("Google Workspace", "google"),
    ("PingFederate", "pingfederate"),
    ("Okta", "okta"),
];

/// The built-in profiles of the identity providers that send `quirk`.
fn sender_profiles(quirk: Quirk) -> BTreeSet<&'static str> {
    let mut out = BTreeSet::new();
    for sender in quirk.senders() {
        let before = out.len();
        out.extend(SENDER_PROFILES.iter().filter(|(who, _)| sender.contains(who)).map(|(_, p)| *p));
        assert!(out.len() > before, "{quirk}: the sender \"{sender}\" names no built-in profile of this test");
    }
    out
}

/// The newest audit record of the tenant.
async fn newest_record(svc: &Provisioning, w: &World) -> AuditRecord {
    newest_in(svc, &w.tenant).await
}

async fn newest_in(svc: &Provisioning, tenant: &TenantId) -> AuditRecord {
    let page = svc.audit_records(tenant, &AuditQuery::new().with_limit(1)).await.expect("audit");
    page.records.into_iter().next().expect("a record")
}

/// Under `profile`, the case's request is refused with the strict answer naming the quirk, and
/// nothing changes.
async fn assert_refused(case: &Case, profile: &Profile) {
    let w = world().await;
    let before = State::of(&w).await;
    let svc = w.base.clone().with_profile(profile.clone()).acting_as(context());
    let call = (case.call)(&w);
    let err = call.run(&svc, &w).await.expect_err(&format!("{}: `{profile}` must refuse {call:?}", case.name));
    let what = format!("{} under `{profile}`: {}", case.name, err.detail());
    assert_eq!(err.status(), StatusCode::BAD_REQUEST, "{what}");
    assert_eq!(err.scim_type(), Some(case.scim_type), "{what}");
    assert!(err.detail().contains(&format!("quirk `{}`", case.quirk.name())), "{what}");
    assert!(!svc.quirks_fired().contains(case.quirk), "{what}: {:?}", svc.quirks_fired());
    assert_eq!(State::of(&w).await, before, "{what}: a refused request changes nothing");
}

/// Under `profile`, the case's request succeeds, has its effect, and reports its quirk (in the
/// service's tally and in the audit record of a write).
async fn assert_accepted(case: &Case, profile: &Profile) {
    let w = world().await;
    let svc = w.base.clone().with_profile(profile.clone()).acting_as(context());
    let call = (case.call)(&w);
    let out =
        call.run(&svc, &w).await.unwrap_or_else(|e| panic!("{} under `{profile}`: refused {call:?}: {e:?}", case.name));
    let after = State::of(&w).await;
    (case.effect)(&w, &after, &out);
    let what = format!("{} under `{profile}`", case.name);
    assert_eq!(svc.quirks_fired(), QuirkSet::from_iter([case.quirk]), "{what}");
    if let Some(operation) = call.operation() {
        let record = newest_record(&svc, &w).await;
        assert_eq!(record.operation, operation, "{what}: {record:?}");
        assert!(record.succeeded(), "{what}: {record:?}");
        assert_eq!(record.quirks, [case.quirk.name()], "{what}: {record:?}");
        let id = match &call {
            Call::PatchUser(_) | Call::ReplaceUser(_) | Call::PutUserAsRead(_) => w.bjensen.clone(),
            Call::PatchGroup(_) | Call::PutGroupAsRead(_) => w.group.clone(),
            _ => out["id"].as_str().expect("id").to_owned(),
        };
        assert_eq!(record.resource_id.as_deref(), Some(id.as_str()), "{what}");
    }
}

#[tokio::test]
async fn every_quirk_is_refused_by_strict_and_accepted_by_lenient_and_by_its_senders() {
    let cases = cases();
    let covered: BTreeSet<Quirk> = cases.iter().map(|c| c.quirk).collect();
    let all: BTreeSet<Quirk> = Quirk::ALL.iter().copied().collect();
    assert_eq!(covered, all, "every quirk needs a case");
    for case in &cases {
        assert_refused(case, &Profile::strict()).await;
        assert_accepted(case, &Profile::lenient()).await;
        let senders = sender_profiles(case.quirk);
        // Every built-in profile: accepted exactly when it allows the quirk, which the profiles
        // of its senders must.
        for name in BUILTIN_PROFILES {
            let profile = Profile::builtin(name).expect("built-in");
            if senders.contains(name) {
                assert!(profile.allows(case.quirk), "`{name}` must allow {}, which it sends", case.quirk);
            }
            if profile.allows(case.quirk) {
                assert_accepted(case, &profile).await;
            } else {
                assert_refused(case, &profile).await;
            }
        }
    }
}

/// Requests that rely on no quirk (the shapes of the RFC, and of Okta's PUT, whose echoed
/// read-only attributes the RFC tells a server to ignore).
fn clean_calls() -> Vec<(&'static str, MakeCall)> {
    vec![
        ("a PATCH of several attributes", |w| {
            let manager = format!("{}:manager", urn::ENTERPRISE_USER);
            Call::PatchUser(patch(&json!([
                {"op": "replace", "path": "active", "value": false},
                {"op": "replace", "path": "title", "value": "Lead Guide"},
                {"op": "replace", "path": "emails[type eq \"work\"].value", "value": "babs@work.example"},
                {"op": "add", "path": manager, "value": {"value": w.jsmith}},
                {"op": "remove", "path": "emails[type eq \"home\"]"},
                {"op": "add", "path": "nickName", "value": "Babs"}
            ])))
        }),
        ("Okta's no-path replace", |_| {
            Call::PatchUser(patch(&json!([{"op": "replace", "value": {"active": false, "displayName": "Babs"}}])))
        }),
        ("a member removal by filter", |w| {
            let path = format!("members[value eq \"{}\"]", w.jsmith);
            Call::PatchGroup(patch(&json!([{"op": "remove", "path": path}])))
        }),
        ("a member removal by filter and a rename (the general path)", |w| {
            Call::PatchGroup(patch(&json!([
                {"op": "remove", "path": format!("members[value eq \"{}\"]", w.bjensen)},
                {"op": "replace", "path": "displayName", "value": "Guides"}
            ])))
        }),
        ("Okta's PUT echoing id, meta and groups", |w| {
            Call::ReplaceUser(json!({
                "schemas": [urn::USER, urn::ENTERPRISE_USER],
                "id": w.bjensen,
                "meta": {"resourceType": "User"},
                "groups": [{"value": w.group}],
                "userName": "bjensen",
                "externalId": "bj-1",
                "active": true,
                "title": "Lead Guide",
                urn::ENTERPRISE_USER: {"department": "Tours"}
            }))
        }),
        ("a POST with the enterprise extension", |_| {
            Call::CreateUser(json!({"schemas": [urn::USER, urn::ENTERPRISE_USER], "userName": "jdoe", "active": true,
                urn::ENTERPRISE_USER: {"employeeNumber": "42"}}))
        }),
        ("a group POST with members", |w| {
            Call::CreateGroup(
                json!({"schemas": [urn::GROUP], "displayName": "Staff", "members": [{"value": w.jsmith}]}),
            )
        }),
        ("a filter with quoted strings", |_| Call::ListUsers("externalId eq \"bj-1\" and active eq true")),
        ("a user PUT back as read", |_| Call::PutUserAsRead(json!({"title": "Lead Guide"}))),
        ("a group PUT back as read", |_| Call::PutGroupAsRead(json!({"displayName": "Guides"}))),
    ]
}

#[tokio::test]
async fn an_rfc_clean_request_fires_nothing_and_passes_every_profile() {
    for (name, make) in clean_calls() {
        for profile in BUILTIN_PROFILES.iter().map(|p| Profile::builtin(p).expect("built-in")) {
            let w = world().await;
            let svc = w.base.clone().with_profile(profile.clone()).acting_as(context());
            let call = make(&w);
            let before = State::of(&w).await;
            call.run(&svc, &w).await.unwrap_or_else(|e| panic!("{name} under `{profile}`: {e:?}"));
            assert!(svc.quirks_fired().is_empty(), "{name} under `{profile}`: {:?}", svc.quirks_fired());
            if call.operation().is_some() {
                assert_ne!(State::of(&w).await, before, "{name} under `{profile}` changed nothing");
                let record = newest_record(&svc, &w).await;
                assert!(record.quirks.is_empty(), "{name} under `{profile}`: {record:?}");
            }
        }
    }
}

/// The lifecycle events delivered, as (kind, user id).
#[derive(Debug, Default)]
struct Events(Mutex<Vec<(&'static str, String)>>);

impl LifecycleEvents for Events {
    fn on_event(&self, event: &LifecycleEvent) {
        let kind = match event {
            LifecycleEvent::Invited { .. } => "invited",
            LifecycleEvent::Activated { .. } => "activated",
            LifecycleEvent::Suspended { .. } => "suspended",
            LifecycleEvent::Restored { .. } => "restored",
            LifecycleEvent::Purged { .. } => "purged",
            LifecycleEvent::Deleted { .. } => "deleted",
            _ => "other",
        };
        self.0.lock().unwrap_or_else(PoisonError::into_inner).push((kind, event.user_id().to_owned()));
    }
}

impl Events {
    /// The events since the last call.
    fn take(&self) -> Vec<(&'static str, String)> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

/// A service adopting users on a taken `userName`, with its events.
fn adopting() -> (Provisioning, Arc<Events>) {
    let events = Arc::new(Events::default());
    let svc = service().with_user_conflict(UserConflictPolicy::Adopt).with_events(events.clone());
    (svc, events)
}

fn bjensen(external_id: Option<&str>, extra: &Value) -> Value {
    let mut body = json!({"schemas": [urn::USER], "userName": "bjensen"});
    if let Some(external_id) = external_id {
        body["externalId"] = json!(external_id);
    }
    merge(&mut body, extra);
    body
}

fn status_of(user: &User) -> UserStatus {
    user.lifecycle().status
}

#[tokio::test]
async fn a_taken_user_name_is_409_uniqueness_by_default() {
    let svc = service();
    assert_eq!(svc.user_conflict(), UserConflictPolicy::Conflict);
    let t = TenantId::new("t");
    svc.create_user(&t, &bjensen(Some("bj-1"), &json!({}))).await.expect("first");
    let before = State::read(&svc, &t).await;
    for name in ["bjensen", "BJensen"] {
        let body = json!({"schemas": [urn::USER], "userName": name, "externalId": "bj-1"});
        let err = svc.create_user(&t, &body).await.expect_err("taken");
        assert_eq!((err.status(), err.scim_type()), (StatusCode::CONFLICT, Some(ScimType::Uniqueness)), "{name}");
    }
    assert_eq!(State::read(&svc, &t).await, before);
}

#[tokio::test]
async fn adopt_replaces_the_user_with_the_same_external_id() {
    let (svc, events) = adopting();
    let t = TenantId::new("t");
    let first = svc
        .create_user(
            &t,
            &bjensen(
                Some("bj-1"),
                &json!({"title": "Tour Guide", "nickName": "Babs", "emails": [{"value": "b@home.example", "type": "home"}]}),
            ),
        )
        .await
        .expect("first");
    let id = id_of(&first);
    assert_eq!(events.take(), [("invited", id.clone())]);
    let second =
        bjensen(Some("bj-1"), &json!({"title": "Lead Guide", "emails": [{"value": "b@work.example", "type": "work"}]}));
    let adopted = svc.create_user(&t, &second).await.expect("adopted");
    assert_eq!(id_of(&adopted), id, "the same user");
    let doc = adopted.to_json();
    assert_eq!(doc["title"], "Lead Guide");
    assert!(doc.get("nickName").is_none(), "attributes missing from the body are gone: {doc}");
    assert_eq!(doc["emails"], json!([{"value": "b@work.example", "type": "work"}]));
    assert_eq!(adopted.meta().map(|m| m.created), first.meta().map(|m| m.created), "meta.created kept");
    assert_eq!(status_of(&adopted), UserStatus::Pending);
    assert!(events.take().is_empty(), "no lifecycle transition");

    let read = svc.get_user(&t, &id).await.expect("read back");
    assert_eq!(read.to_json(), adopted.to_json());
    assert_eq!(State::read(&svc, &t).await.users.len(), 1);

    let record = newest_in(&svc, &t).await;
    assert_eq!(record.operation, AuditOperation::Adopt);
    assert_eq!(record.operation.as_str(), "adopt");
    assert_eq!(record.resource_id.as_deref(), Some(id.as_str()));
    assert_eq!(record.status, 201, "answered as a create: {record:?}");
    assert!(record.changes.iter().any(|c| c.attribute == "title"), "{record:?}");

    // The same body again changes nothing: the user as it is.
    let again = svc.create_user(&t, &second).await.expect("again");
    assert_eq!((id_of(&again), again.version()), (id.clone(), adopted.version()));
}

#[tokio::test]
async fn adopt_restores_a_suspended_user_unless_the_body_says_inactive() {
    for accepted in [false, true] {
        let (svc, events) = adopting();
        let t = TenantId::new("t");
        let id =
            id_of(&svc.create_user(&t, &bjensen(Some("bj-1"), &json!({"title": "Tour Guide"}))).await.expect("create"));
        if accepted {
            svc.accept_invitation(&t, &id).await.expect("accept");
        }
        let off = patch(&json!([{"op": "replace", "path": "active", "value": false}]));
        let suspended = svc.patch_user(&t, &id, &off, None).await.expect("suspend");
        assert_eq!(status_of(&suspended), UserStatus::Suspended);
        events.take();

        // Re-POSTed with `active: false`: adopted, still suspended, retention not extended.
        let inactive = svc.create_user(&t, &bjensen(Some("bj-1"), &json!({"active": false, "title": "Retired"}))).await;
        let inactive = inactive.expect("adopted inactive");
        assert_eq!(id_of(&inactive), id);
        assert!(!inactive.active());
        assert_eq!(inactive.to_json()["title"], "Retired");
        assert_eq!(status_of(&inactive), UserStatus::Suspended);
        assert_eq!(inactive.lifecycle().purge_at, suspended.lifecycle().purge_at);
        assert!(events.take().is_empty());

        // Re-POSTed without `active`: restored.
        let restored =
            svc.create_user(&t, &bjensen(Some("bj-1"), &json!({"title": "Tour Guide"}))).await.expect("adopted");
        assert_eq!(id_of(&restored), id);
        assert!(restored.active());
        let expected = if accepted { UserStatus::Active } else { UserStatus::Pending };
        assert_eq!(status_of(&restored), expected);
        assert_eq!(restored.lifecycle().purge_at, None);
        assert_eq!(events.take(), [("restored", id.clone())]);
        let read = svc.get_user(&t, &id).await.expect("read back");
        assert_eq!((read.active(), status_of(&read)), (true, expected));
        let record = newest_in(&svc, &t).await;
        assert_eq!(record.operation, AuditOperation::Adopt);
        assert_eq!(record.transition.map(|tr| (tr.from, tr.to)), Some((Some(UserStatus::Suspended), Some(expected))));
    }
}

#[tokio::test]
async fn adopt_takes_a_user_without_external_id() {
    let (svc, _) = adopting();
    let t = TenantId::new("t");
    let id = id_of(&svc.create_user(&t, &bjensen(None, &json!({"title": "Tour Guide"}))).await.expect("create"));
    // Entra's string boolean: the adoption reports the quirk, like the create it stands for.
    let acting = svc.acting_as(context());
    let adopted = acting.create_user(&t, &bjensen(Some("bj-1"), &json!({"active": "True"}))).await.expect("adopted");
    assert_eq!(id_of(&adopted), id);
    assert_eq!(adopted.external_id(), Some("bj-1"));
    assert!(adopted.to_json().get("title").is_none());
    assert_eq!(svc.get_user(&t, &id).await.expect("read").external_id(), Some("bj-1"));
    assert_eq!(acting.quirks_fired(), QuirkSet::from_iter([Quirk::BoolStrings]));
    let record = newest_in(&svc, &t).await;
    assert_eq!((record.operation, record.quirks), (AuditOperation::Adopt, vec!["bool-strings".to_owned()]));
}

#[tokio::test]
async fn adopt_refuses_a_user_with_another_external_id() {
    let (svc, events) = adopting();
    let t = TenantId::new("t");
    svc.create_user(&t, &bjensen(Some("bj-1"), &json!({"title": "Tour Guide"}))).await.expect("create");
    events.take();
    let before = State::read(&svc, &t).await;
    for body in
        [bjensen(Some("someone-else"), &json!({"title": "Impostor"})), bjensen(None, &json!({"title": "Impostor"}))]
    {
        let err = svc.create_user(&t, &body).await.expect_err("someone else");
        assert_eq!((err.status(), err.scim_type()), (StatusCode::CONFLICT, Some(ScimType::Uniqueness)), "{body}");
        assert_eq!(State::read(&svc, &t).await, before, "unchanged after {body}");
    }
    assert!(events.take().is_empty());
}

#[tokio::test]
async fn adopt_matches_the_user_name_ignoring_case() {
    let (svc, _) = adopting();
    let t = TenantId::new("t");
    let id = id_of(&svc.create_user(&t, &bjensen(Some("bj-1"), &json!({}))).await.expect("create"));
    let body = json!({"schemas": [urn::USER], "userName": "BJensen", "externalId": "bj-1", "title": "Lead Guide"});
    let adopted = svc.create_user(&t, &body).await.expect("adopted");
    assert_eq!(id_of(&adopted), id);
    assert_eq!(adopted.user_name(), Some("BJensen"), "the posted attributes, userName included");
    assert_eq!(adopted.to_json()["title"], "Lead Guide");
    assert_eq!(State::read(&svc, &t).await.users.len(), 1);
}

/// Four tenants, one token each: `strict`, `entra` (Entra's profile), `adopt` (the service's
/// lenient profile, adopting users) and `plain` (the service's defaults).
#[derive(Debug)]
struct Tokens;

#[async_trait]
impl Authenticator for Tokens {
    async fn authenticate(&self, token: &str) -> Result<Option<Principal>, AuthUnavailable> {
        let principal = |tenant: &str| {
            Principal::new(TenantId::new(tenant), Some(format!("{tenant}-token")), Some(format!("{tenant} IdP")))
        };
        Ok(match token {
            "strict-secret" => Some(principal("strict").with_profile(Profile::strict())),
            "entra-secret" => Some(principal("entra").with_profile(Profile::builtin("entra").expect("entra"))),
            "adopt-secret" => Some(principal("adopt").with_user_conflict(UserConflictPolicy::Adopt)),
            "plain-secret" => Some(principal("plain")),
            _ => None,
        })
    }
}

async fn send(svc: &ScimService, token: &str, method: Method, path: &str, body: &Value) -> Response<Vec<u8>> {
    let req = Request::builder()
        .method(method)
        .uri(format!("/scim/v2{path}"))
        .header("authorization", format!("Bearer {token}"))
        .header("content-type", SCIM_CONTENT_TYPE)
        .body(serde_json::to_vec(body).expect("json"))
        .expect("request");
    svc.handle(req).await
}

fn json_of(resp: &Response<Vec<u8>>) -> Value {
    serde_json::from_slice(resp.body()).unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_principal_chooses_the_profile_and_the_response_reports_the_quirks() {
    let provisioning = service();
    let mut ids = BTreeMap::new();
    for tenant in ["strict", "entra", "plain"] {
        let user = provisioning.create_user(&TenantId::new(tenant), &bjensen(Some("bj-1"), &json!({}))).await;
        ids.insert(tenant, id_of(&user.expect("seed")));
    }
    let svc = ScimService::new(provisioning.clone(), Tokens);
    let off =
        json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "Replace", "path": "active", "value": "False"}]});

    // Strict: the RFC's error, naming the quirk; nothing changed; the refusal is recorded.
    let strict = TenantId::new("strict");
    let resp = send(&svc, "strict-secret", Method::PATCH, &format!("/Users/{}", ids["strict"]), &off).await;
    let body = json_of(&resp);
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["scimType"], "invalidSyntax", "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("quirk `patch-case`")), "{body}");
    assert!(resp.extensions().get::<QuirkSet>().is_none());
    assert!(provisioning.get_user(&strict, &ids["strict"]).await.expect("read").active());
    let record = newest_in(&provisioning, &strict).await;
    assert_eq!((record.status, record.scim_type.as_deref()), (400, Some("invalidSyntax")), "{record:?}");
    assert_eq!(record.actor.key(), "strict-token");

    // Entra's profile (and the service's lenient default): accepted, and the response says which
    // quirks it took, as does the audit record.
    let expected = QuirkSet::from_iter([Quirk::PatchCase, Quirk::BoolStrings]);
    for (tenant, token) in [("entra", "entra-secret"), ("plain", "plain-secret")] {
        let t = TenantId::new(tenant);
        let resp = send(&svc, token, Method::PATCH, &format!("/Users/{}", ids[tenant]), &off).await;
        let body = json_of(&resp);
        assert_eq!(resp.status(), StatusCode::OK, "{tenant}: {body}");
        assert_eq!(body["active"], json!(false), "{tenant}");
        assert_eq!(resp.extensions().get::<QuirkSet>(), Some(&expected), "{tenant}");
        let user = provisioning.get_user(&t, &ids[tenant]).await.expect("read");
        assert_eq!(status_of(&user), UserStatus::Suspended, "{tenant}");
        let record = newest_in(&provisioning, &t).await;
        assert_eq!(record.quirks, ["patch-case", "bool-strings"], "{tenant}: {record:?}");
        assert_eq!(record.actor.key(), format!("{tenant}-token"));
    }

    // A quirk outside Entra's profile is refused on its tenant, allowed on the lenient one.
    let scim11 = json!({"schemas": ["urn:scim:schemas:core:1.0"], "userName": "jdoe"});
    let resp = send(&svc, "entra-secret", Method::POST, "/Users", &scim11).await;
    let body = json_of(&resp);
    assert_eq!((resp.status(), &body["scimType"]), (StatusCode::BAD_REQUEST, &json!("invalidSyntax")), "{body}");
    assert!(body["detail"].as_str().is_some_and(|d| d.contains("quirk `scim-1.1-urns`")), "{body}");
    let resp = send(&svc, "plain-secret", Method::POST, "/Users", &scim11).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    assert_eq!(resp.extensions().get::<QuirkSet>(), Some(&QuirkSet::from_iter([Quirk::Scim11Urns])));

    // Entra's member removal (capitalised op, members by value; the member-change path):
    // refused for the strict tenant with every member kept, 204 for the entra tenant.
    let mut groups = BTreeMap::new();
    for tenant in ["strict", "entra"] {
        let t = TenantId::new(tenant);
        let other = provisioning.create_user(&t, &json!({"schemas": [urn::USER], "userName": "jsmith"})).await;
        let other = id_of(&other.expect("jsmith"));
        let members = json!([{"value": ids[tenant]}, {"value": other}]);
        let group = json!({"schemas": [urn::GROUP], "displayName": "Tour Guides", "members": members});
        let group = provisioning.create_group(&t, &group).await.expect("group");
        groups.insert(tenant, (group.id().expect("id").to_owned(), other));
    }
    for (tenant, token) in [("strict", "strict-secret"), ("entra", "entra-secret")] {
        let (group, other) = &groups[tenant];
        let remove = json!({"schemas": [urn::PATCH_OP],
                            "Operations": [{"op": "Remove", "path": "members", "value": [{"value": other}]}]});
        let resp = send(&svc, token, Method::PATCH, &format!("/Groups/{group}"), &remove).await;
        let members = provisioning.get_group(&TenantId::new(tenant), group, true).await.expect("read").to_json();
        let members: BTreeSet<&str> =
            members["members"].as_array().into_iter().flatten().filter_map(|m| m["value"].as_str()).collect();
        if tenant == "strict" {
            let body = json_of(&resp);
            assert_eq!(
                (resp.status(), &body["scimType"]),
                (StatusCode::BAD_REQUEST, &json!("invalidSyntax")),
                "{body}"
            );
            assert_eq!(members, BTreeSet::from([ids[tenant].as_str(), other.as_str()]));
        } else {
            assert_eq!(resp.status(), StatusCode::NO_CONTENT);
            let fired = QuirkSet::from_iter([Quirk::PatchCase, Quirk::RemoveByValue]);
            assert_eq!(resp.extensions().get::<QuirkSet>(), Some(&fired));
            assert_eq!(members, BTreeSet::from([ids[tenant].as_str()]));
        }
    }

    // An RFC-clean request on the strict tenant: no quirk reported.
    let on = json!({"schemas": [urn::PATCH_OP], "Operations": [{"op": "replace", "path": "title", "value": "Lead"}]});
    let resp = send(&svc, "strict-secret", Method::PATCH, &format!("/Users/{}", ids["strict"]), &on).await;
    assert_eq!(resp.status(), StatusCode::OK);
    assert!(resp.extensions().get::<QuirkSet>().is_none());
}

#[tokio::test]
async fn the_principal_chooses_the_user_conflict_policy() {
    let provisioning = service();
    let svc = ScimService::new(provisioning.clone(), Tokens);
    let first = bjensen(Some("bj-1"), &json!({"title": "Tour Guide"}));
    let second = bjensen(Some("bj-1"), &json!({"title": "Lead Guide"}));

    let resp = send(&svc, "adopt-secret", Method::POST, "/Users", &first).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let id = json_of(&resp)["id"].as_str().expect("id").to_owned();
    let resp = send(&svc, "adopt-secret", Method::POST, "/Users", &second).await;
    let body = json_of(&resp);
    assert_eq!(resp.status(), StatusCode::CREATED, "{body}");
    assert_eq!(body["id"], json!(id), "the first user, adopted");
    assert_eq!(body["title"], "Lead Guide");
    let adopt = TenantId::new("adopt");
    assert_eq!(newest_in(&provisioning, &adopt).await.operation, AuditOperation::Adopt);
    assert_eq!(State::read(&provisioning, &adopt).await.users.len(), 1);

    // The tenant without the policy keeps the service's: 409.
    let resp = send(&svc, "plain-secret", Method::POST, "/Users", &first).await;
    assert_eq!(resp.status(), StatusCode::CREATED);
    let resp = send(&svc, "plain-secret", Method::POST, "/Users", &second).await;
    let body = json_of(&resp);
    assert_eq!((resp.status(), &body["scimType"]), (StatusCode::CONFLICT, &json!("uniqueness")), "{body}");
}

/// `filter-upsert` creates the element of `attr[filter].sub` only: a replace of a whole
/// `attr[filter]` that matches nothing is `noTarget` under every profile, lenient included.
#[tokio::test]
async fn filter_upsert_needs_a_sub_attribute() {
    for name in BUILTIN_PROFILES {
        let w = world().await;
        let before = State::of(&w).await;
        let svc = w.base.clone().with_profile(Profile::builtin(name).expect("built-in")).acting_as(context());
        let whole =
            json!([{"op": "replace", "path": "emails[type eq \"other\"]", "value": {"value": "x@other.example"}}]);
        let err = Call::PatchUser(patch(&whole)).run(&svc, &w).await.expect_err(name);
        assert_eq!(err.scim_type(), Some(ScimType::NoTarget), "{name}: {}", err.detail());
        assert!(!err.detail().contains("quirk"), "{name}: no quirk would accept it: {}", err.detail());
        assert!(svc.quirks_fired().is_empty());
        assert_eq!(State::of(&w).await, before);
    }
}
