//! Filters: a table every backend must answer exactly as `scim_query` evaluates it.

use crate::support::{ids, suspended, t0, tenant, user_at};
use chrono::Duration;
use scim_core::store::{ListQuery, QueryFilter};
use scim_core::{DynGroupStore, DynUserStore, TenantId, User, urn};
use scim_core::{ResourceKind, SchemaRegistry};
use serde_json::json;
use std::sync::Arc;
use std::sync::OnceLock;

/// The default registry, built once.
pub(crate) fn registry() -> &'static SchemaRegistry {
    static REGISTRY: OnceLock<SchemaRegistry> = OnceLock::new();
    REGISTRY.get_or_init(SchemaRegistry::scim_default)
}

fn compile(filter: &str, kind: ResourceKind) -> QueryFilter {
    registry()
        .kind(kind)
        .and_then(|rt| QueryFilter::parse(registry(), rt, filter))
        .unwrap_or_else(|e| panic!("conformance filter {filter:?} on {}: {e}", kind.name()))
}

/// A user filter, compiled against the default User schema.
pub(crate) fn query_filter(filter: &str) -> QueryFilter {
    compile(filter, ResourceKind::User)
}

/// A group filter, compiled against the default Group schema.
pub(crate) fn group_query_filter(filter: &str) -> QueryFilter {
    compile(filter, ResourceKind::Group)
}

/// The filters of the table (index-friendly ones and ones that need a scan) with the number of
/// users of the table each matches under RFC semantics (`externalId` is `caseExact`).
pub const FILTER_TABLE: &[(&str, usize)] = &[
    (r#"userName eq "bjensen@example.com""#, 1),
    (r#"userName eq "BJENSEN@EXAMPLE.COM""#, 1),
    (r#"USERNAME eq "renée.obrien@example.com""#, 1),
    (r#"userName eq "nobody@example.com""#, 0),
    (r#"externalId eq "bjensen""#, 1),
    (r#"id eq "f2" or id eq "f4" or id eq "missing""#, 2),
    (r#"userName eq "bjensen@example.com" or externalId eq "akv""#, 2),
    (r#"userName eq "bjensen@example.com" and active eq true"#, 1),
    (r#"userName sw "a""#, 2),
    (r#"userName co "EN""#, 3),
    (r#"userName ew "@example.org""#, 2),
    (r#"active eq false"#, 2),
    (r#"active eq true and title pr"#, 3),
    (r#"title pr"#, 5),
    (r#"not (title pr)"#, 1),
    (r#"name.familyName eq "jensen""#, 1),
    (r#"emails[type eq "work" and value co "@example.com"]"#, 3),
    // Microsoft's documented form of the same kind of element filter.
    (r#"emails[type eq "work"].value eq "ADELE.VANCE@example.com""#, 1),
    (r#"emails[type eq "work"].value eq "alex.wilber@example.org""#, 0),
    (r#"emails.value ew ".org""#, 2),
    (r#"meta.created gt "2025-03-01T12:02:00Z""#, 3),
    (r#"meta.created le "2025-03-01T12:01:00Z" or title eq "Intern""#, 4),
    (r#"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department eq "Sales""#, 3),
    (r#"(title eq "Engineer" or title eq "Intern") and not (active eq false)"#, 3),
];

/// The users of the filter table.
async fn seed_table(users: &DynUserStore, t: &TenantId) -> Vec<User> {
    let people = [
        ("f0", "bjensen@example.com", Some("bjensen"), Some("Engineer"), "Jensen", "work", "Sales", true),
        ("f1", "adele.vance@example.com", Some("adelev"), None, "Vance", "work", "Sales", true),
        ("f2", "alex.wilber@example.org", Some("akv"), Some("Intern"), "Wilber", "home", "Engineering", false),
        ("f3", "Renée.OBrien@example.com", None, Some("Engineer"), "O'Brien", "work", "Engineering", true),
        ("f4", "kenji.tanaka@example.org", Some("BJENSEN"), Some("Intern"), "Tanaka", "work", "Support", true),
        ("f5", "zoë.müller@example.com", Some("zoe"), Some("Manager"), "Müller", "other", "Sales", false),
    ];
    let mut out = Vec::new();
    for (i, (id, name, ext, title, family, etype, dept, active)) in people.into_iter().enumerate() {
        let mut u = user_at(id, name, t0() + Duration::minutes(i64::try_from(i).unwrap_or(0)));
        let o = u.as_object_mut();
        if let Some(ext) = ext {
            o.insert("externalId".into(), json!(ext));
        }
        if let Some(title) = title {
            o.insert("title".into(), json!(title));
        }
        o.insert("name".into(), json!({"familyName": family, "givenName": "G"}));
        o.insert("emails".into(), json!([{"type": etype, "value": name, "primary": true}]));
        o.insert(urn::ENTERPRISE_USER.into(), json!({"department": dept}));
        if !active {
            u = suspended(u, t0(), t0() + Duration::days(30));
        }
        out.push(users.create(t, u, None).await.expect("create"));
    }
    out
}

/// For every filter of [`FILTER_TABLE`], `list` returns exactly the stored users the compiled
/// filter matches (and as many as the table says), in creation order, with the right `total_results`.
pub async fn filter_table_matches_evaluation(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("filter_table", "a");
    seed_table(&*users, &t).await;
    let everyone = users.list(&t, &ListQuery::new().with_count(1000)).await.expect("list").items;
    assert_eq!(everyone.len(), 6);
    for (f, count) in FILTER_TABLE {
        let q = query_filter(f);
        let expected: Vec<String> =
            ids(&everyone.iter().filter(|u| q.compiled.matches(u.as_json())).cloned().collect::<Vec<_>>());
        let page = users.list(&t, &ListQuery::new().with_filter(q).with_count(1000)).await.expect("list");
        assert_eq!(expected.len(), *count, "the evaluator's matches for {f}");
        assert_eq!(ids(&page.items), expected, "filter {f}");
        assert_eq!(page.total_results, expected.len(), "totalResults of {f}");
    }
}

/// `userName eq` ignores case (userName is `caseExact: false`), as Entra and Okta rely on.
pub async fn filter_user_name_eq_ignores_case(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("filter_user_name", "a");
    seed_table(&*users, &t).await;
    for (f, expected) in [
        (r#"userName eq "BJensen@Example.COM""#, vec!["f0"]),
        (r#"userName eq "RENÉE.OBRIEN@EXAMPLE.COM""#, vec!["f3"]),
        (r#"userName eq "ZOË.MÜLLER@example.com""#, vec!["f5"]),
        (r#"userName eq "6f1c3e1a-9b0f-4d62-8a43-5c3d2b1e0f77""#, vec![]),
    ] {
        let page = users.list(&t, &ListQuery::new().with_filter(query_filter(f))).await.expect("list");
        assert_eq!(ids(&page.items), expected, "{f}");
        assert_eq!(page.total_results, expected.len());
    }
}

/// `id eq … or id eq …` returns each listed user once, in creation order.
pub async fn filter_or_of_ids(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("filter_ids", "a");
    seed_table(&*users, &t).await;
    let f = r#"id eq "f4" or id eq "f1" or id eq "f4" or id eq "nope""#;
    let page = users.list(&t, &ListQuery::new().with_filter(query_filter(f))).await.expect("list");
    assert_eq!(ids(&page.items), ["f1", "f4"]);
    assert_eq!(page.total_results, 2);
}

/// Filters see suspended users with `active: false` (Entra matches them to re-enable them).
pub async fn filter_sees_suspended_users(users: Arc<DynUserStore>, _groups: Arc<DynGroupStore>) {
    let t = tenant("filter_suspended", "a");
    seed_table(&*users, &t).await;
    let page = users
        .list(&t, &ListQuery::new().with_filter(query_filter(r#"userName eq "alex.wilber@example.org""#)))
        .await
        .expect("list");
    assert_eq!(ids(&page.items), ["f2"]);
    assert!(!page.items[0].active());
    let page = users.list(&t, &ListQuery::new().with_filter(query_filter("active eq false"))).await.expect("list");
    assert_eq!(ids(&page.items), ["f2", "f5"]);
}
