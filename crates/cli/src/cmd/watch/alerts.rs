//! Alert rules from the command line, and where alerts go: JSON lines on stderr and, with
//! `--webhook`, POSTs in the Alertmanager webhook format.

use std::time::Duration;

use clap::Args;
use leakscope_core::alert::{alertmanager_payload, names, Alert, AlertRules, AlertStatus};

use crate::units;

/// Alert thresholds; the defaults are the field's (DESIGN.md).
#[derive(Debug, Args, Clone)]
pub struct RuleArgs {
    /// Alert when memory is above this many bytes.
    #[arg(long, value_name = "BYTES", default_value = "500MB", value_parser = units::parse_bytes)]
    pub alert_above: f64,
    /// When the limit is known, alert above this fraction of it instead.
    #[arg(long, value_name = "FRACTION", default_value_t = 0.9)]
    pub alert_limit_fraction: f64,
    /// Alert when the floor grows faster than this many bytes per hour over --alert-window and
    /// recognition confirms a leak.
    #[arg(long, value_name = "BYTES", default_value = "50MB", value_parser = units::parse_bytes)]
    pub alert_growth: f64,
    /// The window of the growth alert.
    #[arg(long, value_name = "DURATION", default_value = "60m", value_parser = units::parse_duration)]
    pub alert_window: Duration,
    /// Alert when memory is this far above the post-warm-up baseline.
    #[arg(long, value_name = "BYTES", default_value = "200MB", value_parser = units::parse_bytes)]
    pub alert_baseline: f64,
    /// The warm-up after which the baseline is taken.
    #[arg(long, value_name = "DURATION", default_value = "5m", value_parser = units::parse_duration)]
    pub warmup: Duration,
    /// Alert when the supervised command restarted more than this many times.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub max_restarts: u32,
}

impl RuleArgs {
    /// The rules these flags describe.
    pub fn rules(&self) -> AlertRules {
        AlertRules {
            absolute_bytes: Some(self.alert_above),
            limit_fraction: Some(self.alert_limit_fraction),
            growth_bytes_per_hour: self.alert_growth,
            growth_window_seconds: self.alert_window.as_secs_f64(),
            baseline_excess_bytes: Some(self.alert_baseline),
            warmup_seconds: self.warmup.as_secs_f64(),
            max_restarts: self.max_restarts,
            ..AlertRules::default()
        }
    }
}

/// Rules for count series (goroutines): byte thresholds do not apply; growth alerts when
/// recognition confirms unbounded growth of the count.
pub fn count_rules(rules: &AlertRules) -> AlertRules {
    AlertRules {
        absolute_bytes: None,
        limit_fraction: None,
        baseline_excess_bytes: None,
        growth_bytes_per_hour: 1.0,
        ..rules.clone()
    }
}

/// True when any of `alerts` is a recognized-leak alert firing.
pub fn is_leak_alert(alerts: &[Alert]) -> bool {
    alerts
        .iter()
        .any(|a| a.status == AlertStatus::Firing && a.name == names::MEMORY_GROWTH_LEAK)
}

/// Sends alert transitions to stderr (JSON lines) and the webhook.
pub struct Output {
    webhook: Option<String>,
    quiet: bool,
    failures: u64,
}

impl Output {
    /// Alerts go to stderr, and to `webhook` when given.
    pub fn new(webhook: Option<String>, quiet: bool) -> Self {
        Self {
            webhook,
            quiet,
            failures: 0,
        }
    }

    /// Emit these transitions (firing or resolved).
    pub fn send(&mut self, alerts: &[Alert]) {
        if alerts.is_empty() {
            return;
        }
        for a in alerts {
            // Alerts are results, not chatter: printed even with -q.
            if let Ok(line) = serde_json::to_string(a) {
                eprintln!("{line}");
            }
        }
        let Some(url) = &self.webhook else { return };
        let payload = alertmanager_payload(alerts, "leakscope", "");
        if let Err(e) = leakscope_probe::http::post_json(url, &payload, Duration::from_secs(5)) {
            self.failures += 1;
            if !self.quiet {
                eprintln!(
                    "leakscope: cannot send the alert to {url} ({} failures so far): {e}",
                    self.failures
                );
            }
        }
    }
}
