//! deploy/kubernetes: the manifests parse, hang together (selectors, ports, service account,
//! the cgroup mount the agent is pointed at), are locked down (no capability, read-only root
//! and cgroup mount, no privilege escalation), the ClusterRole grants exactly reading what the
//! code calls, and the agent's arguments are real flags of this binary.

#![cfg(feature = "k8s")]
#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::*;
use serde_json::Value;

fn docs() -> Vec<Value> {
    let dir = repo().join("deploy/kubernetes");
    let mut out = Vec::new();
    for name in [
        "namespace.yaml",
        "rbac.yaml",
        "daemonset.yaml",
        "service.yaml",
    ] {
        let text = std::fs::read_to_string(dir.join(name)).unwrap();
        let docs: Vec<Value> =
            serde_saphyr::from_multiple(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        out.extend(docs);
    }
    let kust: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join("kustomization.yaml")).unwrap())
            .unwrap();
    let listed: Vec<&str> = kust["resources"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        [
            "namespace.yaml",
            "rbac.yaml",
            "daemonset.yaml",
            "service.yaml"
        ]
    );
    out
}

fn one<'a>(docs: &'a [Value], kind: &str) -> &'a Value {
    let found: Vec<&Value> = docs.iter().filter(|d| d["kind"] == kind).collect();
    assert_eq!(found.len(), 1, "one {kind}");
    found[0]
}

#[test]
fn the_daemonset_is_locked_down_and_consistent() {
    let docs = docs();
    let ds = one(&docs, "DaemonSet");
    let spec = &ds["spec"]["template"]["spec"];
    assert_eq!(spec["hostPID"], true);
    assert_eq!(
        ds["spec"]["selector"]["matchLabels"],
        ds["spec"]["template"]["metadata"]["labels"]
    );
    let sa = one(&docs, "ServiceAccount");
    assert_eq!(spec["serviceAccountName"], sa["metadata"]["name"]);
    assert_eq!(spec["securityContext"]["runAsNonRoot"], true);
    let c = &spec["containers"][0];
    assert_eq!(c["image"], "leakscope:VERSION");
    let sc = &c["securityContext"];
    assert_eq!(sc["capabilities"]["drop"], serde_json::json!(["ALL"]));
    assert!(
        sc["capabilities"].get("add").is_none(),
        "no capability is added"
    );
    assert_eq!(sc["readOnlyRootFilesystem"], true);
    assert_eq!(sc["allowPrivilegeEscalation"], false);
    // The cgroup mount: the host's /sys/fs/cgroup, read-only, where --cgroup-root points.
    let mount = c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["name"] == "cgroup")
        .unwrap();
    assert_eq!(mount["readOnly"], true);
    let vol = spec["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["name"] == "cgroup")
        .unwrap();
    assert_eq!(vol["hostPath"]["path"], "/sys/fs/cgroup");
    let args: Vec<String> = c["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a.as_str().unwrap().to_string())
        .collect();
    assert!(args.contains(&format!(
        "--cgroup-root={}",
        mount["mountPath"].as_str().unwrap()
    )));
    assert!(args.contains(&"--k8s-node".to_string()));
    let env: Vec<&Value> = c["env"].as_array().unwrap().iter().collect();
    let node = env.iter().find(|e| e["name"] == "NODE_NAME").unwrap();
    assert_eq!(node["valueFrom"]["fieldRef"]["fieldPath"], "spec.nodeName");
    // Every writable path is a volume (the root filesystem is read-only).
    let db = args.iter().find_map(|a| a.strip_prefix("--db=")).unwrap();
    assert!(c["volumeMounts"]
        .as_array()
        .unwrap()
        .iter()
        .any(|m| db.starts_with(m["mountPath"].as_str().unwrap()) && m.get("readOnly").is_none()));

    // The arguments are this binary's: with $(VARS) as Kubernetes expands them, `--help` after
    // them is reached only when every flag before it parses.
    let expanded: Vec<String> = args
        .iter()
        .map(|a| a.replace("$(POD_IP)", "10.244.1.7"))
        .collect();
    let out = leakscope().args(&expanded).arg("--help").output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut bad = expanded.clone();
    bad.push("--no-such-flag".into());
    let out = leakscope().args(&bad).arg("--help").output().unwrap();
    assert_eq!(out.status.code(), Some(2), "the check can fail");

    // The Service selects the agent's pods and its port is the container's; the
    // ServiceMonitor selects the Service by its labels and scrapes that port.
    let svc = one(&docs, "Service");
    assert_eq!(
        svc["spec"]["selector"],
        ds["spec"]["template"]["metadata"]["labels"]
    );
    let port = &svc["spec"]["ports"][0];
    assert!(c["ports"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == port["targetPort"]));
    let sm = one(&docs, "ServiceMonitor");
    for (k, v) in sm["spec"]["selector"]["matchLabels"].as_object().unwrap() {
        assert_eq!(&svc["metadata"]["labels"][k], v);
    }
    assert_eq!(sm["spec"]["endpoints"][0]["port"], port["name"]);
    assert_eq!(sm["spec"]["endpoints"][0]["path"], "/metrics");
}

#[test]
fn the_cluster_role_grants_reading_what_the_code_calls_and_nothing_more() {
    let docs = docs();
    let role = one(&docs, "ClusterRole");
    let rules = role["rules"].as_array().unwrap();
    let grants = |group: &str, resource: &str, verb: &str| {
        rules.iter().any(|r| {
            let has = |key: &str, v: &str| {
                r[key]
                    .as_array()
                    .unwrap()
                    .iter()
                    .any(|x| x == v || x == "*")
            };
            has("apiGroups", group) && has("resources", resource) && has("verbs", verb)
        })
    };
    for (group, resource, verb) in leakscope_k8s::RBAC_NEEDED {
        assert!(
            grants(group, resource, verb),
            "{verb} {resource} in group {group:?}"
        );
    }
    for r in rules {
        for v in r["verbs"].as_array().unwrap() {
            assert!(
                ["get", "list", "watch"].contains(&v.as_str().unwrap()),
                "read-only: {v}"
            );
        }
        assert!(!r["resources"]
            .as_array()
            .unwrap()
            .iter()
            .any(|x| x == "*" || x == "secrets"));
    }
    let binding = one(&docs, "ClusterRoleBinding");
    assert_eq!(binding["roleRef"]["name"], role["metadata"]["name"]);
    let sa = one(&docs, "ServiceAccount");
    assert_eq!(binding["subjects"][0]["name"], sa["metadata"]["name"]);
    assert_eq!(
        binding["subjects"][0]["namespace"],
        sa["metadata"]["namespace"]
    );
}
