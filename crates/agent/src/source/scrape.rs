//! A Prometheus /metrics endpoint: the runtime metrics it serves, and restarts of the service
//! behind it (`process_start_time_seconds` changed). Sampled off the sampling thread.

use leakscope_probe::http::Client;
use leakscope_probe::scrape::{self, MetricSample, Selector};

use super::SCRAPE_TIMEOUT;
use super::{wrong_kind, Event, Judged, Kind, Outcome, Source, SourceError, SourceSpec};
use crate::fields::{self, SeriesUnit};

/// The `scrape` kind.
pub const KIND: Kind = Kind {
    name: "scrape",
    about: "a Prometheus /metrics endpoint (http or https)",
    open,
};

fn open(spec: &SourceSpec) -> Result<Box<dyn Source>, SourceError> {
    let SourceSpec::Scrape {
        url,
        metrics,
        units,
        http,
        check_at_start,
    } = spec
    else {
        return Err(wrong_kind(KIND.name));
    };
    for m in metrics {
        Selector::parse(m).map_err(|e| SourceError::BadMetric {
            metric: m.clone(),
            detail: e.message.clone(),
        })?;
    }
    let named = !metrics.is_empty();
    let wanted: Vec<String> = if named {
        metrics.clone()
    } else {
        scrape::DEFAULT_METRICS
            .iter()
            .map(|s| s.to_string())
            .collect()
    };
    let client = Client::new(http, SCRAPE_TIMEOUT)
        .map_err(|e| SourceError::Probe(leakscope_probe::ProbeError::Http(e)))?;
    let mut src = ScrapeSource {
        url: url.clone(),
        client,
        judged: if named {
            wanted
                .iter()
                .map(|m| {
                    let field = Selector::parse(m)
                        .map(|s| s.field_name())
                        .unwrap_or_else(|_| m.clone());
                    let unit = units
                        .iter()
                        .find(|(n, _)| n == m || *n == field)
                        .map(|(_, u)| *u)
                        .unwrap_or_else(|| fields::default_unit(&field));
                    (field, unit)
                })
                .collect()
        } else {
            Vec::new()
        },
        wanted,
        start_time: None,
        restarts: 0,
    };
    if *check_at_start {
        let samples = src.fetch()?;
        if scrape::select(&samples, &src.wanted).is_empty() {
            return Err(SourceError::NoMetrics {
                url: leakscope_probe::http::shown_url(url),
                wanted: src.wanted.clone(),
            });
        }
        src.start_time = start_time_of(&samples);
    }
    Ok(Box::new(src))
}

struct ScrapeSource {
    url: String,
    client: Client,
    wanted: Vec<String>,
    judged: Vec<(String, SeriesUnit)>,
    start_time: Option<f64>,
    restarts: u32,
}

impl ScrapeSource {
    fn fetch(&self) -> Result<Vec<MetricSample>, leakscope_probe::ProbeError> {
        scrape::scrape_with(&self.client, &self.url)
    }
}

fn start_time_of(samples: &[MetricSample]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == "process_start_time_seconds")
        .map(|s| s.value)
}

impl Source for ScrapeSource {
    fn sample(&mut self) -> Outcome {
        match self.fetch() {
            Ok(samples) => {
                let mut events = vec![];
                let st = start_time_of(&samples);
                if let (Some(a), Some(b)) = (self.start_time, st) {
                    if (a - b).abs() > 0.5 {
                        self.restarts += 1;
                        events.push(Event::ServiceRestarted {
                            count: self.restarts,
                        });
                    }
                }
                self.start_time = st.or(self.start_time);
                Outcome {
                    reading: Some(Ok(scrape::select(&samples, &self.wanted))),
                    events,
                }
            }
            Err(e) => Outcome {
                reading: Some(Err(e)),
                events: vec![],
            },
        }
    }

    fn finished(&self) -> bool {
        false
    }

    fn remote(&self) -> bool {
        true
    }

    fn judged(&self) -> Judged {
        self.judged.clone()
    }
}
