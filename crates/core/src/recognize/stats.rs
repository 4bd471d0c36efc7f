//! Small robust statistics used by recognition, written by hand (no maintained crate does
//! Theil–Sen / Mann–Kendall; see research/monitoring.md §0.6). All are O(n) or O(n log n)
//! on the ≤ a few hundred bucket values recognition works on, and never panic: NaN inputs are
//! filtered out before they reach here.

/// The smallest and the largest of `xs` (NaNs skipped; `(∞, −∞)` when none).
pub(crate) fn min_max(xs: &[f64]) -> (f64, f64) {
    xs.iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &x| {
            (lo.min(x), hi.max(x))
        })
}

/// Where the smallest of `xs` is, and its value: the first such (NaNs skipped; `(0, ∞)` when
/// none).
pub(crate) fn lowest(xs: &[f64]) -> (usize, f64) {
    xs.iter().enumerate().fold(
        (0, f64::INFINITY),
        |(at, low), (i, &x)| {
            if x < low {
                (i, x)
            } else {
                (at, low)
            }
        },
    )
}

/// Median of `xs` (reorders `xs`); 0 when empty.
pub fn median_mut(xs: &mut [f64]) -> f64 {
    let n = xs.len();
    if n == 0 {
        return 0.0;
    }
    let mid = n / 2;
    let (_, m, _) = xs.select_nth_unstable_by(mid, f64::total_cmp);
    let m = *m;
    if n % 2 == 1 {
        m
    } else {
        let lo = xs[..mid].iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo + m) / 2.0
    }
}

/// Median of an ascending `xs`, as [`median_mut`] reads it; 0 when empty.
pub(crate) fn median_sorted(xs: &[f64]) -> f64 {
    let mid = xs.len() / 2;
    match xs.len() {
        0 => 0.0,
        n if n % 2 == 1 => xs[mid],
        _ => (xs[mid - 1] + xs[mid]) / 2.0,
    }
}

/// The value of rank `len × num / den` (rounded down, 0-based) of a non-empty `xs`: its lower
/// quartile at 1/4, its 90th percentile at 9/10 (reorders `xs`).
pub(crate) fn quantile_mut(xs: &mut [f64], num: usize, den: usize) -> f64 {
    let k = xs.len() * num / den;
    *xs.select_nth_unstable_by(k, f64::total_cmp).1
}

/// Median of `xs` without reordering it (copies into `scratch`).
pub(crate) fn median(xs: &[f64], scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend_from_slice(xs);
    median_mut(scratch)
}

/// Robust slope (units of `y` per unit of `t`): the median of the slopes between each point
/// and the point half the series later — a Theil–Sen estimator restricted to the pairs that
/// carry the most information, O(n) instead of O(n²). Returns 0 for fewer than 2 points.
pub(crate) fn half_lag_slope(t: &[f64], y: &[f64], scratch: &mut Vec<f64>) -> f64 {
    let n = t.len().min(y.len());
    if n < 2 {
        return 0.0;
    }
    let h = n.div_ceil(2).max(1);
    scratch.clear();
    for i in 0..n - h {
        let dt = t[i + h] - t[i];
        if dt > 0.0 {
            scratch.push((y[i + h] - y[i]) / dt);
        }
    }
    if scratch.is_empty() {
        let dt = t[n - 1] - t[0];
        return if dt > 0.0 {
            (y[n - 1] - y[0]) / dt
        } else {
            0.0
        };
    }
    median_mut(scratch)
}

/// A normal distribution's standard deviation per unit of its median absolute deviation:
/// the MAD times this is a robust noise scale.
pub(crate) const MAD_TO_SD: f64 = 1.4826;

/// The spread of `xs` between its 10th and 90th percentiles (nearest rank), sorting `xs` in
/// place: how far a series swings, with a tenth at either end left out so a spike does not
/// count.
pub(crate) fn swing_10_90(xs: &mut [f64]) -> f64 {
    let n = xs.len();
    if n == 0 {
        return 0.0;
    }
    xs.sort_by(f64::total_cmp);
    xs[(9 * (n - 1)) / 10] - xs[(n - 1) / 10]
}

/// The median of `xs` and its robust scale about it, 1.4826 × MAD (reorders and overwrites
/// `xs`); (0, 0) when empty.
pub(crate) fn median_and_mad(xs: &mut [f64]) -> (f64, f64) {
    let m = median_mut(xs);
    for x in xs.iter_mut() {
        *x = (*x - m).abs();
    }
    (m, MAD_TO_SD * median_mut(xs))
}

/// Robust scale of the residuals of `y` about the line `a + b·t`: 1.4826 × MAD.
pub(crate) fn residual_scale(t: &[f64], y: &[f64], b: f64, scratch: &mut Vec<f64>) -> (f64, f64) {
    scratch.clear();
    scratch.extend(t.iter().zip(y).map(|(t, y)| y - b * t));
    median_and_mad(scratch)
}

/// Robust noise scale of a sequence from its first differences: 1.4826 × median|Δy| / √2.
pub(crate) fn diff_noise(y: &[f64], scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend(y.windows(2).map(|w| (w[1] - w[0]).abs()));
    MAD_TO_SD * median_mut(scratch) / std::f64::consts::SQRT_2
}

/// Robust noise scale of a sequence from its second differences: 1.4826 × median|Δ²y| / √6.
/// Blind to smooth trends and cycles, which first differences mistake for noise.
pub(crate) fn second_diff_noise(y: &[f64], scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend(y.windows(3).map(|w| (w[2] - 2.0 * w[1] + w[0]).abs()));
    MAD_TO_SD * median_mut(scratch) / 6f64.sqrt()
}

/// [`diff_noise`] about the median step: a steady trend moves every first difference alike,
/// and is not noise (a floor climbing 50 MB a bucket would otherwise read as 50 MB of noise).
pub(crate) fn detrended_diff_noise(y: &[f64], scratch: &mut Vec<f64>) -> f64 {
    scratch.clear();
    scratch.extend(y.windows(2).map(|w| w[1] - w[0]));
    median_and_mad(scratch).1 / std::f64::consts::SQRT_2
}

/// Mann–Kendall τ of `y` (−1..1): the share of concordant minus discordant pairs. Ties
/// within `tol` count as neither (the many-ties pitfall of flat steps). O(n²): call it on
/// ≤ a few dozen aggregated values (chunk medians), which also tames autocorrelation.
pub(crate) fn mk_tau(y: &[f64], tol: f64) -> f64 {
    let n = y.len();
    if n < 2 {
        return 0.0;
    }
    // (Counted without branches: which way each pair goes is a coin toss to the CPU.)
    let mut s = 0i64;
    for i in 0..n {
        for j in i + 1..n {
            let d = y[j] - y[i];
            s += if d > tol { 1 } else { -i64::from(d < -tol) };
        }
    }
    s as f64 / (n * (n - 1) / 2) as f64
}

/// The means of `k` consecutive parts of `y` of (nearly) equal length, each at least one
/// value long.
pub(crate) fn part_means(y: &[f64], k: usize) -> Vec<f64> {
    let n = y.len();
    (0..k)
        .map(|j| {
            let a = j * n / k;
            let b = ((j + 1) * n / k).max(a + 1);
            y[a..b].iter().sum::<f64>() / (b - a) as f64
        })
        .collect()
}

/// Trailing rolling mean with a window of `w` values, laid out as [`rolling_min`]'s.
pub(crate) fn rolling_mean(y: &[f64], w: usize, out: &mut Vec<f64>) {
    out.clear();
    let mut sum: f64 = y[..w - 1].iter().sum();
    for i in w - 1..y.len() {
        sum += y[i];
        out.push(sum / w as f64);
        sum -= y[i + 1 - w];
    }
}

/// Trailing rolling minimum with a window of `w` values: `out[i] = min(y[i+1-w..=i])`, only
/// for `i ≥ w−1` (so `out.len() = y.len() − w + 1`). Monotone deque, O(n).
pub(crate) fn rolling_min(y: &[f64], w: usize, out: &mut Vec<f64>, deque: &mut Vec<usize>) {
    out.clear();
    deque.clear();
    let w = w.max(1);
    let mut head = 0usize;
    for (i, &v) in y.iter().enumerate() {
        while deque.len() > head && y[deque[deque.len() - 1]] >= v {
            deque.pop();
        }
        deque.push(i);
        if deque[head] + w <= i {
            head += 1;
        }
        if i + 1 >= w {
            out.push(y[deque[head]]);
        }
    }
}

/// The dominant period of `y` in samples, from its autocorrelation after removing the line
/// `b` (per sample): the lag of the highest ACF peak (biased estimator) past the first dip below 0, when that
/// peak is ≥ `min_acf`. Lags up to `y.len() / 2.2` (at least 2.2 cycles in view). `None` when there is no clear cycle.
pub(crate) fn acf_period(y: &[f64], b: f64, min_acf: f64, scratch: &mut Vec<f64>) -> Option<usize> {
    let n = y.len();
    if n < 8 {
        return None;
    }
    scratch.clear();
    scratch.extend(y.iter().enumerate().map(|(i, v)| v - b * i as f64));
    let mean = scratch.iter().sum::<f64>() / n as f64;
    for v in scratch.iter_mut() {
        *v -= mean;
    }
    let var: f64 = scratch.iter().map(|v| v * v).sum();
    if var <= 0.0 || !var.is_finite() {
        return None;
    }
    let mut dipped = false;
    let mut best: Option<(usize, f64)> = None;
    let mut prev = 1.0;
    let mut prev2 = 1.0;
    let max_lag = n * 5 / 11;
    let mut first = 1;
    while first <= max_lag {
        let acfs = autocorrelations(scratch, first, var);
        for (l, &c) in acfs.iter().enumerate().take(max_lag + 1 - first) {
            let lag = first + l;
            if !dipped {
                dipped = c < 0.0;
            } else if prev >= c && prev >= prev2 && prev >= min_acf && lag >= 3 {
                // `lag - 1` is a local maximum.
                if best.is_none_or(|(_, bc)| prev > bc + 0.05) {
                    best = Some((lag - 1, prev));
                }
            }
            prev2 = prev;
            prev = c;
        }
        first += ACF_LANES;
    }
    best.map(|(l, _)| l)
}

/// How many lags [`autocorrelations`] sums side by side.
const ACF_LANES: usize = 4;

/// The autocorrelations of `x` (centred) at lags `first..first + ACF_LANES` over `var`, each
/// summed in index order as alone (the same numbers to the bit), side by side so that the
/// sums do not wait on one another. Lags past `x.len() - 1` come out as 0.
fn autocorrelations(x: &[f64], first: usize, var: f64) -> [f64; ACF_LANES] {
    let n = x.len();
    let mut acc = [-0.0; ACF_LANES];
    // Products every lag has, then each lag's own tail.
    let common = n.saturating_sub(first + ACF_LANES - 1);
    for i in 0..common {
        for (l, a) in acc.iter_mut().enumerate() {
            *a += x[i] * x[i + first + l];
        }
    }
    for (l, a) in acc.iter_mut().enumerate() {
        for i in common..n.saturating_sub(first + l) {
            *a += x[i] * x[i + first + l];
        }
    }
    acc.map(|a| a / var)
}

/// Least-squares quadratic `y ≈ a + b·x + c·x²` with `x = (t − t₀)/(t_last − t₀)` in [0, 1]:
/// returns `(b, c)` in units of `y` (so `b + c` is the fitted rise over the stretch and
/// `b + 2c` the fitted slope at its end, per whole stretch). `None` when degenerate.
pub(crate) fn quad_fit(t: &[f64], y: &[f64]) -> Option<(f64, f64)> {
    quad_fit_v(t, y).map(|(b, c, _)| (b, c))
}

/// [`quad_fit`]'s `(b, c)` and `[(XᵀX)⁻¹]_cc`, the curvature's element of the inverse normal
/// matrix (its variance per unit residual variance): the cofactor of `Σx⁴` over the
/// determinant.
fn quad_fit_v(t: &[f64], y: &[f64]) -> Option<(f64, f64, f64)> {
    let n = t.len().min(y.len());
    if n < 4 {
        return None;
    }
    let (t0, span) = (t[0], t[n - 1] - t[0]);
    if span <= 0.0 || !span.is_finite() {
        return None;
    }
    let y0 = y[0];
    let (mut s0, mut s1, mut s2, mut s3, mut s4) = (0.0, 0.0, 0.0, 0.0, 0.0);
    let (mut r0, mut r1, mut r2) = (0.0, 0.0, 0.0);
    for (&ti, &yi) in t.iter().zip(y) {
        let x = (ti - t0) / span;
        let v = yi - y0;
        let x2 = x * x;
        s0 += 1.0;
        s1 += x;
        s2 += x2;
        s3 += x2 * x;
        s4 += x2 * x2;
        r0 += v;
        r1 += v * x;
        r2 += v * x2;
    }
    // Solve [[s0 s1 s2][s1 s2 s3][s2 s3 s4]] (a b c)ᵀ = (r0 r1 r2)ᵀ by Cramer's rule.
    let det3 = |a: [f64; 9]| {
        a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6])
            + a[2] * (a[3] * a[7] - a[4] * a[6])
    };
    let d = det3([s0, s1, s2, s1, s2, s3, s2, s3, s4]);
    if d.abs() < 1e-12 {
        return None;
    }
    let b = det3([s0, r0, s2, s1, r1, s3, s2, r2, s4]) / d;
    let c = det3([s0, s1, r0, s1, s2, r1, s2, s3, r2]) / d;
    (b.is_finite() && c.is_finite()).then_some((b, c, (s0 * s2 - s1 * s1) / d))
}

/// The curvature `c` of [`quad_fit`] through the means of `parts` consecutive parts of
/// `(t, y)`, with a standard error that is honest for a wandering level: from the scatter of
/// those part means about the quadratic (not from a noise scale measured about a line, which
/// a bend inflates), widened by √((1+ρ)/(1−ρ)) for ρ the lag-1 autocorrelation of their
/// residuals (clamped to [0, 0.9]: the effective sample size of AR(1) noise). Returns
/// `(b, c, se_c)`, `b` and `c` as [`quad_fit`]'s over the span from the first part's centre
/// to the last's; `None` under six parts or when degenerate.
pub(crate) fn quad_fit_block_se(t: &[f64], y: &[f64], parts: usize) -> Option<(f64, f64, f64)> {
    let n = t.len().min(y.len());
    if parts < 6 || n < parts {
        return None;
    }
    let bt = part_means(&t[..n], parts);
    let by = part_means(&y[..n], parts);
    let (b, c, v_cc) = quad_fit_v(&bt, &by)?;
    let (t0, span) = (bt[0], bt[parts - 1] - bt[0]);
    let x: Vec<f64> = bt.iter().map(|&ti| (ti - t0) / span).collect();
    let a = by
        .iter()
        .zip(&x)
        .map(|(&yi, &xi)| yi - b * xi - c * xi * xi)
        .sum::<f64>()
        / parts as f64;
    let r: Vec<f64> = by
        .iter()
        .zip(&x)
        .map(|(&yi, &xi)| yi - a - b * xi - c * xi * xi)
        .collect();
    let ss: f64 = r.iter().map(|v| v * v).sum();
    let rho = lag1_correlation(&r);
    let s2_res = ss / (parts - 3) as f64;
    let se = (s2_res * v_cc).sqrt() * ((1.0 + rho) / (1.0 - rho)).sqrt();
    (se.is_finite() && v_cc > 0.0).then_some((b, c, se))
}

/// Least squares of `y` on the columns `cols` (two or three, each as long as `y`, of like
/// scale): the residual sum of squares and the coefficients, or `None` when the normal
/// equations are singular (see [`solve`]).
fn lsq_small(cols: &[&[f64]], y: &[f64]) -> Option<(f64, [f64; 3])> {
    let p = cols.len();
    debug_assert!(p <= 3);
    let mut a = [0.0f64; 9];
    let mut coef = [0.0f64; 3];
    for i in 0..p {
        for j in 0..p {
            a[i * p + j] = cols[i].iter().zip(cols[j]).map(|(u, v)| u * v).sum();
        }
        coef[i] = cols[i].iter().zip(y).map(|(u, v)| u * v).sum();
    }
    if !solve(&mut a[..p * p], &mut coef[..p]) {
        return None;
    }
    let rss: f64 = y
        .iter()
        .enumerate()
        .map(|(k, &yk)| {
            let fit: f64 = (0..p).map(|i| coef[i] * cols[i][k]).sum();
            (yk - fit) * (yk - fit)
        })
        .sum();
    (rss.is_finite() && coef.iter().all(|c| c.is_finite())).then_some((rss, coef))
}

/// The fill [`fill_curve`] fits: `delta` and `tau_rel` as it describes them, and the level `a + b(1 − e^(−(t − t0)/(tau_rel·span_s)))` it predicts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FillCurve {
    pub delta: f64,
    pub tau_rel: f64,
    a: f64,
    b: f64,
    t0: f64,
    span_s: f64,
}

impl FillCurve {
    /// The fill's level at time `t` (its starting level before it starts).
    pub fn at(&self, t: f64) -> f64 {
        self.a + self.b * (1.0 - (-(t - self.t0).max(0.0) / (self.tau_rel * self.span_s)).exp())
    }
}

/// A cache filling against a leak after a warm-up, on the means of `parts` consecutive parts
/// of `(t, y)` (time from the start of the stretch): the best exponential approach to a bound
/// `a + b(1 − e^(−t/τ))` (b > 0, τ free from a thirtieth of the span to thirty spans) against
/// the best line after a warm-up `a + w(1 − e^(−t/τw)) + s·t` (τw up to `warmup_max_s`). Returns
/// the fill ([`FillCurve`]) with Δ (`delta`) the difference of their Bayesian information criteria, positive when the
/// fill explains the parts better, counting the parts as √((1−ρ)/(1+ρ))-fewer for ρ the lag-1
/// autocorrelation of the better model's residuals (clamped to [0, 0.9]), as
/// [`quad_fit_block_se`] widens its error, and τ/span (`tau_rel`); `None` under twelve parts
/// or when no fill rises. With `late_start` (of the span) over zero, the fill may start that
/// late (flat before) and the line likewise (its warm-up still at the start), each start on
/// a grid of fortieths of the span.
pub(crate) fn fill_curve(
    t: &[f64],
    y: &[f64],
    parts: usize,
    warmup_max_s: f64,
    late_start: f64,
) -> Option<FillCurve> {
    let n = t.len().min(y.len());
    if parts < 12 || n < parts {
        return None;
    }
    let bt = part_means(&t[..n], parts);
    let by = part_means(&y[..n], parts);
    let t0 = t[0];
    let span = bt[parts - 1] - t0;
    if span <= 0.0 {
        return None;
    }
    // (Time in spans: the columns of the line's fit alike in scale.)
    let x: Vec<f64> = bt.iter().map(|&ti| (ti - t0) / span).collect();
    let ones = vec![1.0; parts];
    let mut u = vec![0.0; parts];
    let mut v = vec![0.0; parts];
    // The column of an approach to a bound with time constant `tau` (in spans), from `start`
    // (in spans; flat before).
    let approach = |u: &mut [f64], tau: f64, start: f64| {
        for (uk, &xk) in u.iter_mut().zip(&x) {
            *uk = 1.0 - (-(xk - start).max(0.0) / tau).exp();
        }
    };
    // The column of a line from `start` (flat before).
    let onset = |v: &mut [f64], start: f64| {
        for (vk, &xk) in v.iter_mut().zip(&x) {
            *vk = (xk - start).max(0.0);
        }
    };
    let resid = |coef: [f64; 3], cols: &[&[f64]]| -> Vec<f64> {
        (0..parts)
            .map(|k| by[k] - (0..cols.len()).map(|i| coef[i] * cols[i][k]).sum::<f64>())
            .collect()
    };
    // Both may start late, by up to `late_start` of the span (in steps of a fortieth): a
    // cache fills from its first use, which may come after the process started, and a leak
    // from its onset; each model gets the same freedom, so the criterion still weighs their
    // shapes alone.
    let starts = (late_start * 40.0).round() as usize;
    // The fill: τ on a log grid from span/30 to 30 spans.
    let mut fill: Option<(f64, f64, f64, [f64; 3])> = None;
    for j in 0..=starts {
        let start = j as f64 / 40.0;
        for i in 0..80 {
            let tau = (1.0f64 / 30.0).powf(1.0 - 2.0 * i as f64 / 79.0);
            approach(&mut u, tau, start);
            if let Some((rss, coef)) = lsq_small(&[&ones, &u], &by) {
                if coef[1] > 0.0 && fill.is_none_or(|f| rss < f.0) {
                    fill = Some((rss, tau, start, coef));
                }
            }
        }
    }
    let (rss_f, tau_f, start_f, coef_f) = fill?;
    // The line after a warm-up: τw on a log grid from span/300 to `warmup_max_s` (the
    // warm-up at the process's start, the line from its onset).
    let hi = (warmup_max_s / span).clamp(1.0 / 300.0, 1.0 / 6.0);
    let lo = 1.0 / 300.0;
    let mut line: Option<(f64, f64, f64, [f64; 3])> = None;
    for j in 0..=starts {
        let start = j as f64 / 40.0;
        onset(&mut v, start);
        for i in 0..40 {
            let tw = lo * (hi / lo).powf(i as f64 / 39.0);
            approach(&mut u, tw, 0.0);
            if let Some((rss, coef)) = lsq_small(&[&ones, &u, &v], &by) {
                if line.is_none_or(|l| rss < l.0) {
                    line = Some((rss, tw, start, coef));
                }
            }
        }
    }
    let (rss_l, tau_l, start_l, coef_l) = line?;
    let r = if rss_f <= rss_l {
        approach(&mut u, tau_f, start_f);
        resid(coef_f, &[&ones, &u])
    } else {
        approach(&mut u, tau_l, 0.0);
        onset(&mut v, start_l);
        resid(coef_l, &[&ones, &u, &v])
    };
    let rho = lag1_correlation(&r);
    let n_eff = parts as f64 * (1.0 - rho) / (1.0 + rho);
    let curve = |delta: f64| FillCurve {
        delta,
        tau_rel: tau_f,
        a: coef_f[0],
        b: coef_f[1],
        t0: t0 + start_f * span,
        span_s: span,
    };
    if rss_f <= 0.0 {
        return Some(curve(f64::INFINITY));
    }
    let delta = n_eff * (rss_l / rss_f).ln() + n_eff.ln();
    delta.is_finite().then(|| curve(delta))
}

/// The lag-1 autocorrelation of residuals `r` (about zero), clamped to 0..0.9: how far
/// neighbouring parts move together, so that they count as fewer independent ones (a floor's
/// wander leaves runs of residuals of one sign; negative correlation is taken as none).
fn lag1_correlation(r: &[f64]) -> f64 {
    let ss: f64 = r.iter().map(|v| v * v).sum();
    let lag1: f64 = r.windows(2).map(|w| w[0] * w[1]).sum();
    if ss > 0.0 {
        (lag1 / ss).clamp(0.0, 0.9)
    } else {
        0.0
    }
}

/// Student's t at 97.5 % for `dof` degrees of freedom: the "two standard errors" of a
/// normal estimate when the standard error itself comes from `dof` residuals. (1.96 from
/// 31 on; infinite for none.)
pub(crate) fn student_t975(dof: usize) -> f64 {
    const T: [f64; 30] = [
        12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.160,
        2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086, 2.080, 2.074, 2.069, 2.064, 2.060, 2.056,
        2.052, 2.048, 2.045, 2.042,
    ];
    match dof {
        0 => f64::INFINITY,
        d if d <= 30 => T[d - 1],
        _ => 1.96,
    }
}

/// Solves `a·x = b` in place for a row-major `n × n` matrix `a` (`n` = `b.len()`), by Gaussian
/// elimination with partial pivoting: `b` becomes `x`. False when `a` is singular — a pivot
/// within 1e-12 of its largest element — or holds no finite numbers.
pub(crate) fn solve(a: &mut [f64], b: &mut [f64]) -> bool {
    let n = b.len();
    debug_assert_eq!(a.len(), n * n);
    let scale = a.iter().fold(0.0f64, |s, x| s.max(x.abs()));
    for col in 0..n {
        let Some(piv) =
            (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))
        else {
            return false;
        };
        let pivot = a[piv * n + col].abs();
        if pivot.is_nan() || pivot <= 1e-12 * scale {
            return false;
        }
        if piv != col {
            for j in 0..n {
                a.swap(col * n + j, piv * n + j);
            }
            b.swap(col, piv);
        }
        for r in col + 1..n {
            let f = a[r * n + col] / a[col * n + col];
            if f != 0.0 {
                for j in col..n {
                    a[r * n + j] -= f * a[col * n + j];
                }
                b[r] -= f * b[col];
            }
        }
    }
    for col in (0..n).rev() {
        let s: f64 = (col + 1..n).map(|j| a[col * n + j] * b[j]).sum();
        b[col] = (b[col] - s) / a[col * n + col];
    }
    true
}

#[cfg(test)]
mod tests {
    use super::super::testing::centred_uniform;
    use super::*;

    /// The first of equal lows is where the low is; a NaN is no low; nothing has none.
    #[test]
    fn the_lowest_reading_is_found_first_of_its_equals() {
        assert_eq!(lowest(&[3.0, 1.0, f64::NAN, 1.0, 2.0]), (1, 1.0));
        assert_eq!(lowest(&[]), (0, f64::INFINITY));
    }

    /// A quantile is the reading at its rank (`len × num / den`, rounded down, from 0): of
    /// twenty readings the 90th percentile is the second highest, the lower quartile the
    /// sixth lowest; of ten, the highest and the third lowest.
    #[test]
    fn a_quantile_is_the_reading_at_its_rank_rounded_down() {
        let mut xs: Vec<f64> = (1..=20).rev().map(f64::from).collect();
        assert_eq!(quantile_mut(&mut xs, 9, 10), 19.0);
        assert_eq!(quantile_mut(&mut xs, 1, 4), 6.0);
        let mut xs: Vec<f64> = (1..=10).rev().map(f64::from).collect();
        assert_eq!(quantile_mut(&mut xs, 9, 10), 10.0);
        assert_eq!(quantile_mut(&mut xs, 1, 4), 3.0);
    }

    #[test]
    fn median_and_slope() {
        let mut s = Vec::new();
        assert_eq!(median(&[3.0, 1.0, 2.0], &mut s), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0], &mut s), 2.5);
        assert_eq!(median(&[], &mut s), 0.0);
        assert_eq!(median_sorted(&[1.0, 2.0, 3.0]), 2.0);
        assert_eq!(median_sorted(&[1.0, 2.0, 3.0, 4.0]), 2.5);
        assert_eq!(median_sorted(&[]), 0.0);
        let t: Vec<f64> = (0..20).map(|i| i as f64).collect();
        let mut y: Vec<f64> = t.iter().map(|t| 3.0 * t + 1.0).collect();
        y[5] = 1e9; // an outlier does not move the slope
        assert!((half_lag_slope(&t, &y, &mut s) - 3.0).abs() < 1e-9);
    }

    #[test]
    fn rolling_min_matches_naive() {
        let y = [5.0, 3.0, 4.0, 1.0, 2.0, 6.0, 0.5, 7.0, 8.0, 9.0];
        let (mut out, mut dq) = (Vec::new(), Vec::new());
        for w in 1..=5 {
            rolling_min(&y, w, &mut out, &mut dq);
            let naive: Vec<f64> = y
                .windows(w)
                .map(|s| s.iter().copied().fold(f64::INFINITY, f64::min))
                .collect();
            assert_eq!(out, naive, "w={w}");
        }
    }

    #[test]
    fn finds_a_period() {
        let y: Vec<f64> = (0..96)
            .map(|i| (i as f64 * std::f64::consts::TAU / 12.0).sin() + 0.01 * i as f64)
            .collect();
        let mut s = Vec::new();
        assert_eq!(acf_period(&y, 0.01, 0.3, &mut s), Some(12));
        let mut rng = crate::corpus::Rng::new(3);
        let flat: Vec<f64> = (0..96).map(|_| rng.normal()).collect();
        assert!(acf_period(&flat, 0.0, 0.5, &mut s).is_none());
    }

    #[test]
    fn autocorrelations_side_by_side_match_one_lag_at_a_time_to_the_bit() {
        let mut rng = crate::corpus::Rng::new(5);
        for n in [8, 9, 10, 11, 17, 64, 65, 129] {
            let mut x: Vec<f64> = (0..n).map(|_| rng.normal()).collect();
            let m = x.iter().sum::<f64>() / n as f64;
            x.iter_mut().for_each(|v| *v -= m);
            let var: f64 = x.iter().map(|v| v * v).sum();
            for first in 1..n {
                let got = autocorrelations(&x, first, var);
                for (l, &g) in got.iter().enumerate() {
                    let lag = first + l;
                    if lag >= n {
                        assert_eq!(g, 0.0);
                        continue;
                    }
                    let want = x[..n - lag]
                        .iter()
                        .zip(&x[lag..])
                        .map(|(a, b)| a * b)
                        .sum::<f64>()
                        / var;
                    assert_eq!(g.to_bits(), want.to_bits(), "n={n} lag={lag}");
                }
            }
        }
    }

    #[test]
    fn quadratic_fit() {
        let t: Vec<f64> = (0..50).map(|i| 100.0 + i as f64).collect();
        let y: Vec<f64> = t
            .iter()
            .map(|t| {
                let x = (t - 100.0) / 49.0;
                5.0 + 3.0 * x - 2.0 * x * x
            })
            .collect();
        let (b, c) = quad_fit(&t, &y).expect("fit");
        assert!((b - 3.0).abs() < 1e-6 && (c + 2.0).abs() < 1e-6, "{b} {c}");
    }

    /// The block fit reads a parabola's curvature exactly, with no error; under a wander
    /// (residuals whose neighbours are alike) its standard error is the least-squares one
    /// widened by √((1+ρ)/(1−ρ)). (With nine parts, a quadratic absorbs most slow drifts, and
    /// ρ of what remains is rarely large: the widening is modest, the residual scatter does
    /// most of the work.)
    #[test]
    fn block_curvature_standard_error_widens_under_a_wander() {
        let t: Vec<f64> = (0..90).map(f64::from).collect();
        let bend = |x: f64| 100.0 * x / 89.0 - 40.0 * (x / 89.0).powi(2);
        let (b, c, se) =
            quad_fit_block_se(&t, &t.iter().map(|&x| bend(x)).collect::<Vec<_>>(), 9).expect("fit");
        assert!(se < 1e-6, "{se}");
        // (In units of the span between the first and the last block's centres, 80 of 89.)
        let r = 80.0 / 89.0;
        let want_b = (100.0 - 80.0 * 4.5 / 89.0) * r;
        assert!(
            (c + 40.0 * r * r).abs() < 1e-6 && (b - want_b).abs() < 1e-6,
            "{b} {c}"
        );
        // A wander of one value per part: sin(2πi/7) over nine parts. Least squares (numpy)
        // leaves residuals with a standard error of 2.608 for the curvature and a lag-1
        // autocorrelation of 0.319; the honest error is wider by √(1.319/0.681): 3.631.
        let t9: Vec<f64> = (0..9).map(f64::from).collect();
        let wan: Vec<f64> = t9
            .iter()
            .map(|&i| (2.0 * std::f64::consts::PI * i / 7.0).sin())
            .collect();
        let (_, c, se) = quad_fit_block_se(&t9, &wan, 9).expect("fit");
        assert!(
            (c - 3.0265).abs() < 1e-3 && (se - 3.6307).abs() < 1e-3,
            "{c} {se}"
        );
        assert!(quad_fit_block_se(&t9, &wan, 5).is_none(), "under six parts");
        assert_eq!(student_t975(6), 2.447);
        assert_eq!(student_t975(100), 1.96);
        assert!(student_t975(0).is_infinite());
    }

    /// A cache filling over a day (time constant 0.4 of it, 20 noise scales in all, white
    /// noise every minute) is told from a line after a warm-up by far more than the 10 the
    /// recognizer asks; a line after a 30-minute warm-up of the same total rise is not, and a
    /// straight line reads as a fill whose time constant is longer than the run.
    #[test]
    fn a_fill_is_told_from_a_line_after_a_warm_up() {
        let mut x = 0x9e37_79b9_7f4a_7c15_u64;
        let mut noise = || centred_uniform(&mut x) * 12f64.sqrt();
        let span = 24.0 * 3600.0;
        let t: Vec<f64> = (0..1440).map(|i| 1.7e9 + 60.0 * f64::from(i)).collect();
        let sd = 1e6;
        let fit = |y: &[f64], parts: usize| {
            let f = fill_curve(&t, y, parts, 3.0 * 3600.0, 0.0).expect("fit");
            (f.delta, f.tau_rel)
        };
        let fill: Vec<f64> = t
            .iter()
            .map(|&ti| {
                let x = (ti - t[0]) / (0.4 * span);
                1e8 + 20.0 * sd * (1.0 - (-x).exp()) / (1.0 - (-2.5f64).exp()) + sd * noise()
            })
            .collect();
        let (d, tau_rel) = fit(&fill, 48);
        assert!(d > 10.0 && (0.3..=0.6).contains(&tau_rel), "{d} {tau_rel}");
        let warm_line: Vec<f64> = t
            .iter()
            .map(|&ti| {
                let x = ti - t[0];
                1e8 + 5.0 * sd * (1.0 - (-x / 1800.0).exp()) + 15.0 * sd * x / span + sd * noise()
            })
            .collect();
        let (d, _) = fit(&warm_line, 48);
        assert!(d < 0.0, "{d}");
        let line: Vec<f64> = t
            .iter()
            .map(|&ti| 1e8 + 20.0 * sd * (ti - t[0]) / span + sd * noise())
            .collect();
        let (_, tau_rel) = fit(&line, 48);
        assert!(tau_rel > 0.6, "{tau_rel}");
        assert!(
            fill_curve(&t, &line, 11, 3.0 * 3600.0, 0.0).is_none(),
            "under twelve parts"
        );
    }

    /// 40 h of a cache first used 5 h in (an eighth of the run) and filling by 30 noise
    /// scales with a time constant of 18 h, under white noise every minute: fitted from the
    /// run's start, the flat first hours bend the fill away from the data (it reads no fill
    /// to a bound at all, or a time constant longer than the run); let to start up to 15% in,
    /// with the line after a warm-up it is weighed against free to start as late, it is told
    /// from that line by far more than 10, its time constant under 0.6 of the run. A leak
    /// begun as late (flat, then a line) is no fill to a bound.
    #[test]
    fn a_fill_that_starts_late_is_told_from_a_line_that_starts_as_late() {
        let mut x = 0x2dd6_1c3a_b5f0_117b_u64;
        let mut noise = || centred_uniform(&mut x) * 12f64.sqrt();
        let t: Vec<f64> = (0..2400).map(|i| 1.7e9 + 60.0 * f64::from(i)).collect();
        let sd = 1e6;
        let fill: Vec<f64> = t
            .iter()
            .map(|&ti| {
                let h = ((ti - t[0]) / 3600.0 - 5.0).max(0.0);
                1e8 + 30.0 * sd * (1.0 - (-h / 18.0).exp()) + sd * noise()
            })
            .collect();
        let bound = |f: &FillCurve| f.delta > 10.0 && f.tau_rel <= 0.6;
        let from_start = fill_curve(&t, &fill, 48, 3.0 * 3600.0, 0.0);
        assert!(!from_start.is_some_and(|f| bound(&f)), "{from_start:?}");
        let late = fill_curve(&t, &fill, 48, 3.0 * 3600.0, 0.15).expect("fit");
        assert!(bound(&late), "{late:?}");
        assert!(
            (late.at(t[200]) - late.at(t[0])).abs() < 1.0,
            "flat before its start"
        );
        let line: Vec<f64> = t
            .iter()
            .map(|&ti| {
                let h = ((ti - t[0]) / 3600.0 - 5.0).max(0.0);
                1e8 + 0.8 * sd * h + sd * noise()
            })
            .collect();
        let late = fill_curve(&t, &line, 48, 3.0 * 3600.0, 0.15).expect("fit");
        assert!(!bound(&late), "{late:?}");
    }

    #[test]
    fn tau_of_monotone() {
        assert_eq!(mk_tau(&[1.0, 2.0, 3.0, 4.0], 0.0), 1.0);
        assert_eq!(mk_tau(&[4.0, 3.0, 2.0], 0.0), -1.0);
        assert_eq!(mk_tau(&[1.0, 1.0, 1.0], 0.1), 0.0);
    }

    #[test]
    fn solve_finds_x_and_refuses_a_singular_matrix() {
        // A zero first pivot needs a row swap.
        let mut a = [0.0, 2.0, 1.0, 1.0, 1.0, 0.0, 2.0, 0.0, 1.0];
        let mut b = [7.0, 3.0, 5.0];
        assert!(solve(&mut a, &mut b));
        for (x, want) in b.iter().zip([1.0, 2.0, 3.0]) {
            assert!((x - want).abs() < 1e-12, "{b:?}");
        }
        let mut a = [1.0, 2.0, 2.0, 4.0];
        assert!(!solve(&mut a, &mut [1.0, 2.0]));
        assert!(!solve(&mut [f64::NAN], &mut [1.0]));
    }
}
