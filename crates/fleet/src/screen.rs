//! The server-side screen: two instant queries that reduce every series of the fleet to a
//! few numbers (samples, last value) and its floor curve (the minimum of each window), so that
//! only the series that could be leaks are fetched in full.
//!
//! # Why the screen loses no leak
//! Every test of the recognizer that calls a stretch a leak asks the minima of its buckets to
//! rise, a later one above an earlier one, by at least [`RecognizeOptions::least_rise`]: half
//! the smallest rise floor, `0.5 × min(min_rise_bytes, 2 MB)` for memory (1 MB by default; the
//! 2 MB is where the 2 %-of-the-level floor of a process under 100 MB stops), half of
//! `min_rise_bytes` for counts. The floor's tests (rise, bursts) ask the chunk means of its
//! floor, a rolling minimum of those minima, to rise by half the rise a leak needs, never under
//! the rise floor (a staircase, daily troughs and runs between restarts ask the rise floor,
//! `min_rise_bytes`, or half of it a run); the tests on the bucket means — the chunk means,
//! and the whole-run trend of a slow leak under heavy noise, which asks no more than the
//! growth floor of a rise far above its measured noise — ask it of the minima outright. Take
//! windows `W` no longer than half the recognizer's bucket width, on one grid: for a bucket
//! minimum `lo_i` at time `t_i` and a later bucket's `lo_j`, the window holding `t_i` has a
//! minimum ≤ `lo_i`, and a later window lies wholly inside bucket `j` (its minimum is
//! ≥ `lo_j`). So the largest rise of the window minima over an earlier one, [`ordered_rise`],
//! is at least `lo_j − lo_i`, and a series whose ordered rise is below `least_rise` cannot be
//! judged a leak on the whole series' buckets: the screen settles it without fetching it.
//! (Before the screen asked `0.5 × min_rise_bytes` = 2 MB, which the floor's tests of a
//! process under 200 MB, at a rise floor of 2 % of its level, and the whole-run trend test
//! of a rise far above its noise could undercut.)
//! The windows see the points the recognizer would: a subquery at the fetch step, or —
//! when the query is a plain selector of one metric fetched at its own resolution, where each
//! grid point is one raw sample — the raw samples, which is several times cheaper for
//! Prometheus. `crates/fleet/tests/screen_lossless.rs` checks the claim on the recognizer's
//! labeled corpus, and the fleet benchmark on a 10,000-series fleet.

use std::collections::BTreeMap;

use leakscope_core::{Point, RecognizeOptions};

use crate::labels::{self, Labels, VectorSelector};
use crate::prom::{PromError, Prometheus, SeriesData};
use crate::range::Grid;

/// The label that tells the screen's statistics apart in one answer.
const STAT: &str = "__leakscope_stat";

/// What the screen knows of one series.
#[derive(Debug, Clone, PartialEq)]
pub struct SeriesStats {
    /// The series' labels, as the query returns them.
    pub labels: Labels,
    /// Samples in the range (raw samples when the screen read them, else grid points).
    pub samples: u64,
    /// The last value, in the series' unit (bytes).
    pub last: f64,
    /// End of the first and of the last window holding a sample, unix seconds.
    pub first_t: f64,
    /// End of the last window holding a sample, unix seconds.
    pub last_t: f64,
    /// Largest rise of a window minimum over an earlier one, bytes ([`ordered_rise`]).
    pub floor_rise: f64,
}

/// The screen's window, seconds: half of what remains of the recognizer's bucket width once it
/// has seen `span_seconds` (a lower bound of that width) after a warm-up of `warmup_seconds`
/// left unjudged, as a multiple of `step` (at least one step). So a whole window lies in
/// every floor window even where a warm-up's points were dropped.
pub fn floor_window(
    span_seconds: i64,
    step: i64,
    opts: &RecognizeOptions,
    warmup_seconds: f64,
) -> i64 {
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
    let half = ((width - warmup_seconds.max(0.0)) / 2.0).floor() as i64;
    (half / step).max(1) * step
}

/// The smallest floor rise the screen lets through, in the series' unit: the smallest rise
/// of bucket minima the recognizer calls a leak ([`RecognizeOptions::least_rise`]).
pub fn threshold(opts: &RecognizeOptions) -> f64 {
    opts.least_rise()
}

/// How the screen reads the samples: the raw samples of a one-metric selector, or the grid
/// points of any expression (a subquery at the step).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reading {
    /// Raw samples of `selector`, whose metric name is `metric` (range functions drop it).
    Raw {
        /// The selector as given.
        selector: String,
        /// Its one metric name.
        metric: String,
    },
    /// Grid points of the expression.
    Grid(String),
}

impl Reading {
    /// Raw samples when `query` is a selector of one metric and each grid point is one raw
    /// sample (`step` no coarser than the series' own interval `native_seconds`), grid points
    /// otherwise.
    pub fn choose(query: &str, step: i64, native_seconds: Option<f64>) -> Self {
        let metric = VectorSelector::parse(query).and_then(|s| s.metric_name());
        match (metric, native_seconds) {
            (Some(metric), Some(native)) if (step as f64) <= native * 1.005 => Reading::Raw {
                selector: query.trim().to_owned(),
                metric,
            },
            _ => Reading::Grid(query.trim().to_owned()),
        }
    }

    /// `fn(<samples over range> )`: a range selector or a subquery at the step.
    fn over(&self, range: i64, step: i64) -> String {
        match self {
            Reading::Raw { selector, .. } => format!("{selector}[{range}s]"),
            Reading::Grid(q) => format!("({q})[{range}s:{step}s]"),
        }
    }
}

/// The instant query (at `grid.end`) of each series' sample count and last value, each
/// tagged with [`STAT`].
pub fn stats_query(reading: &Reading, grid: &Grid) -> String {
    let over = reading.over(grid.span(), grid.step);
    [("samples", "count_over_time"), ("last", "last_over_time")]
        .iter()
        .map(|(name, f)| format!(r#"label_replace({f}({over}), "{STAT}", "{name}", "", "")"#))
        .collect::<Vec<_>>()
        .join(" or ")
}

/// The instant query (at `grid.end`) of each series' floor curve: the minimum over each
/// window of `window` seconds, as a range of window ends.
pub fn floor_query(reading: &Reading, grid: &Grid, window: i64) -> String {
    format!(
        "min_over_time({})[{}s:{window}s]",
        reading.over(window, grid.step),
        grid.span()
    )
}

/// Runs the screen (its two queries at once): what every series `reading` returns on `grid`
/// looks like. Without `floors`, only samples and last values are read (the floor rise is
/// left NaN): enough to list the series.
pub fn screen(
    prom: &Prometheus,
    reading: &Reading,
    grid: &Grid,
    window: i64,
    floors: bool,
) -> Result<Vec<SeriesStats>, PromError> {
    let t = grid.end as f64;
    let (stats, floors) = std::thread::scope(|s| {
        let floors = s.spawn(move || {
            if floors {
                prom.query(&floor_query(reading, grid, window), t)
            } else {
                Ok(Vec::new())
            }
        });
        let stats = prom.query(&stats_query(reading, grid), t);
        let floors = floors.join().unwrap_or_else(|_| {
            Err(PromError::Malformed {
                url: prom.endpoint().url("/api/v1/query"),
                detail: "the floor query's thread panicked".into(),
            })
        });
        (stats, floors)
    });
    let metric = match reading {
        Reading::Raw { metric, .. } => Some(metric.as_str()),
        Reading::Grid(_) => None,
    };
    Ok(collect(stats?, floors?, metric))
}

fn collect(
    stats: Vec<SeriesData>,
    floors: Vec<SeriesData>,
    metric: Option<&str>,
) -> Vec<SeriesStats> {
    let named = |mut l: Labels| {
        l.remove(STAT);
        if let Some(m) = metric {
            l.insert(labels::NAME.to_owned(), m.to_owned());
        }
        l
    };
    let mut by: BTreeMap<Labels, SeriesStats> = BTreeMap::new();
    for s in stats {
        let Some(p) = s.points.first() else { continue };
        let stat = s.labels.get(STAT).cloned().unwrap_or_default();
        let l = named(s.labels);
        let e = by.entry(l.clone()).or_insert_with(|| SeriesStats {
            labels: l,
            samples: 0,
            last: f64::NAN,
            first_t: f64::NAN,
            last_t: f64::NAN,
            floor_rise: f64::NAN,
        });
        match stat.as_str() {
            "samples" => e.samples = p.v.max(0.0) as u64,
            "last" => e.last = p.v,
            _ => {}
        }
    }
    for f in floors {
        let l = named(f.labels);
        if let (Some(e), Some(first), Some(last)) =
            (by.get_mut(&l), f.points.first(), f.points.last())
        {
            e.first_t = first.t;
            e.last_t = last.t;
            let minima: Vec<f64> = f.points.iter().map(|p| p.v).collect();
            e.floor_rise = ordered_rise(&minima);
        }
    }
    by.into_values().filter(|s| s.samples > 0).collect()
}

/// The largest rise of a value over an earlier one: the recognizer's own measure, so that the
/// screen's bound and the recognizer's least rise are one computation.
pub use leakscope_core::recognize::ordered_rise;

/// The screen's floor rise computed locally on `points` (what the server computes with
/// [`floor_query`]): the [`ordered_rise`] of the minima over windows of `window` seconds
/// ending at the multiples of `window` up to the last point (closed at both ends, as
/// Prometheus 2 range selectors are).
pub fn floor_rise(points: &[Point], window: i64) -> f64 {
    let w = window.max(1) as f64;
    let (Some(first), Some(last)) = (points.first(), points.last()) else {
        return 0.0;
    };
    let mut minima = Vec::new();
    let mut end = (first.t / w).ceil() * w;
    let mut i0 = 0;
    while end <= last.t {
        while i0 < points.len() && points[i0].t < end - w {
            i0 += 1;
        }
        let m = points[i0..]
            .iter()
            .take_while(|p| p.t <= end)
            .map(|p| p.v)
            .filter(|v| v.is_finite())
            .fold(f64::INFINITY, f64::min);
        if m.is_finite() {
            minima.push(m);
        }
        end += w;
    }
    ordered_rise(&minima)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_is_half_a_bucket_on_the_grid() {
        let o = RecognizeOptions::default();
        // 7 days: buckets of 1 s (the recognizer's default) double to 8192 s; half is
        // 4096 s, 3900 s on a 300 s grid.
        assert_eq!(floor_window(7 * 86400, 300, &o, 0.0), 3900);
        // After a 10-minute warm-up: (8192 - 600) / 2 = 3796 s, 3600 s on the grid.
        assert_eq!(floor_window(7 * 86400, 300, &o, 600.0), 3600);
        // One day: 1024 s buckets; windows of 480 s on a 60 s grid.
        assert_eq!(floor_window(86400, 60, &o, 0.0), 480);
        // Buckets of 60 s, as a caller may set them: 7680 s after 7 days, 3600 s windows.
        let o60 = RecognizeOptions {
            bucket_seconds: 60.0,
            ..RecognizeOptions::default()
        };
        assert_eq!(floor_window(7 * 86400, 300, &o60, 0.0), 3600);
        // Never below one step.
        assert_eq!(floor_window(3600, 600, &o, 0.0), 600);
        assert_eq!(floor_window(3600, 60, &o, 7200.0), 60);
        assert_eq!(threshold(&o), 1e6);
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
    fn queries_read_raw_samples_only_when_exact() {
        let g = Grid::new(0, 86400, 60).expect("grid");
        let raw = Reading::choose("m{a=\"b\"}", 60, Some(60.0));
        assert!(matches!(raw, Reading::Raw { ref metric, .. } if metric == "m"));
        assert_eq!(
            floor_query(&raw, &g, 480),
            "min_over_time(m{a=\"b\"}[480s])[86400s:480s]"
        );
        let q = stats_query(&raw, &g);
        assert!(q.contains("count_over_time(m{a=\"b\"}[86400s])") && q.contains("\"last\""));
        // A coarser step than the samples, an unknown resolution, an expression, or several
        // metrics: grid points through a subquery.
        for r in [
            Reading::choose("m", 300, Some(60.0)),
            Reading::choose("m", 60, None),
            Reading::choose("rate(m[5m])", 60, Some(60.0)),
            Reading::choose("{__name__=~\"a|b\"}", 60, Some(60.0)),
        ] {
            assert!(matches!(r, Reading::Grid(_)), "{r:?}");
        }
        let grid = Reading::choose("sum(m)", 60, None);
        assert_eq!(
            floor_query(&grid, &g, 480),
            "min_over_time((sum(m))[480s:60s])[86400s:480s]"
        );
    }

    #[test]
    fn the_ordered_rise_ignores_falls() {
        assert_eq!(ordered_rise(&[5.0, 4.0, 3.0]), 0.0);
        assert_eq!(ordered_rise(&[5.0, 1.0, 3.0, 2.0, 4.5]), 3.5);
        assert_eq!(ordered_rise(&[f64::NAN, 1.0, 2.0]), 1.0);
        assert_eq!(ordered_rise(&[]), 0.0);
    }
}
