//! Warm-up suppression: right after a deploy (a series that starts inside the range) or a
//! restart (the value falls below half of what it was), memory climbs while caches, pools and
//! JIT code fill. Those points are not fed to the recognizer.

use leakscope_core::Point;

/// Drops the points of the warm-up after a series starts or restarts.
#[derive(Debug, Clone)]
pub struct Warmup {
    /// Length of the warm-up, seconds (0 = keep every point).
    seconds: f64,
    /// A series whose first point is after this time started inside the range (unix seconds).
    range_start: f64,
    /// Points are dropped until this time.
    until: f64,
    prev: Option<f64>,
    /// Points dropped so far.
    pub dropped: usize,
}

impl Warmup {
    /// Suppression of `seconds` after a start later than `range_start` (unix seconds), and
    /// after each restart.
    pub fn new(seconds: f64, range_start: f64) -> Self {
        Self {
            seconds: seconds.max(0.0),
            range_start,
            until: f64::NEG_INFINITY,
            prev: None,
            dropped: 0,
        }
    }

    /// True when `p` should be judged, false when it falls in a warm-up.
    pub fn keep(&mut self, p: Point) -> bool {
        if self.seconds <= 0.0 || !p.v.is_finite() {
            return true;
        }
        match self.prev {
            None if p.t > self.range_start => self.until = p.t + self.seconds,
            Some(prev) if p.v < 0.5 * prev => self.until = p.t + self.seconds,
            _ => {}
        }
        self.prev = Some(p.v);
        if p.t < self.until {
            self.dropped += 1;
            false
        } else {
            true
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn starts_inside_the_range_and_restarts_are_suppressed() {
        let pts: Vec<Point> = (0..100)
            .map(|i| {
                let v = if i == 50 { 1e8 } else { 5e8 };
                Point::new(1000.0 + 60.0 * i as f64, v)
            })
            .collect();
        let mut w = Warmup::new(600.0, 1000.0);
        let kept: Vec<bool> = pts.iter().map(|p| w.keep(*p)).collect();
        // Started with the range: nothing dropped until the restart at i = 50, then 10 min.
        assert!(kept[..50].iter().all(|k| *k));
        assert!(kept[50..60].iter().all(|k| !*k));
        assert!(kept[60..].iter().all(|k| *k));
        assert_eq!(w.dropped, 10);
        // A series born after the range start loses its first 10 minutes.
        let mut w = Warmup::new(600.0, 0.0);
        assert!(!w.keep(pts[0]));
        assert_eq!(
            pts.iter().skip(1).filter(|p| w.keep(**p)).count(),
            99 - 9 - 10
        );
        // Off.
        let mut w = Warmup::new(0.0, 0.0);
        assert!(pts.iter().all(|p| w.keep(*p)));
    }
}
