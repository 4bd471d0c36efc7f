//! Diagnoses of real processes: a leaking Node example (the culprit named from snapshots
//! taken through the inspector, which is closed again), a Python service with the
//! tracemalloc hook, and a process that is no runtime (skipped, never signalled).
//!
//! Skips (passing, with a message) when `node` or `python3` is not installed.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::os::unix::fs::PermissionsExt;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use leakscope_diagnose::{diagnose, DiagnoseSettings, Evidence, Request};

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn have(cmd: &str) -> bool {
    let ok = Command::new(cmd)
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: {cmd} is not installed");
    }
    ok
}

/// A service killed on drop.
struct Service {
    child: Child,
    port: u16,
}

impl Service {
    /// Start an example service with `--port 0` and learn its port from its "listening on
    /// 127.0.0.1:PORT" line. A port picked beforehand races with the Node inspectors that
    /// tests alongside open on port 0 (one can take it first, and the service dies).
    fn start(mut cmd: Command) -> Service {
        let mut child = cmd
            .args(["--port", "0"])
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = child.stdout.take().unwrap();
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if let Some(port) = line
                    .split("listening on 127.0.0.1:")
                    .nth(1)
                    .and_then(|p| p.trim().parse::<u16>().ok())
                {
                    let _ = tx.send(port);
                }
            }
        });
        let Ok(port) = rx.recv_timeout(Duration::from_secs(20)) else {
            let _ = child.kill();
            let _ = child.wait();
            panic!("{cmd:?} printed no 'listening on 127.0.0.1:PORT' within 20 s");
        };
        Service { child, port }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One keep-alive GET; false when the connection broke.
fn get(stream: &mut BufReader<TcpStream>, path: &str) -> bool {
    let req = format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    if stream.get_mut().write_all(req.as_bytes()).is_err() {
        return false;
    }
    let mut length = 0;
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
            length = v.trim().parse::<usize>().unwrap_or(0);
        }
    }
    let mut body = vec![0; length];
    stream.read_exact(&mut body).is_ok()
}

/// `/user/<n>` with a new `n` each time, about `per_second` a second, until `stop`.
fn drive(port: u16, per_second: u64, stop: Arc<AtomicBool>) -> std::thread::JoinHandle<u64> {
    let next = AtomicU64::new(0);
    std::thread::spawn(move || {
        let start = Instant::now();
        let mut conn: Option<BufReader<TcpStream>> = None;
        let mut done = 0u64;
        while !stop.load(Ordering::Relaxed) {
            let n = next.fetch_add(1, Ordering::Relaxed);
            let due = Duration::from_secs_f64(done as f64 / per_second as f64);
            if let Some(wait) = due.checked_sub(start.elapsed()) {
                std::thread::sleep(wait);
            }
            if conn.is_none() {
                conn = TcpStream::connect(("127.0.0.1", port))
                    .ok()
                    .map(BufReader::new);
            }
            let Some(c) = conn.as_mut() else {
                std::thread::sleep(Duration::from_millis(50));
                continue;
            };
            if get(c, &format!("/user/{n}")) {
                done += 1;
            } else {
                conn = None;
            }
        }
        done
    })
}

fn settings(spacing: Duration) -> DiagnoseSettings {
    DiagnoseSettings {
        captures: 3,
        min_spacing: spacing,
        max_spacing: spacing,
        capture_timeout: Duration::from_secs(60),
        ..DiagnoseSettings::default()
    }
}

fn request(target: &str, pid: u32) -> Request {
    Request {
        target: target.into(),
        pid: Some(pid),
        pprof: None,
        growth_bytes_per_hour: 1e9,
        limit_bytes: None,
        used_bytes: None,
    }
}

fn listening_ports(pid: u32) -> Vec<u16> {
    leakscope_probe::sockets::loopback_listen_ports(pid)
}

#[test]
fn a_leaking_node_service_gets_its_culprit_named_and_its_inspector_closed() {
    if !have("node") {
        return;
    }
    let mut cmd = Command::new("node");
    cmd.arg("--inspect-port=127.0.0.1:0")
        .arg(repo().join("examples/node/cache/leaky.js"));
    let svc = Service::start(cmd);
    let ports_before = listening_ports(svc.child.id());
    let stop_load = Arc::new(AtomicBool::new(false));
    let load = drive(svc.port, 300, Arc::clone(&stop_load));
    std::thread::sleep(Duration::from_secs(2));
    let tmp = tempfile::tempdir().unwrap();
    let evidence = Evidence::open(&tmp.path().join("evidence"), 1 << 30).unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let d = diagnose(
        &request("node-cache", svc.child.id()),
        &settings(Duration::from_secs(3)),
        &evidence,
        &stop,
    )
    .unwrap();
    stop_load.store(true, Ordering::Relaxed);
    assert!(load.join().unwrap() > 1000, "load was driven");
    assert_eq!(d.format, "v8");
    assert_eq!(
        d.matching.as_deref(),
        Some("object-ids"),
        "one session: {d:?}"
    );
    let top = d.suspects.first().expect("a suspect");
    assert_eq!(
        (top.pattern.as_str(), top.name.as_str()),
        ("unbounded-collection", "profiles"),
        "{d:?}"
    );
    assert_eq!(d.evidence.len(), 3);
    for f in &d.evidence {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
    // The inspector leakscope opened is closed again.
    assert_eq!(listening_ports(svc.child.id()), ports_before);
    assert_eq!(evidence.list().unwrap().len(), 3);
}

#[test]
fn a_process_that_is_no_runtime_is_skipped_and_not_signalled() {
    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let evidence = Evidence::open(&tmp.path().join("evidence"), 1 << 30).unwrap();
    let e = diagnose(
        &request("sleeper", sleeper.id()),
        &settings(Duration::from_secs(1)),
        &evidence,
        &Arc::new(AtomicBool::new(false)),
    )
    .unwrap_err();
    assert!(e.is_skip(), "{e}");
    assert!(e.to_string().contains("nothing was signalled"), "{e}");
    std::thread::sleep(Duration::from_millis(200));
    assert!(sleeper.try_wait().unwrap().is_none(), "sleep still runs");
    let _ = sleeper.kill();
    let _ = sleeper.wait();
    assert!(evidence.list().unwrap().is_empty());
}

#[test]
fn a_python_service_with_the_tracemalloc_hook_gets_its_allocation_site_named() {
    if !have("python3") {
        return;
    }
    let dumps = tempfile::tempdir().unwrap();
    let mut cmd = Command::new("python3");
    cmd.arg(repo().join("examples/python/records/leaky.py"))
        .env("LEAKSCOPE_TRACEMALLOC", "1")
        .env("LEAKSCOPE_TRACEMALLOC_DIR", dumps.path());
    let svc = Service::start(cmd);
    let stop_load = Arc::new(AtomicBool::new(false));
    let load = drive(svc.port, 150, Arc::clone(&stop_load));
    std::thread::sleep(Duration::from_secs(1));
    let tmp = tempfile::tempdir().unwrap();
    let evidence = Evidence::open(&tmp.path().join("evidence"), 1 << 30).unwrap();
    let d = diagnose(
        &request("py-records", svc.child.id()),
        &settings(Duration::from_secs(3)),
        &evidence,
        &Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    stop_load.store(true, Ordering::Relaxed);
    load.join().unwrap();
    assert_eq!(d.format, "tracemalloc");
    let top = d.suspects.first().expect("a suspect");
    assert_eq!(top.pattern, "growing-allocation-site", "{d:?}");
    assert!(top.name.contains("leaky.py"), "{top:?}");
    assert!(top.size_delta > 100_000, "{top:?}");
    // The dumps were moved into the private evidence directory.
    assert_eq!(d.evidence.len(), 3);
    assert!(std::fs::read_dir(dumps.path()).unwrap().next().is_none());
    for f in &d.evidence {
        let mode = std::fs::metadata(f).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{}", f.display());
    }
}

/// `go build` of an example into `dir`; `None` (a skip) without Go.
fn go_build(example: &str, dir: &std::path::Path) -> Option<PathBuf> {
    if !have_go() {
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

fn have_go() -> bool {
    let ok = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: go is not installed");
    }
    ok
}

#[test]
fn a_go_service_gets_its_allocation_site_named_from_pprof_without_a_signal() {
    let bin = tempfile::tempdir().unwrap();
    let Some(exe) = go_build("cache/leaky", bin.path()) else {
        return;
    };
    let cmd = Command::new(&exe);
    let svc = Service::start(cmd);
    let stop_load = Arc::new(AtomicBool::new(false));
    let load = drive(svc.port, 400, Arc::clone(&stop_load));
    std::thread::sleep(Duration::from_secs(1));
    let tmp = tempfile::tempdir().unwrap();
    let evidence = Evidence::open(&tmp.path().join("evidence"), 1 << 30).unwrap();
    let mut req = request("go-cache", svc.child.id());
    req.pprof = Some(format!("http://127.0.0.1:{}", svc.port));
    let d = diagnose(
        &req,
        &settings(Duration::from_secs(3)),
        &evidence,
        &Arc::new(AtomicBool::new(false)),
    )
    .unwrap();
    stop_load.store(true, Ordering::Relaxed);
    load.join().unwrap();
    assert_eq!(d.format, "pprof");
    assert_eq!(d.pid, None, "nothing was signalled");
    // What serving the profiles allocates (compress/flate under runtime/pprof) is not the
    // service's growth: it once ranked first.
    assert!(
        !d.suspects
            .iter()
            .any(|s| s.retainer_path.iter().any(|f| f.contains("runtime/pprof."))),
        "{d:?}"
    );
    let top = d.suspects.first().expect("a suspect");
    assert_eq!(top.pattern, "growing-allocation-site", "{d:?}");
    // The allocation site, reached from the example's own handler.
    assert!(top.name.contains("service.Payload"), "{top:?}");
    assert!(
        top.retainer_path
            .iter()
            .any(|f| f.starts_with("main.handle") && f.contains("cache/leaky/main.go")),
        "{top:?}"
    );
    assert!(top.size_delta > 500_000, "{top:?}");
    // Heap and goroutine profiles, three each.
    assert_eq!(d.evidence.len(), 6, "{:?}", d.evidence);
}

#[test]
fn a_node_service_near_its_limit_or_over_the_disk_budget_is_skipped_with_its_inspector_closed() {
    if !have("node") {
        return;
    }
    let mut cmd = Command::new("node");
    cmd.arg("--inspect-port=127.0.0.1:0")
        .arg(repo().join("examples/node/cache/leaky.js"));
    let svc = Service::start(cmd);
    let ports_before = listening_ports(svc.child.id());
    let tmp = tempfile::tempdir().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    // 1 MB left below the limit: no room for a snapshot of a heap of several MB.
    let evidence = Evidence::open(&tmp.path().join("a"), 1 << 30).unwrap();
    let mut req = request("near-limit", svc.child.id());
    req.limit_bytes = Some(101e6);
    req.used_bytes = Some(100e6);
    let e = diagnose(&req, &settings(Duration::from_secs(1)), &evidence, &stop).unwrap_err();
    assert!(
        e.is_skip() && e.to_string().contains("too near the memory limit"),
        "{e}"
    );
    assert!(evidence.list().unwrap().is_empty());
    // A disk budget of 100 kB cannot hold a snapshot.
    let small = Evidence::open(&tmp.path().join("b"), 100_000).unwrap();
    let e = diagnose(
        &request("small-disk", svc.child.id()),
        &settings(Duration::from_secs(1)),
        &small,
        &stop,
    )
    .unwrap_err();
    assert!(e.is_skip() && e.to_string().contains("disk budget"), "{e}");
    assert!(small.list().unwrap().is_empty());
    // Either way the inspector leakscope opened is closed again, and the service serves.
    assert_eq!(listening_ports(svc.child.id()), ports_before);
    assert!(TcpStream::connect(("127.0.0.1", svc.port)).is_ok());
}
