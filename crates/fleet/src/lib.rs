//! leakscope-fleet: judge a whole fleet's memory series where they already live — in
//! Prometheus (or Thanos, Mimir, Cortex, VictoriaMetrics, which serve the same HTTP API) — and
//! page through Alertmanager.
//!
//! - [`prom`]: the Prometheus API client (instant and range queries, retries, counters);
//! - [`screen`]: the server-side screen that settles the series that cannot be leaks;
//! - [`fetch`]: full curves of the candidates, in batches and chunks, judged by the one
//!   recognizer of `leakscope-core`;
//! - [`judge`]: the whole run, ranked by urgency;
//! - [`cohort`]: replicas and versions of one workload compared; [`warmup`]: the warm-up
//!   after a deploy or restart left unjudged;
//! - [`alertmanager`]: alerts posted to Alertmanager's API, re-sent while firing, resolved;
//! - [`rules`]: Prometheus recording and alerting rules approximating the judgement;
//! - [`range`], [`labels`], [`endpoint`]: grids and steps, selectors, where an API lives.

pub mod alertmanager;
pub mod cohort;
pub mod endpoint;
pub mod fetch;
pub mod judge;
pub mod labels;
pub mod prom;
pub mod range;
pub mod rules;
pub mod screen;
#[cfg(feature = "testkit")]
pub mod testkit;
pub mod warmup;

pub use endpoint::Endpoint;
pub use judge::{
    judge_fleet, FleetError, FleetQuery, FleetVerdict, Progress, RunStats, ScreenMode,
};
pub use labels::Labels;
pub use prom::{PromError, Prometheus};
