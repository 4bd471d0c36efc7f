//! `leakscope export`: stored series as CSV (the series CSV contract `analyze` reads) or
//! OpenMetrics text (for `promtool tsdb create-blocks-from openmetrics`).

use std::io::{BufWriter, Write};
use std::ops::ControlFlow;

use clap::Args;
use leakscope_store::{SeriesInfo, Store};

use crate::cli::{Common, DbArgs, OutputFormat};
use crate::render::export::{self as render, Role};

#[derive(Debug, Args)]
pub struct ExportArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// Only series of this target (repeatable).
    #[arg(long, value_name = "NAME")]
    pub target: Vec<String>,
    /// Only this field (repeatable), e.g. rss_bytes.
    #[arg(long, value_name = "NAME")]
    pub field: Vec<String>,
}

/// Write the chosen series to stdout.
pub fn run(args: &ExportArgs, common: &Common) -> anyhow::Result<u8> {
    let (path, store) = args.db.open_read_only(common.quiet)?;
    let chosen = choose(&store.list()?, args, &path)?;
    let stdout = std::io::stdout();
    let mut w = BufWriter::with_capacity(1 << 16, stdout.lock());
    match common.format {
        OutputFormat::Table | OutputFormat::Csv => csv(&store, &chosen, &mut w)?,
        OutputFormat::Openmetrics => openmetrics(&store, &chosen, &mut w)?,
        OutputFormat::Json => anyhow::bail!(
            "export writes --format csv (the default) or --format openmetrics, not json"
        ),
    }
    w.flush()?;
    Ok(0)
}

/// The listed series that `--target` and `--field` select; an error naming what matched nothing.
fn choose(
    list: &[SeriesInfo],
    args: &ExportArgs,
    path: &std::path::Path,
) -> anyhow::Result<Vec<SeriesInfo>> {
    for t in &args.target {
        if !list.iter().any(|s| &s.target == t) {
            anyhow::bail!(
                "{} has no target named {t:?} (see `leakscope ls --db {}`)",
                path.display(),
                path.display()
            );
        }
    }
    let chosen: Vec<SeriesInfo> = list
        .iter()
        .filter(|s| args.target.is_empty() || args.target.contains(&s.target))
        .filter(|s| args.field.is_empty() || args.field.contains(&s.field))
        .cloned()
        .collect();
    if chosen.is_empty() {
        anyhow::bail!(
            "nothing to export: no stored series in {} matches {} (see `leakscope ls --db {}`)",
            path.display(),
            if args.field.is_empty() {
                "the selection".to_owned()
            } else {
                format!("--field {}", args.field.join(", "))
            },
            path.display()
        );
    }
    Ok(chosen)
}

/// One CSV table: a column per series, joined on time.
fn csv(store: &Store, chosen: &[SeriesInfo], w: &mut impl Write) -> anyhow::Result<()> {
    let one_target = chosen.iter().all(|s| s.target == chosen[0].target);
    let columns: Vec<String> = chosen
        .iter()
        .map(|s| {
            if one_target {
                s.field.clone()
            } else {
                format!("{}/{}", s.target, s.field)
            }
        })
        .collect();
    render::csv_header(w, &columns)?;
    let keys: Vec<(&str, &str)> = chosen
        .iter()
        .map(|s| (s.target.as_str(), s.field.as_str()))
        .collect();
    let mut failed = None;
    store.for_each_row(&keys, |t, values| match render::csv_row(w, t, values) {
        Ok(()) => ControlFlow::Continue(()),
        Err(e) => {
            failed = Some(e);
            ControlFlow::Break(())
        }
    })?;
    match failed {
        Some(e) => Err(e.into()),
        None => Ok(()),
    }
}

/// OpenMetrics: one gauge family per field (and `_min`/`_max` for downsampled periods).
fn openmetrics(store: &Store, chosen: &[SeriesInfo], w: &mut impl Write) -> anyhow::Result<()> {
    let series: Vec<render::Series> = chosen
        .iter()
        .map(|s| render::Series {
            target: s.target.clone(),
            kind: s.kind.clone(),
            field: s.field.clone(),
            downsampled: s.downsampled_buckets > 0,
        })
        .collect();
    for family in render::families(&series) {
        render::om_family(w, &family)?;
        for (i, role, labels) in &family.members {
            let s = &chosen[*i];
            let mut failed = None;
            store.for_each_bucket(&s.target, &s.field, |b| {
                let v = match role {
                    Role::Value => b.mean,
                    Role::Min if b.width_seconds > 0.0 => b.min,
                    Role::Max if b.width_seconds > 0.0 => b.max,
                    _ => return,
                };
                if failed.is_none() {
                    if let Err(e) = render::om_sample(w, &family.name, labels, v, b.mid_t()) {
                        failed = Some(e);
                    }
                }
            })?;
            if let Some(e) = failed {
                return Err(e.into());
            }
        }
    }
    render::om_end(w)?;
    Ok(())
}
