//! The pages a watcher sends: every byte series of a gen2 split is replayed as `watch` and the
//! agent replay it — the streaming recognizer's fresh verdict at every sample, fed with the
//! sample to an [`AlertState`] with the default rules (`observe(point, &verdict)`) — and its
//! `MemoryGrowthLeak` transitions counted:
//!
//! - no-leak series that ever page (how many, and the first page, hours after the start);
//! - leak series that page, and the first page's latency after the labelled onset (p50, p90),
//!   besides leak series paged before their onset (a page on the part that does not leak);
//!   and the same for the leaks whose true growth (labels.json) is above the rule's threshold
//!   of 50 MB/h, the ones the rule is for (`big`);
//! - flapping: series whose page fires, resolves, and fires again;
//! - how long pages stay up: hours no-leak series' pages were firing (`ok_up_h`, summed over
//!   the split: a false page that lingers), and hours leak series' pages were resolved after
//!   their first page (`lk_down_h`, summed: a leak left unpaged while it goes on).
//!
//! Gates are compared on the same replay: a gate sees the verdict stream and decides whether
//! a leak verdict reaches the rules now (a gated-out leak verdict is passed on as
//! `insufficient_data`, which neither starts nor clears the page). `Main` is no gate: what the
//! rules of main did before `growth_floor_confirms` (and before `growth_keep_firing_seconds`:
//! a page resolved at the first sample its rate fell under the resolve line); `Defaults`, the
//! default rules now; `KeepFiring(s)`, the defaults with `growth_keep_firing_seconds` = s. Totals per gate on stderr; with `-v`, one line per series and gate that paged on stdout
//! (`file gate first_page_unix_s pages`).
//!
//! ```text
//! cargo run --release -p leakscope-core --example pages_split -- DIR [-v]
//! ```

mod common;

use leakscope_core::alert::{names, AlertRules, AlertState, AlertStatus};
use leakscope_core::{Point, Recognizer, SeriesUnit, Verdict, VerdictKind};
use rayon::prelude::*;

/// What a gate reads of the verdict at one sample.
#[derive(Clone, Copy)]
struct Obs {
    p: Point,
    kind: VerdictKind,
    confidence: f64,
    caveat: bool,
    /// The floor's trend, bytes per hour.
    growth: f64,
}

/// A gate: given the stream so far (the last element is now) and the series' first time,
/// whether a leak verdict now may page.
#[derive(Clone, Copy, Debug)]
enum Gate {
    /// The rules of main before `growth_floor_confirms` (every other gate builds on these).
    Main,
    /// `AlertRules::default()` as they are now.
    Defaults,
    /// The verdict said leak without a break for this many seconds (`growth_for_seconds`).
    For(f64),
    /// ... for this share of the time seen so far (a `for:` that scales with the history).
    ForShare(f64),
    /// The verdict also said leak at the sample this share of the time seen before now.
    Twice(f64),
    /// The verdict's confidence is at least this.
    Confidence(f64),
    /// The verdict carries no caveat.
    NoCaveat,
    /// The verdict's floor trend is above the growth threshold too, not only the last hour's
    /// least-squares rate.
    Floor,
    /// `Floor` and `ForShare`.
    FloorShare(f64),
    /// Today's gate, but a page resolves only on the verdict (no_leak for
    /// `growth_clear_seconds`), not when the hour's rate dips below the threshold.
    MainNoRateResolve,
    /// `Floor`, resolving only on the verdict.
    FloorNoRateResolve,
    /// The default rules with `growth_keep_firing_seconds` set to this.
    KeepFiring(f64),
}

/// The first page, the number of pages, per gate.
#[derive(Clone, Copy, Default)]
struct Pages {
    first: Option<f64>,
    count: usize,
    /// Seconds the page was firing.
    up: f64,
    /// Seconds the page was resolved after its first firing.
    down: f64,
}

fn replay(obs: &[Obs], gate: Gate, template: &Verdict) -> Pages {
    let Some(t0) = obs.first().map(|o| o.p.t) else {
        return Pages::default();
    };
    let mut rules = AlertRules::default();
    if !matches!(gate, Gate::Defaults | Gate::KeepFiring(_)) {
        // The gates measured before the hold existed keep what they measured.
        rules.growth_floor_confirms = false;
        rules.growth_keep_firing_seconds = Some(0.0);
    }
    if matches!(gate, Gate::MainNoRateResolve | Gate::FloorNoRateResolve) {
        rules.resolve_ratio = f64::NEG_INFINITY;
    }
    if let Gate::KeepFiring(s) = gate {
        rules.growth_keep_firing_seconds = Some(s);
    }
    let threshold = rules.growth_bytes_per_hour;
    let mut alerts = AlertState::new("replay", "bytes", rules, None);
    let mut v = template.clone();
    let mut pages = Pages::default();
    let mut leak_since: Option<f64> = None;
    // The last transition: when, and whether it fired.
    let mut last: Option<(f64, bool)> = None;
    for (i, o) in obs.iter().enumerate() {
        let t = o.p.t;
        if o.kind == VerdictKind::Leak {
            leak_since.get_or_insert(t);
        } else {
            leak_since = None;
        }
        let held = |s: f64| leak_since.is_some_and(|since| t - since >= s);
        let pass = o.kind != VerdictKind::Leak
            || match gate {
                Gate::Main | Gate::Defaults | Gate::MainNoRateResolve | Gate::KeepFiring(_) => true,
                Gate::Floor | Gate::FloorNoRateResolve => o.growth > threshold,
                Gate::FloorShare(f) => o.growth > threshold && held(f * (t - t0)),
                Gate::For(s) => held(s),
                Gate::ForShare(f) => held(f * (t - t0)),
                Gate::Twice(f) => {
                    let before = t - f * (t - t0);
                    let j = obs[..=i].partition_point(|q| q.p.t <= before);
                    j > 0 && obs[j - 1].kind == VerdictKind::Leak
                }
                Gate::Confidence(c) => o.confidence >= c,
                Gate::NoCaveat => !o.caveat,
            };
        v.growth_bytes_per_hour = o.growth;
        v.verdict = if pass {
            o.kind
        } else {
            VerdictKind::InsufficientData
        };
        for a in alerts.observe(o.p, &v) {
            if a.name != names::MEMORY_GROWTH_LEAK {
                continue;
            }
            let fired = a.status == AlertStatus::Firing;
            if fired {
                pages.count += 1;
                pages.first.get_or_insert(t);
            }
            pages.span(last, t);
            last = Some((t, fired));
        }
    }
    if let Some(end) = obs.last() {
        pages.span(last, end.p.t);
    }
    pages
}

impl Pages {
    /// Count the time from the `last` transition to `t` as up or down.
    fn span(&mut self, last: Option<(f64, bool)>, t: f64) {
        match last {
            Some((since, true)) => self.up += t - since,
            Some((since, false)) => self.down += t - since,
            None => {}
        }
    }
}

fn quantile(xs: &mut [f64], q: f64) -> f64 {
    if xs.is_empty() {
        return f64::NAN;
    }
    xs.sort_by(f64::total_cmp);
    xs[((xs.len() as f64 * q).ceil() as usize).clamp(1, xs.len()) - 1]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let verbose = args.iter().any(|a| a == "-v");
    let series: Vec<_> = common::split(std::path::Path::new(&args[0]), &[])
        .into_iter()
        .filter(|s| s.unit == SeriesUnit::Bytes)
        .collect();
    let mut gates = vec![Gate::Main, Gate::Defaults];
    gates.extend([900.0, 1800.0, 3600.0, 7200.0].map(Gate::For));
    gates.extend([0.1, 0.2, 0.3, 0.5].map(Gate::ForShare));
    gates.extend([0.1, 0.2, 0.3, 0.5].map(Gate::Twice));
    gates.extend([0.6, 0.7, 0.8, 0.9].map(Gate::Confidence));
    gates.push(Gate::NoCaveat);
    gates.push(Gate::Floor);
    gates.extend([0.1, 0.2].map(Gate::FloorShare));
    gates.push(Gate::MainNoRateResolve);
    gates.push(Gate::FloorNoRateResolve);
    gates.extend([0.0, 1800.0, 3600.0, 7200.0, 10800.0].map(Gate::KeepFiring));
    // Per series: file, labelled leak, start, onset, final verdict leak, pages per gate.
    let rows: Vec<_> = series
        .par_iter()
        .map(|s| {
            let pts = common::read_points(&s.path).expect("the series file");
            let mut r = Recognizer::new("s", s.options());
            let mut obs = Vec::with_capacity(pts.len());
            let mut template = None;
            for p in &pts {
                r.push(*p);
                let v = r.verdict();
                obs.push(Obs {
                    p: *p,
                    kind: v.verdict,
                    confidence: v.confidence,
                    caveat: v.caveat.is_some(),
                    growth: v.growth_bytes_per_hour,
                });
                template.get_or_insert(v);
            }
            let final_leak = r.verdict().verdict == VerdictKind::Leak;
            let template = template.expect("a series has points");
            let pages: Vec<Pages> = gates.iter().map(|&g| replay(&obs, g, &template)).collect();
            let t0 = pts[0].t;
            (
                s.file.clone(),
                s.leak,
                t0,
                s.onset,
                final_leak,
                pages,
                s.true_growth > 50e6,
            )
        })
        .collect();
    if verbose {
        // One line per series and gate that paged: file, gate, first page (unix s), pages.
        for (file, _, _, _, _, pages, _) in &rows {
            for (gate, p) in gates.iter().zip(pages) {
                if let Some(first) = p.first {
                    println!("{file} {gate:?} {first:.0} {}", p.count);
                }
            }
        }
    }
    let (n_leak, n_ok) = (
        rows.iter().filter(|r| r.1).count(),
        rows.iter().filter(|r| !r.1).count(),
    );
    eprintln!(
        "{n_leak} leak, {n_ok} no-leak byte series; final verdict leak on {} leak, {} no-leak",
        rows.iter().filter(|r| r.1 && r.4).count(),
        rows.iter().filter(|r| !r.1 && r.4).count()
    );
    let n_big = rows.iter().filter(|r| r.6).count();
    eprintln!(
        "{:<20} {:>9} {:>10} {:>8} {:>6} {:>6} {:>6} {:>8} {:>8} {:>7} {:>7} {:>7} {:>8} {:>9}",
        "gate",
        "noleak_pg",
        "noleak_p50h",
        "leak_pg",
        "early",
        "p50h",
        "p90h",
        "flap_ok",
        "flap_lk",
        format!("big/{n_big}"),
        "big_p50",
        "big_p90",
        "ok_up_h",
        "lk_down_h"
    );
    for (g, gate) in gates.iter().enumerate() {
        let (mut ok_paged, mut ok_at, mut flap_ok, mut flap_lk) = (0, Vec::new(), 0, 0);
        let (mut early, mut lat, mut big) = (0, Vec::new(), Vec::new());
        let (mut ok_up, mut lk_down) = (0.0, 0.0);
        for (_, leak, t0, onset, _, pages, is_big) in &rows {
            let p = pages[g];
            let Some(first) = p.first else { continue };
            if *leak {
                lk_down += p.down / 3600.0;
                flap_lk += usize::from(p.count > 1);
                let onset = onset.unwrap_or(*t0);
                if first < onset {
                    early += 1;
                } else {
                    lat.push((first - onset) / 3600.0);
                    if *is_big {
                        big.push((first - onset) / 3600.0);
                    }
                }
            } else {
                ok_paged += 1;
                ok_up += p.up / 3600.0;
                ok_at.push((first - t0) / 3600.0);
                flap_ok += usize::from(p.count > 1);
            }
        }
        eprintln!(
            "{:<20} {:>9} {:>10.2} {:>8} {:>6} {:>6.2} {:>6.2} {:>8} {:>8} {:>7} {:>7.2} {:>7.2} {:>8.0} {:>9.0}",
            format!("{gate:?}"),
            ok_paged,
            quantile(&mut ok_at, 0.5),
            lat.len(),
            early,
            quantile(&mut lat.clone(), 0.5),
            quantile(&mut lat, 0.9),
            flap_ok,
            flap_lk,
            big.len(),
            quantile(&mut big.clone(), 0.5),
            quantile(&mut big, 0.9),
            ok_up,
            lk_down
        );
    }
}
