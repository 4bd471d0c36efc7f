//! procfs side of bench/sampling: per pid and round, `Process::new(pid)` (opens /proc/PID),
//! `stat()` and `status()` — the fields leakscope's `ProcReader::sample` takes. procfs's
//! `status()` builds a HashMap of every line of the file before filling its struct.
//!
//!     procfs-compare [--rounds N] PID...

use std::time::{Duration, Instant};

fn cpu_time() -> Duration {
    // SAFETY: an all-zero rusage is valid; getrusage overwrites it.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `usage` is a valid, writable rusage.
    unsafe { libc::getrusage(libc::RUSAGE_SELF, &mut usage) };
    let tv = |t: libc::timeval| Duration::new(t.tv_sec as u64, t.tv_usec as u32 * 1000);
    tv(usage.ru_utime) + tv(usage.ru_stime)
}

fn sample(pid: i32) -> u64 {
    let Ok(p) = procfs::process::Process::new(pid) else {
        return 0;
    };
    let (Ok(stat), Ok(status)) = (p.stat(), p.status()) else {
        return 0;
    };
    stat.starttime
        + stat.ppid as u64
        + stat.comm.len() as u64
        + status.vmrss.unwrap_or(0)
        + status.rssanon.unwrap_or(0)
        + status.rssfile.unwrap_or(0)
        + status.rssshmem.unwrap_or(0)
        + status.vmswap.unwrap_or(0)
        + status.threads
}

fn main() {
    let mut rounds = 50usize;
    let mut pids: Vec<i32> = Vec::new();
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--rounds" {
            rounds = args.next().and_then(|v| v.parse().ok()).unwrap_or(rounds);
        } else if let Ok(p) = a.parse() {
            pids.push(p);
        }
    }
    let mut sink = 0u64;
    for &p in &pids {
        sink = sink.wrapping_add(sample(p));
    }
    let mut per_round = Vec::new();
    let cpu0 = cpu_time();
    for _ in 0..rounds {
        let t = Instant::now();
        for &p in &pids {
            sink = sink.wrapping_add(sample(p));
        }
        per_round.push(t.elapsed());
    }
    let cpu = (cpu_time() - cpu0).as_secs_f64() / rounds as f64;
    per_round.sort();
    let n = pids.len().max(1) as f64;
    let us = |d: Duration| d.as_secs_f64() * 1e6 / n;
    println!(
        "procfs procs={} rounds={rounds} median_us_per_proc={:.2} p90_us_per_proc={:.2} min_us_per_proc={:.2} cpu_us_per_proc={:.2} core_pct_at_1s={:.3} (checksum {})",
        pids.len(),
        us(per_round[per_round.len() / 2]),
        us(per_round[(per_round.len() * 9 / 10).min(per_round.len() - 1)]),
        us(per_round[0]),
        cpu * 1e6 / n,
        cpu * 100.0,
        sink % 10
    );
}
