//! Alert rules: turn samples, recognition verdicts and target events into de-duplicated
//! firing/resolved transitions, and render them as an Alertmanager webhook payload.
//!
//! Pure: time comes with the samples and events (unix seconds); nothing here reads a clock.
//! One [`AlertState`] per target and series. Every rule fires once when its condition starts,
//! stays firing silently while it holds, and emits one `resolved` when it clears; threshold
//! rules clear only below [`AlertRules::resolve_ratio`] of their threshold (hysteresis), so a
//! value hovering at the line does not flap, and the growth rule only once its evidence has
//! been gone for [`AlertRules::growth_keep_firing_seconds`] (an hour by default), so a leak
//! whose process restarts, or whose rate dips, is one page until it is over.
//!
//! Rules and defaults (DESIGN.md, "What a leak is"):
//! - [`names::MEMORY_ABOVE_THRESHOLD`]: memory above 500 MB, or above 0.9 × the limit when known;
//! - [`names::MEMORY_GROWTH_LEAK`]: growth above 50 MB/h over the last 60 min **and** the
//!   recognizer's verdict is `leak` with its floor trend above 50 MB/h too (a filling cache,
//!   or the rising side of a collector's tooth, pages nobody);
//! - [`names::MEMORY_ABOVE_BASELINE`]: more than 200 MB above the baseline (median of the first
//!   5 min of samples);
//! - [`names::OOM_KILLED`]: an OOM kill was seen;
//! - [`names::TARGET_EXITED`]: the target exited (each exit fires; resolved when it runs again);
//! - [`names::TOO_MANY_RESTARTS`]: more than 5 restarts within an hour;
//! - [`names::RESTARTED_BEFORE_OOM`]: the watcher restarted the target before it ran out of
//!   memory (`--restart-before-oom`); held like an OOM kill, and counted as a restart.

mod payload;
mod types;
mod window;

pub use payload::{
    alertmanager_payload, diagnosis_annotations, fmt_time, labels, recognition_annotations,
};
pub use types::{
    names, Alert, AlertDiagnosis, AlertRules, AlertStatus, Recognition, RuleOverrides, Severity,
    TargetEvent,
};
pub use window::MAX_WINDOW_POINTS;

use window::Window;

use std::collections::VecDeque;

use crate::recognize::stats::median_mut;
use crate::series::Point;
use crate::units::format_bytes;
use crate::verdict::{Verdict, VerdictKind};

/// The index of each rule in [`AlertState`]'s firing table.
const RULES: [&str; 7] = [
    names::MEMORY_ABOVE_THRESHOLD,
    names::MEMORY_GROWTH_LEAK,
    names::MEMORY_ABOVE_BASELINE,
    names::OOM_KILLED,
    names::TARGET_EXITED,
    names::TOO_MANY_RESTARTS,
    names::RESTARTED_BEFORE_OOM,
];
/// The growth rule waits until the window spans this fraction of `growth_window_seconds`
/// ("over the last 60 minutes" means a full window, give or take a sample or two).
const GROWTH_MIN_SPAN: f64 = 0.95;

const THRESHOLD: usize = 0;
const GROWTH: usize = 1;
const BASELINE: usize = 2;
const OOM: usize = 3;
const EXITED: usize = 4;
const RESTARTS: usize = 5;
const MITIGATED: usize = 6;

/// A firing alert's start and what it fired with.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Firing {
    starts_at: f64,
    threshold: f64,
    severity: Severity,
}

/// The rule state of one target's series: the recent window, the baseline, what is firing.
/// Memory is bounded by [`MAX_WINDOW_POINTS`].
#[derive(Debug, Clone)]
pub struct AlertState {
    target: String,
    series: String,
    rules: AlertRules,
    limit_bytes: Option<f64>,
    /// Points within the last `growth_window_seconds`, oldest first.
    window: Window,
    first_t: Option<f64>,
    /// Samples of the warm-up period, until the baseline is fixed.
    warmup: Vec<f64>,
    baseline: Option<f64>,
    firing: [Option<Firing>; 7],
    last_value: f64,
    /// Since when the verdict has been `no_leak` without a break (growth-rule hysteresis).
    no_leak_since: Option<f64>,
    /// Since when the verdict has been `leak` without a break (the growth rule's `for`).
    leak_since: Option<f64>,
    /// Since when the growth alert's resolve condition (verdict cleared, or the window's rate
    /// below the resolve line) has held without a break (its `keep_firing_for`).
    ending_since: Option<f64>,
    /// Time of the last exit, while [`names::TARGET_EXITED`] fires.
    exited_at: Option<f64>,
    oom_count: Option<u64>,
    oom_total: u64,
    last_oom_at: f64,
    restart_count: Option<u64>,
    /// Times of recent restarts (at most `max_restarts + 1` kept).
    restarts: VecDeque<f64>,
    /// Time of the last restart before an OOM kill, while its alert is held.
    last_mitigated_at: f64,
}

impl AlertState {
    /// Rule state for `series` of `target`; `limit_bytes` is the memory limit when known.
    pub fn new(target: &str, series: &str, rules: AlertRules, limit_bytes: Option<f64>) -> Self {
        let window_seconds = rules.growth_window_seconds;
        Self {
            target: target.to_owned(),
            series: series.to_owned(),
            rules,
            limit_bytes: limit_bytes.filter(|l| l.is_finite() && *l > 0.0),
            window: Window::new(window_seconds),
            first_t: None,
            warmup: Vec::new(),
            baseline: None,
            firing: [None; 7],
            last_value: 0.0,
            no_leak_since: None,
            leak_since: None,
            ending_since: None,
            exited_at: None,
            oom_count: None,
            oom_total: 0,
            last_oom_at: f64::NEG_INFINITY,
            restart_count: None,
            restarts: VecDeque::new(),
            last_mitigated_at: f64::NEG_INFINITY,
        }
    }

    /// Set or change the known memory limit, bytes (e.g. a cgroup limit read later).
    pub fn set_limit_bytes(&mut self, limit_bytes: Option<f64>) {
        self.limit_bytes = limit_bytes.filter(|l| l.is_finite() && *l > 0.0);
    }

    /// Change the rules, keeping the window, the baseline and what is firing (a config
    /// reload). A new growth window length takes effect as the window refills.
    pub fn set_rules(&mut self, rules: AlertRules) {
        if rules.growth_window_seconds != self.rules.growth_window_seconds {
            let mut w = Window::new(rules.growth_window_seconds);
            for p in self.window.points() {
                w.push(p);
            }
            self.window = w;
        }
        self.rules = rules;
    }

    /// The growth threshold in force, bytes per hour: the absolute one, raised to the
    /// percentage of the baseline when [`AlertRules::growth_percent_per_hour`] is set.
    fn growth_threshold(&self) -> f64 {
        let abs = self.rules.growth_bytes_per_hour;
        match self.rules.growth_percent_per_hour {
            Some(pct) => {
                let reference = self.baseline.or_else(|| self.window.first_value());
                reference.map_or(abs, |r| abs.max(pct / 100.0 * r.abs()))
            }
            None => abs,
        }
    }

    /// The baseline, bytes, once the warm-up is over.
    pub fn baseline_bytes(&self) -> Option<f64> {
        self.baseline
    }

    /// Number of points held in the growth window (bounded by [`MAX_WINDOW_POINTS`] + 1).
    pub fn window_len(&self) -> usize {
        self.window.len()
    }

    /// The names of the alerts firing now.
    pub fn firing(&self) -> Vec<&'static str> {
        (0..RULES.len())
            .filter(|&i| self.firing[i].is_some())
            .map(|i| RULES[i])
            .collect()
    }

    /// The threshold in force for [`names::MEMORY_ABOVE_THRESHOLD`], bytes, with its severity.
    fn threshold(&self) -> Option<(f64, Severity)> {
        match (self.limit_bytes, self.rules.limit_fraction) {
            (Some(limit), Some(frac)) => Some((limit * frac, Severity::Critical)),
            _ => self.rules.absolute_bytes.map(|b| (b, Severity::Warning)),
        }
    }

    /// Feed the next sample (time order) with the recognizer's current verdict on the series;
    /// returns the alerts that started or ended at this sample.
    pub fn observe(&mut self, p: Point, verdict: &Verdict) -> Vec<Alert> {
        let mut out = Vec::new();
        if !p.t.is_finite() || !p.v.is_finite() {
            return out;
        }
        self.expire(p.t, &mut out);
        self.last_value = p.v;
        if self.exited_at.is_some_and(|t| p.t > t) {
            self.exited_at = None;
            self.resolve(EXITED, p.t, 0.0, &mut out);
        }
        self.window.push(p);
        self.update_baseline(p);

        // Absolute / limit threshold.
        if let Some((threshold, severity)) = self.threshold() {
            let summary = format!(
                "{} of {} is {}, above {}",
                self.series,
                self.target,
                format_bytes(p.v),
                format_bytes(threshold)
            );
            self.level(THRESHOLD, p, p.v, threshold, severity, summary, &mut out);
        }

        // Growth over the window, confirmed by recognition.
        let leak = verdict.verdict == VerdictKind::Leak && {
            let since = *self.leak_since.get_or_insert(p.t);
            p.t - since >= self.rules.growth_for_seconds
        };
        if verdict.verdict != VerdictKind::Leak {
            self.leak_since = None;
        }
        if verdict.verdict == VerdictKind::NoLeak {
            self.no_leak_since.get_or_insert(p.t);
        } else {
            self.no_leak_since = None;
        }
        let cleared = self
            .no_leak_since
            .is_some_and(|since| p.t - since >= self.rules.growth_clear_seconds);
        if leak || self.firing[GROWTH].is_some() {
            let rate = self
                .window
                .rate_per_hour(self.rules.growth_window_seconds * GROWTH_MIN_SPAN);
            let threshold = self.growth_threshold();
            // The page's evidence is gone when the verdict has cleared or the rate fell below
            // the resolve line; it resolves once that has held for `growth_keep_firing_seconds`
            // (a sample without a rate, after a gap, neither starts nor breaks the hold).
            match rate {
                _ if cleared => {
                    self.ending_since.get_or_insert(p.t);
                }
                Some(r) if r < threshold * self.rules.resolve_ratio => {
                    self.ending_since.get_or_insert(p.t);
                }
                Some(_) => self.ending_since = None,
                None => {}
            }
            let keep = self
                .rules
                .growth_keep_firing_seconds
                .unwrap_or(self.rules.growth_window_seconds);
            let ended = self.ending_since.is_some_and(|since| p.t - since >= keep);
            match (rate, self.firing[GROWTH].is_some()) {
                (Some(rate), false)
                    if leak
                        && rate > threshold
                        && (!self.rules.growth_floor_confirms
                            || verdict.growth_bytes_per_hour > threshold) =>
                {
                    self.ending_since = None;
                    let summary = format!(
                        "{} of {} grows {}/h over the last {:.0} min and is recognized as a leak ({})",
                        self.series,
                        self.target,
                        format_bytes(rate),
                        self.rules.growth_window_seconds / 60.0,
                        verdict.pattern
                    );
                    self.fire(
                        GROWTH,
                        p.t,
                        rate,
                        threshold,
                        Severity::Warning,
                        summary,
                        &mut out,
                    );
                }
                (rate, true) if ended => {
                    self.ending_since = None;
                    self.resolve(GROWTH, p.t, rate.unwrap_or(0.0), &mut out);
                }
                _ => {}
            }
        }

        // Excess over the baseline.
        if let (Some(baseline), Some(excess)) = (self.baseline, self.rules.baseline_excess_bytes) {
            let above = p.v - baseline;
            let summary = format!(
                "{} of {} is {} above its baseline of {} (limit {} above)",
                self.series,
                self.target,
                format_bytes(above),
                format_bytes(baseline),
                format_bytes(excess)
            );
            self.level(
                BASELINE,
                p,
                above,
                excess,
                Severity::Warning,
                summary,
                &mut out,
            );
        }
        out
    }

    /// Feed an event at `t` unix seconds; returns the alerts that started or ended.
    pub fn event(&mut self, t: f64, ev: TargetEvent) -> Vec<Alert> {
        let mut out = Vec::new();
        if !t.is_finite() {
            return out;
        }
        self.expire(t, &mut out);
        match ev {
            TargetEvent::Exited {
                code,
                signal,
                oom_killed,
            } => {
                if oom_killed {
                    self.oom(t, 1, &mut out);
                }
                self.exited_at = Some(t);
                if self.firing[EXITED].is_none() {
                    let how = match (code, signal) {
                        (_, Some(sig)) => format!("was killed by signal {sig}"),
                        (Some(code), None) => format!("exited with code {code}"),
                        (None, None) => "exited".to_owned(),
                    };
                    let severity = if code == Some(0) && !oom_killed {
                        Severity::Warning
                    } else {
                        Severity::Critical
                    };
                    let value = code.or(signal).map_or(0.0, f64::from);
                    let summary = format!("{} {how}", self.target);
                    self.fire(EXITED, t, value, 0.0, severity, summary, &mut out);
                }
            }
            TargetEvent::OomKill { count } => {
                let new = new_since(&mut self.oom_count, count);
                if new > 0 {
                    self.oom(t, new, &mut out);
                }
            }
            TargetEvent::RestartedBeforeOom {
                count,
                time_to_limit_seconds,
            } => {
                self.last_mitigated_at = t;
                if self.firing[MITIGATED].is_none() {
                    let summary = format!(
                        "{} was restarted by leakscope before it ran out of memory (memory {}, {:.0} s to its limit)",
                        self.target,
                        format_bytes(self.last_value),
                        time_to_limit_seconds
                    );
                    self.fire(
                        MITIGATED,
                        t,
                        time_to_limit_seconds,
                        0.0,
                        Severity::Warning,
                        summary,
                        &mut out,
                    );
                }
                self.restarted(t, count, &mut out);
            }
            TargetEvent::Restarted { count } => self.restarted(t, count, &mut out),
        }
        out
    }

    /// Restarts counted to `count` (cumulative) at `t`.
    fn restarted(&mut self, t: f64, count: u64, out: &mut Vec<Alert>) {
        let new = new_since(&mut self.restart_count, count);
        let keep = self.rules.max_restarts as usize + 1;
        for _ in 0..new.min(keep as u64) {
            self.restarts.push_back(t);
        }
        while self.restarts.len() > keep {
            self.restarts.pop_front();
        }
        let n = self.restarts.len();
        if n > self.rules.max_restarts as usize && self.firing[RESTARTS].is_none() {
            let summary = format!(
                "{} restarted more than {} times within {:.0} min",
                self.target,
                self.rules.max_restarts,
                self.rules.restart_window_seconds / 60.0
            );
            let max = f64::from(self.rules.max_restarts);
            self.fire(RESTARTS, t, n as f64, max, Severity::Critical, summary, out);
        }
    }

    /// The series is gone (its target or its Prometheus series no longer exists): resolve
    /// everything firing at `t`; returns those resolutions.
    pub fn clear(&mut self, t: f64) -> Vec<Alert> {
        let mut out = Vec::new();
        for rule in 0..RULES.len() {
            self.resolve(rule, t, self.last_value, &mut out);
        }
        self.exited_at = None;
        out
    }

    /// Resolve the alerts whose time has passed: OOM hold, restarts out of the window.
    fn expire(&mut self, t: f64, out: &mut Vec<Alert>) {
        if self.firing[OOM].is_some() && t >= self.last_oom_at + self.rules.oom_hold_seconds {
            self.resolve(OOM, t, self.oom_total as f64, out);
        }
        if self.firing[MITIGATED].is_some()
            && t >= self.last_mitigated_at + self.rules.oom_hold_seconds
        {
            self.resolve(MITIGATED, t, 0.0, out);
        }
        while self
            .restarts
            .front()
            .is_some_and(|&r| r <= t - self.rules.restart_window_seconds)
        {
            self.restarts.pop_front();
        }
        if self.firing[RESTARTS].is_some()
            && self.restarts.len() <= self.rules.max_restarts as usize
        {
            self.resolve(RESTARTS, t, self.restarts.len() as f64, out);
        }
    }

    /// `new` OOM kills at `t`.
    fn oom(&mut self, t: f64, new: u64, out: &mut Vec<Alert>) {
        self.oom_total += new;
        self.last_oom_at = t;
        if self.firing[OOM].is_none() {
            let summary = format!(
                "{} was killed by the OOM killer at {} (memory {})",
                self.target,
                fmt_time(t),
                format_bytes(self.last_value)
            );
            let total = self.oom_total as f64;
            self.fire(OOM, t, total, 0.0, Severity::Critical, summary, out);
        }
    }

    /// A level rule: fire above `threshold`, resolve below `resolve_ratio × threshold`.
    #[allow(clippy::too_many_arguments)]
    fn level(
        &mut self,
        rule: usize,
        p: Point,
        value: f64,
        threshold: f64,
        severity: Severity,
        summary: String,
        out: &mut Vec<Alert>,
    ) {
        match self.firing[rule] {
            None if value > threshold => {
                self.fire(rule, p.t, value, threshold, severity, summary, out)
            }
            Some(f) if value < f.threshold * self.rules.resolve_ratio => {
                self.resolve(rule, p.t, value, out)
            }
            _ => {}
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn fire(
        &mut self,
        rule: usize,
        t: f64,
        value: f64,
        threshold: f64,
        severity: Severity,
        summary: String,
        out: &mut Vec<Alert>,
    ) {
        self.firing[rule] = Some(Firing {
            starts_at: t,
            threshold,
            severity,
        });
        out.push(self.alert(rule, AlertStatus::Firing, value, summary, t, None));
    }

    fn resolve(&mut self, rule: usize, t: f64, value: f64, out: &mut Vec<Alert>) {
        if let Some(f) = self.firing[rule].take() {
            let summary = format!(
                "{} resolved for {} of {}",
                RULES[rule], self.series, self.target
            );
            let mut a = self.alert(
                rule,
                AlertStatus::Resolved,
                value,
                summary,
                f.starts_at,
                Some(t),
            );
            a.threshold = f.threshold;
            a.severity = f.severity;
            out.push(a);
        }
    }

    fn alert(
        &self,
        rule: usize,
        status: AlertStatus,
        value: f64,
        summary: String,
        starts_at: f64,
        ends_at: Option<f64>,
    ) -> Alert {
        let f = self.firing[rule];
        Alert {
            name: RULES[rule].to_owned(),
            status,
            target: self.target.clone(),
            series: self.series.clone(),
            severity: f.map_or(Severity::Warning, |f| f.severity),
            value,
            threshold: f.map_or(0.0, |f| f.threshold),
            summary,
            starts_at,
            ends_at,
            labels: std::collections::BTreeMap::new(),
            recognition: None,
            generator_url: None,
            diagnosis: None,
        }
    }

    /// Collect warm-up samples; fix the baseline (their median) once the warm-up is over.
    fn update_baseline(&mut self, p: Point) {
        if self.baseline.is_some() {
            return;
        }
        let first = *self.first_t.get_or_insert(p.t);
        if p.t - first < self.rules.warmup_seconds {
            // Bounded: with more than MAX samples in the warm-up, the first MAX make the median.
            if self.warmup.len() < MAX_WINDOW_POINTS {
                self.warmup.push(p.v);
            }
            return;
        }
        if self.warmup.is_empty() {
            self.warmup.push(p.v); // warm-up shorter than one interval: the first sample after
        }
        self.baseline = Some(median_mut(&mut self.warmup));
        self.warmup = Vec::new();
    }
}

/// How many new occurrences a cumulative counter shows; a decrease is a counter reset.
fn new_since(last: &mut Option<u64>, count: u64) -> u64 {
    let new = match *last {
        Some(prev) if count >= prev => count - prev,
        _ => count,
    };
    *last = Some(count);
    new
}
