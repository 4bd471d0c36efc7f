//! `heapbench top FILE [--by KEY]` / `heapbench diff OLD NEW [--by KEY]`: run leakscope-heap's
//! `heap top`/`heap diff` once and print the first groups and suspects as JSON (timings on
//! stderr), so the benchmark measures exactly what `leakscope heap` does without its CLI.

use std::path::PathBuf;
use std::time::Instant;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let mut opts = leakscope_heap::Options::default();
    let mut files = Vec::new();
    let mut it = args.iter().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--by" => opts.by = it.next().cloned(),
            "--sample-index" => opts.sample_index = it.next().cloned(),
            other => files.push(PathBuf::from(other)),
        }
    }
    let t = Instant::now();
    let rep = match args.first().map(String::as_str) {
        Some("top") if files.len() == 1 => leakscope_heap::top(&files[0], &opts),
        Some("diff") if files.len() >= 2 => leakscope_heap::diff(&files, &opts),
        _ => {
            eprintln!("usage: heapbench top FILE | diff OLD NEW [--by KEY] [--sample-index NAME]");
            std::process::exit(2);
        }
    };
    let elapsed = t.elapsed();
    match rep {
        Ok(mut r) => {
            r.groups.truncate(10);
            eprintln!("heapbench: {:.3} s", elapsed.as_secs_f64());
            match serde_json::to_string_pretty(&r) {
                Ok(s) => println!("{s}"),
                Err(e) => eprintln!("json: {e}"),
            }
        }
        Err(e) => {
            eprintln!("heapbench: {e}");
            std::process::exit(2);
        }
    }
}
