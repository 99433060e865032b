//! One tenant's data and its indexes.

use crate::index::{CreationOrder, IdMap, Ids, KeyIndex};
use chrono::{DateTime, Utc};
use scim_core::store::{derived_group, distinct_members};
use scim_core::{Group, StoreError, User, UserStatus, Version};
use scim_query::CompactValue;
use scim_query::fold::fold_case;
use serde_json::{Value, json};
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
    pub(crate) rev: u64,
    /// Set when the user is suspended with a purge time (mirrors the purge index).
    pub(crate) purge_at: Option<DateTime<Utc>>,
}

/// When a suspended user is due to be purged (`None` while not suspended).
pub(crate) type PurgeAt = Option<DateTime<Utc>>;

/// How a replace moved a user's purge time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PurgeMove {
    pub(crate) old: Option<DateTime<Utc>>,
    pub(crate) new: Option<DateTime<Utc>>,
}

/// A stored group. Its document holds no `members`; they live in `members`.
#[derive(Debug)]
pub(crate) struct GroupRec {
    pub(crate) doc: Group,
    /// Position in the tenant's group creation order.
    pub(crate) seq: u64,
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

/// A stored user as handed out: the compact document itself, or, with derived `groups`, as JSON.
fn with_groups(doc: Arc<CompactValue>, groups: Option<Value>) -> User {
    match groups {
        None => User::from_compact(doc),
        Some(groups) => {
            let mut out = doc.to_value();
            if let Some(obj) = out.as_object_mut() {
                obj.insert("groups".into(), groups);
            }
            User::from_json(out)
        }
    }
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

pub(crate) fn fold(s: &str) -> Box<str> {
    fold_case(s).into_boxed_str()
}

pub(crate) fn is_mixed_case(id: &str) -> bool {
    if id.is_ascii() {
        return id.bytes().any(|b| b.is_ascii_uppercase());
    }
    id.chars().any(|c| c.to_lowercase().ne(std::iter::once(c)))
}

/// Calls `f` with `s` folded as [`fold`] does; short ASCII strings are folded on the stack.
pub(crate) fn with_folded<R>(s: &str, f: impl FnOnce(&str) -> R) -> R {
    const MAX: usize = 128;
    if s.is_ascii() && s.len() <= MAX {
        let mut buf = [0u8; MAX];
        let folded = &mut buf[..s.len()];
        folded.copy_from_slice(s.as_bytes());
        folded.make_ascii_lowercase();
        // Lowercased ASCII is still ASCII.
        return f(std::str::from_utf8(folded).unwrap_or(s));
    }
    f(&fold(s))
}

fn missing_id() -> StoreError {
    StoreError::Backend { backend: "memory", source: "the resource has no string `id`".into() }
}

pub(crate) fn check_version(rev: u64, if_match: Option<&Version>) -> Result<(), StoreError> {
    scim_core::store::check_version(if_match, rev)
}

/// The suspended user's purge time, if it has one.
pub(crate) fn purge_time(user: &User) -> Option<DateTime<Utc>> {
    let lc = user.lifecycle();
    if lc.status == UserStatus::Suspended { lc.purge_at } else { None }
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

/// The attribute `attr` of stored user `id` (what the user indexes are keyed by).
fn user_attr<'a>(users: &'a IdMap<UserRec>, attr: &'static str) -> impl Fn(&str) -> Option<&'a str> {
    move |id| users.get(id).and_then(|rec| top_str(&rec.doc, attr))
}

/// Stored group `id`'s `displayName`.
fn group_name<'a>(groups: &'a IdMap<GroupRec>) -> impl Fn(&str) -> Option<&'a str> {
    |id| groups.get(id).and_then(|rec| rec.doc.display_name())
}

/// Stored group `id`'s `externalId`.
fn group_external_id<'a>(groups: &'a IdMap<GroupRec>) -> impl Fn(&str) -> Option<&'a str> {
    |id| groups.get(id).and_then(|rec| rec.doc.external_id())
}

/// Splits the `members` array out of a group document: one per `value`, the first of each,
/// and only those `exists` accepts (a user or another group of the tenant).
fn take_members(group: &mut Group, exists: impl Fn(&str) -> bool) -> (Vec<Value>, HashSet<Arc<str>>) {
    let mut members = Vec::new();
    let mut ids = HashSet::default();
    if group.as_object().contains_key("members") {
        if let Some(Value::Array(list)) = group.as_object_mut().remove("members") {
            for (v, m) in distinct_members(list) {
                if exists(&v) {
                    ids.insert(Arc::from(v));
                    members.push(m);
                }
            }
        }
    }
    (members, ids)
}

impl Tenant {
    pub(crate) fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }

    // ---- users ----

    /// Stores a new user; returns its view, its id and its purge time.
    pub(crate) fn create_user(&mut self, mut user: User) -> Result<(User, Arc<str>, PurgeAt), StoreError> {
        let id: Arc<str> = Arc::from(user.id().ok_or_else(missing_id)?);
        let Some(vacant) = self.users.vacant(&id) else {
            return Err(StoreError::Uniqueness { attribute: "id" });
        };
        if let Some(name) = user.user_name() {
            let names = user_attr(&self.users, "userName");
            if !with_folded(name, |k| self.user_names.insert_unique(k, &id, names)) {
                return Err(StoreError::Uniqueness { attribute: "userName" });
            }
        }
        if let Some(external) = user.external_id() {
            let externals = user_attr(&self.users, "externalId");
            with_folded(external, |k| self.external_ids.insert(k, &id, externals));
        }
        if user.as_object().contains_key("groups") {
            user.as_object_mut().remove("groups");
        }
        user.set_version(&Version::from_revision(1));
        if is_mixed_case(&id) {
            self.mixed_case_user_ids += 1;
        }
        let seq = self.user_order.push(Arc::clone(&id));
        self.user_gen += 1;
        let purge_at = purge_time(&user);
        let doc = compact_and_free(user);
        let out = self.user_view(&id, &doc);
        self.users.insert_vacant(vacant, Arc::clone(&id), UserRec { doc, seq, rev: 1, purge_at });
        Ok((out, id, purge_at))
    }

    /// Replaces a user; returns the new record's view and the old and new purge times.
    pub(crate) fn replace_user(
        &mut self,
        mut user: User,
        if_match: Option<&Version>,
    ) -> Result<(User, PurgeMove), StoreError> {
        let id = user.id().ok_or_else(missing_id)?;
        let (id, rec) = self.users.get_key_value(id).ok_or(StoreError::NotFound)?;
        let id = Arc::clone(id);
        check_version(rec.rev, if_match)?;
        let old_key = top_str(&rec.doc, "userName").map(fold);
        let new_key = user.user_name().map(fold);
        if new_key != old_key {
            if let Some(k) = &new_key {
                if self
                    .user_names
                    .get(k, user_attr(&self.users, "userName"))
                    .and_then(Ids::first)
                    .is_some_and(|holder| *holder != id)
                {
                    return Err(StoreError::Uniqueness { attribute: "userName" });
                }
            }
        }
        if user.as_object().contains_key("groups") {
            user.as_object_mut().remove("groups");
        }
        let rev = rec.rev + 1;
        user.set_version(&Version::from_revision(rev));
        let old_purge = rec.purge_at;
        let old_external = top_str(&rec.doc, "externalId");
        if new_key != old_key {
            if let Some(k) = old_key {
                self.user_names.remove(&k, &id);
            }
            if let Some(k) = new_key {
                self.user_names.insert(&k, &id, user_attr(&self.users, "userName"));
            }
        }
        if old_external != user.external_id() {
            if let Some(k) = old_external {
                with_folded(k, |k| self.external_ids.remove(k, &id));
            }
            if let Some(k) = user.external_id() {
                let externals = user_attr(&self.users, "externalId");
                with_folded(k, |k| self.external_ids.insert(k, &id, externals));
            }
        }
        let new_purge = purge_time(&user);
        let doc = compact_and_free(user);
        let out = self.user_view(&id, &doc);
        if let Some(rec) = self.users.get_mut(&id) {
            rec.doc = doc;
            rec.rev = rev;
            rec.purge_at = new_purge;
        }
        Ok((out, PurgeMove { old: old_purge, new: new_purge }))
    }

    /// Removes a user and its memberships; returns the record.
    pub(crate) fn remove_user(&mut self, id: &str, if_match: Option<&Version>) -> Result<UserRec, StoreError> {
        let (id, rec) = self.users.remove_entry(id).ok_or(StoreError::NotFound)?;
        if let Err(e) = check_version(rec.rev, if_match) {
            // Rare: put it back untouched (one hash lookup fewer on the common path).
            self.users.insert(id, rec);
            return Err(e);
        }
        let removed = (id, rec);
        self.unindex_users(std::slice::from_ref(&removed));
        Ok(removed.1)
    }

    /// Removes users (no version check) and returns them as handed out before the removal,
    /// skipping ids not stored. Each index is updated for every user in turn, so the memory
    /// accesses of different users (all likely cache misses in a large tenant) overlap.
    pub(crate) fn take_users<'a>(&mut self, ids: impl IntoIterator<Item = &'a str>) -> Vec<User> {
        let removed: Vec<(Arc<str>, UserRec)> = ids.into_iter().filter_map(|id| self.users.remove_entry(id)).collect();
        let groups: Vec<Option<Value>> = removed.iter().map(|(id, _)| self.groups_of(id)).collect();
        self.unindex_users(&removed);
        removed.into_iter().zip(groups).map(|((_, rec), groups)| with_groups(rec.doc, groups)).collect()
    }

    /// Takes users already out of `users` out of every other index and out of their groups.
    fn unindex_users(&mut self, removed: &[(Arc<str>, UserRec)]) {
        for (id, rec) in removed {
            if let Some(name) = top_str(&rec.doc, "userName") {
                with_folded(name, |k| self.user_names.remove(k, id));
            }
        }
        for (id, rec) in removed {
            if let Some(external) = top_str(&rec.doc, "externalId") {
                with_folded(external, |k| self.external_ids.remove(k, id));
            }
        }
        for (id, rec) in removed {
            if is_mixed_case(id) {
                self.mixed_case_user_ids -= 1;
            }
            self.user_order.remove(rec.seq);
        }
        compact_order(&mut self.user_order, &mut self.users, |rec| &mut rec.seq);
        self.user_gen += 1;
        for (id, _) in removed {
            self.leave_all_groups(id);
        }
    }

    /// The stored user as handed out: the compact document, with `groups` when it has any.
    pub(crate) fn user_view(&self, id: &str, doc: &Arc<CompactValue>) -> User {
        with_groups(Arc::clone(doc), self.groups_of(id))
    }

    /// The derived `groups` attribute of user `id`, if it belongs to any group.
    fn groups_of(&self, id: &str) -> Option<Value> {
        let group_ids = self.memberships.get(id).filter(|g| !g.is_empty())?;
        let groups = group_ids
            .iter()
            .filter_map(|gid| {
                let g = self.groups.get(gid)?;
                Some(derived_group(gid.to_string(), g.doc.display_name().map(str::to_owned)))
            })
            .collect();
        Some(Value::Array(groups))
    }

    // ---- groups ----

    fn check_group_name(&self, group: &Group, own_id: Option<&str>) -> Result<Option<Box<str>>, StoreError> {
        let Some(name) = group.display_name() else { return Ok(None) };
        let key = fold(name);
        let holder = self.group_names.get(&key, group_name(&self.groups)).and_then(Ids::first);
        if holder.is_some_and(|holder| Some(&**holder) != own_id) {
            return Err(StoreError::Uniqueness { attribute: "displayName" });
        }
        Ok(Some(key))
    }

    /// Whether `member` names a user or a group of the tenant other than `group`: only those
    /// are kept as members, so a member never outlives what it names.
    fn can_be_member_of(&self, member: &str, group: &str) -> bool {
        self.users.get(member).is_some() || (member != group && self.groups.get(member).is_some())
    }

    /// A membership change altered the derived `groups` of `id` (when it is a user): its
    /// representation changed, so its version moves on, and its `meta.lastModified` to `now`
    /// when known.
    fn membership_changed(&mut self, id: &str, now: Option<DateTime<Utc>>) {
        let Some(rec) = self.users.get_mut(id) else { return };
        rec.rev += 1;
        let mut user = User::from_compact(Arc::clone(&rec.doc));
        user.set_version(&Version::from_revision(rec.rev));
        if let Some(now) = now {
            user.set_last_modified(now);
        }
        rec.doc = compact_and_free(user);
    }

    /// Takes `member` (a user or group being removed) out of every group that holds it.
    fn leave_all_groups(&mut self, member: &str) {
        let Some(group_ids) = self.memberships.remove(member) else { return };
        for gid in group_ids {
            if let Some(g) = self.groups.get_mut(&gid) {
                g.member_ids.remove(member);
                g.members.retain(|m| m.get("value").and_then(Value::as_str) != Some(member));
                g.rev += 1;
                g.doc.set_version(&Version::from_revision(g.rev));
            }
        }
    }

    fn link(&mut self, member: &Arc<str>, group: &Arc<str>) {
        self.memberships.entry(Arc::clone(member)).or_default().push(Arc::clone(group));
    }

    fn unlink(&mut self, member: &str, group: &str) {
        if let Some(list) = self.memberships.get_mut(member) {
            list.retain(|g| &**g != group);
            if list.is_empty() {
                self.memberships.remove(member);
            }
        }
    }

    pub(crate) fn create_group(&mut self, mut group: Group) -> Result<Group, StoreError> {
        let id: Arc<str> = Arc::from(group.id().ok_or_else(missing_id)?);
        let Some(vacant) = self.groups.vacant(&id) else {
            return Err(StoreError::Uniqueness { attribute: "id" });
        };
        let name_key = self.check_group_name(&group, None)?;
        let (members, member_ids) = take_members(&mut group, |m| self.can_be_member_of(m, &id));
        group.set_version(&Version::from_revision(1));
        if let Some(k) = name_key {
            self.group_names.insert(&k, &id, group_name(&self.groups));
        }
        if let Some(external) = group.external_id() {
            self.group_external_ids.insert(&fold(external), &id, group_external_id(&self.groups));
        }
        if is_mixed_case(&id) {
            self.mixed_case_group_ids += 1;
        }
        let now = group.meta().map(|m| m.last_modified);
        for m in &member_ids {
            self.link(m, &id);
            self.membership_changed(m, now);
        }
        let seq = self.group_order.push(Arc::clone(&id));
        self.group_gen += 1;
        let rec = GroupRec { doc: group, seq, rev: 1, members, member_ids };
        let out = group_view(&rec, true);
        self.groups.insert_vacant(vacant, id, rec);
        Ok(out)
    }

    pub(crate) fn replace_group(&mut self, mut group: Group, if_match: Option<&Version>) -> Result<Group, StoreError> {
        let id = group.id().ok_or_else(missing_id)?;
        let (id, rec) = self.groups.get_key_value(id).ok_or(StoreError::NotFound)?;
        let id = Arc::clone(id);
        check_version(rec.rev, if_match)?;
        let new_key = self.check_group_name(&group, Some(&id))?;
        let (members, member_ids) = take_members(&mut group, |m| self.can_be_member_of(m, &id));
        let Some(rec) = self.groups.get_mut(&id) else { return Err(StoreError::NotFound) };
        if rec.members == members && rec.doc.same_client_part(group.as_object()) {
            // Nothing stored changes (say, the only difference was a member that cannot be
            // stored): no new version.
            return Ok(group_view(rec, true));
        }
        let rev = rec.rev + 1;
        group.set_version(&Version::from_revision(rev));
        let old_key = rec.doc.display_name().map(fold);
        let renamed = rec.doc.display_name() != group.display_name();
        let old_external = rec.doc.external_id().map(fold);
        let old_ids = std::mem::replace(&mut rec.member_ids, member_ids);
        rec.members = members;
        rec.doc = group;
        rec.rev = rev;
        let new_external = rec.doc.external_id().map(fold);
        let added: Vec<Arc<str>> = rec.member_ids.difference(&old_ids).cloned().collect();
        let removed: Vec<Arc<str>> = old_ids.difference(&rec.member_ids).cloned().collect();
        if old_key != new_key {
            if let Some(k) = old_key {
                self.group_names.remove(&k, &id);
            }
            if let Some(k) = new_key {
                self.group_names.insert(&k, &id, group_name(&self.groups));
            }
        }
        if old_external != new_external {
            if let Some(k) = old_external {
                self.group_external_ids.remove(&k, &id);
            }
            if let Some(k) = new_external {
                self.group_external_ids.insert(&k, &id, group_external_id(&self.groups));
            }
        }
        for m in &added {
            self.link(m, &id);
        }
        for m in &removed {
            self.unlink(m, &id);
        }
        // The members whose `groups` changed: those added or removed, and on a rename (their
        // `groups[].display`) every member.
        let now = self.groups.get(&id).and_then(|rec| rec.doc.meta()).map(|m| m.last_modified);
        let touched: Vec<Arc<str>> = match self.groups.get(&id) {
            Some(rec) if renamed => rec.member_ids.iter().chain(&removed).cloned().collect(),
            _ => added.into_iter().chain(removed).collect(),
        };
        for m in &touched {
            self.membership_changed(m, now);
        }
        let rec = self.groups.get(&id).ok_or(StoreError::NotFound)?;
        Ok(group_view(rec, true))
    }

    pub(crate) fn modify_members(
        &mut self,
        id: &str,
        add: &[Value],
        remove: &[String],
        now: DateTime<Utc>,
        if_match: Option<&Version>,
    ) -> Result<Version, StoreError> {
        let (id, rec) = self.groups.get_key_value(id).ok_or(StoreError::NotFound)?;
        let id = Arc::clone(id);
        check_version(rec.rev, if_match)?;
        let mut linked = Vec::new();
        let mut unlinked = Vec::new();
        let add: Vec<&Value> = add
            .iter()
            .filter(|m| m.get("value").and_then(Value::as_str).is_some_and(|v| self.can_be_member_of(v, &id)))
            .collect();
        let Some(rec) = self.groups.get_mut(&id) else { return Err(StoreError::NotFound) };
        for m in add {
            if let Some(v) = m.get("value").and_then(Value::as_str) {
                let v: Arc<str> = Arc::from(v);
                if rec.member_ids.insert(Arc::clone(&v)) {
                    rec.members.push(m.clone());
                    linked.push(v);
                }
            }
        }
        for r in remove {
            if let Some(v) = rec.member_ids.take(r.as_str()) {
                unlinked.push(v);
            }
        }
        if !unlinked.is_empty() {
            let gone: HashSet<&str> = unlinked.iter().map(|v| &**v).collect();
            rec.members.retain(|m| m.get("value").and_then(Value::as_str).is_none_or(|v| !gone.contains(v)));
        }
        if linked.is_empty() && unlinked.is_empty() {
            return Ok(Version::from_revision(rec.rev));
        }
        rec.rev += 1;
        let version = Version::from_revision(rec.rev);
        rec.doc.set_version(&version);
        let meta = rec.doc.as_object_mut().entry("meta").or_insert_with(|| json!({}));
        if let Some(meta) = meta.as_object_mut() {
            meta.insert("lastModified".into(), Value::String(scim_core::format_time(now)));
        }
        for m in &linked {
            self.link(m, &id);
            self.membership_changed(m, Some(now));
        }
        for m in &unlinked {
            self.unlink(m, &id);
            self.membership_changed(m, Some(now));
        }
        Ok(version)
    }

    pub(crate) fn remove_group(&mut self, id: &str, if_match: Option<&Version>) -> Result<(), StoreError> {
        let rec = self.groups.get(id).ok_or(StoreError::NotFound)?;
        check_version(rec.rev, if_match)?;
        let (id, rec) = self.groups.remove_entry(id).ok_or(StoreError::NotFound)?;
        if let Some(k) = rec.doc.display_name() {
            with_folded(k, |k| self.group_names.remove(k, &id));
        }
        if let Some(k) = rec.doc.external_id() {
            with_folded(k, |k| self.group_external_ids.remove(k, &id));
        }
        if is_mixed_case(&id) {
            self.mixed_case_group_ids -= 1;
        }
        self.group_order.remove(rec.seq);
        compact_order(&mut self.group_order, &mut self.groups, |rec| &mut rec.seq);
        self.group_gen += 1;
        for m in &rec.member_ids {
            self.unlink(m, &id);
            self.membership_changed(m, None);
        }
        self.leave_all_groups(&id);
        Ok(())
    }
}

/// The group as clients see it, with its members only when asked for.
pub(crate) fn group_view(rec: &GroupRec, include_members: bool) -> Group {
    if !include_members || rec.members.is_empty() {
        return rec.doc.clone();
    }
    let mut out = rec.doc.clone();
    out.as_object_mut().insert("members".into(), Value::Array(rec.members.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folding_on_the_stack_agrees_with_fold() {
        let long = "A".repeat(200);
        for s in ["", "bjensen", "BJensen@Example.COM", "ÅSTRÖM", "ΟΔΟΣ", long.as_str(), &long[..128]] {
            assert_eq!(with_folded(s, str::to_owned), &*fold(s), "{s}");
            assert_eq!(scim_query::fold::fold_cow(s), &*fold(s), "{s}");
        }
        assert!(is_mixed_case("Ab") && !is_mixed_case("ab-1") && is_mixed_case("Å") && !is_mixed_case("å"));
    }
}
