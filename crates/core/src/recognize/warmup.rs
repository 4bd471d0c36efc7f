//! The warm-up fit: the floors of the runs between restarts read as a saturating warm-up
//! plus one slope all runs share. A process's warm-up (caches, pools, code first touched)
//! slows all through its run; a leak keeps its pace. What is left of the slope once the
//! warm-up is fitted tells one from the other — when it stands in every run: a slope that one
//! run's wander (load that differs from run to run, a level drifting over hours) or the
//! misfit of a warm-up that is no exact exponential makes moves when that run is left out,
//! and the least-squares error, which reads the bucket minima of a run as independent, does
//! not see it.

use super::stats::{solve, MAD_TO_SD};

/// The bucket columns the fit reads: each bucket's time, its first sample's time and its
/// minimum.
pub(super) struct RunFloors<'a> {
    pub t: &'a [f64],
    pub t_first: &'a [f64],
    pub lo: &'a [f64],
}

/// The common slope, bytes per second, and its standard error, of the floors of `runs`
/// (buckets `[a, b)`, each starting after a restart) read as a warm-up plus a leak: each run
/// `k` as `a_k + b_k (1 - exp(-u / tau)) + slope u`, `u` the time since the run's first
/// bucket, `b_k >= 0` (a warm-up fills), one time constant `tau` for all runs up to
/// `max_tau` (a warm-up still far from its bound at the end of the run would be a line to
/// this model) and least squares over the bucket minima. `None` when the runs hold too few
/// buckets to leave residuals. With `robust`, and three runs or more, the error is at least
/// the spread of the slopes fitted with one run left out at a time (at the same time
/// constant; the jackknife's error, from their median absolute deviation so that one odd run
/// does not make it): a leak leaves its slope in every run, one run's drift does not; and the
/// error grows by half the spread of the slopes over every time constant that fits about as
/// well as the best (a slow warm-up's time constant is poorly told from noisy floors, and a
/// slightly fast one leaves a slope of its own in every run alike).
pub(super) fn warmup_slope(
    c: &RunFloors<'_>,
    runs: &[(usize, usize)],
    max_tau: f64,
    robust: bool,
) -> Option<(f64, f64)> {
    let k = runs.len();
    let points: usize = runs.iter().map(|&(a, b)| b - a).sum();
    let width = (c.t[c.t.len() - 1] - c.t[0]) / (c.t.len() - 1).max(1) as f64;
    let min_tau = 0.25 * width;
    if k == 0
        || points < 2 * k + 4
        || max_tau.partial_cmp(&min_tau) != Some(std::cmp::Ordering::Greater)
    {
        return None;
    }
    // The fit at one time constant: squared residuals, slope and its standard error.
    let at = |tau: f64| -> Option<(f64, f64, f64)> {
        // Runs whose warm-up would come out negative are fitted without one.
        let mut warm = vec![true; k];
        for _ in 0..2 {
            let (beta, sse, inv_ss) = fit_runs(c, runs, tau, &warm)?;
            let negative: Vec<usize> = (0..k).filter(|&r| warm[r] && beta[k + r] < 0.0).collect();
            if negative.is_empty() {
                let p = k + warm.iter().filter(|&&w| w).count() + 1;
                let dof = points.saturating_sub(p).max(1) as f64;
                return Some((sse, beta[2 * k], (sse / dof * inv_ss).max(0.0).sqrt()));
            }
            for r in negative {
                warm[r] = false;
            }
        }
        None
    };
    // A grid of time constants, then the best one narrowed between its neighbours (a time
    // constant off by a grid step leaves a slope of its own where the noise is small).
    let steps = 40;
    let tau = |x: f64| min_tau * (max_tau / min_tau).powf(x / steps as f64);
    let sse = |x: f64| at(tau(x)).map_or(f64::INFINITY, |f| f.0);
    let best = (0..=steps)
        .map(|i| (i as f64, sse(i as f64)))
        .min_by(|a, b| a.1.total_cmp(&b.1))
        .filter(|b| b.1.is_finite())?
        .0;
    let (mut lo, mut hi) = ((best - 1.0).max(0.0), (best + 1.0).min(steps as f64));
    let g = (5f64.sqrt() - 1.0) / 2.0;
    for _ in 0..30 {
        let (x1, x2) = (hi - g * (hi - lo), lo + g * (hi - lo));
        if sse(x1) <= sse(x2) {
            hi = x2;
        } else {
            lo = x1;
        }
    }
    let x = [best, 0.5 * (lo + hi)]
        .into_iter()
        .min_by(|a, b| sse(*a).total_cmp(&sse(*b)))?;
    let (sse_min, slope, se) = at(tau(x))?;
    // The time constant is read from the same floors as the slope, and the two trade off: a
    // slightly faster warm-up leaves a slope that a slower one, fitting about as well, does
    // not. Every time constant the floors allow (its squared residuals within 4 of the
    // best's in units of the residual variance: two standard errors of one parameter) gives
    // a slope as likely; their spread, read as two errors, adds to the slope's own. (Only
    // with `robust`, where a leak must show: a time constant the floors hardly tell, as in
    // runs of a few coarse buckets, widens the error, and a wide error is no evidence that
    // the runs only warm up.)
    if !robust {
        return Some((slope, se));
    }
    let p = 2 * k + 1;
    let allowed = sse_min * (1.0 + 4.0 / points.saturating_sub(p).max(1) as f64);
    let spread = (0..=steps)
        .filter_map(|i| at(tau(i as f64)))
        .filter(|f| f.0 <= allowed)
        .map(|f| (f.1 - slope).abs())
        .fold(0.0f64, f64::max);
    let se = se.hypot(0.5 * spread);
    if k < 3 {
        return Some((slope, se));
    }
    // Leave one run out at the chosen time constant (every run given a warm-up): the
    // jackknife's error, (n − 1) / √n times the leave-one-out slopes' standard deviation,
    // read robustly (MAD about their upper median).
    let t = tau(x);
    let warm = vec![true; k - 1];
    let mut s = Vec::with_capacity(k);
    for drop in 0..k {
        let rest: Vec<(usize, usize)> = runs
            .iter()
            .enumerate()
            .filter(|&(r, _)| r != drop)
            .map(|(_, &ab)| ab)
            .collect();
        if let Some((beta, _, _)) = fit_runs(c, &rest, t, &warm) {
            s.push(beta[2 * (k - 1)]);
        }
    }
    if s.len() < 3 {
        return Some((slope, se));
    }
    let n = s.len() as f64;
    let mut d = s.clone();
    d.sort_by(f64::total_cmp);
    let med = d[d.len() / 2];
    let mut dev: Vec<f64> = s.iter().map(|v| (v - med).abs()).collect();
    dev.sort_by(f64::total_cmp);
    let jk = MAD_TO_SD * dev[dev.len() / 2] * (n - 1.0) / n.sqrt();
    Some((slope, se.max(jk)))
}

/// Least squares of [`warmup_slope`]'s model at one `tau`: the coefficients (offsets, warm-ups,
/// slope; a run without a warm-up has 0), the sum of squared residuals and the slope's
/// diagonal element of the inverse normal matrix.
fn fit_runs(
    c: &RunFloors<'_>,
    runs: &[(usize, usize)],
    tau: f64,
    warm: &[bool],
) -> Option<(Vec<f64>, f64, f64)> {
    let k = runs.len();
    let p = 2 * k + 1;
    let mut m = vec![0.0; p * p];
    let mut v = vec![0.0; p];
    // A bucket's row of the design has three entries that can be nonzero: its run's offset,
    // its run's warm-up and the slope (columns r, k + r, 2k, in that order). Centre the
    // floors on their first bucket (bytes are large).
    let row = |r: usize, j: usize| {
        let (a, _) = runs[r];
        let u = c.t[j] - c.t_first[a];
        let w = if warm[r] { 1.0 - (-u / tau).exp() } else { 0.0 };
        (
            [(r, 1.0), (k + r, w), (2 * k, u / 3600.0)],
            c.lo[j] - c.lo[a],
        )
    };
    for (r, &(a, b)) in runs.iter().enumerate() {
        for j in a..b {
            let (x, y) = row(r, j);
            for &(i, xi) in &x {
                v[i] += xi * y;
                for &(l, xl) in &x {
                    m[i * p + l] += xi * xl;
                }
            }
        }
    }
    // Unused warm-up columns: pin their coefficient at 0.
    for r in 0..k {
        if !warm[r] {
            m[(k + r) * p + k + r] = 1.0;
        }
    }
    let mut beta = v;
    if !solve(&mut m.clone(), &mut beta) {
        return None;
    }
    let mut e = vec![0.0; p];
    e[2 * k] = 1.0;
    if !solve(&mut m, &mut e) {
        return None;
    }
    let inv_ss = e[2 * k];
    let mut sse = 0.0;
    for (r, &(a, b)) in runs.iter().enumerate() {
        for j in a..b {
            let (x, y) = row(r, j);
            let f: f64 = x.iter().map(|&(i, xi)| xi * beta[i]).sum();
            sse += (y - f) * (y - f);
        }
    }
    // The slope per hour back to bytes per second (and its inverse element with it).
    beta[2 * k] /= 3600.0;
    Some((beta, sse, inv_ss / (3600.0 * 3600.0)))
}
