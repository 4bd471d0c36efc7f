//! `watch --diagnose` end to end on the Python example services with the tracemalloc hook
//! (`LEAKSCOPE_TRACEMALLOC=1`, SIGUSR2 dumps): the leaking one's alert names the allocation
//! site in `handle()` of `examples/python/records/leaky.py`; a diagnosis of its fixed twin,
//! if one comes at all, names nothing.
//!
//! Skips (passing, with a message) when `python3` is not installed.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::Duration;

use common::*;

/// `watch --diagnose -- python3 examples/python/records/<variant>.py` with the hook on.
fn watch(variant: &str, dir: &Path) -> (Child, u16, mpsc::Receiver<String>) {
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
        .arg(dir.join("p.db"))
        .arg("--log")
        .arg(dir.join("p.jsonl"))
        .args(["--", "python3"])
        .arg(repo().join(format!("examples/python/records/{variant}.py")))
        // Port 0; the service says its port on stdout, which watch passes to stderr.
        .args(["--port", "0"])
        .env("LEAKSCOPE_TRACEMALLOC", "1")
        .env("LEAKSCOPE_TRACEMALLOC_DIR", dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = stderr_lines(&mut child);
    let Some(port) = listening_port(&rx, Duration::from_secs(20)) else {
        terminate(&mut child);
        panic!("the {variant} service did not start");
    };
    (child, port, rx)
}

/// The lines of `handle()` in `file`: where the leaked records are allocated.
fn handle_lines(file: &Path) -> std::ops::RangeInclusive<usize> {
    let text = std::fs::read_to_string(file).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let start = lines
        .iter()
        .position(|l| l.starts_with("def handle("))
        .unwrap();
    let end = (start + 1..lines.len())
        .find(|&i| !lines[i].is_empty() && !lines[i].starts_with(' '))
        .unwrap_or(lines.len());
    start + 1..=end
}

/// One test, so that the two services do not share the two cores with each other.
#[test]
fn a_leaking_python_service_gets_its_allocation_site_named_and_its_fixed_twin_none() {
    if !have("python3") {
        return;
    }
    leaky_gets_its_site_named();
    fixed_twin_gets_no_culprit();
}

fn leaky_gets_its_site_named() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port, lines) = watch("leaky", dir.path());
    let stop = Arc::new(AtomicBool::new(false));
    let load = drive(port, 300, Arc::clone(&stop));
    let (diagnosed, seen) = first_diagnosed_alert(&lines, Duration::from_secs(150));
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();
    let code = terminate(&mut child).code();
    let alert =
        diagnosed.unwrap_or_else(|| panic!("no diagnosis in the alerts:\n{}", seen.join("\n")));
    assert_eq!(code, Some(1), "a leak was found");
    let d = &alert["diagnosis"];
    assert_eq!(d["format"], "tracemalloc", "{alert}");
    let top = &d["suspects"][0];
    assert_eq!(top["pattern"], "growing-allocation-site", "{alert}");
    let name = top["name"].as_str().unwrap();
    // `.../records/leaky.py:LINE`, a line of handle().
    let file = repo().join("examples/python/records/leaky.py");
    let (path, line) = name.rsplit_once(':').unwrap_or((name, ""));
    assert!(path.ends_with("records/leaky.py"), "{top}");
    let line: usize = line.parse().unwrap_or_else(|_| panic!("no line in {name}"));
    assert!(handle_lines(&file).contains(&line), "{top}");
    assert!(top["size_delta"].as_i64().unwrap() > 100_000, "{top}");
    // The dumps were moved into the evidence directory, none left where the hook wrote them.
    assert_eq!(d["evidence"].as_array().unwrap().len(), 3, "{d}");
    let left: Vec<_> = std::fs::read_dir(dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().starts_with("tracemalloc-"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}

fn fixed_twin_gets_no_culprit() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, port, lines) = watch("fixed", dir.path());
    let stop = Arc::new(AtomicBool::new(false));
    let load = drive(port, 300, Arc::clone(&stop));
    std::thread::sleep(Duration::from_secs(60));
    stop.store(true, Ordering::Relaxed);
    assert!(load.join().unwrap() > 5000, "load was driven");
    let code = terminate(&mut child).code();
    let seen: Vec<String> = lines.try_iter().collect();
    assert_no_culprit_named(&seen, code);
}
