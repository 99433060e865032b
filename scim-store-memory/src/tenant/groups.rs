//! Groups: the stored group as handed out, and creating, replacing, removing groups and
//! changing their members.

use super::folding::{fold, is_mixed_case, with_folded};
use super::{GroupRec, HashSet, Tenant, check_version, compact_order, missing_id};
use crate::index::{IdMap, Ids};
use chrono::{DateTime, Utc};
use scim_core::store::distinct_members;
use scim_core::{Group, StoreError, Version};
use serde_json::{Value, json};
use std::sync::Arc;

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

/// The group as clients see it, with its members only when asked for.
pub(crate) fn group_view(rec: &GroupRec, include_members: bool) -> Group {
    if !include_members || rec.members.is_empty() {
        return rec.doc.clone();
    }
    let mut out = rec.doc.clone();
    out.as_object_mut().insert("members".into(), Value::Array(rec.members.clone()));
    out
}

impl Tenant {
    fn check_group_name(&self, group: &Group, own_id: Option<&str>) -> Result<Option<Box<str>>, StoreError> {
        let Some(name) = group.display_name() else { return Ok(None) };
        let key = fold(name);
        let holder = self.group_names.get(&key, group_name(&self.groups)).and_then(Ids::first);
        if holder.is_some_and(|holder| Some(&**holder) != own_id) {
            return Err(StoreError::Uniqueness { attribute: "displayName" });
        }
        Ok(Some(key))
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
        let (seq, born) = self.group_order.push(Arc::clone(&id));
        self.group_gen += 1;
        let rec = GroupRec { doc: group, seq, born, rev: 1, members, member_ids };
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
