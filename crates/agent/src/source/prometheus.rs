//! Every series of a PromQL query as one target: each sampling re-judges the fleet over a
//! trailing window with the fleet crate's judge (server-side screen, chunked fetch of the
//! candidates, the one recognizer) and hands the engine each series' verdict and recent points
//! ([`Source::take_judged`]); the engine applies the alert rules, dedupe and resolve of every
//! watch. Sampled on its own schedule ([`Source::period`], `--every`), on a thread of its own.

use std::time::{Duration, Instant};

use leakscope_core::alert::AlertRules;
use leakscope_core::{RecognizeOptions, VerdictKind};
use leakscope_fleet::cohort::CohortOptions;
use leakscope_fleet::fetch::FetchLimits;
use leakscope_fleet::{judge_fleet, FleetError, FleetQuery, FleetVerdict, Prometheus, ScreenMode};
use leakscope_probe::error::{ProbeError, Target};

use super::{wrong_kind, JudgedSeries, Kind, Outcome, Source, SourceError, SourceSpec};

pub(super) const KIND: Kind = Kind {
    name: "prometheus",
    about: "every series of a PromQL query on a Prometheus-API server, re-judged on a schedule",
    open,
};

/// Default time between judgements of a Prometheus query.
pub const DEFAULT_EVERY: Duration = Duration::from_secs(300);

/// Default trailing window of each judgement.
pub const DEFAULT_RANGE: Duration = Duration::from_secs(24 * 3600);

/// Points this long after a series starts inside the window (a deploy) or restarts are not
/// judged: caches and pools fill then (the fleet judge's warm-up, as in `analyze`).
pub const DEPLOY_WARMUP_SECONDS: f64 = 600.0;

/// Labels a series cannot keep under their own name: the alert's and /metrics' own. They are
/// renamed `exported_<name>`, as Prometheus renames clashing target labels.
const RESERVED: &[&str] = &["alertname", "severity", "target", "series", "pattern"];

/// The fields of each judgement's sample: series judged, leaks among them, series fetched in
/// full, requests sent, seconds taken.
pub const FIELDS: [&str; 5] = ["series", "leaks", "fetched", "queries", "seconds"];

struct PromQuery {
    prom: Prometheus,
    query: String,
    every: Duration,
    range: Duration,
    limit_query: Option<String>,
    /// Seconds of each series' newest points handed back for the alert rules.
    recent_seconds: f64,
    /// The base URL as shown (no credentials), for graph links.
    shown_base: String,
    judged: Option<Vec<JudgedSeries>>,
    status: Option<String>,
}

fn open(spec: &SourceSpec) -> Result<Box<dyn Source>, SourceError> {
    let SourceSpec::Prometheus {
        endpoint,
        query,
        every,
        range,
        limit_query,
    } = spec
    else {
        return Err(wrong_kind("prometheus"));
    };
    leakscope_probe::http::validate_url(&endpoint.base_url).map_err(ProbeError::Http)?;
    let shown_base = leakscope_probe::http::shown_url(&endpoint.base_url);
    let failed = |e: &dyn std::fmt::Display| {
        SourceError::Probe(ProbeError::Query {
            target: Target::Url(shown_base.clone()),
            message: e.to_string(),
        })
    };
    let prom = Prometheus::new(endpoint.clone()).map_err(|e| failed(&e))?;
    // Now, not at the first judgement: the server answers, takes the credentials, and the
    // query is an instant vector it can evaluate (its own error text otherwise).
    prom.query(&format!("count(({query}))"), crate::now())
        .map_err(|e| failed(&e))?;
    Ok(Box::new(PromQuery {
        prom,
        query: query.clone(),
        every: *every,
        range: *range,
        limit_query: limit_query.clone(),
        recent_seconds: AlertRules::default().growth_window_seconds,
        shown_base,
        judged: None,
        status: None,
    }))
}

impl PromQuery {
    fn fleet_query(&self, end: f64) -> FleetQuery {
        FleetQuery {
            query: self.query.clone(),
            start: end - self.range.as_secs_f64(),
            end,
            step: None,
            opts: RecognizeOptions::default(),
            limit_query: self.limit_query.clone(),
            restarts_query: None,
            screen: ScreenMode::Auto,
            limits: FetchLimits::default(),
            warmup_seconds: DEPLOY_WARMUP_SECONDS,
            cohorts: CohortOptions::default(),
            keep_recent_seconds: self.recent_seconds,
        }
    }

    /// A Prometheus graph of `selector` over the window.
    fn link(&self, selector: &str) -> String {
        let hours = format!("{}h", (self.range.as_secs() / 3600).max(1));
        format!(
            "{}/graph?{}",
            self.shown_base.trim_end_matches('/'),
            leakscope_probe::http::form_urlencoded(&[
                ("g0.expr", selector),
                ("g0.tab", "0"),
                ("g0.range_input", &hours),
            ])
        )
    }

    fn series(&self, v: FleetVerdict) -> JudgedSeries {
        let link = Some(self.link(&v.verdict.name));
        JudgedSeries {
            name: v.verdict.name.clone(),
            labels: alert_labels(&v.labels),
            points: v.recent,
            verdict: v.verdict,
            link,
            first_t: v.first_t,
        }
    }
}

/// A series' labels as its alerts and /metrics series carry them: without `__name__` (the
/// selector names the metric) and other `__` labels, clashing names renamed `exported_…`.
pub fn alert_labels(labels: &leakscope_fleet::Labels) -> Vec<(String, String)> {
    labels
        .iter()
        .filter(|(k, _)| !k.starts_with("__"))
        .map(|(k, v)| {
            let k = if RESERVED.contains(&k.as_str()) {
                format!("exported_{k}")
            } else {
                k.clone()
            };
            (k, v.clone())
        })
        .collect()
}

impl Source for PromQuery {
    fn sample(&mut self) -> Outcome {
        let started = Instant::now();
        let end = crate::now();
        let q = self.fleet_query(end);
        let queries_before = self.prom.stats().queries();
        let result = judge_fleet(&self.prom, &q, &mut |_| {});
        let queries = self.prom.stats().queries().saturating_sub(queries_before) as f64;
        let fields = |series: usize, leaks: usize, fetched: usize| {
            FIELDS
                .iter()
                .zip([
                    series as f64,
                    leaks as f64,
                    fetched as f64,
                    queries,
                    started.elapsed().as_secs_f64(),
                ])
                .map(|(k, v)| ((*k).to_owned(), v))
                .collect::<Vec<_>>()
        };
        match result {
            Ok((verdicts, stats)) => {
                self.status = None;
                let leaks = verdicts
                    .iter()
                    .filter(|v| v.verdict.verdict == VerdictKind::Leak)
                    .count();
                let reading = fields(stats.series, leaks, stats.fetched);
                self.judged = Some(verdicts.into_iter().map(|v| self.series(v)).collect());
                Outcome {
                    reading: Some(Ok(reading)),
                    events: Vec::new(),
                }
            }
            Err(FleetError::NoSeries { .. }) => {
                self.status = Some(format!(
                    "the query returns no series over the last {}; judging again in {}",
                    humantime::format_duration(self.range),
                    humantime::format_duration(self.every)
                ));
                // Every series is gone: their alerts resolve.
                self.judged = Some(Vec::new());
                Outcome {
                    reading: Some(Ok(fields(0, 0, 0))),
                    events: Vec::new(),
                }
            }
            Err(e) => Outcome {
                reading: Some(Err(ProbeError::Query {
                    target: Target::Url(self.shown_base.clone()),
                    message: e.to_string(),
                })),
                events: Vec::new(),
            },
        }
    }

    fn finished(&self) -> bool {
        false
    }

    fn remote(&self) -> bool {
        true
    }

    fn period(&self) -> Option<Duration> {
        Some(self.every)
    }

    fn rules(&mut self, rules: &AlertRules) {
        // The growth window, and the warm-up the baseline is taken over, with a margin.
        self.recent_seconds = rules.growth_window_seconds.max(rules.warmup_seconds) * 1.1;
    }

    fn take_judged(&mut self) -> Option<Vec<super::JudgedSeries>> {
        self.judged.take()
    }

    fn status(&self) -> Option<String> {
        self.status.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leakscope_fleet::Endpoint;

    #[test]
    fn labels_lose_the_name_and_rename_clashes() {
        let l: leakscope_fleet::Labels = [
            ("__name__", "m"),
            ("pod", "a"),
            ("severity", "high"),
            ("target", "x"),
        ]
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        assert_eq!(
            alert_labels(&l),
            vec![
                ("pod".to_owned(), "a".to_owned()),
                ("exported_severity".to_owned(), "high".to_owned()),
                ("exported_target".to_owned(), "x".to_owned()),
            ]
        );
    }

    #[test]
    fn an_unreachable_prometheus_is_refused_at_start_in_one_sentence() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(1);
        let mut endpoint = Endpoint::new(format!("http://127.0.0.1:{port}"));
        endpoint.timeout = Duration::from_secs(2);
        let spec = SourceSpec::Prometheus {
            endpoint,
            query: "m".into(),
            every: DEFAULT_EVERY,
            range: DEFAULT_RANGE,
            limit_query: None,
        };
        let err = match spec.open() {
            Ok(_) => panic!("nothing listens"),
            Err(e) => e.to_string(),
        };
        assert!(err.starts_with("cannot reach Prometheus at"), "{err}");
        assert!(!err.contains('\n'), "{err}");
    }
}
