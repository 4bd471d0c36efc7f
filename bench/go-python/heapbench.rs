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
    if args.first().map(String::as_str) == Some("tmphases") && files.len() == 1 {
        tm_phases(&files[0]);
        return;
    }
    if args.first().map(String::as_str) == Some("phases") && files.len() == 2 {
        phases(&files[0], &files[1]);
        return;
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

/// `heapbench phases OLD NEW`: time each step of a pprof diff (stderr).
fn phases(old: &std::path::Path, new: &std::path::Path) {
    use leakscope_heap::pprof::{self, graph, merge};
    let t = Instant::now();
    let (Ok(a), Ok(b)) = (std::fs::read(old), std::fs::read(new)) else {
        eprintln!("cannot read inputs");
        return;
    };
    let lap = |what: &str, t: &mut Instant| {
        eprintln!("{what}: {:.3} s", t.elapsed().as_secs_f64());
        *t = Instant::now();
    };
    let mut t = t;
    lap("read", &mut t);
    let (Ok(ra), Ok(rb)) = (
        pprof::decode::gunzip_capped(&a, 1 << 31),
        pprof::decode::gunzip_capped(&b, 1 << 31),
    ) else {
        return;
    };
    lap("gunzip", &mut t);
    let (Ok(pa), Ok(pb)) = (pprof::parse_profile(&ra), pprof::parse_profile(&rb)) else {
        return;
    };
    lap("decode+validate", &mut t);
    let m = merge::merge(&[(&pb, 1), (&pa, -1)]);
    lap("merge", &mut t);
    let g = graph::Graph::new(&m, graph::Granularity::Functions);
    lap("graph", &mut t);
    let (f, c, e) = g.weigh_inline(&m, 3, true);
    lap("weigh", &mut t);
    let (rows, _) = graph::top_rows(&g, &f, &c, &e, false, 0.005);
    lap("rows", &mut t);
    eprintln!("{} samples merged, {} rows", m.samples.len(), rows.len());
}

/// `heapbench tmphases DUMP`: time each step of reading and summarizing a tracemalloc dump.
fn tm_phases(path: &std::path::Path) {
    use leakscope_heap::tracemalloc::{self, KeyType};
    let mut t = Instant::now();
    let lap = |what: &str, t: &mut Instant| {
        eprintln!("{what}: {:.3} s", t.elapsed().as_secs_f64());
        *t = Instant::now();
    };
    let Ok(bytes) = std::fs::read(path) else {
        return;
    };
    lap("read", &mut t);
    let Ok((_, arena)) = tracemalloc::pickle::unpickle(&bytes) else {
        return;
    };
    lap("unpickle", &mut t);
    drop(arena);
    lap("drop arena", &mut t);
    let Ok(s) = tracemalloc::parse_dump(&bytes) else {
        return;
    };
    lap("unpickle+snapshot", &mut t);
    let st = tracemalloc::statistics(&s, KeyType::Lineno, false);
    lap("statistics(lineno)", &mut t);
    let tb = tracemalloc::statistics(&s, KeyType::Traceback, false);
    lap("statistics(traceback)", &mut t);
    eprintln!("{} traces, {} lineno groups, {} tracebacks", s.traces.len(), st.len(), tb.len());
}
