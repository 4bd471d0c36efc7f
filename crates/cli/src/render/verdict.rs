//! Verdicts as a table for people.

use leakscope_core::{Verdict, VerdictKind};

use crate::render::table::Table;
use crate::units;

/// The column headers of a verdict table and which are right-aligned.
pub const HEADERS: [&str; 8] = [
    "SERIES",
    "VERDICT",
    "PATTERN",
    "GROWTH/H",
    "CONF",
    "DETECTED",
    "TIME-TO-LIMIT",
    "LAST",
];
/// Right alignment of [`HEADERS`].
pub const RIGHT: [bool; 8] = [false, false, false, true, true, false, true, true];

/// One row per series: verdict, pattern, growth of the floor, confidence, when it was detected
/// (time after the series' first sample `first_t`), time left before the limit, last value.
pub fn table(verdicts: &[(Verdict, f64)]) -> String {
    let mut t = Table::new(&HEADERS, &RIGHT);
    for (v, first_t) in verdicts {
        t.row(cells(v, *first_t));
    }
    t.render()
}

/// The cells of one verdict's row under [`HEADERS`].
pub fn cells(v: &Verdict, first_t: f64) -> Vec<String> {
    let verdict = match v.verdict {
        VerdictKind::Leak => "LEAK",
        VerdictKind::NoLeak => "no leak",
        VerdictKind::InsufficientData => "too little data",
    };
    let detected = match v.detected_at {
        Some(t) => format!("after {}", units::format_duration(t - first_t)),
        None => "-".into(),
    };
    let growth = if v.growth_bytes_per_hour == 0.0 {
        "0".into()
    } else {
        units::format_signed_bytes(v.growth_bytes_per_hour)
    };
    vec![
        v.name.clone(),
        verdict.into(),
        v.pattern.to_string(),
        growth,
        format!("{:.2}", v.confidence),
        detected,
        v.time_to_limit_seconds
            .map(units::format_duration)
            .unwrap_or_else(|| "-".into()),
        units::format_bytes(v.last_bytes),
    ]
}
