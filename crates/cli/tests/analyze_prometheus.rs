//! `leakscope analyze --prometheus URL --query PROMQL` end to end, against a real Prometheus
//! started on loopback with a backfilled fixture: the verdicts a CSV of the same samples gets,
//! labels and ranking in JSON, exit codes 0/1/2 and one-sentence errors.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use common::*;
use leakscope_core::Point;
use leakscope_fleet::testkit::{free_port, have, PromServer, FIXTURE_END};
use leakscope_fleet::Labels;

const STEP: i64 = 30;
const HOURS: i64 = 8;

fn labels(pod: &str, container: &str) -> Labels {
    [
        ("__name__", "container_memory_working_set_bytes"),
        ("namespace", "shop"),
        ("pod", pod),
        ("container", container),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// Two leaks (fast, slow) under a sawtooth, and a flat sawtooth.
fn fixture() -> Vec<(Labels, Vec<Point>)> {
    let start = FIXTURE_END - HOURS * 3600;
    let n = HOURS * 3600 / STEP;
    let mk = |growth_per_h: f64, base: f64| -> Vec<Point> {
        (0..=n)
            .map(|i| {
                let h = (i * STEP) as f64 / 3600.0;
                let v = base + growth_per_h * h + 4e6 * (i % 9) as f64 / 9.0;
                Point::new((start + i * STEP) as f64, v.round())
            })
            .collect()
    };
    vec![
        (labels("cart-7f9", "app"), mk(40e6, 3e8)),
        (labels("cart-7f9", "proxy"), mk(0.0, 5e7)),
        (labels("search-1", "app"), mk(8e6, 1e9)),
    ]
}

/// The fixture plus memory limits of the two app containers (4 GB and 1.1 GB).
fn with_limits(mut series: Vec<(Labels, Vec<Point>)>) -> Vec<(Labels, Vec<Point>)> {
    let times: Vec<f64> = series[0].1.iter().map(|p| p.t).collect();
    for (pod, limit) in [("cart-7f9", 4e9), ("search-1", 1.1e9)] {
        let mut l = labels(pod, "app");
        l.insert(
            "__name__".into(),
            "container_spec_memory_limit_bytes".into(),
        );
        series.push((l, times.iter().map(|&t| Point::new(t, limit)).collect()));
    }
    // kube-state-metrics' restart counter of the cart's app: restarted twice, in the middle.
    let mut l = labels("cart-7f9", "app");
    l.insert(
        "__name__".into(),
        "kube_pod_container_status_restarts_total".into(),
    );
    let mid = times[times.len() / 2];
    let counts = times
        .iter()
        .map(|&t| Point::new(t, if t < mid { 0.0 } else { 2.0 }));
    series.push((l, counts.collect()));
    series
}

fn csv_of(series: &[(Labels, Vec<Point>)]) -> String {
    let mut s = String::from("timestamp");
    for i in 0..series.len() {
        s.push_str(&format!(",s{i}"));
    }
    s.push('\n');
    for k in 0..series[0].1.len() {
        s.push_str(&format!("{}", series[0].1[k].t));
        for (_, p) in series {
            s.push_str(&format!(",{}", p[k].v));
        }
        s.push('\n');
    }
    s
}

fn range_args() -> Vec<String> {
    vec![
        "--start".into(),
        (FIXTURE_END - HOURS * 3600).to_string(),
        "--end".into(),
        // RFC 3339 works too.
        leakscope_core::alert::fmt_time(FIXTURE_END as f64),
    ]
}

#[test]
fn prometheus_series_get_the_csv_verdicts_with_labels_ranked_by_urgency() {
    if !have("prometheus") || !have("promtool") {
        eprintln!("SKIP: prometheus/promtool not installed");
        return;
    }
    let series = fixture();
    let server = PromServer::start(&with_limits(series.clone())).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let csv = write(dir.path(), "same.csv", &csv_of(&series));
    let from_csv = run_json(
        leakscope().args(["analyze", "--format", "json"]).arg(&csv),
        1,
    );

    let got = run_json(
        leakscope()
            .args(["analyze", "--format", "json", "--prometheus", &server.url])
            .args([
                "--query",
                r#"container_memory_working_set_bytes{namespace="shop"}"#,
            ])
            .args(range_args()),
        1,
    );
    let got = got["series"].as_array().unwrap();
    assert_eq!(got.len(), 3);
    for (i, (l, _)) in series.iter().enumerate() {
        let want = &from_csv["series"][i];
        let sel = leakscope_fleet::labels::selector(l);
        let v = got.iter().find(|v| v["name"] == sel.as_str()).unwrap();
        for field in [
            "verdict",
            "pattern",
            "growth_bytes_per_hour",
            "confidence",
            "detected_at",
            "samples",
            "span_seconds",
            "first_bytes",
            "last_bytes",
            "restarts",
        ] {
            assert_eq!(v[field], want[field], "{sel}: {field}");
        }
        assert_eq!(v["labels"]["pod"], l["pod"].as_str());
        assert_eq!(
            v["labels"]["__name__"],
            "container_memory_working_set_bytes"
        );
        assert_eq!(v["screened_out"], false);
    }
    // Cohorts by default: the two app containers (same namespace and container) both leak.
    let app = got
        .iter()
        .find(|v| v["labels"]["pod"] == "search-1")
        .unwrap();
    assert_eq!(app["cohort"]["finding"], "cohort-grows", "{app}");
    assert_eq!(app["cohort"]["members"], 2);
    assert!(
        got.iter().any(|v| v["cohort"].is_null()),
        "the lone proxy has no cohort"
    );
    // Ranked: the fast leak, the slow leak, then the rest.
    let order: Vec<&str> = got
        .iter()
        .map(|v| v["labels"]["pod"].as_str().unwrap())
        .collect();
    assert_eq!(order[..2], ["cart-7f9", "search-1"]);
    assert_eq!(got[0]["labels"]["container"], "app");

    // With a limit per series from another query, the table ranks by time to limit.
    let out = leakscope()
        .args(["analyze", "--prometheus", &server.url])
        .args(["--query", "container_memory_working_set_bytes"])
        .args(["--limit-query", "container_spec_memory_limit_bytes"])
        .args(range_args())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    let table = String::from_utf8_lossy(&out.stdout);
    let first_row = table.lines().nth(1).unwrap();
    assert!(
        first_row.contains("search-1") && first_row.contains("LEAK"),
        "search-1 is 1.06 GB of 1.1 GB at 8 MB/h: nearest its limit\n{table}"
    );

    // With the restart counter, each verdict says how often its container restarted.
    let v = run_json(
        leakscope()
            .args(["analyze", "--format", "json", "--prometheus", &server.url])
            .args(["--query", "container_memory_working_set_bytes"])
            .args([
                "--restarts-query",
                "kube_pod_container_status_restarts_total",
            ])
            .args(range_args()),
        1,
    );
    let counted = |pod: &str, container: &str| {
        v["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|v| v["labels"]["pod"] == pod && v["labels"]["container"] == container)
            .unwrap()
            .clone()
    };
    let cart = counted("cart-7f9", "app");
    assert_eq!(cart["restarts_counted"], 2, "{cart}");
    assert!(
        cart["reasons"].to_string().contains("restarted 2 time(s)"),
        "{cart}"
    );
    assert_eq!(counted("search-1", "app")["restarts_counted"], 0);
    // (Only the cart's app has a counter; the proxy beside it shares its pod, not its container.)
    assert_eq!(counted("cart-7f9", "proxy")["restarts_counted"], 0);

    // By pod, the cart pod's app grows while its proxy does not.
    let v = run_json(
        leakscope()
            .args(["analyze", "--format", "json", "--prometheus", &server.url])
            .args([
                "--query",
                "container_memory_working_set_bytes",
                "--cohort-by",
                "pod",
            ])
            .args(range_args()),
        1,
    );
    let cart = v["series"]
        .as_array()
        .unwrap()
        .iter()
        .find(|v| v["labels"]["pod"] == "cart-7f9" && v["labels"]["container"] == "app")
        .unwrap();
    assert_eq!(cart["cohort"]["finding"], "replica-grows-alone", "{cart}");

    // A query matching only the flat series exits 0.
    let out = leakscope()
        .args(["analyze", "--prometheus", &server.url])
        .args([
            "--query",
            r#"container_memory_working_set_bytes{container="proxy"}"#,
        ])
        .args(range_args())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    drop(server);
}

#[test]
fn errors_exit_2_with_one_sentence() {
    if !have("prometheus") || !have("promtool") {
        eprintln!("SKIP: prometheus/promtool not installed");
        return;
    }
    let server = PromServer::start(&fixture()).unwrap();
    let run = |args: &[&str]| {
        let out = leakscope()
            .args(["analyze"])
            .args(args)
            .args(range_args())
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).trim().to_owned();
        (out.status.code(), err)
    };
    let (code, err) = run(&["--prometheus", &server.url, "--query", "sum(rate(x[5m]"]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("rejected the query") && err.contains("parse error"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");

    let (code, err) = run(&["--prometheus", &server.url, "--query", "nothing_here"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("returned no series"), "{err}");

    let dead = format!("http://127.0.0.1:{}", free_port().unwrap());
    let (code, err) = run(&["--prometheus", &dead, "--query", "m"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("cannot reach Prometheus"), "{err}");

    let (code, err) = run(&["--prometheus", &server.url]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--query"), "{err}");
    drop(server);
}
