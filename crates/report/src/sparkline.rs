//! A one-line unicode chart (`▁▂▃▄▅▆▇█`) for the live progress line.

const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];

/// `values` as at most `width` block characters, lowest value `▁`, highest `█`. Longer input is
/// averaged into `width` buckets; non-finite values are skipped (a bucket with none is a
/// space); constant input draws a flat `▄` line. Empty input or `width` 0 gives "".
pub fn sparkline(values: &[f64], width: usize) -> String {
    if values.is_empty() || width == 0 {
        return String::new();
    }
    let n = values.len().min(width);
    let buckets: Vec<Option<f64>> = (0..n)
        .map(|i| {
            let (a, b) = (
                i * values.len() / n,
                ((i + 1) * values.len() / n).max(i * values.len() / n + 1),
            );
            let finite: Vec<f64> = values[a..b.min(values.len())]
                .iter()
                .copied()
                .filter(|v| v.is_finite())
                .collect();
            (!finite.is_empty()).then(|| finite.iter().sum::<f64>() / finite.len() as f64)
        })
        .collect();
    let (lo, hi) = buckets
        .iter()
        .flatten()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(a, b), v| {
            (a.min(*v), b.max(*v))
        });
    buckets
        .iter()
        .map(|b| match b {
            None => ' ',
            Some(v) => {
                let span = hi - lo;
                if !(span.is_finite() && span > 0.0) {
                    BARS[3]
                } else {
                    let k = ((v - lo) / span * 7.0).round();
                    BARS[(k.clamp(0.0, 7.0)) as usize]
                }
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::sparkline;

    #[test]
    fn draws_rising_flat_and_gaps() {
        assert_eq!(
            sparkline(&[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0], 8),
            "▁▂▃▄▅▆▇█"
        );
        assert_eq!(sparkline(&[5.0, 5.0, 5.0], 10), "▄▄▄");
        assert_eq!(sparkline(&[1.0, f64::NAN, 2.0], 3), "▁ █");
        assert_eq!(sparkline(&[], 10), "");
        assert_eq!(sparkline(&[1.0, 2.0], 0), "");
        assert_eq!(
            sparkline(&(0..1000).map(f64::from).collect::<Vec<_>>(), 20)
                .chars()
                .count(),
            20
        );
        assert_eq!(sparkline(&[f64::NAN], 3), " ");
        assert_eq!(sparkline(&[1e308, -1e308], 2), "▄▄");
    }
}
