//! The trailing windows — the last hour, six hours and day — judged on their own beside the
//! whole series: a recent window keeps a fixed resolution however long the series (a ring of
//! buckets), so a leak that starts late in a month-long series is seen within hours, and
//! fleet users get the floor's trend over the windows their alerts use.
//!
//! A window's leak counts only when the whole series does not contradict it: a window shorter
//! than about two cycles of a cycle seen in the whole series (a daily ramp seen in the last
//! hour) cannot confirm anything.

use super::buckets::{Bucket, Ring};
use super::evaluate::{evaluate, Eval, DAY};
use super::stats::quantile_mut;
use super::stretch::Cfg;
use crate::verdict::{Pattern, VerdictKind, WindowTrend};

/// One trailing window: its length and the ring that keeps it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct WindowSpec {
    /// Length, seconds.
    pub seconds: f64,
    /// Ring bucket width, seconds.
    pub bucket_seconds: f64,
}

/// The windows reported and judged: 1 h, 6 h, 1 d.
pub(crate) const WINDOWS: [WindowSpec; 3] = [
    WindowSpec {
        seconds: 3600.0,
        bucket_seconds: 60.0,
    },
    WindowSpec {
        seconds: 21600.0,
        bucket_seconds: 300.0,
    },
    WindowSpec {
        seconds: 86400.0,
        bucket_seconds: 900.0,
    },
];

/// A series must cover this share of a window for the window to be judged.
const COVER: f64 = 0.95;

/// Whether a series spanning `span` seconds covers window `spec` enough to judge it.
pub(crate) fn covers(spec: &WindowSpec, span: f64) -> bool {
    span >= COVER * spec.seconds
}

/// The rings of the trailing windows and when each was last judged.
#[derive(Debug, Clone)]
pub(crate) struct Windows {
    pub rings: [Ring; 3],
    /// Time of the last scheduled judgement of each window, unix seconds.
    pub judged_at: [f64; 3],
    /// Whether each window was looked at since the series first covered it.
    pub covered: [bool; 3],
    started: bool,
}

impl Windows {
    pub fn new() -> Self {
        let ring = |w: WindowSpec| {
            Ring::new(
                w.bucket_seconds,
                (w.seconds / w.bucket_seconds) as usize + 2,
            )
        };
        Self {
            rings: WINDOWS.map(ring),
            judged_at: [f64::NEG_INFINITY; 3],
            covered: [false; 3],
            started: false,
        }
    }

    /// Feed a point: to the finest ring, and each bucket closing there to the next coarser
    /// ring (their widths divide each other and they share an origin, so the coarse buckets
    /// are exactly what the points would have made; they lag by one fine bucket). Returns a
    /// bit per ring whose bucket closed.
    pub fn push(&mut self, t: f64, v: f64) -> u8 {
        if !self.started {
            self.started = true;
            for r in &mut self.rings {
                r.set_origin(t);
            }
        }
        let Some(mut b) = self.rings[0].push(t, v) else {
            return 0;
        };
        let mut closed = 1u8;
        for k in 1..self.rings.len() {
            match self.rings[k].push_bucket(&b) {
                Some(c) => {
                    closed |= 1 << k;
                    b = c;
                }
                None => break,
            }
        }
        closed
    }
}

/// The buckets of the last `spec.seconds` before `t_last`: from the whole-series summary when
/// it is at least as fine there, else from the window's ring.
pub(crate) fn window_buckets(
    spec: WindowSpec,
    main: &[Bucket],
    main_width: f64,
    ring: &Ring,
    t_last: f64,
    out: &mut Vec<Bucket>,
) {
    let since = t_last - spec.seconds;
    if main_width <= spec.bucket_seconds {
        out.clear();
        out.extend(main.iter().filter(|b| b.t_first >= since).copied());
    } else {
        ring.since(since, out);
        // The ring's oldest bucket may reach back before the window: keep whole buckets only.
        if out.first().is_some_and(|b| b.t_first < since) {
            out.remove(0);
        }
    }
}

/// Judge window `k` when the series covers it (`span` seconds so far).
/// `main` holds the whole-series buckets (`main_width` seconds wide). With `cfg.screen`, a
/// window whose floor cannot have risen enough is not judged (see [`super::may_rise`]).
pub(crate) fn judge_window(
    k: usize,
    span: f64,
    (main, main_width): (&[Bucket], f64),
    rings: &[Ring; 3],
    t_last: f64,
    cfg: &Cfg,
    scratch: &mut Vec<Bucket>,
) -> Option<Eval> {
    let spec = WINDOWS[k];
    if !covers(&spec, span) {
        return None;
    }
    window_buckets(spec, main, main_width, &rings[k], t_last, scratch);
    if cfg.screen && !super::may_rise(scratch, cfg, true) {
        return None;
    }
    Some(evaluate(
        scratch,
        &Cfg {
            window: true,
            ..*cfg
        },
    ))
}

/// The floor before and inside window `k`, read at one coarser resolution than the window's
/// own (the next ring, or the whole-series summary for the day), so that earlier heights and
/// the window's rise compare like with like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct History {
    /// The highest bucket minimum before the window (NaN when none).
    pub peak_before: f64,
    /// The highest bucket minimum of the whole-series summary at this hour on an earlier day
    /// (NaN when none; see [`held_at_this_hour`]): a floor held for a whole summary bucket,
    /// days back where the ring forgets.
    pub held_in_series: f64,
    /// The highest bucket minimum of the whole-series summary before the window, at any hour
    /// (NaN when none): a floor held that far back, where the rings forget.
    pub peak_in_series: f64,
    /// The lowest bucket minimum in the window's first sixth.
    pub floor_start: f64,
    /// The lowest bucket minimum in the window's last sixth.
    pub floor_end: f64,
    /// The lowest bucket minimum over the window's last whole-series-summary bucket width
    /// (at least its last sixth): the window's end read as coarsely as the summary reads
    /// the heights held before, so that a crest compares with a crest.
    pub floor_end_in_series: f64,
    /// The farthest the floor fell gradually (not in one cliff) over a span no longer than
    /// the window, before it or inside it — in the coarser ring, or in the whole-series
    /// summary when that is fine enough (0 when it never did; see [`gradual_fall`]).
    pub fall: f64,
    /// How far the floor fell in one step after the whole-series summary's highest floor
    /// before the window (`peak_in_series`), when that step carried most of its fall and
    /// stayed down into the next bucket (0 otherwise): memory given back at once (a
    /// collection empties the old generation between two buckets; a load that eases or a
    /// level that wanders comes down over many — see [`gradual_fall`]).
    pub released: f64,
    /// How far the whole-series summary's floor moves from one day to the next at the same
    /// hour: the 90th percentile of |bucket minimum less the floor a day before at that
    /// instant| over the day before the window (NaN when under six buckets had a day before;
    /// see [`day_to_day_spread`]).
    pub day_spread: f64,
}

impl History {
    pub const UNKNOWN: History = History {
        peak_before: f64::NAN,
        held_in_series: f64::NAN,
        peak_in_series: f64::NAN,
        floor_start: f64::NAN,
        floor_end: f64::NAN,
        floor_end_in_series: f64::NAN,
        fall: f64::NAN,
        released: f64::NAN,
        day_spread: f64::NAN,
    };

    /// True when the series already held the floor the window rose to (three quarters of the
    /// way up) before the window began, and came down from it.
    pub fn seen_before(&self) -> bool {
        self.reached_before(self.peak_before)
    }

    /// True when the whole-series summary held the floor the window rose to (three quarters
    /// of the way up) for a whole bucket at this hour on an earlier day (see
    /// [`Self::seen_before`]).
    /// The summary's buckets are coarser than the ring's, so their minima can only understate
    /// how high the floor stood: yesterday's busy hours, seen again this morning. The
    /// window's end is read as coarsely (`floor_end_in_series`): a ring's ten minutes at a
    /// crest stand higher than any summary bucket's minimum there ever could.
    pub fn held_in_series(&self) -> bool {
        // (Never above the window's own end; at or under its start it rose not at all.)
        let end = self
            .floor_end_in_series
            .min(self.floor_end)
            .max(self.floor_start);
        self.floor_end > self.floor_start
            && self.held_in_series >= self.floor_start + 0.75 * (end - self.floor_start)
    }

    /// True when the whole-series summary held the floor the window rose to (three quarters
    /// of the way up) for a whole bucket at any time before the window (see
    /// [`Self::seen_before`]) — or, when the coarser ring reads no rise across the window at
    /// all (its last sixth's floor no higher than its first's), held the floor the window
    /// opened at: the window's rise is then finer than the ring's minima, and a floor the
    /// series stood at before is one it stands at again.
    pub fn held_anywhere_in_series(&self) -> bool {
        self.reached_before(self.peak_in_series)
            || (self.floor_end <= self.floor_start && self.peak_in_series >= self.floor_start)
    }

    fn reached_before(&self, peak: f64) -> bool {
        self.floor_end > self.floor_start
            && peak >= self.floor_start + 0.75 * (self.floor_end - self.floor_start)
    }

    /// True when the window's end stands above the highest floor the whole-series summary held
    /// at this hour on any earlier day (`held_in_series`) by twice as far as the floor moves
    /// from one day to the next at the same hour (`day_spread`), and by the rise a leak needs
    /// in the window (`needed`), under a cycle of about a day (`period`, within 15 %). A cycle
    /// brings each hour back to where the days before held it; a busier day lifts its hours
    /// by a share of their height, and so does it the hours before the window, which the
    /// spread measures; a leak that began late stands above every earlier day at this hour
    /// by what it added, whatever the cycle does. (The window's end read as coarsely as the
    /// summary: a crest compares with a crest.)
    pub fn above_every_day_at_this_hour(&self, period: Option<f64>, needed: f64) -> bool {
        let end = self.floor_end_in_series.min(self.floor_end);
        period.is_some_and(|p| (p / DAY - 1.0).abs() <= 0.15)
            && self.day_spread.is_finite()
            && self.held_in_series.is_finite()
            && end - self.held_in_series >= (2.0 * self.day_spread).max(needed)
    }

    /// True when the floor already fell gradually, over no longer than the window, by as much
    /// as the window rose: a level that wanders that far by itself rises that far too, and
    /// such a rise is no evidence of a leak. (A wander slower than the window's chunks passes
    /// for trend inside the window, and its noise estimate misses it.)
    pub fn wandered(&self) -> bool {
        self.fall > 0.0
            && self.floor_end > self.floor_start
            && self.floor_end - self.floor_start <= self.fall
    }
}

/// The [`History`] of window `k` ending at `t_last`, from the next coarser ring or, for the
/// last window, from the whole-series buckets `main`.
pub(crate) fn history(
    k: usize,
    rings: &[Ring; 3],
    main: &[Bucket],
    t_last: f64,
    scratch: &mut Vec<Bucket>,
) -> History {
    let since = t_last - WINDOWS[k].seconds;
    let bs: &[Bucket] = match rings.get(k + 1) {
        Some(r) => {
            r.since(f64::NEG_INFINITY, scratch);
            scratch
        }
        None => main,
    };
    let before = ended_before(bs, since);
    let inside = &bs[before.len()..];
    if before.is_empty() || inside.len() < 2 {
        return History::UNKNOWN;
    }
    let sixth = inside.len().div_ceil(6);
    let min_lo = |b: &[Bucket]| b.iter().map(|b| b.lo).fold(f64::INFINITY, f64::min);
    // The coarser ring keeps a few window lengths only: the whole-series summary remembers
    // the falls before them (an evening's fall seen the night before a morning's rise), when
    // it is fine enough to time a fall over one window length.
    let fall_in_series = match main {
        [a, b, ..]
            if k + 1 < WINDOWS.len() && 6.0 * (b.t_first - a.t_first) <= WINDOWS[k].seconds =>
        {
            gradual_fall(main, WINDOWS[k].seconds)
        }
        _ => 0.0,
    };
    // The window's end over the width of one whole-series summary bucket (never less than
    // its last sixth), to set beside the summary's minima.
    let main_width = match main {
        [a, b, ..] => b.t_first - a.t_first,
        _ => 0.0,
    };
    let coarse = inside
        .partition_point(|b| b.t_first < t_last - main_width)
        .min(inside.len() - sixth);
    let earlier = ended_before(main, since);
    History {
        peak_before: highest_floor(before),
        floor_end_in_series: min_lo(&inside[coarse..]),
        held_in_series: held_at_this_hour(earlier, t_last, WINDOWS[k].seconds),
        peak_in_series: highest_floor(earlier),
        floor_start: min_lo(&inside[..sixth]),
        floor_end: min_lo(&inside[inside.len() - sixth..]),
        fall: gradual_fall(bs, WINDOWS[k].seconds).max(fall_in_series),
        released: released_at_once(earlier),
        day_spread: day_to_day_spread(earlier, since),
    }
}

/// How far the floor of the whole-series summary `bs` (the buckets before the window, which
/// opens at `since`) moves from one day to the next at the same hour: the 90th percentile,
/// over the buckets of the last day before `since` that had a day before them in the series,
/// of |the bucket minimum less the summary's floor a day earlier at that instant (bucket
/// minima interpolated between bucket middles)|. NaN when fewer than six buckets had a day
/// before. A cycle that repeats moves little; a busier or quieter day, a fill or a step moves
/// its hours by as much as it lifts or lowers them.
fn day_to_day_spread(bs: &[Bucket], since: f64) -> f64 {
    let mid = Bucket::t_mid;
    // (Only a summary holding more than a day before the window has a day before any hour.)
    let (Some(first), Some(last)) = (bs.first(), bs.last()) else {
        return f64::NAN;
    };
    if mid(last) - DAY < mid(first) {
        return f64::NAN;
    }
    let floor_at = |t: f64| {
        let j = bs.partition_point(|b| mid(b) < t);
        if j == 0 || j == bs.len() {
            return f64::NAN;
        }
        let (a, b) = (&bs[j - 1], &bs[j]);
        let (t0, t1) = (mid(a), mid(b));
        let f = if t1 > t0 { (t - t0) / (t1 - t0) } else { 1.0 };
        a.lo + f * (b.lo - a.lo)
    };
    let from = since - DAY;
    let mut d: Vec<f64> = bs
        .iter()
        .filter(|b| mid(b) >= from && mid(b) - DAY >= mid(first))
        .map(|b| (b.lo - floor_at(mid(b) - DAY)).abs())
        .filter(|x| x.is_finite())
        .collect();
    if d.len() < 6 {
        return f64::NAN;
    }
    quantile_mut(&mut d, 9, 10)
}

/// How far the floor fell in one step after the highest bucket minimum of `bs`, persisting
/// into the next bucket, when that step made most of the fall (over half, as
/// [`gradual_fall`] tells a cliff from a slide): memory given back at once, as a full
/// collection or a restart gives it. 0 when the floor came down otherwise or not at all.
fn released_at_once(bs: &[Bucket]) -> f64 {
    let Some(p) = (0..bs.len()).reduce(|a, b| if bs[b].lo > bs[a].lo { b } else { a }) else {
        return 0.0;
    };
    // (A bucket counts as down only with its successor: one low sample is no fall.)
    let down = |j: usize| bs[j].lo.max(bs[j + 1].lo);
    let (mut fall, mut step) = (0.0f64, 0.0f64);
    for j in p + 1..bs.len().saturating_sub(1) {
        fall = fall.max(bs[p].lo - down(j));
        step = step.max(bs[j - 1].lo - down(j));
    }
    if fall > 0.0 && step > 0.5 * fall {
        step
    } else {
        0.0
    }
}

/// The buckets of `bs` that ended before `since`.
fn ended_before(bs: &[Bucket], since: f64) -> &[Bucket] {
    &bs[..bs.partition_point(|b| b.t_last < since)]
}

/// The highest bucket minimum of `bs` (NaN when none): the highest floor held for a whole
/// bucket.
fn highest_floor<'a>(bs: impl IntoIterator<Item = &'a Bucket>) -> f64 {
    bs.into_iter().map(|b| b.lo).fold(f64::NAN, f64::max)
}

/// The highest bucket minimum among the buckets of the whole-series summary before the
/// window (`earlier`) at the hour `t_last` stands at now on an earlier day (to within `tol`
/// seconds or a bucket): where a load that follows the clock stood at this hour before.
/// The last day's test of `evaluate::day_over_day` asks the same of each hour of a run, but
/// reads the floor at that instant (interpolated between bucket minima, within the run),
/// where a window reads a band of hours as wide as itself: its rise spans its length.
fn held_at_this_hour(earlier: &[Bucket], t_last: f64, tol: f64) -> f64 {
    highest_floor(earlier.iter().filter(|b| {
        let x = t_last - b.t_mid();
        let days = (x / DAY).round();
        days >= 1.0 && (x - days * DAY).abs() <= tol.max(b.t_last - b.t_first)
    }))
}

/// The largest fall of the bucket minima of `bs` from one bucket to a later one at most
/// `span` seconds on, made gradually: no single step between them carries more than half of
/// it. A restart or a collection drops the floor in one step; a level that wanders, a load
/// that eases or a cache that is let go of comes down over many, and shows how far the floor
/// moves by itself over that span.
pub(crate) fn gradual_fall(bs: &[Bucket], span: f64) -> f64 {
    // The lowest bucket minimum from each bucket on: no later bucket falls below it, so the
    // search from a bucket stops where no fall left can exceed the largest found (the same
    // result, for a fraction of the pairs).
    let mut lowest: Vec<f64> = bs
        .iter()
        .rev()
        .scan(f64::INFINITY, |low, b| {
            *low = low.min(b.lo);
            Some(*low)
        })
        .collect();
    lowest.reverse();
    let mut fall = 0.0f64;
    for (i, a) in bs.iter().enumerate() {
        let mut cliff = 0.0f64;
        for (j, w) in (i + 1..).zip(bs[i..].windows(2)) {
            let b = &w[1];
            if b.t_last - a.t_first > span || a.lo - lowest[j] <= fall {
                break;
            }
            cliff = cliff.max(w[0].lo - b.lo);
            let f = a.lo - b.lo;
            if f > fall && cliff <= 0.5 * f {
                fall = f;
            }
        }
    }
    fall
}

/// True when window `k`'s leak stands against what the whole series says (`main`, and
/// `peak_before`, the highest floor held before the window):
/// * a window without restarts that cannot hold two cycles of a cycle seen in the whole
///   series confirms nothing (a daily ramp seen in the last hour) — unless, under a cycle of
///   about a day, it ends above every earlier day at this hour by more than the days move
///   (see [`History::above_every_day_at_this_hour`]), which also outweighs a floor held
///   earlier in the day;
/// * nor does a rise without restarts to a floor the series already held before and came
///   down from (an old generation filling between full collections, a recurring batch, a
///   wandering level — see [`History::seen_before`]);
/// * nor a rise without restarts no larger than a fall the floor made gradually, over no
///   longer than the window, before it or inside it: the level wanders that far by itself
///   (see [`History::wandered`]);
/// * nor a window that only sees the tail of a fill or of a step the whole series
///   recognized (its floor grows no faster than the whole series' did on the way up).
///
/// Restarts inside the window are no phase of a cycle and regrow to earlier heights by
/// nature: such a window stands on its own — when it holds two falls or more, or sees the
/// warm-up that follows a restart (one fall alone may be a collector's or a cycle's) — unless
/// its leak rests on the run its leading edge cuts while the run after the restart climbs
/// far faster than that run did, and the whole series, which saw that run whole, found its
/// runs mostly not leaking (see `Eval::cut_run_leak`).
pub(crate) fn window_confirms(k: usize, w: &Eval, main: &Eval, history: &History) -> bool {
    if w.kind != VerdictKind::Leak {
        return false;
    }
    if main.kind == VerdictKind::Leak {
        return true;
    }
    let Some(d) = main.detail else {
        return true;
    };
    // A single fall in a window stands on its own only when the window, at its finer
    // resolution, sees the warm-up that follows a restart; else it may be a collector's or a
    // cycle's, and the window's rise is judged against the whole series like any other.
    if main.falls.collector && w.restarts > 0 && !w.falls.warmups {
        return false;
    }
    // Nor does a window whose falls the whole series saw, with the runs before them, as one
    // or two falls without a new process and no leak: a window opening in the middle of the
    // run before a fall cannot tell a collector's refill from a restart better than that.
    if main.falls.may_be_collections(main.restarts) && w.restarts > 0 && !w.falls.warmups {
        return false;
    }
    // Nor a window's rise after restarts when the whole series saw three or more runs after
    // restarts all read as warm-ups (no common slope once each run's warm-up is fitted): the
    // window sees fewer of the same runs, each warming up again.
    if main.warm_up_runs && w.restarts > 0 {
        return false;
    }
    // Nor a window's leak that rests on the run its leading edge cuts, while the run after
    // the restart climbs more than three times as fast as that run did, when the whole
    // series — which saw that run whole, and its neighbours — found its runs mostly not
    // leaking: a restarted leak regrows at its own pace, while a new process warms up far
    // faster than the tail of the warm-up before it, and that tail, cut from its start,
    // passes for a leak.
    if w.cut_run_leak && main.quiet_runs {
        return false;
    }
    if w.restarts == 0 || (w.restarts < 2 && !w.falls.warmups) {
        // Under a cycle of about a day, a window that stands above every earlier day at this
        // hour by more than the days move (see `History::above_every_day_at_this_hour`) rose
        // where the cycle never took the floor: a leak that began late, which neither the
        // window's shortness against the cycle nor the cycle's own heights earlier in the
        // day (its evening, above the night a late leak starts from) explain away.
        let past_every_day = history.above_every_day_at_this_hour(
            d.period_s,
            w.detail.map_or(f64::INFINITY, |d| d.rise_needed),
        );
        if d.period_s.is_some_and(|p| WINDOWS[k].seconds < 2.2 * p) && !past_every_day {
            return false;
        }
        if history.seen_before() && !past_every_day {
            return false;
        }
        // The same further back, in the whole-series summary, when it saw no restart: a
        // floor held at this hour on earlier days and come down from without a new process
        // is a level the load reaches and leaves by the clock (a weekday's busy hours), not
        // one a leak reached first now; a leak starting late rises at an hour the days before
        // did not. (After restarts, each run regrows to where the last one stood by nature.)
        if main.restarts == 0 && history.held_in_series() {
            return false;
        }
        // After falls the whole series read as a collector's — or one or two falls that show
        // no new process (no warm-up, no limit, the floor not halved), which a collector's
        // rare full collections make just the same; or falls at no one height that show no
        // new process, between runs the whole series judged and found mostly not leaking (major
        // collections whose threshold moves) — every run before them was this same
        // process between collections: a floor one of them held before it came down is a
        // height the old generation refills to, at any hour, however long ago (a cycle
        // longer than a day leaves the rings before its last collection). A leak that starts
        // late in the run after such a fall climbs past that height before a window of its
        // own confirms it; a restarted leak shows its new process, or the whole series calls
        // its runs a leak.
        // So too with no restart seen at all, when the series' highest floor before the
        // window was given back at once, by at least the rise a leak needs in the window (see
        // `History::released`; a smaller step is the floor's own scatter): a fall the restart
        // search let pass, within the band of minor collections, is an old generation's full
        // collection, and the window sees the refill after it without the fall before it.
        let collections = main.falls.collector
            || main.falls.may_be_collections(main.restarts)
            || (main.quiet_runs && !main.falls.new_process)
            || (main.restarts == 0 && w.detail.is_some_and(|d| history.released >= d.rise_needed));
        if collections && history.held_anywhere_in_series() {
            return false;
        }
        if history.wandered() {
            return false;
        }
    }
    // (A whole series whose judged stretch read a fill or a step: a window no faster is its
    // tail. Read from the stretch's own shape, `detail`, not the series' name, which
    // name-only rules rewrite — a level a deploy changed, a rise too low for the verdict
    // that held, a cycle's morning — and a name must never decide a verdict. Not a stretch
    // that leaked on its own reading and that the runs overruled, whatever the name they
    // gave it — see `evaluate`'s `named`: that stretch saw no bound.)
    !(matches!(d.pattern, Pattern::Plateau | Pattern::Step) && w.growth_bps <= d.growth_bps)
}

/// The report of window `k` from its evaluation.
pub(crate) fn trend(k: usize, w: &Eval, confirmed: bool) -> WindowTrend {
    let finite = |x: f64| x.is_finite().then_some(x);
    WindowTrend {
        window_seconds: WINDOWS[k].seconds,
        growth_bytes_per_hour: w.detail.map_or(0.0, |d| {
            if d.growth_bps.is_finite() {
                d.growth_bps * 3600.0
            } else {
                0.0
            }
        }),
        confirmed,
        pattern: if w.kind == VerdictKind::InsufficientData {
            Pattern::Unknown
        } else {
            w.pattern
        },
        floor_start_bytes: w.detail.and_then(|d| finite(d.floor_start)),
        floor_end_bytes: w.detail.and_then(|d| finite(d.floor_now)),
    }
}

/// The load shapes the integration tests use too.
#[cfg(test)]
#[path = "../../tests/shapes/mod.rs"]
mod shapes;

#[cfg(test)]
mod tests {
    use super::super::evaluate::Falls;
    use super::super::stretch::{Plateau, StretchEval};
    use super::*;

    fn eval(kind: VerdictKind, pattern: Pattern, restarts: usize, falls: Falls) -> Eval {
        let leak = kind == VerdictKind::Leak;
        let growth_bps = if leak { 1e4 } else { 0.0 };
        Eval {
            kind,
            pattern,
            growth_bps,
            confidence: 0.7,
            floor_now: 2.2e9,
            restarts,
            detail: Some(StretchEval {
                leak,
                pattern,
                growth_bps,
                rise: 7e8,
                rise_needed: 6e7,
                rise_floor: 4e6,
                tau: 1.0,
                floor_now: 2.2e9,
                floor_start: 1.5e9,
                span_s: 72000.0,
                period: None,
                period_s: None,
                late_ratio: 1.0,
                plateau: Plateau::Steady(1.0),
                recent_rise: 3e8,
                on_means: false,
                confidence: 0.7,
            }),
            judged_from: 0.0,
            falls,
            quiet_runs: false,
            warm_up_runs: false,
            cut_run_leak: false,
            outpaces_cut_run: false,
            last_run_leaks: false,
            typical_run_s: f64::NAN,
            held: f64::NEG_INFINITY,
            seasonal: None,
            daily: None,
            deploys: false,
        }
    }

    /// Falls after which a new process warmed up: restarts.
    fn restarted() -> Falls {
        Falls {
            new_process: true,
            warmups: true,
            ..Falls::default()
        }
    }

    /// Falls the whole series read as a collector's.
    fn collected() -> Falls {
        Falls {
            collector: true,
            ..Falls::default()
        }
    }

    /// A window that opens 2.56 GB high and ends at 2.2 GB, the series' floor with it.
    const FELL_BELOW_PEAK: History = History {
        peak_before: 2.56e9,
        held_in_series: f64::NAN,
        peak_in_series: f64::NAN,
        floor_start: 2.56e9,
        floor_end: 2.2e9,
        floor_end_in_series: 2.2e9,
        fall: 0.0,
        released: 0.0,
        day_spread: f64::NAN,
    };

    /// Whether a window's rise is only the tail of the whole series' fill or step is read from
    /// the shape the whole series' judged stretch found, never from the name the series got:
    /// a name-only rule (a level a deploy changed, a rise too low for the verdict that held,
    /// a cycle's morning) that renames the series leaves the window's verdict as it was. A
    /// window no faster than a fill or a step the stretch found confirms nothing, whatever the
    /// series is called; after any other shape it confirms, whatever the series is called.
    #[test]
    fn a_name_only_rename_of_the_whole_series_cannot_flip_a_windows_verdict() {
        use Pattern::*;
        let quiet = Falls::default();
        let w = eval(VerdictKind::Leak, LinearGrowth, 0, quiet);
        for (shape, tail) in [
            (Stable, false),
            (Sawtooth, false),
            (SpikeRecovered, false),
            (Cyclic, false),
            (Plateau, true),
            (Step, true),
        ] {
            let mut main = eval(VerdictKind::NoLeak, shape, 0, quiet);
            if let Some(d) = main.detail.as_mut() {
                d.growth_bps = 2.0 * w.growth_bps;
            }
            for name in [Stable, Sawtooth, SpikeRecovered, Cyclic, Plateau, Step] {
                main.pattern = name;
                assert_eq!(
                    window_confirms(2, &w, &main, &History::UNKNOWN),
                    !tail,
                    "{shape:?} named {name:?}"
                );
            }
        }
    }

    /// A day's window that sees one fall and a leak in the run after it, in a series whose
    /// whole, seeing the run before that fall too, read it as no new process and no leak (a
    /// collector's rare full collection): the window cannot overrule it. When the whole series
    /// saw a new process after its falls, or the window sees the warm-up after its own, the
    /// window's leak stands.
    #[test]
    fn a_window_defers_to_the_whole_series_on_falls_without_a_new_process() {
        let history = FELL_BELOW_PEAK;
        let quiet = Falls::default();
        let w = eval(VerdictKind::Leak, Pattern::LeakWithRestarts, 1, quiet);
        let main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 1, quiet);
        assert!(!window_confirms(2, &w, &main, &history));
        let restarted = Falls {
            new_process: true,
            ..quiet
        };
        let main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 1, restarted);
        assert!(window_confirms(2, &w, &main, &history));
        let main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 1, quiet);
        let warm = Falls {
            warmups: true,
            new_process: true,
            ..quiet
        };
        let w = eval(VerdictKind::Leak, Pattern::LeakWithRestarts, 1, warm);
        assert!(window_confirms(2, &w, &main, &history));
    }

    /// A 6 h window holding two falls and a leak in its runs, under a day's window that holds
    /// four of the same falls and read them as a collector's: two falls cannot tell, four can,
    /// and the window confirms nothing. When the day's window read its falls as no
    /// collector's, the 6 h window's leak stands.
    #[test]
    fn a_window_defers_to_a_longer_window_that_read_more_of_its_falls_as_a_collectors() {
        let quiet = Falls::default();
        let main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 4, quiet);
        let six = eval(VerdictKind::Leak, Pattern::LeakWithRestarts, 2, quiet);
        let day = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 4, collected());
        let mut a = super::super::Assessment {
            main,
            windows: [None, Some(six), Some(day)],
            history: [History::UNKNOWN; 3],
        };
        assert!(!a.confirmed()[1]);
        a.windows[2] = Some(eval(VerdictKind::NoLeak, Pattern::Sawtooth, 4, quiet));
        assert!(a.confirmed()[1]);
    }

    /// A day's window holding two falls of an old generation's full collections (no warm-up,
    /// no limit) and the rise between them, in a week-long series whose coarse summary saw no
    /// fall: no view holds a third fall to tell them from restarts, and the window confirms
    /// nothing. When the whole series holds more of them and read them as no collector's,
    /// the leak stands.
    #[test]
    fn two_falls_no_longer_view_settles_confirm_nothing() {
        let quiet = Falls::default();
        let main = eval(VerdictKind::NoLeak, Pattern::Stable, 0, quiet);
        let day = eval(VerdictKind::Leak, Pattern::LeakWithRestarts, 2, quiet);
        let mut a = super::super::Assessment {
            main,
            windows: [None, None, Some(day)],
            history: [History::UNKNOWN; 3],
        };
        assert!(!a.confirmed()[2]);
        a.main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 5, quiet);
        assert!(a.confirmed()[2]);
    }

    /// Six hours of an old generation refilling, a day and a half after its last full
    /// collection, in a series whose falls the whole read as a collector's: the day's ring no
    /// longer holds the heights earlier cycles reached, the whole-series summary does, and a
    /// rise to one of them confirms nothing. After falls that are not a collector's (a leak
    /// restarted, regrowing to where it stood), the same rise stands.
    #[test]
    fn a_refill_to_a_height_a_collectors_cycle_held_days_ago_confirms_nothing() {
        let history = History {
            peak_before: 1.38e9,
            held_in_series: f64::NAN,
            peak_in_series: 1.51e9,
            floor_start: 1.37e9,
            floor_end: 1.40e9,
            floor_end_in_series: 1.40e9,
            fall: 0.0,
            released: 0.0,
            day_spread: f64::NAN,
        };
        assert!(!history.seen_before() && history.held_anywhere_in_series());
        let w = eval(
            VerdictKind::Leak,
            Pattern::LinearGrowth,
            0,
            Falls::default(),
        );
        let main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 7, collected());
        assert!(!window_confirms(1, &w, &main, &history));
        let main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 7, Falls::default());
        assert!(window_confirms(1, &w, &main, &history));
    }

    /// An old generation refilling between full collections that come at one height (280 MB,
    /// the whole series read three or more falls as a collector's): a six hours' window inside
    /// one refill reads a leak at its own resolution, while the coarser ring's minima show no
    /// rise across it (182 MB at its start, 181 MB at its end). The series held higher than
    /// where the window opened before each collection: the refill confirms nothing (without
    /// the no-rise reading of `held_anywhere_in_series` this fails). Counter-cases: a series
    /// that never stood as high as the window opened, or whose falls were no collector's,
    /// leaves the window's leak standing.
    #[test]
    fn a_refill_the_coarser_ring_reads_as_no_rise_under_a_collectors_height_confirms_nothing() {
        let mut history = History {
            peak_before: 1.9e8,
            held_in_series: f64::NAN,
            peak_in_series: 2.79e8,
            floor_start: 1.82e8,
            floor_end: 1.81e8,
            floor_end_in_series: 1.81e8,
            fall: 0.0,
            released: 0.0,
            day_spread: f64::NAN,
        };
        let w = eval(
            VerdictKind::Leak,
            Pattern::LinearGrowth,
            0,
            Falls::default(),
        );
        let main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 3, collected());
        assert!(!window_confirms(1, &w, &main, &history));
        let restarts = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 3, restarted());
        assert!(window_confirms(1, &w, &restarts, &history));
        history.peak_in_series = 1.7e8;
        assert!(window_confirms(1, &w, &main, &history));
    }

    /// An old generation refilling by 4 MB/h under major collections that come at varying
    /// heights (no one height, so no collector's by that test): the whole series saw three
    /// falls with no new process after them (no warm-up, no limit, the floor kept) and judged
    /// the runs between them: most did not leak. The last hour's rise stays under a floor one
    /// of those runs held: the same process refilling, which confirms nothing. While the runs
    /// were not judged quiet (a leak restarted, regrowing to where it stood), the rise stands.
    #[test]
    fn a_refill_under_a_height_held_by_runs_judged_quiet_between_falls_without_a_new_process_confirms_nothing(
    ) {
        let history = History {
            peak_before: 7.93e8,
            held_in_series: f64::NAN,
            peak_in_series: 8.17e8,
            floor_start: 7.94e8,
            floor_end: 7.99e8,
            floor_end_in_series: 7.99e8,
            fall: 1.0e6,
            released: 0.0,
            day_spread: f64::NAN,
        };
        assert!(!history.seen_before() && history.held_anywhere_in_series());
        let quiet = Falls::default();
        let w = eval(VerdictKind::Leak, Pattern::LinearGrowth, 0, quiet);
        let mut main = eval(VerdictKind::NoLeak, Pattern::Stable, 3, quiet);
        main.quiet_runs = true;
        assert!(!window_confirms(0, &w, &main, &history));
        main.quiet_runs = false;
        assert!(window_confirms(0, &w, &main, &history));
        main.quiet_runs = true;
        main.falls = Falls {
            new_process: true,
            warmups: true,
            ..quiet
        };
        assert!(window_confirms(0, &w, &main, &history));
    }

    /// An old generation refilling after the one full collection of a 14 h series (a JVM's
    /// rare full GC): the whole series saw one fall with no warm-up after it, not at a limit,
    /// not halving the floor. The last hour's rise stays under the floor held before that
    /// fall, which only the whole-series summary remembers: it confirms nothing. After the
    /// same fall showing a new process (a restarted leak regrowing), the rise stands.
    #[test]
    fn a_refill_under_the_height_held_before_a_lone_fall_without_a_new_process_confirms_nothing() {
        let history = History {
            peak_before: 2.18e8,
            held_in_series: f64::NAN,
            peak_in_series: 2.68e8,
            floor_start: 2.19e8,
            floor_end: 2.29e8,
            floor_end_in_series: 2.29e8,
            fall: 4.0e6,
            released: 0.0,
            day_spread: f64::NAN,
        };
        assert!(!history.seen_before() && history.held_anywhere_in_series());
        let quiet = Falls::default();
        let w = eval(VerdictKind::Leak, Pattern::LateOnsetLeak, 0, quiet);
        let main = eval(VerdictKind::NoLeak, Pattern::SpikeRecovered, 1, quiet);
        assert!(!window_confirms(0, &w, &main, &history));
        let restarted = restarted();
        let main = eval(VerdictKind::NoLeak, Pattern::SpikeRecovered, 1, restarted);
        assert!(window_confirms(0, &w, &main, &history));
    }

    /// The 6 h window of a JVM's old generation refilling 24 h after its one full collection,
    /// a fall of 370 MB the restart search let pass in a band of 400 MB of minor
    /// collections: the whole series saw no restart, and the day's ring no longer holds the
    /// floor before the fall. The whole-series summary does, and saw it given back at once:
    /// the refill to it confirms nothing. Had the floor slid down over many buckets (a load
    /// that eased), the rise stands.
    #[test]
    fn a_refill_after_a_fall_no_restart_was_read_from_confirms_nothing() {
        let bucket = |i: usize, lo: f64| Bucket {
            idx: i as i64,
            t_first: 1800.0 * i as f64,
            t_last: 1800.0 * i as f64 + 1770.0,
            lo,
            hi: lo + 4.0e8,
            sum: lo + 2.0e8,
            n: 1,
            first: lo,
            last: lo,
        };
        // 30 h climbing from 1.80 to 2.12 GB, the fall to 1.75 GB, 24 h refilling to 2.04 GB.
        let mut earlier: Vec<Bucket> = (0..60)
            .map(|i| bucket(i, 1.80e9 + 0.32e9 * i as f64 / 59.0))
            .chain((60..108).map(|i| bucket(i, 1.75e9 + 0.29e9 * (i - 60) as f64 / 47.0)))
            .collect();
        assert!(released_at_once(&earlier) > 3.6e8);
        let history = History {
            peak_before: 2.04e9,
            held_in_series: f64::NAN,
            peak_in_series: 2.12e9,
            floor_start: 2.06e9,
            floor_end: 2.13e9,
            floor_end_in_series: 2.13e9,
            fall: 0.0,
            released: released_at_once(&earlier),
            day_spread: f64::NAN,
        };
        assert!(!history.seen_before() && history.held_anywhere_in_series());
        let quiet = Falls::default();
        let w = eval(VerdictKind::Leak, Pattern::LateOnsetLeak, 0, quiet);
        let main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 0, quiet);
        assert!(!window_confirms(1, &w, &main, &history));
        // A step smaller than the rise a leak needs in the window is the floor's scatter.
        let scatter = History {
            released: 5.0e7,
            ..history
        };
        assert!(window_confirms(1, &w, &main, &scatter));
        // The same fall over six hours, no step carrying half of it: a slide, not a release.
        for (j, b) in earlier[60..72].iter_mut().enumerate() {
            b.lo = 2.12e9 - 0.37e9 * (j + 1) as f64 / 12.0;
        }
        assert_eq!(released_at_once(&earlier), 0.0);
        let history = History {
            released: released_at_once(&earlier),
            ..history
        };
        assert!(window_confirms(1, &w, &main, &history));
        // One low bucket alone (a bad sample) is no fall either.
        let mut dip: Vec<Bucket> = (0..60)
            .map(|i| bucket(i, 1.80e9 + 0.32e9 * i as f64 / 59.0))
            .chain((60..108).map(|i| bucket(i, 2.12e9)))
            .collect();
        dip[70].lo = 1.5e9;
        assert_eq!(released_at_once(&dip), 0.0);
    }

    /// The crest of a daily cycle two days and a bit into a series (no restart, no cycle the
    /// whole series could time): the last hour climbs 34 MB to just past the crest, and the
    /// whole-series summary, in 40-minute buckets, held a floor a day earlier at this hour a
    /// little under the window's last ten minutes — a bucket minimum understates a crest. Read
    /// over the summary's bucket width, the window's end stands no higher than that: the climb
    /// is yesterday's, and confirms nothing. Read at the ring's finer resolution, it did.
    #[test]
    fn a_crest_compares_with_the_crest_the_summary_held_at_its_own_resolution() {
        let history = History {
            peak_before: 2.175e9,
            held_in_series: 2.1996e9,
            peak_in_series: 2.1996e9,
            floor_start: 2.179e9,
            floor_end: 2.2125e9,
            floor_end_in_series: 2.19e9,
            fall: 0.0,
            released: 0.0,
            day_spread: f64::NAN,
        };
        assert!(!history.seen_before() && history.held_in_series());
        let quiet = Falls::default();
        let w = eval(VerdictKind::Leak, Pattern::LinearGrowth, 0, quiet);
        let main = eval(VerdictKind::NoLeak, Pattern::Stable, 0, quiet);
        assert!(!window_confirms(0, &w, &main, &history));
        let fine = History {
            floor_end_in_series: history.floor_end,
            ..history
        };
        assert!(!fine.held_in_series());
        assert!(window_confirms(0, &w, &main, &fine));
    }

    /// Twelve days of a working set that swings 25 % with weekday traffic (8 h to 20 h, flat
    /// at weekends), in the whole-series summary (buckets hours wide). On a weekday morning
    /// at 10:30, the summary held the floor the morning climbs to at this hour on earlier
    /// weekdays: an hour's climb to it confirms nothing when the whole series saw no restart
    /// (it does after restarts: each run regrows to where the last one stood). At 3:00 the
    /// floor held at this hour is the night's: a rise then is not one the days made before.
    #[test]
    fn a_climb_to_the_floor_held_at_this_hour_on_earlier_days_confirms_nothing() {
        use super::super::buckets::Buckets;
        const H: f64 = 3600.0;
        let level = |t: f64| 3.7e9 * (1.0 + 0.25 * super::shapes::weekday_traffic(t));
        let summary = |end_h: f64| {
            let mut b = Buckets::new(1.0, 128);
            for i in 0..=(end_h * 30.0) as usize {
                let t = i as f64 * 120.0;
                b.push(1.7e9 + t, level(t));
            }
            b.closed
        };
        // Day 9 is a weekday; 10:30 is on its morning climb.
        let end = (9.0 * 24.0 + 10.5) * H;
        let main_bs = summary(end / H);
        let held = held_at_this_hour(ended_before(&main_bs, 1.7e9 + end - H), 1.7e9 + end, H);
        assert!(held >= level(end), "{held} < {}", level(end));
        let history = History {
            peak_before: level(end - H),
            held_in_series: held,
            peak_in_series: f64::NAN,
            floor_start: level(end - H),
            floor_end: level(end),
            floor_end_in_series: level(end),
            fall: 0.0,
            released: 0.0,
            day_spread: f64::NAN,
        };
        assert!(!history.seen_before() && history.held_in_series());
        let quiet = Falls::default();
        let w = eval(VerdictKind::Leak, Pattern::LinearGrowth, 0, quiet);
        let main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 0, quiet);
        assert!(!window_confirms(0, &w, &main, &history));
        let main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 1, quiet);
        assert!(window_confirms(0, &w, &main, &history));
        // At 3:00 the days before held the night's floor at this hour, nothing higher.
        let night = (9.0 * 24.0 + 3.0) * H;
        let night_bs = summary(night / H);
        let held = held_at_this_hour(ended_before(&night_bs, 1.7e9 + night - H), 1.7e9 + night, H);
        assert!(held < 3.7e9 * 1.05, "{held}");
    }

    /// The last hour of two and a half days under a daily cycle, at the day's peak, in a
    /// series whose whole read a cycle of a day and no leak. A leak that began within that
    /// hour stands 300 MB above the highest floor any earlier day held at this hour, where
    /// the days before repeated each other: it confirms, though the hour cannot hold two
    /// cycles. A day 15 % busier than the days before (since its midnight, 18 h before)
    /// lifts its peak above theirs too, by 90 MB, more than the rise a leak needs in the
    /// window; but it lifted the hours before the window as well, by a share of their height:
    /// no more than the days move, and it confirms nothing.
    #[test]
    fn a_late_leak_above_every_earlier_day_at_this_hour_confirms_under_a_daily_cycle() {
        use super::super::buckets::Buckets;
        const H: f64 = 3600.0;
        let end = 2.5 * DAY;
        let since = end - H;
        let shape = |t: f64| 0.5 + 0.5 * (2.0 * std::f64::consts::PI * (t - end) / DAY).cos();
        let summary = |busier: f64| {
            let mut b = Buckets::new(1.0, 128);
            for i in 0..=(end / 120.0) as usize {
                let t = i as f64 * 120.0;
                let day = if t > end - 0.75 * DAY { busier } else { 1.0 };
                b.push(1.7e9 + t, 2e9 + 6e8 * day * shape(t));
            }
            b.closed
        };
        let quiet = Falls::default();
        let w = eval(VerdictKind::Leak, Pattern::LinearGrowth, 0, quiet);
        let mut main = eval(VerdictKind::NoLeak, Pattern::Cyclic, 0, quiet);
        if let Some(d) = main.detail.as_mut() {
            d.period_s = Some(DAY);
        }
        for (busier, added, confirms) in [(1.0, 3e8, true), (1.15, 0.0, false)] {
            let bs = summary(busier);
            let earlier = ended_before(&bs, 1.7e9 + since);
            let top = 2e9 + 6e8 * busier;
            let history = History {
                peak_before: 2e9 + 6e8 * busier * shape(since),
                held_in_series: held_at_this_hour(earlier, 1.7e9 + end, H),
                peak_in_series: f64::NAN,
                floor_start: 2e9 + 6e8 * busier * shape(since),
                floor_end: top + added,
                floor_end_in_series: top + added,
                fall: 0.0,
                released: 0.0,
                day_spread: day_to_day_spread(earlier, 1.7e9 + since),
            };
            assert!(top + added - history.held_in_series > 6e7, "{busier}");
            assert_eq!(
                window_confirms(0, &w, &main, &history),
                confirms,
                "{busier}: {history:?}"
            );
        }
    }

    /// A 6 h window holding two restarts and a rise after each, in a series whose whole saw
    /// three or more runs after restarts all read as warm-ups (no common slope once each
    /// run's warm-up is fitted): the window sees fewer of the same warm-ups and confirms
    /// nothing. Without that reading of the whole series, the window's leak stands.
    #[test]
    fn a_window_defers_to_the_whole_series_when_its_runs_all_read_as_warm_ups() {
        let history = FELL_BELOW_PEAK;
        let restarted = restarted();
        let w = eval(VerdictKind::Leak, Pattern::LeakWithRestarts, 2, restarted);
        let mut main = eval(VerdictKind::NoLeak, Pattern::Stable, 8, restarted);
        assert!(window_confirms(1, &w, &main, &history));
        main.warm_up_runs = true;
        assert!(!window_confirms(1, &w, &main, &history));
    }

    /// The last hour of a service restarted on a clock every 3.9 h, each new process warming
    /// up over about an hour: the window holds the tail of one run (cut from its start by the
    /// window's edge, still climbing a little), the restart, and a quarter of an hour of the
    /// next run climbing ten times as fast. Its leak rests on the cut run alone; the whole
    /// series saw that run whole, with its neighbours, and found its runs mostly not leaking:
    /// the window confirms nothing. Without that reading of the whole series, or when the
    /// window's leak stands without the cut run, the leak stands.
    #[test]
    fn a_window_leak_resting_on_the_run_its_edge_cuts_defers_to_quiet_runs_in_the_whole() {
        let history = FELL_BELOW_PEAK;
        let restarted = restarted();
        let mut w = eval(VerdictKind::Leak, Pattern::LeakWithRestarts, 1, restarted);
        w.cut_run_leak = true;
        let mut main = eval(VerdictKind::NoLeak, Pattern::Stable, 13, restarted);
        main.quiet_runs = true;
        assert!(!window_confirms(0, &w, &main, &history));
        main.quiet_runs = false;
        assert!(window_confirms(0, &w, &main, &history));
        main.quiet_runs = true;
        w.cut_run_leak = false;
        assert!(window_confirms(0, &w, &main, &history));
    }

    /// Three days of a service restarted every 50 min, each new process warming up over
    /// about half an hour: the whole series, 34 min a bucket, sees one sawtooth and no
    /// restart. The last hour holds the tail of one run, cut from its start, and the next
    /// run's first half hour, climbing far faster; its leak rests on the cut run. The 6 h
    /// window saw five runs whole and read them all as warm-ups: the hour confirms nothing.
    /// When the 6 h window calls a leak, sees no more restarts than the hour, or finds its
    /// runs merely quiet (as a leak restarted on a clock, every run ending at one height,
    /// reads), or when the hour's leak stands without the cut run, the hour's leak stands.
    #[test]
    fn a_window_leak_resting_on_the_cut_run_defers_to_warm_ups_in_a_longer_window() {
        let restarted = restarted();
        let mut w = eval(VerdictKind::Leak, Pattern::LeakWithRestarts, 1, restarted);
        w.cut_run_leak = true;
        w.outpaces_cut_run = true;
        let mut wide = eval(VerdictKind::NoLeak, Pattern::Stable, 5, restarted);
        wide.quiet_runs = true;
        wide.warm_up_runs = true;
        let main = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 0, Falls::default());
        let history = FELL_BELOW_PEAK;
        assert!(window_confirms(0, &w, &main, &history));
        let a = |w: Eval, wide: Eval| {
            super::super::Assessment {
                main,
                windows: [Some(w), Some(wide), None],
                history: [history; 3],
            }
            .confirmed()[0]
        };
        assert!(!a(w, wide));
        let mut leaking = wide;
        leaking.kind = VerdictKind::Leak;
        assert!(a(w, leaking));
        let mut quiet = wide;
        quiet.warm_up_runs = false;
        assert!(a(w, quiet));
        let mut same = wide;
        same.restarts = 1;
        assert!(a(w, same));
        let mut own = w;
        own.cut_run_leak = false;
        assert!(a(own, wide));
    }

    /// The last hour of a service restarted every 67 min, each new process warming up fast
    /// to about 180 MB: the hour holds half of one run (cut by its edge, climbing 51 MB/h)
    /// and the first 20 min of the next, climbing 187 MB/h at 131 MB. Both read as leaks in
    /// the hour; the 6 h window saw four runs whole, about 67 min each and holding 181 MB,
    /// mostly not leaking, and calls no leak: the young run, under half their length and
    /// below the height they held, is a warm-up, and the hour confirms nothing. A run as
    /// old as theirs, or a longer window that saw its runs leak, and the hour's leak stands.
    #[test]
    fn a_young_run_in_a_window_defers_to_the_run_lengths_a_longer_window_saw() {
        let restarted = restarted();
        let mb = 1e6;
        let mut w = eval(VerdictKind::Leak, Pattern::LeakWithRestarts, 1, restarted);
        w.outpaces_cut_run = true;
        w.last_run_leaks = true;
        if let Some(d) = w.detail.as_mut() {
            d.span_s = 1232.0;
            d.floor_now = 131.0 * mb;
            d.rise_needed = 10.0 * mb;
        }
        let mut wide = eval(VerdictKind::NoLeak, Pattern::Sawtooth, 5, restarted);
        wide.quiet_runs = true;
        wide.typical_run_s = 4050.0;
        wide.held = 181.0 * mb;
        let main = eval(VerdictKind::NoLeak, Pattern::Cyclic, 0, Falls::default());
        let a = |w: Eval, wide: Eval| {
            super::super::Assessment {
                main,
                windows: [Some(w), Some(wide), None],
                history: [History::UNKNOWN; 3],
            }
            .confirmed()[0]
        };
        assert!(!a(w, wide));
        let mut old = w;
        if let Some(d) = old.detail.as_mut() {
            d.span_s = 4100.0;
        }
        assert!(a(old, wide));
        let mut leaking = wide;
        leaking.quiet_runs = false;
        assert!(a(w, leaking));
    }

    /// Five days of a service restarted every five hours or so, each new process warming up
    /// slowly (a cache filling over two hours) to about 1.76 GB: the whole series, an hour a
    /// bucket, holds too little of the run going on now to judge it. The last hour lies inside
    /// that run's warm-up, climbing 160 MB/h at 1.46 GB, and reads as a leak; the day's window
    /// saw four runs whole, read them all as warm-ups and calls no leak. The hour climbs back
    /// to the height those runs held, not past it: it confirms nothing. Above that height, or
    /// when the day's runs leave a common slope, or a window between them (the 6 h) calls a
    /// leak, or the hour itself saw complete runs leak, the hour's leak stands.
    #[test]
    fn a_window_climbing_back_to_the_height_warmed_up_runs_held_confirms_nothing() {
        let restarted = restarted();
        let gb = 1e9;
        let mut w = eval(
            VerdictKind::Leak,
            Pattern::LinearGrowth,
            0,
            Falls::default(),
        );
        if let Some(d) = w.detail.as_mut() {
            d.span_s = 3360.0;
            d.floor_now = 1.46 * gb;
            d.rise_needed = 0.037 * gb;
        }
        let mut six = eval(VerdictKind::NoLeak, Pattern::Plateau, 1, restarted);
        six.quiet_runs = true;
        let mut day = eval(VerdictKind::NoLeak, Pattern::Plateau, 4, restarted);
        day.quiet_runs = true;
        day.warm_up_runs = true;
        day.held = 1.76 * gb;
        let main = Eval::insufficient(22);
        let a = |w: Eval, six: Eval, day: Eval| {
            super::super::Assessment {
                main,
                windows: [Some(w), Some(six), Some(day)],
                history: [History::UNKNOWN; 3],
            }
            .confirmed()[0]
        };
        assert!(window_confirms(0, &w, &main, &History::UNKNOWN));
        assert!(!a(w, six, day));
        let mut past = w;
        if let Some(d) = past.detail.as_mut() {
            d.floor_now = 1.85 * gb;
        }
        assert!(a(past, six, day));
        let mut sloped = day;
        sloped.warm_up_runs = false;
        assert!(a(w, six, sloped));
        let mut leaking = six;
        leaking.kind = VerdictKind::Leak;
        assert!(a(w, leaking, day));
        let mut own = w;
        own.restarts = 2;
        own.quiet_runs = false;
        assert!(a(own, six, day));
    }
}
