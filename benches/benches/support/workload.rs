//! A minimal loader of the generated workload, shared by the `validate` and `project` benches
//! (included with `#[path]`). `users.jsonl` / `groups.jsonl` are generated into
//! `<target dir>/bench-data/` by `data/gen_users.py` (Python 3) when missing.

use serde_json::Value;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The cargo target directory: `CARGO_TARGET_DIR` when absolute, else found from the bench
/// executable (`<target>/<profile>/deps/<bench>`).
fn target_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("CARGO_TARGET_DIR").map(PathBuf::from).filter(|d| d.is_absolute()) {
        return dir;
    }
    std::env::current_exe()
        .ok()
        .and_then(|exe| {
            let deps = exe.ancestors().find(|p| p.file_name().is_some_and(|n| n == "deps"))?;
            Some(deps.parent()?.parent()?.to_path_buf())
        })
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"))
}

fn data_file(name: &str) -> PathBuf {
    let dir = target_dir().join("bench-data");
    let (users, groups) = (dir.join("users.jsonl"), dir.join("groups.jsonl"));
    if !users.exists() || !groups.exists() {
        std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("cannot create {}: {e}", dir.display()));
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("data/gen_users.py");
        let status = Command::new("python3")
            .arg(&script)
            .arg("-o")
            .arg(&users)
            .arg("--groups-out")
            .arg(&groups)
            .status()
            .unwrap_or_else(|e| panic!("cannot run python3 {}: {e}", script.display()));
        assert!(status.success(), "{} failed: {status}", script.display());
    }
    dir.join(name)
}

fn load(name: &str) -> Vec<Value> {
    let path = data_file(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
        .collect()
}

/// The generated users.
pub(crate) fn load_users() -> Vec<Value> {
    load("users.jsonl")
}

/// The generated groups.
#[allow(dead_code)] // Not every bench that includes this module uses it.
pub(crate) fn load_groups() -> Vec<Value> {
    load("groups.jsonl")
}
