//! Fetching the full curves of chosen series and judging them: batches of series under the
//! server's sample limit, time chunks under the points limit, a few requests in flight on
//! plain threads, and bounded memory (one answer per worker, one recognizer per series of
//! the batch at hand).

use std::collections::{BTreeMap, BTreeSet, HashMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use leakscope_core::{Point, RecognizeOptions, Recognizer, Verdict};

use crate::labels::{self, quote, regex_escape, Labels, VectorSelector};
use crate::prom::{PromError, Prometheus};
use crate::range::{Grid, MAX_POINTS_PER_SERIES};
use crate::warmup::Warmup;

/// One series to fetch and judge.
#[derive(Debug, Clone)]
pub struct Wanted {
    /// The series' labels, as the query returns them.
    pub labels: Labels,
    /// Recognition options for it (its memory limit included).
    pub opts: RecognizeOptions,
}

/// A judged series, with the time of its first point (for "detected after").
#[derive(Debug, Clone)]
pub struct Judged {
    /// The series' labels.
    pub labels: Labels,
    /// The recognizer's verdict, named by the series' selector.
    pub verdict: Verdict,
    /// Time of the first point, unix seconds.
    pub first_t: f64,
    /// The points of the last [`Points::recent_seconds`] before the series' last point,
    /// oldest first (all of them, warm-up included).
    pub recent: Vec<Point>,
}

/// What happens to fetched points besides recognition.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Points {
    /// Points this long after a start inside the range or a restart are not judged (caches
    /// and pools fill then), seconds.
    pub warmup_seconds: f64,
    /// The points of this many seconds before each series' last point are handed back with
    /// its verdict (for alert rules over a recent window), seconds; 0 hands back none.
    pub recent_seconds: f64,
}

/// How fetching is spread out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FetchLimits {
    /// Requests in flight at once.
    pub concurrency: usize,
    /// Points per request at most (series × steps): bounds each answer's size
    /// (≈ 25 bytes of JSON per point) and stays under `--query.max-samples`.
    pub points_per_request: i64,
}

impl Default for FetchLimits {
    fn default() -> Self {
        Self {
            concurrency: 4,
            points_per_request: 250_000,
        }
    }
}

/// Labels with at most this many values in a batch also narrow a selector's batch query.
const NARROW_VALUES: usize = 8;

/// The expression that returns `query`'s series restricted to (a superset of) `batch`: when
/// `query` is a plain selector, a matcher on `key` with the batch's values, and one on each
/// other label the batch has few values of (so the sidecar beside a candidate is not fetched
/// with it); otherwise an `and on(key)` with literal label sets. An absent label matches as "".
pub fn narrowed(query: &str, key: &str, batch: &[&Labels]) -> String {
    let values_of = |k: &str| -> BTreeSet<String> {
        batch
            .iter()
            .map(|l| l.get(k).cloned().unwrap_or_default())
            .collect()
    };
    let values = values_of(key);
    if let Some(sel) = VectorSelector::parse(query) {
        let alt = |vals: &BTreeSet<String>| {
            let v: Vec<String> = vals.iter().map(|v| regex_escape(v)).collect();
            quote(&v.join("|"))
        };
        let mut matchers = vec![format!("{key}=~{}", alt(&values))];
        let names: BTreeSet<&String> = batch.iter().flat_map(|l| l.keys()).collect();
        for name in names {
            if name == key || name == labels::NAME {
                continue;
            }
            let vals = values_of(name);
            if vals.len() <= NARROW_VALUES {
                matchers.push(format!("{name}=~{}", alt(&vals)));
            }
        }
        return sel.with_matcher(&matchers.join(","));
    }
    let sets: Vec<String> = values
        .iter()
        .map(|v| {
            format!(
                "label_replace(vector(1), {}, {}, \"\", \"\")",
                quote(key),
                quote(v)
            )
        })
        .collect();
    format!("({query}) and on({key}) ({})", sets.join(" or "))
}

/// The label that tells the most series apart (most distinct values), the key batches are
/// narrowed by.
pub fn batch_key<'a>(all: impl Iterator<Item = &'a Labels>) -> String {
    let mut values: BTreeMap<&str, BTreeSet<&str>> = BTreeMap::new();
    for l in all {
        for (k, v) in l {
            if k != labels::NAME {
                values.entry(k).or_default().insert(v);
            }
        }
    }
    values
        .into_iter()
        .max_by_key(|(k, v)| (v.len(), std::cmp::Reverse(*k)))
        .map_or_else(|| labels::NAME.to_owned(), |(k, _)| k.to_owned())
}

/// Fetches every wanted series over `grid` and judges it, without the points of the warm-up
/// after a start inside the range or a restart (`points`); calls `on_judged` (on the calling
/// thread) as series are done. Fails on the first error that is not transient.
pub fn fetch_and_judge(
    prom: &Prometheus,
    query: &str,
    grid: &Grid,
    wanted: Vec<Wanted>,
    limits: FetchLimits,
    points: Points,
    mut on_judged: impl FnMut(Judged),
) -> Result<(), PromError> {
    if wanted.is_empty() {
        return Ok(());
    }
    let key = batch_key(wanted.iter().map(|w| &w.labels));
    let per_series = grid.points().min(MAX_POINTS_PER_SERIES);
    let batch_len = (limits.points_per_request / per_series.max(1)).max(1) as usize;
    let batches = batches(wanted, &key, batch_len);
    let next = AtomicUsize::new(0);
    let stop = AtomicBool::new(false);
    let (tx, rx) = mpsc::channel::<Result<Judged, PromError>>();
    std::thread::scope(|s| {
        for _ in 0..limits.concurrency.clamp(1, 64).min(batches.len()) {
            let tx = tx.clone();
            let (batches, next, stop, key) = (&batches, &next, &stop, &key);
            s.spawn(move || loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= batches.len() || stop.load(Ordering::Relaxed) {
                    break;
                }
                let res = run_batch(prom, query, grid, key, points, batches[i].clone(), &tx);
                if let Err(e) = res {
                    stop.store(true, Ordering::Relaxed);
                    let _ = tx.send(Err(e));
                    break;
                }
            });
        }
        drop(tx);
        let mut first_err = None;
        for msg in rx {
            match msg {
                Ok(j) => on_judged(j),
                Err(e) => {
                    first_err.get_or_insert(e);
                }
            }
        }
        first_err.map_or(Ok(()), Err)
    })
}

fn without_name(l: &Labels) -> Labels {
    let mut l = l.clone();
    l.remove(labels::NAME);
    l
}

/// Wanted series grouped so that series sharing a key value share a batch.
fn batches(mut wanted: Vec<Wanted>, key: &str, batch_len: usize) -> Vec<Vec<Wanted>> {
    let value = |w: &Wanted| w.labels.get(key).cloned().unwrap_or_default();
    wanted.sort_by_key(value);
    let mut out: Vec<Vec<Wanted>> = Vec::new();
    let mut cur: Vec<Wanted> = Vec::new();
    let mut i = 0;
    while i < wanted.len() {
        let v = value(&wanted[i]);
        let mut j = i;
        while j < wanted.len() && value(&wanted[j]) == v {
            j += 1;
        }
        if !cur.is_empty() && cur.len() + (j - i) > batch_len {
            out.push(std::mem::take(&mut cur));
        }
        cur.extend(wanted[i..j].iter().cloned());
        i = j;
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// Fetches and judges one batch; halves it when the server says it loads too many samples.
fn run_batch(
    prom: &Prometheus,
    query: &str,
    grid: &Grid,
    key: &str,
    points: Points,
    batch: Vec<Wanted>,
    tx: &mpsc::Sender<Result<Judged, PromError>>,
) -> Result<(), PromError> {
    let mut stack = vec![batch];
    while let Some(batch) = stack.pop() {
        match judge_batch(prom, query, grid, key, points, &batch) {
            Ok(judged) => {
                for j in judged {
                    let _ = tx.send(Ok(j));
                }
            }
            Err(e) if e.is_too_many_samples() && batch.len() > 1 => {
                let mut a = batch;
                let b = a.split_off(a.len() / 2);
                stack.push(b);
                stack.push(a);
            }
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn judge_batch(
    prom: &Prometheus,
    query: &str,
    grid: &Grid,
    key: &str,
    points: Points,
    batch: &[Wanted],
) -> Result<Vec<Judged>, PromError> {
    let warmup_seconds = points.warmup_seconds;
    let all: Vec<&Labels> = batch.iter().map(|w| &w.labels).collect();
    let expr = narrowed(query, key, &all);
    // Matched without the metric name: range functions in the screen drop it, a selector's
    // range query keeps it.
    let index: HashMap<Labels, usize> = batch
        .iter()
        .enumerate()
        .map(|(i, w)| (without_name(&w.labels), i))
        .collect();
    type State = (Recognizer, f64, Warmup, Labels, VecDeque<Point>);
    let mut recognizers: Vec<Option<State>> = vec![None; batch.len()];
    for chunk in grid.chunks(MAX_POINTS_PER_SERIES) {
        for s in prom.query_range(&expr, &chunk)? {
            let Some(&i) = index.get(&without_name(&s.labels)) else {
                continue;
            };
            let (r, _, warm, _, recent) = recognizers[i].get_or_insert_with(|| {
                let first = s.points.first().map_or(f64::NAN, |p| p.t);
                (
                    Recognizer::new(labels::selector(&s.labels), batch[i].opts.clone()),
                    first,
                    Warmup::new(warmup_seconds, grid.start as f64),
                    s.labels.clone(),
                    VecDeque::new(),
                )
            });
            for p in s.points {
                if points.recent_seconds > 0.0 {
                    while recent
                        .front()
                        .is_some_and(|f| f.t < p.t - points.recent_seconds)
                    {
                        recent.pop_front();
                    }
                    recent.push_back(p);
                }
                if warm.keep(p) {
                    r.push(p);
                }
            }
        }
    }
    Ok(recognizers
        .into_iter()
        .filter_map(|r| {
            r.map(|(r, first_t, warm, labels, recent)| {
                let mut verdict = r.verdict();
                if warm.dropped > 0 {
                    verdict.reasons.push(format!(
                        "{} point(s) of warm-up ({:.0} min after a start or restart) not judged",
                        warm.dropped,
                        warmup_seconds / 60.0
                    ));
                }
                Judged {
                    labels,
                    verdict,
                    first_t,
                    recent: recent.into(),
                }
            })
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn narrowing_adds_a_matcher_or_an_and() {
        let a = l(&[("pod", "a.1"), ("container", "app")]);
        let b = l(&[("pod", "b"), ("container", "app")]);
        assert_eq!(
            narrowed(r#"m{ns="x"}"#, "pod", &[&a, &b]),
            r#"m{ns="x",pod=~"a\\.1|b",container=~"app"}"#
        );
        // A label some series lack matches as "" (absent).
        let c = l(&[("pod", "c")]);
        assert_eq!(
            narrowed("m", "pod", &[&a, &c]),
            r#"m{pod=~"a\\.1|c",container=~"|app"}"#
        );
        assert_eq!(
            narrowed("sum by (pod) (m)", "pod", &[&a, &b]),
            r#"(sum by (pod) (m)) and on(pod) (label_replace(vector(1), "pod", "a.1", "", "") or label_replace(vector(1), "pod", "b", "", ""))"#
        );
    }

    #[test]
    fn the_key_is_the_most_telling_label_and_batches_keep_values_together() {
        let all = [
            l(&[("__name__", "m"), ("ns", "a"), ("pod", "1")]),
            l(&[("__name__", "m"), ("ns", "a"), ("pod", "2")]),
            l(&[("__name__", "m"), ("ns", "b"), ("pod", "3"), ("c", "x")]),
            l(&[("__name__", "m"), ("ns", "b"), ("pod", "3"), ("c", "y")]),
        ];
        assert_eq!(batch_key(all.iter()), "pod");
        let wanted: Vec<Wanted> = all
            .iter()
            .map(|l| Wanted {
                labels: l.clone(),
                opts: RecognizeOptions::default(),
            })
            .collect();
        let b = batches(wanted, "pod", 2);
        let sizes: Vec<usize> = b.iter().map(Vec::len).collect();
        assert_eq!(sizes, vec![2, 2]);
        assert!(b[1].iter().all(|w| w.labels["pod"] == "3"));
    }
}
