//! `leakscope ls`: the targets and series in the store, and the evidence kept by
//! `--diagnose`.

use std::path::PathBuf;

use clap::Args;
use leakscope_diagnose::evidence::{self, EvidenceFile};

use crate::cli::{Common, DbArgs, OutputFormat};
use crate::render::table::Table;
use crate::{out, units};

#[derive(Debug, Args)]
#[command(after_help = "Examples:\n  leakscope ls\n  leakscope ls --evidence --format json")]
pub struct LsArgs {
    #[command(flatten)]
    pub db: DbArgs,
    /// List only the evidence `--diagnose` kept (snapshots, profiles, dumps), oldest first.
    #[arg(long)]
    pub evidence: bool,
    /// Where the evidence is (default: `evidence/` beside the database; set `dir` in the
    /// config's `[diagnose]` to keep it elsewhere).
    #[arg(long, value_name = "DIR")]
    pub evidence_dir: Option<PathBuf>,
}

/// List every stored series with its sample count, time range and last value, then the
/// evidence kept.
pub fn run(args: &LsArgs, common: &Common) -> anyhow::Result<u8> {
    let path = args.db.path()?;
    let dir = args
        .evidence_dir
        .clone()
        .unwrap_or_else(|| leakscope_diagnose::Evidence::default_dir(&path));
    let kept = evidence::list(&dir)?;
    if args.evidence {
        match common.format {
            OutputFormat::Json => out::json(&kept)?,
            _ if kept.is_empty() => out::line(&format!("{}: no evidence kept", dir.display()))?,
            _ => out::line(&evidence_table(&kept))?,
        }
        return Ok(0);
    }
    let (path, store) = args.db.open_read_only(common.quiet)?;
    let list = store.list()?;
    match common.format {
        OutputFormat::Json => out::json(&list)?,
        _ => {
            let mut t = Table::new(
                &[
                    "TARGET",
                    "KIND",
                    "FIELD",
                    "SAMPLES",
                    "DOWNSAMPLED",
                    "SPAN",
                    "LAST",
                ],
                &[false, false, false, true, true, true, true],
            );
            for s in &list {
                let span = match (s.first_t, s.last_t) {
                    (Some(a), Some(b)) => units::format_duration(b - a),
                    _ => "-".into(),
                };
                let last = match s.last_v {
                    Some(v) if s.field.ends_with("_bytes") => units::format_bytes(v),
                    Some(v) if s.field.ends_with("_seconds") => units::format_duration(v),
                    Some(v) if v.fract() == 0.0 => format!("{v:.0}"),
                    Some(v) => format!("{v:.2}"),
                    None => "-".into(),
                };
                // Older data kept as buckets: how many, and how many samples they summarize.
                let downsampled = match s.downsampled_buckets {
                    0 => "-".to_owned(),
                    n => format!("{n} ({} samples)", s.downsampled_samples),
                };
                t.row(vec![
                    s.target.clone(),
                    s.kind.clone(),
                    s.field.clone(),
                    s.samples.to_string(),
                    downsampled,
                    span,
                    last,
                ]);
            }
            if t.is_empty() {
                out::line(&format!("{}: no series stored yet", path.display()))?;
            } else {
                out::line(&t.render())?;
            }
            if !kept.is_empty() {
                out::line(&format!("\nevidence kept in {}:", dir.display()))?;
                out::line(&evidence_table(&kept))?;
            }
        }
    }
    Ok(0)
}

fn evidence_table(kept: &[EvidenceFile]) -> String {
    let mut t = Table::new(
        &["TARGET", "KIND", "SIZE", "AGE", "FILE"],
        &[false, false, true, true, false],
    );
    let now = units::now();
    for f in kept {
        t.row(vec![
            f.target.clone(),
            f.kind.clone(),
            units::format_bytes(f.bytes as f64),
            units::format_duration((now - f.written_at).max(0.0)),
            f.path.display().to_string(),
        ]);
    }
    t.render()
}
