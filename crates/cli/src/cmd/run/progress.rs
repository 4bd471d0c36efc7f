//! The live line while a soak runs: elapsed/remaining, requests per second, current memory
//! and a sparkline of memory. On a terminal it redraws in place; elsewhere it prints a line
//! every ten seconds.

use std::collections::VecDeque;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use leakscope_core::Point;

use crate::units;

/// Width of the memory sparkline, characters.
const SPARK_WIDTH: usize = 24;

/// The request rate shown is over this many seconds: the load's workers report in batches,
/// and a rate per round swings between one batch and two.
const RATE_SECONDS: f64 = 5.0;

/// The progress line's state.
pub struct Progress {
    off: bool,
    tty: bool,
    total: Duration,
    last_print: Option<Instant>,
    /// Requests served so far at recent updates (seconds since the start, count), oldest
    /// first, covering about [`RATE_SECONDS`].
    served: VecDeque<(f64, u64)>,
}

impl Progress {
    /// A progress line for a run of `total`; `off` (with -q or JSON output) prints nothing.
    pub fn new(off: bool, total: Duration) -> Self {
        Self {
            off,
            tty: std::io::stderr().is_terminal(),
            total,
            last_print: None,
            served: VecDeque::new(),
        }
    }

    /// Redraw with the newest numbers: `served` is the requests served so far when a load
    /// runs.
    pub fn update(
        &mut self,
        elapsed: Duration,
        served: Option<u64>,
        memory: Option<f64>,
        series: &[Point],
    ) {
        if self.off {
            return;
        }
        let rps = served.map(|n| self.rate(elapsed.as_secs_f64(), n));
        if !self.tty
            && self
                .last_print
                .is_some_and(|t| t.elapsed() < Duration::from_secs(10))
        {
            return;
        }
        self.last_print = Some(Instant::now());
        let values: Vec<f64> = series.iter().map(|p| p.v).collect();
        let line = format!(
            "[{} / {}] {}memory {} {}",
            units::format_duration(elapsed.as_secs_f64()),
            units::format_duration(self.total.as_secs_f64()),
            rps.map_or(String::new(), |r| format!("{r:.0} req/s  ")),
            memory
                .map(units::format_bytes)
                .unwrap_or_else(|| "-".into()),
            leakscope_report::sparkline(&values, SPARK_WIDTH),
        );
        let mut err = std::io::stderr().lock();
        if self.tty {
            let _ = write!(err, "\r\x1b[2K{line}");
        } else {
            let _ = writeln!(err, "{line}");
        }
        let _ = err.flush();
    }

    /// Requests per second over the last [`RATE_SECONDS`], given `n` served by `t` seconds.
    fn rate(&mut self, t: f64, n: u64) -> f64 {
        self.served.push_back((t, n));
        while self.served.len() > 2 && self.served[1].0 <= t - RATE_SECONDS {
            self.served.pop_front();
        }
        let (t0, n0) = self.served[0];
        if t > t0 {
            n.saturating_sub(n0) as f64 / (t - t0)
        } else {
            0.0
        }
    }

    /// End the line.
    pub fn finish(&mut self) {
        if !self.off && self.tty && self.last_print.is_some() {
            eprintln!();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Workers that report every other round make a per-round rate swing between 0 and twice
    /// the load; over five seconds it reads steady.
    #[test]
    fn the_rate_is_steady_when_requests_arrive_in_batches() {
        let mut p = Progress::new(true, Duration::from_secs(60));
        let mut n = 0;
        let mut shown = Vec::new();
        for round in 1..=30u64 {
            if round % 2 == 0 {
                n += 4000; // two seconds of 2,000 req/s, reported at once
            }
            shown.push(p.rate(round as f64, n));
        }
        for r in &shown[10..] {
            assert!((1500.0..=2500.0).contains(r), "{shown:?}");
        }
        // The window slides: a load that stops reads zero five seconds later.
        for round in 31..=37u64 {
            shown.push(p.rate(round as f64, n));
        }
        assert_eq!(*shown.last().unwrap(), 0.0, "{shown:?}");
    }
}
