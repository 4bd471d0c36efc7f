//! The live line while a soak runs: elapsed/remaining, requests per second, current memory
//! and a sparkline of memory. On a terminal it redraws in place; elsewhere it prints a line
//! every ten seconds.

use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

use leakscope_core::Point;

use crate::units;

/// Width of the memory sparkline, characters.
const SPARK_WIDTH: usize = 24;

/// The progress line's state.
pub struct Progress {
    off: bool,
    tty: bool,
    total: Duration,
    last_print: Option<Instant>,
}

impl Progress {
    /// A progress line for a run of `total`; `off` (with -q or JSON output) prints nothing.
    pub fn new(off: bool, total: Duration) -> Self {
        Self {
            off,
            tty: std::io::stderr().is_terminal(),
            total,
            last_print: None,
        }
    }

    /// Redraw with the newest numbers.
    pub fn update(
        &mut self,
        elapsed: Duration,
        rps: f64,
        memory: Option<f64>,
        series: &[Point],
        load: bool,
    ) {
        if self.off {
            return;
        }
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
            if load {
                format!("{rps:.0} req/s  ")
            } else {
                String::new()
            },
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

    /// End the line.
    pub fn finish(&mut self) {
        if !self.off && self.tty && self.last_print.is_some() {
            eprintln!();
        }
    }
}
