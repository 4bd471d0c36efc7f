//! The time-series model every part shares: a named sequence of points in time order.

use serde::{Deserialize, Serialize};

/// One sample of one series: `t` in unix seconds (fractional allowed), `v` in the series'
/// unit (bytes for memory series, a count for goroutines).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Point {
    /// Unix time of the sample, in seconds.
    pub t: f64,
    /// The value: bytes for memory series, a count for count series.
    pub v: f64,
}

impl Point {
    /// A point at `t` unix seconds with value `v`.
    pub fn new(t: f64, v: f64) -> Self {
        Self { t, v }
    }
}

/// A named series of points, oldest first.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Series {
    /// The name users see: a CSV header, or `target/field` for stored series.
    pub name: String,
    /// The points in increasing time order.
    pub points: Vec<Point>,
}

impl Series {
    /// An empty series called `name`.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            points: Vec::new(),
        }
    }
}

/// The greatest common divisor of `a` and `b` (`gcd(0, b)` is `b`): the resolution readings
/// in whole units share — memory counted in pages, KiB or MiB moves by multiples of it.
pub fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}
