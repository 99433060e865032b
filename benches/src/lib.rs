//! Shared helpers of the benches: the workload in `data/` (see `data/README` in the shared
//! benchmark description): 33 filters, 24 PATCH bodies, and the generated users and groups.
//!
//! `users.jsonl` / `groups.jsonl` are not committed; [`users_path`] generates them with
//! `data/gen_users.py` into `<target dir>/bench-data/` on first use and checks their sha256.
//!
//! These helpers panic with a clear message when the workload is missing or corrupt: a bench
//! cannot do anything useful without it.

use sha2::{Digest, Sha256};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// With the `jemalloc` feature, every bench (each links this crate) allocates as the example
/// server does.
#[cfg(all(feature = "jemalloc", not(target_env = "msvc")))]
#[global_allocator]
static ALLOCATOR: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

/// sha256 of the default `users.jsonl` (10 000 users, seed 7644).
pub const USERS_SHA256: &str = "98edca86cc33c92effa3451b04cc7607a29ba3b11da4a6ae7f6884a9fb287c57";
/// sha256 of the default `groups.jsonl` (50 groups, seed 7644).
pub const GROUPS_SHA256: &str = "441975d5a6b434163028318cf58fb748c91e5e9cfbc9a681ef27cefd5f428294";

/// Number of users in the default workload.
pub const USER_COUNT: usize = 10_000;

/// How many of the 10 000 default users each filter of `filters.txt` matches (`f01`…`f33`),
/// as given by the workload's README.
pub const EXPECTED_MATCHES: [(&str, usize); 33] = [
    ("f01", 1),
    ("f02", 0),
    ("f03", 1),
    ("f04", 1),
    ("f05", 1),
    ("f06", 9),
    ("f07", 266),
    ("f08", 286),
    ("f09", 10000),
    ("f10", 9005),
    ("f11", 995),
    ("f12", 8953),
    ("f13", 286),
    ("f14", 5919),
    ("f15", 10000),
    ("f16", 10000),
    ("f17", 5919),
    ("f18", 1006),
    ("f19", 5719),
    ("f20", 1955),
    ("f21", 1590),
    ("f22", 1045),
    ("f23", 21),
    ("f24", 9005),
    ("f25", 280),
    ("f26", 3),
    ("f27", 7868),
    ("f28", 9005),
    ("f29", 8540),
    ("f30", 1007),
    ("f31", 418),
    ("f32", 2285),
    ("f33", 10),
];

/// The expected match count of filter `id` (`"f01"`…), if it is one of the workload's filters.
pub fn expected_matches(id: &str) -> Option<usize> {
    EXPECTED_MATCHES.iter().find(|(k, _)| *k == id).map(|(_, n)| *n)
}

/// The committed workload directory (`benches/data`).
pub fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("data")
}

/// The cargo target directory: `CARGO_TARGET_DIR` when absolute, otherwise found from the
/// running executable (`<target>/<profile>/deps/<bench>`).
pub fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).filter(|d| d.is_absolute()) {
        return dir;
    }
    let exe = std::env::current_exe().expect("cannot find the path of the running bench executable");
    exe.ancestors()
        .find(|p| p.file_name().is_some_and(|n| n == "deps"))
        .and_then(|deps| deps.parent()?.parent())
        .map(Path::to_path_buf)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

fn file_matches(path: &Path, sha: &str) -> bool {
    std::fs::read(path).is_ok_and(|bytes| sha256_hex(&bytes) == sha)
}

/// Paths of `users.jsonl` and `groups.jsonl`, generated (and checked) on first use.
fn generated() -> &'static (PathBuf, PathBuf) {
    static PATHS: OnceLock<(PathBuf, PathBuf)> = OnceLock::new();
    PATHS.get_or_init(|| {
        let dir = target_dir().join("bench-data");
        let users = dir.join("users.jsonl");
        let groups = dir.join("groups.jsonl");
        if file_matches(&users, USERS_SHA256) && file_matches(&groups, GROUPS_SHA256) {
            return (users, groups);
        }
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        // Generate under temporary names, then rename: benches running at once never see half a file.
        let pid = std::process::id();
        let tmp_users = dir.join(format!("users.jsonl.{pid}.tmp"));
        let tmp_groups = dir.join(format!("groups.jsonl.{pid}.tmp"));
        let script = data_dir().join("gen_users.py");
        eprintln!("generating the benchmark users into {} ...", dir.display());
        let status = Command::new("python3")
            .arg(&script)
            .arg("-o")
            .arg(&tmp_users)
            .arg("--groups-out")
            .arg(&tmp_groups)
            .status()
            .unwrap_or_else(|e| panic!("cannot run python3 {}: {e} (Python 3 is needed once)", script.display()));
        assert!(status.success(), "{} failed with {status}", script.display());
        for (tmp, sha) in [(&tmp_users, USERS_SHA256), (&tmp_groups, GROUPS_SHA256)] {
            let got = sha256_hex(&std::fs::read(tmp).unwrap_or_else(|e| panic!("cannot read {}: {e}", tmp.display())));
            assert_eq!(got, sha, "{} has sha256 {got}, expected {sha}: the generator's output changed", tmp.display());
        }
        std::fs::rename(&tmp_users, &users).unwrap_or_else(|e| panic!("cannot rename to {}: {e}", users.display()));
        std::fs::rename(&tmp_groups, &groups).unwrap_or_else(|e| panic!("cannot rename to {}: {e}", groups.display()));
        (users, groups)
    })
}

/// Path of the generated `users.jsonl` (10 000 users), checked against [`USERS_SHA256`].
pub fn users_path() -> PathBuf {
    generated().0.clone()
}

/// Path of the generated `groups.jsonl` (50 groups), checked against [`GROUPS_SHA256`].
pub fn groups_path() -> PathBuf {
    generated().1.clone()
}

fn load_jsonl(path: &Path) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .enumerate()
        .map(|(n, line)| {
            serde_json::from_str(line).unwrap_or_else(|e| panic!("{} line {}: {e}", path.display(), n + 1))
        })
        .collect()
}

/// The 10 000 users, as JSON objects.
pub fn load_users() -> Vec<serde_json::Value> {
    load_jsonl(&users_path())
}

/// The 50 groups, as JSON objects.
pub fn load_groups() -> Vec<serde_json::Value> {
    load_jsonl(&groups_path())
}

/// The filters of `data/filters.txt` as `(id, filter)`, ids `f01`…`f33` by line number.
pub fn filters() -> Vec<(String, String)> {
    let path = data_dir().join("filters.txt");
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.is_empty())
        .map(|(n, l)| (format!("f{:02}", n + 1), l.to_owned()))
        .collect()
}

/// The PATCH requests of `data/patches.jsonl` as `(id, resource type, PatchOp body)`.
pub fn patches() -> Vec<(String, String, serde_json::Value)> {
    load_jsonl(&data_dir().join("patches.jsonl"))
        .into_iter()
        .map(|mut line| {
            let field = |line: &serde_json::Value, k: &str| {
                line.get(k)
                    .and_then(serde_json::Value::as_str)
                    .unwrap_or_else(|| panic!("patch without {k}: {line}"))
                    .to_owned()
            };
            let id = field(&line, "id");
            let resource = field(&line, "resource");
            let body =
                line.get_mut("body").map(serde_json::Value::take).unwrap_or_else(|| panic!("patch {id} without body"));
            (id, resource, body)
        })
        .collect()
}

/// Runs a future that never suspends (the memory store's) to completion.
pub fn block_on<F: std::future::Future>(f: F) -> F::Output {
    let waker = std::task::Waker::noop();
    let mut cx = std::task::Context::from_waker(waker);
    let mut f = std::pin::pin!(f);
    loop {
        if let std::task::Poll::Ready(v) = f.as_mut().poll(&mut cx) {
            return v;
        }
    }
}

/// User `i`, made from workload user `i % base.len()` (`base` from [`load_users`]) with a
/// distinct `id`, `userName` and `externalId`, as the provisioning service hands a new user to
/// its store.
pub fn make_user(base: &[serde_json::Value], i: usize) -> scim_core::User {
    use serde_json::{Value, json};
    let mut doc = base[i % base.len()].clone();
    let o = doc.as_object_mut().expect("workload users are objects");
    o.insert("id".into(), json!(format!("{i:08x}-0000-4000-8000-000000000000")));
    let name = o.get("userName").and_then(Value::as_str).unwrap_or("user@example.com").to_owned();
    o.insert("userName".into(), json!(format!("{i}.{name}")));
    o.insert("externalId".into(), json!(format!("ext{i}")));
    o.remove("meta");
    let mut user = scim_core::User::from_json(doc);
    let t0 = chrono::DateTime::from_timestamp(1_735_689_600, 0).expect("2025-01-01T00:00:00Z");
    user.set_created(t0);
    user.set_last_modified(t0);
    user.set_lifecycle(&scim_core::Lifecycle::default());
    user
}

// The scaled data sets of the store benches.
use chrono::{TimeZone, Utc};
use scim_core::store::{ListQuery, QueryFilter};
use scim_core::{Lifecycle, User};
use scim_query::{CompiledFilter, NoSchema, parse_filter};
use serde_json::{Value, json};

/// User `i` of a scaled data set (the store benches at 10 000 and 1 000 000 users): the
/// workload's user `i % 10 000` with the `userName` [`scaled_name`], and for `i >= 10 000` the
/// `id` [`scaled_id`] and `externalId` `ext-<i>`.
pub fn scaled_user(templates: &[Value], i: usize) -> User {
    let mut doc = templates[i % templates.len()].clone();
    let obj = doc.as_object_mut().expect("workload users are objects");
    obj.insert("id".into(), json!(scaled_id(templates, i)));
    obj.insert("userName".into(), json!(scaled_name(templates, i)));
    if i >= templates.len() {
        obj.insert("externalId".into(), json!(format!("ext-{i}")));
    }
    obj.remove("meta");
    let mut user = User::from_json(doc);
    let t = Utc.with_ymd_and_hms(2026, 1, 1, 0, 0, 0).single().unwrap_or_default();
    user.set_created(t);
    user.set_last_modified(t);
    user.set_lifecycle(&Lifecycle::default());
    user
}

/// The `id` of [`scaled_user`] `i`: the workload's, with its first 8 hex digits `i` beyond 10 000.
pub fn scaled_id(templates: &[Value], i: usize) -> String {
    let id = templates[i % templates.len()]["id"].as_str().unwrap_or("00000000-0000-0000-0000-000000000000");
    if i < templates.len() { id.to_owned() } else { format!("{i:08x}{}", &id[8..]) }
}

/// The `userName` of [`scaled_user`] `i`: `<i, 7 digits>.<the workload's userName>`.
pub fn scaled_name(templates: &[Value], i: usize) -> String {
    let name = templates[i % templates.len()]["userName"].as_str().unwrap_or("user@example.com");
    format!("{i:07}.{name}")
}

/// A list of `count` users under `filter`, compiled without a schema.
pub fn list_query(filter: &str, count: usize) -> ListQuery {
    let parsed = parse_filter(filter).expect("bench filters parse");
    let compiled = CompiledFilter::compile(&parsed, &NoSchema).expect("bench filters compile");
    ListQuery::new().with_filter(QueryFilter { filter: parsed, compiled }).with_count(count)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn workload_files_are_complete() {
        let f = filters();
        assert_eq!(f.len(), 33);
        assert_eq!(f[0], ("f01".to_owned(), r#"userName eq "bjensen@example.com""#.to_owned()));
        assert!(f.iter().all(|(id, _)| expected_matches(id).is_some()));
        let p = patches();
        assert_eq!(p.len(), 24);
        assert!(p.iter().all(|(_, r, b)| (r == "User" || r == "Group") && b.get("Operations").is_some()));
    }
}
