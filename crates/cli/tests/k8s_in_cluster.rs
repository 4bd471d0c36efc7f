//! In-cluster configuration end to end: `k8s scan` and `k8s watch` with no --kubeconfig or
//! --server, run as in a pod (KUBERNETES_SERVICE_HOST/PORT set, a service-account directory
//! with token, ca.crt and namespace), against the fake API server serving HTTPS with a CA and
//! a server certificate made here by the openssl CLI. The token must arrive as the bearer
//! token (and its rotation be picked up), and a server the CA does not vouch for must be
//! refused with one sentence and exit 2. The node agent (`watch --k8s-node`, the DaemonSet
//! mode) runs the same way, its node named by $NODE_NAME as the downward API sets it.

#![cfg(feature = "k8s")]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
#[path = "../../k8s/tests/support/mod.rs"]
mod fake;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;
use fake::cgroups::Root;
use fake::FakeApi;
use serde_json::json;

/// Run openssl with `args` in `dir`; None (the test skips) when openssl is missing.
fn openssl(dir: &Path, args: &[&str]) -> Option<()> {
    let out = match Command::new("openssl").args(args).current_dir(dir).output() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("SKIP: cannot run openssl: {e}");
            return None;
        }
    };
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    Some(())
}

/// A CA named `name` in `dir` (`name.crt`, `name.key`).
fn make_ca(dir: &Path, name: &str) -> Option<()> {
    openssl(
        dir,
        &[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-days",
            "2",
            "-subj",
            &format!("/CN={name}"),
            "-keyout",
            &format!("{name}.key"),
            "-out",
            &format!("{name}.crt"),
        ],
    )
}

/// A CA, a server certificate it signs for 127.0.0.1, and a second CA that signs nothing
/// here; returns the directory's files: (ca.crt, server.crt, server.key, other.crt).
fn certificates(dir: &Path) -> Option<(PathBuf, PathBuf, PathBuf, PathBuf)> {
    make_ca(dir, "ca")?;
    make_ca(dir, "other")?;
    openssl(
        dir,
        &[
            "req",
            "-new",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:prime256v1",
            "-nodes",
            "-subj",
            "/CN=kubernetes",
            "-keyout",
            "server.key",
            "-out",
            "server.csr",
        ],
    )?;
    std::fs::write(
        dir.join("server.ext"),
        "subjectAltName=IP:127.0.0.1,DNS:kubernetes.default.svc\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n",
    )
    .unwrap();
    openssl(
        dir,
        &[
            "x509",
            "-req",
            "-in",
            "server.csr",
            "-CA",
            "ca.crt",
            "-CAkey",
            "ca.key",
            "-set_serial",
            "2",
            "-days",
            "2",
            "-extfile",
            "server.ext",
            "-out",
            "server.crt",
        ],
    )?;
    Some((
        dir.join("ca.crt"),
        dir.join("server.crt"),
        dir.join("server.key"),
        dir.join("other.crt"),
    ))
}

/// A service-account directory as kubelet mounts it, trusting `ca`.
fn service_account(dir: &Path, ca: &Path, token: &str) -> PathBuf {
    let sa = dir.join("serviceaccount");
    std::fs::create_dir_all(&sa).unwrap();
    std::fs::copy(ca, sa.join("ca.crt")).unwrap();
    std::fs::write(sa.join("token"), token).unwrap();
    std::fs::write(sa.join("namespace"), "leakscope").unwrap();
    sa
}

/// `leakscope ARGS` as in a pod whose service account is `sa` and whose API service is at
/// 127.0.0.1:`port`; no kubeconfig anywhere.
fn in_pod(args: &[&str], sa: &Path, port: u16, home: &Path) -> Command {
    let mut cmd = leakscope();
    cmd.args(args)
        .env("HOME", home)
        .env_remove("KUBECONFIG")
        .env("KUBERNETES_SERVICE_HOST", "127.0.0.1")
        .env("KUBERNETES_SERVICE_PORT", port.to_string())
        .env("LEAKSCOPE_SERVICEACCOUNT_DIR", sa);
    cmd
}

/// The fake API server over HTTPS with the recorded cluster, accepting only `token`.
fn tls_api(dir: &Path, token: &str) -> Option<(FakeApi, PathBuf, PathBuf)> {
    let (ca, cert, key, other) = certificates(dir)?;
    let fixture = fake::cluster_fixture();
    let api = FakeApi::start(&[
        "--fixture",
        fixture.to_str().unwrap(),
        "--tls-cert",
        cert.to_str().unwrap(),
        "--tls-key",
        key.to_str().unwrap(),
    ])?;
    api.control("tokens", &json!({"accept": [token]}));
    Some((api, ca, other))
}

#[test]
fn in_a_pod_the_scan_uses_https_the_service_account_ca_and_its_token() {
    let dir = tempfile::tempdir().unwrap();
    let Some((api, ca, _)) = tls_api(dir.path(), "token-one") else {
        return;
    };
    let port = api.tls_port.unwrap();
    let sa = service_account(dir.path(), &ca, "token-one");
    let home = tempfile::tempdir().unwrap();
    // The recorded cluster has OOM-killed containers: found, so exit 1.
    let v = run_json(
        in_pod(&["k8s", "scan", "--format", "json"], &sa, port, home.path()),
        1,
    );
    assert_eq!(v["containers"][0]["pod"], "checkout-7d4b9c8f6-x2k9p", "{v}");
    let auth = api.authorizations();
    assert!(
        auth.iter().any(|(p, _)| p.starts_with("/api/v1/pods")),
        "{auth:?}"
    );
    assert!(
        auth.iter()
            .all(|(_, a)| a.as_deref() == Some("Bearer token-one")),
        "every request carries the service account's token: {auth:?}"
    );

    // A token the server does not accept is said as such.
    std::fs::write(sa.join("token"), "stale").unwrap();
    let out = in_pod(&["k8s", "scan"], &sa, port, home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("401 Unauthorized"), "{err}");
}

#[test]
fn in_a_pod_a_server_the_ca_does_not_vouch_for_is_refused_in_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    let Some((api, _, other)) = tls_api(dir.path(), "token-one") else {
        return;
    };
    let sa = service_account(dir.path(), &other, "token-one");
    let home = tempfile::tempdir().unwrap();
    let out = in_pod(&["k8s", "scan"], &sa, api.tls_port.unwrap(), home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    assert!(err.starts_with("leakscope: error: "), "{err}");
    assert!(err.contains("failed the TLS handshake"), "{err}");
    assert!(err.contains("ca.crt"), "{err}");
    // Nothing was asked: the token never left over an untrusted connection.
    assert!(
        api.authorizations().is_empty(),
        "{:?}",
        api.authorizations()
    );

    // No token mounted: said, with what to do.
    std::fs::remove_file(sa.join("token")).unwrap();
    let out = in_pod(&["k8s", "scan"], &sa, api.tls_port.unwrap(), home.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    assert!(err.contains("cannot use its service account"), "{err}");
    assert!(err.contains("token"), "{err}");
}

#[test]
fn in_a_pod_the_watch_sends_the_rotated_token_within_a_minute() {
    let dir = tempfile::tempdir().unwrap();
    let Some((api, ca, _)) = tls_api(dir.path(), "token-one") else {
        return;
    };
    api.control("tokens", &json!({"accept": ["token-one", "token-two"]}));
    let sa = service_account(dir.path(), &ca, "token-one");
    let home = tempfile::tempdir().unwrap();
    // The metrics API is read every second: a steady stream of new requests.
    let mut child = in_pod(
        &[
            "k8s",
            "watch",
            "--interval",
            "1s",
            "--duration",
            "100s",
            "-q",
            "--db",
        ],
        &sa,
        api.tls_port.unwrap(),
        home.path(),
    )
    .arg(dir.path().join("w.db"))
    .arg("--log")
    .arg(dir.path().join("log.jsonl"))
    .stderr(Stdio::null())
    .spawn()
    .unwrap();
    // Requests of the metrics poll, a client made once, that carried `token`.
    let sent = |token: &str| {
        api.authorizations()
            .iter()
            .filter(|(p, a)| {
                p.starts_with("/apis/metrics.k8s.io/")
                    && a.as_deref() == Some(&format!("Bearer {token}")[..])
            })
            .count()
    };
    // Every client is made (the poll starts last) and has read the first token.
    assert!(wait_for(Duration::from_secs(20), || sent("token-one") >= 3));
    // kubelet rotates the projected token by replacing the file.
    let fresh = sa.join("token.new");
    std::fs::write(&fresh, "token-two").unwrap();
    std::fs::rename(&fresh, sa.join("token")).unwrap();
    // kube re-reads the file at least once a minute (from 50 s after it read it).
    let rotated_at = std::time::Instant::now();
    let rotated = wait_for(Duration::from_secs(75), || sent("token-two") >= 1);
    eprintln!(
        "the rotated token was sent after {:?}",
        rotated_at.elapsed()
    );
    let _ = child.kill();
    let _ = child.wait();
    assert!(rotated, "the new token was never sent");
    assert!(
        api.authorizations().iter().all(|(_, a)| a.is_some()),
        "no request went without a token"
    );
}

#[test]
fn in_a_pod_the_node_agent_follows_its_node_with_the_service_account() {
    let dir = tempfile::tempdir().unwrap();
    let Some((api, ca, _)) = tls_api(dir.path(), "token-one") else {
        return;
    };
    // The recorded cluster's worker-1 runs default/nginx (BestEffort, containerd, running):
    // its container cgroup in the cgroupfs driver's layout, as kubelet makes it.
    let Some(tree) = Root::v1_memory("in-cluster") else {
        return;
    };
    tree.mkdir(format!(
        "kubepods/besteffort/pod4e5f6071-8293-4a4b-bcd2-e3f405162839/{}",
        "08".repeat(32)
    ));
    let sa = service_account(dir.path(), &ca, "token-one");
    let home = tempfile::tempdir().unwrap();
    let log = dir.path().join("samples.jsonl");
    let mut agent = in_pod(
        &[
            "watch",
            "--k8s-node",
            "--interval",
            "200ms",
            "--duration",
            "60s",
            "--db",
        ],
        &sa,
        api.tls_port.unwrap(),
        home.path(),
    )
    .arg(dir.path().join("agent.db"))
    .arg("--cgroup-root")
    .arg(&tree.dir)
    .arg("--log")
    .arg(&log)
    .env("NODE_NAME", "worker-1")
    .stderr(Stdio::piped())
    .spawn()
    .unwrap();
    let sampled = wait_for(Duration::from_secs(20), || {
        log_lines(&log)
            .iter()
            .any(|l| l["target"] == "default/nginx/nginx")
    });
    let _ = agent.kill();
    let out = agent.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(sampled, "the node's container was never sampled: {err}");
    assert!(err.contains("following the pods of node worker-1"), "{err}");
    let lines = log_lines(&log);
    let s = lines
        .iter()
        .find(|l| l["target"] == "default/nginx/nginx")
        .unwrap();
    assert_eq!(
        s["labels"],
        json!({"namespace": "default", "pod": "nginx", "container": "nginx"})
    );
    // Only this node's pods: the checkout pod on worker-1 has no cgroup here, worker-2's
    // pods are never asked for.
    assert!(
        !lines
            .iter()
            .any(|l| l["labels"]["pod"].as_str().is_some_and(|p| p != "nginx")),
        "{lines:?}"
    );
    let auth = api.authorizations();
    assert!(
        auth.iter()
            .any(|(p, _)| p.starts_with("/api/v1/nodes/worker-1")),
        "the node is checked: {auth:?}"
    );
    assert!(
        auth.iter().any(|(p, _)| p.starts_with("/api/v1/pods?")
            && p.contains("fieldSelector=spec.nodeName%3Dworker-1")),
        "the pods are listed by node: {auth:?}"
    );
    assert!(
        auth.iter()
            .all(|(_, a)| a.as_deref() == Some("Bearer token-one")),
        "every request carries the service account's token: {auth:?}"
    );
}
