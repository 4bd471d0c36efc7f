//! The fleet benchmark's measuring parts (bench/fleet/run.sh drives them, one process each so
//! that peak RSS is per method):
//!
//! ```text
//! fleet_bench naive URL QUERY START END STEP CONCURRENCY TRUTH  # one query_range per series, judged
//! fleet_bench rule URL EXPR END TRUTH                           # a Prometheus-only rule, instant
//! fleet_bench score VERDICTS.json TRUTH                         # leakscope's JSON against the labels
//! fleet_bench compare SCREENED.json FULL.json                   # leaks the screen lost (must be 0)
//! ```
//!
//! Each prints one JSON line: wall seconds, queries, bytes, and TP/FP/TN/FN, recall,
//! precision against `truth.jsonl` (from gen_fleet).

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

use leakscope_core::{recognize, RecognizeOptions, VerdictKind};
use leakscope_fleet::labels::{selector, Labels};
use leakscope_fleet::range::Grid;
use leakscope_fleet::{Endpoint, Prometheus};

type Truth = HashMap<Labels, bool>;

fn truth(path: &str) -> Result<Truth, Box<dyn std::error::Error>> {
    let mut t = HashMap::new();
    for line in std::fs::read_to_string(path)?.lines() {
        let v: serde_json::Value = serde_json::from_str(line)?;
        let mut l: Labels = serde_json::from_value(v["labels"].clone())?;
        l.remove("__name__");
        t.insert(l, v["leak"].as_bool().unwrap_or(false));
    }
    Ok(t)
}

/// Confusion counts of `flagged` (label sets called leaks, among `judged`) against the truth.
fn score(truth: &Truth, judged: &BTreeMap<Labels, bool>) -> serde_json::Value {
    let (mut tp, mut fp, mut tn, mut fne, mut missing) = (0, 0, 0, 0, 0);
    for (l, &leak) in truth {
        let Some(&flag) = judged.get(l) else {
            missing += 1;
            if leak {
                fne += 1;
            }
            continue;
        };
        match (leak, flag) {
            (true, true) => tp += 1,
            (false, true) => fp += 1,
            (false, false) => tn += 1,
            (true, false) => fne += 1,
        }
    }
    let f = |a: i32, b: i32| {
        if a + b > 0 {
            a as f64 / (a + b) as f64
        } else {
            0.0
        }
    };
    serde_json::json!({"tp": tp, "fp": fp, "tn": tn, "fn": fne, "unjudged": missing,
        "recall": f(tp, fne), "precision": f(tp, fp), "fpr": f(fp, tn)})
}

fn strip(mut l: Labels) -> Labels {
    l.remove("__name__");
    l
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let a: Vec<String> = std::env::args().skip(1).collect();
    let arg = |i: usize| {
        a.get(i)
            .cloned()
            .ok_or("missing argument; see the file's doc")
    };
    match arg(0)?.as_str() {
        "naive" => {
            let (url, query) = (arg(1)?, arg(2)?);
            let (start, end, step): (i64, i64, i64) =
                (arg(3)?.parse()?, arg(4)?.parse()?, arg(5)?.parse()?);
            let conc: usize = arg(6)?.parse()?;
            let t = truth(&arg(7)?)?;
            let prom = Prometheus::new(Endpoint::new(url))?;
            let grid = Grid::new(start, end, step).ok_or("empty grid")?;
            let clock = Instant::now();
            // The series list, then one range query per series.
            let list = prom.query(
                &format!("last_over_time({query}[{}s])", grid.span()),
                end as f64,
            )?;
            let metric = query.split('{').next().unwrap_or("").trim().to_owned();
            let series: Vec<Labels> = list
                .into_iter()
                .map(|s| {
                    let mut l = s.labels;
                    l.insert("__name__".into(), metric.clone());
                    l
                })
                .collect();
            let next = AtomicUsize::new(0);
            let judged = Mutex::new(BTreeMap::new());
            let opts = RecognizeOptions::default();
            std::thread::scope(|s| {
                for _ in 0..conc {
                    s.spawn(|| loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(l) = series.get(i) else { break };
                        let Ok(data) = prom.query_range(&selector(l), &grid) else {
                            continue;
                        };
                        for d in data {
                            let v = recognize(&selector(&d.labels), &d.points, &opts);
                            if let Ok(mut j) = judged.lock() {
                                j.insert(strip(d.labels), v.verdict == VerdictKind::Leak);
                            }
                        }
                    });
                }
            });
            let judged = judged.into_inner().map_err(|_| "poisoned")?;
            println!(
                "{}",
                serde_json::json!({"method": "naive", "wall_s": clock.elapsed().as_secs_f64(),
                    "series": series.len(), "queries": prom.stats().queries(),
                    "bytes": prom.stats().bytes(), "score": score(&t, &judged)})
            );
        }
        "rule" => {
            let (url, expr) = (arg(1)?, arg(2)?);
            let end: f64 = arg(3)?.parse()?;
            let t = truth(&arg(4)?)?;
            let prom = Prometheus::new(Endpoint::new(url))?;
            let clock = Instant::now();
            let fired = prom.query(&expr, end)?;
            let wall = clock.elapsed().as_secs_f64();
            let mut judged: BTreeMap<Labels, bool> = t.keys().map(|l| (l.clone(), false)).collect();
            for s in fired {
                judged.insert(strip(s.labels), true);
            }
            println!(
                "{}",
                serde_json::json!({"method": "rule", "expr": expr, "wall_s": wall,
                    "fired": judged.values().filter(|v| **v).count(),
                    "bytes": prom.stats().bytes(), "score": score(&t, &judged)})
            );
        }
        "score" => {
            let doc: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(arg(1)?)?)?;
            let t = truth(&arg(2)?)?;
            let mut judged = BTreeMap::new();
            let mut screened = 0;
            let mut screened_leaks = 0;
            for v in doc["series"].as_array().ok_or("no series")? {
                let l: Labels = serde_json::from_value(v["labels"].clone())?;
                let leak = v["verdict"] == "leak";
                if v["screened_out"] == true {
                    screened += 1;
                    if t.get(&strip(l.clone())).copied().unwrap_or(false) {
                        screened_leaks += 1;
                    }
                }
                judged.insert(strip(l), leak);
            }
            println!(
                "{}",
                serde_json::json!({"method": "leakscope", "screened_out": screened,
                    "labeled_leaks_screened_out": screened_leaks, "score": score(&t, &judged)})
            );
        }
        "compare" => {
            let read =
                |p: String| -> Result<BTreeMap<Labels, (bool, bool)>, Box<dyn std::error::Error>> {
                    let doc: serde_json::Value =
                        serde_json::from_str(&std::fs::read_to_string(p)?)?;
                    let mut m = BTreeMap::new();
                    for v in doc["series"].as_array().ok_or("no series")? {
                        let l: Labels = serde_json::from_value(v["labels"].clone())?;
                        m.insert(l, (v["verdict"] == "leak", v["screened_out"] == true));
                    }
                    Ok(m)
                };
            let (screened, full) = (read(arg(1)?)?, read(arg(2)?)?);
            let lost: Vec<String> = full
                .iter()
                .filter(|(l, (leak, _))| *leak && screened.get(*l).is_none_or(|(s, _)| !s))
                .map(|(l, _)| selector(l))
                .collect();
            let differ = full
                .iter()
                .filter(|(l, (leak, _))| screened.get(*l).is_some_and(|(s, _)| s != leak))
                .count();
            println!(
                "{}",
                serde_json::json!({"full_leaks": full.values().filter(|v| v.0).count(),
                    "lost_by_screen": lost.len(), "lost": lost, "verdicts_differ": differ,
                    "series_screened": screened.len(), "series_full": full.len()})
            );
        }
        other => return Err(format!("unknown mode {other}").into()),
    }
    Ok(())
}
