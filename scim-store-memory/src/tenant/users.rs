//! Users: the stored user as handed out, and creating, replacing and removing users.

use super::folding::{fold, is_mixed_case, with_folded};
use super::{Tenant, UserRec, check_version, compact_and_free, compact_order, missing_id, top_str};
use crate::index::{IdMap, Ids};
use chrono::{DateTime, Utc};
use scim_core::{StoreError, User, UserStatus, Version};
use scim_query::CompactValue;
use serde_json::Value;
use std::sync::Arc;

/// When a suspended user is due to be purged (`None` while not suspended).
pub(crate) type PurgeAt = Option<DateTime<Utc>>;

/// How a replace moved a user's purge time.
#[derive(Debug, Clone, Copy)]
pub(crate) struct PurgeMove {
    pub(crate) old: Option<DateTime<Utc>>,
    pub(crate) new: Option<DateTime<Utc>>,
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

/// The suspended user's purge time, if it has one.
pub(crate) fn purge_time(user: &User) -> Option<DateTime<Utc>> {
    let lc = user.lifecycle();
    if lc.status == UserStatus::Suspended { lc.purge_at } else { None }
}

/// The attribute `attr` of stored user `id` (what the user indexes are keyed by).
fn user_attr<'a>(users: &'a IdMap<UserRec>, attr: &'static str) -> impl Fn(&str) -> Option<&'a str> {
    move |id| users.get(id).and_then(|rec| top_str(&rec.doc, attr))
}

impl Tenant {
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
        let (seq, born) = self.user_order.push(Arc::clone(&id));
        self.user_gen += 1;
        let purge_at = purge_time(&user);
        let doc = compact_and_free(user);
        let out = self.user_view(&id, &doc);
        self.users.insert_vacant(vacant, Arc::clone(&id), UserRec { doc, seq, born, rev: 1, purge_at });
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
}
