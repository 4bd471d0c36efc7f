//! `leakscope watch`: sample targets every interval, log and store every sample, recognize
//! leaks as they grow, and alert.
//!
//! Data flows one way: targets → [`sink`] (JSON-line log + store) → recognizers → alert rules
//! → alert outputs. A failing target is reported and counted while the others go on.

mod alerts;
mod sink;
pub(crate) mod target;

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use leakscope_core::{Point, Recognizer, VerdictKind};

use crate::cli::{Common, DbArgs, OutputFormat};
use crate::{fields, out, render, units};

#[derive(Debug, Args)]
pub struct WatchArgs {
    /// A process to watch (repeatable).
    #[arg(long, value_name = "PID")]
    pub pid: Vec<u32>,
    /// A cgroup to watch, v1 or v2, absolute or relative to /sys/fs/cgroup (repeatable).
    #[arg(long, value_name = "PATH")]
    pub cgroup: Vec<PathBuf>,
    /// A Prometheus /metrics endpoint to scrape, http:// only (repeatable).
    #[arg(long, value_name = "URL")]
    pub scrape: Vec<String>,
    /// Metric to take from --scrape (repeatable; `name` or `name{label="v"}`). Default: the
    /// common runtime memory metrics (Node, Go, JVM heap; process RSS; go_goroutines).
    #[arg(long, value_name = "NAME")]
    pub metric: Vec<String>,
    /// Time between samples.
    #[arg(long, default_value = "30s", value_parser = units::parse_duration)]
    pub interval: Duration,
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
    /// Also POST alerts here, in the Alertmanager webhook format (http:// only).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// The memory limit in bytes, for time-to-limit and the limit-fraction alert (default:
    /// the cgroup's limit when known).
    #[arg(long, value_name = "BYTES", value_parser = units::parse_bytes)]
    pub limit: Option<f64>,
    #[command(flatten)]
    pub rules: alerts::RuleArgs,
    /// The command to start and watch, with its children (after `--`).
    #[arg(last = true, value_name = "CMD")]
    pub command: Vec<String>,
}

/// One series under recognition: a target's memory (or goroutine) field.
struct Watched {
    target: usize,
    field: String,
    recognizer: Recognizer,
    alerts: leakscope_core::alert::AlertState,
    first_t: f64,
}

/// Run `watch`; exit 1 when a leak was recognized or a leak alert fired.
pub fn run(args: &WatchArgs, common: &Common) -> anyhow::Result<u8> {
    if args.interval.is_zero() {
        anyhow::bail!("--interval must be more than 0");
    }
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("cannot install the signal handler")?;
    }

    // Open every target first: a typo'd pid or an unreachable endpoint is an error at start.
    let mut targets = target::open_all(args)?;
    if targets.is_empty() {
        anyhow::bail!("nothing to watch: give --pid, --cgroup, --scrape or `-- CMD ARGS...`");
    }
    let db_path = args.db.path()?;
    let mut sink = sink::Sink::open(&db_path, args.log.as_deref(), common.quiet)?;
    for t in &mut targets {
        t.store_id = Some(sink.register(t)?);
    }
    let mut alert_out = alerts::Output::new(args.webhook.clone(), common.quiet);
    let rules = args.rules.rules();

    let mut watched: Vec<Watched> = Vec::new();
    let started = Instant::now();
    let mut rounds = 0u64;
    let mut next = Instant::now();
    let mut behind_reported = false;
    let mut errors = 0u64;
    let mut leak_alerted = false;

    while !stop.load(Ordering::Relaxed) {
        let t_now = units::now();
        for (i, tgt) in targets.iter_mut().enumerate() {
            if !tgt.active {
                continue;
            }
            let outcome = tgt.sample(t_now);
            for ev in &outcome.events {
                sink.event(tgt, t_now, ev)?;
                for w in watched.iter_mut().filter(|w| w.target == i) {
                    let fired = w.alerts.event(t_now, ev.to_alert_event());
                    leak_alerted |= alerts::is_leak_alert(&fired);
                    alert_out.send(&fired);
                }
                if watched.iter().all(|w| w.target != i) {
                    // No series yet (it died before the first sample): alert on the event alone.
                    let mut st = leakscope_core::alert::AlertState::new(
                        &tgt.name,
                        "events",
                        rules.clone(),
                        None,
                    );
                    alert_out.send(&st.event(t_now, ev.to_alert_event()));
                }
            }
            match outcome.reading {
                Some(Ok(fields_now)) => {
                    sink.sample(tgt, t_now, &fields_now)?;
                    let limit = args.limit.or(tgt.limit_bytes(&fields_now));
                    let primary = fields::primary(fields_now.iter().map(|(f, _)| f.as_str()));
                    for (field, v) in &fields_now {
                        let is_primary = primary == Some(field.as_str());
                        if !(is_primary || fields::COUNT_FIELDS.contains(&field.as_str())) {
                            continue;
                        }
                        let w = match watched
                            .iter()
                            .position(|w| w.target == i && w.field == *field)
                        {
                            Some(k) => &mut watched[k],
                            None => {
                                let series_limit = if is_primary { limit } else { None };
                                watched.push(Watched {
                                    target: i,
                                    field: field.clone(),
                                    recognizer: Recognizer::new(
                                        format!("{}/{}", tgt.name, field),
                                        fields::recognize_options(field, series_limit),
                                    ),
                                    alerts: leakscope_core::alert::AlertState::new(
                                        &tgt.name,
                                        field,
                                        if is_primary {
                                            rules.clone()
                                        } else {
                                            alerts::count_rules(&rules)
                                        },
                                        series_limit,
                                    ),
                                    first_t: t_now,
                                });
                                watched.last_mut().expect("just pushed")
                            }
                        };
                        let p = Point::new(t_now, *v);
                        w.recognizer.push(p);
                        let verdict = w.recognizer.verdict();
                        let fired = w.alerts.observe(p, &verdict);
                        leak_alerted |= alerts::is_leak_alert(&fired);
                        alert_out.send(&fired);
                    }
                }
                Some(Err(e)) => {
                    errors += 1;
                    sink.error(tgt, t_now, &e)?;
                }
                None => {}
            }
        }
        sink.flush()?;
        rounds += 1;

        if targets.iter().all(|t| !t.active) {
            if !common.quiet {
                eprintln!("leakscope: every target is gone; stopping");
            }
            break;
        }
        if args.count.is_some_and(|c| rounds >= c)
            || args.duration.is_some_and(|d| started.elapsed() >= d)
        {
            break;
        }
        next += args.interval;
        let now = Instant::now();
        if next < now {
            // Sampling took longer than the interval: say so once, then skip missed rounds.
            if !behind_reported && !common.quiet {
                eprintln!(
                    "leakscope: sampling fell behind by {:.1}s; samples will be further apart than --interval",
                    (now - next).as_secs_f64()
                );
                behind_reported = true;
            }
            next = now;
        }
        sleep_until(next, &stop);
    }

    // Stop the supervised command (on Ctrl-C the terminal already signalled it).
    for t in &mut targets {
        t.shutdown();
    }
    sink.flush()?;

    let verdicts: Vec<_> = watched
        .iter()
        .map(|w| (w.recognizer.verdict(), w.first_t))
        .collect();
    let leak = leak_alerted || verdicts.iter().any(|(v, _)| v.verdict == VerdictKind::Leak);
    if errors > 0 && !common.quiet {
        eprintln!("leakscope: {errors} samples failed (see the log and `leakscope ls`)");
    }
    if !common.quiet || common.format == OutputFormat::Json {
        summarize(&verdicts, args, common)?;
    }
    Ok(u8::from(leak))
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

/// Sleep until `deadline`, waking early when `stop` is set.
fn sleep_until(deadline: Instant, stop: &AtomicBool) {
    while !stop.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(100)));
    }
}
