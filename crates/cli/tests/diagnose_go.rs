//! `watch --diagnose --pprof URL` end to end on the Go example services, built with `go
//! build`: the leaking cache's alert names its allocation site (`service.Payload` reached from
//! `main.handle` in `cache/leaky/main.go`) from /debug/pprof/heap; the goroutine leak's names
//! the blocked goroutines' site in `goroutines/leaky/main.go` from /debug/pprof/goroutine; a
//! diagnosis of either fixed twin, if one comes at all, names nothing. No signal is sent.
//!
//! Skips (passing, with a message) when `go` is not installed.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use common::*;

/// `go build` of `examples/go/<example>` into `dir`; `None` (a skip) without Go.
fn go_build(example: &str, dir: &Path) -> Option<PathBuf> {
    let have = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !have {
        eprintln!("SKIP: go is not installed");
        return None;
    }
    let out = dir.join(example.replace('/', "-"));
    let ok = Command::new("go")
        .args(["build", "-o"])
        .arg(&out)
        .arg(format!("./{example}"))
        .current_dir(repo().join("examples/go"))
        .status()
        .unwrap()
        .success();
    assert!(ok, "go build ./{example}");
    Some(out)
}

/// `watch --diagnose --pprof` of the built service `exe`.
fn watch(exe: &Path, dir: &Path) -> (Child, u16, mpsc::Receiver<String>) {
    let port = free_port();
    let config = write(
        dir,
        "diagnose.toml",
        "[diagnose]\ncaptures = 3\nmin_spacing = \"2s\"\nmax_spacing = \"3s\"\ntimeout = \"60s\"\n",
    );
    let mut child = leakscope()
        .args(["watch", "--diagnose", "--config"])
        .arg(&config)
        .args(["--interval", "1s", "--min-span", "30s", "--warmup", "5s"])
        .args(["--alert-growth", "1MB", "--alert-window", "20s", "--db"])
        .arg(dir.join("g.db"))
        .arg("--log")
        .arg(dir.join("g.jsonl"))
        .arg("--pprof")
        .arg(format!("http://127.0.0.1:{port}"))
        .arg("--")
        .arg(exe)
        .args(["--port", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = stderr_lines(&mut child);
    if !listening(port, Duration::from_secs(20)) {
        terminate(&mut child);
        panic!("{} did not start", exe.display());
    }
    (child, port, rx)
}

/// The leaking service under load until its alert carries a diagnosis: that alert.
fn diagnosed(exe: &Path) -> serde_json::Value {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port, lines) = watch(exe, dir.path());
    let stop = Arc::new(AtomicBool::new(false));
    let load = drive(port, 400, Arc::clone(&stop));
    let (alert, seen) = first_diagnosed_alert(&lines, Duration::from_secs(150));
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();
    let code = terminate(&mut child).code();
    let alert = alert.unwrap_or_else(|| panic!("no diagnosis in the alerts:\n{}", seen.join("\n")));
    assert_eq!(code, Some(1), "a leak was found");
    assert_eq!(alert["diagnosis"]["format"], "pprof", "{alert}");
    alert
}

/// The fixed service under the same load for 40 s: any diagnosis names nothing.
fn fixed_names_nothing(exe: &Path) {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port, lines) = watch(exe, dir.path());
    let stop = Arc::new(AtomicBool::new(false));
    let load = drive(port, 400, Arc::clone(&stop));
    std::thread::sleep(Duration::from_secs(40));
    stop.store(true, Ordering::Relaxed);
    assert!(load.join().unwrap() > 5000, "load was driven");
    let code = terminate(&mut child).code();
    let seen: Vec<String> = lines.try_iter().collect();
    assert_no_culprit_named(&seen, code);
}

/// One test, so that the services do not share the two cores with each other.
#[test]
fn go_services_get_their_heap_and_goroutine_culprits_named_and_fixed_twins_none() {
    let bin = tempfile::tempdir().unwrap();
    let Some(cache_leaky) = go_build("cache/leaky", bin.path()) else {
        return;
    };
    let alert = diagnosed(&cache_leaky);
    let top = &alert["diagnosis"]["suspects"][0];
    assert_eq!(top["pattern"], "growing-allocation-site", "{alert}");
    assert!(
        top["name"].as_str().unwrap().contains("service.Payload"),
        "{top}"
    );
    let path: Vec<&str> = top["retainer_path"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .collect();
    assert!(
        path.iter()
            .any(|f| f.starts_with("main.handle") && f.contains("cache/leaky/main.go")),
        "{top}"
    );
    // Heap and goroutine profiles, three each.
    assert_eq!(
        alert["diagnosis"]["evidence"].as_array().unwrap().len(),
        6,
        "{alert}"
    );
    fixed_names_nothing(&go_build("cache/fixed", bin.path()).unwrap());

    let alert = diagnosed(&go_build("goroutines/leaky", bin.path()).unwrap());
    // The goroutine profiles' diff: goroutines blocked on the send nobody receives.
    let main = repo().join("examples/go/goroutines/leaky/main.go");
    let send = std::fs::read_to_string(&main)
        .unwrap()
        .lines()
        .position(|l| l.trim_start().starts_with("recs <- page"))
        .unwrap()
        + 1;
    let site = format!("goroutines/leaky/main.go:{send}");
    let suspects = alert["diagnosis"]["suspects"].as_array().unwrap();
    let blocked = suspects
        .iter()
        .find(|s| s["pattern"] == "blocked-goroutines")
        .unwrap_or_else(|| panic!("no blocked goroutines named: {alert}"));
    assert!(
        blocked["name"].as_str().unwrap().contains(&site),
        "{site}: {blocked}"
    );
    assert!(blocked["count_delta"].as_i64().unwrap() > 100, "{blocked}");
    fixed_names_nothing(&go_build("goroutines/fixed", bin.path()).unwrap());
}
