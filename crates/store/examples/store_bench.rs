//! The store over a long simulated watch: N targets × 8 fields every 10 s for D days, driven
//! through the public API with synthetic time (retention at its default: raw 24 h, 5-minute
//! buckets to 7 days, 1-hour buckets to 30 days). Prints, per simulated day, the database
//! size and the flush cost; at the end the cost of reading one series over all it keeps.
//!
//! `cargo run --release -p leakscope-store --example store_bench -- [--days 90] [--targets 1000]
//!  [--interval 10] [--db PATH]`
//!
//! `bench/store/run.sh` also builds this file against the v2 store (with `--cfg store_v2`,
//! which leaves out what v2 does not have) for the comparison.

// `store_v2` is set only by bench/store/run.sh.
#![allow(unexpected_cfgs)]

use leakscope_store::{FlushStats, SeriesInfo, Store};
use std::time::{Duration, Instant};

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
const PAGE: f64 = 4096.0;
const START: f64 = 1_700_000_000.0;

struct Args {
    days: f64,
    targets: usize,
    interval: f64,
    db: Option<std::path::PathBuf>,
}

fn args() -> Result<Args, String> {
    let mut a = Args {
        days: 90.0,
        targets: 1000,
        interval: 10.0,
        db: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--days" => a.days = value()?.parse().map_err(|e| format!("--days: {e}"))?,
            "--targets" => a.targets = value()?.parse().map_err(|e| format!("--targets: {e}"))?,
            "--interval" => {
                a.interval = value()?.parse().map_err(|e| format!("--interval: {e}"))?
            }
            "--db" => a.db = Some(value()?.into()),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(a)
}

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    /// Uniform in 0..n.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}

/// One target's memory over time, in whole pages, like the services leakscope watches: a
/// GC sawtooth on a flat floor, a leak restarted every 2 days, a daily cycle, a cache that
/// fills and plateaus.
struct Service {
    base: f64,
    kind: usize,
    threads: f64,
    fds: f64,
    /// Offset of its sample inside the round, seconds.
    offset: f64,
}

impl Service {
    fn rss(&self, t: f64, k: u64, rng: &mut Rng) -> f64 {
        let hours = (t - START) / 3600.0;
        let mb = 1_048_576.0;
        let shape = match self.kind {
            0 => 40.0 * mb * ((k % 30) as f64 / 30.0),
            1 => 10.0 * mb * (hours % 48.0),
            2 => 200.0 * mb * (1.0 + (hours / 24.0 * std::f64::consts::TAU).sin()) / 2.0,
            _ => 300.0 * mb * (1.0 - (-hours / 12.0).exp()),
        };
        let noise = rng.below(64) as f64 * PAGE;
        ((self.base + shape) / PAGE).round() * PAGE + noise
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a = args()?;
    let dir = tempfile::tempdir()?;
    let path = a.db.clone().unwrap_or_else(|| dir.path().join("bench.db"));
    let mut store = Store::open(&path)?;
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let ids = (0..a.targets)
        .map(|i| store.target(&format!("target-{i}"), "pid", &i.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let mut services: Vec<Service> = (0..a.targets)
        .map(|i| Service {
            base: (50 + (i * 7919) % 400) as f64 * 1_048_576.0,
            kind: i % 4,
            threads: (4 + i % 60) as f64,
            fds: (20 + i % 200) as f64,
            offset: i as f64 * 50e-6,
        })
        .collect();
    let per_day = (86_400.0 / a.interval).round() as u64;
    let intervals = (a.days * per_day as f64).round() as u64;
    println!(
        "# {} targets x {} fields every {} s for {} simulated days ({} flushes of {} samples), db {}",
        a.targets,
        FIELDS.len(),
        a.interval,
        a.days,
        intervals,
        a.targets * FIELDS.len(),
        path.display()
    );
    println!("# day  db_MB  wal_MB  live_MB  flush_ms_mean  p50  p99  max  cpu_ms_per_flush  compaction_ms  maintenance_ms  append_ms  writer_rss_MB");
    let mut day = Day::default();
    let mut all = Totals::default();
    let mut values: Vec<(&str, f64)> = Vec::with_capacity(FIELDS.len());
    for k in 0..intervals {
        let round = START + k as f64 * a.interval;
        let append_start = Instant::now();
        for (i, s) in services.iter_mut().enumerate() {
            let t = round + s.offset + rng.below(5000) as f64 * 1e-6;
            let rss = s.rss(t, k, &mut rng);
            if rng.below(20_000) == 0 {
                s.threads += if rng.below(2) == 0 { 1.0 } else { -1.0 };
            }
            if rng.below(50) == 0 {
                s.fds = (s.fds + rng.below(5) as f64 - 2.0).max(3.0);
            }
            values.clear();
            values.extend([
                ("rss_bytes", rss),
                ("anon_bytes", (rss * 0.8 / PAGE).round() * PAGE),
                ("file_bytes", 8e6 + rng.below(16) as f64 * PAGE),
                ("shmem_bytes", 1_048_576.0),
                ("swap_bytes", 0.0),
                ("vms_bytes", 1.2e9 + s.base),
                ("threads", s.threads),
                ("fds", s.fds),
            ]);
            store.append(ids[i], t, &values)?;
        }
        let append = append_start.elapsed();
        let cpu0 = cpu_seconds();
        let wall0 = Instant::now();
        let stats = store.flush()?;
        let wall = wall0.elapsed();
        let cpu = cpu_seconds() - cpu0;
        assert_eq!(stats.samples, a.targets * FIELDS.len());
        let (compaction, maintenance) = split(&stats);
        day.add(wall, cpu, compaction, maintenance, append);
        all.add(wall, cpu, compaction, maintenance);
        if (k + 1) % per_day == 0 || k + 1 == intervals {
            let (db, wal, live) = sizes(&path)?;
            println!(
                "{:5.1}  {:7.1}  {:5.1}  {:7.1}  {:6.2}  {:6.2}  {:6.2}  {:7.1}  {:6.2}  {:6.2}  {:6.2}  {:6.2}  {:6.1}",
                (k + 1) as f64 / per_day as f64,
                db / 1e6,
                wal / 1e6,
                live / 1e6,
                day.mean_ms(),
                day.pct_ms(0.5),
                day.pct_ms(0.99),
                day.pct_ms(1.0),
                day.cpu_ms(),
                day.compaction_ms(),
                day.maintenance_ms(),
                day.append_ms(),
                rss_mb(),
            );
            day = Day::default();
        }
    }
    let (db, wal, live) = sizes(&path)?;
    let n = intervals as f64;
    println!(
        "# total: {} flushes; flush wall mean {:.2} ms, p50 {:.2}, p99 {:.2}, max {:.1}; CPU {:.2} ms/flush ({:.0} s in all); compaction {:.2} ms, maintenance {:.2} ms (wall, mean); db {:.1} MB + wal {:.1} MB, live {:.1} MB; {:.2} B per stored sample over the run",
        intervals,
        all.wall_s / n * 1e3,
        pct(&mut all.walls, 0.5),
        pct(&mut all.walls, 0.99),
        pct(&mut all.walls, 1.0),
        all.cpu_s / n * 1e3,
        all.cpu_s,
        all.compaction_s / n * 1e3,
        all.maintenance_s / n * 1e3,
        db / 1e6,
        wal / 1e6,
        live / 1e6,
        (db + wal) / (n * (a.targets * FIELDS.len()) as f64),
    );
    println!(
        "# slowest flush: wall {:.1} ms, CPU {:.1} ms, compaction {:.1} ms, maintenance {:.1} ms",
        all.slowest.0 * 1e3,
        all.slowest.1 * 1e3,
        all.slowest.2.as_secs_f64() * 1e3,
        all.slowest.3.as_secs_f64() * 1e3
    );
    drop(store);
    read_costs(&path, a.targets)?;
    Ok(())
}

/// Time reading one series over everything it keeps, and `list()`.
fn read_costs(path: &std::path::Path, targets: usize) -> Result<(), Box<dyn std::error::Error>> {
    let reader = Store::open_read_only(path)?;
    let target = format!("target-{}", targets / 2);
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let pts = reader.points(&target, "rss_bytes")?;
    let (wall, cpu) = (wall0.elapsed(), cpu_seconds() - cpu0);
    let span = match (pts.first(), pts.last()) {
        (Some(a), Some(b)) => (b.t - a.t) / 86_400.0,
        _ => 0.0,
    };
    println!(
        "# read: points() of {target}/rss_bytes: {} points over {:.1} days in {:.1} ms (CPU {:.1} ms)",
        pts.len(),
        span,
        wall.as_secs_f64() * 1e3,
        cpu * 1e3
    );
    read_buckets(&reader, &target)?;
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    let list = reader.list()?;
    let raw: u64 = list.iter().map(|s| s.samples).sum();
    let buckets: u64 = list.iter().map(buckets).sum();
    println!(
        "# read: list() of {} series ({raw} raw samples, {buckets} buckets) in {:.0} ms (CPU {:.0} ms)",
        list.len(),
        wall0.elapsed().as_secs_f64() * 1e3,
        (cpu_seconds() - cpu0) * 1e3
    );
    Ok(())
}

/// Wall time a flush spent compacting and on retention.
#[cfg(not(store_v2))]
fn split(stats: &FlushStats) -> (Duration, Duration) {
    (stats.compaction, stats.maintenance)
}

#[cfg(store_v2)]
fn split(_: &FlushStats) -> (Duration, Duration) {
    (Duration::ZERO, Duration::ZERO)
}

#[cfg(not(store_v2))]
fn buckets(s: &SeriesInfo) -> u64 {
    s.downsampled_buckets
}

#[cfg(store_v2)]
fn buckets(_: &SeriesInfo) -> u64 {
    0
}

/// Time reading one series as export rows (v3 only).
#[cfg(not(store_v2))]
fn read_buckets(reader: &Store, target: &str) -> Result<(), Box<dyn std::error::Error>> {
    let mut rows = 0u64;
    let (cpu0, wall0) = (cpu_seconds(), Instant::now());
    reader.for_each_bucket(target, "rss_bytes", |_| rows += 1)?;
    println!(
        "# read: for_each_bucket() of the same series: {rows} rows in {:.1} ms (CPU {:.1} ms)",
        wall0.elapsed().as_secs_f64() * 1e3,
        (cpu_seconds() - cpu0) * 1e3
    );
    Ok(())
}

#[cfg(store_v2)]
fn read_buckets(_: &Store, _: &str) -> Result<(), Box<dyn std::error::Error>> {
    Ok(())
}

#[derive(Default)]
struct Day {
    walls: Vec<f64>,
    cpu_s: f64,
    compaction_s: f64,
    maintenance_s: f64,
    append_s: f64,
}

impl Day {
    fn add(
        &mut self,
        wall: Duration,
        cpu: f64,
        compaction: Duration,
        maintenance: Duration,
        append: Duration,
    ) {
        self.walls.push(wall.as_secs_f64());
        self.cpu_s += cpu;
        self.compaction_s += compaction.as_secs_f64();
        self.maintenance_s += maintenance.as_secs_f64();
        self.append_s += append.as_secs_f64();
    }
    fn n(&self) -> f64 {
        self.walls.len().max(1) as f64
    }
    fn mean_ms(&self) -> f64 {
        self.walls.iter().sum::<f64>() / self.n() * 1e3
    }
    fn pct_ms(&mut self, q: f64) -> f64 {
        pct(&mut self.walls, q)
    }
    fn cpu_ms(&self) -> f64 {
        self.cpu_s / self.n() * 1e3
    }
    fn compaction_ms(&self) -> f64 {
        self.compaction_s / self.n() * 1e3
    }
    fn maintenance_ms(&self) -> f64 {
        self.maintenance_s / self.n() * 1e3
    }
    fn append_ms(&self) -> f64 {
        self.append_s / self.n() * 1e3
    }
}

#[derive(Default)]
struct Totals {
    /// The slowest flush: (wall s, CPU s, compaction, maintenance).
    slowest: (f64, f64, Duration, Duration),
    walls: Vec<f64>,
    wall_s: f64,
    cpu_s: f64,
    compaction_s: f64,
    maintenance_s: f64,
}

impl Totals {
    fn add(&mut self, wall: Duration, cpu: f64, compaction: Duration, maintenance: Duration) {
        if wall.as_secs_f64() > self.slowest.0 {
            self.slowest = (wall.as_secs_f64(), cpu, compaction, maintenance);
        }
        self.walls.push(wall.as_secs_f64());
        self.wall_s += wall.as_secs_f64();
        self.cpu_s += cpu;
        self.compaction_s += compaction.as_secs_f64();
        self.maintenance_s += maintenance.as_secs_f64();
    }
}

/// The `q` quantile of `v` (seconds), in ms.
fn pct(v: &mut [f64], q: f64) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    v.sort_by(f64::total_cmp);
    v[((v.len() - 1) as f64 * q).round() as usize] * 1e3
}

/// Database file and WAL sizes, and the bytes of pages in use (file pages minus free ones).
fn sizes(path: &std::path::Path) -> Result<(f64, f64, f64), Box<dyn std::error::Error>> {
    let db = std::fs::metadata(path)?.len() as f64;
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let wal = std::fs::metadata(&wal)
        .map(|m| m.len() as f64)
        .unwrap_or(0.0);
    let c =
        rusqlite::Connection::open_with_flags(path, rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY)?;
    let pages: i64 = c.query_row("PRAGMA page_count", [], |r| r.get(0))?;
    let free: i64 = c.query_row("PRAGMA freelist_count", [], |r| r.get(0))?;
    let size: i64 = c.query_row("PRAGMA page_size", [], |r| r.get(0))?;
    Ok((db, wal, ((pages - free) * size) as f64))
}

/// CPU time this thread has run, seconds (`CLOCK_THREAD_CPUTIME_ID`).
fn cpu_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to write into.
    let ok = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) } == 0;
    if ok {
        ts.tv_sec as f64 + ts.tv_nsec as f64 * 1e-9
    } else {
        0.0
    }
}

/// Resident memory of this process, MB.
fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<f64>().ok())
        })
        .map_or(0.0, |kb| kb / 1024.0)
}
