//! A slow leak under heavy noise, judged on the whole run at once.
//!
//! The floor (minima) of a run scatters by the full noise, wander included, and so do the
//! means of a twelfth of it when the noise wanders over hours: a leak of 170 KB/h over 44 h
//! (7.6 MB) under 5 MB of noise never stands 6 noise scales above it at any one place. Its
//! trend over the whole run is still clear: the means of [`BLOCKS`] blocks of the run, each
//! many times longer than the noise's correlation time, scatter little, and the standard error
//! of a line fitted through 16 of them is under a block's scatter. The test reads that line's
//! rise against its own standard error, widened by the residuals' lag-one autocorrelation
//! (blocks that are not independent carry less evidence), and asks what the floor asks of a
//! leak otherwise: the smallest rise and growth, monotony, a rise spread over the run (no
//! step) that does not slow down the way a fill does.

use super::stats::{median, median_mut, mk_tau, MAD_TO_SD};
use super::stretch::{Cfg, Cols};

/// Blocks the run is cut into: enough for a trend test with an honest standard error, few
/// enough that each block averages many buckets.
const BLOCKS: usize = 16;

/// Shortest run judged, seconds: each block then averages 15 minutes or more of samples, past
/// a collector's cycles and the minutes-long noise; shorter runs are judged by the floor.
const MIN_SPAN_S: f64 = 4.0 * 3600.0;

/// How many times `rise_sigmas` standard errors a whole-run rise must stand above its noise
/// for the rise floor to give way to the growth floor (see [`slow_trend`]).
const MEASURED_RISE_SIGMAS: f64 = 2.0;

/// What the whole-run trend test found, when it found a leak.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct SlowTrend {
    /// Growth (Theil–Sen slope of the block means), bytes per second.
    pub growth_bps: f64,
    /// Rise of the fitted line over the whole run, bytes.
    pub rise: f64,
    /// The rise a leak needs here: `rise_sigmas` standard errors of the rise, and the rise
    /// floor.
    pub rise_needed: f64,
    /// The least rise it asked whatever the noise, bytes.
    pub rise_floor: f64,
    /// Mann–Kendall τ of the block means.
    pub tau: f64,
}

/// Theil–Sen slope of `y` against `x`: the median of all pairwise slopes (≤ 120 pairs here).
fn theil_sen(x: &[f64], y: &[f64], s: &mut Vec<f64>) -> f64 {
    s.clear();
    for i in 0..x.len() {
        for j in i + 1..x.len() {
            if x[j] > x[i] {
                s.push((y[j] - y[i]) / (x[j] - x[i]));
            }
        }
    }
    if s.is_empty() {
        return 0.0;
    }
    median_mut(s)
}

/// Least sum of squares left by a fit of `y` as one, two or three flat levels (one or two
/// jumps, anywhere).
fn steps_rss(y: &[f64]) -> f64 {
    let rss = |a: usize, b: usize| {
        let m = y[a..b].iter().sum::<f64>() / (b - a) as f64;
        y[a..b].iter().map(|v| (v - m) * (v - m)).sum::<f64>()
    };
    let n = y.len();
    let mut best = rss(0, n);
    for i in 1..n {
        best = best.min(rss(0, i) + rss(i, n));
        for j in i + 1..n {
            best = best.min(rss(0, i) + rss(i, j) + rss(j, n));
        }
    }
    best
}

/// Scale of the noise of the block means `y` read from their successive differences, robustly
/// (1.4826 × their MAD about the median difference, over √2): a fill's bend changes
/// neighbouring differences little and a step moves one of them, so neither reads as noise,
/// where the scatter about a line counts all of a bend as noise.
fn diff_noise(y: &[f64], s: &mut Vec<f64>) -> f64 {
    s.clear();
    s.extend(y.windows(2).map(|w| w[1] - w[0]));
    let m = median_mut(s);
    for v in s.iter_mut() {
        *v = (*v - m).abs();
    }
    MAD_TO_SD * median_mut(s) / std::f64::consts::SQRT_2
}

/// √Σ(x − x̄)²: a slope fitted through points at `x` has a standard error of the noise over
/// this.
fn spread_of(x: &[f64]) -> f64 {
    let m = x.iter().sum::<f64>() / x.len() as f64;
    x.iter().map(|t| (t - m) * (t - m)).sum::<f64>().sqrt()
}

/// True when a shape statistic that must not be negative (`stat`, a shape test's margin over
/// its bar) fails, and by more than noise explains: a straight line under the measured noise
/// would give it `expected` with standard error `se`, and it lies two standard errors below
/// that. A slow leak under heavy noise is a line whose thirds and halves scatter by about
/// as much as it rises; its shape cannot be told from a line's, so noise must not fail it
/// where a fill's bend or a step, read against the same noise, still does.
fn short_of_a_line(stat: f64, expected: f64, se: f64) -> bool {
    stat < 0.0 && stat < expected - 2.0 * se
}

/// The whole-run trend test on the stretch `c` (a run between restarts, judged whole): a
/// leak when the line through the means of [`BLOCKS`] blocks
/// * rises by `rise_sigmas` standard errors of its rise (the blocks' residual scatter, robust,
///   widened by `√((1 + ρ)/(1 − ρ))` for their lag-one autocorrelation ρ: a wander slower than
///   a block counts as fewer independent blocks), by the rise floor and at the smallest growth;
/// * mostly monotonically (Mann–Kendall τ of the block means ≥ `min_tau`);
/// * spread over the run: each third's mean stands above the one before by a fifth of the
///   rise — a step, a deploy or a batch load, rises in one place and is flat elsewhere;
/// * steady: each half's slope at least half the other's (a fill approaching its bound within
///   the run slows by more; a climb of the second half alone started late);
/// * (these two shape tests fail a run only when it misses their bar by two standard errors
///   more than a straight line would, the noise read from the successive differences of the
///   block means: [`short_of_a_line`]);
/// * when the floor read a step (`after_step`), not fitted far better by one or two jumps
///   between flat levels: the line must leave no more than twice the residual that steps do.
pub(crate) fn slow_trend(c: &Cols, cfg: &Cfg, after_step: bool) -> Option<SlowTrend> {
    let n = c.t.len();
    if n < 2 * BLOCKS || c.t[n - 1] - c.t[0] < MIN_SPAN_S {
        return None;
    }
    // Block means, weighted by the samples in each bucket.
    let (mut x, mut y) = ([0.0f64; BLOCKS], [0.0f64; BLOCKS]);
    for k in 0..BLOCKS {
        let (a, b) = (k * n / BLOCKS, (k + 1) * n / BLOCKS);
        let (mut w, mut sx, mut sy) = (0.0, 0.0, 0.0);
        for i in a..b {
            let wi = f64::from(c.n[i].max(1));
            w += wi;
            sx += wi * c.t[i];
            sy += wi * c.mean[i];
        }
        x[k] = sx / w;
        y[k] = sy / w;
    }
    // (Monotony first: it is the cheapest test, and most runs that reach here are flat.)
    let tau = mk_tau(&y, 0.0);
    if tau < cfg.min_tau {
        return None;
    }
    let mut s = Vec::with_capacity(BLOCKS * BLOCKS / 2);
    let g = theil_sen(&x, &y, &mut s);
    let mut r = [0.0f64; BLOCKS];
    for k in 0..BLOCKS {
        r[k] = y[k] - g * x[k];
    }
    let centre = median(&r, &mut s);
    let mut abs = [0.0f64; BLOCKS];
    for k in 0..BLOCKS {
        r[k] -= centre;
        abs[k] = r[k].abs();
    }
    let ss: f64 = r.iter().map(|v| v * v).sum();
    // The larger of the robust (MAD) and the plain (RMS about the line) scatter: from 16
    // blocks either alone misjudges the noise by a quarter now and then, and a test that
    // reads the rise in standard errors must not take its noise for smaller than it is.
    let scatter = (MAD_TO_SD * median(&abs, &mut s))
        .max((ss / (BLOCKS - 2) as f64).sqrt())
        .max(cfg.min_noise);
    // Lag-one autocorrelation of the residuals, corrected for its small-sample bias
    // (E[r] ≈ ρ − (1 + 3ρ)/k, Marriott–Pope): a wander as slow as a block leaves neighbouring
    // blocks alike, and fewer independent ones.
    let rho = if ss > 0.0 {
        let r1 = r.windows(2).map(|w| w[0] * w[1]).sum::<f64>() / ss;
        let k = BLOCKS as f64;
        ((k * r1 + 1.0) / (k - 3.0)).clamp(0.0, 0.9)
    } else {
        0.0
    };
    // (When the floor read a step: one or two jumps between flat levels must not fit the
    // means far better than the line does. A deploy's means are flat between its jumps; a
    // leak's keep climbing between any two, and a line fits them as well as steps do.)
    if after_step && steps_rss(&y) < 0.5 * ss {
        return None;
    }
    let x_mean = x.iter().sum::<f64>() / BLOCKS as f64;
    let sxx: f64 = x.iter().map(|t| (t - x_mean) * (t - x_mean)).sum();
    let span = x[BLOCKS - 1] - x[0];
    if sxx <= 0.0 || span <= 0.0 {
        return None;
    }
    // The line's rise over the whole run, not only between the first and the last block's
    // centres (a sixteenth of the run shorter): the rise floor is asked of the run.
    let run = c.t[n - 1] - c.t[0];
    let se_rise = scatter * run / sxx.sqrt() * ((1.0 + rho) / (1.0 - rho)).sqrt();
    let rise = g * run;
    let level = || c.mean.iter().sum::<f64>() / n as f64;
    // The rise floor stands in for noise a stretch cannot measure (allocator noise, page
    // rounding, jitter: the module doc's # Minimums). Here the run's noise is measured, on
    // block means that each average a quarter of an hour or more: a rise that stands twice
    // the standard errors a leak needs above it is none of those, even were that noise
    // misjudged by half (the scatter of 16 blocks is off by a quarter now and then). It need
    // only grow at the smallest growth called a leak (4 MB a week, asked below), not reach
    // 4 MB (or 2 %) within the run: a steady 1.5 MB a day at 40 standard errors is a leak.
    // It still rises by the least rise any test calls a leak (1 MB for memory, the smallest
    // fall taken for a restart), its line and its bucket minima both (`Cfg::least_rise`):
    // under that a rise is the size of the floor's own jitter, and the fleet screen, which
    // reads only minima, settles what rises less.
    let floor = if rise >= MEASURED_RISE_SIGMAS * cfg.rise_sigmas * se_rise {
        cfg.least_rise()
    } else {
        cfg.rise_floor(level, run)
    };
    let rise_needed = (cfg.rise_sigmas * se_rise).max(floor);
    let third = |k: usize| {
        let (a, b) = (k * BLOCKS / 3, (k + 1) * BLOCKS / 3);
        y[a..b].iter().sum::<f64>() / (b - a) as f64
    };
    let (m1, m2, m3) = (third(0), third(1), third(2));
    // (The shape tests below fail a run only when it falls short of their bar by more than a
    // line under this noise would, see `short_of_a_line`.)
    let sd = diff_noise(&y, &mut s);
    let centre_x = |k: usize| {
        let (a, b) = (k * BLOCKS / 3, (k + 1) * BLOCKS / 3);
        (x[a..b].iter().sum::<f64>() / (b - a) as f64, (b - a) as f64)
    };
    let ((x1, n1), (x2, n2), (x3, n3)) = (centre_x(0), centre_x(1), centre_x(2));
    let bar = 0.2 * g * span;
    let spread = !short_of_a_line(
        m2 - m1 - bar,
        g * (x2 - x1) - bar,
        sd * (1.0 / n1 + 1.0 / n2).sqrt(),
    ) && !short_of_a_line(
        m3 - m2 - bar,
        g * (x3 - x2) - bar,
        sd * (1.0 / n2 + 1.0 / n3).sqrt(),
    );
    let h = BLOCKS / 2;
    let g1 = theil_sen(&x[..h], &y[..h], &mut s);
    let g2 = theil_sen(&x[h..], &y[h..], &mut s);
    // Steady: neither half's slope under half the other's. A fill slows by more within the
    // run; a climb confined to the second half is a late start (judged by the recent half)
    // or a wander, not a slope spread over the run.
    let (se1, se2) = (sd / spread_of(&x[..h]), sd / spread_of(&x[h..]));
    let steady = !short_of_a_line(g2 - 0.5 * g1, 0.5 * g, se2.hypot(0.5 * se1))
        && !short_of_a_line(g1 - 0.5 * g2, 0.5 * g, se1.hypot(0.5 * se2));
    (rise >= rise_needed
        && g >= cfg.min_growth_bps
        && tau >= cfg.min_tau
        && spread
        && steady
        && cfg.minima_show_least_rise(c.lo))
    .then_some(SlowTrend {
        growth_bps: g,
        rise,
        rise_needed,
        rise_floor: floor,
        tau,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::recognize::RecognizeOptions;

    /// The hourly block (0-15) of 16 h that `x` seconds fall in.
    fn hour_block(x: f64) -> usize {
        ((x / 3600.0) as usize).min(15)
    }

    /// A fixed draw of noise, one value per hourly block, in units of the block scatter.
    const BLOCK_NOISE: [f64; 16] = [
        0.6, 3.0, 0.0, 0.7, 0.1, 1.1, 0.5, 1.1, 0.4, 2.4, 1.4, -1.7, 0.3, 0.1, -2.2, -0.9,
    ];

    /// 16 h of 5-minute buckets whose means follow `f` plus a small alternating scatter.
    fn judge(f: impl Fn(f64) -> f64, after_step: bool) -> Option<SlowTrend> {
        judge_with(f, after_step, &RecognizeOptions::default())
    }

    /// As [`judge`], with the given options.
    fn judge_with(
        f: impl Fn(f64) -> f64,
        after_step: bool,
        o: &RecognizeOptions,
    ) -> Option<SlowTrend> {
        let t: Vec<f64> = (0..192).map(|i| 300.0 * i as f64).collect();
        let mean: Vec<f64> = t
            .iter()
            .enumerate()
            .map(|(i, &x)| f(x) + if i % 2 == 0 { 1e6 } else { -1e6 })
            .collect();
        let n = vec![15u32; t.len()];
        let c = Cols {
            t: &t,
            lo: &mean,
            hi: &mean,
            mean: &mean,
            first: &mean,
            last: &mean,
            n: &n,
        };
        slow_trend(&c, &o.cfg(), after_step)
    }

    /// A deploy's two held steps of 30 MB: the line rises many standard errors (its
    /// residuals alternate about it), but two jumps between flat levels fit the means far
    /// better; once the floor read a step, that is a step, not a slow leak. A steady climb
    /// of as much still reads as one after a step reading.
    #[test]
    fn after_a_step_the_means_must_climb_between_the_jumps() {
        let h = 3600.0;
        let steps = |x: f64| {
            500e6 + if x >= 5.0 * h { 30e6 } else { 0.0 } + if x >= 11.0 * h { 30e6 } else { 0.0 }
        };
        assert!(judge(steps, false).is_some());
        assert!(judge(steps, true).is_none());
        let line = |x: f64| 500e6 + 60e6 * x / (16.0 * h);
        assert!(judge(line, true).is_some());
    }

    /// A line rising 2.7 MB an hour for 16 h under 3 MB of noise on its hourly blocks (a
    /// fixed draw) reads its second half's slope under half its first's: the noise, not
    /// the shape, as the blocks' successive differences show; it is a slow leak. A cache
    /// filling toward its bound by as much (block means of a gen2 `cache-still-filling`
    /// series that rise 8 standard errors) slows by far more than its noise explains and
    /// is none.
    #[test]
    fn a_noisy_line_is_steady_and_a_fill_is_not() {
        let line = |x: f64| {
            let k = hour_block(x);
            500e6 + 3e6 * (0.9 * k as f64 + BLOCK_NOISE[k])
        };
        assert!(judge(line, false).is_some());
        let fill = [
            0.0, 303.0, 320.0, 493.0, 638.0, 766.0, 896.0, 996.0, 1091.0, 1170.0, 1254.0, 1329.0,
            1381.0, 1431.0, 1472.0, 1547.0,
        ];
        assert!(judge(|x: f64| 500e6 + 1e5 * fill[hour_block(x)], false).is_none());
    }

    /// A 60 MB process whose floor climbs a steady 1.5 MB over 16 h (94 KB/h, over the
    /// 4 MB-a-week growth floor) with its hourly blocks scattering by tens of KB: the rise
    /// stands tens of standard errors above its measured noise, so the 2 MB rise floor (the
    /// stand-in for unmeasured noise) gives way and it is a slow leak. The same climb under
    /// block noise ten times larger stands 6 to 12 standard errors up: a leak only once the
    /// rise floor is lowered, so the floor still stands there.
    #[test]
    fn a_rise_far_above_its_measured_noise_needs_no_rise_floor() {
        let line = |a: f64| {
            move |x: f64| {
                let k = hour_block(x);
                60e6 + 1.5e6 * k as f64 / 16.0 + a * BLOCK_NOISE[k]
            }
        };
        let no_floor = RecognizeOptions {
            min_rise_bytes: 1.0,
            ..RecognizeOptions::default()
        };
        assert!(judge(line(20e3), false).is_some());
        assert!(judge_with(line(150e3), false, &no_floor).is_some());
        assert!(judge(line(150e3), false).is_none());
    }

    /// The same steady climb, far above its measured noise, of 0.8 MB over 16 h (50 KB/h, over
    /// the growth floor): under the least rise any test calls a leak (1 MB), so no leak —
    /// the fleet screen settles such a series unfetched. At 1.2 MB it is one.
    #[test]
    fn a_rise_under_the_least_rise_is_no_leak() {
        let line = |rise: f64| move |x: f64| 60e6 + rise * hour_block(x) as f64 / 16.0;
        assert!(judge(line(0.8e6), false).is_none());
        assert!(judge(line(1.2e6), false).is_some());
    }
}
