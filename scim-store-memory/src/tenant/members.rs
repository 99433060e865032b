//! Group memberships: linking members and groups both ways, and what a membership change
//! does to a user (its derived `groups`, its version).

use super::{Tenant, compact_and_free};
use chrono::{DateTime, Utc};
use scim_core::store::derived_group;
use scim_core::{User, Version};
use serde_json::Value;
use std::sync::Arc;

impl Tenant {
    /// The derived `groups` attribute of user `id`, if it belongs to any group.
    pub(super) fn groups_of(&self, id: &str) -> Option<Value> {
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

    /// Whether `member` names a user or a group of the tenant other than `group`: only those
    /// are kept as members, so a member never outlives what it names.
    pub(super) fn can_be_member_of(&self, member: &str, group: &str) -> bool {
        self.users.get(member).is_some() || (member != group && self.groups.get(member).is_some())
    }

    /// A membership change altered the derived `groups` of `id` (when it is a user): its
    /// representation changed, so its version moves on, and its `meta.lastModified` to `now`
    /// when known.
    pub(super) fn membership_changed(&mut self, id: &str, now: Option<DateTime<Utc>>) {
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
    pub(super) fn leave_all_groups(&mut self, member: &str) {
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

    pub(super) fn link(&mut self, member: &Arc<str>, group: &Arc<str>) {
        self.memberships.entry(Arc::clone(member)).or_default().push(Arc::clone(group));
    }

    pub(super) fn unlink(&mut self, member: &str, group: &str) {
        if let Some(list) = self.memberships.get_mut(member) {
            list.retain(|g| &**g != group);
            if list.is_empty() {
                self.memberships.remove(member);
            }
        }
    }
}
