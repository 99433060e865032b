#![doc = include_str!("../README.md")]

mod audit;
mod cursor;
pub mod differential;
mod fairness;
mod filters;
mod groups;
mod interleaving;
mod paging;
mod provisioning;
mod purge;
mod support;
mod users;

pub use audit::*;
pub use cursor::*;
pub use fairness::*;
pub use filters::*;
pub use groups::*;
pub use interleaving::Interleaving;
pub use paging::*;
pub use provisioning::*;
pub use purge::*;
pub use users::*;

/// The names of every case, in the order [`conformance_tests!`] runs them.
pub const CASES: &[&str] = crate::__conformance_list!(@names);

/// Generates one `#[tokio::test]` per case of the suite, each running it on a fresh store
/// made by the given expression (which may `.await`): `case(store.clone(), store)`, the store
/// in an `Arc`. See the [crate docs](crate).
#[macro_export]
macro_rules! conformance_tests {
    ($make:expr) => {
        $crate::__conformance_list!(@tests $make);
    };
}

/// The list of cases, handed to [`__conformance_expand!`](crate::__conformance_expand). A case
/// missing here fails the suite's own test `every_case_is_listed`.
#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_list {
    ($($mode:tt)*) => {
        $crate::__conformance_expand! {($($mode)*);
            // users
            create_get_round_trip,
            create_sets_first_version,
            create_duplicate_id_is_uniqueness,
            duplicate_user_name_is_uniqueness,
            duplicate_user_name_ignores_unicode_case,
            duplicate_user_name_of_suspended_user_is_uniqueness,
            user_name_is_free_again_after_delete,
            rename_to_taken_user_name_is_uniqueness,
            rename_to_own_user_name_in_other_case,
            get_unknown_user_is_not_found,
            replace_unknown_user_is_not_found,
            delete_unknown_user_is_not_found,
            replace_bumps_version,
            replace_with_stale_version_fails,
            replace_with_matching_version_forms,
            delete_with_stale_version_fails,
            concurrent_writers_lose_no_update,
            hard_delete_makes_user_not_found,
            stored_groups_attribute_is_ignored,
            // tenants
            tenants_never_see_each_other,
            tenants_cannot_change_each_others_users,
            tenants_cannot_delete_each_others_users,
            tenants_have_separate_user_names,
            tenants_cannot_touch_each_others_groups,
            // lifecycle (store level)
            suspended_user_stays_visible,
            purge_removes_user_at_boundary,
            purge_keeps_user_one_second_before,
            purge_ignores_live_users,
            purge_respects_restore,
            purge_respects_new_purge_time,
            purge_spans_tenants,
            purge_removes_memberships,
            // groups
            group_create_get_round_trip,
            group_duplicate_display_name_is_uniqueness,
            group_rename_to_taken_display_name_is_uniqueness,
            group_get_without_members,
            modify_members_adds_and_removes,
            modify_members_with_stale_version_fails,
            modify_members_unknown_group_is_not_found,
            group_replace_replaces_members,
            user_groups_are_derived_from_memberships,
            delete_user_removes_it_from_groups,
            delete_group_removes_it_from_user_groups,
            delete_group_removes_it_from_parent_groups,
            group_members_must_exist,
            membership_changes_move_member_versions,
            group_replace_storing_nothing_new_keeps_the_version,
            group_list_by_display_name,
            // lists
            list_of_empty_tenant,
            list_in_creation_order,
            list_count_zero_gives_total_only,
            list_past_the_end_is_empty,
            list_pages_walk_every_user_once,
            list_filter_then_page,
            sort_by_user_name_ignores_case,
            sort_descending_reverses,
            sort_by_created,
            sort_missing_values_last_ascending_first_descending,
            sort_ties_keep_creation_order,
            // keyset paging and cursor walks
            keyset_walk_unsorted_visits_every_user_once,
            keyset_walk_sorted_both_directions,
            keyset_walk_with_filter,
            keyset_walk_under_writes_returns_stable_users_once,
            keyset_walk_of_groups,
            service_cursor_walk_and_errors,
            // filters
            filter_table_matches_evaluation,
            filter_user_name_eq_ignores_case,
            filter_or_of_ids,
            filter_sees_suspended_users,
            // the provisioning service over the store
            service_create_is_pending_and_invites,
            service_create_inactive_is_suspended,
            service_restore_of_never_invited_user_invites,
            service_restore_of_users_stored_without_invited_at,
            service_suspend_and_restore_keep_every_attribute,
            service_restore_returns_active_user_to_active,
            service_accept_invitation_activates,
            service_suspended_user_cannot_accept_invitation,
            service_purge_at_boundary,
            service_expired_user_reads_as_not_found,
            service_restore_one_second_before_purge,
            service_delete_is_immediate_and_permanent,
            service_concurrent_patches_lose_no_update,
            service_concurrent_patches_with_if_match_any_lose_no_update,
            service_concurrent_group_patches_with_if_match_any_lose_no_update,
            service_stale_if_match_is_412,
            service_resources_over_the_size_bound_are_refused,
            service_replace_keeps_id_and_created,
            service_paging_edges,
            service_group_member_patches,
            service_nul_characters_are_refused_and_match_nothing,
            service_overlong_keys_are_refused,
            // the audit log
            audit_records_every_service_write,
            audit_failed_writes_keep_no_record,
            audit_purges_are_recorded,
            audit_paging_filters_and_retention,
            audit_can_be_turned_off,
            // fairness under expensive queries
            service_scans_over_the_budget_are_too_many,
        }
    };
}

#[doc(hidden)]
#[macro_export]
macro_rules! __conformance_expand {
    ((@names); $($case:ident),* $(,)?) => {
        &[$(stringify!($case)),*]
    };
    ((@tests $make:expr); $($case:ident),* $(,)?) => {
        $(
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn $case() {
                let store = ::std::sync::Arc::new($make);
                $crate::$case(store.clone(), store).await;
            }
        )*
    };
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    /// The sources that define cases.
    const SOURCES: &[&str] = &[
        include_str!("audit.rs"),
        include_str!("cursor.rs"),
        include_str!("fairness.rs"),
        include_str!("filters.rs"),
        include_str!("groups.rs"),
        include_str!("paging.rs"),
        include_str!("provisioning.rs"),
        include_str!("purge.rs"),
        include_str!("users.rs"),
    ];

    /// Every `pub async fn` of the sources, that is every case.
    fn defined() -> BTreeSet<&'static str> {
        SOURCES
            .iter()
            .flat_map(|src| src.lines())
            .filter_map(|line| line.strip_prefix("pub async fn "))
            .map(|rest| rest.split(['(', '<']).next().unwrap_or(rest).trim())
            .collect()
    }

    #[test]
    fn every_case_is_listed() {
        let listed: BTreeSet<&str> = super::CASES.iter().copied().collect();
        assert_eq!(listed.len(), super::CASES.len(), "a case is listed twice");
        let defined = defined();
        let missing: Vec<&&str> = defined.difference(&listed).collect();
        assert!(missing.is_empty(), "cases defined but not in conformance_tests!: {missing:?}");
        let unknown: Vec<&&str> = listed.difference(&defined).collect();
        assert!(unknown.is_empty(), "cases listed but not defined: {unknown:?}");
    }
}
