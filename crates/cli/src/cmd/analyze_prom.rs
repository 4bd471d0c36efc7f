//! `leakscope analyze --prometheus URL --query PROMQL`: judge every series a query returns.

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use leakscope_core::{RecognizeOptions, VerdictKind};
use leakscope_fleet::cohort::CohortOptions;
use leakscope_fleet::fetch::FetchLimits;
use leakscope_fleet::range::parse_time;
use leakscope_fleet::{
    judge_fleet, Endpoint, FleetQuery, FleetVerdict, Progress, Prometheus, ScreenMode,
};
use serde::Serialize;

use crate::cli::{Common, OutputFormat};
use crate::{out, render, units};

/// Flags of the Prometheus source of `analyze`.
#[derive(Debug, Args, Clone)]
pub struct FleetArgs {
    /// The PromQL expression whose series are judged, in bytes, e.g.
    /// `container_memory_working_set_bytes{namespace="shop",container!=""}`.
    #[arg(long, value_name = "PROMQL", requires = "prometheus")]
    pub query: Option<String>,
    /// How far back from --end (default now) to judge.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = units::parse_duration, conflicts_with = "start")]
    pub range: std::time::Duration,
    /// Start of the range: unix seconds or RFC 3339 (2026-11-24T10:00:00Z).
    #[arg(long, value_name = "TIME", value_parser = parse_time, requires = "end")]
    pub start: Option<f64>,
    /// End of the range: unix seconds or RFC 3339 [default: now].
    #[arg(long, value_name = "TIME", value_parser = parse_time)]
    pub end: Option<f64>,
    /// Seconds between points [default: the series' own resolution, coarsened to stay under
    /// Prometheus' 11,000 points per series]. A finer step is fetched in chunks.
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub step: Option<std::time::Duration>,
    /// An instant query giving each series' memory limit in bytes, matched on the labels they
    /// share, for time-to-limit (e.g. `container_spec_memory_limit_bytes > 0`).
    #[arg(long, value_name = "PROMQL", requires = "query")]
    pub limit_query: Option<String>,
    /// A query giving each series' container restart counter, matched on the labels they
    /// share, e.g. `kube_pod_container_status_restarts_total` (kube-state-metrics: namespace,
    /// pod, container). Its increase over the range is reported with each verdict
    /// (`restarts_counted` and a reason): with --limit-query, a sawtooth whose runs end at the
    /// limit and whose falls the counter counts is a leak killed by the OOM killer, not a
    /// collector's cycle. Example: `leakscope analyze --prometheus http://prom:9090 --query
    /// 'container_memory_working_set_bytes{namespace="shop",container!=""}' --limit-query
    /// 'container_spec_memory_limit_bytes > 0' --restarts-query
    /// kube_pod_container_status_restarts_total`
    #[arg(long, value_name = "PROMQL", requires = "query")]
    pub restarts_query: Option<String>,
    /// Screen server-side before fetching: `auto` above 100 series, `on`, or `off` (fetch every
    /// series in full).
    #[arg(long, value_enum, default_value_t = ScreenArg::Auto)]
    pub screen: ScreenArg,
    /// Group series into cohorts by these labels (comma-separated), e.g. `deployment,version`
    /// [default: every label but the instance ones (pod, instance, ...) and the version ones
    /// (version, image, ...)]. A replica growing alone and a new version growing where the old
    /// one did not are reported in the `cohort` field.
    #[arg(long, value_name = "LABELS", value_delimiter = ',')]
    pub cohort_by: Vec<String>,
    /// Points this long after a series starts inside the range (a deploy) or restarts are not
    /// judged: caches and pools fill then. 0 judges every point.
    #[arg(long = "warmup", value_name = "DURATION", default_value = "10m", value_parser = units::parse_duration)]
    pub warmup: std::time::Duration,
    /// Requests in flight at once while fetching.
    #[arg(long, value_name = "N", default_value_t = 4, value_parser = clap::value_parser!(u16).range(1..=64))]
    pub concurrency: u16,
}

/// `--screen` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ScreenArg {
    /// Screen when the query returns more than 100 series.
    Auto,
    /// Always screen.
    On,
    /// Never screen.
    Off,
}

#[derive(Serialize)]
struct Report<'a> {
    series: &'a [FleetVerdict],
}

/// Judge the fleet; exit 1 when any series leaks.
pub fn run(
    endpoint: Endpoint,
    args: &FleetArgs,
    opts: RecognizeOptions,
    common: &Common,
) -> anyhow::Result<u8> {
    let Some(query) = args.query.clone() else {
        anyhow::bail!("--prometheus needs --query PROMQL: the expression whose series to judge");
    };
    let end = args.end.unwrap_or_else(units::now);
    let start = args.start.unwrap_or(end - args.range.as_secs_f64());
    let step = match args.step {
        Some(d) if d.as_secs_f64() < 1.0 => anyhow::bail!("--step must be at least 1s"),
        Some(d) => Some(d.as_secs_f64().round() as i64),
        None => None,
    };
    let q = FleetQuery {
        query,
        start,
        end,
        step,
        opts,
        limit_query: args.limit_query.clone(),
        restarts_query: args.restarts_query.clone(),
        screen: match args.screen {
            ScreenArg::Auto => ScreenMode::Auto,
            ScreenArg::On => ScreenMode::On,
            ScreenArg::Off => ScreenMode::Off,
        },
        limits: FetchLimits {
            concurrency: usize::from(args.concurrency),
            ..FetchLimits::default()
        },
        warmup_seconds: args.warmup.as_secs_f64(),
        cohorts: CohortOptions {
            by: (!args.cohort_by.is_empty()).then(|| args.cohort_by.clone()),
        },
        keep_recent_seconds: 0.0,
    };
    let prom = Prometheus::new(endpoint)?;
    let bar = if common.quiet {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(0)
    };
    bar.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} series, {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.set_message("screening");
    let (verdicts, stats) = judge_fleet(&prom, &q, &mut |p| match p {
        Progress::Screened { fetch, .. } => {
            bar.set_length(fetch as u64);
            bar.set_message("fetching");
        }
        Progress::Judged => bar.inc(1),
    })?;
    bar.finish_and_clear();
    if common.verbose > 0 {
        eprintln!(
            "leakscope: {} series: {} fetched and judged, {} settled by the screen ({}); step {} s, screen window {} s; {} requests, {} read",
            stats.series,
            stats.fetched,
            stats.screened_out,
            if stats.raw_samples { "raw samples" } else { "grid points" },
            stats.step,
            stats.window,
            stats.queries,
            units::format_bytes(stats.bytes as f64)
        );
    }
    let leak = verdicts
        .iter()
        .any(|v| v.verdict.verdict == VerdictKind::Leak);
    match common.format {
        OutputFormat::Json => out::json(&Report { series: &verdicts })?,
        // Export formats are refused before dispatch (cmd::dispatch).
        _ => out::line(&render::fleet::table(&verdicts))?,
    }
    Ok(u8::from(leak))
}
