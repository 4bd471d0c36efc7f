//! A seeded generator of labeled memory series (leak / no leak, with the shape), used to
//! measure recognition. Pure and deterministic: the same `(seed, index)` always gives the same
//! series.
//!
//! Every pattern of the leak model is covered, with parameters drawn over wide ranges so that a
//! recognizer tuned on one seed range can be checked honestly on another: sampling every
//! 15–60 s (with jitter), spans from 30 minutes to several days, baselines from 20 MB to 8 GB,
//! growth rates from a few MB/h to GB/h, Gaussian noise, outliers, GC sawtooth overlays,
//! cycles of 1–24 h and restarts.

use crate::series::Point;
use crate::verdict::Pattern;

/// One labeled series of the corpus.
#[derive(Debug, Clone, PartialEq)]
pub struct LabeledSeries {
    /// Unique name, e.g. `s0007-rising-floor`.
    pub name: String,
    /// True when the series leaks (its floor grows without bound).
    pub leak: bool,
    /// The shape the generator drew.
    pub pattern: Pattern,
    /// Another name that describes the series as well, when the generator made one fit: a GC
    /// sawtooth put on a flat series makes it a `sawtooth` and on a steady leak a
    /// `rising-floor` (a third of all series carry such an overlay), and a sawtooth the
    /// samples cannot show (under four samples a cycle, or teeth within the noise) leaves
    /// `stable` or `linear-growth`.
    pub also: Option<Pattern>,
    /// Unix seconds at which the leak starts (first sample for most leaks); `None` for no leak.
    pub onset: Option<f64>,
    /// A memory limit in bytes when the generator gave the series one (about half of them).
    pub limit_bytes: Option<f64>,
    /// The samples: `t` unix seconds, `v` bytes.
    pub points: Vec<Point>,
}

/// The patterns the generator draws, leak patterns first (index order is the round-robin order).
pub const PATTERNS: [Pattern; 12] = [
    Pattern::LinearGrowth,
    Pattern::RisingFloor,
    Pattern::LeakWithRestarts,
    Pattern::LeakUnderCycle,
    Pattern::LateOnsetLeak,
    Pattern::GrowthInBursts,
    Pattern::Plateau,
    Pattern::Cyclic,
    Pattern::SpikeRecovered,
    Pattern::Step,
    Pattern::Sawtooth,
    Pattern::Stable,
];

const MB: f64 = 1e6;
const HOUR: f64 = 3600.0;

/// A small deterministic PRNG (SplitMix64): no dependency, stable across platforms.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`.
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9E37_79B9_7F4A_7C15)
    }
    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
    /// Uniform in `[0, 1)`.
    pub fn f(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64
    }
    /// Uniform in `[a, b)`.
    pub fn range(&mut self, a: f64, b: f64) -> f64 {
        a + (b - a) * self.f()
    }
    /// Log-uniform in `[a, b)` (both > 0).
    pub fn log_range(&mut self, a: f64, b: f64) -> f64 {
        (a.ln() + (b.ln() - a.ln()) * self.f()).exp()
    }
    /// Standard normal (Box–Muller).
    pub fn normal(&mut self) -> f64 {
        let u1 = self.f().max(1e-300);
        let u2 = self.f();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }
    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        self.f() < p
    }
    /// Uniform integer in `[a, b]` (`a` when `b ≤ a`).
    pub fn int(&mut self, a: u64, b: u64) -> u64 {
        if b <= a {
            return a;
        }
        match (b - a).checked_add(1) {
            Some(k) => a + self.next_u64() % k,
            None => self.next_u64(),
        }
    }
}

/// `n` labeled series from `seed`: series `i` has pattern `PATTERNS[i % 12]`, so any 12
/// consecutive series cover every pattern once.
pub fn generate(seed: u64, n: usize) -> Vec<LabeledSeries> {
    (0..n).map(|i| generate_one(seed, i)).collect()
}

/// Series `index` of the corpus with `seed`.
pub fn generate_one(seed: u64, index: usize) -> LabeledSeries {
    let pattern = PATTERNS[index % PATTERNS.len()];
    let mut rng = Rng::new(seed.wrapping_mul(1_000_003).wrapping_add(index as u64));
    let g = Gen::draw(&mut rng, pattern);
    g.build(&mut rng, format!("s{index:04}-{}", pattern.as_str()))
}

/// The drawn parameters of one series.
struct Gen {
    pattern: Pattern,
    t0: f64,
    dt: f64,
    span: f64,
    base: f64,
    noise: f64,
    /// Leak rate, bytes per second (0 for no leak).
    rate: f64,
    onset_frac: f64,
    /// Optional GC sawtooth: (period s, amplitude bytes).
    gc: Option<(f64, f64)>,
    /// Optional cycle: (period s, amplitude bytes, phase rad).
    cycle: Option<(f64, f64, f64)>,
}

impl Gen {
    fn draw(rng: &mut Rng, pattern: Pattern) -> Gen {
        let dt = [15.0, 20.0, 30.0, 45.0, 60.0][rng.int(0, 4) as usize];
        let base = rng.log_range(20.0 * MB, 8000.0 * MB);
        // Noise: relative to the level, 0.05 %–1.5 %, plus allocator jitter of ~0.2–2 MB.
        let noise = base * rng.log_range(0.0005, 0.015) + rng.range(0.2, 2.0) * MB;
        let mut span = rng.log_range(0.5 * HOUR, 96.0 * HOUR);
        let mut cycle = None;
        let mut gc = None;
        let gc_draw = |rng: &mut Rng, span: f64, base: f64| {
            let period = rng.log_range(120.0, (2400.0f64).min(span / 6.0).max(240.0));
            let amp = base * rng.log_range(0.05, 0.6);
            (period, amp)
        };
        match pattern {
            Pattern::RisingFloor | Pattern::Sawtooth => {
                span = span.max(1.0 * HOUR);
                gc = Some(gc_draw(rng, span, base));
            }
            Pattern::LeakUnderCycle | Pattern::Cyclic => {
                let period = rng.log_range(1.0 * HOUR, 24.0 * HOUR);
                span = span
                    .max(period * rng.range(2.5, 4.5))
                    .min(8.0 * 24.0 * HOUR);
                let amp = base * rng.log_range(0.1, 1.0);
                cycle = Some((period, amp, rng.range(0.0, std::f64::consts::TAU)));
            }
            Pattern::LeakWithRestarts => span = span.max(3.0 * HOUR),
            Pattern::LateOnsetLeak | Pattern::GrowthInBursts | Pattern::SpikeRecovered => {
                span = span.max(2.0 * HOUR)
            }
            Pattern::Plateau | Pattern::Step => span = span.max(1.0 * HOUR),
            _ => {}
        }
        // Any pattern may carry a GC sawtooth on top (a third of the time).
        if gc.is_none() && pattern != Pattern::Sawtooth && rng.chance(0.3) {
            gc = Some(gc_draw(rng, span, base * 0.5));
        }
        let onset_frac = if pattern == Pattern::LateOnsetLeak {
            rng.range(0.2, 0.6)
        } else {
            0.0
        };
        let rate = if pattern.is_leak() {
            // Total rise of the floor: 3 %–300 % of the baseline, at least well above the noise,
            // and the rate kept between 2 MB/h and 4 GB/h.
            let mut grow_span = span * (1.0 - onset_frac);
            if pattern == Pattern::LeakWithRestarts {
                grow_span = span / 3.0; // the rise is per segment between restarts
            }
            let rise = (base * rng.log_range(0.03, 3.0)).max(8.0 * noise);
            (rise / grow_span).clamp(2.0 * MB / HOUR, 4000.0 * MB / HOUR)
        } else {
            0.0
        };
        Gen {
            pattern,
            t0: 1_700_000_000.0 + rng.range(0.0, 30.0 * 24.0 * HOUR).floor(),
            dt,
            span,
            base,
            noise,
            rate,
            onset_frac,
            gc,
            cycle,
        }
    }

    fn build(&self, rng: &mut Rng, name: String) -> LabeledSeries {
        let n = ((self.span / self.dt) as usize).max(2);
        let span = self.span;
        let base = self.base;
        // Pattern-specific shape parameters.
        let fill_amp = base * rng.log_range(0.1, 3.0);
        let fill_tau = span * rng.log_range(1.0 / 25.0, 1.0 / 2.5);
        let fill_hard = rng.chance(0.35);
        let fill_start = span * rng.range(0.0, 0.1);
        let step_at = span * rng.range(0.15, 0.6);
        let step_amp = base * rng.log_range(0.1, 2.0);
        let step_ramp = rng.range(60.0, 1200.0);
        let spike_at = span * rng.range(0.1, 0.6);
        let spike_len = (span * rng.range(0.03, 0.25)).min(6.0 * HOUR);
        let spike_amp = base * rng.log_range(0.2, 3.0);
        // Restarts: 1–4 at random times, each segment at least 12 % of the span.
        let mut restarts: Vec<f64> = Vec::new();
        if self.pattern == Pattern::LeakWithRestarts {
            let k = rng.int(1, 4) as usize;
            let mut t = 0.0;
            for _ in 0..k {
                t += span * rng.range(0.12, 0.35);
                if t < span * 0.88 {
                    restarts.push(t);
                }
            }
        }
        // Bursts: a staircase with random gaps.
        let mut bursts: Vec<f64> = Vec::new();
        let burst_len = rng.range(60.0, 900.0);
        if self.pattern == Pattern::GrowthInBursts {
            let mean_gap = span / rng.range(4.0, 12.0);
            let mut t = mean_gap * rng.range(0.1, 1.0);
            while t < span - burst_len {
                bursts.push(t);
                t += mean_gap * rng.range(0.5, 1.5);
            }
            if bursts.len() < 3 {
                bursts = vec![span * 0.2, span * 0.45, span * 0.7];
            }
        }
        let burst_size = self.rate * span / bursts.len().max(1) as f64;
        let onset = self.onset_frac * span;
        let outlier_p = if rng.chance(0.5) { 0.002 } else { 0.0 };
        // Warm-up after a restart: a quick fill, at most half the leak's rise per segment (a
        // bigger warm-up makes each segment a cache fill, indistinguishable from a plateau).
        let seg_rise = self.rate * span / (restarts.len() + 1) as f64;
        let warm = (base * rng.range(0.0, 0.3)).min(0.5 * seg_rise);
        let warm_tau = rng.range(120.0, 900.0);

        let mut points = Vec::with_capacity(n);
        let mut t = 0.0;
        while t <= span {
            let mut v = base;
            // Restarts: time since the last restart.
            let seg_start = restarts
                .iter()
                .rev()
                .find(|&&r| r <= t)
                .copied()
                .unwrap_or(0.0);
            let since = t - seg_start;
            match self.pattern {
                Pattern::LinearGrowth | Pattern::RisingFloor | Pattern::LeakUnderCycle => {
                    v += self.rate * t
                }
                Pattern::LeakWithRestarts => {
                    v += self.rate * since + warm * (1.0 - (-since / warm_tau).exp())
                }
                Pattern::LateOnsetLeak => v += self.rate * (t - onset).max(0.0),
                Pattern::GrowthInBursts => {
                    for &b in &bursts {
                        v += burst_size * ((t - b) / burst_len).clamp(0.0, 1.0);
                    }
                }
                Pattern::Plateau => {
                    let x = (t - fill_start).max(0.0);
                    v += if fill_hard {
                        (fill_amp / fill_tau * x * 0.5).min(fill_amp)
                    } else {
                        fill_amp * (1.0 - (-x / fill_tau).exp())
                    };
                }
                Pattern::Step => v += step_amp * ((t - step_at) / step_ramp).clamp(0.0, 1.0),
                Pattern::SpikeRecovered => {
                    let x = t - spike_at;
                    if x > 0.0 && x < spike_len {
                        v += spike_amp * (std::f64::consts::PI * x / spike_len).sin().powf(0.5);
                    }
                }
                _ => {}
            }
            if let Some((p, a, ph)) = self.cycle {
                v += a * 0.5 * (1.0 - (std::f64::consts::TAU * t / p + ph).cos());
            }
            if let Some((p, a)) = self.gc {
                // Ramp up over the period, then a GC drops it back to the floor.
                v += a * ((t + p * 0.37) % p) / p;
            }
            v += self.noise * rng.normal();
            if outlier_p > 0.0 && rng.chance(outlier_p) {
                v += base * rng.range(0.05, 0.5);
            }
            if self.pattern == Pattern::LeakWithRestarts
                && since < self.dt * 0.999
                && seg_start > 0.0
            {
                v = base * rng.range(0.05, 0.5); // the process just came back up
            }
            points.push(Point::new(self.t0 + t, v.max(1.0 * MB)));
            t += self.dt * rng.range(0.9, 1.1);
        }
        let leak = self.pattern.is_leak();
        let limit_bytes = if rng.chance(0.5) {
            let peak = points.iter().map(|p| p.v).fold(0.0, f64::max);
            Some((peak * rng.range(1.1, 3.0) / MB).round() * MB)
        } else {
            None
        };
        // A sawtooth shows when a cycle holds four samples and its teeth stand out of the
        // noise (three sd: the noise alone spans about four).
        let seen_gc = self
            .gc
            .is_some_and(|(period, amp)| period >= 4.0 * self.dt && amp >= 3.0 * self.noise);
        let also = match (self.pattern, seen_gc) {
            (Pattern::Stable, true) => Some(Pattern::Sawtooth),
            (Pattern::LinearGrowth, true) => Some(Pattern::RisingFloor),
            (Pattern::Sawtooth, false) => Some(Pattern::Stable),
            (Pattern::RisingFloor, false) => Some(Pattern::LinearGrowth),
            _ => None,
        };
        LabeledSeries {
            name,
            leak,
            pattern: self.pattern,
            also,
            onset: leak.then_some(self.t0 + onset),
            limit_bytes,
            points,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_covers_patterns() {
        let a = generate(7, 24);
        let b = generate(7, 24);
        assert_eq!(a, b);
        for p in PATTERNS {
            assert!(a.iter().any(|s| s.pattern == p));
        }
        for s in &a {
            assert!(s.points.len() >= 20, "{}", s.name);
            assert!(s.points.windows(2).all(|w| w[1].t > w[0].t));
            assert_eq!(s.leak, s.onset.is_some());
        }
    }
}
