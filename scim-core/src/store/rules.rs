//! The rules every store applies the same way, written once so that no backend can drift:
//! the version check, the derived `groups` element, member de-duplication, and sort-then-page.
//! Case folding lives in [`scim_query::fold`], filter inspection in [`Filter::mentions`](scim_query::Filter::mentions).

use super::{Keyset, ListQuery, Page, Seek, SortValue, StoreError, compare_keysets, compare_sort_values};
use crate::Version;
use serde_json::{Map, Value};
use std::borrow::Borrow;
use std::collections::HashSet;

/// `Ok` when `if_match` is absent or matches the version of `revision` (weakly, `*` matching
/// everything); `Err(`[`StoreError::PreconditionFailed`]`)` otherwise.
///
/// # Errors
/// [`StoreError::PreconditionFailed`] on a mismatch.
pub fn check_version(if_match: Option<&Version>, revision: u64) -> Result<(), StoreError> {
    match if_match {
        Some(v) if !v.matches(&Version::from_revision(revision)) => Err(StoreError::PreconditionFailed),
        _ => Ok(()),
    }
}

/// One element of a user's derived `groups`: `{"value": id, "display": name, "type": "direct"}`
/// (`display` only when the group has a `displayName`).
pub fn derived_group(id: String, display: Option<String>) -> Value {
    let mut g = Map::new();
    g.insert("value".into(), Value::String(id));
    if let Some(display) = display {
        g.insert("display".into(), Value::String(display));
    }
    g.insert("type".into(), Value::String("direct".into()));
    Value::Object(g)
}

/// The members a group stores from a `members` array (owned or borrowed elements): those with
/// a string `value`, the first of each `value` (compared exactly: ids are case-exact), in
/// order, each with its `value`.
pub fn distinct_members<V: Borrow<Value>>(members: impl IntoIterator<Item = V>) -> impl Iterator<Item = (String, V)> {
    let mut seen = HashSet::new();
    members.into_iter().filter_map(move |m| {
        let value = m.borrow().get("value").and_then(Value::as_str)?.to_owned();
        seen.insert(value.clone()).then_some((value, m))
    })
}

/// A group member as a store keeps it: its `value` and the optional `display`, `type` and
/// `$ref` strings (anything else a client sent is not stored).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMember {
    /// The member's id.
    pub value: String,
    /// `display`.
    pub display: Option<String>,
    /// `type` (`"User"`, `"Group"`).
    pub kind: Option<String>,
    /// `$ref`.
    pub reference: Option<String>,
}

impl StoredMember {
    /// The member of a `members` element; `None` without a string `value`.
    pub fn from_json(v: &Value) -> Option<Self> {
        let s = |k: &str| v.get(k).and_then(Value::as_str).map(str::to_owned);
        Some(Self { value: s("value")?, display: s("display"), kind: s("type"), reference: s("$ref") })
    }

    /// The members of a `members` array, as [`distinct_members`] keeps them.
    pub fn all_from(values: &[Value]) -> Vec<Self> {
        distinct_members(values).filter_map(|(_, m)| Self::from_json(m)).collect()
    }

    /// The `members` element: `value`, and the others when present.
    pub fn to_json(&self) -> Value {
        let mut m = Map::new();
        m.insert("value".into(), Value::String(self.value.clone()));
        for (k, v) in [("display", &self.display), ("type", &self.kind), ("$ref", &self.reference)] {
            if let Some(v) = v {
                m.insert(k.into(), Value::String(v.clone()));
            }
        }
        Value::Object(m)
    }
}

/// Sorts `hits` (given in creation order, each with its [`SortKey::value_of`](super::SortKey::value_of))
/// by `query`'s order with [`compare_sort_values`] (stable, so ties keep creation order), and
/// returns `query`'s page of them with the total.
pub fn sort_then_page<T>(mut hits: Vec<(Option<SortValue>, T)>, query: &ListQuery) -> Page<T> {
    hits.sort_by(|a, b| compare_sort_values(a.0.as_ref(), b.0.as_ref(), query.sort_order));
    let total_results = hits.len();
    let items = hits.into_iter().skip(query.start_index.saturating_sub(1)).take(query.count).map(|(_, t)| t).collect();
    Page::new(total_results, query.start_index, items)
}

/// [`sort_then_page`] for every kind of query: `hits` are the matches (in any order), each
/// with its [`Keyset`]. An index query ([`ListQuery::seek`] `None`) gets the page by position;
/// a keyset query the `count` hits after or before its keyset, found without sorting the
/// others (a selection, linear in the hits), with their keys. `total_results` counts them all.
pub fn sort_then_seek<T>(mut hits: Vec<(Keyset, T)>, query: &ListQuery) -> Page<T> {
    let order = query.sort_order;
    let total_results = hits.len();
    let cmp = |a: &(Keyset, T), b: &(Keyset, T)| compare_keysets(&a.0, &b.0, order);
    let backward = match &query.seek {
        None => {
            hits.sort_by(cmp);
            let items: Vec<_> = hits.into_iter().skip(query.start_index.saturating_sub(1)).take(query.count).collect();
            return Page::new(total_results, query.start_index, items.into_iter().map(|(_, t)| t).collect());
        }
        Some(Seek::First) => false,
        Some(Seek::After(k)) => {
            hits.retain(|(h, _)| compare_keysets(h, k, order).is_gt());
            false
        }
        Some(Seek::Before(k)) => {
            hits.retain(|(h, _)| compare_keysets(h, k, order).is_lt());
            true
        }
    };
    let take = query.count.min(hits.len());
    if backward {
        // The `take` largest, in order.
        if take < hits.len() {
            let at = hits.len() - take;
            hits.select_nth_unstable_by(at, cmp);
            hits.drain(..at);
        }
    } else if take < hits.len() {
        if take == 0 {
            hits.clear();
        } else {
            hits.select_nth_unstable_by(take - 1, cmp);
            hits.truncate(take);
        }
    }
    hits.sort_by(cmp);
    let (keys, items) = hits.into_iter().unzip();
    Page::new(total_results, 1, items).with_keys(keys)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::SortOrder;
    use serde_json::json;

    #[test]
    fn version_check_takes_absent_any_and_weak_matches() {
        assert!(check_version(None, 3).is_ok());
        assert!(check_version(Some(&Version::from_revision(3)), 3).is_ok());
        assert!(check_version(Some(&Version::new("\"3\"")), 3).is_ok());
        assert!(check_version(Some(&Version::new("*")), 3).is_ok());
        assert!(matches!(check_version(Some(&Version::from_revision(2)), 3), Err(StoreError::PreconditionFailed)));
    }

    #[test]
    fn derived_group_has_display_only_when_named() {
        assert_eq!(
            derived_group("g".into(), Some("G".into())),
            json!({"value": "g", "display": "G", "type": "direct"})
        );
        assert_eq!(derived_group("g".into(), None), json!({"value": "g", "type": "direct"}));
    }

    #[test]
    fn distinct_members_keeps_the_first_of_each_value() {
        let members = vec![
            json!({"value": "a", "display": "first"}),
            json!({"display": "no value"}),
            json!({"value": 7}),
            json!({"value": "b"}),
            json!({"value": "a", "display": "second"}),
            json!({"value": "A"}),
        ];
        let kept: Vec<(String, Value)> = distinct_members(members).collect();
        let values: Vec<&str> = kept.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(values, ["a", "b", "A"]);
        assert_eq!(kept[0].1["display"], "first");
    }

    #[test]
    fn stored_members_keep_value_display_type_and_ref() {
        let members = vec![
            json!({"value": "a", "display": "A", "type": "User", "$ref": "../Users/a", "extra": 1}),
            json!({"value": "a"}),
            json!({"display": "no value"}),
            json!({"value": "b"}),
        ];
        let stored = StoredMember::all_from(&members);
        assert_eq!(stored.len(), 2);
        assert_eq!(stored[0].to_json(), json!({"value": "a", "display": "A", "type": "User", "$ref": "../Users/a"}));
        assert_eq!(stored[1].to_json(), json!({"value": "b"}));
    }

    #[test]
    fn sort_then_page_is_stable_and_pages() {
        let s = |v: &str| Some(SortValue::Str(v.into()));
        let hits = vec![(s("b"), 1), (None, 2), (s("a"), 3), (s("b"), 4)];
        let mut query = ListQuery { start_index: 1, count: 10, ..ListQuery::default() };
        assert_eq!(sort_then_page(hits.clone(), &query).items, [3, 1, 4, 2]);
        query.sort_order = SortOrder::Descending;
        assert_eq!(sort_then_page(hits.clone(), &query).items, [2, 1, 4, 3]);
        query.start_index = 2;
        query.count = 2;
        let page = sort_then_page(hits, &query);
        assert_eq!((page.total_results, page.start_index, page.items), (4, 2, vec![1, 4]));
    }
}
