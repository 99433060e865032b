//! The index tables a tenant keeps, below everything else in the crate:
//!
//! - [`KeyIndex`]: a case-insensitive index from a string attribute (`userName`, `externalId`,
//!   group `displayName`) to the ids of the records holding it ([`Ids`]), that keeps no copy
//!   of the keys;
//! - [`IdMap`]: records by id, each entry keeping its id's hash;
//! - [`CreationOrder`]: resources in creation order, for listing.

use foldhash::fast::RandomState;
use hashbrown::HashTable;
use scim_query::fold::folds_to;
use std::fmt;
use std::hash::BuildHasher;
use std::sync::Arc;

/// Ids by a folded string key ([`scim_query::fold::fold_case`]), storing for each key only its hash
/// and the ids under it.
///
/// The key text is not stored: the records already hold it. A lookup compares hashes first,
/// and only on an equal hash reads the key of the first record under it (through `key_of`,
/// which maps an id to its record's current, unfolded key). So the index costs no allocation
/// per key, growing it never reads a key again (the hash is kept), and removing an entry
/// needs only the id.
///
/// The hash is `foldhash`, seeded per index, so that keys sent by clients cannot be chosen to
/// collide.
#[derive(Default)]
pub(crate) struct KeyIndex {
    table: HashTable<Slot>,
    state: RandomState,
}

struct Slot {
    hash: u64,
    ids: Ids,
}

impl fmt::Debug for KeyIndex {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyIndex").field("keys", &self.table.len()).finish()
    }
}

impl Slot {
    /// Whether this is the slot of key `folded` (of hash `hash`): the key of its first record
    /// folds to it.
    fn is_for<'k>(&self, hash: u64, folded: &str, key_of: &impl Fn(&str) -> Option<&'k str>) -> bool {
        self.hash == hash && self.ids.first().and_then(|id| key_of(id)).is_some_and(|k| folds_to(k, folded))
    }
}

impl KeyIndex {
    fn hash(&self, folded: &str) -> u64 {
        self.state.hash_one(folded)
    }

    /// The ids under `folded`. `key_of` gives a stored record's key by its id.
    pub(crate) fn get<'k>(&self, folded: &str, key_of: impl Fn(&str) -> Option<&'k str>) -> Option<&Ids> {
        let hash = self.hash(folded);
        self.table.find(hash, |s| s.is_for(hash, folded, &key_of)).map(|s| &s.ids)
    }

    /// The ids under every key with the hash of `folded`: those of [`KeyIndex::get`], and
    /// rarely more, found without reading any record. For callers that check each candidate
    /// themselves (a filter's matches).
    pub(crate) fn candidates(&self, folded: &str) -> impl Iterator<Item = &Arc<str>> {
        let hash = self.hash(folded);
        self.table.iter_hash(hash).filter(move |s| s.hash == hash).flat_map(|s| s.ids.iter())
    }

    /// Files `id` under `folded`. `key_of` gives a stored record's key by its id (`id` itself
    /// need not be stored yet).
    pub(crate) fn insert<'k>(&mut self, folded: &str, id: &Arc<str>, key_of: impl Fn(&str) -> Option<&'k str>) {
        let hash = self.hash(folded);
        let same = |s: &Slot| s.is_for(hash, folded, &key_of);
        match self.table.find_mut(hash, same) {
            Some(slot) => slot.ids.push(Arc::clone(id)),
            None => {
                self.table.insert_unique(hash, Slot { hash, ids: Ids::One(Arc::clone(id)) }, |s| s.hash);
            }
        }
    }

    /// Files `id` under `folded` unless some record is filed there already (a unique index):
    /// whether it was filed. One hash and one probe.
    pub(crate) fn insert_unique<'k>(
        &mut self,
        folded: &str,
        id: &Arc<str>,
        key_of: impl Fn(&str) -> Option<&'k str>,
    ) -> bool {
        let hash = self.hash(folded);
        let same = |s: &Slot| s.is_for(hash, folded, &key_of);
        match self.table.entry(hash, same, |s| s.hash) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(slot) => {
                slot.insert(Slot { hash, ids: Ids::One(Arc::clone(id)) });
                true
            }
        }
    }

    /// Removes `id` from under `folded` (its record need not be stored any more).
    pub(crate) fn remove(&mut self, folded: &str, id: &str) {
        let hash = self.hash(folded);
        if let Ok(mut entry) = self.table.find_entry(hash, |s| s.hash == hash && s.ids.iter().any(|x| **x == *id)) {
            if entry.get_mut().ids.remove(id) {
                entry.remove();
            }
        }
    }

    /// How many distinct keys.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }
}

/// The ids under one key of a non-unique index (`externalId`): almost always one, kept without
/// a vector of its own.
#[derive(Debug)]
pub(crate) enum Ids {
    One(Arc<str>),
    Many(Vec<Arc<str>>),
}

impl Ids {
    pub(crate) fn iter(&self) -> std::slice::Iter<'_, Arc<str>> {
        match self {
            Self::One(id) => std::slice::from_ref(id).iter(),
            Self::Many(ids) => ids.iter(),
        }
    }

    /// The first id (every key in an index has at least one).
    pub(crate) fn first(&self) -> Option<&Arc<str>> {
        self.iter().next()
    }

    pub(crate) fn push(&mut self, id: Arc<str>) {
        match self {
            Self::One(first) => *self = Self::Many(vec![Arc::clone(first), id]),
            Self::Many(ids) => ids.push(id),
        }
    }

    /// Removes `id`; whether none is left.
    pub(crate) fn remove(&mut self, id: &str) -> bool {
        match self {
            Self::One(only) => **only == *id,
            Self::Many(ids) => {
                ids.retain(|x| &**x != id);
                match ids.as_slice() {
                    [] => true,
                    [only] => {
                        *self = Self::One(Arc::clone(only));
                        false
                    }
                    _ => false,
                }
            }
        }
    }
}

/// Records by id, each entry keeping its id's hash.
///
/// A `HashMap<Arc<str>, R>` hashes every id again whenever it grows, which means reading
/// each id's text through its pointer: at a million users that is a cache miss per user per
/// growth. Keeping the hash makes growing a sequential copy, and lets a create hash the id
/// once for its uniqueness check and its insert ([`IdMap::vacant`], [`IdMap::insert_vacant`]).
/// Ids are compared exactly; the hash is `foldhash`, seeded per map.
pub(crate) struct IdMap<R> {
    table: HashTable<IdEntry<R>>,
    state: RandomState,
}

struct IdEntry<R> {
    hash: u64,
    id: Arc<str>,
    rec: R,
}

/// Where an absent id goes: its hash, from [`IdMap::vacant`].
#[derive(Clone, Copy)]
pub(crate) struct Vacant {
    hash: u64,
}

impl<R> Default for IdMap<R> {
    fn default() -> Self {
        Self { table: HashTable::new(), state: RandomState::default() }
    }
}

impl<R> fmt::Debug for IdMap<R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdMap").field("len", &self.table.len()).finish()
    }
}

/// Whether an entry is the one of `id` (of hash `hash`): hashes first, then the text.
fn is_entry<R>(hash: u64, id: &str) -> impl Fn(&IdEntry<R>) -> bool + '_ {
    move |e| e.hash == hash && *e.id == *id
}

impl<R> IdMap<R> {
    fn hash(&self, id: &str) -> u64 {
        self.state.hash_one(id)
    }

    fn find(&self, hash: u64, id: &str) -> Option<&IdEntry<R>> {
        self.table.find(hash, is_entry(hash, id))
    }

    /// How many records.
    pub(crate) fn len(&self) -> usize {
        self.table.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.table.is_empty()
    }

    pub(crate) fn get(&self, id: &str) -> Option<&R> {
        self.get_key_value(id).map(|(_, rec)| rec)
    }

    /// The stored id (shared with the indexes) and the record.
    pub(crate) fn get_key_value(&self, id: &str) -> Option<(&Arc<str>, &R)> {
        self.find(self.hash(id), id).map(|e| (&e.id, &e.rec))
    }

    pub(crate) fn get_mut(&mut self, id: &str) -> Option<&mut R> {
        let hash = self.hash(id);
        self.table.find_mut(hash, is_entry(hash, id)).map(|e| &mut e.rec)
    }

    /// `Some` when `id` is absent: where to insert it with [`IdMap::insert_vacant`].
    pub(crate) fn vacant(&self, id: &str) -> Option<Vacant> {
        let hash = self.hash(id);
        self.find(hash, id).is_none().then_some(Vacant { hash })
    }

    /// Inserts `id`, which [`IdMap::vacant`] found absent (and nothing inserted since).
    pub(crate) fn insert_vacant(&mut self, at: Vacant, id: Arc<str>, rec: R) {
        debug_assert_eq!(at.hash, self.hash(&id), "a Vacant of another id");
        debug_assert!(self.find(at.hash, &id).is_none(), "inserted since");
        self.table.insert_unique(at.hash, IdEntry { hash: at.hash, id, rec }, |e| e.hash);
    }

    /// Inserts `rec` under `id`, replacing (and returning) any record there.
    pub(crate) fn insert(&mut self, id: Arc<str>, rec: R) -> Option<R> {
        let hash = self.hash(&id);
        match self.table.entry(hash, is_entry(hash, &id), |e| e.hash) {
            hashbrown::hash_table::Entry::Occupied(mut e) => Some(std::mem::replace(&mut e.get_mut().rec, rec)),
            hashbrown::hash_table::Entry::Vacant(e) => {
                e.insert(IdEntry { hash, id, rec });
                None
            }
        }
    }

    /// Removes `id`; returns the stored id and its record.
    pub(crate) fn remove_entry(&mut self, id: &str) -> Option<(Arc<str>, R)> {
        let hash = self.hash(id);
        let entry = self.table.find_entry(hash, is_entry(hash, id)).ok()?;
        let (IdEntry { id, rec, .. }, _) = entry.remove();
        Some((id, rec))
    }
}

/// Resources in creation order: their ids by position, with holes where resources were
/// removed. Appending and removing (by position) take constant time; listing walks a
/// contiguous vector. The holes are dropped once they outnumber the resources
/// ([`CreationOrder::compact`]), which renumbers the positions.
///
/// Each resource also has a birth number, given at `push` from a counter that only grows and
/// kept through compaction: the store position of keyset paging. Slots are in birth order, so
/// the slot after a birth number is a binary search away.
#[derive(Debug, Default)]
pub(crate) struct CreationOrder {
    slots: Vec<Born>,
    live: usize,
    /// The last birth number given (0: none yet; the first is 1).
    born: u64,
}

#[derive(Debug)]
struct Born {
    born: u64,
    id: Option<Arc<str>>,
}

/// How many holes a [`CreationOrder`] keeps at least before compacting.
const MIN_HOLES: usize = 1024;

impl CreationOrder {
    /// Appends `id`; returns its position and its birth number.
    pub(crate) fn push(&mut self, id: Arc<str>) -> (u64, u64) {
        self.born += 1;
        self.slots.push(Born { born: self.born, id: Some(id) });
        self.live += 1;
        ((self.slots.len() - 1) as u64, self.born)
    }

    /// Removes the resource at `position`.
    pub(crate) fn remove(&mut self, position: u64) {
        let slot = usize::try_from(position).ok().and_then(|i| self.slots.get_mut(i));
        if slot.and_then(|s| s.id.take()).is_some() {
            self.live -= 1;
        }
    }

    /// Whether enough holes have built up for [`CreationOrder::compact`] to be worth its cost.
    pub(crate) fn wants_compaction(&self) -> bool {
        let holes = self.slots.len() - self.live;
        holes > MIN_HOLES && holes > self.live
    }

    /// Drops the holes, keeping the order; `moved(id, position)` is told each resource's new
    /// position.
    pub(crate) fn compact(&mut self, mut moved: impl FnMut(&Arc<str>, u64)) {
        self.slots.retain(|s| s.id.is_some());
        self.slots.shrink_to_fit();
        for (position, id) in self.slots.iter().filter_map(|s| s.id.as_ref()).enumerate() {
            moved(id, position as u64);
        }
    }

    /// The resources from `position` on, in order, with their positions.
    pub(crate) fn from(&self, position: u64) -> impl Iterator<Item = (u64, &Arc<str>)> {
        let start = usize::try_from(position).unwrap_or(usize::MAX).min(self.slots.len());
        self.slots[start..].iter().zip(position..).filter_map(|(slot, p)| slot.id.as_ref().map(|id| (p, id)))
    }

    /// The resources born after birth number `born`, in order, with their birth numbers.
    pub(crate) fn born_after(&self, born: u64) -> impl Iterator<Item = (u64, &Arc<str>)> {
        let start = self.slots.partition_point(|s| s.born <= born);
        self.slots[start..].iter().filter_map(|s| s.id.as_ref().map(|id| (s.born, id)))
    }

    /// The resources born before birth number `born`, in reverse order, with their birth numbers.
    pub(crate) fn born_before(&self, born: u64) -> impl Iterator<Item = (u64, &Arc<str>)> {
        let end = self.slots.partition_point(|s| s.born < born);
        self.slots[..end].iter().rev().filter_map(|s| s.id.as_ref().map(|id| (s.born, id)))
    }

    /// The resources, in order.
    pub(crate) fn ids(&self) -> impl Iterator<Item = &Arc<str>> {
        self.slots.iter().filter_map(|s| s.id.as_ref())
    }

    /// How many resources.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.live
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    #[test]
    fn finds_by_folded_key_and_removes_by_id() {
        let keys: HashMap<&str, &str> =
            HashMap::from([("a", "Ann@X.org"), ("b", "ANN@x.ORG"), ("c", "ÅSA"), ("d", "bob")]);
        let key_of = |id: &str| keys.get(id).copied();
        let mut index = KeyIndex::default();
        let ids: Vec<Arc<str>> = ["a", "b", "c", "d"].into_iter().map(Arc::from).collect();
        for id in &ids {
            index.insert(&scim_query::fold::fold_case(keys[&**id]), id, key_of);
        }
        assert_eq!(index.len(), 3, "a and b share a key");
        let found = |k: &str| index.get(k, key_of).map(|ids| ids.iter().map(|id| id.to_string()).collect::<Vec<_>>());
        assert_eq!(found("ann@x.org"), Some(vec!["a".to_owned(), "b".to_owned()]));
        assert_eq!(found("åsa"), Some(vec!["c".to_owned()]));
        assert_eq!(found("bob"), Some(vec!["d".to_owned()]));
        assert_eq!(found("carol"), None);
        let mut cands: Vec<&str> = index.candidates("ann@x.org").map(|id| &**id).collect();
        cands.sort_unstable();
        assert_eq!(cands, ["a", "b"]);
        assert_eq!(index.candidates("carol").count(), 0);
        let e: Arc<str> = Arc::from("e");
        assert!(!index.insert_unique("bob", &e, key_of), "bob is taken");
        assert!(index.insert_unique("eve", &e, |id| (id == "e").then_some("Eve")));
        assert_eq!(index.get("eve", |id| (id == "e").then_some("EVE")).map(|ids| ids.iter().count()), Some(1));
        index.remove("eve", "e");
        index.remove("ann@x.org", "a");
        assert_eq!(index.get("ann@x.org", key_of).map(|ids| ids.iter().count()), Some(1));
        index.remove("ann@x.org", "zz");
        index.remove("ann@x.org", "b");
        index.remove("åsa", "c");
        assert_eq!(index.get("ann@x.org", key_of).map(|_| ()), None);
        assert_eq!(index.len(), 1);
    }

    #[test]
    fn equal_hashes_of_different_keys_stay_apart() {
        // Every key hashes alike: the records' keys must tell them apart.
        let keys: HashMap<&str, &str> = HashMap::from([("a", "x"), ("b", "y")]);
        let key_of = |id: &str| keys.get(id).copied();
        let mut index = KeyIndex::default();
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        let hash = 7;
        let eq = |folded: &'static str| move |s: &Slot| s.is_for(hash, folded, &key_of);
        index.table.insert_unique(hash, Slot { hash, ids: Ids::One(a) }, |s| s.hash);
        assert!(index.table.find(hash, eq("y")).is_none());
        index.table.insert_unique(hash, Slot { hash, ids: Ids::One(b) }, |s| s.hash);
        assert!(index.table.find(hash, eq("y")).is_some_and(|s| s.ids.iter().any(|id| &**id == "b")));
        assert!(index.table.find(hash, eq("x")).is_some_and(|s| s.ids.iter().any(|id| &**id == "a")));
    }

    #[test]
    fn id_map_finds_inserts_and_removes_through_growth() {
        let mut map: IdMap<usize> = IdMap::default();
        let ids: Vec<Arc<str>> = (0..5000).map(|i| Arc::from(format!("{i:08x}-id"))).collect();
        for (i, id) in ids.iter().enumerate() {
            let at = map.vacant(id).expect("not stored yet");
            map.insert_vacant(at, Arc::clone(id), i);
        }
        assert_eq!(map.len(), 5000);
        assert!(map.vacant(&ids[42]).is_none(), "stored");
        assert_eq!(map.get(&ids[4999]), Some(&4999));
        assert_eq!(map.get("00000001-ID"), None, "ids compare exactly");
        let (stored, rec) = map.get_key_value(&ids[7]).expect("stored");
        assert!(Arc::ptr_eq(stored, &ids[7]) && *rec == 7, "the stored id is the one given");
        *map.get_mut(&ids[7]).expect("stored") = 70;
        assert_eq!(map.insert(Arc::clone(&ids[7]), 700), Some(70), "insert replaces");
        assert_eq!(map.insert(Arc::from("new"), 1), None);
        assert!(map.get("new").is_some());
        for id in ids.iter().step_by(2) {
            assert!(map.remove_entry(id).is_some());
        }
        assert!(map.remove_entry(&ids[0]).is_none(), "removed once");
        assert_eq!(map.len(), 2501);
        assert!(ids.iter().enumerate().all(|(i, id)| map.get(id).is_some() == (i % 2 == 1)));
        assert_eq!(map.get(&ids[7]), Some(&700));
        assert!(!map.is_empty());
    }

    #[test]
    fn creation_order_removes_in_place_and_compacts() {
        let mut order = CreationOrder::default();
        let ids: Vec<Arc<str>> = (0..3000).map(|i| Arc::from(i.to_string())).collect();
        let positions: Vec<u64> = ids.iter().map(|id| order.push(Arc::clone(id)).0).collect();
        assert_eq!(positions[..3], [0, 1, 2]);
        for p in positions.iter().filter(|p| *p % 3 != 0) {
            order.remove(*p);
        }
        order.remove(1);
        order.remove(99_999);
        assert_eq!(order.len(), 1000);
        assert_eq!(
            order.from(4).take(2).map(|(p, id)| (p, id.to_string())).collect::<Vec<_>>(),
            [(6, "6".to_owned()), (9, "9".to_owned())]
        );
        assert_eq!(order.from(5000).count(), 0);
        assert!(order.wants_compaction(), "2000 holes, 1000 resources");
        let mut moved = Vec::new();
        order.compact(|id, p| moved.push((id.to_string(), p)));
        assert_eq!(moved.len(), 1000);
        assert_eq!(moved[1], ("3".to_owned(), 1), "order kept, positions renumbered");
        assert!(!order.wants_compaction());
        let listed: Vec<String> = order.ids().map(|id| id.to_string()).collect();
        assert_eq!(listed, (0..3000).filter(|i| i % 3 == 0).map(|i| i.to_string()).collect::<Vec<_>>());
        assert_eq!(order.push(Arc::from("new")), (1000, 3001), "birth numbers survive compaction");
        let after: Vec<(u64, String)> = order.born_after(2998).map(|(b, id)| (b, id.to_string())).collect();
        assert_eq!(after, [(3001, "new".to_owned())], "2999 (id 2998) was removed; 3000 is id 2999, also removed");
        let before: Vec<u64> = order.born_before(8).map(|(b, _)| b).collect();
        assert_eq!(before, [7, 4, 1]);
        assert_eq!(order.born_after(0).count(), 1001);
    }
}
