//! `leakscope run` opens the inspector of a Node service to force GCs; it must close it again
//! before it stops the service, however the soak ends: Ctrl-C, or an error (here the load
//! generator refusing a header). The service itself tells: at SIGTERM it writes what
//! `require('inspector').url()` says (undefined once closed).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::time::Duration;

use common::*;

/// A Node HTTP service that notes the inspector URL it has while running (`seen`) and at
/// SIGTERM (`at-exit`), in `dir`.
const SERVICE: &str = r#"
const http = require('http'), fs = require('fs'), path = require('path'), inspector = require('inspector');
const arg = (k) => process.argv[process.argv.indexOf(k) + 1];
const dir = arg('--dir');
http.createServer((q, s) => s.end('ok')).listen(Number(arg('--port')), '127.0.0.1');
setInterval(() => { const u = inspector.url(); if (u) fs.writeFileSync(path.join(dir, 'seen'), u); }, 100);
process.on('SIGTERM', () => { fs.writeFileSync(path.join(dir, 'at-exit'), String(inspector.url())); process.exit(0); });
"#;

fn soak(dir: &Path, extra: &[&str]) -> Child {
    let script = write(dir, "service.js", SERVICE);
    leakscope()
        .args([
            "run",
            "--warmup",
            "1s",
            "--duration",
            "4s",
            "--interval",
            "500ms",
            "--rps",
            "20",
        ])
        .args(extra)
        .arg("--load")
        .arg("http://127.0.0.1:{port}/x/{n}")
        .arg("--db")
        .arg(dir.join("r.db"))
        .arg("--")
        .arg("node")
        .arg(&script)
        .args(["--port", "0", "--dir"])
        .arg(dir)
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap()
}

/// What the service saw: the inspector URL while running, and at exit.
fn seen(dir: &Path) -> (String, String) {
    let read = |n: &str| std::fs::read_to_string(dir.join(n)).unwrap_or_default();
    (read("seen"), read("at-exit"))
}

#[test]
fn ctrl_c_closes_the_inspector_before_the_service_stops() {
    let dir = tempfile::tempdir().unwrap();
    let child = soak(dir.path(), &[]);
    assert!(
        wait_for(Duration::from_secs(30), || dir.path().join("seen").exists()),
        "the inspector never opened"
    );
    // SAFETY: kill(2) on our own child with a valid signal.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    let (during, at_exit) = seen(dir.path());
    assert!(during.starts_with("ws://127.0.0.1:"), "{during}");
    assert_eq!(
        at_exit,
        "undefined",
        "inspector still open when the service stopped: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn an_error_ending_the_soak_closes_the_inspector_too() {
    let dir = tempfile::tempdir().unwrap();
    // The load generator refuses this header, and the soak ends with that error.
    let child = soak(dir.path(), &["--header", "Bad Name: x"]);
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("load generator"), "{stderr}");
    let (during, at_exit) = seen(dir.path());
    assert!(during.starts_with("ws://127.0.0.1:"), "{during}");
    assert_eq!(at_exit, "undefined", "inspector still open: {stderr}");
}
