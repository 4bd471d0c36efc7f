//! `leakscope run` leaves nothing running: the service's children and a compound `--load-cmd`
//! (one part ignoring SIGTERM) are stopped with their process groups; and a soak too short to
//! judge exits 2 with the numbers it needed.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::time::{Duration, Instant};

use common::*;

/// Processes whose command line starts with `marker` (`exec -a`) and that are not zombies.
fn running_with(marker: &str) -> Vec<u32> {
    let mut found = Vec::new();
    for e in std::fs::read_dir("/proc").unwrap().flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let cmd = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
        let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
        let zombie = stat
            .rsplit_once(')')
            .is_some_and(|(_, r)| r.trim_start().starts_with('Z'));
        if !zombie && String::from_utf8_lossy(&cmd).starts_with(marker) {
            found.push(pid);
        }
    }
    found
}

#[test]
fn run_stops_the_services_children_and_a_compound_load_command() {
    let dir = tempfile::tempdir().unwrap();
    let m = format!("leakscope-run-{}", std::process::id());
    let service = format!(
        "(exec -a {m}-svc-child sleep 300) & exec -a {m}-svc python3 -m http.server --bind 127.0.0.1 0"
    );
    let load = format!(
        "bash -c '(exec -a {m}-load-a sleep 300) & (trap \"\" TERM; exec -a {m}-load-b sleep 300) & wait'"
    );
    let started = Instant::now();
    let out = leakscope()
        .args([
            "run",
            "--duration",
            "3s",
            "--warmup",
            "0s",
            "--interval",
            "500ms",
            "--ready",
            "127.0.0.1:{port}",
        ])
        .arg("--load-cmd")
        .arg(&load)
        .arg("--db")
        .arg(dir.path().join("r.db"))
        .args(["--", "bash", "-c", &service])
        .output()
        .unwrap();
    let took = started.elapsed();
    let err = String::from_utf8_lossy(&out.stderr);
    let gone = wait_for(Duration::from_secs(3), || running_with(&m).is_empty());
    let left = running_with(&m);
    for p in &left {
        unsafe { libc::kill(*p as i32, libc::SIGKILL) };
    }
    assert!(gone, "left running: {left:?}: {err}");
    // The part of the load ignoring SIGTERM got SIGKILL after the grace, not a hang.
    assert!(took < Duration::from_secs(25), "{took:?}");

    // A 3 s soak cannot be judged: exit 2, one sentence with the real numbers.
    assert_eq!(out.status.code(), Some(2), "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("could not be judged"))
        .unwrap_or_else(|| panic!("{err}"));
    assert!(line.contains("needs at least 10 samples over 30"), "{line}");
    assert!(!err.contains("0 minutes"), "{err}");
}
