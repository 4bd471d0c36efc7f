//! `leakscope rules`: what it writes passes `promtool check rules`, as a rule file and as the
//! spec of a PrometheusRule.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::*;
use leakscope_fleet::testkit::have;

#[test]
fn rule_files_and_prometheus_rules_check_with_promtool() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("rules.yml");
    let out = leakscope()
        .args(["rules", "--out"])
        .arg(&file)
        .args([
            "--selector",
            r#"process_resident_memory_bytes{job="api"}"#,
            "--for",
            "30m",
        ])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = std::fs::read_to_string(&file).unwrap();
    assert!(
        text.contains(r#"process_resident_memory_bytes{job=\"api\"}[1h]"#),
        "{text}"
    );
    assert!(text.contains("for: \"30m\""));
    assert!(text.contains("keep_firing_for: \"1h\""), "{text}");

    let crd = leakscope()
        .args(["rules", "--format", "prometheus-rule", "--namespace", "obs"])
        .args(["--rule-label", "release=kube-prometheus-stack"])
        .output()
        .unwrap();
    assert_eq!(crd.status.code(), Some(0));
    let crd = String::from_utf8(crd.stdout).unwrap();
    assert!(crd.starts_with("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\n"));
    assert!(
        crd.contains("namespace: \"obs\"")
            && crd.contains("\"release\": \"kube-prometheus-stack\"")
    );

    for (flag, value) in [("--for", "an hour"), ("--keep-firing-for", "90 min")] {
        let bad = leakscope().args(["rules", flag, value]).output().unwrap();
        assert_eq!(bad.status.code(), Some(2), "{flag} {value}");
        let stderr = String::from_utf8_lossy(&bad.stderr);
        assert!(
            stderr.contains(&format!("{flag} `{value}` is not a Prometheus duration")),
            "{stderr}"
        );
    }
    let without = leakscope()
        .args(["rules", "--keep-firing-for", "0s"])
        .output()
        .unwrap();
    assert_eq!(without.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&without.stdout).contains("keep_firing_for"));

    if !have("promtool") {
        eprintln!("SKIP: promtool not installed");
        return;
    }
    let spec: String = crd
        .split_once("spec:\n")
        .unwrap()
        .1
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    let spec_file = write(dir.path(), "spec.yml", &spec);
    for f in [&file, &spec_file] {
        let check = std::process::Command::new("promtool")
            .args(["check", "rules"])
            .arg(f)
            .output()
            .unwrap();
        assert!(
            check.status.success(),
            "{}",
            String::from_utf8_lossy(&check.stdout)
        );
    }
}
