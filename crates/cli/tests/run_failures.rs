//! `leakscope run` when things go wrong: a service that never becomes ready, one that crashes
//! at start or dies mid-soak (OOM-killed included), a load target that refuses or fails, and
//! Ctrl-C. Each gets a clear message and the right exit code, and what was measured is kept.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::process::Stdio;
use std::time::Duration;

use common::*;

fn example(rel: &str) -> String {
    repo().join("examples").join(rel).display().to_string()
}

#[test]
fn a_service_that_never_becomes_ready_is_an_error_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    // Held closed: a port merely free now could be taken by a socket opened meanwhile (an
    // inspector of a test alongside), and then it would be "ready".
    let (_held, port) = closed_port();
    let out = leakscope()
        .args([
            "run",
            "--ready-timeout",
            "2s",
            "--duration",
            "5s",
            "--warmup",
            "0s",
            "--load",
        ])
        .arg(format!("http://127.0.0.1:{port}/x"))
        .arg("--db")
        .arg(dir.path().join("r.db"))
        .args(["--", "sleep", "30"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(&format!("did not accept connections on 127.0.0.1:{port}")),
        "{err}"
    );
}

#[test]
fn a_service_that_crashes_at_start_is_an_error_with_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let (_held, port) = closed_port();
    let out = leakscope()
        .args(["run", "--duration", "5s", "--warmup", "0s", "--load"])
        .arg(format!("http://127.0.0.1:{port}/x"))
        .arg("--db")
        .arg(dir.path().join("c.db"))
        .args(["--", "sh", "-c", "echo boom >&2; exit 3"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("exited with code 3 before it accepted connections"),
        "{err}"
    );
}

#[test]
fn a_service_dying_mid_soak_is_reported_and_what_was_measured_is_kept() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("d.db");
    let report = dir.path().join("d.html");
    // Serves for ~4 s, then dies with code 7; the shell's child listens, on a port it picks.
    let script = format!(
        "python3 {} --port 0 & pid=$!; sleep 4; kill -9 $pid; exit 7",
        example("python/cache/leaky.py")
    );
    let out = leakscope()
        .args([
            "run",
            "--duration",
            "30s",
            "--warmup",
            "1s",
            "--interval",
            "500ms",
            "--format",
            "json",
            "--load",
        ])
        .arg("http://127.0.0.1:{port}/user/{n}")
        .arg("--db")
        .arg(&db)
        .arg("--report")
        .arg(&report)
        .args(["--", "sh", "-c", &script])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("died mid-soak") && err.contains("exited with code 7"),
        "{err}"
    );
    assert_eq!(
        out.status.code(),
        Some(2),
        "a crash is an error, not a verdict: {err}"
    );
    assert!(
        stored_samples(&db, "rss_bytes") >= 3,
        "samples measured before the crash are stored"
    );
    let html = std::fs::read_to_string(&report).expect("the report is written for a partial run");
    assert!(
        html.contains("exited with code 7"),
        "the report says how the service ended"
    );
}

#[test]
fn a_load_target_that_refuses_or_fails_is_counted_not_hidden() {
    let dir = tempfile::tempdir().unwrap();
    let (_held, closed) = closed_port();
    // The service is ready on the port it picked, but the load goes to a closed port.
    let out = leakscope()
        .args([
            "run",
            "--duration",
            "3s",
            "--warmup",
            "0s",
            "--interval",
            "500ms",
            "--format",
            "json",
            "--ready",
            "127.0.0.1:{port}",
        ])
        .arg("--load")
        .arg(format!("http://127.0.0.1:{closed}/x"))
        .arg("--db")
        .arg(dir.path().join("f.db"))
        .args([
            "--",
            "python3",
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            "0",
        ])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let v = json_of(&out);
    let s = &v["series"][0];
    assert!(s["errors"].as_u64().unwrap() > 0, "{s}");
    assert_eq!(s["error_rate"], 1.0, "{s}");
    assert!(err.contains("answered no request successfully"), "{err}");
    // And HTTP errors: a path the server answers with 404.
    let out = leakscope()
        .args([
            "run",
            "--duration",
            "2s",
            "--warmup",
            "0s",
            "--interval",
            "500ms",
            "--format",
            "json",
            "--load",
        ])
        .arg("http://127.0.0.1:{port}/no-such-file-{n}")
        .arg("--db")
        .arg(dir.path().join("f.db"))
        .args([
            "--",
            "python3",
            "-m",
            "http.server",
            "--bind",
            "127.0.0.1",
            "0",
        ])
        .output()
        .unwrap();
    let v = json_of(&out);
    let s = &v["series"][0];
    assert!(s["requests"].as_u64().unwrap() > 10, "{s}");
    assert_eq!(s["errors"], s["requests"], "every 404 counted: {s}");
}

#[test]
fn ctrl_c_stops_the_service_and_reports_partial_results() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("i.db");
    let mut child = leakscope()
        .args([
            "run",
            "--duration",
            "5m",
            "--warmup",
            "1s",
            "--interval",
            "500ms",
            "--format",
            "json",
            "--load",
        ])
        .arg("http://127.0.0.1:{port}/user/{n}")
        .arg("--db")
        .arg(&db)
        .args([
            "--",
            "python3",
            &example("python/cache/fixed.py"),
            "--port",
            "0",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = RunStderr::of(&mut child);
    let port = stderr
        .port(Duration::from_secs(20))
        .expect("the port found is said");
    assert!(wait_for(Duration::from_secs(20), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    }));
    std::thread::sleep(Duration::from_secs(4));
    unsafe { libc::kill(child.id() as i32, libc::SIGINT) };
    let out = child.wait_with_output().unwrap();
    drop(stderr.text());
    let v = json_of(&out);
    let s = &v["series"][0];
    assert_eq!(s["partial"], true, "{s}");
    assert!(
        s["service_end"].as_str().unwrap().contains("interrupted"),
        "{s}"
    );
    assert!(s["requests"].as_u64().unwrap() > 0);
    assert!(stored_samples(&db, "rss_bytes") >= 4);
    // The service was stopped: nothing listens on its port any more.
    assert!(wait_for(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err()
    }));
}

#[test]
fn an_oom_killed_service_is_named_and_fails_the_soak() {
    let (cg, procs) = match memory_cgroup("run-oom", 96 << 20) {
        Ok(x) => x,
        Err(why) => {
            eprintln!("SKIP: no writable memory cgroup here ({why})");
            return;
        }
    };
    let dir = tempfile::tempdir().unwrap();
    let script = format!(
        "echo $$ > {}/{procs} && exec python3 {} --port 0",
        cg.display(),
        example("python/records/leaky.py")
    );
    let out = leakscope()
        .args([
            "run",
            "--duration",
            "60s",
            "--warmup",
            "1s",
            "--interval",
            "200ms",
            "--concurrency",
            "16",
            "--format",
            "json",
            "--load",
        ])
        .arg("http://127.0.0.1:{port}/req/{n}")
        .arg("--db")
        .arg(dir.path().join("o.db"))
        .args(["--", "sh", "-c", &script])
        .output()
        .unwrap();
    let _ = std::fs::remove_dir(&cg);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("OOM-killed"), "{err}");
    // An OOM kill during a soak is a leak verdict.
    let v = expect_json(&out, 1);
    assert_eq!(v["series"][0]["verdict"], "leak");
}

/// `{port}` when the service never listens, or exits first: an error saying so, no hang.
#[test]
fn a_port_never_listened_on_is_an_error_saying_so() {
    let dir = tempfile::tempdir().unwrap();
    let run = |service: &[&str]| {
        leakscope()
            .args(["run", "--ready-timeout", "2s", "--duration", "5s"])
            .args(["--warmup", "0s", "--load", "http://127.0.0.1:{port}/x"])
            .arg("--db")
            .arg(dir.path().join("p.db"))
            .arg("--")
            .args(service)
            .output()
            .unwrap()
    };
    let t = std::time::Instant::now();
    let out = run(&["sleep", "30"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("did not listen on a loopback port within 2 s"),
        "{err}"
    );
    assert!(t.elapsed() < Duration::from_secs(20), "{:?}", t.elapsed());
    let out = run(&["sh", "-c", "sleep 0.3; exit 3"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("exited with code 3 before it listened on a port"),
        "{err}"
    );
}

/// `{port}` when the service listens on two ports: which one is meant cannot be told, so an
/// error names both (exit 2) instead of loading whichever came first.
#[test]
fn a_service_on_two_ports_is_an_error_naming_both() {
    let dir = tempfile::tempdir().unwrap();
    // Prints its two ports (run passes the service's stdout to its stderr), then serves on
    // neither.
    let py = "import socket, time\nheld = []\nfor _ in range(2):\n    s = socket.socket()\n    s.bind(('127.0.0.1', 0))\n    s.listen()\n    held.append(s)\nprint('ports', *[s.getsockname()[1] for s in held], flush=True)\ntime.sleep(60)\n";
    let out = leakscope()
        .args(["run", "--duration", "5s", "--warmup", "0s"])
        .args(["--load", "http://127.0.0.1:{port}/user/{n}"])
        .arg("--db")
        .arg(dir.path().join("two.db"))
        .args(["--", "python3", "-c", py])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    let ports: Vec<&str> = err
        .lines()
        .find_map(|l| l.strip_prefix("ports "))
        .expect("the service said its ports")
        .split_whitespace()
        .collect();
    assert_eq!(ports.len(), 2, "{err}");
    let line = err
        .lines()
        .find(|l| l.contains("listens on several loopback ports"))
        .unwrap_or_else(|| panic!("no error about several ports: {err}"));
    for p in &ports {
        assert!(line.contains(p), "{p} is not named: {line}");
    }
    assert!(line.contains("write the port instead of {port}"), "{line}");
}
