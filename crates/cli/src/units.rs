//! Parsing and printing of byte sizes and durations as people write them. Sizes, durations
//! and every printed number come from `leakscope_core::units`, the one convention all crates share.

pub use leakscope_core::units::{
    format_bytes, format_duration, format_signed_bytes, parse_bytes, parse_duration,
};

/// Seconds since the epoch, now.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
