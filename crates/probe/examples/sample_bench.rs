//! Measures what one sampling round costs: reads every pid given with
//! [`ProcReader::sample`] (or `sample_with_pss` with `--pss`), `--rounds` times, and prints
//! per-process wall and CPU time. Driven by `bench/sampling/run.sh`.
//!
//!     sample_bench [--rounds N] [--pss] PID...      (or pids on stdin, whitespace-separated)

use std::io::Read;
use std::time::{Duration, Instant};

use leakscope_probe::proc::ProcReader;

fn cpu_time() -> Duration {
    // SAFETY: an all-zero rusage is a valid value for getrusage to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn main() {
    let mut rounds = 50usize;
    let mut pss = false;
    let mut pids: Vec<u32> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(rounds),
            "--pss" => pss = true,
            other => match other.parse() {
                Ok(pid) => pids.push(pid),
                Err(_) => {
                    eprintln!("sample_bench: not a pid or option: {other}");
                    std::process::exit(2);
                }
            },
        }
    }
    if pids.is_empty() {
        let mut text = String::new();
        let _ = std::io::stdin().read_to_string(&mut text);
        pids = text
            .split_whitespace()
            .filter_map(|s| s.parse().ok())
            .collect();
    }
    if pids.is_empty() {
        eprintln!("sample_bench: no pids given");
        std::process::exit(2);
    }
    let mut reader = ProcReader::new();
    let mut sink = 0u64;
    // Warm-up round: page in the code, size the buffers, fill the dentry cache.
    for &pid in &pids {
        if let Ok(s) = reader.sample(pid) {
            sink = sink.wrapping_add(s.rss_bytes);
        }
    }
    let mut per_round = Vec::with_capacity(rounds);
    let mut errors = 0usize;
    let cpu_start = cpu_time();
    for _ in 0..rounds {
        let start = Instant::now();
        for &pid in &pids {
            let result = if pss {
                reader.sample_with_pss(pid)
            } else {
                reader.sample(pid)
            };
            match result {
                Ok(s) => sink = sink.wrapping_add(s.rss_anon_bytes),
                Err(_) => errors += 1,
            }
        }
        per_round.push(start.elapsed());
    }
    let cpu = cpu_time() - cpu_start;
    per_round.sort();
    let n = pids.len() as f64;
    let us = |d: Duration| d.as_secs_f64() * 1e6 / n;
    let median = per_round[per_round.len() / 2];
    let p90 = per_round[(per_round.len() * 9 / 10).min(per_round.len() - 1)];
    let cpu_per_round = cpu.as_secs_f64() / rounds as f64;
    println!(
        "leakscope procs={} rounds={rounds} pss={pss} median_us_per_proc={:.2} p90_us_per_proc={:.2} \
         min_us_per_proc={:.2} cpu_us_per_proc={:.2} core_pct_at_1s={:.3} errors={errors} (checksum {})",
        pids.len(),
        us(median),
        us(p90),
        us(per_round[0]),
        cpu_per_round * 1e6 / n,
        cpu_per_round * 100.0,
        sink % 10,
    );
}
