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
        after_help = "Examples:\n  leakscope heap top app.heapsnapshot\n  leakscope heap top heap.pb.gz --by line --sample-index alloc_space\n  leakscope heap top http://127.0.0.1:6060/debug/pprof/heap\n  leakscope heap top dump.pickle --by traceback --format json\n  leakscope heap top heap.pb.gz --focus 'main\\.' --ignore runtime --list 'main\\.leakCache'"
    )]
    Top(TopArgs),
    /// What changed across captures of one process, oldest first, and the likely culprits.
    /// Exit 1 when suspects are found.
    #[command(
        after_help = "Examples:\n  leakscope heap diff s1.heapsnapshot s2.heapsnapshot s3.heapsnapshot\n  leakscope heap diff heap1.pb.gz heap2.pb.gz\n  leakscope heap diff goroutine1.txt goroutine2.txt goroutine3.txt\n  leakscope heap diff old.pickle new.pickle --format json\n  leakscope heap diff a.heapsnapshot b.heapsnapshot --html diff.html"
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
    /// pprof: keep only the samples with a frame whose function or file name matches this
    /// regular expression (as `go tool pprof -focus`).
    #[arg(long, value_name = "REGEX")]
    pub focus: Option<String>,
    /// pprof: drop the samples with a frame matching this regular expression (`-ignore`).
    #[arg(long, value_name = "REGEX")]
    pub ignore: Option<String>,
    /// pprof: list the hot source lines of the functions whose name matches (as
    /// `go tool pprof -list`); sources are looked for under --source-path.
    #[arg(long, value_name = "REGEX")]
    pub list: Option<String>,
    /// Where --list looks for source files (and in its parent directories). Default: the
    /// current directory.
    #[arg(long, value_name = "DIR")]
    pub source_path: Option<PathBuf>,
    /// Also write a self-contained HTML page: suspects with their paths, a flame graph of
    /// allocation stacks (pprof, tracemalloc) or the dominator tree by retained size (V8),
    /// and the sortable table. Written readable by its owner only: it shows heap contents.
    #[arg(long, value_name = "FILE")]
    pub html: Option<PathBuf>,
}

impl GroupArgs {
    fn options(&self) -> Options {
        Options {
            by: self.by.clone(),
            sample_index: self.sample_index.clone(),
            limit: self.limit,
            cumulative: self.cum,
            matching: None,
            focus: self.focus.clone(),
            ignore: self.ignore.clone(),
            list: self.list.clone(),
            source_path: self.source_path.clone(),
            pictures: self.html.is_some(),
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
    /// V8 snapshots: how objects are followed from one snapshot to the next. `auto`: by
    /// object id when the snapshots come from one inspector session (`heap capture --count`),
    /// else by what holds them (retainer paths, property names, closures), which works across
    /// separate captures, restarts and replicas.
    #[arg(long = "match", value_enum, default_value_t = MatchArg::Auto, value_name = "HOW")]
    pub matching: MatchArg,
    #[command(flatten)]
    pub group: GroupArgs,
}

/// `--match` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum MatchArg {
    /// By object id within one session, else by retainers.
    Auto,
    /// By V8 object id (fails on snapshots of different sessions or processes).
    ObjectIds,
    /// By retainer paths, owners and property names, closures.
    Retainers,
}

impl MatchArg {
    fn matching(self) -> Option<leakscope_heap::Matching> {
        match self {
            MatchArg::Auto => None,
            MatchArg::ObjectIds => Some(leakscope_heap::Matching::ObjectIds),
            MatchArg::Retainers => Some(leakscope_heap::Matching::Retainers),
        }
    }
}

/// Run a heap subcommand.
pub fn run(cmd: &HeapCommand, common: &Common) -> anyhow::Result<u8> {
    match cmd {
        HeapCommand::Top(a) => {
            let input = Input::resolve(&a.input)?;
            let report = leakscope_heap::top(input.path(), &a.group.options())?;
            let report = relabel(report, &[&input]);
            write_html(&a.group, &report)?;
            print(&report, common)?;
            Ok(0)
        }
        HeapCommand::Diff(a) => {
            let inputs = a
                .inputs
                .iter()
                .map(|s| Input::resolve(s))
                .collect::<anyhow::Result<Vec<_>>>()?;
            let paths: Vec<PathBuf> = inputs.iter().map(|i| i.path().to_path_buf()).collect();
            let opts = Options {
                matching: a.matching.matching(),
                ..a.group.options()
            };
            let report = leakscope_heap::diff(&paths, &opts)?;
            let leak = !report.suspects.is_empty();
            let refs: Vec<&Input> = inputs.iter().collect();
            let report = relabel(report, &refs);
            write_html(&a.group, &report)?;
            print(&report, common)?;
            Ok(u8::from(leak))
        }
        HeapCommand::Capture(a) => {
            heap_capture::run(a, common.format == OutputFormat::Json).map(|c| c.clamp(0, 2) as u8)
        }
    }
}

/// `--html FILE`: the page of the report.
fn write_html(group: &GroupArgs, report: &HeapReport) -> anyhow::Result<()> {
    if let Some(path) = &group.html {
        leakscope_report::write_heap_html(path, report)?;
        eprintln!("wrote {}", path.display());
    }
    Ok(())
}

fn print(report: &HeapReport, common: &Common) -> anyhow::Result<()> {
    match common.format {
        OutputFormat::Json => out::json(report),
        _ => out::line(&render::heap::report(report)),
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
