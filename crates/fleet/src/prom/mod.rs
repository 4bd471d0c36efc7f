//! A client of the Prometheus HTTP API (`/api/v1/query`, `/api/v1/query_range`), which
//! Thanos, Mimir, Cortex and VictoriaMetrics serve too. Queries are POSTed as forms (no URL
//! length limit), transient failures are retried with backoff, and every request is counted.

mod response;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use leakscope_probe::http::{self, HttpError};

use crate::endpoint::Endpoint;
use crate::range::Grid;
use response::Envelope;
pub use response::SeriesData;

/// The largest answer read, bytes: batches are sized far below it; it only stops a runaway.
pub const MAX_ANSWER_BYTES: u64 = 1 << 30;

/// Why a Prometheus request failed. Each names the URL and reads as one sentence.
#[derive(Debug, thiserror::Error)]
pub enum PromError {
    /// Nothing answered, or the URL is not usable.
    #[error("cannot reach Prometheus at {url} ({detail}); check --prometheus")]
    Unreachable {
        /// The request URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// The server refused the credentials (HTTP 401 or 403).
    #[error("Prometheus at {url} refused the request with HTTP {status} ({detail}); check the credentials (bearer token, basic auth, tenant header)")]
    Unauthorized {
        /// The request URL.
        url: String,
        /// 401 or 403.
        status: u16,
        /// The server's words, shortened.
        detail: String,
    },
    /// Prometheus rejected or failed the query and said why (`errorType`, `error`).
    #[error("Prometheus at {url} rejected the query: {error} ({error_type})")]
    Query {
        /// The request URL.
        url: String,
        /// `bad_data`, `execution`, `timeout`, `canceled`, `internal`, `unavailable`.
        error_type: String,
        /// Prometheus' own error text.
        error: String,
    },
    /// Another status without a Prometheus error document (a proxy's answer).
    #[error("{url}: HTTP status {status} ({excerpt})")]
    Status {
        /// The request URL.
        url: String,
        /// The HTTP status.
        status: u16,
        /// The first characters of the body.
        excerpt: String,
    },
    /// The client cannot be set up: the CA file or a credential file is unusable.
    #[error("cannot set up the client for Prometheus at {url}: {detail}")]
    Setup {
        /// The base URL.
        url: String,
        /// What is wrong.
        detail: String,
    },
    /// The answer is not the API's JSON.
    #[error("{url}: the answer is not Prometheus API JSON ({detail}); is this a Prometheus URL?")]
    Malformed {
        /// The request URL.
        url: String,
        /// What did not parse.
        detail: String,
    },
}

impl PromError {
    /// True for failures worth retrying: nothing answered, a 5xx or 429 without a query
    /// error, Prometheus' `unavailable`.
    pub fn is_transient(&self) -> bool {
        match self {
            PromError::Unreachable { .. } => true,
            PromError::Status { status, .. } => *status >= 500 || *status == 429,
            PromError::Query { error_type, .. } => error_type == "unavailable",
            _ => false,
        }
    }

    /// True when the query loaded more samples than the server allows (`--query.max-samples`):
    /// a smaller batch of series would pass.
    pub fn is_too_many_samples(&self) -> bool {
        matches!(self, PromError::Query { error, .. } if error.contains("too many samples"))
    }

    /// True when a range query asked for more than the points limit per series.
    pub fn is_too_many_points(&self) -> bool {
        matches!(self, PromError::Query { error, .. } if error.contains("maximum resolution"))
    }
}

/// Requests and bytes so far (shared by every thread using the client).
#[derive(Debug, Default)]
pub struct Stats {
    queries: AtomicU64,
    bytes: AtomicU64,
    retries: AtomicU64,
}

impl Stats {
    /// Requests sent, retries included.
    pub fn queries(&self) -> u64 {
        self.queries.load(Ordering::Relaxed)
    }
    /// Answer bytes read.
    pub fn bytes(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }
    /// Requests repeated after a transient failure.
    pub fn retries(&self) -> u64 {
        self.retries.load(Ordering::Relaxed)
    }
}

/// A Prometheus-API client. Shareable across threads.
#[derive(Debug)]
pub struct Prometheus {
    endpoint: Endpoint,
    client: http::Client,
    /// Attempts after the first for transient failures.
    retries: u32,
    /// Backoff before the first retry; doubles each time.
    backoff: Duration,
    stats: Stats,
}

impl Prometheus {
    /// A client of the API at `endpoint`, retrying transient failures 3 times (0.25, 0.5,
    /// 1 s apart); fails when its CA or credential files are unusable.
    pub fn new(endpoint: Endpoint) -> Result<Self, PromError> {
        let client = endpoint.client().map_err(|e| PromError::Setup {
            url: leakscope_core::redact::redact_text(&endpoint.base_url).into_owned(),
            detail: e.to_string(),
        })?;
        Ok(Self {
            endpoint,
            client,
            retries: 3,
            backoff: Duration::from_millis(250),
            stats: Stats::default(),
        })
    }

    /// Sets how often transient failures are retried and the first backoff.
    pub fn with_retries(mut self, retries: u32, backoff: Duration) -> Self {
        self.retries = retries;
        self.backoff = backoff;
        self
    }

    /// The endpoint queried.
    pub fn endpoint(&self) -> &Endpoint {
        &self.endpoint
    }

    /// Requests and bytes so far.
    pub fn stats(&self) -> &Stats {
        &self.stats
    }

    /// An instant query at `time` (unix seconds): one point per series, or a whole range per
    /// series for a range-vector expression.
    pub fn query(&self, expr: &str, time: f64) -> Result<Vec<SeriesData>, PromError> {
        let time = format_seconds(time);
        self.call("/api/v1/query", &[("query", expr), ("time", &time)])
    }

    /// A range query over `grid` (at most [`crate::range::MAX_POINTS_PER_SERIES`] steps).
    pub fn query_range(&self, expr: &str, grid: &Grid) -> Result<Vec<SeriesData>, PromError> {
        let (start, end, step) = (
            grid.start.to_string(),
            grid.end.to_string(),
            grid.step.to_string(),
        );
        self.call(
            "/api/v1/query_range",
            &[
                ("query", expr),
                ("start", &start),
                ("end", &end),
                ("step", &step),
            ],
        )
    }

    fn call(&self, path: &str, form: &[(&str, &str)]) -> Result<Vec<SeriesData>, PromError> {
        let url = self.endpoint.url(path);
        let shown = leakscope_core::redact::redact_text(&url).into_owned();
        let body = http::form_urlencoded(form);
        let mut attempt = 0;
        loop {
            self.stats.queries.fetch_add(1, Ordering::Relaxed);
            match self.once(&url, &shown, body.as_bytes()) {
                Err(e) if e.is_transient() && attempt < self.retries => {
                    std::thread::sleep(self.backoff * 2u32.saturating_pow(attempt));
                    attempt += 1;
                    self.stats.retries.fetch_add(1, Ordering::Relaxed);
                }
                other => return other,
            }
        }
    }

    /// One request to `target`; errors name `url` (the target with credentials redacted).
    fn once(&self, target: &str, url: &str, body: &[u8]) -> Result<Vec<SeriesData>, PromError> {
        let resp = self
            .client
            .post(
                target,
                "application/x-www-form-urlencoded",
                body,
                MAX_ANSWER_BYTES,
            )
            .map_err(|e| from_http(url, e))?;
        self.stats
            .bytes
            .fetch_add(resp.body.len() as u64, Ordering::Relaxed);
        if resp.status == 401 || resp.status == 403 {
            return Err(PromError::Unauthorized {
                url: url.to_owned(),
                status: resp.status,
                detail: excerpt(&resp.body),
            });
        }
        let env: Envelope = match serde_json::from_slice(&resp.body) {
            Ok(env) => env,
            Err(e) if (200..300).contains(&resp.status) => {
                return Err(PromError::Malformed {
                    url: url.to_owned(),
                    detail: e.to_string(),
                })
            }
            Err(_) => {
                return Err(PromError::Status {
                    url: url.to_owned(),
                    status: resp.status,
                    excerpt: excerpt(&resp.body),
                })
            }
        };
        if env.status != "success" {
            return Err(PromError::Query {
                url: url.to_owned(),
                error_type: env.error_type.unwrap_or_else(|| "unknown".into()),
                error: env
                    .error
                    .unwrap_or_else(|| format!("HTTP {} without a reason", resp.status)),
            });
        }
        env.data
            .map(response::Data::into_series)
            .ok_or_else(|| PromError::Malformed {
                url: url.to_owned(),
                detail: "no `data` in a successful answer".into(),
            })
    }
}

/// Reads a Prometheus API answer (`{"status":"success","data":{...}}`) into series; the
/// error text of `{"status":"error"}` or of JSON that is not an answer. (Exposed for fuzzing.)
pub fn parse_answer(body: &[u8]) -> Result<Vec<SeriesData>, String> {
    let env: Envelope = serde_json::from_slice(body).map_err(|e| e.to_string())?;
    if env.status != "success" {
        return Err(env.error.unwrap_or_else(|| "error without a reason".into()));
    }
    env.data
        .map(response::Data::into_series)
        .ok_or_else(|| "no `data` in a successful answer".into())
}

fn from_http(url: &str, e: HttpError) -> PromError {
    let detail = match &e {
        HttpError::Unreachable { detail, .. } => detail.clone(),
        HttpError::Timeout { timeout, .. } => {
            format!("no answer within {} s", timeout.as_secs_f64())
        }
        other => other.to_string(),
    };
    match e {
        HttpError::TooLarge { max_bytes, .. } => PromError::Malformed {
            url: url.to_owned(),
            detail: format!("answer larger than {max_bytes} bytes"),
        },
        _ => PromError::Unreachable {
            url: url.to_owned(),
            detail,
        },
    }
}

/// The first 200 characters of a body, control characters blanked.
fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(&body[..body.len().min(200)])
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_owned()
}

/// Unix seconds as the API takes them (millisecond precision, no exponent).
fn format_seconds(t: f64) -> String {
    format!("{:.3}", t)
}
