//! `run --diagnose`: once the soak's own recognizer calls the growth a leak, capture evidence
//! from the service while the load still runs, and put the named culprit into the verdict
//! and the report. One diagnosis per run, spaced to end before the load does.

use std::path::Path;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

use leakscope_diagnose::{DiagnoseError, DiagnoseSettings, Diagnosis, Evidence, Request};

/// The run's diagnosis: not asked yet, under way, or done.
pub struct RunDiagnosis {
    settings: DiagnoseSettings,
    evidence: Arc<Evidence>,
    target: String,
    pid: u32,
    pprof: Option<String>,
    limit: Option<f64>,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<Result<Diagnosis, DiagnoseError>>>,
    outcome: Option<Result<Diagnosis, DiagnoseError>>,
}

impl RunDiagnosis {
    /// Ready to diagnose process tree `pid` (or `pprof`), keeping evidence beside `db`.
    pub fn new(
        target: &str,
        pid: u32,
        pprof: Option<String>,
        limit: Option<f64>,
        db: &Path,
        stop: Arc<AtomicBool>,
    ) -> anyhow::Result<RunDiagnosis> {
        let settings = DiagnoseSettings::default();
        let evidence = Evidence::open(&Evidence::default_dir(db), settings.disk_budget_bytes)?;
        Ok(RunDiagnosis {
            settings,
            evidence: Arc::new(evidence),
            target: target.to_string(),
            pid,
            pprof,
            limit,
            stop,
            handle: None,
            outcome: None,
        })
    }

    /// True once asked (under way or done).
    pub fn asked(&self) -> bool {
        self.handle.is_some() || self.outcome.is_some()
    }

    /// True while capturing.
    pub fn running(&self) -> bool {
        self.handle.as_ref().is_some_and(|h| !h.is_finished())
    }

    /// A leak growing `growth_bytes_per_hour` was recognized with `remaining` of load left:
    /// start, with captures spaced to end a few seconds before the load does, or say why not
    /// when even the shortest spacing does not fit. (V8 snapshots stop the service and add
    /// their own length, so they may end a little after the load; the samples taken after
    /// it are not judged.)
    pub fn start(&mut self, growth_bytes_per_hour: f64, used_bytes: f64, remaining: Duration) {
        if self.asked() {
            return;
        }
        let mut settings = self.settings.clone();
        let gaps = settings.captures.saturating_sub(1).max(1);
        let fit = remaining.saturating_sub(Duration::from_secs(5)) / gaps;
        if fit < settings.min_spacing.min(Duration::from_secs(2)) {
            self.outcome = Some(Err(DiagnoseError::Skipped(format!(
                "the leak was recognized with {:.0} s of load left, too late for {} captures; lengthen --duration",
                remaining.as_secs_f64(),
                settings.captures
            ))));
            return;
        }
        settings.max_spacing = settings.max_spacing.min(fit);
        settings.min_spacing = settings.min_spacing.min(settings.max_spacing);
        let req = Request {
            target: self.target.clone(),
            pid: Some(self.pid),
            pprof: self.pprof.clone(),
            growth_bytes_per_hour,
            limit_bytes: self.limit,
            used_bytes: Some(used_bytes),
        };
        let (ev, stop) = (Arc::clone(&self.evidence), Arc::clone(&self.stop));
        self.handle = Some(std::thread::spawn(move || {
            leakscope_diagnose::diagnose(&req, &settings, &ev, &stop)
        }));
    }

    /// Wait for the diagnosis under way, and return what it found (`None`: never asked).
    pub fn finish(&mut self) -> Option<&Result<Diagnosis, DiagnoseError>> {
        if let Some(h) = self.handle.take() {
            self.outcome =
                Some(h.join().unwrap_or_else(|_| {
                    Err(DiagnoseError::Capture("the diagnosis panicked".into()))
                }));
        }
        self.outcome.as_ref()
    }
}

/// The report rows of a diagnosis: the culprit, its path, the advice, the evidence.
pub fn facts(outcome: &Result<Diagnosis, DiagnoseError>) -> Vec<(String, String)> {
    match outcome {
        Ok(d) => {
            let mut rows = Vec::new();
            match d.suspects.first() {
                Some(s) => {
                    rows.push((
                        "Culprit (diagnosis)".into(),
                        format!(
                            "{} {} ({}, {:+} objects between {} {} captures {:.0} s apart)",
                            s.pattern,
                            s.name,
                            leakscope_core::units::format_signed_bytes(s.size_delta as f64),
                            s.count_delta,
                            d.evidence.len(),
                            d.format,
                            d.spacing_seconds
                        ),
                    ));
                    if !s.retainer_path.is_empty() {
                        rows.push(("Held by".into(), s.retainer_path.join(" → ")));
                    }
                    rows.push(("Advice".into(), s.advice.clone()));
                }
                None => rows.push((
                    "Diagnosis".into(),
                    "nothing grew like a leak between the captures".into(),
                )),
            }
            rows.push((
                "Evidence".into(),
                d.evidence
                    .iter()
                    .map(|p| p.display().to_string())
                    .collect::<Vec<_>>()
                    .join(", "),
            ));
            rows
        }
        Err(e) => vec![("Diagnosis".into(), format!("none: {e}"))],
    }
}
