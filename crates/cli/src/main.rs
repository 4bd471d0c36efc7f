//! `leakscope`: find memory leaks in long-running services.
//!
//! Exit codes, as grep and diff use them: 0 = ran fine and found no leak, 1 = ran fine and found
//! a leak, 2 = error (bad input, usage, I/O). A broken pipe on stdout counts as success.

mod cli;
mod cmd;
mod event;
mod fields;
mod out;
mod recycle;
mod render;
mod supervise;
mod tree;
mod units;

use std::process::ExitCode;

use clap::Parser;

#[global_allocator]
static ALLOC: recycle::Recycler = recycle::Recycler::new();

fn main() -> ExitCode {
    recycle::fix_mmap_threshold();
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => cli::exit_with(e),
    };
    match cmd::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if out::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // Errors often quote what the user gave: never its secrets.
            let text = out::sentence(&err);
            eprintln!(
                "leakscope: error: {}",
                leakscope_core::redact::redact_text(&text)
            );
            ExitCode::from(2)
        }
    }
}
