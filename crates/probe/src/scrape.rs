//! Runtime metrics from a Prometheus `/metrics` endpoint: fetch ([`scrape`]), parse the text
//! exposition ([`parse_exposition`], see [`crate::exposition`]) and pick the series leakscope
//! watches ([`select`], [`DEFAULT_METRICS`]).

use std::fmt;
use std::str::FromStr;
use std::time::Duration;

use crate::error::{ProbeError, Target};
pub use crate::exposition::{parse_exposition, MetricSample, ScrapeError};

/// Largest `/metrics` response accepted, in bytes (32 MiB).
pub const MAX_SCRAPE_BYTES: u64 = 32 * 1024 * 1024;

/// The runtime series watched when the user names none: heap and external memory of Node.js
/// (prom-client), Go heap and goroutines (client_golang), RSS of any Prometheus client,
/// Python's uncollectable GC objects, and JVM heap used (summed over pools).
pub const DEFAULT_METRICS: &[&str] = &[
    "nodejs_heap_size_used_bytes",
    "nodejs_heap_size_total_bytes",
    "nodejs_external_memory_bytes",
    "go_memstats_heap_inuse_bytes",
    "go_memstats_heap_alloc_bytes",
    "go_goroutines",
    "process_resident_memory_bytes",
    "python_gc_objects_uncollectable_total",
    "jvm_memory_used_bytes{area=\"heap\"}",
];

/// GETs `url` (at most [`MAX_SCRAPE_BYTES`]) within `timeout` and parses the Prometheus text
/// (or OpenMetrics) exposition it returns.
pub fn scrape(url: &str, timeout: Duration) -> Result<Vec<MetricSample>, ProbeError> {
    scrape_with(&crate::http::Client::plain(timeout), url)
}

/// [`scrape`] with a configured client (https with a CA file, credentials, headers).
pub fn scrape_with(
    client: &crate::http::Client,
    url: &str,
) -> Result<Vec<MetricSample>, ProbeError> {
    let body = client
        .get(url, MAX_SCRAPE_BYTES)
        .map_err(|e| ProbeError::from_http(url, e))?;
    let text = String::from_utf8_lossy(&body);
    parse_exposition(&text).map_err(|e| ProbeError::Parse {
        target: Target::Url(crate::http::shown_url(url)),
        what: "the metrics response".to_string(),
        detail: e.to_string(),
    })
}

/// A series selector: a metric name with optional exact label matches, written as in
/// PromQL: `go_goroutines` or `jvm_memory_used_bytes{area="heap"}`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector {
    /// The metric name.
    pub name: String,
    /// Labels that must be present with exactly these values.
    pub labels: Vec<(String, String)>,
}

impl Selector {
    /// Parses `name` or `name{label="value",...}`.
    pub fn parse(spec: &str) -> Result<Selector, ScrapeError> {
        let sample =
            crate::exposition::parse_series(spec.trim()).map_err(|message| ScrapeError {
                line: 1,
                message,
                excerpt: spec.chars().take(120).collect(),
            })?;
        Ok(Selector {
            name: sample.0,
            labels: sample.1,
        })
    }

    /// True if `sample` has this name and every selector label with the same value.
    pub fn matches(&self, sample: &MetricSample) -> bool {
        sample.name == self.name
            && self
                .labels
                .iter()
                .all(|(k, v)| sample.labels.iter().any(|(sk, sv)| sk == k && sv == v))
    }

    /// The field name used for the selected value: the selector in canonical form, e.g.
    /// `go_goroutines` or `jvm_memory_used_bytes{area="heap"}`.
    pub fn field_name(&self) -> String {
        self.to_string()
    }
}

impl FromStr for Selector {
    type Err = ScrapeError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Selector::parse(s)
    }
}

impl fmt::Display for Selector {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let quoted_name = !is_identifier(&self.name, true);
        if quoted_name {
            // A UTF-8 name (OpenMetrics 2 / Prometheus 3) goes inside the braces, quoted.
            write!(f, "{{\"{}\"", escape(&self.name))?;
        } else {
            f.write_str(&self.name)?;
        }
        if !self.labels.is_empty() || quoted_name {
            if !quoted_name {
                f.write_str("{")?;
            }
            for (i, (k, v)) in self.labels.iter().enumerate() {
                if i > 0 || quoted_name {
                    f.write_str(",")?;
                }
                if is_identifier(k, false) {
                    f.write_str(k)?;
                } else {
                    write!(f, "\"{}\"", escape(k))?;
                }
                write!(f, "=\"{}\"", escape(v))?;
            }
            f.write_str("}")?;
        }
        Ok(())
    }
}

/// True for `[a-zA-Z_:][a-zA-Z0-9_:]*` (colons only in metric names).
fn is_identifier(s: &str, colons: bool) -> bool {
    let mut chars = s.chars();
    let ok = |c: char, first: bool| {
        c.is_ascii_alphabetic()
            || c == '_'
            || (colons && c == ':')
            || (!first && c.is_ascii_digit())
    };
    chars.next().is_some_and(|c| ok(c, true)) && chars.all(|c| ok(c, false))
}

/// Escapes `\`, `"` and newlines as the exposition format does.
fn escape(v: &str) -> String {
    v.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// Picks the `wanted` series out of a scrape: for each selector (see [`Selector`]) the sum of
/// the values of all matching samples (so a metric split over labels is totalled, and
/// `name{area="heap"}` totals only those series), as `(field name, value)`. Selectors that
/// match nothing are left out; NaN samples are ignored unless all matches are NaN. A
/// selector that does not parse is left out too: validate user input with
/// [`Selector::parse`] first.
pub fn select(samples: &[MetricSample], wanted: &[String]) -> Vec<(String, f64)> {
    let selectors: Vec<Selector> = wanted
        .iter()
        .filter_map(|w| Selector::parse(w).ok())
        .collect();
    select_with(samples, &selectors)
}

/// [`select`] with the [`DEFAULT_METRICS`].
pub fn select_default(samples: &[MetricSample]) -> Vec<(String, f64)> {
    let wanted: Vec<String> = DEFAULT_METRICS.iter().map(|s| s.to_string()).collect();
    select(samples, &wanted)
}

/// [`select`] with selectors already parsed.
pub fn select_with(samples: &[MetricSample], selectors: &[Selector]) -> Vec<(String, f64)> {
    let mut out = Vec::with_capacity(selectors.len());
    for sel in selectors {
        let mut matched = 0usize;
        let mut sum = 0.0;
        let mut all_nan = true;
        for s in samples.iter().filter(|s| sel.matches(s)) {
            matched += 1;
            if !s.value.is_nan() {
                all_nan = false;
                sum += s.value;
            }
        }
        if matched > 0 {
            out.push((sel.field_name(), if all_nan { f64::NAN } else { sum }));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sample(name: &str, labels: &[(&str, &str)], value: f64) -> MetricSample {
        MetricSample {
            name: name.to_string(),
            labels: labels
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            value,
        }
    }

    #[test]
    fn select_sums_over_labels_and_honours_selectors() {
        let samples = vec![
            sample(
                "jvm_memory_used_bytes",
                &[("area", "heap"), ("id", "eden")],
                10.0,
            ),
            sample(
                "jvm_memory_used_bytes",
                &[("area", "heap"), ("id", "old")],
                32.0,
            ),
            sample(
                "jvm_memory_used_bytes",
                &[("area", "nonheap"), ("id", "meta")],
                7.0,
            ),
            sample("go_goroutines", &[], 12.0),
            sample("nodejs_heap_size_used_bytes", &[], f64::NAN),
        ];
        let got = select_default(&samples);
        let names: Vec<&str> = got.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(
            names,
            [
                "nodejs_heap_size_used_bytes",
                "go_goroutines",
                "jvm_memory_used_bytes{area=\"heap\"}"
            ]
        );
        assert!(got[0].1.is_nan(), "all-NaN matches stay NaN");
        assert_eq!(got[1].1, 12.0);
        assert_eq!(got[2].1, 42.0);
        let wanted = vec!["jvm_memory_used_bytes".to_string()];
        assert_eq!(
            select(&samples, &wanted),
            vec![("jvm_memory_used_bytes".to_string(), 49.0)]
        );
        let heap = select(
            &samples,
            &["jvm_memory_used_bytes{area=\"heap\"}".to_string()],
        );
        assert_eq!(
            heap,
            vec![("jvm_memory_used_bytes{area=\"heap\"}".to_string(), 42.0)]
        );
        assert!(select(&samples, &["absent_metric".to_string()]).is_empty());
    }

    #[test]
    fn selector_round_trips() {
        let sel = Selector::parse(r#"m{a="x\"y", b = "z" }"#).expect("parses");
        assert_eq!(sel.to_string(), r#"m{a="x\"y",b="z"}"#);
        assert!(Selector::parse("m{a=}").is_err());
        assert!(Selector::parse("9bad").is_err());
        assert!(Selector::parse("m 1").is_err());
        let utf8 = Selector::parse(r#"{"my.metric", "a.b"="1"}"#).expect("parses");
        assert_eq!(utf8.name, "my.metric");
        assert_eq!(utf8.to_string(), r#"{"my.metric","a.b"="1"}"#);
        assert_eq!(Selector::parse(&utf8.to_string()).ok(), Some(utf8));
    }
}
