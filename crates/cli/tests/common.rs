//! Helpers shared by the end-to-end tests: the binary, temp dirs, real child processes.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The `leakscope` binary built for these tests.
pub fn leakscope() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_leakscope"));
    c.env_remove("LEAKSCOPE_DB");
    c
}

/// A python3 process that allocates `step_mb` MiB of touched memory every `every_s` seconds,
/// `steps` times, then sleeps; a real leak at a known rate.
pub fn python_grower(step_mb: u32, every_s: f64, steps: u32) -> Child {
    let code = format!(
        "import time\nheld=[]\nfor i in range({steps}):\n    held.append(bytearray({step_mb}*1024*1024))\n    time.sleep({every_s})\ntime.sleep(3600)\n"
    );
    Command::new("python3")
        .args(["-c", &code])
        .stdout(Stdio::null())
        .spawn()
        .expect("python3 runs")
}

/// Wait until `f` holds or `timeout` passes.
pub fn wait_for(timeout: Duration, mut f: impl FnMut() -> bool) -> bool {
    let end = Instant::now() + timeout;
    while Instant::now() < end {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    f()
}

/// Write `text` to `dir/name` and return the path.
pub fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let p = dir.join(name);
    std::fs::write(&p, text).expect("write test file");
    p
}

/// A CSV of one series: `rows` samples every `step_s` seconds from `start` bytes, growing
/// by `growth_per_hour` bytes per hour, with a GC sawtooth of `saw` bytes.
pub fn csv_series(rows: usize, step_s: f64, start: f64, growth_per_hour: f64, saw: f64) -> String {
    let mut s = String::from("timestamp,rss_bytes\n");
    for i in 0..rows {
        let t = 1_700_000_000.0 + i as f64 * step_s;
        let v =
            start + growth_per_hour * (i as f64 * step_s / 3600.0) + saw * ((i % 10) as f64 / 10.0);
        s.push_str(&format!("{t},{v:.0}\n"));
    }
    s
}
