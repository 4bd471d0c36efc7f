//! Kubernetes resource quantities (`512Mi`, `1G`, `129e6`, `0.5Gi`) as bytes.

/// The bytes a memory quantity stands for; `None` when it does not parse (then the limit is
/// treated as unknown rather than guessed).
pub fn bytes(text: &str) -> Option<f64> {
    let t = text.trim();
    if t.is_empty() {
        return None;
    }
    let (number, multiplier) = suffix(t);
    let v: f64 = number.parse().ok()?;
    let b = v * multiplier;
    (b.is_finite() && b >= 0.0).then_some(b)
}

/// Split off the suffix: binary (`Ki` … `Ei`), decimal (`k`, `M` … `E`, `m` for milli) or an
/// exponent (`e6`, `E6`), which `f64` parsing takes as it is.
fn suffix(t: &str) -> (&str, f64) {
    const BINARY: [(&str, f64); 6] = [
        ("Ki", 1024.0),
        ("Mi", 1_048_576.0),
        ("Gi", 1_073_741_824.0),
        ("Ti", 1_099_511_627_776.0),
        ("Pi", 1_125_899_906_842_624.0),
        ("Ei", 1_152_921_504_606_846_976.0),
    ];
    const DECIMAL: [(&str, f64); 7] = [
        ("m", 1e-3),
        ("k", 1e3),
        ("M", 1e6),
        ("G", 1e9),
        ("T", 1e12),
        ("P", 1e15),
        ("E", 1e18),
    ];
    for (s, m) in BINARY {
        if let Some(n) = t.strip_suffix(s) {
            return (n, m);
        }
    }
    // `E` alone is exa, but `1E6` is an exponent: only a suffix when nothing follows it.
    for (s, m) in DECIMAL {
        if let Some(n) = t.strip_suffix(s) {
            if !n.is_empty() && !n.ends_with(['e', 'E']) {
                return (n, m);
            }
        }
    }
    (t, 1.0)
}

#[cfg(test)]
mod tests {
    use super::bytes;

    #[test]
    fn quantities_as_the_api_writes_them() {
        assert_eq!(bytes("512Mi"), Some(536_870_912.0));
        assert_eq!(bytes("1Gi"), Some(1_073_741_824.0));
        assert_eq!(bytes("0.5Gi"), Some(536_870_912.0));
        assert_eq!(bytes("500M"), Some(5e8));
        assert_eq!(bytes("128974848"), Some(128_974_848.0));
        assert_eq!(bytes("129e6"), Some(1.29e8));
        assert_eq!(bytes("1E"), Some(1e18));
        assert_eq!(bytes("123k"), Some(123_000.0));
        assert_eq!(bytes("2Ei"), Some(2.0 * 1_152_921_504_606_846_976.0));
        assert_eq!(bytes(""), None);
        assert_eq!(bytes("lots"), None);
        assert_eq!(bytes("-1Mi"), None);
    }
}
