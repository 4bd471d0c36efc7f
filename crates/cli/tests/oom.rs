//! A real OOM kill: a supervised command in a memory cgroup with a small limit allocates past
//! it, the kernel kills it, and `watch` names the exit an OOM kill.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::*;

#[test]
fn an_oom_killed_command_is_named_as_such() {
    let (cg, procs) = match memory_cgroup("oom-test", 48 << 20) {
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
