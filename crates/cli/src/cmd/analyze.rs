//! `leakscope analyze`: recognize leaks in stored series or in CSV files.

use std::path::PathBuf;

use anyhow::Context;
use clap::Args;
use leakscope_core::verdict::VerdictReport;
use leakscope_core::{RecognizeOptions, Recognizer, Verdict, VerdictKind};

use crate::cli::{Common, DbArgs, OutputFormat};
use leakscope_agent::fields::{self, SeriesUnit};

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
    /// insufficient_data. Lower it to judge a short soak's stored series.
    #[arg(long, value_name = "DURATION", default_value = "20m", value_parser = units::parse_duration)]
    pub min_span: std::time::Duration,
    /// Skip (and count) CSV rows with blank, unparsable or non-UTF-8 cells or timestamps that go back,
    /// instead of stopping with an error.
    #[arg(long)]
    pub skip_bad_rows: bool,
}

/// Run `analyze`; exit 1 when any series leaks.
pub fn run(args: &AnalyzeArgs, common: &Common) -> anyhow::Result<u8> {
    let verdicts = if args.files.is_empty() {
        from_store(args)?
    } else {
        let mut all = Vec::new();
        for f in &args.files {
            all.extend(from_csv(f, args, args.files.len() > 1)?);
        }
        all
    };
    if verdicts.is_empty() {
        anyhow::bail!("nothing to analyze: no series matched (see `leakscope ls`)");
    }
    let leak = verdicts.iter().any(|(v, _)| v.verdict == VerdictKind::Leak);
    match common.format {
        OutputFormat::Json => out::json(&VerdictReport {
            series: verdicts.into_iter().map(|(v, _)| v).collect(),
        })?,
        OutputFormat::Table => out::line(&render::verdict::table(&verdicts))?,
    }
    Ok(u8::from(leak))
}

fn options(args: &AnalyzeArgs, unit: SeriesUnit, limit: Option<f64>) -> RecognizeOptions {
    let min_span = args.min_span.as_secs_f64();
    RecognizeOptions {
        min_span_seconds: min_span,
        // A judged stretch holds at least 20 buckets: 60 s buckets at the 20-minute default,
        // finer ones for a short soak.
        bucket_seconds: (min_span / 20.0).clamp(0.5, 60.0),
        ..fields::recognize_options(unit, limit)
    }
}

/// Stream a CSV file through one recognizer per column, in bounded memory.
fn from_csv(
    path: &PathBuf,
    args: &AnalyzeArgs,
    prefix: bool,
) -> anyhow::Result<Vec<(Verdict, f64)>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let reader = std::io::BufReader::with_capacity(1 << 16, file);
    let opts = leakscope_core::csv::CsvOptions {
        skip_bad_rows: args.skip_bad_rows,
        ..leakscope_core::csv::CsvOptions::default()
    };
    let mut recognizers: Vec<Recognizer> = Vec::new();
    let mut first_t = f64::NAN;
    let summary = leakscope_core::csv::read_series_csv(reader, &opts, |t, values| {
        if recognizers.is_empty() {
            first_t = t;
            recognizers = values
                .iter()
                .map(|_| Recognizer::new("", options(args, SeriesUnit::Bytes, args.limit)))
                .collect();
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
            let mut v = r.verdict();
            v.name = if prefix {
                format!("{stem}/{c}")
            } else {
                c.clone()
            };
            (v, first_t)
        })
        .collect())
}

/// Replay stored series through the recognizer.
fn from_store(args: &AnalyzeArgs) -> anyhow::Result<Vec<(Verdict, f64)>> {
    let path = args.db.path()?;
    let store = leakscope_store::Store::open_read_only(&path)?;
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
    let mut verdicts = Vec::new();
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
        let mut r = Recognizer::new(
            format!("{}/{}", info.target, info.field),
            options(
                args,
                named.unwrap_or_else(|| fields::default_unit(&info.field)),
                limit,
            ),
        );
        store.for_each_point(&info.target, &info.field, |p| r.push(p))?;
        verdicts.push((r.verdict(), info.first_t.unwrap_or(0.0)));
    }
    if verdicts.is_empty() && !args.target.is_empty() {
        anyhow::bail!(
            "no stored series for target {} in {} (see `leakscope ls --db {}`)",
            args.target.join(", "),
            path.display(),
            path.display()
        );
    }
    Ok(verdicts)
}
