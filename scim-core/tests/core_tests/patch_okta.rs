//! Every PATCH shape of Okta (see the workspace's `OKTA.md`), replayed from
//! `tests/fixtures/okta/*.json`: request in, resulting resource asserted.

fixture_tests!("okta":
    deactivate,
    echoed_read_only_keys,
    group_add_existing_member,
    group_full_push,
    group_membership_remove_and_add,
    group_rename,
    group_rename_other_id,
    group_rename_unchanged,
    password_sync,
    reactivate,
);
