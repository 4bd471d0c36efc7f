//! Leak recognition: one streaming recognizer that every command uses.
//!
//! # How it decides
//! A [`Recognizer`] keeps a bounded summary of the series — at most
//! [`RecognizeOptions::max_buckets`] time buckets with the min/mean/max of their points; when
//! full, neighbours merge pairwise and the width doubles — so memory stays bounded however long
//! the series. Each evaluation then:
//! 1. splits the series at **restarts**: the floor falls by more than half (Coroot's rule), or
//!    falls back near where the segment started after climbing for ≥ 90 minutes;
//! 2. takes the **floor** of the last segment: a trailing rolling minimum of the bucket minima
//!    over 1/12 of the segment, widened to a whole cycle when the autocorrelation of the
//!    bucket means shows one (GC sawtooth, daily traffic) — the floor after each GC / each
//!    daily trough;
//! 3. measures the floor's **trend** with a robust Theil–Sen-style slope (median of slopes
//!    between points half the segment apart) and a Mann–Kendall τ on ≤ 12 chunk medians of
//!    the floor (aggregating tames autocorrelation; ties within noise count as neither);
//! 4. calls it a **leak** when the floor rise over the segment is significant —
//!    ≥ [`RecognizeOptions::rise_sigmas`] × the robust noise of the floor *and* ≥
//!    [`RecognizeOptions::min_rise_bytes`], with growth ≥
//!    [`RecognizeOptions::min_growth_bytes_per_hour`] — the trend is monotone (τ ≥ 0.55),
//!    and it is not a **plateau** (the last third grows < 45 % of the middle third's rate, or
//!    barely at all) nor a **step** (one or two jumps carry the rise, flat afterwards). A
//!    staircase of ≥ 3 jumps that keeps coming is **growth in bursts**, a leak;
//! 5. if the whole segment is not a leak, judges its recent half alone (a leak that starts
//!    mid-series); if the last segment is too short, the previous one speaks (leak with
//!    restarts).
//!
//! Evaluations run when buckets close, on a schedule of one per `max(2, len/6)` closed
//! buckets (so cost per point stays O(1) amortized, and detection lags by at most a sixth of
//! the summarized span), until a leak is flagged; [`Recognizer::verdict`] reuses the cached
//! result and re-evaluates (a few µs, the open bucket included) at most once per closed
//! bucket.
//!
//! # Minimums (why a tiny steady slope is not a leak)
//! A leak needs the floor to rise by at least `max(rise_sigmas × σ_floor, min_rise_bytes)` —
//! 6 robust noise scales and 4 MB by default — at ≥ 1 MB/h, over ≥ 20 minutes of data. A
//! perfectly regular slope of a few KB/h over an hour moves the floor by kilobytes: below the
//! 4 MB floor, where allocator noise, page rounding and measurement jitter live.

mod buckets;
mod evaluate;
mod stats;
mod window;

use crate::series::Point;
use crate::verdict::{Pattern, Verdict, VerdictKind};
use buckets::{Bucket, Buckets};
use evaluate::{evaluate, Eval};
use std::sync::Mutex;
use window::Cfg;

/// Knobs of recognition, with the field's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct RecognizeOptions {
    /// The memory limit in bytes (cgroup limit or `--limit`), for `time_to_limit_seconds`.
    pub limit_bytes: Option<f64>,
    /// Shortest stretch of series judged at all, seconds (default 1200 = 20 min); shorter
    /// series get `insufficient_data`.
    pub min_span_seconds: f64,
    /// Smallest floor growth called a leak, bytes per hour (default 1 MB/h).
    pub min_growth_bytes_per_hour: f64,
    /// Smallest total rise of the floor over the judged stretch called a leak, bytes
    /// (default 4 MB): below it a steady slope is allocator noise, whatever its regularity.
    pub min_rise_bytes: f64,
    /// How many robust noise scales (1.4826 × MAD of the floor about its trend) the floor
    /// rise must exceed (default 6).
    pub rise_sigmas: f64,
    /// Maximum number of buckets kept (default 128; memory per recognizer ≈ 64 B × this).
    pub max_buckets: usize,
    /// Initial bucket width, seconds (default 60); doubles each time the buffer fills.
    pub bucket_seconds: f64,
}

impl Default for RecognizeOptions {
    fn default() -> Self {
        Self {
            limit_bytes: None,
            min_span_seconds: 1200.0,
            min_growth_bytes_per_hour: 1e6,
            min_rise_bytes: 4e6,
            rise_sigmas: 6.0,
            max_buckets: 128,
            bucket_seconds: 60.0,
        }
    }
}

impl RecognizeOptions {
    fn cfg(&self) -> Cfg {
        let pos = |x: f64, d: f64| if x.is_finite() && x >= 0.0 { x } else { d };
        Cfg {
            min_span_s: pos(self.min_span_seconds, 1200.0),
            min_growth_bps: pos(self.min_growth_bytes_per_hour, 1e6) / 3600.0,
            min_rise_bytes: pos(self.min_rise_bytes, 4e6),
            rise_sigmas: pos(self.rise_sigmas, 6.0),
            min_tau: 0.55,
        }
    }
}

/// The streaming recognizer: fed points in time order, in bounded memory; its verdict at any
/// moment is what `watch` acts on, and its final verdict is what `analyze` reports.
///
/// Points with a non-finite time or value, or a time before the previous point, are ignored
/// (and counted in the verdict's reasons). `push` is O(1) amortized.
#[derive(Debug)]
pub struct Recognizer {
    name: String,
    opts: RecognizeOptions,
    cfg: Cfg,
    buckets: Buckets,
    n: usize,
    ignored: usize,
    first: Option<Point>,
    last: Option<Point>,
    closes_since_eval: usize,
    /// Cached evaluation and the number of points it covered.
    cached: Eval,
    cached_at: usize,
    /// Buckets closed so far (monotone).
    closes: u64,
    /// The evaluation `verdict` made between scheduled ones (it includes the open bucket),
    /// with the `closes` count it was made at: reused until the next bucket closes.
    fresh: Mutex<Option<(u64, Eval)>>,
    /// First point at which an evaluation said "leak", unix seconds.
    detected_at: Option<f64>,
}

impl Recognizer {
    /// A recognizer for the series called `name`.
    pub fn new(name: impl Into<String>, opts: RecognizeOptions) -> Self {
        let cfg = opts.cfg();
        let cap = opts.max_buckets.clamp(16, 4096);
        Self {
            name: name.into(),
            buckets: Buckets::new(opts.bucket_seconds, cap),
            opts,
            cfg,
            n: 0,
            ignored: 0,
            first: None,
            last: None,
            closes_since_eval: 0,
            cached: Eval::insufficient(0),
            cached_at: 0,
            closes: 0,
            fresh: Mutex::new(None),
            detected_at: None,
        }
    }

    /// Feed the next point (`t` unix seconds, `v` bytes), in time order. Non-finite points and
    /// points older than the previous one are ignored.
    pub fn push(&mut self, p: Point) {
        if !p.t.is_finite() || !p.v.is_finite() || self.last.is_some_and(|l| p.t < l.t) {
            self.ignored += 1;
            return;
        }
        self.n += 1;
        self.first.get_or_insert(p);
        self.last = Some(p);
        if self.buckets.push(p.t, p.v) {
            self.closes_since_eval += 1;
            self.closes += 1;
            let len = self.buckets.closed.len();
            // Once a leak is flagged, `detected_at` is known and `verdict` evaluates afresh
            // when asked, so the scheduled evaluations can stop.
            if self.detected_at.is_none() && self.closes_since_eval >= (len / 6).max(2) {
                self.closes_since_eval = 0;
                self.cached = evaluate(&self.buckets.closed, &self.cfg);
                self.cached_at = self.n;
                if self.cached.kind == VerdictKind::Leak && self.detected_at.is_none() {
                    self.detected_at = Some(p.t);
                }
            }
        }
    }

    /// Number of points accepted so far.
    pub fn len(&self) -> usize {
        self.n
    }

    /// True when no point was accepted yet.
    pub fn is_empty(&self) -> bool {
        self.n == 0
    }

    /// The verdict on everything pushed so far. Cheap: it reuses the last evaluation, and
    /// evaluates afresh (a few µs, the open bucket included) at most once per closed bucket —
    /// so `watch` can ask after every sample.
    pub fn verdict(&self) -> Verdict {
        let fresh;
        let e = if self.cached_at == self.n {
            &self.cached
        } else {
            let mut slot = self.fresh.lock().unwrap_or_else(|p| p.into_inner());
            fresh = match *slot {
                Some((at, e)) if at == self.closes => e,
                _ => {
                    let mut all: Vec<Bucket> = self.buckets.closed.clone();
                    all.extend(self.buckets.open);
                    let e = evaluate(&all, &self.cfg);
                    *slot = Some((self.closes, e));
                    e
                }
            };
            &fresh
        };
        let first = self.first.unwrap_or(Point::new(0.0, 0.0));
        let last = self.last.unwrap_or(first);
        let leak = e.kind == VerdictKind::Leak;
        let detected_at = if leak {
            self.detected_at.or(Some(last.t))
        } else {
            None
        };
        let growth = e.growth_bps * 3600.0;
        let time_to_limit_seconds = match self.opts.limit_bytes {
            Some(limit) if leak && e.growth_bps > 0.0 && limit.is_finite() => {
                let now = if e.floor_now.is_finite() {
                    e.floor_now
                } else {
                    last.v
                };
                Some(((limit - now) / e.growth_bps).max(0.0))
            }
            _ => None,
        };
        Verdict {
            name: self.name.clone(),
            verdict: e.kind,
            pattern: e.pattern,
            growth_bytes_per_hour: if growth.is_finite() { growth } else { 0.0 },
            confidence: if e.confidence.is_finite() {
                e.confidence.clamp(0.0, 1.0)
            } else {
                0.0
            },
            detected_at,
            time_to_limit_seconds,
            limit_bytes: self.opts.limit_bytes,
            samples: self.n,
            span_seconds: last.t - first.t,
            first_bytes: first.v,
            last_bytes: last.v,
            restarts: e.restarts,
            reasons: self.reasons(e),
        }
    }

    fn reasons(&self, e: &Eval) -> Vec<String> {
        let mb = |b: f64| b / 1e6;
        let mut r = Vec::new();
        match (&e.detail, e.kind) {
            (_, VerdictKind::InsufficientData) => r.push(format!(
                "need at least {:.0} minutes and 10 samples to judge",
                self.cfg.min_span_s / 60.0
            )),
            (Some(d), kind) => {
                let judged_s = self.last.map_or(0.0, |p| (p.t - e.judged_from).max(0.0));
                let judged = if judged_s >= 5400.0 {
                    format!("{:.1} h", judged_s / 3600.0)
                } else if judged_s >= 120.0 {
                    format!("{:.0} min", judged_s / 60.0)
                } else {
                    format!("{judged_s:.0} s")
                };
                r.push(format!(
                    "floor {} {:.1} MB ({:.2} MB/h) over the last {judged}; a leak needs ≥ {:.1} MB",
                    if d.rise >= 0.0 { "rose" } else { "fell" },
                    mb(d.rise.abs()),
                    mb(d.growth_bps * 3600.0),
                    mb(d.rise_needed)
                ));
                r.push(format!(
                    "trend τ = {:.2} (≥ 0.55 is a monotone trend)",
                    d.tau
                ));
                match e.pattern {
                    Pattern::Plateau => r.push(format!(
                        "growth decelerates: last third grows at {:.0}% of the middle third",
                        100.0 * d.late_ratio
                    )),
                    Pattern::Step => r.push("one step up, flat since".into()),
                    _ => {}
                }
                if kind == VerdictKind::Leak && self.detected_at.is_some() {
                    r.push("flagged while replaying the series in order".into());
                }
            }
            (None, _) => {}
        }
        if e.restarts > 0 {
            r.push(format!("{} restart(s) seen", e.restarts));
        }
        if self.ignored > 0 {
            r.push(format!(
                "{} non-finite or out-of-order point(s) ignored",
                self.ignored
            ));
        }
        r
    }
}

impl Clone for Recognizer {
    fn clone(&self) -> Self {
        let fresh = *self.fresh.lock().unwrap_or_else(|p| p.into_inner());
        Self {
            name: self.name.clone(),
            opts: self.opts.clone(),
            cfg: self.cfg,
            buckets: self.buckets.clone(),
            n: self.n,
            ignored: self.ignored,
            first: self.first,
            last: self.last,
            closes_since_eval: self.closes_since_eval,
            cached: self.cached,
            cached_at: self.cached_at,
            closes: self.closes,
            fresh: Mutex::new(fresh),
            detected_at: self.detected_at,
        }
    }
}

/// The recognizer's robust slope (units of `y` per unit of `x`): the median of the slopes
/// between each point and the point half the series later. Used outside recognition too,
/// e.g. for memory growth per request served. 0 for fewer than 2 points.
pub fn robust_slope(x: &[f64], y: &[f64]) -> f64 {
    stats::half_lag_slope(x, y, &mut Vec::new())
}

/// Recognize a whole series by replaying it through a [`Recognizer`].
pub fn recognize(name: &str, points: &[Point], opts: &RecognizeOptions) -> Verdict {
    let mut r = Recognizer::new(name, opts.clone());
    for p in points {
        r.push(*p);
    }
    r.verdict()
}
