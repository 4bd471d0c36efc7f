//! The bounded summaries a [`super::Recognizer`] keeps: time buckets holding min/mean/max of
//! the points that fell in them.
//!
//! * [`Buckets`] covers the whole series: when its buffer is full, neighbouring buckets merge
//!   pairwise and the bucket width doubles, so memory stays bounded however long the series.
//! * [`Ring`] covers only the recent past (the last hour, six hours or day) at a fixed width,
//!   dropping its oldest bucket as a new one opens — a round-robin archive, so that a recent
//!   window keeps its resolution in a series weeks long.

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

/// `x.floor() as i64` (saturating: huge spans cannot overflow; NaN gives 0), without the call
/// to a software `floor` that the baseline x86-64 target makes for every point: the cast
/// truncates toward zero, one less for a negative `x` with a fraction.
fn floor_index(x: f64) -> i64 {
    let i = x as i64;
    if (i as f64) > x {
        i.saturating_sub(1)
    } else {
        i
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
        floor_index((t - self.origin) / self.width)
    }

    /// Add a point (finite, time order already checked). Returns true when a bucket closed.
    #[inline]
    pub fn push(&mut self, t: f64, v: f64) -> bool {
        // Fast path, inlined into the caller: still inside the open bucket (most points, once
        // the buckets are wider than the sampling interval).
        if t < self.open_end {
            if let Some(b) = self.open.as_mut() {
                b.add(t, v);
                return false;
            }
        }
        self.push_new_bucket(t, v)
    }

    /// [`Buckets::push`] of a point outside the open bucket (or the first point).
    #[inline(never)]
    fn push_new_bucket(&mut self, t: f64, v: f64) -> bool {
        if self.origin.is_nan() {
            self.origin = t;
        }
        // At the second point, widen the buckets (doubling) to the sampling interval: buckets
        // finer than the samples hold one point each and only cost merges.
        if self.closed.is_empty() {
            if let Some(b) = self.open.as_mut().filter(|b| b.n == 1 && b.idx == 0) {
                let dt = t - self.origin;
                while self.width < dt && self.width < 1e9 {
                    self.width *= 2.0;
                }
                self.open_end = self.origin + self.width;
                if t < self.open_end {
                    b.add(t, v);
                    return false;
                }
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

/// The recent past at a fixed bucket width: at most `cap` buckets (the open one included),
/// oldest dropped first.
#[derive(Debug, Clone)]
pub(crate) struct Ring {
    origin: f64,
    /// Bucket width, seconds.
    pub width: f64,
    cap: usize,
    /// Buckets, oldest first; the last one is still open.
    buckets: std::collections::VecDeque<Bucket>,
    open_end: f64,
}

impl Ring {
    /// A ring of `cap` (≥ 4) buckets of `width` seconds, so it spans `cap × width` seconds.
    pub fn new(width: f64, cap: usize) -> Self {
        let cap = cap.max(4);
        Self {
            origin: f64::NAN,
            width,
            cap,
            buckets: std::collections::VecDeque::with_capacity(cap),
            open_end: f64::NEG_INFINITY,
        }
    }

    /// Add a point (finite, in time order). Returns the bucket that closed, if one did.
    pub fn push(&mut self, t: f64, v: f64) -> Option<Bucket> {
        if t < self.open_end {
            if let Some(b) = self.buckets.back_mut() {
                b.add(t, v);
                return None;
            }
        }
        self.open_at(Bucket::new(0, t, v))
    }

    /// Add a closed bucket of a finer ring (same origin, a width that divides this one's):
    /// merged into the open bucket when it falls inside it. Returns the bucket that closed.
    pub fn push_bucket(&mut self, b: &Bucket) -> Option<Bucket> {
        if b.t_first < self.open_end {
            if let Some(o) = self.buckets.back_mut() {
                o.merge(b);
                return None;
            }
        }
        self.open_at(*b)
    }

    /// Open a new bucket starting with `b`, dropping the oldest when full.
    fn open_at(&mut self, mut b: Bucket) -> Option<Bucket> {
        let t = b.t_first;
        if self.origin.is_nan() {
            self.origin = t;
        }
        let idx = floor_index((t - self.origin) / self.width);
        b.idx = idx;
        let closed = self.buckets.back().copied();
        if self.buckets.len() >= self.cap {
            self.buckets.pop_front();
        }
        self.buckets.push_back(b);
        self.open_end = self.origin + (idx as f64 + 1.0) * self.width;
        closed
    }

    /// Set the time the bucket boundaries count from (before the first point).
    pub fn set_origin(&mut self, t: f64) {
        if self.buckets.is_empty() {
            self.origin = t;
        }
    }

    /// The buckets that end after `since` (unix seconds), oldest first, the open one included.
    pub fn since(&self, since: f64, out: &mut Vec<Bucket>) {
        out.clear();
        out.extend(self.buckets.iter().filter(|b| b.t_last >= since).copied());
    }

    /// Number of buckets held (the open one included).
    #[cfg(test)]
    pub fn len(&self) -> usize {
        self.buckets.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floor_index_is_the_saturating_floor() {
        let xs = [
            0.0,
            -0.0,
            0.5,
            -0.5,
            1.0,
            -1.0,
            2.999,
            -2.001,
            1e18,
            -1e18,
            9.3e18,
            -9.3e18,
            1e300,
            -1e300,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::MIN_POSITIVE,
            -f64::MIN_POSITIVE,
        ];
        for x in xs {
            assert_eq!(floor_index(x), x.floor() as i64, "{x}");
        }
    }

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

    #[test]
    fn ring_keeps_only_the_recent_past() {
        let mut r = Ring::new(60.0, 10);
        let mut closes = 0;
        for i in 0..1000 {
            closes += usize::from(r.push(i as f64 * 15.0, i as f64).is_some());
        }
        assert_eq!(r.len(), 10);
        // 1000 points 15 s apart fill 250 buckets of 60 s; 249 closed.
        assert_eq!(closes, 249);
        let mut out = Vec::new();
        r.since(0.0, &mut out);
        assert_eq!(out.len(), 10);
        assert_eq!(out[9].last, 999.0);
        assert_eq!(out[0].lo, 960.0);
        r.since(999.0 * 15.0 - 100.0, &mut out);
        assert_eq!(out.len(), 2);
    }

    #[test]
    fn a_coarse_ring_fed_by_a_fine_one_matches_one_fed_by_points() {
        let (mut fine, mut coarse, mut direct) = (
            Ring::new(60.0, 10),
            Ring::new(300.0, 10),
            Ring::new(300.0, 10),
        );
        for r in [&mut fine, &mut coarse, &mut direct] {
            r.set_origin(0.0);
        }
        for i in 0..1000 {
            let (t, v) = (i as f64 * 7.0, ((i * 37) % 101) as f64);
            direct.push(t, v);
            if let Some(b) = fine.push(t, v) {
                coarse.push_bucket(&b);
            }
        }
        let (mut a, mut b) = (Vec::new(), Vec::new());
        direct.since(0.0, &mut a);
        coarse.since(0.0, &mut b);
        // All but the open bucket agree (the fine ring still holds the newest minute).
        assert_eq!(a.len(), b.len());
        for (x, y) in a.iter().zip(&b).take(a.len() - 1) {
            assert_eq!(
                (x.lo, x.hi, x.n, x.sum, x.t_first, x.t_last),
                (y.lo, y.hi, y.n, y.sum, y.t_first, y.t_last)
            );
        }
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
