//! `leakscope heap capture` and `heap diff` on the real Node example services under real load:
//! two separate captures (two inspector sessions, so V8 object ids do not line up) name the
//! same culprit that a one-session `--count` series names, on every leaky example, and name
//! nothing on the fixed twins; and a leak whose traffic stopped after the first interval is
//! named from the objects kept across the snapshots.
//!
//! Skips (passing, with a message) when `node` is not installed.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

/// A Node example service on the port it chose; its inspector, once opened by SIGUSR1, listens on
/// a random loopback port (so tests running side by side do not fight over 9229). Killed on
/// drop.
struct Service {
    child: Child,
    port: u16,
}

impl Service {
    fn start(example: &str, variant: &str) -> Service {
        let (child, port) = spawn_service(
            Command::new("node")
                .arg("--inspect-port=127.0.0.1:0")
                .arg(repo().join(format!("examples/node/{example}/{variant}.js")))
                .args(["--port", "0"]),
        );
        Service { child, port }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One keep-alive HTTP/1.1 GET; false when the connection broke.
fn get(stream: &mut BufReader<TcpStream>, path: &str) -> bool {
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    if stream.get_mut().write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut length = None;
    let mut chunked = false;
    let mut line = String::new();
    loop {
        line.clear();
        if stream.read_line(&mut line).unwrap_or(0) == 0 {
            return false;
        }
        let l = line.trim_end().to_ascii_lowercase();
        if l.is_empty() {
            break;
        }
        if let Some(v) = l.strip_prefix("content-length:") {
            length = v.trim().parse::<usize>().ok();
        }
        if l.starts_with("transfer-encoding:") && l.contains("chunked") {
            chunked = true;
        }
    }
    if let Some(n) = length {
        let mut body = vec![0; n];
        return stream.read_exact(&mut body).is_ok();
    }
    if chunked {
        loop {
            line.clear();
            if stream.read_line(&mut line).unwrap_or(0) == 0 {
                return false;
            }
            let n = usize::from_str_radix(line.trim(), 16).unwrap_or(0);
            let mut chunk = vec![0; n + 2];
            if stream.read_exact(&mut chunk).is_err() {
                return false;
            }
            if n == 0 {
                return true;
            }
        }
    }
    true
}

/// Requests `/user/<n>` with fresh numbers `n` from a shared counter (every request a new
/// user: the leaky services retain one entry per request) on `threads` keep-alive
/// connections, until `stop` is set or `until` numbers are used; at most `per_second`
/// requests a second in all (0: as fast as the service answers).
fn drive(
    port: u16,
    next: Arc<AtomicU64>,
    until: u64,
    per_second: u64,
    threads: usize,
    stop: Arc<AtomicBool>,
) -> Vec<std::thread::JoinHandle<u64>> {
    (0..threads)
        .map(|_| {
            let (next, stop) = (next.clone(), stop.clone());
            std::thread::spawn(move || {
                let start = Instant::now();
                let mut done = 0u64;
                let mut conn: Option<BufReader<TcpStream>> = None;
                while !stop.load(Ordering::Relaxed) {
                    let n = next.fetch_add(1, Ordering::Relaxed);
                    if n >= until {
                        break;
                    }
                    if per_second > 0 {
                        let due = Duration::from_secs_f64(
                            done as f64 * threads as f64 / per_second as f64,
                        );
                        if let Some(wait) = due.checked_sub(start.elapsed()) {
                            std::thread::sleep(wait);
                        }
                    }
                    let c = conn.get_or_insert_with(|| {
                        BufReader::new(TcpStream::connect(("127.0.0.1", port)).unwrap())
                    });
                    if get(c, &format!("/user/{n}")) {
                        done += 1;
                    } else {
                        conn = None;
                    }
                }
                done
            })
        })
        .collect()
}

/// Send `count` more requests as fast as the service answers, and wait for them.
fn burst(port: u16, next: &Arc<AtomicU64>, count: u64) {
    let until = next.load(Ordering::Relaxed) + count;
    let done: u64 = drive(
        port,
        next.clone(),
        until,
        0,
        4,
        Arc::new(AtomicBool::new(false)),
    )
    .into_iter()
    .map(|h| h.join().unwrap())
    .sum();
    assert!(
        done + 10 >= count,
        "only {done} of {count} requests answered"
    );
}

/// `leakscope heap capture --pid PID -o FILE [extra]`, checked; its stdout.
fn capture(pid: u32, out: &Path, extra: &[&str]) -> std::process::Output {
    let o = leakscope()
        .args([
            "heap",
            "capture",
            "--no-progress",
            "--format",
            "json",
            "--pid",
        ])
        .arg(pid.to_string())
        .arg("-o")
        .arg(out)
        .args(extra)
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "capture failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    o
}

fn diff(files: &[PathBuf]) -> serde_json::Value {
    let o = leakscope()
        .args(["heap", "diff", "--format", "json"])
        .args(files)
        .output()
        .unwrap();
    assert!(
        matches!(o.status.code(), Some(0 | 1)),
        "diff failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let v = json_of(&o);
    assert_eq!(
        o.status.code(),
        Some(i32::from(!v["suspects"].as_array().unwrap().is_empty())),
        "exit 1 exactly when a suspect is named"
    );
    v
}

/// (pattern, name) of every suspect, in rank order.
fn culprits(v: &serde_json::Value) -> Vec<(String, String)> {
    v["suspects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["pattern"].as_str().unwrap().to_string(),
                s["name"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Warm the service up, capture once (session 1), drive steady load while a one-session
/// `--count 3` series is taken (session 2), capture again (session 3); return the series'
/// diff and the diff of the two separate captures.
fn sessions(example: &str, variant: &str) -> (serde_json::Value, serde_json::Value) {
    let svc = Service::start(example, variant);
    let dir = tempfile::tempdir().unwrap();
    let next = Arc::new(AtomicU64::new(0));
    burst(svc.port, &next, 2000);
    let a = dir.path().join("a.heapsnapshot");
    capture(svc.pid(), &a, &[]);
    let stop = Arc::new(AtomicBool::new(false));
    let load = drive(svc.port, next.clone(), u64::MAX, 300, 2, stop.clone());
    let series = capture(
        svc.pid(),
        &dir.path().join("s.heapsnapshot"),
        &["--count", "3", "--every", "4s"],
    );
    stop.store(true, Ordering::Relaxed);
    let sent: u64 = load.into_iter().map(|h| h.join().unwrap()).sum();
    assert!(sent > 1000, "only {sent} requests during the series");
    let b = dir.path().join("b.heapsnapshot");
    capture(svc.pid(), &b, &[]);
    let one = json_of(&series);
    assert_eq!(one["matching"], "object-ids", "one session: {one}");
    let two = diff(&[a, b]);
    assert_eq!(two["matching"], "retainers", "separate sessions: {two}");
    (one, two)
}

fn leaky_example(example: &str, want: (&str, &str)) {
    if !have("node") {
        return;
    }
    let (one, two) = sessions(example, "leaky");
    let (c1, c2) = (culprits(&one), culprits(&two));
    eprintln!("{example}: one session {c1:?}; separate sessions {c2:?}");
    let want = (want.0.to_string(), want.1.to_string());
    assert_eq!(c1.first(), Some(&want), "one session: {one}");
    assert_eq!(c2.first(), Some(&want), "separate sessions: {two}");
    let mut s1 = c1.clone();
    let mut s2 = c2.clone();
    s1.sort();
    s2.sort();
    assert_eq!(s1, s2, "the same culprits either way");
    // The path (or, for a closure, where it was defined) leads to the example's own code.
    let top = &two["suspects"][0];
    let path = top["retainer_path"].as_array().unwrap();
    assert!(
        path.iter().any(|h| h == "module leaky.js") || top["script"] == "leaky.js",
        "{top}"
    );
    assert!(path.len() < 30, "a readable path: {top}");
    assert!(!top["advice"].as_str().unwrap().is_empty());
}

fn fixed_example(example: &str) {
    if !have("node") {
        return;
    }
    let (one, two) = sessions(example, "fixed");
    assert_eq!(culprits(&one), vec![], "one session: {one}");
    assert_eq!(culprits(&two), vec![], "separate sessions: {two}");
}

#[test]
fn cache_leak_is_named_from_separate_captures() {
    leaky_example("cache", ("unbounded-collection", "profiles"));
}

#[test]
fn listener_leak_is_named_from_separate_captures() {
    leaky_example("listener", ("listener-accumulation", "change"));
}

#[test]
fn closure_leak_is_named_from_separate_captures() {
    leaky_example("closure", ("closure-retains-large-object", "page"));
}

#[test]
fn fixed_cache_names_nothing() {
    fixed_example("cache");
}

#[test]
fn fixed_listener_names_nothing() {
    fixed_example("listener");
}

#[test]
fn fixed_closure_names_nothing() {
    fixed_example("closure");
}

/// The probe: ~65 MB of profiles added to the leaky cache between the first and
/// second snapshot, then no traffic. Nothing grows at every step, but the Map kept what it
/// gained: memlab's kept objects name it, ranked by kept size, as grown and then held.
#[test]
fn growth_that_stopped_is_named_from_kept_objects() {
    if !have("node") {
        return;
    }
    // 31,000 new users × ~2.1 KiB each ≈ 65 MB, all before the second snapshot.
    let v = series_with_bursts("cache", 1000, [31_000, 0], 40);
    assert_eq!(v["matching"], "object-ids");
    let top = &v["suspects"][0];
    assert_eq!(top["pattern"], "grew-then-held", "{v}");
    assert_eq!(top["name"], "profiles", "{top}");
    let kept = top["kept_size"].as_f64().unwrap();
    assert!(kept > 55e6, "kept {kept} bytes");
    assert_eq!(
        top["size_delta"].as_f64(),
        Some(kept),
        "ranked by kept size"
    );
    let entries: Vec<u64> = top["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_u64().unwrap())
        .collect();
    assert_eq!(entries.len(), 3);
    assert!(entries[1] >= entries[0] + 30_000, "{entries:?}");
    assert_eq!(entries[1], entries[2], "held: {entries:?}");
    assert!(
        top["advice"]
            .as_str()
            .unwrap()
            .contains("grew and then held"),
        "{top}"
    );
    // Nothing grew at every step: no other pattern claims the Map.
    assert!(
        v["suspects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|s| s["pattern"] != "unbounded-collection"),
        "{v}"
    );
}

/// `heap capture --count 3 --every EVERY` of the leaky `example` after `before` requests, with
/// `bursts[0]` requests sent right after the first snapshot is written and `bursts[1]` after
/// the second: traffic shaped exactly, whatever the machine's load. Asserts each burst ended
/// before the next snapshot; returns the Heap JSON (exit 1 asserted: a suspect was named).
fn series_with_bursts(
    example: &str,
    before: u64,
    bursts: [u64; 2],
    every: u64,
) -> serde_json::Value {
    let (code, v) = shaped_series(example, "leaky", before, bursts, every);
    assert_eq!(code, Some(1), "a suspect is named: {v}");
    v
}

/// [`series_with_bursts`] of either variant: the exit code and the Heap JSON.
fn shaped_series(
    example: &str,
    variant: &str,
    before: u64,
    bursts: [u64; 2],
    every: u64,
) -> (Option<i32>, serde_json::Value) {
    let svc = Service::start(example, variant);
    let dir = tempfile::tempdir().unwrap();
    let next = Arc::new(AtomicU64::new(0));
    burst(svc.port, &next, before);
    let mut cap = leakscope()
        .args(["heap", "capture", "--format", "json", "--pid"])
        .arg(svc.pid().to_string())
        .arg("-o")
        .arg(dir.path().join("s.heapsnapshot"))
        .args(["--count", "3", "--every", &format!("{every}s")])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Each snapshot is written when capture says so on stderr.
    let stderr = cap.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            for n in 1..=2 {
                if line.contains(&format!("s-{n}.heapsnapshot")) {
                    let _ = tx.send(n);
                }
            }
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    for (n, count) in (1..=2).zip(bursts) {
        assert_eq!(
            rx.recv_timeout(Duration::from_secs(60 + every)),
            Ok(n),
            "snapshot {n} is written"
        );
        let t = Instant::now();
        burst(svc.port, &next, count);
        assert!(
            t.elapsed() < Duration::from_secs(every) - Duration::from_secs(5),
            "burst {n} must end before the next snapshot ({:?})",
            t.elapsed()
        );
    }
    let mut out = String::new();
    cap.stdout.take().unwrap().read_to_string(&mut out).unwrap();
    let status = cap.wait().unwrap();
    let log = reader.join().unwrap();
    let v = serde_json::from_str(&out).unwrap_or_else(|e| panic!("{e}: {out}\n{log}"));
    (status.code(), v)
}

/// Closures that keep growing, with most of the growth in the first interval (traffic slowed):
/// the timer list above them kept much and gained little, but it is the same leak seen from
/// higher up. The growing closure is named, not also "grew and then held" timers above it.
#[test]
fn a_leak_that_slowed_is_named_once_where_it_grows() {
    if !have("node") {
        return;
    }
    let v = series_with_bursts("closure", 500, [3000, 100], 20);
    let named = culprits(&v);
    assert_eq!(
        named.first(),
        Some(&(
            "closure-retains-large-object".to_string(),
            "page".to_string()
        )),
        "{v}"
    );
    let closure_path: Vec<&str> = v["suspects"][0]["retainer_path"]
        .as_array()
        .unwrap()
        .iter()
        .map(|h| h.as_str().unwrap())
        .collect();
    for s in v["suspects"].as_array().unwrap().iter().skip(1) {
        let path: Vec<&str> = s["retainer_path"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| h.as_str().unwrap())
            .collect();
        assert!(
            !closure_path.starts_with(&path),
            "{} ({}) lies on the closure's own retainer path: {v}",
            s["name"],
            s["pattern"]
        );
    }
}

/// A full LRU churned hard between the first and second snapshot, then left alone: what it
/// kept are replacements of evicted entries (1000 → 1000 → 1000 entries), not growth.
#[test]
fn a_full_lru_that_churned_and_rested_names_nothing() {
    if !have("node") {
        return;
    }
    let (code, v) = shaped_series("cache", "fixed", 3000, [6000, 0], 20);
    assert_eq!(culprits(&v), vec![], "{v}");
    assert_eq!(code, Some(0), "{v}");
}
