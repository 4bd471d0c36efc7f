//! One evaluation of the bucket summary: split at restarts, judge the last segment (and its
//! recent half, for leaks that start late), fall back on the previous segment when the last
//! one is too short, and name the result.

use super::buckets::Bucket;
use super::stats::{diff_noise, median_mut};
use super::window::{judge, Cfg, Cols, WinEval};
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
    pub detail: Option<WinEval>,
    /// Start of the judged stretch, unix seconds.
    pub judged_from: f64,
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
        }
    }
}

/// Bucket columns, owned.
struct Columns {
    t: Vec<f64>,
    t_first: Vec<f64>,
    lo: Vec<f64>,
    hi: Vec<f64>,
    mean: Vec<f64>,
    last: Vec<f64>,
}

impl Columns {
    fn cols(&self, a: usize, b: usize) -> Cols<'_> {
        Cols {
            t: &self.t[a..b],
            lo: &self.lo[a..b],
            hi: &self.hi[a..b],
            mean: &self.mean[a..b],
        }
    }
}

const MB: f64 = 1e6;

/// Indices of buckets where the process restarted: the floor falls by more than half
/// (Coroot's rule), or falls back near the segment's starting floor after climbing for at
/// least 90 minutes. A drop must persist into the next bucket (one bad sample is no restart).
fn find_restarts(c: &Columns, sigma: f64) -> Vec<usize> {
    let n = c.t.len();
    let mut starts = vec![0usize];
    let mut seg = 0usize;
    let mut s0 = c.lo[0].min(*c.lo.get(1).unwrap_or(&c.lo[0]));
    for i in 1..n {
        let prev = c.lo[i - 1];
        let drop_min = (4.0 * sigma).max(0.05 * prev.abs()).max(1.0 * MB);
        if c.lo[i] > prev - drop_min || i <= seg {
            continue;
        }
        // Floor of the hour before (at least two buckets), within the segment.
        let floor_before = |window: f64| {
            let mut fp = f64::INFINITY;
            let mut j = i;
            while j > seg {
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
        let after = if i + 1 < n { c.lo[i + 1] } else { c.last[i] };
        // A fall to below half of the last 20 minutes' floor: the new process starts small.
        // It is a restart unless the level right after is back above the floor before (a
        // one-sample glitch) or the segment is younger than 20 minutes.
        let halved = c.lo[i] < 0.5 * fp_recent
            && after <= fp_recent + sigma
            && after < fp_recent - 2.0 * sigma
            && c.t[i] - c.t_first[seg] >= 1200.0;
        let drop = fp - c.lo[i];
        if drop < drop_min && !halved {
            continue;
        }
        let rise = fp - s0;
        let back_to_start = c.t[i] - c.t_first[seg] >= 5400.0
            && rise >= (0.05 * fp.abs()).max(8.0 * sigma).max(2.0 * MB)
            && c.lo[i] <= s0 + 0.35 * rise
            && after <= s0 + 0.5 * rise;
        if halved || back_to_start {
            starts.push(i);
            seg = i;
            s0 = c.lo[i].min(after);
        }
    }
    starts
}

/// Evaluate the buckets (oldest first).
pub(crate) fn evaluate(bs: &[Bucket], cfg: &Cfg) -> Eval {
    let n = bs.len();
    let points: u64 = bs.iter().map(|b| u64::from(b.n)).sum();
    if n < 6 || points < 10 {
        return Eval::insufficient(0);
    }
    let c = Columns {
        t: bs.iter().map(Bucket::t_mid).collect(),
        t_first: bs.iter().map(|b| b.t_first).collect(),
        lo: bs.iter().map(|b| b.lo).collect(),
        hi: bs.iter().map(|b| b.hi).collect(),
        mean: bs.iter().map(Bucket::mean).collect(),
        last: bs.iter().map(|b| b.last).collect(),
    };
    let mut s = Vec::with_capacity(n);
    let sigma = diff_noise(&c.lo, &mut s);
    // Measurement noise from second differences of the bucket minima: blind to smooth
    // trends and cycles, which first differences mistake for noise.
    s.clear();
    s.extend(c.lo.windows(3).map(|w| (w[2] - 2.0 * w[1] + w[0]).abs()));
    let sigma2 = 1.4826 * median_mut(&mut s) / 6f64.sqrt();
    let starts = find_restarts(&c, sigma);
    let restarts = starts.len() - 1;

    // Segments [a, b); after a restart skip the restart bucket itself.
    let seg = |k: usize| -> (usize, usize) {
        let a = starts[k] + usize::from(k > 0);
        let b = starts.get(k + 1).copied().unwrap_or(n);
        (a.min(b), b)
    };
    let judge_seg = |k: usize| -> Option<(WinEval, f64)> {
        let (a, b) = seg(k);
        if b < a + 6 {
            return None;
        }
        let full = judge(&c.cols(a, b), sigma2, None, cfg)?;
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
        match judge(&c.cols(h, b), sigma2, hint, cfg) {
            Some(late) if late.leak && full.pattern != Pattern::Step => {
                let mut late = late;
                if full.growth_bps < 0.5 * late.growth_bps && restarts == 0 {
                    late.pattern = Pattern::LateOnsetLeak;
                }
                Some((late, c.t_first[h]))
            }
            _ => Some((full, c.t_first[a])),
        }
    };

    let last = judge_seg(restarts);
    let prev = if restarts > 0 {
        judge_seg(restarts - 1)
    } else {
        None
    };
    let prev_leak = prev.is_some_and(|(p, _)| p.leak);
    let pick = match (last, prev) {
        (Some((l, from)), _) if l.leak => {
            let mut l = l;
            if restarts > 0 && l.pattern != Pattern::GrowthInBursts {
                l.pattern = Pattern::LeakWithRestarts;
            }
            Some((l, from, true))
        }
        (Some((l, from)), Some((p, _)))
            if prev_leak
                && l.growth_bps > 0.3 * p.growth_bps
                && !matches!(l.pattern, Pattern::Step | Pattern::Plateau) =>
        {
            // Growing again after a restart, at the rate that leaked before.
            let mut l = l;
            l.pattern = Pattern::LeakWithRestarts;
            l.confidence = l.confidence.max(p.confidence * 0.9);
            Some((l, from, true))
        }
        (Some((l, from)), _) => Some((l, from, false)),
        (None, Some((p, from))) if prev_leak => {
            let mut p = p;
            p.pattern = Pattern::LeakWithRestarts;
            Some((p, from, true))
        }
        (None, Some((p, from))) => Some((p, from, false)),
        (None, None) => None,
    };
    match pick {
        None => Eval::insufficient(restarts),
        Some((w, from, leak)) => Eval {
            kind: if leak {
                VerdictKind::Leak
            } else {
                VerdictKind::NoLeak
            },
            pattern: w.pattern,
            growth_bps: if w.growth_bps > 0.0 && (leak || w.rise >= w.rise_needed) {
                w.growth_bps
            } else {
                0.0
            },
            confidence: w.confidence,
            floor_now: w.floor_now,
            restarts,
            detail: Some(w),
            judged_from: from,
        },
    }
}
