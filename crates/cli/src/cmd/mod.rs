//! One module per command. Each returns the exit code: 0 no leak, 1 leak; errors become 2.

pub mod analyze;
pub mod config;
pub mod generate;
pub mod heap;
pub mod heap_capture;
pub mod ls;
pub mod run;
pub mod watch;

use crate::cli::{Cli, Command};

/// Run the chosen command.
pub fn dispatch(cli: Cli) -> anyhow::Result<u8> {
    let common = cli.common;
    match cli.command {
        Command::Watch(args) => watch::run(&args, &common),
        Command::Analyze(args) => analyze::run(&args, &common),
        Command::Ls(args) => ls::run(&args, &common),
        Command::Run(args) => run::run(&args, &common),
        Command::Heap(sub) => heap::run(&sub, &common),
        Command::Config(sub) => config::run(&sub, &common),
        Command::Completions(args) => generate::completions(&args),
        Command::Man(args) => generate::man(&args, &common),
    }
}
