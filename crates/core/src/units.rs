//! Byte sizes, rates, durations and counts as people read and write them: the one convention
//! every crate prints with.
//!
//! Output is IEC (KiB, MiB, GiB: powers of 1024) with three significant digits. Input follows
//! Kubernetes' quantity rules: `k`, `M`, `G`, `T`, `P`, `E` are powers of 1000 and `Ki`, `Mi`,
//! `Gi`, `Ti`, `Pi`, `Ei` powers of 1024; a trailing `B` is allowed (`500MB`, `1.5GiB`), and a
//! plain number is bytes. A bare `m` (milli in Kubernetes) is refused rather than guessed.

/// Binary byte units, smallest first: (name, bytes per unit).
pub const BYTE_UNITS: [(&str, f64); 7] = [
    ("B", 1.0),
    ("KiB", 1024.0),
    ("MiB", 1_048_576.0),
    ("GiB", 1_073_741_824.0),
    ("TiB", 1_099_511_627_776.0),
    ("PiB", 1_125_899_906_842_624.0),
    ("EiB", 1_152_921_504_606_846_976.0),
];

/// The byte unit that suits values up to `max_abs` bytes: (name, bytes per unit).
pub fn byte_unit(max_abs: f64) -> (&'static str, f64) {
    let m = if max_abs.is_finite() {
        max_abs.abs()
    } else {
        0.0
    };
    let mut best = BYTE_UNITS[0];
    for u in BYTE_UNITS {
        if m >= u.1 {
            best = u;
        }
    }
    best
}

/// Bytes for people: "512 B", "12.3 MiB", "1.50 GiB", "-3.00 MiB"; "n/a" when not finite.
pub fn format_bytes(bytes: f64) -> String {
    if !bytes.is_finite() {
        return "n/a".to_string();
    }
    let (name, per) = byte_unit(bytes);
    let v = bytes / per;
    if v.abs() >= 1e7 {
        format!("{v:.2e} {name}")
    } else if per == 1.0 {
        format!("{v:.0} {name}")
    } else {
        format!("{} {name}", three_digits(v))
    }
}

/// Bytes with an explicit sign, for deltas: "+12.3 MiB", "-4.00 KiB", "0 B".
pub fn format_signed_bytes(bytes: f64) -> String {
    if bytes > 0.0 && bytes.is_finite() {
        format!("+{}", format_bytes(bytes))
    } else {
        format_bytes(bytes)
    }
}

/// A signed rate in bytes per hour: "+12.3 MiB/h", "-4.00 KiB/h", "0 B/h".
pub fn format_rate_per_hour(bytes_per_hour: f64) -> String {
    if !bytes_per_hour.is_finite() {
        return "n/a".to_string();
    }
    if bytes_per_hour.abs() < 0.5 {
        return "0 B/h".to_string();
    }
    let sign = if bytes_per_hour < 0.0 { "-" } else { "+" };
    format!("{sign}{}/h", format_bytes(bytes_per_hour.abs()))
}

/// A duration in seconds: "45 s", "12 min", "3 h 05 min", "2.5 d"; "n/a" when negative or not
/// finite.
pub fn format_duration(seconds: f64) -> String {
    if !seconds.is_finite() || seconds < 0.0 {
        return "n/a".to_string();
    }
    if seconds < 120.0 {
        format!("{seconds:.0} s")
    } else if seconds < 7200.0 {
        format!("{:.0} min", seconds / 60.0)
    } else if seconds < 172_800.0 {
        let total_min = (seconds / 60.0).round();
        let h = (total_min / 60.0).floor();
        let m = total_min - h * 60.0;
        format!("{h:.0} h {m:02.0} min")
    } else {
        format!("{:.1} d", seconds / 86400.0)
    }
}

/// A count with thousands separated: 3252110 → "3,252,110" (rounded to a whole number).
pub fn format_count(n: f64) -> String {
    if !n.is_finite() {
        return "n/a".to_string();
    }
    let digits = format!("{:.0}", n.abs());
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    if n < -0.5 {
        out.insert(0, '-');
    }
    out
}

/// A value with three significant digits (at least), no exponent below 1e15.
fn three_digits(v: f64) -> String {
    let a = v.abs();
    if a >= 100.0 || a == 0.0 {
        format!("{v:.0}")
    } else if a >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

/// Why a size could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SizeError {
    /// No number where one was expected.
    #[error("'{0}' is not a size: write e.g. 500M, 512Mi, 1.5Gi or 1048576 (bytes)")]
    NotANumber(String),
    /// A suffix that is not a byte unit.
    #[error("'{text}': unknown size unit '{unit}' (use k, M, G, T for powers of 1000 or Ki, Mi, Gi, Ti for powers of 1024; a trailing B is allowed)")]
    UnknownUnit {
        /// The input.
        text: String,
        /// The suffix found.
        unit: String,
    },
    /// `m` is milli in Kubernetes quantities, which makes no sense for bytes.
    #[error(
        "'{0}': 'm' means milli in Kubernetes quantities; write M (10^6 bytes) or Mi (2^20 bytes)"
    )]
    Milli(String),
}

/// Parse a byte size with Kubernetes' suffixes: `500M` and `500MB` are 500×10^6 bytes, `512Mi`
/// and `512MiB` are 512×2^20, `1.5Gi`, `2e9`, `1_048_576`. Case-insensitive only where that
/// is unambiguous (`mib`, `gb`); a lone `m` is refused.
pub fn parse_bytes(text: &str) -> Result<f64, SizeError> {
    let s = text.trim();
    let split = s
        .char_indices()
        .find(|&(i, c)| {
            !(c.is_ascii_digit()
                || c == '.'
                || c == '_'
                // An exponent: 2e9, 1.5E+3 (an `e` followed by a digit or sign).
                || ((c == 'e' || c == 'E')
                    && i > 0
                    && s[i + 1..].starts_with(|d: char| d.is_ascii_digit() || d == '+' || d == '-'))
                || ((c == '+' || c == '-') && i > 0 && matches!(s.as_bytes()[i - 1], b'e' | b'E')))
        })
        .map(|(i, _)| i)
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let num: f64 = num
        .replace('_', "")
        .parse()
        .map_err(|_| SizeError::NotANumber(text.to_string()))?;
    if !num.is_finite() || num < 0.0 {
        return Err(SizeError::NotANumber(text.to_string()));
    }
    let suffix = suffix.trim();
    if suffix == "m" {
        return Err(SizeError::Milli(text.to_string()));
    }
    let bare = suffix
        .strip_suffix('B')
        .or_else(|| suffix.strip_suffix('b'))
        .unwrap_or(suffix);
    let mult = match bare {
        "" => 1.0,
        "k" | "K" => 1e3,
        "M" => 1e6,
        "G" => 1e9,
        "T" => 1e12,
        "P" => 1e15,
        "E" => 1e18,
        _ => match bare.to_ascii_lowercase().as_str() {
            // With the B the decimal forms cannot be milli: 500mb is 500 MB.
            "m" if bare.len() < suffix.len() => 1e6,
            "g" if bare.len() < suffix.len() => 1e9,
            "t" if bare.len() < suffix.len() => 1e12,
            "ki" => 1024.0,
            "mi" => 1_048_576.0,
            "gi" => 1_073_741_824.0,
            "ti" => 1_099_511_627_776.0,
            "pi" => 1_125_899_906_842_624.0,
            "ei" => 1_152_921_504_606_846_976.0,
            _ => {
                return Err(SizeError::UnknownUnit {
                    text: text.to_string(),
                    unit: suffix.to_string(),
                })
            }
        },
    };
    Ok(num * mult)
}

/// A JSON number for a measured value: whole numbers (counts, byte totals) as integers, so a
/// count prints `14`, not `14.0`; others as floats; `null` when not finite.
pub fn json_number(v: f64) -> serde_json::Value {
    const EXACT: f64 = 9_007_199_254_740_992.0; // 2^53: every integer below is exact in f64
    if !v.is_finite() {
        serde_json::Value::Null
    } else if v.fract() == 0.0 && v.abs() < EXACT {
        serde_json::Value::from(v as i64)
    } else {
        serde_json::Value::from(v)
    }
}

/// Parse a duration: `30s`, `10m`, `1h30m`, `500ms`, or bare seconds `45`.
pub fn parse_duration(text: &str) -> Result<std::time::Duration, String> {
    let s = text.trim();
    if let Ok(secs) = s.parse::<f64>() {
        if secs.is_finite() && secs >= 0.0 {
            return Ok(std::time::Duration::from_secs_f64(secs));
        }
    }
    humantime::parse_duration(s)
        .map_err(|e| format!("'{text}' is not a duration ({e}): write e.g. 30s, 10m or 1h"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_parse_with_units_or_bare_seconds() {
        assert_eq!(parse_duration("30s").unwrap().as_secs(), 30);
        assert_eq!(parse_duration("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(parse_duration("0.5").unwrap().as_millis(), 500);
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn sizes_follow_kubernetes_suffixes() {
        assert_eq!(parse_bytes("500M").unwrap(), 500e6);
        assert_eq!(parse_bytes("500MB").unwrap(), 500e6);
        assert_eq!(parse_bytes("500mb").unwrap(), 500e6);
        assert_eq!(parse_bytes("512Mi").unwrap(), 512.0 * 1_048_576.0);
        assert_eq!(parse_bytes("512MiB").unwrap(), 512.0 * 1_048_576.0);
        assert_eq!(parse_bytes("1.5Gi").unwrap(), 1.5 * 1_073_741_824.0);
        assert_eq!(parse_bytes("1.5GiB").unwrap(), 1.5 * 1_073_741_824.0);
        assert_eq!(parse_bytes("2k").unwrap(), 2000.0);
        assert_eq!(parse_bytes("2Ki").unwrap(), 2048.0);
        assert_eq!(parse_bytes("2e9").unwrap(), 2e9);
        assert_eq!(parse_bytes("1_048_576").unwrap(), 1_048_576.0);
        assert_eq!(parse_bytes(" 42 ").unwrap(), 42.0);
        assert!(matches!(parse_bytes("500m"), Err(SizeError::Milli(_))));
        assert!(matches!(
            parse_bytes("5 parsecs"),
            Err(SizeError::UnknownUnit { .. })
        ));
        assert!(matches!(parse_bytes("lots"), Err(SizeError::NotANumber(_))));
        assert!(parse_bytes("-5M").is_err());
    }

    #[test]
    fn bytes_print_in_iec_units_with_three_digits() {
        assert_eq!(format_bytes(512.0), "512 B");
        assert_eq!(format_bytes(1536.0), "1.50 KiB");
        assert_eq!(format_bytes(12.34 * 1_048_576.0), "12.3 MiB");
        assert_eq!(format_bytes(-3.0 * 1_048_576.0), "-3.00 MiB");
        assert_eq!(format_bytes(500e6), "477 MiB");
        assert_eq!(format_bytes(f64::NAN), "n/a");
        assert_eq!(format_signed_bytes(2048.0), "+2.00 KiB");
        assert_eq!(format_signed_bytes(0.0), "0 B");
        assert_eq!(format_rate_per_hour(50e6), "+47.7 MiB/h");
        assert_eq!(format_rate_per_hour(0.1), "0 B/h");
    }

    #[test]
    fn durations_and_counts_print_for_people() {
        assert_eq!(format_duration(45.0), "45 s");
        assert_eq!(format_duration(720.0), "12 min");
        assert_eq!(format_duration(3.0 * 3600.0 + 300.0), "3 h 05 min");
        assert_eq!(format_duration(-1.0), "n/a");
        assert_eq!(format_count(3_252_110.0), "3,252,110");
        assert_eq!(format_count(-1234.0), "-1,234");
    }

    #[test]
    fn whole_numbers_go_into_json_as_integers() {
        assert_eq!(json_number(14.0).to_string(), "14");
        assert_eq!(json_number(1.5).to_string(), "1.5");
        assert_eq!(json_number(f64::INFINITY), serde_json::Value::Null);
        assert_eq!(json_number(1e300).to_string(), "1e+300");
    }
}
