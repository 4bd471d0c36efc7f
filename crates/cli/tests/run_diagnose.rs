//! `run --diagnose` on the real leaking Node example: once the soak's growth is recognized
//! as a leak, evidence is captured while the load runs, and the culprit is in the JSON
//! verdict and the HTML report.
//!
//! Skips (passing, with a message) when `node` is not installed.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::*;

#[test]
fn run_diagnose_names_the_culprit_in_the_verdict_and_the_report() {
    let ok = std::process::Command::new("node")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: node is not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let report = dir.path().join("r.html");
    let out = leakscope()
        .args(["run", "--load"])
        // The service picks its port; `{port}` is the one it listens on.
        .arg("http://127.0.0.1:{port}/user/{n}")
        .args([
            "--rps",
            "300",
            "--warmup",
            "5s",
            "--duration",
            "60s",
            "--diagnose",
        ])
        .args(["--format", "json", "--report"])
        .arg(&report)
        .arg("--db")
        .arg(dir.path().join("l.db"))
        .args(["--", "node"])
        .arg(repo().join("examples/node/cache/leaky.js"))
        .args(["--port", "0"])
        .output()
        .unwrap();
    let v = expect_json(&out, 1);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("capturing evidence from the service"), "{err}");
    assert!(
        err.contains("leakscope: the service listens on 127.0.0.1:"),
        "{err}"
    );
    // The load reached the service on the port found.
    let s = &v["series"][0];
    assert!(s["requests"].as_u64().unwrap() > 1000, "{s}");
    let d = &v["series"][0]["diagnosis"];
    assert_eq!(d["format"], "v8", "{v}");
    assert_eq!(d["suspects"][0]["name"], "profiles", "{d}");
    assert_eq!(d["suspects"][0]["pattern"], "unbounded-collection", "{d}");
    assert_eq!(d["evidence"].as_array().unwrap().len(), 3, "{d}");
    let html = std::fs::read_to_string(&report).unwrap();
    assert!(html.contains("Culprit (diagnosis)"), "the report embeds it");
    assert!(html.contains("unbounded-collection profiles"));
}
