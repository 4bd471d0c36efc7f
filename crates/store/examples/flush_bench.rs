//! Measure the cost of one flush of 1,000 targets × 8 fields (one interval of a big `watch`).
//!
//! `cargo run --release -p leakscope-store --example flush_bench [-- INTERVALS [COMPACT_EVERY [DB_PATH]]]`
//! Prints the wall time per flush (mean, percentiles), the CPU time per flush (robust on a
//! busy machine), the database size and two read timings.

use leakscope_store::Store;
use std::time::Instant;

const FIELDS: [&str; 8] = [
    "rss_bytes",
    "anon_bytes",
    "file_bytes",
    "shmem_bytes",
    "swap_bytes",
    "vms_bytes",
    "threads",
    "fds",
];

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let intervals: usize = args.next().map(|a| a.parse()).transpose()?.unwrap_or(60);
    let compact_every: u64 = args
        .next()
        .map(|a| a.parse())
        .transpose()?
        .unwrap_or(leakscope_store::COMPACT_EVERY);
    let dir = tempfile::tempdir()?;
    let path = args
        .next()
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| dir.path().join("bench.db"));
    let mut store = Store::open(&path)?;
    store.set_compact_every(compact_every);
    let ids = (0..1000)
        .map(|i| store.target(&format!("target-{i}"), "pid", &i.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut times = Vec::with_capacity(intervals);
    let mut append_total = 0.0;
    let mut cpu_total = 0.0;
    for k in 0..intervals {
        let t = 1_700_000_000.0 + k as f64;
        let a = Instant::now();
        for (i, &id) in ids.iter().enumerate() {
            let v = 1e8 + (i * 1000 + k) as f64;
            let values: Vec<(&str, f64)> = FIELDS.iter().map(|f| (*f, v)).collect();
            store.append(id, t, &values)?;
        }
        append_total += a.elapsed().as_secs_f64();
        let f = Instant::now();
        let c = cpu_seconds();
        let stats = store.flush()?;
        times.push(f.elapsed().as_secs_f64());
        cpu_total += cpu_seconds() - c;
        assert_eq!(stats.samples, 8000);
    }
    let first = times[0];
    let mut sorted = times.clone();
    sorted.sort_by(f64::total_cmp);
    let mean = times.iter().sum::<f64>() / times.len() as f64;
    let size = std::fs::metadata(&path)?.len()
        + std::fs::metadata(path.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    let pct = |q: f64| sorted[((sorted.len() - 1) as f64 * q).round() as usize] * 1e3;
    println!(
        "{intervals} flushes of 8000 samples (1000 targets x 8 fields): first {:.1} ms (creates series); \
         mean {:.2} ms, p50 {:.2} ms, p90 {:.2} ms, p99 {:.2} ms, max {:.2} ms; \
         CPU {:.2} ms/flush; append {:.2} ms/interval; db+wal {:.1} MB ({:.1} B/sample); \
         compact every {compact_every} flushes",
        first * 1e3,
        mean * 1e3,
        pct(0.5),
        pct(0.9),
        pct(0.99),
        pct(1.0),
        cpu_total / intervals as f64 * 1e3,
        append_total / intervals as f64 * 1e3,
        size as f64 / 1e6,
        size as f64 / (8000.0 * intervals as f64),
    );
    drop(store);
    let reader = Store::open_read_only(&path)?;
    let r = Instant::now();
    let n = reader.points("target-500", "rss_bytes")?.len();
    let list = Instant::now();
    let series = reader.list()?.len();
    println!(
        "read: points() of one series ({n} points) {:.2} ms; list() of {series} series {:.1} ms",
        (list - r).as_secs_f64() * 1e3,
        list.elapsed().as_secs_f64() * 1e3
    );
    Ok(())
}

/// CPU time this thread has run, seconds (Linux `/proc/thread-self/schedstat`; 0 elsewhere).
fn cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(0.0, |ns| ns / 1e9)
}
