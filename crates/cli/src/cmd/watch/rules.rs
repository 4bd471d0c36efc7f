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
    /// Resolve the growth alert only once its evidence has been gone this long without a
    /// break (the verdict no longer leak, or the rate under the threshold), as a Prometheus
    /// rule's `keep_firing_for`: one page per leak, not one per restart or dip of the rate
    /// [default: --alert-window].
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub alert_keep_firing_for: Option<Duration>,
    /// Whether the growth alert also asks the floor's trend recognition measured to be above
    /// --alert-growth, not only the window's rate (false: the rate alone, as before; a filling
    /// cache or a collector's tooth may then page) [default: true].
    #[arg(long, value_name = "BOOL")]
    pub alert_floor_confirms: Option<bool>,
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
            growth_keep_firing_seconds: secs(self.alert_keep_firing_for),
            growth_floor_confirms: self.alert_floor_confirms,
            baseline_excess_bytes: self.alert_baseline,
            warmup_seconds: secs(self.warmup),
            max_restarts: self.max_restarts,
        }
        .apply(base)
    }
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[derive(Parser)]
    struct Cmd {
        #[command(flatten)]
        rules: RuleArgs,
    }

    fn rules(args: &[&str]) -> AlertRules {
        let cmd = Cmd::try_parse_from(std::iter::once("watch").chain(args.iter().copied()))
            .unwrap_or_else(|e| panic!("{e}"));
        cmd.rules.apply(&AlertRules::default())
    }

    #[test]
    fn growth_rule_flags_change_the_rules() {
        let defaults = rules(&[]);
        assert_eq!(defaults, AlertRules::default());
        assert!(defaults.growth_floor_confirms);
        let r = rules(&["--alert-floor-confirms", "false"]);
        assert!(!r.growth_floor_confirms);
        let r = rules(&["--alert-keep-firing-for", "3h"]);
        assert_eq!(r.growth_keep_firing_seconds, Some(3.0 * 3600.0));
        let r = rules(&["--alert-keep-firing-for", "0s"]);
        assert_eq!(r.growth_keep_firing_seconds, Some(0.0));
        assert!(Cmd::try_parse_from(["watch", "--alert-floor-confirms", "maybe"]).is_err());
    }
}
