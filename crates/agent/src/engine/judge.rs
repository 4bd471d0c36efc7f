//! Judging a target's series as samples arrive: a streaming recognizer and the alert rules'
//! state per judged series, kept across config reloads. Series a source judged itself (a
//! Prometheus query's, [`crate::source::JudgedSeries`]) bring their verdict and recent points
//! instead, and go through the same alert rules.

use std::collections::{HashMap, HashSet};

use leakscope_core::alert::{
    names, Alert, AlertRules, AlertState, AlertStatus, Recognition, TargetEvent,
};
use leakscope_core::{Point, Recognizer, Verdict};

use crate::fields::{self, SeriesUnit};
use crate::source::{Fields, Judged, JudgedSeries};

/// Rules for count series (goroutines): byte thresholds do not apply; growth alerts when
/// recognition confirms unbounded growth of the count.
pub fn count_rules(rules: &AlertRules) -> AlertRules {
    AlertRules {
        absolute_bytes: None,
        limit_fraction: None,
        baseline_excess_bytes: None,
        growth_bytes_per_hour: 1.0,
        growth_percent_per_hour: None,
        ..rules.clone()
    }
}

/// True when any of `alerts` is a recognized-leak alert firing.
pub fn is_leak_alert(alerts: &[Alert]) -> bool {
    alerts
        .iter()
        .any(|a| a.status == AlertStatus::Firing && a.name == names::MEMORY_GROWTH_LEAK)
}

/// Who judges a series.
enum Judgement {
    /// The streaming recognizer, fed each sample.
    Streaming(Box<Recognizer>),
    /// The source (the fleet judge over a trailing window): its latest verdict.
    Given(Box<Verdict>),
}

/// One judged series of a target.
pub struct Series {
    /// The field (for a series a source judged: its selector).
    pub field: String,
    /// Bytes or a count.
    pub unit: SeriesUnit,
    /// True for the target's primary memory series (byte thresholds and the limit apply).
    pub primary: bool,
    judgement: Judgement,
    alerts: AlertState,
    /// Time of the first sample, unix seconds.
    pub first_t: f64,
    /// The newest value.
    pub last_value: f64,
    /// Time of the newest point taken, unix seconds.
    last_t: f64,
    /// The series' own labels (a Prometheus series'), on its alerts.
    pub labels: Vec<(String, String)>,
    /// Where it can be looked at (a Prometheus graph), on its alerts.
    link: Option<String>,
}

impl Series {
    #[allow(clippy::too_many_arguments)]
    fn new(
        target: &str,
        field: &str,
        unit: SeriesUnit,
        primary: bool,
        rules: &AlertRules,
        limit: Option<f64>,
        min_span_seconds: Option<f64>,
        t: f64,
    ) -> Series {
        let limit = if primary { limit } else { None };
        let mut opts = fields::recognize_options(unit, limit);
        if let Some(span) = min_span_seconds {
            // As `analyze --min-span`: buckets fine enough for the shorter span.
            opts.min_span_seconds = span;
            opts.bucket_seconds = (span / 20.0).clamp(0.5, 60.0);
        }
        Series {
            field: field.to_string(),
            unit,
            primary,
            judgement: Judgement::Streaming(Box::new(Recognizer::new(
                format!("{target}/{field}"),
                opts,
            ))),
            alerts: AlertState::new(target, field, series_rules(unit, rules), limit),
            first_t: t,
            last_value: f64::NAN,
            last_t: f64::NEG_INFINITY,
            labels: Vec::new(),
            link: None,
        }
    }

    /// The verdict now: the recognizer's, or the one the source gave.
    pub fn verdict(&self) -> Verdict {
        match &self.judgement {
            Judgement::Streaming(r) => r.verdict(),
            Judgement::Given(v) => (**v).clone(),
        }
    }

    /// What the alerts of this series carry besides the rule's own fields: its labels, what
    /// recognition says, its link.
    fn decorate(&self, alerts: &mut [Alert]) {
        if alerts.is_empty() {
            return;
        }
        let recognition = Recognition::from(&self.verdict());
        for a in alerts {
            a.labels.extend(self.labels.iter().cloned());
            a.recognition = Some(recognition.clone());
            if a.generator_url.is_none() {
                a.generator_url = self.link.clone();
            }
        }
    }
}

fn series_rules(unit: SeriesUnit, rules: &AlertRules) -> AlertRules {
    match unit {
        SeriesUnit::Bytes => rules.clone(),
        SeriesUnit::Count => count_rules(rules),
    }
}

/// The judged series of one target, and its event-only alert state (for events before any
/// series exists).
pub struct Judge {
    target: String,
    rules: AlertRules,
    /// The shortest span recognition judges, seconds (default: the recognizer's, 20 min).
    min_span_seconds: Option<f64>,
    /// The judged series, in the order they appeared.
    pub series: Vec<Series>,
    /// Where each series is in `series`, by field.
    index: HashMap<String, usize>,
    events_only: AlertState,
}

impl Judge {
    /// A judge for `target` with `rules`.
    pub fn new(target: &str, rules: AlertRules) -> Judge {
        Judge {
            target: target.to_string(),
            events_only: AlertState::new(target, "events", rules.clone(), None),
            rules,
            min_span_seconds: None,
            series: Vec::new(),
            index: HashMap::new(),
        }
    }

    /// Let recognition judge series from `seconds` of samples on (series already judged keep
    /// theirs).
    pub fn set_min_span(&mut self, seconds: Option<f64>) {
        self.min_span_seconds = seconds;
    }

    /// Change the rules (a config reload), keeping every series' history.
    pub fn set_rules(&mut self, rules: AlertRules) {
        for s in &mut self.series {
            s.alerts.set_rules(series_rules(s.unit, &rules));
        }
        self.events_only.set_rules(rules.clone());
        self.rules = rules;
    }

    /// Judge a sample of `fields` at `t`; `limit` is the memory limit when known. Returns the
    /// alert transitions.
    pub fn sample(
        &mut self,
        t: f64,
        fields_now: &Fields,
        judged: &Judged,
        limit: Option<f64>,
    ) -> Vec<Alert> {
        let mut out = Vec::new();
        let primary = fields::primary(fields_now.iter().map(|(f, _)| f.as_str()));
        for (field, v) in fields_now {
            let is_primary = primary == Some(field.as_str());
            let named = judged.iter().find(|(f, _)| f == field).map(|(_, u)| *u);
            let unit = match (is_primary, named) {
                (_, Some(u)) => u,
                (true, None) => SeriesUnit::Bytes,
                (false, None) if fields::COUNT_FIELDS.contains(&field.as_str()) => {
                    SeriesUnit::Count
                }
                _ => continue,
            };
            let k = match self.index.get(field) {
                Some(&k) => k,
                None => {
                    let primary_bytes =
                        is_primary || (unit == SeriesUnit::Bytes && named.is_some());
                    self.push(Series::new(
                        &self.target,
                        field,
                        unit,
                        primary_bytes,
                        &self.rules,
                        limit,
                        self.min_span_seconds,
                        t,
                    ))
                }
            };
            let s = &mut self.series[k];
            if s.primary {
                s.alerts.set_limit_bytes(limit);
                if let Judgement::Streaming(r) = &mut s.judgement {
                    r.set_limit_bytes(limit);
                }
            }
            let p = Point::new(t, *v);
            s.last_value = *v;
            s.last_t = t;
            let verdict = match &mut s.judgement {
                Judgement::Streaming(r) => {
                    r.push(p);
                    r.verdict()
                }
                Judgement::Given(v) => (**v).clone(),
            };
            let mut fired = s.alerts.observe(p, &verdict);
            s.decorate(&mut fired);
            out.extend(fired);
        }
        out
    }

    fn push(&mut self, s: Series) -> usize {
        self.index.insert(s.field.clone(), self.series.len());
        self.series.push(s);
        self.series.len() - 1
    }

    /// A series the source judged itself: its verdict replaces the last, its points newer
    /// than those already taken go through the alert rules (a memory series: the byte
    /// thresholds and `limit` apply, or its own limit when the source knows it). Returns the
    /// alert transitions and the series.
    pub fn given(&mut self, js: JudgedSeries, limit: Option<f64>) -> (Vec<Alert>, &Series) {
        let k = match self.index.get(&js.name) {
            Some(&k) => k,
            None => {
                let s = Series::new(
                    &self.target,
                    &js.name,
                    SeriesUnit::Bytes,
                    true,
                    &self.rules,
                    None,
                    None,
                    js.first_t,
                );
                self.push(s)
            }
        };
        let s = &mut self.series[k];
        s.alerts.set_limit_bytes(js.verdict.limit_bytes.or(limit));
        s.labels = js.labels;
        s.link = js.link;
        let verdict = js.verdict;
        let mut out = Vec::new();
        let seen = s.last_t;
        for p in js.points.into_iter().filter(|p| p.t > seen) {
            s.last_value = p.v;
            s.last_t = p.t;
            out.extend(s.alerts.observe(p, &verdict));
        }
        s.judgement = Judgement::Given(Box::new(verdict));
        s.decorate(&mut out);
        (out, &self.series[k])
    }

    /// After a judgement by the source that listed `present`: the series it judged before and
    /// no longer lists are gone — their firing alerts resolve at `t`. Returns those
    /// resolutions and the fields of the series dropped.
    pub fn gone(&mut self, t: f64, present: &HashSet<String>) -> (Vec<Alert>, Vec<String>) {
        let mut out = Vec::new();
        let mut dropped = Vec::new();
        for s in &mut self.series {
            if matches!(s.judgement, Judgement::Given(_)) && !present.contains(&s.field) {
                let mut resolved = s.alerts.clear(t);
                s.decorate(&mut resolved);
                out.extend(resolved);
                dropped.push(s.field.clone());
            }
        }
        if !dropped.is_empty() {
            self.series.retain(|s| {
                !matches!(s.judgement, Judgement::Given(_)) || present.contains(&s.field)
            });
            self.index = self
                .series
                .iter()
                .enumerate()
                .map(|(i, s)| (s.field.clone(), i))
                .collect();
        }
        (out, dropped)
    }

    /// An event at `t`: every series' rules see it (or the event-only state before any).
    pub fn event(&mut self, t: f64, ev: TargetEvent) -> Vec<Alert> {
        if self.series.is_empty() {
            return self.events_only.event(t, ev);
        }
        let mut out = Vec::new();
        for s in &mut self.series {
            let mut fired = s.alerts.event(t, ev);
            s.decorate(&mut fired);
            out.extend(fired);
        }
        out
    }

    /// The target is no longer watched (removed by a reload): everything firing resolves at
    /// `t`, so no receiver keeps paging for it.
    pub fn clear(&mut self, t: f64) -> Vec<Alert> {
        let mut out = self.events_only.clear(t);
        for s in &mut self.series {
            let mut resolved = s.alerts.clear(t);
            s.decorate(&mut resolved);
            out.extend(resolved);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leakscope_core::{recognize, RecognizeOptions, VerdictKind};

    /// A Prometheus-like series judged by the source: 8 h of `growth` bytes/h from 100 MB.
    fn judged(name: &str, growth: f64, end: f64) -> JudgedSeries {
        let points: Vec<Point> = (0..=960)
            .map(|i| {
                let t = end - 8.0 * 3600.0 + 30.0 * f64::from(i);
                let h = 30.0 * f64::from(i) / 3600.0;
                Point::new(t, 1e8 + growth * h + 4e6 * f64::from(i % 9) / 9.0)
            })
            .collect();
        let verdict = recognize(name, &points, &RecognizeOptions::default());
        let recent = points
            .iter()
            .copied()
            .filter(|p| p.t >= end - 4000.0)
            .collect();
        JudgedSeries {
            name: name.into(),
            labels: vec![("pod".into(), name.into())],
            points: recent,
            verdict,
            link: Some(format!("http://prom/graph?g0.expr={name}")),
            first_t: end - 8.0 * 3600.0,
        }
    }

    #[test]
    fn given_series_go_through_the_rules_once_and_resolve_when_gone() {
        let mut j = Judge::new("shop", AlertRules::default());
        let end = 1_700_000_000.0;
        let leak = judged("app", 60e6, end);
        assert_eq!(leak.verdict.verdict, VerdictKind::Leak);
        let fixed = judged("proxy", 0.0, end);
        let (fired, _) = j.given(leak.clone(), None);
        let (quiet, _) = j.given(fixed.clone(), None);
        assert!(quiet.is_empty(), "{quiet:?}");
        let growth: Vec<&Alert> = fired
            .iter()
            .filter(|a| a.name == names::MEMORY_GROWTH_LEAK)
            .collect();
        assert_eq!(growth.len(), 1, "{fired:?}");
        let a = growth[0];
        assert_eq!(a.status, AlertStatus::Firing);
        assert_eq!(a.labels.get("pod").map(String::as_str), Some("app"));
        assert!(a.recognition.is_some());
        assert_eq!(
            a.generator_url.as_deref(),
            Some("http://prom/graph?g0.expr=app")
        );
        // The same judgement again (the next --every with no new points): no new transition.
        let (again, _) = j.given(leak, None);
        assert!(again.is_empty(), "deduped: {again:?}");
        // The next judgement lists only proxy: app is gone, its alert resolves with ends_at.
        let present: HashSet<String> = ["proxy".to_string()].into();
        let (resolved, dropped) = j.gone(end + 300.0, &present);
        assert_eq!(dropped, vec!["app".to_string()]);
        assert!(resolved.iter().any(|a| a.name == names::MEMORY_GROWTH_LEAK
            && a.status == AlertStatus::Resolved
            && a.ends_at == Some(end + 300.0)
            && a.labels.get("pod").map(String::as_str) == Some("app")));
        assert_eq!(j.series.len(), 1);
        // A target removed by a reload resolves whatever still fires.
        let (fired, _) = j.given(judged("app", 60e6, end + 600.0), None);
        assert!(!fired.is_empty());
        let cleared = j.clear(end + 900.0);
        assert!(
            cleared
                .iter()
                .any(|a| a.name == names::MEMORY_GROWTH_LEAK && a.status == AlertStatus::Resolved),
            "{cleared:?}"
        );
    }
}
