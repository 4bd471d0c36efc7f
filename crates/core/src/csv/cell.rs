//! One cell of a series CSV: timestamps in the forms exporters write, and the short excerpt
//! of a bad cell that errors echo.

/// The most characters of a cell or column name an error echoes.
pub const EXCERPT_CHARS: usize = 80;

/// `s` cut to [`EXCERPT_CHARS`] characters, with `…` when something was cut: an error about
/// a 100 MB cell must not print the cell.
pub fn excerpt(s: &str) -> String {
    match s.char_indices().nth(EXCERPT_CHARS) {
        Some((at, _)) => format!("{}…", &s[..at]),
        None => s.to_owned(),
    }
}

/// Strip surrounding whitespace and one pair of double quotes.
pub(super) fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .trim()
}

/// Parse a timestamp cell into unix seconds. Accepted: a number of unix seconds (integer or
/// fractional); a number too large to be seconds is read as milliseconds (Grafana's CSV
/// export), microseconds or nanoseconds by its magnitude (seconds end at 10^11, year 5138);
/// RFC 3339 (`2024-05-01T12:00:00Z`, `...+02:00`), also with a space for the `T` and without
/// a zone (`2024-05-01 12:00:00`, Grafana's formatted export), which is read as UTC.
pub fn parse_timestamp(s: &str) -> Option<f64> {
    let s = unquote(s);
    if s.is_empty() {
        return None;
    }
    if let Ok(x) = s.parse::<f64>() {
        return x.is_finite().then(|| epoch_seconds(x));
    }
    let (local, offset_seconds) = split_offset(s);
    let st = humantime::parse_rfc3339_weak(local).ok()?;
    let t = match st.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    };
    Some(t - offset_seconds)
}

/// Unix seconds from a number of seconds, milliseconds, microseconds or nanoseconds.
fn epoch_seconds(x: f64) -> f64 {
    let a = x.abs();
    if a < 1e11 {
        x
    } else if a < 1e14 {
        x / 1e3
    } else if a < 1e17 {
        x / 1e6
    } else {
        x / 1e9
    }
}

/// `2024-05-01T12:00:00+02:00` → (`2024-05-01T12:00:00`, 7200): humantime reads only UTC.
fn split_offset(s: &str) -> (&str, f64) {
    // The shortest zoned form is `2024-05-01T12:00+00:00`.
    if s.len() >= 22 && s.is_char_boundary(s.len() - 6) {
        let (head, tail) = s.split_at(s.len() - 6);
        let t = tail.as_bytes();
        let sign = match t[0] {
            b'+' => 1.0,
            b'-' => -1.0,
            _ => return (s, 0.0),
        };
        let digits = |x: &[u8]| -> Option<f64> {
            std::str::from_utf8(x)
                .ok()?
                .parse::<u8>()
                .ok()
                .map(f64::from)
        };
        if t[3] == b':' {
            if let (Some(h), Some(m)) = (digits(&t[1..3]), digits(&t[4..6])) {
                return (head, sign * (h * 3600.0 + m * 60.0));
            }
        }
    }
    (s, 0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_in_every_form_exporters_write() {
        let t = 1_714_564_800.0; // 2024-05-01T12:00:00Z
        for s in [
            "1714564800",
            "1714564800.0",
            "1714564800000",
            "1714564800000000",
            "1714564800000000000",
            "2024-05-01T12:00:00Z",
            "2024-05-01 12:00:00",
            "2024-05-01T14:00:00+02:00",
            "2024-05-01T09:30:00-02:30",
            "\"2024-05-01T12:00:00Z\"",
        ] {
            assert_eq!(parse_timestamp(s), Some(t), "{s}");
        }
        assert_eq!(parse_timestamp("1700000030.5"), Some(1_700_000_030.5));
        assert_eq!(parse_timestamp("12"), Some(12.0));
        for bad in ["", "x", "nan", "inf", "2024-05-01T12:00:00+2:00", "+02:00"] {
            assert_eq!(parse_timestamp(bad), None, "{bad}");
        }
    }

    #[test]
    fn excerpts_are_cut_on_a_char_boundary() {
        assert_eq!(excerpt("short"), "short");
        let long = "é".repeat(200);
        let e = excerpt(&long);
        assert_eq!(e.chars().count(), EXCERPT_CHARS + 1);
        assert!(e.ends_with('…'));
    }
}
