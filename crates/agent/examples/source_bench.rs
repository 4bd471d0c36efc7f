//! What one sampling round costs through the source model: every pid given opened as a
//! `pid` source and sampled with `Source::sample` (what the engine calls), `--rounds` times;
//! prints per-process wall and CPU time, to compare with `leakscope-probe`'s `sample_bench`
//! (the bare `ProcReader`) on the same pids.
//!
//!     source_bench [--rounds N] PID...      (or pids on stdin, whitespace-separated)

use std::io::Read;
use std::time::{Duration, Instant};

use leakscope_agent::SourceSpec;

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
    let mut pids: Vec<u32> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--rounds" => rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(rounds),
            other => match other.parse() {
                Ok(pid) => pids.push(pid),
                Err(_) => {
                    eprintln!("source_bench: not a pid or option: {other}");
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
    let mut sources: Vec<_> = pids
        .iter()
        .filter_map(|&pid| SourceSpec::Pid { pid, pss: false }.open().ok())
        .collect();
    if sources.is_empty() {
        eprintln!("source_bench: no pid could be opened");
        std::process::exit(2);
    }
    let n = sources.len();
    let mut best = Duration::MAX;
    let (wall0, cpu0) = (Instant::now(), cpu_time());
    for _ in 0..rounds {
        let t = Instant::now();
        for s in &mut sources {
            let out = s.sample();
            std::hint::black_box(&out);
        }
        best = best.min(t.elapsed());
    }
    let (wall, cpu) = (wall0.elapsed(), cpu_time() - cpu0);
    let per = |d: Duration| d.as_secs_f64() * 1e6 / (rounds * n) as f64;
    println!(
        "{n} processes x {rounds} rounds: wall {:.1} us/process (fastest round {:.1}), cpu {:.1} us/process",
        per(wall),
        best.as_secs_f64() * 1e6 / n as f64,
        per(cpu)
    );
}
