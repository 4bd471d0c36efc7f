//! Judge every CSV of a gen2 split with the recognizer alone (no binary needed): prints one
//! line per series (file, label, verdict, pattern) and the confusion counts.
//!
//! ```text
//! cargo run --release -p leakscope-core --example judge_split -- [--min-span DURATION] DIR [FILE...]
//! ```
//!
//! `--min-span` is `analyze --min-span` (the short split is scored with `--min-span 1m`).

mod common;

use leakscope_core::{recognize, RecognizeOptions, VerdictKind};
use rayon::prelude::*;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mut min_span_seconds = 0.0;
    // `--min-span` may stand anywhere: after DIR it would otherwise be read as a file name.
    if let Some(i) = args.iter().position(|a| a == "--min-span") {
        min_span_seconds = match args
            .get(i + 1)
            .map(|a| leakscope_core::units::parse_duration(a))
        {
            Some(Ok(d)) => d.as_secs_f64(),
            Some(Err(e)) => return eprintln!("--min-span: {e}"),
            None => return eprintln!("--min-span needs a duration (1m, 90s)"),
        };
        args.drain(i..i + 2);
    }
    let Some(dir) = args.first() else {
        return eprintln!("usage: judge_split [--min-span DURATION] DIR [FILE...]");
    };
    let series = common::split(std::path::Path::new(dir), &args[1..]);
    let rows: Vec<(String, bool, VerdictKind, String)> = series
        .par_iter()
        .map(|s| {
            let points = common::read_points(&s.path).expect("the series file");
            let o = RecognizeOptions {
                min_span_seconds,
                ..s.options()
            };
            let v = recognize("s", &points, &o);
            (
                s.file.clone(),
                s.leak,
                v.verdict,
                format!(
                    "{:?} {} conf={:.2} caveat={}",
                    v.pattern,
                    s.pattern,
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
