//! `leakscope heap top|diff|capture`: diagnose from snapshots and profiles.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use leakscope_heap::{HeapReport, Options};

use crate::cli::{Common, OutputFormat};
use crate::cmd::heap_capture;
use crate::{out, render};

#[derive(Debug, Subcommand)]
pub enum HeapCommand {
    /// What one snapshot or profile holds: V8 classes by count, shallow and retained size; pprof
    /// functions or lines by flat and cumulative; tracemalloc allocation sites; goroutines by
    /// blocking site.
    #[command(
        after_help = "Examples:\n  leakscope heap top app.heapsnapshot\n  leakscope heap top heap.pb.gz --by line --sample-index alloc_space\n  leakscope heap top http://127.0.0.1:6060/debug/pprof/heap\n  leakscope heap top dump.pickle --by traceback --format json"
    )]
    Top(TopArgs),
    /// What changed across captures of one process, oldest first, and the likely culprits.
    /// Exit 1 when suspects are found.
    #[command(
        after_help = "Examples:\n  leakscope heap diff s1.heapsnapshot s2.heapsnapshot s3.heapsnapshot\n  leakscope heap diff heap1.pb.gz heap2.pb.gz\n  leakscope heap diff goroutine1.txt goroutine2.txt goroutine3.txt\n  leakscope heap diff old.pickle new.pickle --format json"
    )]
    Diff(DiffArgs),
    /// Capture a heap snapshot from a running Node.js process, with no code change.
    Capture(heap_capture::CaptureArgs),
}

/// What to group by and how much to show.
#[derive(Debug, Args, Clone)]
pub struct GroupArgs {
    /// Group by: `class` (V8); `function`, `line` or `file` (pprof); `lineno`, `filename` or
    /// `traceback` (tracemalloc). Default: the format's usual view.
    #[arg(long, value_name = "KEY")]
    pub by: Option<String>,
    /// pprof value to show: a sample type name (`inuse_space`, `inuse_objects`, `alloc_space`,
    /// `alloc_objects`) or its index. Default: the profile's default (inuse_space for heap).
    #[arg(long, value_name = "NAME")]
    pub sample_index: Option<String>,
    /// Show at most N groups (0 = all).
    #[arg(long, default_value_t = 30, value_name = "N")]
    pub limit: usize,
    /// Sort by cumulative value (pprof's -cum); for tracemalloc, count each trace under every
    /// frame of its traceback (statistics(..., cumulative=True)).
    #[arg(long)]
    pub cum: bool,
}

impl GroupArgs {
    fn options(&self) -> Options {
        Options {
            by: self.by.clone(),
            sample_index: self.sample_index.clone(),
            limit: self.limit,
            cumulative: self.cum,
        }
    }
}

#[derive(Debug, Args)]
pub struct TopArgs {
    /// A snapshot or profile file, or an http:// URL serving one (e.g. /debug/pprof/heap).
    pub input: String,
    #[command(flatten)]
    pub group: GroupArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// Two or more captures of one process, oldest first (files or http:// URLs).
    #[arg(required = true, num_args = 2..)]
    pub inputs: Vec<String>,
    #[command(flatten)]
    pub group: GroupArgs,
}

/// Run a heap subcommand.
pub fn run(cmd: &HeapCommand, common: &Common) -> anyhow::Result<u8> {
    match cmd {
        HeapCommand::Top(a) => {
            let input = Input::resolve(&a.input)?;
            let report = leakscope_heap::top(input.path(), &a.group.options())?;
            print(&relabel(report, &[&input]), common)?;
            Ok(0)
        }
        HeapCommand::Diff(a) => {
            let inputs = a
                .inputs
                .iter()
                .map(|s| Input::resolve(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let paths: Vec<PathBuf> = inputs.iter().map(|i| i.path().to_path_buf()).collect();
            let report = leakscope_heap::diff(&paths, &a.group.options())?;
            let leak = !report.suspects.is_empty();
            let refs: Vec<&Input> = inputs.iter().collect();
            print(&relabel(report, &refs), common)?;
            Ok(u8::from(leak))
        }
        HeapCommand::Capture(a) => {
            heap_capture::run(a, common.format == OutputFormat::Json).map(|c| c.clamp(0, 2) as u8)
        }
    }
}

fn print(report: &HeapReport, common: &Common) -> anyhow::Result<()> {
    match common.format {
        OutputFormat::Json => out::json(report),
        OutputFormat::Table => out::line(&render::heap::report(report)),
    }
}

/// Name downloaded inputs by their URL (credentials redacted), not their temporary file.
fn relabel(mut report: HeapReport, inputs: &[&Input]) -> HeapReport {
    if report.inputs.len() == inputs.len() {
        for (slot, input) in report.inputs.iter_mut().zip(inputs) {
            if let Input::Downloaded { url, .. } = input {
                *slot = leakscope_core::redact::redact_text(url).into_owned();
            }
        }
    }
    report
}

/// A local file, or a URL downloaded to a private temporary file (created exclusively with a
/// random name, mode 0600, never through a symlink) that is removed when dropped.
enum Input {
    File(PathBuf),
    Downloaded {
        url: String,
        file: tempfile::NamedTempFile,
    },
}

/// Largest profile accepted from a URL: profiles are megabytes; this only stops runaways.
const MAX_DOWNLOAD_BYTES: u64 = 1 << 30;

impl Input {
    fn resolve(arg: &str) -> anyhow::Result<Input> {
        if !(arg.starts_with("http://") || arg.starts_with("https://")) {
            return Ok(Input::File(PathBuf::from(arg)));
        }
        let mut file = tempfile::Builder::new()
            .prefix("leakscope-")
            .suffix(".download")
            .tempfile()
            .context("cannot create a temporary file for the download")?;
        let shown = file.path().display().to_string();
        {
            use std::io::Write;
            // Streamed to the file as it arrives: nothing of it is held in memory.
            let mut w = std::io::BufWriter::new(file.as_file_mut());
            leakscope_probe::http::get_to(
                arg,
                std::time::Duration::from_secs(60),
                MAX_DOWNLOAD_BYTES,
                &mut w,
            )
            .with_context(|| {
                format!(
                    "cannot download {}",
                    leakscope_core::redact::redact_text(arg)
                )
            })?;
            w.flush().with_context(|| format!("cannot write {shown}"))?;
        }
        Ok(Input::Downloaded {
            url: arg.to_string(),
            file,
        })
    }

    fn path(&self) -> &std::path::Path {
        match self {
            Input::File(p) => p,
            Input::Downloaded { file, .. } => file.path(),
        }
    }
}
