//! The engine's side of `--diagnose`: a leak alert asks for a diagnosis of its target
//! ([`crate::diagnosis`] runs it off the sampling thread); what comes back is stored as an
//! event, said, and sent again with the alert, carrying the named culprit. What it found (or
//! why nothing) is also kept on the target, for a restart before its OOM to refer to.

use std::sync::Arc;

use leakscope_core::alert::{names, Alert, AlertStatus};
use leakscope_diagnose::{DiagnoseError, Request};

use super::mitigate::Captured;
use super::{Engine, Observer, Runner};
use crate::diagnosis::Finished;
use crate::fields::SeriesUnit;
use crate::source::SourceSpec;

impl Engine {
    /// Ask for a diagnosis of target `name` for each recognized-leak alert firing in `fired`.
    pub(super) fn ask_diagnosis(&mut self, name: &Arc<str>, fired: &[Alert]) {
        let Some(i) = self.slots.iter().position(|s| s.name == *name) else {
            return;
        };
        for a in fired {
            if a.status != AlertStatus::Firing || a.name != names::MEMORY_GROWTH_LEAK {
                continue;
            }
            let request = self.diagnosis_request(i, &a.series, a.value);
            if let Some(d) = self.diagnoser.as_mut() {
                d.submit(request, Some(a));
            }
        }
    }

    /// What a diagnosis of target `i` needs, for its series `field` growing
    /// `growth_bytes_per_hour` (ignored for a count series).
    pub(super) fn diagnosis_request(
        &self,
        i: usize,
        field: &str,
        growth_bytes_per_hour: f64,
    ) -> Request {
        let slot = &self.slots[i];
        let series = slot.judge.series.iter().find(|s| s.field == field);
        let bytes = series.is_some_and(|s| s.unit == SeriesUnit::Bytes);
        let pid = match &slot.runner {
            Runner::Local(src) => src.pid(),
            Runner::Remote(_) => None,
        };
        let given = slot.settings.as_ref().and_then(|s| s.pprof.clone());
        // A scrape target's pprof is looked for on its port (Go serves both there).
        let pprof = given.or_else(|| match slot.settings.as_ref().map(|s| &s.spec) {
            Some(SourceSpec::Scrape { url, .. }) => Some(url.clone()),
            _ => None,
        });
        Request {
            target: slot.name.to_string(),
            pid,
            pprof,
            // A count series (goroutines) gives no byte rate: the longest spacing.
            growth_bytes_per_hour: if bytes {
                growth_bytes_per_hour
            } else {
                f64::NAN
            },
            limit_bytes: self.limit.or(slot.limit),
            used_bytes: series.filter(|_| bytes).map(|s| s.last_value),
        }
    }

    /// Take the diagnoses that ended: store, say, and send the alert again with its culprit.
    pub(super) fn take_diagnoses(&mut self, obs: &mut dyn Observer) {
        let Some(d) = self.diagnoser.as_mut() else {
            return;
        };
        for f in d.take() {
            self.diagnosed(f, obs);
        }
    }

    pub(super) fn diagnosed(&mut self, f: Finished, obs: &mut dyn Observer) {
        let name: Arc<str> = Arc::from(f.target.as_str());
        let t = crate::now();
        let captured = match &f.result {
            Ok(d) => {
                let culprit = f
                    .diagnosis
                    .as_ref()
                    .and_then(|x| x.culprit())
                    .unwrap_or_else(|| "nothing that grew like a leak between the captures".into());
                let asked_by = if f.alert.is_some() {
                    "the alert"
                } else {
                    "the restart fell due"
                };
                obs.note(&format!(
                    "{}: diagnosis ({} captures, {:.0} s apart, {:.1} s after {asked_by}): {culprit}; evidence in {}",
                    f.target,
                    d.evidence.len(),
                    d.spacing_seconds,
                    f.took.as_secs_f64(),
                    d.evidence
                        .first()
                        .and_then(|p| p.parent())
                        .map(|p| p.display().to_string())
                        .unwrap_or_default()
                ));
                self.writer.event(
                    &name,
                    t,
                    "diagnosis",
                    serde_json::to_value(d).unwrap_or_default(),
                );
                if let Some(a) = &f.alert {
                    self.delivery.send(std::slice::from_ref(a));
                }
                f.diagnosis.clone().map(Captured::Named)
            }
            Err(e) => {
                let (kind, verb) = match e {
                    DiagnoseError::Skipped(_) => ("diagnosis_skipped", "skipped"),
                    _ => ("diagnosis_failed", "failed"),
                };
                obs.note(&format!("{}: diagnosis {verb}: {e}", f.target));
                self.writer.event(
                    &name,
                    t,
                    kind,
                    serde_json::json!({ "reason": e.to_string() }),
                );
                Some(Captured::Missing(format!("the diagnosis {verb}: {e}")))
            }
        };
        let busy = self
            .diagnoser
            .as_ref()
            .is_some_and(|d| d.busy_with(&f.target));
        if let (Some(c), Some(slot)) = (
            captured,
            self.slots.iter_mut().find(|s| s.active && s.name == name),
        ) {
            // Evidence in hand is not forgotten for a later refusal, nor is one under way
            // overtaken by the refusal of a second ask.
            let keep = matches!(slot.captured, Captured::Named(_))
                || (busy && matches!(c, Captured::Missing(_)));
            if !keep || matches!(c, Captured::Named(_)) {
                slot.captured = c;
            }
        }
    }
}
