//! `leakscope run`: start a service, drive HTTP load at it, measure its memory's floor the
//! whole time, and end with a verdict that can gate CI.
//!
//! One sampling loop on this thread; the load generator (or `--load-cmd`) on its own.
//! Everything measured goes to the store as it is taken, so a crash or Ctrl-C keeps it.

mod diagnosis;
mod outcome;
mod port;
mod progress;
mod soak;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use leakscope_agent::engine::log::SampleLog;
use leakscope_agent::event::Event;
use leakscope_agent::source::node_gc::NodeGc;
use leakscope_agent::source::CommandSource;
use leakscope_agent::supervise::{Output, Supervisor};
use leakscope_agent::{Engine, EngineOptions, Settings, SourceSpec};
use leakscope_core::redact::redact_command_line;
use leakscope_core::VerdictKind;
use leakscope_load::{LoadSpec, LoadStats};
use leakscope_probe::http::HttpOptions;
use leakscope_report::RunData;

use crate::cli::{Common, DbArgs, OutputFormat};
use crate::{out, units};
use outcome::RunVerdict;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// URL template to drive load at, loopback only; `{#n}` is the request number, `{#rand}` a
    /// random number, `{#uuid}` a random UUID (e.g. http://127.0.0.1:8080/user/{#n}).
    /// `{#port}` is the loopback port the service listens on, read from /proc once it starts
    /// (so it can be started on port 0: http://127.0.0.1:{#port}/user/{#n} -- node app.js
    /// --port 0); it also works in --ready, --scrape, --pprof and --load-cmd. A service
    /// listening on several ports is an error: write the port then.
    #[arg(long, value_name = "URL", required_unless_present = "load_cmd")]
    pub load: Option<String>,
    /// HTTP method of the load requests.
    #[arg(long, default_value = "GET")]
    pub method: String,
    /// A request header, `Name: value` (repeatable).
    #[arg(long = "header", value_name = "NAME: VALUE")]
    pub headers: Vec<String>,
    /// Request body template (same placeholders as --load).
    #[arg(long, value_name = "TEMPLATE")]
    pub body: Option<String>,
    /// Fixed request rate, requests per second (open loop).
    #[arg(long, value_name = "N", conflicts_with = "concurrency")]
    pub rps: Option<f64>,
    /// Concurrent connections, each sending its next request when the last is answered.
    #[arg(long, value_name = "C")]
    pub concurrency: Option<usize>,
    /// How long to soak after warm-up.
    #[arg(long, default_value = "10m", value_parser = units::parse_duration)]
    pub duration: Duration,
    /// Load before measuring starts: caches, JIT and pools fill here, not in the verdict.
    #[arg(long, default_value = "1m", value_parser = units::parse_duration)]
    pub warmup: Duration,
    /// Time between memory readings (default: the run's length / 300, within 1s..30s).
    #[arg(long, value_parser = units::parse_duration)]
    pub interval: Option<Duration>,
    /// The service's Prometheus /metrics, to measure its runtime heap (Go, JVM, Node);
    /// http:// or https:// (`{#port}` as in --load).
    #[arg(long, value_name = "URL")]
    pub scrape: Option<String>,
    /// Trust only the CA certificates in this PEM file for an https --scrape.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Metric to take from --scrape (repeatable; default: the common runtime heap metrics).
    #[arg(long, value_name = "NAME")]
    pub metric: Vec<String>,
    /// How long the service may take to accept connections (and, with `{#port}`, to listen).
    #[arg(long, default_value = "30s", value_parser = units::parse_duration)]
    pub ready_timeout: Duration,
    /// Where readiness is checked, `host:port` (default: the --load URL's; `{#port}` as in
    /// --load).
    #[arg(long, value_name = "HOST:PORT")]
    pub ready: Option<String>,
    /// Drive load with your own command instead (e.g. "k6 run script.js"); it runs for the
    /// whole soak and is stopped at the end. Requests are then unknown to leakscope.
    /// `{#port}` as in --load.
    #[arg(long, value_name = "COMMAND")]
    pub load_cmd: Option<String>,
    /// Also fail when memory ends more than this far above the post-warm-up baseline (the
    /// field's rule is 200MB).
    #[arg(long, value_name = "BYTES", value_parser = units::parse_bytes)]
    pub fail_above: Option<f64>,
    /// Do not force GCs in a Node service (measure RSS or --scrape instead).
    #[arg(long)]
    pub no_gc: bool,
    /// Write a self-contained HTML report here.
    #[arg(long, value_name = "FILE.html")]
    pub report: Option<PathBuf>,
    /// Write the memory/load chart here (.svg or .png).
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    /// The memory limit, for time-to-limit.
    #[arg(long, value_name = "BYTES", value_parser = units::parse_bytes)]
    pub limit: Option<f64>,
    /// Once the soak's growth is recognized as a leak, capture evidence from the service
    /// while the load runs (Node heap snapshots, Go profiles with --pprof, Python
    /// tracemalloc dumps through its SIGUSR2 hook) and put the named culprit into the
    /// verdict and the report. Evidence is kept in `evidence/` beside the database.
    #[arg(long)]
    pub diagnose: bool,
    /// The pprof base URL of a Go service (`http://127.0.0.1:6060`), for --diagnose
    /// (`{#port}` as in --load).
    #[arg(long, value_name = "URL")]
    pub pprof: Option<String>,
    /// Name of the service in the store (default: the command's file name).
    #[arg(long)]
    pub name: Option<String>,
    #[command(flatten)]
    pub db: DbArgs,
    /// The service to start (after `--`).
    #[arg(last = true, required = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// What the load thread shares with the sampling loop.
#[derive(Default)]
pub(super) struct LoadShared {
    pub requests: AtomicU64,
    pub errors: AtomicU64,
    rps_now: Mutex<f64>,
    last: Mutex<Option<LoadStats>>,
}

/// Run the soak; exit 0 no leak, 1 leak (or `--fail-above`), 2 error (a crash, or a soak too
/// short to judge).
pub fn run(args: &RunArgs, common: &Common) -> anyhow::Result<u8> {
    let spec = load_spec(args)?;
    // `{port}` is known once the service listens; any port stands in for it until then.
    if let Some(url) = &args.pprof {
        leakscope_probe::http::validate_url(&port::fill(url, 1)).context("--pprof")?;
    }
    if let Some(url) = &args.scrape {
        leakscope_probe::http::validate_url(&port::fill(url, 1)).context("--scrape")?;
    }
    let ready_addr = match (&args.ready, &args.load) {
        (Some(r), _) => Some(r.clone()),
        (None, Some(url)) => Some(host_port(url)?),
        (None, None) => None,
    };
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("cannot install the signal handler")?;
    }
    let name: Arc<str> = Arc::from(args.name.clone().unwrap_or_else(|| {
        PathBuf::from(&args.command[0])
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| args.command[0].clone())
    }));
    let store = crate::cli::open_store(&args.db.path()?, common.quiet)?;
    let total = args.warmup + args.duration;
    let interval = args
        .interval
        .unwrap_or_else(|| (total / 300).clamp(Duration::from_secs(1), Duration::from_secs(30)));
    // The engine samples, and stores through a writer that outlives a locked or full
    // database; `run` judges the soak itself (after warm-up), so no alerts.
    let settings = Settings {
        interval,
        ..Settings::default()
    };
    let opts = EngineOptions {
        judge: false,
        stderr_alerts: false,
        ..EngineOptions::default()
    };
    let mut engine = Engine::start(&settings, store, SampleLog::none(), opts)?;
    // Header values, URL credentials and secret-named values never reach the store.
    engine.begin_run(
        units::now(),
        &redact_command_line(&std::env::args().collect::<Vec<_>>()),
    );
    let sup = Supervisor::start(&args.command, false)
        .with_context(|| format!("cannot start {}", redact_command_line(&args.command)))?;
    let result = soak(
        args,
        common,
        spec,
        ready_addr,
        &stop,
        sup,
        &mut engine,
        &name,
        interval,
    );
    let (mut view, load_stats) = match result {
        Ok(x) => x,
        Err(e) => {
            // The service (and its group) is stopped by the supervisor's drop.
            engine.end_run(units::now());
            engine.finish(&mut QuietView, Duration::from_secs(5));
            return Err(e);
        }
    };
    engine.end_run(units::now());
    let summary = engine.finish(&mut view, Duration::from_secs(10));
    if !summary.stored && !common.quiet {
        eprintln!("leakscope: warning: not every sample reached the database");
    }
    let (verdict, data) = view.verdict(args, load_stats, interval)?;
    finish(args, common, &verdict, &data)?;
    if verdict.verdict.verdict == VerdictKind::InsufficientData && !verdict.service_crashed {
        eprintln!(
            "leakscope: error: {}",
            soak::too_short(&verdict, args, interval)
        );
        return Ok(2);
    }
    Ok(verdict.exit_code())
}

/// Says nothing: for shutting down after an error already being reported.
struct QuietView;
impl leakscope_agent::Observer for QuietView {}

#[allow(clippy::too_many_arguments)]
fn soak(
    args: &RunArgs,
    common: &Common,
    spec: Option<LoadSpec>,
    ready_addr: Option<String>,
    stop: &Arc<AtomicBool>,
    mut sup: Supervisor,
    engine: &mut Engine,
    name: &Arc<str>,
    interval: Duration,
) -> anyhow::Result<(soak::SoakView, Option<LoadStats>)> {
    let spec_text = redact_command_line(&args.command);
    // 1. The port it listens on, when a flag says `{port}`; then ready: the service accepts
    // connections, or we say why not.
    let port = match port::wanted(args) {
        true => Some(port::discover(
            args,
            common.quiet,
            &mut sup,
            |ev| engine.record_event(name, "run", &spec_text, units::now(), ev),
            stop,
        )?),
        false => None,
    };
    let filled = |text: &str| port.map_or_else(|| text.to_string(), |p| port::fill(text, p));
    let ready_addr = ready_addr.as_deref().map(filled);
    let spec = spec.map(|mut s| {
        s.url_template = filled(&s.url_template);
        s
    });
    if let Some(addr) = &ready_addr {
        wait_ready(
            addr,
            args.ready_timeout,
            &mut sup,
            engine,
            name,
            &spec_text,
            stop,
        )?;
    }
    let pid = sup.pid().context("the service is not running")?;
    let node = if args.no_gc {
        None
    } else {
        match NodeGc::open(pid) {
            Ok(n) => Some(n),
            Err(e) => {
                // A service without Node is measured by RSS; say why only when it is Node.
                if !common.quiet && !e.to_string().contains("no Node process") {
                    eprintln!("leakscope: {e}; measuring RSS instead");
                }
                None
            }
        }
    };
    if let (Some(n), false) = (&node, common.quiet) {
        eprintln!(
            "leakscope: measuring the V8 heap after a forced GC in Node process {} (through its inspector, closed again at the end)",
            n.pid
        );
    }
    engine.add_named(
        Arc::clone(name),
        "run",
        &spec_text,
        None,
        Box::new(CommandSource::new(sup, false)),
    )?;
    if let Some(n) = node {
        engine.add_named(Arc::clone(name), "run", &spec_text, None, Box::new(n))?;
    }
    if let Some(url) = &args.scrape {
        let scrape = SourceSpec::Scrape {
            url: filled(url),
            metrics: args.metric.clone(),
            units: Vec::new(),
            http: HttpOptions {
                ca_file: args.ca_file.clone(),
                ..Default::default()
            },
            check_at_start: false,
        }
        .open()?;
        engine.add_named(Arc::clone(name), "run", &spec_text, None, scrape)?;
    }

    // 2. Load, on its own thread (or the user's command in its own process group), for
    // warm-up + duration.
    let total = args.warmup + args.duration;
    let shared = Arc::new(LoadShared::default());
    let load_stop = Arc::new(AtomicBool::new(false));
    let mut load_thread = None;
    let mut load_child = None;
    if let Some(mut spec) = spec {
        spec.duration = Some(total);
        let (sh, st) = (Arc::clone(&shared), Arc::clone(&load_stop));
        load_thread = Some(std::thread::spawn(move || {
            leakscope_load::run(&spec, st, |s| {
                sh.requests.store(s.requests, Ordering::Relaxed);
                sh.errors.store(s.errors(), Ordering::Relaxed);
                if let Ok(mut r) = sh.rps_now.lock() {
                    *r = s.rps;
                }
                if let Ok(mut l) = sh.last.lock() {
                    *l = Some(s.clone());
                }
            })
        }));
    } else if let Some(cmd) = &args.load_cmd {
        let cmd = filled(cmd);
        let argv = vec!["sh".to_string(), "-c".to_string(), cmd.clone()];
        load_child = Some(
            Supervisor::start_with(&argv, false, Output::Null)
                .with_context(|| format!("cannot start the load command `{cmd}`"))?,
        );
    }

    // 3. Sample until the end, Ctrl-C, or the service dies.
    let diagnosis = match args.diagnose {
        true => Some(diagnosis::RunDiagnosis::new(
            name,
            pid,
            args.pprof.as_deref().map(filled),
            args.limit,
            &args.db.path()?,
            Arc::clone(stop),
        )?),
        false => None,
    };
    let mut view = soak::SoakView::new(
        args,
        common,
        Arc::clone(stop),
        Arc::clone(&shared),
        total,
        interval,
        diagnosis,
    );
    engine.run(&mut view);
    view.finish_progress();

    // 4. Stop the load: its thread, or the load command with everything it started.
    load_stop.store(true, Ordering::Relaxed);
    if let Some(mut c) = load_child {
        c.stop();
    }
    let load_stats = match load_thread.map(|h| h.join()) {
        Some(Ok(Ok(s))) => Some(s),
        Some(Ok(Err(e))) => return Err(e).context("the load generator failed"),
        Some(Err(_)) => anyhow::bail!("the load generator thread panicked"),
        None => None,
    };
    Ok((view, load_stats))
}

fn finish(args: &RunArgs, common: &Common, v: &RunVerdict, data: &RunData) -> anyhow::Result<()> {
    if let Some(p) = &args.report {
        leakscope_report::write_html(p, data)
            .with_context(|| format!("cannot write the report {}", p.display()))?;
    }
    if let Some(p) = &args.plot {
        leakscope_report::write_plot(p, data)
            .with_context(|| format!("cannot write the chart {}", p.display()))?;
    }
    match common.format {
        OutputFormat::Json => out::json(&serde_json::json!({ "series": [v] })),
        _ => out::line(&outcome::table(v)),
    }
}

/// The load spec from the flags (None with --load-cmd).
fn load_spec(args: &RunArgs) -> anyhow::Result<Option<LoadSpec>> {
    let Some(url) = &args.load else {
        return Ok(None);
    };
    let mut spec = LoadSpec::new(url.clone());
    spec.method = args.method.to_ascii_uppercase();
    for h in &args.headers {
        let (k, v) = h
            .split_once(':')
            // The value is not echoed: it may be a secret.
            .context("a --header is not `Name: value` (it has no `:`)")?;
        spec.headers
            .push((k.trim().to_string(), v.trim().to_string()));
    }
    spec.body_template = args.body.clone();
    spec.rate = args.rps;
    if let Some(c) = args.concurrency {
        spec.concurrency = c.max(1);
    }
    Ok(Some(spec))
}

/// `host:port` of an http:// URL.
fn host_port(url: &str) -> anyhow::Result<String> {
    let rest = url
        .strip_prefix("http://")
        .with_context(|| format!("--load {url}: only http:// URLs can be loaded"))?;
    let hostport = rest.split('/').next().unwrap_or(rest);
    Ok(if hostport.contains(':') {
        hostport.to_string()
    } else {
        format!("{hostport}:80")
    })
}

/// Hand the supervisor's events to `on_event`; an error once the service exited, saying it
/// exited before it did what is awaited (`awaited`: "accepted connections on ...").
fn pass_events(
    sup: &mut Supervisor,
    mut on_event: impl FnMut(&Event),
    awaited: impl Fn() -> String,
) -> anyhow::Result<()> {
    for ev in sup.poll() {
        on_event(&ev);
        if let Event::Exited {
            code,
            signal,
            oom_killed,
        } = ev
        {
            anyhow::bail!(
                "the service {} before it {}",
                leakscope_agent::event::describe_exit(code, signal, oom_killed),
                awaited()
            );
        }
    }
    Ok(())
}

/// Wait until `addr` accepts a TCP connection; fail early when the service exits.
fn wait_ready(
    addr: &str,
    timeout: Duration,
    sup: &mut Supervisor,
    engine: &mut Engine,
    name: &Arc<str>,
    spec_text: &str,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<_> = addr
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {addr}"))?
        .collect();
    let start = Instant::now();
    loop {
        pass_events(
            sup,
            |ev| engine.record_event(name, "run", spec_text, units::now(), ev),
            || format!("accepted connections on {addr}"),
        )?;
        if addrs
            .iter()
            .any(|a| std::net::TcpStream::connect_timeout(a, Duration::from_millis(200)).is_ok())
        {
            return Ok(());
        }
        if stop.load(Ordering::Relaxed) {
            anyhow::bail!("interrupted while waiting for the service to become ready");
        }
        if start.elapsed() >= timeout {
            anyhow::bail!(
                "the service did not accept connections on {addr} within {} (raise --ready-timeout, or check --load/--ready)",
                units::format_duration(timeout.as_secs_f64())
            );
        }
        std::thread::sleep(Duration::from_millis(100));
    }
}
