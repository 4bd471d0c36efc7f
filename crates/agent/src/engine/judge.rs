//! Judging a target's series as samples arrive: a streaming recognizer and the alert rules'
//! state per judged series, kept across config reloads.

use leakscope_core::alert::{names, Alert, AlertRules, AlertState, AlertStatus, TargetEvent};
use leakscope_core::{Point, Recognizer, Verdict};

use crate::fields::{self, SeriesUnit};
use crate::source::{Fields, Judged};

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

/// One judged series of a target.
pub struct Series {
    /// The field.
    pub field: String,
    /// Bytes or a count.
    pub unit: SeriesUnit,
    /// True for the target's primary memory series (byte thresholds and the limit apply).
    pub primary: bool,
    recognizer: Recognizer,
    alerts: AlertState,
    /// Time of the first sample, unix seconds.
    pub first_t: f64,
    /// The newest value.
    pub last_value: f64,
}

impl Series {
    fn new(
        target: &str,
        field: &str,
        unit: SeriesUnit,
        primary: bool,
        rules: &AlertRules,
        limit: Option<f64>,
        t: f64,
    ) -> Series {
        let limit = if primary { limit } else { None };
        Series {
            field: field.to_string(),
            unit,
            primary,
            recognizer: Recognizer::new(
                format!("{target}/{field}"),
                fields::recognize_options(unit, limit),
            ),
            alerts: AlertState::new(target, field, series_rules(unit, rules), limit),
            first_t: t,
            last_value: f64::NAN,
        }
    }

    /// The recognizer's verdict now.
    pub fn verdict(&self) -> Verdict {
        self.recognizer.verdict()
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
    /// The judged series, in the order they appeared.
    pub series: Vec<Series>,
    events_only: AlertState,
}

impl Judge {
    /// A judge for `target` with `rules`.
    pub fn new(target: &str, rules: AlertRules) -> Judge {
        Judge {
            target: target.to_string(),
            events_only: AlertState::new(target, "events", rules.clone(), None),
            rules,
            series: Vec::new(),
        }
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
            let k = match self.series.iter().position(|s| s.field == *field) {
                Some(k) => k,
                None => {
                    let primary_bytes =
                        is_primary || (unit == SeriesUnit::Bytes && named.is_some());
                    self.series.push(Series::new(
                        &self.target,
                        field,
                        unit,
                        primary_bytes,
                        &self.rules,
                        limit,
                        t,
                    ));
                    self.series.len() - 1
                }
            };
            let s = &mut self.series[k];
            if s.primary {
                s.alerts.set_limit_bytes(limit);
            }
            let p = Point::new(t, *v);
            s.last_value = *v;
            s.recognizer.push(p);
            let verdict = s.recognizer.verdict();
            out.extend(s.alerts.observe(p, &verdict));
        }
        out
    }

    /// An event at `t`: every series' rules see it (or the event-only state before any).
    pub fn event(&mut self, t: f64, ev: TargetEvent) -> Vec<Alert> {
        if self.series.is_empty() {
            return self.events_only.event(t, ev);
        }
        let mut out = Vec::new();
        for s in &mut self.series {
            out.extend(s.alerts.event(t, ev));
        }
        out
    }
}
