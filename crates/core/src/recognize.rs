//! Leak recognition: one streaming recognizer that every command uses.
//!
//! PLACEHOLDER API — the implementation is being written; see the module docs once done.

use crate::series::Point;
use crate::verdict::{Pattern, Verdict, VerdictKind};

/// Knobs of recognition, with the field's defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct RecognizeOptions {
    /// The memory limit in bytes (cgroup limit or `--limit`), for `time_to_limit_seconds`.
    pub limit_bytes: Option<f64>,
}

impl Default for RecognizeOptions {
    fn default() -> Self {
        Self { limit_bytes: None }
    }
}

/// The streaming recognizer: fed points in time order, in bounded memory; its verdict at any
/// moment is what `watch` acts on, and its final verdict is what `analyze` reports.
#[derive(Debug, Clone)]
pub struct Recognizer {
    name: String,
    opts: RecognizeOptions,
    n: usize,
    first: Option<Point>,
    last: Option<Point>,
}

impl Recognizer {
    /// A recognizer for the series called `name`.
    pub fn new(name: impl Into<String>, opts: RecognizeOptions) -> Self {
        Self {
            name: name.into(),
            opts,
            n: 0,
            first: None,
            last: None,
        }
    }

    /// Feed the next point (time order).
    pub fn push(&mut self, p: Point) {
        self.n += 1;
        self.first.get_or_insert(p);
        self.last = Some(p);
    }

    /// The verdict on everything pushed so far.
    pub fn verdict(&self) -> Verdict {
        let first = self.first.unwrap_or(Point::new(0.0, 0.0));
        let last = self.last.unwrap_or(first);
        Verdict {
            name: self.name.clone(),
            verdict: VerdictKind::InsufficientData,
            pattern: Pattern::Unknown,
            growth_bytes_per_hour: 0.0,
            confidence: 0.0,
            detected_at: None,
            time_to_limit_seconds: None,
            limit_bytes: self.opts.limit_bytes,
            samples: self.n,
            span_seconds: last.t - first.t,
            first_bytes: first.v,
            last_bytes: last.v,
            restarts: 0,
            reasons: vec![],
        }
    }
}

/// Recognize a whole series by replaying it through a [`Recognizer`].
pub fn recognize(name: &str, points: &[Point], opts: &RecognizeOptions) -> Verdict {
    let mut r = Recognizer::new(name, opts.clone());
    for p in points {
        r.push(*p);
    }
    r.verdict()
}
