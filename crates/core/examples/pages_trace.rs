//! The growth page's transitions, series by series: every byte series of a gen2 split is
//! replayed as `pages_split` replays it (the streaming recognizer's verdict at every sample,
//! fed to an [`AlertState`] with the default rules), and each series whose page fired more
//! than once is printed with its transitions (`F` fired, `R` resolved, hours after the start,
//! with the verdict at that sample). Totals on stderr: flapping series, and how long pages
//! stayed firing on no-leak series and stayed resolved after a leak's first page.
//!
//! ```text
//! cargo run --release -p leakscope-core --example pages_trace -- DIR [RULES_JSON] [-v]
//! ```
//! `RULES_JSON` overrides fields of the default rules, e.g. `{"growth_clear_seconds":3600}`.

mod common;

use leakscope_core::alert::{names, AlertRules, AlertState, AlertStatus};
use leakscope_core::{Recognizer, SeriesUnit, VerdictKind};
use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let mut rules = serde_json::to_value(AlertRules::default()).expect("rules to json");
    if let Some(j) = args.iter().skip(1).find(|a| a.starts_with('{')) {
        let over: serde_json::Value = serde_json::from_str(j).expect("rules json");
        for (k, v) in over.as_object().expect("an object") {
            rules[k] = v.clone();
        }
    }
    let rules: AlertRules = serde_json::from_value(rules).expect("rules");
    let series: Vec<_> = common::split(std::path::Path::new(&args[0]), &[])
        .into_iter()
        .filter(|s| s.unit == SeriesUnit::Bytes)
        .collect();
    let rows: Vec<_> = series
        .par_iter()
        .map(|s| {
            let pts = common::read_points(&s.path).expect("the series file");
            let mut r = Recognizer::new("s", s.options());
            let mut alerts = AlertState::new("replay", "bytes", rules.clone(), None);
            let t0 = pts[0].t;
            let t_end = pts[pts.len() - 1].t;
            let mut log = Vec::new();
            let (mut firing_s, mut resolved_after_first_s) = (0.0, 0.0);
            let mut last: Option<(f64, bool)> = None;
            for p in &pts {
                r.push(*p);
                let v = r.verdict();
                for a in alerts.observe(*p, &v) {
                    if a.name != names::MEMORY_GROWTH_LEAK {
                        continue;
                    }
                    let fire = a.status == AlertStatus::Firing;
                    if let Some((since, was_firing)) = last {
                        if was_firing {
                            firing_s += p.t - since;
                        } else {
                            resolved_after_first_s += p.t - since;
                        }
                    }
                    last = Some((p.t, fire));
                    let k = match v.verdict {
                        VerdictKind::Leak => "L",
                        VerdictKind::NoLeak => "N",
                        VerdictKind::InsufficientData => "I",
                    };
                    log.push(format!(
                        "{}{:.1}h/{k}/{:.0}",
                        if fire { "F" } else { "R" },
                        (p.t - t0) / 3600.0,
                        v.growth_bytes_per_hour / 1e6
                    ));
                }
            }
            if let Some((since, was_firing)) = last {
                if was_firing {
                    firing_s += t_end - since;
                } else {
                    resolved_after_first_s += t_end - since;
                }
            }
            let fires = log.iter().filter(|l| l.starts_with('F')).count();
            (
                s.file.clone(),
                s.pattern.clone(),
                s.leak,
                fires,
                log,
                firing_s / 3600.0,
                resolved_after_first_s / 3600.0,
                (t_end - t0) / 3600.0,
            )
        })
        .collect();
    let (mut flap_ok, mut flap_lk, mut ok_fire_h, mut lk_gap_h, mut ok_paged) = (0, 0, 0.0, 0.0, 0);
    for (file, pattern, leak, fires, log, fire_h, gap_h, span_h) in &rows {
        if *fires > 1 {
            if *leak {
                flap_lk += 1;
            } else {
                flap_ok += 1;
            }
        }
        if *fires > 0 {
            if *leak {
                lk_gap_h += gap_h;
            } else {
                ok_paged += 1;
                ok_fire_h += fire_h;
            }
        }
        if verbose && *fires > 1 {
            println!(
                "{file} {} {pattern} span {span_h:.1}h: {}",
                if *leak { "leak" } else { "ok" },
                log.join(" ")
            );
        }
    }
    eprintln!(
        "flap_ok {flap_ok} flap_lk {flap_lk} noleak_paged {ok_paged} noleak_firing_h {ok_fire_h:.0} leak_resolved_h {lk_gap_h:.0}"
    );
}
