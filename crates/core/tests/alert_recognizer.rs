//! Alert rules driven by the real streaming recognizer: a leak pages, a filling cache doesn't.

use leakscope_core::alert::{names, Alert, AlertRules, AlertState, AlertStatus};
use leakscope_core::{Point, RecognizeOptions, Recognizer, VerdictKind};

const MB: f64 = 1e6;
const T0: f64 = 1_700_000_000.0;

/// Only the growth rule on, so nothing else can fire.
fn growth_only() -> AlertRules {
    AlertRules {
        absolute_bytes: None,
        baseline_excess_bytes: None,
        ..AlertRules::default()
    }
}

/// Replay `f(seconds)` in MB every 30 s for `hours` through a recognizer and the rules, as
/// `watch` does; returns the transitions and whether the recognizer ever said leak.
fn replay(hours: f64, f: impl Fn(f64) -> f64) -> (Vec<Alert>, bool) {
    let mut rec = Recognizer::new("svc/rss_bytes", RecognizeOptions::default());
    let mut rules = AlertState::new("svc", "rss_bytes", growth_only(), None);
    let mut out = Vec::new();
    let mut said_leak = false;
    let n = (hours * 120.0) as usize;
    for i in 0..n {
        let t = i as f64 * 30.0;
        // Deterministic noise of ±2 MB so the series is not perfectly smooth.
        let noise = ((i * 7919) % 17) as f64 / 16.0 * 4.0 - 2.0;
        let p = Point::new(T0 + t, (f(t) + noise) * MB);
        rec.push(p);
        let v = rec.verdict();
        said_leak |= v.verdict == VerdictKind::Leak;
        out.extend(rules.observe(p, &v));
    }
    (out, said_leak)
}

#[test]
fn steady_leak_pages_once() {
    // 100 MB/h from 200 MB for 6 hours: a leak by any reasonable reading.
    let (alerts, said_leak) = replay(6.0, |t| 200.0 + 100.0 * t / 3600.0);
    assert!(
        said_leak,
        "the recognizer never called a 100 MB/h linear climb a leak"
    );
    let fired: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.name == names::MEMORY_GROWTH_LEAK && a.status == AlertStatus::Firing)
        .collect();
    assert_eq!(fired.len(), 1, "{alerts:#?}");
    assert!(
        (fired[0].value - 100.0 * MB).abs() < 10.0 * MB,
        "{}",
        fired[0].value
    );
}

/// The growth alert needs recognition to confirm a leak: a cache that fills fast and then
/// flattens must never page, however steep its first hour.
#[test]
fn filling_cache_pages_nobody() {
    // A cache filling to 400 MB: 300 MB/h at first, flat after an hour or so.
    let (alerts, _) = replay(6.0, |t| 100.0 + 300.0 * (1.0 - (-t / 1200.0).exp()));
    let growth: Vec<&Alert> = alerts
        .iter()
        .filter(|a| a.name == names::MEMORY_GROWTH_LEAK)
        .collect();
    assert!(growth.is_empty(), "a plateau paged: {growth:#?}");
}
