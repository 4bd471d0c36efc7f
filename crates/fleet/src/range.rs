//! The time range a query is judged over: its step, the Prometheus points limit, and the
//! chunks a long range at a fine step is split into.

/// Prometheus refuses a `query_range` whose `(end - start) / step` exceeds this ("exceeded
/// maximum resolution of 11,000 points per timeseries").
pub const MAX_POINTS_PER_SERIES: i64 = 11_000;

/// Steps chosen automatically, seconds: round values a person would pick.
const NICE_STEPS: [i64; 19] = [
    1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10800, 21600, 86400,
];

/// A range evaluated at `start, start + step, ..., end` (unix seconds, whole seconds; `start`
/// and `end` are multiples of `step`, as query-frontend caches like them).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grid {
    /// First evaluation time, unix seconds.
    pub start: i64,
    /// Last evaluation time, unix seconds (≥ `start`).
    pub end: i64,
    /// Seconds between evaluations (≥ 1).
    pub step: i64,
}

impl Grid {
    /// The grid over `[start, end]` at `step` seconds: `end` rounded down and `start` rounded
    /// up to multiples of `step`. `None` when the range is empty or the step is not positive.
    pub fn new(start: i64, end: i64, step: i64) -> Option<Self> {
        if step < 1 {
            return None;
        }
        let end = end.div_euclid(step) * step;
        let start = (start + step - 1).div_euclid(step) * step;
        (start < end).then_some(Self { start, end, step })
    }

    /// Number of evaluation times.
    pub fn points(&self) -> i64 {
        (self.end - self.start) / self.step + 1
    }

    /// Seconds from the first to the last evaluation.
    pub fn span(&self) -> i64 {
        self.end - self.start
    }

    /// The grid split into consecutive chunks of at most `max_points` evaluations each, in
    /// time order, with no evaluation time in two chunks (a `query_range` per chunk stays
    /// under the points limit).
    pub fn chunks(&self, max_points: i64) -> Vec<Grid> {
        let per = max_points.max(1);
        let mut out = Vec::new();
        let mut s = self.start;
        while s <= self.end {
            let e = (s + (per - 1) * self.step).min(self.end);
            out.push(Grid {
                start: s,
                end: e,
                step: self.step,
            });
            s = e + self.step;
        }
        out
    }
}

/// The step chosen when none is given: the series' own resolution when known
/// (`native_seconds`), coarsened to a round value that keeps the range under the points
/// limit in one query.
pub fn auto_step(span_seconds: i64, native_seconds: Option<f64>) -> i64 {
    // An estimated interval a little above a round step (304 s for 300 s scrapes) still
    // means that step.
    let floor = native_seconds
        .filter(|s| s.is_finite() && *s >= 1.0)
        .map_or(15, |s| ((s * 0.95).round() as i64).max(1));
    let need = (span_seconds + MAX_POINTS_PER_SERIES - 1) / MAX_POINTS_PER_SERIES;
    let min = floor.max(need).max(1);
    NICE_STEPS
        .iter()
        .copied()
        .find(|&s| s >= min)
        .unwrap_or(((min + 86399) / 86400) * 86400)
}

/// Parses a time given as unix seconds (`1700000000`, `1700000000.5`) or RFC 3339 in UTC
/// (`2026-11-24T10:00:00Z`), to unix seconds: the CSV timestamp rule, for `--start`/`--end`.
pub fn parse_time(s: &str) -> Result<f64, String> {
    match leakscope_core::csv::parse_timestamp(s.trim()) {
        Some(t) if t >= 0.0 => Ok(t),
        _ => Err(format!(
            "`{s}` is not a time: give unix seconds or RFC 3339 (2026-11-24T10:00:00Z)"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_aligned_and_chunks_cover_it_once() {
        let g = Grid::new(1001, 100_000, 60).expect("grid");
        assert_eq!((g.start, g.end), (1020, 99_960));
        let chunks = g.chunks(500);
        assert_eq!(chunks.first().map(|c| c.start), Some(g.start));
        assert_eq!(chunks.last().map(|c| c.end), Some(g.end));
        let total: i64 = chunks.iter().map(Grid::points).sum();
        assert_eq!(total, g.points());
        assert!(chunks.iter().all(|c| c.points() <= 500));
        assert!(chunks.windows(2).all(|w| w[1].start == w[0].end + 60));
        assert!(Grid::new(100, 100, 60).is_none());
        assert!(Grid::new(0, 100, 0).is_none());
    }

    #[test]
    fn auto_step_stays_under_the_points_limit() {
        assert_eq!(auto_step(7 * 86400, Some(300.0)), 300);
        assert_eq!(auto_step(7 * 86400, Some(304.2)), 300);
        assert_eq!(auto_step(86400, Some(60.17)), 60);
        assert_eq!(auto_step(7 * 86400, None), 60);
        assert_eq!(auto_step(3600, None), 15);
        assert_eq!(auto_step(3600, Some(1.0)), 1);
        for span in [60, 3600, 86400, 30 * 86400, 400 * 86400, 100_000 * 86400] {
            let step = auto_step(span, Some(1.0));
            assert!(span / step <= MAX_POINTS_PER_SERIES, "{span}: {step}");
        }
    }

    #[test]
    fn times_parse_as_unix_seconds_or_rfc3339() {
        assert_eq!(parse_time("1700000000"), Ok(1_700_000_000.0));
        assert_eq!(parse_time("2023-11-14T22:13:20Z"), Ok(1_700_000_000.0));
        assert!(parse_time("yesterday").is_err());
        assert!(parse_time("-5").is_err());
    }
}
