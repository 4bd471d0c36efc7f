//! What a run did: [`LoadStats`], and the per-worker tallies it is summed from.

use hdrhistogram::Histogram;
use std::time::Duration;

/// Latency percentiles of the requests that got a response (any status).
///
/// Measured from just before the request is written (connecting excluded) to
/// the end of the response body; two significant digits (about 1 %) of precision.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Latency {
    /// Median.
    pub p50: Duration,
    /// 90th percentile.
    pub p90: Duration,
    /// 99th percentile.
    pub p99: Duration,
    /// Slowest response.
    pub max: Duration,
    /// Arithmetic mean.
    pub mean: Duration,
}

/// Counts and rates of a load run, so far or in total.
///
/// Every request issued ends in exactly one of `ok`, `errors_http`,
/// `errors_connect`, `errors_timeout` or `errors_io`, and their sum is `requests`.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct LoadStats {
    /// Requests finished, whatever their outcome.
    pub requests: u64,
    /// Responses with a 1xx, 2xx or 3xx status.
    pub ok: u64,
    /// Responses with a 4xx or 5xx status.
    pub errors_http: u64,
    /// Requests that found no connection: refused, unreachable or connect timeout.
    pub errors_connect: u64,
    /// Requests that did not complete within the spec's `timeout`.
    pub errors_timeout: u64,
    /// Requests that failed after connecting: reset, closed early, malformed response.
    pub errors_io: u64,
    /// Response body bytes received.
    pub bytes: u64,
    /// Connections opened (successfully).
    pub connections: u64,
    /// Rate mode only: requests that started more than 100 ms after they were due,
    /// because all connections were busy. Non-zero means the target (or the
    /// generator) did not keep up and the achieved rate is below the asked rate.
    pub late: u64,
    /// Time since the run started.
    pub elapsed: Duration,
    /// `requests / elapsed`, in requests per second.
    pub rps: f64,
    /// Latency percentiles.
    pub latency: Latency,
}

impl LoadStats {
    /// All failed requests: `errors_http + errors_connect + errors_timeout + errors_io`.
    pub fn errors(&self) -> u64 {
        self.errors_http + self.errors_connect + self.errors_timeout + self.errors_io
    }
}

/// How one request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Outcome {
    Ok,
    Http,
    Connect,
    Timeout,
    Io,
}

/// One worker's tallies; the reporter sums them about once a second.
#[derive(Debug)]
pub(crate) struct Tally {
    pub requests: u64,
    pub ok: u64,
    pub errors_http: u64,
    pub errors_connect: u64,
    pub errors_timeout: u64,
    pub errors_io: u64,
    pub bytes: u64,
    pub connections: u64,
    pub late: u64,
    /// Latency in microseconds.
    pub latency_us: Histogram<u64>,
}

/// Longest latency the histogram tells apart: one hour, in microseconds.
const MAX_LATENCY_US: u64 = 3_600_000_000;

impl Tally {
    pub(crate) fn new() -> Tally {
        Tally {
            requests: 0,
            ok: 0,
            errors_http: 0,
            errors_connect: 0,
            errors_timeout: 0,
            errors_io: 0,
            bytes: 0,
            connections: 0,
            late: 0,
            latency_us: new_histogram(),
        }
    }

    /// Records one finished request; `latency` is set when a response arrived.
    pub(crate) fn record(&mut self, outcome: Outcome, latency: Option<Duration>, bytes: u64) {
        self.requests += 1;
        self.bytes += bytes;
        match outcome {
            Outcome::Ok => self.ok += 1,
            Outcome::Http => self.errors_http += 1,
            Outcome::Connect => self.errors_connect += 1,
            Outcome::Timeout => self.errors_timeout += 1,
            Outcome::Io => self.errors_io += 1,
        }
        if let Some(latency) = latency {
            let us = u64::try_from(latency.as_micros()).unwrap_or(u64::MAX);
            self.latency_us.saturating_record(us.max(1));
        }
    }

    /// Adds `other` into `self`.
    pub(crate) fn add(&mut self, other: &Tally) {
        self.requests += other.requests;
        self.ok += other.ok;
        self.errors_http += other.errors_http;
        self.errors_connect += other.errors_connect;
        self.errors_timeout += other.errors_timeout;
        self.errors_io += other.errors_io;
        self.bytes += other.bytes;
        self.connections += other.connections;
        self.late += other.late;
        // Both histograms share bounds, so adding cannot fail.
        let _ = self.latency_us.add(&other.latency_us);
    }

    /// The public view, `elapsed` after the start.
    pub(crate) fn to_stats(&self, elapsed: Duration) -> LoadStats {
        let h = &self.latency_us;
        let at = |q: f64| Duration::from_micros(h.value_at_quantile(q));
        let latency = if h.is_empty() {
            Latency::default()
        } else {
            Latency {
                p50: at(0.50),
                p90: at(0.90),
                p99: at(0.99),
                max: Duration::from_micros(h.max()),
                mean: Duration::from_secs_f64(h.mean() / 1e6),
            }
        };
        let secs = elapsed.as_secs_f64();
        LoadStats {
            requests: self.requests,
            ok: self.ok,
            errors_http: self.errors_http,
            errors_connect: self.errors_connect,
            errors_timeout: self.errors_timeout,
            errors_io: self.errors_io,
            bytes: self.bytes,
            connections: self.connections,
            late: self.late,
            elapsed,
            rps: if secs > 0.0 {
                self.requests as f64 / secs
            } else {
                0.0
            },
            latency,
        }
    }
}

fn new_histogram() -> Histogram<u64> {
    // Two significant digits keep each histogram around 25 KiB.
    #[allow(clippy::expect_used)] // constant, valid bounds: cannot fail
    Histogram::new_with_bounds(1, MAX_LATENCY_US, 2).expect("valid histogram bounds")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tallies_add_up() {
        let mut a = Tally::new();
        a.record(Outcome::Ok, Some(Duration::from_millis(1)), 10);
        a.record(Outcome::Http, Some(Duration::from_millis(3)), 5);
        let mut b = Tally::new();
        b.record(Outcome::Connect, None, 0);
        b.record(Outcome::Timeout, None, 0);
        b.record(Outcome::Io, None, 0);
        a.add(&b);
        let s = a.to_stats(Duration::from_secs(1));
        assert_eq!(s.requests, 5);
        assert_eq!(s.errors(), 4);
        assert_eq!(s.ok, 1);
        assert_eq!(s.bytes, 15);
        assert!((s.rps - 5.0).abs() < 1e-9);
        let p50 = s.latency.p50;
        assert!(
            p50 >= Duration::from_micros(990) && p50 <= Duration::from_micros(1010),
            "{p50:?}"
        );
        assert!(s.latency.max >= Duration::from_micros(2990));
    }
}
