//! One tenant's state: its records and every index over them, and the helpers its writes
//! share. The writes are in the submodules, which build on this one: [`folding`] (index keys)
//! and [`members`] (group memberships) below [`users`] and [`groups`] (each kind's records as
//! handed out, and its writes).

mod folding;
pub(crate) mod groups;
mod members;
pub(crate) mod users;

use crate::index::{CreationOrder, IdMap, KeyIndex};
use chrono::{DateTime, Utc};
use scim_core::{Group, StoreError, User, Version};
use scim_query::CompactValue;
use serde_json::Value;
use std::sync::{Arc, Mutex};

/// The store's hash maps: seeded per map (foldhash), several times cheaper than SipHash on
/// the short keys they hold (ids, folded names).
pub(crate) type HashMap<K, V> = std::collections::HashMap<K, V, foldhash::fast::RandomState>;
pub(crate) type HashSet<K> = std::collections::HashSet<K, foldhash::fast::RandomState>;

/// A stored user. Its document holds no `groups` (derived from memberships on the way out).
/// It is kept compact (about a third of the memory of a `serde_json::Value`) and handed out
/// without a copy ([`User::from_compact`]).
#[derive(Debug)]
pub(crate) struct UserRec {
    pub(crate) doc: Arc<CompactValue>,
    /// Position in the tenant's creation order (renumbered when the order is compacted).
    pub(crate) seq: u64,
    /// Birth number in the creation order (kept for life): the keyset's store position.
    pub(crate) born: u64,
    pub(crate) rev: u64,
    /// Set when the user is suspended with a purge time (mirrors the purge index).
    pub(crate) purge_at: Option<DateTime<Utc>>,
}

/// A stored group. Its document holds no `members`; they live in `members`.
#[derive(Debug)]
pub(crate) struct GroupRec {
    pub(crate) doc: Group,
    /// Position in the tenant's group creation order.
    pub(crate) seq: u64,
    /// Birth number in the group creation order (kept for life).
    pub(crate) born: u64,
    pub(crate) rev: u64,
    pub(crate) members: Vec<Value>,
    pub(crate) member_ids: HashSet<Arc<str>>,
}

/// One tenant: records plus every index over them.
#[derive(Debug, Default)]
pub(crate) struct Tenant {
    pub(crate) users: IdMap<UserRec>,
    /// Creation order (a user's `seq` is its position in it).
    pub(crate) user_order: CreationOrder,
    /// Folded `userName` → id.
    pub(crate) user_names: KeyIndex,
    /// Folded `externalId` → ids (`externalId` is not unique).
    pub(crate) external_ids: KeyIndex,
    /// How many user ids are not all-lowercase (id lookups fold case only when none is).
    pub(crate) mixed_case_user_ids: usize,
    pub(crate) groups: IdMap<GroupRec>,
    pub(crate) group_order: CreationOrder,
    /// Folded `displayName` → group id.
    pub(crate) group_names: KeyIndex,
    /// Folded group `externalId` → group ids.
    pub(crate) group_external_ids: KeyIndex,
    pub(crate) mixed_case_group_ids: usize,
    /// Member value (user id) → ids of the groups it belongs to.
    pub(crate) memberships: HashMap<Arc<str>, Vec<Arc<str>>>,
    /// Bumped whenever a user is added or removed (invalidates `user_hint`).
    pub(crate) user_gen: u64,
    pub(crate) user_hint: Mutex<Option<PageHint>>,
    /// Bumped whenever a group is added or removed (invalidates `group_hint`).
    pub(crate) group_gen: u64,
    pub(crate) group_hint: Mutex<Option<PageHint>>,
}

/// Where the previous unfiltered page ended, so a client walking the pages in order
/// (`startIndex` 1, 101, 201, …, as Okta does) does not skip from the start every time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PageHint {
    /// The generation of the order the hint was made in.
    pub(crate) generation: u64,
    /// A 0-based position in creation order…
    pub(crate) index: usize,
    /// …and the `seq` (slot in the creation order) of the resource at that position.
    pub(crate) seq: u64,
}

/// The compact form of `user`, built from a borrow before its JSON is freed in one go.
///
/// Building it while freeing the JSON piece by piece (moving its strings) is a little faster
/// for the one call, but leaves the heap riddled with small holes between the long-lived
/// pieces: measured over HTTP, every later request then ran up to 40 % slower.
fn compact_and_free(user: User) -> Arc<CompactValue> {
    let doc = user.to_compact();
    drop(user);
    doc
}

/// The top-level string attribute `key` of a stored document.
pub(crate) fn top_str<'a>(doc: &'a CompactValue, key: &str) -> Option<&'a str> {
    doc.as_object()?.get(key)?.as_str()
}

fn missing_id() -> StoreError {
    StoreError::Backend { backend: "memory", source: "the resource has no string `id`".into() }
}

pub(crate) fn check_version(rev: u64, if_match: Option<&Version>) -> Result<(), StoreError> {
    scim_core::store::check_version(if_match, rev)
}

/// Drops the holes of `order` once there are enough of them, giving each record of `recs` its
/// new position (`seq` picks the field that holds it).
fn compact_order<R>(order: &mut CreationOrder, recs: &mut IdMap<R>, seq: fn(&mut R) -> &mut u64) {
    if order.wants_compaction() {
        order.compact(|id, position| {
            if let Some(rec) = recs.get_mut(id) {
                *seq(rec) = position;
            }
        });
    }
}

impl Tenant {
    pub(crate) fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }
}
