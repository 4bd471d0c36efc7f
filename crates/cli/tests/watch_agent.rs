//! `watch` as a long-running agent: the config file (checked, reloaded on SIGHUP, a broken one
//! refused while the old one runs on), processes matched by pattern and waited for, https with
//! a CA file, every named metric judged, `-v`, and its own /metrics.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

fn json_lines(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}

#[test]
fn the_shipped_example_config_passes_the_check() {
    let example = repo().join("examples/leakscope.toml");
    let out = leakscope()
        .args(["config", "check"])
        .arg(&example)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("ok"));
}

#[test]
fn config_check_names_the_line_and_key_of_a_mistake() {
    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "bad.toml",
        "interval = \"10s\"\n\n[[target]]\nname = \"api\"\nprocess = \"node .*server.js\"\n[target.rules]\nalert_growth = \"fast\"\n",
    );
    let out = leakscope()
        .args(["config", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("line 7"), "{err}");
    assert!(err.contains("alert_growth"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
}

/// A config naming a process that does not run yet: the watcher says it waits, finds it when
/// it starts, follows it across a restart under a new pid, and SIGHUP with a broken file keeps
/// the old config (and the series) while a fixed one adds a target.
#[test]
fn a_config_file_drives_the_watch_and_sighup_reloads_it() {
    let dir = tempfile::tempdir().unwrap();
    let marker = format!("leakscope-cfg-{}", std::process::id());
    let cfg = dir.path().join("leakscope.toml");
    let good = format!(
        "interval = \"100ms\"\n[store]\npath = \"cfg.db\"\nretention = \"30d\"\n[[target]]\nname = \"app\"\nprocess = \"^{marker} \"\n"
    );
    std::fs::write(&cfg, &good).unwrap();
    let mut watch = leakscope()
        .args(["watch", "--config"])
        .arg(&cfg)
        .arg("--log")
        .arg(dir.path().join("cfg.jsonl"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = stderr_lines(&mut watch);
    let mut said = Vec::new();
    let wait_line = |want: &str, said: &mut Vec<String>| -> bool {
        let end = std::time::Instant::now() + Duration::from_secs(10);
        while std::time::Instant::now() < end {
            if let Ok(l) = rx.recv_timeout(Duration::from_millis(100)) {
                said.push(l.clone());
                if l.contains(want) {
                    return true;
                }
            }
        }
        false
    };
    assert!(
        wait_line("waiting for a process matching", &mut said),
        "{said:?}"
    );
    let start = |marker: &str| {
        Command::new("bash")
            .args(["-c", &format!("exec -a '{marker} ' sleep 60")])
            .spawn()
            .unwrap()
    };
    let mut first = start(&marker);
    assert!(
        wait_line(&format!("following process {}", first.id()), &mut said),
        "{said:?}"
    );
    first.kill().unwrap();
    first.wait().unwrap();
    let mut second = start(&marker);
    assert!(
        wait_line(&format!("following process {}", second.id()), &mut said),
        "{said:?}"
    );

    // A broken file: refused with the line and key; the watch goes on with the old one.
    std::fs::write(&cfg, format!("{good}intervall = 3\n")).unwrap();
    unsafe { libc::kill(watch.id() as i32, libc::SIGHUP) };
    assert!(wait_line("not reloaded", &mut said), "{said:?}");
    let refusal = said.last().unwrap().clone();
    assert!(
        refusal.contains("line 8") && refusal.contains("intervall"),
        "{refusal}"
    );
    std::thread::sleep(Duration::from_millis(500));

    // A fixed file with a second target: reloaded; the first keeps its series.
    let mut other = Command::new("sleep").arg("60").spawn().unwrap();
    std::fs::write(
        &cfg,
        format!("{good}[[target]]\nname = \"other\"\npid = {}\n", other.id()),
    )
    .unwrap();
    unsafe { libc::kill(watch.id() as i32, libc::SIGHUP) };
    assert!(wait_line("reloaded", &mut said), "{said:?}");
    std::thread::sleep(Duration::from_millis(800));
    unsafe { libc::kill(watch.id() as i32, libc::SIGTERM) };
    let status = watch.wait().unwrap();
    for c in [&mut second, &mut other] {
        c.kill().ok();
        c.wait().ok();
    }
    assert!(matches!(status.code(), Some(0) | Some(1)), "{said:?}");
    let log = json_lines(&std::fs::read_to_string(dir.path().join("cfg.jsonl")).unwrap());
    assert!(
        log.iter().any(|l| l["target"] == "other"),
        "the new target was sampled"
    );
    let restarts: Vec<_> = log
        .iter()
        .filter(|l| l["target"] == "app" && l["event"] == "restart")
        .collect();
    assert_eq!(
        restarts.len(),
        1,
        "the restart under a new pid: {restarts:?}"
    );
    // One series for `app` in the store across the restart and both reloads (the store path
    // came from the file, relative to it).
    let db = dir.path().join("cfg.db");
    let n = stored_samples(&db, "rss_bytes");
    let app_samples = log
        .iter()
        .filter(|l| l["target"] == "app" && l["rss_bytes"].is_number())
        .count() as u64;
    assert!(n >= app_samples, "{n} stored, {app_samples} of app logged");
}

/// A CA and a server certificate for 127.0.0.1 signed by it, made with openssl.
fn tls_files(dir: &Path) -> (PathBuf, PathBuf, PathBuf) {
    let run = |args: &[&str]| {
        let ok = Command::new("openssl")
            .args(args)
            .current_dir(dir)
            .stderr(Stdio::null())
            .stdout(Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "openssl {args:?}");
    };
    run(&[
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "ca.key",
        "-out",
        "ca.pem",
        "-days",
        "2",
        "-subj",
        "/CN=leakscope test CA",
    ]);
    run(&[
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "leaf.key",
        "-out",
        "leaf.csr",
        "-subj",
        "/CN=127.0.0.1",
    ]);
    std::fs::write(
        dir.join("leaf.ext"),
        "subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    run(&[
        "x509",
        "-req",
        "-in",
        "leaf.csr",
        "-CA",
        "ca.pem",
        "-CAkey",
        "ca.key",
        "-CAcreateserial",
        "-out",
        "leaf.pem",
        "-days",
        "2",
        "-extfile",
        "leaf.ext",
    ]);
    (
        dir.join("ca.pem"),
        dir.join("leaf.pem"),
        dir.join("leaf.key"),
    )
}

/// python3's http.server behind TLS, serving `dir` (GET) and appending POST bodies to
/// `dir/posted`; the child and its port.
fn https_server(dir: &Path, cert: &Path, key: &Path) -> (std::process::Child, u16) {
    let port = free_port();
    let script = format!(
        r#"
import http.server, ssl, os
class H(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get('Content-Length', 0)))
        open('posted', 'ab').write(body + b'\n')
        self.send_response(200)
        self.send_header('Content-Length', '0')
        self.end_headers()
srv = http.server.ThreadingHTTPServer(("127.0.0.1", {port}), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain({cert:?}, {key:?})
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
srv.serve_forever()
"#,
        cert = cert.display().to_string(),
        key = key.display().to_string(),
    );
    let path = write(dir, "tls_server.py", &script);
    let child = Command::new("python3")
        .arg(&path)
        .current_dir(dir)
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    assert!(wait_for(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    }));
    (child, port)
}

#[test]
fn https_scrapes_and_webhooks_work_with_a_ca_file_and_fail_clearly_without() {
    let dir = tempfile::tempdir().unwrap();
    let (ca, cert, key) = tls_files(dir.path());
    write(
        dir.path(),
        "metrics",
        "nodejs_heap_size_used_bytes 12345678\nprocess_resident_memory_bytes 99999999\n",
    );
    let (mut server, port) = https_server(dir.path(), &cert, &key);
    let base = format!("https://127.0.0.1:{port}");
    let out = leakscope()
        .args(["watch", "--scrape", &format!("{base}/metrics")])
        .args(["--interval", "100ms", "--count", "4", "--alert-above", "1"])
        .arg("--ca-file")
        .arg(&ca)
        .args(["--webhook", &format!("{base}/hook"), "--db"])
        .arg(dir.path().join("t.db"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let lines = json_lines(&String::from_utf8_lossy(&out.stdout));
    assert_eq!(lines[0]["nodejs_heap_size_used_bytes"], 12345678, "{err}");
    let posted = std::fs::read_to_string(dir.path().join("posted")).unwrap_or_default();
    assert!(
        posted.contains("MemoryAboveThreshold"),
        "the alert went over https: {err}"
    );

    // Without the CA: refused at start with a sentence saying what to do.
    let out = leakscope()
        .args([
            "watch",
            "--scrape",
            &format!("{base}/metrics"),
            "--count",
            "1",
            "--db",
        ])
        .arg(dir.path().join("u.db"))
        .output()
        .unwrap();
    server.kill().ok();
    server.wait().ok();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("TLS") && err.contains("--ca-file"), "{err}");

    // A webhook URL that is not http(s) is refused at start, not at the first alert.
    let out = leakscope()
        .args(["watch", "--pid", &std::process::id().to_string()])
        .args(["--webhook", "https://", "--count", "1", "--db"])
        .arg(dir.path().join("v.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--webhook"));
}

/// Every metric the user names is judged — a count by its name, memory by its `_bytes`
/// part — and `analyze --db` judges them too; a `run` database's heap-after-GC series is
/// judged without --field.
#[test]
fn every_named_metric_is_judged_in_watch_and_in_analyze() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "metrics",
        "myapp_cache_entries 1200\njvm_memory_bytes_used{area=\"heap\"} 5.5e+07\nmyapp_queue_depth 3\n",
    );
    let (mut server, port) = serve_dir(dir.path());
    let url = format!("http://127.0.0.1:{port}/metrics");
    let db = dir.path().join("n.db");
    let out = leakscope()
        .args(["watch", "--scrape", &url])
        .args(["--metric", "myapp_cache_entries"])
        .args(["--metric", "jvm_memory_bytes_used{area=\"heap\"}"])
        .args([
            "--metric",
            "myapp_queue_depth",
            "--metric-unit",
            "myapp_queue_depth=bytes",
        ])
        .args([
            "--interval",
            "50ms",
            "--count",
            "4",
            "--format",
            "json",
            "--db",
        ])
        .arg(&db)
        .arg("--log")
        .arg(dir.path().join("n.jsonl"))
        .output()
        .unwrap();
    server.kill().ok();
    server.wait().ok();
    let v = json_of(&out);
    let names: Vec<String> = v["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["name"].as_str().unwrap().to_string())
        .collect();
    for m in [
        "myapp_cache_entries",
        "jvm_memory_bytes_used{area=\"heap\"}",
        "myapp_queue_depth",
    ] {
        assert!(
            names.contains(&format!("{url}/{m}")),
            "{m} judged: {names:?}"
        );
    }
    let an = leakscope()
        .args(["analyze", "--format", "json", "--db"])
        .arg(&db)
        .output()
        .unwrap();
    let v = json_of(&an);
    assert_eq!(v["series"].as_array().unwrap().len(), 3, "{v}");

    // A run database: the heap after GC is judged by default.
    let run_db = dir.path().join("run.db");
    {
        let mut s = leakscope_store::Store::open(&run_db).unwrap();
        let t = s.target("server.js", "run", "node server.js").unwrap();
        for i in 0..40 {
            let t0 = 1_700_000_000.0 + f64::from(i) * 30.0;
            s.append(
                t,
                t0,
                &[
                    ("heap_used_after_gc_bytes", 2e7 + f64::from(i) * 1e6),
                    ("rss_bytes", 9e7),
                ],
            )
            .unwrap();
        }
        s.flush().unwrap();
    }
    let an = leakscope()
        .args(["analyze", "--format", "json", "--min-span", "10m", "--db"])
        .arg(&run_db)
        .output()
        .unwrap();
    let v = json_of(&an);
    let heap = v["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "server.js/heap_used_after_gc_bytes")
        .unwrap_or_else(|| panic!("the heap after GC is judged: {v}"));
    assert_eq!(heap["verdict"], "leak", "{heap}");
}

#[test]
fn verbose_says_what_is_sampled_and_how_long_it_took() {
    let dir = tempfile::tempdir().unwrap();
    let out = leakscope()
        .args(["watch", "-vv", "--pid", &std::process::id().to_string()])
        .args(["--interval", "50ms", "--count", "3", "--db"])
        .arg(dir.path().join("v.db"))
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("round") && err.contains("took_us"), "{err}");
    assert!(err.contains("store flush"), "{err}");
    let quiet = leakscope()
        .args(["watch", "--pid", &std::process::id().to_string()])
        .args(["--interval", "50ms", "--count", "3", "--db"])
        .arg(dir.path().join("v.db"))
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&quiet.stderr).contains("took_us"));
}
