//! The server-side screen: one instant query that reduces every series of the fleet to a few
//! numbers (samples, last value, first/last time, and the rise of its floor), so that only the
//! series that could be leaks are fetched in full.
//!
//! # Why the screen loses no leak
//! The recognizer calls a stretch a leak only when the floor's chunk means rise by at least
//! half of the rise a leak needs (`rise_net ≥ 0.5 × max(rise_sigmas·σ, min_rise_bytes)`, see
//! `leakscope_core::recognize`), and its floor at any moment is the minimum of the points
//! over at least one whole bucket (or one whole cycle). So with grid windows `W` no longer
//! than half the recognizer's bucket width, some window lies inside the floor window at the
//! end of that rise (its minimum is ≥ the floor there) and some window holds the point the
//! floor had at the start (its minimum is ≤ it): the spread of the window minima,
//! `max_over_time(min_over_time(Q[W])) − min_over_time(...)`, is at least the floor's rise.
//! A series whose spread is below `0.5 × min_rise_bytes` therefore cannot be judged a leak,
//! and the screen settles it without fetching it. The windows are evaluated on the very grid
//! the full curves are fetched at (a subquery at the same step), so the screen sees the
//! points the recognizer would. `crates/fleet/tests/screen_lossless.rs` checks the claim on
//! the recognizer's labeled corpus.

use std::collections::BTreeMap;

use leakscope_core::{Point, RecognizeOptions};

use crate::labels::{self, Labels};
use crate::prom::{PromError, Prometheus, SeriesData};
use crate::range::Grid;

/// The label that keeps a series' metric name through functions that drop `__name__`.
const NAME_KEEPER: &str = "__leakscope_name";
/// The label that tells the screen's statistics apart in the one answer.
const STAT: &str = "__leakscope_stat";

/// What the screen knows of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesStats {
    /// The series' labels, as the query returns them.
    pub labels: Labels,
    /// Points on the grid.
    pub samples: u64,
    /// The last value, in the series' unit (bytes).
    pub last: f64,
    /// Time of the first and last sample, unix seconds.
    pub first_t: f64,
    /// Time of the last sample, unix seconds.
    pub last_t: f64,
    /// Lowest and highest window minimum (the floor's range), bytes.
    pub floor_lo: f64,
    /// Highest window minimum, bytes.
    pub floor_hi: f64,
}

impl SeriesStats {
    /// The spread of the floor: how much the window minima rose at most, bytes.
    pub fn floor_rise(&self) -> f64 {
        self.floor_hi - self.floor_lo
    }
}

/// The screen's window, seconds: half the width of the recognizer's buckets once it has seen
/// `span_seconds` (a lower bound of that width), as a multiple of `step` (at least one step).
pub fn floor_window(span_seconds: i64, step: i64, opts: &RecognizeOptions) -> i64 {
    let cap = opts.max_buckets.clamp(16, 4096) as f64;
    let mut width = if opts.bucket_seconds.is_finite() && opts.bucket_seconds > 0.0 {
        opts.bucket_seconds
    } else {
        60.0
    };
    // Buckets double while the summary would hold more than `cap` of them; stopping a little
    // early keeps this a lower bound.
    while span_seconds as f64 / width > cap + 2.0 {
        width *= 2.0;
    }
    let half = (width / 2.0).floor() as i64;
    (half / step).max(1) * step
}

/// The smallest floor rise the screen lets through, bytes: half of the smallest rise the
/// recognizer calls a leak.
pub fn threshold(opts: &RecognizeOptions) -> f64 {
    let min_rise = if opts.min_rise_bytes.is_finite() && opts.min_rise_bytes >= 0.0 {
        opts.min_rise_bytes
    } else {
        RecognizeOptions::default().min_rise_bytes
    };
    0.5 * min_rise
}

/// The one instant query (evaluated at `grid.end`) whose answer holds every statistic of every
/// series, each tagged with [`STAT`].
pub fn stats_query(query: &str, grid: &Grid, window: i64) -> String {
    let (r, s) = (grid.span(), grid.step);
    let q = format!(r#"label_replace(({query}), "{NAME_KEEPER}", "$1", "__name__", "(.+)")"#);
    let sub = format!("({q})[{r}s:{s}s]");
    let floor = format!("min_over_time(({q})[{window}s:{s}s])[{r}s:{window}s]");
    let stats = [
        ("samples", format!("count_over_time({sub})")),
        ("last", format!("last_over_time({sub})")),
        (
            "first_t",
            format!("min_over_time(timestamp({q})[{r}s:{s}s])"),
        ),
        (
            "last_t",
            format!("max_over_time(timestamp({q})[{r}s:{s}s])"),
        ),
        ("floor_lo", format!("min_over_time({floor})")),
        ("floor_hi", format!("max_over_time({floor})")),
    ];
    stats
        .iter()
        .map(|(name, e)| format!(r#"label_replace({e}, "{STAT}", "{name}", "", "")"#))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// Runs the screen: the statistics of every series `query` returns on `grid`.
pub fn screen(
    prom: &Prometheus,
    query: &str,
    grid: &Grid,
    window: i64,
) -> Result<Vec<SeriesStats>, PromError> {
    let answer = prom.query(&stats_query(query, grid, window), grid.end as f64)?;
    Ok(collect(answer))
}

/// The labels a series had in the user's query, from a screen answer's labels.
pub(crate) fn restore_name(mut l: Labels) -> Labels {
    l.remove(STAT);
    if let Some(name) = l.remove(NAME_KEEPER) {
        l.insert(labels::NAME.to_owned(), name);
    }
    l
}

fn collect(answer: Vec<SeriesData>) -> Vec<SeriesStats> {
    let mut by: BTreeMap<Labels, SeriesStats> = BTreeMap::new();
    for s in answer {
        let Some(p) = s.points.first() else { continue };
        let stat = s.labels.get(STAT).cloned().unwrap_or_default();
        let l = restore_name(s.labels);
        let e = by.entry(l.clone()).or_insert_with(|| SeriesStats {
            labels: l,
            samples: 0,
            last: f64::NAN,
            first_t: f64::NAN,
            last_t: f64::NAN,
            floor_lo: f64::NAN,
            floor_hi: f64::NAN,
        });
        match stat.as_str() {
            "samples" => e.samples = p.v.max(0.0) as u64,
            "last" => e.last = p.v,
            "first_t" => e.first_t = p.v,
            "last_t" => e.last_t = p.v,
            "floor_lo" => e.floor_lo = p.v,
            "floor_hi" => e.floor_hi = p.v,
            _ => {}
        }
    }
    by.into_values().filter(|s| s.samples > 0).collect()
}

/// The screen's floor rise computed locally on `points` (what the server computes with
/// [`stats_query`]): the spread of the minima over windows of `window` seconds ending at
/// the multiples of `window` up to the last point (closed at both ends, as Prometheus 2 range
/// selectors are).
pub fn floor_rise(points: &[Point], window: i64) -> f64 {
    let w = window.max(1) as f64;
    let (mut lo, mut hi) = (f64::INFINITY, f64::NEG_INFINITY);
    let Some(first) = points.first() else {
        return 0.0;
    };
    let mut end = (first.t / w).ceil() * w;
    let mut i0 = 0;
    let last_t = points.last().map_or(first.t, |p| p.t);
    while end <= last_t {
        while i0 < points.len() && points[i0].t < end - w {
            i0 += 1;
        }
        let mut m = f64::INFINITY;
        let mut i = i0;
        while i < points.len() && points[i].t <= end {
            if points[i].v.is_finite() {
                m = m.min(points[i].v);
            }
            i += 1;
        }
        if m.is_finite() {
            lo = lo.min(m);
            hi = hi.max(m);
        }
        end += w;
    }
    if hi >= lo {
        hi - lo
    } else {
        0.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_half_a_bucket_on_the_grid() {
        let o = RecognizeOptions::default();
        // 7 days: buckets of 60 s double to 7680 s; half is 3840 s, 3600 s on a 300 s grid.
        assert_eq!(floor_window(7 * 86400, 300, &o), 3600);
        // One day: 960 s buckets; windows of 480 s on a 60 s grid.
        assert_eq!(floor_window(86400, 60, &o), 480);
        // Never below one step.
        assert_eq!(floor_window(3600, 600, &o), 600);
        assert_eq!(threshold(&o), 2e6);
    }

    #[test]
    fn local_floor_rise_sees_the_floor_not_the_sawtooth() {
        // A sawtooth of 50 MB every 10 minutes over a flat floor: windows of 1 h hold a
        // whole tooth, so their minima are the floor.
        let saw: Vec<Point> = (0..2000)
            .map(|i| {
                let t = 1_000_000_800.0 + i as f64 * 60.0;
                Point::new(t, 1e8 + 5e6 * (i % 10) as f64)
            })
            .collect();
        assert_eq!(floor_rise(&saw, 3600), 0.0);
        let leak: Vec<Point> = saw
            .iter()
            .map(|p| Point::new(p.t, p.v + (p.t - 1e9) * 100.0))
            .collect();
        assert!(floor_rise(&leak, 3600) > 1e7);
    }

    #[test]
    fn the_query_tags_each_statistic() {
        let g = Grid::new(0, 86400, 60).expect("grid");
        let q = stats_query("m{a=\"b\"}", &g, 480);
        for stat in [
            "samples", "last", "first_t", "last_t", "floor_lo", "floor_hi",
        ] {
            assert!(q.contains(&format!("\"{stat}\"")), "{stat}");
        }
        assert!(q.contains("[86400s:60s]") && q.contains("[480s:60s])[86400s:480s]"));
    }
}
