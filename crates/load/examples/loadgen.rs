//! Command-line front end to `leakscope_load::run`, for benchmarks and manual soaks.
//!
//! ```text
//! cargo run --release -p leakscope-load --example loadgen -- \
//!     http://127.0.0.1:8080/user/{n} --concurrency 64 --duration 10s
//! ```
//! Options: `--concurrency N`, `--duration 10s|500ms|2m`, `--rate R` (req/s),
//! `--max-requests N`, `--threads N`, `--method M`, `--header 'K: V'` (repeatable),
//! `--body TEMPLATE`, `--timeout 30s`, `--quiet`. Ctrl-C stops the run early.
//! Exit code 0 when every request succeeded, 1 when any failed, 2 on bad usage.

use leakscope_core::units::parse_duration;
use leakscope_load::{run, LoadSpec, LoadStats};
use std::process::ExitCode;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

fn parse_args(args: &[String]) -> Result<(LoadSpec, bool), String> {
    let mut spec: Option<LoadSpec> = None;
    let mut rest = LoadSpec::new("");
    let mut quiet = false;
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let mut value = || {
            it.next()
                .cloned()
                .ok_or_else(|| format!("{arg} needs a value"))
        };
        let number = |v: String| {
            v.parse::<u64>()
                .map_err(|_| format!("{arg}: bad number {v:?}"))
        };
        match arg.as_str() {
            "--concurrency" | "-c" => rest.concurrency = number(value()?)? as usize,
            "--duration" | "-d" => rest.duration = Some(parse_duration(&value()?)?),
            "--rate" | "-r" => {
                let v = value()?;
                rest.rate = Some(v.parse().map_err(|_| format!("--rate: bad number {v:?}"))?);
            }
            "--max-requests" | "-n" => rest.max_requests = Some(number(value()?)?),
            "--threads" | "-t" => rest.threads = Some(number(value()?)? as usize),
            "--method" | "-m" => rest.method = value()?,
            "--header" | "-H" => {
                let v = value()?;
                let (name, val) = v
                    .split_once(':')
                    .ok_or_else(|| format!("--header {v:?}: use 'Name: value'"))?;
                rest.headers.push((name.trim().into(), val.trim().into()));
            }
            "--body" => rest.body_template = Some(value()?),
            "--timeout" => rest.timeout = parse_duration(&value()?)?,
            "--quiet" | "-q" => quiet = true,
            url if !url.starts_with('-') && spec.is_none() => spec = Some(LoadSpec::new(url)),
            other => return Err(format!("unexpected argument {other:?}")),
        }
    }
    let url = spec.ok_or("missing URL, e.g. http://127.0.0.1:8080/user/{n}")?;
    Ok((
        LoadSpec {
            url_template: url.url_template,
            ..rest
        },
        quiet,
    ))
}

fn print_summary(s: &LoadStats) {
    println!(
        "{} requests in {:.2}s, {} bytes read, {} connections",
        s.requests,
        s.elapsed.as_secs_f64(),
        s.bytes,
        s.connections
    );
    println!(
        "  ok {}  http errors {}  connect errors {}  timeouts {}  io errors {}  late {}",
        s.ok, s.errors_http, s.errors_connect, s.errors_timeout, s.errors_io, s.late
    );
    let l = &s.latency;
    println!(
        "  latency p50 {:?}  p90 {:?}  p99 {:?}  max {:?}  mean {:?}",
        l.p50, l.p90, l.p99, l.max, l.mean
    );
    println!("Requests/sec: {:.2}", s.rps);
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (spec, quiet) = match parse_args(&args) {
        Ok(parsed) => parsed,
        Err(message) => {
            eprintln!("loadgen: {message}");
            return ExitCode::from(2);
        }
    };
    let stop = Arc::new(AtomicBool::new(false));
    for signal in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        if let Err(e) = signal_hook::flag::register(signal, Arc::clone(&stop)) {
            eprintln!("loadgen: cannot handle signal {signal}: {e}");
        }
    }
    let progress = |s: &LoadStats| {
        if !quiet {
            eprintln!(
                "[{:>4.0}s] {} requests ({:.0}/s), {} errors",
                s.elapsed.as_secs_f64(),
                s.requests,
                s.rps,
                s.errors()
            );
        }
    };
    match run(&spec, stop, progress) {
        Ok(stats) => {
            print_summary(&stats);
            if stats.errors() == 0 {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(1)
            }
        }
        Err(e) => {
            eprintln!("loadgen: {e}");
            ExitCode::from(2)
        }
    }
}
