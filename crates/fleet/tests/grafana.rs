//! The Grafana dashboard shipped in deploy/grafana/ is well formed: valid JSON, every
//! variable it uses defined, every metric it reads one that leakscope exports (the watcher's
//! /metrics, `leakscope rules`) or the raw cAdvisor series, and every query accepted by a real
//! Prometheus. There is no Grafana here to load it.

use std::collections::BTreeSet;

use leakscope_fleet::rules::names;
use leakscope_fleet::testkit::{have, PromServer};

/// Metrics of the watcher's /metrics (crates/agent/src/metrics.rs, registry prefix `leakscope`).
const WATCHER_METRICS: &[&str] = &[
    "leakscope_last_value",
    "leakscope_floor_growth_bytes_per_hour",
    "leakscope_verdict",
    "leakscope_confidence",
    "leakscope_time_to_limit_seconds",
    "leakscope_samples_total",
    "leakscope_sample_errors_total",
    "leakscope_sampling_behind_total",
    "leakscope_last_sample_age_seconds",
];
const RAW: &[&str] = &["container_memory_working_set_bytes"];

fn dashboard() -> serde_json::Value {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../deploy/grafana/leakscope.json"
    );
    let text = std::fs::read_to_string(path).expect("dashboard file");
    serde_json::from_str(&text).expect("valid JSON")
}

/// Identifiers in `expr` that name metrics: followed by `{`, `[`, `)` or the end, and not a
/// PromQL function or keyword.
fn metrics_in(expr: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let b = expr.as_bytes();
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        if c.is_ascii_alphabetic() || c == b'_' {
            let s = i;
            while i < b.len() && (b[i].is_ascii_alphanumeric() || b[i] == b'_' || b[i] == b':') {
                i += 1;
            }
            let word = &expr[s..i];
            let next = expr[i..].trim_start().bytes().next();
            let inside_braces = expr[..s].matches('{').count() > expr[..s].matches('}').count();
            let quoted = expr[..s].matches('"').count() % 2 == 1;
            if !inside_braces
                && !quoted
                && matches!(next, Some(b'{') | Some(b'[') | Some(b')') | None)
                && word.contains('_')
                && !word.ends_with("_over_time")
            {
                out.insert(word.to_owned());
            }
        } else {
            i += 1;
        }
    }
    out
}

#[test]
fn the_dashboard_is_well_formed_and_reads_known_metrics() {
    let d = dashboard();
    assert_eq!(d["uid"], "leakscope-memory");
    let vars: BTreeSet<String> = d["templating"]["list"]
        .as_array()
        .expect("variables")
        .iter()
        .map(|v| v["name"].as_str().expect("name").to_owned())
        .collect();
    for v in ["datasource", "job", "target", "namespace"] {
        assert!(vars.contains(v), "variable {v} defined");
    }
    let known: BTreeSet<&str> = WATCHER_METRICS
        .iter()
        .chain(RAW)
        .copied()
        .chain([names::FLOOR, names::GROWTH, names::GROWTH_RECENT])
        .collect();
    let mut ids = BTreeSet::new();
    let mut exprs = Vec::new();
    let panels = d["panels"].as_array().expect("panels");
    assert!(panels.len() >= 8);
    for p in panels {
        assert!(
            ids.insert(p["id"].as_i64().expect("id")),
            "panel ids unique"
        );
        assert_eq!(p["datasource"]["uid"], "${datasource}");
        for k in ["x", "y", "w", "h"] {
            assert!(
                p["gridPos"][k].as_i64().is_some(),
                "{}: gridPos.{k}",
                p["title"]
            );
        }
        let targets = p["targets"].as_array().expect("targets");
        assert!(!targets.is_empty(), "{}", p["title"]);
        for t in targets {
            let e = t["expr"].as_str().expect("expr");
            for var in e.split('$').skip(1) {
                let name: String = var
                    .chars()
                    .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                    .collect();
                assert!(
                    vars.contains(&name),
                    "{e}: ${name} is not a dashboard variable"
                );
            }
            let m = metrics_in(e);
            assert!(!m.is_empty(), "{e}: reads no metric");
            for name in &m {
                assert!(
                    known.contains(name.as_str()),
                    "{e}: {name} is not a metric leakscope exports"
                );
            }
            exprs.push(e.to_owned());
        }
    }
    // The variables' own queries read known metrics too.
    for v in d["templating"]["list"].as_array().into_iter().flatten() {
        if let Some(q) = v["definition"].as_str() {
            let inner = q.trim_start_matches("label_values(");
            assert!(
                metrics_in(inner).iter().all(|m| known.contains(m.as_str())),
                "{q}"
            );
        }
    }
    // The watcher's own names appear: memory, floor growth and verdict per target.
    let all = exprs.join("\n");
    for m in [
        "leakscope_verdict",
        "leakscope_last_value",
        "leakscope_floor_growth_bytes_per_hour",
        names::FLOOR,
    ] {
        assert!(all.contains(m), "the dashboard shows {m}");
    }

    // Every query is accepted by a real Prometheus (variables set to match all).
    if !have("prometheus") || !have("promtool") {
        eprintln!("SKIP: prometheus not installed; queries not checked against it");
        return;
    }
    let server = PromServer::start(&[]).expect("prometheus");
    let prom = leakscope_fleet::Prometheus::new(leakscope_fleet::Endpoint::new(&server.url))
        .expect("client");
    for e in &exprs {
        let q = e
            .replace("$namespace", ".*")
            .replace("$job", ".*")
            .replace("$target", ".*");
        if let Err(err) = prom.query(&q, 1_700_000_000.0) {
            panic!("{e}: {err}");
        }
    }
}

#[test]
fn the_metric_scanner_finds_names_not_functions() {
    let m = metrics_in(
        r#"max by (target) (leakscope_verdict{job=~"$job"}) + min_over_time(x_y[1h]) + rate(a_b_total[5m])"#,
    );
    assert_eq!(
        m.into_iter().collect::<Vec<_>>(),
        vec!["a_b_total", "leakscope_verdict", "x_y"]
    );
}
