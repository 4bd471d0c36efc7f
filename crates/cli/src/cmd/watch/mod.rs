//! `leakscope watch`: flags (and `--config FILE`) become [`Settings`]; the engine of
//! `leakscope_agent` samples, stores, judges and alerts; this module renders what it says and
//! the final verdicts.

mod fleet;
pub mod rules;
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
    /// Trust only the CA certificates in this PEM file for https scrapes, webhooks and
    /// Alertmanagers (default: the system's roots).
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Send `Authorization: Bearer` with the token in this file to --scrape endpoints, or to
    /// --prometheus (not both: give each its own token in a --config file).
    #[arg(long, value_name = "FILE")]
    pub bearer_token_file: Option<PathBuf>,
    #[command(flatten)]
    pub fleet: fleet::FleetWatchArgs,
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
    /// Restart the `-- CMD` when the pace of its recognized leak would reach the memory
    /// limit within this (e.g. 10m), counting memory as the limit does (a cgroup's working
    /// set) and one more jump as large as the largest seen, after --diagnose has captured
    /// its evidence (asked for by the restart when no leak alert has; without it when it
    /// fails, is skipped, or a quarter of this is left);
    /// the restart is logged, stored, alerted as RestartedBeforeOom (saying what evidence it
    /// came after) and counted as a restart. Needs a known limit: the cgroup's, or --limit.
    /// Only the command (its process group) is ever signalled. Give a Node command
    /// --max-old-space-size near the limit: node otherwise aborts at a heap limit of its own.
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub restart_before_oom: Option<Duration>,
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
    /// When a leak alert fires on a target, capture evidence from it and name the culprit:
    /// heap snapshots of Node (through its inspector), heap and goroutine profiles of Go
    /// (--pprof), tracemalloc dumps of Python (its SIGUSR2 hook). The alert is sent again
    /// carrying `diagnosis`; evidence is kept in `evidence/` beside the database (see
    /// `leakscope ls`). Bounds and spacing: `[diagnose]` in --config.
    #[arg(long)]
    pub diagnose: bool,
    /// The pprof base URL of the Go service watched (`http://127.0.0.1:6060`), for
    /// --diagnose: its /debug/pprof/heap and /goroutine are captured. Applies to `-- CMD`,
    /// or to the only target given.
    #[arg(long, value_name = "URL")]
    pub pprof: Option<String>,
    #[command(flatten)]
    pub rules: rules::RuleArgs,
    /// Node agent mode (a DaemonSet): follow the pods of this node and sample each container's
    /// cgroup as a target `namespace/pod/container` with those labels; OOM kills are read
    /// from the cgroup counters every second, restarts from the pods' status.
    #[arg(long)]
    pub k8s_node: bool,
    /// This node's name, for --k8s-node (the DaemonSet passes it from the downward API).
    #[arg(long, value_name = "NAME", env = "NODE_NAME")]
    pub node: Option<String>,
    /// The node's cgroup root as mounted here, for --k8s-node (a DaemonSet mounts the host's
    /// at e.g. /host/sys/fs/cgroup).
    #[arg(long, value_name = "DIR", default_value = "/sys/fs/cgroup")]
    pub cgroup_root: PathBuf,
    /// A kubeconfig for --k8s-node [default: $KUBECONFIG or ~/.kube/config, else the pod's
    /// service account (its directory moved by $LEAKSCOPE_SERVICEACCOUNT_DIR)].
    #[arg(long, value_name = "FILE", conflicts_with = "server")]
    pub kubeconfig: Option<PathBuf>,
    /// The API server's URL for --k8s-node, e.g. http://127.0.0.1:8001 behind `kubectl proxy`.
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// The shortest span of samples recognition judges before calling a leak [default: 20m];
    /// lower it for services that live minutes, e.g. in CI.
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub min_span: Option<Duration>,
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
    if let Some(m) = args.min_span {
        if m.is_zero() {
            anyhow::bail!("--min-span must be more than 0");
        }
        s.min_span = Some(m);
    }
    if args.bearer_token_file.is_some()
        && !args.scrape.is_empty()
        && args.fleet.prom.prometheus.is_some()
    {
        anyhow::bail!(
            "--bearer-token-file would go to the --scrape endpoints and to --prometheus alike; give each its own token in a --config file"
        );
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
    flag_targets.extend(args.fleet.targets(args.bearer_token_file.as_deref())?);
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
        t.restart_before_oom = args.restart_before_oom;
        targets.push(t);
    }
    match args.restart_before_oom {
        Some(d) if d.is_zero() => anyhow::bail!("--restart-before-oom must be more than 0"),
        Some(_) if args.command.is_empty() => anyhow::bail!(
            "--restart-before-oom restarts only a command leakscope supervises: give it with `-- CMD ARGS...`"
        ),
        _ => {}
    }
    if let Some(url) = &args.pprof {
        leakscope_probe::http::validate_url(url).context("--pprof")?;
        match targets.as_mut_slice() {
            [.., last] if !args.command.is_empty() => last.pprof = Some(url.clone()),
            [only] => only.pprof = Some(url.clone()),
            _ => anyhow::bail!(
                "--pprof applies to one target (`-- CMD` or a single --pid/--process/--scrape); give `pprof = URL` per target in --config instead"
            ),
        }
    }
    s.targets.extend(targets);
    if args.diagnose && s.diagnose.is_none() {
        s.diagnose = Some(leakscope_agent::settings::DiagnoseSettings::default());
    }
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
    s.receivers
        .extend(args.fleet.receivers(args.ca_file.as_deref())?);
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
    if settings.targets.is_empty() && !args.k8s_node {
        anyhow::bail!(
            "nothing to watch: give --pid, --process, --cgroup, --scrape, --prometheus with --query, `-- CMD ARGS...`, or targets in --config"
        );
    }
    let db_path = settings
        .store
        .path
        .clone()
        .context("no database path is known; pass --db PATH")?;
    let mut store = crate::cli::open_store(&db_path, common.quiet)?;
    if let Some(r) = settings.store.retention {
        // The default tiers cut at the configured total: raw 24 h, 5-minute buckets to 7 days,
        // 1-hour buckets to the end.
        let retention = leakscope_store::Retention::with_total(r)?;
        store.set_retention(&retention)?;
        tracing::info!(
            "store retention: {} ({retention:?})",
            units::format_duration(r.as_secs_f64())
        );
    }
    let log = SampleLog::open(settings.log.as_deref())?;
    let opts = EngineOptions {
        count: args.count,
        duration: args.duration,
        ..EngineOptions::default()
    };
    #[cfg(not(feature = "k8s"))]
    if args.k8s_node {
        return Err(crate::cmd::k8s::not_built());
    }
    let mut engine = Engine::start(&settings, store, log, opts).map_err(start_error)?;
    if !common.quiet {
        let node_options = std::env::var_os("NODE_OPTIONS");
        for caveat in leakscope_agent::engine::mitigate::caveats(&settings, node_options.as_deref())
        {
            eprintln!("leakscope: {caveat}");
        }
    }
    #[cfg(feature = "k8s")]
    if args.k8s_node {
        engine.discover(Box::new(node_discovery(args, common)?));
    }
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

/// The node agent's discovery: this node's pods, their containers' cgroups.
#[cfg(feature = "k8s")]
fn node_discovery(
    args: &WatchArgs,
    common: &Common,
) -> anyhow::Result<leakscope_k8s::node::NodeDiscovery> {
    let node = args.node.clone().filter(|n| !n.is_empty()).context(
        "--k8s-node needs this node's name: set NODE_NAME (the DaemonSet's downward API does) or pass --node NAME",
    )?;
    let opts = leakscope_k8s::node::NodeOptions {
        connect: leakscope_k8s::Connect {
            kubeconfig: args.kubeconfig.clone(),
            server: args.server.clone(),
        },
        node: node.clone(),
        cgroup_root: args.cgroup_root.clone(),
    };
    let d = leakscope_k8s::node::NodeDiscovery::start(&opts)?;
    if !common.quiet {
        eprintln!(
            "leakscope: following the pods of node {node}; cgroups under {}",
            args.cgroup_root.display()
        );
    }
    Ok(d)
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
        _ => {
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
