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
    pub common: Common,
}

/// Options every command takes.
#[derive(Debug, Args, Clone)]
pub struct Common {
    /// Output format: `table` for people, `json` for scripts.
    #[arg(long, global = true, value_enum, default_value_t = OutputFormat::Table)]
    pub format: OutputFormat,
    /// Print nothing but results and errors.
    #[arg(short, long, global = true, conflicts_with = "verbose")]
    pub quiet: bool,
    /// Say more about what is going on (on stderr).
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

/// How results are printed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum OutputFormat {
    /// Aligned tables for people.
    Table,
    /// JSON for scripts.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Sample processes, cgroups or /metrics endpoints, store and log every sample, and alert.
    #[command(
        after_help = "Examples:\n  leakscope watch --pid 4242 --interval 10s\n  leakscope watch --cgroup /sys/fs/cgroup/system.slice/app.service\n  leakscope watch --scrape http://127.0.0.1:9100/metrics --metric go_memstats_heap_inuse_bytes\n  leakscope watch --restart --log samples.jsonl -- node server.js\n  leakscope watch --config /etc/leakscope.toml --listen 127.0.0.1:9464"
    )]
    Watch(Box<cmd::watch::WatchArgs>),
    /// Soak a service under load and give a verdict that can gate CI.
    #[command(
        after_help = "Examples:\n  leakscope run --load 'http://127.0.0.1:8080/user/{#n}' --duration 2m --warmup 20s -- node server.js --port 8080\n  leakscope run --load 'http://127.0.0.1:8080/req/{#n}' --rps 500 --scrape http://127.0.0.1:8080/metrics --report soak.html -- ./service\n  leakscope run --load-cmd 'k6 run script.js' --ready 127.0.0.1:8080 --fail-above 200MB -- ./service\n\nExit codes: 0 = no leak, 1 = leak (or --fail-above exceeded), 2 = error."
    )]
    Run(Box<cmd::run::RunArgs>),
    /// Recognize leaks in stored series or in CSV files.
    #[command(
        after_help = "Examples:\n  leakscope analyze memory.csv\n  leakscope analyze --db leakscope.db --target node-server --format json\n\nCSV format: a header row; first column `timestamp` (unix seconds or RFC 3339); each further\ncolumn is one series in bytes, named by its header. Quoted cells follow RFC 4180; Grafana's\n\"Download CSV\" (epoch milliseconds, quoted label sets) reads as it is, with \"Formatted data\" off."
    )]
    Analyze(cmd::analyze::AnalyzeArgs),
    /// List the targets and series in the store.
    #[command(after_help = "Example:\n  leakscope ls --db leakscope.db")]
    Ls(cmd::ls::LsArgs),
    /// Diagnose from heap snapshots and profiles: V8 .heapsnapshot, Go pprof, Python tracemalloc.
    #[command(subcommand)]
    Heap(cmd::heap::HeapCommand),
    /// Check a config file for `watch --config`.
    #[command(subcommand)]
    Config(cmd::config::ConfigCommand),
    /// Print a shell completion script.
    #[command(
        after_help = "Examples:\n  leakscope completions bash > /etc/bash_completion.d/leakscope\n  leakscope completions zsh > \"${fpath[1]}/_leakscope\"\n  leakscope completions fish > ~/.config/fish/completions/leakscope.fish"
    )]
    Completions(cmd::generate::CompletionsArgs),
    /// Write the man pages: leakscope(1) and one per command.
    #[command(after_help = "Example:\n  leakscope man --out /usr/local/share/man/man1")]
    Man(cmd::generate::ManArgs),
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
