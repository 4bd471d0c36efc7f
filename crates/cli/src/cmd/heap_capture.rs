//! `leakscope heap capture`: heap snapshots from a running Node.js process with no code
//! change. SIGUSR1 opens the inspector (or `--inspect-url` names one already listening), the
//! DevTools protocol streams the snapshot to disk with a progress bar, and the session is
//! closed again. With `--count N` it captures a series, `--every` apart, and diffs it.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use leakscope_probe::inspector::{self, Inspector, InspectorUrl};

use crate::{out, render};

/// Options of `heap capture`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  leakscope heap capture --pid 4242\n  leakscope heap capture --pid 4242 --gc --out before.heapsnapshot\n  leakscope heap capture --pid 4242 --count 3 --every 60s      # a series, then diff it\n  leakscope heap capture --inspect-url http://127.0.0.1:9230\n\nThe process pauses while V8 writes the snapshot (seconds per 100 MB of heap) and may need\nseveral times its heap size in extra memory; check its memory limit first."
)]
pub struct CaptureArgs {
    /// The Node.js process to capture from (its inspector is opened with SIGUSR1 and closed
    /// again afterwards).
    #[arg(long, required_unless_present = "inspect_url")]
    pub pid: Option<u32>,
    /// An inspector already listening: `http://127.0.0.1:9229` or a `ws://127.0.0.1:...` URL
    /// (loopback only).
    #[arg(long, value_name = "URL")]
    pub inspect_url: Option<String>,
    /// Where to write the snapshot. With --count, `-1`, `-2`... are added before the
    /// extension. Default: `<pid>-<unix time>.heapsnapshot` in the current directory.
    #[arg(long, short = 'o', value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Force a full garbage collection before each snapshot.
    #[arg(long)]
    pub gc: bool,
    /// Capture this many snapshots and diff them (3 or more show what grows at every step).
    #[arg(long, default_value_t = 1, value_name = "N")]
    pub count: u32,
    /// Time between snapshots of a series, e.g. `60s`, `5m`.
    #[arg(long, default_value = "60s", value_name = "DURATION", value_parser = crate::units::parse_duration)]
    pub every: Duration,
    /// How long to wait for the inspector to open after SIGUSR1.
    #[arg(long, default_value = "5s", value_name = "DURATION", value_parser = crate::units::parse_duration)]
    pub connect_timeout: Duration,
    /// No progress bar.
    #[arg(long)]
    pub no_progress: bool,
}

/// The file name of snapshot `i` (1-based) of `count`.
fn out_path(args: &CaptureArgs, i: u32, stamp: u64) -> PathBuf {
    let base = args.out.clone().unwrap_or_else(|| {
        let who = args
            .pid
            .map(|p| p.to_string())
            .unwrap_or_else(|| "node".into());
        PathBuf::from(format!("{who}-{stamp}.heapsnapshot"))
    });
    if args.count <= 1 {
        return base;
    }
    let stem = base
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "snapshot".into());
    let ext = base
        .extension()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_else(|| "heapsnapshot".into());
    base.with_file_name(format!("{stem}-{i}.{ext}"))
}

fn progress_bar(hidden: bool) -> ProgressBar {
    if hidden {
        return ProgressBar::hidden();
    }
    let pb = ProgressBar::new(0);
    pb.set_style(
        ProgressStyle::with_template("{msg} [{bar:30}] {pos}/{len} objects, {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> "),
    );
    pb
}

/// Optionally GC, then stream one snapshot to `path`; returns the bytes written.
fn capture_one(
    insp: &mut Inspector,
    path: &Path,
    gc: bool,
    pb: &ProgressBar,
) -> anyhow::Result<u64> {
    if gc {
        pb.set_message("collecting garbage");
        insp.collect_garbage()?;
    }
    pb.set_message(format!("writing {}", path.display()));
    let file =
        std::fs::File::create(path).with_context(|| format!("cannot create {}", path.display()))?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, file);
    let n = insp.take_heap_snapshot(&mut w, |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    })?;
    Ok(n)
}

/// Stop an inspector leakscope opened when no session could be made.
fn close_opened(url: &InspectorUrl) {
    if url.opened_by_us {
        if let Err(e) = Inspector::connect(&url.ws_url).and_then(|i| i.close(true)) {
            eprintln!(
                "warning: could not close the inspector at {} ({e}); it stays open on loopback until the process exits",
                url.http_base
            );
        }
    }
}

/// Capture; returns the exit code (0 ok, 1 when a series' diff finds suspects, 2 error).
pub fn run(args: &CaptureArgs, format_json: bool) -> anyhow::Result<i32> {
    if args.count == 0 {
        anyhow::bail!("--count must be at least 1");
    }
    let url = match (&args.inspect_url, args.pid) {
        (Some(u), _) => inspector::resolve_inspect_url(u)?,
        (None, Some(pid)) => inspector::open_inspector(pid, args.connect_timeout)?,
        (None, None) => anyhow::bail!("give --pid PID or --inspect-url URL"),
    };
    if url.opened_by_us {
        eprintln!(
            "opened the inspector of process {} at {} (it will be closed when done)",
            args.pid.unwrap_or(0),
            url.http_base
        );
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // One session for the whole series: V8 keeps object ids stable only within a session.
    let mut insp = match Inspector::connect(&url.ws_url) {
        Ok(i) => i,
        Err(e) => {
            close_opened(&url);
            return Err(e.into());
        }
    };
    let mut files = Vec::new();
    let mut failure = None;
    for i in 1..=args.count {
        let started = Instant::now();
        let path = out_path(args, i, stamp);
        let pb = progress_bar(args.no_progress || format_json);
        match capture_one(&mut insp, &path, args.gc, &pb) {
            Ok(bytes) => {
                pb.finish_and_clear();
                eprintln!(
                    "wrote {} ({}, {:.1} s)",
                    path.display(),
                    crate::units::format_bytes(bytes as f64),
                    started.elapsed().as_secs_f64()
                );
                files.push(path);
            }
            Err(e) => {
                pb.abandon();
                failure = Some(e);
                break;
            }
        }
        if i < args.count {
            std::thread::sleep(args.every.saturating_sub(started.elapsed()));
        }
    }
    // Leave the process as found: end the session, and stop the inspector if we started it.
    match insp.close(url.opened_by_us) {
        Ok(()) if url.opened_by_us => eprintln!("closed the inspector again"),
        Ok(()) => {}
        Err(e) => eprintln!(
            "warning: could not close the inspector session at {} ({e})",
            url.http_base
        ),
    }
    if let Some(e) = failure {
        return Err(e);
    }
    if files.len() >= 2 {
        let report = leakscope_heap::diff(&files, &leakscope_heap::Options::default())?;
        let leak = !report.suspects.is_empty();
        if format_json {
            out::json(&report)?;
        } else {
            out::line(&render::heap::report(&report))?;
        }
        return Ok(i32::from(leak));
    }
    if format_json {
        out::json(&serde_json::json!({
            "format": "v8",
            "mode": "capture",
            "files": files.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        }))?;
    } else if let Some(f) = files.first() {
        out::line(&format!("next: leakscope heap top {}", f.display()))?;
    }
    Ok(0)
}
