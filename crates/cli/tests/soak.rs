//! `leakscope run` end to end on the real example services: every leaky one is flagged, every
//! fixed twin passes, and bytes per request is within a factor of 2 of what the program itself
//! says it retains per request (from its own /stats, after its own GC).

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use common::*;

/// GET http://127.0.0.1:port/path as JSON, with a plain TcpStream (no client dependency).
fn get_json(port: u16, path: &str) -> Option<serde_json::Value> {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(10))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut text = String::new();
    s.read_to_string(&mut text).ok()?;
    let body = text.split("\r\n\r\n").nth(1)?;
    // Chunked or not, the JSON object is the part between the outer braces.
    let (a, b) = (body.find('{')?, body.rfind('}')?);
    serde_json::from_str(&body[a..=b]).ok()
}

/// Where the Go examples were built, or None (with the reason printed) when Go is missing.
fn go_bin(name: &str) -> Option<PathBuf> {
    static BUILT: OnceLock<Option<PathBuf>> = OnceLock::new();
    let dir = BUILT.get_or_init(|| {
        if Command::new("go").arg("version").output().is_err() {
            eprintln!("SKIP: go is not installed (apt-get install golang-go)");
            return None;
        }
        let out =
            std::env::temp_dir().join(format!("leakscope-go-examples-{}", std::process::id()));
        std::fs::create_dir_all(&out).unwrap();
        for (pkg, bin) in [
            ("./goroutines/leaky", "goroutines-leaky"),
            ("./goroutines/fixed", "goroutines-fixed"),
            ("./cache/leaky", "cache-leaky"),
            ("./cache/fixed", "cache-fixed"),
        ] {
            let st = Command::new("go")
                .args(["build", "-o"])
                .arg(out.join(bin))
                .arg(pkg)
                .current_dir(repo().join("examples/go"))
                .env("GOFLAGS", "-mod=mod")
                .env("GOCACHE", std::env::temp_dir().join("leakscope-gocache"))
                .status()
                .unwrap();
            assert!(st.success(), "go build {pkg}");
        }
        Some(out)
    });
    dir.as_ref().map(|d| d.join(name))
}

/// Where the program reports what it retains: its /stats path and the JSON key, read after
/// its own GC.
#[derive(Clone, Copy)]
struct Truth {
    path: &'static str,
    key: &'static str,
}

const NODE_HEAP: Truth = Truth {
    path: "/stats?gc=1",
    key: "heap_used_bytes",
};
const PYTHON_PAYLOAD: Truth = Truth {
    path: "/stats",
    key: "retained_payload_bytes",
};
const GO_HEAP: Truth = Truth {
    path: "/stats",
    key: "heap_inuse_bytes",
};

struct Soak {
    out: Output,
    json: serde_json::Value,
    /// The program's own bytes retained per request, measured from its /stats during the run.
    truth_per_request: Option<f64>,
}

/// Run `leakscope run` on `service` (told `--port 0`; `{port}` in the flags is the port it
/// picks), and meanwhile read the program's own measure of retained memory from /stats twice,
/// after warm-up.
fn soak(service: &[String], extra: &[&str], truth: Option<Truth>) -> Soak {
    let dir = tempfile::tempdir().unwrap();
    let mut cmd = leakscope();
    cmd.args([
        "run",
        "--format",
        "json",
        "--warmup",
        "10s",
        "--duration",
        "40s",
        "--interval",
        "1s",
    ])
    .arg("--load")
    .arg("http://127.0.0.1:{port}/user/{n}")
    .arg("--db")
    .arg(dir.path().join("soak.db"))
    .args(extra)
    .arg("--")
    .args(service)
    .args(["--port", "0"])
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let stderr = RunStderr::of(&mut child);
    let mut per_request = None;
    if let Some(Truth { path, key }) = truth {
        let port = stderr
            .port(Duration::from_secs(30))
            .expect("run says the port it found");
        // Two readings 20 s apart, well after warm-up.
        let start = Instant::now();
        std::thread::sleep(Duration::from_secs(15));
        let a = get_json(port, path);
        std::thread::sleep(Duration::from_secs(20));
        let b = get_json(port, path);
        if let (Some(a), Some(b)) = (a, b) {
            let dm = b[key].as_f64().unwrap_or(0.0) - a[key].as_f64().unwrap_or(0.0);
            let dr = b["requests"].as_f64().unwrap_or(0.0) - a["requests"].as_f64().unwrap_or(0.0);
            if dr > 0.0 {
                per_request = Some(dm / dr);
            }
        }
        assert!(
            start.elapsed() < Duration::from_secs(50),
            "the truth readings must fall inside the run"
        );
    }
    let mut out = child.wait_with_output().unwrap();
    out.stderr = stderr.text().into_bytes();
    let json = json_of(&out);
    Soak {
        out,
        json,
        truth_per_request: per_request,
    }
}

fn node(example: &str, variant: &str) -> Vec<String> {
    vec![
        "node".into(),
        "--expose-gc".into(),
        repo()
            .join(format!("examples/node/{example}/{variant}.js"))
            .display()
            .to_string(),
    ]
}

fn python(example: &str, variant: &str) -> Vec<String> {
    vec![
        "python3".into(),
        repo()
            .join(format!("examples/python/{example}/{variant}.py"))
            .display()
            .to_string(),
    ]
}

fn assert_leak(s: &Soak, what: &str) {
    let v = &s.json["series"][0];
    assert_eq!(
        s.out.status.code(),
        Some(1),
        "{what}: {v}\n{}",
        String::from_utf8_lossy(&s.out.stderr)
    );
    assert_eq!(v["verdict"], "leak", "{what}: {v}");
    let measured = v["bytes_per_request"].as_f64().expect("bytes_per_request");
    let truth = s
        .truth_per_request
        .expect("the program's own per-request figure");
    assert!(
        truth > 100.0,
        "{what}: the program says it retains {truth} B/request"
    );
    let ratio = measured / truth;
    eprintln!(
        "{what}: leakscope {measured:.0} B/request, program {truth:.0} B/request, ratio {ratio:.2}"
    );
    assert!(
        (0.5..=2.0).contains(&ratio),
        "{what}: leakscope {measured:.0} B/req vs program {truth:.0} B/req"
    );
    assert!(v["requests"].as_u64().unwrap() > 1000, "{what}: {v}");
}

fn assert_clean(s: &Soak, what: &str) {
    let v = &s.json["series"][0];
    assert_eq!(
        s.out.status.code(),
        Some(0),
        "{what}: {v}\n{}",
        String::from_utf8_lossy(&s.out.stderr)
    );
    assert_eq!(v["verdict"], "no_leak", "{what}: {v}");
    assert!(v["requests"].as_u64().unwrap() > 1000, "{what}: {v}");
    assert_eq!(v["errors"], 0, "{what}: {v}");
}

#[test]
fn node_unbounded_cache_is_flagged_and_its_lru_twin_passes() {
    let s = soak(&node("cache", "leaky"), &[], Some(NODE_HEAP));
    assert_eq!(s.json["series"][0]["signal"], "heap_used_after_gc_bytes");
    assert_leak(&s, "node cache leaky");
    assert_clean(
        &soak(&node("cache", "fixed"), &[], None),
        "node cache fixed",
    );
}

#[test]
fn node_listener_accumulation_is_flagged_and_its_twin_passes() {
    assert_leak(
        &soak(&node("listener", "leaky"), &[], Some(NODE_HEAP)),
        "node listener leaky",
    );
    assert_clean(
        &soak(&node("listener", "fixed"), &[], None),
        "node listener fixed",
    );
}

#[test]
fn node_closure_holding_a_buffer_is_flagged_and_its_twin_passes() {
    // The fixed twin still keeps one small timer per request for 10 minutes (by design: the
    // timer is the feature); at 200 req/s that stays below what a leak needs within a soak.
    let rate = ["--rps", "200"];
    assert_leak(
        &soak(&node("closure", "leaky"), &rate, Some(NODE_HEAP)),
        "node closure leaky",
    );
    assert_clean(
        &soak(&node("closure", "fixed"), &rate, None),
        "node closure fixed",
    );
}

#[test]
fn python_unbounded_cache_is_flagged_and_its_lru_twin_passes() {
    assert_leak(
        &soak(&python("cache", "leaky"), &[], Some(PYTHON_PAYLOAD)),
        "python cache leaky",
    );
    assert_clean(
        &soak(&python("cache", "fixed"), &[], None),
        "python cache fixed",
    );
}

#[test]
fn python_request_records_are_flagged_and_the_bounded_queue_passes() {
    assert_leak(
        &soak(&python("records", "leaky"), &[], Some(PYTHON_PAYLOAD)),
        "python records leaky",
    );
    assert_clean(
        &soak(&python("records", "fixed"), &[], None),
        "python records fixed",
    );
}

#[test]
fn go_blocked_goroutines_are_flagged_and_context_cancellation_passes() {
    let Some(leaky) = go_bin("goroutines-leaky") else {
        return;
    };
    let fixed = go_bin("goroutines-fixed").unwrap();
    assert_leak(&soak_go(&leaky), "go goroutines leaky");
    assert_clean(&soak_go(&fixed), "go goroutines fixed");
}

#[test]
fn go_unbounded_cache_is_flagged_and_its_lru_twin_passes() {
    let Some(leaky) = go_bin("cache-leaky") else {
        return;
    };
    let fixed = go_bin("cache-fixed").unwrap();
    assert_leak(&soak_go(&leaky), "go cache leaky");
    assert_clean(&soak_go(&fixed), "go cache fixed");
}

/// Go services: the heap in use from their /metrics is the signal; the truth is HeapInuse
/// after runtime.GC() from their /stats.
fn soak_go(bin: &Path) -> Soak {
    let scrape = [
        "--scrape",
        "http://127.0.0.1:{port}/metrics",
        "--metric",
        "go_memstats_heap_inuse_bytes",
    ];
    soak(&[bin.display().to_string()], &scrape, Some(GO_HEAP))
}

#[test]
fn a_leak_of_a_few_hundred_bytes_per_request_is_recognized_within_two_minutes() {
    // A tiny real Node service that keeps 300 bytes per request in a module-level array.
    let dir = tempfile::tempdir().unwrap();
    let script = write(
        dir.path(),
        "small-leak.js",
        "const http = require('http');\n\
         const kept = [];\n\
         const port = Number(process.argv[process.argv.indexOf('--port') + 1]);\n\
         http.createServer((req, res) => {\n\
           kept.push(Buffer.alloc(300, req.url.length).toString('latin1'));\n\
           res.end('ok');\n\
         }).listen(port, '127.0.0.1');\n\
         process.on('SIGTERM', () => process.exit(0));\n",
    );
    let service = vec!["node".to_string(), script.display().to_string()];
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs_f64();
    let out = leakscope()
        .args([
            "run",
            "--format",
            "json",
            "--warmup",
            "10s",
            "--duration",
            "110s",
            "--interval",
            "1s",
            "--concurrency",
            "8",
        ])
        .arg("--load")
        .arg("http://127.0.0.1:{port}/user/{n}")
        .arg("--db")
        .arg(dir.path().join("small.db"))
        .arg("--")
        .args(&service)
        .args(["--port", "0"])
        .output()
        .unwrap();
    let v = expect_json(&out, 1);
    let s = &v["series"][0];
    assert_eq!(s["verdict"], "leak", "{s}");
    let per = s["bytes_per_request"].as_f64().unwrap();
    assert!(
        (150.0..=600.0).contains(&per),
        "{per} B/request for 300 kept"
    );
    // Detected within 2 minutes of the load starting (which is after `started`).
    let detected = s["detected_at"].as_f64().expect("detected_at");
    let after = detected - started;
    eprintln!("small leak: {per:.0} B/request, detected {after:.0} s after leakscope started");
    assert!(after <= 120.0, "detected {after:.0} s after the start");
}

/// Two soaks of the Node example at once, while something else holds 127.0.0.1:9229 (the
/// inspector port every Node process uses by default): each child gets an inspector port of
/// its own, so both still measure the V8 heap after forced GCs.
#[test]
fn two_node_soaks_at_once_both_force_gcs_while_9229_is_taken() {
    // Hold 9229 ourselves unless something on this machine already does.
    let _held = std::net::TcpListener::bind("127.0.0.1:9229").ok();
    let dir = tempfile::tempdir().unwrap();
    let soaks: Vec<_> = (0..2)
        .map(|i| {
            let db = dir.path().join(format!("soak{i}.db"));
            let child = leakscope()
                .args([
                    "run",
                    "--format",
                    "json",
                    "--warmup",
                    "2s",
                    "--duration",
                    "8s",
                    "--interval",
                    "1s",
                    "--rps",
                    "100",
                ])
                .arg("--load")
                .arg("http://127.0.0.1:{port}/user/{n}")
                .arg("--db")
                .arg(&db)
                .arg("--")
                .args(node("cache", "leaky"))
                .args(["--port", "0"])
                .env_remove("NODE_OPTIONS")
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            (db, child)
        })
        .collect();
    for (db, child) in soaks {
        let out = child.wait_with_output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        let v = json_of(&out);
        assert_eq!(
            v["series"][0]["signal"],
            "heap_used_after_gc_bytes",
            "{}: {stderr}",
            db.display()
        );
        let gcs = stored_samples(&db, "heap_used_after_gc_bytes");
        assert!(
            gcs >= 5,
            "{}: {gcs} forced-GC readings: {stderr}",
            db.display()
        );
        assert!(!stderr.contains("measuring RSS instead"), "{stderr}");
    }
}
