//! Where detection latency goes on a gen2 split: for every leak series, when it was flagged
//! (hours after the onset), by what (the whole series or a trailing window), and its final
//! verdict; then the median latency per generator pattern.
//!
//! ```text
//! cargo run --release -p leakscope-core --example latency_split -- DIR [FILE...]
//! ```

mod common;

use leakscope_core::{Recognizer, VerdictKind};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// File, generator pattern, labelled a leak, flagged, (latency h, flagged by), verdict pattern.
type Row = (String, String, bool, bool, Option<(f64, u8)>, String);

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let series = common::split(std::path::Path::new(&args[0]), &args[1..]);
    let rows: Vec<Row> = series
        .par_iter()
        .map(|s| {
            let mut r = Recognizer::new("s", s.options());
            for p in common::read_points(&s.path).expect("the series file") {
                r.push(p);
            }
            let v = r.verdict();
            let onset = s.onset;
            let flagged = v.verdict == VerdictKind::Leak;
            let det = if flagged {
                r.detection()
                    .or(v.detected_at.map(|t| (t, 0x10)))
                    .map(|(t, by)| ((t - onset.unwrap_or(t)) / 3600.0, by))
            } else {
                None
            };
            (
                s.file.clone(),
                s.pattern.clone(),
                s.leak,
                flagged,
                det,
                format!("{:?}", v.pattern),
            )
        })
        .collect();
    let mut per: BTreeMap<String, Vec<f64>> = BTreeMap::new();
    let mut all = Vec::new();
    for (file, pat, leak, flagged, det, vp) in &rows {
        if !leak {
            if *flagged {
                println!("{file} FP {pat} -> {vp}");
            }
            continue;
        }
        match det {
            Some((h, by)) => {
                let who = match by {
                    0x10 => "end".to_string(),
                    b => {
                        let names = ["main", "1h", "6h", "1d"];
                        (0..4)
                            .filter(|k| b & (1 << k) != 0)
                            .map(|k| names[k])
                            .collect::<Vec<_>>()
                            .join("+")
                    }
                };
                println!("{file} {pat} lat {h:.2} h by {who} -> {vp}");
                per.entry(pat.clone()).or_default().push(*h);
                all.push(*h);
            }
            None => println!("{file} {pat} MISS -> {vp}"),
        }
    }
    for (pat, xs) in per.iter_mut() {
        let late = xs.iter().filter(|&&x| x > 1.0).count();
        eprintln!(
            "{pat:24} n {:3} p50 {:6.2} over1h {late}",
            xs.len(),
            common::median(xs)
        );
    }
    let mut after: Vec<f64> = all.iter().copied().filter(|&x| x >= 0.0).collect();
    eprintln!(
        "all n {} p50 {:.2} p50 after onset {:.2}",
        all.len(),
        common::median(&mut all.clone()),
        common::median(&mut after)
    );
    // A date before the onset tells the user of a leak that was not there yet: counted apart,
    // and the latency read over the dates after the onset as well as over all of them.
    let before = all.len() - after.len();
    let at_end = rows
        .iter()
        .filter(|r| r.2 && matches!(r.4, Some((_, 0x10))))
        .count();
    eprintln!(
        "flags before onset {before} of {}; dated at the end (no flag) {at_end}; p50/p90 after onset {:.2}/{:.2} (n {}); p50/p90 all {:.2}/{:.2}",
        all.len(),
        common::median(&mut after),
        quantile(&mut after, 0.9),
        after.len(),
        common::median(&mut all),
        quantile(&mut all, 0.9)
    );
}

/// The `q` quantile of `xs` (0..1), the nearest rank (sorts `xs`); NaN for none.
fn quantile(xs: &mut [f64], q: f64) -> f64 {
    xs.sort_by(f64::total_cmp);
    if xs.is_empty() {
        return f64::NAN;
    }
    xs[((xs.len() - 1) as f64 * q).round() as usize]
}
