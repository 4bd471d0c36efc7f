//! `leakscope`: find memory leaks in long-running services.
//!
//! Exit codes, as grep and diff use them: 0 = ran fine and found no leak, 1 = ran fine and found
//! a leak, 2 = error (bad input, usage, I/O). A broken pipe on stdout counts as success.

mod cli;
mod cmd;
mod out;
mod prom_args;
mod recycle;
mod render;
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
    init_tracing(cli.common.verbose);
    if matches!(cli.command, cli::Command::Watch(_) | cli::Command::Run(_)) {
        // These stay up beside the service, often in its container: a diagnosis's freed
        // arrays go back to the kernel rather than waiting, resident, for the next one.
        ALLOC.stop_keeping();
    }
    match cmd::dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            if out::is_broken_pipe(&err) {
                return ExitCode::SUCCESS;
            }
            // Errors often quote what the user gave (never its secrets), and names and cells
            // from input files (escaped as tables do).
            let sentence = out::sentence(&err);
            let text = leakscope_core::redact::redact_text(&sentence);
            eprintln!("leakscope: error: {}", render::escape::printable(&text));
            ExitCode::from(2)
        }
    }
}

/// `-v` says what is sampled, scraped, sent and retried, with timings; `-vv` every sample and
/// round. On stderr; `RUST_LOG` refines it.
fn init_tracing(verbose: u8) {
    use tracing_subscriber::EnvFilter;
    let level = match verbose {
        0 => "warn",
        1 => "info",
        2 => "debug",
        _ => "trace",
    };
    // The kube client logs each failed request at ERROR; leakscope says it in one sentence,
    // so its own logs show only with -v.
    let kube = if verbose == 0 { "off" } else { level };
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| {
        EnvFilter::new(format!(
            "warn,leakscope={level},leakscope_agent={level},leakscope_probe={level},leakscope_store={level},leakscope_k8s={level},kube_client={kube},kube_runtime={kube}"
        ))
    });
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_target(false)
        .try_init();
}
