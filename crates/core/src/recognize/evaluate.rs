//! One evaluation of the bucket summary: split at restarts, judge the last segment (and its
//! recent half, for leaks that start late), fall back on the previous segment when the last
//! one is too short, and name the result.

use super::buckets::Bucket;
use super::stats::{
    detrended_diff_noise, half_lag_slope, lowest, median_and_mad, median_mut, min_max, mk_tau,
    quantile_mut, rolling_min, second_diff_noise, MAD_TO_SD,
};
use super::stretch::{floor_curve, judge, spiked, Cfg, Cols, Plateau, StretchEval};
use super::warmup::{warmup_slope, RunFloors};
use crate::verdict::{Pattern, VerdictKind};

/// The outcome of one evaluation (numbers only; reasons are worded on demand).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Eval {
    pub kind: VerdictKind,
    pub pattern: Pattern,
    /// Floor growth, bytes per second (0 when none).
    pub growth_bps: f64,
    pub confidence: f64,
    /// Current level of the floor trend, bytes.
    pub floor_now: f64,
    pub restarts: usize,
    /// The judged stretch's details, when one was judged.
    pub detail: Option<StretchEval>,
    /// Start of the judged stretch, unix seconds.
    pub judged_from: f64,
    /// How the falls of the floor look: a collector's cycles, or restarts (see
    /// [`collector_drops`]).
    pub falls: Falls,
    /// Restarts were seen and the complete runs between them were judged: most did not leak.
    pub quiet_runs: bool,
    /// Three restarts or more, and the runs after them all read as warm-ups: each run's
    /// warm-up fitted, no common slope is left (see [`runs_only_warm_up`]).
    pub warm_up_runs: bool,
    /// A trailing window's leak that rests on the run its leading edge cuts (without that
    /// run's own verdict its runs would not read as leaking), while the run going on now
    /// climbs more than three times as fast as the cut run did: a warm-up's start after the
    /// tail of the warm-up before it, as likely as a leak (see `window_confirms`).
    pub cut_run_leak: bool,
    /// A trailing window's leak after restarts whose run going on now climbs more than three
    /// times as fast as the run its leading edge cuts did, whatever that run's verdict: the
    /// window sees neither how long the cut run lasted nor where it started, so whether its
    /// leak rests on that run is for a longer view that saw it whole (see
    /// `Assessment::wider_saw_quiet_runs`).
    pub outpaces_cut_run: bool,
    /// The run going on now leaks on its own reading (after restarts).
    pub last_run_leaks: bool,
    /// The typical length of the complete runs judged (seconds, NaN when none) and the
    /// highest floor the ones that did not leak ended at (-inf when none).
    pub typical_run_s: f64,
    pub held: f64,
    /// The leak was read from the seasonal differences of the run (see [`seasonal_rise`]).
    pub seasonal: Option<SeasonalRise>,
    /// The leak was read from the floor of each day (see [`daily_leak`]).
    pub daily: Option<DailyRise>,
    /// No leak, and restarts that each show a new process warming up (see
    /// [`Falls::warmups`]; not a collector's falls), the last one settled at its level within
    /// minutes (see `names::settled_after_restart`): deploys, each a level change at a moment
    /// that holds, whatever the judged stretch's floor did since. The verdict's name is then a
    /// step (the name only: a trailing window's rise is read against the judged stretch's own
    /// shape, `detail`, as the tail of a fill or a step, never against a name). Whole series
    /// only, not while screening.
    pub deploys: bool,
}

impl Eval {
    pub(crate) fn insufficient(restarts: usize) -> Self {
        Self {
            kind: VerdictKind::InsufficientData,
            pattern: Pattern::Unknown,
            growth_bps: 0.0,
            confidence: 0.0,
            floor_now: f64::NAN,
            restarts,
            detail: None,
            judged_from: f64::NAN,
            falls: Falls::default(),
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
}

/// Seconds in a day (daily cycles; under a day seen, one cannot be ruled out).
pub(crate) const DAY: f64 = 86400.0;

/// How many buckets of `c` (at their mean width) make a day: the lag of the same hour a day
/// apart.
fn day_lag(c: &Columns) -> usize {
    let n = c.t.len();
    let width = (c.t[n - 1] - c.t[0]) / (n - 1).max(1) as f64;
    (DAY / width).round() as usize
}

/// One day of a stretch: its lowest floor (and when), how far it swung above it, and whether
/// that low is a night.
#[derive(Debug, Clone, Copy)]
struct Day {
    t_trough: f64,
    trough: f64,
    swing: f64,
    /// The floor stood 8 noise scales higher both before the trough and after it within the
    /// day: a night between an evening and a morning, not where the day's stretch was cut.
    night: bool,
}

/// The days of a stretch counted back from its end (oldest first; the first may be partial,
/// when it covers at least a quarter of a day), when the stretch repeats itself a day later
/// (see [`repeats_daily`]) or has its nights at one hour of the day (see
/// [`nights_at_one_hour`]), with a swing well above the noise (`sigma`) and its means come
/// down by as much somewhere (see [`comes_down`]): a daily cycle, even when too few days
/// are in view for the autocorrelation to show it. `None` when there is no
/// such cycle or less than two days.
fn daily_troughs(c: &Columns, sigma: f64) -> Option<Vec<Day>> {
    let n = c.t.len();
    let mut days = Vec::new();
    let mut end = n;
    let mut partial = false;
    while end > 0 {
        let t_end = c.t_first[end - 1].max(c.t[end - 1]);
        let start = c.t[..end].partition_point(|&x| x < t_end - DAY);
        let whole = start > 0;
        if end - start < 6 || (!whole && t_end - c.t[0] < 0.25 * DAY) {
            break;
        }
        let (m_lo, m_hi) = min_max(&c.mean[start..end]);
        // (The middle of three neighbouring bucket minima: one wild sample is no trough.)
        let (i, trough) = (start..end).fold((start, f64::INFINITY), |(bi, bv), i| {
            let v = middle_of_three(&c.lo[start..end], i - start);
            if v < bv {
                (i, v)
            } else {
                (bi, bv)
            }
        });
        // (How much higher the floor stood within the day, before the trough or after it.)
        let above = |r: std::ops::Range<usize>| {
            r.map(|j| middle_of_three(&c.lo[start..end], j - start))
                .fold(f64::NEG_INFINITY, f64::max)
                - trough
        };
        days.push(Day {
            t_trough: c.t[i],
            trough,
            swing: m_hi - m_lo,
            night: above(start..i) >= 8.0 * sigma && above(i + 1..end) >= 8.0 * sigma,
        });
        end = start;
        if !whole {
            partial = true;
            break;
        }
    }
    days.reverse();
    // A part of a day holds a night only when it reaches back to the hour of the next day's
    // trough; else its lowest floor is where the series began or where the day's boundary
    // cuts the evening's fall: it bounds that night's floor from above only. A step up from
    // it is a step up from that night too; a step down from it says nothing.
    if partial
        && days.len() >= 2
        && days[1].t_trough - DAY < c.t_first[0]
        && days[1].trough < days[0].trough
    {
        days.remove(0);
    }
    let swing = {
        let mut s: Vec<f64> = days.iter().map(|d| d.swing).collect();
        median_mut(&mut s)
    };
    // Neighbouring days' troughs within the three buckets a trough is read from are one low
    // (a night the days' boundary cuts, a restart's dip at it), not two days' floors: a rate
    // between them is a rate over minutes.
    let width = (c.t[n - 1] - c.t[0]) / (n - 1).max(1) as f64;
    let apart = days
        .windows(2)
        .all(|w| w[1].t_trough - w[0].t_trough > 2.0 * width);
    (days.len() >= 2
        && apart
        && swing >= 8.0 * sigma
        && comes_down(&c.mean, 8.0 * sigma)
        && (repeats_daily(c) || nights_at_one_hour(&days)))
    .then_some(days)
}

/// True when three days or more each hold a night (see [`Day::night`]) and all come within
/// two hours of one hour of the day: a daily cycle's night comes at the same hour every day,
/// on a weekday or a quiet weekend day, though their swings differ and the days a day apart
/// do not move together (see [`repeats_daily`]); a fill's or a wander's lows fall anywhere.
/// (A rising stretch's lowest floor in each day is where that day was cut, the same hour
/// every day by construction: no night.)
fn nights_at_one_hour(days: &[Day]) -> bool {
    let t0 = days.first().map_or(0.0, |d| d.t_trough);
    days.len() >= 3
        && days.iter().all(|d| {
            let off = (d.t_trough - t0).rem_euclid(DAY);
            d.night && off.min(DAY - off) <= 2.0 * 3600.0
        })
}

/// The middle of `x[i - 1..=i + 1]` (of two at the ends).
fn middle_of_three(x: &[f64], i: usize) -> f64 {
    let (a, b) = (i.saturating_sub(1), (i + 2).min(x.len()));
    let mut v = [0.0; 3];
    v[..b - a].copy_from_slice(&x[a..b]);
    median_mut(&mut v[..b - a])
}

/// True when the bucket means `mean` (each the middle of three neighbours) came down
/// somewhere by `fall` from a height they held before: a daily cycle falls every evening,
/// even over a leak that follows the traffic; a cache still filling never comes down beyond
/// its noise, and one day and a part of the next of its concave climb, detrended, look like
/// a day that repeats.
fn comes_down(mean: &[f64], fall: f64) -> bool {
    let mut peak = f64::NEG_INFINITY;
    (0..mean.len()).any(|i| {
        let v = middle_of_three(mean, i);
        peak = peak.max(v);
        peak - v >= fall
    })
}

/// True when the bucket means one day apart move together (correlation ≥ 0.5 after removing
/// the trend, taken as the median change over a day): the day repeats. Wander and fills do
/// not repeat a day later.
fn repeats_daily(c: &Columns) -> bool {
    let n = c.t.len();
    let lag = day_lag(c);
    if lag == 0 || lag + 4 > n {
        return false;
    }
    let mut d: Vec<f64> = (0..n - lag).map(|i| c.mean[i + lag] - c.mean[i]).collect();
    let slope = median_mut(&mut d) / lag as f64;
    let r: Vec<f64> = (0..n).map(|i| c.mean[i] - slope * i as f64).collect();
    let mean = r.iter().sum::<f64>() / n as f64;
    let var: f64 = r.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / n as f64;
    let (a, b) = (&r[..n - lag], &r[lag..]);
    let cov: f64 = a
        .iter()
        .zip(b)
        .map(|(x, y)| (x - mean) * (y - mean))
        .sum::<f64>()
        / (n - lag) as f64;
    var > 0.0 && cov / var >= 0.5
}

/// The floor of each day: a leak under a daily cycle raises every trough above the one
/// before — by at least 6 noise scales and a tenth of the day's swing, so that the day-to-day
/// wobble of a cycle is not taken for growth, or, over three steps or more, every one by 6
/// noise scales and none under half the largest (a wobble has no direction and no pace), or,
/// over four steps or more, every one up and 6 noise scales of a difference in all (a wobble
/// keeps no direction for days on end) — and the rise does not fade.
///
/// A leak gives nothing back: a trough below the one before by half the day's swing or more
/// (a quieter day lowers the peaks by a share of the swing and the trough far less) and by
/// 6 noise scales of a difference is memory released — an old generation's full collection,
/// or a restart the falls did not cut. Until the troughs since climb past the one before it,
/// they refill what was released, and tell of no leak (as `refilling` says of a floor after
/// a fall).
/// What the floor of each day showed when it called a leak (see [`daily_leak`]): for the
/// verdict's reasons, which the stretch's own floor, trend and plateau test would contradict.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct DailyRise {
    /// Growth from the first trough to the last, bytes per second.
    pub growth: f64,
    /// The last trough less the first, bytes.
    pub rise: f64,
    /// Troughs compared (one a day).
    pub days: usize,
    /// Steps from one trough to the next of at least `step_min`.
    pub up: usize,
    /// The least step that counts as up: 6 noise scales and a tenth of the daily swing, bytes.
    pub step_min: f64,
}

fn daily_leak(days: &[Day], sigma: f64, cfg: &Cfg) -> Option<DailyRise> {
    let swing = {
        let mut s: Vec<f64> = days.iter().map(|d| d.swing).collect();
        median_mut(&mut s)
    };
    let step_min = (6.0 * sigma).max(0.1 * swing);
    let steps: Vec<f64> = days.windows(2).map(|w| w[1].trough - w[0].trough).collect();
    let up = steps.iter().filter(|&&d| d >= step_min).count();
    let first = days.first()?;
    let last = days.last()?;
    let release = (6.0 * std::f64::consts::SQRT_2 * sigma).max(0.5 * swing);
    if let Some(k) = steps.iter().rposition(|&d| d <= -release) {
        if last.trough <= days[k].trough + 3.0 * sigma {
            return None;
        }
    }
    let rise = last.trough - first.trough;
    let dt = last.t_trough - first.t_trough;
    let growth = if dt > 0.0 { rise / dt } else { 0.0 };
    let fading = steps.len() >= 3 && steps[steps.len() - 1] < 0.3 * steps[0];
    // A day-to-day wobble has no direction and no pace: three steps or more, every one up by
    // the noise's 6 scales and none under half the largest, are a staircase, however small
    // against the swing (a leak the cycle hides).
    let (lo_step, hi_step) = min_max(&steps);
    let steady = steps.len() >= 3 && lo_step >= 6.0 * sigma && lo_step >= 0.5 * hi_step;
    // Nor does it keep one direction for days on end: five troughs or more, each above the
    // one before (by chance one order in 120 of five), rising in all by 6 noise scales of a
    // difference, are growth, though the leak paused on quiet days (a weekend).
    let climbing =
        steps.len() >= 4 && lo_step > 0.0 && rise >= 6.0 * std::f64::consts::SQRT_2 * sigma;
    ((up * 5 >= steps.len() * 4 || steady || climbing)
        && rise >= cfg.min_rise_bytes
        && growth >= cfg.min_growth_bps
        && !fading)
        .then_some(DailyRise {
            growth,
            rise,
            days: days.len(),
            up,
            step_min,
        })
}

/// The noise a step of the troughs is judged against: the scatter of the bucket minima
/// about the same hour a day before (about their median change, a leak's day), as one
/// sample's scale, when smaller than `sigma2`, the second differences' noise. At buckets of
/// hours those read the curvature of the daily shape as noise; day-over-day changes do not,
/// and they grow with what really varies from day to day (a busier day, a weekend), which is
/// what a trough's step must stand out from. Each errs only upwards, each for its own
/// reason: the smaller is the nearer. Three days' worth of pairs at least.
fn trough_noise(c: &Columns, sigma2: f64) -> f64 {
    let n = c.t.len();
    let lag = day_lag(c);
    if lag == 0 || n < 3 * lag {
        return sigma2;
    }
    let mut d: Vec<f64> = (0..n - lag).map(|i| c.lo[i + lag] - c.lo[i]).collect();
    let m = median_mut(&mut d);
    d.iter_mut().for_each(|v| *v = (*v - m).abs());
    (MAD_TO_SD * median_mut(&mut d) / 2f64.sqrt()).min(sigma2)
}

/// What the same hours a day apart say (see [`day_over_day`]).
#[derive(Debug, Clone, Copy)]
struct DayOverDay {
    /// How much higher the floor stands a day later, bytes (the median over the hours seen
    /// twice).
    rise: f64,
    /// The floor at the end (the last bucket minimum), bytes.
    floor_now: f64,
    /// Found in the hours since a late onset alone: the leak began within the last day.
    since_onset: bool,
}

/// The floor at each hour the run saw twice (its last `span − 1 day`) against the same hour a
/// day before. Under a daily cycle the hour of the day explains the shape of the day, so what
/// stands higher a day later grew, whatever the shape: a leak that follows the traffic stands
/// higher at every such hour by about a day's leak — at night too, where its floor is flat and
/// reads as a plateau; a cache that filled on the first day stands higher only by what it had
/// still to fill at that hour, which fades across the hours seen twice; a cycle alone stands no
/// higher. Within the run only (a restart starts another day). A leak needs:
/// * two buckets seen twice at least;
/// * 4 in 5 of them higher a day later by the rise a leak needs: 6 noise scales of a
///   difference of two minima, the smallest leak, and a tenth of the cycle's swing (a cycle
///   wobbles from one day to the next);
/// * no fading: the last third of them higher by at least 70 % of what the first third was;
/// * no jump: the floor's largest rise across two buckets of the last day, beyond what the
///   same two buckets rose a day before (where the run saw them; else, under a cycle whose
///   day fell after its peak to a night among the hours seen twice, for a climb out of that
///   night, beyond the steepest two-bucket fall later that day), under 60 % of the day's
///   rise — a deploy or a batch steps up in one bucket and holds, a leak spreads over the
///   traffic's hours, and a cycle's own steep morning comes back every day and falls back as
///   steeply every evening;
/// * a cycle: the last day's means came down after their peak by that rise and by 8 noise
///   scales of the means (means read as the middle of three neighbours; to their lowest
///   since, as the end may be the next morning's climb) — the flat stretch is a night, not
///   the level a fill or a step reached and holds;
/// * a day's rise of at least the smallest growth.
///
/// (The cycle may show under the growth instead, see [`night_under_growth`]: a leak that
/// outpaces the evening's fall, or a morning that a day's leak lifts past the evening
/// before, leaves the last day's means no fall from their peak, which is at the end. Late,
/// a climb back beyond the noise will do; in the whole-run test the run's means must also
/// have come down somewhere and repeat a day later, and the morning climb back as far as
/// an evening must fall.)
///
/// With `late`, over more than two days of the run: the last day's hours alone, each against
/// the highest floor held at that hour on any earlier day of the run — a leak that began
/// within the last day is no day-after-day rise over the whole run, and its trough, at the
/// onset, stands no higher than the days' before; a busy day after quiet ones (a Monday) does
/// not pass the busy days before them, nor a cycle's night its earlier nights. When the day as
/// a whole fails, the hours since its onset are judged alone (see the end of the function).
/// The run's floor (from bucket `a` on) at time `t`: the bucket minima, interpolated (buckets
/// are as wide a day apart, so minima compare with minima); the first minimum before the run.
fn floor_at(c: &Columns, a: usize, t: f64) -> f64 {
    let n = c.t.len();
    let j = c.t[a..n].partition_point(|&x| x < t) + a;
    if j == a {
        return c.lo[a];
    }
    let (t0, t1) = (c.t[j - 1], c.t[j]);
    let f = if t1 > t0 { (t - t0) / (t1 - t0) } else { 1.0 };
    c.lo[j - 1] + f * (c.lo[j] - c.lo[j - 1])
}

/// The run's floor at the same hour as `t` on each earlier day of the run (from bucket `a`),
/// the day before first.
fn same_hour_before(c: &Columns, a: usize, t: f64) -> impl Iterator<Item = f64> + '_ {
    (1..)
        .map(move |k| t - k as f64 * DAY)
        .take_while(move |&x| x >= c.t[a])
        .map(move |x| floor_at(c, a, x))
}

fn day_over_day(c: &Columns, a: usize, sigma: f64, cfg: &Cfg, late: bool) -> Option<DayOverDay> {
    let n = c.t.len();
    let t_end = c.t[n - 1];
    if n < a + 8 || t_end - c.t[a] <= if late { 2.0 * DAY } else { DAY } {
        return None;
    }
    // Late: the highest floor held at this hour on any earlier day of the run — a weekday
    // after the weekend, or a busier day than the last, stands no higher than the busy days
    // before them; a leak that began in the last day stands higher than all of them.
    // (A trailing window asks the same of the whole-series summary, `held_at_this_hour`, over
    // a band of hours as wide as the window, whose rise spans that long; here each hour meets
    // the floor at that very instant: a band would set it against its busier neighbours.)
    let before = |t: f64| {
        if !late {
            return floor_at(c, a, t - DAY);
        }
        same_hour_before(c, a, t).fold(f64::NAN, f64::max)
    };
    let day = c.t[a..n].partition_point(|&t| t < t_end - DAY) + a;
    let twice = if late {
        day
    } else {
        c.t[a..n].partition_point(|&t| t < c.t[a] + DAY) + a
    };
    let d: Vec<f64> = (twice..n).map(|i| c.lo[i] - before(c.t[i])).collect();
    let m = d.len();
    if m < 2 || n < day + 3 {
        return None;
    }
    let mut s = d.clone();
    let rise = median_mut(&mut s);
    let means: Vec<f64> = (day..n)
        .map(|i| {
            let mut v = [
                c.mean[(i - 1).max(day)],
                c.mean[i],
                c.mean[(i + 1).min(n - 1)],
            ];
            median_mut(&mut v)
        })
        .collect();
    // (Noise of the means from second differences: blind to the cycle's smooth swing.)
    let mean_noise = second_diff_noise(&c.mean[day..n], &mut s);
    let (m_lo, m_hi) = min_max(&means);
    // (The day's range of means holds its growth too: the cycle's swing is what is left.)
    let swing = (m_hi - m_lo - rise.max(0.0)).max(0.0);
    let needed = day_rise_needed(sigma, swing, cfg);
    let higher = d.iter().filter(|&&x| x >= needed).count();
    let k = (m / 3).max(1);
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len() as f64;
    let fading = mean(&d[m - k..]) < 0.7 * mean(&d[..k]);
    // (The lowest after the peak: a night seen is a night, though the morning climbed back.)
    let peak_at = means.iter().position(|&v| v == m_hi).unwrap_or(0);
    let fell = m_hi - min_max(&means[peak_at..]).0;
    // The largest rise of the floor across two buckets in the last day: a deploy's step
    // lands in one, a leak spreads over the traffic's hours. Beyond what the same two
    // buckets rose a day before, where the run saw them: the cycle's own morning climb
    // comes back every day, a deploy's step does not.
    // Where the run did not see those buckets a day before (a run of under two days), the
    // cycle's evening speaks for its morning: a climb out of the night (from a floor no
    // higher than the night the day falls to after its peak) no steeper than a fall of the
    // floor across two buckets later that day is one the cycle gives back every evening. Only
    // under a cycle (the means repeat a day later: a spike's own fall is no evening) and when
    // that night is among the hours seen twice: a cycle returns to the same night, a leak
    // stands higher there, while a busier day lifts its busy hours, not its night. And only
    // when the day had an evening: its means fell after their peak by what a night needs (a
    // floor that sags later in a day that never came down gives back no morning). A step
    // that holds, from the day's level, is still a jump.
    let lowest = |r: std::ops::Range<usize>| {
        r.map(|i| middle_of_three(&c.lo[day..n], i - day))
            .fold(f64::INFINITY, f64::min)
    };
    let night = lowest(day + peak_at..n);
    let night_twice = lowest(twice.max(day + peak_at)..n) - night < needed;
    let came_down = needed.max(8.0 * mean_noise);
    let mut later_fall = vec![0.0f64; n + 1];
    if night_twice && fell >= came_down && repeats_daily(c) {
        for k in (day + 2..n).rev() {
            later_fall[k] = later_fall[k + 1].max(c.lo[k - 2] - c.lo[k]);
        }
    }
    let jump = (day + 2..n)
        .map(|i| {
            let (t0, t1) = (c.t[i - 2] - DAY, c.t[i] - DAY);
            let cycle = if t0 >= c.t[a] {
                (floor_at(c, a, t1) - floor_at(c, a, t0)).max(0.0)
            } else if c.lo[i - 2] < night + needed {
                later_fall[(i + 1).min(n)]
            } else {
                0.0
            };
            c.lo[i] - c.lo[i - 2] - cycle
        })
        .fold(0.0f64, f64::max);
    // How far the morning must climb back from a night under the growth. In the whole-run
    // test, which may see as little as a day and a bucket, a cache that filled on the first
    // day and holds, less its rise at an even pace, comes down, and its wander climbs back
    // by about its noise: a cycle's morning climbs back as far as an evening must fall.
    let climb = if late { 2.5 * mean_noise } else { came_down };
    let whole_day = higher * 5 >= m * 4
        && !fading
        && jump < 0.6 * rise
        && (fell >= came_down
            || ((late || (comes_down(&c.mean[a..n], came_down) && repeats_daily(c)))
                && night_under_growth(c, day, &means, rise, came_down, climb)))
        && rise / DAY >= cfg.min_growth_bps;
    if whole_day {
        return Some(DayOverDay {
            rise,
            floor_now: c.lo[n - 1],
            since_onset: false,
        });
    }
    // Late, a leak that began within the last day stands higher than every earlier day at
    // the same hour only since its onset, and ever more so the longer it runs; before it,
    // the last day's hours stand no higher than the busiest day before them. So the hours
    // since the floor last stood no higher than some earlier day at that hour are judged
    // alone: a quarter of the day's hours or more, their excess over every earlier day
    // climbing monotonically (Mann–Kendall τ) by the rise a leak needs from the first third
    // of them to the last, with no jump carrying 60 % of that climb. A busier day, a step or
    // a deploy stands higher by a level that does not grow; a cycle's hour stands no higher
    // than the same hour on the days before.
    let e = &d[d.iter().rposition(|&x| x <= 0.0).map_or(0, |i| i + 1)..];
    let ms = e.len();
    if !late || ms < 4 || ms * 4 < m {
        return None;
    }
    let third = (ms / 3).max(1);
    let (mut first, mut last) = (e[..third].to_vec(), e[ms - third..].to_vec());
    let (start, end) = (median_mut(&mut first), median_mut(&mut last));
    let climb = end - start;
    (climb >= needed
        && jump < 0.6 * climb
        && mk_tau(e, 0.0) >= cfg.min_tau
        && end / DAY >= cfg.min_growth_bps)
        .then_some(DayOverDay {
            rise: end,
            floor_now: c.lo[n - 1],
            since_onset: true,
        })
}

/// The rise a day must show over the same hours, or the night, before it: six noise scales
/// of a difference of two bucket minima (`sigma` each), the least rise a leak may show, and
/// a tenth of the cycle's `swing`.
fn day_rise_needed(sigma: f64, swing: f64, cfg: &Cfg) -> f64 {
    (6.0 * std::f64::consts::SQRT_2 * sigma)
        .max(cfg.min_rise_bytes)
        .max(0.1 * swing)
}

/// A run of about one day, which sees too few hours twice for [`day_over_day`], against its
/// own night: under a daily cycle the night is the lowest the working set gets, so no floor
/// the run held before the day's largest fall of its means (its evening) stands lower than
/// the night that fall comes down to — a busier day lifts its busy hours, not its night. A
/// leak that follows the traffic keeps what the day added: the night after the evening
/// stands above every floor held before it. Whole series only (a trailing window of a
/// longer one cuts days anywhere: two peaks' midday dip then passes for a night). A leak
/// needs:
/// * a run of 0.8 day to a day and two hours: longer runs see enough hours twice for
///   `day_over_day`, which alone tells a leak's steady excess from a cache that filled on
///   the first day and stands higher a day later only by what it had still to fill;
/// * an evening: the means (each the middle of three neighbours) fell from a peak, three
///   buckets or more into the run, by twice the rise a leak needs and by 8 noise scales of
///   the means — a fill or a step holds its level, give or take its wander;
/// * a night: the lowest floor after that peak, with three buckets or more after it (a run
///   cut while its evening still falls saw no night), above the lowest floor before the
///   peak by the rise a leak needs (6 noise scales of a difference of two minima, the
///   smallest leak) and by a quarter of the cycle's swing (one day shows nothing of how its
///   nights wobble from day to day: a tenth, as `day_over_day` allows, is too little);
/// * the run opened on the night before or climbing out of it: no fall by that rise before
///   the lowest floor (a fall there is an earlier evening, a deploy's dip or a load's
///   change, and the low it reached is no night a day before the other);
/// * the floor still climbing through the day: from halfway between the morning (where the
///   floor last stood within that rise of its low) and the peak, up to the peak, by that
///   rise and by a quarter of the night's rise — a leak that follows the traffic grows
///   through the busy hours; a new level (a heap goal's load regime, a deploy, a cache that
///   filled in the morning) holds flat there, give or take its wander;
/// * a day's rise of at least the smallest growth.
fn night_above_start(c: &Columns, a: usize, sigma: f64, cfg: &Cfg) -> Option<DayOverDay> {
    let n = c.t.len();
    if cfg.window
        || n < a + 12
        || !(0.8 * DAY..=DAY + 2.0 * 3600.0).contains(&(c.t[n - 1] - c.t[a]))
    {
        return None;
    }
    let means: Vec<f64> = (a..n)
        .map(|i| middle_of_three(&c.mean[a..n], i - a))
        .collect();
    let floors: Vec<f64> = (a..n)
        .map(|i| middle_of_three(&c.lo[a..n], i - a))
        .collect();
    // The largest fall of the means from a peak before it.
    let (mut peak_at, mut best) = (0usize, (0usize, 0.0f64));
    for (i, &v) in means.iter().enumerate() {
        if v > means[peak_at] {
            peak_at = i;
        }
        if means[peak_at] - v > best.1 {
            best = (peak_at, means[peak_at] - v);
        }
    }
    let (p, fell) = best;
    if p < 3 {
        return None;
    }
    let mean_noise = second_diff_noise(&c.mean[a..n], &mut Vec::new());
    // (The lowest floor before the peak.)
    let (b, before) = lowest(&floors[..p]);
    let fell_before = min_max(&floors[..=b]).1 - before;
    // (The night: the lowest floor after the peak.)
    let (q, night) = lowest(&floors[p..]);
    if p + q + 4 > floors.len() {
        return None;
    }
    let rise = night - before;
    let (m_lo, m_hi) = min_max(&means);
    let swing = (m_hi - m_lo - rise.max(0.0)).max(0.0);
    let needed = day_rise_needed(sigma, swing, cfg);
    // (Through the day, from halfway between the morning and the peak.)
    let morning = (b..p)
        .rev()
        .find(|&i| floors[i] < before + needed)
        .unwrap_or(b);
    let day_climb = floors[p] - floors[(morning + p) / 2];
    (fell >= (2.0 * needed).max(8.0 * mean_noise)
        && fell_before < needed
        && day_climb >= needed.max(0.25 * rise)
        && rise >= needed.max(0.25 * swing)
        && rise / DAY >= cfg.min_growth_bps)
        .then_some(DayOverDay {
            rise,
            floor_now: c.lo[n - 1],
            since_onset: false,
        })
}

/// What the same hours on earlier days say of the last day (see [`seasonal_rise`]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SeasonalRise {
    /// The least the last day's floor stood above the lowest floor held at the same hour on
    /// any earlier day of the run, over all its hours, bytes.
    pub least: f64,
    /// The most any earlier day (two days back or more) stood so at every hour above the days
    /// before it (0 when none stood higher), bytes.
    pub earlier: f64,
    /// How much that excess climbed within the last day (its last third less its first),
    /// bytes.
    pub climb: f64,
    /// The rise it asked of both, bytes (6 noise scales of a difference of two minima, never
    /// under `min_rise_bytes`).
    pub needed: f64,
    /// Mann–Kendall τ of the last day's excess.
    pub tau: f64,
}

/// The run's floor against itself on earlier days: each bucket minimum of the last day less
/// the lowest floor held at the same hour on any earlier day of the run (the earlier days'
/// floors interpolated; each excess the middle of three neighbours: one wild bucket is no
/// hour). Under a daily cycle the hour of the day explains the shape of the day, and the
/// lowest day at each hour is a quiet one: a weekday stands higher than a Sunday in its busy
/// hours, not at night, and a busier week lifts the busy hours, not the nights — so no
/// day of a cycle stands higher than the days before it at every hour. A leak that has run
/// for hours before the last day began lifts every hour of it, the night too, and ever
/// more as the day goes on. Under a daily cycle (see [`daily_troughs`]), over four days or more
/// of the run, it needs:
/// * the last day higher at every hour by the rise a leak needs (6 noise scales of a
///   difference of two minima, the smallest leak) beyond the most any earlier day, two days
///   back or more, stood higher at every hour than the days before it (a cycle that wobbles
///   from day to day does so on earlier days too: this measures it rather than assuming it;
///   the day before the last is left out, as a leak of more than a day lifts it as well);
/// * that excess still climbing within the last day: its last third above its first by the
///   rise a leak needs, monotonically (Mann–Kendall τ) — a step before the last day lifts
///   every hour of it as well, but by a level that does not grow;
/// * a pace of at least the smallest growth.
fn seasonal_rise(c: &Columns, a: usize, sigma: f64, cfg: &Cfg) -> Option<SeasonalRise> {
    let n = c.t.len();
    let t_end = c.t[n - 1];
    if n < a + 16 || t_end - c.t[a] < 4.0 * DAY {
        return None;
    }
    // Each bucket seen on an earlier day of the run, less the lowest floor held at its hour.
    let from = c.t[a..n].partition_point(|&t| t < c.t[a] + DAY) + a;
    let excess: Vec<f64> = (from..n)
        .map(|i| {
            let low = same_hour_before(c, a, c.t[i]).fold(f64::INFINITY, f64::min);
            c.lo[i] - low
        })
        .collect();
    let ex: Vec<f64> = (0..excess.len())
        .map(|i| middle_of_three(&excess, i))
        .collect();
    let t_x = &c.t[from..n];
    // The buckets of the day ending at `t1` (at least three).
    let day_of = |t1: f64| {
        let i0 = t_x.partition_point(|&t| t <= t1 - DAY);
        let i1 = t_x.partition_point(|&t| t <= t1);
        (i1 >= i0 + 3).then_some(i0..i1)
    };
    let least = |r: std::ops::Range<usize>| ex[r].iter().copied().fold(f64::INFINITY, f64::min);
    let last = day_of(t_end)?;
    // The noise: the scatter of the bucket minima about the same instant a day before (about
    // their median change), before the last two days, which a leak may lift, as one sample's
    // scale, at the quiet hours — the quarter of them whose floor a day before stood lowest:
    // a cycle's trough, where a day's least excess lies. Elsewhere the bucket minima scatter
    // with how busy each day was, in proportion to their height above the trough (a busier
    // day lifts its whole shape), and on a sinusoid the lower half of the day still holds
    // its slopes: there a 10 % busier day reads as tens of MB of noise. When under `sigma`,
    // the buckets' own (at buckets of hours those read the curvature of the day's shape as
    // noise).
    let pairs: Vec<(f64, f64)> = (from..n)
        .take_while(|&i| c.t[i] <= t_end - 2.0 * DAY)
        .map(|i| {
            let before = floor_at(c, a, c.t[i] - DAY);
            (before, c.lo[i] - before)
        })
        .collect();
    let mut quiet: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let quiet = match quiet.len() {
        0 => f64::NEG_INFINITY,
        _ => quantile_mut(&mut quiet, 1, 4),
    };
    let mut d: Vec<f64> = pairs.iter().filter(|p| p.0 <= quiet).map(|p| p.1).collect();
    let noise = if d.len() >= 3 {
        let m = median_mut(&mut d);
        d.iter_mut().for_each(|v| *v = (*v - m).abs());
        (MAD_TO_SD * median_mut(&mut d) / std::f64::consts::SQRT_2).min(sigma)
    } else {
        sigma
    };
    let needed = (6.0 * std::f64::consts::SQRT_2 * noise).max(cfg.min_rise_bytes);
    let low = least(last.clone());
    if low < needed {
        return None;
    }
    let earlier = (2..)
        .map(|k| t_end - k as f64 * DAY)
        .take_while(|&t1| t1 - DAY >= t_x[0])
        .map(|t1| day_of(t1).map(least))
        .collect::<Option<Vec<f64>>>()?
        .into_iter()
        .fold(f64::NAN, f64::max);
    if earlier.is_nan() || low < needed + earlier.max(0.0) {
        return None;
    }
    let e = &ex[last];
    let m = e.len();
    let third = (m / 3).max(1);
    let (mut first, mut end) = (e[..third].to_vec(), e[m - third..].to_vec());
    let climb = median_mut(&mut end) - median_mut(&mut first);
    // (The thirds' middles stand two thirds of a day apart.)
    let pace = climb / (DAY * (m - third) as f64 / m as f64);
    let tau = mk_tau(e, 0.0);
    (climb >= needed && tau >= cfg.min_tau && pace >= cfg.min_growth_bps).then_some(SeasonalRise {
        least: low,
        earlier: earlier.max(0.0),
        climb,
        needed,
        tau,
    })
}

/// True when the last day's means (`means`, from bucket `day` on) hold a night under their
/// growth: less the day's rise (`rise`) at an even pace, they came down somewhere from an
/// earlier peak by `fall` and climbed back from there by `climb`: a night, then a morning. A
/// leak faster than the cycle's evening fall never comes down within the day, yet the cycle
/// goes on under it; a level reached and held, less a slope, only comes down, and a cycle
/// alone stands no higher a day later.
fn night_under_growth(
    c: &Columns,
    day: usize,
    means: &[f64],
    rise: f64,
    fall: f64,
    climb: f64,
) -> bool {
    let pace = rise.max(0.0) / DAY;
    let v: Vec<f64> = means
        .iter()
        .enumerate()
        .map(|(k, m)| m - pace * (c.t[day + k] - c.t[day]))
        .collect();
    // (The highest before each bucket and after it: a night is a bucket below both.)
    let mut after = v.clone();
    for k in (0..v.len().saturating_sub(1)).rev() {
        after[k] = after[k].max(after[k + 1]);
    }
    let mut peak = f64::NEG_INFINITY;
    v.iter().zip(&after).any(|(&x, &later)| {
        peak = peak.max(x);
        peak - x >= fall && later - x >= climb
    })
}

/// A whole run the floor judged no leak, given the whole-run trend test (see
/// [`slow_trend`](super::slow_trend)): a slow leak under noise too heavy for the floor. Only
/// where nothing else explains the run — no cycle (the blocks would sample it), not a
/// trailing window (it may open in the middle of a fill). A step the floor read is asked of
/// the means again: one or two jumps must not fit them far better than the line (under
/// wander, a slow leak's floor of minima reads as a step now and then; a deploy's means are
/// flat between its jumps).
fn slow_leak(c: &Cols, full: StretchEval, cfg: &Cfg) -> StretchEval {
    if full.leak
        || cfg.window
        || full.period.is_some()
        || matches!(
            full.pattern,
            Pattern::Declining | Pattern::Cyclic | Pattern::SpikeRecovered
        )
    {
        return full;
    }
    match super::slow_trend::slow_trend(c, cfg, full.pattern == Pattern::Step) {
        Some(t) => StretchEval {
            leak: true,
            // (The trend of the means shows the leak; the floor may still show how it grew:
            // in steps between flat stretches, as the floor's tests name it. Not while
            // screening, as there.)
            pattern: if !cfg.screen && super::names::grew_in_bursts(c.t, c.lo, c.hi) {
                Pattern::GrowthInBursts
            } else {
                Pattern::LinearGrowth
            },
            growth_bps: t.growth_bps,
            rise: t.rise,
            rise_needed: t.rise_needed,
            rise_floor: t.rise_floor,
            tau: t.tau,
            floor_now: full.floor_start + t.rise,
            on_means: true,
            confidence: 0.6 + 0.2 * ((t.rise / t.rise_needed - 1.0) / 3.0).clamp(0.0, 1.0),
            ..full
        },
        None => full,
    }
}

/// True when the whole run `c` (no restart) is explained as one fill to a bound — its means
/// follow an exponential approach better than a line after a warm-up, as
/// [`Plateau::FillsToBound`] asks ([`super::stretch::fills_to_bound`])
/// — and its recent stretch from bucket `h` (judged `late`) rose no more than that fill's
/// curve predicts there, by one noise scale of the stretch: a recent stretch of a fill is the
/// fill's tail, whichever level (minima or means) it was read on. A leak that began late
/// climbs faster than the fill's slowing curve allows.
fn tail_of_fill(c: &Cols, h: usize, late: &StretchEval, cfg: &Cfg) -> bool {
    let n = c.t.len();
    if !cfg.one_run || cfg.window || h == 0 || h + 1 >= n {
        return false;
    }
    let Some(fill) = super::stretch::fills_to_bound(c) else {
        return false;
    };
    let predicted = fill.at(c.t[n - 1]) - fill.at(c.t[h]);
    let noise = late.rise_needed / cfg.rise_sigmas.max(1.0);
    late.rise <= predicted + noise
}

/// True when the first half of a segment (its bucket minima `lo`) already held the floor
/// that its recent half (`late`, judged over `n_late` buckets) climbed to — three quarters of
/// the way up, as [`super::windows::History::seen_before`] asks of a window — and came down
/// from it: the late climb returns to a height held before (an old generation refilling after
/// a full collection hidden in the band of minor ones, a load that came back, a cycle), which
/// is no onset of a leak. A leak that starts late climbs past everything held before it.
/// The earlier floor is read as the late stretch reads its own: the rolling minimum over a
/// twelfth of the recent half, or over a whole cycle when one was seen, so that a single
/// high bucket (or a cycle's crest) is no floor held.
fn climbed_back(lo: &[f64], n_late: usize, late: &StretchEval) -> bool {
    let mut w = ((n_late as f64) / 12.0).round().max(1.0) as usize;
    if let Some(p) = late.period {
        w = w.max(p + 1);
    }
    if lo.len() < w || late.floor_now <= late.floor_start {
        return false;
    }
    let (mut floor, mut dq) = (Vec::with_capacity(lo.len()), Vec::new());
    rolling_min(lo, w, &mut floor, &mut dq);
    let held = floor.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    held >= late.floor_start + 0.75 * (late.floor_now - late.floor_start)
}

/// Bucket columns, owned.
struct Columns {
    t: Vec<f64>,
    t_first: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    mean: Vec<f64>,
    last: Vec<f64>,
    /// Samples in each bucket.
    n: Vec<u32>,
    /// First sample of each bucket (with `last`: consecutive samples across bucket edges).
    first: Vec<f64>,
}

impl Columns {
    fn run_floors(&self) -> RunFloors<'_> {
        RunFloors {
            t: &self.t,
            t_first: &self.t_first,
            lo: &self.lo,
        }
    }

    fn cols(&self, a: usize, b: usize) -> Cols<'_> {
        Cols {
            t: &self.t[a..b],
            lo: &self.lo[a..b],
            hi: &self.hi[a..b],
            mean: &self.mean[a..b],
            first: &self.first[a..b],
            last: &self.last[a..b],
            n: &self.n[a..b],
        }
    }
}

/// Indices of buckets where the process restarted (the first is always 0). A restart is a
/// sudden fall of the floor that persists into the next bucket (one bad sample is no
/// restart) and is large against what the series does between restarts — at least 1.5
/// times the typical spread inside a bucket, so that a full or major GC whose drop hides in
/// the band of minor collections is not taken for one (a fall at the very end of a bucket
/// measured to the next bucket's minimum) — and either
/// * falls below half of the last 20 minutes' floor (a new process starts small; Coroot's
///   rule), or
/// * falls back near where the run started, after a run of at least an hour that grew from
///   its start (shorter regular drops are GC cycles; a long flat run that rose late and fell
///   back is a spike).
///
/// A trailing window that opens in the middle of a run takes the run as starting where its
/// floor was lowest: a fall it saw too early to judge is not held against the runs after it.
fn find_restarts(
    c: &Columns,
    (sigma, sigma2): (f64, f64),
    cfg: &Cfg,
    scratch: &mut Vec<f64>,
) -> Vec<usize> {
    let n = c.t.len();
    let mut starts = vec![0usize];
    let mut seg = 0usize;
    // Lowest floor of the run so far: where it started, or — when the series opens in the
    // middle of a run — the lowest it was seen.
    let mut s0 = c.lo[0];
    // When the run's climb began: its start, or where its lowest floor was seen.
    let (mut climb_from, mut climb_at) = (c.t_first[0], 0usize);
    for i in 1..n {
        let prev = c.lo[i - 1];
        if (i > seg + 1 || seg == 0) && prev < s0 {
            s0 = prev;
            (climb_from, climb_at) = (c.t_first[i - 1], i - 1);
        }
        let drop_min = (4.0 * sigma).max(0.01 * prev.abs()).max(cfg.min_drop);
        // (The run's first bucket after the restart bucket: no floor before it to fall from.)
        let first = seg + usize::from(seg > 0);
        if c.lo[i] > prev - drop_min || i <= first {
            continue;
        }
        // Floor of the hour before (at least two buckets), within the segment — after a
        // restart, without the restart bucket, which holds the fall (as in `segment`).
        let floor_before = |window: f64| {
            let mut fp = f64::INFINITY;
            let mut j = i;
            while j > first {
                j -= 1;
                fp = fp.min(c.lo[j]);
                if c.t[i] - c.t_first[j] >= window && i - j >= 2 {
                    break;
                }
            }
            fp
        };
        let fp = floor_before(3600.0);
        let fp_recent = floor_before(1200.0);
        // (Half the climb, not of the run: a window that opens in the middle of a run and
        // misses the restart after it, within its first hour, would otherwise reach back past
        // the next one to where its warm-up returns.)
        let fp_late = floor_before(3600f64.min(0.5 * (c.t[i] - climb_from)));
        let after = if i + 1 < n { c.lo[i + 1] } else { c.last[i] };
        let age = c.t[i] - c.t_first[seg];
        // The spread inside the run's buckets: minor GCs, traffic, noise (and the trend
        // across one bucket).
        // Read over groups of neighbouring buckets holding 8 samples or more: a bucket of one
        // or two samples (a fine trailing window) sees a fraction of a minor-GC sawtooth
        // faster than the sampling, and would take a full GC inside it for a restart. The rise
        // across a group (first to last minimum) is taken out.
        scratch.clear();
        // A trailing window that opens in the middle of a run saw the end of the run before
        // it only in part, and cannot tell a fall there from a restart: from the run's
        // lowest floor on, the spread is this run's alone.
        let mut j = if cfg.window && seg == 0 {
            climb_at
        } else {
            seg + usize::from(seg > 0)
        };
        let band_from = j;
        // The floor's climb that every bucket of the run shows (the least rise from one
        // bucket minimum to the next, per second; none unless the floor rose in every one):
        // an old generation filling at its pace lifts each bucket's minimum to its maximum by
        // that much, which is no minor band. A hump or a step that rose and is already
        // coming down shows no such climb.
        let steady = if i >= band_from + 3 {
            (band_from..i - 1)
                .map(|m| (c.lo[m + 1] - c.lo[m]) / (c.t[m + 1] - c.t[m]).max(1.0))
                .fold(f64::INFINITY, f64::min)
                .max(0.0)
        } else {
            0.0
        };
        while j < i {
            let (mut k, mut cnt, mut hi, mut lo) = (j, 0u32, f64::NEG_INFINITY, f64::INFINITY);
            while k < i && (cnt < 8 || k == j) {
                cnt += c.n[k];
                hi = hi.max(c.hi[k]);
                lo = lo.min(c.lo[k]);
                k += 1;
            }
            if cnt >= 8 || j == band_from {
                let climb = steady * (c.t_first[k] - c.t_first[j]);
                scratch.push(hi - lo - (c.lo[k - 1] - c.lo[j]).max(climb).max(0.0));
            }
            j = k;
        }
        // (Buckets of one sample have no spread: the noise about a smooth curve stands in.)
        let band = median_mut(scratch).max(4.0 * sigma2);
        // A fall at the very end of a bucket (its mean has not come down) leaves the bucket's
        // minimum to the few samples after it, which may miss the troughs of the minor
        // collections: the next bucket's minimum, which has to stay down anyway, reads the
        // floor the fall reached.
        let fell_late = c.mean[i] >= c.mean[i - 1] - 0.5 * band;
        let drop = fp
            - if fell_late {
                c.lo[i].min(after)
            } else {
                c.lo[i]
            };
        if drop < drop_min.max(1.5 * band) {
            continue;
        }
        let halved = c.lo[i] < 0.5 * fp_recent
            && after <= fp_recent + sigma
            && after < fp_recent - 2.0 * sigma
            && age >= 1200.0;
        // (Up to the floor just before the fall: the hour's floor lags a run that leaks.)
        let rise = fp_recent - s0;
        // A run grows from its start (a warm-up, a leak): by its middle the floor is a
        // quarter of the way up. A flat run that rose only lately and fell back is a spike.
        let grew_early = || {
            let mid = 0.5 * (c.t_first[seg] + c.t[i]);
            let j = c.t[..i]
                .partition_point(|&t| t < mid)
                .max(seg + 1)
                .min(i - 1);
            let around = c.lo[j.saturating_sub(1).max(seg)..=(j + 1).min(i - 1)]
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            around >= s0 + 0.25 * rise
        };
        let back_to_start = age >= 3600.0
            && rise >= (0.01 * fp.abs()).max(8.0 * sigma2).max(2.0 * cfg.min_drop)
            && c.lo[i] <= s0 + 0.35 * rise
            // (The next bucket stays down, below the floor before by more than the band: not
            // one bad sample. A quick warm-up may already have lifted it well above the
            // run's start. The floor before is the hour's, or the later half's of a run
            // shorter than two hours: the hour before a run of little more than an hour
            // reaches back to its start, where the next run's warm-up returns.)
            && after <= fp_late - band.max(0.5 * drop_min)
            && grew_early();
        // A trailing window opens in the middle of a run, whose start it never saw: there a
        // restart is a fall, after an hour, well below the lowest floor the window held.
        let new_low = cfg.window
            && seg == 0
            && age >= 3600.0
            && c.lo[i] < s0 - drop_min.max(1.5 * band)
            && after <= fp - band.max(0.5 * drop_min);
        if halved || back_to_start || new_low {
            starts.push(i);
            seg = i;
            s0 = after;
            (climb_from, climb_at) = (c.t_first[i], i);
        }
    }
    starts
}

/// True when the falls of the floor (`starts`, at least three) are a collector's, not
/// restarts: a collector fires when occupancy reaches a level, so every complete run ends at
/// the same height above its start however fast it filled; a leak grows at a pace, so a run
/// restarted by a clock rises by its pace × its length, and a run that is cut short stops
/// lower. Measured on the robust line through each complete run's bucket minima: the rises
/// vary (coefficient of variation) less than half as much as the paces do. A run killed at a
/// memory limit also ends at one height; what tells it from a collection is the limit, when
/// known (the runs end at it), or the warm-up after the fall (see [`Falls::warmups`]).
fn collector_drops(c: &Columns, starts: &[usize], sigma: f64, cfg: &Cfg) -> Falls {
    let n = c.t.len();
    let restarts = starts.len() - 1;
    let mut s = Vec::new();
    let (mut rises, mut paces, mut lengths) = (Vec::new(), Vec::new(), Vec::new());
    let (mut under, mut seen, mut at_limit, mut halved) = (0usize, 0usize, false, 0usize);
    // Height of each run's line where it ended in a fall, and where the next run started.
    let (mut peaks, mut floors) = (Vec::new(), Vec::new());
    let line = |a: usize, b: usize, s: &mut Vec<f64>| {
        let g = half_lag_slope(&c.t[a..b], &c.lo[a..b], s);
        s.clear();
        s.extend((a..b).map(|j| c.lo[j] - g * c.t[j]));
        (g, median_mut(s))
    };
    if starts.len() > 1 && starts[1] >= 4 {
        // (The first run, whose start may not be in view, still shows where it ended.)
        // (Read over no more than the longest complete run before its fall: the recording
        // may have opened in the cycle before it, whose fall the restart search, with no
        // start to compare with, could not cut.)
        let longest = (1..restarts)
            .map(|k| c.t[starts[k + 1] - 1] - c.t_first[starts[k]])
            .fold(0.0f64, f64::max);
        let end = c.t[starts[1] - 1];
        let a = if longest > 0.0 {
            c.t_first[..starts[1]]
                .partition_point(|&t| t < end - longest)
                .min(starts[1] - 4)
        } else {
            0
        };
        let (g, icpt) = line(a, starts[1], &mut s);
        peaks.push(icpt + g * c.t[starts[1] - 1]);
    }
    for k in 1..=restarts {
        let i = starts[k];
        let (a, b) = (i + 1, starts.get(k + 1).copied().unwrap_or(n));
        // The run before the fall ended at the memory limit: a kill.
        at_limit |= c.hi[i.saturating_sub(2)..i]
            .iter()
            .any(|&h| h >= 0.97 * cfg.limit);
        // The fall more than halved the floor: a new process starts from its footprint,
        // while a collection gives back a part of the heap (Coroot's rule, as for restarts).
        if c.lo[i] < 0.5 * fell_from(c, i) {
            halved += 1;
        }
        if b < a + 4 {
            continue;
        }
        let (g, icpt) = line(a, b, &mut s);
        let start = icpt + g * c.t_first[i];
        floors.push(start);
        if k < restarts {
            peaks.push(icpt + g * c.t[b - 1]);
        }
        let rise = g * (c.t[b - 1] - c.t_first[i]);
        seen += 1;
        // Below the line's start and below every bucket of the run after it: a collection
        // the falls missed inside the run would drop as low as the run's own floor.
        let deep = (4.0 * sigma).max(0.1 * rise.abs());
        let run_low = c.lo[a..b].iter().copied().fold(f64::INFINITY, f64::min);
        if start - c.lo[i] >= deep && run_low - c.lo[i] >= deep {
            under += 1;
        }
        // (The run going on now has not ended: its rise says nothing about where runs end.)
        if k < restarts && g > 0.0 && rise > 0.0 {
            rises.push(rise);
            lengths.push(c.t[b - 1] - c.t_first[i]);
            paces.push(g);
        }
    }
    let cv = |x: &[f64]| {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        let v = x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64;
        v.sqrt() / m
    };
    let warmups = seen > 0 && under * 2 > seen;
    // Or a stationary sawtooth: three falls or more, each from the same peak to the same
    // floor, both within 5 % of the height between them. A leak's pace follows the load,
    // which differs from one run to the next, and so do the heights its runs reach; a
    // collector's threshold does not.
    let sd = |x: &[f64]| {
        let m = x.iter().sum::<f64>() / x.len() as f64;
        (x.iter().map(|v| (v - m) * (v - m)).sum::<f64>() / (x.len() - 1) as f64).sqrt()
    };
    let mean = |x: &[f64]| x.iter().sum::<f64>() / x.len().max(1) as f64;
    let height = mean(&peaks) - mean(&floors);
    let level = rises.len() >= 2 && cv(&rises) < 0.5 * cv(&paces);
    // The other way round: the heights the runs reach vary twice as much as how long they
    // ran (a clock cut them) or as their paces (they were cut at any time and grew at one
    // pace): the runs end where they were cut, not at a level.
    // (Beyond the noise: heights that differ by less than 4 noise scales are one height.)
    // (A run's length is read to a bucket at each end: lengths that differ by that much
    // are one length to this resolution, so that part of their variance is taken out.)
    let width = (c.t[n - 1] - c.t[0]) / (n - 1).max(1) as f64;
    let clock = if lengths.len() >= 2 {
        let m = mean(&lengths);
        (sd(&lengths).powi(2) - width * width / 6.0).max(0.0).sqrt() / m
    } else {
        f64::INFINITY
    };
    let cut =
        rises.len() >= 3 && cv(&rises) >= 2.0 * clock.min(cv(&paces)) && sd(&rises) >= 4.0 * sigma;
    // (Flat to 5 % of the height, or to one noise scale of the bucket minima when that is
    // more: heights apart by less than the noise are one height as far as the samples can
    // tell, and a sawtooth ten noise scales high would otherwise need its heights closer
    // than its own noise.)
    let tolerance = (0.05 * height).max(sigma);
    // Or the same read robustly (1.4826 × MAD), when the complete runs' lengths (`clock`,
    // their coefficient of variation beyond the bucket resolution) vary more than twice as
    // much as their rises (1.4826 × MAD over the median): they end at a height, not at a
    // time, so a threshold cut them, not a clock. One run's line can then miss its own peak
    // or floor (a collection the falls did not cut, a start the buckets blur) without
    // outweighing the others that agree. (Not on a clock: a leak restarted by a schedule at
    // one pace also rises alike in every run, and then its runs last alike too; the plain
    // spread above stays the only reading of those.)
    let spread = |x: &[f64]| median_and_mad(&mut x.to_vec()).1;
    let threshold = rises.len() >= 2 && {
        let (m, s) = median_and_mad(&mut rises.clone());
        clock > 2.0 * s / m
    };
    // (Three peaks or more at one height, read robustly, on runs a threshold cut: asked by
    // both readings below.)
    let peaks_at_trigger =
        threshold && peaks.len() >= 3 && height > 0.0 && spread(&peaks) <= tolerance;
    let stationary = peaks.len() >= 3 && floors.len() >= 2 && height > 0.0 && {
        let plain = sd(&peaks) <= tolerance && sd(&floors) <= tolerance;
        plain || (peaks_at_trigger && spread(&floors) <= tolerance)
    };
    // Or runs cut by a threshold (`threshold`) that end at one height, read robustly, three
    // peaks or more, wherever each run began — unless the floors climb from run to run. A
    // collector fires its full collection when the old generation reaches its trigger (the
    // occupancy it is set to), and lands on the live set, which moves with the load; a run
    // whose line spans a collection the falls did not cut starts off it too. So the peaks
    // tell a collector's falls, the floors need not. A restarted leak ends where it was
    // cut: on a clock (its runs last alike: no `threshold`), at the memory limit (`at_limit`)
    // or at any time (its heights follow its lengths). A leak under the collector keeps the
    // trigger's height and lifts the floors run after run (Mann–Kendall τ of the floors, ties
    // within the tolerance, 0.5 or more): those stay unread as a collector's.
    let triggered = peaks_at_trigger && mk_tau(&floors, tolerance) < 0.5;
    // Or every run starting again from one floor (the floors spread by under a tenth of the
    // height the runs climb, or a noise scale): a full collection frees back to the live set,
    // which holds from one cycle to the next. A restart does that too, but a new process
    // shows itself — a warm-up below the floor, a kill at the limit, a halved floor — which
    // the conditions below exclude: three falls or more back to one floor, none showing a new
    // process, are a collector's.
    let floor_held = floors.len() >= 3
        && height > 0.0
        && sd(&floors) <= (0.1 * height).max(sigma)
        && !cut
        && under == 0
        && halved == 0;
    // Halving the floor shows a new process (Coroot's rule) only where the samples show no
    // band of minor collections: on a heap a generational collector manages, the minor
    // collections keep a band between each bucket's minimum and maximum wider than 10 noise
    // scales of the minima (Gaussian noise spans about 6 scales of its sd over a bucket's
    // samples, and the minima scatter less than the samples) and than a twentieth of the level
    // (a young generation recycles a tenth of the heap or more between collections; a gauge's
    // noise is well under a percent of it), and there a full collection may free most of the
    // heap, the old generation being mostly garbage by then. (Each bucket's band less half the
    // floor's move across it: buckets wide against a climb span part of the climb too.)
    // (Read only where a halving would count.)
    let mut minor_band = || {
        n >= 8 && {
            s.clear();
            s.extend(
                (1..n - 1).map(|j| c.hi[j] - c.lo[j] - 0.5 * (c.lo[j + 1] - c.lo[j - 1]).abs()),
            );
            let band = median_mut(&mut s);
            s.clear();
            s.extend(c.lo.iter().copied());
            let typical_floor = median_mut(&mut s);
            band >= 10.0 * sigma && band >= 0.05 * typical_floor
        }
    };
    let halved_new = halved * 2 > restarts && !minor_band();
    Falls {
        collector: restarts >= 3
            && (level || stationary || triggered || floor_held)
            && !warmups
            && !at_limit
            && !halved_new,
        warmups,
        new_process: warmups || at_limit || halved_new,
        cut,
    }
}

/// The bucket where the floor was given back at once with no restart read there (a full
/// collection within the band of minor ones, which `find_restarts` lets pass): the largest
/// fall of the floor from one bucket to the next, persisting into the bucket after, to below
/// every bucket minimum before it by 3 noise scales (`sigma2`). A collection empties an old
/// generation below where a recording that opened mid-fill found it; a daily swing's evening
/// fall leaves the night where the nights were, and a leak's night stands higher. With
/// `chain` (no daily cycle read), also that fall when it lands where an earlier collection
/// did: a second collection back to the same live set, after the floor refilled between.
fn hidden_collection(c: &Columns, sigma2: f64, chain: bool) -> Option<usize> {
    let n = c.lo.len();
    let down = |j: usize| held_down(&c.lo, j);
    let largest = |a: usize, b: usize| {
        (a..b).max_by(|&a, &b| (c.lo[a - 1] - down(a)).total_cmp(&(c.lo[b - 1] - down(b))))
    };
    let at = largest(1, n.saturating_sub(1))?;
    let below = |j: usize| down(j) < min_max(&c.lo[..j]).0 - 3.0 * sigma2;
    if below(at) {
        return Some(at);
    }
    // (A second collection back to where an earlier one landed: the earlier fall, the
    // largest before, came down below everything before it, and the floor climbed from that
    // landing to the height the second fell from. Not under a daily cycle (`chain`): there a
    // night at the last night's level is the cycle's.)
    // (Where each fall landed: the lower of its bucket's minimum and the next, one bucket's
    // refill apart.)
    let landed = |j: usize| c.lo[j].min(c.lo[j + 1]);
    let first = largest(1, at.saturating_sub(1)).filter(|_| chain)?;
    let top = min_max(&c.lo[first + 1..at]).1;
    (below(first)
        && (landed(at) - landed(first)).abs() <= 3.0 * sigma2
        && top >= fell_from(c, at) - 3.0 * sigma2
        && fell_from(c, at) > down(at) + 6.0 * sigma2)
        .then_some(at)
}

/// The bucket minimum at `j` as held into the next bucket (the higher of the two): a bucket
/// counts as down only with its successor, one low sample being no fall.
fn held_down(lo: &[f64], j: usize) -> f64 {
    lo[j].max(lo[j + 1])
}

/// The floor just before the fall that starts at bucket `i`: the highest of the two bucket
/// minima before it.
fn fell_from(c: &Columns, i: usize) -> f64 {
    c.lo[i.saturating_sub(2)..i]
        .iter()
        .copied()
        .fold(f64::NEG_INFINITY, f64::max)
}

/// Whether the run since the fall at bucket `fall` ended in another fall, one the restart
/// search let pass (a full collection within the band of minor ones, or too recent to cut a
/// run), back to where the fall at `fall` came down to: the floor now, held over the last
/// two buckets ([`held_down`]), within 3 noise scales (`sigma2`) of that landing, after the
/// run climbed more than 3 noise scales above where it is now. A full collection empties the
/// old generation down to the live set, the same level each time: whatever the run's trend
/// says of the height it reached, nothing it gave back was leaked.
fn collected_again(c: &Columns, fall: usize, sigma2: f64) -> bool {
    let n = c.lo.len();
    n >= fall + 5 && {
        let (landed, now) = (held_down(&c.lo, fall), held_down(&c.lo, n - 2));
        let peak = min_max(&c.lo[fall + 1..n - 2]).1;
        now <= landed + 3.0 * sigma2 && peak > now + 3.0 * sigma2
    }
}

/// Run `k` after the restarts at `starts` (1: after the first; the last is the current run)
/// as buckets `[a, b)` of the `n`.
fn run_bounds(starts: &[usize], n: usize, k: usize) -> (usize, usize) {
    (starts[k] + 1, starts.get(k + 1).copied().unwrap_or(n))
}

/// The median length, seconds, of the complete runs between the restarts at `starts` (0 when
/// there is none).
fn typical_run(c: &Columns, starts: &[usize]) -> f64 {
    let n = c.t.len();
    let mut lens: Vec<f64> = (1..starts.len() - 1)
        .map(|k| {
            let (a, b) = run_bounds(starts, n, k);
            c.t[b - 1] - c.t_first[a.min(b - 1)]
        })
        .collect();
    median_mut(&mut lens)
}

/// Runs too short to be judged one by one (a restart every hour or two, a warm-up taking
/// the first part of each): the second halves of the runs, read together. A process that
/// leaks and is restarted on a clock regrows at its pace in every run, so the floor keeps
/// rising to the end of each run; a warm-up or a cache that fills after each restart slows
/// toward its bound, so the last quarters rise less than the third ones. Counted over the
/// complete runs (and the current one when it is as long as they are), at least three: most
/// must rise over their second half, the rises together must stand above the noise of as
/// many differences and reach the smallest leak, and the last quarters must keep at least
/// 60 % of the pace of the third ones (an exponential approach to its bound over a run of
/// four time constants keeps 40 %), pooled and in three runs of four at least (each run
/// allowed two noise scales on its last quarter's rise). A run whose second half holds a
/// fall is left out (a restart the search missed). When the complete runs were long enough to
/// be judged one by one and most were found not leaking (`judged_quiet`), the common slope
/// left once the warm-ups are fitted must stand `rise_sigmas` standard errors above 0, as any
/// leak's rise stands above its noise, not 2: the pooled tails then overrule the runs' own
/// verdicts, and a slow warm-up that is no exact exponential in the bucket minima leaves a
/// slope of 2-5 errors in every run alike (gen2 warmup-restarts-slow), while a leak whose
/// runs were misread as quiet leaves 9 or more. Returns the pooled pace, bytes per second,
/// and the start of the first run read.
fn run_tails(
    c: &Columns,
    starts: &[usize],
    sigma: f64,
    min_run: usize,
    judged_quiet: bool,
    cfg: &Cfg,
) -> Option<(f64, f64)> {
    let n = c.t.len();
    let restarts = starts.len() - 1;
    let bounds = |k: usize| run_bounds(starts, n, k);
    let typical = typical_run(c, starts);
    // The floor near bucket `j` of run [a, b): the middle of three bucket minima, and the
    // mean time of the buckets it was read from (at the run's end only two: a level read
    // there stands half a bucket before the last).
    let level = |j: usize, a: usize, b: usize| {
        let (x, y) = (j.saturating_sub(1).max(a), (j + 2).min(b));
        let mut v = [0.0; 3];
        v[..y - x].copy_from_slice(&c.lo[x..y]);
        let t = c.t[x..y].iter().sum::<f64>() / (y - x) as f64;
        (median_mut(&mut v[..y - x]), t)
    };
    let (mut rise3, mut rise4, mut time3, mut time4) = (0.0, 0.0, 0.0, 0.0);
    let (mut runs, mut rising, mut kept, mut from) = (0usize, 0usize, 0usize, f64::NAN);
    let mut read = Vec::with_capacity(6);
    for k in (1..=restarts).rev().take(6) {
        let (a, b) = bounds(k);
        if b < a + min_run || (k == restarts && c.t[b - 1] - c.t_first[a] < 0.8 * typical) {
            continue;
        }
        let m = b - a;
        let (mid, tq, end) = (a + m / 2, a + 3 * m / 4, b - 1);
        let ((l2, t2), (l3, t3), (l4, t4)) = (level(mid, a, b), level(tq, a, b), level(end, a, b));
        // A fall inside the second half is a restart the search missed (runs shorter than an
        // hour are only cut where the floor halves): this is no single run's tail.
        let low = c.lo[mid..b].iter().copied().fold(f64::INFINITY, f64::min);
        if low < l2 - 3.0 * sigma - 0.1 * (l4 - l2).abs() {
            continue;
        }
        rise3 += l3 - l2;
        rise4 += l4 - l3;
        kept += usize::from((l4 - l3 + 2.0 * sigma) * (t3 - t2) >= 0.6 * (l3 - l2) * (t4 - t3));
        time3 += t3 - t2;
        time4 += t4 - t3;
        read.push((a, b));
        runs += 1;
        rising += usize::from(l4 - l2 > 0.0);
        from = c.t_first[a];
    }
    if runs < 3 || time3 <= 0.0 || time4 <= 0.0 {
        return None;
    }
    let rise = rise3 + rise4;
    let pace = rise / (time3 + time4);
    // Steady pooled and run by run: a leak's runs each keep their pace to the end, while the
    // runs of a warm-up near its bound slow one by one, and a run or two that slowed less
    // (a longer warm-up, a larger one) can lift the pooled pace over the bar alone.
    let steady = rise4 / time4 >= 0.6 * (rise3 / time3) && kept * 4 >= runs * 3;
    let above_noise = rise >= cfg.rise_sigmas * sigma * (2.0 * runs as f64).sqrt();
    let enough = rise / runs as f64 >= 0.5 * cfg.min_rise_bytes && pace >= cfg.min_growth_bps;
    // A warm-up's pace keeps falling toward 0 through the whole run, a leak's only for the
    // first minutes of it: with each run's warm-up fitted (a saturating exponential, one time
    // constant for all runs), a leak leaves a common slope beyond its own standard error and
    // beyond how far it moves when one run is left out (a slope one or two runs' wander makes
    // is no leak's; see `warmup_slope`). (Only here, where it must show a leak: the test that
    // the runs only warm up, which clears windows, keeps the plain error.)
    let bar = if judged_quiet { cfg.rise_sigmas } else { 2.0 };
    let past_warmup = || {
        warmup_slope(&c.run_floors(), &read, 0.5 * typical, true)
            .is_none_or(|(slope, se)| slope >= bar * se)
    };
    (rising * 5 >= runs * 4 && rise3 > 0.0 && steady && above_noise && enough && past_warmup())
        .then_some((pace, from))
}

/// Runs after restarts that all read as warm-ups: the complete runs (and the current one
/// when it is as long as they are), newest six of `min_run` buckets or more, at least three,
/// none with a fall in its second half (a restart the search missed: runs that are not what
/// they seem tell nothing), leave no common slope 2 standard errors above 0 once each run's
/// warm-up is fitted (see [`warmup_slope`]). A leak that restarts regrows at its pace all
/// through every run; a warm-up's pace falls toward 0.
fn runs_only_warm_up(c: &Columns, starts: &[usize], sigma: f64, min_run: usize) -> bool {
    let n = c.t.len();
    let restarts = starts.len() - 1;
    if restarts < 2 {
        return false;
    }
    let bounds = |k: usize| run_bounds(starts, n, k);
    let typical = typical_run(c, starts);
    // Runs long enough to read, newest first; a fall inside one's second half is a restart
    // the search missed, and runs that are not what they seem are no evidence of warm-ups.
    let long: Vec<(usize, usize)> = (1..=restarts)
        .rev()
        .map(bounds)
        .filter(|&(a, b)| b >= a + min_run && (b < n || c.t[b - 1] - c.t_first[a] >= 0.8 * typical))
        .take(6)
        .collect();
    let whole = |&(a, b): &(usize, usize)| {
        let mid = a + (b - a) / 2;
        let low = c.lo[mid..b].iter().copied().fold(f64::INFINITY, f64::min);
        low >= c.lo[mid].min(c.lo[b - 1]) - 3.0 * sigma
    };
    if !long.iter().all(whole) {
        return false;
    }
    long.len() >= 3
        && warmup_slope(&c.run_floors(), &long, 0.5 * typical, false)
            .is_some_and(|(slope, se)| slope < 2.0 * se)
}

/// How the falls of the floor look (see [`collector_drops`]).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(crate) struct Falls {
    /// Every complete run ended at one height, whatever its pace (or all at the same peak and
    /// floor — by their MAD when the runs' lengths vary beyond their rises, a threshold's and
    /// no clock's; or every run starting from one floor, cut at no clock's times, with not one
    /// fall showing a new process), with no warm-up after the falls, not at the memory limit,
    /// and most falls keeping more than half the floor — or halving it under a band of minor
    /// collections, where a full collection may free most of the heap: a collector's cycles.
    pub collector: bool,
    /// Most falls undershoot the floor the run after them then holds by 4 noise scales and a
    /// tenth of its rise (on the robust line through the run's bucket minima, and below
    /// every bucket minimum of that run): a new process
    /// starts below the floor it settles at (caches, pools and code not yet touched), while a
    /// collection leaves the floor where the next run starts. Only seen when the buckets are
    /// fine against the run: `Eval`s of the finer trailing windows may see it where the whole
    /// series cannot.
    pub warmups: bool,
    /// The falls show a new process: warm-ups after them, a run that ended at the memory
    /// limit, or most falls halving the floor. Without any of these, one or two falls could
    /// as well be a collector's full collections.
    pub new_process: bool,
    /// Three complete runs or more whose heights vary twice as much as their lengths (a
    /// clock cut them; lengths read to a bucket) or as their paces (cut at any time, growing
    /// at one pace), by 4 noise scales or more: the falls came whatever the height, unlike a
    /// collector's. Warm-ups pass it too when their heights wander or a short run had no
    /// time to settle: what tells them from a leak is the shape of the runs (see
    /// [`run_tails`]).
    pub cut: bool,
}

impl Falls {
    /// `restarts` falls that could as well be a collector's full collections: one or two of
    /// them (a third shows whether the runs end at one height), none showing a new process.
    pub(crate) fn may_be_collections(&self, restarts: usize) -> bool {
        (1..=2).contains(&restarts) && !self.new_process
    }
}

/// The buckets as columns, their noise, and where the runs between restarts start.
struct Runs {
    c: Columns,
    /// Noise of the bucket minima about a smooth curve, bytes.
    sigma2: f64,
    /// First bucket of each run (the first is 0).
    starts: Vec<usize>,
}

fn runs(bs: &[Bucket], cfg: &Cfg) -> Runs {
    let c = Columns {
        t: bs.iter().map(Bucket::t_mid).collect(),
        t_first: bs.iter().map(|b| b.t_first).collect(),
        lo: bs.iter().map(|b| b.lo).collect(),
        hi: bs.iter().map(|b| b.hi).collect(),
        mean: bs.iter().map(Bucket::mean).collect(),
        last: bs.iter().map(|b| b.last).collect(),
        n: bs.iter().map(|b| b.n).collect(),
        first: bs.iter().map(|b| b.first).collect(),
    };
    let mut s = Vec::with_capacity(bs.len());
    // (About the median step: the climb of a leaking run is no noise to a restart's fall.)
    let sigma = detrended_diff_noise(&c.lo, &mut s);
    // Measurement noise from second differences of the bucket minima: blind to smooth
    // trends and cycles, which first differences mistake for noise.
    let sigma2 = second_diff_noise(&c.lo, &mut s);
    let starts = find_restarts(&c, (sigma, sigma2), cfg, &mut s);
    Runs { c, sigma2, starts }
}

/// Run `k` as buckets `[a, b)`; after a restart, the restart bucket itself is left out.
fn segment(starts: &[usize], k: usize, n: usize) -> (usize, usize) {
    let a = starts[k] + usize::from(k > 0);
    let b = starts.get(k + 1).copied().unwrap_or(n);
    (a.min(b), b)
}

/// The floor of each run and the restart times, as the recognizer sees them in `bs`: for
/// charts and explanations. Runs too short to have a floor are left out.
pub(crate) fn floors(bs: &[Bucket], cfg: &Cfg) -> (Vec<(f64, f64)>, Vec<f64>) {
    if bs.len() < 8 {
        return (Vec::new(), Vec::new());
    }
    let r = runs(bs, cfg);
    let n = bs.len();
    let mut floor = Vec::new();
    for k in 0..r.starts.len() {
        let (a, b) = segment(&r.starts, k, n);
        if b >= a + 6 {
            floor.extend(floor_curve(&r.c.cols(a, b), 4.0 * cfg.min_noise));
        }
    }
    let restarts = r.starts[1..].iter().map(|&i| r.c.t_first[i]).collect();
    (floor, restarts)
}

/// Evaluate the buckets (oldest first).
pub(crate) fn evaluate(bs: &[Bucket], cfg: &Cfg) -> Eval {
    let n = bs.len();
    let points: u64 = bs.iter().map(|b| u64::from(b.n)).sum();
    if n < 8 || points < 12 {
        return Eval::insufficient(0);
    }
    let Runs { c, sigma2, starts } = runs(bs, cfg);
    let restarts = starts.len() - 1;
    let seg = |k: usize| segment(&starts, k, n);
    let cfg = &Cfg {
        one_run: restarts == 0,
        ..*cfg
    };
    // Falls that a collector makes, not restarts: the runs between them are its cycles.
    let falls = if restarts > 0 {
        collector_drops(&c, &starts, sigma2, cfg)
    } else {
        Falls::default()
    };
    let judge_floor = |k: usize| -> Option<(StretchEval, f64)> {
        let (a, b) = seg(k);
        if b < a + 6 {
            return None;
        }
        let full = judge(&c.cols(a, b), sigma2, None, None, cfg)?;
        if full.leak {
            return Some((full, c.t_first[a]));
        }
        // The recent half: a leak that started late, or the tail after a warm-up. Skipped
        // when the floor of the whole segment barely moved over that half.
        let h = a + (b - a) / 2;
        if full.recent_rise < 0.5 * full.rise_needed {
            return Some((full, c.t_first[a]));
        }
        let hint = full.period.map(|p| p.min((b - h) / 2));
        match judge(&c.cols(h, b), sigma2, hint, None, cfg) {
            // (Not the tail of a fill: a recent half that grows no faster than the whole
            // segment did, after the whole was seen to decelerate, is that fill's end.)
            Some(late)
                if late.leak
                    && full.pattern != Pattern::Step
                    && !(matches!(
                        full.plateau,
                        Plateau::Decelerates(_)
                            | Plateau::DeceleratesStillRising(_)
                            | Plateau::SlowsAfterWarmUp(_)
                            | Plateau::SlowsByHalves(_)
                            | Plateau::FillsToBound(_)
                    ) && late.growth_bps <= full.growth_bps)
                    // (After falls that showed a new process, a climb back inside a run
                    // is the regrowth after a restart the search missed: runs under an
                    // hour are only cut where the floor halves. Not while screening: the
                    // verdict is judged in full, and a first flag that it does not bear out
                    // only stops the scheduled screens early.)
                    && (cfg.screen
                        || falls.new_process
                        || !climbed_back(&c.lo[a..h], b - h, &late))
                    // (Nor the tail of a fill the whole run's means follow, last as it fits
                    // curves: see `tail_of_fill`.)
                    && !tail_of_fill(&c.cols(a, b), h - a, &late, cfg) =>
            {
                let mut late = late;
                if !cfg.screen
                    && late.pattern != Pattern::GrowthInBursts
                    && super::names::grew_in_bursts(&c.t[a..b], &c.lo[a..b], &c.hi[a..b])
                {
                    // (The name only: bursts are read over the whole run, not the recent
                    // half that showed the leak; the first steps of a staircase can fall
                    // before it, and two steps in view are too few to call bursts.)
                    late.pattern = Pattern::GrowthInBursts;
                } else if full.growth_bps < 0.5 * late.growth_bps && restarts == 0 {
                    late.pattern =
                        super::names::late_climb(&c.lo[a..h], late.rise_needed.max(8.0 * sigma2));
                }
                Some((late, c.t_first[h]))
            }
            _ => Some((full, c.t_first[a])),
        }
    };
    // When neither the whole run nor its recent half showed a leak: the whole-run trend of
    // the means (a slow leak under heavy noise).
    let judge_seg = |k: usize| -> Option<(StretchEval, f64)> {
        let (e, from) = judge_floor(k)?;
        if e.leak {
            return Some((e, from));
        }
        let (a, b) = seg(k);
        Some((slow_leak(&c.cols(a, b), e, cfg), from))
    };

    // The runs between restarts, newest first: up to five complete ones and the last one
    // (still running).
    let mut prev: Vec<(StretchEval, f64)> = Vec::new();
    // (How long each run in `prev` lasted, restart to restart: the judged stretch may be its
    // recent half.)
    let mut prev_len: Vec<f64> = Vec::new();
    let run_len = |k: usize| {
        let (a, b) = seg(k);
        c.t[b - 1] - c.t_first[a.min(b - 1)]
    };
    // (Whether the oldest run looked at was judged: `prev` holds only the runs that were, so
    // its last entry is the oldest run only then.)
    let mut oldest_judged = false;
    for k in (restarts.saturating_sub(5)..restarts).rev() {
        if let Some(p) = judge_seg(k) {
            prev.push(p);
            prev_len.push(run_len(k));
            oldest_judged = k == restarts.saturating_sub(5);
        }
    }
    let last = judge_seg(restarts);
    // The runs that did not leak, how long each lasted and the floor it ended at.
    let quiet: Vec<(f64, f64)> = prev
        .iter()
        .zip(&prev_len)
        .filter(|((p, _), _)| !p.leak)
        .map(|((p, _), &len)| (len, p.floor_now))
        .collect();
    // A run of `len` seconds that rose is a warm-up on its way up when a run of the same
    // process `share` times as long or longer did not leak and ended no lower than this one,
    // give or take the rise a leak needs: a new process climbs the same curve after every
    // restart and one restarted early stops on its way up, while a leak's longer runs climb
    // on past where its shorter ones stopped. A complete run must have been cut at under
    // half the quiet run's length (a clock restarts a leak's runs at like lengths, and one
    // a little shorter than a run misread as quiet climbed as long); the run going on now,
    // not yet cut, at any age under it.
    let warming = |len: f64, share: f64, p: &StretchEval| {
        quiet
            .iter()
            .any(|&(q_len, q_floor)| q_len * share > len && p.floor_now <= q_floor + p.rise_needed)
    };
    for ((p, _), &len) in prev.iter_mut().zip(&prev_len) {
        if p.leak && warming(len, 0.5, p) {
            p.leak = false;
        }
    }
    let prev_leaks: Vec<&(StretchEval, f64)> = prev.iter().filter(|(p, _)| p.leak).collect();
    // Most complete runs leak: the process leaks and is restarted.
    let runs_leak = !prev.is_empty() && prev_leaks.len() * 3 >= prev.len() * 2;
    // Complete runs were judged, and most did not leak.
    let quiet_runs = !prev.is_empty() && !runs_leak;
    let typical_run = {
        let mut spans: Vec<f64> = prev.iter().map(|(p, _)| p.span_s).collect();
        median_mut(&mut spans)
    };
    // The highest floor the earlier runs that did not leak reached: a new process warms up
    // to the height its predecessors held, while a leak climbs past it.
    let held = quiet
        .iter()
        .map(|&(_, floor)| floor)
        .fold(f64::NEG_INFINITY, f64::max);
    // (Runs of 6 buckets or more, as a segment is judged: see `runs_only_warm_up`.)
    let warm_up_runs =
        restarts >= 3 && !falls.collector && runs_only_warm_up(&c, &starts, sigma2, 6);
    let first_pick = |runs_leak: bool, prev_leaks: &[&(StretchEval, f64)]| match last {
        // The run going on now leaks — unless it is young next to earlier runs that did not
        // leak (under half their typical length), or shorter than they are and not past the
        // floor they held: then its rise is the warm-up after the restart. (Or, where the runs
        // read as warm-ups that leave no slope common to them, not past that floor at any
        // length: a run that outlasts the others has only warmed up for longer.)
        Some((l, from))
            if l.leak
                && (runs_leak
                    || prev.is_empty()
                    || (l.span_s >= 0.5 * typical_run
                        && (l.span_s >= typical_run || l.floor_now > held + l.rise_needed)
                        && !warming(run_len(restarts), 1.0, &l)
                        && !(warm_up_runs && l.floor_now <= held + l.rise_needed))) =>
        {
            let mut l = l;
            // (Falls that showed no new process, under a run that reads a cycle itself, are
            // the cycle's troughs as likely as restarts: the run's own name stands.)
            let troughs =
                falls.may_be_collections(restarts) && l.pattern == Pattern::LeakUnderCycle;
            if restarts > 0 && l.pattern != Pattern::GrowthInBursts && !troughs {
                l.pattern = Pattern::LeakWithRestarts;
            }
            Some((l, from, true))
        }
        // Earlier runs leaked; the current one, too young or too short to tell on its own,
        // grows again or has only just started.
        Some((l, from))
            if runs_leak
                && (l.growth_bps > 0.3 * prev_leaks[0].0.growth_bps
                    || l.span_s < 0.5 * typical_run)
                && !matches!(l.pattern, Pattern::Step) =>
        {
            let mut l = l;
            l.pattern = Pattern::LeakWithRestarts;
            l.leak = true;
            l.growth_bps = l.growth_bps.max(prev_leaks[0].0.growth_bps);
            l.confidence = l.confidence.max(prev_leaks[0].0.confidence * 0.9);
            Some((l, from, true))
        }
        Some((l, from)) => Some((l, from, false)),
        None if runs_leak => {
            let (mut p, from) = *prev_leaks[0];
            p.pattern = Pattern::LeakWithRestarts;
            Some((p, from, true))
        }
        None => prev.first().map(|&(p, from)| (p, from, false)),
    };
    let pick = first_pick(runs_leak, &prev_leaks);
    // A trailing window opens in the middle of a run: the oldest run in `prev` is cut by its
    // leading edge (its restart and its start out of view). Whether the window's leak rests on
    // that run's own verdict, and the run going on now climbs far faster than it did (see
    // `Eval::cut_run_leak`).
    // (A cut run too short to judge is not in `prev`: then no run in it was cut.)
    let cut = cfg.window && restarts > 0 && restarts <= 5 && oldest_judged;
    let outpaces_cut_run = cut
        && pick.is_some_and(|p| p.2)
        && last.is_some_and(|(l, _)| l.growth_bps > 3.0 * prev[prev.len() - 1].0.growth_bps);
    let cut_run_leak = cut && pick.is_some_and(|p| p.2) && {
        let whole: Vec<&(StretchEval, f64)> = prev_leaks
            .iter()
            .copied()
            .filter(|p| !std::ptr::eq(*p, &prev[prev.len() - 1]))
            .collect();
        let uncut_leak = prev.len() > 1 && whole.len() * 3 >= (prev.len() - 1) * 2;
        !first_pick(uncut_leak, &whole).is_some_and(|p| p.2)
            && last.is_some_and(|(l, _)| l.growth_bps > 3.0 * prev[prev.len() - 1].0.growth_bps)
    };
    let collector = falls.collector;
    // One or two falls with no sign of a new process (no warm-up after them, not at the
    // limit, not halving the floor) may as well be a collector's full collections, and what
    // a collection gives back was never leaked: the run since the last fall leaks only once
    // its floor passes the height the floor fell from (by more than its noise), or once it
    // has lasted well past the run before it (a collector's cycles recur at like lengths).
    // (A trailing window opens in the middle of the run before its only fall: how long that
    // run lasted is unknown, and a run since the fall that outlasts the part of it in view
    // says nothing.)
    let last_fall = starts[restarts];
    let run_before = c.t_first[last_fall] - c.t_first[starts[restarts.saturating_sub(1)]];
    let run_before_seen = !(cfg.window && restarts == 1);
    // The days' troughs, read once per look when a test first asks (six of them do).
    let days_read = std::cell::OnceCell::new();
    let days = || {
        days_read
            .get_or_init(|| daily_troughs(&c, sigma2))
            .as_deref()
    };
    // (The run before the first fall opened with the recording: when it opened above the
    // level the fall came down to, it had started before the recording, as long before as
    // the run since the fall takes to climb that far — a collector's cycle, or a process's
    // run, is timed from its own start, not from when the recording began.)
    let opened_before = |w: &StretchEval| {
        if restarts != 1 || w.growth_bps <= 0.0 || last_fall < 6 {
            return 0.0;
        }
        // (Not under a daily cycle: the level a recording opens at is then the hour's.)
        if days().is_some() {
            return 0.0;
        }
        // (Along the run's own line through its bucket minima, climbing at the pace of the
        // run since the fall, to within a factor of two: the same refill seen twice.)
        let mut s = Vec::new();
        let g = half_lag_slope(&c.t[..last_fall], &c.lo[..last_fall], &mut s);
        if !(0.5 * w.growth_bps..=2.0 * w.growth_bps).contains(&g) {
            return 0.0;
        }
        s.clear();
        s.extend((0..last_fall).map(|j| c.lo[j] - g * c.t[j]));
        let opened = median_mut(&mut s) + g * c.t_first[0];
        (opened - c.lo[last_fall]).max(0.0) / g
    };
    // (Under a daily cycle, a collection empties what the old generation held: the night
    // after the fall stands lower than the night before it, by the troughs' noise, while a
    // daily swing's evening fall read as a restart leaves the nights where they were.)
    let nights_reset = || {
        let t_fall = c.t_first[last_fall];
        days().is_some_and(|days| {
            let before = days.iter().rev().find(|d| d.t_trough < t_fall);
            let after = days.iter().find(|d| d.t_trough >= t_fall);
            matches!((before, after), (Some(b), Some(a))
                if a.trough < b.trough - 3.0 * trough_noise(&c, sigma2))
        })
    };
    // (A second fall the restart search let pass, back to where the last one came down to:
    // see [`collected_again`]. As a second fall, a collection only with no more than one
    // read before it: a third at one height is `collector_drops`' reading. The whole series
    // only: a trailing window's shorter buckets cut the run at that fall itself.)
    let again = restarts > 0
        && !cfg.window
        && falls.may_be_collections(restarts + 1)
        && collected_again(&c, last_fall, sigma2);
    let refilling = |w: &StretchEval| {
        falls.may_be_collections(restarts)
            // (Not in a trailing window holding two: the longer summaries hold more of the
            // same falls, and a third tells a collector's from restarts — see
            // `Assessment::wider_saw_collections` and `window_confirms`.)
            && !(cfg.window && restarts == 2)
            // (Passed by more than 3 noise scales of the bucket minima: the picked stretch
            // may be the complete run that ended at that fall, whose trend ends at the
            // height it fell from give or take the noise of the minima it is read from.)
            && (again || w.floor_now <= fell_from(&c, last_fall) + 3.0 * sigma2)
            && (!run_before_seen
                || c.t[n - 1] - c.t_first[last_fall] <= 2.0 * (run_before + opened_before(w)))
    };
    // With no restart read at all, a fall the restart search let pass may be a collection
    // just the same (see [`hidden_collection`]): the floor since it refills what it gave
    // back until it passes the height it fell from, as `refilling` asks of a fall read as a
    // restart — while it lasts no more than twice what the recording held before it.
    // (Asked only of a leak the daily tests read: the rolling floor of a run that holds such
    // a fall does not climb monotonically across it.)
    // (Found once, when a daily test first asks.)
    let hidden = std::cell::OnceCell::new();
    let hidden_refill = |floor_now: f64| {
        restarts == 0
            && hidden
                .get_or_init(|| hidden_collection(&c, sigma2, days().is_none()))
                .is_some_and(|i| {
                    floor_now <= fell_from(&c, i) + 3.0 * sigma2
                        && c.t[n - 1] - c.t_first[i] <= 2.0 * (c.t_first[i] - c.t_first[0])
                })
    };
    let pick = match pick {
        Some((mut w, from, true))
            if (collector && w.pattern == Pattern::LeakWithRestarts) || refilling(&w) =>
        {
            w.leak = false;
            w.pattern = Pattern::Sawtooth;
            w.growth_bps = 0.0;
            w.confidence = 0.6;
            Some((w, from, false))
        }
        other => other,
    };
    // Runs after restarts whose floors, each run's warm-up fitted, leave no common slope:
    // every run is a warm-up toward its bound, and a trailing window that sees fewer of them
    // confirms no leak (see `window_confirms`). (Runs of 6 buckets or more, as a segment is
    // judged: the fit needs no quarters of a run.)
    // Runs too short to judge one by one: their second halves, read together — from 12
    // buckets a run (a quarter of one, three bucket minima, then tells a pace that keeps up
    // from one that slows), or from 8 when the runs were cut whatever their height (see
    // `Falls::cut`): at 8 an old generation's fill passes for a leak's run, and falls that
    // came at no one height are no collector's.
    let tail_run = if falls.cut { 8 } else { 12 };
    let pick = match pick {
        Some((mut w, from, false)) if restarts >= 3 && !collector => {
            match run_tails(&c, &starts, sigma2, tail_run, quiet_runs, cfg) {
                Some((pace, first)) => {
                    w.leak = true;
                    w.pattern = Pattern::LeakWithRestarts;
                    w.growth_bps = pace;
                    w.confidence = w.confidence.clamp(0.6, 0.8);
                    Some((w, first, true))
                }
                None => Some((w, from, false)),
            }
        }
        other => other,
    };
    // A day or more under a daily cycle: the floor of each day (its trough) decides what the
    // cycle hides from the stretch's own floor, restarts or not.
    let span = c.t[n - 1] - c.t[0];
    let mut daily = None;
    let pick = match pick {
        Some((w, _, false)) if span >= 1.25 * DAY => {
            match days()
                .and_then(|days| daily_leak(days, trough_noise(&c, sigma2), cfg).map(|g| (days, g)))
            {
                // (A floor climbing back after a fall that may be a collection's is
                // refilling, under a daily cycle too: see `refilling`.)
                Some((days, dr @ DailyRise { growth, rise, .. }))
                    if (!nights_reset()
                        || !refilling(&StretchEval {
                            floor_now: days[days.len() - 1].trough
                                + growth * (c.t[n - 1] - days[days.len() - 1].t_trough),
                            growth_bps: growth,
                            ..w
                        }))
                        && !hidden_refill(
                            days[days.len() - 1].trough
                                + growth * (c.t[n - 1] - days[days.len() - 1].t_trough),
                        ) =>
                {
                    let (first, last) = (days[0], days[days.len() - 1]);
                    let mut w = w;
                    w.leak = true;
                    w.pattern = Pattern::LeakUnderCycle;
                    w.growth_bps = growth;
                    w.rise = rise;
                    w.floor_start = first.trough;
                    w.floor_now = last.trough + growth * (c.t[n - 1] - last.t_trough);
                    w.span_s = last.t_trough - first.t_trough;
                    w.period_s = Some(DAY);
                    w.confidence = w.confidence.max(0.7);
                    daily = Some(dr);
                    Some((w, first.t_trough, true))
                }
                _ => Some((w, c.t_first[0], false)),
            }
        }
        other => other,
    };
    // Over a day under a daily cycle, a leak that follows the traffic is flat at night, and
    // the night reads as a plateau: the same hours a day apart tell (see [`day_over_day`]),
    // or, over a run of about a day, the night after the evening against the floors before
    // it (see [`night_above_start`]).
    let pick = match pick {
        Some((w, from, false)) => match day_over_day(&c, seg(restarts).0, sigma2, cfg, false)
            .or_else(|| day_over_day(&c, seg(restarts).0, sigma2, cfg, true))
            .or_else(|| night_above_start(&c, seg(restarts).0, sigma2, cfg))
        {
            Some(d)
                if (!nights_reset()
                    || !refilling(&StretchEval {
                        floor_now: d.floor_now,
                        growth_bps: d.rise / DAY,
                        ..w
                    }))
                    && !hidden_refill(d.floor_now) =>
            {
                let mut w = w;
                w.leak = true;
                // (Found since a late onset alone: a leak that began late, which the cycle,
                // if any, only hid.)
                w.pattern = if d.since_onset {
                    Pattern::LateOnsetLeak
                } else {
                    Pattern::LeakUnderCycle
                };
                w.growth_bps = d.rise / DAY;
                w.rise = d.rise;
                w.floor_start = d.floor_now - d.rise;
                w.floor_now = d.floor_now;
                w.span_s = DAY;
                w.period_s = Some(DAY);
                w.confidence = w.confidence.clamp(0.6, 0.8);
                Some((w, c.t[n - 1] - DAY, true))
            }
            _ => Some((w, from, false)),
        },
        other => other,
    };
    // Over four days or more under a daily cycle, a leak that began a day or more before the
    // end lifts every hour of the last day over the day before, which no earlier day did (see
    // [`seasonal_rise`]).
    let mut seasonal = None;
    let pick = match pick {
        Some((w, from, false)) if span >= 4.0 * DAY => {
            let a = seg(restarts).0;
            // (A daily cycle: the days' troughs show one, or the stretch's floor timed a cycle of
            // about a day — within 15 %, what buckets of a tenth of a day or so can resolve.)
            let daily =
                w.period_s.is_some_and(|p| (p / DAY - 1.0).abs() <= 0.15) || days().is_some();
            // (Not over a fall that may be a collector's: a run since a full collection of a
            // rarely collected old generation climbs past where it fell from as a leak does,
            // and the day-over-day excess of any steady climb grows; a third fall tells them
            // apart, as the caveat says.)
            let collected = restarts > 0 && falls.may_be_collections(restarts);
            match (daily && !collected)
                .then(|| seasonal_rise(&c, a, sigma2, cfg))
                .flatten()
            {
                Some(s)
                    if (!nights_reset()
                        || !refilling(&StretchEval {
                            floor_now: c.lo[n - 1],
                            growth_bps: 1.5 * s.climb / DAY,
                            ..w
                        }))
                        && !hidden_refill(c.lo[n - 1]) =>
                {
                    seasonal = Some(s);
                    let mut w = w;
                    w.leak = true;
                    w.pattern = Pattern::LateOnsetLeak;
                    // (The excess climbed this much in two thirds of a day.)
                    w.growth_bps = 1.5 * s.climb / DAY;
                    w.rise = 1.5 * s.climb;
                    w.floor_start = c.lo[n - 1] - w.rise;
                    w.floor_now = c.lo[n - 1];
                    w.span_s = DAY;
                    w.period_s = Some(DAY);
                    w.confidence = w.confidence.clamp(0.6, 0.8);
                    Some((w, c.t[n - 1] - DAY, true))
                }
                _ => Some((w, from, false)),
            }
        }
        other => other,
    };
    // When the process has only just restarted and earlier runs decided, memory is where
    // the new run is now (the lowest sample of the newest bucket), not where the earlier run
    // ended: the limit is that much further away.
    let just_restarted = last.is_none() && runs_leak;
    // A stretch that leaked on its own reading, and that the runs around it overruled: the
    // run going on now young next to earlier runs that did not leak, or not past the floor
    // they held (a new process warming up after its restart), or, with the run going on now
    // too short to judge, the newest complete run where most did not leak. The verdict rests
    // on the runs, and so does its name (the name only; `detail` keeps the stretch's own,
    // which says the stretch rose past the bar): falls that may be a collector's make a
    // sawtooth — the floor since the last fall refills what a collection gave back, as
    // `refilling` names it — and otherwise the runs are named as the newest complete run
    // that did not leak was. A no-leak verdict never carries a leak's name.
    let named = |w: &StretchEval, leak: bool| {
        if leak || !w.pattern.is_leak() {
            w.pattern
        } else if collector || falls.may_be_collections(restarts) {
            Pattern::Sawtooth
        } else {
            prev.iter()
                .map(|(p, _)| p)
                .find(|p| !p.leak && !p.pattern.is_leak())
                .map_or(Pattern::Stable, |p| p.pattern)
        }
    };
    // Every run between restarts was judged (five restarts at most, no run too short) and
    // none leaked on its own reading, nor climbed: its floor rose by less than a leak needs,
    // or rose at one moment and held (see `names::rose_at_one_moment`: a deploy the restart
    // rule did not take). Not after a collector's falls. For the deploy's name only (the
    // verdict is no leak already): the runs of a leak with restarts each climb.
    let runs_flat = || {
        !collector
            && restarts <= 5
            && prev.len() == restarts
            && last.is_some()
            // (Newest first: the run going on now, then the complete runs back from it.)
            && last
                .iter()
                .chain(prev.iter())
                .map(|(p, _)| *p)
                .enumerate()
                .all(|(i, p)| {
                    let (a, b) = seg(restarts - i);
                    !p.leak
                        && !p.pattern.is_leak()
                        && (p.rise < p.rise_needed
                            || super::names::rose_at_one_moment(&c.t[a..b], &c.lo[a..b]))
                })
    };
    // A floor that rose only at deploys, one to three restart dips after each of which it came
    // back at another level and held flat, is a deploy's steps, not a leak (see
    // `names::rose_only_at_deploys`), whether the dips were read as restarts (then the runs
    // between them each read flat, but the levels they held climbed) or not (then the steps
    // read as growth). The whole series only: a trailing window sees a step or two of them.
    let pick = match pick {
        Some((mut w, from, true))
            if !cfg.window && super::names::rose_only_at_deploys(&c.lo, w.rise_floor) =>
        {
            w.leak = false;
            w.pattern = Pattern::Step;
            w.growth_bps = 0.0;
            Some((w, from, false))
        }
        other => other,
    };
    match pick {
        None => Eval::insufficient(restarts),
        Some((w, from, leak)) => Eval {
            kind: if leak {
                VerdictKind::Leak
            } else {
                VerdictKind::NoLeak
            },
            pattern: match named(&w, leak) {
                // A leak that grew in bursts under a daily cycle (see `daily_troughs`: its days
                // repeat or its nights come at one hour, and its means come down every evening
                // by 8 noise scales) grew with the traffic, by day, and held at night: its
                // bursts are the busy hours (the name only). A batch's residue, a burst's leak,
                // never comes down by as much. Over a day or two, too few days for their troughs
                // to tell, the floor's climbs say it: hours on end, then a night's hold (see
                // `names::climbed_by_day`); a batch's or a burst's take an hour or two.
                Pattern::GrowthInBursts
                    if leak
                        && !cfg.screen
                        && !cfg.window
                        && (days().is_some()
                            || super::names::climbed_by_day(&c.t, &c.lo, &c.hi)) =>
                {
                    Pattern::LeakUnderCycle
                }
                // A stretch that rose and held, a step or a fill to its floor, in a series
                // under a daily cycle (as above) rose with the morning: the stretch began after
                // an evening's fall, or the day's busy hours hold like a level (the name only).
                // A deploy's or a fill's level holds and does not come down day after day.
                Pattern::Step | Pattern::Plateau
                    if !leak && !cfg.screen && !cfg.window && days().is_some() =>
                {
                    Pattern::Cyclic
                }
                // A flat level that changed at a restart dip the restart rule did not take (a
                // deploy: the new process warms up within minutes to its build's level) is a
                // step, whatever the judged stretch read in the dip and the warm-up — a
                // spike, a fill, teeth (see `names::deployed_to_new_level`; the name only).
                // So too after dips the restart rule took, when every run between them is
                // flat (see `runs_flat`): a deploy's; a leak's runs climb. (A step the stretch
                // read stays one: after a deploy's dip, `held_level_before_rise` below can take
                // the warm-up for a fill.)
                Pattern::Stable
                | Pattern::Sawtooth
                | Pattern::Plateau
                | Pattern::SpikeRecovered
                | Pattern::Step
                    if !leak
                        && !cfg.screen
                        && !cfg.window
                        && super::names::deployed_to_new_level(&c.lo)
                        && (restarts == 0 || runs_flat()) =>
                {
                    Pattern::Step
                }
                // (The name only: both say the floor rose and stopped.)
                p @ (Pattern::Step | Pattern::Plateau) if !leak && !cfg.screen => {
                    let a = c.t_first.partition_point(|&x| x < from);
                    match super::names::held_level_before_rise(&c.t[a..], &c.lo[a..]) {
                        Some(true) => Pattern::Step,
                        Some(false) => Pattern::Plateau,
                        None => p,
                    }
                }
                // A restart too early in the series for the restart rule (its run under an
                // hour) still shows as a fall that halves the floor and a new process back at
                // the series' start (the name only).
                Pattern::LinearGrowth
                    if leak
                        && restarts == 0
                        && !cfg.screen
                        && super::names::restarted_early(&c.lo, sigma2) =>
                {
                    Pattern::LeakWithRestarts
                }
                // A fall that ended a spike can pass for a restart, and the run after it is
                // flat: the whole series shows the spike that came back (the test the judged
                // stretch gets, on every bucket; height as there, the bucket noise standing in
                // for the floor's).
                Pattern::Stable | Pattern::Sawtooth
                    if !leak
                        && restarts > 0
                        && spiked(
                            &c.cols(0, n),
                            w.floor_now,
                            (10.0 * sigma2)
                                .max(0.15 * (c.mean.iter().sum::<f64>() / n as f64).abs()),
                            &mut Vec::new(),
                        ) =>
                {
                    Pattern::SpikeRecovered
                }
                // A flat series whose judged stretch timed no cycle can still rise and fall
                // with its traffic over the whole view: the cycle names it (the name only;
                // the whole series, not a trailing window, whose names feed the reading of
                // traffic inside the whole series' buckets).
                Pattern::Stable
                    if !leak && !cfg.screen && !cfg.window && {
                        let w = c.cols(0, n);
                        super::names::traffic_cycle(w.t, w.mean, w.lo, w.hi, w.first, w.last, w.n)
                            || super::names::one_day_of_traffic(w.t, w.mean, w.lo, w.hi)
                    } =>
                {
                    Pattern::Cyclic
                }
                // A floor too low a rise for the verdict's tests can still have risen once and
                // held: then "stable" (or a sawtooth over a flat floor) says what the samples
                // deny (the name only).
                p @ (Pattern::Stable | Pattern::Sawtooth) if !leak && !cfg.screen => {
                    let a = c.t_first.partition_point(|&x| x < from);
                    let (t, lo) = (&c.t[a..], &c.lo[a..]);
                    match super::names::rose_and_held_as_step(t, lo) {
                        Some(true) => Pattern::Step,
                        Some(false) => Pattern::Plateau,
                        None => p,
                    }
                }
                p => p,
            },
            growth_bps: if w.growth_bps > 0.0 && (leak || w.rise >= w.rise_needed) {
                w.growth_bps
            } else {
                0.0
            },
            confidence: w.confidence,
            floor_now: if just_restarted {
                c.lo[n - 1]
            } else {
                w.floor_now
            },
            restarts,
            detail: Some(w),
            judged_from: from,
            falls,
            quiet_runs,
            warm_up_runs,
            cut_run_leak: leak && cut_run_leak,
            outpaces_cut_run: leak && outpaces_cut_run,
            last_run_leaks: restarts > 0 && last.is_some_and(|(l, _)| l.leak),
            typical_run_s: typical_run,
            held,
            seasonal,
            daily: daily.filter(|_| leak),
            deploys: !leak
                && !cfg.screen
                && !cfg.window
                && restarts > 0
                && falls.warmups
                && !falls.collector
                && matches!(
                    named(&w, leak),
                    Pattern::Step | Pattern::Plateau | Pattern::Stable
                )
                && {
                    let a = (starts[restarts] + 1).min(n);
                    super::names::settled_after_restart(&c.t[a..], &c.lo[a..])
                },
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recognize::RecognizeOptions;

    const MB: f64 = 1e6;

    /// Five-minute buckets of runs restarted every `run` buckets: each bucket's minimum is
    /// `f(run, age in buckets)`, the restart bucket holds the fall to `low`.
    fn columns(
        runs: usize,
        run: usize,
        low: f64,
        f: impl Fn(usize, usize) -> f64,
    ) -> (Columns, Vec<usize>) {
        let mut lo = Vec::new();
        let mut starts = vec![0];
        for r in 0..runs {
            if r > 0 {
                starts.push(lo.len());
                lo.push(low);
            }
            lo.extend((1..run).map(|age| f(r, age)));
        }
        (five_minute_buckets(lo), starts)
    }

    /// A fixed scatter of `amp` bytes at age `a` of run `r`, within ±`amp`: the same in every
    /// run's place, so that a fit on the runs sees noise, not rounding alone.
    fn run_noise(r: usize, a: usize, amp: f64) -> f64 {
        amp * (((r * 7 + a * 13) % 11) as f64 / 5.0 - 1.0)
    }

    /// The bucket ranges of runs `from..` of `columns`' `starts` (to `n` buckets in all),
    /// each after its first `skip` buckets.
    fn run_spans(starts: &[usize], from: usize, n: usize, skip: usize) -> Vec<(usize, usize)> {
        (from..starts.len())
            .map(|k| (starts[k] + skip, starts.get(k + 1).copied().unwrap_or(n)))
            .collect()
    }

    /// Five-minute buckets whose minima are `lo` (means 1 MB and maxima 2 MB above).
    fn five_minute_buckets(lo: Vec<f64>) -> Columns {
        let t: Vec<f64> = (0..lo.len()).map(|i| 300.0 * i as f64 + 150.0).collect();
        Columns {
            t_first: t.iter().map(|t| t - 150.0).collect(),
            hi: lo.iter().map(|v| v + 2.0 * MB).collect(),
            mean: lo.iter().map(|v| v + MB).collect(),
            first: lo.clone(),
            last: lo.clone(),
            n: vec![20; lo.len()],
            t,
            lo,
        }
    }

    /// The buckets (open one included, 128 at most, `width` seconds wide at first) of the
    /// samples `(t, value)`, `t` seconds after 1.7e9.
    fn bucketed(width: f64, samples: impl Iterator<Item = (f64, f64)>) -> Vec<Bucket> {
        let mut b = super::super::buckets::Buckets::new(width, 128);
        for (t, v) in samples {
            b.push(1.7e9 + t, v);
        }
        let mut all = b.closed;
        all.extend(b.open);
        all
    }

    /// The buckets (open one included) of `hours` of samples every 30 s of `f(t)`, as the
    /// whole-series summary keeps them (128 buckets at most).
    fn summary(hours: f64, f: impl Fn(f64) -> f64) -> Vec<Bucket> {
        bucketed(
            1.0,
            (0..(hours * 120.0) as usize).map(|i| {
                let t = i as f64 * 30.0;
                (t, f(t))
            }),
        )
    }

    /// A little deterministic noise of the sample at `t` (every 30 s), within ±`amp` / 2.
    fn jitter(t: f64, amp: f64) -> f64 {
        amp * (((t / 30.0) as u64 * 7919 % 1000) as f64 / 1000.0 - 0.5)
    }

    /// An old generation at `t` that the recording found at `open`, filling `per_hour`, and
    /// that full collections at the times `collected` (ascending) emptied back to `live`.
    fn old_generation(t: f64, open: f64, live: f64, per_hour: f64, collected: &[f64]) -> f64 {
        match collected.iter().rev().find(|&&at| t >= at) {
            Some(&at) => live + per_hour * (t - at) / H,
            None => open + per_hour * t / H,
        }
    }

    /// A little deterministic noise of sample `i`, within ±`amp`.
    fn wobble(i: usize, amp: f64) -> f64 {
        amp * ((i * 7919 % 101) as f64 / 50.0 - 1.0)
    }

    /// The options of a trailing window.
    fn window_cfg() -> Cfg {
        Cfg {
            window: true,
            ..RecognizeOptions::default().cfg()
        }
    }

    const H: f64 = 3600.0;

    /// Nightly troughs (MB), a day apart, under a daily swing of `swing` MB.
    fn nights(troughs: &[f64], swing: f64) -> Vec<Day> {
        troughs
            .iter()
            .enumerate()
            .map(|(i, trough)| Day {
                t_trough: 1.7e9 + i as f64 * DAY,
                trough: trough * MB,
                swing: swing * MB,
                night: true,
            })
            .collect()
    }

    /// Business hours' traffic at `h` o'clock: 0 at night, 1 from 8:00 to 20:00, ramping
    /// over 1/`ramp` hours each way.
    fn business_hours(h: f64, ramp: f64) -> f64 {
        let h = h % 24.0;
        ((h - 8.0) * ramp).clamp(0.0, 1.0) * ((20.0 - h) * ramp).clamp(0.0, 1.0)
    }

    /// Hours of `traffic` (of the o'clock) in the `h` hours from `from` o'clock, summed over
    /// five-minute steps: what a leak that follows traffic has leaked by then, per hour's rate.
    fn busy(traffic: impl Fn(f64) -> f64, from: f64, h: f64) -> f64 {
        (0..(h * 12.0) as usize)
            .map(|i| traffic(from + i as f64 / 12.0) / 12.0)
            .sum()
    }

    /// The troughs of four days under a 520 MB daily swing (the numbers of a leak the swing
    /// hides: 180 MB over three and a half days): each stands 41-51 MB above the one before,
    /// under a tenth of the swing, steadily — a leak. Troughs that wobble by as much from
    /// night to night, up and down, or rise by fits (one step of many times another), are not.
    #[test]
    fn troughs_that_rise_steadily_every_day_are_a_leak_however_small_against_the_swing() {
        let cfg = RecognizeOptions::default().cfg();
        let days = |troughs: [f64; 4]| nights(&troughs, 520.0);
        let sigma = 2.0 * MB;
        assert!(daily_leak(&days([980.0, 1027.0, 1068.0, 1119.0]), sigma, &cfg).is_some());
        assert!(daily_leak(&days([980.0, 1027.0, 985.0, 1030.0]), sigma, &cfg).is_none());
        assert!(daily_leak(&days([980.0, 995.0, 1068.0, 1083.0]), sigma, &cfg).is_none());
    }

    /// Thirteen days of troughs under a 60 MB swing that climb 28 MB a day for nine days (an
    /// old generation filling), fall 200 MB in one night (its full collection) and climb again
    /// for four: every step but one up, and the last trough above the first — but the
    /// troughs since the fall are refilling what it released, below the one before it. Once
    /// they climb past it, a leak again; and a night 20 MB lower (a quiet day, a third of the
    /// swing) is no release.
    #[test]
    fn troughs_refilling_after_a_night_that_gave_memory_back_are_no_leak() {
        let cfg = RecognizeOptions::default().cfg();
        let sigma = 2.0 * MB;
        let mut troughs: Vec<f64> = (0..9).map(|d| 1000.0 + 28.0 * d as f64).collect();
        let top = troughs[8];
        troughs.extend((0..4).map(|d| top - 200.0 + 28.0 * d as f64));
        assert!(troughs[12] > troughs[0] + 10.0);
        assert!(daily_leak(&nights(&troughs, 60.0), sigma, &cfg).is_none());
        troughs.extend((4..14).map(|d| top - 200.0 + 28.0 * d as f64));
        assert!(daily_leak(&nights(&troughs, 60.0), sigma, &cfg).is_some());
        let mut quiet: Vec<f64> = (0..9).map(|d| 1000.0 + 28.0 * d as f64).collect();
        quiet[5] -= 20.0 + 28.0;
        assert!(daily_leak(&nights(&quiet, 60.0), sigma, &cfg).is_some());
    }

    /// A 400 MB working set that swings 100 MB with the day (highest at 18:00, lowest at
    /// 6:00) and leaks 5 MB an hour of its traffic, seen from midnight until the next day's
    /// climb stands nearly as high as the evening before: the night between came down from
    /// that peak, which a fill that reached its bound and holds never does, though the end
    /// itself is back near it. A fill of 160 MB from 13:00 to 23:00 on the first day that
    /// holds, with no cycle, stands as much higher at every hour seen twice and never comes
    /// down: no leak.
    #[test]
    fn a_night_seen_after_the_peak_is_a_cycle_though_the_morning_climbed_back() {
        let cfg = RecognizeOptions::default().cfg();
        let end: f64 = 37.0;
        let traffic = |h: f64| 0.5 - 0.5 * (2.0 * std::f64::consts::PI * (h - 6.0) / 24.0).cos();
        let cols = |f: &dyn Fn(f64) -> f64| {
            let bs = summary(end, |t| f(t / H) + jitter(t, 0.5 * MB));
            runs(&bs, &cfg)
        };
        let leak =
            cols(&|h| 400.0 * MB + 100.0 * MB * traffic(h) + 5.0 * MB * busy(traffic, 0.0, h));
        assert!(day_over_day(&leak.c, 0, leak.sigma2, &cfg, false).is_some());
        let fill = cols(&|h| 400.0 * MB + 160.0 * MB * ((h - 13.0) / 10.0).clamp(0.0, 1.0));
        assert!(day_over_day(&fill.c, 0, fill.sigma2, &cfg, false).is_none());
    }

    /// Four days of a 4 GB working set that swings 1.2 GB with the day (highest at 6:00,
    /// lowest at 18:00), leaking 110 MB/h from 34 h before the end: the leak outpaces the
    /// cycle's fall, so the last day's means never come down from a peak, yet every hour of it
    /// stands above the highest floor held at that hour on any earlier day. Less the day's
    /// rise at an even pace, the night is there — down to the evening, back up by midnight: a
    /// leak that began late under the cycle. The same climb that stopped as the last day began
    /// and held flat through it (no cycle) stands as high at every hour, with no jump and no
    /// fading, but less a slope it only comes down: no night, no leak.
    #[test]
    fn a_leak_faster_than_the_evening_fall_still_shows_its_night_less_the_days_rise() {
        let cfg = RecognizeOptions::default().cfg();
        let end: f64 = 96.0;
        let onset = end - 34.0;
        let cycle = |h: f64| -600.0 * MB * (2.0 * std::f64::consts::PI * (h - 18.0) / 24.0).cos();
        let cols = |f: &dyn Fn(f64) -> f64| {
            let bs = summary(end, |t| 4000.0 * MB + f(t / H) + jitter(t, 8.0 * MB));
            runs(&bs, &cfg)
        };
        let leak = cols(&|h| cycle(h) + 110.0 * MB * (h - onset).max(0.0));
        assert!(day_over_day(&leak.c, 0, leak.sigma2, &cfg, true).is_some());
        let held = cols(&|h| {
            if h < end - 24.0 {
                cycle(h) + 110.0 * MB * (h - onset).max(0.0)
            } else {
                cycle(end - 24.0) + 110.0 * MB * 10.0
            }
        });
        assert!(day_over_day(&held.c, 0, held.sigma2, &cfg, true).is_none());
    }

    /// 52 h from 22:00 of a 3 GB working set that swings 1.4 GB with business hours (8:00 to
    /// 20:00, ten-minute ramps), leaking 30 MB/h while the traffic is up: every hour seen
    /// twice stands about a day's leak higher, and the last day's morning climbs 1.4 GB within
    /// two buckets. So did the morning before: that climb is the cycle's, no deploy's step.
    /// Without the leak, a step of 360 MB at 2:30 on the third day stands as high at 6 in 7
    /// of the hours seen twice, in one bucket that rose by nothing a day before: a step, no
    /// leak.
    #[test]
    fn the_cycles_own_morning_climb_is_no_jump() {
        let cfg = RecognizeOptions::default().cfg();
        let traffic = |h: f64| business_hours(h, 6.0);
        let cols = |f: &dyn Fn(f64) -> f64| {
            let bs = summary(52.0, |t| {
                3000.0 * MB + 1400.0 * MB * traffic(22.0 + t / H) + f(t / H) + jitter(t, 4.0 * MB)
            });
            runs(&bs, &cfg)
        };
        let leak = cols(&|h| 30.0 * MB * busy(traffic, 22.0, h));
        assert!(day_over_day(&leak.c, 0, leak.sigma2, &cfg, false).is_some());
        let step = cols(&|h| if h >= 28.5 { 360.0 * MB } else { 0.0 });
        assert!(day_over_day(&step.c, 0, step.sigma2, &cfg, false).is_none());
        let flat = cols(&|_| 0.0);
        assert!(day_over_day(&flat.c, 0, flat.sigma2, &cfg, false).is_none());
    }

    /// 24.5 h from midnight of a 3 GB working set that swings 1.2 GB with business hours
    /// (8:00 to 20:00, hour-long ramps), leaking 40 MB an hour of its traffic: the hours seen
    /// twice are half an hour of the night, too few for the same hours a day apart, but the
    /// night after the evening stands 480 MB above the night the run opened on, and the
    /// floor climbed all day: a leak. The cycle alone comes back to its night. A heap whose
    /// load doubles it at 6:00, flat through the day, and falls to 2.2 GB at 18:00 (a load
    /// regime's level, no traffic's climb) stands as much higher at night, but held flat all
    /// day: no leak.
    #[test]
    fn the_night_after_a_days_evening_above_the_night_before_is_a_leak_over_one_day() {
        let cfg = RecognizeOptions::default().cfg();
        let traffic = |h: f64| business_hours(h, 1.0);
        let cols = |f: &dyn Fn(f64) -> f64| {
            let bs = summary(24.5, |t| f(t / H) + jitter(t, 4.0 * MB));
            runs(&bs, &cfg)
        };
        let cycle = |h: f64| 3000.0 * MB + 1200.0 * MB * traffic(h);
        let leak = cols(&|h| cycle(h) + 40.0 * MB * busy(traffic, 0.0, h));
        assert!(day_over_day(&leak.c, 0, leak.sigma2, &cfg, false).is_none());
        assert!(night_above_start(&leak.c, 0, leak.sigma2, &cfg).is_some());
        let flat = cols(&cycle);
        assert!(night_above_start(&flat.c, 0, flat.sigma2, &cfg).is_none());
        let regime = cols(&|h| match h {
            h if h < 6.0 => 1500.0 * MB,
            h if h < 18.0 => 3000.0 * MB,
            _ => 2200.0 * MB,
        });
        assert!(night_above_start(&regime.c, 0, regime.sigma2, &cfg).is_none());
    }

    /// Eight nights of a 1.6 GB heap that swings 150 MB a day and leaks with its weekday
    /// traffic: the troughs climb 39-54 MB a weekday, about 4 noise scales of 10 MB, and
    /// 3 MB across the weekend. No step passes 6 noise scales, and the weekend's breaks the
    /// staircase's steady pace, but every night stands above the one before, 247 MB in all:
    /// growth. One night lower, or the same order over a rise the noise makes, is not.
    #[test]
    fn troughs_that_rise_every_night_for_days_are_a_leak_though_it_paused_at_the_weekend() {
        let cfg = RecognizeOptions::default().cfg();
        let days = |troughs: &[f64]| nights(troughs, 150.0);
        let sigma = 10.0 * MB;
        let climbing = [
            1617.0, 1665.0, 1711.0, 1765.0, 1804.0, 1807.0, 1810.0, 1865.0,
        ];
        assert!(daily_leak(&days(&climbing), sigma, &cfg).is_some());
        let mut lower = climbing;
        lower[5] = 1800.0;
        assert!(daily_leak(&days(&lower), sigma, &cfg).is_none());
        let small = [
            1617.0, 1630.0, 1641.0, 1655.0, 1661.0, 1668.0, 1670.0, 1684.0,
        ];
        assert!(daily_leak(&days(&small), sigma, &cfg).is_none());
    }

    /// 58 h of a 3 GB working set that swings 1.4 GB with business hours (8:00 to 20:00, a
    /// half-hour ramp each way), from 10:00 on, leaking 30 MB/h while the traffic is up and
    /// nothing at night. The first ten hours are a part of a day with no night in it: their
    /// lowest floor is the day's level where the evening fall begins, far above the night
    /// after, and the step from it says nothing of how the nights rose. The two whole days
    /// that follow stand 345 MB apart at their troughs: a leak. Without the leak, or starting
    /// at night (the part of a day then holds a trough, which the night after does not pass),
    /// no leak.
    #[test]
    fn a_part_of_a_day_without_its_night_bounds_the_trough_from_above_only() {
        let cfg = RecognizeOptions::default().cfg();
        let traffic = |h: f64| business_hours(h, 2.0);
        let series = |from: f64, rate: f64| {
            summary(58.0, move |t| {
                let h = t / H;
                3000.0 * MB
                    + 1400.0 * MB * traffic(from + h)
                    + rate * MB * busy(traffic, from, h)
                    + jitter(t, 4.0 * MB)
            })
        };
        let e = evaluate(&series(10.0, 30.0), &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        let e = evaluate(&series(10.0, 0.0), &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
        let e = evaluate(&series(2.0, 0.0), &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
    }

    /// 92 hours of a cache filling towards a bound it has not visibly reached (1300 MB plus
    /// 200 MB·(1 − e^(−h/35 h)), samples scattered ±20 MB, four single samples 80 MB low from
    /// hour 50 on, a collector's deep troughs now and then): the troughs keep the whole run's
    /// floor of minima from rising significantly, while the means of the recent half rise
    /// steadily — at the pace the fill's curve predicts there: its tail, no leak. The same run
    /// with a leak of 1.5 MB/h from hour 46 climbs faster in that half than the fill allows:
    /// a leak.
    #[test]
    fn the_recent_half_of_a_run_that_fills_to_a_bound_is_its_tail_unless_it_climbs_faster() {
        let cfg = RecognizeOptions::default().cfg();
        let series = |leak: f64| {
            summary(92.0, move |t| {
                let h = t / H;
                let i = (t / 30.0) as u64;
                let trough = if [6000, 7321, 9244, 10201].contains(&i) {
                    -80.0 * MB
                } else {
                    0.0
                };
                1300.0 * MB
                    + 200.0 * MB * (1.0 - (-h / 35.0).exp())
                    + leak * MB * (h - 46.0).max(0.0)
                    + jitter(t, 40.0 * MB)
                    + trough
            })
        };
        let e = evaluate(&series(0.0), &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
        let e = evaluate(&series(1.5), &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
    }

    /// A day and a half of five-minute buckets under a daily cycle of 300 MB (nights at 3:00),
    /// whose days, counted back from the end, meet at 12:00. The nights are the days'
    /// troughs, a day apart. A dip of 20 minutes across the days' boundary, 50 MB under the
    /// nights before it and 20 MB under them after it (a restart's, too brief to be cut as
    /// one), is both days' lowest, five minutes apart: one low, not two days' floors, and the
    /// days tell nothing (a rate between them would be one over minutes).
    #[test]
    fn neighbouring_days_troughs_minutes_apart_are_one_low_not_two_floors() {
        let day = |i: usize| {
            let h = i as f64 / 12.0;
            1000.0 * MB + 150.0 * MB * (1.0 - (2.0 * std::f64::consts::PI * (h - 3.0) / 24.0).cos())
        };
        let cycle = five_minute_buckets((0..432).map(day).collect());
        let days = daily_troughs(&cycle, MB).expect("a daily cycle");
        assert_eq!(days.len(), 2, "{days:?}");
        assert!(
            (days[1].t_trough - days[0].t_trough - DAY).abs() < 600.0,
            "{days:?}"
        );
        let dip = (0..432)
            .map(|i| match i {
                141 => 960.0 * MB,
                142 => 950.0 * MB,
                143 | 144 => 980.0 * MB,
                _ => day(i),
            })
            .collect();
        assert!(daily_troughs(&five_minute_buckets(dip), MB).is_none());
    }

    /// Six days and a quarter of a 600 MB heap that swings 380 MB with business hours (flat at
    /// night, a smooth rise and fall over the day), sampled every 30 s and kept in buckets of
    /// 2.3 h, and a leak of 1 MB/h: every trough stands about 24 MB above the one before. At
    /// that width the second differences of the bucket minima read the shape of the day as
    /// noise, several times the leak's day; the same hours a day apart do not. Without the
    /// leak the troughs do not climb.
    #[test]
    fn troughs_are_judged_against_the_noise_of_the_same_hour_a_day_apart() {
        let cfg = RecognizeOptions::default().cfg();
        let business = |t: f64| {
            let h = (t / H) % 24.0;
            if (8.0..20.0).contains(&h) {
                0.5 - 0.5 * (2.0 * std::f64::consts::PI * (h - 8.0) / 12.0).cos()
            } else {
                0.0
            }
        };
        let leak = summary(150.0, |t| {
            600.0 * MB + 380.0 * MB * business(t) + MB * t / H + jitter(t, 3.0 * MB)
        });
        let troughs = |bs: &[Bucket]| {
            let r = runs(bs, &cfg);
            let days = daily_troughs(&r.c, r.sigma2).expect("a daily cycle");
            (days, r.sigma2, trough_noise(&r.c, r.sigma2))
        };
        let (days, sigma2, noise) = troughs(&leak);
        assert!(daily_leak(&days, sigma2, &cfg).is_none(), "{sigma2}");
        assert!(daily_leak(&days, noise, &cfg).is_some(), "{noise}");
        let flat = summary(150.0, |t| {
            600.0 * MB + 380.0 * MB * business(t) + jitter(t, 3.0 * MB)
        });
        let (days, _, noise) = troughs(&flat);
        assert!(daily_leak(&days, noise, &cfg).is_none(), "{noise}");
    }

    /// Three days and 16 h of a 140 MB working set swinging 40 % with the day, and a leak of
    /// 4 MB/h from hour 65 on: the last day stands higher than every earlier day at nearly
    /// every hour, though its floor reads as a plateau (the evening fall ends it) and its
    /// trough, at the onset, is no higher than the days' before. Without the leak, and with
    /// a last day busier than the others instead, nothing stands higher at night.
    #[test]
    fn a_leak_starting_in_the_last_day_stands_higher_than_every_earlier_day() {
        let cfg = RecognizeOptions::default().cfg();
        let cycle = |t: f64| 0.5 + 0.5 * (2.0 * std::f64::consts::PI * (t / H - 6.0) / 24.0).cos();
        let leak = |t: f64| 4.0 * MB * (t / H - 65.0).max(0.0);
        let late = summary(88.75, |t| {
            140.0 * MB * (1.0 + 0.4 * cycle(t)) + leak(t) + jitter(t, 0.5 * MB)
        });
        let e = evaluate(&late, &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        let flat = summary(88.75, |t| {
            140.0 * MB * (1.0 + 0.4 * cycle(t)) + jitter(t, 0.5 * MB)
        });
        assert_eq!(evaluate(&flat, &cfg).kind, VerdictKind::NoLeak);
        let busy = |t: f64| if t / H > 64.75 { 1.3 } else { 1.0 };
        let busier = summary(88.75, |t| {
            140.0 * MB * (1.0 + 0.4 * busy(t) * cycle(t)) + jitter(t, 0.5 * MB)
        });
        let e = evaluate(&busier, &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
    }

    /// A week of weekday traffic (a 170 MB swing over 700 MB) and quiet weekends (a third of
    /// it), with a leak of 5 MB/h for the last 48 h, over the weekend: the whole run's floor
    /// is each cycle's minimum, too few and too scattered by the weekend to show it, and
    /// the last day, a quiet Sunday, stands no higher than the busy weekdays at their busy
    /// hours. Above the lowest floor any earlier day held at the same hour (a Sunday's, at
    /// the busy hours), it stands higher at every hour, which no earlier day did (a Monday
    /// after a Sunday only in its busy hours), and climbs within the day: a leak. Without
    /// the leak, or with a step of the leak's size a day before the end (every hour of the
    /// last day higher as well, but by a level that does not grow), no leak.
    #[test]
    fn a_last_day_above_every_earlier_days_low_at_every_hour_and_climbing_is_a_late_leak() {
        let cfg = RecognizeOptions::default().cfg();
        let hours = 188.0;
        // (Days 0, 6 and 7 a weekend.)
        let swing = |t: f64| {
            let day = (t / H / 24.0) as usize;
            let amp = if day == 0 || day >= 6 { 0.3 } else { 1.0 };
            170.0 * MB * amp * business_hours(t / H, 0.25)
        };
        let base = |t: f64| 700.0 * MB + swing(t) + jitter(t, 2.0 * MB);
        let leak = |t: f64| 5.0 * MB * (t / H - (hours - 48.0)).max(0.0);
        let late = summary(hours, |t| base(t) + leak(t));
        let e = evaluate(&late, &cfg);
        assert_eq!(
            (e.kind, e.pattern),
            (VerdictKind::Leak, Pattern::LateOnsetLeak),
            "{e:?}"
        );
        let s = e.seasonal.expect("read from the seasonal differences");
        assert!(s.least > 60.0 * MB && s.climb > 30.0 * MB, "{s:?}");
        assert_eq!(
            evaluate(&summary(hours, base), &cfg).kind,
            VerdictKind::NoLeak
        );
        let step = |t: f64| {
            if t / H > hours - 24.5 {
                120.0 * MB
            } else {
                0.0
            }
        };
        let e = evaluate(&summary(hours, |t| base(t) + step(t)), &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
    }

    /// 13 days of a daily cycle (a sharpened sinusoid: a 600 MB peak over 2.7 GB) whose days
    /// are up to 5 % busier or quieter than each other, with 2 MB of noise and a leak of
    /// 5 MB/h for the last 30 h. Six hours from the trough a 5 % busier day stands 7 MB above
    /// the day before; three hours from it, under one. Read where a day's least excess lies
    /// (the trough), the noise leaves the last day's least excess (about 25 MB) and its climb
    /// (about 80 MB) above what a leak needs; read over the lower half of the day, it needs
    /// 60 MB. The same days without the leak: no leak.
    #[test]
    fn the_seasonal_noise_is_read_at_the_trough_not_on_the_slopes_of_busier_days() {
        let cfg = RecognizeOptions::default().cfg();
        let hours = 13.0 * 24.0;
        let busier = [1.0, 0.96, 1.04, 0.98, 1.05, 0.95, 1.02];
        let cycle = |t: f64| {
            let h = t / H;
            let day = busier[(h / 24.0) as usize % busier.len()];
            let shape = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * h / 24.0).cos();
            600.0 * MB * day * shape * shape
        };
        let base = |t: f64| 2700.0 * MB + cycle(t) + jitter(t, 2.0 * MB);
        let leak = |t: f64| 5.0 * MB * (t / H - (hours - 30.0)).max(0.0);
        let e = evaluate(&summary(hours, |t| base(t) + leak(t)), &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        let s = e.seasonal.expect("read from the seasonal differences");
        assert!(s.needed < 20.0 * MB, "{s:?}");
        assert_eq!(
            evaluate(&summary(hours, base), &cfg).kind,
            VerdictKind::NoLeak
        );
    }

    /// A JVM's old generation under a daily cycle, filling at 1.5 MB/h and collected once,
    /// 4.8 days in: since that fall the floor has climbed steadily past where it fell from,
    /// so the last day stands above every earlier day's low at every hour, by more every day
    /// — as a leak's does. With one fall that may be a collector's, the seasonal test waits
    /// for a third fall (as the rest of the judgement does) and names no leak.
    #[test]
    fn a_rarely_collected_old_generation_under_a_daily_cycle_is_no_seasonal_leak() {
        let cfg = RecognizeOptions::default().cfg();
        let fall = 115.0;
        let old = |t: f64| {
            let h = t / H;
            1.5 * MB * if h < fall { h } else { h - fall }
        };
        let jvm = summary(281.0, |t| {
            800.0 * MB + 100.0 * MB * business_hours(t / H, 0.25) + old(t) + jitter(t, 2.0 * MB)
        });
        let e = evaluate(&jvm, &cfg);
        assert_eq!(e.seasonal, None, "{e:?}");
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
    }

    /// The same cycle with a leak of 4 MB/h from 10 h before the end: the last day stands
    /// higher than every earlier day only since the onset (under half its hours), so the
    /// day as a whole shows no leak, but the hours since, judged alone, stand ever higher —
    /// a leak. A deploy's step of the leak's final size at the same hour stands higher by a
    /// level that does not grow: no leak.
    #[test]
    fn the_hours_since_a_late_onset_stand_ever_higher_than_every_earlier_day() {
        let cfg = RecognizeOptions::default().cfg();
        let cycle = |t: f64| 0.5 + 0.5 * (2.0 * std::f64::consts::PI * (t / H - 6.0) / 24.0).cos();
        let leak = |t: f64| 4.0 * MB * (t / H - 78.75).max(0.0);
        let late = summary(88.75, |t| {
            140.0 * MB * (1.0 + 0.4 * cycle(t)) + leak(t) + jitter(t, 0.5 * MB)
        });
        let e = evaluate(&late, &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        assert_eq!(e.pattern, Pattern::LateOnsetLeak, "{e:?}");
        let step = |t: f64| if t / H > 78.75 { 40.0 * MB } else { 0.0 };
        let deploy = summary(88.75, |t| {
            140.0 * MB * (1.0 + 0.4 * cycle(t)) + step(t) + jitter(t, 0.5 * MB)
        });
        let e = evaluate(&deploy, &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
    }

    /// 33 h from 1:00 of a 2.3 GB working set that swings 1.2 GB with business hours (8:00
    /// to 20:00, half-hour ramps), leaking 50 MB/h while the traffic is up, seen until 10:00
    /// on the second day: that morning, a day's leak higher, already stands above the
    /// evening before, so the last day's means never come down from their peak, which is
    /// the end. The run's means came down (the evening) and repeat a day later, and less the
    /// day's rise at an even pace the night is there, the morning climbing back from it as
    /// far as an evening must fall: a leak under the cycle. The cycle alone stands no higher
    /// a day later.
    #[test]
    fn a_leak_whose_morning_passes_the_evening_before_still_shows_its_night_over_a_day() {
        let cfg = RecognizeOptions::default().cfg();
        let traffic = |h: f64| business_hours(h, 2.0);
        let cols = |rate: f64| {
            let bs = summary(33.0, |t| {
                let h = t / H;
                2300.0 * MB
                    + 1200.0 * MB * traffic(1.0 + h)
                    + rate * MB * busy(traffic, 1.0, h)
                    + jitter(t, 4.0 * MB)
            });
            runs(&bs, &cfg)
        };
        let leak = cols(50.0);
        assert!(day_over_day(&leak.c, 0, leak.sigma2, &cfg, false).is_some());
        let cycle = cols(0.0);
        assert!(day_over_day(&cycle.c, 0, cycle.sigma2, &cfg, false).is_none());
    }

    /// A day and an hour from 6:00 of a 5.8 GB working set that swings 1.3 GB with business
    /// hours (8:00-20:00, half-hour ramps), leaking 80 MB an hour of traffic: the run never saw
    /// the morning's climb a day before, and it is steeper than the day's leak is tall — yet
    /// the evening falls as steeply, from a floor that stood no higher than the next night
    /// before it climbed, and that night, among the hours seen twice, stands a day's leak
    /// higher: a leak. The cycle alone stands no higher; a batch load of 700 MB at 14:00 that
    /// holds steps up from the day's level, far above the night, and no evening gives back a
    /// step that holds: neither is one.
    #[test]
    fn a_morning_climb_the_run_never_saw_a_day_before_is_the_cycles_when_its_evening_falls_as_steeply(
    ) {
        let cfg = RecognizeOptions::default().cfg();
        let traffic = |h: f64| business_hours(h, 2.0);
        let cols = |rate: f64, batch: f64| {
            let bs = summary(25.1, |t| {
                let h = t / H;
                5800.0 * MB
                    + 1300.0 * MB * traffic(6.0 + h)
                    + rate * MB * busy(traffic, 6.0, h)
                    + if h >= 8.0 { batch * MB } else { 0.0 }
                    + jitter(t, 8.0 * MB)
            });
            runs(&bs, &cfg)
        };
        let leak = cols(80.0, 0.0);
        assert!(day_over_day(&leak.c, 0, leak.sigma2, &cfg, false).is_some());
        let cycle = cols(0.0, 0.0);
        assert!(day_over_day(&cycle.c, 0, cycle.sigma2, &cfg, false).is_none());
        let batch = cols(0.0, 700.0);
        assert!(day_over_day(&batch.c, 0, batch.sigma2, &cfg, false).is_none());
    }

    /// A day and five hours of a 1.5 GB process that batch loads step up twice and hold
    /// (144 MB at 5.2 h, 260 MB at 12.9 h), that sags 30 MB for an hour at the same hour both
    /// days (2:00 and 26:00), and stands 5 MB higher for its last hour and a half. The same
    /// hours a day apart stand about 400 MB higher, and the second step alone is more than 60 %
    /// of that: a jump, unless a cycle's evening gives it back. The means never fell after
    /// their peak (the end): no evening, so the sag after the step is no cycle's, and the step
    /// stays a jump.
    #[test]
    fn a_step_with_no_evening_after_it_is_no_cycles_morning() {
        let cfg = RecognizeOptions::default().cfg();
        let lo = (0..348)
            .map(|i| {
                let h = i as f64 / 12.0;
                let held = |from: f64, mb: f64| if h >= from { mb * MB } else { 0.0 };
                let sag = if (2.0..3.0).contains(&(h % 24.0)) {
                    30.0 * MB
                } else {
                    0.0
                };
                1500.0 * MB + held(5.2, 144.0) + held(12.9, 260.0) + held(27.5, 5.0) - sag
            })
            .collect();
        let c = five_minute_buckets(lo);
        assert!(day_over_day(&c, 0, MB, &cfg, false).is_none());
    }

    /// A day and an hour of a 400 MB process whose cache fills by 130 MB on the first day (a
    /// logistic fill half an hour wide) and then holds, its level wandering: every hour seen
    /// twice stands the whole fill higher, with no jump and no fading, and the held level,
    /// less that rise at an even pace, comes down and wanders back up. No night: a wander
    /// that never came down as far as an evening must fall (±1 MB every 2.5 h), or does not
    /// repeat a day later (±3 MB every 4 h), or climbs back not as far as an evening must
    /// fall (±6 MB every 4 h, the fill at 3 h) is no daily cycle. No leak.
    #[test]
    fn a_cache_that_filled_on_the_first_day_and_holds_shows_no_night_under_its_rise() {
        let cfg = RecognizeOptions::default().cfg();
        // (The fill's middle (h), the wander's amplitude (MB) and period (h).)
        for (mid, amp, period) in [(5.0, 1.0, 2.5), (8.0, 3.0, 4.0), (3.0, 6.0, 4.0)] {
            let bs = summary(25.0, |t| {
                let h = t / H;
                let fill = 1.0 / (1.0 + (-(h - mid) / 0.5).exp());
                let wander = (2.0 * std::f64::consts::PI * h / period).sin();
                400.0 * MB + 130.0 * MB * fill + amp * MB * wander + jitter(t, 0.5 * MB)
            });
            let r = runs(&bs, &cfg);
            let what = format!("fill at {mid} h, wander ±{amp} MB every {period} h");
            assert!(
                day_over_day(&r.c, 0, r.sigma2, &cfg, false).is_none(),
                "{what}"
            );
            let e = evaluate(&bs, &cfg);
            assert_eq!(e.kind, VerdictKind::NoLeak, "{what}: {e:?}");
        }
    }

    /// 75 h from Friday 17:00 of a 5.4 GB working set that swings 1 GB with the day (lowest
    /// at 4:00), 35 % of it at the weekend, leaking 30 MB/h of its traffic: the weekend's
    /// days do not move with the weekdays' a day apart, yet the nights of Saturday, Sunday
    /// and Monday come at one hour, each a low the floor stood higher before and after, and
    /// step up: a leak under the cycle, which the floor's own tests miss. The same cycle
    /// without the leak is none.
    #[test]
    fn a_weekday_weekend_leak_whose_nights_come_at_one_hour_is_read_from_its_troughs() {
        let cfg = RecognizeOptions::default().cfg();
        // (Hours from Friday 0:00: Saturday and Sunday are days 1 and 2.)
        let traffic = |h: f64| {
            let day = 0.5 - 0.5 * (2.0 * std::f64::consts::PI * (h - 4.0) / 24.0).cos();
            let weekend = (1.0..3.0).contains(&(h / 24.0).floor());
            day * if weekend { 0.35 } else { 1.0 }
        };
        let series = |rate: f64| {
            summary(75.0, move |t| {
                let h = t / H;
                5400.0 * MB
                    + 1000.0 * MB * traffic(17.0 + h)
                    + rate * MB * busy(traffic, 17.0, h)
                    + jitter(t, 4.0 * MB)
            })
        };
        let leak = series(30.0);
        let r = runs(&leak, &cfg);
        assert!(!repeats_daily(&r.c));
        let days = daily_troughs(&r.c, r.sigma2).expect("a daily cycle");
        assert!(days.len() >= 3 && days.iter().all(|d| d.night), "{days:?}");
        let e = evaluate(&leak, &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        assert_eq!(e.pattern, Pattern::LeakUnderCycle, "{e:?}");
        // (The verdict keeps what the troughs said, for reasons of its own: the stretch's
        // rise, τ and plateau test, which did not call it, would contradict it.)
        let dr = e.daily.expect("read from the troughs");
        assert!(
            dr.days >= 3 && dr.up >= 1 && dr.rise > dr.step_min,
            "{dr:?}"
        );
        let e = evaluate(&series(0.0), &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
        assert_eq!(e.daily, None);
    }

    /// Three days of a 400 MB process whose cache is still filling (600 MB, time constant
    /// 20 h), once giving back 30 MB for two hours (an eviction): its means came down once,
    /// and each day-long stretch counted back from the end is lowest where it begins — the
    /// same hour every day, because the stretches are a day long, not because a night came
    /// then. Those are no nights (nothing stood higher before them within the day): no daily
    /// cycle, no leak under one.
    #[test]
    fn the_lows_where_a_rising_series_days_begin_are_no_nights() {
        let cfg = RecognizeOptions::default().cfg();
        let bs = summary(72.0, |t| {
            let h = t / H;
            let eviction = if (30.0..32.0).contains(&h) {
                30.0 * MB
            } else {
                0.0
            };
            400.0 * MB + 600.0 * MB * (1.0 - (-h / 20.0).exp()) - eviction + jitter(t, 2.0 * MB)
        });
        let r = runs(&bs, &cfg);
        assert!(daily_troughs(&r.c, r.sigma2).is_none());
        let e = evaluate(&bs, &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
    }

    /// Nights at 3:00, 4:30, 2:00 and 1:15 come at one hour of the day within two hours, and
    /// so do 0:30, 23:30 and 1:00 across midnight; nights at 3:00, 11:00 and 19:00 do not, nor
    /// 3:00, 6:00 and 3:00; two nights alone are too few to tell, and lows that are no nights
    /// (see above) tell nothing.
    #[test]
    fn nights_at_one_hour_are_within_two_hours_of_each_other_over_three_days_or_more() {
        let at = |hours: &[f64], night: bool| -> Vec<Day> {
            hours
                .iter()
                .enumerate()
                .map(|(i, h)| Day {
                    t_trough: 1.7e9 + i as f64 * DAY + h * H,
                    trough: 0.0,
                    swing: 0.0,
                    night,
                })
                .collect()
        };
        assert!(nights_at_one_hour(&at(&[3.0, 4.5, 2.0, 1.25], true)));
        assert!(nights_at_one_hour(&at(&[0.5, 23.5, 1.0], true)));
        assert!(!nights_at_one_hour(&at(&[3.0, 11.0, 19.0], true)));
        assert!(!nights_at_one_hour(&at(&[3.0, 6.0, 3.0], true)));
        assert!(!nights_at_one_hour(&at(&[3.0, 3.0], true)));
        assert!(!nights_at_one_hour(&at(&[3.0, 3.0, 3.0], false)));
    }

    /// The floor (MB) of a 200 MB process that steps up by `steps` (hour, MB: each in ten
    /// minutes, held since) under a little noise of `amp` MB.
    fn stepped(steps: &[(f64, f64)], amp: f64) -> impl Fn(f64) -> f64 + '_ {
        move |t: f64| {
            let up: f64 = steps
                .iter()
                .map(|&(at, mb)| mb * MB * ((t / H - at) * 6.0).clamp(0.0, 1.0))
                .sum();
            200.0 * MB + up + jitter(t, amp * MB)
        }
    }

    /// 18 h of a floor that a batch run raised by 40, 35 and 50 MB, at 0.5, 2 and 11.5 h,
    /// keeping each residue: three alike steps, none given back, are a leak, though the
    /// long quiet between the second and the third flattens the last third of the floor
    /// like a fill's end (the plateau test read one).
    #[test]
    fn three_alike_steps_of_the_floor_none_given_back_are_a_leak() {
        let cfg = RecognizeOptions::default().cfg();
        for amp in [1.0, 4.0] {
            let f = stepped(&[(0.5, 40.0), (2.0, 35.0), (11.5, 50.0)], amp);
            let e = evaluate(&summary(18.0, f), &cfg);
            assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        }
    }

    /// What the staircase is not: a cache filling by ever smaller steps, one deploy, two
    /// steps, batch runs that return to the floor, and three steps long over (quiet for
    /// longer than they came apart).
    #[test]
    fn shrinking_steps_one_or_two_steps_and_returning_batches_are_no_staircase() {
        let cfg = RecognizeOptions::default().cfg();
        let no_leak = |f: &dyn Fn(f64) -> f64, what: &str| {
            let e = evaluate(&summary(18.0, f), &cfg);
            assert_eq!(e.kind, VerdictKind::NoLeak, "{what}: {e:?}");
        };
        for amp in [1.0, 4.0] {
            no_leak(
                &stepped(&[(0.5, 60.0), (2.0, 30.0), (5.0, 15.0), (9.0, 8.0)], amp),
                "a cache filling by halves",
            );
            no_leak(&stepped(&[(6.0, 100.0)], amp), "a deploy");
            no_leak(&stepped(&[(2.0, 40.0), (9.0, 45.0)], amp), "two steps");
            no_leak(
                &stepped(&[(1.0, 40.0), (2.5, 35.0), (4.0, 45.0)], amp),
                "steps long over",
            );
            let batches = |t: f64| {
                let into = (t / H) % 3.0;
                let run = if (1.0..1.33).contains(&into) {
                    100.0 * MB
                } else {
                    0.0
                };
                200.0 * MB + run + jitter(t, amp * MB)
            };
            no_leak(&batches, "batches returning to the floor");
        }
    }

    /// 23 h of a 234 MB floor that rose by 125 MB four times, each in ten minutes, between
    /// flat stretches of 2.4 to 7 h, under a 10 MB collector's sawtooth: the last third is
    /// flat, so the floor's own tests read a plateau and the trend of the means shows the
    /// leak. The name still comes from the floor, which rose in steps: growth in bursts.
    #[test]
    fn a_leak_the_means_show_is_named_by_its_floor_steps() {
        let cfg = RecognizeOptions::default().cfg();
        let steps = |t: f64| -> f64 {
            [2.4, 6.2, 12.9, 20.2]
                .iter()
                .map(|at| ((t / H - at) * 6.0).clamp(0.0, 1.0))
                .sum()
        };
        let collector = |t: f64| 10.0 * MB * (t % 1200.0) / 1200.0;
        let bursts = summary(23.0, |t| {
            234.0 * MB + 125.0 * MB * steps(t) + collector(t) + jitter(t, MB)
        });
        let e = evaluate(&bursts, &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        assert_eq!(e.pattern, Pattern::GrowthInBursts, "{e:?}");
    }

    /// Restarts every 4 h of a process that warms up to 500 MB within minutes; the current
    /// run, 2.4 h old, climbs steadily from 200 MB. Below the height the earlier runs held,
    /// that climb is a slower warm-up; past it, a leak.
    #[test]
    fn a_young_run_below_the_height_earlier_runs_held_is_warming_up() {
        let cfg = RecognizeOptions::default().cfg();
        let run = 4.0 * H;
        let series = |top: f64| {
            move |t: f64| {
                let age = t % run;
                if t < 3.0 * run {
                    500.0 * MB - 300.0 * MB * (-age / 300.0).exp()
                } else {
                    200.0 * MB + (top - 200.0 * MB) * age / (2.4 * H)
                }
            }
        };
        let slow_warmup = summary(14.4, series(450.0 * MB));
        let e = evaluate(&slow_warmup, &cfg);
        assert_eq!(e.restarts, 3, "{e:?}");
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
        let leak = summary(14.4, series(700.0 * MB));
        let e = evaluate(&leak, &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
    }

    /// Two young runs, each rising steadily enough to read as a leak on its own, overruled
    /// by the runs before them — the slow warm-up of the test above (restarts every 4 h of a
    /// process that warms up to 500 MB within minutes, its current run 2.4 h old and climbing
    /// to 450 MB); and an old generation held at 400 MB for 20 h under a young sawtooth,
    /// collected once to 180 MB and refilling to 300 MB in the 6 h since: no leak, and no
    /// leak's name either. The warm-up is named as the runs before it were (a plateau), the refill after a
    /// fall that may be a collection (one fall, no sign of a new process) a sawtooth.
    #[test]
    fn a_rise_the_runs_around_it_overrule_carries_no_leaks_name() {
        let cfg = RecognizeOptions::default().cfg();
        let run = 4.0 * H;
        let warm_up = summary(14.4, move |t: f64| {
            let age = t % run;
            if t < 3.0 * run {
                500.0 * MB - 300.0 * MB * (-age / 300.0).exp()
            } else {
                200.0 * MB + 250.0 * MB * age / (2.4 * H)
            }
        });
        let refill = summary(26.0, |t: f64| {
            let old = if t < 20.0 * H {
                400.0 * MB
            } else {
                180.0 * MB + 120.0 * MB * (t - 20.0 * H) / (6.0 * H)
            };
            old + 30.0 * MB * (t % 600.0) / 600.0 + jitter(t, MB)
        });
        for (what, bs, name) in [
            ("warm-up", warm_up, Pattern::Plateau),
            ("refill", refill, Pattern::Sawtooth),
        ] {
            let e = evaluate(&bs, &cfg);
            assert_eq!(e.kind, VerdictKind::NoLeak, "{what}: {e:?}");
            // (The stretch judged reads as a leak on its own: the runs overruled it.)
            let own = e.detail.map(|d| d.pattern);
            assert!(own.is_some_and(Pattern::is_leak), "{what}: {e:?}");
            assert!(!e.pattern.is_leak(), "{what}: {e:?}");
            assert_eq!(e.pattern, name, "{what}: {e:?}");
        }
    }

    /// A day of a 300 MB process deployed twice, each deploy a restart the restart rule takes:
    /// the new process starts at a third of its new level, warms up within minutes (time
    /// constant 5 min) and holds it — 240 MB after the first, 270 MB after the second. Every
    /// run is flat, and the level changed at the restarts: the whole series is named a step,
    /// whatever its judged stretch read in the run since. A leak restarted on a clock at
    /// the same moments, each run climbing 10 MB an hour from where its restart left it,
    /// changes level at the restarts as well: its runs climb, and it keeps a leak's name.
    #[test]
    fn flat_runs_between_restarts_that_changed_the_level_are_a_deploys_step() {
        let cfg = RecognizeOptions::default().cfg();
        let since = |t: f64| match t / H {
            h if h < 9.0 => (300.0 * MB, None),
            h if h < 15.0 => (240.0 * MB, Some(t - 9.0 * H)),
            _ => (270.0 * MB, Some(t - 15.0 * H)),
        };
        let deploys = summary(24.0, |t: f64| {
            let (level, s) = since(t);
            s.map_or(level, |s| level * (1.0 - (2.0 / 3.0) * (-s / 300.0).exp())) + jitter(t, MB)
        });
        let e = evaluate(&deploys, &cfg);
        assert_eq!((e.kind, e.restarts), (VerdictKind::NoLeak, 2), "{e:?}");
        assert_eq!(e.pattern, Pattern::Step, "{e:?}");
        let leak = summary(24.0, |t: f64| {
            let (level, s) = since(t);
            let age = s.unwrap_or(t);
            0.5 * level + 10.0 * MB * age / H + jitter(t, MB)
        });
        let e = evaluate(&leak, &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        assert_eq!(e.pattern, Pattern::LeakWithRestarts, "{e:?}");
    }

    /// Three deploys over six days, each landing higher: 100 MB, then 119, 168 and 200 MB
    /// from hours 32, 65 and 103, each new process starting at a third of its level and
    /// warming up within minutes (time constant 200 s, ±0.5 MB of noise). The floor rose
    /// only at the deploys' dips and held flat between them: a deploy's steps, no leak. The
    /// same deploys with a leak the last one brought in, climbing 1 MB an hour from it, is
    /// still a leak: its last run climbs between the restarts.
    #[test]
    fn deploys_that_each_landed_higher_are_steps_and_a_leak_a_deploy_brought_in_is_not() {
        let cfg = RecognizeOptions::default().cfg();
        let since = |t: f64| match t / H {
            h if h < 32.0 => (100.0 * MB, None),
            h if h < 65.0 => (119.0 * MB, Some(t - 32.0 * H)),
            h if h < 103.0 => (168.0 * MB, Some(t - 65.0 * H)),
            _ => (200.0 * MB, Some(t - 103.0 * H)),
        };
        let level = |t: f64| {
            let (level, s) = since(t);
            s.map_or(level, |s| level * (1.0 - (2.0 / 3.0) * (-s / 200.0).exp()))
        };
        let deploys = summary(148.0, |t: f64| level(t) + jitter(t, MB));
        let e = evaluate(&deploys, &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
        assert_eq!(e.pattern, Pattern::Step, "{e:?}");
        let leak = summary(148.0, |t: f64| {
            level(t) + MB * ((t - 103.0 * H) / H).max(0.0) + jitter(t, MB)
        });
        let e = evaluate(&leak, &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
    }

    /// A process restarted at random times warms up after each restart from 300 MB toward
    /// 500 MB (time constant 5 h, ±6 MB of noise): one run lasted 19 h and levelled off,
    /// the three after it were restarted after 3 to 3.5 h, still on their way up, and the
    /// current one is 0.8 h old. Each short run rises steadily enough to read as a leak on
    /// its own, but climbs no higher than the long run held: warm-ups cut short, no leak.
    #[test]
    fn runs_restarted_on_their_way_up_to_a_height_a_longer_run_held_are_warm_ups() {
        let cfg = RecognizeOptions::default().cfg();
        let starts = [0.0, 19.0, 22.0, 25.5, 28.75].map(|h| h * H);
        let series = |leak: f64| {
            move |t: f64| {
                let k = starts.iter().rposition(|&s| s <= t).unwrap_or(0);
                let age = t - starts[k];
                let warm = 200.0 * MB * (1.0 - (-age / (5.0 * H)).exp());
                let climb = if k > 0 { leak * age / H } else { warm };
                300.0 * MB + warm.max(climb) + jitter(t, 12.0 * MB)
            }
        };
        let e = evaluate(&summary(29.55, series(0.0)), &cfg);
        assert_eq!(e.restarts, 4, "{e:?}");
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
        // The same runs climbing on at 80 MB/h, past the height the long run held: a leak.
        let e = evaluate(&summary(29.55, series(80.0 * MB)), &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
    }

    /// A trailing window of a day that opens in the middle of an old generation's fill (200
    /// to 400 MB over the 7 h in view), sees its full collection and 17 h of refilling at a
    /// slower pace to 350 MB: the run before the fall may have lasted far longer than the
    /// window shows, so outlasting the part in view is no sign of a leak.
    #[test]
    fn a_window_does_not_time_a_refill_against_a_run_it_saw_only_part_of() {
        let cfg = window_cfg();
        let fill = |t: f64| {
            if t < 7.0 * H {
                200.0 * MB + 200.0 * MB * t / (7.0 * H)
            } else {
                200.0 * MB + 150.0 * MB * (t - 7.0 * H) / (17.0 * H)
            }
        };
        let e = evaluate(&summary(24.0, fill), &cfg);
        assert_eq!(e.restarts, 1, "{e:?}");
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
    }

    /// A whole recording of 19 h that opens in the middle of an old generation's fill: 600
    /// MB over a 400 MB live set, climbing 10 MB/h under a 30 MB young sawtooth, a full
    /// collection at 5 h back to 400 MB, then 14 h of refilling at the same pace to 540 MB,
    /// under the 650 MB it fell from. The run before the fall began 20 h before the
    /// recording, where its pace takes it down to the live set: outlasting the 5 h of it in
    /// view is no sign of a leak. Refilled past the height it fell from, it is one.
    #[test]
    fn a_refill_is_timed_against_the_run_before_from_where_that_run_began() {
        let cfg = RecognizeOptions::default().cfg();
        let heap = |top: f64| {
            move |t: f64| {
                let old = if t < 5.0 * H {
                    600.0 * MB + 10.0 * MB * t / H
                } else {
                    400.0 * MB + (top - 400.0 * MB) * (t - 5.0 * H) / (14.0 * H)
                };
                old + 30.0 * MB * (t % 600.0) / 600.0 + jitter(t, MB)
            }
        };
        let e = evaluate(&summary(19.0, heap(540.0 * MB)), &cfg);
        assert_eq!(e.restarts, 1, "{e:?}");
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
        let e = evaluate(&summary(19.0, heap(800.0 * MB)), &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
    }

    /// A whole recording of 47 h of an old generation filling 10 MB/h over a 500 MB live set
    /// under a 30 MB young sawtooth: it opens at 650 MB, is collected at 15 h and again at
    /// 45 h, each time from 800 MB back to the live set, and refills since. The complete run
    /// between the two collections is judged (the refill is too short) and its trend ends a
    /// fraction of a noise scale above the minima before its fall: it did not pass the height
    /// it fell from, and two falls tell no collector's from restarts.
    #[test]
    fn a_run_ending_within_its_noise_of_the_height_it_fell_from_is_a_refill() {
        let cfg = RecognizeOptions::default().cfg();
        let heap = |t: f64| {
            let old = old_generation(t, 650.0 * MB, 500.0 * MB, 10.0 * MB, &[15.0 * H, 45.0 * H]);
            // (Young collections every 13.7 s, seen at an effectively random phase by
            // samples 30 s apart, and ±3 MB of noise that changes every minute.)
            old + 30.0 * MB * (t % 13.7) / 13.7 + wobble((t / 60.0) as usize, 3.0 * MB)
        };
        let e = evaluate(&summary(47.0, heap), &cfg);
        assert_eq!(e.restarts, 2, "{e:?}");
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
    }

    /// Eight days under a daily cycle (a 30 MB swing, lowest at 4 in the morning) of an old
    /// generation filling 3 MB/h over a 400 MB live set, collected once, after 100 h, back
    /// to the live set, and refilling since to 670 MB, under the 700 MB it fell from: the
    /// nights after the collection stand lower than the nights before it, and their rise
    /// since is the refill, not a leak the cycle hides.
    #[test]
    fn nights_rising_after_a_collection_are_its_refill() {
        let cfg = RecognizeOptions::default().cfg();
        let day =
            |t: f64| 15.0 * MB * (1.0 - (2.0 * std::f64::consts::PI * (t / H - 4.0) / 24.0).cos());
        let refill = |t: f64| {
            old_generation(t, 400.0 * MB, 400.0 * MB, 3.0 * MB, &[100.0 * H])
                + day(t)
                + jitter(t, MB)
        };
        let e = evaluate(&summary(190.0, refill), &cfg);
        assert_eq!(e.restarts, 1, "{e:?}");
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
    }

    /// A JVM's heap over 31 h: minor collections every 75 s sweep a 70 MB band over an old
    /// generation that the recording found mid-fill at 250 MB, filling 3 MB/h; one full
    /// collection at 13 h gives back 65 MB, within the band, so no restart is read there.
    /// Since, the old generation refills to within its noise of the height it fell from: a
    /// day later the same hours stand higher, as a leak's would, but that is the refill.
    /// Filled 3 MB/h from a flat start without the collection, it is a leak; with the fall no
    /// lower than where the recording began (an evening's), the fall is no collection.
    #[test]
    fn a_refill_after_a_collection_no_restart_was_read_from_is_no_leak() {
        let cfg = RecognizeOptions::default().cfg();
        // The old generation falls at 13 h to `after`, under the young one's sawtooth.
        let falling_to = |after: f64| {
            move |t: f64| {
                let old = old_generation(t, 250.0 * MB, after, 3.0 * MB, &[13.0 * H]);
                old + 70.0 * MB * (t / 75.0).fract() + jitter(t, MB)
            }
        };
        let bs = summary(31.0, falling_to(224.0 * MB));
        let e = evaluate(&bs, &cfg);
        assert_eq!(e.restarts, 0, "{e:?}");
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
        let c = runs(&bs, &cfg);
        assert!(hidden_collection(&c.c, c.sigma2, true).is_some());
        // (What the refill would have been read as: the same hours a day apart standing
        // higher.)
        assert!(day_over_day(&c.c, 0, c.sigma2, &cfg, false).is_some());
        // The same fall to no lower than the recording began: no collection of what it held.
        let bs = summary(31.0, falling_to(254.0 * MB));
        let c = runs(&bs, &cfg);
        assert!(hidden_collection(&c.c, c.sigma2, true).is_none());
    }

    /// A JVM's heap over 39 h (gen2 gc-jvm-rare-full): a 60 MB young sawtooth every 75 s over
    /// an old generation found mid-fill at 290 MB, collected at 3 h back to its 250 MB live
    /// set, refilled at 3.3 MB/h to 310 MB and collected again at 21 h back to the same
    /// 250 MB, both falls within the band, so no restart is read. The second fall, the
    /// largest, lands no lower than the first did: only chained to that first collection
    /// (which came down below everything before it, the floor climbing between them from its
    /// landing to the height the second fell from) is it a collection, and the refill since it
    /// no leak (without the chain this fails: the same hours a day apart stand higher). Not
    /// chained under a daily cycle, where a night at the last night's level is the cycle's.
    #[test]
    fn a_second_collection_back_to_the_first_ones_landing_is_a_collection_too() {
        let cfg = RecognizeOptions::default().cfg();
        let heap = |t: f64| {
            let old = old_generation(t, 290.0 * MB, 250.0 * MB, 3.3 * MB, &[3.0 * H, 21.0 * H]);
            old + 60.0 * MB * (t / 75.0).fract() + jitter(t, MB)
        };
        let bs = summary(39.0, heap);
        let e = evaluate(&bs, &cfg);
        assert_eq!(e.restarts, 0, "{e:?}");
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
        let c = runs(&bs, &cfg);
        assert!(hidden_collection(&c.c, c.sigma2, true).is_some());
        assert!(hidden_collection(&c.c, c.sigma2, false).is_none());
    }

    /// A JVM's heap over 15.5 h: a 31 MB young sawtooth every 46 s over an old generation
    /// found at 200 MB, filling 4.5 MB/h, collected at 4 h back to its 162 MB live set,
    /// refilled at 5.8 MB/h to a little past the height it fell from, and collected again at
    /// 15.2 h back to the live set. The run since the first fall ends where that fall left
    /// the floor: collected again. Not collected again, climbing on, or given back only to
    /// 25 MB above that landing, it is not.
    #[test]
    fn a_run_back_where_its_fall_left_the_floor_was_collected_again() {
        let cfg = RecognizeOptions::default().cfg();
        let heap = |again: Option<f64>| {
            move |t: f64| {
                let old = match again {
                    _ if t < 4.0 * H => 200.0 * MB + 4.5 * MB * t / H,
                    Some(to) if t >= 15.2 * H => to + 4.5 * MB * (t - 15.2 * H) / H,
                    _ => 162.0 * MB + 5.8 * MB * (t - 4.0 * H) / H,
                };
                old + 31.0 * MB * (t / 46.0).fract() + jitter(t, MB)
            }
        };
        let read = |again: Option<f64>| {
            let r = runs(&summary(15.5, heap(again)), &cfg);
            let fall = r.starts[1];
            let at = (r.c.t_first[fall] - r.c.t_first[0]) / H;
            assert!((at - 4.0).abs() < 0.2, "{at}");
            collected_again(&r.c, fall, r.sigma2)
        };
        assert!(read(Some(162.0 * MB)));
        assert!(!read(None));
        assert!(!read(Some(187.0 * MB)));
    }

    /// A day in quarter-hour buckets (a trailing day's window) of a process restarted by a
    /// cron every 2 h 15 min: nine buckets a run, too few to judge each run and, before the
    /// heights were compared with the lengths, too few to read their tails. Each run warms up
    /// within minutes and leaks at the pace of that run's load (30-50 MB/h): the heights vary
    /// while the clock does not, so the runs were cut, not settled, and their tails keep
    /// rising. The same clock over a slow warm-up settles every run at one height: no leak.
    #[test]
    fn runs_cut_by_a_clock_at_heights_that_vary_are_a_leak_even_when_short() {
        let cfg = window_cfg();
        let run = 2.25 * H;
        let paces = [
            30.0, 45.0, 36.0, 50.0, 33.0, 42.0, 48.0, 35.0, 40.0, 44.0, 38.0,
        ];
        let day = |f: &dyn Fn(f64, usize) -> f64| {
            let samples = (0..1440).map(|i| {
                let t = i as f64 * 60.0 + 1200.0;
                (t, f(t % run, (t / run) as usize) + wobble(i, 0.3 * MB))
            });
            bucketed(900.0, samples)
        };
        let leak = day(&|age, k| {
            300.0 * MB + 200.0 * MB * (1.0 - (-age / 200.0).exp()) + paces[k] * MB * age / H
        });
        let e = evaluate(&leak, &cfg);
        assert!(e.restarts >= 8, "{e:?}");
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        assert_eq!(e.pattern, Pattern::LeakWithRestarts, "{e:?}");
        let warmup = day(&|age, _| 300.0 * MB + 100.0 * MB * (1.0 - (-age / (0.6 * H)).exp()));
        let e = evaluate(&warmup, &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
    }

    /// A trailing 6 h window in 5 min buckets over a process restarted by a cron every
    /// 2 h 20 min, leaking 60 MB/h from the same start each run with no warm-up in view: the
    /// window opens in the middle of a run and holds two falls. Two falls alone may be a
    /// collector's; the window leaves that to the summaries that hold more of them, and
    /// judges its runs: they leak.
    #[test]
    fn a_window_holding_two_restarts_judges_its_runs_and_leaves_collections_to_longer_views() {
        let cfg = window_cfg();
        let run = 2.0 * H + 20.0 * 60.0;
        let samples = (0..360).map(|i| {
            let t = 21.5 * H + i as f64 * 60.0;
            (
                t,
                1000.0 * MB + 60.0 * MB * (t % run) / H + wobble(i, 0.5 * MB),
            )
        });
        let e = evaluate(&bucketed(300.0, samples), &cfg);
        assert_eq!(e.restarts, 2, "{e:?}");
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        assert_eq!(e.pattern, Pattern::LeakWithRestarts, "{e:?}");
    }

    /// A collector on a clock (a full collection every 8 h, as a JVM's old generation does
    /// under steady load): five runs of one length and pace whose heights differ by ±3.5 MB,
    /// 6 % of their 60 MB. Against bucket minima that scatter by 6 MB those are one height:
    /// a collector's cycles. Read against 1 MB of noise they are heights apart: not (yet) a
    /// collector's.
    #[test]
    fn heights_apart_by_less_than_the_noise_are_one_height() {
        let cfg = RecognizeOptions::default().cfg();
        let run = 96;
        let heights = [60.0, 56.5, 63.5, 56.5, 63.5];
        let (c, starts) = columns(heights.len(), run, 200.0 * MB, |r, age| {
            200.0 * MB + heights[r] * MB * age as f64 / run as f64
        });
        let falls = collector_drops(&c, &starts, 6.0 * MB, &cfg);
        assert!(falls.collector, "{falls:?}");
        let falls = collector_drops(&c, &starts, 1.0 * MB, &cfg);
        assert!(!falls.collector, "{falls:?}");
    }

    /// Runs of the given lengths (five-minute buckets), each a straight line from its floor
    /// to its peak, the fall bucket at the run's floor: a sawtooth of old generations (or
    /// of restarted leaks) as the restart search cut it.
    fn sawtooth_runs(
        lens: &[usize],
        floor: impl Fn(usize) -> f64,
        peak: impl Fn(usize) -> f64,
    ) -> (Columns, Vec<usize>) {
        let (mut lo, mut starts) = (Vec::new(), vec![0]);
        for (r, &len) in lens.iter().enumerate() {
            if r > 0 {
                starts.push(lo.len());
            }
            let (a, b, at) = (floor(r), peak(r), lo.len());
            lo.extend(
                (0..len)
                    .map(|age| a + (b - a) * age as f64 / len as f64 + wobble(at + age, 0.5 * MB)),
            );
        }
        (five_minute_buckets(lo), starts)
    }

    /// A collector whose full collections come when the old generation reaches one height
    /// (520 MB), after runs of 6.5 to 7.5 h as the load fills it faster or slower, and give back
    /// to the live set at 400 MB — but one of them, a deeper collection, to 370 MB. The peaks
    /// are one height and the runs' lengths vary beyond the rises: a threshold's cycles. The
    /// plain spread of the floors (11 MB, over 5 % of the 120 MB height) let that one run
    /// veto the others; read robustly the floors are one height. (Without the robust reading
    /// this fails.) Counter-cases: the same floors under a schedule (every run 7 h long, a
    /// leak restarted by a cron) stay unread as a collector's, and so does a leak at one pace
    /// cut at irregular times (its rises follow its lengths).
    /// The counter-cases of a threshold's cycles landing at `floor(run)`: a schedule (every
    /// run as long as the others: a leak restarted by a cron) and a leak at 15 MB/h cut after
    /// runs of `lens` (its heights follow its lengths) are not a collector's.
    fn no_collectors_cycles_where_runs_are_timed(
        lens: &[usize],
        floor: impl Fn(usize) -> f64 + Copy,
        cfg: &Cfg,
    ) {
        let (c, starts) = sawtooth_runs(&[84; 8], floor, |_| 520.0 * MB);
        let falls = collector_drops(&c, &starts, 2.0 * MB, cfg);
        assert!(!falls.collector, "a schedule: {falls:?}");
        let (c, starts) = sawtooth_runs(lens, floor, |r| {
            floor(r) + 15.0 * MB * lens[r] as f64 / 12.0
        });
        let falls = collector_drops(&c, &starts, 2.0 * MB, cfg);
        assert!(!falls.collector, "a leak cut at irregular times: {falls:?}");
    }

    #[test]
    fn one_deeper_collection_does_not_veto_a_threshold() {
        let cfg = RecognizeOptions::default().cfg();
        let floor = |r: usize| if r == 3 { 370.0 * MB } else { 400.0 * MB };
        let lens = [84, 90, 78, 84, 90, 78, 84, 60];
        let (c, starts) = sawtooth_runs(&lens, floor, |_| 520.0 * MB);
        let falls = collector_drops(&c, &starts, 2.0 * MB, &cfg);
        assert!(falls.collector, "{falls:?}");
        no_collectors_cycles_where_runs_are_timed(&lens, floor, &cfg);
    }

    /// A collector whose full collections come when the old generation reaches one height
    /// (520 MB), after runs of 4 to 11 h as the load fills it faster or slower, and land on a
    /// live set that moves with the load, 385 to 415 MB with no trend — one of them 100 MB
    /// deeper (where a run whose line spans a collection the falls did not cut starts).
    /// The peaks are one height and the runs' lengths vary beyond the rises: a threshold's
    /// cycles, wherever they landed (without `triggered` this fails: the floors spread too
    /// far for `stationary` and `floor_held`, and the deep one keeps the rises from reading
    /// level). Counter-cases: the same runs with the floors climbing 6 MB a run to the same
    /// trigger (a leak under the collector; without the floors' trend test this fails), runs
    /// of one length (a leak restarted by a cron), and a leak at one pace cut at irregular
    /// times (its heights follow its lengths) are not a collector's.
    #[test]
    fn runs_ending_at_one_height_are_a_collectors_wherever_the_live_set_left_them() {
        let cfg = RecognizeOptions::default().cfg();
        let lens = [84usize, 48, 132, 60, 120, 54, 108, 84];
        let landed = [400.0, 395.0, 410.0, 300.0, 405.0, 385.0, 415.0, 395.0];
        let floor = |r: usize| landed[r] * MB;
        let (c, starts) = sawtooth_runs(&lens, floor, |_| 520.0 * MB);
        let falls = collector_drops(&c, &starts, 2.0 * MB, &cfg);
        assert!(falls.collector, "{falls:?}");
        // The floors climb run after run to the same trigger: a leak under the collector.
        let climbing = |r: usize| floor(r) + 6.0 * MB * r as f64;
        let (c, starts) = sawtooth_runs(&lens, climbing, |_| 520.0 * MB);
        let falls = collector_drops(&c, &starts, 2.0 * MB, &cfg);
        assert!(!falls.collector, "{falls:?}");
        no_collectors_cycles_where_runs_are_timed(&lens, floor, &cfg);
    }

    /// A JVM's old generation: it fills at 12 to 18 MB/h as the load promotes objects and a
    /// full collection comes when it reaches a threshold that moves from one cycle to the
    /// next, so the runs last 5 to 7.5 h and their rises vary with both (neither one height
    /// nor a clock's or one pace's cut), and every collection frees back to the live set at
    /// 400 MB, where the next run starts, with no warm-up below it. Three falls or more back
    /// to one floor, none showing a new process, are a collector's (without `floor_held` this
    /// fails). Counter-cases: one fall that dips 30 MB below the floor the run then holds (a
    /// new process warming up: a restarted leak), or floors that climb 20 MB a run (a leak
    /// under the collector), are not.
    #[test]
    fn falls_back_to_one_floor_with_no_new_process_are_a_collectors() {
        let cfg = RecognizeOptions::default().cfg();
        let lens = [84usize, 90, 66, 78, 60, 90, 72, 84];
        let pace = [15.0, 18.0, 12.0, 16.0, 13.0, 17.0, 14.0, 15.0];
        let rise = |r: usize| pace[r] * MB * lens[r] as f64 / 12.0;
        let (c, starts) = sawtooth_runs(&lens, |_| 400.0 * MB, |r| 400.0 * MB + rise(r));
        let falls = collector_drops(&c, &starts, 2.0 * MB, &cfg);
        assert!(falls.collector, "{falls:?}");
        // One fall undershoots the floor its run then holds: a new process.
        let (mut c, starts) = sawtooth_runs(&lens, |_| 400.0 * MB, |r| 400.0 * MB + rise(r));
        c.lo[starts[3]] -= 30.0 * MB;
        let falls = collector_drops(&c, &starts, 2.0 * MB, &cfg);
        assert!(!falls.collector, "{falls:?}");
        // The floor climbs from run to run: a leak under the collector.
        let floor = |r: usize| 400.0 * MB + 20.0 * MB * r as f64;
        let (c, starts) = sawtooth_runs(&lens, floor, |r| floor(r) + rise(r));
        let falls = collector_drops(&c, &starts, 2.0 * MB, &cfg);
        assert!(!falls.collector, "{falls:?}");
    }

    /// A JVM's old generation filling from 200 MB to 500 MB over 7 h under a band of minor
    /// collections 60 MB wide, its one full collection in view freeing it back to 200 MB: more
    /// than half the heap, as a collection of an old generation that is mostly garbage does.
    /// Under the band the halved floor shows no new process, and the fall may be a
    /// collector's (without the band test this fails). Counter-case: the same fall with the
    /// samples 2 MB apart in each bucket (a process's footprint, no collector in view) halves
    /// the floor as a restart does: a new process.
    #[test]
    fn a_full_collection_halving_the_floor_under_a_band_of_minor_ones_is_no_new_process() {
        let cfg = RecognizeOptions::default().cfg();
        let (mut c, starts) = sawtooth_runs(&[84, 84], |_| 200.0 * MB, |_| 500.0 * MB);
        let falls = collector_drops(&c, &starts, 2.0 * MB, &cfg);
        assert!(
            falls.new_process && !falls.may_be_collections(1),
            "{falls:?}"
        );
        for (h, l) in c.hi.iter_mut().zip(&c.lo) {
            *h = l + 60.0 * MB;
        }
        let falls = collector_drops(&c, &starts, 2.0 * MB, &cfg);
        assert!(
            !falls.new_process && falls.may_be_collections(1),
            "{falls:?}"
        );
    }

    /// A JVM's old generation filling from 200 MB to 500 MB in 7 h under a band of minor
    /// collections 60 MB wide, four full collections in view, each freeing it back to 200 MB:
    /// more than half the heap every time. Under the band the halved floors show no new
    /// process, and the falls, from one height to one floor, are a collector's (without the
    /// band test in `collector` this fails: the halvings vetoed it). Counter-case: the same
    /// falls with the samples 2 MB apart in each bucket (a process's footprint, no collector
    /// in view) are restarts.
    #[test]
    fn full_collections_halving_the_floor_under_a_band_of_minor_ones_are_a_collectors() {
        let cfg = RecognizeOptions::default().cfg();
        let (mut c, starts) = sawtooth_runs(&[84; 5], |_| 200.0 * MB, |_| 500.0 * MB);
        let falls = collector_drops(&c, &starts, 2.0 * MB, &cfg);
        assert!(!falls.collector && falls.new_process, "{falls:?}");
        for (h, l) in c.hi.iter_mut().zip(&c.lo) {
            *h = l + 60.0 * MB;
        }
        let falls = collector_drops(&c, &starts, 2.0 * MB, &cfg);
        assert!(falls.collector && !falls.new_process, "{falls:?}");
    }

    /// Counter-case to `one_deeper_collection_does_not_veto_a_threshold`: its collector (runs
    /// of 6.5 to 7.5 h to one height, one deeper collection), sampled every 5 min, over a
    /// live set that leaks 3 MB/h, every floor and peak some 21 MB above the one before. The
    /// runs' lengths vary beyond their rises, so the robust reading applies, and it reads the
    /// floors and peaks as climbing, not one height: the whole series is still a leak.
    #[test]
    fn a_leak_under_a_threshold_collector_is_still_flagged() {
        let cfg = RecognizeOptions::default().cfg();
        let lens = [84usize, 90, 78, 84, 90, 78, 84, 60];
        let series = |leak: f64| {
            let mut out = Vec::new();
            for (r, &len) in lens.iter().enumerate() {
                let floor = if r == 3 { 370.0 * MB } else { 400.0 * MB };
                for age in 0..len {
                    let i = out.len();
                    let t = 300.0 * i as f64;
                    let saw = floor + (520.0 * MB - floor) * age as f64 / len as f64;
                    out.push((t, saw + leak * t / H + wobble(i, 0.5 * MB)));
                }
            }
            out
        };
        let e = evaluate(&bucketed(300.0, series(3.0 * MB).into_iter()), &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
    }

    /// A collector's sawtooth (an old generation filling by 120 MB over 8 h, then a full
    /// collection back to 420 MB), recorded from halfway up a cycle: the restart search,
    /// with no start of that first run to compare with, misses the first fall, so the first
    /// run in view holds the tail of one cycle and the whole of the next. Its end is read over
    /// no more than the longest complete run: every run ends at one height, a collector's.
    #[test]
    fn the_first_run_in_view_is_read_over_one_run_length_before_its_fall() {
        let cfg = RecognizeOptions::default().cfg();
        let (run, low, height) = (96usize, 420.0 * MB, 120.0 * MB);
        let cycle = |age: usize| low + height * age as f64 / run as f64;
        // The tail of a cycle, the fall the search missed, then a whole cycle.
        let mut lo: Vec<f64> = (run / 2..run).map(cycle).collect();
        lo.extend((0..run).map(cycle));
        let mut starts = vec![0];
        for r in 0..4 {
            starts.push(lo.len());
            lo.push(low);
            lo.extend((1..run).map(|age| cycle(age) + wobble(r * run + age, 2.0 * MB)));
        }
        let c = five_minute_buckets(lo);
        let falls = collector_drops(&c, &starts, 6.0 * MB, &cfg);
        assert!(falls.collector, "{falls:?}");
    }

    /// A trailing window of six hours in five-minute buckets of a process that leaks 90 MB/h
    /// and is restarted by a cron every 65 min: it warms up within minutes, from 30 MB below
    /// where the run starts. The window opens five minutes before a restart, whose fall it
    /// cannot judge (it never saw the run before); the restarts after it it can: their runs
    /// are all in view. The same clock over a collector's sawtooth, which falls to where its
    /// runs start with no warm-up, stays its cycles.
    #[test]
    fn a_window_opening_just_before_a_restart_still_sees_the_restarts_after_it() {
        let cfg = window_cfg();
        let run = 3900.0;
        let window = |f: &dyn Fn(f64) -> f64| {
            let samples = (0..72).map(|i| {
                let t = i as f64 * 300.0 + run - 300.0;
                (t, f(t % run) + wobble(i, 2.0 * MB))
            });
            bucketed(300.0, samples)
        };
        let leak = window(&|age| {
            let warm = if age < 300.0 { -30.0 * MB } else { 0.0 };
            1000.0 * MB + warm + 90.0 * MB * age / H
        });
        let e = evaluate(&leak, &cfg);
        assert!(e.restarts >= 4, "{e:?}");
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        let sawtooth = window(&|age| 1000.0 * MB + 90.0 * MB * age / H);
        let e = evaluate(&sawtooth, &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
    }

    #[test]
    fn run_tails_whose_warm_up_leaves_no_slope_are_no_leak() {
        let cfg = RecognizeOptions::default().cfg();
        // A little noise, the same in every run's place (a fit on exact curves leaves
        // residuals of rounding alone).
        let noise = |r: usize, a: usize| run_noise(r, a, 0.3 * MB);
        // Runs of 24 buckets (2 h), each a warm-up of τ 11 buckets toward 700 MB more: the
        // last quarters keep 60 % of the third ones' pace or more, as a leak's would, but the
        // pace falls all through the run, and with the warm-up fitted no slope is left.
        let fill = |r: usize, a: usize| {
            400.0 * MB + 700.0 * MB * (1.0 - (-(a as f64) / 11.0).exp()) + noise(r, a)
        };
        let (c, starts) = columns(6, 24, 390.0 * MB, fill);
        let runs = run_spans(&starts, 2, c.t.len(), 1);
        let (slope, se) =
            warmup_slope(&c.run_floors(), &runs, 12.0 * 300.0, false).expect("enough buckets");
        assert!(slope < 2.0 * se, "{slope} {se}");
        assert_eq!(run_tails(&c, &starts, 0.2 * MB, 12, false, &cfg), None);
        // A leak of 5 MB a bucket (60 MB/h) after a warm-up of τ 2 buckets: the slope stands.
        let leak = |r: usize, a: usize| {
            400.0 * MB
                + 700.0 * MB * (1.0 - (-(a as f64) / 2.0).exp())
                + 5.0 * MB * a as f64
                + noise(r, a)
        };
        let (c, starts) = columns(6, 24, 390.0 * MB, leak);
        let (slope, se) =
            warmup_slope(&c.run_floors(), &runs, 12.0 * 300.0, false).expect("enough buckets");
        let per_hour = slope * 3600.0 / MB;
        assert!(
            (55.0..65.0).contains(&per_hour) && slope > 10.0 * se,
            "{per_hour} {se}"
        );
        assert!(run_tails(&c, &starts, 0.2 * MB, 12, false, &cfg).is_some());
    }

    #[test]
    fn run_tails_whose_slope_is_one_runs_wander_are_no_leak_and_a_leak_in_every_run_is() {
        let cfg = RecognizeOptions::default().cfg();
        let noise = |r: usize, a: usize| run_noise(r, a, 0.3 * MB);
        // Warm-ups of τ 11 buckets (as in the test above), each run drifting at its own pace
        // and direction (load that differs from run to run, a level that wanders over hours):
        // MB a bucket. Read as independent buckets the common slope is significant; left one
        // run out at a time, the slope moves by as much as it is: no run-after-run slope.
        let drift = [0.0, 3.0, 0.0, 2.0, -1.0, 1.0];
        let fill = |r: usize, a: usize| {
            400.0 * MB
                + 700.0 * MB * (1.0 - (-(a as f64) / 11.0).exp())
                + drift[r] * MB * a as f64
                + noise(r, a)
        };
        let (c, starts) = columns(6, 24, 390.0 * MB, fill);
        let runs = run_spans(&starts, 1, c.t.len(), 0);
        let (slope, se) =
            warmup_slope(&c.run_floors(), &runs, 12.0 * 300.0, false).expect("enough buckets");
        assert!(slope >= 2.0 * se, "{slope} {se}");
        let (slope, se) =
            warmup_slope(&c.run_floors(), &runs, 12.0 * 300.0, true).expect("enough buckets");
        assert!(slope < 2.0 * se, "{slope} {se}");
        assert_eq!(run_tails(&c, &starts, 0.2 * MB, 12, false, &cfg), None);
        // The counter-case: a leak of 3 MB a bucket in every run on top of the same wander
        // stands beyond the runs' spread.
        let leak = |r: usize, a: usize| fill(r, a) + 3.0 * MB * a as f64;
        let (c, starts) = columns(6, 24, 390.0 * MB, leak);
        let (slope, se) =
            warmup_slope(&c.run_floors(), &runs, 12.0 * 300.0, true).expect("enough buckets");
        assert!(slope >= 2.0 * se, "{slope} {se}");
        assert!(run_tails(&c, &starts, 0.2 * MB, 12, false, &cfg).is_some());
    }

    #[test]
    fn a_slope_that_a_slower_warm_up_fitting_as_well_leaves_out_is_no_leak() {
        // Runs of 12 buckets (an hour), each a slow warm-up (τ 4 buckets, a third of the run)
        // of 1.5 GB, with noise of 10 MB that differs from bucket to bucket: the best time
        // constant comes out a little fast, which leaves a common slope of some 40 MB/h, four
        // of its errors at that time constant, in every run alike (the jackknife does not
        // see it). The true time constant fits about as well and leaves none.
        let noise = |r: usize, a: usize| run_noise(r, a, 10.0 * MB);
        let fill = |r: usize, a: usize| {
            2000.0 * MB + 1500.0 * MB * (1.0 - (-(a as f64) / 4.0).exp()) + noise(r, a)
        };
        let (c, starts) = columns(7, 12, 1700.0 * MB, fill);
        let runs = run_spans(&starts, 2, c.t.len(), 1);
        let (slope, se) =
            warmup_slope(&c.run_floors(), &runs, 6.0 * 300.0, false).expect("enough buckets");
        assert!(slope >= 2.0 * se, "{slope} {se}");
        let (slope, se) =
            warmup_slope(&c.run_floors(), &runs, 6.0 * 300.0, true).expect("enough buckets");
        assert!(slope < 2.0 * se, "{slope} {se}");
        // A leak of 3 MB a bucket (36 MB/h) in every run on the same warm-ups stands.
        let leak = |r: usize, a: usize| fill(r, a) + 3.0 * MB * a as f64;
        let (c, _) = columns(7, 12, 1700.0 * MB, leak);
        let (slope, se) =
            warmup_slope(&c.run_floors(), &runs, 6.0 * 300.0, true).expect("enough buckets");
        assert!(slope >= 2.0 * se, "{slope} {se}");
    }

    #[test]
    fn runs_after_restarts_whose_warm_ups_leave_no_slope_all_read_as_warm_ups() {
        let noise = |r: usize, a: usize| run_noise(r, a, 0.3 * MB);
        // Runs of 24 buckets, each a warm-up of τ 4 buckets toward 700 MB more: no slope.
        let fill = |r: usize, a: usize| {
            400.0 * MB + 700.0 * MB * (1.0 - (-(a as f64) / 4.0).exp()) + noise(r, a)
        };
        let (c, starts) = columns(6, 24, 390.0 * MB, fill);
        assert!(runs_only_warm_up(&c, &starts, 0.2 * MB, 6));
        // The same warm-ups with a leak of 5 MB a bucket on top: the slope stands.
        let leak = |r: usize, a: usize| fill(r, a) + 5.0 * MB * a as f64;
        let (c, starts) = columns(6, 24, 390.0 * MB, leak);
        assert!(!runs_only_warm_up(&c, &starts, 0.2 * MB, 6));
        // Warm-ups, but one run falls in its second half and warms up again (a restart the
        // search missed): the runs are not what they seem and tell nothing.
        let missed = |r: usize, a: usize| {
            if r == 3 && a >= 16 {
                fill(r, a - 16) - 100.0 * MB
            } else {
                fill(r, a)
            }
        };
        let (c, starts) = columns(6, 24, 290.0 * MB, missed);
        assert!(!runs_only_warm_up(&c, &starts, 0.2 * MB, 6));
        // Too few runs after restarts to read.
        let (c, starts) = columns(3, 24, 390.0 * MB, fill);
        assert!(!runs_only_warm_up(&c, &starts, 0.2 * MB, 6));
    }

    #[test]
    fn run_tails_that_slow_in_most_runs_are_no_leak_whatever_the_pooled_pace() {
        let cfg = RecognizeOptions::default().cfg();
        // Runs of 16 buckets, each filling towards a bound: every other run fast (τ 3
        // buckets, 200 MB), which levels off well inside its second half, the others slow
        // and large (τ 40 buckets, 2 GB), which slow little. The slow runs carry the pooled
        // quarters (the last keeps 86 % of the third's pace) but three of the five runs
        // read level off: no leak's runs.
        let fill = |run: usize, a: usize| {
            let (tau, size) = if run % 2 == 1 {
                (3.0, 200.0 * MB)
            } else {
                (40.0, 2000.0 * MB)
            };
            600.0 * MB + size * (1.0 - (-(a as f64) / tau).exp())
        };
        let (c, starts) = columns(6, 16, 590.0 * MB, fill);
        assert_eq!(run_tails(&c, &starts, 0.2 * MB, 12, false, &cfg), None);
    }

    #[test]
    fn run_tails_that_keep_rising_are_a_leak_and_tails_that_slow_are_not() {
        let cfg = RecognizeOptions::default().cfg();
        // Runs of 16 buckets (80 minutes): a warm-up of τ 2 buckets from 600 MB to 1.5 GB,
        // then 10 MB a bucket (120 MB/h).
        let leak = |a: usize| {
            600.0 * MB + 900.0 * MB * (1.0 - (-(a as f64) / 2.0).exp()) + 10.0 * MB * a as f64
        };
        let (c, starts) = columns(6, 16, 590.0 * MB, |_, a| leak(a));
        let (pace, _) = run_tails(&c, &starts, MB, 12, false, &cfg).expect("the tails rise");
        // (The warm-up's remnant in the second halves adds to the pace: 139 MB/h here.)
        let per_hour = pace * 3600.0 / MB;
        assert!((110.0..150.0).contains(&per_hour), "{per_hour}");
        // A warm-up alone, τ 5 buckets: the tails still rise, ever slower.
        let fill = |_, a: usize| 170.0 * MB + 80.0 * MB * (1.0 - (-(a as f64) / 5.0).exp());
        let (c, starts) = columns(6, 16, 165.0 * MB, fill);
        assert_eq!(run_tails(&c, &starts, 0.2 * MB, 12, false, &cfg), None);
        // A restart the search missed inside each run's second half: no single run's tail.
        let (c, starts) = columns(6, 16, 590.0 * MB, |_, a| {
            if a >= 12 {
                leak(a - 12)
            } else {
                leak(a + 4)
            }
        });
        assert_eq!(run_tails(&c, &starts, MB, 12, false, &cfg), None);
    }

    /// Runs whose tails pass the quarter test and leave a small common slope once an
    /// exponential warm-up is fitted — a warm-up that is no exact exponential (here one
    /// approaching its bound as 1/age, as a pool of many caches with different lifetimes
    /// fills) leaves a slope of a few standard errors in every run alike. When the runs were
    /// judged one by one and most found not leaking, that slope does not overrule them: it
    /// must stand `rise_sigmas` errors above 0, as a leak's does. A leak in every run stands
    /// far above either bar.
    #[test]
    fn run_tails_overruling_runs_judged_quiet_need_a_slope_of_six_errors() {
        let cfg = RecognizeOptions::default().cfg();
        // Runs of 16 five-minute buckets filling toward 120 MB more as age / (age + 8 buckets),
        // a scatter of ±2 MB: the tails keep their pace by the quarter test, and the
        // exponential warm-up fitted to them leaves a common slope about 3 errors above 0.
        let (amp, sigma) = (2.0 * MB, 0.58 * 2.0 * MB);
        let fill = |r: usize, a: usize| {
            let x = a as f64;
            300.0 * MB + 120.0 * MB * x / (x + 8.0) + run_noise(r, a, amp)
        };
        let (c, starts) = columns(6, 16, 295.0 * MB, fill);
        let runs = run_spans(&starts, 2, c.t.len(), 1);
        let (slope, se) =
            warmup_slope(&c.run_floors(), &runs, 7.5 * 300.0, true).expect("enough buckets");
        assert!((2.0 * se..6.0 * se).contains(&slope), "{slope} {se}");
        assert!(run_tails(&c, &starts, sigma, 12, false, &cfg).is_some());
        assert_eq!(run_tails(&c, &starts, sigma, 12, true, &cfg), None);
        // A leak of 3 MB a bucket (36 MB/h) after a fast warm-up, under the same scatter.
        let leak = |r: usize, a: usize| {
            let x = a as f64;
            300.0 * MB + 60.0 * MB * (1.0 - (-x / 2.0).exp()) + 3.0 * MB * x + run_noise(r, a, amp)
        };
        let (c, starts) = columns(6, 16, 295.0 * MB, leak);
        assert!(run_tails(&c, &starts, sigma, 12, true, &cfg).is_some());
    }

    /// Full collections under a young generation's 350 MB band, seen in buckets of 2.3 h (a
    /// summary of ten days): the old generation fills from 2.8 GB to 3.5 GB over 16 buckets
    /// and falls back. The second fall comes at the very end of its bucket (its mean still at
    /// the height before): that bucket's minimum, read from the few samples after the fall,
    /// stands 500 MB down, under 1.5 bands; the next bucket's minimum stands the whole 700 MB
    /// down. Both falls are found, and the runs between them are read as one collector's.
    #[test]
    fn a_fall_at_the_end_of_a_bucket_is_measured_to_the_floor_after_it() {
        let (band, width) = (350.0 * MB, 8192.0);
        let mut lo = Vec::new();
        let mut mean = Vec::new();
        for run in 0..4 {
            for age in 0..16 {
                let v = 2800.0 * MB + 700.0 * MB * age as f64 / 15.0;
                lo.push(v);
                mean.push(v + 0.5 * band);
            }
            if run == 1 {
                // The fall in the last minutes of the run's last bucket.
                let last = lo.len() - 1;
                lo[last] = 3000.0 * MB;
            }
        }
        let n = lo.len();
        let t: Vec<f64> = (0..n).map(|i| width * (i as f64 + 0.5)).collect();
        let c = Columns {
            t_first: t.iter().map(|t| t - 0.5 * width).collect(),
            hi: lo.iter().map(|v| v + band).collect(),
            first: lo.clone(),
            last: lo.clone(),
            n: vec![68; n],
            t,
            lo,
            mean,
        };
        let cfg = RecognizeOptions::default().cfg();
        let starts = find_restarts(&c, (4.0 * MB, 4.0 * MB), &cfg, &mut Vec::new());
        assert_eq!(starts, vec![0, 16, 31, 48], "{starts:?}");
        assert!(collector_drops(&c, &starts, 4.0 * MB, &cfg).collector);
    }

    /// Full collections of an old generation under a young generation's 32 MB band, seen in
    /// buckets of 2.25 h (a summary of ten days, as `gc-major-minor` draws it): the old
    /// generation fills from 142 MB to 220 MB over 30 buckets, except once, when a lower
    /// threshold sends it to 208 MB in 7 buckets (11 MB a bucket). Each bucket's maximum
    /// stands the band plus the bucket's own climb above its minimum; in the fast run that
    /// climb makes the spread 43 MB, and the fall that ends it (55 MB below the floor of the
    /// two buckets before) would be under 1.5 bands. The floor climbed in every bucket of
    /// that run: the climb is taken out of the band, and every fall is found, the runs read
    /// as one collector's cycles.
    #[test]
    fn a_full_collection_after_a_fast_filling_run_is_measured_against_its_minor_band() {
        let (band, width) = (32.0 * MB, 8100.0);
        let (mut lo, mut hi, mut mean) = (Vec::new(), Vec::new(), Vec::new());
        for (len, top) in [
            (30, 220.0),
            (7, 208.0),
            (30, 220.0),
            (30, 220.0),
            (10, 170.0),
        ] {
            let step = (top - 142.0) * MB / (len - 1) as f64;
            for age in 0..len {
                let v = 142.0 * MB + step * age as f64;
                lo.push(v);
                hi.push(v + band + step);
                mean.push(v + 0.5 * (band + step));
            }
        }
        let n = lo.len();
        let t: Vec<f64> = (0..n).map(|i| width * (i as f64 + 0.5)).collect();
        let c = Columns {
            t_first: t.iter().map(|t| t - 0.5 * width).collect(),
            first: lo.clone(),
            last: lo.clone(),
            n: vec![68; n],
            t,
            hi,
            lo,
            mean,
        };
        let cfg = RecognizeOptions::default().cfg();
        let starts = find_restarts(&c, (4.0 * MB, 4.0 * MB), &cfg, &mut Vec::new());
        assert_eq!(starts, vec![0, 30, 37, 67, 97], "{starts:?}");
        assert!(collector_drops(&c, &starts, 4.0 * MB, &cfg).collector);
    }

    /// The last hour of a service restarted by a cron every 3.9 h, each new process warming
    /// up toward 800 MB with a time constant of 1.5 h: the window opens 3.15 h into a run
    /// (its start out of view), whose tail still climbs 22 MB in the 45 min before the
    /// restart, and sees 15 min of the next run climbing 69 MB from 350 MB. The cut
    /// tail alone reads as a leaking run, and the young run inherits it; the young run climbs
    /// far faster than the cut run did, so the leak is marked as resting on the cut run (the
    /// whole series, which saw that run whole, decides; see `window_confirms`). A leak
    /// restarted, regrowing at the pace it kept before the restart, is not marked.
    #[test]
    fn a_window_leak_resting_on_its_cut_run_is_marked_when_the_young_run_outpaces_it() {
        let cfg = window_cfg();
        let warm = |age: f64| 350.0 * MB + 450.0 * MB * (1.0 - (-age / (1.5 * H)).exp());
        let warm_ups = |t: f64| {
            let age = if t < 0.75 * H {
                3.15 * H + t
            } else {
                t - 0.75 * H
            };
            warm(age) + jitter(t, MB)
        };
        let e = evaluate(&summary(1.0, warm_ups), &cfg);
        assert_eq!(e.restarts, 1, "{e:?}");
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        assert!(e.cut_run_leak, "{e:?}");
        let leak = |t: f64| {
            let age = if t < 0.75 * H {
                3.15 * H + t
            } else {
                t - 0.75 * H
            };
            100.0 * MB + 60.0 * MB * age / H + jitter(t, MB)
        };
        let e = evaluate(&summary(1.0, leak), &cfg);
        assert_eq!(e.restarts, 1, "{e:?}");
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        assert!(!e.cut_run_leak, "{e:?}");
    }

    /// The last day of a service, in the day window's 15-minute buckets: the run the window's
    /// leading edge cuts holds 1 GB for `cut` seconds, a restart halves the floor to a flat run
    /// at 400 MB for 8 h, and a second restart starts a run climbing 40 MB/h from 150 MB for
    /// the rest of the day. A restart is found 20 min into a view at the earliest (the halving
    /// rule), where a 15-minute bucket is the second one: a cut run of 45 min holds three
    /// buckets, too few to judge (six). Then the flat run after it, seen from restart to
    /// restart, is no cut run, and the climb is not marked as outpacing one; with 3 h of the
    /// cut run in view (twelve buckets, judged flat), it is.
    #[test]
    fn a_cut_run_too_short_to_judge_is_not_taken_for_the_complete_run_after_it() {
        let cfg = window_cfg();
        let day = |cut: f64| {
            bucketed(
                900.0,
                (0..2880).map(move |i| {
                    let t = i as f64 * 30.0;
                    let v = if t < cut {
                        1000.0 * MB
                    } else if t < cut + 8.0 * H {
                        400.0 * MB
                    } else {
                        150.0 * MB + 40.0 * MB * (t - cut - 8.0 * H) / H
                    };
                    (t, v + jitter(t, MB))
                }),
            )
        };
        let e = evaluate(&day(0.75 * H), &cfg);
        assert_eq!(e.restarts, 2, "{e:?}");
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        assert!(!e.outpaces_cut_run, "{e:?}");
        let e = evaluate(&day(3.0 * H), &cfg);
        assert_eq!(e.restarts, 2, "{e:?}");
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        assert!(e.outpaces_cut_run, "{e:?}");
    }

    /// 800 MB under business hours' traffic (`swing` MB by day, 4 MB of jitter), leaking
    /// `rate` MB an hour of it, for `hours` from `start` o'clock.
    fn business_day(hours: f64, start: f64, swing: f64, rate: f64) -> Vec<Bucket> {
        summary(hours, move |t| {
            let h = t / H;
            800.0 * MB
                + swing * MB * business_hours(start + h, 1.0)
                + rate * MB * busy(|x| business_hours(x, 1.0), start, h)
                + jitter(t, 4.0 * MB)
        })
    }

    /// 40 h from midnight of a process leaking 30 MB an hour of business hours' traffic,
    /// which swings it by 100 MB: its floor climbs by day and holds at night, bursts a
    /// stretch's floor reads as growth in bursts, but the series cycles with the day (its
    /// days repeat and its means come down every evening): a leak under the cycle. The same
    /// daily residue with no traffic swing (a nightly batch's, say) never comes down: no
    /// daily cycle to name.
    #[test]
    fn bursts_of_growth_under_a_daily_cycle_are_a_leak_under_the_cycle() {
        let cfg = RecognizeOptions::default().cfg();
        let e = evaluate(&business_day(40.0, 0.0, 100.0, 30.0), &cfg);
        assert_eq!(e.kind, VerdictKind::Leak, "{e:?}");
        assert_eq!(e.pattern, Pattern::LeakUnderCycle, "{e:?}");
        let r = runs(&business_day(40.0, 0.0, 0.0, 30.0), &cfg);
        assert!(daily_troughs(&r.c, r.sigma2).is_none());
    }

    /// Business hours' traffic that swings a process by 300 MB and leaks nothing, 40 h from
    /// midnight and 44 h from 6:00: the judged stretch (after an evening's fall) rose once and
    /// held, a step or a fill to its floor, but the series cycles with the day: cyclic. A
    /// deploy's level change that holds does not come down: still a step.
    #[test]
    fn a_rise_that_held_under_a_daily_cycle_is_the_cycle() {
        let cfg = RecognizeOptions::default().cfg();
        for (hours, start) in [(40.0, 0.0), (44.0, 6.0)] {
            let e = evaluate(&business_day(hours, start, 300.0, 0.0), &cfg);
            assert_eq!(e.kind, VerdictKind::NoLeak, "{hours} h from {start}: {e:?}");
            assert_eq!(e.pattern, Pattern::Cyclic, "{hours} h from {start}: {e:?}");
        }
        let deploy = summary(40.0, |t| {
            800.0 * MB + if t > 10.0 * H { 300.0 * MB } else { 0.0 } + jitter(t, 4.0 * MB)
        });
        let e = evaluate(&deploy, &cfg);
        assert_eq!(e.kind, VerdictKind::NoLeak, "{e:?}");
        assert_eq!(e.pattern, Pattern::Step, "{e:?}");
    }
}
