//! `leakscope k8s watch` end to end against the fake API server: what the first list shows is
//! history (no alert); a new OOM kill in a pod's status, a restart storm, and a node OOM event
//! no container explains each alert, with the pod's labels; memory from the metrics API is
//! sampled with labels; a watch that gets 410 Gone re-lists and drops a pod deleted meanwhile.

#![cfg(feature = "k8s")]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
#[path = "../../k8s/tests/support/mod.rs"]
mod fake;

use std::path::Path;
use std::process::Stdio;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use fake::FakeApi;
use serde_json::{json, Value};

fn now_rfc3339() -> String {
    humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()
}

fn fixture_pod(name: &str) -> Value {
    let all: Value =
        serde_json::from_str(&std::fs::read_to_string(fake::cluster_fixture()).unwrap()).unwrap();
    all["objects"]
        .as_array()
        .unwrap()
        .iter()
        .find(|o| o["kind"] == "Pod" && o["metadata"]["name"] == name)
        .unwrap()
        .clone()
}

fn metrics(ns: &str, pod: &str, container: &str, bytes: u64) -> Value {
    json!({"apiVersion": "metrics.k8s.io/v1beta1", "kind": "PodMetrics",
           "metadata": {"name": pod, "namespace": ns}, "timestamp": now_rfc3339(), "window": "15s",
           "containers": [{"name": container, "usage": {"cpu": "12m", "memory": format!("{}Ki", bytes / 1024)}}]})
}

#[test]
fn new_oom_kills_restart_storms_and_node_ooms_alert_and_410_relists() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    api.control(
        "apply",
        &json!({"objects": [metrics("shop", "cart-0", "redis", 300 << 20)]}),
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("log.jsonl");
    let mut child = leakscope()
        .args([
            "k8s",
            "watch",
            "--server",
            &api.url(),
            "--interval",
            "200ms",
            "--duration",
            "40s",
            "--db",
        ])
        .arg(dir.path().join("w.db"))
        .arg("--log")
        .arg(&log)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (stderr, reader) = collect_stderr(&mut child);
    let alerts = |name: &str| -> Vec<Value> {
        stderr
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|a| a["name"] == name && a["status"] == "firing")
            .collect()
    };
    // Memory from the metrics API, labeled.
    assert!(wait_for(Duration::from_secs(10), || log_lines(&log)
        .iter()
        .any(|l| l["target"] == "shop/cart-0/redis"
            && l["cgroup_working_set_bytes"] == 314_572_800.0)));
    let s = log_lines(&log)
        .into_iter()
        .find(|l| l["target"] == "shop/cart-0/redis" && l["cgroup_working_set_bytes"].is_number())
        .unwrap();
    assert_eq!(
        s["labels"],
        json!({"namespace": "shop", "pod": "cart-0", "container": "redis"})
    );
    // History is not news: the fixture's OOM-killed containers fire nothing.
    std::thread::sleep(Duration::from_millis(600));
    assert!(
        alerts("OomKilled").is_empty(),
        "{:?}",
        stderr.lock().unwrap()
    );

    // Memory from the metrics API meets the same rules, against the pod spec's limit:
    // checkout's app at 250 MiB of its 256 MiB limit.
    api.control(
        "apply",
        &json!({"objects": [metrics("shop", "checkout-7d4b9c8f6-x2k9p", "app", 250 << 20)]}),
    );
    assert!(
        wait_for(Duration::from_secs(10), || alerts("MemoryAboveThreshold")
            .iter()
            .any(|a| a["target"] == "shop/checkout-7d4b9c8f6-x2k9p/app"
                && a["labels"]["pod"] == "checkout-7d4b9c8f6-x2k9p")),
        "{:?}",
        stderr.lock().unwrap()
    );
    assert!(alerts("MemoryAboveThreshold")
        .iter()
        .all(|a| a["target"] != "shop/cart-0/redis"));

    // A new OOM kill in checkout's status.
    let mut p = fixture_pod("checkout-7d4b9c8f6-x2k9p");
    p["status"]["containerStatuses"][0]["restartCount"] = json!(8);
    p["status"]["containerStatuses"][0]["lastState"]["terminated"]["finishedAt"] =
        json!(now_rfc3339());
    p["status"]["containerStatuses"][0]["lastState"]["terminated"]["containerID"] =
        json!(format!("containerd://{}", "ee".repeat(32)));
    api.control("apply", &json!({"objects": [p]}));
    assert!(wait_for(Duration::from_secs(5), || !alerts("OomKilled").is_empty()));
    let a = &alerts("OomKilled")[0];
    assert_eq!(a["target"], "shop/checkout-7d4b9c8f6-x2k9p/app");
    assert_eq!(
        a["labels"],
        json!({"namespace": "shop", "pod": "checkout-7d4b9c8f6-x2k9p", "container": "app"})
    );

    // A restart storm: cart-0 restarts 6 more times (more than 5 within the hour).
    for n in 13..=18 {
        let mut p = fixture_pod("cart-0");
        p["status"]["containerStatuses"][0]["restartCount"] = json!(n);
        api.control("apply", &json!({"objects": [p]}));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(wait_for(Duration::from_secs(5), || alerts(
        "TooManyRestarts"
    )
    .iter()
    .any(|a| a["target"] == "shop/cart-0/redis")));

    // An OOM on a node that no container's status explains: the node is the target.
    api.control(
        "apply",
        &json!({"objects": [{"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "worker-2.fresh", "namespace": "default"},
            "involvedObject": {"kind": "Node", "name": "worker-2", "uid": "worker-2"},
            "reason": "OOMKilling", "type": "Warning", "count": 1,
            "message": "Memory cgroup out of memory: Killed process 9 (sidecar) total-vm:1000kB, anon-rss:900kB, file-rss:0kB",
            "source": {"component": "kernel-monitor", "host": "worker-2"},
            "firstTimestamp": now_rfc3339(), "lastTimestamp": now_rfc3339()}]}),
    );
    assert!(wait_for(Duration::from_secs(5), || alerts("OomKilled")
        .iter()
        .any(|a| a["target"] == "node/worker-2")));

    // The search pod goes while the watch is down and its DELETED event is compacted away:
    // 410 Gone, a re-list, and the pod is dropped.
    api.control("delete", &json!({"resource": "pods", "namespace": "shop", "name": "search-5f6d7c9b8-abcde", "quiet": true}));
    api.control("compact", &json!({}));
    assert!(
        wait_for(Duration::from_secs(10), || stderr
            .lock()
            .unwrap()
            .iter()
            .any(|l| l.contains("shop/search-5f6d7c9b8-abcde/app: gone"))),
        "{:?}",
        stderr.lock().unwrap()
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    let err = stderr.lock().unwrap().join("\n");
    // One OOM alert per kill: checkout's and worker-2's, nothing twice.
    assert_eq!(alerts("OomKilled").len(), 2, "{err}");
    assert!(!err.contains("retrying"), "410 is not a failure: {err}");
    let lists = api
        .requests()
        .iter()
        .filter(|r| r.starts_with("/api/v1/pods?") && !r.contains("watch=true"))
        .count();
    assert!(lists >= 2, "the pods were listed again after 410");
}

#[test]
fn k8s_watch_errors_are_one_sentence() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    api.control("forbid", &json!({"verb": "list", "resource": "events"}));
    let dir = tempfile::tempdir().unwrap();
    let out = leakscope()
        .args([
            "k8s",
            "watch",
            "--server",
            &api.url(),
            "--count",
            "1",
            "--db",
        ])
        .arg(dir.path().join("w.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("forbids list on events across all namespaces"),
        "{err}"
    );
}

/// Start `k8s watch` without the metrics API against `api`; stderr lines are collected.
fn start_watch(
    api: &FakeApi,
    dir: &Path,
) -> (
    std::process::Child,
    Arc<Mutex<Vec<String>>>,
    std::thread::JoinHandle<()>,
) {
    let mut child = leakscope()
        .args([
            "k8s",
            "watch",
            "--server",
            &api.url(),
            "--no-metrics",
            "--interval",
            "200ms",
            "--duration",
            "40s",
            "--db",
        ])
        .arg(dir.join("w.db"))
        .arg("--log")
        .arg(dir.join("log.jsonl"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (stderr, reader) = collect_stderr(&mut child);
    (child, stderr, reader)
}

#[test]
fn an_api_that_fails_and_comes_back_is_said_once_each_way() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut child, stderr, reader) = start_watch(&api, dir.path());
    let said = |what: &str| {
        stderr
            .lock()
            .unwrap()
            .iter()
            .filter(|l| l.contains(what))
            .count()
    };
    // Up: every first list was served (pods, both OOM event reasons).
    assert!(wait_for(Duration::from_secs(10), || said(
        "following pods and OOM events"
    ) == 1));
    // The server goes away (503) and the open watches end: every re-list fails and is retried.
    api.control("unavailable", &json!({"on": true}));
    api.control("compact", &json!({}));
    assert!(
        wait_for(Duration::from_secs(10), || said("retrying") >= 1),
        "{:?}",
        stderr.lock().unwrap()
    );
    std::thread::sleep(Duration::from_secs(2));
    api.control("unavailable", &json!({"on": false}));
    // Back: said once, though nothing about the cluster changed meanwhile.
    assert!(
        wait_for(Duration::from_secs(40), || said("answers again") == 1),
        "{:?}",
        stderr.lock().unwrap()
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
    // The failure was said once, not once per retry.
    assert_eq!(said("retrying"), 1, "{:?}", stderr.lock().unwrap());
}

#[test]
fn an_expired_oom_event_is_forgotten_so_a_new_one_of_its_name_counts() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let (mut child, stderr, reader) = start_watch(&api, dir.path());
    let event = || {
        json!({"objects": [{"apiVersion": "v1", "kind": "Event",
            "metadata": {"name": "worker-3.oom", "namespace": "default"},
            "involvedObject": {"kind": "Node", "name": "worker-3", "uid": "worker-3"},
            "reason": "SystemOOM", "type": "Warning", "count": 1,
            "message": "System OOM encountered, victim process: sidecar, pid: 9",
            "source": {"component": "kubelet", "host": "worker-3"},
            "firstTimestamp": now_rfc3339(), "lastTimestamp": now_rfc3339()}]})
    };
    let kills = || {
        log_lines(&dir.path().join("log.jsonl"))
            .into_iter()
            .filter(|l| l["event"] == "oom_kill" && l["target"] == "node/worker-3")
            .map(|l| l["oom_kill_total"].as_u64().unwrap())
            .collect::<Vec<_>>()
    };
    assert!(wait_for(Duration::from_secs(10), || api
        .requests()
        .iter()
        .any(|r| r.contains("watch=true") && r.contains("SystemOOM"))));
    api.control("apply", &event());
    assert!(
        wait_for(Duration::from_secs(10), || kills() == [1]),
        "{:?}",
        stderr.lock().unwrap()
    );
    // The event expires (the API server deletes it after its TTL); a later OOM on that node
    // gets an event of the same name with count 1 again: a second kill, not one already seen.
    api.control(
        "delete",
        &json!({"resource": "events", "namespace": "default", "name": "worker-3.oom"}),
    );
    std::thread::sleep(Duration::from_secs(1));
    api.control("apply", &event());
    assert!(
        wait_for(Duration::from_secs(10), || kills() == [1, 2]),
        "{:?} {:?}",
        kills(),
        stderr.lock().unwrap()
    );
    let _ = child.kill();
    let _ = child.wait();
    let _ = reader.join();
}

/// A running pod in `ns` with one container `app` (limit 4 GiB).
fn running_pod(ns: &str, name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "labels": {"app": "cache"}},
        "spec": {"nodeName": "worker-1", "containers": [{"name": "app", "image": "registry.example/cache:2.0",
            "resources": {"limits": {"memory": "4Gi"}}}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "app", "ready": true,
            "restartCount": 0, "image": "registry.example/cache:2.0",
            "containerID": format!("containerd://{}", "ab".repeat(32)),
            "state": {"running": {"startedAt": now_rfc3339()}}, "lastState": {}}]}})
}

#[test]
fn a_container_whose_metrics_server_memory_climbs_alerts_as_a_leak_and_its_flat_twin_does_not() {
    let Some(api) = FakeApi::start(&[]) else {
        return;
    };
    api.control(
        "apply",
        &json!({"objects": [running_pod("soak", "cache-leaky"), running_pod("soak", "cache-fixed")]}),
    );
    let dir = tempfile::tempdir().unwrap();
    let (hook, bodies) = webhook_receiver(16);
    // Rules for a short soak: recognition from 30 s of samples, growth over a 20 s window.
    let mut child = leakscope()
        .args(["k8s", "watch", "--server", &api.url(), "-n", "soak"])
        .args(["--interval", "1s", "--duration", "110s"])
        .args(["--min-span", "30s", "--warmup", "5s"])
        .args(["--alert-window", "20s", "--alert-growth", "10MB"])
        .args(["--webhook", &hook, "--db"])
        .arg(dir.path().join("w.db"))
        .arg("--log")
        .arg(dir.path().join("log.jsonl"))
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let (stderr, reader) = collect_stderr(&mut child);
    let alerts = || -> Vec<Value> {
        stderr
            .lock()
            .unwrap()
            .iter()
            .filter_map(|l| serde_json::from_str::<Value>(l).ok())
            .filter(|a| a["status"] == "firing")
            .collect()
    };
    // metrics-server's readings, once a second: the leaky container gains 2 MiB a second
    // under a GC sawtooth of a few MiB; its twin holds at 300 MiB with the same noise.
    let start = std::time::Instant::now();
    let mut fired = false;
    let mut k: u64 = 0;
    while start.elapsed() < Duration::from_secs(95) {
        let saw = (k % 5) << 20;
        api.control(
            "apply",
            &json!({"objects": [
                metrics("soak", "cache-leaky", "app", (200 << 20) + k * (2 << 20) + saw),
                metrics("soak", "cache-fixed", "app", (300 << 20) + saw),
            ]}),
        );
        k += 1;
        if alerts().iter().any(|a| a["name"] == "MemoryGrowthLeak") {
            fired = true;
            break;
        }
        std::thread::sleep(Duration::from_millis(1000));
    }
    // A few more rounds in which the twin could still (wrongly) alert.
    for _ in 0..5 {
        let saw = (k % 5) << 20;
        api.control(
            "apply",
            &json!({"objects": [
                metrics("soak", "cache-leaky", "app", (200 << 20) + k * (2 << 20) + saw),
                metrics("soak", "cache-fixed", "app", (300 << 20) + saw),
            ]}),
        );
        k += 1;
        std::thread::sleep(Duration::from_millis(1000));
    }
    // SIGTERM: the watch ends as an operator's would, sending what is pending.
    // SAFETY: kill(2) on our own child with a valid signal.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().unwrap();
    let _ = reader.join();
    let err = stderr.lock().unwrap().join("\n");
    assert!(fired, "no leak alert after {k} readings: {err}");
    let leak: Vec<Value> = alerts()
        .into_iter()
        .filter(|a| a["name"] == "MemoryGrowthLeak")
        .collect();
    assert_eq!(leak[0]["target"], "soak/cache-leaky/app", "{err}");
    assert_eq!(
        leak[0]["labels"],
        json!({"namespace": "soak", "pod": "cache-leaky", "container": "app"})
    );
    assert!(
        alerts()
            .iter()
            .all(|a| a["target"] != "soak/cache-fixed/app"),
        "the flat twin alerted: {err}"
    );
    // Exit 1: a leak was alerted.
    assert_eq!(status.code(), Some(1), "{err}");
    // The same alert reached the webhook, in the Alertmanager format, with the pod's labels.
    let mut posted = Vec::new();
    while let Ok(b) = bodies.recv_timeout(Duration::from_secs(5)) {
        let v: Value = serde_json::from_str(&b).unwrap();
        posted.extend(v["alerts"].as_array().unwrap().iter().cloned());
    }
    let hooked = posted
        .iter()
        .find(|a| a["labels"]["alertname"] == "MemoryGrowthLeak")
        .unwrap_or_else(|| panic!("no MemoryGrowthLeak at the webhook: {posted:?}"));
    assert_eq!(hooked["labels"]["namespace"], "soak");
    assert_eq!(hooked["labels"]["pod"], "cache-leaky");
    assert_eq!(hooked["labels"]["container"], "app");
    assert!(
        posted.iter().all(|a| a["labels"]["pod"] != "cache-fixed"),
        "{posted:?}"
    );
}
