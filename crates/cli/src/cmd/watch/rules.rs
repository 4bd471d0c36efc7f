//! Alert rules from the command line. Each flag, when given, overrides the config file's
//! value (or the field's default, DESIGN.md).

use std::time::Duration;

use clap::Args;
use leakscope_core::alert::{AlertRules, RuleOverrides};

use crate::units;

/// Alert thresholds; unset flags keep the config file's or the default values.
#[derive(Debug, Args, Clone, Default)]
pub struct RuleArgs {
    /// Alert when memory is above this many bytes [default: 500MB].
    #[arg(long, value_name = "BYTES", value_parser = units::parse_bytes)]
    pub alert_above: Option<f64>,
    /// When the limit is known, alert above this fraction of it instead [default: 0.9].
    #[arg(long, value_name = "FRACTION")]
    pub alert_limit_fraction: Option<f64>,
    /// Alert when the floor grows faster than this many bytes per hour over --alert-window and
    /// recognition confirms a leak [default: 50MB].
    #[arg(long, value_name = "BYTES", value_parser = units::parse_bytes)]
    pub alert_growth: Option<f64>,
    /// Also require growth above this percentage of the baseline per hour (e.g. 60 for a
    /// cache that warms up at 40 %/h).
    #[arg(long, value_name = "PERCENT")]
    pub alert_growth_percent: Option<f64>,
    /// The window of the growth alert [default: 60m].
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub alert_window: Option<Duration>,
    /// Fire the growth alert only once the verdict has said leak this long without a break,
    /// as a Prometheus rule's `for:` (e.g. 30m: fewer pages for a level that wanders, later
    /// ones for a leak) [default: 0s].
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub alert_for: Option<Duration>,
    /// Alert when memory is this far above the post-warm-up baseline [default: 200MB].
    #[arg(long, value_name = "BYTES", value_parser = units::parse_bytes)]
    pub alert_baseline: Option<f64>,
    /// The warm-up after which the baseline is taken [default: 5m].
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub warmup: Option<Duration>,
    /// Alert when the supervised command restarted more than this many times [default: 5].
    #[arg(long, value_name = "N")]
    pub max_restarts: Option<u32>,
}

impl RuleArgs {
    /// `base` with the flags that were given applied.
    pub fn apply(&self, base: &AlertRules) -> AlertRules {
        let secs = |d: Option<Duration>| d.map(|d| d.as_secs_f64());
        RuleOverrides {
            absolute_bytes: self.alert_above,
            limit_fraction: self.alert_limit_fraction,
            growth_bytes_per_hour: self.alert_growth,
            growth_percent_per_hour: self.alert_growth_percent,
            growth_window_seconds: secs(self.alert_window),
            growth_for_seconds: secs(self.alert_for),
            baseline_excess_bytes: self.alert_baseline,
            warmup_seconds: secs(self.warmup),
            max_restarts: self.max_restarts,
        }
        .apply(base)
    }
}
