//! The command line: one struct per command, shared options here.

use std::path::{Path, PathBuf};

use clap::{Args, Parser, Subcommand, ValueEnum};

use crate::cmd;

/// Find memory leaks in long-running services: watch memory, recognize unbounded growth,
/// alert, and diagnose the cause from heap snapshots and profiles.
///
/// Exit codes: 0 = no leak found, 1 = a leak found, 2 = error.
#[derive(Debug, Parser)]
#[command(
    name = "leakscope",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub common: CommonArgs,
}

/// Options every command takes, as given.
#[derive(Debug, Args, Clone)]
pub struct CommonArgs {
    /// Output format: `table` for people, `json` for scripts; `export` writes `csv` (its
    /// default) or `openmetrics`; `lint` also writes `sarif` (SARIF 2.1.0, for code scanning).
    #[arg(long, global = true, value_enum, default_value_t = FormatChoice::Table)]
    pub format: FormatChoice,
    /// Print nothing but results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more about what is going on (on stderr).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// Every value `--format` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FormatChoice {
    /// Aligned tables for people.
    Table,
    /// JSON for scripts.
    Json,
    /// CSV in the series CSV contract (`export` only).
    Csv,
    /// OpenMetrics text (`export` only).
    Openmetrics,
    /// SARIF 2.1.0 for code scanning (`lint` only).
    Sarif,
}

/// Options every command takes, resolved for commands that print tables or JSON.
#[derive(Debug, Clone)]
pub struct Common {
    /// Table or JSON.
    pub format: OutputFormat,
    /// Print nothing but results and errors.
    pub quiet: bool,
    /// How much to log to stderr (`-v` count).
    pub verbose: u8,
}

impl CommonArgs {
    /// The options for `command`, refusing `--format sarif` where it means nothing.
    pub fn resolve(&self, command: &str) -> anyhow::Result<Common> {
        let format = match self.format {
            FormatChoice::Table => OutputFormat::Table,
            FormatChoice::Json => OutputFormat::Json,
            FormatChoice::Csv => OutputFormat::Csv,
            FormatChoice::Openmetrics => OutputFormat::Openmetrics,
            FormatChoice::Sarif => anyhow::bail!(
                "--format sarif is for `leakscope lint` only; `leakscope {command}` prints --format table or json"
            ),
        };
        Ok(Common {
            format,
            quiet: self.quiet,
            verbose: self.verbose,
        })
    }
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputFormat {
    /// Aligned tables for people.
    Table,
    /// JSON for scripts.
    Json,
    /// CSV in the series CSV contract (`export` only).
    Csv,
    /// OpenMetrics text, for `promtool tsdb create-blocks-from openmetrics` (`export` only).
    Openmetrics,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sample processes, cgroups or /metrics endpoints — or judge every series of a Prometheus
    /// query on a schedule — store and log every sample, and alert.
    #[command(
        after_help = "Examples:\n  leakscope watch --pid 4242 --interval 10s\n  leakscope watch --cgroup /sys/fs/cgroup/system.slice/app.service\n  leakscope watch --scrape http://127.0.0.1:9100/metrics --metric go_memstats_heap_inuse_bytes\n  leakscope watch --restart --log samples.jsonl -- node server.js\n  leakscope watch --diagnose --restart-before-oom 10m --limit 2GiB -- node server.js\n  leakscope watch --config /etc/leakscope.toml --listen 127.0.0.1:9464\n  leakscope watch --pid 4242 --alertmanager http://127.0.0.1:9093\n  leakscope watch --prometheus http://prometheus:9090 --query 'container_memory_working_set_bytes{container!=\"\"}' \\\n      --every 5m --range 24h --alertmanager http://alertmanager:9093 --listen 127.0.0.1:9464"
    )]
    Watch(Box<cmd::watch::WatchArgs>),
    /// Soak a service under load and give a verdict that can gate CI.
    #[command(
        after_help = "Examples:\n  leakscope run --load 'http://127.0.0.1:8080/user/{#n}' --duration 2m --warmup 20s -- node server.js --port 8080\n  leakscope run --load 'http://127.0.0.1:8080/req/{#n}' --rps 500 --scrape http://127.0.0.1:8080/metrics --report soak.html -- ./service\n  leakscope run --load-cmd 'k6 run script.js' --ready 127.0.0.1:8080 --fail-above 200MB -- ./service\n\nExit codes: 0 = no leak, 1 = leak (or --fail-above exceeded), 2 = error."
    )]
    Run(Box<cmd::run::RunArgs>),
    /// Recognize leaks in stored series, in CSV files, or in every series of a Prometheus query.
    #[command(
        after_help = "Examples:\n  leakscope analyze memory.csv\n  leakscope analyze --db leakscope.db --target node-server --format json\n  leakscope analyze --prometheus http://127.0.0.1:9090 --query 'container_memory_working_set_bytes{container!=\"\"}' --range 7d\n\nCSV format: a header row; first column `timestamp` (unix seconds or RFC 3339); each further\ncolumn is one series in bytes, named by its header. Quoted cells follow RFC 4180; Grafana's\n\"Download CSV\" (epoch milliseconds, quoted label sets) reads as it is, with \"Formatted data\" off."
    )]
    Analyze(Box<cmd::analyze::AnalyzeArgs>),
    /// List the targets and series in the store.
    #[command(after_help = "Example:\n  leakscope ls --db leakscope.db")]
    Ls(cmd::ls::LsArgs),
    /// Write stored series as CSV (what `analyze` reads) or OpenMetrics (for Prometheus).
    #[command(
        after_help = "Examples:\n  leakscope export --db leakscope.db --target api --field rss_bytes > api.csv\n  leakscope analyze api.csv\n  leakscope export --db leakscope.db --format openmetrics > leakscope.om\n  promtool tsdb create-blocks-from openmetrics leakscope.om /var/lib/prometheus/metrics2\n\nCSV: `timestamp` (unix seconds), then one column per series (`FIELD` with one target,\n`TARGET/FIELD` otherwise), in the field's unit; a blank cell where a series has no point.\nDownsampled periods (older than the store's raw window) give each bucket's minimum, the\nfloor, at the bucket's midpoint: the points `analyze --db` judges.\n\nOpenMetrics: one gauge per field, `leakscope_FIELD{target=\"...\",kind=\"...\"}`, with raw\nsamples and, for downsampled periods, the bucket mean at its midpoint; `leakscope_FIELD_min`\nand `leakscope_FIELD_max` carry the bucket minimum and maximum (downsampled periods only:\na raw sample is its own minimum and maximum). Prometheus refuses to backfill the last 3 hours."
    )]
    Export(cmd::export::ExportArgs),
    /// Diagnose from heap snapshots and profiles: V8 .heapsnapshot, Go pprof, Python tracemalloc.
    #[command(subcommand)]
    Heap(cmd::heap::HeapCommand),
    /// Prometheus recording and alerting rules that approximate leakscope's judgement.
    #[command(
        after_help = "Examples:\n  leakscope rules > leakscope-rules.yml\n  leakscope rules --format prometheus-rule --rule-label release=kube-prometheus-stack --out rules.yaml\n  promtool check rules leakscope-rules.yml"
    )]
    Rules(cmd::rules::RulesArgs),
    /// Check a config file for `watch --config`.
    #[command(subcommand)]
    Config(cmd::config::ConfigCommand),
    /// Kubernetes: OOM kills, restarts and leaking containers across a cluster.
    #[command(subcommand)]
    K8s(cmd::k8s::K8sCommand),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  leakscope completions bash > /etc/bash_completion.d/leakscope\n  leakscope completions zsh > \"${fpath[1]}/_leakscope\"\n  leakscope completions fish > ~/.config/fish/completions/leakscope.fish"
    )]
    Completions(cmd::generate::CompletionsArgs),
    /// Write the man pages: leakscope(1) and one per command.
    #[command(after_help = "Example:\n  leakscope man --out /usr/local/share/man/man1")]
    Man(cmd::generate::ManArgs),
    /// The leak review checklist as static checks for JavaScript/TypeScript, Python and Go:
    /// unbounded caches, listeners and timers never removed, unbounded queries, goroutines and
    /// threads with no exit, connections and files not released. Exit 1 when findings are shown.
    #[command(
        after_help = "Examples:\n  leakscope lint\n  leakscope lint src/ --rule js --skip unbounded-query\n  leakscope lint --format sarif > leakscope.sarif\n  leakscope lint --evidence heap-diff.json services/api\n  leakscope lint --list-rules\n\nSuppress one finding with a comment on its line or the line above:\n  // leakscope: ignore[js/interval-not-cleared]\nConfigure in the [lint] section of a config file (--config, or ./leakscope.toml).\nExit codes: 0 = nothing shown, 1 = findings shown, 2 = error."
    )]
    Lint(cmd::lint::LintArgs),
}

/// How help text writes a load template's placeholder: clap turns a literal `{n}` into a line
/// break in every help text, so help is written with `{#n}` and shown as `{n}`.
pub(crate) const TEMPLATE_MARK: &str = "{#";

/// Print a parse error, help or version the way clap would, with load templates shown
/// literally (`{n}`, `{rand}`, `{uuid}`), and exit with clap's code (0 for help, 2 for errors).
pub fn exit_with(err: clap::Error) -> ! {
    use std::io::{IsTerminal, Write};
    let styled = err.render();
    let text = if err.use_stderr() {
        if std::io::stderr().is_terminal() {
            styled.ansi().to_string()
        } else {
            styled.to_string()
        }
    } else if std::io::stdout().is_terminal() {
        styled.ansi().to_string()
    } else {
        styled.to_string()
    };
    let text = text.replace(TEMPLATE_MARK, "{");
    // A closed pipe (`leakscope run --help | head`) is not an error.
    let _ = if err.use_stderr() {
        std::io::stderr().write_all(text.as_bytes())
    } else {
        std::io::stdout().write_all(text.as_bytes())
    };
    std::process::exit(err.exit_code());
}

/// Where the store lives: `--db PATH`, else the user's data directory.
#[derive(Debug, Args, Clone)]
pub struct DbArgs {
    /// The SQLite store [default: $XDG_DATA_HOME/leakscope/leakscope.db].
    #[arg(long, value_name = "PATH", env = "LEAKSCOPE_DB")]
    pub db: Option<PathBuf>,
}

impl DbArgs {
    /// Open the store for reading; when the directory is read-only and a writer left its last
    /// intervals in a `-wal` file that cannot be read there, say so on stderr (unless `quiet`).
    pub fn open_read_only(&self, quiet: bool) -> anyhow::Result<(PathBuf, leakscope_store::Store)> {
        let path = self.path()?;
        let store = leakscope_store::Store::open_read_only(&path)?;
        if let leakscope_store::OpenMode::Immutable { unread_wal_bytes } = store.open_mode() {
            if unread_wal_bytes > 0 && !quiet {
                eprintln!(
                    "leakscope: {} is in a directory this user cannot write, so the last intervals a writer left in its -wal file ({unread_wal_bytes} bytes) are not read",
                    path.display()
                );
            }
        }
        Ok((path, store))
    }

    /// The path to use, or an error saying how to choose one.
    pub fn path(&self) -> anyhow::Result<PathBuf> {
        match &self.db {
            Some(p) => Ok(p.clone()),
            None => leakscope_store::default_db_path().ok_or_else(|| {
                anyhow::anyhow!("no data directory is known for this user (HOME is unset); choose a store with --db PATH")
            }),
        }
    }
}

/// Open the store at `path` for writing, warning (unless `quiet`) when other users can read
/// it: it holds command lines and measurements. A user's existing file is not changed.
pub fn open_store(path: &Path, quiet: bool) -> anyhow::Result<leakscope_store::Store> {
    let store = leakscope_store::Store::open(path)?;
    let exposed = store.readable_by_others();
    if !quiet && !exposed.is_empty() {
        let files: Vec<String> = exposed
            .iter()
            .map(|(p, _)| p.display().to_string())
            .collect();
        eprintln!(
            "leakscope: warning: the store is readable by other users ({}); make it private with `chmod 600 {}`",
            exposed
                .iter()
                .map(|(p, m)| format!("{} mode {m:03o}", p.display()))
                .collect::<Vec<_>>()
                .join(", "),
            files.join(" ")
        );
    }
    Ok(store)
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    /// Clap's own checks of every command (unique argument names across flattened groups,
    /// valid `requires`), which otherwise fail only when that command is run.
    #[test]
    fn every_command_s_flags_are_well_formed() {
        super::Cli::command().debug_assert();
    }
}
