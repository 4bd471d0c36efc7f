//! `k8s scan` against the fake API server serving recorded pods and events: what is found,
//! how it is joined and ranked, pagination, RBAC and network errors, and a pod deleted while
//! the scan pages through the list.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod support;

use leakscope_k8s::client::{connect, runtime, Connect};
use leakscope_k8s::error::K8sError;
use leakscope_k8s::scan::{scan, ScanOptions, ScanReport};
use support::FakeApi;

fn run_scan(api: &FakeApi, opts: &ScanOptions) -> Result<ScanReport, K8sError> {
    let rt = runtime().unwrap();
    rt.block_on(async {
        let cluster = connect(&Connect {
            server: Some(api.url()),
            kubeconfig: None,
        })
        .await?;
        scan(&cluster, opts).await
    })
}

fn names(r: &ScanReport) -> Vec<String> {
    r.containers
        .iter()
        .map(|c| format!("{}/{}/{}", c.namespace, c.pod, c.container))
        .collect()
}

#[test]
fn oom_kills_restarts_and_node_events_are_found_joined_and_ranked() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    let opts = ScanOptions {
        page_size: 2,
        ..ScanOptions::default()
    };
    let r = run_scan(&api, &opts).unwrap();
    // Latest OOM kill first, the older OOM-killed Job next, the restarting StatefulSet after.
    assert_eq!(
        names(&r),
        [
            "shop/checkout-7d4b9c8f6-x2k9p/app",
            "batch/report-28911-q7w2x/report",
            "shop/cart-0/redis"
        ]
    );
    let app = &r.containers[0];
    assert_eq!(app.owner.as_deref(), Some("Deployment/checkout"));
    assert_eq!(app.node.as_deref(), Some("worker-1"));
    assert_eq!(app.restarts, 7);
    assert_eq!(app.limit_bytes, Some(256.0 * 1024.0 * 1024.0));
    assert_eq!(app.state, "waiting: CrashLoopBackOff");
    let t = app.last_termination.as_ref().unwrap();
    assert_eq!(
        (t.reason.as_deref(), t.exit_code, t.finished_at.as_deref()),
        (Some("OOMKilled"), 137, Some("2026-11-24T02:10:00Z"))
    );
    // NPD's OOMKilling on worker-1 one second later is the same kill: joined, not counted twice.
    assert_eq!(app.oom_events.len(), 1);
    assert_eq!(app.oom_events[0].reason, "OOMKilling");
    assert_eq!(app.oom_events[0].process.as_deref(), Some("node"));
    assert_eq!(app.oom_kills, 1);
    assert_eq!(app.findings, ["oom_killed", "restarts", "oom_event"]);
    // The Job's kill is joined by the pod UID in the kernel's memcg path.
    let job = &r.containers[1];
    assert_eq!(job.owner.as_deref(), Some("Job/report-28911"));
    assert_eq!(job.state, "terminated: OOMKilled");
    assert_eq!(job.oom_events.len(), 1);
    let cart = &r.containers[2];
    assert_eq!(cart.owner.as_deref(), Some("StatefulSet/cart"));
    assert_eq!((cart.restarts, cart.oom_kills), (12, 0));
    assert_eq!(cart.findings, ["restarts"]);
    assert!(!cart.is_bad());
    // kubelet's SystemOOM on worker-2 matches no container kill.
    assert_eq!(r.node_events.len(), 1);
    assert_eq!(r.node_events[0].reason, "SystemOOM");
    assert_eq!(r.node_events[0].process.as_deref(), Some("dockerd"));
    assert_eq!(
        (r.scanned.pods, r.scanned.containers, r.scanned.namespaces),
        (5, 6, 3)
    );
    assert_eq!(r.scanned.oom_events, 3);

    // Pages of 2: 3 pod pages, then the events by reason through the field selector.
    let reqs = api.requests();
    let pod_reqs: Vec<&String> = reqs
        .iter()
        .filter(|r| r.starts_with("/api/v1/pods"))
        .collect();
    assert_eq!(pod_reqs.len(), 3, "{reqs:?}");
    assert!(pod_reqs.iter().all(|r| r.contains("limit=2")));
    assert!(pod_reqs[1].contains("continue="));
    assert!(reqs.iter().any(
        |r| r.starts_with("/api/v1/events") && r.contains("fieldSelector=reason%3DOOMKilling")
    ));
    assert!(
        reqs.iter()
            .any(|r| r.starts_with("/api/v1/events")
                && r.contains("fieldSelector=reason%3DSystemOOM"))
    );
    assert_eq!(r.scanned.requests as usize, reqs.len());
}

#[test]
fn restarts_threshold_and_one_namespace() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    let r = run_scan(
        &api,
        &ScanOptions {
            namespace: Some("shop".into()),
            restarts_over: 1,
            ..ScanOptions::default()
        },
    )
    .unwrap();
    assert_eq!(
        names(&r),
        [
            "shop/checkout-7d4b9c8f6-x2k9p/app",
            "shop/cart-0/redis",
            "shop/search-5f6d7c9b8-abcde/app"
        ]
    );
    let reqs = api.requests();
    assert!(
        reqs.iter().all(|r| !r.starts_with("/api/v1/pods")),
        "{reqs:?}"
    );
    assert!(reqs
        .iter()
        .any(|r| r.starts_with("/api/v1/namespaces/shop/pods")));
    // Node events live in `default`: read there too, and joined to shop's container.
    assert!(reqs
        .iter()
        .any(|r| r.starts_with("/api/v1/namespaces/default/events")));
    assert_eq!(r.containers[0].oom_events.len(), 1);
    assert_eq!(r.scanned.namespaces, 1);
}

#[test]
fn rbac_forbidden_names_the_verb_and_resource() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    api.control(
        "forbid",
        &serde_json::json!({"verb": "list", "resource": "pods"}),
    );
    let e = run_scan(&api, &ScanOptions::default()).unwrap_err();
    assert!(
        matches!(&e, K8sError::Forbidden { verb, resource, .. } if *verb == "list" && *resource == "pods")
    );
    let text = e.to_string();
    assert!(
        text.contains("forbids list on pods across all namespaces"),
        "{text}"
    );
    assert!(
        text.contains("system:serviceaccount:leakscope:leakscope"),
        "{text}"
    );

    api.control("allow", &serde_json::json!({}));
    api.control(
        "forbid",
        &serde_json::json!({"verb": "list", "resource": "events"}),
    );
    let e = run_scan(&api, &ScanOptions::default()).unwrap_err();
    assert!(e.to_string().contains("forbids list on events"), "{e}");
    // One namespace: its events are required, `default`'s are a courtesy (noted, not fatal).
    api.control("allow", &serde_json::json!({}));
}

#[test]
fn a_server_busy_for_a_moment_is_asked_again_and_one_that_stays_down_fails_in_seconds() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    let whole = names(&run_scan(&api, &ScanOptions::default()).unwrap());
    // Two 503s (an API server restarting behind its load balancer): the scan rides them out.
    api.control("unavailable", &serde_json::json!({"on": true, "times": 2}));
    let r = run_scan(&api, &ScanOptions::default()).unwrap();
    assert_eq!(names(&r), whole);
    // Down for good: one sentence naming the answer, after a few seconds, not minutes of
    // silent retries.
    api.control("unavailable", &serde_json::json!({"on": true}));
    let started = std::time::Instant::now();
    let e = run_scan(&api, &ScanOptions::default()).unwrap_err();
    let took = started.elapsed();
    assert!(
        matches!(&e, K8sError::Api { code: 503, verb, resource, .. } if *verb == "list" && *resource == "pods"),
        "{e}"
    );
    assert!(e.to_string().contains("answered list pods with 503"), "{e}");
    assert!(took < std::time::Duration::from_secs(20), "{took:?}");
    // Pods were asked for once by the first scan, 2 + 1 times by the second, and 1 + 3
    // retries by the last.
    let asked = api
        .requests()
        .iter()
        .filter(|r| r.starts_with("/api/v1/pods?"))
        .count();
    assert_eq!(asked, 1 + 3 + 4, "{:?}", api.requests());
}

#[test]
fn an_unreachable_api_is_said_so() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let rt = runtime().unwrap();
    let e = rt
        .block_on(async {
            let c = connect(&Connect {
                server: Some(format!("http://127.0.0.1:{port}")),
                kubeconfig: None,
            })
            .await?;
            scan(&c, &ScanOptions::default()).await
        })
        .unwrap_err();
    let text = e.to_string();
    assert!(matches!(e, K8sError::Unreachable { .. }), "{text}");
    assert!(
        text.contains(&format!(
            "cannot reach the Kubernetes API at http://127.0.0.1:{port}"
        )),
        "{text}"
    );
    assert!(text.to_lowercase().contains("refused"), "{text}");
}

#[test]
fn a_pod_deleted_mid_scan_is_listed_from_one_snapshot() {
    let Some(api) = FakeApi::with_cluster() else {
        return;
    };
    // Deleted right after the first page: the continued pages still come from the snapshot the
    // list started on (as etcd serves them), so the pod is there once and nothing twice.
    api.control(
        "delete_after_page",
        &serde_json::json!({"resource": "pods", "namespace": "shop", "name": "cart-0"}),
    );
    let opts = ScanOptions {
        page_size: 2,
        ..ScanOptions::default()
    };
    let r = run_scan(&api, &opts).unwrap();
    assert_eq!(r.scanned.pods, 5);
    assert_eq!(r.scanned.relists, 0);
    assert!(names(&r).contains(&"shop/cart-0/redis".to_string()));

    // When the snapshot expires mid-list (410 on the continue token, as after etcd's
    // compaction), the list starts over and is consistent with the deletion: no duplicates.
    api.control(
        "delete_after_page",
        &serde_json::json!({"resource": "pods", "namespace": "batch", "name": "report-28911-q7w2x", "expire": true}),
    );
    let r = run_scan(&api, &opts).unwrap();
    assert_eq!(r.scanned.relists, 1);
    assert_eq!(r.scanned.pods, 3);
    let n = names(&r);
    assert!(
        !n.iter()
            .any(|x| x.contains("cart-0") || x.contains("report-28911")),
        "{n:?}"
    );
    assert_eq!(n, ["shop/checkout-7d4b9c8f6-x2k9p/app"]);
    let pod_reqs = api
        .requests()
        .into_iter()
        .filter(|r| r.starts_with("/api/v1/pods"))
        .count();
    // 3 pages before; now page 1, a 410 on page 2, then 2 pages of the 3 pods left.
    assert_eq!(pod_reqs, 3 + 1 + 1 + 2);
}
