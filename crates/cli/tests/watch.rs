//! `leakscope watch` end to end, on real processes, real /proc and cgroup files, a real SQLite
//! store: samples logged and stored, exits and restarts recorded, bad targets refused, signals
//! handled, and a killed watcher's store still readable.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::{BufRead, BufReader};
use std::process::Stdio;
use std::time::Duration;

use common::*;

fn json_lines(bytes: &[u8]) -> Vec<serde_json::Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not a JSON line: {l}: {e}")))
        .collect()
}

#[test]
fn watching_a_growing_process_logs_stores_and_lists_its_samples() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let mut grower = python_grower(4, 0.1, 40);
    let pid = grower.id().to_string();
    let out = leakscope()
        .args([
            "watch",
            "--pid",
            &pid,
            "--interval",
            "100ms",
            "--count",
            "25",
            "-q",
            "--db",
        ])
        .arg(&db)
        .output()
        .unwrap();
    grower.kill().ok();
    grower.wait().ok();
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let lines = json_lines(&out.stdout);
    assert_eq!(lines.len(), 25);
    let first = &lines[0];
    assert_eq!(first["target"], format!("pid:{pid}"));
    assert!(first["timestamp"].as_f64().unwrap() > 1.6e9);
    for f in [
        "rss_bytes",
        "rss_anon_bytes",
        "rss_file_bytes",
        "swap_bytes",
        "uptime_seconds",
    ] {
        assert!(first[f].is_number(), "missing {f} in {first}");
    }
    let rss0 = first["rss_bytes"].as_f64().unwrap();
    let rss_last = lines[24]["rss_bytes"].as_f64().unwrap();
    assert!(
        rss_last > rss0 + 20e6,
        "RSS should grow by ~4 MiB per 100 ms: {rss0} -> {rss_last}"
    );

    let list = run_json(
        leakscope()
            .args(["ls", "--format", "json", "--db"])
            .arg(&db),
        0,
    );
    let rss = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["field"] == "rss_bytes")
        .expect("rss_bytes series stored");
    assert_eq!(rss["samples"], 25);
    assert_eq!(rss["target"], format!("pid:{pid}"));

    let an = leakscope()
        .args(["analyze", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    assert!(
        matches!(an.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&an.stderr)
    );
    let v = json_of(&an);
    assert_eq!(v["series"][0]["name"], format!("pid:{pid}/rss_bytes"));
}

#[test]
fn a_missing_pid_is_refused_at_start_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = leakscope()
        .args(["watch", "--pid", "999999999", "--count", "1", "--db"])
        .arg(dir.path().join("x.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("999999999"), "{err}");
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
}

#[test]
fn an_unreachable_scrape_is_refused_at_start_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    // A port nothing listens on: bind, learn the port, close.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let out = leakscope()
        .args(["watch", "--scrape", &url, "--count", "1", "--db"])
        .arg(dir.path().join("x.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&url), "{err}");
}

#[test]
fn a_missing_cgroup_is_refused_at_start_with_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let out = leakscope()
        .args([
            "watch",
            "--cgroup",
            "/no/such/cgroup",
            "--count",
            "1",
            "--db",
        ])
        .arg(dir.path().join("x.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("/no/such/cgroup"));
}

#[test]
fn a_command_that_exits_is_recorded_with_its_exit_code() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("c.db");
    let out = leakscope()
        .args(["watch", "--interval", "100ms", "--count", "50", "--db"])
        .arg(&db)
        .args(["--", "sh", "-c", "sleep 0.5; exit 3"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(err.contains("exited with code 3"), "{err}");
    let lines = json_lines(&out.stdout);
    let exit = lines
        .iter()
        .find(|l| l["event"] == "exit")
        .expect("an exit event in the log");
    assert_eq!(exit["code"], 3);
    assert!(lines.iter().filter(|l| l["rss_bytes"].is_number()).count() >= 2);
    assert!(lines.len() < 50, "the watch ends when the command is gone");
}

#[test]
fn restarts_are_counted_and_more_than_five_alert() {
    let dir = tempfile::tempdir().unwrap();
    let out = leakscope()
        .args([
            "watch",
            "--restart",
            "--interval",
            "50ms",
            "--count",
            "40",
            "--db",
        ])
        .arg(dir.path().join("r.db"))
        .args(["--", "sh", "-c", "sleep 0.05; exit 1"])
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let alerts: Vec<serde_json::Value> = err
        .lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .collect();
    assert!(
        alerts
            .iter()
            .any(|a| a["name"] == "TooManyRestarts" && a["status"] == "firing"),
        "{err}"
    );
    let restarts = json_lines(&out.stdout)
        .iter()
        .filter(|l| l["event"] == "restart")
        .count();
    assert!(restarts > 5, "{restarts} restarts");
}

#[test]
fn a_watched_process_killed_mid_run_is_an_exit_and_the_others_go_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut a = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let mut b = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let (pa, pb) = (a.id(), b.id());
    let mut watch = leakscope()
        .args([
            "watch",
            "--pid",
            &pa.to_string(),
            "--pid",
            &pb.to_string(),
            "--interval",
            "50ms",
            "--count",
            "30",
            "-q",
            "--db",
        ])
        .arg(dir.path().join("k.db"))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = watch.stdout.take().unwrap();
    let mut lines = BufReader::new(stdout).lines();
    // Let a few rounds pass, then kill one target.
    for _ in 0..6 {
        lines.next();
    }
    a.kill().unwrap();
    a.wait().unwrap();
    let rest: Vec<serde_json::Value> = lines
        .map_while(Result::ok)
        .map(|l| serde_json::from_str(&l).unwrap())
        .collect();
    let status = watch.wait().unwrap();
    b.kill().ok();
    b.wait().ok();
    assert!(matches!(status.code(), Some(0) | Some(1)));
    assert!(
        rest.iter()
            .any(|l| l["target"] == format!("pid:{pa}") && l["event"] == "exit"),
        "exit of {pa} recorded"
    );
    let after_b = rest
        .iter()
        .filter(|l| l["target"] == format!("pid:{pb}") && l["rss_bytes"].is_number())
        .count();
    assert!(
        after_b >= 10,
        "the other target kept being sampled: {after_b}"
    );
}

#[test]
fn sigterm_flushes_and_exits_cleanly() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("t.db");
    let mut sleeper = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let mut watch = spawn_watch(sleeper.id(), &db, Stdio::null());
    std::thread::sleep(Duration::from_millis(800));
    unsafe { libc::kill(watch.id() as i32, libc::SIGTERM) };
    let status = watch.wait().unwrap();
    sleeper.kill().ok();
    sleeper.wait().ok();
    assert!(
        matches!(status.code(), Some(0) | Some(1)),
        "clean exit on SIGTERM: {status:?}"
    );
    let n = stored_samples(&db, "rss_bytes");
    assert!(n >= 5, "{n} samples stored before SIGTERM");
}

#[test]
fn kill_9_of_the_watcher_leaves_a_readable_store_missing_at_most_one_interval() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("k9.db");
    let mut sleeper = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let mut watch = spawn_watch(sleeper.id(), &db, Stdio::piped());
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let mut logged = 0;
    for _ in 0..20 {
        if lines.next().is_some() {
            logged += 1;
        }
    }
    watch.kill().unwrap(); // SIGKILL
    watch.wait().unwrap();
    sleeper.kill().ok();
    sleeper.wait().ok();
    let list = run_json(
        leakscope()
            .args(["ls", "--format", "json", "--db"])
            .arg(&db),
        0,
    );
    let n = list
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["field"] == "rss_bytes")
        .unwrap()["samples"]
        .as_u64()
        .unwrap();
    // Every logged sample was flushed at the end of its round, except perhaps the last round.
    assert!(n + 1 >= logged, "{n} stored vs {logged} logged");
}

#[test]
fn a_scrape_target_reads_runtime_metrics_and_counts_failures_when_the_service_dies() {
    let dir = tempfile::tempdir().unwrap();
    let metrics = write(
        dir.path(),
        "metrics",
        "# HELP nodejs_heap_size_used_bytes x\n# TYPE nodejs_heap_size_used_bytes gauge\nnodejs_heap_size_used_bytes 12345678\nprocess_resident_memory_bytes 99999999\n",
    );
    let _ = metrics;
    let (mut server, port) = serve_dir(dir.path());
    let url = format!("http://127.0.0.1:{port}/metrics");
    let mut watch = leakscope()
        .args([
            "watch",
            "--scrape",
            &url,
            "--interval",
            "100ms",
            "--count",
            "20",
            "--db",
        ])
        .arg(dir.path().join("s.db"))
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut lines = BufReader::new(watch.stdout.take().unwrap()).lines();
    let first: serde_json::Value = serde_json::from_str(&lines.next().unwrap().unwrap()).unwrap();
    assert_eq!(first["nodejs_heap_size_used_bytes"], 12345678.0);
    server.kill().unwrap();
    server.wait().unwrap();
    let _rest: Vec<String> = lines.map_while(Result::ok).collect();
    let out = watch.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{err}");
    assert!(
        err.contains("sample failed"),
        "failures reported while the run goes on: {err}"
    );
}

#[test]
fn alerts_reach_a_webhook_in_the_alertmanager_format() {
    let dir = tempfile::tempdir().unwrap();
    let (url, rx) = webhook_receiver(8);
    // A process above a 1 MB threshold fires MemoryAboveThreshold at once.
    let mut sleeper = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let out = leakscope()
        .args([
            "watch",
            "--pid",
            &sleeper.id().to_string(),
            "--interval",
            "100ms",
            "--count",
            "3",
            "--alert-above",
            "1",
            "-q",
            "--webhook",
            &url,
            "--db",
        ])
        .arg(dir.path().join("h.db"))
        .output()
        .unwrap();
    sleeper.kill().ok();
    sleeper.wait().ok();
    assert!(
        matches!(out.status.code(), Some(0) | Some(1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let body = rx
        .recv_timeout(Duration::from_secs(10))
        .expect("the webhook received a POST");
    let v: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["version"], "4");
    assert_eq!(v["status"], "firing");
    let a = &v["alerts"][0];
    assert_eq!(a["labels"]["alertname"], "MemoryAboveThreshold");
    assert_eq!(a["labels"]["target"], format!("pid:{}", sleeper.id()));
    assert!(a["startsAt"].as_str().unwrap().ends_with('Z'));
    // Fired once, not once per sample.
    assert!(
        rx.recv_timeout(Duration::from_millis(500)).is_err(),
        "de-duplicated"
    );
}

#[test]
fn scraped_goroutine_counts_are_recognized_beside_memory() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "metrics",
        "go_goroutines 1234\ngo_memstats_heap_inuse_bytes 5.5e+07\nprocess_resident_memory_bytes 9e+07\n",
    );
    let (mut server, port) = serve_dir(dir.path());
    let url = format!("http://127.0.0.1:{port}/metrics");
    let out = leakscope()
        .args([
            "watch",
            "--scrape",
            &url,
            "--interval",
            "50ms",
            "--count",
            "5",
            "--format",
            "json",
            "--db",
        ])
        .arg(dir.path().join("g.db"))
        .arg("--log")
        .arg(dir.path().join("g.jsonl"))
        .output()
        .unwrap();
    server.kill().ok();
    server.wait().ok();
    let v = json_of(&out);
    let names: Vec<&str> = v["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&format!("{url}/go_goroutines").as_str()),
        "{names:?}"
    );
    assert!(
        names.contains(&format!("{url}/go_memstats_heap_inuse_bytes").as_str()),
        "{names:?}"
    );
    let log = std::fs::read_to_string(dir.path().join("g.jsonl")).unwrap();
    let first: serde_json::Value = serde_json::from_str(log.lines().next().unwrap()).unwrap();
    assert_eq!(first["go_goroutines"], 1234.0);
}
