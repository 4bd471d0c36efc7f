//! The growth window: recent points in bounded memory, with running sums so the least-squares
//! rate costs O(1) per sample.

use std::collections::VecDeque;

use crate::series::Point;

/// At most this many points are kept in the growth window and in the warm-up sample; faster
/// sampling is thinned (a point is kept only if it is at least window/MAX later than the last
/// kept one), so memory stays bounded whatever the interval.
pub const MAX_WINDOW_POINTS: usize = 4096;

/// Points of the last `seconds`, oldest first, and the sums of a least-squares fit, taken
/// relative to a reference point near the front (re-based now and then, for precision).
#[derive(Debug, Clone)]
pub(super) struct Window {
    seconds: f64,
    points: VecDeque<Point>,
    t_ref: f64,
    v_ref: f64,
    st: f64,
    sv: f64,
    stt: f64,
    stv: f64,
    /// Pushes since the sums were last rebuilt from scratch (bounds rounding drift).
    since_rebuild: usize,
}

impl Window {
    /// An empty window of `seconds`.
    pub(super) fn new(seconds: f64) -> Self {
        Self {
            seconds,
            points: VecDeque::new(),
            t_ref: 0.0,
            v_ref: 0.0,
            st: 0.0,
            sv: 0.0,
            stt: 0.0,
            stv: 0.0,
            since_rebuild: 0,
        }
    }

    /// Number of points held (at most [`MAX_WINDOW_POINTS`] + 1).
    pub(super) fn len(&self) -> usize {
        self.points.len()
    }

    /// Add `p` (thinned), drop points older than the window.
    pub(super) fn push(&mut self, p: Point) {
        let min_gap = self.seconds / MAX_WINDOW_POINTS as f64;
        match self.points.back() {
            Some(last) if p.t < last.t => {
                // Out of order, or the clock jumped back: start over.
                self.points.clear();
                self.rebuild();
                self.add(p);
            }
            Some(last) if p.t - last.t < min_gap => {}
            _ => self.add(p),
        }
        let cutoff = p.t - self.seconds;
        while self.points.front().is_some_and(|q| q.t < cutoff)
            || self.points.len() > MAX_WINDOW_POINTS + 1
        {
            if let Some(q) = self.points.pop_front() {
                self.accumulate(q, -1.0);
            }
        }
        if self.since_rebuild >= MAX_WINDOW_POINTS
            || self
                .points
                .front()
                .is_some_and(|q| q.t - self.t_ref > self.seconds)
        {
            self.rebuild();
        }
    }

    fn add(&mut self, p: Point) {
        if self.points.is_empty() {
            self.t_ref = p.t;
            self.v_ref = p.v;
        }
        self.points.push_back(p);
        self.accumulate(p, 1.0);
        self.since_rebuild += 1;
    }

    fn accumulate(&mut self, p: Point, sign: f64) {
        let (t, v) = (p.t - self.t_ref, p.v - self.v_ref);
        self.st += sign * t;
        self.sv += sign * v;
        self.stt += sign * t * t;
        self.stv += sign * t * v;
    }

    /// Recompute the sums from the points, relative to the front point.
    fn rebuild(&mut self) {
        (self.st, self.sv, self.stt, self.stv) = (0.0, 0.0, 0.0, 0.0);
        self.since_rebuild = 0;
        if let Some(front) = self.points.front().copied() {
            (self.t_ref, self.v_ref) = (front.t, front.v);
            for q in self.points.clone() {
                self.accumulate(q, 1.0);
            }
        }
    }

    /// The points held, oldest first.
    pub(super) fn points(&self) -> Vec<Point> {
        self.points.iter().copied().collect()
    }

    /// The oldest value held.
    pub(super) fn first_value(&self) -> Option<f64> {
        self.points.front().map(|p| p.v)
    }

    /// Least-squares slope, bytes per hour; `None` until the points span at least
    /// `min_span_seconds` with 3 points or more.
    pub(super) fn rate_per_hour(&self, min_span_seconds: f64) -> Option<f64> {
        let (first, last) = (self.points.front()?, self.points.back()?);
        if self.points.len() < 3 || last.t - first.t < min_span_seconds {
            return None;
        }
        let n = self.points.len() as f64;
        let den = n * self.stt - self.st * self.st;
        (den > 0.0).then(|| (n * self.stv - self.st * self.sv) / den * 3600.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The running sums agree with a direct fit after many pushes and pops.
    #[test]
    fn incremental_rate_matches_direct_fit() {
        let mut w = Window::new(3600.0);
        for i in 0..20_000 {
            let t = 1.7e9 + i as f64 * 1.3;
            let v = 3e9 + 1e4 * (i as f64 * 1.3) + if i % 2 == 0 { 5e6 } else { -5e6 };
            w.push(Point::new(t, v));
        }
        let pts: Vec<Point> = w.points.iter().copied().collect();
        let n = pts.len() as f64;
        let mt = pts.iter().map(|p| p.t).sum::<f64>() / n;
        let mv = pts.iter().map(|p| p.v).sum::<f64>() / n;
        let stt: f64 = pts.iter().map(|p| (p.t - mt).powi(2)).sum();
        let stv: f64 = pts.iter().map(|p| (p.t - mt) * (p.v - mv)).sum();
        let direct = stv / stt * 3600.0;
        let got = w.rate_per_hour(1800.0).unwrap_or(f64::NAN);
        assert!(
            (got - direct).abs() < 1e-6 * direct.abs(),
            "{got} vs {direct}"
        );
        assert!((got - 3.6e7).abs() < 1e5, "{got}");
    }
}
