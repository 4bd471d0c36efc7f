//! What the recognizer's unit tests share: a deterministic scatter, so that a test's series
//! is the same on every run and machine without a random number generator.

/// A deterministic scatter in [-1, 1] for the `i`-th sample.
pub(super) fn jitter(i: usize) -> f64 {
    let x = ((i as f64 + 1.0) * 12.9898).sin() * 43758.5453;
    2.0 * (x - x.floor()) - 1.0
}
