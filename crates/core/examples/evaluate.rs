//! Measure leak recognition on the generated corpus (and on real series under
//! `tests/corpus/real/` when present) against the two rules people use today.
//!
//! ```text
//! cargo run --release -p leakscope-core --example evaluate -- [--seed S] [--n N] [--verbose]
//!     [--perturb] [--no-dirs] [--names]
//! ```
//! `--names` lists every series whose pattern name differs from the generator's.
//! `--no-dirs` skips the labeled CSV folders (whose generated part is the held-out seed 7):
//! use it while tuning on other seeds.
//! * rule A — "growth > 50 MB/h": growth between the oldest and the newest sample of a trailing
//!   60-minute window above 50 MB/h (flag at the first sample where it holds; needs ≥ 55 min of
//!   data in the window).
//! * rule B — Prometheus `predict_linear(mem[1h], 4h) > limit`: least-squares fit over a
//!   trailing 1 h window (≥ 55 min of data) projected 4 h ahead crosses the limit — the series'
//!   labeled limit, else 2 × its first value.

use leakscope_core::corpus::{self, LabeledSeries};
use leakscope_core::{recognize, Point, RecognizeOptions, VerdictKind};
use rayon::prelude::*;
use std::collections::BTreeMap;

const HOUR: f64 = 3600.0;

/// First time rule A fires.
fn rule_a(points: &[Point]) -> Option<f64> {
    let mut j = 0;
    for (i, p) in points.iter().enumerate() {
        while j < i && points[j].t < p.t - HOUR {
            j += 1;
        }
        let o = points[j];
        let dt = p.t - o.t;
        if dt >= 3300.0 && (p.v - o.v) / dt * HOUR > 50e6 {
            return Some(p.t);
        }
    }
    None
}

/// First time rule B fires.
fn rule_b(points: &[Point], limit: f64) -> Option<f64> {
    let t0 = points.first()?.t;
    let (mut n, mut sx, mut sy, mut sxx, mut sxy) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let mut j = 0;
    for (i, p) in points.iter().enumerate() {
        let x = p.t - t0;
        n += 1.0;
        sx += x;
        sy += p.v;
        sxx += x * x;
        sxy += x * p.v;
        while j < i && points[j].t < p.t - HOUR {
            let q = points[j];
            let x = q.t - t0;
            n -= 1.0;
            sx -= x;
            sy -= q.v;
            sxx -= x * x;
            sxy -= x * q.v;
            j += 1;
        }
        if p.t - points[j].t < 3300.0 {
            continue;
        }
        let den = n * sxx - sx * sx;
        if den <= 0.0 {
            continue;
        }
        let b = (n * sxy - sx * sy) / den;
        let a = (sy - b * sx) / n;
        if a + b * (x + 4.0 * HOUR) > limit {
            return Some(p.t);
        }
    }
    None
}

#[derive(Default, Clone)]
struct Score {
    tp: u32,
    fp: u32,
    tn: u32,
    fn_: u32,
    latencies: Vec<f64>,
}

impl Score {
    fn add(&mut self, truth: bool, said: bool, latency: Option<f64>) {
        match (truth, said) {
            (true, true) => {
                self.tp += 1;
                if let Some(l) = latency {
                    self.latencies.push(l);
                }
            }
            (false, true) => self.fp += 1,
            (false, false) => self.tn += 1,
            (true, false) => self.fn_ += 1,
        }
    }
    fn row(&self, name: &str) -> String {
        let (tp, fp, tn, fn_) = (
            self.tp as f64,
            self.fp as f64,
            self.tn as f64,
            self.fn_ as f64,
        );
        let prec = if tp + fp > 0.0 { tp / (tp + fp) } else { 0.0 };
        let rec = if tp + fn_ > 0.0 { tp / (tp + fn_) } else { 0.0 };
        let f1 = if prec + rec > 0.0 {
            2.0 * prec * rec / (prec + rec)
        } else {
            0.0
        };
        let fpr = if fp + tn > 0.0 { fp / (fp + tn) } else { 0.0 };
        let acc = (tp + tn) / (tp + tn + fp + fn_).max(1.0);
        let mut l = self.latencies.clone();
        l.sort_by(f64::total_cmp);
        let q = |p: f64| {
            if l.is_empty() {
                "-".to_string()
            } else {
                format!(
                    "{:.2}",
                    l[((l.len() - 1) as f64 * p).round() as usize] / HOUR
                )
            }
        };
        format!(
            "| {name:<10} | {acc:.3} | {prec:.3} | {rec:.3} | {f1:.3} | {:.1}% | {} | {} | {}/{}/{}/{} |",
            100.0 * fpr,
            q(0.5),
            q(0.9),
            self.tp,
            self.fp,
            self.tn,
            self.fn_
        )
    }
}

struct Outcome {
    name: String,
    pattern: String,
    truth: bool,
    ours: bool,
    ours_pattern: String,
    /// The other name that fits the series as well, if any (`LabeledSeries::also`).
    also: Option<String>,
    lat: [Option<f64>; 3],
    a: bool,
    b: bool,
    growth: f64,
    conf: f64,
    span_h: f64,
}

fn run(s: &LabeledSeries) -> Outcome {
    let opts = RecognizeOptions {
        limit_bytes: s.limit_bytes,
        ..Default::default()
    };
    let v = recognize(&s.name, &s.points, &opts);
    let onset = s.onset.unwrap_or(s.points.first().map_or(0.0, |p| p.t));
    let first = s.points.first().map_or(0.0, |p| p.v);
    let a = rule_a(&s.points);
    let b = rule_b(&s.points, s.limit_bytes.unwrap_or(2.0 * first));
    let lat = |t: Option<f64>| t.map(|t| (t - onset).max(0.0));
    Outcome {
        name: s.name.clone(),
        pattern: s.pattern.as_str().to_string(),
        truth: s.leak,
        ours: v.verdict == VerdictKind::Leak,
        ours_pattern: v.pattern.as_str().to_string(),
        also: s.also.map(|p| p.as_str().to_string()),
        lat: [lat(v.detected_at), lat(a), lat(b)],
        a: a.is_some(),
        b: b.is_some(),
        growth: v.growth_bytes_per_hour,
        conf: v.confidence,
        span_h: s.points.last().map_or(0.0, |p| p.t) / HOUR
            - s.points.first().map_or(0.0, |p| p.t) / HOUR,
    }
}

fn report(title: &str, outs: &[Outcome], verbose: bool, names: bool) {
    let mut sc = [Score::default(), Score::default(), Score::default()];
    let mut per: BTreeMap<String, [u32; 5]> = BTreeMap::new();
    for o in outs {
        sc[0].add(o.truth, o.ours, o.lat[0]);
        sc[1].add(o.truth, o.a, o.lat[1]);
        sc[2].add(o.truth, o.b, o.lat[2]);
        let e = per
            .entry(format!(
                "{} ({})",
                o.pattern,
                if o.truth { "leak" } else { "no leak" }
            ))
            .or_default();
        e[0] += 1;
        e[1] += u32::from(o.ours == o.truth);
        e[2] += u32::from(o.a == o.truth);
        e[3] += u32::from(o.b == o.truth);
        e[4] += u32::from(o.ours_pattern == o.pattern);
        if names && o.ours_pattern != o.pattern {
            let fits = if o.also.as_ref() == Some(&o.ours_pattern) {
                " (fits too)"
            } else {
                ""
            };
            println!(
                "  NAME {} said={}{fits} leak={}",
                o.name, o.ours_pattern, o.ours
            );
        }
        if verbose && o.ours != o.truth {
            println!(
                "  MISS {} truth={} said={} ({}) growth={:.1}MB/h conf={:.2} span={:.1}h",
                o.name,
                o.truth,
                o.ours,
                o.ours_pattern,
                o.growth / 1e6,
                o.conf,
                o.span_h
            );
        }
    }
    println!("\n### {title} ({} series)\n", outs.len());
    println!("| method     | accuracy | precision | recall | F1 | FPR | latency p50 (h) | latency p90 (h) | TP/FP/TN/FN |");
    println!("|---|---|---|---|---|---|---|---|---|");
    println!("{}", sc[0].row("leakscope"));
    println!("{}", sc[1].row("rule A"));
    println!("{}", sc[2].row("rule B"));
    if verbose {
        // Which names the generator's patterns got.
        let mut conf: BTreeMap<&str, BTreeMap<&str, u32>> = BTreeMap::new();
        for o in outs {
            *conf
                .entry(o.pattern.as_str())
                .or_default()
                .entry(o.ours_pattern.as_str())
                .or_default() += 1;
        }
        println!("\nNames given (generator pattern -> leakscope's pattern: count):\n");
        for (p, m) in conf {
            let mut v: Vec<_> = m.into_iter().collect();
            v.sort_by_key(|e| std::cmp::Reverse(e.1));
            let row: Vec<String> = v.iter().map(|(n, c)| format!("{n} {c}")).collect();
            println!("  {p:<18} {}", row.join(", "));
        }
    }
    println!("\nPer pattern (share judged correctly):\n");
    println!("| pattern | n | leakscope | rule A | rule B | leakscope named the pattern |");
    println!("|---|---|---|---|---|---|");
    for (p, e) in per {
        let f = |k: u32| format!("{:.2}", k as f64 / e[0] as f64);
        println!(
            "| {p} | {} | {} | {} | {} | {} |",
            e[0],
            f(e[1]),
            f(e[2]),
            f(e[3]),
            f(e[4])
        );
    }
    let named = outs.iter().filter(|o| o.ours_pattern == o.pattern).count();
    let fits = outs
        .iter()
        .filter(|o| o.ours_pattern == o.pattern || o.also.as_ref() == Some(&o.ours_pattern))
        .count();
    let share = |k: usize| 100.0 * k as f64 / outs.len().max(1) as f64;
    println!(
        "\nleakscope named the pattern of {named} of {} series ({:.1} %); {fits} ({:.1} %) counting \
         the other name that fits a GC sawtooth on top or one the samples cannot show",
        outs.len(),
        share(named),
        share(fits)
    );
}

/// Make a series messier than the generator does, to check robustness beyond its shapes:
/// drop 5 % of samples and cut up to three 10–40 min gaps (scrape failures), add heavy-tailed
/// noise (a Student-t-like mix, ~1 % of the level at most, mostly much less) and round to 4 KiB
/// pages.
fn perturb(s: &mut LabeledSeries, seed: u64) {
    let mut rng = corpus::Rng::new(seed);
    let level = s.points.iter().map(|p| p.v).sum::<f64>() / s.points.len().max(1) as f64;
    let scale = level * rng.log_range(1e-4, 3e-3);
    let gaps: Vec<(f64, f64)> = (0..rng.int(0, 3))
        .map(|_| {
            let a = s.points[0].t + rng.f() * (s.points[s.points.len() - 1].t - s.points[0].t);
            (a, a + rng.range(600.0, 2400.0))
        })
        .collect();
    s.points
        .retain(|p| !gaps.iter().any(|&(a, b)| p.t >= a && p.t < b));
    let mut kept = Vec::with_capacity(s.points.len());
    for p in &s.points {
        if rng.chance(0.05) {
            continue;
        }
        let heavy = rng.normal() / rng.f().max(0.05).sqrt();
        let v = ((p.v + scale * heavy) / 4096.0).round() * 4096.0;
        kept.push(leakscope_core::Point::new(p.t, v));
    }
    s.points = kept;
}

/// Print a series coarsely (min/max of 40 slices) and its verdict, for debugging.
fn show(s: &LabeledSeries) {
    let opts = RecognizeOptions {
        limit_bytes: s.limit_bytes,
        ..Default::default()
    };
    let v = recognize(&s.name, &s.points, &opts);
    println!(
        "{} leak={} onset={:?} limit={:?}",
        s.name, s.leak, s.onset, s.limit_bytes
    );
    println!("{}", serde_json::to_string_pretty(&v).unwrap_or_default());
    let k = 40;
    let n = s.points.len();
    let t0 = s.points[0].t;
    for j in 0..k {
        let sl = &s.points[j * n / k..((j + 1) * n / k).max(j * n / k + 1)];
        let lo = sl.iter().map(|p| p.v).fold(f64::INFINITY, f64::min);
        let hi = sl.iter().map(|p| p.v).fold(0.0, f64::max);
        println!(
            "  {:7.2}h  {:10.1} .. {:10.1} MB",
            (sl[0].t - t0) / HOUR,
            lo / 1e6,
            hi / 1e6
        );
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |k: &str, d: u64| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let seed = get("--seed", 1);
    let n = get("--n", 240) as usize;
    let verbose = args.iter().any(|a| a == "--verbose");
    let mut corpus = corpus::generate(seed, n);
    if args.iter().any(|a| a == "--perturb") {
        corpus
            .iter_mut()
            .enumerate()
            .for_each(|(i, s)| perturb(s, seed ^ (i as u64) << 20));
    }
    if let Some(i) = args.iter().position(|a| a == "--show") {
        for name in &args[i + 1..] {
            if let Some(s) = corpus.iter().find(|s| s.name.starts_with(name.as_str())) {
                show(s);
            }
        }
        return;
    }
    let outs: Vec<Outcome> = corpus.par_iter().map(run).collect();
    let names = args.iter().any(|a| a == "--names");
    report(
        &format!("generated corpus, seed {seed}"),
        &outs,
        verbose,
        names,
    );

    if args.iter().any(|a| a == "--no-dirs") {
        return;
    }
    // Labeled CSV folders: the written corpus and real recordings, when present.
    let dir = |rel: &str| std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(rel);
    for (rel, title) in [
        (
            "tests/corpus",
            "CSV corpus (crates/core/tests/corpus, subsampled)",
        ),
        (
            "tests/corpus/real",
            "real series (crates/core/tests/corpus/real)",
        ),
        ("../../tests/corpus/real", "real series (tests/corpus/real)"),
    ] {
        match load_labeled_dir(&dir(rel)) {
            Ok(series) if !series.is_empty() => {
                let outs: Vec<Outcome> = series.par_iter().map(run).collect();
                report(title, &outs, verbose, names);
            }
            Ok(_) => println!("\n({rel}: no labeled series)"),
            Err(e) => println!("\n({rel}: skipped: {e})"),
        }
    }
}

/// Series listed in `<dir>/labels.csv` (`file,series,label,pattern[,onset_unix,limit_bytes]`),
/// read with the leakscope CSV reader.
fn load_labeled_dir(dir: &std::path::Path) -> Result<Vec<LabeledSeries>, String> {
    use leakscope_core::csv::{read_all, CsvOptions};
    let labels =
        std::fs::read_to_string(dir.join("labels.csv")).map_err(|e| format!("labels.csv: {e}"))?;
    let mut out = Vec::new();
    for (i, line) in labels.lines().enumerate().skip(1) {
        let f: Vec<&str> = line.split(',').map(str::trim).collect();
        if f.len() < 4 {
            continue;
        }
        let path = dir.join(f[0]);
        let file = std::fs::File::open(&path).map_err(|e| format!("{}: {e}", path.display()))?;
        let all = read_all(std::io::BufReader::new(file), &CsvOptions::default())
            .map_err(|e| format!("{}: {e}", path.display()))?;
        let Some(s) = all.into_iter().find(|s| s.name == f[1]) else {
            return Err(format!(
                "labels.csv line {}: no column {:?} in {}",
                i + 1,
                f[1],
                f[0]
            ));
        };
        let leak = f[2] == "leak";
        let pattern = leakscope_core::corpus::PATTERNS
            .into_iter()
            .find(|p| p.as_str() == f[3])
            .unwrap_or(leakscope_core::Pattern::Unknown);
        out.push(LabeledSeries {
            name: format!("{}:{}", f[0], f[1]),
            leak,
            pattern,
            also: None,
            onset: f
                .get(4)
                .and_then(|v| v.parse().ok())
                .or_else(|| leak.then(|| s.points.first().map_or(0.0, |p| p.t))),
            limit_bytes: f.get(5).and_then(|v| v.parse().ok()),
            points: s.points,
        });
    }
    Ok(out)
}
