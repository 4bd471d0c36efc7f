//! `leakscope ls`: the targets and series in the store.

use clap::Args;

use crate::cli::{Common, DbArgs, OutputFormat};
use crate::render::table::Table;
use crate::{out, units};

#[derive(Debug, Args)]
pub struct LsArgs {
    #[command(flatten)]
    pub db: DbArgs,
}

/// List every stored series with its sample count, time range and last value.
pub fn run(args: &LsArgs, common: &Common) -> anyhow::Result<u8> {
    let path = args.db.path()?;
    let store = leakscope_store::Store::open_read_only(&path)?;
    let list = store.list()?;
    match common.format {
        OutputFormat::Json => out::json(&list)?,
        OutputFormat::Table => {
            let mut t = Table::new(
                &["TARGET", "KIND", "FIELD", "SAMPLES", "SPAN", "LAST"],
                &[false, false, false, true, true, true],
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
                t.row(vec![
                    s.target.clone(),
                    s.kind.clone(),
                    s.field.clone(),
                    s.samples.to_string(),
                    span,
                    last,
                ]);
            }
            if t.is_empty() {
                out::line(&format!("{}: no series stored yet", path.display()))?;
            } else {
                out::line(&t.render())?;
            }
        }
    }
    Ok(0)
}
