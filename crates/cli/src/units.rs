//! Parsing and printing of byte sizes and durations as people write them.

/// Parse a byte size: `500MB`, `1.5GiB`, `200M`, `1048576`. Decimal suffixes (kB, MB, GB) are
/// powers of 1000, binary ones (KiB, MiB, GiB, and the bare K/M/G that `ulimit` and
/// Kubernetes users type as Ki/Mi/Gi) powers of 1024.
pub fn parse_bytes(text: &str) -> Result<f64, String> {
    let s = text.trim();
    let split = s
        .find(|c: char| !(c.is_ascii_digit() || c == '.' || c == '_'))
        .unwrap_or(s.len());
    let (num, suffix) = s.split_at(split);
    let num: f64 = num
        .replace('_', "")
        .parse()
        .map_err(|_| format!("'{text}' is not a size: write e.g. 500MB, 1.5GiB or 1048576"))?;
    let mult = match suffix.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "kb" => 1e3,
        "mb" => 1e6,
        "gb" => 1e9,
        "tb" => 1e12,
        "k" | "ki" | "kib" => 1024.0,
        "m" | "mi" | "mib" => 1024.0 * 1024.0,
        "g" | "gi" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "ti" | "tib" => 1024f64.powi(4),
        other => {
            return Err(format!(
                "'{text}': unknown size unit '{other}' (use B, kB, MB, GB, KiB, MiB, GiB)"
            ))
        }
    };
    if !num.is_finite() || num < 0.0 {
        return Err(format!("'{text}' is not a size"));
    }
    Ok(num * mult)
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

/// `12.3 MiB`-style text for a byte count (negative allowed).
pub fn bytes(v: f64) -> String {
    if !v.is_finite() {
        return "-".into();
    }
    let sign = if v < 0.0 { "-" } else { "" };
    let a = v.abs();
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = a;
    let mut i = 0;
    while x >= 1024.0 && i + 1 < UNITS.len() {
        x /= 1024.0;
        i += 1;
    }
    if i == 0 {
        format!("{sign}{x:.0} B")
    } else {
        format!("{sign}{x:.1} {}", UNITS[i])
    }
}

/// `+12.3 MiB` with an explicit sign, for deltas.
pub fn signed_bytes(v: f64) -> String {
    if v > 0.0 {
        format!("+{}", bytes(v))
    } else {
        bytes(v)
    }
}

/// `2h 5m`-style text for seconds.
pub fn duration(secs: f64) -> String {
    if !secs.is_finite() || secs < 0.0 {
        return "-".into();
    }
    let s = secs.round() as u64;
    let (d, h, m, sec) = (s / 86400, (s % 86400) / 3600, (s % 3600) / 60, s % 60);
    if d > 0 {
        format!("{d}d {h}h")
    } else if h > 0 {
        format!("{h}h {m}m")
    } else if m > 0 {
        format!("{m}m {sec}s")
    } else {
        format!("{sec}s")
    }
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
    fn sizes_parse_with_decimal_and_binary_units() {
        assert_eq!(parse_bytes("500MB").unwrap(), 500e6);
        assert_eq!(
            parse_bytes("1.5GiB").unwrap(),
            1.5 * 1024.0 * 1024.0 * 1024.0
        );
        assert_eq!(parse_bytes("200M").unwrap(), 200.0 * 1024.0 * 1024.0);
        assert_eq!(parse_bytes("1_048_576").unwrap(), 1048576.0);
        assert!(parse_bytes("lots").is_err());
        assert!(parse_bytes("5 parsecs").is_err());
    }

    #[test]
    fn durations_parse_with_units_or_bare_seconds() {
        assert_eq!(parse_duration("30s").unwrap().as_secs(), 30);
        assert_eq!(parse_duration("1h30m").unwrap().as_secs(), 5400);
        assert_eq!(parse_duration("0.5").unwrap().as_millis(), 500);
        assert!(parse_duration("soon").is_err());
    }

    #[test]
    fn bytes_print_in_binary_units() {
        assert_eq!(bytes(1536.0), "1.5 KiB");
        assert_eq!(bytes(-3.0 * 1024.0 * 1024.0), "-3.0 MiB");
        assert_eq!(signed_bytes(2048.0), "+2.0 KiB");
    }
}
