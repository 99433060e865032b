//! Every PATCH shape of Microsoft Entra ID (see the workspace's `ENTRA.md`), replayed from
//! `tests/fixtures/entra/*.json`: request in, resulting resource asserted.

fixture_tests!("entra":
    add_department_creates_extension,
    add_no_path_dotted_keys,
    add_single_value,
    add_work_email_value_path_creates,
    disable_flag_boolean,
    disable_lowercase_string,
    disable_string_false,
    group_add_member,
    group_remove_member_flag,
    group_remove_member_value_array,
    group_remove_members_ref_null,
    group_rename,
    manager_change_drops_stale_ref,
    manager_path_array,
    manager_remove,
    manager_same_again,
    manager_urn_bare_string,
    reactivate_string_true,
    remove_required_username,
    replace_several_default,
    replace_several_flag,
    unknown_op,
);
