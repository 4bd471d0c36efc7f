//! leakscope-diagnose: evidence on a verdict. When recognition confirms a leak on a target,
//! [`diagnose`] captures evidence from that target alone, spaced so that the leak grows
//! measurably between captures, diffs the captures with `leakscope-heap` and returns the
//! suspects in the Heap JSON suspect shape — the step an on-call engineer would otherwise
//! do by hand.
//!
//! - [`subject`]: what the target runs and how to capture from it — Node (heap snapshots
//!   through the inspector), Go (`/debug/pprof/heap` and `/goroutine`), Python (tracemalloc
//!   dumps through the SIGUSR2 hook `examples/` ships). Nothing else is ever signalled.
//! - [`capture`]: one module per runtime.
//! - [`bounds`]: a careful engineer's limits — one diagnosis per target per period
//!   ([`bounds::Gate`]), no snapshot too near the memory limit ([`bounds::room_for`]).
//! - [`evidence`]: the private directory the captures are kept in (0700, files 0600) within
//!   a disk budget, oldest dropped first.
//! - [`settings`]: how many captures, how far apart, the timeouts and budgets.

pub mod bounds;
pub mod capture;
pub mod evidence;
pub mod settings;
pub mod subject;

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use leakscope_heap::Suspect;
use serde::Serialize;

pub use evidence::Evidence;
pub use settings::DiagnoseSettings;
pub use subject::Subject;

/// Frames of Go's profiler and its HTTP handler: samples under them are the capture's own.
const PROFILER_FRAMES: &str = r"^(runtime/pprof|net/http/pprof)\.";

/// What to diagnose: a target a leak verdict was confirmed on.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// The target's name (as in the store and alerts).
    pub target: String,
    /// The root of its processes (the pid, or the supervised command), when known.
    pub pid: Option<u32>,
    /// The pprof base URL of a Go target (`http://127.0.0.1:8080` or `.../debug/pprof`).
    pub pprof: Option<String>,
    /// The confirmed growth of the floor, bytes per hour: sets the spacing.
    pub growth_bytes_per_hour: f64,
    /// The memory limit of the target, bytes, when known (else its cgroup's, else the
    /// machine's available memory bounds the snapshots).
    pub limit_bytes: Option<f64>,
    /// The target's memory now, bytes (the judged series' last value), when known.
    pub used_bytes: Option<f64>,
}

/// The named culprit(s): what a diagnosis found.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Diagnosis {
    /// The target.
    pub target: String,
    /// `v8`, `pprof` or `tracemalloc` (Heap JSON's `format`).
    pub format: String,
    /// How the diff matched captures (`object-ids`, `retainers`, `allocation-sites`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub matching: Option<String>,
    /// Ranked culprits, most likely first (Heap JSON suspects); empty when nothing grew
    /// like a leak between the captures.
    pub suspects: Vec<Suspect>,
    /// The captures kept, oldest first (in the evidence directory).
    pub evidence: Vec<PathBuf>,
    /// The process captured from (none for a pprof URL).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pid: Option<u32>,
    /// Time between captures, seconds.
    pub spacing_seconds: f64,
    /// From the request to the named culprit, seconds.
    pub took_seconds: f64,
    /// Things worth knowing (a goroutine profile that could not be fetched ...).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
}

/// Why there is no diagnosis.
#[derive(Debug, thiserror::Error)]
pub enum DiagnoseError {
    /// A bound said no, or there is nothing to capture from: said, not an error of the
    /// target (too soon after the last one, too near the memory limit, no room on disk,
    /// not a runtime leakscope captures from).
    #[error("{0}")]
    Skipped(String),
    /// A capture failed (the inspector, the endpoint, the dump).
    #[error("{0}")]
    Capture(String),
    /// The captures could not be diffed.
    #[error("cannot diff the captures: {0}")]
    Diff(#[from] leakscope_heap::HeapError),
    /// The evidence directory cannot be used.
    #[error("the evidence directory {}: {source}", path.display())]
    Evidence {
        /// The directory or file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The watch ended while capturing.
    #[error("stopped before the diagnosis finished")]
    Stopped,
}

impl DiagnoseError {
    /// True when a bound or the target's runtime said no (rather than something failing).
    pub fn is_skip(&self) -> bool {
        matches!(self, DiagnoseError::Skipped(_))
    }
}

/// The heap profiles' suspects and the goroutine profiles', `n` at most: the goroutines'
/// top ones keep up to half the places, however many heap sites grew. They name where leaked
/// goroutines wait; the heap shows the same leak only as `runtime.malg` and what each
/// goroutine holds, which can fill every place on its own.
fn with_goroutines<T>(mut heap: Vec<T>, goroutines: Vec<T>, n: usize) -> Vec<T> {
    heap.truncate(n - goroutines.len().min(n / 2));
    heap.extend(goroutines);
    heap.truncate(n);
    heap
}

/// Diagnose `req`: find what the target runs, capture [`DiagnoseSettings::captures`]
/// times spaced by its growth, diff, and return the suspects. `stop` ends it early (the
/// inspector is closed on every path). The per-target period is the caller's
/// ([`bounds::Gate`]), since only the caller knows its targets.
pub fn diagnose(
    req: &Request,
    settings: &DiagnoseSettings,
    evidence: &Evidence,
    stop: &Arc<AtomicBool>,
) -> Result<Diagnosis, DiagnoseError> {
    let started = Instant::now();
    let subject = subject::find(req)?;
    let spacing = settings.spacing(req.growth_bytes_per_hour);
    let plan = capture::Plan {
        target: &req.target,
        captures: settings.captures.max(2),
        spacing,
        timeout: settings.capture_timeout,
        settings,
        limit_bytes: req.limit_bytes,
        used_bytes: req.used_bytes,
    };
    tracing::info!(target_name = %req.target, subject = %subject.describe(), spacing_s = spacing.as_secs_f64(), "diagnosing");
    let taken = capture::take(&subject, &plan, evidence, stop)?;
    // A Go service's profiles include what serving them allocates (its gzip writer, the
    // profile's own buffers): growth between captures that is ours, not the service's.
    let is_pprof = taken.files.first().is_some_and(|f| {
        leakscope_heap::sniff_file(f).is_ok_and(|k| k == leakscope_heap::Format::Pprof)
    });
    let opts = leakscope_heap::Options {
        limit: settings.groups,
        ignore: is_pprof.then(|| PROFILER_FRAMES.to_string()),
        ..leakscope_heap::Options::default()
    };
    let mut notes = taken.notes;
    let report = leakscope_heap::diff(&taken.files, &opts)?;
    let mut suspects = report.suspects;
    notes.extend(report.notes.into_iter().take(5));
    let mut evidence_files = taken.files;
    if taken.goroutines.len() >= 2 {
        match leakscope_heap::diff(&taken.goroutines, &opts) {
            Ok(g) => suspects = with_goroutines(suspects, g.suspects, settings.suspects),
            Err(e) => notes.push(format!("the goroutine profiles could not be diffed: {e}")),
        }
        evidence_files.extend(taken.goroutines);
    }
    suspects.truncate(settings.suspects);
    Ok(Diagnosis {
        target: req.target.clone(),
        format: report.format,
        matching: report.matching,
        suspects,
        evidence: evidence_files,
        pid: subject.pid(),
        spacing_seconds: spacing.as_secs_f64(),
        took_seconds: started.elapsed().as_secs_f64(),
        notes,
    })
}

#[cfg(test)]
mod tests {
    use super::with_goroutines;

    #[test]
    fn the_goroutines_top_suspects_keep_their_places_beside_many_heap_sites() {
        let heap = vec![1, 2, 3, 4, 5, 6];
        assert_eq!(
            with_goroutines(heap.clone(), vec![10, 11, 12], 5),
            [1, 2, 3, 10, 11]
        );
        assert_eq!(with_goroutines(heap.clone(), vec![10], 5), [1, 2, 3, 4, 10]);
        assert_eq!(with_goroutines(heap.clone(), vec![], 5), [1, 2, 3, 4, 5]);
        assert_eq!(
            with_goroutines(vec![1], vec![10, 11, 12], 5),
            [1, 10, 11, 12]
        );
        assert_eq!(with_goroutines(heap, vec![10], 1), [1]);
    }
}
