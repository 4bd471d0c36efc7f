//! Evidence on a verdict, off the sampling thread: when a leak alert fires on a target, a
//! diagnosis ([`leakscope_diagnose::diagnose`]) captures from it on a thread of its own, one
//! at a time, and hands back the named culprit, which the engine stores as an event and
//! sends again with the alert.
//!
//! The bounds that need to know every target live here: one diagnosis per target per
//! period, and never two of one target at once.
//!
//! Most diagnoses are asked by a leak alert; `--restart-before-oom` asks for one itself when
//! a restart falls due before any alert did, so that the restart comes after the evidence.

use std::collections::HashSet;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use leakscope_core::alert::{Alert, AlertDiagnosis};
use leakscope_diagnose::bounds::Gate;
use leakscope_diagnose::{DiagnoseError, DiagnoseSettings, Diagnosis, Evidence, Request};

/// A diagnosis to run.
struct Job {
    request: Request,
    alert: Option<Alert>,
    settings: DiagnoseSettings,
    asked_at: Instant,
}

/// A diagnosis that ended.
#[derive(Debug)]
pub struct Finished {
    /// The target.
    pub target: String,
    /// The alert that asked for it, with the diagnosis attached when there is one; `None`
    /// when a restart before the OOM asked for it.
    pub alert: Option<Alert>,
    /// What it found as alerts carry it (`None` when it failed or was skipped).
    pub diagnosis: Option<AlertDiagnosis>,
    /// What it found, or why there is nothing.
    pub result: Result<Diagnosis, DiagnoseError>,
    /// From the alert to the end of the diagnosis.
    pub took: Duration,
}

/// The diagnosis thread and its bounds.
pub struct Diagnoser {
    tx: Option<Sender<Job>>,
    results: Receiver<Finished>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
    gate: Gate,
    busy: HashSet<String>,
    refused: Vec<Finished>,
    settings: DiagnoseSettings,
    enabled: bool,
}

impl Diagnoser {
    /// Open the evidence directory (`settings.dir`, else `evidence/` beside the database at
    /// `db`) and start the thread.
    pub fn start(settings: DiagnoseSettings, db: &Path) -> Result<Diagnoser, DiagnoseError> {
        let dir = settings
            .dir
            .clone()
            .unwrap_or_else(|| Evidence::default_dir(db));
        let evidence = Evidence::open(&dir, settings.disk_budget_bytes)?;
        let (tx, rx) = mpsc::channel::<Job>();
        let (done_tx, results) = mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("diagnose".into())
            .spawn(move || {
                while let Ok(job) = rx.recv() {
                    if flag.load(Ordering::Relaxed) {
                        break;
                    }
                    let result =
                        leakscope_diagnose::diagnose(&job.request, &job.settings, &evidence, &flag);
                    give_back_freed_memory();
                    let took = job.asked_at.elapsed();
                    let diagnosis = result.as_ref().ok().map(|d| alert_diagnosis(d, took));
                    let alert = job.alert.map(|mut a| {
                        a.diagnosis.clone_from(&diagnosis);
                        a
                    });
                    let done = Finished {
                        target: job.request.target,
                        alert,
                        diagnosis,
                        result,
                        took,
                    };
                    if done_tx.send(done).is_err() {
                        break;
                    }
                }
            })
            .map_err(|source| DiagnoseError::Evidence {
                path: dir.clone(),
                source,
            })?;
        Ok(Diagnoser {
            tx: Some(tx),
            results,
            stop,
            handle: Some(handle),
            gate: Gate::new(settings.period),
            busy: HashSet::new(),
            refused: Vec::new(),
            settings,
            enabled: true,
        })
    }

    /// New settings (a config reload), used from the next diagnosis on; `None` turns
    /// diagnosing off (one under way finishes).
    pub fn set_settings(&mut self, settings: Option<DiagnoseSettings>) {
        if let Some(s) = &settings {
            self.gate.set_period(s.period);
        }
        self.enabled = settings.is_some();
        if let Some(s) = settings {
            self.settings = s;
        }
    }

    /// Queue a diagnosis of `request` for `alert` (`None`: for a restart before the OOM),
    /// unless one of that target is queued or running, or the period since its last one has
    /// not passed; then why not is among what [`Self::take`] returns next.
    pub fn submit(&mut self, request: Request, alert: Option<&Alert>) {
        if !self.enabled {
            return;
        }
        let target = request.target.clone();
        if let Err(e) = self.queue(request, alert) {
            self.refused.push(Finished {
                target,
                alert: alert.cloned(),
                diagnosis: None,
                result: Err(e),
                took: Duration::ZERO,
            });
        }
    }

    fn queue(&mut self, request: Request, alert: Option<&Alert>) -> Result<(), DiagnoseError> {
        if self.busy.contains(&request.target) {
            return Err(DiagnoseError::Skipped(format!(
                "a diagnosis of {} is already under way",
                request.target
            )));
        }
        self.gate.admit(&request.target, Instant::now())?;
        let target = request.target.clone();
        let job = Job {
            request,
            alert: alert.cloned(),
            settings: self.settings.clone(),
            asked_at: Instant::now(),
        };
        match &self.tx {
            Some(tx) if tx.send(job).is_ok() => {
                self.busy.insert(target);
                Ok(())
            }
            _ => Err(DiagnoseError::Stopped),
        }
    }

    /// The diagnoses that ended since the last call.
    pub fn take(&mut self) -> Vec<Finished> {
        let done: Vec<Finished> = self.results.try_iter().collect();
        for d in &done {
            self.busy.remove(&d.target);
        }
        let mut out = std::mem::take(&mut self.refused);
        out.extend(done);
        out
    }

    /// True while a diagnosis of `target` is queued or running.
    pub fn busy_with(&self, target: &str) -> bool {
        self.busy.contains(target)
    }

    /// True when diagnoses are asked for (not turned off by a config reload).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// True while a diagnosis is queued or running.
    pub fn busy(&self) -> bool {
        !self.busy.is_empty()
    }

    /// Stop: a diagnosis under way gives up its capture (an inspector it opened is closed
    /// once V8 has finished writing, which cannot stop half-way); wait for that up to
    /// `wait`. Returns what ended meanwhile.
    pub fn stop(&mut self, wait: Duration) -> Vec<Finished> {
        self.stop.store(true, Ordering::Relaxed);
        self.tx = None;
        if let Some(h) = self.handle.take() {
            let deadline = Instant::now() + wait;
            while !h.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
            if h.is_finished() {
                let _ = h.join();
            }
        }
        self.take()
    }
}

/// A diagnosis frees the snapshots it parsed, but glibc keeps freed small blocks in this
/// thread's arena: give them back, so that a watcher that diagnosed once (often in the
/// container whose memory it watches) does not stay that large.
fn give_back_freed_memory() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: malloc_trim only returns free memory to the kernel.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// What `d` named, as alerts carry it; `took` from the ask to the culprit.
pub fn alert_diagnosis(d: &Diagnosis, took: Duration) -> AlertDiagnosis {
    AlertDiagnosis {
        format: d.format.clone(),
        suspects: d
            .suspects
            .iter()
            .filter_map(|s| serde_json::to_value(s).ok())
            .collect(),
        evidence: d.evidence.iter().map(|p| p.display().to_string()).collect(),
        took_seconds: (took.as_secs_f64() * 10.0).round() / 10.0,
    }
}
