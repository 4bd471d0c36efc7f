//! The rule logic of `alert`, with injected verdicts (independent of recognition quality).

use leakscope_core::alert::{
    alertmanager_payload, fmt_time, names, Alert, AlertRules, AlertState, AlertStatus, Severity,
    TargetEvent, MAX_WINDOW_POINTS,
};
use leakscope_core::{Pattern, Point, Verdict, VerdictKind};

const MB: f64 = 1e6;
const T0: f64 = 1_700_000_000.0;

/// A verdict of `kind`; a leak's floor trend is 1 GB/h, above every growth bar these tests
/// set (the floor's own bar has its test, `the_floor_must_grow_too_not_only_the_window`).
fn verdict(kind: VerdictKind) -> Verdict {
    Verdict {
        name: "api/rss_bytes".into(),
        verdict: kind,
        pattern: if kind == VerdictKind::Leak {
            Pattern::LinearGrowth
        } else {
            Pattern::Plateau
        },
        growth_bytes_per_hour: if kind == VerdictKind::Leak { 1e9 } else { 0.0 },
        confidence: 0.9,
        detected_at: None,
        time_to_limit_seconds: None,
        limit_bytes: None,
        samples: 0,
        span_seconds: 0.0,
        first_bytes: 0.0,
        last_bytes: 0.0,
        restarts: 0,
        reasons: vec![],
        windows: vec![],
        confirmed_by_window_seconds: None,
        caveat: None,
        period_seconds: None,
    }
}

fn state() -> AlertState {
    AlertState::new("api", "rss_bytes", AlertRules::default(), None)
}

/// Rules with only the named rule left on (others disabled), to test one at a time.
fn only_levels(threshold: bool, baseline: bool) -> AlertRules {
    let mut r = AlertRules::default();
    if !threshold {
        r.absolute_bytes = None;
    }
    if !baseline {
        r.baseline_excess_bytes = None;
    }
    r
}

/// Feed `(seconds after T0, MB)` points; collect every transition.
fn feed(s: &mut AlertState, pts: &[(f64, f64)], v: &Verdict) -> Vec<Alert> {
    pts.iter()
        .flat_map(|&(t, mb)| s.observe(Point::new(T0 + t, mb * MB), v))
        .collect()
}

fn names_of(alerts: &[Alert]) -> Vec<(&str, AlertStatus)> {
    alerts.iter().map(|a| (a.name.as_str(), a.status)).collect()
}

#[test]
fn threshold_fires_once_dedups_and_resolves_with_hysteresis() {
    let mut s = AlertState::new("api", "rss_bytes", only_levels(true, false), None);
    let none = verdict(VerdictKind::InsufficientData);
    assert!(feed(&mut s, &[(0.0, 100.0), (30.0, 499.0)], &none).is_empty());
    let a = feed(&mut s, &[(60.0, 510.0)], &none);
    assert_eq!(
        names_of(&a),
        vec![(names::MEMORY_ABOVE_THRESHOLD, AlertStatus::Firing)]
    );
    assert_eq!(
        (a[0].value, a[0].threshold, a[0].severity),
        (510.0 * MB, 500.0 * MB, Severity::Warning)
    );
    assert_eq!((a[0].starts_at, a[0].ends_at), (T0 + 60.0, None));
    assert!(
        a[0].summary.contains("486 MiB") && a[0].summary.contains("477 MiB"),
        "{}",
        a[0].summary
    );
    // Stays firing silently, also when hovering just under the line (hysteresis: 475 MB).
    assert!(feed(
        &mut s,
        &[
            (90.0, 600.0),
            (120.0, 490.0),
            (150.0, 501.0),
            (180.0, 476.0)
        ],
        &none
    )
    .is_empty());
    assert_eq!(s.firing(), vec![names::MEMORY_ABOVE_THRESHOLD]);
    let r = feed(&mut s, &[(210.0, 470.0)], &none);
    assert_eq!(
        names_of(&r),
        vec![(names::MEMORY_ABOVE_THRESHOLD, AlertStatus::Resolved)]
    );
    assert_eq!(
        (r[0].starts_at, r[0].ends_at),
        (T0 + 60.0, Some(T0 + 210.0))
    );
    assert!(feed(&mut s, &[(240.0, 495.0)], &none).is_empty());
    // Crossing again fires again.
    assert_eq!(feed(&mut s, &[(270.0, 520.0)], &none).len(), 1);
}

#[test]
fn limit_fraction_replaces_absolute_and_is_critical() {
    let mut s = AlertState::new("api", "rss_bytes", only_levels(true, false), Some(1e9));
    let none = verdict(VerdictKind::NoLeak);
    assert!(feed(&mut s, &[(0.0, 600.0), (30.0, 899.0)], &none).is_empty());
    let a = feed(&mut s, &[(60.0, 901.0)], &none);
    assert_eq!(a.len(), 1);
    assert_eq!(
        (a[0].threshold, a[0].severity),
        (900.0 * MB, Severity::Critical)
    );
    // Without a fraction, the absolute threshold applies even when a limit is known.
    let mut rules = only_levels(true, false);
    rules.limit_fraction = None;
    let mut s = AlertState::new("api", "rss_bytes", rules, Some(1e9));
    assert_eq!(feed(&mut s, &[(0.0, 600.0)], &none).len(), 1);
}

/// 100 MB/h linear growth from 200 MB, one point every 30 s for `minutes`.
fn linear(minutes: usize) -> Vec<(f64, f64)> {
    (0..minutes * 2)
        .map(|i| {
            let t = i as f64 * 30.0;
            (t, 200.0 + 100.0 * t / 3600.0)
        })
        .collect()
}

#[test]
fn growth_needs_leak_verdict_then_fires_once_and_resolves() {
    let rules = only_levels(false, false);
    let pts = linear(90);
    // Same growth, but recognition says "plateau / no leak": nobody is paged.
    let mut s = AlertState::new("api", "rss_bytes", rules.clone(), None);
    assert!(feed(&mut s, &pts, &verdict(VerdictKind::NoLeak)).is_empty());
    let mut s = AlertState::new("api", "rss_bytes", rules.clone(), None);
    assert!(feed(&mut s, &pts, &verdict(VerdictKind::InsufficientData)).is_empty());

    // Recognized as a leak: fires once, when the window spans (95% of) the hour.
    let mut s = AlertState::new("api", "rss_bytes", rules, None);
    let leak = verdict(VerdictKind::Leak);
    let a = feed(&mut s, &pts, &leak);
    assert_eq!(
        names_of(&a),
        vec![(names::MEMORY_GROWTH_LEAK, AlertStatus::Firing)]
    );
    assert!(
        a[0].starts_at >= T0 + 3420.0 && a[0].starts_at <= T0 + 3450.0,
        "{}",
        a[0].starts_at - T0
    );
    assert!(
        (a[0].value - 100.0 * MB).abs() < 1.0 * MB,
        "rate {}",
        a[0].value
    );
    assert_eq!(a[0].threshold, 50.0 * MB);
    // Flat for a while: the window rate falls below 95% of 50 MB/h, and once it has stayed
    // there for the hold (the window, an hour) it resolves.
    let flat: Vec<(f64, f64)> = (0..240)
        .map(|i| (5400.0 + i as f64 * 30.0, 350.0))
        .collect();
    let r = feed(&mut s, &flat, &leak);
    assert_eq!(
        names_of(&r),
        vec![(names::MEMORY_GROWTH_LEAK, AlertStatus::Resolved)]
    );
    assert!(
        r[0].ends_at.is_some_and(|t| t - T0 >= 5400.0 + 3600.0),
        "{:?}",
        r[0].ends_at.map(|t| t - T0)
    );
}

#[test]
fn growth_for_holds_the_page_until_the_leak_verdict_has_lasted() {
    let rules = AlertRules {
        growth_for_seconds: 1800.0,
        ..only_levels(false, false)
    };
    let (leak, no) = (verdict(VerdictKind::Leak), verdict(VerdictKind::NoLeak));
    // A leak verdict from the first sample: the rate is there after ~57 min, the verdict has
    // lasted 30 min by then, so it fires when the rate does.
    let mut s = AlertState::new("api", "rss_bytes", rules.clone(), None);
    let a = feed(&mut s, &linear(90), &leak);
    assert_eq!(
        names_of(&a),
        vec![(names::MEMORY_GROWTH_LEAK, AlertStatus::Firing)]
    );
    assert!(a[0].starts_at <= T0 + 3450.0, "{}", a[0].starts_at - T0);

    // The verdict turns to leak only at 60 min: the page waits 30 min more.
    let mut s = AlertState::new("api", "rss_bytes", rules.clone(), None);
    let pts = linear(150);
    let mut fired = Vec::new();
    for &(t, mb) in &pts {
        let v = if t < 3600.0 { &no } else { &leak };
        fired.extend(s.observe(Point::new(T0 + t, mb * MB), v));
    }
    assert_eq!(fired.len(), 1);
    assert_eq!(fired[0].starts_at, T0 + 3600.0 + 1800.0);

    // A verdict that says leak for 20 min out of every 40 never pages, whatever the rate.
    let mut s = AlertState::new("api", "rss_bytes", rules, None);
    for &(t, mb) in &pts {
        let v = if (t / 1200.0) as u64 % 2 == 1 {
            &leak
        } else {
            &no
        };
        assert!(s.observe(Point::new(T0 + t, mb * MB), v).is_empty(), "{t}");
    }
}

#[test]
fn growth_resolves_when_recognition_says_no_leak_for_a_while() {
    let mut s = AlertState::new("api", "rss_bytes", only_levels(false, false), None);
    let (leak, no) = (verdict(VerdictKind::Leak), verdict(VerdictKind::NoLeak));
    assert_eq!(feed(&mut s, &linear(60), &leak).len(), 1);
    // Still growing at 100 MB/h; the verdict flips at every sample for 30 min: no flapping.
    for i in 0..60 {
        let t = 3600.0 + i as f64 * 30.0;
        let v = if i % 2 == 0 { &no } else { &leak };
        assert!(s
            .observe(Point::new(T0 + t, (200.0 + 100.0 * t / 3600.0) * MB), v)
            .is_empty());
    }
    // No leak for 15 min without a break, and that for the hold (an hour): resolved then,
    // not before.
    let mut resolved_at = None;
    for i in 0..200 {
        let t = 5400.0 + i as f64 * 30.0;
        let r = s.observe(Point::new(T0 + t, (200.0 + 100.0 * t / 3600.0) * MB), &no);
        if !r.is_empty() {
            assert_eq!(
                names_of(&r),
                vec![(names::MEMORY_GROWTH_LEAK, AlertStatus::Resolved)]
            );
            resolved_at = Some(t);
            break;
        }
    }
    assert_eq!(resolved_at, Some(5400.0 + 900.0 + 3600.0));
}

#[test]
fn a_leak_that_restarts_is_one_page_until_its_growth_is_gone() {
    // 100 MB/h from 200 MB, a restart back to 200 MB every 3 h, recognized as a leak all
    // along: the window's rate dips under the line after each restart, for up to an hour.
    let mut s = AlertState::new("api", "rss_bytes", only_levels(false, false), None);
    let leak = verdict(VerdictKind::Leak);
    let sawtooth: Vec<(f64, f64)> = (0..12 * 120)
        .map(|i| {
            let t = i as f64 * 30.0;
            (t, 200.0 + 100.0 * (t % 10800.0) / 3600.0)
        })
        .collect();
    let a = feed(&mut s, &sawtooth, &leak);
    assert_eq!(
        names_of(&a),
        vec![(names::MEMORY_GROWTH_LEAK, AlertStatus::Firing)],
        "one page for the leak, not one per restart"
    );
    // Fixed by the last restart: flat since. Resolved once the rate has stayed under the line
    // for an hour, the verdict still saying leak.
    let flat: Vec<(f64, f64)> = (0..3 * 120)
        .map(|i| (12.0 * 3600.0 + i as f64 * 30.0, 200.0))
        .collect();
    let r = feed(&mut s, &flat, &leak);
    assert_eq!(
        names_of(&r),
        vec![(names::MEMORY_GROWTH_LEAK, AlertStatus::Resolved)]
    );
    let after = r[0].ends_at.map_or(f64::NAN, |t| t - T0 - 12.0 * 3600.0);
    assert!((3600.0..=2.0 * 3600.0).contains(&after), "{after}");

    // With no hold, each restart resolves the page and the next run fires it again.
    let rules = AlertRules {
        growth_keep_firing_seconds: Some(0.0),
        ..only_levels(false, false)
    };
    let mut s = AlertState::new("api", "rss_bytes", rules, None);
    let fired = feed(&mut s, &sawtooth, &leak)
        .iter()
        .filter(|a| a.status == AlertStatus::Firing)
        .count();
    assert!(fired >= 3, "{fired}");
}

#[test]
fn baseline_excess_fires_and_resolves_with_hysteresis() {
    let mut s = AlertState::new("api", "rss_bytes", only_levels(false, true), None);
    let none = verdict(VerdictKind::InsufficientData);
    // Warm-up: 5 min around 100 MB (one outlier does not move the median).
    let warm: Vec<(f64, f64)> = (0..10)
        .map(|i| (i as f64 * 30.0, if i == 3 { 900.0 } else { 100.0 }))
        .collect();
    assert!(feed(&mut s, &warm, &none).is_empty());
    assert!(
        feed(&mut s, &[(300.0, 300.0)], &none).is_empty(),
        "exactly 200 MB above is not more"
    );
    assert_eq!(s.baseline_bytes(), Some(100.0 * MB));
    let a = feed(&mut s, &[(330.0, 301.0)], &none);
    assert_eq!(
        names_of(&a),
        vec![(names::MEMORY_ABOVE_BASELINE, AlertStatus::Firing)]
    );
    assert_eq!((a[0].value, a[0].threshold), (201.0 * MB, 200.0 * MB));
    assert!(feed(&mut s, &[(360.0, 291.0), (390.0, 400.0)], &none).is_empty());
    let r = feed(&mut s, &[(420.0, 289.0)], &none);
    assert_eq!(
        names_of(&r),
        vec![(names::MEMORY_ABOVE_BASELINE, AlertStatus::Resolved)]
    );
}

#[test]
fn oom_kill_fires_once_per_hold_and_resolves() {
    let mut s = state();
    let a = s.event(T0, TargetEvent::OomKill { count: 1 });
    assert_eq!(names_of(&a), vec![(names::OOM_KILLED, AlertStatus::Firing)]);
    assert_eq!(a[0].severity, Severity::Critical);
    assert!(
        s.event(T0 + 10.0, TargetEvent::OomKill { count: 1 })
            .is_empty(),
        "same count"
    );
    assert!(
        s.event(T0 + 20.0, TargetEvent::OomKill { count: 2 })
            .is_empty(),
        "de-duplicated"
    );
    let none = verdict(VerdictKind::InsufficientData);
    assert!(
        s.observe(Point::new(T0 + 600.0, 1e6), &none).is_empty(),
        "held 600 s after the last kill"
    );
    let r = s.observe(Point::new(T0 + 620.0, 1e6), &none);
    assert_eq!(
        names_of(&r),
        vec![(names::OOM_KILLED, AlertStatus::Resolved)]
    );
    assert_eq!(r[0].value, 2.0, "two kills in total");
    // A counter reset (new cgroup) with one kill is a new kill.
    assert_eq!(
        s.event(T0 + 700.0, TargetEvent::OomKill { count: 1 }).len(),
        1
    );
}

#[test]
fn exit_fires_each_time_and_resolves_when_running_again() {
    let mut s = state();
    let none = verdict(VerdictKind::InsufficientData);
    s.observe(Point::new(T0, 1e6), &none);
    let a = s.event(
        T0 + 5.0,
        TargetEvent::Exited {
            code: Some(1),
            signal: None,
            oom_killed: false,
        },
    );
    assert_eq!(
        names_of(&a),
        vec![(names::TARGET_EXITED, AlertStatus::Firing)]
    );
    assert_eq!((a[0].value, a[0].severity), (1.0, Severity::Critical));
    assert!(
        a[0].summary.contains("exited with code 1"),
        "{}",
        a[0].summary
    );
    let r = s.observe(Point::new(T0 + 10.0, 1e6), &none);
    assert_eq!(
        names_of(&r),
        vec![(names::TARGET_EXITED, AlertStatus::Resolved)]
    );
    // Killed by the OOM killer: both alerts.
    let a = s.event(
        T0 + 20.0,
        TargetEvent::Exited {
            code: None,
            signal: Some(9),
            oom_killed: true,
        },
    );
    assert_eq!(
        names_of(&a),
        vec![
            (names::OOM_KILLED, AlertStatus::Firing),
            (names::TARGET_EXITED, AlertStatus::Firing)
        ]
    );
    // A clean exit is a warning.
    let mut s = state();
    let a = s.event(
        T0,
        TargetEvent::Exited {
            code: Some(0),
            signal: None,
            oom_killed: false,
        },
    );
    assert_eq!(a[0].severity, Severity::Warning);
}

#[test]
fn more_than_max_restarts_in_the_window_fires_then_resolves() {
    let mut s = state();
    for n in 1..=5 {
        assert!(s
            .event(T0 + n as f64 * 60.0, TargetEvent::Restarted { count: n })
            .is_empty());
    }
    let a = s.event(T0 + 360.0, TargetEvent::Restarted { count: 6 });
    assert_eq!(
        names_of(&a),
        vec![(names::TOO_MANY_RESTARTS, AlertStatus::Firing)]
    );
    assert_eq!((a[0].value, a[0].threshold), (6.0, 5.0));
    assert!(
        s.event(T0 + 420.0, TargetEvent::Restarted { count: 9 })
            .is_empty(),
        "de-duplicated"
    );
    // An hour after the restarts the window holds too few: resolved at the next sample.
    let none = verdict(VerdictKind::InsufficientData);
    let r = s.observe(Point::new(T0 + 3600.0 + 400.0, 1e6), &none);
    assert_eq!(
        names_of(&r),
        vec![(names::TOO_MANY_RESTARTS, AlertStatus::Resolved)]
    );
    // Several restarts reported at once count as several.
    let mut s = state();
    assert_eq!(s.event(T0, TargetEvent::Restarted { count: 7 }).len(), 1);
}

#[test]
fn a_restart_before_oom_alerts_once_is_held_and_counts_as_a_restart_not_an_exit() {
    let mut s = state();
    let ev = |count| TargetEvent::RestartedBeforeOom {
        count,
        time_to_limit_seconds: 42.0,
    };
    let a = s.event(T0, ev(1));
    assert_eq!(
        names_of(&a),
        vec![(names::RESTARTED_BEFORE_OOM, AlertStatus::Firing)]
    );
    assert_eq!(a[0].value, 42.0);
    assert!(
        a[0].summary.contains("before it ran out of memory"),
        "{}",
        a[0].summary
    );
    // Restarts of ours and of its own share one count: the sixth fires TooManyRestarts.
    for n in 2..=4 {
        assert!(
            s.event(T0 + n as f64, ev(n)).is_empty(),
            "held, not re-fired"
        );
    }
    assert!(s
        .event(T0 + 5.0, TargetEvent::Restarted { count: 5 })
        .is_empty());
    let a = s.event(T0 + 6.0, ev(6));
    assert_eq!(
        names_of(&a),
        vec![(names::TOO_MANY_RESTARTS, AlertStatus::Firing)]
    );
    // Held like an OOM kill, then resolved.
    let none = verdict(VerdictKind::InsufficientData);
    let r = s.observe(Point::new(T0 + 6.0 + 601.0, 1e6), &none);
    assert!(
        names_of(&r).contains(&(names::RESTARTED_BEFORE_OOM, AlertStatus::Resolved)),
        "{r:?}"
    );
}

#[test]
fn memory_is_bounded_whatever_the_sampling_rate() {
    let mut s = state();
    let leak = verdict(VerdictKind::Leak);
    // 10 h at 10 samples per second.
    for i in 0..360_000u32 {
        let t = i as f64 / 10.0;
        s.observe(Point::new(T0 + t, 100.0 * MB + t * 10.0), &leak);
        assert!(s.window_len() <= MAX_WINDOW_POINTS + 1);
    }
    assert!(
        s.window_len() > MAX_WINDOW_POINTS / 2,
        "the window still covers the hour"
    );
}

#[test]
fn bad_input_is_ignored() {
    let mut s = state();
    let leak = verdict(VerdictKind::Leak);
    assert!(s.observe(Point::new(f64::NAN, 1e12), &leak).is_empty());
    assert!(s.observe(Point::new(T0, f64::INFINITY), &leak).is_empty());
    assert!(s
        .event(f64::NAN, TargetEvent::OomKill { count: 3 })
        .is_empty());
    assert_eq!(fmt_time(f64::NAN), "0001-01-01T00:00:00Z");
    assert_eq!(fmt_time(-5.0), "0001-01-01T00:00:00Z");
    assert_eq!(fmt_time(1e30), "0001-01-01T00:00:00Z");
}

#[test]
fn alertmanager_payload_has_the_v4_shape() {
    let mut s = AlertState::new("api", "rss_bytes", only_levels(true, false), None);
    let none = verdict(VerdictKind::InsufficientData);
    let fired = s.observe(Point::new(T0, 600.0 * MB), &none);
    let oom = s.event(T0 + 1.0, TargetEvent::OomKill { count: 1 });
    let all: Vec<Alert> = fired.iter().chain(&oom).cloned().collect();
    let p = alertmanager_payload(&all, "leakscope", "http://host:9090");
    assert_eq!(p["version"], "4");
    assert_eq!(p["status"], "firing");
    assert_eq!(p["receiver"], "leakscope");
    assert_eq!(p["externalURL"], "http://host:9090");
    assert_eq!(p["groupLabels"], serde_json::json!({}));
    assert!(p["groupKey"].is_string());
    assert_eq!(
        p["commonLabels"],
        serde_json::json!({"target": "api", "series": "rss_bytes"})
    );
    let a = &p["alerts"][0];
    assert_eq!(a["status"], "firing");
    assert_eq!(
        a["labels"],
        serde_json::json!({"alertname": "MemoryAboveThreshold", "target": "api", "series": "rss_bytes", "severity": "warning"})
    );
    assert_eq!(a["startsAt"], "2023-11-14T22:13:20Z");
    assert_eq!(a["endsAt"], "0001-01-01T00:00:00Z");
    assert_eq!(a["generatorURL"], "http://host:9090");
    assert!(a["annotations"]["summary"]
        .as_str()
        .is_some_and(|s| s.contains("572 MiB")));
    assert!(a["annotations"]["description"].is_string());
    let fp = a["fingerprint"].as_str().unwrap_or_default();
    assert!(
        fp.len() == 16 && fp.chars().all(|c| c.is_ascii_hexdigit()),
        "{fp}"
    );
    assert_ne!(p["alerts"][1]["fingerprint"], a["fingerprint"]);

    // All resolved: group status resolved, endsAt set.
    let resolved = s.observe(Point::new(T0 + 30.0, 100.0 * MB), &none);
    let p = alertmanager_payload(&resolved, "leakscope", "");
    assert_eq!(p["status"], "resolved");
    assert_eq!(p["alerts"][0]["endsAt"], "2023-11-14T22:13:50Z");
    // The same alert keeps its fingerprint between firing and resolved.
    let p_fired = alertmanager_payload(&fired, "leakscope", "");
    assert_eq!(
        p["alerts"][0]["fingerprint"],
        p_fired["alerts"][0]["fingerprint"]
    );
}

#[test]
fn a_diagnosed_alert_carries_its_culprit_in_json_and_annotations() {
    let mut s = AlertState::new("api", "rss_bytes", only_levels(true, false), None);
    let none = verdict(VerdictKind::InsufficientData);
    let mut a = s.observe(Point::new(T0, 600.0 * MB), &none).remove(0);
    // Without a diagnosis the JSON line has no such key (the contract before --diagnose).
    assert!(!serde_json::to_string(&a).unwrap().contains("diagnosis"));
    a.diagnosis = Some(leakscope_core::alert::AlertDiagnosis {
        format: "v8".into(),
        suspects: vec![serde_json::json!({
            "pattern": "unbounded-collection", "name": "profiles", "retainer_path": ["module leaky.js", "profiles"],
            "count_delta": 5600, "size_delta": 12_300_000, "advice": "bound it"
        })],
        evidence: vec!["/data/evidence/1-api-1.heapsnapshot".into()],
        took_seconds: 21.5,
    });
    let line: serde_json::Value =
        serde_json::from_str(&serde_json::to_string(&a).unwrap()).unwrap();
    assert_eq!(line["diagnosis"]["format"], "v8");
    assert_eq!(line["diagnosis"]["suspects"][0]["name"], "profiles");
    let p = alertmanager_payload(&[a], "leakscope", "");
    let ann = &p["alerts"][0]["annotations"];
    assert_eq!(
        ann["culprit"],
        "unbounded-collection profiles (+12.3 MB, +5600)"
    );
    let d: serde_json::Value = serde_json::from_str(ann["diagnosis"].as_str().unwrap()).unwrap();
    assert_eq!(d["suspects"][0]["retainer_path"][0], "module leaky.js");
}

#[test]
fn alerts_serialize_as_json_lines() {
    let mut s = state();
    let a = s.event(T0, TargetEvent::OomKill { count: 1 });
    let line = serde_json::to_string(&a[0]).unwrap_or_default();
    assert!(
        line.contains(r#""status":"firing""#) && line.contains(r#""severity":"critical""#),
        "{line}"
    );
    assert!(!line.contains('\n'));
    let back: Alert = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line}"));
    assert_eq!(back, a[0]);
}

/// A per-target percentage bar: a cache warming up at ~40 %/h of its baseline, recognized as
/// a leak while it climbs, pages with the absolute rule alone but not with a 60 %/h bar;
/// a leak at 200 %/h still pages with it. Changing the rules keeps the history.
#[test]
fn a_percentage_growth_bar_keeps_a_warming_cache_from_paging() {
    let leak = |_t: f64| verdict(VerdictKind::Leak);
    let base = AlertRules {
        growth_bytes_per_hour: 10e6,
        warmup_seconds: 60.0,
        ..AlertRules::default()
    };
    let run = |rules: AlertRules, pct_per_hour: f64| {
        let mut st = AlertState::new("t", "rss_bytes", rules, None);
        let start = 400e6;
        let mut fired = false;
        for i in 0..=240 {
            let t = 1e9 + f64::from(i) * 30.0;
            let v = start * (1.0 + pct_per_hour / 100.0 * (t - 1e9) / 3600.0);
            fired |= st
                .observe(Point::new(t, v), &leak(t))
                .iter()
                .any(|a| a.name == "MemoryGrowthLeak");
        }
        fired
    };
    assert!(run(base.clone(), 40.0), "the absolute bar alone pages");
    let with_bar = AlertRules {
        growth_percent_per_hour: Some(60.0),
        ..base.clone()
    };
    assert!(
        !run(with_bar.clone(), 40.0),
        "40 %/h stays under a 60 %/h bar"
    );
    assert!(run(with_bar, 200.0), "200 %/h is over it");

    // set_rules keeps the window: raising the bar mid-way stops a page that would come.
    let mut st = AlertState::new("t", "rss_bytes", base.clone(), None);
    let mut fired = false;
    for i in 0..=240 {
        let t = 1e9 + f64::from(i) * 30.0;
        if i == 60 {
            st.set_rules(AlertRules {
                growth_percent_per_hour: Some(60.0),
                ..base.clone()
            });
        }
        let v = 400e6 * (1.0 + 0.4 * (t - 1e9) / 3600.0);
        fired |= st
            .observe(Point::new(t, v), &leak(t))
            .iter()
            .any(|a| a.name == "MemoryGrowthLeak");
    }
    assert!(!fired);
    assert!(
        st.baseline_bytes().is_some(),
        "history kept across set_rules"
    );
}

/// A leak verdict whose floor grows 20 MB/h does not page on an hour whose samples rise
/// 100 MB/h (the filling side of a collector's tooth, a cache still filling): the floor must
/// grow past the bar too (`growth_floor_confirms`, on by default). Off, it pages; a floor
/// growing 120 MB/h pages either way.
#[test]
fn the_floor_must_grow_too_not_only_the_window() {
    let run = |rules: AlertRules, floor: f64| {
        let mut st = AlertState::new("t", "rss_bytes", rules, None);
        let v = Verdict {
            growth_bytes_per_hour: floor,
            ..verdict(VerdictKind::Leak)
        };
        let mut fired = false;
        for i in 0..=150 {
            let t = T0 + f64::from(i) * 30.0;
            let bytes = 300.0 * MB + 100.0 * MB * (t - T0) / 3600.0;
            fired |= st
                .observe(Point::new(t, bytes), &v)
                .iter()
                .any(|a| a.name == names::MEMORY_GROWTH_LEAK && a.status == AlertStatus::Firing);
        }
        fired
    };
    assert!(AlertRules::default().growth_floor_confirms);
    assert!(
        !run(AlertRules::default(), 20.0 * MB),
        "a floor under the bar"
    );
    assert!(
        run(AlertRules::default(), 120.0 * MB),
        "a floor over the bar"
    );
    let off = AlertRules {
        growth_floor_confirms: false,
        ..AlertRules::default()
    };
    assert!(
        run(off, 20.0 * MB),
        "without the floor's bar, the window pages"
    );
}
