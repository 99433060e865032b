//! Fairness under expensive queries: the scan budget ([`Limits::max_scan`]) is enforced
//! alike over every store, since the service decides from the filter and the tenant's size.

use crate::support::{group, seed, tenant};
use scim_core::{DynGroupStore, DynUserStore, GroupStore, Limits, ListRequest, Provisioning, ScimError, ScimType};
use std::sync::Arc;

fn too_many(e: &ScimError) -> bool {
    e.status() == http::StatusCode::BAD_REQUEST && e.scim_type() == Some(ScimType::TooMany)
}

/// A list that scans more users (or groups) than the budget is `400 tooMany`, with a detail
/// that names the count, the budget and the indexed alternative; the same list within the
/// budget is served, and so are indexed lookups and unfiltered pages at any size.
pub async fn service_scans_over_the_budget_are_too_many(users: Arc<DynUserStore>, groups: Arc<DynGroupStore>) {
    let (t, small) = (tenant("svc_scan", "a"), tenant("svc_scan", "b"));
    seed(&*users, &t, 5).await;
    seed(&*users, &small, 2).await;
    for (id, name) in [("g1", "Sales"), ("g2", "Support"), ("g3", "Engineering")] {
        groups.create(&t, group(id, name, &[]), None).await.expect("group");
    }
    let service = |max: usize| {
        Provisioning::from_stores(users.clone(), groups.clone()).with_limits(Limits::default().with_max_scan(Some(max)))
    };
    let over = service(4);
    let scan = ListRequest::new().with_filter(r#"title co "zzz""#);

    let e = over.list_users(&t, &scan).await.expect_err("5 users to examine, 4 allowed");
    assert!(too_many(&e), "{e:?}");
    let detail = e.detail();
    assert!(detail.contains('5') && detail.contains('4') && detail.contains("userName eq"), "{detail}");
    for request in [
        ListRequest::new().with_sort("title", "ascending"),
        ListRequest::new().with_filter(r#"userName eq "user000@example.com" or title pr"#),
        ListRequest::new().with_filter(r#"not (userName eq "user000@example.com")"#),
    ] {
        assert!(too_many(&over.list_users(&t, &request).await.expect_err("a scan")), "{request:?}");
    }
    // Indexed lookups and unfiltered pages are not scans.
    for (filter, expected) in [
        (Some(r#"userName eq "USER001@example.com""#), 1),
        (Some(r#"id eq "u002" or externalId eq "nobody""#), 1),
        (Some(r#"userName eq "user003@example.com" and title co "zzz""#), 0),
        (None, 5),
    ] {
        let request = filter.map_or_else(ListRequest::new, |f| ListRequest::new().with_filter(f));
        let page = over.list_users(&t, &request).await.expect("no scan");
        assert_eq!(page.total_results, expected, "{filter:?}");
    }
    // The budget counts the tenant's own users.
    assert_eq!(over.list_users(&small, &scan).await.expect("2 users to examine").total_results, 0);
    // Within the budget the same scan is served, sorted lists too.
    let within = service(5);
    assert_eq!(within.list_users(&t, &scan).await.expect("5 of 5").total_results, 0);
    let sorted = within.list_users(&t, &ListRequest::new().with_sort("userName", "descending")).await.expect("sort");
    assert_eq!(sorted.items.first().and_then(|u| u.user_name()), Some("user004@example.com"));
    let unlimited = Provisioning::from_stores(users.clone(), groups.clone())
        .with_limits(Limits::default().with_max_scan(None))
        .list_users(&t, &scan)
        .await
        .expect("no budget");
    assert_eq!(unlimited.total_results, 0);

    // Groups: the same rule, with displayName as the indexed name.
    let over = service(2);
    let e = over.list_groups(&t, &ListRequest::new().with_filter(r#"displayName co "S""#)).await.expect_err("3 > 2");
    assert!(too_many(&e) && e.detail().contains("displayName eq"), "{e:?}");
    let page = over.list_groups(&t, &ListRequest::new().with_filter(r#"displayName eq "sales""#)).await.expect("eq");
    assert_eq!(page.total_results, 1);
    let page = service(3).list_groups(&t, &ListRequest::new().with_filter(r#"displayName co "S""#)).await;
    assert_eq!(page.expect("3 of 3").total_results, 2);
}
