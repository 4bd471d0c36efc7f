//! `leakscope run`: start a service, drive HTTP load at it, measure its memory's floor the
//! whole time, and end with a verdict that can gate CI.
//!
//! One sampling loop on this thread; the load generator (or `--load-cmd`) on its own.
//! Everything measured goes to the store as it is taken, so a crash or Ctrl-C keeps it.

mod memory;
mod outcome;
mod progress;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use leakscope_core::redact::redact_command_line;
use leakscope_core::{Point, Recognizer, VerdictKind};
use leakscope_load::{LoadSpec, LoadStats};
use leakscope_report::{LoadPoint, RunData};

use crate::cli::{Common, DbArgs, OutputFormat};
use crate::event::Event;
use crate::supervise::Supervisor;
use crate::{fields, out, units};
use memory::{Meter, NodeGc};
use outcome::RunVerdict;

#[derive(Debug, Args)]
pub struct RunArgs {
    /// URL template to drive load at, loopback only; `{#n}` is the request number, `{#rand}` a
    /// random number, `{#uuid}` a random UUID (e.g. http://127.0.0.1:8080/user/{#n}).
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
    /// The service's Prometheus /metrics, to measure its runtime heap (Go, JVM, Node).
    #[arg(long, value_name = "URL")]
    pub scrape: Option<String>,
    /// Metric to take from --scrape (repeatable; default: the common runtime heap metrics).
    #[arg(long, value_name = "NAME")]
    pub metric: Vec<String>,
    /// How long the service may take to accept connections.
    #[arg(long, default_value = "30s", value_parser = units::parse_duration)]
    pub ready_timeout: Duration,
    /// Where readiness is checked, `host:port` (default: the --load URL's).
    #[arg(long, value_name = "HOST:PORT")]
    pub ready: Option<String>,
    /// Drive load with your own command instead (e.g. "k6 run script.js"); it runs for the
    /// whole soak and is stopped at the end. Requests are then unknown to leakscope.
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
struct LoadShared {
    requests: AtomicU64,
    errors: AtomicU64,
    rps_now: Mutex<f64>,
    last: Mutex<Option<LoadStats>>,
}

/// Run the soak; exit 0 no leak, 1 leak (or `--fail-above`), 2 error.
pub fn run(args: &RunArgs, common: &Common) -> anyhow::Result<u8> {
    let spec = load_spec(args)?;
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
    let name = args.name.clone().unwrap_or_else(|| {
        PathBuf::from(&args.command[0])
            .file_name()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| args.command[0].clone())
    });
    let mut store = crate::cli::open_store(&args.db.path()?, common.quiet)?;
    // Header values, URL credentials and secret-named values never reach the store.
    let target = store.target(&name, "run", &redact_command_line(&args.command))?;
    let run_id = store.begin_run(
        units::now(),
        &redact_command_line(&std::env::args().collect::<Vec<_>>()),
    )?;

    let mut sup = Supervisor::start(&args.command, false)
        .with_context(|| format!("cannot start {}", redact_command_line(&args.command)))?;
    let result = soak(
        args, common, spec, ready_addr, &stop, &mut sup, &mut store, target,
    );
    sup.stop();
    store.end_run(run_id, units::now())?;
    store.flush()?;
    let (verdict, data) = result?;
    finish(args, common, &verdict, &data)?;
    Ok(verdict.exit_code())
}

#[allow(clippy::too_many_arguments)]
fn soak(
    args: &RunArgs,
    common: &Common,
    spec: Option<LoadSpec>,
    ready_addr: Option<String>,
    stop: &Arc<AtomicBool>,
    sup: &mut Supervisor,
    store: &mut leakscope_store::Store,
    target: leakscope_store::TargetId,
) -> anyhow::Result<(RunVerdict, RunData)> {
    // 1. Ready: the service accepts connections, or we say why not.
    if let Some(addr) = &ready_addr {
        wait_ready(addr, args.ready_timeout, sup, store, target, stop)?;
    }
    let pid = sup.pid().context("the service is not running")?;
    let node = if args.no_gc {
        None
    } else {
        NodeGc::open(pid, common.quiet)
    };
    let scrape = args.scrape.clone().map(|u| {
        let metrics = if args.metric.is_empty() {
            leakscope_probe::scrape::DEFAULT_METRICS
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            args.metric.clone()
        };
        (u, metrics)
    });
    if let (Some(n), false) = (&node, common.quiet) {
        eprintln!(
            "leakscope: measuring the V8 heap after a forced GC in Node process {} (through its inspector, closed again at the end)",
            n.pid
        );
    }
    let mut meter = Meter::new(node, scrape);

    // 2. Load, on its own thread (or the user's command), for warm-up + duration.
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
        load_child = Some(
            std::process::Command::new("sh")
                .args(["-c", cmd])
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .spawn()
                .with_context(|| format!("cannot start the load command `{cmd}`"))?,
        );
    }

    // 3. Sample until the end, Ctrl-C, or the service dies.
    let interval = args
        .interval
        .unwrap_or_else(|| (total / 300).clamp(Duration::from_secs(1), Duration::from_secs(30)));
    let started = Instant::now();
    let t0 = units::now();
    let warmup_end = t0 + args.warmup.as_secs_f64();
    let mut series: Vec<Point> = Vec::new();
    let mut rss: Vec<Point> = Vec::new();
    let mut requests_at: Vec<(f64, f64)> = Vec::new(); // (t, requests so far) per reading
    let mut load_points: Vec<LoadPoint> = Vec::new();
    let mut signal: Option<String> = None;
    let mut recognizer: Option<Recognizer> = None;
    let mut progress =
        progress::Progress::new(common.quiet || common.format == OutputFormat::Json, total);
    let mut service_end = "stopped by leakscope at the end".to_string();
    let mut partial = false;
    let mut died_oom = false;
    let mut crashed = false;
    let mut last_req = (t0, 0u64, 0u64);
    let mut next = Instant::now();
    loop {
        for ev in sup.poll() {
            store.event(target, units::now(), ev.kind(), &ev.detail())?;
            if let Event::Exited {
                code,
                signal,
                oom_killed,
            } = ev
            {
                service_end = crate::event::describe_exit(code, signal, oom_killed);
                died_oom = oom_killed;
                crashed = !oom_killed;
                partial = true;
            }
        }
        if sup.finished() {
            eprintln!("leakscope: the service died mid-soak: {service_end}");
            break;
        }
        let t = units::now();
        let reading = meter.read(pid);
        if !reading.is_empty() {
            let refs: Vec<(&str, f64)> = reading.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            store.append(target, t, &refs)?;
            let sig = signal.get_or_insert_with(|| {
                memory::primary_field(&reading)
                    .unwrap_or("rss_bytes")
                    .to_string()
            });
            if let Some(v) = reading.iter().find(|(k, _)| k == sig).map(|(_, v)| *v) {
                series.push(Point::new(t, v));
                let requests = shared.requests.load(Ordering::Relaxed);
                requests_at.push((t, requests as f64));
                if t >= warmup_end {
                    let r = recognizer.get_or_insert_with(|| {
                        Recognizer::new(
                            format!("{}/{}", "service", sig),
                            soak_options(args, sig, interval),
                        )
                    });
                    r.push(Point::new(t, v));
                }
            }
            if let Some(v) = reading
                .iter()
                .find(|(k, _)| k == "rss_bytes")
                .map(|(_, v)| *v)
            {
                rss.push(Point::new(t, v));
            }
        }
        // Load rate since the last reading.
        let (req, err) = (
            shared.requests.load(Ordering::Relaxed),
            shared.errors.load(Ordering::Relaxed),
        );
        let dt = (t - last_req.0).max(1e-3);
        let dreq = req.saturating_sub(last_req.1);
        let derr = err.saturating_sub(last_req.2);
        if args.load.is_some() && !series.is_empty() {
            load_points.push(LoadPoint {
                t,
                rps: dreq as f64 / dt,
                error_rate: if dreq > 0 {
                    derr as f64 / dreq as f64
                } else {
                    0.0
                },
            });
        }
        last_req = (t, req, err);
        store.flush()?;
        progress.update(
            started.elapsed(),
            dreq as f64 / dt,
            series.last().map(|p| p.v),
            &series,
            args.load.is_some(),
        );

        if stop.load(Ordering::Relaxed) {
            partial = true;
            service_end = "interrupted (Ctrl-C); the service was stopped".into();
            break;
        }
        if started.elapsed() >= total {
            break;
        }
        next += interval;
        let now = Instant::now();
        if next < now {
            next = now;
        }
        while Instant::now() < next && !stop.load(Ordering::Relaxed) {
            std::thread::sleep((next - Instant::now()).min(Duration::from_millis(100)));
        }
    }
    progress.finish();

    // 4. Stop the load; leave the service as found (inspector closed) before stopping it.
    load_stop.store(true, Ordering::Relaxed);
    let load_stats = match load_thread.map(|h| h.join()) {
        Some(Ok(Ok(s))) => Some(s),
        Some(Ok(Err(e))) => return Err(e).context("the load generator failed"),
        Some(Err(_)) => anyhow::bail!("the load generator thread panicked"),
        None => None,
    };
    if let Some(mut c) = load_child {
        // SAFETY: kill(2) on our own child with a valid signal.
        unsafe { libc::kill(c.id() as libc::pid_t, libc::SIGTERM) };
        let _ = c.wait();
    }
    meter.close();

    let signal = signal.unwrap_or_else(|| "rss_bytes".into());
    if series.is_empty() {
        anyhow::bail!("the service ({service_end}) gave no memory readings; nothing to judge");
    }
    // 5. The verdict.
    let verdict = match &recognizer {
        Some(r) => {
            let mut v = r.verdict();
            v.name = format!(
                "{}/{}",
                args.name.clone().unwrap_or_else(|| "service".into()),
                signal
            );
            v
        }
        None => leakscope_core::recognize(
            &format!("service/{signal}"),
            &[],
            &soak_options(args, &signal, interval),
        ),
    };
    let mut verdict = verdict;
    if died_oom {
        verdict.verdict = VerdictKind::Leak;
        verdict
            .reasons
            .insert(0, "the service was OOM-killed during the soak".into());
    }
    let after: Vec<Point> = series
        .iter()
        .copied()
        .filter(|p| p.t >= warmup_end)
        .collect();
    let base = outcome::baseline(if after.is_empty() { &series } else { &after });
    let fin = outcome::final_value(&series);
    let requests = load_stats.as_ref().map(|s| s.requests);
    let errors = load_stats.as_ref().map(|s| s.errors());
    let bytes_per_request = bytes_per_request(&series, &requests_at, warmup_end);
    let failed_fail_above = match (args.fail_above, base, fin) {
        (Some(x), Some(b), Some(f)) => f - b > x,
        _ => false,
    };
    let elapsed = started.elapsed().as_secs_f64();
    let rv = RunVerdict {
        signal: signal.clone(),
        bytes_per_request: if args.load.is_some() {
            bytes_per_request
        } else {
            None
        },
        baseline_bytes: base,
        final_bytes: fin,
        requests,
        errors,
        error_rate: match (requests, errors) {
            (Some(r), Some(e)) if r > 0 => Some(e as f64 / r as f64),
            _ => None,
        },
        requests_per_second: load_stats.as_ref().map(|s| s.rps),
        duration_seconds: elapsed,
        warmup_seconds: args.warmup.as_secs_f64(),
        fail_above_bytes: args.fail_above,
        failed_fail_above,
        service_end,
        partial,
        service_crashed: crashed,
        verdict,
    };
    if requests == Some(0) || errors.zip(requests).is_some_and(|(e, r)| r > 0 && e == r) {
        eprintln!(
            "leakscope: warning: the load target answered no request successfully ({} of {} failed); is --load right?",
            errors.unwrap_or(0),
            requests.unwrap_or(0)
        );
    }
    let slope = rv.verdict.growth_bytes_per_hour / 3600.0;
    let data = RunData {
        title: redact_command_line(&args.command),
        memory_label: signal_label(&signal),
        extra_series: if signal != "rss_bytes" && !rss.is_empty() {
            vec![("RSS".into(), rss)]
        } else {
            vec![]
        },
        load: load_points,
        warmup_end: Some(warmup_end),
        baseline_bytes: base,
        trend: base.map(|b| (warmup_end, b, slope)),
        limit_bytes: args.limit,
        verdict: rv.verdict.clone(),
        facts: run_facts(&rv),
        memory: series,
    };
    Ok((rv, data))
}

/// Rows the report shows beside the chart, beyond the ones it derives itself.
fn run_facts(rv: &RunVerdict) -> Vec<(String, String)> {
    let mut facts = vec![("Service".to_string(), rv.service_end.clone())];
    if let Some(b) = rv.bytes_per_request {
        facts.push(("Bytes per request".into(), format!("{b:.0} B")));
    }
    if rv.partial {
        facts.push((
            "Partial run".into(),
            "yes: the numbers cover what was measured until it ended".into(),
        ));
    }
    facts
}

/// Recognition for a soak: short spans are the point, so judge from a minute on, with buckets
/// as fine as the sampling.
fn soak_options(
    args: &RunArgs,
    field: &str,
    interval: Duration,
) -> leakscope_core::RecognizeOptions {
    let mut o = fields::recognize_options(field, args.limit);
    o.min_span_seconds = (args.duration.as_secs_f64() * 0.4).clamp(30.0, 1200.0);
    o.bucket_seconds = interval.as_secs_f64().max(0.5);
    o
}

/// Memory growth per request after warm-up: the robust slope of memory over requests served.
fn bytes_per_request(series: &[Point], requests_at: &[(f64, f64)], warmup_end: f64) -> Option<f64> {
    let pairs: Vec<(f64, f64)> = series
        .iter()
        .zip(requests_at)
        .filter(|(p, _)| p.t >= warmup_end)
        .map(|(p, (_, r))| (*r, p.v))
        .collect();
    let (first, last) = (pairs.first()?, pairs.last()?);
    if last.0 - first.0 < 1.0 {
        return None;
    }
    let x: Vec<f64> = pairs.iter().map(|p| p.0).collect();
    let y: Vec<f64> = pairs.iter().map(|p| p.1).collect();
    Some(leakscope_core::robust_slope(&x, &y))
}

fn signal_label(signal: &str) -> String {
    match signal {
        memory::NODE_HEAP_AFTER_GC => "V8 heap used after a forced GC".into(),
        "rss_bytes" => "resident set (RSS)".into(),
        other => other.to_string(),
    }
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
        OutputFormat::Table => out::line(&outcome::table(v)),
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

/// Wait until `addr` accepts a TCP connection; fail early when the service exits.
fn wait_ready(
    addr: &str,
    timeout: Duration,
    sup: &mut Supervisor,
    store: &mut leakscope_store::Store,
    target: leakscope_store::TargetId,
    stop: &AtomicBool,
) -> anyhow::Result<()> {
    use std::net::ToSocketAddrs;
    let addrs: Vec<_> = addr
        .to_socket_addrs()
        .with_context(|| format!("cannot resolve {addr}"))?
        .collect();
    let start = Instant::now();
    loop {
        for ev in sup.poll() {
            store.event(target, units::now(), ev.kind(), &ev.detail())?;
            if let Event::Exited {
                code,
                signal,
                oom_killed,
            } = ev
            {
                anyhow::bail!(
                    "the service {} before it accepted connections on {addr}",
                    crate::event::describe_exit(code, signal, oom_killed)
                );
            }
        }
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
