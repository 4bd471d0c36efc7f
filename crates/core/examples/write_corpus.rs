//! Write the generated corpus as series CSV files (the DESIGN CSV format) plus a labels file.
//!
//! ```text
//! cargo run -p leakscope-core --example write_corpus -- [--seed 7] [--n 240] [--max-rows 1500] [--out tests/corpus]
//! ```
//! Each series goes to `<out>/<name>.csv` (`timestamp,<name>`; whole bytes), keeping every k-th
//! point so that no file has more than `--max-rows` rows. `<out>/labels.csv` has
//! `file,series,label,pattern,onset_unix,limit_bytes` (label `leak` or `no_leak`).

use leakscope_core::corpus;
use std::fmt::Write as _;
use std::path::PathBuf;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let get = |k: &str| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let seed: u64 = get("--seed").and_then(|v| v.parse().ok()).unwrap_or(7);
    let n: usize = get("--n").and_then(|v| v.parse().ok()).unwrap_or(240);
    let max_rows: usize = get("--max-rows")
        .and_then(|v| v.parse().ok())
        .unwrap_or(1500);
    let out = PathBuf::from(
        get("--out").unwrap_or_else(|| concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus").into()),
    );
    std::fs::create_dir_all(&out)?;
    let mut labels = String::from("file,series,label,pattern,onset_unix,limit_bytes\n");
    let mut total = 0usize;
    for s in corpus::generate(seed, n) {
        let file = format!("{}.csv", s.name);
        let step = s.points.len().div_ceil(max_rows.max(2)).max(1);
        let mut text = format!("timestamp,{}\n", s.name);
        for p in s.points.iter().step_by(step) {
            let _ = writeln!(text, "{:.1},{:.0}", p.t, p.v);
        }
        total += text.len();
        std::fs::write(out.join(&file), text)?;
        let _ = writeln!(
            labels,
            "{file},{},{},{},{},{}",
            s.name,
            if s.leak { "leak" } else { "no_leak" },
            s.pattern.as_str(),
            s.onset.map_or(String::new(), |o| format!("{o:.0}")),
            s.limit_bytes.map_or(String::new(), |l| format!("{l:.0}")),
        );
    }
    std::fs::write(out.join("labels.csv"), labels)?;
    println!(
        "wrote {n} series ({:.1} MB) and labels.csv to {}",
        total as f64 / 1e6,
        out.display()
    );
    Ok(())
}
