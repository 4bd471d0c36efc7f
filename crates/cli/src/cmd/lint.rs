//! `leakscope lint [PATH...]`: flags, config and evidence wiring; the work is in
//! `leakscope-lint`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use leakscope_lint::{catalog, config, evidence, sarif, Options, Selector, Severity};

use crate::cli::{CommonArgs, FormatChoice};
use crate::render::escape::printable;
use crate::{out, render};

/// The config file read when `--config` is not given and it exists in the current directory.
const DEFAULT_CONFIG: &str = "leakscope.toml";

#[derive(Debug, Args)]
pub struct LintArgs {
    /// Files and directories to check (directories honor .gitignore) [default: .].
    pub paths: Vec<PathBuf>,
    /// Only these rules: ids (js/interval-not-cleared), names in every language
    /// (unbounded-cache), families (js, py, go) or checklist items (item:listener). Repeat or
    /// separate with commas.
    #[arg(long = "rule", value_name = "RULE", value_delimiter = ',')]
    pub rules: Vec<String>,
    /// Never these rules (same forms as --rule).
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    pub skip: Vec<String>,
    /// The least severity shown: note, warning or error [default: warning]. Findings confirmed
    /// by --evidence are always shown.
    #[arg(long, value_name = "LEVEL")]
    pub severity: Option<String>,
    /// A config file whose [lint] section to use [default: ./leakscope.toml when it exists].
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,
    /// A heap diff from `leakscope heap diff --format json` (pprof, tracemalloc, goroutine or
    /// V8): findings whose code grows at run time are confirmed and ranked first. Repeatable.
    #[arg(long, value_name = "DIFF.json")]
    pub evidence: Vec<PathBuf>,
    /// Leave out files matching this glob (besides .gitignore). Repeatable.
    #[arg(long, value_name = "GLOB")]
    pub exclude: Vec<String>,
    /// Parse every file, even one in which no selected rule can match (none of the literals
    /// the rules need is in it, so by default it is read but not parsed): slower, and a syntax
    /// error in such a file is then reported too.
    #[arg(long)]
    pub parse_all: bool,
    /// List the rules and exit.
    #[arg(long)]
    pub list_rules: bool,
}

/// Run `lint`.
pub fn run(args: &LintArgs, common: &CommonArgs) -> anyhow::Result<u8> {
    if args.list_rules {
        return list_rules(common.format);
    }
    if !leakscope_lint::HAS_PARSERS {
        return Err(leakscope_lint::LintError::NoParsers.into());
    }
    let opts = options(args, common.verbose)?;
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let started = std::time::Instant::now();
    let mut report = leakscope_lint::lint(&paths, &opts)?;
    for file in &args.evidence {
        let growth = evidence::read(file)?;
        if growth.is_empty() && !common.quiet {
            eprintln!(
                "leakscope: warning: {}: no growing suspects in this heap diff; nothing to confirm with it",
                printable(&file.display().to_string())
            );
        }
        evidence::apply(&mut report, &growth);
    }
    let confirmed = report.findings.iter().filter(|f| f.confirmed).count();
    report.retain_shown(opts.min_severity);
    if !common.quiet {
        for w in &report.warnings {
            eprintln!(
                "leakscope: warning: {}: {}",
                printable(&w.path.display().to_string()),
                printable(&w.message)
            );
        }
    }
    match common.format {
        FormatChoice::Json => out::json(&report)?,
        FormatChoice::Sarif => {
            let rules: Vec<&catalog::Rule> = catalog::rules()
                .iter()
                .filter(|r| opts.enabled(r))
                .collect();
            if report.findings.len() > sarif::MAX_RESULTS && !common.quiet {
                eprintln!(
                    "leakscope: warning: {} findings; SARIF holds the first {} (GitHub's limit per run)",
                    report.findings.len(),
                    sarif::MAX_RESULTS
                );
            }
            out::json(&sarif::log(&rules, &report.findings))?;
        }
        // csv and openmetrics never get here: dispatch refuses them for every command but export.
        FormatChoice::Table | FormatChoice::Csv | FormatChoice::Openmetrics => {
            if !report.findings.is_empty() {
                out::line(&render::lint::table(
                    &report.findings,
                    !args.evidence.is_empty(),
                ))?;
            }
            if !common.quiet {
                eprintln!(
                    "{}",
                    render::lint::summary(
                        &report,
                        confirmed,
                        opts.min_severity,
                        started.elapsed().as_secs_f64()
                    )
                );
            }
        }
    }
    Ok(u8::from(!report.findings.is_empty()))
}

/// Defaults, then the config file's [lint] section, then the flags.
fn options(args: &LintArgs, verbose: u8) -> anyhow::Result<Options> {
    let mut opts = Options::default();
    let config_file = match &args.config {
        Some(p) => Some(p.clone()),
        None => Path::new(DEFAULT_CONFIG)
            .is_file()
            .then(|| PathBuf::from(DEFAULT_CONFIG)),
    };
    if let Some(file) = &config_file {
        let had = config::load(file, &mut opts)?;
        if verbose > 0 {
            eprintln!(
                "leakscope: {} {}",
                if had {
                    "using the [lint] section of"
                } else {
                    "no [lint] section in"
                },
                printable(&file.display().to_string())
            );
        }
    }
    let selectors = |list: &[String]| -> anyhow::Result<Vec<Selector>> {
        list.iter()
            .filter(|s| !s.trim().is_empty())
            .map(|s| Selector::parse(s).map_err(|e| anyhow::anyhow!("--rule/--skip: {e}")))
            .collect()
    };
    if !args.rules.is_empty() {
        opts.select = selectors(&args.rules)?;
    }
    if !args.skip.is_empty() {
        opts.skip.extend(selectors(&args.skip)?);
    }
    if let Some(s) = &args.severity {
        opts.min_severity = Severity::parse(s).with_context(|| {
            format!("--severity {s:?} is not a severity: write note, warning or error")
        })?;
    }
    opts.exclude.extend(args.exclude.iter().cloned());
    opts.parse_all |= args.parse_all;
    Ok(opts)
}

fn list_rules(format: FormatChoice) -> anyhow::Result<u8> {
    let rules = catalog::rules();
    match format {
        FormatChoice::Table | FormatChoice::Csv | FormatChoice::Openmetrics => {
            out::line(&render::lint::rules(rules))?
        }
        FormatChoice::Json => out::json(&serde_json::json!({
            "rules": rules.iter().map(|r| serde_json::json!({
                "id": r.id,
                "item": r.item,
                "severity": r.severity,
                "precision": r.precision,
                "summary": r.summary,
                "description": r.description,
            })).collect::<Vec<_>>()
        }))?,
        FormatChoice::Sarif => {
            let all: Vec<&catalog::Rule> = rules.iter().collect();
            out::json(&sarif::log(&all, &[]))?;
        }
    }
    Ok(0)
}
