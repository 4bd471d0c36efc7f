//! What a watcher reads, beside what `detected_at` records: every series of a gen2 split is
//! replayed and its fresh verdict (the one `watch` and the agent act on) asked every STEP
//! seconds of series time (default 300). For a leak, the first time it said leak, in hours
//! after the onset, beside `detected_at` (the scheduled first flag that `latency_split` and
//! score.py measure); for a no-leak series, the first time it said leak at all, in hours
//! after the start: a page a watcher would have raised on a prefix of a series that never
//! leaks. Totals on stderr.
//!
//! ```text
//! cargo run --release -p leakscope-core --example latency_fresh -- DIR [STEP]
//! ```

mod common;

use leakscope_core::{Recognizer, VerdictKind};
use rayon::prelude::*;

/// File, pattern, labelled a leak, final verdict a leak, `detected_at` and the first fresh
/// leak verdict (hours after the onset, or after the start for a no-leak series).
type Row = (String, String, bool, bool, Option<f64>, Option<f64>);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let step: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(300.0);
    let series = common::split(std::path::Path::new(&args[0]), &[]);
    let rows: Vec<Row> = series
        .par_iter()
        .map(|s| {
            let mut r = Recognizer::new("s", s.options());
            let pts = common::read_points(&s.path).expect("the series file");
            let t0 = pts.first().map_or(0.0, |p| p.t);
            let mut next = t0 + step;
            let mut fresh = None;
            for p in &pts {
                r.push(*p);
                if fresh.is_none() && p.t >= next {
                    next = p.t + step;
                    if r.verdict().verdict == VerdictKind::Leak {
                        fresh = Some(p.t);
                    }
                }
            }
            let v = r.verdict();
            let from = s.onset.unwrap_or(t0);
            let h = |x: Option<f64>| x.map(|t| (t - from) / 3600.0);
            (
                s.file.clone(),
                s.pattern.clone(),
                s.leak,
                v.verdict == VerdictKind::Leak,
                h(v.detected_at),
                h(fresh),
            )
        })
        .collect();
    let f = |x: Option<f64>| x.map_or("-".to_string(), |h| format!("{h:.2}"));
    let (mut det, mut first, mut pages) = (Vec::new(), Vec::new(), 0);
    for (file, pat, leak, flagged, d, fr) in &rows {
        if *leak {
            println!("{file} {pat} leak det {} fresh {}", f(*d), f(*fr));
            if let (true, Some(d)) = (flagged, d) {
                det.push(*d);
                first.push(fr.map_or(*d, |x| x.min(*d)));
            }
        } else if fr.is_some() {
            pages += 1;
            println!("{file} {pat} no-leak page {} final {}", f(*fr), flagged);
        }
    }
    eprintln!(
        "leaks flagged {} p50 detected_at {:.2} p50 first fresh leak {:.2}; no-leak series paged on a prefix {pages}",
        det.len(),
        common::median(&mut det),
        common::median(&mut first)
    );
}
