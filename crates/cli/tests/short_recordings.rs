//! Short recordings, as people capture them during an incident: `watch --interval 1s` on a
//! real example service under load for 100 seconds, then `analyze --db`. The evidence
//! decides, not a fixed span: the leaky service is a leak (exit 1) with a confidence and a
//! caveat that say how little time was seen; its fixed twin is not (exit 0).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::Stdio;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use common::*;

/// Watch `service` (told `--port 0`; it says the port it picked) every second for 100 s while 8 connections send it
/// about 2,000 requests per second with a new key each, then analyze the store: the exit code
/// and the verdict on the service's RSS.
fn record(service: &[String], db: &Path) -> (Option<i32>, serde_json::Value) {
    let mut watch = leakscope()
        .args([
            "watch",
            "--interval",
            "1s",
            "--duration",
            "100s",
            "-q",
            "--db",
        ])
        .arg(db)
        .arg("--")
        .args(service)
        .args(["--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Watch passes the service's stdout to its stderr; read to the end (kept until watch
    // exits), so it never blocks on a full pipe.
    let lines = stderr_lines(&mut watch);
    let Some(port) = listening_port(&lines, Duration::from_secs(15)) else {
        terminate(&mut watch);
        panic!("{service:?} did not say it listens");
    };
    let mut spec = leakscope_load::LoadSpec::new(format!("http://127.0.0.1:{port}/user/{{n}}"));
    spec.concurrency = 8;
    spec.rate = Some(2000.0);
    spec.threads = Some(1);
    spec.duration = Some(Duration::from_secs(90));
    let stats = leakscope_load::run(&spec, Arc::new(AtomicBool::new(false)), |_| {}).unwrap();
    assert!(stats.requests > 50_000, "{stats:?}");
    // (watch itself exits 1 when its alert rules fired on a leak, 0 otherwise; 2 is an error.)
    let status = watch.wait().unwrap();
    assert!(matches!(status.code(), Some(0 | 1)), "watch: {status:?}");
    let out = leakscope()
        .args([
            "analyze",
            "--format",
            "json",
            "--field",
            "rss_bytes",
            "--db",
        ])
        .arg(db)
        .output()
        .unwrap();
    (out.status.code(), json_of(&out)["series"][0].clone())
}

#[track_caller]
fn assert_leak((code, v): (Option<i32>, serde_json::Value), what: &str) {
    eprintln!("{what}: {v}");
    assert_eq!(code, Some(1), "{what}: {v}");
    assert_eq!(v["verdict"], "leak", "{what}: {v}");
    assert!(v["samples"].as_u64().unwrap() >= 90, "{what}: {v}");
    assert!(v["span_seconds"].as_f64().unwrap() < 120.0, "{what}: {v}");
    // A hundred seconds are not an hour: confidence says so, and the caveat says why.
    let confidence = v["confidence"].as_f64().unwrap();
    assert!((0.5..0.85).contains(&confidence), "{what}: {v}");
    assert!(
        v["caveat"].as_str().is_some_and(|c| c.contains("cache")),
        "{what}: {v}"
    );
    assert!(v["detected_at"].as_f64().is_some(), "{what}: {v}");
}

#[track_caller]
fn assert_no_leak((code, v): (Option<i32>, serde_json::Value), what: &str) {
    eprintln!("{what}: {v}");
    assert_eq!(code, Some(0), "{what}: {v}");
    assert_eq!(v["verdict"], "no_leak", "{what}: {v}");
    assert!(v["samples"].as_u64().unwrap() >= 90, "{what}: {v}");
}

fn example(runtime: &str, path: &str) -> Vec<String> {
    let script = repo().join("examples").join(path).display().to_string();
    match runtime {
        "node" => vec!["node".into(), "--expose-gc".into(), script],
        _ => vec![runtime.into(), script],
    }
}

#[test]
fn a_100_second_recording_of_the_node_cache_leak_is_a_leak_and_its_lru_twin_is_not() {
    let dir = tempfile::tempdir().unwrap();
    assert_leak(
        record(
            &example("node", "node/cache/leaky.js"),
            &dir.path().join("leaky.db"),
        ),
        "node cache leaky",
    );
    assert_no_leak(
        record(
            &example("node", "node/cache/fixed.js"),
            &dir.path().join("fixed.db"),
        ),
        "node cache fixed",
    );
}

#[test]
fn a_100_second_recording_of_the_python_records_leak_is_a_leak_and_its_bounded_twin_is_not() {
    let dir = tempfile::tempdir().unwrap();
    assert_leak(
        record(
            &example("python3", "python/records/leaky.py"),
            &dir.path().join("leaky.db"),
        ),
        "python records leaky",
    );
    assert_no_leak(
        record(
            &example("python3", "python/records/fixed.py"),
            &dir.path().join("fixed.db"),
        ),
        "python records fixed",
    );
}
