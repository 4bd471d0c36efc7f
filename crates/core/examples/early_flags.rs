//! Flags raised before any leak: for every series of a gen2 split, replay it and report a
//! `detected_at` (the scheduled first flag that `latency_split` times) that falls before the
//! onset (a leak series) or on a series that never leaks (whatever its final verdict). Totals
//! on stderr, with the median hour (after the start) of the no-leak series' flags.
//!
//! `detected_at` is sticky and fires on most no-leak series at some point of their replay
//! (a cache filling, a warm-up, a wander), so a change that brings leaks' first flags forward
//! should be read beside this: does it bring these forward, or raise more of them, as well?
//! (At 31cad78, dev9292: 19 before onset, 143 of 226 no-leak series flagged.)
//!
//! ```text
//! cargo run --release -p leakscope-core --example early_flags -- DIR
//! ```

mod common;

use leakscope_core::{Recognizer, VerdictKind};
use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let series = common::split(std::path::Path::new(&args[0]), &args[1..]);
    let rows: Vec<(String, String, bool, bool, Option<f64>)> = series
        .par_iter()
        .map(|s| {
            let mut r = Recognizer::new("s", s.options());
            let pts = common::read_points(&s.path).expect("the series file");
            let t0 = pts.first().map_or(0.0, |p| p.t);
            for p in &pts {
                r.push(*p);
            }
            let v = r.verdict();
            let from = s.onset.unwrap_or(t0);
            let det = r.detection().map(|(t, _)| (t - from) / 3600.0);
            (
                s.file.clone(),
                s.pattern.clone(),
                s.leak,
                v.verdict == VerdictKind::Leak,
                det,
            )
        })
        .collect();
    let (mut pre, mut noleak) = (0, 0);
    let mut hours = Vec::new();
    for (file, pat, leak, flagged, det) in &rows {
        match (leak, det) {
            (true, Some(h)) if *h < 0.0 => {
                pre += 1;
                println!("{file} {pat} leak flagged {h:.2} h before onset (final {flagged})");
            }
            (false, Some(h)) => {
                noleak += 1;
                hours.push(*h);
                println!("{file} {pat} no-leak flagged at {h:.2} h (final {flagged})");
            }
            _ => {}
        }
    }
    let p50 = common::median(&mut hours);
    eprintln!("flags before onset {pre}, no-leak series flagged {noleak} (p50 at {p50:.2} h)");
}
