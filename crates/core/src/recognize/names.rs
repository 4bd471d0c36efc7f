//! Shape tests that only choose a verdict's name (its [`crate::verdict::Pattern`]): whether a
//! stretch leaks, and how fast, is decided elsewhere and never changes here.
//!
//! Each test compares models of the stretch's bucket minima by how well they fit against how
//! many parameters they spend (the Bayesian information criterion), so that the scale of
//! "well" is the series' own scatter about each model, not a constant.

use super::stats::{
    acf_period, half_lag_slope, median_and_mad, median_mut, min_max, quantile_mut,
    second_diff_noise, solve, swing_10_90, MAD_TO_SD,
};
use crate::verdict::Pattern;

/// The Bayesian information criterion of a Gaussian model with `p` parameters that leaves
/// `sse` on `n` points (smaller is better). `floor` keeps a perfect fit finite.
fn bic(sse: f64, n: usize, p: usize, floor: f64) -> f64 {
    let n = n as f64;
    n * (sse.max(floor) / n).ln() + p as f64 * n.ln()
}

/// Fill the normal equations `a·β = b` of `y` on `cols` from column `from` on (the rows and
/// columns before it are already there, from the same leading columns): a fit that adds one
/// column to another reuses the sums of the columns they share.
fn normal_equations(
    cols: &[&[f64]],
    y: &[f64],
    from: usize,
    a: &mut [[f64; 3]; 3],
    b: &mut [f64; 3],
) {
    for j in from..cols.len() {
        for i in 0..=j {
            // (u·v and v·u are the same number: the matrix is symmetric to the bit.)
            a[i][j] = cols[i].iter().zip(cols[j]).map(|(u, v)| u * v).sum();
            a[j][i] = a[i][j];
        }
        b[j] = cols[j].iter().zip(y).map(|(u, v)| u * v).sum();
    }
}

/// Least-squares fit of `y` on the regressors `cols` (each a column of the same length as
/// `y`), from its normal equations already summed ([`normal_equations`]): the sum of squared
/// residuals; `None` when the columns are degenerate.
fn lsq_sse_of(cols: &[&[f64]], y: &[f64], a: [[f64; 3]; 3], b: [f64; 3]) -> Option<f64> {
    let k = cols.len();
    let beta = solve_normal(a, b, k)?;
    if beta[..k].iter().any(|v| !v.is_finite()) {
        return None;
    }
    Some(
        y.iter()
            .enumerate()
            .map(|(r, v)| {
                let fit: f64 = cols.iter().zip(&beta).map(|(c, b)| c[r] * b).sum();
                (v - fit) * (v - fit)
            })
            .sum(),
    )
}

/// The best fits of `y` by 1 to `max_k` constant pieces of at least two points each, from one
/// dynamic programme (O(max_k·n²)): [`Stairs::fit`] reads the fit for any `k` off its tables.
struct Stairs {
    s1: Vec<f64>,
    /// best[j][b]: the least cost of y[..b] in j + 1 pieces; from[j][b]: where the last starts.
    best: Vec<Vec<f64>>,
    from: Vec<Vec<usize>>,
}

impl Stairs {
    fn new(y: &[f64], max_k: usize) -> Self {
        let n = y.len();
        let mut s1 = vec![0.0; n + 1];
        let mut s2 = vec![0.0; n + 1];
        for (i, v) in y.iter().enumerate() {
            s1[i + 1] = s1[i] + v;
            s2[i + 1] = s2[i] + v * v;
        }
        let cost = |a: usize, b: usize| {
            let m = (b - a) as f64;
            let s = s1[b] - s1[a];
            (s2[b] - s2[a] - s * s / m).max(0.0)
        };
        let k = max_k.min(n / 2).max(1);
        let mut best = vec![vec![f64::INFINITY; n + 1]; k];
        let mut from = vec![vec![0usize; n + 1]; k];
        for (b, v) in best[0].iter_mut().enumerate().skip(2) {
            *v = cost(0, b);
        }
        for j in 1..k {
            for b in 2 * (j + 1)..=n {
                for a in 2 * j..=b - 2 {
                    let c = best[j - 1][a] + cost(a, b);
                    if c < best[j][b] {
                        best[j][b] = c;
                        from[j][b] = a;
                    }
                }
            }
        }
        Self { s1, best, from }
    }

    /// Where the `k` pieces of the fit by `k` start, oldest first, and the end: `k + 1` indices
    /// from 0 to n (`k` at most the tables' pieces).
    fn bounds(&self, k: usize) -> Vec<usize> {
        let n = self.s1.len() - 1;
        let mut bounds = vec![n];
        let mut b = n;
        for j in (1..k).rev() {
            b = self.from[j][b];
            bounds.push(b);
        }
        bounds.push(0);
        bounds.reverse();
        bounds
    }

    /// The fit by `k` pieces: the sum of squared residuals and the pieces' means, oldest first.
    fn fit(&self, k: usize) -> Option<(f64, Vec<f64>)> {
        let n = self.s1.len() - 1;
        if k == 0 || k > self.best.len() {
            return None;
        }
        let sse = self.best[k - 1][n];
        if !sse.is_finite() {
            return None;
        }
        let bounds = self.bounds(k);
        let means = bounds
            .windows(2)
            .map(|w| (self.s1[w[1]] - self.s1[w[0]]) / (w[1] - w[0]) as f64)
            .collect();
        Some((sse, means))
    }
}

/// True when the floor of a leaking stretch (`lo`, the bucket minima at times `t`) grew in
/// bursts: flat stretches joined by short jumps, at least three of them up. Any of three
/// readings of the floor says so:
/// - [`rise_in_few_intervals`]: most of the rise happened in a few short intervals that stand
///   out of the noise of the rest, which stayed flat;
/// - [`rose_in_runs_between_flats`]: the intervals are flat ones about zero and rising ones
///   far above them, in separate runs, whatever share of the time the runs take;
/// - [`staircase_fits`]: flat pieces describe the floor better than a line or a bent line.
///
/// The first sees sharp bursts whatever their number or spacing; the second ramps that take
/// more of the time than the flats between them (the first reads its noise from the typical
/// interval, then a rising one); the third steps that take a few buckets each (their rise
/// spread over several intervals, none standing out alone) when the levels between them are
/// clear.
///
/// Read on at most 48 points (neighbouring buckets merged: the earliest time, the lowest
/// floor): the fit costs O(n²), and a staircase whose steps are three buckets apart at that
/// resolution keeps its shape; the lowest of two or three buckets is steadier than one.
///
/// Each reading's noise scale is at least the samples' rounding, half their quantum (from
/// `lo` and `hi`, the bucket minima and maxima; see [`reading_quantum`]): a floor read in whole
/// MiB climbs one MiB at a time, flat between, whatever its shape; a step of one quantum is
/// the reading's resolution, not a burst, which must stand out of the noise and the rounding.
pub(crate) fn grew_in_bursts(t: &[f64], lo: &[f64], hi: &[f64]) -> bool {
    let n = t.len().min(lo.len());
    if n < 12 {
        return false;
    }
    // (A reading is off by up to half its quantum.)
    let rounding = 0.5 * reading_quantum(&lo[..n], &hi[..n.min(hi.len())]);
    let (tt, y) = coarse_minima(t, lo, n);
    y.len() >= 12
        && (rise_in_few_intervals(&y, rounding)
            || rose_in_runs_between_flats(&y, rounding)
            || staircase_fits(&tt, &y, rounding))
}

/// True when most of the rise of a leaking stretch happened in a few short jumps, by
/// [`rise_in_few_intervals`] alone, read on at most 48 points as [`grew_in_bursts`] reads
/// them, on its bucket means (`mean`; `lo` and `hi`, the bucket minima and maxima at times
/// `t`, give the samples' rounding): the whole band rose and held.
///
/// A traffic cycle does not pass, whatever period its search finds: its means fall back each
/// period as far as they rose, where a staircase's hold — and so does a leak that grows only
/// with the traffic, its floor held through the quiet hours, since the traffic's own memory
/// on top falls back. The floor alone is no reading: that leak's floor steps up once a period
/// as a staircase's does. (A staircase's floor read from bucket minima that catch each run's
/// rise in a bucket or two blurs its jumps, where the means still show them; a staircase
/// whose runs swell the working set on top, their means falling back, is told by how briefly
/// they stand up, see [`stood_above_floor_briefly`]. The other readings of [`grew_in_bursts`]
/// can take a leak under a cycle for steps: its climbs, cut short where the cycle's fall
/// cancels the leak, are ramps between flats.)
pub(crate) fn rose_in_few_jumps(t: &[f64], lo: &[f64], hi: &[f64], mean: &[f64]) -> bool {
    let n = t.len().min(lo.len()).min(mean.len());
    if n < 12 {
        return false;
    }
    let rounding = 0.5 * reading_quantum(&lo[..n], &hi[..n.min(hi.len())]);
    let (_, y) = coarse_minima(t, mean, n);
    y.len() >= 12 && rise_in_few_intervals(&y, rounding)
}

/// True when the bucket means (`mean`) of a leaking stretch under a cycle of `p` buckets
/// stood well above the floor around them (`lo`, the bucket minima: the lowest of them within
/// half a period either side) for under a quarter of its buckets: above the middle of that
/// excess's swing (between its 10th and 90th percentiles). A batch's run swells the working
/// set for a short part of its spacing (the run, then the flat until the next) and leaves a
/// residue on the floor; traffic holds memory for about half of its period (a sine's crest, a
/// working day), and a leak that grows with it holds what the busy hours added through the
/// quiet ones, so the means stand above the quiet floor before them for half the time or more.
pub(crate) fn stood_above_floor_briefly(lo: &[f64], mean: &[f64], p: usize) -> bool {
    let n = lo.len().min(mean.len());
    if n < 12 || p < 2 {
        return false;
    }
    let half = p / 2;
    let excess: Vec<f64> = (0..n)
        .map(|i| {
            let floor = lo[i.saturating_sub(half)..(i + half + 1).min(n)]
                .iter()
                .copied()
                .fold(f64::INFINITY, f64::min);
            mean[i] - floor
        })
        .collect();
    let mut sorted = excess.clone();
    sorted.sort_unstable_by(f64::total_cmp);
    let mid = 0.5 * (sorted[n / 10] + sorted[n * 9 / 10]);
    4 * excess.iter().filter(|&&x| x > mid).count() < n
}

/// True when the floor of a leaking series (`lo`, the bucket minima at times `t`; `hi`, the
/// maxima) over a day or two rose as a leak that follows daily traffic does: in climbs that
/// last hours on end — a busy day's, the leak growing with the traffic and the working set
/// swelling with it — and held for a quarter of a day at least — the night, when the service
/// idles and leaks nothing. Two thirds of the rise came in climbs of a sixth of a day or more,
/// four intervals at least (a rising interval: up by 3 of the flat intervals' noise scales, the
/// root mean square of the lowest third of the intervals' changes, at least the samples'
/// rounding), and somewhere the floor rose in no interval for a quarter of a day.
///
/// A batch's residue, or a burst's, is laid down within its run — minutes, an hour or two —
/// and the floor holds between: its climbs are short, however long the holds. Read on at most
/// 48 points as [`grew_in_bursts`] reads them, over 18 hours to two days only (over more days,
/// the days' troughs tell a daily cycle, see `evaluate::daily_troughs`; and the points, an
/// hour apart or more, merge a run of an hour or two and its neighbours into what passes for
/// a climb of hours). A climb must span four intervals: a run of an hour or two, caught across
/// two or three coarse points, is no climb of four hours.
pub(crate) fn climbed_by_day(t: &[f64], lo: &[f64], hi: &[f64]) -> bool {
    const DAY: f64 = super::evaluate::DAY;
    let n = t.len().min(lo.len());
    if n < 12 || !(0.75 * DAY..=2.0 * DAY).contains(&(t[n - 1] - t[0])) {
        return false;
    }
    let rounding = 0.5 * reading_quantum(&lo[..n], &hi[..n.min(hi.len())]);
    let (tt, y) = coarse_minima(t, lo, n);
    let m = y.len();
    if m < 12 {
        return false;
    }
    let d: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    // (The lowest third of the changes are the flats': their scale is the noise's.)
    let mut sq: Vec<f64> = d.iter().map(|x| x * x).collect();
    sq.sort_unstable_by(f64::total_cmp);
    let k = (sq.len() / 3).max(3);
    let rising = 3.0
        * (sq[..k].iter().sum::<f64>() / k as f64)
            .sqrt()
            .max(rounding);
    // Runs of rising intervals, each a climb: (first interval, past its last, rise).
    let mut climbs: Vec<(usize, usize, f64)> = Vec::new();
    for (i, &x) in d.iter().enumerate() {
        if x.is_nan() || x <= rising {
            continue;
        }
        match climbs.last_mut() {
            Some(c) if c.1 == i => {
                c.1 = i + 1;
                c.2 += x;
            }
            _ => climbs.push((i, i + 1, x)),
        }
    }
    let total: f64 = climbs.iter().map(|c| c.2).sum();
    let long: f64 = climbs
        .iter()
        .filter(|c| c.1 - c.0 >= 4 && tt[c.1] - tt[c.0] >= DAY / 6.0)
        .map(|c| c.2)
        .sum();
    // The longest hold: from the end of one climb (or the start) to the next (or the end).
    let mut held = 0.0f64;
    let mut from = 0;
    for c in &climbs {
        held = held.max(tt[c.0] - tt[from]);
        from = c.1;
    }
    held = held.max(tt[m - 1] - tt[from]);
    total > 0.0 && long >= 2.0 / 3.0 * total && held >= 0.25 * DAY
}

/// The resolution the samples were read at, from the bucket minima `lo` and maxima `hi`
/// (samples both): the greatest common divisor of their differences when they are whole
/// numbers (bytes counted in pages, KiB or MiB), else 0 (a reading without a quantum). The
/// maxima count too: a floor alone may move only by its steps, the noise on top shows the
/// resolution.
pub(crate) fn reading_quantum(lo: &[f64], hi: &[f64]) -> f64 {
    const WHOLE: f64 = 9.0e15; // (below 2^53: every whole number is exact.)
    let Some(&first) = lo.first() else {
        return 0.0;
    };
    let mut g = 0u64;
    for &v in lo.iter().chain(hi) {
        let d = (v - first).abs();
        if !d.is_finite() || d >= WHOLE || d.fract() != 0.0 {
            return 0.0;
        }
        g = crate::series::gcd(g, d as u64);
        if g == 1 {
            break; // (Read to the byte: no coarser resolution to find.)
        }
    }
    g as f64
}

/// The bucket minima `lo[..n]` read on at most 48 points: neighbouring buckets merged (the
/// earliest time, counted from the first, and the lowest floor).
fn coarse_minima(t: &[f64], lo: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let per = n.div_ceil(48);
    (0..n)
        .step_by(per)
        .map(|i| {
            let j = (i + per).min(n);
            let low = lo[i..j].iter().copied().fold(f64::INFINITY, f64::min);
            (t[i] - t[0], low)
        })
        .unzip()
}

/// True when the floor of a leaking stretch (`lo`, the bucket minima at times `t`) held a
/// level, then climbed: a flat line that bends up once describes it better than a straight
/// line and no worse than a line that bends once anywhere with a slope before the bend — by
/// the information criterion, so that the bend must buy a clearly better fit — and the level
/// was held for at least a sixth of the stretch (a bend sooner is a warm-up's end, or noise at
/// the start of a line). Read on at most 48 points, as [`grew_in_bursts`] reads them.
pub(crate) fn held_level_then_climbed(t: &[f64], lo: &[f64]) -> bool {
    let n = t.len().min(lo.len());
    if n < 12 {
        return false;
    }
    let (tt, y) = coarse_minima(t, lo, n);
    let m = y.len();
    let span = tt[m - 1];
    let mean = y.iter().sum::<f64>() / m as f64;
    // (Centred, and time in parts of the span: the fits below read sums, not columns.)
    let y: Vec<f64> = y.iter().map(|v| v - mean).collect();
    let x: Vec<f64> = tt.iter().map(|v| v / span).collect();
    let total: f64 = y.iter().map(|v| v * v).sum();
    if m < 12 || total <= 0.0 || span <= 0.0 {
        return false;
    }
    let floor = total * 1e-9;
    let mf = m as f64;
    let (sx, sxx, sxy) = x
        .iter()
        .zip(&y)
        .fold((0.0, 0.0, 0.0), |(a, b, c), (&u, &v)| {
            (a + u, b + u * u, c + u * v)
        });
    let Some(line) = normal_sse(
        [[mf, sx, 0.0], [sx, sxx, 0.0], [0.0; 3]],
        [0.0, sxy, 0.0],
        2,
        total,
    ) else {
        return false;
    };
    let line = bic(line, m, 2, floor);
    // Sums over the points from each knot on (the hinge is zero before it), from the end.
    let (mut c, mut s1, mut s2, mut sy, mut sxy_k) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut flat, mut bent, mut knot_at) = (f64::INFINITY, f64::INFINITY, 0.0);
    for k in (2..m).rev() {
        c += 1.0;
        s1 += x[k];
        s2 += x[k] * x[k];
        sy += y[k];
        sxy_k += x[k] * y[k];
        if k > m - 3 {
            continue;
        }
        let xk = x[k];
        let sh = s1 - xk * c;
        let shh = s2 - 2.0 * xk * s1 + xk * xk * c;
        let shy = sxy_k - xk * sy;
        let sxh = s2 - xk * s1;
        if let Some(sse) = normal_sse(
            [[mf, sh, 0.0], [sh, shh, 0.0], [0.0; 3]],
            [0.0, shy, 0.0],
            2,
            total,
        ) {
            let score = bic(sse, m, 3, floor);
            if score < flat {
                (flat, knot_at) = (score, tt[k]);
            }
        }
        let a = [[mf, sx, sh], [sx, sxx, sxh], [sh, sxh, shh]];
        if let Some(sse) = normal_sse(a, [0.0, sxy, shy], 3, total) {
            bent = bent.min(bic(sse, m, 4, floor));
        }
    }
    flat < line && flat <= bent && knot_at >= span / 6.0
}

/// The sum of squared residuals of the least-squares fit whose normal equations are
/// `a·β = b` (the first `k` ≤ 3 rows and columns), `yy` the sum of squares of the fitted
/// values' target: `yy − β·b`. `None` when the equations are degenerate.
fn normal_sse(a: [[f64; 3]; 3], b: [f64; 3], k: usize, yy: f64) -> Option<f64> {
    let beta = solve_normal(a, b, k)?;
    let fit: f64 = (0..k).map(|j| beta[j] * b[j]).sum();
    fit.is_finite().then(|| (yy - fit).max(0.0))
}

/// β solving the normal equations `a·β = b` on their first `k` ≤ 3 rows and columns, by
/// Gaussian elimination with partial pivoting; `None` when they are degenerate.
fn solve_normal(a: [[f64; 3]; 3], b: [f64; 3], k: usize) -> Option<[f64; 3]> {
    let mut m = [0.0; 9];
    for (i, row) in a.iter().take(k).enumerate() {
        m[i * k..(i + 1) * k].copy_from_slice(&row[..k]);
    }
    let mut beta = [0.0; 3];
    beta[..k].copy_from_slice(&b[..k]);
    solve(&mut m[..k * k], &mut beta[..k]).then_some(beta)
}

/// True when the interval differences of `y` (a floor at even steps, 31 to 64 points) are
/// two populations: **flat** intervals about zero, and **bursts** — runs of rising intervals
/// between them — that each add far more than the flats' scatter, at least three of them —
/// the first in the first half, the last in the second — with the flats between them held
/// levels that add little to the rise.
///
/// The two populations are a split of the sorted differences: the lowest `k` are the flats —
/// a third of the intervals at least (a population, not a few strays), their scale the root
/// mean square about zero, which counts their scatter and their offset from flat alike (and
/// the falls of a collector: they widen it) — and the split falls in a gap: the next interval
/// up rises by one of those scales more than the highest flat. The intervals above the split
/// form runs, one a burst; of such splits the one is taken whose bursts stand furthest above
/// the flats, read at the lower quartile (most bursts, not a few) of what each burst added
/// over what the flats' scatter adds in as many intervals (its scale times the square root
/// of the run's length: noise adds up like a random walk), which must be eight at least.
/// However much of the time the bursts take (long ramps, short gaps), the flats between them
/// read the noise, not a median that bursts have moved; and a burst is read whole, whether its
/// rise fell in one interval or was split over two or more (a jump across a bucket boundary, a
/// ramp over a few buckets), so its parts do not pass for a third population between flats
/// and jumps. (Its length counts: a cycle's climb is a run of many intervals, each rising by
/// a few scales.)
///
/// Smooth growth is one population about its slope: its lowest third is a slice of it, lone
/// slow intervals scattered through the climb rather than held levels, and the rest, in runs
/// between them, adds only a few of the population's scales a run. By chance the slice can
/// cluster near zero, its scale small, next to one another: of 200,000 simulated lines under
/// Gaussian noise (31 to 64 points, slopes of half to four times the noise of a point), 9
/// passed (the test draws 20,000: 1 passes). Lines under a wandering level, accelerating
/// climbs, late onsets, cycles and sawtooth floors do not (see the tests; at fewer than 30
/// intervals an accelerating climb can, hence the 31 points). A climb that starts late or
/// accelerates is one long run after the flats, which does not reach from the first half to
/// the second in separate bursts.
///
/// Its limit: a burst must rise by several noise scales within its run. Ramps spread over
/// many buckets with flats between them shorter than a ramp, or bursts within the noise, are
/// still missed.
fn rose_in_runs_between_flats(y: &[f64], rounding: f64) -> bool {
    const MAX: usize = 64;
    let m = y.len();
    let rise = y[m - 1] - y[0];
    if !(31..=MAX).contains(&m) || rise.is_nan() || rise <= 0.0 {
        return false;
    }
    let n = m - 1;
    let mut d = [0.0; MAX];
    for (x, w) in d.iter_mut().zip(y.windows(2)) {
        *x = w[1] - w[0];
    }
    let d = &d[..n];
    let mut sorted = [0.0; MAX];
    sorted[..n].copy_from_slice(d);
    let sorted = &mut sorted[..n];
    sorted.sort_unstable_by(f64::total_cmp);
    let k_min = (n / 3).max(3);
    // (The flats' scale is never below the samples' `rounding`: a floor read in whole MiB is
    // flat between single-MiB steps, which are no bursts.)
    let floor = (1e-9 * rise).max(rounding);
    // The best split: (ratio, bursts, first burst's start, last burst's end, flats' sum).
    let mut best = (0.0, 0usize, n, 0usize, 0.0);
    // What each burst added, over the square root of its length.
    let mut added = [0.0; MAX];
    let mut sq = 0.0;
    for k in 1..=n - 4 {
        sq += sorted[k - 1] * sorted[k - 1];
        if k < k_min {
            continue;
        }
        let s = (sq / k as f64).sqrt().max(floor);
        if sorted[k] - sorted[k - 1] < s {
            continue;
        }
        let top_flat = sorted[k - 1];
        // Runs of intervals above the flats, each a burst.
        let (mut bursts, mut first, mut last, mut flat_sum) = (0usize, n, 0usize, 0.0);
        let (mut run_start, mut run_sum) = (None, 0.0);
        for i in 0..=n {
            match d.get(i) {
                Some(&x) if x > top_flat => {
                    if run_start.is_none() {
                        (run_start, run_sum) = (Some(i), 0.0);
                        first = first.min(i);
                    }
                    run_sum += x;
                }
                other => {
                    if let Some(start) = run_start.take() {
                        added[bursts] = run_sum / ((i - start) as f64).sqrt();
                        bursts += 1;
                        last = i - 1;
                    }
                    flat_sum += other.copied().unwrap_or(0.0);
                }
            }
        }
        // The flats are held levels: most flat intervals lie next to another (a lone slow
        // interval inside a climb holds no level).
        let flat = |i: usize| d.get(i).is_some_and(|&x| x <= top_flat);
        let (flats, held) = (0..n)
            .filter(|&i| flat(i))
            .fold((0usize, 0usize), |(f, h), i| {
                (
                    f + 1,
                    h + usize::from((i > 0 && flat(i - 1)) || flat(i + 1)),
                )
            });
        if bursts < 3 || 2 * held < flats {
            continue;
        }
        let added = &mut added[..bursts];
        added.sort_unstable_by(f64::total_cmp);
        let ratio = added[bursts / 4] / s;
        if ratio > best.0 {
            best = (ratio, bursts, first, last, flat_sum);
        }
    }
    let (ratio, bursts, first, last, flat_sum) = best;
    ratio >= 8.0 && bursts >= 3 && flat_sum <= 0.25 * rise && 2 * first < n && 2 * last >= n
}

/// True when most of the rise of `y` (a floor at even steps) happened in a few short
/// intervals: at least three separate bursts — runs of intervals whose rise stands out of
/// the typical interval's by three noise scales — that together carry three quarters of the
/// rise, in under half of the intervals, with no falls beyond the noise worth a fifth of it
/// (a sawtooth's floor read too finely rises and falls by as much).
///
/// The typical interval is the median of the first differences and the noise their MAD, so
/// that the scale is the series' own: while bursts fill under half of the intervals, the
/// median and the MAD read the flat stretches between them. Smooth growth — a line, a floor
/// rising under a collector, a late onset — moves the median with it, and its intervals
/// scatter about the median like noise: none, or a stray one, stands out by three scales,
/// and a few strays never carry three quarters of a rise. (A staircase fitted by the least
/// squares misses bursts that land on a bucket boundary, their rise split over two
/// intervals, or a level held for a single bucket: read as differences, each is one burst.)
fn rise_in_few_intervals(y: &[f64], rounding: f64) -> bool {
    let m = y.len();
    let rise = y[m - 1] - y[0];
    if m < 12 || rise.is_nan() || rise <= 0.0 {
        return false;
    }
    let d: Vec<f64> = y.windows(2).map(|w| w[1] - w[0]).collect();
    let (typical, noise) = median_and_mad(&mut d.clone());
    // (A floor without noise still needs its jumps to be more than rounding: the float's, and
    // the samples' `rounding` — a step of one quantum stays within three of it.)
    let out = (3.0 * noise.max(rounding)).max(1e-9 * rise);
    let (mut bursts, mut intervals, mut up, mut down) = (0usize, 0usize, 0.0, 0.0);
    let (mut in_burst, mut first, mut last) = (false, d.len(), 0);
    for (i, &x) in d.iter().enumerate() {
        if x - typical > out {
            first = first.min(i);
            last = i;
            bursts += usize::from(!in_burst);
            in_burst = true;
            intervals += 1;
            up += x;
        } else {
            in_burst = false;
            if typical - x > out {
                down += typical - x;
            }
        }
    }
    bursts >= 3
        && 2 * intervals < d.len()
        && up >= 0.75 * rise
        && down <= 0.2 * up
        && 2 * first < d.len()
        && 2 * last >= d.len()
}

/// True when flat pieces, at least three jumps up, describe `y` (a floor at times `t`) better
/// than a straight line or a line that bends once (a late onset) do — by the information
/// criterion, so that more pieces must buy a clearly better fit — and the jumps that stand
/// out of the scatter about the pieces (three of its standard deviations) go up, not down (a
/// sawtooth's floor seen at a fine resolution rises and falls).
fn staircase_fits(tt: &[f64], y: &[f64], rounding: f64) -> bool {
    let n = y.len();
    if n < 12 {
        return false;
    }
    let ones = vec![1.0; n];
    let mean = y.iter().sum::<f64>() / n as f64;
    let total: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
    if total <= 0.0 {
        return false;
    }
    // A floor for the residual sum, so that a noise-free synthetic stretch stays finite.
    let floor = total * 1e-9;
    let (mut a, mut b) = ([[0.0; 3]; 3], [0.0; 3]);
    normal_equations(&[&ones, tt], y, 0, &mut a, &mut b);
    let Some(line) = lsq_sse_of(&[&ones, tt], y, a, b) else {
        return false;
    };
    let mut best_smooth = bic(line, n, 2, floor);
    // One bend at any bucket but the first and last two (its place is a parameter too).
    let mut hinge = vec![0.0; n];
    for knot in 2..n - 2 {
        for (h, &x) in hinge.iter_mut().zip(tt) {
            *h = (x - tt[knot]).max(0.0);
        }
        // (The line's sums stand: only the hinge's are new.)
        let cols: [&[f64]; 3] = [&ones, tt, &hinge];
        normal_equations(&cols, y, 2, &mut a, &mut b);
        if let Some(sse) = lsq_sse_of(&cols, y, a, b) {
            best_smooth = best_smooth.min(bic(sse, n, 4, floor));
        }
    }
    // Up to 16 pieces (and never pieces shorter than three buckets on average).
    let max_k = (n / 3).min(16);
    let mut chosen: Option<(f64, f64, Vec<f64>, usize)> = None;
    let stairs = Stairs::new(y, max_k);
    for k in 4..=max_k {
        let Some((sse, means)) = stairs.fit(k) else {
            break;
        };
        let score = bic(sse, n, 2 * k - 1, floor);
        if chosen.as_ref().is_none_or(|c| score < c.0) {
            chosen = Some((score, sse, means, k));
        }
    }
    let Some((score, sse, means, k)) = chosen else {
        return false;
    };
    if score >= best_smooth {
        return false;
    }
    // (Pieces fit a floor read in quanta exactly between its steps: the scale is at least
    // the samples' `rounding`, and a step of one quantum stays within three of it.)
    let sd = (sse / (n - k) as f64).sqrt().max(rounding);
    let (mut ups, mut up, mut down) = (0usize, 0.0, 0.0);
    for w in means.windows(2) {
        let d = w[1] - w[0];
        if d > 3.0 * sd {
            ups += 1;
            up += d;
        } else if d < -3.0 * sd {
            down -= d;
        }
    }
    ups >= 3 && down <= 0.2 * up
}

/// True when the floor before a climb (`lo`, bucket minima, oldest first) came down once or
/// twice: a level it held — three buckets running — fell by more than `fall` to a level it
/// held later. A late onset is a level held, then a climb; a floor that stood higher and fell
/// back is a run that ended (a restart the fall test did not take, e.g. one within an hour of
/// a low first sample), and the climb since is the next run's. Three falls or more are a
/// collector's cycles, slower than the buckets, not runs.
fn fell_before_climb(lo: &[f64], fall: f64) -> bool {
    let (mut high, mut falls) = (f64::NEG_INFINITY, 0usize);
    for w in lo.windows(3) {
        let held = w.iter().copied().fold(f64::INFINITY, f64::min);
        if high - held > fall {
            falls += 1;
            high = held;
        }
        high = high.max(held);
    }
    (1..=2).contains(&falls)
}

/// The name of a leak whose floor climbed late: a leak with restarts when the floor before
/// the climb (`lo_before`) fell back once or twice by more than `fall` (see
/// [`fell_before_climb`]), else a late onset.
pub(crate) fn late_climb(lo_before: &[f64], fall: f64) -> Pattern {
    if fell_before_climb(lo_before, fall) {
        Pattern::LeakWithRestarts
    } else {
        Pattern::LateOnsetLeak
    }
}

/// Which of step and plateau names a floor that rose and stopped (`t`, `lo`: the judged
/// stretch's bucket times and minima): a **step** held a level before it rose — for at least a
/// tenth of the stretch — and rose quickly: within half an hour (or as fast as the buckets can
/// show) and two fifths of the stretch (a deploy, a batch keeping its results); a **plateau**
/// rose from the start, or climbed for longer (a cache filling, however it started).
/// The place of the rise comes from the least-squares fit of flat, ramp, flat (the knots are
/// searched; the levels are fitted). `None` when the stretch is too short to tell.
///
/// A rise (or fall) that came in one, two or three jumps between levels held is a step too
/// (see [`moved_in_jumps`]): deploys and batch loads move memory in events, each over
/// minutes, with the level flat between them, while one ramp across them all would read
/// as a slow fill.
pub(crate) fn held_level_before_rise(t: &[f64], lo: &[f64]) -> Option<bool> {
    let n = t.len().min(lo.len());
    if n < 8 {
        return None;
    }
    let step = step_not_fill(t, n, flat_ramp_flat(t, lo, n)?)?;
    Some(step || moved_in_jumps(t, lo, n))
}

/// True when the floor (`lo[..n]`, bucket minima at times `t`) moved in one to three jumps
/// between levels it held: flat pieces joined by jumps describe it better than one ramp
/// between two levels (flat, ramp, flat) by the information criterion — a fill bends
/// smoothly over its time constant, which a ramp follows and jumps do not — every jump
/// stands beyond four of the pieces' residual scales (at least the samples' rounding), and
/// the first and last levels each held for a tenth of the stretch. Jumps may go down: a
/// deploy can leave the process smaller. Read on at most 48 points, as [`grew_in_bursts`]
/// reads them.
fn moved_in_jumps(t: &[f64], lo: &[f64], n: usize) -> bool {
    let (tt, y) = coarse_minima(t, lo, n);
    let m = y.len();
    if m < 8 {
        return false;
    }
    let span = tt[m - 1];
    let mean = y.iter().sum::<f64>() / m as f64;
    let total: f64 = y.iter().map(|v| (v - mean) * (v - mean)).sum();
    if span <= 0.0 || total <= 0.0 {
        return false;
    }
    let floor = total * 1e-9;
    let Some((_, (ramp_sse, ..))) = flat_ramp_flat(&tt, &y, m) else {
        return false;
    };
    let ramp = bic(ramp_sse, m, 4, floor);
    let rounding = 0.5 * reading_quantum(&lo[..n], &lo[..n]);
    let stairs = Stairs::new(&y, 4);
    (2..=4).any(|k| {
        let Some((sse, means)) = stairs.fit(k) else {
            return false;
        };
        if bic(sse, m, 2 * k - 1, floor) >= ramp {
            return false;
        }
        let sd = (sse / (m - k) as f64).sqrt().max(rounding);
        if means.windows(2).any(|w| (w[1] - w[0]).abs() <= 4.0 * sd) {
            return false;
        }
        // (Where the first piece ends and the last begins: the tables' knots.)
        let bounds = stairs.bounds(k);
        if tt[bounds[1]] < 0.1 * span || span - tt[bounds[k - 1]] < 0.1 * span {
            return false;
        }
        // Held between the jumps: no piece creeps by a quarter of the smallest jump with a
        // slope that buys a better fit by the criterion. A fill read as jumps still climbs
        // between them by amounts like the jumps' (it is one smooth curve); a level held
        // wanders by its noise, far below jumps that stand beyond four of it.
        let flat = bic(sse, m, 2 * k - 1, floor);
        let least_jump = means
            .windows(2)
            .map(|w| (w[1] - w[0]).abs())
            .fold(f64::INFINITY, f64::min);
        bounds.windows(2).zip(&means).all(|(w, &level)| {
            let piece = &tt[w[0]..w[1]];
            let tm = piece.iter().sum::<f64>() / piece.len() as f64;
            let (mut sty, mut stt) = (0.0, 0.0);
            for (&x, &v) in piece.iter().zip(&y[w[0]..w[1]]) {
                sty += (x - tm) * (v - level);
                stt += (x - tm) * (x - tm);
            }
            let creep = if stt > 0.0 {
                (sty / stt).abs() * (piece[piece.len() - 1] - piece[0])
            } else {
                0.0
            };
            creep < 0.25 * least_jump || bic(sse - sty * sty / stt, m, 2 * k, floor) >= flat
        })
    })
}

/// [`held_level_before_rise`] read off a fit of flat, ramp, flat already made (`fit`: the
/// knot stride and the best fit, from [`flat_ramp_flat`] on the first `n` buckets).
fn step_not_fill(t: &[f64], n: usize, fit: (usize, (f64, usize, usize, f64))) -> Option<bool> {
    let span = t[n - 1] - t[0];
    if span <= 0.0 {
        return None;
    }
    let (_, (_, i1, _, _)) = fit;
    Some(t[i1] - t[0] >= 0.1 * span && rose_quickly(t, span, fit))
}

/// True when the ramp of a flat, ramp, flat `fit` rose, in no more than 0.4 of `span`, and
/// quickly: within half an hour, or as fast as the fit can see — two knots: an event, not a
/// fill.
fn rose_quickly(t: &[f64], span: f64, fit: (usize, (f64, usize, usize, f64))) -> bool {
    let (stride, (_, i1, i2, d)) = fit;
    let ramp = t[i2] - t[i1];
    let quick = ramp <= 1800.0 || i2 - i1 <= 2 * stride;
    d > 0.0 && ramp <= 0.4 * span && quick
}

/// True when a run since a restart (`t`, `lo`: its bucket times and minima, the fall's own
/// bucket left out) reached its level quickly and held it: a new process started by a deploy
/// warms its pools and caches within minutes and then holds the level of its build and load,
/// so the series' level changed at a moment — the restart — and held: a **step**, whether the
/// new level is higher, lower or the same. Either the run's floor shows no rise that holds
/// (the warm-up was over within its first bucket), or it rose quickly from its start — within
/// half an hour, or as fast as the fit of flat, ramp, flat can see (two knots), and in no
/// more than 0.4 of the run, the bounds [`held_level_before_rise`] puts on a step's rise. A
/// warm-up that takes a good part of the run is a fill (a plateau); a run under 8 buckets is
/// too short to tell. For names only.
pub(crate) fn settled_after_restart(t: &[f64], lo: &[f64]) -> bool {
    let n = t.len().min(lo.len());
    if n < 8 {
        return false;
    }
    rose_and_held(t, lo).is_none_or(|fit| rose_quickly(t, t[n - 1] - t[0], fit))
}

/// True when a run since a restart (`t`, `lo`: its bucket times and minima, the fall's own
/// bucket left out) whose floor rose by what the verdict's tests call a rise did so at one
/// moment and held: its floor rose and held (flat, ramp, flat; see [`floor_rose_and_held`]),
/// the ramp within half an hour or two knots and no more than 0.4 of the run, as
/// [`settled_after_restart`] asks of a warm-up. A deploy the restart rule did not take, inside
/// the run, moves the level so; a leak's run climbs on, a ramp over most of it, or does not
/// hold. A run under 8 buckets is too short to tell. For names only.
pub(crate) fn rose_at_one_moment(t: &[f64], lo: &[f64]) -> bool {
    let n = t.len().min(lo.len());
    n >= 8 && rose_and_held(t, lo).is_some_and(|fit| rose_quickly(t, t[n - 1] - t[0], fit))
}

/// [`floor_rose_and_held`], then [`held_level_before_rise`] when it did, from one fit of
/// flat, ramp, flat (both ask the same fit): `None` when the floor did not rise and hold or
/// the stretch is too short to tell, else whether the rise was a step (true) or a fill.
pub(crate) fn rose_and_held_as_step(t: &[f64], lo: &[f64]) -> Option<bool> {
    let n = t.len().min(lo.len());
    step_not_fill(t, n, rose_and_held(t, lo)?)
}

/// True when a floor judged flat (`t`, `lo`: the stretch's bucket times and minima) rose once
/// and held: flat, ramp, flat (two levels and two knots) describes it better than one level by
/// the information criterion, the rise stands beyond four of the fit's residual scales, and
/// the new level held for a tenth of the stretch at least — a level shift the buckets
/// resolve, not a wander of the noise. The verdict's tests ask for a
/// rise that matters; this one only asks whether "stable" is the right word.
#[cfg(test)]
pub(crate) fn floor_rose_and_held(t: &[f64], lo: &[f64]) -> bool {
    rose_and_held(t, lo).is_some()
}

/// [`floor_rose_and_held`] with the fit behind it: `Some(fit)` when the floor rose and held.
fn rose_and_held(t: &[f64], lo: &[f64]) -> Option<(usize, (f64, usize, usize, f64))> {
    let n = t.len().min(lo.len());
    if n < 8 {
        return None;
    }
    let fit = flat_ramp_flat(t, lo, n)?;
    let (_, (sse, _, i2, rise)) = fit;
    // (Held: for a tenth of the stretch at least — a few high buckets at its end are a blip
    // the fit can always find somewhere in the noise.)
    if t[n - 1] - t[i2] < 0.1 * (t[n - 1] - t[0]) {
        return None;
    }
    let mean = lo[..n].iter().sum::<f64>() / n as f64;
    let total: f64 = lo[..n].iter().map(|v| (v - mean) * (v - mean)).sum();
    let floor = total * 1e-9;
    (rise > 0.0
        && rise >= 4.0 * (sse / n as f64).sqrt()
        && bic(sse, n, 4, floor) < bic(total, n, 1, floor))
    .then_some(fit)
}

/// The least-squares fit of flat, ramp, flat to `lo[..n]` behind [`held_level_before_rise`]:
/// the knot stride and the best `(sse, first knot, second knot, rise)`, knots searched on at
/// most 48 candidate buckets.
///
/// Each knot pair's fit comes from running sums (O(n + 48²), not O(48²·n)): with u the ramp
/// from 0 at knot i1 to 1 at knot i2, the samples before i1 add nothing to u, those after i2
/// add 1 each, and those between add (t − t[i1]) / w, so Σu, Σu² and Σu·y over them are sums of
/// t, t², y and t·y over a range. Times are taken from the first bucket and y about its mean,
/// which keeps the sums' cancellation far below the noise.
fn flat_ramp_flat(t: &[f64], lo: &[f64], n: usize) -> Option<(usize, (f64, usize, usize, f64))> {
    let stride = n.div_ceil(48).max(1);
    let knots: Vec<usize> = (0..n)
        .step_by(stride)
        .chain(std::iter::once(n - 1))
        .collect();
    let my = lo[..n].iter().sum::<f64>() / n as f64;
    // sums[k] = (Σ τ, Σ τ², Σ y, Σ τ·y, Σ y²) over the first k samples, τ = t − t[0], y centred.
    let mut sums = Vec::with_capacity(n + 1);
    let mut acc = [0.0f64; 5];
    sums.push(acc);
    for (&tj, &yj) in t[..n].iter().zip(&lo[..n]) {
        let (tau, y) = (tj - t[0], yj - my);
        acc[0] += tau;
        acc[1] += tau * tau;
        acc[2] += y;
        acc[3] += tau * y;
        acc[4] += y * y;
        sums.push(acc);
    }
    let (nf, syy, sy) = (n as f64, sums[n][4], sums[n][2]);
    let mut best: Option<(f64, usize, usize, f64)> = None;
    for (x, &i1) in knots.iter().enumerate() {
        let t1 = t[i1] - t[0];
        // (The sums up to the ramp's start, read once per first knot.)
        let (from, at_from) = (i1 + 1, sums[i1 + 1]);
        for &i2 in &knots[x + 1..] {
            let w = t[i2] - t[i1];
            if w <= 0.0 {
                continue;
            }
            // Between the knots (i1, i2); after them [i2, n).
            let (cb, ca) = (i2.saturating_sub(from) as f64, (n - i2) as f64);
            let at_i2 = sums[i2];
            let range = |k: usize| at_i2[k] - at_from[k];
            let (st, stt) = (range(0), range(1));
            let (sy_b, sty_b, sy_a) = (range(2), range(3), sy - at_i2[2]);
            let su = (st - cb * t1) / w + ca;
            let suu_raw = (stt - 2.0 * t1 * st + cb * t1 * t1) / (w * w) + ca;
            let suy_raw = (sty_b - t1 * sy_b) / w + sy_a;
            let mu = su / nf;
            let suu = suu_raw - nf * mu * mu;
            let suy = suy_raw - mu * sy;
            if suu <= 0.0 {
                continue;
            }
            let d = suy / suu;
            let sse = (syy - sy * sy / nf - d * suy).max(0.0);
            if best.is_none_or(|b| sse < b.0) {
                best = Some((sse, i1, i2, d));
            }
        }
    }
    Some((stride, best?))
}

/// True when the floor (bucket minima `lo`, noise `noise` about a smooth curve) shows a
/// restart the restart rule is too young to take: a fall below half the floor just before,
/// after which the next bucket stands back near where the series started — in the lower
/// 35 % of the climb so far, and below the floor it fell from by more than four noise
/// scales (so the climb given back is more than noise). A new process starts small and
/// warms up to its start-up size, giving back everything the old one had grown; a lost or
/// bad sample also reads near zero, but the next one is back where the floor was. (The
/// restart rule asks for a run of an hour before a fall back to the start, so that a
/// collector's regular drops are not taken for restarts; a collector does not halve the
/// floor, and a fall that does is a new process at any age — a name only.)
pub(crate) fn restarted_early(lo: &[f64], noise: f64) -> bool {
    let mut s0 = f64::INFINITY;
    for i in 1..lo.len().saturating_sub(1) {
        s0 = s0.min(lo[i - 1]);
        let (pre, after) = (lo[i - 1], lo[i + 1]);
        let climb = pre - s0;
        if pre > 0.0 && lo[i] < 0.5 * pre && after <= s0 + 0.35 * climb && after < pre - 4.0 * noise
        {
            return true;
        }
    }
    false
}

/// True when a series the restart rule saw no restart in (`lo`: its bucket minima) was
/// deployed to a new level: one to three restart dips — buckets whose minimum falls below 0.6
/// of the floor both before and after (the lower quartile of a sixteenth of the series on
/// each side, the one after taken past the warm-up) — at least one of which the floor came
/// back from at another level: the medians of those two windows differ by more than six
/// robust scatters of either window and by 3 % of the level. A new process starts small and
/// warms up within minutes to the level of its build and load; a spike's end does not fall
/// below the floor on both sides, and a dip the floor comes back level from (a lost sample,
/// a restart of the same build) is no level change. For names only: "stable", "plateau" or
/// "spike" on a flat level that changed at a restart hides a deploy's **step**.
pub(crate) fn deployed_to_new_level(lo: &[f64]) -> bool {
    level_dips(lo).is_some()
}

/// The restart dips of [`deployed_to_new_level`] (first and last bucket of each) and the
/// window `k` they were read over, when the series was deployed to a new level.
fn level_dips(lo: &[f64]) -> Option<(Vec<(usize, usize)>, usize)> {
    let n = lo.len();
    if n < 16 {
        return None;
    }
    let k = (n / 16).max(3);
    let lower_quartile = |v: &[f64]| quantile_mut(&mut v.to_vec(), 1, 4);
    // (No quartile of a window exceeds the highest minimum: a bucket not under 0.6 of that
    // is no dip, and most buckets are read without sorting a window.)
    let top = lo.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let after = |i: usize| &lo[(i + 1 + k / 2).min(n)..(i + 1 + k + k / 2).min(n)];
    let dip = |i: usize| {
        let (b, a) = (&lo[i.saturating_sub(k)..i], after(i));
        lo[i] < 0.6 * top
            && b.len() >= 3
            && a.len() >= 3
            && lo[i] < 0.6 * lower_quartile(b).min(lower_quartile(a))
    };
    // Dips: runs of dipped buckets (a gap of one bucket joins them).
    let mut dips: Vec<(usize, usize)> = Vec::new();
    for i in (1..n - 1).filter(|&i| dip(i)) {
        match dips.last_mut() {
            Some(d) if i - d.1 <= 2 => d.1 = i,
            _ => dips.push((i, i)),
        }
    }
    if dips.is_empty() || dips.len() > 3 {
        return None;
    }
    let moved = dips.iter().any(|&(a, b)| {
        let before = &lo[a.saturating_sub(k)..a];
        let after = &lo[(b + 2).min(n)..(b + 2 + k).min(n)];
        if before.len() < 3 || after.len() < 3 {
            return false;
        }
        let (mut x, mut y) = (before.to_vec(), after.to_vec());
        let ((mb, sb), (ma, sa)) = (median_and_mad(&mut x), median_and_mad(&mut y));
        let d = (ma - mb).abs();
        d > 6.0 * sb.max(sa) && d > 0.03 * mb.abs().max(ma.abs())
    });
    moved.then_some((dips, k))
}

/// True when a floor (bucket minima `lo`) that rose did so at deploys, not between them: it was
/// deployed to a new level ([`deployed_to_new_level`]: one to three restart dips, the floor back
/// from at least one at another level), and every stretch between the dips (each taken from past
/// its dip's warm-up, as that test reads the level after a dip) held flat — its last quarter's
/// median no higher than its first quarter's by six noise scales of its own minima (from their
/// second differences: the bar a leak's rise clears, read on that stretch alone, not over the
/// steps) or by `least_rise` (the least rise a leak needs, whatever the noise), whichever is more.
/// A new build comes back at its own level and holds it: several deploys that each happened to land
/// higher make a staircase of flat levels, each step at a dip. A leak grows within each run,
/// between the restarts, and a leak a deploy brought in climbs on after that deploy. (A stretch of
/// under 8 buckets says nothing either way; one stretch at least must say it.)
pub(crate) fn rose_only_at_deploys(lo: &[f64], least_rise: f64) -> bool {
    let n = lo.len();
    let Some((dips, k)) = level_dips(lo) else {
        return false;
    };
    let mut from = 0usize;
    let mut pieces = Vec::with_capacity(dips.len() + 1);
    for &(a, b) in &dips {
        pieces.push((from, a));
        from = (b + 1 + k / 2).min(n);
    }
    pieces.push((from, n));
    pieces.iter().any(|&(a, b)| b >= a + 8)
        && pieces.iter().all(|&(a, b)| {
            if b < a + 8 {
                return true;
            }
            let lo = &lo[a..b];
            let q = (lo.len() / 4).max(3);
            let head = median_mut(&mut lo[..q].to_vec());
            let tail = median_mut(&mut lo[lo.len() - q..].to_vec());
            // (The noise of the minima from their second differences: blind to a steady climb,
            // and to a fall inside the stretch a dip that was no deploy's left.)
            tail - head < least_rise.max(6.0 * second_diff_noise(lo, &mut Vec::new()))
        })
}

/// True when the whole series (bucket means `mean` at times `t`, minima `lo`, maxima `hi`,
/// first and last samples and counts for the collector's test) cycles at traffic's pace:
/// the autocorrelation of its means, the trend taken out, times a cycle of an hour or more
/// with 2.2 cycles in view, which swings the means by more than a bucket spans inside itself
/// ([`cycle_outswings_buckets`]) and is not a collector's climb and sharp fall
/// ([`cycle_falls_sharply`] over a [`collector_sawtooth`]). For names only: a flat series
/// whose judged stretch timed no cycle (a shorter stretch, or its floor's tests) still rises
/// and falls with its traffic over the whole view.
pub(crate) fn traffic_cycle(
    t: &[f64],
    mean: &[f64],
    lo: &[f64],
    hi: &[f64],
    first: &[f64],
    last: &[f64],
    count: &[u32],
) -> bool {
    let n = t.len();
    if n < 12 || [mean.len(), lo.len(), hi.len()].iter().any(|&l| l != n) {
        return false;
    }
    let width = (t[n - 1] - t[0]) / (n - 1) as f64;
    let mut s = Vec::with_capacity(n);
    let g = half_lag_slope(t, mean, &mut s);
    let resid: Vec<f64> = (0..n).map(|i| mean[i] - g * (t[i] - t[0])).collect();
    let min_acf = (3.0 / (n as f64).sqrt()).max(0.3);
    let Some(p) = acf_period(&resid, 0.0, min_acf, &mut s) else {
        return false;
    };
    (p as f64) * 2.2 <= n as f64
        && (p as f64) * width >= 3600.0
        && cycle_outswings_buckets(t, mean, lo, hi)
        && !(cycle_falls_sharply(t, mean, p)
            && collector_sawtooth(lo, hi, mean, first, last, count))
}

/// True when a view too short to time a daily cycle (three quarters of a day to 2.2 days:
/// the period search asks for 2.2 cycles) still holds a day of traffic: the bucket means
/// (`mean` at times `t`) swing, between their 10th and 90th percentiles, by a tenth of their
/// level at least, by eight times the scatter of one bucket's mean to the next (a slow swing
/// over many buckets, not noise), and by more than a bucket spans inside itself
/// ([`cycle_outswings_buckets`]: not a collector's sawtooth faster than the buckets) — and
/// the means both rose and fell by half that swing at least (in time order): a cycle rises
/// and falls back, where a cache filling or a deploy's new level rises (or falls) and holds.
/// Traffic moves a service's memory by a sizeable share of it (buffers and state per request
/// or connection) and does so over hours; a steady process's noise and wander move it by a
/// few percent. A spike held for a few buckets does not move the 90th percentile. For names
/// only.
pub(crate) fn one_day_of_traffic(t: &[f64], mean: &[f64], lo: &[f64], hi: &[f64]) -> bool {
    let n = t.len();
    if n < 12 || [mean.len(), lo.len(), hi.len()].iter().any(|&l| l != n) {
        return false;
    }
    let span = t[n - 1] - t[0];
    if !(0.75 * super::evaluate::DAY..2.2 * super::evaluate::DAY).contains(&span) {
        return false;
    }
    let mut r = mean.to_vec();
    let swing = swing_10_90(&mut r);
    let level = median_mut(&mut r);
    let mut s = Vec::with_capacity(n);
    let step_noise = super::stats::diff_noise(mean, &mut s);
    // The largest rise and the largest fall of the means in time order.
    let (mut lowest, mut highest, mut rose, mut fell) = (mean[0], mean[0], 0.0f64, 0.0f64);
    for &m in mean {
        rose = rose.max(m - lowest);
        fell = fell.max(highest - m);
        lowest = lowest.min(m);
        highest = highest.max(m);
    }
    level > 0.0
        && swing >= 0.1 * level
        && swing >= 8.0 * step_noise
        && rose >= 0.5 * swing
        && fell >= 0.5 * swing
        && cycle_outswings_buckets(t, mean, lo, hi)
}

/// True when a cycle of the bucket means is the stretch's own (traffic), not the beat of a
/// faster sawtooth inside the buckets against their width: the means, the trend taken out,
/// swing (between their 10th and 90th percentiles) by more than a bucket typically spans
/// inside itself. A collector's sawtooth faster than the buckets fills each of them from
/// trough to peak, and its beat moves their means by a fraction of that; traffic moves the
/// means by more than the spread at any one time.
pub(crate) fn cycle_outswings_buckets(t: &[f64], mean: &[f64], lo: &[f64], hi: &[f64]) -> bool {
    let n = t.len().min(mean.len()).min(lo.len()).min(hi.len());
    if n < 6 {
        return true;
    }
    let mut s = Vec::with_capacity(n);
    let g = half_lag_slope(&t[..n], &mean[..n], &mut s);
    let mut r: Vec<f64> = (0..n).map(|i| mean[i] - g * (t[i] - t[0])).collect();
    let swing = swing_10_90(&mut r);
    let mut band: Vec<f64> = (0..n).map(|i| hi[i] - lo[i]).collect();
    swing > 0.5 * median_mut(&mut band)
}

/// True when the cycle of `p` buckets in the bucket means (`mean` at times `t`) is a
/// collector's, not traffic: folded at its period (the trend taken out), the mean cycle
/// falls in one step by more than twice the steepest step it climbs by. Traffic rises and
/// falls alike; a collector climbs as it allocates and falls at once when it collects — and
/// so does a multiple of its period, which the period search may find instead of the period
/// itself when the collector is slower than the buckets.
pub(crate) fn cycle_falls_sharply(t: &[f64], mean: &[f64], p: usize) -> bool {
    let n = t.len().min(mean.len());
    if p < 3 || n < 2 * p {
        return false;
    }
    let mut s = Vec::with_capacity(n);
    let g = half_lag_slope(&t[..n], &mean[..n], &mut s);
    let (mut sum, mut count) = (vec![0.0; p], vec![0u32; p]);
    for i in 0..n {
        sum[i % p] += mean[i] - g * (t[i] - t[0]);
        count[i % p] += 1;
    }
    let profile: Vec<f64> = sum
        .iter()
        .zip(&count)
        .map(|(s, &k)| s / f64::from(k))
        .collect();
    let (mut rise, mut fall) = (0.0f64, 0.0f64);
    for j in 0..p {
        let d = profile[(j + 1) % p] - profile[j];
        rise = rise.max(d);
        fall = fall.max(-d);
    }
    fall > 2.0 * rise
}

/// The expected range of `k` independent standard normal draws (Blom's plotting position
/// through a Tukey-lambda inverse normal: within 5 % of the tables from 2 to 10⁴ draws).
fn normal_range(k: u32) -> f64 {
    let k = f64::from(k.max(2));
    let p = (k - 0.375) / (k + 0.25);
    2.0 * 4.91 * (p.powf(0.14) - (1.0 - p).powf(0.14))
}

/// True when a collector's sawtooth runs under the stretch: memory climbs as it is allocated
/// and falls at once when it is collected. Any of three readings says so:
/// - the buckets are wider than noise explains ([`collector_band`]): cycles inside them;
/// - consecutive samples fall far more often than they rise as far ([`falls_without_rises`]
///   on the pairs of samples next to one another: the last of one bucket and the first of
///   the next, and the two of a two-sample bucket): collections the samples catch;
/// - so do the bucket means: a sawtooth slower than the buckets, each fall in a bucket or
///   two after a climb over several.
///
/// A cycle of the bucket means alone is not enough: traffic rises and falls alike, and the
/// autocorrelation of noise finds a period of a few buckets by chance; only the shape — a slow
/// climb, a sharp fall — is a collector's.
pub(crate) fn collector_sawtooth(
    lo: &[f64],
    hi: &[f64],
    mean: &[f64],
    first: &[f64],
    last: &[f64],
    count: &[u32],
) -> bool {
    sawtooth_readings(lo, hi, mean, first, last, count, Band::Any)
}

/// True when a collector's teeth show in the stretch, for its name: [`collector_sawtooth`]'s
/// readings, its band reading ([`collector_band`]) asking that the buckets be wider than the
/// samples' rounding explains too ([`Band::Resolved`]). (The lenient reading still serves
/// [`traffic_cycle`] and the judgement's reading of a long cycle, which feeds the verdict.)
pub(crate) fn collector_teeth(
    lo: &[f64],
    hi: &[f64],
    mean: &[f64],
    first: &[f64],
    last: &[f64],
    count: &[u32],
) -> bool {
    sawtooth_readings(lo, hi, mean, first, last, count, Band::Resolved)
}

/// True when a collector's teeth fill the buckets of a stretch with no leak, for the name
/// "sawtooth": [`collector_teeth`], its band reading taking each bucket only as wide as its
/// mean says it is filled ([`Band::Filled`]). A collector's samples climb through its band,
/// and so do a wander's and the noise's: their mean sits halfway up. A stray reading (a
/// heavy-tailed outlier, a late scrape) stretches a bucket's range by itself and leaves the
/// mean on the floor with the other samples: a band of such buckets is no collector's.
pub(crate) fn collector_teeth_filled(
    lo: &[f64],
    hi: &[f64],
    mean: &[f64],
    first: &[f64],
    last: &[f64],
    count: &[u32],
) -> bool {
    sawtooth_readings(lo, hi, mean, first, last, count, Band::Filled)
}

/// What [`collector_band`] asks of buckets wider than the samples' noise.
#[derive(Clone, Copy, PartialEq)]
enum Band {
    /// Nothing more (the judgement's reading).
    Any,
    /// Wider than the samples' rounding too: the noise read from consecutive samples is at
    /// least half the reading quantum ([`reading_quantum`]: a reading is off by up to half of
    /// it). A reading rounded to whole MiB repeats itself from one sample to the next when its
    /// noise is under a MiB (the scale of their differences is then zero), yet its buckets
    /// span a quantum or two: the rounding, not a band.
    Resolved,
    /// Resolved, each bucket read no wider than twice its mean's height above its minimum:
    /// samples that fill a band from its floor have their mean halfway up, so a range past
    /// that is one stray reading's, not the band's.
    Filled,
}

fn sawtooth_readings(
    lo: &[f64],
    hi: &[f64],
    mean: &[f64],
    first: &[f64],
    last: &[f64],
    count: &[u32],
    band: Band,
) -> bool {
    let n = lo.len();
    if n < 6
        || [hi.len(), mean.len(), first.len(), last.len(), count.len()]
            .iter()
            .any(|&l| l != n)
    {
        return false;
    }
    // Consecutive samples across buckets: the last of one, the first of the next.
    let across: Vec<f64> = (1..n).map(|i| first[i] - last[i - 1]).collect();
    let mut d = Vec::with_capacity(2 * n);
    d.extend_from_slice(&across);
    d.extend(
        (0..n)
            .filter(|&i| count[i] == 2)
            .map(|i| last[i] - first[i]),
    );
    if falls_without_rises(&d) {
        return true;
    }
    let steps: Vec<f64> = mean.windows(2).map(|w| w[1] - w[0]).collect();
    falls_without_rises(&steps)
        || collector_band(lo, hi, count, &across, &steps, band, (first, last, mean))
}

/// True when the samples of a stretch fill a band that stands on a hard floor: a collector
/// faster than the samples (each one catches its cycle at a random phase, so the teeth do
/// not show), its floor the live heap. Samples drawn anywhere in a band of height `a` put the
/// least of `k` of them within about `a/(k+1)` of the floor, so the bucket minima hold on the
/// floor (or on its trend) far more steadily than the minima of noise as wide: the scatter of
/// the least of `k` normal draws is about `1.28/√(2·ln k)` of their sd (the Gumbel limit;
/// within 3 % of the tables from 10 draws on). The floor must scatter by less than half of
/// that, which a band of a collector does from buckets of ten samples on and noise does not
/// (a level that wanders moves the minima more, not less).
///
/// The samples' sd is read from consecutive ones (the last of a bucket and the first of the
/// next, as [`collector_band`] reads it), at least half the reading quantum; the buckets must
/// hold ten samples at least (the least of fewer draws stands too far above the floor), twelve
/// of them at least, and half the scatter noise would give must be a quantum at least (a
/// steadier floor than that is the rounding's). `lo`, `hi`: the bucket minima and maxima;
/// `first`, `last`: their first and last samples; `count`: how many they hold. For names only.
pub(crate) fn band_on_hard_floor(
    lo: &[f64],
    hi: &[f64],
    first: &[f64],
    last: &[f64],
    count: &[u32],
) -> bool {
    let n = lo.len();
    if n < 12
        || [hi.len(), first.len(), last.len(), count.len()]
            .iter()
            .any(|&l| l != n)
    {
        return false;
    }
    let full: Vec<usize> = (0..n).filter(|&i| count[i] >= 10).collect();
    if full.len() < 12 {
        return false;
    }
    let quantum = reading_quantum(lo, hi);
    let mut across: Vec<f64> = (1..n).map(|i| first[i] - last[i - 1]).collect();
    let sigma = (median_and_mad(&mut across).1 / std::f64::consts::SQRT_2).max(0.5 * quantum);
    let mut counts: Vec<f64> = full.iter().map(|&i| f64::from(count[i])).collect();
    let k = median_mut(&mut counts);
    let noise_floor = sigma * 1.2825 / (2.0 * k.ln()).sqrt();
    let mut steps: Vec<f64> = full.windows(2).map(|w| lo[w[1]] - lo[w[0]]).collect();
    let floor_scatter = median_and_mad(&mut steps).1 / std::f64::consts::SQRT_2;
    0.5 * noise_floor >= quantum && floor_scatter < 0.5 * noise_floor
}

/// True when the samples of a stretch read in buckets of a few samples each fill a band with
/// hard edges, each sample drawn afresh from it: a collector's sawtooth about as fast as the
/// samples or faster (each sample catches the cycle at its own phase), which neither the
/// buckets' widths ([`collector_band`]: it needs three samples a bucket) nor the bucket minima
/// ([`band_on_hard_floor`]: ten) can show, and whose falls are as often rises of as much.
/// For names only.
///
/// The samples (each bucket's first and last: drawn as any other, where its least and greatest of
/// three or four would gather at the ends of the noise as a band's do) are read about the line
/// through the bucket means, on the scale of their own scatter (1.4826 × MAD). A band filled evenly
/// ends about 1.35 such scales either side of its middle: no sample lies beyond two scales but the
/// odd stray reading. Gaussian noise puts 4.6 % of its samples there (and heavier tails more): at
/// most 1 % may lie beyond, of 150 samples at least, which noise of that many samples passes about
/// once in a hundred stretches. And each sample must be a fresh draw, not a level that moves slowly
/// (a wander, a warm-up, traffic, whose residuals about a line may fill a band as evenly): the
/// noise read from consecutive samples across buckets (their differences' MAD over √2) must be half
/// the scatter at least. The scatter must span two reading quanta at least (a rounding's few levels
/// are no band).
pub(crate) fn band_of_fresh_draws(
    t: &[f64],
    lo: &[f64],
    hi: &[f64],
    mean: &[f64],
    ends: (&[f64], &[f64]),
    count: &[u32],
) -> bool {
    let n = lo.len();
    let (first, last) = ends;
    if n < 50
        || [
            t.len(),
            hi.len(),
            mean.len(),
            first.len(),
            last.len(),
            count.len(),
        ]
        .iter()
        .any(|&l| l != n)
    {
        return false;
    }
    let mut counts: Vec<f64> = count.iter().map(|&c| f64::from(c)).collect();
    if median_mut(&mut counts) > 4.0 {
        return false;
    }
    // The line through the bucket means (least squares).
    let tm = t.iter().sum::<f64>() / n as f64;
    let ym = mean.iter().sum::<f64>() / n as f64;
    let (sxy, sxx) = t.iter().zip(mean).fold((0.0, 0.0), |(sxy, sxx), (&x, &y)| {
        (sxy + (x - tm) * (y - ym), sxx + (x - tm) * (x - tm))
    });
    let b = if sxx > 0.0 { sxy / sxx } else { 0.0 };
    let line = |i: usize| ym + b * (t[i] - tm);
    let res: Vec<f64> = (0..n)
        .flat_map(|i| {
            let two = count[i] >= 2;
            [Some(first[i] - line(i)), two.then(|| last[i] - line(i))]
        })
        .flatten()
        .collect();
    if res.len() < 150 {
        return false;
    }
    let (mid, scale) = median_and_mad(&mut res.clone());
    if scale.is_nan() || scale <= 0.0 || scale < 2.0 * reading_quantum(lo, hi) {
        return false;
    }
    let beyond = res
        .iter()
        .filter(|&&e| (e - mid).abs() > 2.0 * scale)
        .count();
    let mut across: Vec<f64> = (1..n).map(|i| first[i] - last[i - 1]).collect();
    let fresh = median_and_mad(&mut across).1 / std::f64::consts::SQRT_2;
    100 * beyond <= res.len() && fresh >= 0.5 * scale
}

/// True when the differences `d` of a series read in time order fall far beyond the noise
/// (three of its scales below the typical difference, the median) at least three times, with
/// at most a quarter as many rises as far above it.
///
/// Noise, a wandering level, a cycle of traffic and a wild sample that comes back move up as
/// often and as far as down; a collector's climb is many small steps and its collection one
/// big fall. (The scale is the MAD of the differences, so that the climb's steps, not the
/// falls, set it: falls must be under half of the differences, a sawtooth of two samples or
/// more a cycle.) Under Gaussian noise a difference passes three scales below with odds of
/// 0.13 %: three such falls and no such rise in 255 differences happen about once in 200
/// stretches, and heavier tails bring rises as well as falls.
fn falls_without_rises(d: &[f64]) -> bool {
    if d.len() < 8 {
        return false;
    }
    let (typical, scale) = median_and_mad(&mut d.to_vec());
    let far = 3.0 * scale.max(f64::MIN_POSITIVE);
    let falls = d.iter().filter(|&&x| x - typical < -far).count();
    let rises = d.iter().filter(|&&x| x - typical > far).count();
    falls >= 3 && 4 * rises <= falls
}

/// True when the buckets hold a GC sawtooth (or another cycle faster than a bucket): their
/// spread is more than twice what noise explains. The noise is read from consecutive samples —
/// the last of one bucket and the first of the next — about their typical difference (a
/// trend, or the ramp of a slow sawtooth, moves every pair alike): `k` samples of white noise
/// of that scale span the expected range of `k` normal draws. (Comparing the spread with the
/// scatter of the bucket minima instead calls plain noise a sawtooth once buckets hold a few
/// dozen samples: their minimum is steadier than any one sample.) Buckets of fewer than three
/// samples say nothing here (five such buckets at least); the samples' falls show a sawtooth
/// there (see [`collector_sawtooth`]).
/// `across` holds the differences of consecutive samples across buckets, `steps` those of
/// the bucket means, `ends` the buckets' first and last samples and their means.
///
/// `band`: what more is asked (see [`Band`]); for the name, the range a wandering level
/// spans across a bucket ([`wander_across_bucket`]) is taken off each bucket's range as the
/// trend is.
fn collector_band(
    lo: &[f64],
    hi: &[f64],
    count: &[u32],
    across: &[f64],
    steps: &[f64],
    band: Band,
    ends: (&[f64], &[f64], &[f64]),
) -> bool {
    let n = lo.len();
    let (first, last, mean) = ends;
    let mut sigma = median_and_mad(&mut across.to_vec()).1 / std::f64::consts::SQRT_2;
    if band != Band::Any {
        sigma = sigma.max(0.5 * reading_quantum(lo, hi));
    }
    // The trend across one bucket widens its range as well.
    let trend = median_mut(&mut steps.to_vec()).abs();
    let wander = match band {
        Band::Any => 0.0,
        Band::Resolved | Band::Filled => wander_across_bucket(count, steps, (first, last), sigma),
    };
    // (Buckets mostly hold as many samples as the one before: its range is kept, not
    // recomputed — two powers a bucket otherwise.)
    let mut range_of = (0u32, 0.0f64);
    let mut ratios: Vec<f64> = (0..n)
        .filter(|&i| count[i] >= 3)
        .map(|i| {
            if range_of.0 != count[i] {
                range_of = (count[i], normal_range(count[i]));
            }
            let width = if band == Band::Filled {
                (hi[i] - lo[i]).min(2.0 * (mean[i] - lo[i]))
            } else {
                hi[i] - lo[i]
            };
            (width - trend - wander).max(0.0) / (range_of.1 * sigma)
        })
        .collect();
    ratios.len() >= 5 && median_mut(&mut ratios) > 2.0
}

/// The range a level that wanders slower than the samples spans across one bucket: what
/// widens the buckets of a plain series past the noise read from consecutive samples
/// ([`collector_band`]), which such a wander barely moves. Read as the level's spread at the
/// bucket's own time scale, twice over, and the smaller reading kept (zero when the buckets
/// hold fewer than ten samples, or fewer than five buckets three):
/// - from the steps of the bucket means, about their median (a trend is not wander), less
///   what the noise moves a mean of `k` samples (`2σ²/k`, in quadrature): a Brownian level
///   spans `√(8/π) / √(2/3)` = 1.955 times the scale of the steps of its means over
///   neighbouring windows;
/// - from each bucket's last sample less its first, less the noise (`2σ²`, in quadrature):
///   it spans √(8/π) = 1.596 times the scale of its moves over a bucket. The scale is read on
///   the steadier side of the median only (1.4826 × the median distance of the moves above
///   it, or of those below): a wander moves up as often and as far as down.
///
/// Only a level slower than a bucket is read so: its means move on from one bucket to the
/// next (their steps, about the median, keep their sign) at least as often as they turn back.
/// Noise turns back two times in three, and so does a cycle — a collector's or traffic's —
/// of a few buckets, which the means follow as they would a wander.
///
/// A wander shows in both; a collector hides from one. The means average a collector faster
/// than a bucket out (its teeth add to the range, not to the steps); a collector as slow as a
/// bucket or slower climbs through most buckets alike and falls in a few, so the climbs'
/// side of the moves is steady. (Under ten samples a bucket's mean does not average a cycle
/// out, nor does a slow climb show in its ends.) `ends`: the buckets' first and last samples;
/// `sigma`: the noise of one sample.
fn wander_across_bucket(count: &[u32], steps: &[f64], ends: (&[f64], &[f64]), sigma: f64) -> f64 {
    /// The range of a Brownian level over a span, in scales of the steps of its means over
    /// two neighbouring spans: `√(8/π) / √(2/3)`.
    const RANGE_PER_MEAN_STEP: f64 = 1.955;
    /// The range of a Brownian level over a span, in scales of its move across it: `√(8/π)`.
    const RANGE_PER_MOVE: f64 = 1.596;
    let (first, last) = ends;
    let mut counts: Vec<f64> = count.iter().map(|&c| f64::from(c.max(1))).collect();
    let k = median_mut(&mut counts);
    let moves: Vec<f64> = (0..count.len().min(first.len()).min(last.len()))
        .filter(|&i| count[i] >= 3)
        .map(|i| last[i] - first[i])
        .collect();
    if k < 10.0 || moves.len() < 5 || steps.is_empty() {
        return 0.0;
    }
    let (mid_step, step_sd) = median_and_mad(&mut steps.to_vec());
    let (on, back) = steps.windows(2).fold((0usize, 0usize), |(on, back), w| {
        let p = (w[0] - mid_step) * (w[1] - mid_step);
        (on + usize::from(p > 0.0), back + usize::from(p < 0.0))
    });
    if on < back {
        return 0.0;
    }
    let noise = 2.0 * sigma * sigma;
    let by_means = (step_sd * step_sd - noise / k).max(0.0).sqrt();
    let mid = median_mut(&mut moves.clone());
    let side = |up: bool| -> f64 {
        let mut d: Vec<f64> = moves
            .iter()
            .filter(|&&x| if up { x > mid } else { x < mid })
            .map(|&x| (x - mid).abs())
            .collect();
        if d.is_empty() {
            0.0
        } else {
            MAD_TO_SD * median_mut(&mut d)
        }
    };
    let steadier = side(true).min(side(false));
    let by_moves = (steadier * steadier - noise).max(0.0).sqrt();
    (RANGE_PER_MEAN_STEP * by_means).min(RANGE_PER_MOVE * by_moves)
}

/// True when the buckets of a series (minima `lo`, maxima `hi`, means `mean`, sample counts
/// `n`, oldest first) show a burst of allocations held for more than one sample and released
/// before the end: the name "spike-recovered" for a flat series, where [`super::stretch`]'s
/// spike test reads only the bucket means, in which a burst of minutes inside a bucket of half
/// an hour or more barely shows. (The name only: the verdict is decided before.)
///
/// A burst is a run of buckets whose maxima stand far above the typical maximum (the median
/// of them all), by the larger of
/// - ten robust standard deviations of the maxima (1.4826 × MAD): no scatter of ordinary
///   samples reaches that far, only something added to them;
/// - eight bands, the typical bucket's range (its maximum less its minimum): the band holds a
///   bucket's ordinary samples — noise, a collector's teeth, the odd stray reading — so a
///   burst worth a name of its own stands several bands above them;
///
/// and it was held, not one stray reading (a late scrape, a reading taken mid-allocation):
/// - its buckets' means rose six robust standard deviations of the means above their median:
///   one sample among a bucket's many moves its mean by its share alone, lost in the means'
///   scatter, where a burst held over several samples carries the mean up with it;
/// - the samples it added, read from the means (the excess of the means over their median
///   times the samples, summed over the run), are at least two samples' worth at its height:
///   more than one sample was up there.
///
/// And it came back: the run ends before the last bucket. At most six runs pass (the
/// reason: a few bursts are events; more excursions than that are a rhythm — a cycle or a
/// collector — which other names describe). Fewer than 12 buckets read nothing.
pub(crate) fn held_spike(lo: &[f64], hi: &[f64], mean: &[f64], n: &[u32]) -> bool {
    /// Robust standard deviations of the maxima a burst's maxima stand above the typical one.
    const HI_SDS: f64 = 10.0;
    /// Typical bucket ranges a burst's maxima stand above the typical maximum.
    const BANDS: f64 = 8.0;
    /// Robust standard deviations of the means a held burst lifts its buckets' means.
    const MEAN_SDS: f64 = 6.0;
    /// Samples' worth at the burst's height: more than one, held.
    const HELD_SAMPLES: f64 = 2.0;
    /// Most bursts the name allows (more are a rhythm).
    const MOST_RUNS: usize = 6;
    let k = lo.len().min(hi.len()).min(mean.len()).min(n.len());
    if k < 12 {
        return false;
    }
    let (hi_mid, hi_sd) = median_and_mad(&mut hi[..k].to_vec());
    let (mean_mid, mean_sd) = median_and_mad(&mut mean[..k].to_vec());
    let mut band: Vec<f64> = hi[..k].iter().zip(&lo[..k]).map(|(h, l)| h - l).collect();
    let band = median_mut(&mut band);
    let bar = (HI_SDS * hi_sd).max(BANDS * band);
    if bar.is_nan() || bar <= 0.0 {
        return false;
    }
    let up = |i: usize| hi[i] - hi_mid > bar;
    let (mut runs, mut held) = (0usize, false);
    let mut i = 0;
    while i < k {
        if !up(i) {
            i += 1;
            continue;
        }
        let start = i;
        while i < k && up(i) {
            i += 1;
        }
        runs += 1;
        let height = min_max(&hi[start..i]).1 - hi_mid;
        let added: f64 = (start..i)
            .map(|j| (mean[j] - mean_mid) * f64::from(n[j]))
            .sum();
        let lift = min_max(&mean[start..i]).1 - mean_mid;
        held |= i < k && lift > MEAN_SDS * mean_sd && added >= HELD_SAMPLES * height;
    }
    held && runs <= MOST_RUNS
}

#[cfg(test)]
mod tests {
    use super::super::testing::jitter;
    use super::*;

    fn times(n: usize) -> Vec<f64> {
        (0..n).map(|i| 1.7e9 + 60.0 * i as f64).collect()
    }

    /// `n` buckets of the shape `f` (of the bucket's index) under 1 MB of scatter.
    fn noisy(n: usize, f: impl Fn(f64) -> f64) -> Vec<f64> {
        (0..n).map(|i| f(i as f64) + 1e6 * jitter(i)).collect()
    }

    #[test]
    fn a_restart_settles_within_minutes_not_over_its_run() {
        // Ten hours after a restart in 5-minute buckets: a new process at a third of its
        // level that warms up with a 5-minute time constant has settled (a deploy's step);
        // one whose warm-up takes a third of the run (3 h 20 min) is still filling.
        let t: Vec<f64> = (0..120).map(|i| 300.0 * i as f64).collect();
        let run = |tau: f64| -> Vec<f64> {
            t.iter()
                .enumerate()
                .map(|(i, &x)| {
                    let scatter = ((i as f64 * 12.9898).sin() * 43758.5453).fract();
                    240e6 * (1.0 - (2.0 / 3.0) * (-(x + 150.0) / tau).exp()) + 1e6 * scatter
                })
                .collect()
        };
        assert!(settled_after_restart(&t, &run(300.0)));
        assert!(!settled_after_restart(&t, &run(12_000.0)));
        // Too short to tell.
        assert!(!settled_after_restart(&t[..6], &run(300.0)[..6]));
    }

    #[test]
    fn a_leak_that_follows_a_days_traffic_climbed_by_day() {
        // 30 hours in 10-minute buckets from 6 pm: busy from 8 am to 8 pm (a working set of
        // 100 MB swelling with the traffic), and the leak grows only while it is up (400 MB
        // over the day), under 1 MB of scatter.
        let t: Vec<f64> = (0..180).map(|i| 600.0 * i as f64).collect();
        let traffic = |i: usize| {
            let hour = (18.0 + i as f64 / 6.0) % 24.0;
            if (8.0..20.0).contains(&hour) {
                (std::f64::consts::PI * (hour - 8.0) / 12.0).sin()
            } else {
                0.0
            }
        };
        let day: f64 = (0..144).map(traffic).sum();
        let mut leak = 0.0;
        let y: Vec<f64> = (0..180)
            .map(|i| {
                leak += 400e6 * traffic(i) / day;
                500e6 + 100e6 * traffic(i) + leak + 1e6 * jitter(i)
            })
            .collect();
        assert!(climbed_by_day(&t, &y, &y));
        // Half a day of it is too short to tell a day's climb.
        assert!(!climbed_by_day(&t[..72], &y[..72], &y[..72]));
        // Batch runs of an hour, 20 MB each, every 3 or 8 hours, flat between (holds of 7
        // hours, over a quarter day): climbs of an hour, however long the holds.
        for every in [18usize, 48] {
            let stairs: Vec<f64> = (0..180)
                .map(|i| {
                    let steps: f64 = (0..180 / every)
                        .map(|k| ((i as f64 - (k * every + 5) as f64) / 6.0).clamp(0.0, 1.0))
                        .sum();
                    500e6 + 20e6 * steps + 1e6 * jitter(i)
                })
                .collect();
            assert!(!climbed_by_day(&t, &stairs, &stairs), "every {every}");
        }
    }

    #[test]
    fn a_staircase_grew_in_bursts() {
        let t = times(120);
        // Four jumps of 20 MB over two buckets each, flat between, 1 MB of scatter.
        let y: Vec<f64> = (0..120)
            .map(|i| {
                let steps: f64 = [20usize, 45, 70, 95]
                    .iter()
                    .map(|&at| ((i as f64 - at as f64) / 2.0).clamp(0.0, 1.0))
                    .sum();
                500e6 + 20e6 * steps + 1e6 * jitter(i)
            })
            .collect();
        assert!(grew_in_bursts(&t, &y, &y));
    }

    /// A floor read in whole MiB climbs one MiB at a time and holds between, whatever its
    /// shape: its single-quantum steps are the reading's resolution, not bursts. A staircase
    /// read the same way, its steps many quanta high, still grew in bursts.
    #[test]
    fn single_quantum_steps_of_a_floor_read_in_whole_mib_are_no_bursts() {
        const MIB: f64 = 1_048_576.0;
        let t = times(240);
        let in_mib = |v: f64| (v / MIB).round() * MIB;
        // A straight climb and one that speeds up (MiB above 80 MiB at point i, per pace).
        let climbs: [fn(f64, usize) -> f64; 2] = [
            |pace, i| pace * i as f64,
            |pace, i| 60.0 * pace * (i as f64 / 240.0).powi(2),
        ];
        for (shape, climb) in climbs.iter().enumerate() {
            for pace in [0.02, 0.05, 0.1, 0.2] {
                for noise in [0.0, 0.2, 0.4] {
                    let y: Vec<f64> = (0..240)
                        .map(|i| in_mib((80.0 + climb(pace, i) + noise * jitter(i)) * MIB))
                        .collect();
                    assert!(
                        !grew_in_bursts(&t, &y, &y),
                        "shape {shape}, pace {pace}, noise {noise}"
                    );
                }
            }
        }
        let stairs: Vec<f64> = (0..240)
            .map(|i| {
                let steps = [40usize, 90, 140, 190]
                    .iter()
                    .filter(|&&at| i >= at)
                    .count();
                in_mib(500.0 * MIB + 20.0 * MIB * steps as f64 + 0.4 * MIB * jitter(i))
            })
            .collect();
        // (The floor moves only by its steps: the bucket maxima show the MiB it is read in.)
        let tops: Vec<f64> = (0..240)
            .map(|i| stairs[i] + in_mib(5.0 * MIB + 3.0 * MIB * jitter(i + 7)))
            .collect();
        assert!(grew_in_bursts(&t, &stairs, &tops));
    }

    #[test]
    fn a_straight_line_or_a_late_onset_is_no_staircase() {
        let t = times(120);
        let line: Vec<f64> = (0..120)
            .map(|i| 500e6 + 0.7e6 * i as f64 + 1e6 * jitter(i))
            .collect();
        assert!(!grew_in_bursts(&t, &line, &line));
        let late: Vec<f64> = (0..120)
            .map(|i| 500e6 + 1.5e6 * (i as f64 - 50.0).max(0.0) + 1e6 * jitter(i))
            .collect();
        assert!(!grew_in_bursts(&t, &late, &late));
    }

    /// A floor of `n` buckets that jumps by `size` at each of `at` (a fraction puts the jump
    /// across a bucket boundary, its rise split over two intervals), with `scatter`.
    fn stairs(n: usize, at: &[f64], size: f64, scatter: f64) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let level: f64 = at.iter().map(|&p| (i as f64 - p).clamp(0.0, 1.0)).sum();
                500e6 + size * level + scatter * noise(i)
            })
            .collect()
    }

    #[test]
    fn bursts_across_bucket_boundaries_grew_in_bursts() {
        // Twelve jumps of 20 MB at irregular gaps, three of them split over two intervals,
        // the first and the last level held for one bucket each, 0.5 MB of scatter.
        let t = times(40);
        let at = [
            0.0, 3.0, 6.5, 10.0, 13.0, 17.5, 21.0, 24.0, 28.5, 32.0, 35.0, 38.0,
        ];
        let y = stairs(40, &at, 20e6, 0.5e6);
        // The least-squares staircase (pieces of two buckets at least) misses it; its rise
        // happened in twelve short intervals, flat between, all the same.
        assert!(!staircase_fits(&t, &y, 0.0));
        assert!(grew_in_bursts(&t, &y, &y));
    }

    #[test]
    fn smooth_growth_under_noise_is_no_burst() {
        let t = times(48);
        // Late onsets whose climb the noise breaks into pieces that stand out of the flat
        // stretch before (onset at 28 of 48, 14.7 MB an interval: four bursts in under half
        // of the intervals, carrying the rise) — all of them in the second half. Nor any
        // other onset or pace.
        for onset in (10..40).step_by(2) {
            for pace in (2..150).step_by(6) {
                let late: Vec<f64> = (0..48)
                    .map(|i| {
                        500e6
                            + f64::from(pace) * 0.1e6 * (i as f64 - f64::from(onset)).max(0.0)
                            + 1e6 * noise(i)
                    })
                    .collect();
                assert!(
                    !grew_in_bursts(&t, &late, &late),
                    "onset {onset}, pace {pace}"
                );
            }
        }
        let late: Vec<f64> = (0..48)
            .map(|i| 500e6 + 14.7e6 * (i as f64 - 28.0).max(0.0) + 1e6 * noise(i))
            .collect();
        assert!(!grew_in_bursts(&t, &late, &late));
        // A line rising by a noise scale an interval: a few intervals stand out by chance.
        let line: Vec<f64> = (0..48)
            .map(|i| 500e6 + 1e6 * i as f64 + 1e6 * noise(i))
            .collect();
        assert!(!grew_in_bursts(&t, &line, &line));
        // A leak under a cycle of twelve buckets: the floor climbs fast, then slowly, four
        // times, rising every interval; its intervals spread like the cycle, none stands out.
        let cycle: Vec<f64> = (0..48)
            .map(|i| {
                let x = std::f64::consts::TAU * i as f64 / 12.0;
                500e6 + 2e6 * i as f64 + 3.5e6 * x.sin() + 0.3e6 * noise(i)
            })
            .collect();
        assert!(!grew_in_bursts(&t, &cycle, &cycle));
    }

    /// A floor of `n` buckets that climbs a ramp of `ramp` buckets every `every` buckets
    /// (from bucket `start`), by `size` each, with `scatter` (drawn from `seed` on).
    fn ramps(
        n: usize,
        start: f64,
        every: f64,
        ramp: f64,
        size: f64,
        scatter: f64,
        seed: usize,
    ) -> Vec<f64> {
        (0..n)
            .map(|i| {
                let mut level = 0.0;
                let mut at = start;
                while at < n as f64 {
                    level += ((i as f64 - at) / ramp).clamp(0.0, 1.0);
                    at += every;
                }
                500e6 + size * level + scatter * noise(seed + i)
            })
            .collect()
    }

    #[test]
    fn long_ramps_between_short_flats_grew_in_bursts() {
        // Two hours in 48 buckets of 150 s: a 30 MB ramp of 7.5 to 11 minutes every 15 to 20
        // minutes, 0.5 MB of scatter. The ramps and their edges take 50–60 % of the intervals,
        // so the median interval is a rising one and the reading against it finds no burst.
        let t: Vec<f64> = (0..48).map(|i| 1.7e9 + 150.0 * i as f64).collect();
        for (every, ramp) in [(6.0, 3.0), (6.0, 3.5), (8.0, 4.5)] {
            for seed in [0, 100, 200] {
                let y = ramps(48, 2.3, every, ramp, 30e6, 0.5e6, seed);
                assert!(
                    !rise_in_few_intervals(&y, 0.0),
                    "the median-based reading misses it ({every}, {ramp}, {seed})"
                );
                assert!(
                    rose_in_runs_between_flats(&y, 0.0),
                    "({every}, {ramp}, {seed})"
                );
                assert!(grew_in_bursts(&t, &y, &y), "({every}, {ramp}, {seed})");
            }
        }
        // Short, sharp bursts at long gaps read the same way.
        let y = ramps(48, 3.0, 9.0, 1.0, 20e6, 0.5e6, 7);
        assert!(rose_in_runs_between_flats(&y, 0.0));
    }

    #[test]
    fn six_bucket_ramps_between_flats_grew_in_bursts() {
        // 48 buckets: a ramp of six buckets every eleven to fourteen, 40 MB each, 0.8 MB of
        // scatter. A ramp rises by 6.7 MB an interval, under eight times the flats' scale
        // (≈ 1.1 MB: their differences, noise on both ends), so no interval stands out
        // enough alone; read whole, each ramp adds 40 / √6 ≈ 16 MB of what noise adds in six
        // intervals, over fourteen scales.
        let t = times(48);
        for (start, every) in [(2.0, 12.0), (1.0, 14.0), (5.0, 11.0)] {
            for seed in [0, 100, 200, 300] {
                let y = ramps(48, start, every, 6.0, 40e6, 0.8e6, seed);
                assert!(
                    rose_in_runs_between_flats(&y, 0.0),
                    "({start}, {every}, {seed})"
                );
                assert!(grew_in_bursts(&t, &y, &y), "({start}, {every}, {seed})");
            }
        }
    }

    #[test]
    fn steady_growth_under_noise_and_wander_has_no_runs_between_flats() {
        // A line under white noise and a wandering level (a random walk of a third to twice
        // the noise a step): the wander holds the level for a while, then catches up, but
        // the runs between the held stretches are the line's, each adding a few scales over
        // its length, not bursts far above the flats.
        for n in [31usize, 40, 48, 64] {
            for seed in [0usize, 500, 1000, 1500, 2000, 2500] {
                for step in [0.3e6, 1e6, 2e6] {
                    let mut level = 0.0;
                    let wander: Vec<f64> = (0..n)
                        .map(|i| {
                            level += step * noise(seed + 7919 + i);
                            level
                        })
                        .collect();
                    for pace in [0.5, 1.0, 2.0, 4.0, 8.0] {
                        let y: Vec<f64> = (0..n)
                            .map(|i| {
                                500e6 + pace * 1e6 * i as f64 + wander[i] + 1e6 * noise(seed + i)
                            })
                            .collect();
                        assert!(
                            !rose_in_runs_between_flats(&y, 0.0),
                            "n {n}, seed {seed}, step {step}, pace {pace}"
                        );
                        // (Nor do the other readings where the climb outpaces the wander;
                        // a walk that outpaces its drift, the staircase fit can read as steps.)
                        let t = times(n);
                        assert!(
                            pace * 1e6 <= step || !grew_in_bursts(&t, &y, &y),
                            "n {n}, seed {seed}, step {step}, pace {pace}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn lines_under_gaussian_noise_rarely_rose_in_runs() {
        // 20,000 lines of 31 to 64 points, slopes of half to four times the noise of a point:
        // the lowest third of a climb's intervals can cluster near zero by chance and read as
        // flats whose scale is small, but rarely between runs that each add eight of it.
        let mut rng = crate::corpus::Rng::new(2026);
        let mut passed = 0;
        for _ in 0..20_000 {
            let n = rng.int(31, 64) as usize;
            let slope = rng.range(0.5, 4.0);
            let y: Vec<f64> = (0..n).map(|i| slope * i as f64 + rng.normal()).collect();
            passed += usize::from(rose_in_runs_between_flats(&y, 0.0));
        }
        assert!(passed <= 2, "{passed} of 20,000 lines");
    }

    #[test]
    fn smooth_growth_has_no_runs_between_flats() {
        for n in [31usize, 36, 42, 48, 64] {
            for seed in [0usize, 1000, 2000, 3000] {
                let f = |g: &dyn Fn(f64) -> f64| -> Vec<f64> {
                    (0..n)
                        .map(|i| 500e6 + g(i as f64) + 1e6 * noise(seed + i))
                        .collect()
                };
                // Lines from a tenth of the noise to fifty times it per interval.
                for pace in [0.1, 0.3, 0.6, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 50.0] {
                    let y = f(&|x| pace * 1e6 * x);
                    assert!(
                        !rose_in_runs_between_flats(&y, 0.0),
                        "line {pace}, n {n}, seed {seed}"
                    );
                }
                // Accelerating: a parabola and an exponential, flat at first.
                for scale in [0.05e6, 0.2e6, 1e6] {
                    let y = f(&|x| scale * x * x);
                    assert!(
                        !rose_in_runs_between_flats(&y, 0.0),
                        "parabola {scale}, n {n}"
                    );
                    let y = f(&|x| scale * 10.0 * ((x / n as f64 * 4.0).exp() - 1.0));
                    assert!(
                        !rose_in_runs_between_flats(&y, 0.0),
                        "exponential {scale}, n {n}"
                    );
                }
                // Late onsets at a third and at half, slow to fast.
                for onset in [n / 3, n / 2] {
                    for pace in [1.0, 3.0, 6.0, 20.0] {
                        let y = f(&|x| pace * 1e6 * (x - onset as f64).max(0.0));
                        assert!(
                            !rose_in_runs_between_flats(&y, 0.0),
                            "late {onset} {pace}, n {n}"
                        );
                    }
                }
                // Under a daily cycle of a quarter of the stretch, the slope from half its
                // swing to twice it.
                for pace in [1.0, 2.0, 4.0] {
                    let y = f(&|x| {
                        pace * 1e6 * x + 8e6 * (std::f64::consts::TAU * x / (n as f64 / 4.0)).sin()
                    });
                    assert!(!rose_in_runs_between_flats(&y, 0.0), "cycle {pace}, n {n}");
                }
                // A floor read under a GC sawtooth slower than the buckets: rises, then a fall.
                let y = f(&|x| 2e6 * x + 6e6 * (x % 5.0));
                assert!(
                    !rose_in_runs_between_flats(&y, 0.0),
                    "sawtooth, n {n}, seed {seed}"
                );
            }
        }
    }

    #[test]
    fn a_level_held_then_a_climb_is_a_late_onset_and_a_line_is_not() {
        let t = times(96);
        // Flat for 40 buckets, then 0.5 MB a bucket, under 1 MB of scatter.
        let late: Vec<f64> = (0..96)
            .map(|i| 100e6 + 0.5e6 * (i as f64 - 40.0).max(0.0) + 1e6 * jitter(i))
            .collect();
        assert!(held_level_then_climbed(&t, &late));
        // A line from the start, and a line after a warm-up: no level held.
        let line: Vec<f64> = (0..96)
            .map(|i| 100e6 + 0.3e6 * i as f64 + 1e6 * jitter(i))
            .collect();
        assert!(!held_level_then_climbed(&t, &line));
        let warm: Vec<f64> = (0..96)
            .map(|i| {
                100e6
                    + 20e6 * (1.0 - (-(i as f64) / 4.0).exp())
                    + 0.3e6 * i as f64
                    + 1e6 * jitter(i)
            })
            .collect();
        assert!(!held_level_then_climbed(&t, &warm));
    }

    #[test]
    fn a_run_that_fell_back_before_the_climb_is_no_late_onset() {
        // Flat under 1 MB of scatter, then a climb: a late onset, no fall.
        let flat: Vec<f64> = (0..40).map(|i| 100e6 + 1e6 * jitter(i)).collect();
        assert!(!fell_before_climb(&flat, 6e6));
        // A run that climbed 30 MB, a restart back to the start, the next run climbing.
        let run = |i: usize| 100e6 + 1.5e6 * (i % 20) as f64 + 1e6 * jitter(i);
        let restarted: Vec<f64> = (0..40).map(run).collect();
        assert!(fell_before_climb(&restarted, 6e6));
        // A collector's sawtooth slower than the buckets falls every cycle: not runs.
        let saw: Vec<f64> = (0..40)
            .map(|i| 100e6 + 3e6 * (i % 8) as f64 + 1e6 * jitter(i))
            .collect();
        assert!(!fell_before_climb(&saw, 6e6));
    }

    #[test]
    fn a_floor_that_rises_and_falls_is_no_staircase() {
        // Flat pieces whose jumps go up and down by as much: a slow sawtooth, not bursts.
        let t = times(120);
        let y: Vec<f64> = (0..120)
            .map(|i| {
                let up = (i / 15) % 2 == 1;
                500e6 + if up { 20e6 } else { 0.0 } + 0.05e6 * i as f64 + 1e6 * jitter(i)
            })
            .collect();
        assert!(!grew_in_bursts(&t, &y, &y));
    }
    /// Bucket columns (lo, hi, mean, first, last, count) of `v` cut into buckets of `k`.
    #[allow(clippy::type_complexity)]
    fn buckets(
        v: &[f64],
        k: usize,
    ) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>, Vec<u32>) {
        let mut c = (vec![], vec![], vec![], vec![], vec![], vec![]);
        for b in v.chunks(k) {
            c.0.push(b.iter().copied().fold(f64::INFINITY, f64::min));
            c.1.push(b.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            c.2.push(b.iter().sum::<f64>() / b.len() as f64);
            c.3.push(b[0]);
            c.4.push(b[b.len() - 1]);
            c.5.push(b.len() as u32);
        }
        c
    }

    fn band(v: &[f64], k: usize) -> bool {
        let (lo, hi, mean, first, last, count) = buckets(v, k);
        collector_sawtooth(&lo, &hi, &mean, &first, &last, &count)
    }

    /// A Gaussian-looking scatter of unit scale (sum of four uniform-ish draws).
    fn noise(i: usize) -> f64 {
        (0..4).map(|j| jitter(7 * i + j)).sum::<f64>() * 0.87
    }

    /// The name's readings of a sawtooth (see `collector_teeth`) on `v` cut into buckets of `k`.
    fn teeth(v: &[f64], k: usize) -> bool {
        let (lo, hi, mean, first, last, count) = buckets(v, k);
        collector_teeth(&lo, &hi, &mean, &first, &last, &count)
    }

    #[test]
    fn a_level_that_wanders_slower_than_the_samples_is_no_collector_band() {
        // 3000 samples in buckets of 50 under 0.1 MB of scatter, on a level that wanders
        // (an Ornstein-Uhlenbeck level of 10 MB, its time constant 1000 samples): consecutive
        // samples barely see it move, so the buckets span more than twice the range their
        // noise explains — the judgement's lenient reading calls that a band.
        let phi = (-1.0f64 / 1000.0).exp();
        let mut level = 0.0;
        let wander: Vec<f64> = (0..3000)
            .map(|i| {
                level = phi * level + 10e6 * (1.0 - phi * phi).sqrt() * noise(i + 100_000);
                level
            })
            .collect();
        let plain: Vec<f64> = (0..3000)
            .map(|i| 500e6 + wander[i] + 0.1e6 * noise(i))
            .collect();
        assert!(band(&plain, 50));
        // The name reads the wander's range at the bucket's time scale: no teeth.
        assert!(!teeth(&plain, 50));
        // A collector of 6 MB every 7 samples on the same wander still shows its teeth: the
        // bucket means average it out, so the wander read from them stays the wander's.
        let collected: Vec<f64> = (0..3000).map(|i| plain[i] + 1e6 * (i % 7) as f64).collect();
        assert!(teeth(&collected, 50));
    }

    #[test]
    fn stray_readings_that_stretch_the_buckets_are_no_collector_teeth_for_a_flat_name() {
        // 6000 samples in buckets of 120 under 0.1 MB of scatter, one sample in 50 a stray
        // reading 1 to 3 MB up (a heavy-tailed outlier): most buckets hold one or more, their
        // range twice and more what the noise explains, and the name's band reading sees teeth.
        let strays: Vec<f64> = (0..6000)
            .map(|i| {
                let up = if i % 50 == 17 {
                    1e6 + 2e6 * jitter(3 * i + 1).abs()
                } else {
                    0.0
                };
                500e6 + 0.1e6 * noise(i) + up
            })
            .collect();
        let filled = |v: &[f64], k: usize| {
            let (lo, hi, mean, first, last, count) = buckets(v, k);
            collector_teeth_filled(&lo, &hi, &mean, &first, &last, &count)
        };
        assert!(teeth(&strays, 120));
        // Their means stay on the floor with the other samples: no band filled, no teeth.
        assert!(!filled(&strays, 120));
        // A collector of 3 MB every 7 samples under the same strays fills its band.
        let collected: Vec<f64> = (0..6000)
            .map(|i| strays[i] + 0.5e6 * (i % 7) as f64)
            .collect();
        assert!(filled(&collected, 120));
    }

    /// The hard-floor reading on `v` cut into buckets of `k`.
    fn on_floor(v: &[f64], k: usize) -> bool {
        let (lo, hi, _, first, last, count) = buckets(v, k);
        band_on_hard_floor(&lo, &hi, &first, &last, &count)
    }

    #[test]
    fn buckets_a_quantum_or_two_wide_are_no_collector_band_for_the_name() {
        let mut rng = crate::corpus::Rng::new(41);
        // A flat process under 0.3 MiB of noise, read in whole MiB: consecutive readings are
        // mostly equal (their differences' scale is zero), its buckets span a MiB or two —
        // the rounding, not a band. The lenient reading takes it for one.
        const MIB: f64 = 1_048_576.0;
        let rounded: Vec<f64> = (0..5120)
            .map(|_| ((300e6 + 0.3 * MIB * rng.normal()) / MIB).round() * MIB)
            .collect();
        assert!(band(&rounded, 40));
        assert!(!teeth(&rounded, 40));
        // A collector's teeth of 12 samples and 20 MB read the same way still show.
        let saw: Vec<f64> = (0..5120)
            .map(|i| {
                let v = 300e6 + 20e6 * (i % 12) as f64 / 12.0 + 0.3 * MIB * rng.normal();
                (v / MIB).round() * MIB
            })
            .collect();
        assert!(teeth(&saw, 40));
    }

    #[test]
    fn a_collector_faster_than_the_samples_leaves_a_hard_floor_and_noise_does_not() {
        let mut rng = crate::corpus::Rng::new(9601);
        // A leak of 2 MB an hour (one sample a minute) under a collector of 40 MB that each
        // sample catches at a random phase, buckets of 20 samples: no teeth to see, but the
        // least of every bucket sits on the rising floor.
        let floor = |i: usize| 300e6 + 2e6 * i as f64 / 60.0;
        let aliased: Vec<f64> = (0..2560)
            .map(|i| floor(i) + 40e6 * rng.range(0.0, 1.0) + 0.2e6 * rng.normal())
            .collect();
        assert!(!teeth(&aliased, 20));
        assert!(on_floor(&aliased, 20));
        // Noise as wide (sd 12 MB), or a wandering level under it, has no such floor.
        let noisy: Vec<f64> = (0..2560).map(|i| floor(i) + 12e6 * rng.normal()).collect();
        assert!(!on_floor(&noisy, 20));
        let mut level = 0.0;
        let wandering: Vec<f64> = (0..2560)
            .map(|i| {
                level = 0.95 * level + 3e6 * rng.normal();
                floor(i) + level + 4e6 * rng.normal()
            })
            .collect();
        assert!(!on_floor(&wandering, 20));
        // Buckets of a few samples: their least is no reading of a floor.
        assert!(!on_floor(&aliased, 5));
    }

    /// [`band_of_fresh_draws`] on `v` (one sample a minute) cut into buckets of `k`.
    fn fresh_band(v: &[f64], k: usize) -> bool {
        let (lo, hi, mean, first, last, count) = buckets(v, k);
        let t: Vec<f64> = (0..lo.len()).map(|i| (i * k) as f64 * 60.0).collect();
        band_of_fresh_draws(&t, &lo, &hi, &mean, (&first, &last), &count)
    }

    #[test]
    fn a_collector_faster_than_buckets_of_two_samples_fills_a_band_that_noise_does_not() {
        let mut rng = crate::corpus::Rng::new(13401);
        // A leak of 2 MB an hour under a collector of 40 MB that each sample catches at a
        // random phase, two or four samples a bucket: too few for the buckets' widths or
        // their minima to show the band, and its falls are as often rises.
        let floor = |i: usize| 300e6 + 2e6 * i as f64 / 60.0;
        let aliased: Vec<f64> = (0..600)
            .map(|i| floor(i) + 40e6 * rng.range(0.0, 1.0) + 0.2e6 * rng.normal())
            .collect();
        for k in [2, 4] {
            assert!(!teeth(&aliased, k) && !on_floor(&aliased, k), "k {k}");
            assert!(fresh_band(&aliased, k), "k {k}");
        }
        // Noise as wide, a wandering level, a warm-up: no band of fresh draws.
        for seed in 0..20u64 {
            let mut rng = crate::corpus::Rng::new(13402 + seed);
            let noisy: Vec<f64> = (0..600).map(|i| floor(i) + 12e6 * rng.normal()).collect();
            assert!(
                !fresh_band(&noisy, 2) && !fresh_band(&noisy, 4),
                "seed {seed}"
            );
            let mut level = 0.0;
            let wandering: Vec<f64> = (0..600)
                .map(|i| {
                    level = 0.95 * level + 3e6 * rng.normal();
                    floor(i) + level + 1e6 * rng.normal()
                })
                .collect();
            assert!(!fresh_band(&wandering, 2), "seed {seed}");
        }
        let warming: Vec<f64> = (0..600)
            .map(|i| floor(i) - 60e6 * (-(i as f64) / 120.0).exp() + 1e6 * jitter(i))
            .collect();
        assert!(!fresh_band(&warming, 2));
    }

    #[test]
    fn plain_noise_in_full_buckets_is_no_sawtooth() {
        // 40 samples a bucket: their range is ~4.3 noise scales, far above the scatter of
        // the bucket minima, yet only what noise makes.
        let v: Vec<f64> = (0..5120).map(|i| 200e6 + 2e6 * noise(i)).collect();
        assert!(!band(&v, 40));
        // A slow leak under the noise changes nothing.
        let v: Vec<f64> = (0..5120)
            .map(|i| 200e6 + 5e3 * i as f64 + 2e6 * noise(i))
            .collect();
        assert!(!band(&v, 40));
    }

    #[test]
    fn a_gc_sawtooth_inside_the_buckets_is_one() {
        // A 20 MB ramp over 12 samples, then a collection, with 0.5 MB of noise.
        let v: Vec<f64> = (0..5120)
            .map(|i| 200e6 + 20e6 * (i % 12) as f64 / 12.0 + 0.5e6 * noise(i))
            .collect();
        assert!(band(&v, 40));
        // The same with one or two samples a bucket: the falls show between samples.
        assert!(band(&v[..200], 2));
        assert!(band(&v[..120], 1));
        let flat: Vec<f64> = (0..200).map(|i| 200e6 + 0.5e6 * noise(i)).collect();
        assert!(!band(&flat, 1));
        assert!(!band(&flat, 2));
    }
    /// The flat, ramp, flat fit one knot pair at a time, as it was written first: the fit from
    /// running sums must find the same knots, and the same rise and error to 1e-6.
    fn flat_ramp_flat_one_by_one(
        t: &[f64],
        lo: &[f64],
        n: usize,
    ) -> Option<(f64, usize, usize, f64)> {
        // Knots on at most 48 candidate buckets (O(48²·n)).
        let stride = n.div_ceil(48).max(1);
        let knots: Vec<usize> = (0..n)
            .step_by(stride)
            .chain(std::iter::once(n - 1))
            .collect();
        let mut u = vec![0.0; n];
        let mut best: Option<(f64, usize, usize, f64)> = None;
        for (x, &i1) in knots.iter().enumerate() {
            for &i2 in &knots[x + 1..] {
                let w = t[i2] - t[i1];
                for (j, uj) in u.iter_mut().enumerate() {
                    *uj = ((t[j] - t[i1]) / w).clamp(0.0, 1.0);
                }
                // y = a + d·u by least squares.
                let (mu, my) = (
                    u.iter().sum::<f64>() / n as f64,
                    lo[..n].iter().sum::<f64>() / n as f64,
                );
                let (mut suu, mut suy) = (0.0, 0.0);
                for j in 0..n {
                    suu += (u[j] - mu) * (u[j] - mu);
                    suy += (u[j] - mu) * (lo[j] - my);
                }
                if suu <= 0.0 {
                    continue;
                }
                let d = suy / suu;
                let a = my - d * mu;
                let sse: f64 = (0..n)
                    .map(|j| {
                        let r = lo[j] - a - d * u[j];
                        r * r
                    })
                    .sum();
                if best.is_none_or(|b| sse < b.0) {
                    best = Some((sse, i1, i2, d));
                }
            }
        }
        best
    }

    #[test]
    fn fits_from_running_sums_match_fits_one_by_one() {
        let mut rng = crate::corpus::Rng::new(11);
        for n in [8, 9, 13, 47, 48, 49, 64, 97, 128, 130] {
            for shape in 0..6 {
                let t: Vec<f64> = (0..n)
                    .map(|i| {
                        1.7e9 + 60.0 * i as f64 + if shape == 5 { 0.0 } else { 7.0 * rng.normal() }
                    })
                    .collect();
                let mut t = t;
                t.sort_by(f64::total_cmp);
                let lo: Vec<f64> = (0..n)
                    .map(|i| {
                        let x = i as f64 / n as f64;
                        let base = match shape {
                            0 => 0.0,
                            1 => 30e6 * ((x - 0.4) / 0.05).clamp(0.0, 1.0),
                            2 => 30e6 * (1.0 - (-x * 8.0).exp()),
                            3 => 30e6 * x,
                            _ => 5e6 * (x * 20.0).sin(),
                        };
                        100e6 + base + 1e6 * rng.normal()
                    })
                    .collect();
                let got = flat_ramp_flat(&t, &lo, n).map(|(_, b)| b);
                let want = flat_ramp_flat_one_by_one(&t, &lo, n);
                let (Some(g), Some(w)) = (got, want) else {
                    assert_eq!(got.is_some(), want.is_some(), "n={n} shape={shape}");
                    continue;
                };
                assert_eq!((g.1, g.2), (w.1, w.2), "n={n} shape={shape}");
                let close = |a: f64, b: f64| (a - b).abs() <= 1e-6 * b.abs().max(1.0);
                assert!(
                    close(g.0, w.0) && close(g.3, w.3),
                    "n={n} shape={shape}: {g:?} {w:?}"
                );
            }
        }
    }

    #[test]
    fn a_level_held_then_a_short_rise_is_a_step_and_a_fill_from_the_start_is_not() {
        let t = times(100);
        // Flat for 40 buckets, up 30 MB over 5, flat since.
        let step = noisy(100, |x| 100e6 + 30e6 * ((x - 40.0) / 5.0).clamp(0.0, 1.0));
        assert_eq!(held_level_before_rise(&t, &step), Some(true));
        // A cache filling from the first sample towards its bound.
        let fill = noisy(100, |x| 100e6 + 30e6 * (1.0 - (-x / 8.0).exp()));
        assert_eq!(held_level_before_rise(&t, &fill), Some(false));
        // A level held, then a slow climb over half the stretch: a fill, not a step.
        let slow = noisy(100, |x| 100e6 + 30e6 * ((x - 20.0) / 50.0).clamp(0.0, 1.0));
        assert_eq!(held_level_before_rise(&t, &slow), Some(false));
        // Held, then an S-shaped fill over two hours of a twelve-hour stretch (buckets of
        // 7.2 min): quick against the stretch, yet no event.
        let t: Vec<f64> = (0..100).map(|i| 1.7e9 + 432.0 * i as f64).collect();
        let s_curve = noisy(100, |x| 100e6 + 30e6 / (1.0 + (-(x - 35.0) / 3.5).exp()));
        assert_eq!(held_level_before_rise(&t, &s_curve), Some(false));
        // The same stretch with a five-minute step: a step.
        let quick = noisy(100, |x| {
            100e6 + 30e6 * ((x - 35.0) * 432.0 / 300.0).clamp(0.0, 1.0)
        });
        assert_eq!(held_level_before_rise(&t, &quick), Some(true));
    }

    #[test]
    fn two_quick_jumps_between_held_levels_or_a_fall_that_held_are_steps_and_a_fill_is_not() {
        let t = times(200);
        // Held, up 20 MB at an hour, held, up 20 MB more at two hours, held: two batch loads
        // an hour apart (one ramp across both is no quick rise).
        let two = noisy(200, |x| {
            100e6
                + 20e6 * ((x - 60.0) / 2.0).clamp(0.0, 1.0)
                + 20e6 * ((x - 120.0) / 2.0).clamp(0.0, 1.0)
        });
        assert_eq!(held_level_before_rise(&t, &two), Some(true));
        // A deploy that left the process 30 MB smaller, then held.
        let down = noisy(200, |x| 130e6 - 30e6 * (x - 80.0).clamp(0.0, 1.0));
        assert_eq!(held_level_before_rise(&t, &down), Some(true));
        // Held, then a cache filling over its time constant: still creeping between any jumps.
        let fill = noisy(200, |x| {
            100e6 + 40e6 * (1.0 - (-(x - 40.0).max(0.0) / 20.0).exp())
        });
        assert_eq!(held_level_before_rise(&t, &fill), Some(false));
        // Held, then a fill at a constant rate to its cap over 50 minutes.
        let capped = noisy(200, |x| 100e6 + 40e6 * ((x - 30.0) / 50.0).clamp(0.0, 1.0));
        assert_eq!(held_level_before_rise(&t, &capped), Some(false));
    }

    #[test]
    fn a_collector_falls_sharply_and_noise_cycles_and_wander_do_not() {
        let mut rng = crate::corpus::Rng::new(5);
        // A sawtooth of ten buckets' period (a climb of 12 MB, then a collection), one sample
        // a bucket, under 1 MB of noise: a slow cycle of the buckets themselves.
        let saw: Vec<f64> = (0..128)
            .map(|i| 300e6 + 12e6 * (i % 10) as f64 / 10.0 + 1e6 * rng.normal())
            .collect();
        assert!(band(&saw, 1));
        // The same read in buckets of 32 samples (a cycle of 320): the means climb and fall.
        let slow: Vec<f64> = (0..4096)
            .map(|i| 300e6 + 12e6 * (i % 320) as f64 / 320.0 + 1e6 * rng.normal())
            .collect();
        assert!(band(&slow, 32));
        // Turned around — a jump up, then a slow drain (a batch loading, then its results
        // dropped) — it is no collector; nor a cycle of traffic of the same period and swing,
        // nor a level wandering as much.
        let drain: Vec<f64> = saw.iter().map(|v| 600e6 - v).collect();
        assert!(!band(&drain, 1));
        let cycle: Vec<f64> = (0..128)
            .map(|i| {
                300e6 + 6e6 * (std::f64::consts::TAU * i as f64 / 10.0).sin() + 1e6 * rng.normal()
            })
            .collect();
        assert!(!band(&cycle, 1));
        let mut level = 300e6;
        let wander: Vec<f64> = (0..4096)
            .map(|_| {
                level += 0.3e6 * rng.normal();
                level + 1e6 * rng.normal()
            })
            .collect();
        assert!(!band(&wander, 1));
        assert!(!band(&wander, 32));
    }

    #[test]
    fn noise_and_wild_samples_rarely_fall_without_rising() {
        // 2,000 flat stretches of 128 buckets of one or two samples under Gaussian noise, one
        // in five with a few wild samples up (each rises and comes back: a rise and a fall).
        let mut rng = crate::corpus::Rng::new(2027);
        let mut passed = 0;
        for j in 0..2000 {
            let k = 1 + j % 2;
            let v: Vec<f64> = (0..128 * k)
                .map(|_| {
                    let wild = j % 5 == 0 && rng.chance(0.02);
                    200e6 + 2e6 * rng.normal() + if wild { 40e6 } else { 0.0 }
                })
                .collect();
            passed += usize::from(band(&v, k));
        }
        // (8 pass: the odds of three far falls and no far rise in 255 differences.)
        assert!(passed <= 16, "{passed} of 2,000 stretches");
    }

    #[test]
    fn a_traffic_cycle_outswings_its_buckets_and_a_sawtooth_beat_does_not() {
        // Means swinging by 40 MB over a 24-bucket cycle, each bucket spanning 4 MB.
        let t = times(96);
        let cyc = |i: usize| 20e6 * (1.0 - (std::f64::consts::TAU * i as f64 / 24.0).cos());
        let mean: Vec<f64> = (0..96).map(|i| 300e6 + cyc(i)).collect();
        let lo: Vec<f64> = mean.iter().map(|m| m - 2e6).collect();
        let hi: Vec<f64> = mean.iter().map(|m| m + 2e6).collect();
        assert!(cycle_outswings_buckets(&t, &mean, &lo, &hi));
        // A collector filling every bucket from its 300 MB trough to its 360 MB peak, whose
        // beat against the bucket width moves the means by 4 MB with the same period.
        let mean: Vec<f64> = (0..96).map(|i| 330e6 + 0.1 * cyc(i)).collect();
        let lo = vec![300e6; 96];
        let hi = vec![360e6; 96];
        assert!(!cycle_outswings_buckets(&t, &mean, &lo, &hi));
    }
    /// Samples every 20 s for `hours`, from `f(t)` (seconds since the start) plus noise.
    fn samples(hours: f64, scatter: f64, f: impl Fn(f64) -> f64) -> Vec<crate::series::Point> {
        (0..(hours * 180.0) as usize)
            .map(|i| {
                let t = 20.0 * i as f64;
                crate::series::Point::new(1.7e9 + t, f(t) + scatter * noise(i))
            })
            .collect()
    }

    #[test]
    fn a_collector_caught_at_twice_its_period_falls_sharply_and_traffic_does_not() {
        let t = times(96);
        // Bucket means of a collector climbing 20 MB over 7 buckets and falling at once, on a
        // leak: folded at 14 buckets (the period search's multiple), it falls in one step.
        let saw: Vec<f64> = (0..96)
            .map(|i| 300e6 + 0.5e6 * i as f64 + 20e6 * (i % 7) as f64 / 7.0 + 1e6 * noise(i))
            .collect();
        assert!(cycle_falls_sharply(&t, &saw, 14));
        assert!(cycle_falls_sharply(&t, &saw, 7));
        // Traffic of that period and swing rises and falls alike.
        let traffic: Vec<f64> = (0..96)
            .map(|i| {
                let x = std::f64::consts::TAU * i as f64 / 14.0;
                300e6 + 0.5e6 * i as f64 + 10e6 * (1.0 - x.cos()) + 1e6 * noise(i)
            })
            .collect();
        assert!(!cycle_falls_sharply(&t, &traffic, 14));
    }

    #[test]
    fn a_fall_that_halves_the_floor_back_to_its_start_is_a_restart_and_a_lost_sample_is_not() {
        // A floor climbing 1 MB a bucket from 100 MB under 0.3 MB of noise.
        let floor = |i: usize| 100e6 + 1e6 * i as f64 + 0.3e6 * noise(i);
        // Restarted at bucket 10: one reading near zero, then the new process back at the
        // start, growing again.
        let restarted: Vec<f64> = (0..40)
            .map(|i| match i {
                10 => 5e6,
                i if i > 10 => floor(i - 11),
                i => floor(i),
            })
            .collect();
        assert!(restarted_early(&restarted, 0.3e6));
        // One lost sample: the next reading is back where the floor was.
        let lost: Vec<f64> = (0..40)
            .map(|i| if i == 10 { 5e6 } else { floor(i) })
            .collect();
        assert!(!restarted_early(&lost, 0.3e6));
        // A collection that gives back the climb without halving the floor: no new process.
        let collected: Vec<f64> = (0..40)
            .map(|i| if i >= 10 { floor(i - 10) } else { floor(i) })
            .collect();
        assert!(!restarted_early(&collected, 0.3e6));
    }

    #[test]
    fn a_restart_dip_to_a_new_level_is_a_deploy_and_a_dip_back_to_the_same_level_or_a_spike_is_not()
    {
        // 128 buckets of a 600 MB floor under 1 MB of scatter.
        let level = |i: usize, l: f64| l + 1e6 * noise(i);
        // Deployed at bucket 80: the new process reads a third of its level in the dip's
        // bucket, then holds 540 MB (a tenth lower) after a bucket of warm-up.
        let deployed: Vec<f64> = (0..128)
            .map(|i| match i {
                80 => 180e6,
                81 => 500e6,
                i if i > 81 => level(i, 540e6),
                i => level(i, 600e6),
            })
            .collect();
        assert!(deployed_to_new_level(&deployed));
        // Deployed twice, up by a fifth then down: still deploys.
        let twice: Vec<f64> = (0..128)
            .map(|i| match i {
                40 | 90 => 200e6,
                i if i > 90 => level(i, 650e6),
                i if i > 40 => level(i, 720e6),
                i => level(i, 600e6),
            })
            .collect();
        assert!(deployed_to_new_level(&twice));
        // The same dip, back to the level it left (a restart of the same build, a lost
        // sample): no level change.
        let same: Vec<f64> = (0..128)
            .map(|i| if i == 80 { 180e6 } else { level(i, 600e6) })
            .collect();
        assert!(!deployed_to_new_level(&same));
        // A spike held for eight buckets that came back: its end is no dip below the floor.
        let spike: Vec<f64> = (0..128)
            .map(|i| level(i, if (60..68).contains(&i) { 900e6 } else { 600e6 }))
            .collect();
        assert!(!deployed_to_new_level(&spike));
        // Restarts every ten buckets (a restart rule's series, or a collector's drops): too
        // many dips for a deploy or three.
        let often: Vec<f64> = (0..128)
            .map(|i| {
                if i % 10 == 5 {
                    180e6
                } else {
                    level(i, 600e6 + 2e6 * (i / 10) as f64)
                }
            })
            .collect();
        assert!(!deployed_to_new_level(&often));
    }

    #[test]
    fn a_leak_restarted_in_its_first_half_hour_is_named_leak_with_restarts() {
        use crate::verdict::Pattern;
        let opts = crate::recognize::RecognizeOptions::default();
        // 3 h of a leak of 20 MB/h from 1.3 GB, restarted after 22 minutes: one reading of
        // 475 MB, then the new process at the start-up size, leaking again.
        let start = 1.3e9;
        let pts = samples(3.0, 1e6, |t| {
            let at = 22.0 * 60.0;
            if (at..at + 20.0).contains(&t) {
                475e6
            } else if t >= at + 20.0 {
                start + 20e6 * (t - at - 20.0) / 3600.0
            } else {
                start + 20e6 * t / 3600.0
            }
        });
        let v = crate::recognize::recognize("restarted", &pts, &opts);
        assert_eq!(v.verdict, crate::verdict::VerdictKind::Leak, "{v:#?}");
        assert_eq!(v.pattern, Pattern::LeakWithRestarts, "{v:#?}");
    }

    #[test]
    fn a_wide_sawtooth_is_no_spike() {
        use crate::verdict::Pattern;
        let opts = crate::recognize::RecognizeOptions::default();
        // A collector taking back half of a 40 MB process every 20 to 25 minutes: its peaks
        // stand far above the typical level, again and again, not once.
        for period in [1200.0, 1500.0] {
            let saw = samples(6.0, 0.5e6, |t| 30e6 + 20e6 * (t % period) / period);
            let v = crate::recognize::recognize("saw", &saw, &opts);
            assert_eq!(v.pattern, Pattern::Sawtooth, "{period}: {v:#?}");
        }
    }

    #[test]
    fn a_burst_held_for_minutes_inside_wide_buckets_is_a_spike_and_a_stray_reading_is_not() {
        use crate::verdict::{Pattern, VerdictKind};
        let opts = crate::recognize::RecognizeOptions::default();
        // 100 MB for 40 hours (buckets of half an hour and more), up by 100 MB for four
        // minutes (twelve samples) at the tenth hour: the bucket means barely move, the
        // bucket's maximum and its mean beyond the means' scatter do.
        let burst = |from: f64, len: f64| {
            samples(40.0, 0.5e6, move |t| {
                100e6
                    + if (from..from + len).contains(&t) {
                        100e6
                    } else {
                        0.0
                    }
            })
        };
        let v = crate::recognize::recognize("burst", &burst(36000.0, 240.0), &opts);
        assert_eq!(v.verdict, VerdictKind::NoLeak, "{v:#?}");
        assert_eq!(v.pattern, Pattern::SpikeRecovered, "{v:#?}");
        // One stray reading of the same height (a sample, not held): stable.
        let v = crate::recognize::recognize("stray", &burst(36000.0, 20.0), &opts);
        assert_eq!(v.pattern, Pattern::Stable, "{v:#?}");
        // The same burst still up at the end: not recovered.
        let v = crate::recognize::recognize("end", &burst(40.0 * 3600.0 - 240.0, 1e9), &opts);
        assert_ne!(v.pattern, Pattern::SpikeRecovered, "{v:#?}");
    }

    #[test]
    fn held_spike_asks_a_held_excursion_far_above_the_maxima_that_came_back() {
        // 40 buckets of 20 samples about 100 MB (scatter 0.5 MB in the means, a 4 MB band).
        let k = 40;
        let lo: Vec<f64> = (0..k).map(|i| 98e6 + 0.5e6 * jitter(i)).collect();
        let base_hi: Vec<f64> = (0..k).map(|i| 102e6 + 0.5e6 * jitter(i + 99)).collect();
        let base_mean: Vec<f64> = (0..k).map(|i| 100e6 + 0.1e6 * jitter(i + 7)).collect();
        let n = vec![20u32; k];
        let with = |at: usize, height: f64, samples: f64| {
            let mut hi = base_hi.clone();
            let mut mean = base_mean.clone();
            hi[at] += height;
            mean[at] += height * samples / 20.0;
            (hi, mean)
        };
        // Five samples 60 MB up in bucket 15: a burst held and released.
        let (hi, mean) = with(15, 60e6, 5.0);
        assert!(held_spike(&lo, &hi, &mean, &n));
        // One sample up: a stray reading, not held.
        let (hi, mean) = with(15, 60e6, 1.0);
        assert!(!held_spike(&lo, &hi, &mean, &n));
        // Up by four bands only (16 MB): within what the buckets' own range allows.
        let (hi, mean) = with(15, 16e6, 5.0);
        assert!(!held_spike(&lo, &hi, &mean, &n));
        // Up in the last bucket: not (yet) back.
        let (hi, mean) = with(k - 1, 60e6, 5.0);
        assert!(!held_spike(&lo, &hi, &mean, &n));
        // Seven bursts: a rhythm, not events.
        let (mut hi, mut mean) = (base_hi.clone(), base_mean.clone());
        for at in (2..37).step_by(5) {
            hi[at] += 60e6;
            mean[at] += 15e6;
        }
        assert!(!held_spike(&lo, &hi, &mean, &n));
        // Too few buckets to tell.
        assert!(!held_spike(&lo[..11], &hi[..11], &mean[..11], &n[..11]));
    }

    #[test]
    fn a_spike_whose_fall_passes_for_a_restart_is_still_a_spike() {
        use crate::verdict::{Pattern, VerdictKind};
        let opts = crate::recognize::RecognizeOptions::default();
        // 5.3 GB, up by 9 GB for two hours from the first hour on, back since.
        let spike = samples(10.0, 15e6, |t| {
            let x = (t - 3600.0) / 7500.0;
            5.3e9
                + if (0.0..1.0).contains(&x) {
                    9e9 * (std::f64::consts::PI * x).sin().sqrt()
                } else {
                    0.0
                }
        });
        let v = crate::recognize::recognize("spike", &spike, &opts);
        assert_eq!(v.verdict, VerdictKind::NoLeak, "{v:#?}");
        assert!(
            v.restarts >= 1,
            "the path under test needs the restart: {v:#?}"
        );
        assert_eq!(v.pattern, Pattern::SpikeRecovered, "{v:#?}");
        // A real restart, the runs flat at one level: stable.
        // A real restart: a run that warmed up from 200 MB to 300 MB, the restart, the same
        // warm-up again, flat since. Its high level is the runs themselves, not an excursion.
        let restarted = samples(10.0, 2e6, |t| {
            let since = if t < 4.0 * 3600.0 {
                t
            } else {
                t - 4.0 * 3600.0
            };
            200e6 + 100e6 * (1.0 - (-since / 600.0).exp())
        });
        let v = crate::recognize::recognize("restarted", &restarted, &opts);
        assert!(
            v.restarts >= 1,
            "the path under test needs the restart: {v:#?}"
        );
        assert_ne!(v.pattern, Pattern::SpikeRecovered, "{v:#?}");
    }

    #[test]
    fn a_level_shift_rose_and_held_and_noise_or_a_blip_at_the_end_did_not() {
        let mut rng = crate::corpus::Rng::new(5);
        let t: Vec<f64> = (0..96).map(|i| i as f64 * 300.0).collect();
        let mut draw = || -> Vec<f64> { (0..96).map(|_| rng.normal()).collect() };
        let passed = (0..2000)
            .filter(|_| floor_rose_and_held(&t, &draw()))
            .count();
        assert!(passed <= 2, "{passed} of 2000 noise floors rose and held");
        let mut blip = draw();
        blip[93..].iter_mut().for_each(|v| *v += 10.0);
        assert!(!floor_rose_and_held(&t, &blip));
        let mut shift = draw();
        shift[40..].iter_mut().for_each(|v| *v += 5.0);
        assert!(floor_rose_and_held(&t, &shift));
    }

    #[test]
    fn a_traffic_cycle_of_an_hour_is_cyclic_and_one_of_forty_minutes_is_not() {
        use crate::verdict::Pattern;
        let opts = crate::recognize::RecognizeOptions::default();
        let traffic = |period: f64, hours: f64| {
            let s = samples(hours, 2e6, |t| {
                170e6 + 20e6 * (1.0 - (std::f64::consts::TAU * t / period).cos())
            });
            crate::recognize::recognize("traffic", &s, &opts)
        };
        // The period is found in whole buckets (here 3,572 s for both): an hour or a little
        // more read a fraction of a bucket short is still traffic's.
        for (period, hours) in [(3600.0, 6.5), (3720.0, 7.0)] {
            let v = traffic(period, hours);
            assert_eq!(v.pattern, Pattern::Cyclic, "{period}: {v:#?}");
        }
        // Forty minutes, half a bucket more or not, is a collector's pace, not traffic's.
        let v = traffic(2400.0, 6.5);
        assert_ne!(v.pattern, Pattern::Cyclic, "{v:#?}");
    }

    /// Traffic cycles that the judged stretch did not time (series 463 and 439 of the
    /// generated corpus with seed 5 and 13: cycles of about 1.6 h and 12 h that swing the
    /// level by half or more, 2.7 to 3 of them in view) are named by the whole series'
    /// cycle; a flat series under a collector's sawtooth is not.
    #[test]
    fn a_flat_series_that_cycles_with_its_traffic_is_named_cyclic() {
        for (seed, index) in [(5, 463), (13, 439)] {
            let s = crate::corpus::generate_one(seed, index);
            assert_eq!(s.pattern, Pattern::Cyclic);
            let v = crate::recognize::recognize(&s.name, &s.points, &Default::default());
            assert_eq!(v.verdict, crate::verdict::VerdictKind::NoLeak, "{v:#?}");
            assert_eq!(v.pattern, Pattern::Cyclic, "{seed}/{index}: {v:#?}");
        }
        // Twelve hours of samples every 30 s under a 20-minute collector's sawtooth.
        let t: Vec<f64> = (0..1440).map(|i| 1.7e9 + 30.0 * i as f64).collect();
        let v: Vec<f64> = (0..1440)
            .map(|i| 300e6 + 40e6 * ((i % 40) as f64 / 40.0) + 1e6 * jitter(i))
            .collect();
        let mut buckets = (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for k in 0..144 {
            let w = &v[10 * k..10 * k + 10];
            buckets.0.push(t[10 * k]);
            buckets.1.push(w.iter().sum::<f64>() / 10.0);
            buckets
                .2
                .push(w.iter().copied().fold(f64::INFINITY, f64::min));
            buckets
                .3
                .push(w.iter().copied().fold(f64::NEG_INFINITY, f64::max));
            buckets.4.push((w[0], w[9]));
        }
        let (first, last): (Vec<f64>, Vec<f64>) = buckets.4.iter().copied().unzip();
        assert!(!traffic_cycle(
            &buckets.0, &buckets.1, &buckets.2, &buckets.3, &first, &last, &[10; 144]
        ));
    }

    /// Batch runs every 100 minutes over 10 hours, each swelling the working set by 60 MB for
    /// a quarter of an hour and leaving 2 MB behind: the runs' spacing is the stretch's cycle,
    /// but the means stood above the floor around them for a fraction of each period (named a
    /// leak under a cycle before): a staircase, not a leak under traffic, which is up for half
    /// of its period. The same leak under a 100-minute sine swinging 60 MB is one.
    #[test]
    fn a_batch_staircase_is_no_leak_under_a_cycle_and_a_leak_under_traffic_is() {
        use crate::verdict::{Pattern, VerdictKind};
        let opts = crate::recognize::RecognizeOptions::default();
        let (period, run) = (6000.0, 900.0);
        let batches = samples(10.0, 0.3e6, |t| {
            let k = (t / period).floor();
            let x = (t - k * period) / run;
            let burst = if x < 1.0 {
                (std::f64::consts::PI * x).sin().sqrt()
            } else {
                0.0
            };
            300e6 + 2e6 * (k + x.min(1.0)) + 60e6 * burst
        });
        let v = crate::recognize::recognize("batches", &batches, &opts);
        assert_eq!(v.verdict, VerdictKind::Leak, "{v:#?}");
        assert_ne!(v.pattern, Pattern::LeakUnderCycle, "{v:#?}");
        let traffic = samples(10.0, 0.3e6, |t| {
            300e6 + 2e6 * t / period + 30e6 * (1.0 - (std::f64::consts::TAU * t / period).cos())
        });
        let v = crate::recognize::recognize("traffic", &traffic, &opts);
        assert_eq!(
            (v.verdict, v.pattern),
            (VerdictKind::Leak, Pattern::LeakUnderCycle),
            "{v:#?}"
        );
    }

    /// A day and a quarter of a service whose memory follows its traffic (a sine of a day
    /// swinging 30 % of its 400 MB) is too short for the period search (2.2 cycles) and was
    /// named stable; it is a cycle. A steady process wandering by 2 % is not.
    #[test]
    fn one_day_of_traffic_is_named_cyclic() {
        let opts = crate::recognize::RecognizeOptions::default();
        let day = 86400.0;
        let pts = samples(30.0, 2e6, |t| {
            400e6 * (1.0 + 0.15 * (2.0 * std::f64::consts::PI * t / day).sin())
        });
        let v = crate::recognize::recognize("traffic", &pts, &opts);
        assert_eq!(v.verdict, crate::verdict::VerdictKind::NoLeak, "{v:#?}");
        assert_eq!(v.pattern, Pattern::Cyclic, "{v:#?}");
        let wander = samples(30.0, 2e6, |t| {
            400e6 * (1.0 + 0.01 * (2.0 * std::f64::consts::PI * t / day).sin())
        });
        let v = crate::recognize::recognize("steady", &wander, &opts);
        assert_eq!(v.verdict, crate::verdict::VerdictKind::NoLeak, "{v:#?}");
        assert_eq!(v.pattern, Pattern::Stable, "{v:#?}");
    }
}
