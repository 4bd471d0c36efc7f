//! Shapes of load over the clock, shared by the integration tests and the recognizer's unit
//! tests (which include this file by its path: an integration test cannot see a crate's
//! private test code).

const H: f64 = 3600.0;

/// Traffic between 8 h and 20 h each day: 0 at night, 1 at the busiest hour.
pub fn traffic(t: f64) -> f64 {
    let h = (t / H) % 24.0;
    if (8.0..20.0).contains(&h) {
        (std::f64::consts::PI * (h - 8.0) / 12.0).sin()
    } else {
        0.0
    }
}

/// The same traffic on the first five days of each week only, flat at weekends.
pub fn weekday_traffic(t: f64) -> f64 {
    let weekday = ((t / (24.0 * H)) as u64 % 7) < 5;
    if weekday {
        traffic(t)
    } else {
        0.0
    }
}
