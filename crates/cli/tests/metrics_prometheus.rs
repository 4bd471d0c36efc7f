//! The watcher's own /metrics, checked by the real tools: `promtool check metrics` finds it
//! clean, and a real Prometheus (Debian's package, started here on loopback and stopped at
//! the end) scrapes it and answers a PromQL query with the verdict.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

fn get(url: &str) -> Option<String> {
    leakscope_probe::http::get(url, Duration::from_secs(5), 1 << 20)
        .ok()
        .map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// A child killed (and reaped) when the test ends, however it ends.
struct Reaped(Child);
impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[test]
fn prometheus_scrapes_the_watcher_and_promql_returns_the_verdict() {
    if !have("prometheus") || !have("promtool") {
        eprintln!("SKIP: prometheus/promtool are not installed (apt-get install prometheus)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let _sleeper = Reaped(Command::new("sleep").arg("120").spawn().unwrap());
    let pid = _sleeper.0.id();
    let port = free_port();
    let watch = Reaped(
        leakscope()
            .args([
                "watch",
                "--pid",
                &pid.to_string(),
                "--interval",
                "200ms",
                "-q",
            ])
            // A bare port listens on 127.0.0.1.
            .args(["--listen", &port.to_string(), "--db"])
            .arg(dir.path().join("w.db"))
            .arg("--log")
            .arg(dir.path().join("w.jsonl"))
            .spawn()
            .unwrap(),
    );
    let metrics_url = format!("http://127.0.0.1:{port}/metrics");
    assert!(
        wait_for(Duration::from_secs(10), || get(&metrics_url)
            .is_some_and(|m| m.contains("leakscope_verdict{"))),
        "the watcher serves its verdicts"
    );
    assert_eq!(
        get(&format!("http://127.0.0.1:{port}/healthz")).as_deref(),
        Some("ok\n")
    );

    // promtool: the exposition is clean.
    let text = get(&metrics_url).unwrap();
    let mut check = Command::new("promtool")
        .args(["check", "metrics"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    check
        .stdin
        .take()
        .unwrap()
        .write_all(text.as_bytes())
        .unwrap();
    let out = check.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "promtool: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );

    // A real Prometheus scraping it every second.
    let prom_port = free_port();
    let cfg = write(
        dir.path(),
        "prometheus.yml",
        &format!(
            "global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: leakscope\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n"
        ),
    );
    let prom = Reaped(
        Command::new("prometheus")
            .arg(format!("--config.file={}", cfg.display()))
            .arg(format!(
                "--storage.tsdb.path={}",
                dir.path().join("data").display()
            ))
            .arg(format!("--web.listen-address=127.0.0.1:{prom_port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap(),
    );
    eprintln!("prometheus pid {}", prom.0.id());
    let query = format!(
        "http://127.0.0.1:{prom_port}/api/v1/query?query=leakscope_verdict%7Bseries%3D%22rss_bytes%22%7D"
    );
    let mut answer = serde_json::Value::Null;
    let found = wait_for(Duration::from_secs(40), || {
        answer = get(&query)
            .and_then(|b| serde_json::from_str(&b).ok())
            .unwrap_or(serde_json::Value::Null);
        answer["data"]["result"]
            .as_array()
            .is_some_and(|r| !r.is_empty())
    });
    assert!(found, "PromQL returned no verdict: {answer}");
    let r = &answer["data"]["result"][0];
    assert_eq!(r["metric"]["target"], format!("pid:{pid}"), "{r}");
    assert_eq!(r["metric"]["job"], "leakscope");
    assert!(r["metric"]["pattern"].is_string(), "{r}");
    let value = r["value"][1].as_str().unwrap();
    assert!(value == "0" || value == "1", "{value}");
    drop(prom);
    drop(watch);
}
