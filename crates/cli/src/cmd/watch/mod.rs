//! `leakscope watch`: flags (and `--config FILE`) become [`Settings`]; the engine of
//! `leakscope_agent` samples, stores, judges and alerts; this module renders what it says and
//! the final verdicts.

mod rules;
mod view;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use clap::Args;
use leakscope_agent::engine::log::SampleLog;
use leakscope_agent::fields::SeriesUnit;
use leakscope_agent::{
    config, Engine, EngineError, EngineOptions, ReceiverSpec, Settings, SourceSpec, TargetSettings,
};
use leakscope_core::VerdictKind;
use leakscope_probe::http::HttpOptions;

use crate::cli::{Common, DbArgs, OutputFormat};
use crate::{out, render, units};

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// Read targets, rules, receivers and the store from this TOML file (`leakscope config
    /// check FILE` validates one). Flags add targets and override the rest. SIGHUP reloads it.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A process to watch (repeatable).
    #[arg(long, value_name = "PID")]
    pub pid: Vec<u32>,
    /// A process to watch by a regular expression on its command line (repeatable); followed
    /// across restarts under new pids, and waited for while none runs.
    #[arg(long, value_name = "PATTERN")]
    pub process: Vec<String>,
    /// A cgroup to watch, v1 or v2, absolute or relative to /sys/fs/cgroup (repeatable).
    #[arg(long, value_name = "PATH")]
    pub cgroup: Vec<PathBuf>,
    /// A Prometheus /metrics endpoint to scrape, http:// or https:// (repeatable).
    #[arg(long, value_name = "URL")]
    pub scrape: Vec<String>,
    /// Metric to take from --scrape (repeatable; `name` or `name{label="v"}`); every metric
    /// named is judged. Default: the common runtime memory metrics (Node, Go, JVM heap;
    /// process RSS; go_goroutines).
    #[arg(long, value_name = "NAME")]
    pub metric: Vec<String>,
    /// Judge a --metric as `bytes` (memory) or a `count`, where its name does not say
    /// (names ending in _bytes are memory, others counts); `NAME=count` (repeatable).
    #[arg(long, value_name = "NAME=UNIT", value_parser = parse_metric_unit)]
    pub metric_unit: Vec<(String, SeriesUnit)>,
    /// Trust only the CA certificates in this PEM file for https scrapes and webhooks
    /// (default: the system's roots).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Send `Authorization: Bearer` with the token in this file to --scrape endpoints.
    #[arg(long, value_name = "FILE")]
    pub bearer_token_file: Option<PathBuf>,
    /// Time between samples [default: 30s].
    #[arg(long, value_parser = units::parse_duration)]
    pub interval: Option<Duration>,
    /// Stop after this long (default: until Ctrl-C, or until every target is gone).
    #[arg(long, value_parser = units::parse_duration)]
    pub duration: Option<Duration>,
    /// Stop after this many sampling rounds.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Also read PSS/USS from smaps_rollup. Costly: it walks the target's page tables and
    /// stalls it (milliseconds per GiB).
    #[arg(long)]
    pub pss: bool,
    /// Restart the command when it exits, and count restarts (with `-- CMD`).
    #[arg(long)]
    pub restart: bool,
    /// Name for the `-- CMD` target (default: the command's file name).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Write the JSON-line sample log here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Also POST alerts here, in the Alertmanager webhook format (http:// or https://).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Serve Prometheus metrics (/metrics) and /healthz here, e.g. 127.0.0.1:9464. A bare
    /// port listens on 127.0.0.1.
    #[arg(long, value_name = "ADDR", value_parser = parse_listen)]
    pub listen: Option<SocketAddr>,
    /// The memory limit in bytes, for time-to-limit and the limit-fraction alert (default:
    /// the cgroup's limit when known).
    #[arg(long, value_name = "BYTES", value_parser = units::parse_bytes)]
    pub limit: Option<f64>,
    #[command(flatten)]
    pub rules: rules::RuleArgs,
    /// The command to start and watch, with its children (after `--`).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

fn parse_metric_unit(text: &str) -> Result<(String, SeriesUnit), String> {
    let (name, unit) = text
        .rsplit_once('=')
        .ok_or_else(|| format!("'{text}' is not NAME=bytes or NAME=count"))?;
    Ok((name.trim().to_string(), unit.parse()?))
}

/// `HOST:PORT`, or a bare port on 127.0.0.1.
pub fn parse_listen(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.trim().parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.trim()
        .parse()
        .map_err(|_| format!("'{text}' is not an address: write e.g. 127.0.0.1:9464 or 9464"))
}

/// The settings the flags and the config file describe together: the file first, then the
/// flags' targets added and their values overriding.
pub fn settings(args: &WatchArgs) -> anyhow::Result<Settings> {
    let mut s = match &args.config {
        Some(path) => config::load(path)?,
        None => Settings::default(),
    };
    if let Some(i) = args.interval {
        s.interval = i;
    }
    if s.interval.is_zero() {
        anyhow::bail!("--interval must be more than 0");
    }
    s.rules = args.rules.apply(&s.rules);
    // A flag wins over per-target rules of the file too.
    for t in &mut s.targets {
        if let Some(r) = &t.rules {
            t.rules = Some(args.rules.apply(r));
        }
    }
    if args.limit.is_some() {
        s.limit_bytes = args.limit;
    }
    let scrape_http = HttpOptions {
        ca_file: args.ca_file.clone(),
        bearer_token_file: args.bearer_token_file.clone(),
        ..Default::default()
    };
    let mut flag_targets = Vec::new();
    for &pid in &args.pid {
        flag_targets.push(SourceSpec::Pid { pid, pss: args.pss });
    }
    for pattern in &args.process {
        flag_targets.push(SourceSpec::Process {
            pattern: pattern.clone(),
            pss: args.pss,
        });
    }
    for path in &args.cgroup {
        flag_targets.push(SourceSpec::Cgroup { path: path.clone() });
    }
    for url in &args.scrape {
        leakscope_probe::http::validate_url(url).context("--scrape")?;
        flag_targets.push(SourceSpec::Scrape {
            url: url.clone(),
            metrics: args.metric.clone(),
            units: args.metric_unit.clone(),
            http: scrape_http.clone(),
            check_at_start: true,
        });
    }
    let mut targets: Vec<TargetSettings> =
        flag_targets.into_iter().map(TargetSettings::new).collect();
    if !args.command.is_empty() {
        let mut t = TargetSettings::new(SourceSpec::Command {
            argv: args.command.clone(),
            restart: args.restart,
            pss: args.pss,
        });
        t.name = args.name.clone();
        targets.push(t);
    }
    s.targets.extend(targets);
    if let Some(url) = &args.webhook {
        // Checked now: a bad URL is an error at start, not at the first alert.
        leakscope_probe::http::validate_url(url).context("--webhook")?;
        s.receivers.push(ReceiverSpec::Webhook {
            url: url.clone(),
            http: HttpOptions {
                ca_file: args.ca_file.clone(),
                ..Default::default()
            },
        });
    }
    if args.db.db.is_some() || s.store.path.is_none() {
        s.store.path = Some(args.db.path()?);
    }
    if args.log.is_some() {
        s.log = args.log.clone();
    }
    if args.listen.is_some() {
        s.listen = args.listen;
    }
    Ok(s)
}

/// Run `watch`; exit 1 when a leak was recognized or a leak alert fired.
pub fn run(args: &WatchArgs, common: &Common) -> anyhow::Result<u8> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("cannot install the signal handler")?;
    }
    let hup = Arc::new(AtomicBool::new(false));
    signal_hook::flag::register(signal_hook::consts::SIGHUP, Arc::clone(&hup))
        .context("cannot install the signal handler")?;

    let settings = settings(args)?;
    if settings.targets.is_empty() {
        anyhow::bail!(
            "nothing to watch: give --pid, --process, --cgroup, --scrape, `-- CMD ARGS...`, or targets in --config"
        );
    }
    let db_path = settings
        .store
        .path
        .clone()
        .context("no database path is known; pass --db PATH")?;
    let store = crate::cli::open_store(&db_path, common.quiet)?;
    if let Some(r) = settings.store.retention {
        tracing::info!(
            "store retention: {} (kept by the store)",
            units::format_duration(r.as_secs_f64())
        );
    }
    let log = match &settings.log {
        Some(p) => SampleLog::file(p)
            .with_context(|| format!("cannot open the log file {}", p.display()))?,
        None => SampleLog::stdout(),
    };
    let opts = EngineOptions {
        count: args.count,
        duration: args.duration,
        ..EngineOptions::default()
    };
    let mut engine = Engine::start(&settings, store, log, opts).map_err(start_error)?;
    if let (Some(addr), false) = (engine.metrics_addr(), common.quiet) {
        eprintln!("leakscope: serving /metrics and /healthz on http://{addr}");
    }
    let mut view = view::WatchView::new(common.quiet, stop, hup, args);
    engine.run(&mut view);
    let summary = engine.finish(&mut view, Duration::from_secs(6));

    let leak = summary.leak_alerted
        || summary
            .verdicts
            .iter()
            .any(|(v, _)| v.verdict == VerdictKind::Leak);
    if summary.errors > 0 && !common.quiet {
        eprintln!(
            "leakscope: {} samples failed (see the log and `leakscope ls`)",
            summary.errors
        );
    }
    if !common.quiet || common.format == OutputFormat::Json {
        summarize(&summary.verdicts, args, common)?;
    }
    Ok(u8::from(leak))
}

/// A target that cannot be watched, as one sentence naming the flag it came from.
fn start_error(e: EngineError) -> anyhow::Error {
    match e {
        EngineError::Source {
            kind: "command",
            source,
            ..
        } => anyhow::anyhow!("{source}"),
        EngineError::Source { name, kind, source } => {
            anyhow::anyhow!("{source} (target {name}, given with --{kind} or in the config)")
        }
        other => anyhow::anyhow!("{other}"),
    }
}

/// The final verdicts: on stdout as JSON with `--format json` (then the sample log should go to
/// `--log`), else as a table on stderr so the stdout log stays pure JSON lines.
fn summarize(
    verdicts: &[(leakscope_core::Verdict, f64)],
    args: &WatchArgs,
    common: &Common,
) -> anyhow::Result<()> {
    if verdicts.is_empty() {
        return Ok(());
    }
    match common.format {
        OutputFormat::Json => out::json(&leakscope_core::verdict::VerdictReport {
            series: verdicts.iter().map(|(v, _)| v.clone()).collect(),
        }),
        OutputFormat::Table => {
            let text = render::verdict::table(verdicts);
            if args.log.is_some() {
                out::line(&text)
            } else {
                eprintln!("{text}");
                Ok(())
            }
        }
    }
}
