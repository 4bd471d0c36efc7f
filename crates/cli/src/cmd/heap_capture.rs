//! `leakscope heap capture` (being written).

/// Options of `heap capture`.
#[derive(Debug, clap::Args)]
pub struct CaptureArgs {
    /// The Node.js process to capture from.
    #[arg(long)]
    pub pid: Option<u32>,
}

/// Capture; returns the exit code.
pub fn run(_args: &CaptureArgs, _json: bool) -> anyhow::Result<i32> {
    anyhow::bail!("heap capture is not available yet")
}
