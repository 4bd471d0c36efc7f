//! `leakscope rules`: Prometheus recording and alerting rules approximating leakscope's
//! judgement, as a rule file or a PrometheusRule (prometheus-operator) resource.

use std::path::PathBuf;

use anyhow::Context;
use clap::builder::{PossibleValuesParser, TypedValueParser};
use clap::Args;
use leakscope_fleet::rules::{
    inline_alert_expr, is_duration, prometheus_rule_yaml, rule_file_yaml, RuleSpec,
};

use crate::cli::FormatChoice;
use crate::{out, units};

/// Flags of `rules`.
#[derive(Debug, Args)]
pub struct RulesArgs {
    /// `prometheus`: a rule file for `rule_files:`; `prometheus-rule`: a PrometheusRule resource
    /// for prometheus-operator (kube-prometheus-stack).
    // Clap passes values between a command's and its subcommands' options of the same id, and
    // the global --format (table|json|sarif) has this id: so this option's two values travel as
    // that type (prometheus = table, prometheus-rule = json), mapped back in `run`.
    #[arg(
        long = "format",
        id = "format",
        value_name = "FORMAT",
        default_value = "prometheus",
        value_parser = PossibleValuesParser::new(["prometheus", "prometheus-rule"])
            .map(|s| if s == "prometheus-rule" { FormatChoice::Json } else { FormatChoice::Table })
    )]
    pub format: FormatChoice,
    /// Write the rules to this file instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// The memory series the rules watch, bytes.
    #[arg(
        long,
        value_name = "PROMQL",
        default_value = r#"container_memory_working_set_bytes{container!=""}"#
    )]
    pub selector: String,
    /// Alert when the floor is higher than at the same hour yesterday by this much per hour.
    #[arg(long, value_name = "BYTES", default_value = "1MB", value_parser = units::parse_bytes)]
    pub min_growth: f64,
    /// How long the condition must hold before the alert fires.
    #[arg(long = "for", value_name = "DURATION", default_value = "1h")]
    pub for_duration: String,
    /// How long the alert keeps firing after its condition stops holding (Prometheus ≥ 2.42),
    /// so a leak whose floor dips once or whose process restarts stays one page; `0s` leaves
    /// the field out.
    #[arg(long, value_name = "DURATION", default_value = "1h")]
    pub keep_firing_for: String,
    /// The alert's `severity` label.
    #[arg(long, value_name = "SEVERITY", default_value = "warning")]
    pub severity: String,
    /// Name of the rule group.
    #[arg(long, value_name = "NAME", default_value = "leakscope")]
    pub group: String,
    /// metadata.name of the PrometheusRule.
    #[arg(long, value_name = "NAME", default_value = "leakscope")]
    pub name: String,
    /// metadata.namespace of the PrometheusRule.
    #[arg(long, value_name = "NAMESPACE", default_value = "monitoring")]
    pub namespace: String,
    /// A label on the PrometheusRule, `key=value` (repeatable): a Prometheus only loads rules
    /// its ruleSelector matches, e.g. `release=kube-prometheus-stack`.
    #[arg(long = "rule-label", value_name = "KEY=VALUE")]
    pub rule_labels: Vec<String>,
    /// Print only the alert's condition with the recorded series written out as subqueries,
    /// to evaluate once in the Prometheus UI (slow on a large fleet).
    #[arg(long)]
    pub inline_expr: bool,
}

/// Print or write the rules.
pub fn run(args: &RulesArgs) -> anyhow::Result<u8> {
    prometheus_duration("--for", &args.for_duration)?;
    prometheus_duration("--keep-firing-for", &args.keep_firing_for)?;
    let spec = RuleSpec {
        selector: args.selector.clone(),
        min_growth_bytes_per_hour: args.min_growth,
        for_duration: args.for_duration.clone(),
        keep_firing_for: args.keep_firing_for.clone(),
        severity: args.severity.clone(),
        group: args.group.clone(),
        ..RuleSpec::default()
    };
    let text = if args.inline_expr {
        inline_alert_expr(&spec, "5m")
    } else if args.format == FormatChoice::Json {
        let mut labels = Vec::new();
        for l in &args.rule_labels {
            let (k, v) = l
                .split_once('=')
                .with_context(|| format!("--rule-label `{l}` is not key=value"))?;
            labels.push((k.trim().to_owned(), v.trim().to_owned()));
        }
        prometheus_rule_yaml(&spec, &args.name, &args.namespace, &labels)
    } else {
        rule_file_yaml(&spec)
    };
    match &args.out {
        Some(path) => std::fs::write(path, &text)
            .with_context(|| format!("cannot write the rules to {}", path.display()))?,
        None => out::line(text.trim_end())?,
    }
    Ok(0)
}

/// Refuse what Prometheus would not read as a duration.
fn prometheus_duration(flag: &str, d: &str) -> anyhow::Result<()> {
    if !is_duration(d) {
        anyhow::bail!("{flag} `{d}` is not a Prometheus duration (e.g. 30m, 1h)");
    }
    Ok(())
}
