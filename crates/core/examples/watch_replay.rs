//! What a watcher would have said: replays CSV series (`timestamp,value`, one header line)
//! through the streaming recognizer and asks for the verdict every STEP seconds of series
//! time, as `watch` and the agent do, noting when it first said leak for HOLD checks in a
//! row.
//!
//! ```text
//! cargo run --release -p leakscope-core --example watch_replay -- [STEP] [HOLD] < paths
//! ```
//! Reads one CSV path per line on stdin; prints one line per series:
//! `path first_leak_t final_verdict detected_at first_page_t` (`-` for none). `score.py` judges
//! each series whole and `detected_at` is the replay's first flag; this shows the verdicts a
//! person watching would have seen on the way (bench/recognition/gen2/watch.py sums them up).
//! `first_page_t` is when the agent's growth alert (`MemoryGrowthLeak`, default rules: a
//! leak verdict whose floor trend is above 50 MB/h, and 50 MB/h over the last hour) would first
//! have fired, fed every sample with the verdict of that moment as the agent feeds it.

mod common;

use leakscope_core::alert::{names, AlertRules, AlertState, AlertStatus};
use leakscope_core::{RecognizeOptions, Recognizer, VerdictKind};
use std::io::BufRead;

fn main() {
    let arg = |i: usize, default: f64| -> f64 {
        std::env::args()
            .nth(i)
            .and_then(|s| s.parse().ok())
            .unwrap_or(default)
    };
    let (step, hold) = (arg(1, 900.0), arg(2, 1.0).max(1.0) as usize);
    for line in std::io::stdin().lock().lines() {
        let Ok(path) = line else { break };
        let points = match common::read_points(std::path::Path::new(&path)) {
            Ok(p) => p,
            Err(e) => {
                eprintln!("{e}");
                continue;
            }
        };
        let mut r = Recognizer::new(path.clone(), RecognizeOptions::default());
        let mut next = points.first().map_or(0.0, |p| p.t) + step;
        let (mut first, mut run) = (None, 0usize);
        // Only the growth alert: the level alerts fire on size, whatever the verdict.
        let rules = AlertRules {
            absolute_bytes: None,
            baseline_excess_bytes: None,
            ..AlertRules::default()
        };
        let mut alerts = AlertState::new("replay", "bytes", rules, None);
        let mut page = None;
        for p in &points {
            r.push(*p);
            if page.is_none() {
                let fired = alerts.observe(*p, &r.verdict());
                if fired
                    .iter()
                    .any(|a| a.name == names::MEMORY_GROWTH_LEAK && a.status == AlertStatus::Firing)
                {
                    page = Some(p.t);
                }
            }
            if first.is_none() && p.t >= next {
                next = p.t + step;
                run = if r.verdict().verdict == VerdictKind::Leak {
                    run + 1
                } else {
                    0
                };
                if run >= hold {
                    first = Some(p.t);
                }
            }
        }
        let v = r.verdict();
        let t = |x: Option<f64>| x.map_or("-".to_string(), |t| format!("{t:.0}"));
        println!(
            "{path} {} {:?} {} {}",
            t(first),
            v.verdict,
            t(v.detected_at),
            t(page)
        );
    }
}
