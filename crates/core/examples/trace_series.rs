//! Replay one CSV through a recognizer and print its verdict every `STEP` seconds (default
//! 900): kind, pattern and reasons, to see what holds a detection back.
//!
//! ```text
//! cargo run --release -p leakscope-core --example trace_series -- FILE [STEP] [UNTIL_H]
//! ```

use leakscope_core::{Point, RecognizeOptions, Recognizer};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let step: f64 = args.get(1).and_then(|s| s.parse().ok()).unwrap_or(900.0);
    let until: f64 = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(1e9);
    let text = std::fs::read_to_string(&args[0]).expect("the series file");
    let mut r = Recognizer::new("s", RecognizeOptions::default());
    let (mut t0, mut next) = (None, 0.0);
    for l in text.lines().skip(1) {
        let Some((a, b)) = l.split_once(',') else {
            continue;
        };
        let (Ok(t), Ok(v)) = (a.trim().parse::<f64>(), b.trim().parse::<f64>()) else {
            continue;
        };
        let t0 = *t0.get_or_insert(t);
        r.push(Point::new(t, v));
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
