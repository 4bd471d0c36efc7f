//! leakscope-report: the end-of-soak report of `leakscope run`.
//!
//! * [`html`] — one self-contained HTML page (inline CSS and SVG, nothing fetched): the verdict,
//!   its numbers, the memory chart and the load chart.
//! * [`chart_svg`] / [`chart_png`] — the chart alone: memory over time with the baseline, the
//!   trend line, the warm-up and the limit; the load (requests/s, error rate) as a second panel.
//! * [`sparkline`] — a one-line unicode chart for the live progress line.
//!
//! Everything is pure except [`write_html`] and [`write_plot`]. One layout ([`chart`]) produces
//! a list of shapes that the SVG writer and a small built-in rasterizer both draw, so the PNG and
//! the SVG show the same picture. The PNG's text uses the public-domain 8×8 bitmap font of the
//! `font8x8` crate: no system fonts, identical output on every machine.
//!
//! ```
//! use leakscope_core::{recognize, Point, RecognizeOptions};
//! use leakscope_report::{LoadPoint, RunData};
//!
//! // One hour of samples every 30 s, growing 1 MiB per minute.
//! let memory: Vec<Point> = (0..120)
//!     .map(|i| Point::new(1_700_000_000.0 + 30.0 * i as f64, (100.0 + 0.5 * i as f64) * 1048576.0))
//!     .collect();
//! let data = RunData {
//!     title: "node server.js".into(),
//!     memory_label: "RSS".into(),
//!     extra_series: vec![],
//!     load: memory.iter().map(|p| LoadPoint { t: p.t, rps: 200.0, error_rate: 0.0 }).collect(),
//!     warmup_end: None,
//!     baseline_bytes: Some(100.0 * 1048576.0),
//!     trend: Some((1_700_000_000.0, 100.0 * 1048576.0, 1048576.0 / 60.0)),
//!     limit_bytes: None,
//!     floor: vec![],
//!     restarts_at: vec![],
//!     verdict: recognize("rss_bytes", &memory, &RecognizeOptions::default()),
//!     facts: vec![("Load".into(), "GET / at 200 req/s".into())],
//!     memory,
//! };
//! let page = leakscope_report::html(&data);
//! assert!(page.contains("<svg"));
//! let svg = leakscope_report::chart_svg(&data, 800, 500);
//! let png = leakscope_report::chart_png(&data, 800, 500)?;
//! assert!(svg.starts_with("<svg") && png.starts_with(b"\x89PNG"));
//! # Ok::<(), leakscope_report::ReportError>(())
//! ```

#![warn(missing_docs)]

mod chart;
mod heap_page;
mod html;
mod raster;
mod scene;
mod sparkline;
mod svg;
pub mod units;

use std::path::{Path, PathBuf};

pub use leakscope_core::{Point, Verdict, VerdictKind};
pub use sparkline::sparkline;

/// Everything a soak report shows. Times are unix seconds, memory values bytes.
#[derive(Debug, Clone, PartialEq)]
pub struct RunData {
    /// The page and chart title, e.g. the command line of the service under test.
    pub title: String,
    /// The memory series the verdict is about: `t` unix seconds, `v` bytes.
    pub memory: Vec<Point>,
    /// What `memory` measures, e.g. "heap used after GC" or "RSS".
    pub memory_label: String,
    /// Further memory series drawn lighter beside the main one (e.g. RSS beside the heap),
    /// as (label, points in unix seconds and bytes).
    pub extra_series: Vec<(String, Vec<Point>)>,
    /// The load driven at the service over time; empty when there was none.
    pub load: Vec<LoadPoint>,
    /// End of the warm-up, unix seconds; the chart shades the time before it.
    pub warmup_end: Option<f64>,
    /// Post-warm-up baseline of `memory`, bytes.
    pub baseline_bytes: Option<f64>,
    /// The trend line as (t0 unix seconds, v0 bytes, slope bytes per second):
    /// `v(t) = v0 + slope × (t − t0)`. Drawn from the warm-up end (or t0) to the last sample.
    pub trend: Option<(f64, f64, f64)>,
    /// The memory limit, bytes (cgroup limit, `--limit`), when known.
    pub limit_bytes: Option<f64>,
    /// The floor recognition judged (the level after each GC, or each cycle's trough), one
    /// run after another (unix seconds, bytes); drawn dashed, and empty to draw none.
    pub floor: Vec<Point>,
    /// Times the process restarted, unix seconds; each is marked on the chart and splits the
    /// floor into runs.
    pub restarts_at: Vec<f64>,
    /// The leak verdict about `memory`.
    pub verdict: Verdict,
    /// Extra "label: value" rows to show with the verdict's numbers (bytes per request,
    /// requests served, error rate...). A row whose label equals a built-in row's label
    /// (case-insensitively) replaces it.
    pub facts: Vec<(String, String)>,
}

/// One sample of the load generator.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LoadPoint {
    /// End of the sampling interval, unix seconds.
    pub t: f64,
    /// Requests completed per second over the interval.
    pub rps: f64,
    /// Fraction of those requests that failed, 0..1.
    pub error_rate: f64,
}

/// Why a report could not be written.
#[derive(Debug, thiserror::Error)]
pub enum ReportError {
    /// The plot path does not end in `.svg` or `.png`.
    #[error("cannot tell the image format of {path}: name it *.svg or *.png")]
    UnknownFormat {
        /// The path as given.
        path: PathBuf,
    },
    /// Width or height is zero or too large (more than 16384 pixels).
    #[error("chart size {width}x{height} pixels is out of range (1..=16384 each)")]
    BadSize {
        /// Requested width, pixels.
        width: u32,
        /// Requested height, pixels.
        height: u32,
    },
    /// PNG encoding failed (the cause comes from the `png` crate, kept out of this API).
    #[error("encoding the PNG chart failed: {0}")]
    Png(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The file could not be written.
    #[error("cannot write {path}: {source}")]
    Write {
        /// The file being written.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
}

/// Default size of the chart written by [`write_plot`], pixels.
pub const PLOT_WIDTH: u32 = 1000;
/// Default height of the chart written by [`write_plot`] when there is a load panel, pixels
/// (two thirds of it without one).
pub const PLOT_HEIGHT: u32 = 660;

/// The chart as a standalone SVG document of `width`×`height` pixels: memory over time with
/// baseline, trend and limit; the load as a second panel when `data.load` has points.
/// Sizes are clamped to 200..=16384.
pub fn chart_svg(data: &RunData, width: u32, height: u32) -> String {
    let scene = chart::layout(
        data,
        width.clamp(200, 16384),
        height.clamp(150, 16384),
        true,
    );
    svg::render(&scene, &data.title, false)
}

/// The same chart as [`chart_svg`], rasterized to a PNG file's bytes.
pub fn chart_png(data: &RunData, width: u32, height: u32) -> Result<Vec<u8>, ReportError> {
    if width == 0 || height == 0 || width > 16384 || height > 16384 {
        return Err(ReportError::BadSize { width, height });
    }
    let scene = chart::layout(data, width, height, true);
    raster::render_png(&scene)
}

/// The whole report as one self-contained HTML page (no network needed to view it).
pub fn html(data: &RunData) -> String {
    html::page(data)
}

/// Writes [`html`] of `data` to `path`.
pub fn write_html(path: impl AsRef<Path>, data: &RunData) -> Result<(), ReportError> {
    let path = path.as_ref();
    write(path, html(data).as_bytes())
}

/// The page of a heap diagnosis (`heap top|diff --html`): suspects with their paths, a flame
/// graph of allocation stacks (pprof, tracemalloc) or an icicle of the dominator tree (V8)
/// when the report carries a picture, the sortable group table and the notes. One
/// self-contained HTML page; every name from the snapshot is escaped.
pub fn heap_html(report: &leakscope_heap::HeapReport) -> String {
    heap_page::page(report)
}

/// Writes [`heap_html`] of `report` to `path`, readable by its owner only (0600 on Unix):
/// the page shows names and strings from the diagnosed process's memory.
pub fn write_heap_html(
    path: impl AsRef<Path>,
    report: &leakscope_heap::HeapReport,
) -> Result<(), ReportError> {
    let path = path.as_ref();
    let fail = |source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut o = std::fs::OpenOptions::new();
    o.write(true).create(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        o.mode(0o600);
    }
    let mut f = o.open(path).map_err(fail)?;
    #[cfg(unix)]
    {
        // An existing file keeps its mode on open: narrow it too.
        use std::os::unix::fs::PermissionsExt;
        f.set_permissions(std::fs::Permissions::from_mode(0o600))
            .map_err(fail)?;
    }
    std::io::Write::write_all(&mut f, heap_html(report).as_bytes()).map_err(fail)
}

/// Writes the chart to `path` as SVG or PNG, chosen by its extension (`.svg`, `.png`, any case),
/// at [`PLOT_WIDTH`] pixels wide.
pub fn write_plot(path: impl AsRef<Path>, data: &RunData) -> Result<(), ReportError> {
    let path = path.as_ref();
    let ext = path
        .extension()
        .and_then(|e| e.to_str())
        .map(str::to_ascii_lowercase);
    let height = if chart::has_load(data) {
        PLOT_HEIGHT
    } else {
        PLOT_HEIGHT * 2 / 3
    };
    match ext.as_deref() {
        Some("svg") => write(path, chart_svg(data, PLOT_WIDTH, height).as_bytes()),
        Some("png") => write(path, &chart_png(data, PLOT_WIDTH, height)?),
        _ => Err(ReportError::UnknownFormat {
            path: path.to_path_buf(),
        }),
    }
}

fn write(path: &Path, bytes: &[u8]) -> Result<(), ReportError> {
    std::fs::write(path, bytes).map_err(|source| ReportError::Write {
        path: path.to_path_buf(),
        source,
    })
}
