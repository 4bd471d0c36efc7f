//! Alerts sent to Alertmanager's own API (`POST /api/v2/alerts`), so that its routing,
//! grouping, silences and inhibition apply: the alert payload, a client that posts to every
//! Alertmanager given (an HA pair gets each alert, as Prometheus does), and the bookkeeping
//! Alertmanager expects of a client — firing alerts re-sent while they fire, with an `endsAt`
//! a few resend intervals ahead (so they expire if leakscope stops), and a resolved alert
//! sent once with its `endsAt`.

use std::collections::BTreeMap;

use leakscope_core::alert::{self, names, Alert, AlertStatus, Recognition, Severity};
use leakscope_core::units::{format_bytes, format_duration};
use leakscope_core::VerdictKind;
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
    /// The alert for a watch transition `a`: the labels the webhook payload gives it (the
    /// target's or series' own, then `alertname`, `target`, `series`, `severity`) without
    /// `__name__`; its summary and what recognition said (growth, time to limit, pattern) as
    /// annotations; its own generator URL, else `generator_url`.
    pub fn from_alert(a: &Alert, generator_url: &str) -> Self {
        let mut labels = alert::labels(a);
        labels.remove(NAME);
        let mut annotations = Labels::new();
        annotations.insert("summary".into(), a.summary.clone());
        if let Some(r) = &a.recognition {
            alert::recognition_annotations(r, &mut annotations);
        }
        if let Some(d) = &a.diagnosis {
            alert::diagnosis_annotations(d, &mut annotations);
        }
        Self {
            labels,
            annotations,
            starts_at: a.starts_at,
            ends_at: match a.status {
                AlertStatus::Firing => None,
                AlertStatus::Resolved => a.ends_at.or(Some(a.starts_at)),
            },
            generator_url: a
                .generator_url
                .clone()
                .unwrap_or_else(|| generator_url.to_owned()),
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
        alert::recognition_annotations(&Recognition::from(&v.verdict), &mut annotations);
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
            "startsAt": alert::fmt_time(self.starts_at),
            "endsAt": alert::fmt_time(self.ends_at.unwrap_or(valid_until)),
            "generatorURL": self.generator_url,
        })
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

impl AmError {
    /// True for failures that may pass: nothing answered, a 5xx, 408 or 429. A 4xx says the
    /// alerts themselves are refused, which no retry changes.
    pub fn is_transient(&self) -> bool {
        match self {
            AmError::Unreachable { .. } => true,
            AmError::Refused { status, .. } => *status >= 500 || *status == 408 || *status == 429,
        }
    }
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

/// What a client owes Alertmanager over time: every firing alert again at least every
/// `resend_seconds` (so Alertmanager, which expires an alert at its `endsAt`, keeps it), and
/// each resolved alert with its `endsAt` until one send of it succeeds. Alerts go as a whole
/// set (Alertmanager dedupes on labels), so a failed send is simply tried again.
#[derive(Debug, Clone)]
pub struct Notifier {
    resend_seconds: f64,
    /// Firing alerts by label set.
    firing: BTreeMap<Labels, AmAlert>,
    /// Resolved alerts not yet delivered, by label set.
    resolved: BTreeMap<Labels, AmAlert>,
    /// When the set last reached Alertmanager, unix seconds.
    last_sent: f64,
    /// Something changed since then.
    changed: bool,
}

impl Notifier {
    /// Re-sends firing alerts every `resend_seconds` (Prometheus re-sends every minute).
    pub fn new(resend_seconds: f64) -> Self {
        Self {
            resend_seconds: resend_seconds.max(1.0),
            firing: BTreeMap::new(),
            resolved: BTreeMap::new(),
            last_sent: f64::NEG_INFINITY,
            changed: false,
        }
    }

    /// How long a firing alert stays valid without a re-send: four resend intervals, as
    /// Prometheus does.
    pub fn valid_until(&self, now: f64) -> f64 {
        now + 4.0 * self.resend_seconds
    }

    /// Takes a transition: an alert without `ends_at` fires (again, with fresh annotations;
    /// a repeat keeps its first start), one with `ends_at` is resolved.
    pub fn apply(&mut self, a: AmAlert) {
        let key = a.labels.clone();
        self.changed = true;
        if a.ends_at.is_some() {
            self.firing.remove(&key);
            self.resolved.insert(key, a);
            return;
        }
        self.resolved.remove(&key);
        let starts_at = self
            .firing
            .get(&key)
            .map_or(a.starts_at, |old| old.starts_at);
        self.firing.insert(key, AmAlert { starts_at, ..a });
    }

    /// Makes `firing` the whole set of firing alerts at `now`: those that stopped firing are
    /// resolved with `endsAt = now` (for a client that re-judges everything each time).
    pub fn set_firing(&mut self, now: f64, firing: Vec<AmAlert>) {
        let mut keep: BTreeMap<Labels, AmAlert> = BTreeMap::new();
        for a in firing {
            keep.insert(a.labels.clone(), a);
        }
        let gone: Vec<Labels> = self
            .firing
            .keys()
            .filter(|k| !keep.contains_key(*k))
            .cloned()
            .collect();
        for k in gone {
            if let Some(a) = self.firing.get(&k).cloned() {
                self.apply(AmAlert {
                    ends_at: Some(now),
                    ..a
                });
            }
        }
        for (_, a) in keep {
            let same = self.firing.get(&a.labels).is_some_and(|old| {
                old.annotations == a.annotations && old.generator_url == a.generator_url
            });
            if !same {
                self.apply(a);
            }
        }
    }

    /// The alerts to send at `now` — every firing one and every resolved one not yet
    /// delivered — when something changed since the last successful send or `resend_seconds`
    /// have passed with alerts firing; `None` when nothing is due.
    pub fn due(&self, now: f64) -> Option<Vec<AmAlert>> {
        let resend = !self.firing.is_empty() && now - self.last_sent >= self.resend_seconds;
        if !(self.changed || resend) || (self.firing.is_empty() && self.resolved.is_empty()) {
            return None;
        }
        Some(
            self.firing
                .values()
                .chain(self.resolved.values())
                .cloned()
                .collect(),
        )
    }

    /// What [`Notifier::due`] gave reached Alertmanager at `now`.
    pub fn sent(&mut self, now: f64) {
        self.resolved.clear();
        self.changed = false;
        self.last_sent = now;
    }

    /// Resolved alerts that cannot be delivered (Alertmanager refuses them): stop trying.
    pub fn drop_resolved(&mut self) {
        self.resolved.clear();
        self.changed = false;
    }

    /// Alerts firing now.
    pub fn firing(&self) -> impl Iterator<Item = &AmAlert> {
        self.firing.values()
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
    fn firing_alerts_are_resent_and_resolved_until_delivered() {
        let mut n = Notifier::new(60.0);
        assert!(n.due(1000.0).is_none(), "nothing to say");
        n.apply(alert("a"));
        n.apply(alert("b"));
        assert_eq!(
            n.due(1000.0).map(|d| d.len()),
            Some(2),
            "new alerts go at once"
        );
        n.sent(1000.0);
        assert!(n.due(1030.0).is_none(), "not yet due");
        let again = n.due(1060.0).expect("re-sent after the interval");
        assert_eq!(again.len(), 2);
        n.sent(1060.0);
        // b stops firing: it goes with its end, and the firing a with it.
        n.apply(AmAlert {
            ends_at: Some(1065.0),
            ..alert("b")
        });
        let d = n.due(1065.0).expect("a change goes at once");
        let b = d.iter().find(|a| a.labels["pod"] == "b").expect("b");
        assert_eq!(b.ends_at, Some(1065.0));
        // The send failed: it is still due, resolved b included.
        assert_eq!(n.due(1066.0).map(|d| d.len()), Some(2));
        n.sent(1067.0);
        let d = n.due(1127.0).expect("a is re-sent");
        assert_eq!(d.len(), 1, "b was delivered once");
        assert_eq!(d[0].labels["pod"], "a");
        assert_eq!(n.firing().count(), 1);
        let json = d[0].to_json(n.valid_until(1060.0));
        assert_eq!(
            json["endsAt"], "1970-01-01T00:21:40Z",
            "valid for 4 resend intervals"
        );
        assert_eq!(json["startsAt"], "1970-01-01T00:01:40Z");
    }

    #[test]
    fn a_whole_set_resolves_what_left_it() {
        let mut n = Notifier::new(60.0);
        n.set_firing(1000.0, vec![alert("a"), alert("b")]);
        n.sent(1000.0);
        n.set_firing(1010.0, vec![alert("a")]);
        let d = n.due(1010.0).expect("b resolved");
        assert_eq!(d.len(), 2);
        assert_eq!(
            d.iter()
                .find(|a| a.labels["pod"] == "b")
                .and_then(|a| a.ends_at),
            Some(1010.0)
        );
    }

    #[test]
    fn a_watch_alert_carries_its_labels_and_recognition() {
        let a = Alert {
            name: names::MEMORY_GROWTH_LEAK.into(),
            status: AlertStatus::Resolved,
            target: "api".into(),
            series: "rss_bytes".into(),
            severity: Severity::Warning,
            value: 2e7,
            threshold: 5e6,
            summary: "grows".into(),
            starts_at: 100.0,
            ends_at: Some(200.0),
            labels: [("pod".to_owned(), "p-1".to_owned())].into(),
            recognition: Some(Recognition {
                verdict: VerdictKind::Leak,
                pattern: leakscope_core::Pattern::LinearGrowth,
                growth_bytes_per_hour: 2e7,
                time_to_limit_seconds: Some(7200.0),
                confidence: 0.9,
                caveat: Some("only 3 h seen".into()),
            }),
            generator_url: None,
            diagnosis: Some(leakscope_core::alert::AlertDiagnosis {
                format: "v8".into(),
                suspects: vec![
                    serde_json::json!({"pattern": "unbounded-collection", "name": "profiles", "size_delta": 2e6, "count_delta": 900}),
                ],
                evidence: vec![],
                took_seconds: 20.0,
            }),
        };
        let am = AmAlert::from_alert(&a, "http://127.0.0.1:9464/metrics");
        assert_eq!(
            am.annotations["culprit"],
            "unbounded-collection profiles (+2.0 MB, +900)"
        );
        assert_eq!(am.labels["alertname"], "MemoryGrowthLeak");
        assert_eq!(am.labels["target"], "api");
        assert_eq!(am.labels["series"], "rss_bytes");
        assert_eq!(am.labels["pod"], "p-1");
        assert_eq!(am.annotations["pattern"], "linear-growth");
        assert_eq!(am.annotations["growth_bytes_per_hour"], "20000000");
        assert_eq!(am.annotations["time_to_limit_seconds"], "7200");
        assert_eq!(am.annotations["confidence"], "0.90");
        assert_eq!(am.annotations["caveat"], "only 3 h seen");
        assert_eq!(am.ends_at, Some(200.0));
        assert_eq!(am.generator_url, "http://127.0.0.1:9464/metrics");
    }
}
