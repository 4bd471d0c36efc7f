//! A real OOM kill: a supervised command in a memory cgroup with a small limit allocates past
//! it, the kernel kills it, and `watch` names the exit an OOM kill.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::PathBuf;

use common::*;

/// A fresh memory cgroup with `limit` bytes, v1 or v2, or None (with the reason) when this
/// machine does not let us make one.
fn make_cgroup(limit: u64) -> Result<(PathBuf, &'static str), String> {
    let name = format!("leakscope-oom-test-{}", std::process::id());
    let v2_root = PathBuf::from("/sys/fs/cgroup");
    let v2_ok = std::fs::read_to_string(v2_root.join("cgroup.subtree_control"))
        .map(|s| s.split_whitespace().any(|c| c == "memory"))
        .unwrap_or(false);
    let (dir, limit_file, procs) = if v2_ok {
        (v2_root.join(&name), "memory.max", "cgroup.procs")
    } else {
        (
            PathBuf::from("/sys/fs/cgroup/memory").join(&name),
            "memory.limit_in_bytes",
            "cgroup.procs",
        )
    };
    std::fs::create_dir(&dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    if let Err(e) = std::fs::write(dir.join(limit_file), limit.to_string()) {
        let _ = std::fs::remove_dir(&dir);
        return Err(format!("cannot set {limit_file}: {e}"));
    }
    // v1: no swap to fall back on, so the limit bites.
    let _ = std::fs::write(dir.join("memory.swappiness"), "0");
    Ok((dir, procs))
}

#[test]
fn an_oom_killed_command_is_named_as_such() {
    let (cg, procs) = match make_cgroup(48 << 20) {
        Ok(x) => x,
        Err(why) => {
            eprintln!("SKIP: no writable memory cgroup here ({why})");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    // The shell moves itself into the cgroup, then becomes python, which allocates past the limit.
    let script = format!(
        "echo $$ > {}/{procs} && exec python3 -c 'import time\nb=[]\nfor i in range(100):\n    b.append(bytearray(8<<20)); time.sleep(0.05)\n'",
        cg.display()
    );
    let out = leakscope()
        .args(["watch", "--interval", "20ms", "--count", "500", "--db"])
        .arg(dir.path().join("o.db"))
        .args(["--", "sh", "-c", &script])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir(&cg);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OOM-killed"), "stderr: {err}");
    let log = String::from_utf8_lossy(&out.stdout);
    let ev: serde_json::Value = log
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|l| l["event"].is_string())
        .expect("an event line");
    assert_eq!(ev["event"], "oom_kill");
    assert_eq!(ev["signal"], 9);
    assert!(err.contains("OomKilled"), "an OOM alert: {err}");
}
