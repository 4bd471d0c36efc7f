//! `leakscope analyze`: recognize leaks in stored series or in CSV files.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use leakscope_core::verdict::VerdictReport;
use leakscope_core::{Explanation, RecognizeOptions, Recognizer, VerdictKind};

use crate::cli::{Common, DbArgs, OutputFormat};
use leakscope_agent::fields::{self, SeriesUnit};

use crate::cmd::analyze_prom::FleetArgs;
use crate::prom_args::PromArgs;
use crate::{out, render, units};

#[derive(Debug, Args)]
pub struct AnalyzeArgs {
    /// CSV files to analyze (see the format below). Without files, the store is analyzed.
    #[arg(value_name = "FILE.csv")]
    pub files: Vec<PathBuf>,
    #[command(flatten)]
    pub db: DbArgs,
    /// Only series of this stored target (repeatable).
    #[arg(long, value_name = "NAME")]
    pub target: Vec<String>,
    /// Only this field or CSV column (repeatable). Default for the store: the memory series
    /// (rss_bytes, working_set_bytes, runtime heap) and go_goroutines; for CSV: every column.
    #[arg(long, value_name = "NAME")]
    pub field: Vec<String>,
    /// The memory limit in bytes (e.g. 2GiB), for time-to-limit. Default for stored cgroups:
    /// their limit.
    #[arg(long, value_name = "BYTES", value_parser = units::parse_bytes)]
    pub limit: Option<f64>,
    /// The shortest stretch of a series that is judged at all; shorter series get
    /// insufficient_data. By default there is no fixed minimum: a series is judged once it
    /// holds a dozen samples, and its confidence (and caveat) say how little time it covers.
    #[arg(long, value_name = "DURATION", default_value = "0s", value_parser = units::parse_duration)]
    pub min_span: std::time::Duration,
    /// Skip (and count) CSV rows with blank, unparsable or non-UTF-8 cells or timestamps that go back,
    /// instead of stopping with an error.
    #[arg(long)]
    pub skip_bad_rows: bool,
    /// Explain each verdict in words (which stretch and window decided, the floor, restarts,
    /// what the plateau test said) under a small chart of the series with its floor and the
    /// point where the leak was detected.
    #[arg(long)]
    pub explain: bool,
    /// Also draw each series, its floor and the detection point to FILE (.svg or .png); with
    /// several series, FILE-2.svg, FILE-3.svg... follow.
    #[arg(long, value_name = "FILE")]
    pub plot: Option<PathBuf>,
    #[command(flatten)]
    pub prom: PromArgs,
    /// Send `Authorization: Bearer <token>` to --prometheus with the token read from this file.
    #[arg(long, value_name = "PATH", requires = "prometheus")]
    pub bearer_token_file: Option<PathBuf>,
    #[command(flatten)]
    pub fleet: FleetArgs,
}

/// One analyzed series: its verdict's explanation, the time of its first sample, and whether
/// it counts things rather than bytes.
struct Analyzed {
    explanation: Explanation,
    first_t: f64,
    count: bool,
}

/// Run `analyze`; exit 1 when any series leaks.
pub fn run(args: &AnalyzeArgs, common: &Common) -> anyhow::Result<u8> {
    if let Some(endpoint) = args.prom.endpoint(args.bearer_token_file.as_deref())? {
        if !args.files.is_empty() {
            anyhow::bail!("give CSV files or --prometheus, not both");
        }
        let opts = options(args, SeriesUnit::Bytes, args.limit);
        return crate::cmd::analyze_prom::run(endpoint, &args.fleet, opts, common);
    }
    if args.fleet.query.is_some() {
        anyhow::bail!("--query needs --prometheus URL: the server to run it on");
    }
    let analyzed = if args.files.is_empty() {
        from_store(args)?
    } else {
        let mut all = Vec::new();
        for f in &args.files {
            all.extend(from_csv(f, args, args.files.len() > 1)?);
        }
        all
    };
    if analyzed.is_empty() {
        anyhow::bail!("nothing to analyze: no series matched (see `leakscope ls`)");
    }
    if let Some(path) = &args.plot {
        write_plots(path, &analyzed)?;
    }
    let leak = analyzed
        .iter()
        .any(|a| a.explanation.verdict.verdict == VerdictKind::Leak);
    match common.format {
        OutputFormat::Json => out::json(&VerdictReport {
            series: analyzed
                .into_iter()
                .map(|a| a.explanation.verdict)
                .collect(),
        })?,
        // (Export formats are refused before this.)
        _ if args.explain => {
            let text: Vec<String> = analyzed
                .iter()
                .map(|a| render::explain::explanation(&a.explanation, a.first_t, a.count))
                .collect();
            out::line(&text.join("\n"))?
        }
        _ => {
            let rows: Vec<_> = analyzed
                .into_iter()
                .map(|a| (a.explanation.verdict, a.first_t))
                .collect();
            out::line(&render::verdict::table(&rows))?
        }
    }
    Ok(u8::from(leak))
}

fn options(args: &AnalyzeArgs, unit: SeriesUnit, limit: Option<f64>) -> RecognizeOptions {
    RecognizeOptions {
        min_span_seconds: args.min_span.as_secs_f64(),
        ..fields::recognize_options(unit, limit)
    }
}

/// Stream a CSV file through one recognizer per column, in bounded memory.
fn from_csv(path: &PathBuf, args: &AnalyzeArgs, prefix: bool) -> anyhow::Result<Vec<Analyzed>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut reader = std::io::BufReader::with_capacity(1 << 16, file);
    let opts = leakscope_core::csv::CsvOptions {
        skip_bad_rows: args.skip_bad_rows,
        ..leakscope_core::csv::CsvOptions::default()
    };
    // One recognizer per column, made from its name (bytes, or a count such as goroutines):
    // the first lines are read ahead for the header, then streamed with the rest (one pass,
    // so that pipes work too).
    let head = read_head(&mut reader);
    let columns = csv_columns(&head);
    let reader = std::io::Read::chain(std::io::Cursor::new(head), reader);
    let mut recognizers: Vec<Recognizer> = columns
        .iter()
        .map(|c| Recognizer::new(c.clone(), options(args, fields::column_unit(c), args.limit)))
        .collect();
    let mut first_t = f64::NAN;
    let summary = leakscope_core::csv::read_series_csv(reader, &opts, |t, values| {
        if first_t.is_nan() {
            first_t = t;
        }
        // (Names unknown from the first lines, all of them bad rows skipped: bytes.)
        while recognizers.len() < values.len() {
            recognizers.push(Recognizer::new(
                "",
                options(args, SeriesUnit::Bytes, args.limit),
            ));
        }
        for (r, v) in recognizers.iter_mut().zip(values) {
            r.push(leakscope_core::Point::new(t, *v));
        }
    })
    .with_context(|| format!("cannot analyze {}", path.display()))?;
    if summary.skipped > 0 {
        eprintln!(
            "leakscope: {}: skipped {} bad rows of {}",
            path.display(),
            summary.skipped,
            summary.rows + summary.skipped
        );
    }
    let stem = path
        .file_stem()
        .map(|s| s.to_string_lossy().into_owned())
        .unwrap_or_default();
    Ok(recognizers
        .iter()
        .zip(&summary.columns)
        .filter(|(_, c)| args.field.is_empty() || args.field.contains(c))
        .map(|(r, c)| {
            let mut explanation = r.explain();
            explanation.verdict.name = if prefix {
                format!("{stem}/{c}")
            } else {
                c.clone()
            };
            Analyzed {
                explanation,
                first_t,
                count: fields::column_unit(c) == SeriesUnit::Count,
            }
        })
        .collect())
}

/// The first lines of a CSV (the header and what follows it: one good data row is enough),
/// at most 64 lines of 64 KiB each, as bytes: a line that is not UTF-8 stays for the CSV
/// reader to name (read as text, it was consumed and lost).
fn read_head(reader: &mut impl std::io::BufRead) -> Vec<u8> {
    use std::io::{BufRead, Read};
    let mut head = Vec::new();
    for _ in 0..64 {
        let read = Read::by_ref(reader)
            .take(1 << 16)
            .read_until(b'\n', &mut head)
            .unwrap_or(0);
        if read == 0 {
            break;
        }
    }
    head
}

/// The series names in the first lines of a CSV, read by the CSV reader itself; empty when
/// they hold no readable header and data row (the full read then says why).
fn csv_columns(head: &[u8]) -> Vec<String> {
    let peek = leakscope_core::csv::CsvOptions {
        skip_bad_rows: true,
        ..leakscope_core::csv::CsvOptions::default()
    };
    leakscope_core::csv::read_series_csv(head, &peek, |_, _| {})
        .map(|s| s.columns)
        .unwrap_or_default()
}

/// Replay stored series through the recognizer.
fn from_store(args: &AnalyzeArgs) -> anyhow::Result<Vec<Analyzed>> {
    let (path, store) = args.db.open_read_only(false)?;
    let list = store.list()?;
    // Series a watch was asked to judge beyond the defaults (a named --metric), with units.
    let mut judged: std::collections::HashMap<(String, String), SeriesUnit> = Default::default();
    for t in store.targets()? {
        let Some(list) = t.meta.get(fields::META_JUDGED).and_then(|v| v.as_array()) else {
            continue;
        };
        for j in list {
            let field = j.get("field").and_then(|f| f.as_str());
            let unit = j
                .get("unit")
                .and_then(|u| serde_json::from_value::<SeriesUnit>(u.clone()).ok());
            if let (Some(f), Some(u)) = (field, unit) {
                judged.insert((t.name.clone(), f.to_string()), u);
            }
        }
    }
    let mut analyzed = Vec::new();
    for info in &list {
        if !args.target.is_empty() && !args.target.contains(&info.target) {
            continue;
        }
        let named = judged
            .get(&(info.target.clone(), info.field.clone()))
            .copied();
        let wanted = if args.field.is_empty() {
            fields::is_recognized(&info.field) || named.is_some()
        } else {
            args.field.contains(&info.field)
        };
        if !wanted {
            continue;
        }
        // A stored cgroup knows its limit; --limit wins.
        let limit = args.limit.or_else(|| {
            list.iter()
                .find(|s| s.target == info.target && s.field == fields::LIMIT_FIELD)
                .and_then(|s| s.last_v)
                .filter(|v| *v > 0.0)
        });
        let unit = named.unwrap_or_else(|| fields::default_unit(&info.field));
        let mut r = Recognizer::new(
            format!("{}/{}", info.target, info.field),
            options(args, unit, limit),
        );
        store.for_each_point(&info.target, &info.field, |p| r.push(p))?;
        analyzed.push(Analyzed {
            explanation: r.explain(),
            first_t: info.first_t.unwrap_or(0.0),
            count: unit == SeriesUnit::Count,
        });
    }
    if analyzed.is_empty() && !args.target.is_empty() {
        anyhow::bail!(
            "no stored series for target {} in {} (see `leakscope ls --db {}`)",
            args.target.join(", "),
            path.display(),
            path.display()
        );
    }
    Ok(analyzed)
}

/// Draw each analyzed series to `path` (the first) and `stem-2.ext`, `stem-3.ext`... beside it.
fn write_plots(path: &Path, analyzed: &[Analyzed]) -> anyhow::Result<()> {
    for (i, a) in analyzed.iter().enumerate() {
        let target = if i == 0 {
            path.to_path_buf()
        } else {
            let stem = path
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let ext = path
                .extension()
                .map(|e| format!(".{}", e.to_string_lossy()))
                .unwrap_or_default();
            path.with_file_name(format!("{stem}-{}{ext}", i + 1))
        };
        leakscope_report::write_plot(&target, &render::explain::plot_data(&a.explanation))
            .with_context(|| format!("cannot draw {}", a.explanation.verdict.name))?;
    }
    Ok(())
}
