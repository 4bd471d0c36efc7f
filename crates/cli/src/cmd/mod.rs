//! One module per command. Each returns the exit code: 0 no leak, 1 leak; errors become 2.

pub mod analyze;
pub mod analyze_prom;
pub mod config;
pub mod export;
pub mod generate;
pub mod heap;
pub mod heap_capture;
pub mod k8s;
pub mod lint;
pub mod ls;
pub mod rules;
pub mod run;
pub mod watch;

use crate::cli::{Cli, Command, FormatChoice};

/// Run the chosen command.
pub fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let args = cli.common;
    let export = matches!(cli.command, Command::Export(_));
    if !export && matches!(args.format, FormatChoice::Csv | FormatChoice::Openmetrics) {
        anyhow::bail!("--format csv and --format openmetrics are for `leakscope export`; this command writes table or json");
    }
    match cli.command {
        Command::Watch(a) => watch::run(&a, &args.resolve("watch")?),
        Command::Analyze(a) => analyze::run(&a, &args.resolve("analyze")?),
        Command::Ls(a) => ls::run(&a, &args.resolve("ls")?),
        Command::Export(a) => export::run(&a, &args.resolve("export")?),
        Command::Run(a) => run::run(&a, &args.resolve("run")?),
        Command::Heap(sub) => heap::run(&sub, &args.resolve("heap")?),
        Command::Rules(a) => rules::run(&a),
        Command::Config(sub) => config::run(&sub, &args.resolve("config")?),
        Command::Completions(a) => generate::completions(&a),
        Command::Man(a) => generate::man(&a, &args.resolve("man")?),
        Command::K8s(sub) => k8s::run(&sub, &args.resolve("k8s")?),
        Command::Lint(a) => lint::run(&a, &args),
    }
}
