//! The generated rules pass `promtool check rules`, and `promtool test rules` shows them firing
//! on a leak (and holding through its restart) and staying silent on a filling cache and a
//! daily cycle.

use std::process::Command;

use leakscope_fleet::rules::{prometheus_rule_yaml, rule_file_yaml, RuleSpec};
use leakscope_fleet::testkit::have;

fn promtool(args: &[&str], dir: &std::path::Path) -> (bool, String) {
    let out = Command::new("promtool")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("promtool runs");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

/// 48 h every 5 minutes of `f(hours)`.
fn values(f: impl Fn(f64) -> f64) -> String {
    (0..=576)
        .map(|k| format!("{:.0}", f(f64::from(k) / 12.0)))
        .collect::<Vec<_>>()
        .join(" ")
}

#[test]
fn rules_fire_on_a_leak_and_not_on_a_cache_or_a_cycle() {
    if !have("promtool") {
        eprintln!("SKIP: promtool not installed (apt-get install prometheus)");
        return;
    }
    let dir = tempfile::tempdir().expect("dir");
    let spec = RuleSpec::default();
    std::fs::write(dir.path().join("rules.yml"), rule_file_yaml(&spec)).expect("write");
    let (ok, out) = promtool(&["check", "rules", "rules.yml"], dir.path());
    assert!(ok, "{out}");
    assert!(out.contains("SUCCESS: 4 rules found"), "{out}");

    // The CRD's spec is the same rule file.
    let crd = prometheus_rule_yaml(
        &spec,
        "leakscope",
        "monitoring",
        &[("release".into(), "prom".into())],
    );
    let spec_part: String = crd
        .split_once("spec:\n")
        .expect("spec")
        .1
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix("  ").unwrap_or(l)))
        .collect();
    std::fs::write(dir.path().join("crd-spec.yml"), spec_part).expect("write");
    let (ok, out) = promtool(&["check", "rules", "crd-spec.yml"], dir.path());
    assert!(ok, "{out}");

    let series = |pod: &str, v: String| {
        format!(
            "  - series: 'container_memory_working_set_bytes{{namespace=\"shop\",pod=\"{pod}\",container=\"app\"}}'\n    values: '{v}'\n"
        )
    };
    let mut test = String::from(
        "rule_files: [rules.yml]\nevaluation_interval: 5m\ntests:\n- interval: 5m\n  input_series:\n",
    );
    // A leak of 20 MB/h (exactly 1,666,667 bytes per 5 minutes).
    test += &series("leaky", values(|h| 2e8 + 1_666_667.0 * (h * 12.0).round()));
    // The same leak, restarted at 45 h: the floor falls, the condition stops at once, and the
    // alert keeps firing for `keep_firing_for` (1 h) instead of resolving with the restart.
    test += &series(
        "restarted",
        values(|h| {
            2e8 + if h < 45.0 {
                1_666_667.0 * (h * 12.0).round()
            } else {
                0.0
            }
        }),
    );
    // A cache filling to 300 MB (time constant 4 h) and a daily cycle of 100 MB, with a GC
    // sawtooth of 20 MB every 25 minutes on top of both.
    let saw = |h: f64| 2e7 * ((h * 12.0).round() % 5.0) / 5.0;
    test += &series(
        "cache",
        values(|h| 2e8 + 3e8 * (1.0 - (-h / 4.0).exp()) + saw(h)),
    );
    test += &series(
        "cycle",
        values(|h| 3e8 + 1e8 * (0.5 - 0.5 * (std::f64::consts::TAU * h / 24.0).cos()) + saw(h)),
    );
    test += "  alert_rule_test:\n";
    let firing = |pod: &str| {
        format!(
            "    - exp_labels: {{severity: warning, namespace: shop, pod: {pod}, container: app}}\n      exp_annotations:\n        summary: \"shop/{pod}/app: the memory floor grows 19.07MiB/h and keeps its pace (a leak?)\"\n        description: \"The minimum over each hour of the memory series is higher than at the same hour yesterday by more than 1 MB per hour, and it did not slow down over the last 6 hours. Judge it fully with `leakscope analyze --prometheus URL --query '<this series>' --range 7d`.\"\n"
        )
    };
    let both: &[&str] = &["leaky", "restarted"];
    for (at, pods) in [
        ("12h", &[][..]),
        ("30h", both),
        ("40h", both),
        ("45h30m", both),
        ("46h30m", &["leaky"][..]),
        ("47h", &["leaky"][..]),
    ] {
        test += &format!("  - eval_time: {at}\n    alertname: LeakscopeMemoryLeak\n");
        if pods.is_empty() {
            test += "    exp_alerts: []\n";
        } else {
            test += "    exp_alerts:\n";
            for pod in pods {
                test += &firing(pod);
            }
        }
    }
    std::fs::write(dir.path().join("test.yml"), &test).expect("write");
    let (ok, out) = promtool(&["test", "rules", "test.yml"], dir.path());
    assert!(ok, "promtool test rules failed:\n{out}");
    assert!(out.contains("SUCCESS"), "{out}");
}
