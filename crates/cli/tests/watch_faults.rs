//! Faults `watch` must survive, each with real processes and files: a scrape target that stops
//! answering, a webhook that fails and hangs, a database locked by another process, a full
//! disk, and the supervised command on every way out (SIGKILL of the watcher included).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

/// A python HTTP server on a free port running `handler_body` (the body of do_GET/do_POST,
/// with `n` the request number from 1); returns the child and the port once it listens.
fn python_server(dir: &Path, handler_body: &str) -> (std::process::Child, u16) {
    let port = free_port();
    let script = format!(
        r#"
import http.server, socketserver, sys, time, threading
lock = threading.Lock()
count = [0]
class H(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def handle_one(self):
        with lock:
            count[0] += 1
            n = count[0]
{body}
    do_GET = handle_one
    do_POST = handle_one
class S(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
S(("127.0.0.1", {port}), H).serve_forever()
"#,
        body = handler_body
            .lines()
            .map(|l| format!("        {l}"))
            .collect::<Vec<_>>()
            .join("\n"),
    );
    let path = write(dir, &format!("server{port}.py"), &script);
    let child = Command::new("python3")
        .arg(&path)
        .current_dir(dir)
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    assert!(
        wait_for(Duration::from_secs(10), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        }),
        "the python server did not start"
    );
    (child, port)
}

fn sleeper() -> std::process::Child {
    Command::new("sleep").arg("120").spawn().unwrap()
}

/// Largest gap between consecutive samples of `target` in the log, seconds.
fn largest_gap(lines: &[serde_json::Value], target: &str) -> f64 {
    let ts: Vec<f64> = lines
        .iter()
        .filter(|l| l["target"] == target && l["rss_bytes"].is_number())
        .filter_map(|l| l["timestamp"].as_f64())
        .collect();
    ts.windows(2).map(|w| w[1] - w[0]).fold(0.0, f64::max)
}

#[test]
fn a_scrape_that_stops_answering_delays_only_itself() {
    let dir = tempfile::tempdir().unwrap();
    // Answers the first scrape (the check at start), then accepts and never answers.
    let (mut server, port) = python_server(
        dir.path(),
        "if n == 1:\n    body = b'go_memstats_heap_inuse_bytes 5e7\\n'\n    self.send_response(200)\n    self.send_header('Content-Length', str(len(body)))\n    self.end_headers()\n    self.wfile.write(body)\nelse:\n    time.sleep(3600)",
    );
    let mut s = sleeper();
    let url = format!("http://127.0.0.1:{port}/metrics");
    let started = Instant::now();
    let out = leakscope()
        .args([
            "watch",
            "--pid",
            &s.id().to_string(),
            "--scrape",
            &url,
            "--interval",
            "100ms",
            "--duration",
            "3s",
            "--db",
        ])
        .arg(dir.path().join("h.db"))
        .output()
        .unwrap();
    let took = started.elapsed();
    s.kill().ok();
    s.wait().ok();
    server.kill().ok();
    server.wait().ok();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{err}");
    let lines = json_lines(&String::from_utf8_lossy(&out.stdout));
    let pid_target = format!("pid:{}", s.id());
    let pid_samples = lines
        .iter()
        .filter(|l| l["target"] == pid_target.as_str())
        .count();
    // 3 s at 100 ms: ~30 rounds. Inside the loop, the hanging scrape took 5 s per round.
    assert!(pid_samples >= 20, "{pid_samples} samples of the pid: {err}");
    assert!(
        largest_gap(&lines, &pid_target) < 1.0,
        "the pid's rounds were not stretched"
    );
    let behind: Vec<&str> = err.lines().filter(|l| l.contains("fell behind")).collect();
    assert_eq!(behind.len(), 1, "said once, for that target: {err}");
    assert!(behind[0].contains(&url), "{err}");
    // The hanging scrape ends with its timeout, not never.
    assert!(took < Duration::from_secs(15), "{took:?}");
}

#[test]
fn a_webhook_that_fails_then_hangs_gets_the_alert_after_retries_and_sampling_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let got = dir.path().join("received.jsonl");
    // 1st POST: 500; 2nd: hangs past the 5 s timeout; then 200, recording the body.
    let (mut server, port) = python_server(
        dir.path(),
        &format!(
            "length = int(self.headers.get('Content-Length', 0))\nbody = self.rfile.read(length)\nif n == 1:\n    self.send_response(500)\n    self.send_header('Content-Length', '4')\n    self.end_headers()\n    self.wfile.write(b'oops')\nelif n == 2:\n    time.sleep(10)\nelse:\n    open({:?}, 'ab').write(body + b'\\n')\n    self.send_response(200)\n    self.send_header('Content-Length', '0')\n    self.end_headers()",
            got.display().to_string()
        ),
    );
    let mut s = sleeper();
    let db = dir.path().join("w.db");
    let out = leakscope()
        .args([
            "watch",
            "--pid",
            &s.id().to_string(),
            "--interval",
            "100ms",
            "--duration",
            "9s",
            "--alert-above",
            "1",
            "--webhook",
        ])
        .arg(format!("http://127.0.0.1:{port}/hook"))
        .arg("--db")
        .arg(&db)
        .output()
        .unwrap();
    s.kill().ok();
    s.wait().ok();
    server.kill().ok();
    server.wait().ok();
    let err = String::from_utf8_lossy(&out.stderr);
    let received = std::fs::read_to_string(&got).unwrap_or_default();
    let first: serde_json::Value = serde_json::from_str(received.lines().next().unwrap_or(""))
        .unwrap_or_else(|e| panic!("the alert arrived after retries ({e}): {err}"));
    assert_eq!(
        first["alerts"][0]["labels"]["alertname"],
        "MemoryAboveThreshold"
    );
    assert!(err.contains("retrying"), "{err}");
    // Sampling went on every 100 ms while the webhook hung.
    let lines = json_lines(&String::from_utf8_lossy(&out.stdout));
    let target = format!("pid:{}", s.id());
    assert!(largest_gap(&lines, &target) < 1.0, "{err}");
    // And the alert is on record in the store.
    let store = leakscope_store::Store::open_read_only(&db).unwrap();
    let events = store.events(Some(&target)).unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "alert" && e.detail["name"] == "MemoryAboveThreshold"),
        "{events:?}"
    );
}

#[test]
fn a_locked_database_is_reported_and_the_held_rows_are_written_later() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let log = dir.path().join("l.jsonl");
    let mut s = sleeper();
    let mut watch = leakscope()
        .args([
            "watch",
            "--pid",
            &s.id().to_string(),
            "--interval",
            "100ms",
            "--duration",
            "16s",
            "--db",
        ])
        .arg(&db)
        .arg("--log")
        .arg(&log)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_for(Duration::from_secs(10), || stored_samples(
        &db,
        "rss_bytes"
    ) >= 5));
    // Another process holds the write lock for 10 s.
    let locker = Command::new("python3")
        .args([
            "-c",
            &format!(
                "import sqlite3, time\nc = sqlite3.connect({:?}, isolation_level=None)\nc.execute('BEGIN EXCLUSIVE')\ntime.sleep(10)\nc.execute('COMMIT')\n",
                db.display().to_string()
            ),
        ])
        .status();
    let out = {
        let status = watch.wait().unwrap();
        let mut err = String::new();
        use std::io::Read;
        watch.stderr.take().unwrap().read_to_string(&mut err).ok();
        (status, err)
    };
    s.kill().ok();
    s.wait().ok();
    assert!(locker.unwrap().success());
    let (status, err) = out;
    assert!(matches!(status.code(), Some(0) | Some(1)), "{err}");
    assert!(err.contains("the database cannot be written"), "{err}");
    assert!(err.contains("writable again"), "{err}");
    let lines = json_lines(&std::fs::read_to_string(&log).unwrap());
    let logged = lines.iter().filter(|l| l["rss_bytes"].is_number()).count() as u64;
    let target = format!("pid:{}", s.id());
    assert!(
        largest_gap(&lines, &target) < 1.0,
        "sampling went on during the lock"
    );
    assert_eq!(
        stored_samples(&db, "rss_bytes"),
        logged,
        "every sample taken while the database was locked was written afterwards: {err}"
    );
}

#[test]
fn a_full_disk_is_reported_and_the_held_rows_are_written_when_space_returns() {
    let dir = tempfile::tempdir().unwrap();
    let mnt = dir.path().join("small");
    std::fs::create_dir(&mnt).unwrap();
    let mounted = Command::new("mount")
        .args(["-t", "tmpfs", "-o", "size=4m", "tmpfs"])
        .arg(&mnt)
        .status()
        .is_ok_and(|s| s.success());
    if !mounted {
        eprintln!("SKIP: cannot mount a small tmpfs here (needs root)");
        return;
    }
    struct Unmount(std::path::PathBuf);
    impl Drop for Unmount {
        fn drop(&mut self) {
            let _ = Command::new("umount").arg("-l").arg(&self.0).status();
        }
    }
    let _unmount = Unmount(mnt.clone());
    let db = mnt.join("f.db");
    let log = dir.path().join("f.jsonl");
    let mut s = sleeper();
    let mut watch = leakscope()
        .args([
            "watch",
            "--pid",
            &s.id().to_string(),
            "--interval",
            "50ms",
            "--duration",
            "8s",
            "--db",
        ])
        .arg(&db)
        .arg("--log")
        .arg(&log)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    assert!(wait_for(Duration::from_secs(10), || stored_samples(
        &db,
        "rss_bytes"
    ) >= 5));
    // Fill the disk to the last byte.
    let filler = mnt.join("filler");
    let _ = Command::new("dd")
        .args(["if=/dev/zero", "bs=64k"])
        .arg(format!("of={}", filler.display()))
        .stderr(Stdio::null())
        .status();
    std::thread::sleep(Duration::from_secs(3));
    std::fs::remove_file(&filler).unwrap();
    let status = watch.wait().unwrap();
    let mut err = String::new();
    use std::io::Read;
    watch.stderr.take().unwrap().read_to_string(&mut err).ok();
    s.kill().ok();
    s.wait().ok();
    assert!(matches!(status.code(), Some(0) | Some(1)), "{err}");
    assert!(err.contains("the database cannot be written"), "{err}");
    assert!(err.contains("writable again"), "{err}");
    let lines = json_lines(&std::fs::read_to_string(&log).unwrap());
    let logged = lines.iter().filter(|l| l["rss_bytes"].is_number()).count() as u64;
    assert_eq!(stored_samples(&db, "rss_bytes"), logged, "{err}");
}

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
fn a_supervised_command_is_never_orphaned() {
    // Each way out: the end of --count, SIGTERM, SIGINT, and SIGKILL of the watcher.
    for (i, how) in ["count", "term", "int", "kill"].iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let marker = format!("leakscope-orphan-{}-{i}", std::process::id());
        let script = format!(
            "(exec -a {marker}-child sleep 300) & (trap '' TERM; exec -a {marker}-stubborn sleep 300) & exec -a {marker}-main sleep 300"
        );
        let mut watch = leakscope()
            .args([
                "watch",
                "--interval",
                "100ms",
                "--count",
                if *how == "count" { "15" } else { "100000" },
                "-q",
                "--db",
            ])
            .arg(dir.path().join("o.db"))
            .args(["--", "bash", "-c", &script])
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        assert!(
            wait_for(Duration::from_secs(10), || running_with(&marker).len() == 3),
            "{how}: the command's tree started"
        );
        match *how {
            "term" => unsafe {
                libc::kill(watch.id() as i32, libc::SIGTERM);
            },
            "int" => unsafe {
                libc::kill(watch.id() as i32, libc::SIGINT);
            },
            "kill" => watch.kill().unwrap(),
            _ => {}
        }
        watch.wait().unwrap();
        // TERM, then KILL after the 5 s grace for the one that ignores TERM.
        let gone = wait_for(Duration::from_secs(9), || running_with(&marker).is_empty());
        let left = running_with(&marker);
        for p in &left {
            unsafe { libc::kill(*p as i32, libc::SIGKILL) };
        }
        assert!(gone, "{how}: left running: {left:?}");
    }
}

#[test]
fn a_log_file_that_cannot_be_opened_is_said_before_anything_starts() {
    let dir = tempfile::tempdir().unwrap();
    let mut sleeper = sleeper();
    let log = dir.path().join("no-such-dir").join("samples.jsonl");
    let out = leakscope()
        .args([
            "watch",
            "--pid",
            &sleeper.id().to_string(),
            "--count",
            "2",
            "--db",
        ])
        .arg(dir.path().join("w.db"))
        .arg("--log")
        .arg(&log)
        .output()
        .unwrap();
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    assert!(
        err.contains("cannot open the log file") && err.contains("no-such-dir"),
        "{err}"
    );
}
