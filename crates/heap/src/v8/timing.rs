//! Phase and task timings on stderr when `LEAKSCOPE_TIMING` is set (for benchmarks): each
//! line says when (since the first timing call) a phase or task ended and how long it took,
//! so a run's timeline across both cores can be read off.

use std::sync::OnceLock;
use std::time::Instant;

/// The clock of this run's timings, or None when timing is off.
fn clock() -> Option<Instant> {
    static START: OnceLock<Option<Instant>> = OnceLock::new();
    *START.get_or_init(|| std::env::var_os("LEAKSCOPE_TIMING").map(|_| Instant::now()))
}

fn rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|t| {
            t.lines()
                .find(|l| l.starts_with("VmRSS:"))
                .map(|l| l.trim_start_matches("VmRSS:").trim().to_string())
        })
        .unwrap_or_default()
}

/// Laps of a sequence of phases.
pub struct Timer {
    last: Option<Instant>,
}

impl Timer {
    /// Start timing.
    pub fn new() -> Self {
        Self {
            last: clock().map(|_| Instant::now()),
        }
    }

    /// Report the time since the last lap under `what`.
    pub fn lap(&mut self, what: &str) {
        if let (Some(start), Some(last)) = (clock(), self.last) {
            let now = Instant::now();
            eprintln!(
                "[v8] {:6.3} {what}: {:.3} s (RSS {})",
                (now - start).as_secs_f64(),
                (now - last).as_secs_f64(),
                rss()
            );
            self.last = Some(now);
        }
    }
}

impl Default for Timer {
    fn default() -> Self {
        Self::new()
    }
}

/// Run `f`, reporting its time under `what` when timing is on.
pub fn timed<T>(what: &str, f: impl FnOnce() -> T) -> T {
    let Some(start) = clock() else {
        return f();
    };
    let t0 = Instant::now();
    let out = f();
    let now = Instant::now();
    eprintln!(
        "[v8] {:6.3}     task {what}: {:.1} ms",
        (now - start).as_secs_f64(),
        (now - t0).as_secs_f64() * 1e3
    );
    out
}
