//! Replay one CSV through a recognizer and print its verdict every `STEP` seconds (default
//! 900): kind, pattern and reasons, to see what holds a detection back. A file of a gen2 split
//! is judged with its unit's options (labels.json beside it), as `judge_split` judges it.
//!
//! ```text
//! cargo run --release -p leakscope-core --example trace_series -- FILE [STEP] [UNTIL_H]
//! ```

mod common;

use leakscope_core::Recognizer;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let step: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(900.0);
    let until: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1e9);
    let path = std::path::Path::new(&args[0]);
    let points = common::read_points(path).expect("the series file");
    let mut r = Recognizer::new("s", common::options_for(path));
    let (mut t0, mut next) = (None, 0.0);
    for p in points {
        let t = p.t;
        let t0 = *t0.get_or_insert(t);
        r.push(p);
        if t - t0 >= next {
            next += step;
            if (t - t0) / 3600.0 > until {
                break;
            }
            let v = r.verdict();
            println!(
                "{:6.2} h {:?} {:?} det {:?} | {}",
                (t - t0) / 3600.0,
                v.verdict,
                v.pattern,
                r.detection()
                    .map(|(d, by)| (((d - t0) / 3600.0 * 100.0).round() / 100.0, by)),
                v.reasons.join(" | ")
            );
        }
    }
}
