//! What the recognizer's unit tests share: a deterministic scatter, so that a test's series
//! is the same on every run and machine without a random number generator.

/// A deterministic scatter in [-1, 1] for the `i`-th sample.
pub(super) fn jitter(i: usize) -> f64 {
    let x = ((i as f64 + 1.0) * 12.9898).sin() * 43758.5453;
    2.0 * (x - x.floor()) - 1.0
}

/// The next draw of a xorshift generator, uniform on [-0.5, 0.5): noise for tests that want
/// independent draws (white noise of a known scale) rather than a fixed scatter.
pub(super) fn centred_uniform(x: &mut u64) -> f64 {
    *x ^= *x << 13;
    *x ^= *x >> 7;
    *x ^= *x << 17;
    (*x >> 11) as f64 / (1u64 << 53) as f64 - 0.5
}
