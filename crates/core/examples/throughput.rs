//! Throughput of recognition: 10,000 series × 2,880 points (a day at 30 s), full verdict
//! including `detected_at` (i.e. the streaming replay), across all cores with rayon.
//!
//! ```text
//! cargo run --release -p leakscope-core --example throughput -- [--series N] [--points P]
//! ```
//! Series are corpus series (all 12 patterns) with at least P points, cut to P points.

use leakscope_core::{corpus, recognize, RecognizeOptions, VerdictKind};
use rayon::prelude::*;
use std::time::Instant;

/// CPU time (user + system) of this process so far, seconds, from /proc/self/stat (Linux);
/// the machine is shared, so wall time alone can mislead.
fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0)
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let get = |k: &str, d: usize| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .and_then(|v| v.parse().ok())
            .unwrap_or(d)
    };
    let n_series = get("--series", 10_000);
    let n_points = get("--points", 2_880);
    let pool: Vec<_> = (0..2000)
        .map(|i| corpus::generate_one(5, i))
        .filter(|s| s.points.len() >= n_points)
        .map(|mut s| {
            s.points.truncate(n_points);
            s
        })
        .take(240)
        .collect();
    assert!(!pool.is_empty(), "no corpus series with {n_points} points");
    let opts = RecognizeOptions::default();
    let cpu0 = cpu_seconds();
    let t = Instant::now();
    let leaks = (0..n_series)
        .into_par_iter()
        .filter(|&i| {
            let s = &pool[i % pool.len()];
            recognize(&s.name, &s.points, &opts).verdict == VerdictKind::Leak
        })
        .count();
    let dt = t.elapsed().as_secs_f64();
    let cpu = cpu_seconds().zip(cpu0).map(|(b, a)| b - a);
    println!(
        "{n_series} series × {n_points} points ({} distinct) on {} threads: {dt:.3} s \
         ({:.1} M points/s, {:.1} µs/series); CPU time {}; {leaks} leaks",
        pool.len(),
        rayon::current_num_threads(),
        (n_series * n_points) as f64 / dt / 1e6,
        dt / n_series as f64 * 1e6,
        cpu.map_or("n/a".to_string(), |c| format!("{c:.2} s")),
    );
}
