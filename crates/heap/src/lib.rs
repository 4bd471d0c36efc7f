//! leakscope-heap: heap snapshots and profiles → one report model → analyses.
//!
//! Each input format lives in its own module and answers three questions: is this file mine
//! (`sniff`, from the first bytes — never the file name), what is in it (`top`), and what
//! changed between captures of one process (`diff`). All of them answer in [`HeapReport`],
//! the Heap JSON contract of DESIGN.md, so the CLI renders every format the same way.

pub mod error;
pub mod goroutine;
pub mod picture;
pub mod pprof;
pub mod report;
pub mod tracemalloc;
pub mod v8;

use std::io::Read;
use std::path::{Path, PathBuf};

pub use error::HeapError;
pub use report::{Column, Group, HeapReport, Suspect, Unit};

/// How `heap diff` follows V8 objects from one snapshot to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matching {
    /// By V8 object id: exact, but only within one inspector session of one process
    /// (DevTools' Comparison view, memlab's kept objects).
    ObjectIds,
    /// By what holds them (retainer path from a module or global, owner and property name,
    /// the closure's function and variable): across sessions, restarts and replicas.
    Retainers,
}

impl Matching {
    /// The name used in Heap JSON's `matching` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Matching::ObjectIds => "object-ids",
            Matching::Retainers => "retainers",
        }
    }
}

/// The formats leakscope reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// V8 / Node.js / Chrome `.heapsnapshot` JSON.
    V8,
    /// Go pprof profile.proto (gzipped or not): heap, allocs, goroutine, ...
    Pprof,
    /// Go goroutine dump as text (`debug=1` or `debug=2`).
    GoroutineText,
    /// Python `tracemalloc.Snapshot.dump()` pickle.
    Tracemalloc,
}

impl Format {
    /// The name used in Heap JSON's `format` field.
    pub fn as_str(self) -> &'static str {
        match self {
            Format::V8 => "v8",
            Format::Pprof | Format::GoroutineText => "pprof",
            Format::Tracemalloc => "tracemalloc",
        }
    }
}

/// How many leading bytes `sniff` looks at.
pub const SNIFF_BYTES: usize = 4096;

/// Tell the format from the first bytes of a file (up to [`SNIFF_BYTES`]).
pub fn sniff(prefix: &[u8]) -> Option<Format> {
    if v8::sniff(prefix) {
        Some(Format::V8)
    } else if tracemalloc::sniff(prefix) {
        Some(Format::Tracemalloc)
    } else if goroutine::sniff(prefix) {
        Some(Format::GoroutineText)
    } else if pprof::sniff(prefix) {
        Some(Format::Pprof)
    } else {
        None
    }
}

/// Read the first bytes of `path` and tell its format.
pub fn sniff_file(path: &Path) -> Result<Format, HeapError> {
    let mut f = std::fs::File::open(path).map_err(|e| HeapError::io(path, e))?;
    let mut buf = vec![0u8; SNIFF_BYTES];
    let mut n = 0;
    while n < buf.len() {
        match f.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(HeapError::io(path, e)),
        }
    }
    if n == 0 {
        return Err(HeapError::format(path, Some(0), "the file is empty"));
    }
    sniff(&buf[..n]).ok_or_else(|| {
        HeapError::format(
            path,
            None,
            "not a heap snapshot or profile leakscope knows (V8 .heapsnapshot, Go pprof, Go goroutine dump, Python tracemalloc dump)",
        )
    })
}

/// What to group by and which values to show, for `heap top` and `heap diff`.
#[derive(Debug, Clone, PartialEq)]
pub struct Options {
    /// Grouping key: format-specific (`class` for V8; `function`/`line` for pprof;
    /// `lineno`/`filename`/`traceback` for tracemalloc). None = the format's default.
    pub by: Option<String>,
    /// pprof sample index (name like `inuse_space`, or a number). None = the profile's default.
    pub sample_index: Option<String>,
    /// Show at most this many groups (0 = all).
    pub limit: usize,
    /// Sort by cumulative instead of flat value (pprof's `-cum`); for tracemalloc, count a
    /// trace under every frame of its traceback (`statistics(key, cumulative=True)`).
    pub cumulative: bool,
    /// V8 diffs: how to follow objects across snapshots. None = by object id when the
    /// snapshots come from one inspector session, else by retainers.
    pub matching: Option<Matching>,
    /// pprof: keep only the samples with a frame (function or file name) matching this
    /// regular expression (`go tool pprof -focus`).
    pub focus: Option<String>,
    /// pprof: drop the samples with a frame matching this regular expression (`-ignore`).
    pub ignore: Option<String>,
    /// pprof: list the source lines of the functions whose name matches (`-list`).
    pub list: Option<String>,
    /// Where `list` looks for source files (and their parents); None = the current directory.
    pub source_path: Option<PathBuf>,
    /// Also build [`HeapReport::picture`] (for `--html`).
    pub pictures: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            by: None,
            sample_index: None,
            limit: 30,
            cumulative: false,
            matching: None,
            focus: None,
            ignore: None,
            list: None,
            source_path: None,
            pictures: false,
        }
    }
}

/// Refuse the pprof-only options for other formats, in one sentence.
fn pprof_only(format: Format, opts: &Options) -> Result<(), HeapError> {
    if matches!(format, Format::Pprof) {
        return Ok(());
    }
    let given = [
        ("--focus", opts.focus.is_some()),
        ("--ignore", opts.ignore.is_some()),
        ("--list", opts.list.is_some()),
    ];
    match given.iter().find(|g| g.1) {
        Some((flag, _)) => Err(HeapError::Usage(format!(
            "{flag} applies to pprof profiles; this is a {} file",
            format.as_str()
        ))),
        None => Ok(()),
    }
}

/// `heap top`: what one snapshot or profile holds, grouped.
pub fn top(path: &Path, opts: &Options) -> Result<HeapReport, HeapError> {
    let format = sniff_file(path)?;
    pprof_only(format, opts)?;
    match format {
        Format::V8 => v8::top(path, opts),
        Format::Pprof => pprof::top(path, opts),
        Format::GoroutineText => goroutine::top(path, opts),
        Format::Tracemalloc => tracemalloc::top(path, opts),
    }
}

/// `heap diff`: what changed across two or more captures of one process, oldest first.
pub fn diff(paths: &[PathBuf], opts: &Options) -> Result<HeapReport, HeapError> {
    if paths.len() < 2 {
        return Err(HeapError::Usage(
            "heap diff needs at least two files, oldest first".into(),
        ));
    }
    let first = sniff_file(&paths[0])?;
    for p in &paths[1..] {
        let f = sniff_file(p)?;
        let same = f == first
            || matches!(
                (f, first),
                (Format::Pprof, Format::GoroutineText) | (Format::GoroutineText, Format::Pprof)
            );
        if !same {
            return Err(HeapError::Mismatch(format!(
                "{} is a {} file but {} is a {} file; diff compares captures of one kind",
                paths[0].display(),
                first.as_str(),
                p.display(),
                f.as_str()
            )));
        }
    }
    pprof_only(first, opts)?;
    match first {
        Format::V8 => v8::diff(paths, opts),
        Format::Pprof | Format::GoroutineText => {
            if paths
                .iter()
                .all(|p| goroutine::is_goroutine_profile(p).unwrap_or(false))
            {
                goroutine::diff(paths, opts)
            } else {
                pprof::diff(paths, opts)
            }
        }
        Format::Tracemalloc => tracemalloc::diff(paths, opts),
    }
}
