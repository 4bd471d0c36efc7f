//! Writes a sample soak report for eyeballing and for `scripts/render-report.sh`:
//! `cargo run -p leakscope-report --example render -- OUT_DIR [leak|no-leak]` writes
//! OUT_DIR/report.html, OUT_DIR/plot.svg and OUT_DIR/plot.png.

#[path = "../tests/common/mod.rs"]
mod common;

use std::path::PathBuf;
use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let dir = PathBuf::from(args.next().unwrap_or_else(|| ".".into()));
    let data = match args.next().as_deref() {
        None | Some("leak") => common::leak(),
        Some("no-leak") => common::no_leak(),
        Some(other) => {
            eprintln!("render: unknown sample {other:?}; use leak or no-leak");
            return ExitCode::from(2);
        }
    };
    let result = leakscope_report::write_html(dir.join("report.html"), &data)
        .and_then(|()| leakscope_report::write_plot(dir.join("plot.svg"), &data))
        .and_then(|()| leakscope_report::write_plot(dir.join("plot.png"), &data));
    match result {
        Ok(()) => {
            println!("{}", dir.join("report.html").display());
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("render: {e}");
            ExitCode::from(2)
        }
    }
}
