//! Helpers shared by the cases.

use crate::lifecycle::Lifecycle;
use crate::{DynUserStore, Group, TenantId, User, UserStatus, urn};
use chrono::{DateTime, Duration, TimeZone, Utc};
use serde_json::{Value, json};
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// A tenant id private to one case.
pub(crate) fn tenant(case: &str, name: &str) -> TenantId {
    TenantId::new(format!("conformance-{case}-{name}"))
}

/// A fixed instant the cases start from.
pub(crate) fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 3, 1, 12, 0, 0).single().unwrap_or_default()
}

/// A user document as the provisioning service would hand it to a store.
pub(crate) fn user(id: &str, user_name: &str) -> User {
    user_at(id, user_name, t0())
}

pub(crate) fn user_at(id: &str, user_name: &str, created: DateTime<Utc>) -> User {
    let mut u = User::from_json(json!({
        "schemas": [urn::USER, urn::LIFECYCLE_USER],
        "id": id,
        "userName": user_name,
        "active": true,
        "name": {"givenName": "Given", "familyName": "Family"},
    }));
    u.set_created(created);
    u.set_last_modified(created);
    u.set_lifecycle(&Lifecycle::default());
    u
}

/// `user` turned into a suspended user that will be purged at `purge_at`.
pub(crate) fn suspended(mut u: User, at: DateTime<Utc>, purge_at: DateTime<Utc>) -> User {
    u.as_object_mut().insert("active".into(), Value::Bool(false));
    u.set_lifecycle(&Lifecycle {
        status: UserStatus::Suspended,
        invited_at: None,
        activated_at: None,
        suspended_at: Some(at),
        purge_at: Some(purge_at),
    });
    u
}

/// A group document with members.
pub(crate) fn group(id: &str, display_name: &str, members: &[&str]) -> Group {
    let members: Vec<Value> = members.iter().map(|m| json!({"value": m, "type": "User"})).collect();
    let mut doc = json!({"schemas": [urn::GROUP], "id": id, "displayName": display_name});
    if !members.is_empty() {
        doc["members"] = Value::Array(members);
    }
    let mut g = Group::from_json(doc);
    g.set_created(t0());
    g.set_last_modified(t0());
    g
}

/// The document without `meta` (for comparing content across writes).
pub(crate) fn content(v: &Value) -> Value {
    let mut v = v.clone();
    if let Some(o) = v.as_object_mut() {
        o.remove("meta");
    }
    v
}

/// Ids of a page's users, in order.
pub(crate) fn ids(users: &[User]) -> Vec<String> {
    users.iter().map(|u| u.id().unwrap_or_default().to_owned()).collect()
}

/// Member values of a group's document.
pub(crate) fn member_values(g: &Group) -> Vec<String> {
    let mut v: Vec<String> = g.member_ids().map(str::to_owned).collect();
    v.sort();
    v
}

/// Group ids in a user's derived `groups`.
pub(crate) fn group_values(u: &User) -> Vec<String> {
    let mut v: Vec<String> = u
        .as_object()
        .get("groups")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|g| g.get("value").and_then(Value::as_str).map(str::to_owned))
        .collect();
    v.sort();
    v
}

/// Creates `n` users `u000…` named `user000@example.com…`, one minute apart.
pub(crate) async fn seed(users: &DynUserStore, t: &TenantId, n: usize) -> Vec<User> {
    let mut out = Vec::with_capacity(n);
    for i in 0..n {
        let created = t0() + Duration::minutes(i64::try_from(i).unwrap_or(0));
        let u = user_at(&format!("u{i:03}"), &format!("user{i:03}@example.com"), created);
        out.push(users.create(t, u).await.expect("create"));
    }
    out
}

/// Yields to the executor once, so concurrent futures interleave between a read and a write.
pub(crate) fn yield_once() -> impl Future<Output = ()> {
    struct YieldOnce(bool);
    impl Future for YieldOnce {
        type Output = ();
        fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<()> {
            if self.0 {
                Poll::Ready(())
            } else {
                self.0 = true;
                cx.waker().wake_by_ref();
                Poll::Pending
            }
        }
    }
    YieldOnce(false)
}

/// Runs futures concurrently on the current task and collects their outputs in order.
pub(crate) async fn join_all<'a, T>(futures: Vec<Pin<Box<dyn Future<Output = T> + Send + 'a>>>) -> Vec<T> {
    struct JoinAll<'a, T> {
        futures: Vec<Option<Pin<Box<dyn Future<Output = T> + Send + 'a>>>>,
        outputs: Vec<Option<T>>,
    }
    impl<T> Unpin for JoinAll<'_, T> {}
    impl<T> Future for JoinAll<'_, T> {
        type Output = Vec<T>;
        fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Vec<T>> {
            let this = self.get_mut();
            let mut pending = false;
            for (slot, out) in this.futures.iter_mut().zip(this.outputs.iter_mut()) {
                if let Some(f) = slot {
                    match f.as_mut().poll(cx) {
                        Poll::Ready(v) => {
                            *out = Some(v);
                            *slot = None;
                        }
                        Poll::Pending => pending = true,
                    }
                }
            }
            if pending {
                Poll::Pending
            } else {
                Poll::Ready(this.outputs.iter_mut().filter_map(Option::take).collect())
            }
        }
    }
    let outputs = futures.iter().map(|_| None).collect();
    JoinAll { futures: futures.into_iter().map(Some).collect(), outputs }.await
}
