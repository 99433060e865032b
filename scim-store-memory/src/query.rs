//! Answering `list`: index lookups for equality filters, ordered scans for the rest.

use crate::index::{CreationOrder, IdMap, KeyIndex};
use crate::tenant::groups::group_view;
use crate::tenant::{GroupRec, PageHint, Tenant, UserRec};
use scim_core::store::{Keyset, ListQuery, Seek, SortKey, SortValue, sort_then_page, sort_then_seek};
use scim_core::{Group, Page, ResourceKind, User};
use scim_query::fold::fold_cow;
use scim_query::{AttrPath, CompValue, CompareOp, CompiledFilter, Filter};
use serde_json::Value;
use std::sync::{Arc, Mutex, PoisonError};

/// Which index an equality comparison can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Indexed {
    Id,
    Name,
    ExternalId,
}

/// The ids under `key` in the name or `externalId` index that `which` picks.
fn candidates_in<'a>(
    names: &'a KeyIndex,
    external_ids: &'a KeyIndex,
    which: Indexed,
    key: &str,
) -> impl Iterator<Item = &'a Arc<str>> {
    let index = match which {
        Indexed::Name => Some(names),
        Indexed::ExternalId => Some(external_ids),
        Indexed::Id => None,
    };
    index.into_iter().flat_map(move |index| index.candidates(key))
}

impl Tenant {
    /// The users filed under folded `key` in the `userName` or `externalId` index, and rarely
    /// others (see [`KeyIndex::candidates`]).
    pub(crate) fn user_candidates(&self, which: Indexed, key: &str) -> impl Iterator<Item = &Arc<str>> {
        candidates_in(&self.user_names, &self.external_ids, which, key)
    }

    /// The groups filed under folded `key` in the `displayName` or `externalId` index, and
    /// rarely others.
    pub(crate) fn group_candidates(&self, which: Indexed, key: &str) -> impl Iterator<Item = &Arc<str>> {
        candidates_in(&self.group_names, &self.group_external_ids, which, key)
    }
}

/// Whether `path` names the top-level attribute `name` of the core schema `core_urn`.
fn is_attr(path: &AttrPath, name: &str, core_urn: &str) -> bool {
    path.sub_attr.is_none()
        && path.name.eq_ignore_ascii_case(name)
        && path.urn.as_deref().is_none_or(|u| u.eq_ignore_ascii_case(core_urn))
}

/// A candidate id, and whether it certainly matches: found by an `id eq` term whose literal
/// is the stored id byte for byte, with nothing but `or` above it (an equal string matches
/// `eq` whatever the case rules).
type Cand<'t> = (&'t Arc<str>, bool);

/// Ids that may match `filter` (a superset of the matches), when indexes can tell;
/// `None` when the filter needs a scan. The caller checks each candidate that is not certain
/// with the compiled filter, so folding case here is always safe.
fn candidates<'t>(
    filter: &Filter,
    kind: ResourceKind,
    ids: &'t IdMap<impl Sized>,
    find: &impl Fn(Indexed, &str, &mut Vec<Cand<'t>>),
    mixed_case_ids: usize,
) -> Option<Vec<Cand<'t>>> {
    let rec = |f: &Filter| candidates(f, kind, ids, find, mixed_case_ids);
    let core_urn = kind.core_urn();
    match filter {
        Filter::Compare { path, op: CompareOp::Eq, value: CompValue::Str(s) } => {
            let which = if is_attr(path, "id", core_urn) {
                Indexed::Id
            } else if is_attr(path, kind.name_attribute(), core_urn) {
                Indexed::Name
            } else if is_attr(path, "externalId", core_urn) {
                Indexed::ExternalId
            } else {
                return None;
            };
            let mut out = Vec::new();
            match which {
                Indexed::Id => {
                    if mixed_case_ids > 0 {
                        return None;
                    }
                    let lower = fold_cow(s);
                    if let Some((k, _)) = ids.get_key_value(&lower) {
                        out.push((k, **k == **s));
                    }
                }
                // A superset: each candidate is checked with the filter.
                Indexed::Name | Indexed::ExternalId => find(which, &fold_cow(s), &mut out),
            }
            Some(out)
        }
        Filter::Or(a, b) => {
            let mut out = rec(a)?;
            out.extend(rec(b)?);
            Some(out)
        }
        Filter::And(a, b) => {
            let side = match (rec(a), rec(b)) {
                (Some(x), Some(y)) => Some(if x.len() <= y.len() { x } else { y }),
                (x, y) => x.or(y),
            };
            // The other side still has to be checked.
            side.map(|c| c.into_iter().map(|(id, _)| (id, false)).collect())
        }
        _ => None,
    }
}

/// One stored record as `list` sees it.
trait Listed {
    type Out;
    fn seq(&self) -> u64;
    fn born(&self) -> u64;
    fn out(&self, id: &str, tenant: &Tenant, query: &ListQuery) -> Self::Out;
    /// The document the filter and the sort see.
    fn view(&self, id: &str, tenant: &Tenant, query: &ListQuery) -> Value;
    /// Whether the stored document matches (when no derived attribute is involved).
    fn matches(&self, filter: &CompiledFilter) -> bool;
    /// The stored document's sort value (when no derived attribute is involved).
    fn sort_value(&self, key: &SortKey) -> Option<SortValue>;
}

impl Listed for UserRec {
    type Out = User;
    fn seq(&self) -> u64 {
        self.seq
    }
    fn born(&self) -> u64 {
        self.born
    }
    fn out(&self, id: &str, tenant: &Tenant, _query: &ListQuery) -> User {
        tenant.user_view(id, &self.doc)
    }
    fn view(&self, id: &str, tenant: &Tenant, query: &ListQuery) -> Value {
        self.out(id, tenant, query).into_json()
    }
    fn matches(&self, filter: &CompiledFilter) -> bool {
        filter.matches_compact(&self.doc)
    }
    fn sort_value(&self, key: &SortKey) -> Option<SortValue> {
        key.value_of_compact(&self.doc)
    }
}

impl Listed for GroupRec {
    type Out = Group;
    fn seq(&self) -> u64 {
        self.seq
    }
    fn born(&self) -> u64 {
        self.born
    }
    fn out(&self, _id: &str, _tenant: &Tenant, query: &ListQuery) -> Group {
        group_view(self, query.include_members)
    }
    fn view(&self, _id: &str, _tenant: &Tenant, _query: &ListQuery) -> Value {
        group_view(self, true).into_json()
    }
    fn matches(&self, filter: &CompiledFilter) -> bool {
        filter.matches(self.doc.as_json())
    }
    fn sort_value(&self, key: &SortKey) -> Option<SortValue> {
        key.value_of(self.doc.as_json())
    }
}

/// The creation order of one kind of resource, with its page hint.
struct Order<'a> {
    order: &'a CreationOrder,
    generation: u64,
    hint: &'a Mutex<Option<PageHint>>,
}

impl Order<'_> {
    /// `take` ids from position `skip` in creation order, resuming from the hint when the
    /// previous page ended exactly there (O(page) instead of O(skip)).
    fn window(&self, skip: usize, take: usize) -> Vec<&Arc<str>> {
        let mut hint = self.hint.lock().unwrap_or_else(PoisonError::into_inner);
        let resume = hint.filter(|h| h.generation == self.generation && h.index == skip).map(|h| h.seq);
        let mut iter: Box<dyn Iterator<Item = (u64, &Arc<str>)> + '_> = match resume {
            Some(seq) => Box::new(self.order.from(seq)),
            None => Box::new(self.order.from(0).skip(skip)),
        };
        let ids: Vec<&Arc<str>> = iter.by_ref().take(take).map(|(_, id)| id).collect();
        *hint = iter.next().map(|(seq, _)| PageHint { generation: self.generation, index: skip + ids.len(), seq });
        ids
    }
}

/// Filters, sorts and pages `recs`.
fn list<R: Listed>(
    tenant: &Tenant,
    recs: &IdMap<R>,
    ordering: &Order<'_>,
    cands: Option<Vec<Cand<'_>>>,
    kind: ResourceKind,
    query: &ListQuery,
) -> Page<R::Out> {
    let order = ordering.order;
    let skip = query.start_index.saturating_sub(1);
    let take = query.count;
    let needs_derived = query.needs(kind.derived_attribute());
    let page = |total: usize, items: Vec<R::Out>| Page::new(total, query.start_index, items);

    // Keyset paging in creation order without a filter: a range of the creation order.
    if let (None, None, Some(seek)) = (&query.filter, &query.sort_by, &query.seek) {
        let mut found: Vec<(u64, &Arc<str>)> = match seek {
            Seek::After(k) => order.born_after(k.seq).take(take).collect(),
            Seek::Before(k) => order.born_before(k.seq).take(take).collect(),
            _ => order.born_after(0).take(take).collect(),
        };
        if matches!(seek, Seek::Before(_)) {
            found.reverse();
        }
        let (keys, items) = found
            .into_iter()
            .filter_map(|(born, id)| {
                recs.get_key_value(id).map(|(id, r)| (Keyset::new(None, born), r.out(id, tenant, query)))
            })
            .unzip();
        return Page::new(recs.len(), 1, items).with_keys(keys);
    }

    // The fast path: no filter, creation order.
    if query.filter.is_none() && query.sort_by.is_none() {
        if take == 0 {
            return page(recs.len(), Vec::new());
        }
        let items = ordering
            .window(skip, take)
            .into_iter()
            .filter_map(|id| recs.get_key_value(id))
            .map(|(id, r)| r.out(id, tenant, query))
            .collect();
        return page(recs.len(), items);
    }

    let source: Box<dyn Iterator<Item = (&Arc<str>, &R, bool)> + '_> = match cands {
        Some(mut ids) => {
            // certain candidates first among equal ids, so `dedup` keeps them
            ids.sort_unstable_by(|a, b| a.0.cmp(b.0).then(b.1.cmp(&a.1)));
            ids.dedup_by(|a, b| a.0 == b.0);
            let mut found: Vec<(&Arc<str>, &R, bool)> = ids
                .into_iter()
                .filter_map(|(id, certain)| recs.get_key_value(id).map(|(id, r)| (id, r, certain)))
                .collect();
            found.sort_unstable_by_key(|(_, r, _)| r.seq());
            Box::new(found.into_iter())
        }
        None => Box::new(order.ids().filter_map(|id| recs.get_key_value(id)).map(|(id, r)| (id, r, false))),
    };
    let matches = |id: &str, r: &R, certain: bool| -> bool {
        match &query.filter {
            None => true,
            Some(_) if certain => true,
            Some(f) if needs_derived => f.compiled.matches(&r.view(id, tenant, query)),
            Some(f) => r.matches(&f.compiled),
        }
    };

    if query.seek.is_some() {
        // Keyset paging with a filter or a sort: every match with its keyset, then the page.
        let hits: Vec<_> = source
            .filter(|(id, r, certain)| matches(id, r, *certain))
            .map(|(id, r, _)| {
                let v = query.sort_by.as_ref().and_then(|key| {
                    if needs_derived { key.value_of(&r.view(id, tenant, query)) } else { r.sort_value(key) }
                });
                (Keyset::new(v, r.born()), (id, r))
            })
            .collect();
        let sorted = sort_then_seek(hits, query);
        let keys = sorted.keys;
        let items = sorted.items.into_iter().map(|(id, r)| r.out(id, tenant, query)).collect();
        return Page::new(sorted.total_results, 1, items).with_keys(keys);
    }

    match &query.sort_by {
        None => {
            let mut total = 0;
            let mut items = Vec::new();
            for (id, r, certain) in source {
                if matches(id, r, certain) {
                    if total >= skip && items.len() < take {
                        items.push(r.out(id, tenant, query));
                    }
                    total += 1;
                }
            }
            page(total, items)
        }
        Some(key) => {
            // `source` is in creation order, which the stable sort keeps among ties.
            let hits: Vec<_> = source
                .filter(|(id, r, certain)| matches(id, r, *certain))
                .map(|(id, r, _)| {
                    let v = if needs_derived { key.value_of(&r.view(id, tenant, query)) } else { r.sort_value(key) };
                    (v, (id, r))
                })
                .collect();
            let sorted = sort_then_page(hits, query);
            page(sorted.total_results, sorted.items.into_iter().map(|(id, r)| r.out(id, tenant, query)).collect())
        }
    }
}

pub(crate) fn list_users(tenant: &Tenant, query: &ListQuery) -> Page<User> {
    let cands = query.filter.as_ref().and_then(|f| {
        candidates(
            &f.filter,
            ResourceKind::User,
            &tenant.users,
            &|which, k, out: &mut Vec<_>| out.extend(tenant.user_candidates(which, k).map(|id| (id, false))),
            tenant.mixed_case_user_ids,
        )
    });
    let order = Order { order: &tenant.user_order, generation: tenant.user_gen, hint: &tenant.user_hint };
    list(tenant, &tenant.users, &order, cands, ResourceKind::User, query)
}

pub(crate) fn list_groups(tenant: &Tenant, query: &ListQuery) -> Page<Group> {
    let cands = query.filter.as_ref().and_then(|f| {
        candidates(
            &f.filter,
            ResourceKind::Group,
            &tenant.groups,
            &|which, k, out: &mut Vec<_>| out.extend(tenant.group_candidates(which, k).map(|id| (id, false))),
            tenant.mixed_case_group_ids,
        )
    });
    let order = Order { order: &tenant.group_order, generation: tenant.group_gen, hint: &tenant.group_hint };
    list(tenant, &tenant.groups, &order, cands, ResourceKind::Group, query)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryUserStore;
    use scim_core::store::QueryFilter;
    use scim_core::{SchemaRegistry, TenantId, UserStore};
    use serde_json::json;

    fn qf(f: &str) -> QueryFilter {
        let registry = SchemaRegistry::scim_default();
        QueryFilter::parse(&registry, registry.kind(ResourceKind::User).expect("User"), f).expect("filter")
    }

    fn tenant_with(ids: &[(&str, &str, &str)]) -> Tenant {
        let mut t = Tenant::default();
        for (id, name, ext) in ids {
            let u = User::from_json(json!({"id": id, "userName": name, "externalId": ext}));
            t.create_user(u).expect("create");
        }
        t
    }

    fn cands(t: &Tenant, f: &str) -> Option<Vec<String>> {
        let q = qf(f);
        candidates(
            &q.filter,
            ResourceKind::User,
            &t.users,
            &|which, k, out: &mut Vec<_>| out.extend(t.user_candidates(which, k).map(|id| (id, false))),
            t.mixed_case_user_ids,
        )
        .map(|v| {
            let mut v: Vec<String> = v.into_iter().map(|(id, _)| id.to_string()).collect();
            v.sort();
            v
        })
    }

    #[test]
    fn equality_lookups_use_the_indexes() {
        let t = tenant_with(&[("a1", "Ann@x.org", "E1"), ("b2", "bob@x.org", "e1"), ("c3", "cy@x.org", "e3")]);
        assert_eq!(cands(&t, r#"userName eq "ANN@X.ORG""#), Some(vec!["a1".into()]));
        assert_eq!(cands(&t, r#"externalId eq "e1""#), Some(vec!["a1".into(), "b2".into()]), "a superset, folded");
        assert_eq!(cands(&t, r#"id eq "C3""#), Some(vec!["c3".into()]), "ids are all lowercase: folded lookup");
        assert_eq!(cands(&t, r#"userName eq "bob@x.org" or id eq "a1""#), Some(vec!["a1".into(), "b2".into()]));
        assert_eq!(cands(&t, r#"userName eq "bob@x.org" and title pr"#), Some(vec!["b2".into()]));
        assert_eq!(
            cands(&t, r#"urn:ietf:params:scim:schemas:core:2.0:User:userName eq "cy@x.org""#),
            Some(vec!["c3".into()])
        );
        assert_eq!(cands(&t, r#"title eq "x""#), None);
        assert_eq!(cands(&t, r#"userName sw "a""#), None);
        assert_eq!(cands(&t, r#"userName eq "a" or title pr"#), None);
        assert_eq!(cands(&t, r#"not (userName eq "a")"#), None);
    }

    #[tokio::test]
    async fn certain_id_candidates_skip_only_what_is_certain() {
        let store = MemoryUserStore::new();
        let t = TenantId::new("t");
        for id in ["a", "b", "c"] {
            let u = User::from_json(json!({"id": id, "userName": format!("{id}@x.org")}));
            store.create(&t, u, None).await.expect("create");
        }
        let all = store.list(&t, &ListQuery::default()).await.expect("list").items;
        for f in [
            r#"id eq "B" or id eq "c""#,
            r#"id eq "c" and title pr"#,
            r#"id eq "a" or (id eq "b" and userName eq "nope")"#,
            r#"id eq "a" or id eq "a" or id eq "A""#,
        ] {
            let q = qf(f);
            let expected: Vec<_> = all.iter().filter(|u| q.compiled.matches(u.as_json())).map(|u| u.id()).collect();
            let got = store.list(&t, &ListQuery::new().with_filter(q)).await.expect("list");
            assert_eq!(got.items.iter().map(|u| u.id()).collect::<Vec<_>>(), expected, "{f}");
            assert_eq!(got.total_results, expected.len(), "{f}");
        }
    }

    #[tokio::test]
    async fn sequential_pages_resume_from_the_hint_and_writes_invalidate_it() {
        let store = MemoryUserStore::new();
        let t = TenantId::new("t");
        for i in 0..50 {
            let u = User::from_json(json!({"id": format!("u{i:02}"), "userName": format!("n{i}")}));
            store.create(&t, u, None).await.expect("create");
        }
        let page = |start: usize| ListQuery::new().with_start_index(start).with_count(10);
        let ids = |p: Page<User>| p.items.iter().map(|u| u.id().unwrap_or_default().to_owned()).collect::<Vec<_>>();
        let first = ids(store.list(&t, &page(1)).await.expect("list"));
        assert_eq!(first.first().map(String::as_str), Some("u00"));
        let second = ids(store.list(&t, &page(11)).await.expect("list"));
        assert_eq!(second.first().map(String::as_str), Some("u10"));
        // a delete before the hint's position must not shift the next page wrongly
        store.delete(&t, "u03", None, None).await.expect("delete");
        let third = ids(store.list(&t, &page(21)).await.expect("list"));
        assert_eq!(third.first().map(String::as_str), Some("u21"), "positions moved by one after the delete");
        let fourth = ids(store.list(&t, &page(31)).await.expect("list"));
        assert_eq!(fourth.first().map(String::as_str), Some("u31"));
        // jumping around still works
        let back = ids(store.list(&t, &page(2)).await.expect("list"));
        assert_eq!(back.first().map(String::as_str), Some("u01"));
        let last = ids(store.list(&t, &page(45)).await.expect("list"));
        assert_eq!(last, ["u45", "u46", "u47", "u48", "u49"]);
        let past = ids(store.list(&t, &page(50)).await.expect("list"));
        assert!(past.is_empty());
    }

    #[test]
    fn mixed_case_ids_turn_id_lookups_into_scans() {
        let t = tenant_with(&[("ABC", "a@x.org", "e")]);
        assert_eq!(t.mixed_case_user_ids, 1);
        assert_eq!(cands(&t, r#"id eq "abc""#), None);
        let mut t = t;
        t.remove_user("ABC", None).expect("remove");
        assert_eq!(t.mixed_case_user_ids, 0);
    }

    #[tokio::test]
    async fn index_answers_equal_the_evaluator() {
        let store = MemoryUserStore::new();
        let t = TenantId::new("t");
        for (id, name, ext) in [("Ab", "ΟΔΟΣ@x.org", "K"), ("b", "odos@x.org", "k"), ("c", "ǅemal@x.org", "x")] {
            let u = User::from_json(json!({"id": id, "userName": name, "externalId": ext}));
            store.create(&t, u, None).await.expect("create");
        }
        let all = store.list(&t, &ListQuery::new().with_count(100)).await.expect("list").items;
        for f in [
            r#"userName eq "οδοσ@x.org""#,
            r#"userName eq "ΟΔΟΣ@X.ORG""#,
            r#"userName eq "ǆemal@x.org""#,
            r#"externalId eq "k""#,
            r#"id eq "ab" or id eq "Ab" or id eq "B""#,
        ] {
            let q = qf(f);
            let expected: Vec<_> = all.iter().filter(|u| q.compiled.matches(u.as_json())).map(|u| u.id()).collect();
            let got = store.list(&t, &ListQuery::new().with_filter(q)).await.expect("list");
            assert_eq!(got.items.iter().map(|u| u.id()).collect::<Vec<_>>(), expected, "{f}");
        }
    }
}
