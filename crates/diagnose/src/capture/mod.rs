//! Taking the captures of one diagnosis: one module per runtime, one plan for all.

mod pprof;
mod tracemalloc;
mod v8;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::{DiagnoseError, DiagnoseSettings, Evidence, Subject};

/// What one diagnosis captures, how often and how far apart.
#[derive(Debug, Clone, Copy)]
pub struct Plan<'a> {
    /// The target (for file names and messages).
    pub target: &'a str,
    /// How many captures.
    pub captures: u32,
    /// Time from the start of one capture to the start of the next (V8: from the end of one
    /// snapshot, which stops the service, to the start of the next).
    pub spacing: Duration,
    /// How long one capture may take.
    pub timeout: Duration,
    /// The rest of the settings (headroom, budgets).
    pub settings: &'a DiagnoseSettings,
    /// The target's memory limit, bytes, when known.
    pub limit_bytes: Option<f64>,
    /// The target's memory now, bytes, when known.
    pub used_bytes: Option<f64>,
}

/// The captures taken, oldest first.
#[derive(Debug, Default)]
pub struct Taken {
    /// The heap captures (snapshots, heap profiles, dumps).
    pub files: Vec<PathBuf>,
    /// Go goroutine profiles, when they could be fetched.
    pub goroutines: Vec<PathBuf>,
    /// Things worth saying.
    pub notes: Vec<String>,
}

/// Take the plan's captures from `subject`.
pub fn take(
    subject: &Subject,
    plan: &Plan,
    evidence: &Evidence,
    stop: &Arc<AtomicBool>,
) -> Result<Taken, DiagnoseError> {
    match subject {
        Subject::Node { pid } => v8::take(*pid, plan, evidence, stop),
        Subject::Go { base } => pprof::take(base, plan, evidence, stop),
        Subject::Python { pid, dirs } => tracemalloc::take(*pid, dirs, plan, evidence, stop),
    }
}

/// Sleep until `deadline`; `Stopped` when `stop` is raised first.
fn sleep_until(deadline: Instant, stop: &AtomicBool) -> Result<(), DiagnoseError> {
    loop {
        if stop.load(Ordering::Relaxed) {
            return Err(DiagnoseError::Stopped);
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(());
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(100)));
    }
}

/// Unix seconds now, for file names.
fn stamp() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}
