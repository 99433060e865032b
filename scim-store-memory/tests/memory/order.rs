//! Creation order survives removals: listing, page walks (which resume where the previous page
//! ended) and ties in sorting keep the order users were created in, also after the store has
//! dropped the holes left by thousands of deletions.

use scim_core::store::{ListQuery, SortKey, SortOrder};
use scim_core::{TenantId, User, UserStore};
use scim_query::AttrPath;
use scim_store_memory::MemoryUserStore;
use serde_json::json;

fn ids(page: &scim_core::Page<User>) -> Vec<String> {
    page.items.iter().map(|u| u.id().expect("id").to_owned()).collect()
}

#[tokio::test]
async fn creation_order_is_kept_across_deletions_and_compaction() {
    let store = MemoryUserStore::new();
    let t = TenantId::new("t");
    for i in 0..3000 {
        let user = User::from_json(json!({"id": format!("u{i:04}"), "userName": format!("n{i}"),
            "title": if i % 2 == 0 { "even" } else { "odd" }}));
        store.create(&t, user, None).await.expect("create");
    }
    // Delete all but every tenth user, out of order: far more holes than users.
    for i in (0..3000).rev().filter(|i| i % 10 != 0) {
        store.delete(&t, &format!("u{i:04}"), None, None).await.expect("delete");
    }
    for i in 3000..3010 {
        let user = User::from_json(json!({"id": format!("u{i:04}"), "userName": format!("n{i}"), "title": "even"}));
        store.create(&t, user, None).await.expect("create after");
    }
    let expected: Vec<String> = (0..3000).step_by(10).chain(3000..3010).map(|i| format!("u{i:04}")).collect();

    let all = store.list(&t, &ListQuery::new().with_count(1000)).await.expect("list");
    assert_eq!(all.total_results, 310);
    assert_eq!(ids(&all), expected, "creation order");

    let mut walked = Vec::new();
    for start in (1..=310).step_by(25) {
        let page = store.list(&t, &ListQuery::new().with_start_index(start).with_count(25)).await;
        walked.extend(ids(&page.expect("page")));
    }
    assert_eq!(walked, expected, "a page walk sees every user once, in order");
    let deep = store.list(&t, &ListQuery::new().with_start_index(300).with_count(5)).await;
    assert_eq!(ids(&deep.expect("page")), expected[299..304]);

    let sort_by = SortKey { path: AttrPath::new("title"), facts: None };
    let sorted = store
        .list(&t, &ListQuery::new().with_count(1000).with_sort(sort_by, SortOrder::Ascending))
        .await
        .expect("sorted");
    // Every remaining user of the first 3000 is even: all "even", ties in creation order.
    assert_eq!(ids(&sorted), expected, "ties keep the creation order");
}
