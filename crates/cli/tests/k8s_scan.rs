//! `leakscope k8s scan` end to end against the fake API server: the table and the JSON
//! contract, exit codes 1/0/2, and each error as one sentence (no kubeconfig, unreachable API,
//! RBAC forbidden naming the verb and resource, a broken kubeconfig).

#![cfg(feature = "k8s")]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;
#[path = "../../k8s/tests/support/mod.rs"]
mod fake;

use common::*;
use fake::FakeApi;

/// `leakscope k8s scan --server API --format json EXTRA`, which must exit `code`.
fn scan_json(api: &FakeApi, extra: &[&str], code: i32) -> serde_json::Value {
    run_json(
        leakscope()
            .args(["k8s", "scan", "--server", &api.url(), "--format", "json"])
            .args(extra),
        code,
    )
}

#[test]
fn json_lists_oom_killed_and_restarting_containers_and_exits_1() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    let v = scan_json(&api, &["--page-size", "2"], 1);
    let cs = v["containers"].as_array().unwrap();
    assert_eq!(cs.len(), 3);
    let c = &cs[0];
    for key in [
        "namespace",
        "pod",
        "container",
        "owner",
        "restarts",
        "oom_kills",
        "last_termination",
        "limit_bytes",
        "verdict",
    ] {
        assert!(c.get(key).is_some(), "{key} missing in {c}");
    }
    assert_eq!(c["namespace"], "shop");
    assert_eq!(c["pod"], "checkout-7d4b9c8f6-x2k9p");
    assert_eq!(c["container"], "app");
    assert_eq!(c["owner"], "Deployment/checkout");
    assert_eq!(c["restarts"], 7);
    assert_eq!(c["oom_kills"], 1);
    assert_eq!(c["limit_bytes"], 268_435_456.0);
    assert_eq!(c["verdict"], serde_json::Value::Null);
    assert_eq!(c["last_termination"]["reason"], "OOMKilled");
    assert_eq!(c["last_termination"]["exit_code"], 137);
    assert_eq!(c["last_termination"]["finished_at"], "2026-11-24T02:10:00Z");
    assert_eq!(c["oom_events"][0]["reason"], "OOMKilling");
    assert_eq!(cs[2]["container"], "redis");
    assert_eq!(v["node_events"][0]["reason"], "SystemOOM");
    assert_eq!(v["scanned"]["pods"], 5);
}

#[test]
fn the_table_ranks_and_a_clean_namespace_exits_0() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    let out = leakscope()
        .args(["k8s", "scan", "--server", &api.url()])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let text = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("NAMESPACE"), "{text}");
    assert!(
        lines[1].contains("checkout-7d4b9c8f6-x2k9p") && lines[1].contains("OOMKilled (137)"),
        "{text}"
    );
    assert!(
        lines[1].contains("256.0 MiB") || lines[1].contains("256 MiB"),
        "{text}"
    );
    assert!(text.contains("SystemOOM"), "{text}");
    assert!(text.contains("scanned 5 pods (6 containers) in 3 namespaces: 2 OOM-killed, 2 restarted more than 5 times"), "{text}");

    let out = leakscope()
        .args(["k8s", "scan", "--server", &api.url(), "-n", "default"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("no container was OOM-killed"));
}

fn error_of(args: &[&str], env: &[(&str, &str)]) -> String {
    let home = tempfile::tempdir().unwrap();
    let mut cmd = leakscope();
    cmd.args(args)
        .env("HOME", home.path())
        .env_remove("KUBECONFIG")
        .env_remove("KUBERNETES_SERVICE_HOST")
        .env_remove("KUBERNETES_SERVICE_PORT");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let out = cmd.output().unwrap();
    assert_eq!(out.status.code(), Some(2), "{out:?}");
    let err = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(err.lines().count(), 1, "one sentence: {err}");
    assert!(err.starts_with("leakscope: error: "), "{err}");
    err
}

#[test]
fn errors_are_one_sentence_and_exit_2() {
    let err = error_of(&["k8s", "scan"], &[]);
    assert!(err.contains("no Kubernetes configuration"), "{err}");
    assert!(err.contains("--kubeconfig FILE or --server URL"), "{err}");

    let port = free_port();
    let err = error_of(
        &[
            "k8s",
            "scan",
            "--server",
            &format!("http://127.0.0.1:{port}"),
        ],
        &[],
    );
    assert!(
        err.contains(&format!(
            "cannot reach the Kubernetes API at http://127.0.0.1:{port}"
        )),
        "{err}"
    );

    let dir = tempfile::tempdir().unwrap();
    let bad = write(
        dir.path(),
        "config",
        "apiVersion: v1\nkind: Config\nclusters: [[[\n",
    );
    let err = error_of(&["k8s", "scan", "--kubeconfig", bad.to_str().unwrap()], &[]);
    assert!(
        err.contains(&format!("cannot use the kubeconfig {}", bad.display())),
        "{err}"
    );

    let err = error_of(&["k8s", "scan", "--server", "not a url"], &[]);
    assert!(err.contains("is not a URL"), "{err}");

    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    api.control(
        "forbid",
        &serde_json::json!({"verb": "list", "resource": "pods"}),
    );
    let err = error_of(&["k8s", "scan", "--server", &api.url(), "-n", "shop"], &[]);
    assert!(
        err.contains("forbids list on pods in namespace shop"),
        "{err}"
    );
    assert!(err.contains("grant the verb \"list\" on \"pods\""), "{err}");
}

#[test]
fn a_kubeconfig_from_the_environment_is_used() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let kc = write(
        dir.path(),
        "config",
        &format!(
            "apiVersion: v1\nkind: Config\ncurrent-context: fake\nclusters:\n- name: fake\n  cluster:\n    server: {}\ncontexts:\n- name: fake\n  context:\n    cluster: fake\n    user: me\n    namespace: shop\nusers:\n- name: me\n  user:\n    token: not-a-secret\n",
            api.url()
        ),
    );
    let v = run_json(
        leakscope()
            .args(["k8s", "scan", "--format", "json"])
            .env("KUBECONFIG", &kc)
            .env_remove("KUBERNETES_SERVICE_HOST"),
        1,
    );
    assert_eq!(v["scanned"]["pods"], 5);
}

#[test]
fn with_prometheus_each_container_is_judged_and_a_leak_alone_is_listed() {
    use leakscope_core::Point;
    use leakscope_fleet::testkit::{have, PromServer, FIXTURE_END};
    if !have("prometheus") || !have("promtool") {
        eprintln!("SKIP: prometheus/promtool not installed (apt-get install prometheus)");
        return;
    }
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    // 24 h of 60 s samples: checkout and search grow 10 MB/h under a GC sawtooth; cart is flat.
    let series = |pod: &str, container: &str, f: &dyn Fn(f64) -> f64| {
        let labels: leakscope_fleet::Labels = [
            ("__name__", "container_memory_working_set_bytes"),
            ("namespace", "shop"),
            ("pod", pod),
            ("container", container),
            ("image", "registry.example/x:1"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let points = (0..1440)
            .map(|i| {
                let t = (FIXTURE_END - 86_400 + i * 60) as f64;
                let h = i as f64 / 60.0;
                Point::new(t, f(h) + 4e6 * ((i % 7) as f64))
            })
            .collect::<Vec<_>>();
        (labels, points)
    };
    let prom = PromServer::start(&[
        series("checkout-7d4b9c8f6-x2k9p", "app", &|h| 60e6 + 1e7 * h),
        series("search-5f6d7c9b8-abcde", "app", &|h| 100e6 + 1e7 * h),
        series("cart-0", "redis", &|_| 300e6),
    ])
    .expect("prometheus starts");
    let end = FIXTURE_END.to_string();
    let v = scan_json(
        &api,
        &["--prometheus", &prom.url, "--range", "24h", "--end", &end],
        1,
    );
    let by = |pod: &str| {
        v["containers"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["pod"] == pod)
            .cloned()
            .unwrap_or_default()
    };
    let checkout = by("checkout-7d4b9c8f6-x2k9p");
    assert_eq!(checkout["verdict"], "leak", "{checkout}");
    let g = checkout["growth_bytes_per_hour"].as_f64().unwrap();
    assert!((7e6..13e6).contains(&g), "{g}");
    // 256 MiB limit, ~300 MB reached at the end: at or past it.
    assert!(
        checkout["time_to_limit_seconds"].as_f64().is_some(),
        "{checkout}"
    );
    // search has nothing but its memory to show: listed for the leak alone, with a time to its
    // 512 MiB limit.
    let search = by("search-5f6d7c9b8-abcde");
    assert_eq!(search["findings"], serde_json::json!(["leak"]));
    let ttl = search["time_to_limit_seconds"].as_f64().unwrap();
    assert!(ttl > 3600.0 && ttl < 86_400.0, "{ttl}");
    assert_eq!(by("cart-0")["verdict"], "no_leak");
    assert_eq!(v["scanned"]["judged"], 3);
    // Ranked: leaking and OOM-killed first.
    assert_eq!(v["containers"][0]["pod"], "checkout-7d4b9c8f6-x2k9p");
}

#[test]
fn k8s_commands_have_examples() {
    for cmd in ["scan", "watch"] {
        let out = leakscope().args(["k8s", cmd, "--help"]).output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.contains("Examples:\n  leakscope k8s"), "{text}");
    }
}
