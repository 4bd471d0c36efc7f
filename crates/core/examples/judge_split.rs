//! Judge every CSV of a gen2 split with the recognizer alone (no binary needed): prints one
//! line per series (file, label, verdict, pattern) and the confusion counts.
//!
//! ```text
//! cargo run --release -p leakscope-core --example judge_split -- [--min-span SECONDS] DIR [FILE...]
//! ```
//!
//! `--min-span` is `analyze --min-span` (the short split is scored with `--min-span 1m`).

use leakscope_core::{recognize, Point, RecognizeOptions, SeriesUnit, VerdictKind};
use rayon::prelude::*;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut min_span_seconds = 0.0;
    if args.first().is_some_and(|a| a == "--min-span") {
        min_span_seconds = args[1].parse().expect("--min-span takes seconds");
        args.drain(..2);
    }
    let dir = std::path::PathBuf::from(&args[0]);
    let only = &args[1..];
    let labels: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("labels.json")).expect("DIR/labels.json"),
    )
    .expect("labels.json is JSON");
    let series: Vec<&serde_json::Value> = labels["series"]
        .as_array()
        .expect("labels.json lists series")
        .iter()
        .filter(|s| only.is_empty() || only.iter().any(|f| s["file"] == f.as_str()))
        .collect();
    let rows: Vec<(String, bool, VerdictKind, String)> = series
        .par_iter()
        .map(|s| {
            let file = s["file"].as_str().expect("a series names its file");
            let text = std::fs::read_to_string(dir.join(file)).expect("the series file");
            let points: Vec<Point> = text
                .lines()
                .skip(1)
                .filter_map(|l| {
                    let (a, b) = l.split_once(',')?;
                    Some(Point::new(a.trim().parse().ok()?, b.trim().parse().ok()?))
                })
                .collect();
            let mut o = RecognizeOptions {
                min_span_seconds,
                ..RecognizeOptions::default()
            };
            if s["unit"] == "count" {
                o.unit = SeriesUnit::Count;
                o.min_rise_bytes = 50.0;
                o.min_growth_bytes_per_hour = 20.0;
            }
            let v = recognize("s", &points, &o);
            (
                file.to_string(),
                s["label"] == "leak",
                v.verdict,
                format!(
                    "{:?} {} conf={:.2} caveat={}",
                    v.pattern,
                    s["pattern"].as_str().unwrap_or(""),
                    v.confidence,
                    v.caveat.as_deref().unwrap_or("-")
                ),
            )
        })
        .collect();
    let (mut tp, mut fp, mut tn, mut fn_) = (0, 0, 0, 0);
    for (file, leak, kind, pat) in &rows {
        let flagged = *kind == VerdictKind::Leak;
        match (leak, flagged) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fn_ += 1,
        }
        println!(
            "{file} label={} verdict={kind:?} {pat}",
            if *leak { "leak" } else { "no" }
        );
    }
    eprintln!("TP {tp} FP {fp} TN {tn} FN {fn_}");
}
