//! Judging every series a PromQL query returns: choose the grid, screen server-side, fetch
//! and judge the candidates, settle the rest from the screen, rank by urgency.

use std::cmp::Ordering;

use leakscope_core::{Pattern, Point, RecognizeOptions, Verdict, VerdictKind};
use serde::Serialize;

use crate::cohort::{self, CohortFinding, CohortOptions};
use crate::fetch::{self, FetchLimits, Judged, Points, Wanted};
use crate::labels::{Labels, VectorSelector};
use crate::prom::{PromError, Prometheus};
use crate::range::{auto_step, Grid};
use crate::screen::{self, Reading, SeriesStats};

/// When to screen before fetching.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScreenMode {
    /// Screen when the query returns more than [`AUTO_SCREEN_ABOVE`] series.
    Auto,
    /// Always screen.
    On,
    /// Fetch and judge every series in full.
    Off,
}

/// [`ScreenMode::Auto`] screens above this many series.
pub const AUTO_SCREEN_ABOVE: usize = 100;

/// What to judge and how.
#[derive(Debug, Clone)]
pub struct FleetQuery {
    /// The PromQL expression whose series are judged (bytes).
    pub query: String,
    /// Start and end of the range, unix seconds.
    pub start: f64,
    /// End of the range, unix seconds.
    pub end: f64,
    /// Seconds between points; `None` chooses one (the series' own resolution when the query
    /// is a selector, under the points limit).
    pub step: Option<i64>,
    /// Recognition options for every series (`limit_bytes` is overridden per series by
    /// `limit_query`).
    pub opts: RecognizeOptions,
    /// An instant query giving each series' memory limit, bytes, matched on shared labels
    /// (e.g. `container_spec_memory_limit_bytes`).
    pub limit_query: Option<String>,
    /// A query giving each series' container restart counter (e.g. kube-state-metrics'
    /// `kube_pod_container_status_restarts_total`), matched on shared labels like
    /// `limit_query`: its increase over the range is reported with each verdict
    /// ([`FleetVerdict::restarts_counted`]).
    pub restarts_query: Option<String>,
    /// Screening.
    pub screen: ScreenMode,
    /// Fetch spread.
    pub limits: FetchLimits,
    /// Seconds after a start inside the range (a deploy) or a restart whose points are not
    /// judged (caches and pools filling).
    pub warmup_seconds: f64,
    /// How series are grouped into cohorts.
    pub cohorts: CohortOptions,
    /// Hand back each series' points of this many seconds before its last one
    /// ([`FleetVerdict::recent`]), for alert rules over a recent window; 0 for none.
    pub keep_recent_seconds: f64,
}

/// One element of the fleet's `{"series": [...]}`: the Verdict JSON of DESIGN.md plus the
/// series' labels, its cohort finding, and whether the screen settled it.
#[derive(Debug, Clone, Serialize)]
pub struct FleetVerdict {
    /// The recognizer's verdict; `name` is the series' selector.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The series' labels.
    pub labels: Labels,
    /// How the series compares with its cohort, when it belongs to one.
    pub cohort: Option<CohortFinding>,
    /// True when the screen showed the floor could not have risen enough for a leak, so the
    /// full curve was not fetched (then `first_bytes` is null and `pattern` is `stable`).
    pub screened_out: bool,
    /// Restarts of the series' container over the range, counted by the orchestrator
    /// ([`FleetQuery::restarts_query`]; 0 when no counter matched); absent without that query.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub restarts_counted: Option<u64>,
    /// Time of the first point, unix seconds (for "detected after").
    #[serde(skip)]
    pub first_t: f64,
    /// With [`FleetQuery::keep_recent_seconds`]: the series' points of that long before its
    /// last one, oldest first — only the last one when the screen settled the series.
    #[serde(skip)]
    pub recent: Vec<Point>,
}

/// What a fleet run did, for `-v` and the benchmark.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct RunStats {
    /// Series the query returned.
    pub series: usize,
    /// Series fetched in full and judged by the recognizer.
    pub fetched: usize,
    /// Series settled by the screen.
    pub screened_out: usize,
    /// The grid's step, seconds.
    pub step: i64,
    /// The screen's window, seconds.
    pub window: i64,
    /// True when the screen read raw samples (a one-metric selector at its own resolution),
    /// false when it read grid points through subqueries.
    pub raw_samples: bool,
    /// Requests sent (retries included).
    pub queries: u64,
    /// Answer bytes read.
    pub bytes: u64,
}

/// Progress of a fleet run, for a progress bar.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The screen is done: `series` in all, `fetch` of them to fetch.
    Screened {
        /// Series the query returned.
        series: usize,
        /// Series to fetch.
        fetch: usize,
    },
    /// One more series fetched and judged.
    Judged,
}

/// Why a fleet run failed.
#[derive(Debug, thiserror::Error)]
pub enum FleetError {
    /// A request failed.
    #[error(transparent)]
    Prometheus(#[from] PromError),
    /// The query returned no series over the range.
    #[error("the query `{query}` returned no series between {start} and {end}; check the metric name and labels (try it in the Prometheus UI)")]
    NoSeries {
        /// The query.
        query: String,
        /// Range start, RFC 3339.
        start: String,
        /// Range end, RFC 3339.
        end: String,
    },
    /// The range or step is unusable.
    #[error("{0}")]
    Range(String),
}

/// The grid a run uses and the series' own sampling interval when known (probed on the last
/// hour when the query is a selector): the given step, else that interval coarsened to stay
/// under the points limit.
pub fn plan_grid(prom: &Prometheus, q: &FleetQuery) -> Result<(Grid, Option<f64>), FleetError> {
    let (start, end) = (q.start.ceil() as i64, q.end.floor() as i64);
    if end <= start {
        return Err(FleetError::Range(format!(
            "the range is empty: --start ({}) must be before --end ({})",
            q.start, q.end
        )));
    }
    let native = native_resolution(prom, &q.query, end)?;
    let step = match q.step {
        Some(s) if s >= 1 => s,
        Some(s) => return Err(FleetError::Range(format!("--step must be ≥ 1 s, not {s}"))),
        None => auto_step(end - start, native),
    };
    let grid = Grid::new(start, end, step).ok_or_else(|| {
        FleetError::Range(format!(
            "the range from {start} to {end} holds no multiple of the step ({step} s); widen it or use a finer --step"
        ))
    })?;
    Ok((grid, native))
}

/// Seconds between a selector's samples: the median over series of the last 6 hours' span
/// over their sample count less one.
fn native_resolution(prom: &Prometheus, query: &str, end: i64) -> Result<Option<f64>, PromError> {
    if VectorSelector::parse(query).is_none() {
        return Ok(None);
    }
    const PROBE: f64 = 6.0 * 3600.0;
    let counts = prom.query(
        &format!("count_over_time({}[6h])", query.trim()),
        end as f64,
    )?;
    let mut c: Vec<f64> = counts
        .iter()
        .filter_map(|s| s.points.first().map(|p| p.v))
        .filter(|&n| n >= 3.0)
        .map(|n| PROBE / (n - 1.0))
        .collect();
    if c.is_empty() {
        return Ok(None);
    }
    c.sort_by(f64::total_cmp);
    Ok(Some(c[c.len() / 2]))
}

/// Judges every series `q.query` returns; verdicts ranked by urgency.
pub fn judge_fleet(
    prom: &Prometheus,
    q: &FleetQuery,
    progress: &mut dyn FnMut(Progress),
) -> Result<(Vec<FleetVerdict>, RunStats), FleetError> {
    let (grid, native) = plan_grid(prom, q)?;
    let window = screen::floor_window(grid.span(), grid.step, &q.opts, q.warmup_seconds);
    let reading = Reading::choose(&q.query, grid.step, native);
    let stats = screen::screen(prom, &reading, &grid, window, q.screen != ScreenMode::Off)?;
    if stats.is_empty() {
        return Err(FleetError::NoSeries {
            query: q.query.clone(),
            start: leakscope_core::alert::fmt_time(grid.start as f64),
            end: leakscope_core::alert::fmt_time(grid.end as f64),
        });
    }
    let limits = match &q.limit_query {
        Some(lq) => prom.query(lq, grid.end as f64)?,
        None => Vec::new(),
    };
    let restarts = match &q.restarts_query {
        Some(rq) => prom.query(&restarts_over(rq, &grid), grid.end as f64)?,
        None => Vec::new(),
    };
    // (A counter that did not move is 0, which `joined` skips as no value: no restart.)
    let counted = |l: &Labels| -> Option<u64> {
        q.restarts_query
            .as_ref()
            .map(|_| joined(l, &restarts).map_or(0, |n| n.round().max(0.0) as u64))
    };
    let screening = match q.screen {
        ScreenMode::On => true,
        ScreenMode::Off => false,
        ScreenMode::Auto => stats.len() > AUTO_SCREEN_ABOVE,
    };
    let threshold = screen::threshold(&q.opts);
    let min_span = q.opts.min_span_seconds.max(0.0);
    let mut out = Vec::with_capacity(stats.len());
    let mut wanted = Vec::new();
    for s in stats.iter() {
        let mut opts = q.opts.clone();
        if let Some(limit) = limit_for(&s.labels, &limits) {
            opts.limit_bytes = Some(limit);
        }
        // Short series are cheap to fetch, and only the recognizer can say they are too short.
        let settled = screening
            && s.floor_rise < threshold
            && s.last_t - s.first_t - window as f64 >= 2.0 * min_span
            && s.samples >= 20;
        if settled {
            let mut v = settled_verdict(s, &opts, threshold);
            v.note_restarts(counted(&s.labels), q.restarts_query.as_deref());
            if q.keep_recent_seconds > 0.0 {
                v.recent = vec![Point::new(s.last_t, s.last)];
            }
            out.push(v);
        } else {
            wanted.push(Wanted {
                labels: s.labels.clone(),
                opts,
            });
        }
    }
    let mut run = RunStats {
        series: stats.len(),
        fetched: wanted.len(),
        screened_out: out.len(),
        step: grid.step,
        window,
        raw_samples: matches!(reading, Reading::Raw { .. }),
        ..RunStats::default()
    };
    progress(Progress::Screened {
        series: stats.len(),
        fetch: wanted.len(),
    });
    drop(stats);
    fetch::fetch_and_judge(
        prom,
        &q.query,
        &grid,
        wanted,
        q.limits,
        Points {
            warmup_seconds: q.warmup_seconds,
            recent_seconds: q.keep_recent_seconds.max(0.0),
        },
        |j: Judged| {
            progress(Progress::Judged);
            let n = counted(&j.labels);
            let mut v = FleetVerdict {
                verdict: j.verdict,
                labels: j.labels,
                cohort: None,
                screened_out: false,
                restarts_counted: None,
                first_t: j.first_t,
                recent: j.recent,
            };
            v.note_restarts(n, q.restarts_query.as_deref());
            out.push(v);
        },
    )?;
    cohort::compare(&mut out, &q.cohorts);
    rank(&mut out);
    run.queries = prom.stats().queries();
    run.bytes = prom.stats().bytes();
    Ok((out, run))
}

/// The verdict of a series the screen settled: not a leak, because its floor rose less than
/// the least rise of the minima a leak shows ([`screen::threshold`]). Its confidence follows
/// the recognizer's formula for a no-leak (0.55 + 0.4 × how far the rise stayed below what a
/// leak needs); its span is that of the screen's windows holding samples.
fn settled_verdict(s: &SeriesStats, opts: &RecognizeOptions, threshold: f64) -> FleetVerdict {
    let needed = 2.0 * threshold;
    let rise = s.floor_rise.max(0.0);
    let mb = |b: f64| b / 1e6;
    FleetVerdict {
        verdict: Verdict {
            name: crate::labels::selector(&s.labels),
            verdict: VerdictKind::NoLeak,
            pattern: Pattern::Stable,
            growth_bytes_per_hour: 0.0,
            confidence: (0.55 + 0.4 * (1.0 - rise / needed.max(1.0))).clamp(0.0, 1.0),
            detected_at: None,
            time_to_limit_seconds: None,
            limit_bytes: opts.limit_bytes,
            samples: s.samples as usize,
            span_seconds: s.last_t - s.first_t,
            first_bytes: f64::NAN,
            last_bytes: s.last,
            restarts: 0,
            reasons: vec![format!(
                "screened: the floor rose at most {:.1} MB over the range; a leak's rises ≥ {:.1} MB",
                mb(rise),
                mb(threshold)
            )],
            windows: Vec::new(),
            confirmed_by_window_seconds: None,
            caveat: None,
            period_seconds: None,
        },
        labels: s.labels.clone(),
        cohort: None,
        screened_out: true,
        restarts_counted: None,
        first_t: s.first_t,
        recent: Vec::new(),
    }
}

impl FleetVerdict {
    /// Record `n` restarts of the series' container counted by `query` over the range, and
    /// say so in the reasons when there were any.
    fn note_restarts(&mut self, n: Option<u64>, query: Option<&str>) {
        self.restarts_counted = n;
        if let (Some(n @ 1..), Some(q)) = (n, query) {
            self.verdict.reasons.push(format!(
                "the container restarted {n} time(s) over the range (counted by `{}`)",
                q.trim()
            ));
        }
    }
}

/// The increase over `grid`'s range of the restart counters `query` returns, as an instant
/// query at its end: `increase` over the range of a selector, or of a subquery at the grid's
/// step for an expression; rounded (a counter counts whole restarts, `increase` extrapolates).
pub fn restarts_over(query: &str, grid: &Grid) -> String {
    let q = query.trim();
    let span = grid.span();
    if VectorSelector::parse(q).is_some() {
        format!("round(increase({q}[{span}s]))")
    } else {
        format!("round(increase(({q})[{span}s:{}s]))", grid.step)
    }
}

/// The limit of the series labeled `l`: the limit series sharing the most labels with it, all
/// of them equal (`__name__` aside); none when two such series tie with different values.
pub fn limit_for(l: &Labels, limits: &[crate::prom::SeriesData]) -> Option<f64> {
    joined(l, limits)
}

/// The positive value of the series of `values` that shares the most labels with `l`, all of
/// them equal (`__name__` aside); none when two such series tie with different values: how a
/// limit or a restart counter is matched to a memory series.
pub fn joined(l: &Labels, values: &[crate::prom::SeriesData]) -> Option<f64> {
    let mut best: Option<(usize, f64)> = None;
    let mut tie = false;
    for s in values {
        let Some(v) = s
            .points
            .first()
            .map(|p| p.v)
            .filter(|v| v.is_finite() && *v > 0.0)
        else {
            continue;
        };
        let mut shared = 0;
        let mut agree = true;
        for (k, lv) in &s.labels {
            if k == crate::labels::NAME {
                continue;
            }
            match l.get(k) {
                Some(x) if x == lv => shared += 1,
                Some(_) => agree = false,
                None => {}
            }
        }
        if !agree || shared == 0 {
            continue;
        }
        match best {
            Some((n, bv)) if n == shared => tie |= bv != v,
            Some((n, _)) if n > shared => {}
            _ => {
                best = Some((shared, v));
                tie = false;
            }
        }
    }
    best.filter(|_| !tie).map(|(_, v)| v)
}

/// Most urgent first: leaks before the rest, then the shortest time to limit, then the fastest
/// growth, then the name.
pub fn rank(v: &mut [FleetVerdict]) {
    v.sort_by(|a, b| {
        urgency(&a.verdict, &b.verdict).then_with(|| a.verdict.name.cmp(&b.verdict.name))
    });
}

fn urgency(a: &Verdict, b: &Verdict) -> Ordering {
    let level = |v: &Verdict| match v.verdict {
        VerdictKind::Leak => 0,
        VerdictKind::NoLeak => 1,
        VerdictKind::InsufficientData => 2,
    };
    let ttl = |v: &Verdict| v.time_to_limit_seconds.unwrap_or(f64::INFINITY);
    level(a)
        .cmp(&level(b))
        .then_with(|| ttl(a).total_cmp(&ttl(b)))
        .then_with(|| b.growth_bytes_per_hour.total_cmp(&a.growth_bytes_per_hour))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::prom::SeriesData;
    use leakscope_core::Point;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn limits_match_on_shared_labels() {
        let lim = |pairs: &[(&str, &str)], v: f64| SeriesData {
            labels: l(pairs),
            points: vec![Point::new(0.0, v)],
        };
        let limits = vec![
            lim(
                &[("__name__", "lim"), ("pod", "a"), ("container", "app")],
                1e9,
            ),
            lim(
                &[("__name__", "lim"), ("pod", "a"), ("container", "side")],
                2e8,
            ),
            lim(&[("__name__", "lim"), ("pod", "b")], 5e8),
        ];
        let s = l(&[
            ("__name__", "m"),
            ("pod", "a"),
            ("container", "app"),
            ("ns", "x"),
        ]);
        assert_eq!(limit_for(&s, &limits), Some(1e9));
        assert_eq!(
            limit_for(&l(&[("pod", "b"), ("container", "app")]), &limits),
            Some(5e8)
        );
        // Only `pod` shared with two different limits: ambiguous.
        assert_eq!(limit_for(&l(&[("pod", "a")]), &limits), None);
        assert_eq!(limit_for(&l(&[("pod", "c")]), &limits), None);
    }

    #[test]
    fn restarts_are_counted_over_the_range() {
        let grid = Grid::new(0, 86_400, 300).expect("grid");
        assert_eq!(
            restarts_over(" kube_pod_container_status_restarts_total ", &grid),
            "round(increase(kube_pod_container_status_restarts_total[86400s]))"
        );
        assert_eq!(
            restarts_over("sum by (pod) (restarts_total)", &grid),
            "round(increase((sum by (pod) (restarts_total))[86400s:300s]))"
        );
    }
}
