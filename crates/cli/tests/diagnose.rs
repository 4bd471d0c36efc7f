//! `watch --diagnose` on real example services: a leaking Node service gets its culprit
//! named in the alert (stderr JSON line), in the store and in the evidence `leakscope ls`
//! lists; its fixed twin, under the same load, gets no diagnosis.
//!
//! Skips (passing, with a message) when `node` is not installed.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::Path;
use std::process::{Child, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::*;

/// `watch --diagnose -- node examples/node/cache/<variant>.js` with rules for a short watch,
/// under load; every stderr line goes to the returned channel.
fn watch(variant: &str, db: &Path, config: &Path) -> (Child, u16, mpsc::Receiver<String>) {
    let mut child = leakscope()
        .args(["watch", "--diagnose", "--config"])
        .arg(config)
        .args(["--interval", "1s", "--min-span", "30s", "--warmup", "5s"])
        .args(["--alert-growth", "1MB", "--alert-window", "20s", "--db"])
        .arg(db)
        .arg("--log")
        .arg(db.with_extension("jsonl"))
        .args(["--", "node"])
        .arg(repo().join(format!("examples/node/cache/{variant}.js")))
        // Port 0: a port picked beforehand is free only until something else binds port 0
        // (a Node inspector, another test run). The service says its port on stdout, which
        // watch passes to stderr.
        .args(["--port", "0"])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let rx = stderr_lines(&mut child);
    let Some(port) = listening_port(&rx, Duration::from_secs(20)) else {
        terminate(&mut child);
        panic!("the {variant} service did not start");
    };
    (child, port, rx)
}

fn config(dir: &Path) -> std::path::PathBuf {
    write(
        dir,
        "diagnose.toml",
        "[diagnose]\ncaptures = 3\nmin_spacing = \"2s\"\nmax_spacing = \"3s\"\ntimeout = \"60s\"\n",
    )
}

/// One test, so that the two services do not share the two cores with each other (the
/// judged span is short: a starved fixed service's warm-up could look like growth).
#[test]
fn a_leaking_node_service_gets_its_culprit_named_and_its_fixed_twin_no_diagnosis() {
    if !have("node") {
        return;
    }
    leaky_gets_its_culprit_named();
    fixed_twin_gets_no_diagnosis();
}

fn leaky_gets_its_culprit_named() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("l.db");
    let cfg = config(dir.path());
    let check = leakscope()
        .args(["config", "check"])
        .arg(&cfg)
        .output()
        .unwrap();
    assert!(check.status.success());
    assert!(String::from_utf8_lossy(&check.stdout).contains("diagnose on"));

    let (mut child, port, lines) = watch("leaky", &db, &cfg);
    let stop = Arc::new(AtomicBool::new(false));
    let load = drive(port, 400, Arc::clone(&stop));
    let deadline = Instant::now() + Duration::from_secs(150);
    let mut fired_at = None;
    let mut diagnosed = None;
    let mut seen = Vec::new();
    while diagnosed.is_none() && Instant::now() < deadline {
        let Ok(line) = lines.recv_timeout(Duration::from_secs(1)) else {
            continue;
        };
        seen.push(line.clone());
        let Ok(v) = serde_json::from_str::<serde_json::Value>(&line) else {
            continue;
        };
        if v["name"] == "MemoryGrowthLeak" && v["status"] == "firing" {
            fired_at.get_or_insert_with(Instant::now);
            if v.get("diagnosis").is_some() {
                diagnosed = Some(v);
            }
        }
    }
    stop.store(true, Ordering::Relaxed);
    load.join().unwrap();
    let status = terminate(&mut child);
    let alert =
        diagnosed.unwrap_or_else(|| panic!("no diagnosis in the alerts:\n{}", seen.join("\n")));
    eprintln!(
        "named {:.1} s after the alert line",
        fired_at.map_or(0.0, |t| t.elapsed().as_secs_f64())
    );
    assert_eq!(status.code(), Some(1), "a leak was found");
    let d = &alert["diagnosis"];
    assert_eq!(d["format"], "v8", "{alert}");
    let top = &d["suspects"][0];
    assert_eq!(top["pattern"], "unbounded-collection", "{alert}");
    assert_eq!(top["name"], "profiles", "{alert}");
    assert!(top["count_delta"].as_i64().unwrap() > 0, "{top}");
    assert!(!top["advice"].as_str().unwrap().is_empty());
    assert!(top["retainer_path"]
        .as_array()
        .is_some_and(|p| !p.is_empty()));
    // The evidence is kept, private, and listed.
    let files = d["evidence"].as_array().unwrap();
    assert_eq!(files.len(), 3, "{d}");
    for f in files {
        let meta = std::fs::metadata(f.as_str().unwrap()).unwrap();
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(meta.permissions().mode() & 0o777, 0o600);
    }
    let ev_dir = dir.path().join("evidence");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&ev_dir).unwrap().permissions().mode() & 0o777,
        0o700
    );
    let kept = run_json(
        leakscope()
            .args(["ls", "--evidence", "--format", "json", "--db"])
            .arg(&db),
        0,
    );
    assert_eq!(kept.as_array().unwrap().len(), 3, "{kept}");
    assert_eq!(kept[0]["target"], "node");
    assert_eq!(kept[0]["kind"], "heapsnapshot");
    let table = leakscope().args(["ls", "--db"]).arg(&db).output().unwrap();
    let table = String::from_utf8_lossy(&table.stdout);
    assert!(
        table.contains("evidence kept in") && table.contains("heapsnapshot"),
        "{table}"
    );
    // The store holds the diagnosis as an event.
    let store = leakscope_store::Store::open_read_only(&db).unwrap();
    let events = store.events(Some("node")).unwrap();
    let ev = events
        .iter()
        .find(|e| e.kind == "diagnosis")
        .expect("a diagnosis event");
    assert_eq!(
        ev.detail["suspects"][0]["name"], "profiles",
        "{:?}",
        ev.detail
    );
}

fn fixed_twin_gets_no_diagnosis() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("f.db");
    let (mut child, port, lines) = watch("fixed", &db, &config(dir.path()));
    let stop = Arc::new(AtomicBool::new(false));
    let load = drive(port, 400, Arc::clone(&stop));
    // Past the judged span, the warm-up and the growth window, twice over.
    std::thread::sleep(Duration::from_secs(60));
    stop.store(true, Ordering::Relaxed);
    assert!(load.join().unwrap() > 5000, "load was driven");
    let status = terminate(&mut child);
    let seen: Vec<String> = lines.try_iter().collect();
    let alerted = assert_no_culprit_named(&seen, status.code());
    if !alerted {
        assert!(
            !dir.path().join("evidence").exists()
                || std::fs::read_dir(dir.path().join("evidence"))
                    .unwrap()
                    .next()
                    .is_none()
        );
    }
}
