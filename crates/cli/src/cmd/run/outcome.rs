//! The end of a soak: the verdict with the run's numbers — bytes per request, baseline and
//! final memory, requests and errors — in the Verdict JSON contract with run fields added.

use leakscope_core::recognize::stats::median_mut;
use leakscope_core::{Point, Verdict, VerdictKind};
use serde::Serialize;

use crate::render::table::Table;
use crate::units;

/// The verdict of one soak, as `run --format json` prints it inside `{"series": [...]}`.
#[derive(Debug, Clone, Serialize)]
pub struct RunVerdict {
    /// The recognizer's verdict on the post-warm-up series.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// What was measured: `heap_used_after_gc_bytes`, a /metrics heap, or `rss_bytes`.
    pub signal: String,
    /// Memory growth per request served after warm-up, bytes (robust slope of memory over the
    /// request count); null when requests are unknown (`--load-cmd`) or none were served.
    pub bytes_per_request: Option<f64>,
    /// Memory at the end of warm-up, bytes.
    pub baseline_bytes: Option<f64>,
    /// Memory at the end of the run, bytes.
    pub final_bytes: Option<f64>,
    /// Requests completed (any status); null with `--load-cmd`.
    pub requests: Option<u64>,
    /// Requests that failed: HTTP 4xx/5xx, refused connections, timeouts.
    pub errors: Option<u64>,
    /// errors / requests, 0..1.
    pub error_rate: Option<f64>,
    /// Mean requests per second over the run.
    pub requests_per_second: Option<f64>,
    /// Seconds the load ran, warm-up included.
    pub duration_seconds: f64,
    /// Seconds of warm-up.
    pub warmup_seconds: f64,
    /// `--fail-above`, bytes, when given.
    pub fail_above_bytes: Option<f64>,
    /// True when memory ended more than `--fail-above` above the baseline.
    pub failed_fail_above: bool,
    /// How the service ended: `stopped` (by leakscope at the end), or how it died.
    pub service_end: String,
    /// True when the run was cut short (Ctrl-C, or the service died).
    pub partial: bool,
    /// True when the service died during the soak for a reason other than an OOM kill.
    pub service_crashed: bool,
    /// `--diagnose`: `{"format", "suspects", "evidence", ...}` (Heap JSON suspects) when a
    /// diagnosis ran, `{"skipped"|"error": reason}` when it could not; absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub diagnosis: Option<serde_json::Value>,
}

impl RunVerdict {
    /// Exit code: 2 when the service crashed (not OOM) mid-soak, 1 for a leak (an OOM kill
    /// counts) or a `--fail-above` failure, else 0.
    pub fn exit_code(&self) -> u8 {
        if self.service_crashed {
            2
        } else {
            u8::from(self.verdict.verdict == VerdictKind::Leak || self.failed_fail_above)
        }
    }
}

/// Median of `v` (NaN-free), or None when empty: the recognizer's one median.
pub fn median(v: &[f64]) -> Option<f64> {
    (!v.is_empty()).then(|| median_mut(&mut v.to_vec()))
}

/// Memory at the end of warm-up: the median of the first few post-warm-up samples.
pub fn baseline(after_warmup: &[Point]) -> Option<f64> {
    let k = (after_warmup.len() / 10)
        .clamp(1, 5)
        .min(after_warmup.len());
    median(&after_warmup.iter().take(k).map(|p| p.v).collect::<Vec<_>>())
}

/// Memory at the end: the median of the last few samples.
pub fn final_value(points: &[Point]) -> Option<f64> {
    let k = (points.len() / 10).clamp(1, 3).min(points.len());
    median(
        &points[points.len() - k..]
            .iter()
            .map(|p| p.v)
            .collect::<Vec<_>>(),
    )
}

/// The table people read at the end of a run.
pub fn table(r: &RunVerdict) -> String {
    let v = &r.verdict;
    let mut t = Table::new(&["", ""], &[false, false]);
    let verdict = match v.verdict {
        VerdictKind::Leak => format!("LEAK ({})", v.pattern),
        VerdictKind::NoLeak => format!("no leak ({})", v.pattern),
        VerdictKind::InsufficientData => "too little data for a verdict".to_string(),
    };
    let mut row = |k: &str, val: String| t.row(vec![k.to_string(), val]);
    row("verdict", verdict);
    row("signal", r.signal.clone());
    row(
        "growth",
        format!(
            "{}/h (confidence {:.2})",
            units::format_signed_bytes(v.growth_bytes_per_hour),
            v.confidence
        ),
    );
    if let Some(b) = r.bytes_per_request {
        row("per request", format!("{} B", fmt_sig(b)));
    }
    if let (Some(b), Some(f)) = (r.baseline_bytes, r.final_bytes) {
        row(
            "memory",
            format!(
                "{} at baseline → {} at the end ({})",
                units::format_bytes(b),
                units::format_bytes(f),
                units::format_signed_bytes(f - b)
            ),
        );
    }
    if let Some(n) = r.requests {
        row(
            "requests",
            format!(
                "{n} ({:.0}/s), {} errors ({:.2}%)",
                r.requests_per_second.unwrap_or(0.0),
                r.errors.unwrap_or(0),
                100.0 * r.error_rate.unwrap_or(0.0)
            ),
        );
    }
    row(
        "time to limit",
        v.time_to_limit_seconds
            .map(units::format_duration)
            .unwrap_or_else(|| "-".into()),
    );
    row(
        "duration",
        format!(
            "{} (warm-up {})",
            units::format_duration(r.duration_seconds),
            units::format_duration(r.warmup_seconds)
        ),
    );
    row("service", r.service_end.clone());
    if let Some(x) = r.fail_above_bytes {
        row(
            "fail above",
            format!(
                "{} above baseline: {}",
                units::format_bytes(x),
                if r.failed_fail_above { "FAILED" } else { "ok" }
            ),
        );
    }
    for reason in v.reasons.iter().take(3) {
        row("why", reason.clone());
    }
    t.render().lines().skip(1).collect::<Vec<_>>().join("\n")
}

/// A number with three significant digits, no exponent for ordinary sizes.
fn fmt_sig(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else if x.abs() >= 10.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn baseline_and_final_are_medians_of_the_ends() {
        let pts: Vec<Point> = (0..20)
            .map(|i| Point::new(i as f64, 100.0 + i as f64))
            .collect();
        assert_eq!(baseline(&pts), Some(100.5));
        assert_eq!(final_value(&pts), Some(118.5));
        assert_eq!(median(&[]), None);
    }
}
