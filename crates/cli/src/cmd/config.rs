//! `leakscope config check FILE`: validate a config file for `watch --config`.

use std::path::PathBuf;

use clap::Subcommand;
use leakscope_agent::config;

use crate::cli::{Common, OutputFormat};
use crate::out;

#[derive(Debug, Subcommand)]
pub enum ConfigCommand {
    /// Check a config file: exit 0 when `watch --config FILE` would accept it, else exit 2
    /// naming the line and key.
    #[command(after_help = "Example:\n  leakscope config check /etc/leakscope.toml")]
    Check {
        /// The TOML file.
        file: PathBuf,
    },
}

/// Run `config`.
pub fn run(cmd: &ConfigCommand, common: &Common) -> anyhow::Result<u8> {
    match cmd {
        ConfigCommand::Check { file } => {
            let s = config::load(file)?;
            // The [lint] section is lint's: checked by its reader, rule names included.
            let mut lint = leakscope_lint::Options::default();
            let has_lint = leakscope_lint::config::load(file, &mut lint)?;
            match common.format {
                OutputFormat::Json => out::json(&serde_json::json!({
                    "file": file.display().to_string(),
                    "valid": true,
                    "targets": s.targets.iter().map(|t| serde_json::json!({"name": t.name(), "kind": t.spec.kind()})).collect::<Vec<_>>(),
                    "receivers": s.receivers.len(),
                    "lint": has_lint,
                    "diagnose": s.diagnose.is_some(),
                }))?,
                _ => {
                    if !common.quiet {
                        out::line(&format!(
                            "{}: ok ({} target(s), {} receiver(s), interval {}{}{})",
                            file.display(),
                            s.targets.len(),
                            s.receivers.len(),
                            crate::units::format_duration(s.interval.as_secs_f64()),
                            if has_lint { ", a [lint] section" } else { "" },
                            if s.diagnose.is_some() {
                                ", diagnose on"
                            } else {
                                ""
                            }
                        ))?;
                    }
                }
            }
            Ok(0)
        }
    }
}
