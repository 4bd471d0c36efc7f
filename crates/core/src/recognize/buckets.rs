//! The bounded summary a [`super::Recognizer`] keeps: time buckets holding min/mean/max of
//! the points that fell in them. When the buffer is full, neighbouring buckets merge pairwise
//! and the bucket width doubles, so memory stays bounded whatever the length of the series.

/// Summary of the points of one time bucket (values in bytes, times in unix seconds).
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Bucket {
    /// Bucket index at the current width (`floor((t - origin) / width)`).
    pub idx: i64,
    /// Time of the first point in the bucket.
    pub t_first: f64,
    /// Time of the last point in the bucket.
    pub t_last: f64,
    /// Smallest value.
    pub lo: f64,
    /// Largest value.
    pub hi: f64,
    /// Sum of the values (for the mean).
    pub sum: f64,
    /// Number of points.
    pub n: u32,
    /// Value of the first point.
    pub first: f64,
    /// Value of the last point.
    pub last: f64,
}

impl Bucket {
    fn new(idx: i64, t: f64, v: f64) -> Self {
        Self {
            idx,
            t_first: t,
            t_last: t,
            lo: v,
            hi: v,
            sum: v,
            n: 1,
            first: v,
            last: v,
        }
    }

    fn add(&mut self, t: f64, v: f64) {
        self.t_last = t;
        self.lo = self.lo.min(v);
        self.hi = self.hi.max(v);
        self.sum += v;
        self.n = self.n.saturating_add(1);
        self.last = v;
    }

    fn merge(&mut self, o: &Bucket) {
        self.t_last = o.t_last;
        self.lo = self.lo.min(o.lo);
        self.hi = self.hi.max(o.hi);
        self.sum += o.sum;
        self.n = self.n.saturating_add(o.n);
        self.last = o.last;
    }

    /// Mean value of the bucket.
    pub fn mean(&self) -> f64 {
        self.sum / f64::from(self.n.max(1))
    }

    /// Middle time of the bucket's points.
    pub fn t_mid(&self) -> f64 {
        0.5 * (self.t_first + self.t_last)
    }
}

/// A bounded, time-ordered buffer of closed buckets plus the open one.
#[derive(Debug, Clone)]
pub(crate) struct Buckets {
    origin: f64,
    /// End time of the open bucket (exclusive).
    open_end: f64,
    /// Current bucket width, seconds.
    pub width: f64,
    cap: usize,
    /// Closed buckets, oldest first.
    pub closed: Vec<Bucket>,
    /// The bucket still receiving points.
    pub open: Option<Bucket>,
}

impl Buckets {
    /// An empty buffer of at most `cap` (≥ 8) closed buckets, `width` seconds wide at first.
    pub fn new(width: f64, cap: usize) -> Self {
        Self {
            origin: f64::NAN,
            open_end: f64::NEG_INFINITY,
            width: if width.is_finite() && width > 0.0 {
                width
            } else {
                60.0
            },
            cap: cap.max(8),
            closed: Vec::with_capacity(cap.max(8)),
            open: None,
        }
    }

    fn index(&self, t: f64) -> i64 {
        // Saturating float→int cast: huge spans cannot overflow.
        ((t - self.origin) / self.width).floor() as i64
    }

    /// Add a point (finite, time order already checked). Returns true when a bucket closed.
    pub fn push(&mut self, t: f64, v: f64) -> bool {
        if self.origin.is_nan() {
            self.origin = t;
        }
        // Fast path: still inside the open bucket.
        if t < self.open_end {
            if let Some(b) = self.open.as_mut() {
                b.add(t, v);
                return false;
            }
        }
        let idx = self.index(t);
        let closed = match self.open.as_mut() {
            Some(b) if idx <= b.idx => {
                b.add(t, v);
                false
            }
            Some(_) => {
                if let Some(b) = self.open.take() {
                    self.closed.push(b);
                }
                while self.closed.len() >= self.cap {
                    self.halve();
                }
                let idx = self.index(t);
                // After a merge the newest closed bucket may cover `t` again: reopen it.
                if self.closed.last().is_some_and(|b| b.idx >= idx) {
                    let mut b = self.closed.pop().unwrap_or_else(|| Bucket::new(idx, t, v));
                    b.add(t, v);
                    self.open = Some(b);
                } else {
                    self.open = Some(Bucket::new(idx, t, v));
                }
                true
            }
            None => {
                self.open = Some(Bucket::new(idx, t, v));
                false
            }
        };
        self.open_end = self.open.map_or(f64::NEG_INFINITY, |b| {
            // In floats: a saturated index (absurd time spans) must not overflow.
            self.origin + (b.idx as f64 + 1.0) * self.width
        });
        closed
    }

    /// Merge neighbouring buckets pairwise and double the width.
    fn halve(&mut self) {
        self.width *= 2.0;
        let mut out: Vec<Bucket> = Vec::with_capacity(self.cap);
        for b in self.closed.drain(..) {
            let mut b = b;
            b.idx = b.idx.div_euclid(2);
            match out.last_mut() {
                Some(last) if last.idx == b.idx => last.merge(&b),
                _ => out.push(b),
            }
        }
        self.closed = out;
        if let Some(o) = self.open.as_mut() {
            o.idx = o.idx.div_euclid(2);
            self.open_end = self.origin + (o.idx as f64 + 1.0) * self.width;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stays_bounded_and_keeps_extremes() {
        let mut b = Buckets::new(60.0, 16);
        for i in 0..10_000 {
            let v = if i == 5000 { 1e9 } else { i as f64 };
            b.push(i as f64 * 15.0, v);
            assert!(b.closed.len() < 16);
        }
        let hi = b.closed.iter().map(|b| b.hi).fold(0.0, f64::max);
        assert_eq!(hi, 1e9);
        let n: u32 = b.closed.iter().map(|b| b.n).sum::<u32>() + b.open.map_or(0, |o| o.n);
        assert_eq!(n, 10_000);
        assert!(b.closed.windows(2).all(|w| w[0].t_last < w[1].t_first));
    }

    /// Found by fuzzing (series_csv): timestamps 1e40 s apart saturate the bucket index,
    /// and `index + 1` overflowed.
    #[test]
    fn absurd_time_spans_do_not_overflow() {
        let mut b = Buckets::new(60.0, 16);
        b.push(4.0, 3.0);
        b.push(4.777e40, 3.0);
        b.push(5.0e40, 4.0);
        let n: u32 = b.closed.iter().map(|b| b.n).sum::<u32>() + b.open.map_or(0, |o| o.n);
        assert_eq!(n, 3);
    }
}
