//! A leak detector must not leak: `watch` over many targets for thousands of rounds keeps its
//! own RSS flat, judged by leakscope's own recognizer. The targets take every path of the
//! engine: local sources sampled inline (40 pids), remote ones on worker threads (2 scrapes),
//! the store writer thread, and the stderr alert lane.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use common::*;

#[test]
fn the_watchers_memory_stays_flat_over_thousands_of_rounds() {
    let dir = tempfile::tempdir().unwrap();
    let mut sleepers: Vec<_> = (0..40)
        .map(|_| Command::new("sleep").arg("3600").spawn().unwrap())
        .collect();
    write(
        dir.path(),
        "metrics",
        "go_memstats_heap_inuse_bytes 5.5e+07\ngo_goroutines 12\n",
    );
    let (mut server, port) = serve_dir(dir.path());
    let mut args: Vec<String> = vec![
        "watch".into(),
        "--scrape".into(),
        format!("http://127.0.0.1:{port}/metrics"),
        "--scrape".into(),
        format!("http://localhost:{port}/metrics"),
        "--alert-above".into(),
        "1".into(),
        "--interval".into(),
        "5ms".into(),
        "--count".into(),
        "10000".into(),
        "-q".into(),
    ];
    for s in &sleepers {
        args.push("--pid".into());
        args.push(s.id().to_string());
    }
    let mut watch = leakscope()
        .args(&args)
        .arg("--db")
        .arg(dir.path().join("self.db"))
        .arg("--log")
        .arg(dir.path().join("log.jsonl"))
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let pid = watch.id();
    let start = Instant::now();
    let mut csv = String::from("timestamp,watcher_rss_bytes\n");
    let mut samples = Vec::new();
    while watch.try_wait().unwrap().is_none() && start.elapsed() < Duration::from_secs(300) {
        if let Some(rss) = resident_bytes(pid).map(|b| b as f64) {
            // Spread the run over an hour of timestamps so the recognizer judges the shape, not
            // the few seconds this test lasts.
            let t = 1_700_000_000.0 + start.elapsed().as_secs_f64() * 60.0;
            csv.push_str(&format!("{t:.3},{rss}\n"));
            samples.push(rss);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let status = watch.wait().unwrap();
    server.kill().ok();
    server.wait().ok();
    for s in &mut sleepers {
        s.kill().ok();
        s.wait().ok();
    }
    assert!(status.success() || status.code() == Some(1), "{status:?}");
    assert!(samples.len() > 40, "{} RSS readings", samples.len());
    // Plain check: once the bounded buffers are full (each series' alert window keeps at most
    // 4,096 points; SQLite's page cache, 2 MiB for 40 targets, fills within seconds as the file
    // grows), the last quarter is not above the third. With a 16 MiB cache the file was still
    // filling it at the end of the run and the recognizer rightly called that growth a leak.
    let q = samples.len() / 4;
    let median = |s: &[f64]| {
        let mut v = s.to_vec();
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (early, late) = (median(&samples[2 * q..3 * q]), median(&samples[3 * q..]));
    eprintln!(
        "watcher RSS: first {:.1} MiB, third quarter {:.1} MiB, last quarter {:.1} MiB",
        samples[0] / 1048576.0,
        early / 1048576.0,
        late / 1048576.0
    );
    assert!(
        late - early < 2.0 * 1024.0 * 1024.0,
        "watcher RSS grew {early} -> {late}"
    );
    // And leakscope's own recognizer agrees.
    let path = write(dir.path(), "watcher.csv", &csv);
    let out = leakscope()
        .args(["analyze", "--format", "json"])
        .arg(&path)
        .output()
        .unwrap();
    let v = json_of(&out);
    assert_ne!(v["series"][0]["verdict"], "leak", "{v}");
}
