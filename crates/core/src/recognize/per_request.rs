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

/// Pairs each sample from `from` on with the requests served by its time (`requests_at`
/// holds one count per sample, in the same order).
pub fn served_from(series: &[Point], requests_at: &[f64], from: f64) -> Vec<Served> {
    series
        .iter()
        .zip(requests_at)
        .filter(|(p, _)| p.t >= from)
        .map(|(p, r)| Served {
            sample: *p,
            requests: *r,
        })
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
    fn slowing(per_request: f64) -> (Vec<Point>, Vec<f64>) {
        let (mut series, mut requests, mut served) = (Vec::new(), Vec::new(), 0.0);
        for i in 0..50 {
            served += 6000.0 - 100.0 * i as f64;
            series.push(Point::new(T0 + i as f64, 200e6 + per_request * served));
            requests.push(served);
        }
        (series, requests)
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
        let (series, requests) = slowing(2000.0);
        let served = served_from(&series, &requests, T0 + 10.0);
        assert_eq!(served.len(), 40, "the warm-up's samples are left out");
        let v = judged_on_load_clock(&served, options()).unwrap();
        assert_eq!(v.verdict, VerdictKind::Leak);
        let d = v.detected_at.unwrap();
        assert!((T0 + 10.0..=T0 + 49.0).contains(&d), "{d}");
        assert!(v.reasons[0].contains("requests served"));
        let (flat, requests) = slowing(0.0);
        let served = served_from(&flat, &requests, T0 + 10.0);
        assert!(judged_on_load_clock(&served, options()).is_none());
    }

    #[test]
    fn growth_per_request_is_the_slope_over_requests_served() {
        let (series, requests) = slowing(2000.0);
        let per = bytes_per_request(&served_from(&series, &requests, T0)).unwrap();
        assert!((per - 2000.0).abs() < 1.0, "{per}");
        let idle = vec![5.0; series.len()];
        assert_eq!(bytes_per_request(&served_from(&series, &idle, T0)), None);
    }
}
