//! `leakscope watch --prometheus URL --query PROMQL --every D` and `--alertmanager URL` end to
//! end, against Debian's real Prometheus (backfilled with promtool) and Alertmanager, started
//! on loopback with their pids recorded and stopped: the fleet is re-judged on its schedule,
//! the leak alone alerts, the alert reaches a webhook receiver through Alertmanager's route,
//! stays active because it is re-sent, and resolves with `endsAt` when its series is gone.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::process::Stdio;
use std::time::{Duration, Instant};

use common::*;
use leakscope_core::Point;
use leakscope_fleet::testkit::{have, AlertmanagerServer, PromServer, WebhookSink};
use leakscope_fleet::Labels;
use leakscope_probe::http::{Client, HttpOptions};

const STEP: i64 = 30;
const HOURS: i64 = 6;
const QUERY: &str = r#"container_memory_working_set_bytes{namespace="shop"}"#;

fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}

fn labels(container: &str) -> Labels {
    [
        ("__name__", "container_memory_working_set_bytes"),
        ("namespace", "shop"),
        ("pod", "cart-7f9"),
        ("container", container),
    ]
    .iter()
    .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
    .collect()
}

/// `app` leaks 60 MB/h under a GC sawtooth (100 MB to 460 MB: under the 500 MB threshold, so
/// only the growth rule can fire); `proxy`, fixed, saws around 50 MB. The samples end 3 h
/// before now (Prometheus' head block must not be backfilled), inside the watch's 12 h window.
fn fixture() -> Vec<(Labels, Vec<Point>)> {
    let end = (now() as i64 - 3 * 3600) / 60 * 60;
    let start = end - HOURS * 3600;
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
        (labels("app"), mk(60e6, 1e8)),
        (labels("proxy"), mk(0.0, 5e7)),
    ]
}

/// The webhook bodies received within `within` until one satisfies `want`.
fn wait_body(
    hook: &WebhookSink,
    within: Duration,
    seen: &mut Vec<serde_json::Value>,
    want: impl Fn(&serde_json::Value) -> bool,
) -> Option<serde_json::Value> {
    let end = Instant::now() + within;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        let Some(b) = hook.next(left) else { break };
        seen.push(b.clone());
        if want(&b) {
            return Some(b);
        }
    }
    None
}

fn alerts_of(body: &serde_json::Value) -> Vec<serde_json::Value> {
    body["alerts"].as_array().cloned().unwrap_or_default()
}

#[test]
fn a_watched_fleet_pages_its_leak_through_alertmanager_and_resolves_it_when_gone() {
    if !have("prometheus") || !have("promtool") || !have("prometheus-alertmanager") {
        eprintln!("SKIP: prometheus, promtool or prometheus-alertmanager not installed");
        return;
    }
    let prom = PromServer::start_with(&fixture(), &["--web.enable-admin-api"]).unwrap();
    assert!(prom.pid() > 0);
    let hook = WebhookSink::start().unwrap();
    let am = AlertmanagerServer::start(&format!(
        "route:\n  receiver: hook\n  group_by: [alertname, namespace]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n- name: hook\n  webhook_configs:\n  - url: {}\n    send_resolved: true\n",
        hook.url
    ))
    .unwrap();
    assert!(am.pid() > 0);
    let dir = tempfile::tempdir().unwrap();
    let listen = format!("127.0.0.1:{}", free_port());
    let mut watch = leakscope()
        .args(["watch", "--prometheus", &prom.url, "--query", QUERY])
        .args(["--every", "2s", "--range", "12h", "--interval", "1s"])
        .args(["--alertmanager", &am.url, "--alertmanager-resend", "1s"])
        .args(["--listen", &listen])
        .arg("--db")
        .arg(dir.path().join("w.db"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let said = stderr_lines(&mut watch);
    let mut bodies = Vec::new();

    // The leak pages through Alertmanager's route, with the series' labels and what
    // recognition said.
    let firing = wait_body(&hook, Duration::from_secs(30), &mut bodies, |b| {
        b["status"] == "firing"
            && alerts_of(b)
                .iter()
                .any(|a| a["labels"]["alertname"] == "MemoryGrowthLeak")
    });
    let Some(firing) = firing else {
        let _ = unsafe { libc::kill(watch.id() as i32, libc::SIGTERM) };
        let _ = watch.wait();
        let said: Vec<String> = said.try_iter().collect();
        panic!("no firing alert reached the receiver: {bodies:?}\n{said:#?}");
    };
    let leak = alerts_of(&firing)
        .into_iter()
        .find(|a| a["labels"]["alertname"] == "MemoryGrowthLeak")
        .unwrap();
    assert_eq!(leak["labels"]["container"], "app", "{leak}");
    assert_eq!(leak["labels"]["pod"], "cart-7f9");
    assert_eq!(leak["labels"]["namespace"], "shop");
    assert_eq!(leak["labels"]["severity"], "warning");
    assert!(
        leak["annotations"]["summary"]
            .as_str()
            .unwrap()
            .contains("recognized as a leak"),
        "{leak}"
    );
    assert!(leak["annotations"]["pattern"].is_string(), "{leak}");
    assert!(leak["annotations"]["time_to_limit"].is_string(), "{leak}");
    // Recognition's growth of the floor: the fixture's 60 MB/h.
    let growth: f64 = leak["annotations"]["growth_bytes_per_hour"]
        .as_str()
        .and_then(|g| g.parse().ok())
        .unwrap_or(f64::NAN);
    assert!((growth - 60e6).abs() < 6e6, "{leak}");
    let graph = leak["generatorURL"].as_str().unwrap();
    assert!(
        graph.starts_with(&format!("{}/graph?g0.expr=", prom.url)),
        "{graph}"
    );
    assert_eq!(leak["endsAt"], "0001-01-01T00:00:00Z", "firing: {leak}");

    // Each series is on /metrics with its own labels: the leak suspected, the fixed one not.
    let client = Client::new(&HttpOptions::default(), Duration::from_secs(5)).unwrap();
    let scrape = || {
        String::from_utf8(
            client
                .get(&format!("http://{listen}/metrics"), 1 << 20)
                .unwrap(),
        )
        .unwrap()
    };
    let verdict_of = |metrics: &str, container: &str| {
        metrics
            .lines()
            .find(|l| {
                l.starts_with("leakscope_verdict{")
                    && l.contains(&format!("container=\"{container}\""))
                    && l.contains("pod=\"cart-7f9\"")
            })
            .map(|l| l.rsplit(' ').next().unwrap_or("").to_owned())
    };
    let metrics = scrape();
    assert_eq!(
        verdict_of(&metrics, "app").as_deref(),
        Some("1"),
        "{metrics}"
    );
    assert_eq!(
        verdict_of(&metrics, "proxy").as_deref(),
        Some("0"),
        "{metrics}"
    );

    // Re-sent while firing: Alertmanager resolves an alert not heard of for four resend
    // intervals (4 s here); after 6 s it is still active there.
    std::thread::sleep(Duration::from_secs(6));
    let active = client
        .get(&format!("{}/api/v2/alerts?active=true", am.url), 1 << 20)
        .unwrap();
    let active: serde_json::Value = serde_json::from_slice(&active).unwrap();
    assert!(
        active.as_array().unwrap().iter().any(|a| {
            a["labels"]["alertname"] == "MemoryGrowthLeak" && a["status"]["state"] == "active"
        }),
        "still active in Alertmanager: {active}"
    );

    // The leaking container is deleted: its series leaves Prometheus, and at the next
    // judgement its alert resolves, with endsAt.
    let deleted = client
        .post(
            &format!("{}/api/v1/admin/tsdb/delete_series", prom.url),
            "application/x-www-form-urlencoded",
            leakscope_probe::http::form_urlencoded(&[(
                "match[]",
                r#"container_memory_working_set_bytes{container="app"}"#,
            )])
            .as_bytes(),
            4096,
        )
        .unwrap();
    assert_eq!(deleted.status, 204, "{deleted:?}");
    let resolved = wait_body(&hook, Duration::from_secs(30), &mut bodies, |b| {
        alerts_of(b)
            .iter()
            .any(|a| a["labels"]["alertname"] == "MemoryGrowthLeak" && a["status"] == "resolved")
    });
    // The gone series leaves /metrics; the fixed one stays.
    let metrics = scrape();
    let gone = (verdict_of(&metrics, "app"), verdict_of(&metrics, "proxy"));
    unsafe { libc::kill(watch.id() as i32, libc::SIGTERM) };
    let status = watch.wait().unwrap();
    assert_eq!(gone, (None, Some("0".to_owned())), "{metrics}");
    let said: Vec<String> = said.try_iter().collect();
    let resolved = resolved.unwrap_or_else(|| panic!("no resolution: {bodies:?}\n{said:#?}"));
    let r = alerts_of(&resolved)
        .into_iter()
        .find(|a| a["labels"]["alertname"] == "MemoryGrowthLeak")
        .unwrap();
    let ends = r["endsAt"].as_str().unwrap();
    assert!(
        !ends.starts_with("0001"),
        "a resolution carries endsAt: {r}"
    );
    assert_eq!(r["labels"]["container"], "app");
    assert!(
        matches!(status.code(), Some(0) | Some(1)),
        "clean exit on SIGTERM: {status:?}\n{said:#?}"
    );

    // The fixed container never paged, neither through Alertmanager nor on stderr.
    for b in &bodies {
        for a in alerts_of(b) {
            assert_ne!(a["labels"]["container"], "proxy", "{a}");
        }
    }
    let stderr_alerts: Vec<serde_json::Value> = said
        .iter()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect();
    assert!(
        stderr_alerts
            .iter()
            .any(|a| a["name"] == "MemoryGrowthLeak" && a["status"] == "firing"),
        "{said:#?}"
    );
    assert!(
        stderr_alerts
            .iter()
            .all(|a| !a["series"].as_str().unwrap_or("").contains("proxy")),
        "{said:#?}"
    );
}

#[test]
fn an_unreachable_alertmanager_is_said_clearly_and_never_stops_the_watch() {
    let dir = tempfile::tempdir().unwrap();
    let dead = format!("http://127.0.0.1:{}", free_port());
    let mut sleeper = std::process::Command::new("sleep")
        .arg("30")
        .spawn()
        .unwrap();
    let started = Instant::now();
    let out = leakscope()
        .args(["watch", "--pid", &sleeper.id().to_string()])
        .args([
            "--interval",
            "100ms",
            "--duration",
            "3s",
            "--alert-above",
            "1",
        ])
        .args([
            "--alertmanager",
            &dead,
            "--alertmanager-resend",
            "1s",
            "--db",
        ])
        .arg(dir.path().join("d.db"))
        .output()
        .unwrap();
    let took = started.elapsed();
    sleeper.kill().ok();
    sleeper.wait().ok();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(matches!(out.status.code(), Some(0) | Some(1)), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // The alert itself is still on stderr (and in the store), whatever Alertmanager does.
    assert!(err.contains("MemoryAboveThreshold"), "{err}");
    let about: Vec<&str> = err
        .lines()
        .filter(|l| l.contains(&dead) && !l.starts_with('{'))
        .collect();
    assert!(!about.is_empty(), "a line names the Alertmanager: {err}");
    assert!(
        about
            .iter()
            .any(|l| l.contains("cannot reach") || l.contains("refused")),
        "{about:?}"
    );
    // Bounded: the watch ends within its duration plus the delivery's grace.
    assert!(took < Duration::from_secs(15), "{took:?}");
}

/// Alertmanager down when the alert fires: the alert waits (the receiver keeps the firing set)
/// and reaches it through its route once it is up.
#[test]
fn an_alert_fired_while_alertmanager_is_down_reaches_it_once_it_is_up() {
    if !have("prometheus-alertmanager") {
        eprintln!("SKIP: prometheus-alertmanager not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let mut sleeper = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let mut watch = leakscope()
        .args(["watch", "--pid", &sleeper.id().to_string()])
        .args(["--interval", "200ms", "--alert-above", "1"])
        .args(["--alertmanager", &format!("http://127.0.0.1:{port}")])
        .args(["--alertmanager-resend", "1s", "--db"])
        .arg(dir.path().join("q.db"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let said = stderr_lines(&mut watch);
    // The alert fires at the first sample; the first attempts are refused.
    let end = Instant::now() + Duration::from_secs(10);
    let mut refused = false;
    while let Some(left) = end.checked_duration_since(Instant::now()) {
        match said.recv_timeout(left) {
            Ok(l) if l.contains("cannot reach Alertmanager") => {
                refused = true;
                break;
            }
            Ok(_) => {}
            Err(_) => break,
        }
    }
    let hook = WebhookSink::start().unwrap();
    let am = AlertmanagerServer::start_on(
        &format!(
            "route:\n  receiver: hook\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n- name: hook\n  webhook_configs:\n  - url: {}\n",
            hook.url
        ),
        port,
    );
    let mut bodies = Vec::new();
    let arrived = am.is_ok()
        && wait_body(&hook, Duration::from_secs(30), &mut bodies, |b| {
            alerts_of(b)
                .iter()
                .any(|a| a["labels"]["alertname"] == "MemoryAboveThreshold")
        })
        .is_some();
    unsafe { libc::kill(watch.id() as i32, libc::SIGTERM) };
    let status = watch.wait().unwrap();
    sleeper.kill().ok();
    sleeper.wait().ok();
    let said: Vec<String> = said.try_iter().collect();
    assert!(refused, "the refusal is said: {said:#?}");
    am.unwrap();
    assert!(arrived, "{bodies:?}\n{said:#?}");
    assert!(matches!(status.code(), Some(0) | Some(1)), "{status:?}");
}

#[test]
fn config_check_takes_alertmanager_receivers_and_prometheus_targets() {
    let dir = tempfile::tempdir().unwrap();
    let good = write(
        dir.path(),
        "fleet.toml",
        "[[target]]\nname = \"shop\"\nprometheus = \"http://127.0.0.1:9090\"\nquery = 'container_memory_working_set_bytes{namespace=\"shop\"}'\nevery = \"5m\"\nrange = \"24h\"\n[[receiver]]\nalertmanager = \"http://127.0.0.1:9093\"\n[[receiver]]\nalertmanager = \"http://127.0.0.1:9094\"\nresend = \"30s\"\n[[receiver]]\nwebhook = \"http://127.0.0.1:9000/hook\"\n",
    );
    let out = leakscope()
        .args(["config", "check"])
        .arg(&good)
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let bad = write(
        dir.path(),
        "bad.toml",
        "[[receiver]]\nalertmanager = \"ftp://am:9093\"\n",
    );
    let out = leakscope()
        .args(["config", "check"])
        .arg(&bad)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.contains("line 2") && err.contains("alertmanager"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

/// A reload that restarts the receivers keeps Alertmanager hearing of what fires (the new
/// receiver resumes the firing set: without it the alert would expire four resends after the
/// last one), and a target the reload removes resolves its alerts, with endsAt.
#[test]
fn reloads_keep_alertmanager_alerts_alive_and_resolve_removed_targets() {
    if !have("prometheus-alertmanager") {
        eprintln!("SKIP: prometheus-alertmanager not installed");
        return;
    }
    let hook = WebhookSink::start().unwrap();
    let am = AlertmanagerServer::start(&format!(
        "route:\n  receiver: hook\n  group_by: [alertname, target]\n  group_wait: 1s\n  group_interval: 1s\n  repeat_interval: 1h\nreceivers:\n- name: hook\n  webhook_configs:\n  - url: {}\n    send_resolved: true\n",
        hook.url
    ))
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut first = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let mut second = std::process::Command::new("sleep")
        .arg("60")
        .spawn()
        .unwrap();
    let config = |resend: &str, pid: u32| {
        format!(
            "interval = \"200ms\"\n[rules]\nalert_above = \"1\"\n[[target]]\nname = \"t{pid}\"\npid = {pid}\n[[receiver]]\nalertmanager = \"{}\"\nresend = \"{resend}\"\n",
            am.url
        )
    };
    let cfg = write(dir.path(), "am.toml", &config("1s", first.id()));
    let mut watch = leakscope()
        .args(["watch", "--config"])
        .arg(&cfg)
        .arg("--db")
        .arg(dir.path().join("r.db"))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let said = stderr_lines(&mut watch);
    let target_a = format!("t{}", first.id());
    let is_a = |a: &serde_json::Value, status: &str| {
        a["labels"]["alertname"] == "MemoryAboveThreshold"
            && a["labels"]["target"] == target_a.as_str()
            && a["status"] == status
    };
    let mut bodies = Vec::new();
    let fired = wait_body(&hook, Duration::from_secs(20), &mut bodies, |b| {
        alerts_of(b).iter().any(|a| is_a(a, "firing"))
    });
    let wait_said = |want: &str| {
        let end = Instant::now() + Duration::from_secs(10);
        while let Some(left) = end.checked_duration_since(Instant::now()) {
            match said.recv_timeout(left) {
                Ok(l) if l.contains(want) => return true,
                Ok(_) => {}
                Err(_) => break,
            }
        }
        false
    };
    let stop = |watch: &mut std::process::Child| {
        unsafe { libc::kill(watch.id() as i32, libc::SIGTERM) };
        watch.wait().unwrap()
    };
    let outcome =
        (|| {
            fired.ok_or("no firing alert")?;
            // New receivers (another resend): the firing alert goes on being re-sent.
            std::fs::write(&cfg, config("2s", first.id())).unwrap();
            unsafe { libc::kill(watch.id() as i32, libc::SIGHUP) };
            if !wait_said("reloaded") {
                return Err("no reload");
            }
            std::thread::sleep(Duration::from_secs(10));
            let client = Client::new(&HttpOptions::default(), Duration::from_secs(5)).unwrap();
            let active = client
                .get(&format!("{}/api/v2/alerts?active=true", am.url), 1 << 20)
                .unwrap();
            let active: serde_json::Value = serde_json::from_slice(&active).unwrap();
            if !active.as_array().unwrap().iter().any(|a| {
                a["labels"]["target"] == target_a.as_str() && a["status"]["state"] == "active"
            }) {
                return Err("the alert expired in Alertmanager after the reload");
            }
            // The target is replaced by another: its alert resolves.
            std::fs::write(&cfg, config("2s", second.id())).unwrap();
            unsafe { libc::kill(watch.id() as i32, libc::SIGHUP) };
            let resolved = wait_body(&hook, Duration::from_secs(20), &mut bodies, |b| {
                alerts_of(b).iter().any(|a| is_a(a, "resolved"))
            })
            .ok_or("no resolution of the removed target")?;
            let r = alerts_of(&resolved)
                .into_iter()
                .find(|a| is_a(a, "resolved"))
                .unwrap();
            if r["endsAt"].as_str().unwrap_or("0001").starts_with("0001") {
                return Err("the resolution has no endsAt");
            }
            Ok(())
        })();
    let status = stop(&mut watch);
    for c in [&mut first, &mut second] {
        c.kill().ok();
        c.wait().ok();
    }
    let said: Vec<String> = said.try_iter().collect();
    if let Err(e) = outcome {
        panic!("{e}: {bodies:?}\n{said:#?}");
    }
    assert!(matches!(status.code(), Some(0) | Some(1)), "{status:?}");
}

/// Mistakes are refused at start with one sentence and exit 2: an unreachable Prometheus, a
/// query Prometheus cannot parse (its own error text), `--prometheus` without `--query`.
#[test]
fn a_bad_prometheus_watch_is_refused_at_start_in_one_sentence() {
    if !have("prometheus") {
        eprintln!("SKIP: prometheus not installed");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("e.db");
    let refused = |args: &[&str]| -> String {
        let out = leakscope()
            .arg("watch")
            .args(args)
            .arg("--db")
            .arg(&db)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(2), "{args:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
        assert!(!err.contains("panicked"), "{err}");
        err
    };
    let dead = format!("http://127.0.0.1:{}", free_port());
    let err = refused(&["--prometheus", &dead, "--query", QUERY]);
    assert!(err.contains("cannot reach Prometheus"), "{err}");

    let prom = PromServer::start(&[]).unwrap();
    let err = refused(&["--prometheus", &prom.url, "--query", "sum(rate(x[5m]"]);
    // Prometheus' own parser message.
    assert!(err.contains("parse error"), "{err}");
    let err = refused(&["--prometheus", &prom.url]);
    assert!(err.contains("--query"), "{err}");
}
