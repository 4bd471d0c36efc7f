//! Memory against the requests served, for a soak under known load: the growth per request,
//! and the verdict on the load's clock when the wall clock finds no leak.

use super::{robust_slope, RecognizeOptions, Recognizer};
use crate::series::Point;
use crate::verdict::{Verdict, VerdictKind};

/// A memory sample with the requests served by its time.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Served {
    pub sample: Point,
    pub requests: f64,
}

/// The samples from `from` on (after a warm-up), with the requests served by each.
pub fn served_from(served: &[Served], from: f64) -> Vec<Served> {
    served
        .iter()
        .filter(|s| s.sample.t >= from)
        .copied()
        .collect()
}

/// Memory growth per request: the robust slope of memory over requests served (none when no
/// request was served).
pub fn bytes_per_request(served: &[Served]) -> Option<f64> {
    let (first, last) = (served.first()?, served.last()?);
    if last.requests - first.requests < 1.0 {
        return None;
    }
    let x: Vec<f64> = served.iter().map(|s| s.requests).collect();
    let y: Vec<f64> = served.iter().map(|s| s.sample.v).collect();
    Some(robust_slope(&x, &y))
}

/// The samples on the load's clock: each at the time its requests served so far would take at
/// the mean rate (none when no request was served).
fn on_load_clock(served: &[Served]) -> Vec<Point> {
    let (Some(first), Some(last)) = (served.first(), served.last()) else {
        return Vec::new();
    };
    let requests = last.requests - first.requests;
    let took = last.sample.t - first.sample.t;
    if requests < 1.0 || took <= 0.0 {
        return Vec::new();
    }
    let rate = requests / took;
    served
        .iter()
        .map(|s| {
            Point::new(
                first.sample.t + (s.requests - first.requests) / rate,
                s.sample.v,
            )
        })
        .collect()
}

/// The leak verdict on memory against requests served. A leak slows what it leaks in (a forced
/// collection of a growing heap takes longer each second), so memory that grows with every
/// request grows ever slower in time and reads as a bound on the wall clock, while per request
/// it grows as steadily as before. None unless that clock says leak; the detection time is put
/// back on the wall clock, and the first reason says how it was judged.
pub fn judged_on_load_clock(served: &[Served], opts: RecognizeOptions) -> Option<Verdict> {
    let clock = on_load_clock(served);
    let mut r = Recognizer::new("soak", opts);
    for p in &clock {
        r.push(*p);
    }
    let mut v = r.verdict();
    if v.verdict != VerdictKind::Leak {
        return None;
    }
    v.detected_at = v
        .detected_at
        .and_then(|d| clock.iter().position(|p| p.t >= d))
        .and_then(|i| served.get(i))
        .map(|s| s.sample.t);
    v.span_seconds = served.last()?.sample.t - served.first()?.sample.t;
    v.reasons.insert(
        0,
        "judged against the requests served (on the wall clock the growth slowed as the service did): memory grew with every request".into(),
    );
    Some(v)
}

#[cfg(test)]
mod tests {
    use super::*;

    const T0: f64 = 1.7e9;

    /// 50 s at 1 s, served at a rate falling from 6,000 to 2,000 requests per second; memory
    /// is `per_request` bytes a request above 200 MB.
    fn slowing(per_request: f64) -> Vec<Served> {
        let mut requests = 0.0;
        (0..50)
            .map(|i| {
                requests += 6000.0 - 100.0 * i as f64;
                Served {
                    sample: Point::new(T0 + i as f64, 200e6 + per_request * requests),
                    requests,
                }
            })
            .collect()
    }

    fn options() -> RecognizeOptions {
        RecognizeOptions {
            min_span_seconds: 30.0,
            ..Default::default()
        }
    }

    /// Memory that grows with every request is a leak on the load's clock however the rate
    /// fell, detected at a time of the wall clock; memory that does not grow is none.
    #[test]
    fn memory_growing_with_every_request_is_a_leak_on_the_load_clock() {
        let served = served_from(&slowing(2000.0), T0 + 10.0);
        assert_eq!(served.len(), 40, "the warm-up's samples are left out");
        let v = judged_on_load_clock(&served, options()).unwrap();
        assert_eq!(v.verdict, VerdictKind::Leak);
        let d = v.detected_at.unwrap();
        assert!((T0 + 10.0..=T0 + 49.0).contains(&d), "{d}");
        assert!(v.reasons[0].contains("requests served"));
        assert!(judged_on_load_clock(&served_from(&slowing(0.0), T0 + 10.0), options()).is_none());
    }

    #[test]
    fn growth_per_request_is_the_slope_over_requests_served() {
        let served = slowing(2000.0);
        let per = bytes_per_request(&served).unwrap();
        assert!((per - 2000.0).abs() < 1.0, "{per}");
        let idle: Vec<Served> = served
            .iter()
            .map(|s| Served {
                requests: 5.0,
                ..*s
            })
            .collect();
        assert_eq!(bytes_per_request(&idle), None);
    }
}
