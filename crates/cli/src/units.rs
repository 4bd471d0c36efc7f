//! Parsing and printing of byte sizes and durations as people write them. Sizes and every
//! printed number come from `leakscope_core::units`, the one convention all crates share.

pub use leakscope_core::units::{format_bytes, format_duration, format_signed_bytes, parse_bytes};

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

/// Seconds since the epoch, now.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
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
}
