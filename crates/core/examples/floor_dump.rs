//! Dump the whole-series floor (as `explain` reads it) of every series of a gen2 split, one
//! JSON line each: file, label, pattern, verdict, floor points [[t, v]...], restarts.
//!
//! ```text
//! cargo run --release -p leakscope-core --example floor_dump -- DIR
//! ```

mod common;

use leakscope_core::{Recognizer, VerdictKind};
use rayon::prelude::*;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(dir) = args.first() else {
        return eprintln!("usage: floor_dump DIR");
    };
    let series = common::split(std::path::Path::new(dir), &args[1..]);
    let rows: Vec<String> = series
        .par_iter()
        .map(|s| {
            let points = common::read_points(&s.path).expect("the series file");
            let mut r = Recognizer::new("s", s.options());
            for p in &points {
                r.push(*p);
            }
            let e = r.explain();
            let floor: Vec<String> = e
                .floor
                .iter()
                .map(|p| format!("[{},{}]", p.t, p.v))
                .collect();
            let restarts: Vec<String> = e.restarts_at.iter().map(|t| t.to_string()).collect();
            format!(
                "{{\"file\":\"{}\",\"leak\":{},\"pattern\":\"{}\",\"flag\":{},\"floor\":[{}],\"restarts\":[{}]}}",
                s.file,
                s.leak,
                s.pattern,
                e.verdict.verdict == VerdictKind::Leak,
                floor.join(","),
                restarts.join(",")
            )
        })
        .collect();
    for r in rows {
        println!("{r}");
    }
}
