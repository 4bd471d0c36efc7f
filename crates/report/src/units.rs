//! "Nice" axis ticks and time units for charts. Bytes, rates, durations and counts print
//! through `leakscope_core::units`, the one convention every crate shares.

pub(crate) use leakscope_core::units::byte_unit;
pub use leakscope_core::units::{
    format_bytes, format_count, format_duration, format_rate_per_hour,
};

/// The time unit for an axis spanning `span_s` seconds: (name, seconds per unit).
pub(crate) fn time_unit(span_s: f64) -> (&'static str, f64) {
    if !span_s.is_finite() || span_s <= 300.0 {
        ("s", 1.0)
    } else if span_s <= 5.0 * 3600.0 {
        ("min", 60.0)
    } else if span_s <= 5.0 * 86400.0 {
        ("h", 3600.0)
    } else {
        ("d", 86400.0)
    }
}

/// The smallest round step (1, 2, 2.5 or 5 × 10^k) at least `raw`; 1 when `raw` is not a
/// positive finite number.
pub(crate) fn nice_step(raw: f64) -> f64 {
    if !(raw.is_finite() && raw > 0.0) {
        return 1.0;
    }
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw * (1.0 - 1e-12))
        .unwrap_or(10.0 * mag);
    if step.is_finite() && step > 0.0 {
        step
    } else {
        raw
    }
}

/// Up to about `target` round tick values covering `[lo, hi]` (steps of 1, 2, 2.5 or 5 × 10^k).
/// Always returns at least one value and never more than 40.
pub(crate) fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    if !lo.is_finite() || !hi.is_finite() || hi <= lo {
        return vec![if lo.is_finite() { lo } else { 0.0 }];
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let step = nice_step(raw);
    if !raw.is_finite() || !step.is_finite() || step <= 0.0 {
        return vec![lo];
    }
    let first = (lo / step).ceil() * step;
    let mut out = Vec::new();
    let mut i = 0.0;
    while out.len() < 40 {
        let v = first + i * step;
        if v > hi + step * 1e-9 {
            break;
        }
        // Avoid "-0" and float dust like 0.30000000000000004.
        out.push(if v.abs() < step * 1e-9 { 0.0 } else { v });
        i += 1.0;
    }
    if out.is_empty() {
        out.push(lo);
    }
    out
}

/// The number of decimals needed to print ticks spaced `step` apart (2.5 → 1, 0.25 → 2).
pub(crate) fn decimals_for(step: f64) -> usize {
    if !step.is_finite() || step <= 0.0 || step >= 1e15 {
        return 0;
    }
    let mut d = 0;
    let mut s = step;
    while d < 6 && (s - s.round()).abs() > 1e-6 * s.max(1.0) {
        s *= 10.0;
        d += 1;
    }
    d
}

/// A tick label: `v` with `decimals` decimals, or in exponent form when it is too long for an
/// axis (|v| ≥ 1e7).
pub(crate) fn tick_label(v: f64, decimals: usize) -> String {
    if v.abs() >= 1e7 {
        format!("{v:.2e}")
    } else {
        format!("{v:.decimals$}")
    }
}

/// Expands `[lo, hi]` to round bounds (multiples of a nice step) so the data does not touch the
/// frame; a degenerate range is widened around its value.
pub(crate) fn nice_range(lo: f64, hi: f64) -> (f64, f64) {
    let (lo, hi) = if !lo.is_finite() || !hi.is_finite() {
        (0.0, 1.0)
    } else if hi - lo <= hi.abs().max(lo.abs()) * 1e-9 {
        let pad = if lo.abs() > 0.0 { lo.abs() * 0.05 } else { 1.0 };
        (lo - pad, hi + pad)
    } else {
        (lo, hi)
    };
    let ticks = nice_ticks(lo, hi, 5);
    let step = if ticks.len() >= 2 {
        ticks[1] - ticks[0]
    } else {
        (hi - lo).abs().max(1.0)
    };
    let nlo = (lo / step).floor() * step;
    let nhi = (hi / step).ceil() * step;
    if nlo.is_finite() && nhi.is_finite() && nhi > nlo {
        (nlo, nhi)
    } else {
        (lo, hi)
    }
}

/// Unix seconds as a UTC date and time: "2026-11-24 03:32:19 UTC"; "n/a" when out of range.
pub fn format_utc(unix_s: f64) -> String {
    if !unix_s.is_finite() || unix_s.abs() > 1e14 {
        return "n/a".to_string();
    }
    let secs = unix_s.floor() as i64;
    let (days, rem) = (secs.div_euclid(86400), secs.rem_euclid(86400));
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02} {:02}:{:02}:{:02} UTC",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

/// Escapes text for HTML and SVG (element content and attribute values).
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            // XML 1.0 forbids most control characters even as references.
            c if (c as u32) < 0x20 && c != '\n' && c != '\t' && c != '\r' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_as_utc() {
        assert_eq!(format_utc(1_795_966_339.0), "2026-11-29 15:32:19 UTC");
        assert_eq!(format_utc(0.0), "1970-01-01 00:00:00 UTC");
    }

    #[test]
    fn ticks_are_round_and_bounded() {
        assert_eq!(
            nice_ticks(0.0, 10.0, 5),
            vec![0.0, 2.0, 4.0, 6.0, 8.0, 10.0]
        );
        assert_eq!(nice_ticks(5.0, 5.0, 5), vec![5.0]);
        assert!(nice_ticks(0.0, f64::MAX, 5).len() <= 40);
        assert!(nice_ticks(-1e308, 1e308, 5).len() <= 40);
        assert_eq!(decimals_for(0.25), 2);
        assert_eq!(decimals_for(2.5), 1);
        assert_eq!(decimals_for(50.0), 0);
        assert_eq!(tick_label(1.5e300, 0), "1.50e300");
        assert_eq!(nice_step(0.3), 0.5);
        assert_eq!(nice_step(150.0), 200.0);
        assert_eq!(format_count(3252110.4), "3,252,110");
        assert_eq!(format_count(999.0), "999");
        let (lo, hi) = nice_range(3.0, 3.0);
        assert!(lo < 3.0 && hi > 3.0);
    }
}
