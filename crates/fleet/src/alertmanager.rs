//! Alerts sent to Alertmanager's own API (`POST /api/v2/alerts`), so that its routing,
//! grouping, silences and inhibition apply: the alert payload, a client that posts to every
//! Alertmanager given (an HA pair gets each alert, as Prometheus does), and the bookkeeping
//! Alertmanager expects of a client — firing alerts re-sent while they fire, with an `endsAt`
//! a few resend intervals ahead (so they expire if leakscope stops), and a resolved alert
//! sent once with its `endsAt`.

use std::collections::BTreeMap;

use leakscope_core::alert::{fmt_time, names, Alert, AlertStatus, Severity};
use leakscope_core::units::{format_bytes, format_duration};
use leakscope_core::{Verdict, VerdictKind};
use leakscope_probe::http;
use serde_json::{json, Value};

use crate::endpoint::Endpoint;
use crate::judge::FleetVerdict;
use crate::labels::{Labels, NAME};

/// One alert as Alertmanager's API takes it.
#[derive(Debug, Clone, PartialEq)]
pub struct AmAlert {
    /// `alertname`, `severity` and the target's labels.
    pub labels: Labels,
    /// `summary`, `growth_bytes_per_hour`, `time_to_limit`, `pattern`, ...
    pub annotations: Labels,
    /// When the condition started, unix seconds.
    pub starts_at: f64,
    /// When it ended (resolved), unix seconds; `None` while firing.
    pub ends_at: Option<f64>,
    /// A link back to where the alert comes from.
    pub generator_url: String,
}

impl AmAlert {
    /// The alert for a watch transition `a` of a target labeled `target_labels` (e.g.
    /// `{namespace, pod, container}`, or `{target, series}`), with the recognizer's verdict on
    /// the series when known (growth, time to limit, pattern).
    pub fn from_alert(
        a: &Alert,
        target_labels: &Labels,
        verdict: Option<&Verdict>,
        generator_url: &str,
    ) -> Self {
        let mut labels = target_labels.clone();
        labels.remove(NAME);
        labels.insert("alertname".into(), a.name.clone());
        labels.insert("severity".into(), a.severity.as_str().into());
        let mut annotations = Labels::new();
        annotations.insert("summary".into(), a.summary.clone());
        if let Some(v) = verdict {
            annotate(&mut annotations, v);
        }
        Self {
            labels,
            annotations,
            starts_at: a.starts_at,
            ends_at: match a.status {
                AlertStatus::Firing => None,
                AlertStatus::Resolved => a.ends_at.or(Some(a.starts_at)),
            },
            generator_url: generator_url.to_owned(),
        }
    }

    /// The alert for a fleet series judged a leak ([`names::MEMORY_GROWTH_LEAK`]): critical
    /// when it reaches its limit within `critical_within_seconds`, else a warning; `None` when
    /// the verdict is not a leak.
    pub fn from_verdict(
        v: &FleetVerdict,
        critical_within_seconds: f64,
        generator_url: &str,
    ) -> Option<Self> {
        if v.verdict.verdict != VerdictKind::Leak {
            return None;
        }
        let severity = match v.verdict.time_to_limit_seconds {
            Some(ttl) if ttl <= critical_within_seconds => Severity::Critical,
            _ => Severity::Warning,
        };
        let mut labels = v.labels.clone();
        labels.remove(NAME);
        labels.insert("alertname".into(), names::MEMORY_GROWTH_LEAK.into());
        labels.insert("severity".into(), severity.as_str().into());
        let mut annotations = Labels::new();
        let mut summary = format!(
            "{} leaks: its floor grows {}/h ({})",
            v.verdict.name,
            format_bytes(v.verdict.growth_bytes_per_hour),
            v.verdict.pattern
        );
        if let Some(ttl) = v.verdict.time_to_limit_seconds {
            summary.push_str(&format!("; limit in {}", format_duration(ttl)));
        }
        if let Some(c) = v
            .cohort
            .as_ref()
            .filter(|c| c.finding != crate::cohort::CohortKind::None)
        {
            annotations.insert("cohort".into(), c.summary.clone());
        }
        annotations.insert("summary".into(), summary);
        annotate(&mut annotations, &v.verdict);
        Some(Self {
            labels,
            annotations,
            starts_at: v.verdict.detected_at.unwrap_or(v.first_t),
            ends_at: None,
            generator_url: generator_url.to_owned(),
        })
    }

    /// The key Alertmanager dedupes on: the label set.
    pub fn key(&self) -> &Labels {
        &self.labels
    }

    /// The alert as one element of the `POST /api/v2/alerts` body; a firing alert carries
    /// `endsAt = valid_until` (Alertmanager resolves it by itself after that unless re-sent).
    pub fn to_json(&self, valid_until: f64) -> Value {
        json!({
            "labels": self.labels,
            "annotations": self.annotations,
            "startsAt": fmt_time(self.starts_at),
            "endsAt": fmt_time(self.ends_at.unwrap_or(valid_until)),
            "generatorURL": self.generator_url,
        })
    }
}

/// Growth, time to limit and pattern as annotations.
fn annotate(annotations: &mut Labels, v: &Verdict) {
    annotations.insert(
        "growth_bytes_per_hour".into(),
        format!("{:.0}", v.growth_bytes_per_hour),
    );
    annotations.insert("pattern".into(), v.pattern.as_str().into());
    annotations.insert(
        "time_to_limit".into(),
        v.time_to_limit_seconds
            .map_or_else(|| "unknown".into(), format_duration),
    );
    if let Some(ttl) = v.time_to_limit_seconds {
        annotations.insert("time_to_limit_seconds".into(), format!("{ttl:.0}"));
    }
}

/// Why posting to an Alertmanager failed.
#[derive(Debug, thiserror::Error)]
pub enum AmError {
    /// Nothing answered, or the URL is unusable.
    #[error("cannot reach Alertmanager at {url} ({detail}); check --alertmanager")]
    Unreachable {
        /// The request URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// Alertmanager refused the alerts.
    #[error("Alertmanager at {url} refused the alerts with HTTP {status} ({body})")]
    Refused {
        /// The request URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// Its explanation, shortened.
        body: String,
    },
}

/// The Alertmanagers alerts go to (`--alertmanager URL`, repeatable).
#[derive(Debug, Clone)]
pub struct Alertmanagers {
    endpoints: Vec<Endpoint>,
}

impl Alertmanagers {
    /// Alerts go to each of `endpoints` (base URLs).
    pub fn new(endpoints: Vec<Endpoint>) -> Self {
        Self { endpoints }
    }

    /// Posts `alerts` to every Alertmanager; one result per Alertmanager, in order.
    pub fn post(&self, alerts: &[AmAlert], valid_until: f64) -> Vec<Result<(), AmError>> {
        let body =
            Value::Array(alerts.iter().map(|a| a.to_json(valid_until)).collect()).to_string();
        self.endpoints
            .iter()
            .map(|e| {
                let target = e.url("/api/v2/alerts");
                let url = leakscope_core::redact::redact_text(&target).into_owned();
                let unreachable = |err: http::HttpError| AmError::Unreachable {
                    url: url.clone(),
                    detail: err.to_string(),
                };
                let resp = e
                    .client()
                    .map_err(unreachable)?
                    .post(&target, "application/json", body.as_bytes(), 1 << 20)
                    .map_err(unreachable)?;
                if (200..300).contains(&resp.status) {
                    Ok(())
                } else {
                    Err(AmError::Refused {
                        url,
                        status: resp.status,
                        body: String::from_utf8_lossy(&resp.body[..resp.body.len().min(200)])
                            .trim()
                            .to_owned(),
                    })
                }
            })
            .collect()
    }
}

/// What a client owes Alertmanager over time: new alerts at once, firing ones again every
/// `resend_seconds`, resolved ones once with their `endsAt`.
#[derive(Debug, Clone)]
pub struct Notifier {
    resend_seconds: f64,
    /// Firing alerts by label set, with when each was last sent.
    firing: BTreeMap<Labels, (AmAlert, f64)>,
}

impl Notifier {
    /// Re-sends firing alerts every `resend_seconds` (Prometheus re-sends every minute).
    pub fn new(resend_seconds: f64) -> Self {
        Self {
            resend_seconds: resend_seconds.max(1.0),
            firing: BTreeMap::new(),
        }
    }

    /// How long a firing alert stays valid without a re-send: four resend intervals, as
    /// Prometheus does.
    pub fn valid_until(&self, now: f64) -> f64 {
        now + 4.0 * self.resend_seconds
    }

    /// Given the alerts firing at `now`, the alerts to send now: those that started firing,
    /// those due a re-send, and those that stopped firing (resolved with `endsAt = now`).
    pub fn update(&mut self, now: f64, firing: Vec<AmAlert>) -> Vec<AmAlert> {
        let mut out = Vec::new();
        let mut next: BTreeMap<Labels, (AmAlert, f64)> = BTreeMap::new();
        for a in firing {
            let key = a.labels.clone();
            let (a, last) = match self.firing.remove(&key) {
                // Keep the original start; refresh annotations.
                Some((old, last)) => (
                    AmAlert {
                        starts_at: old.starts_at,
                        ..a
                    },
                    last,
                ),
                None => (a, f64::NEG_INFINITY),
            };
            let sent = if now - last >= self.resend_seconds {
                out.push(a.clone());
                now
            } else {
                last
            };
            next.insert(key, (a, sent));
        }
        for (_, (a, _)) in std::mem::take(&mut self.firing) {
            out.push(AmAlert {
                ends_at: Some(now),
                ..a
            });
        }
        self.firing = next;
        out
    }

    /// Alerts firing now.
    pub fn firing(&self) -> impl Iterator<Item = &AmAlert> {
        self.firing.values().map(|(a, _)| a)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alert(pod: &str) -> AmAlert {
        AmAlert {
            labels: [("alertname", "MemoryGrowthLeak"), ("pod", pod)]
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect(),
            annotations: Labels::new(),
            starts_at: 100.0,
            ends_at: None,
            generator_url: "http://x".into(),
        }
    }

    #[test]
    fn firing_alerts_are_resent_and_resolved_once() {
        let mut n = Notifier::new(60.0);
        let sent = n.update(1000.0, vec![alert("a"), alert("b")]);
        assert_eq!(sent.len(), 2, "new alerts go at once");
        assert!(
            n.update(1030.0, vec![alert("a"), alert("b")]).is_empty(),
            "not yet due"
        );
        let sent = n.update(1060.0, vec![alert("a")]);
        // a is due again; b stopped firing and is resolved now.
        assert_eq!(sent.len(), 2);
        let b = sent.iter().find(|a| a.labels["pod"] == "b").expect("b");
        assert_eq!(b.ends_at, Some(1060.0));
        let a = sent.iter().find(|a| a.labels["pod"] == "a").expect("a");
        assert_eq!(a.ends_at, None);
        assert!(n.update(1070.0, vec![alert("a")]).is_empty());
        assert_eq!(n.firing().count(), 1);
        let json = a.to_json(n.valid_until(1060.0));
        assert_eq!(
            json["endsAt"], "1970-01-01T00:21:40Z",
            "valid for 4 resend intervals"
        );
        assert_eq!(json["startsAt"], "1970-01-01T00:01:40Z");
    }
}
