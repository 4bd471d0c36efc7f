//! `leakscope heap capture`: heap snapshots from a running Node.js process with no code
//! change. SIGUSR1 opens the inspector (or `--inspect-url` names one already listening), the
//! DevTools protocol streams the snapshot to disk with a progress bar, and the session is
//! closed again. With `--count N` it captures a series, `--every` apart, and diffs it.
//!
//! Whatever ends the capture — done, an error, `--timeout`, Ctrl-C, SIGTERM — the inspector
//! leakscope opened is closed before it exits (a second Ctrl-C quits at once instead). A
//! snapshot is written to a private temporary file (0600) beside its destination and renamed
//! into place when complete, so no half-written or world-readable snapshot is left behind.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use indicatif::{ProgressBar, ProgressStyle};
use leakscope_probe::inspector::{self, InspectorError, NodeCheck, Session};

use crate::{out, render};

/// Options of `heap capture`.
#[derive(Debug, clap::Args)]
#[command(
    after_help = "Examples:\n  leakscope heap capture --pid 4242\n  leakscope heap capture --pid 4242 --gc --out before.heapsnapshot\n  leakscope heap capture --pid 4242 --count 3 --every 60s      # a series, then diff it\n  leakscope heap capture --inspect-url http://127.0.0.1:9230\n  leakscope heap capture --pid 4242 --force                  # node renamed to `myservice`\n\nOnly a process whose executable is Node is signalled (see --force). The process pauses while V8 writes the snapshot (seconds per 100 MB of heap) and may need\nseveral times its heap size in extra memory; check its memory limit first."
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
    /// Give up a snapshot (or forced GC) that takes longer than this. The inspector is still
    /// closed afterwards, once V8 has finished writing: it cannot stop half-way.
    #[arg(long, default_value = "10m", value_name = "DURATION", value_parser = crate::units::parse_duration)]
    pub timeout: Duration,
    /// Signal the process even though its executable is not named `node`: for a renamed Node
    /// binary (a single-executable app, a copy of node under another name). Without it,
    /// leakscope sends SIGUSR1 only to Node, since other programs use SIGUSR1 for their own
    /// purposes (nginx and gunicorn reopen logs or restart) or die of it.
    #[arg(long)]
    pub force: bool,
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

/// Optionally GC, then stream one snapshot to `path`; returns the bytes written. The
/// snapshot goes to a private temporary file beside `path`, renamed into place when complete
/// (and removed on any failure).
fn capture_one(
    session: &mut Session,
    path: &Path,
    gc: bool,
    pb: &ProgressBar,
) -> anyhow::Result<u64> {
    if gc {
        pb.set_message("collecting garbage");
        session.collect_garbage()?;
    }
    pb.set_message(format!("writing {}", path.display()));
    let mut tmp = private_temp_beside(path)?;
    let mut w = std::io::BufWriter::with_capacity(1 << 20, tmp.as_file_mut());
    let n = session.take_heap_snapshot(&mut w, |done, total| {
        pb.set_length(total);
        pb.set_position(done);
    })?;
    drop(w);
    tmp.persist(path)
        .map_err(|e| e.error)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(n)
}

/// A new, empty 0600 file in the directory of `path` (removed when dropped).
fn private_temp_beside(path: &Path) -> anyhow::Result<tempfile::NamedTempFile> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    tempfile::Builder::new()
        .prefix(".leakscope-")
        .suffix(".heapsnapshot.partial")
        .tempfile_in(dir)
        .with_context(|| {
            format!(
                "cannot create {} (the directory {} must exist and be writable)",
                path.display(),
                dir.display()
            )
        })
}

/// SIGINT, SIGTERM and SIGHUP raise the returned flag; once it is raised, a second one ends
/// the process at once (exit 2).
fn interrupt_flag() -> anyhow::Result<Arc<AtomicBool>> {
    use signal_hook::consts::{SIGHUP, SIGINT, SIGTERM};
    let flag = Arc::new(AtomicBool::new(false));
    for sig in [SIGINT, SIGTERM, SIGHUP] {
        // The shutdown must be registered first: it acts only when the flag was already set.
        signal_hook::flag::register_conditional_shutdown(sig, 2, Arc::clone(&flag))
            .context("cannot install the signal handler")?;
        signal_hook::flag::register(sig, Arc::clone(&flag))
            .context("cannot install the signal handler")?;
    }
    Ok(flag)
}

/// Sleep until `deadline`, or until `flag` is raised.
fn sleep_until(deadline: Instant, flag: &AtomicBool) {
    while !flag.load(Ordering::Relaxed) {
        let now = Instant::now();
        if now >= deadline {
            return;
        }
        std::thread::sleep((deadline - now).min(Duration::from_millis(100)));
    }
}

/// Capture; returns the exit code (0 ok, 1 when a series' diff finds suspects, 2 error).
pub fn run(args: &CaptureArgs, format_json: bool) -> anyhow::Result<i32> {
    if args.count == 0 {
        anyhow::bail!("--count must be at least 1");
    }
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    // Where the snapshots go must be writable before anything is asked of the process.
    drop(private_temp_beside(&out_path(args, 1, stamp))?);
    let interrupt = interrupt_flag()?;
    let url = match (&args.inspect_url, args.pid) {
        (Some(u), _) => inspector::resolve_inspect_url(u)?,
        (None, Some(pid)) => {
            let check = if args.force {
                NodeCheck::Skipped
            } else {
                NodeCheck::Required
            };
            inspector::open_inspector(pid, args.connect_timeout, check)?
        }
        (None, None) => anyhow::bail!("give --pid PID or --inspect-url URL"),
    };
    if url.opened_by_us {
        eprintln!(
            "opened the inspector of process {} at {} (it will be closed when done)",
            args.pid.unwrap_or(0),
            url.http_base
        );
    }
    // One session for the whole series: V8 keeps object ids stable only within a session.
    // From here on every way out goes through `session.close()` (or its drop).
    let opened_by_us = url.opened_by_us;
    let mut session = Session::connect(url)?;
    session.set_interrupt(Arc::clone(&interrupt));
    session.set_call_timeout(args.timeout);
    let mut files = Vec::new();
    let mut failure = None;
    for i in 1..=args.count {
        if interrupt.load(Ordering::Relaxed) {
            failure = Some(interrupted(&files, args.count));
            break;
        }
        let started = Instant::now();
        let path = out_path(args, i, stamp);
        let pb = progress_bar(args.no_progress || format_json);
        match capture_one(&mut session, &path, args.gc, &pb) {
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
                if busy_in_target(&e) && opened_by_us {
                    eprintln!(
                        "leakscope: waiting for V8 to finish the snapshot in progress so that the inspector can be closed (press Ctrl-C again to quit at once and leave it open)"
                    );
                }
                failure = Some(if is_interrupt(&e) {
                    interrupted(&files, args.count)
                } else {
                    e
                });
                break;
            }
        }
        if i < args.count {
            sleep_until(started + args.every, &interrupt);
        }
    }
    // Leave the process as found: end the session, and stop the inspector if we started it.
    match (session.close(), failure) {
        (Ok(()), None) => {
            if opened_by_us {
                eprintln!("closed the inspector again");
            }
        }
        (Ok(()), Some(e)) => {
            if opened_by_us {
                eprintln!("closed the inspector again");
            }
            return Err(e);
        }
        (Err(close), None) => return Err(close.into()),
        (Err(close), Some(e)) => return Err(e.context(close.to_string())),
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

fn inspector_error(e: &anyhow::Error) -> Option<&InspectorError> {
    e.chain().find_map(|c| c.downcast_ref::<InspectorError>())
}

fn is_interrupt(e: &anyhow::Error) -> bool {
    matches!(inspector_error(e), Some(InspectorError::Interrupted { .. }))
}

/// True when a call was given up while the target still works on it.
fn busy_in_target(e: &anyhow::Error) -> bool {
    matches!(
        inspector_error(e),
        Some(InspectorError::Interrupted { .. } | InspectorError::Timeout { .. })
    )
}

/// The error for an interrupted capture, naming what was kept.
fn interrupted(files: &[PathBuf], count: u32) -> anyhow::Error {
    let kept = match files {
        [] => String::new(),
        _ => format!(
            "; kept {}",
            files
                .iter()
                .map(|p| p.display().to_string())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    anyhow::anyhow!(
        "interrupted after {} of {count} snapshots{kept}",
        files.len()
    )
}
