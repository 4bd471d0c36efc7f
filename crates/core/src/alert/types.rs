//! The alert types: rules' thresholds, target events, and the alert transitions.

use serde::{Deserialize, Serialize};

use crate::verdict::{Pattern, Verdict, VerdictKind};

/// The alert names (`alertname` label), a stable contract for users' routing rules.
pub mod names {
    /// Memory above the absolute threshold or the fraction of the limit.
    pub const MEMORY_ABOVE_THRESHOLD: &str = "MemoryAboveThreshold";
    /// Growth above the rate threshold, confirmed by recognition as a leak.
    pub const MEMORY_GROWTH_LEAK: &str = "MemoryGrowthLeak";
    /// Memory far above the post-warm-up baseline.
    pub const MEMORY_ABOVE_BASELINE: &str = "MemoryAboveBaseline";
    /// The kernel OOM killer killed the target.
    pub const OOM_KILLED: &str = "OomKilled";
    /// The watched process exited.
    pub const TARGET_EXITED: &str = "TargetExited";
    /// The target restarted too often.
    pub const TOO_MANY_RESTARTS: &str = "TooManyRestarts";
    /// The watcher restarted the target because its time to the memory limit fell below
    /// `--restart-before-oom`.
    pub const RESTARTED_BEFORE_OOM: &str = "RestartedBeforeOom";
}

/// The rules' thresholds, all configurable; [`Default`] holds the field's defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertRules {
    /// Fire when memory exceeds this many bytes (default 500 MB); `None` disables it. Used when
    /// no limit is known or `limit_fraction` is `None`.
    pub absolute_bytes: Option<f64>,
    /// When the memory limit is known, fire above this fraction of it instead (default 0.9).
    pub limit_fraction: Option<f64>,
    /// Growth rate that, confirmed as a leak, fires, in bytes per hour (default 50 MB/h).
    pub growth_bytes_per_hour: f64,
    /// Growth must also exceed this percentage of the series' baseline (its warm-up median;
    /// the oldest value in the window before the baseline is known) per hour, when set
    /// (default none). Per-target overrides use it: a bounded sawtooth that grows 120 %/h
    /// between resets, or a cache warming up at 40 %/h, gets a higher bar than a slow leak.
    #[serde(default)]
    pub growth_percent_per_hour: Option<f64>,
    /// The window the growth rate is measured over, seconds (default 3600).
    pub growth_window_seconds: f64,
    /// A firing growth alert's evidence is gone on recognition once the verdict has been
    /// `no_leak` for this long, seconds (default 900), so a verdict that flips does not flap
    /// the page; it is gone on the rate when the rate falls below `resolve_ratio` × the
    /// threshold. The page resolves when either has held `growth_keep_firing_seconds`.
    pub growth_clear_seconds: f64,
    /// The growth alert fires only once the verdict has been `leak` for this long without a
    /// break, seconds (default 0: at once), as a Prometheus rule's `for:`. A verdict that says
    /// leak for a moment on a level that wanders then pages no one; a real leak pages this
    /// much later.
    #[serde(default)]
    pub growth_for_seconds: f64,
    /// A firing growth alert resolves only once its evidence has been gone this long without
    /// a break, seconds, as a Prometheus rule's `keep_firing_for`: the verdict `no_leak` for
    /// `growth_clear_seconds`, or the window's rate below `resolve_ratio` × the threshold
    /// (default `None`: `growth_window_seconds`; `Some(0.0)`, at once, as before). A restart,
    /// a full collection or a quiet hour drops the window's rate under the line for up to a
    /// window while the leak goes on; resolving then and firing again as the next run grows
    /// is one page per restart, not per leak. Replayed over gen2 (`examples/pages_split.rs`,
    /// `KeepFiring`) the hour cuts the series whose page fires, resolves and fires again from
    /// 84 to 52 on dev8642 (leaks 54 -> 32), with the same first pages; a false page stays up
    /// about 2 h longer, and a leak that stopped is resolved an hour later.
    #[serde(default)]
    pub growth_keep_firing_seconds: Option<f64>,
    /// The growth alert fires only when the recognizer's floor trend
    /// ([`Verdict::growth_bytes_per_hour`], what the collector and eviction leave behind) is
    /// above the growth threshold as well as the last window's rate (default true). The
    /// window's least-squares rate rises on the filling side of every garbage-collector tooth
    /// and on a cache still filling, which settle back; memory that leaks raises the floor.
    /// Replayed over gen2 (`examples/pages_split.rs`, dev6161/dev1212/dev3434) it pages 11,
    /// 20 and 14 fewer of ~215 no-leak series, and 120 of the 121 leaks above the threshold
    /// that paged before, at the same median delay; leaks whose floor grows slower than the
    /// threshold (21-27 per split) no longer page on a window that caught a tooth.
    #[serde(default = "default_true")]
    pub growth_floor_confirms: bool,
    /// Fire when memory is this many bytes above the baseline (default 200 MB); `None`
    /// disables it.
    pub baseline_excess_bytes: Option<f64>,
    /// The baseline is the median of the samples in the first `warmup_seconds` after the first
    /// sample (default 300).
    pub warmup_seconds: f64,
    /// More than this many restarts within `restart_window_seconds` fires (default 5).
    pub max_restarts: u32,
    /// The window restarts are counted in, seconds (default 3600).
    pub restart_window_seconds: f64,
    /// How long an OOM kill alert stays firing after the last kill, seconds (default 600).
    pub oom_hold_seconds: f64,
    /// Hysteresis: a rate or threshold alert resolves only below this fraction of its threshold
    /// (default 0.95).
    pub resolve_ratio: f64,
}

impl Default for AlertRules {
    fn default() -> Self {
        Self {
            absolute_bytes: Some(500e6),
            limit_fraction: Some(0.9),
            growth_bytes_per_hour: 50e6,
            growth_percent_per_hour: None,
            growth_window_seconds: 3600.0,
            growth_clear_seconds: 900.0,
            growth_for_seconds: 0.0,
            growth_keep_firing_seconds: None,
            growth_floor_confirms: true,
            baseline_excess_bytes: Some(200e6),
            warmup_seconds: 300.0,
            max_restarts: 5,
            restart_window_seconds: 3600.0,
            oom_hold_seconds: 600.0,
            resolve_ratio: 0.95,
        }
    }
}

fn default_true() -> bool {
    true
}

/// The rules a user set (a config file's `[rules]`, a command's `--alert-*` flags): each one
/// given replaces the value underneath, the rest keep it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RuleOverrides {
    /// `alert_above`.
    pub absolute_bytes: Option<f64>,
    /// `alert_limit_fraction`.
    pub limit_fraction: Option<f64>,
    /// `alert_growth`.
    pub growth_bytes_per_hour: Option<f64>,
    /// `alert_growth_percent`.
    pub growth_percent_per_hour: Option<f64>,
    /// `alert_window`.
    pub growth_window_seconds: Option<f64>,
    /// `alert_for`.
    pub growth_for_seconds: Option<f64>,
    /// `alert_keep_firing_for`.
    pub growth_keep_firing_seconds: Option<f64>,
    /// `alert_floor_confirms`.
    pub growth_floor_confirms: Option<bool>,
    /// `alert_baseline`.
    pub baseline_excess_bytes: Option<f64>,
    /// `warmup`.
    pub warmup_seconds: Option<f64>,
    /// `max_restarts`.
    pub max_restarts: Option<u32>,
}

impl RuleOverrides {
    /// `base` with the rules that were set replacing its values.
    pub fn apply(&self, base: &AlertRules) -> AlertRules {
        let mut r = base.clone();
        if let Some(v) = self.absolute_bytes {
            r.absolute_bytes = Some(v);
        }
        if let Some(v) = self.limit_fraction {
            r.limit_fraction = Some(v);
        }
        if let Some(v) = self.growth_bytes_per_hour {
            r.growth_bytes_per_hour = v;
        }
        if let Some(v) = self.growth_percent_per_hour {
            r.growth_percent_per_hour = Some(v);
        }
        if let Some(v) = self.growth_window_seconds {
            r.growth_window_seconds = v;
        }
        if let Some(v) = self.growth_for_seconds {
            r.growth_for_seconds = v;
        }
        if let Some(v) = self.growth_keep_firing_seconds {
            r.growth_keep_firing_seconds = Some(v);
        }
        if let Some(v) = self.growth_floor_confirms {
            r.growth_floor_confirms = v;
        }
        if let Some(v) = self.baseline_excess_bytes {
            r.baseline_excess_bytes = Some(v);
        }
        if let Some(v) = self.warmup_seconds {
            r.warmup_seconds = v;
        }
        if let Some(v) = self.max_restarts {
            r.max_restarts = v;
        }
        r
    }
}

/// Something that happened to the target, as sources report it.
///
/// Counts are cumulative since the watch began (the first report counts in full, so a source
/// reading a long-lived counter such as cgroup `memory.events` should report the increase since
/// it started); a decrease is read as a counter reset. `Exited { oom_killed: true }` counts as
/// one OOM kill by itself (reporting the same kill again as `OomKill` only raises the count
/// shown in the alert; it still fires once).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TargetEvent {
    /// The process exited with `code`, or was killed by `signal`; `oom_killed` when the kernel
    /// OOM killer did it.
    Exited {
        /// Exit status, when it exited normally.
        code: Option<i32>,
        /// The terminating signal, when killed.
        signal: Option<i32>,
        /// Whether the OOM killer killed it.
        oom_killed: bool,
    },
    /// The target was restarted; `count` is the cumulative restart count.
    Restarted {
        /// Restarts so far (cumulative; a decrease is read as a counter reset).
        count: u64,
    },
    /// The watcher restarted the target before it ran out of memory; counted as a restart
    /// (`count` is the same cumulative count as [`TargetEvent::Restarted`]'s), not as an exit.
    RestartedBeforeOom {
        /// Restarts so far (cumulative, shared with `Restarted`).
        count: u64,
        /// The time to the memory limit that made it restart, seconds.
        time_to_limit_seconds: f64,
    },
    /// OOM kills seen; `count` is cumulative (e.g. cgroup `memory.events` `oom_kill`).
    OomKill {
        /// OOM kills so far (cumulative; a decrease is read as a counter reset).
        count: u64,
    },
}

/// Whether an alert starts or ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlertStatus {
    /// The condition started.
    Firing,
    /// The condition cleared.
    Resolved,
}

impl AlertStatus {
    /// `"firing"` or `"resolved"`, as Alertmanager spells them.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertStatus::Firing => "firing",
            AlertStatus::Resolved => "resolved",
        }
    }
}

/// How urgent an alert is (the `severity` label).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Severity {
    /// Look at it today.
    Warning,
    /// Look at it now: an OOM kill happened or is near.
    Critical,
}

impl Severity {
    /// `"warning"` or `"critical"`.
    pub fn as_str(self) -> &'static str {
        match self {
            Severity::Warning => "warning",
            Severity::Critical => "critical",
        }
    }
}

/// One alert transition (firing or resolved); one JSON line each on stderr.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    /// The alert name, one of [`names`].
    pub name: String,
    /// Firing or resolved.
    pub status: AlertStatus,
    /// The target name.
    pub target: String,
    /// The series (field) name, e.g. `rss_bytes`.
    pub series: String,
    /// Warning or critical.
    pub severity: Severity,
    /// The observed value: bytes, bytes per hour for growth, a count for events.
    pub value: f64,
    /// The threshold crossed, in the same unit as `value`.
    pub threshold: f64,
    /// One line for people.
    pub summary: String,
    /// When the condition started, unix seconds.
    pub starts_at: f64,
    /// When it cleared, unix seconds; `None` while firing.
    pub ends_at: Option<f64>,
    /// The target's own labels (a pod's `namespace`, `pod`, `container`), for receivers that
    /// route on them; empty for targets without any.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub labels: std::collections::BTreeMap<String, String>,
    /// What recognition said of the series when the alert was raised (pattern, floor growth,
    /// time to limit), for receivers' annotations; absent for alerts about events alone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recognition: Option<Recognition>,
    /// Where the series can be looked at (a Prometheus graph of it), Alertmanager's
    /// `generatorURL`; absent when there is no such place.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub generator_url: Option<String>,
    /// Evidence on the verdict (`watch --diagnose`): the culprit named from captures of the
    /// target; absent until a diagnosis has finished.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<AlertDiagnosis>,
}

/// The recognizer's view of a series, in brief, as an alert carries it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recognition {
    /// leak, no_leak or insufficient_data.
    pub verdict: VerdictKind,
    /// The recognized shape.
    pub pattern: Pattern,
    /// Trend of the floor, bytes per hour.
    pub growth_bytes_per_hour: f64,
    /// Seconds until the floor reaches the limit at that trend, when a limit is known.
    pub time_to_limit_seconds: Option<f64>,
    /// How sure recognition is, 0..1.
    pub confidence: f64,
    /// When the verdict might be wrong, in a sentence (little time seen, a daily cycle not
    /// yet ruled out, falls read as a collector's).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub caveat: Option<String>,
}

impl From<&Verdict> for Recognition {
    fn from(v: &Verdict) -> Self {
        Recognition {
            verdict: v.verdict,
            pattern: v.pattern,
            growth_bytes_per_hour: v.growth_bytes_per_hour,
            time_to_limit_seconds: v.time_to_limit_seconds,
            confidence: v.confidence,
            caveat: v.caveat.clone(),
        }
    }
}

/// What a diagnosis named, as an alert carries it: Heap JSON's `format` and `suspects`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AlertDiagnosis {
    /// `v8`, `pprof` or `tracemalloc`.
    pub format: String,
    /// Ranked culprits in the Heap JSON suspect shape (`pattern`, `name`, `retainer_path`,
    /// `count_delta`, `size_delta`, `advice`, ...), most likely first.
    pub suspects: Vec<serde_json::Value>,
    /// The captures kept (paths in the evidence directory), oldest first.
    #[serde(default)]
    pub evidence: Vec<String>,
    /// From the leak alert to the named culprit, seconds.
    #[serde(default)]
    pub took_seconds: f64,
}

impl AlertDiagnosis {
    /// The most likely culprit in one line: `unbounded-collection profiles (+12.3 MB, +5600)`;
    /// `None` when nothing was named.
    pub fn culprit(&self) -> Option<String> {
        let s = self.suspects.first()?;
        let text = |k: &str| s.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
        let num = |k: &str| s.get(k).and_then(serde_json::Value::as_f64).unwrap_or(0.0);
        Some(format!(
            "{} {} ({:+.1} MB, {:+.0})",
            text("pattern"),
            text("name"),
            num("size_delta") / 1e6,
            num("count_delta")
        ))
    }
}
