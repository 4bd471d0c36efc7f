//! Prometheus recording and alerting rules that approximate leakscope's judgement in PromQL,
//! for teams that want Prometheus itself to page: the floor (the minimum over each hour, which
//! a GC sawtooth does not move), its growth since the same hour yesterday (a daily cycle
//! comes back to where it was), and whether that growth keeps its pace (a cache filling to
//! its bound slows down).
//!
//! This is a screen, not the recognizer: it has no notion of restarts, steps or bursts, and
//! it needs a day of history. `leakscope analyze --prometheus` judges the same series fully.

use std::fmt::Write as _;

use crate::labels::quote;

/// What the rules watch and their thresholds.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleSpec {
    /// The memory series, bytes (a selector), e.g.
    /// `container_memory_working_set_bytes{container!=""}`.
    pub selector: String,
    /// Floor growth since the same hour yesterday that fires, bytes per hour (default 1 MB/h,
    /// the recognizer's).
    pub min_growth_bytes_per_hour: f64,
    /// The last 6 hours must grow at least this fraction of the 6 hours before (default 0.45,
    /// the recognizer's plateau test): a filling cache slows down.
    pub min_pace: f64,
    /// How long the condition must hold before the alert fires (default `1h`).
    pub for_duration: String,
    /// How long the alert keeps firing after the condition stops holding (default `1h`, as
    /// the agent's page): a leak whose floor dips once, or whose process restarts, stays one
    /// page instead of resolving and firing again. Empty or `0s` leaves it out (Prometheus
    /// before 2.42 rejects the field).
    pub keep_firing_for: String,
    /// The `severity` label of the alert.
    pub severity: String,
    /// Name of the rule group.
    pub group: String,
}

impl Default for RuleSpec {
    fn default() -> Self {
        Self {
            selector: r#"container_memory_working_set_bytes{container!=""}"#.into(),
            min_growth_bytes_per_hour: 1e6,
            min_pace: 0.45,
            for_duration: "1h".into(),
            keep_firing_for: "1h".into(),
            severity: "warning".into(),
            group: "leakscope".into(),
        }
    }
}

/// Recorded series names.
pub mod names {
    /// The floor: minimum over the last hour.
    pub const FLOOR: &str = "leakscope:memory_floor_bytes:min1h";
    /// Growth of the floor since the same hour yesterday, bytes per hour.
    pub const GROWTH: &str = "leakscope:memory_floor_growth_bytes_per_hour:1d";
    /// Growth of the floor over the last 6 hours, bytes per hour.
    pub const GROWTH_RECENT: &str = "leakscope:memory_floor_growth_bytes_per_hour:deriv6h";
    /// The alert.
    pub const ALERT: &str = "LeakscopeMemoryLeak";
}

/// One rule of a group.
#[derive(Debug, Clone, PartialEq)]
pub enum Rule {
    /// `record: name` / `expr`.
    Record {
        /// The recorded series' name.
        name: String,
        /// PromQL.
        expr: String,
    },
    /// `alert: name` / `expr` / `for` / labels / annotations.
    Alert {
        /// The alert name.
        name: String,
        /// PromQL.
        expr: String,
        /// How long it must hold.
        for_duration: String,
        /// How long it keeps firing after it stops holding; `None`: not at all.
        keep_firing_for: Option<String>,
        /// Extra labels.
        labels: Vec<(String, String)>,
        /// Annotations (Go templates).
        annotations: Vec<(String, String)>,
    },
}

/// The rules of `spec`, in evaluation order.
pub fn rules(spec: &RuleSpec) -> Vec<Rule> {
    use names::*;
    let g = spec.min_growth_bytes_per_hour;
    vec![
        Rule::Record {
            name: FLOOR.into(),
            expr: format!("min_over_time({}[1h])", spec.selector.trim()),
        },
        Rule::Record {
            name: GROWTH.into(),
            expr: format!("({FLOOR} - {FLOOR} offset 1d) / 24"),
        },
        Rule::Record {
            name: GROWTH_RECENT.into(),
            expr: format!("deriv({FLOOR}[6h]) * 3600"),
        },
        Rule::Alert {
            name: ALERT.into(),
            expr: alert_expr(spec, GROWTH, GROWTH_RECENT, &format!("{GROWTH_RECENT} offset 6h")),
            for_duration: spec.for_duration.clone(),
            keep_firing_for: Some(spec.keep_firing_for.trim())
                .filter(|d| !is_zero_duration(d))
                .map(str::to_owned),
            labels: vec![("severity".into(), spec.severity.clone())],
            annotations: vec![
                (
                    "summary".into(),
                    "{{ $labels.namespace }}/{{ $labels.pod }}/{{ $labels.container }}: the memory floor grows {{ $value | humanize1024 }}B/h and keeps its pace (a leak?)".into(),
                ),
                (
                    "description".into(),
                    format!("The minimum over each hour of the memory series is higher than at the same hour yesterday by more than {} MB per hour, and it did not slow down over the last 6 hours. Judge it fully with `leakscope analyze --prometheus URL --query '<this series>' --range 7d`.", g / 1e6),
                ),
            ],
        },
    ]
}

/// Whether `d` is a Prometheus duration as the rules write one: digits and a unit (`30m`,
/// `1h`).
pub fn is_duration(d: &str) -> bool {
    let digits = d.trim_end_matches(['s', 'm', 'h', 'd', 'w', 'y']);
    !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit())
}

/// Whether a Prometheus duration is empty or zero (`0`, `0s`, `0m`, `0h`...).
fn is_zero_duration(d: &str) -> bool {
    d.bytes().all(|b| b == b'0' || b.is_ascii_alphabetic())
}

fn alert_expr(spec: &RuleSpec, growth: &str, recent: &str, recent_before: &str) -> String {
    format!(
        "{growth} > {g}\n  and {recent} > {pace} * {recent_before}",
        g = spec.min_growth_bytes_per_hour,
        pace = spec.min_pace,
    )
}

/// The alert's condition with the recorded series written out (subqueries at `step`), to
/// evaluate once on a server that has not been recording them (slow on a large fleet).
pub fn inline_alert_expr(spec: &RuleSpec, step: &str) -> String {
    let sel = spec.selector.trim();
    let floor = format!("min_over_time({sel}[1h])");
    let growth = format!("(({floor}) - min_over_time({sel}[1h] offset 1d)) / 24");
    let recent = format!("deriv(({floor})[6h:{step}]) * 3600");
    let recent_before = format!("(deriv(({floor})[6h:{step}] offset 6h) * 3600)");
    alert_expr(spec, &growth, &recent, &recent_before)
}

/// A rule file (`groups:`), as YAML, for `rule_files:` in prometheus.yml.
pub fn rule_file_yaml(spec: &RuleSpec) -> String {
    let mut out = String::from("groups:\n");
    write_groups(&mut out, spec, "");
    out
}

/// A PrometheusRule (prometheus-operator CRD) holding the same groups, named `name` in
/// `namespace`, with `labels` on it (a Prometheus picks rules by its `ruleSelector`).
pub fn prometheus_rule_yaml(
    spec: &RuleSpec,
    name: &str,
    namespace: &str,
    labels: &[(String, String)],
) -> String {
    let mut out = String::new();
    out.push_str("apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n");
    let _ = writeln!(out, "  name: {}", quote(name));
    let _ = writeln!(out, "  namespace: {}", quote(namespace));
    if !labels.is_empty() {
        out.push_str("  labels:\n");
        for (k, v) in labels {
            let _ = writeln!(out, "    {}: {}", quote(k), quote(v));
        }
    }
    out.push_str("spec:\n  groups:\n");
    write_groups(&mut out, spec, "  ");
    out
}

/// YAML of the groups (scalars double-quoted, which YAML reads as JSON strings).
fn write_groups(out: &mut String, spec: &RuleSpec, indent: &str) {
    let i = indent;
    let _ = writeln!(out, "{i}- name: {}", quote(&spec.group));
    let _ = writeln!(out, "{i}  rules:");
    for r in rules(spec) {
        match r {
            Rule::Record { name, expr } => {
                let _ = writeln!(out, "{i}  - record: {}", quote(&name));
                let _ = writeln!(out, "{i}    expr: {}", quote(&expr));
            }
            Rule::Alert {
                name,
                expr,
                for_duration,
                keep_firing_for,
                labels,
                annotations,
            } => {
                let _ = writeln!(out, "{i}  - alert: {}", quote(&name));
                let _ = writeln!(out, "{i}    expr: {}", quote(&expr));
                let _ = writeln!(out, "{i}    for: {}", quote(&for_duration));
                if let Some(d) = keep_firing_for {
                    let _ = writeln!(out, "{i}    keep_firing_for: {}", quote(&d));
                }
                let _ = writeln!(out, "{i}    labels:");
                for (k, v) in labels {
                    let _ = writeln!(out, "{i}      {}: {}", quote(&k), quote(&v));
                }
                let _ = writeln!(out, "{i}    annotations:");
                for (k, v) in annotations {
                    let _ = writeln!(out, "{i}      {}: {}", quote(&k), quote(&v));
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rule_file_quotes_every_scalar() {
        let y = rule_file_yaml(&RuleSpec::default());
        assert!(y.starts_with("groups:\n- name: \"leakscope\"\n  rules:\n"));
        assert!(y.contains(
            r#"expr: "min_over_time(container_memory_working_set_bytes{container!=\"\"}[1h])""#
        ));
        assert!(y.contains("alert: \"LeakscopeMemoryLeak\""));
        assert!(y.contains("    keep_firing_for: \"1h\"\n"));
        for zero in ["", "0s", " 0m "] {
            let spec = RuleSpec {
                keep_firing_for: zero.into(),
                ..RuleSpec::default()
            };
            assert!(
                !rule_file_yaml(&spec).contains("keep_firing_for"),
                "{zero:?}"
            );
        }
        let crd = prometheus_rule_yaml(
            &RuleSpec::default(),
            "leakscope",
            "monitoring",
            &[("release".into(), "kube-prometheus-stack".into())],
        );
        assert!(crd.contains("kind: PrometheusRule"));
        assert!(crd.contains("    \"release\": \"kube-prometheus-stack\"\n"));
        assert!(crd.contains("spec:\n  groups:\n  - name: \"leakscope\"\n    rules:\n"));
    }

    #[test]
    fn the_inline_expression_has_no_recorded_series() {
        let e = inline_alert_expr(&RuleSpec::default(), "5m");
        assert!(!e.contains("leakscope:"), "{e}");
        assert!(e.contains("offset 1d") && e.contains("[6h:5m] offset 6h"));
    }
}
