//! The one sort order every store uses (RFC 7644 §3.4.2.3), so results are identical on every backend.

use super::{SortKey, SortOrder};
use chrono::{DateTime, Utc};
use scim_query::fold::fold_case;
use scim_query::{AttrType, CompactValue};
use serde_json::{Map, Value};
use std::cmp::Ordering;

/// The value a resource sorts by, extracted with [`SortKey::value_of`].
///
/// Values of different kinds order as booleans < numbers < date-times < strings. Strings of
/// attributes that are not `caseExact` (and of unknown attributes) are folded
/// with [`fold_case`] before comparing; date-times compare as instants.
#[derive(Debug, Clone, PartialEq)]
pub enum SortValue {
    /// A boolean (`false` < `true`).
    Bool(bool),
    /// A number, compared with [`f64::total_cmp`].
    Number(f64),
    /// A date-time.
    Time(DateTime<Utc>),
    /// A string, folded with [`fold_case`] unless the attribute is `caseExact`.
    Str(String),
}

impl SortValue {
    fn rank(&self) -> u8 {
        match self {
            Self::Bool(_) => 0,
            Self::Number(_) => 1,
            Self::Time(_) => 2,
            Self::Str(_) => 3,
        }
    }
}

impl Eq for SortValue {}

impl PartialOrd for SortValue {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for SortValue {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self, other) {
            (Self::Bool(a), Self::Bool(b)) => a.cmp(b),
            (Self::Number(a), Self::Number(b)) => a.total_cmp(b),
            (Self::Time(a), Self::Time(b)) => a.cmp(b),
            (Self::Str(a), Self::Str(b)) => a.cmp(b),
            _ => self.rank().cmp(&other.rank()),
        }
    }
}

/// Of a multi-valued attribute, the primary element, else the first (RFC 7644 §3.4.2.3).
fn pick(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(items) => {
            items.iter().find(|i| i.get("primary").and_then(Value::as_bool) == Some(true)).or_else(|| items.first())
        }
        Value::Null => None,
        other => Some(other),
    }
}

impl SortKey {
    /// As [`SortKey::value_of`], for a compact document (what the memory store keeps).
    pub fn value_of_compact(&self, doc: &CompactValue) -> Option<SortValue> {
        // Only the top-level attribute the path starts at matters: copy that out and read it
        // as JSON (the URN key too, for a URN-qualified path the schema does not know).
        let first = self.facts.as_ref().and_then(|f| f.keys.first()).map_or(self.path.name.as_str(), String::as_str);
        let urn = self.path.urn.as_deref().filter(|_| self.facts.is_none());
        let slim: Map<String, Value> = doc
            .as_object()?
            .iter()
            .filter(|(k, _)| k.eq_ignore_ascii_case(first) || urn.is_some_and(|u| k.eq_ignore_ascii_case(u)))
            .map(|(k, v)| (k.to_owned(), v.to_value()))
            .collect();
        self.value_of(&Value::Object(slim))
    }

    /// The value `doc` sorts by, or `None` when it has none (unassigned, null, or complex).
    ///
    /// The path is followed through [`SortKey::facts`] when the schema knows the attribute,
    /// else by name (ignoring case; a URN-qualified path looks under the URN key when the
    /// document has one). A multi-valued attribute sorts by its primary element, else its
    /// first; a complex element by its `value` sub-attribute.
    pub fn value_of(&self, doc: &Value) -> Option<SortValue> {
        let obj = doc.as_object()?;
        let keys: Vec<&str> = match &self.facts {
            Some(f) => f.keys.iter().map(String::as_str).collect(),
            None => {
                let mut keys = Vec::with_capacity(3);
                if let Some(urn) = self.path.urn.as_deref() {
                    if crate::get_ignoring_case(obj, urn).is_some() {
                        keys.push(urn);
                    }
                }
                keys.push(self.path.name.as_str());
                if let Some(sub) = self.path.sub_attr.as_deref() {
                    keys.push(sub);
                }
                keys
            }
        };
        let mut cur = doc;
        for key in keys {
            let next = pick(cur)?;
            cur = crate::get_ignoring_case(next.as_object()?, key)?;
        }
        let mut leaf = pick(cur)?;
        if let Value::Object(m) = leaf {
            leaf = crate::get_ignoring_case(m, "value")?;
        }
        let (attr_type, case_exact) = self.facts.as_ref().map_or((None, false), |f| (Some(f.attr_type), f.case_exact));
        match leaf {
            Value::Bool(b) => Some(SortValue::Bool(*b)),
            Value::Number(n) => n.as_f64().map(SortValue::Number),
            Value::String(s) => {
                let as_time = matches!(attr_type, Some(AttrType::DateTime) | None);
                if as_time {
                    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
                        return Some(SortValue::Time(t.with_timezone(&Utc)));
                    }
                }
                Some(SortValue::Str(if case_exact { s.clone() } else { fold_case(s) }))
            }
            _ => None,
        }
    }
}

/// Compares two sort values as a sorted list orders them: missing values last when
/// ascending and first when descending (RFC 7644 §3.4.2.3); descending is the exact reverse.
/// Stores break ties by creation order, ascending in both directions.
pub fn compare_sort_values(a: Option<&SortValue>, b: Option<&SortValue>, order: SortOrder) -> Ordering {
    let asc = match (a, b) {
        (Some(a), Some(b)) => a.cmp(b),
        (Some(_), None) => Ordering::Less,
        (None, Some(_)) => Ordering::Greater,
        (None, None) => Ordering::Equal,
    };
    match order {
        SortOrder::Ascending => asc,
        SortOrder::Descending => asc.reverse(),
    }
}

/// A position in a list's order, for keyset paging ([`ListQuery::seek`](super::ListQuery::seek)):
/// the sort key's value of a resource ([`SortKey::value_of`]; `None` for an unsorted list or a
/// resource without one) and the resource's store position (its creation sequence number,
/// which only its store can read, and which it keeps for life).
#[derive(Debug, Clone, PartialEq)]
pub struct Keyset {
    /// The sort key's value; `None` in an unsorted list.
    pub value: Option<SortValue>,
    /// The store position (creation sequence).
    pub seq: u64,
}

impl Keyset {
    /// The keyset of a resource with sort value `value` at store position `seq`.
    pub fn new(value: Option<SortValue>, seq: u64) -> Self {
        Self { value, seq }
    }

    /// The keyset of the document `doc` at store position `seq` in a list sorted by `sort_by`
    /// (`None`: unsorted). `doc` is only read (it is lent to [`SortKey::value_of`] as a
    /// [`Value`] without copying).
    pub fn of_document(sort_by: Option<&SortKey>, doc: &mut Map<String, Value>, seq: u64) -> Self {
        let Some(key) = sort_by else { return Self::new(None, seq) };
        let whole = Value::Object(std::mem::take(doc));
        let value = key.value_of(&whole);
        if let Value::Object(map) = whole {
            *doc = map;
        }
        Self::new(value, seq)
    }
}

/// Where a keyset page starts.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Seek {
    /// The first `count` matches.
    First,
    /// The first `count` matches strictly after this keyset in the list order.
    After(Keyset),
    /// The last `count` matches strictly before this keyset in the list order (returned in
    /// the list order).
    Before(Keyset),
}

/// The list order of two keysets: by value as [`compare_sort_values`] orders them in `order`,
/// then by store position, ascending in both directions (what ties are broken by).
pub fn compare_keysets(a: &Keyset, b: &Keyset, order: SortOrder) -> Ordering {
    compare_sort_values(a.value.as_ref(), b.value.as_ref(), order).then(a.seq.cmp(&b.seq))
}

#[cfg(test)]
mod tests {
    use super::*;
    use scim_query::{AttrFacts, AttrPath};
    use serde_json::json;

    fn key(name: &str) -> SortKey {
        SortKey { path: AttrPath::new(name), facts: None }
    }

    #[test]
    fn compact_documents_sort_like_json_ones() {
        let docs = [
            json!({"userName": "Bob"}),
            json!({"emails": [{"value": "a@x"}, {"value": "b@x", "primary": true}]}),
            json!({"meta": {"created": "2024-01-01T10:00:00+02:00"}}),
            json!({"urn:x:Ext": {"n": 3}, "n": 4}),
        ];
        let mut keys: Vec<SortKey> = ["userName", "USERNAME", "emails", "missing"].into_iter().map(key).collect();
        keys.push(SortKey { path: AttrPath::new("created").with_sub_attr("x"), facts: None });
        keys.push(SortKey { path: AttrPath::new("n").with_urn("urn:x:Ext"), facts: None });
        keys.push(SortKey { path: AttrPath::new("n").with_urn("urn:x:Other"), facts: None });
        let mut meta = SortKey { path: AttrPath::new("meta").with_sub_attr("created"), facts: None };
        keys.push(meta.clone());
        meta.facts = Some(AttrFacts {
            keys: vec!["meta".into(), "created".into()],
            attr_type: AttrType::DateTime,
            case_exact: false,
            multi_valued: false,
        });
        keys.push(meta);
        for k in &keys {
            for d in &docs {
                assert_eq!(k.value_of_compact(&CompactValue::from(d)), k.value_of(d), "{} on {d}", k.path);
            }
        }
    }

    #[test]
    fn strings_sort_case_insensitively_unless_case_exact() {
        let doc = json!({"userName": "Bob"});
        assert_eq!(key("username").value_of(&doc), Some(SortValue::Str("bob".into())));
        let exact = SortKey {
            path: AttrPath::new("userName"),
            facts: Some(AttrFacts {
                keys: vec!["userName".into()],
                attr_type: AttrType::String,
                case_exact: true,
                multi_valued: false,
            }),
        };
        assert_eq!(exact.value_of(&doc), Some(SortValue::Str("Bob".into())));
    }

    #[test]
    fn multi_valued_uses_primary_then_first() {
        let doc = json!({"emails": [{"value": "b@x"}, {"value": "A@x", "primary": true}]});
        assert_eq!(key("emails").value_of(&doc), Some(SortValue::Str("a@x".into())));
        let doc = json!({"emails": [{"value": "b@x"}, {"value": "a@x"}]});
        let k = SortKey { path: AttrPath::new("emails").with_sub_attr("value"), facts: None };
        assert_eq!(k.value_of(&doc), Some(SortValue::Str("b@x".into())));
    }

    #[test]
    fn keysets_order_by_value_then_position() {
        let k = |v: Option<&str>, seq| Keyset::new(v.map(|v| SortValue::Str(v.into())), seq);
        let asc = SortOrder::Ascending;
        let desc = SortOrder::Descending;
        assert_eq!(compare_keysets(&k(Some("a"), 9), &k(Some("b"), 1), asc), Ordering::Less);
        assert_eq!(compare_keysets(&k(Some("a"), 9), &k(Some("b"), 1), desc), Ordering::Greater);
        assert_eq!(compare_keysets(&k(Some("a"), 1), &k(Some("a"), 2), desc), Ordering::Less, "ties: position up");
        assert_eq!(compare_keysets(&k(None, 1), &k(Some("z"), 2), asc), Ordering::Greater, "missing last");
        assert_eq!(compare_keysets(&k(None, 1), &k(Some("z"), 2), desc), Ordering::Less, "missing first");
    }

    #[test]
    fn dates_compare_as_instants_and_missing_sorts_last() {
        let k = SortKey { path: AttrPath::new("meta").with_sub_attr("created"), facts: None };
        let a = k.value_of(&json!({"meta": {"created": "2024-01-01T10:00:00+02:00"}}));
        let b = k.value_of(&json!({"meta": {"created": "2024-01-01T09:00:00Z"}}));
        assert!(matches!(a, Some(SortValue::Time(_))));
        assert_eq!(compare_sort_values(a.as_ref(), b.as_ref(), SortOrder::Ascending), Ordering::Less);
        assert_eq!(compare_sort_values(None, b.as_ref(), SortOrder::Ascending), Ordering::Greater);
        assert_eq!(compare_sort_values(None, b.as_ref(), SortOrder::Descending), Ordering::Less);
    }
}
