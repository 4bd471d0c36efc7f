//! `watch --k8s-node` end to end: a fake API server serves this node's pods, whose containers'
//! cgroups are real cgroups made here in kubelet's layouts (systemd driver with containerd,
//! cgroupfs with CRI-O). The agent samples them with namespace/pod/container labels on every
//! log line, alert and /metrics series; a real OOM kill in a container's cgroup is seen from
//! the counters within seconds (and not counted again when the pod's status says it); a pod
//! deleted is dropped, a pod created is picked up.

#![cfg(feature = "k8s")]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
#[path = "../../k8s/tests/support/mod.rs"]
mod fake;

use std::fs;
use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::*;
use fake::cgroups::Root;
use fake::FakeApi;
use serde_json::{json, Value};

const UID_A: &str = "0a0a0a0a-1111-4222-8333-444444444444";
const UID_B: &str = "0b0b0b0b-1111-4222-8333-444444444444";
const UID_D: &str = "0d0d0d0d-1111-4222-8333-444444444444";

fn cid(n: u8) -> String {
    format!("{n:02x}").repeat(32)
}

/// A pod of `[namespace, name, uid]` with one container.
fn pod(
    [ns, name, uid]: [&str; 3],
    node: &str,
    qos: &str,
    container: &str,
    id: &str,
    restarts: u32,
    last: Value,
) -> Value {
    json!({
        "apiVersion": "v1", "kind": "Pod",
        "metadata": {"name": name, "namespace": ns, "uid": uid, "labels": {"app": name}},
        "spec": {"nodeName": node, "containers": [{"name": container, "image": "registry.example/app:1",
                 "resources": {"limits": {"memory": "48Mi"}, "requests": {"memory": "16Mi"}}}]},
        "status": {"phase": "Running", "qosClass": qos,
                   "containerStatuses": [{"name": container, "ready": true, "restartCount": restarts,
                       "image": "registry.example/app:1", "imageID": "sha256:00", "containerID": id,
                       "state": {"running": {"startedAt": "2026-11-24T02:00:00Z"}}, "lastState": last}]}
    })
}

fn get(port: u16, path: &str) -> String {
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut out = String::new();
    s.read_to_string(&mut out).unwrap();
    out
}

fn allocate_in(cgroup: &Path) -> Child {
    let script = format!(
        "echo $$ > {}/cgroup.procs && exec python3 -c 'import time\nb=[]\nfor i in range(100):\n    b.append(bytearray(8<<20)); time.sleep(0.02)\n'",
        cgroup.display()
    );
    Command::new("sh")
        .args(["-c", &script])
        .stderr(Stdio::null())
        .spawn()
        .unwrap()
}

#[test]
fn a_node_agent_samples_labels_sees_oom_kills_and_follows_pods() {
    let Some(tree) = Root::v1_memory("node") else {
        return;
    };
    let a = tree.mkdir(format!(
        "kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod{}.slice/cri-containerd-{}.scope",
        UID_A.replace('-', "_"),
        cid(1)
    ));
    let b = tree.mkdir(format!("kubepods/pod{UID_B}/crio-{}", cid(2)));
    let d = tree.mkdir(format!("kubepods/besteffort/pod{UID_D}/{}", cid(4)));
    for c in [&a, &b, &d] {
        fs::write(c.join("memory.limit_in_bytes"), (48u64 << 20).to_string()).unwrap();
        let _ = fs::write(c.join("memory.swappiness"), "0");
    }
    let Some(api) = FakeApi::start(&[]) else {
        return;
    };
    api.control(
        "apply",
        &json!({"objects": [
            {"apiVersion": "v1", "kind": "Node", "metadata": {"name": "test-node"}},
            pod(["shop", "a-pod", UID_A], "test-node", "Burstable", "app", &format!("containerd://{}", cid(1)), 0, json!({})),
            pod(["jobs", "b-pod", UID_B], "test-node", "Guaranteed", "worker", &format!("cri-o://{}", cid(2)), 0, json!({})),
            pod(["shop", "elsewhere", "0c0c0c0c-1111-4222-8333-444444444444"], "other-node", "Burstable", "app", &format!("containerd://{}", cid(3)), 0, json!({})),
        ]}),
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("samples.jsonl");
    let port = free_port();
    let mut agent = leakscope()
        .args([
            "watch",
            "--k8s-node",
            "--node",
            "test-node",
            "--server",
            &api.url(),
            "--cgroup-root",
        ])
        .arg(&tree.dir)
        .args([
            "--interval",
            "200ms",
            "--duration",
            "25s",
            "--listen",
            &port.to_string(),
            "--db",
        ])
        .arg(dir.path().join("agent.db"))
        .arg("--log")
        .arg(&log)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let targets = |lines: &[Value]| -> Vec<String> {
        let mut t: Vec<String> = lines
            .iter()
            .filter(|l| l["kind"] == "k8s-container")
            .map(|l| l["target"].as_str().unwrap().to_string())
            .collect();
        t.sort();
        t.dedup();
        t
    };
    assert!(
        wait_for(Duration::from_secs(10), || targets(&log_lines(&log)).len()
            == 2),
        "both containers sampled: {:?}",
        targets(&log_lines(&log))
    );
    let lines = log_lines(&log);
    assert_eq!(targets(&lines), ["jobs/b-pod/worker", "shop/a-pod/app"]);
    let s = lines
        .iter()
        .find(|l| l["target"] == "shop/a-pod/app")
        .unwrap();
    assert_eq!(
        s["labels"],
        json!({"namespace": "shop", "pod": "a-pod", "container": "app"})
    );
    assert_eq!(s["cgroup_limit_bytes"], 48.0 * 1024.0 * 1024.0);

    // A real OOM kill in a-pod's container cgroup: seen from its counter, at once.
    let killed_at = Instant::now();
    let mut victim = allocate_in(&a);
    let status = victim.wait().unwrap();
    assert!(!status.success());
    assert!(
        wait_for(Duration::from_secs(5), || log_lines(&log)
            .iter()
            .any(
                |l| l["event"] == "oom_kill" && l["target"] == "shop/a-pod/app"
            )),
        "an oom_kill event for shop/a-pod/app"
    );
    assert!(killed_at.elapsed() < Duration::from_secs(6));
    let ev = log_lines(&log)
        .into_iter()
        .find(|l| l["event"] == "oom_kill")
        .unwrap();
    assert_eq!(ev["labels"]["pod"], "a-pod");
    assert_eq!(ev["oom_kill_total"], 1);

    // kubelet then reports it in the status, with a restart: one restart, no second OOM kill.
    api.control(
        "apply",
        &json!({"objects": [pod(["shop", "a-pod", UID_A], "test-node", "Burstable", "app", &format!("containerd://{}", cid(1)), 1,
            json!({"terminated": {"exitCode": 137, "reason": "OOMKilled", "containerID": format!("containerd://{}", cid(9)),
                   "startedAt": "2026-11-24T02:00:00Z", "finishedAt": humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string()}}))]}),
    );
    assert!(wait_for(Duration::from_secs(5), || log_lines(&log)
        .iter()
        .any(
            |l| l["event"] == "restart" && l["target"] == "shop/a-pod/app"
        )));

    // /metrics: the series carry the pod's labels.
    let m = get(port, "/metrics");
    assert!(
        m.lines().any(|l| l.starts_with("leakscope_last_value{")
            && l.contains("target=\"jobs/b-pod/worker\"")
            && l.contains("namespace=\"jobs\"")
            && l.contains("pod=\"b-pod\"")
            && l.contains("container=\"worker\"")),
        "{m}"
    );

    // A pod deleted is dropped; one created is picked up.
    api.control(
        "delete",
        &json!({"resource": "pods", "namespace": "jobs", "name": "b-pod"}),
    );
    api.control(
        "apply",
        &json!({"objects": [pod(["batch", "d-pod", UID_D], "test-node", "BestEffort", "job", &format!("containerd://{}", cid(4)), 0, json!({}))]}),
    );
    assert!(wait_for(Duration::from_secs(5), || targets(&log_lines(
        &log
    ))
    .contains(&"batch/d-pod/job".to_string())));
    assert!(wait_for(Duration::from_secs(5), || !get(port, "/metrics")
        .contains("jobs/b-pod/worker")));

    let _ = agent.kill();
    let out = agent.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let lines = log_lines(&log);
    assert_eq!(
        lines.iter().filter(|l| l["event"] == "oom_kill").count(),
        1,
        "{err}"
    );
    assert!(
        !lines.iter().any(|l| l["target"] == "shop/elsewhere/app"),
        "another node's pod"
    );
    assert!(
        err.contains("OomKilled") && err.contains("\"pod\":\"a-pod\""),
        "an OOM alert with labels: {err}"
    );
    assert!(err.contains("jobs/b-pod/worker: gone"), "{err}");
}

#[test]
fn a_node_agent_without_its_node_name_or_node_says_so() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let out = leakscope()
        .args([
            "watch",
            "--k8s-node",
            "--server",
            &api.url(),
            "--count",
            "1",
            "--db",
        ])
        .arg(dir.path().join("a.db"))
        .env_remove("NODE_NAME")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("--k8s-node needs this node's name"));
    let out = leakscope()
        .args([
            "watch",
            "--k8s-node",
            "--server",
            &api.url(),
            "--count",
            "1",
            "--db",
        ])
        .arg(dir.path().join("a.db"))
        .env("NODE_NAME", "no-such-node")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("has no node named \"no-such-node\""), "{err}");
    api.control("forbid", &json!({"verb": "list", "resource": "pods"}));
    let out = leakscope()
        .args([
            "watch",
            "--k8s-node",
            "--node",
            "worker-1",
            "--server",
            &api.url(),
            "--count",
            "1",
            "--db",
        ])
        .arg(dir.path().join("a.db"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("forbids list on pods across all namespaces"),
        "{err}"
    );
}
