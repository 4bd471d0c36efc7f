//! Shared by the pprof tests: parse `go tool pprof -top` text and compare it with our tables.
#![allow(dead_code)]

use std::path::{Path, PathBuf};

use leakscope_heap::pprof::{self, Granularity, TopQuery};

/// tests/fixtures/go in the repository.
pub fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/go")
}

/// One row of pprof's `-top` text.
#[derive(Debug, Clone, PartialEq)]
pub struct GoRow {
    pub flat: String,
    pub flat_pct: String,
    pub cum: String,
    pub cum_pct: String,
    pub name: String,
}

/// pprof's `-top` text: the total from the header, dropped-node count, rows.
#[derive(Debug, Clone, PartialEq)]
pub struct GoTop {
    pub total: String,
    pub dropped: usize,
    pub rows: Vec<GoRow>,
}

pub fn parse_go_top(text: &str) -> GoTop {
    let mut total = String::new();
    let mut dropped = 0;
    let mut rows = Vec::new();
    let mut in_rows = false;
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("Showing nodes accounting for ") {
            total = rest
                .rsplit(" of ")
                .next()
                .unwrap_or("")
                .trim_end_matches(" total")
                .to_owned();
        } else if let Some(rest) = line.strip_prefix("Dropped ") {
            dropped = rest.split(' ').next().unwrap_or("0").parse().unwrap_or(0);
        } else if line.trim_start().starts_with("flat  flat%") {
            in_rows = true;
        } else if in_rows && !line.trim().is_empty() {
            let toks: Vec<&str> = line.split_whitespace().collect();
            assert!(toks.len() >= 6, "bad row {line:?}");
            rows.push(GoRow {
                flat: toks[0].to_owned(),
                flat_pct: toks[1].to_owned(),
                cum: toks[3].to_owned(),
                cum_pct: toks[4].to_owned(),
                name: toks[5..].join(" "),
            });
        }
    }
    GoTop {
        total,
        dropped,
        rows,
    }
}

/// pprof's `measurement.Percentage`.
pub fn go_pct(value: i64, total: i64) -> String {
    let ratio = if total != 0 {
        (value as f64 / total as f64).abs() * 100.0
    } else {
        0.0
    };
    if (99.95..=100.05).contains(&ratio) {
        "100%".to_owned()
    } else if ratio >= 1.0 {
        format!("{ratio:.2}%")
    } else {
        // %5.2g: two significant digits, trailing zeros dropped.
        let s = format_g2(ratio);
        format!("{s}%")
    }
}

fn format_g2(x: f64) -> String {
    if x == 0.0 {
        return "0".into();
    }
    let exp = x.abs().log10().floor() as i32;
    if !(-4..2).contains(&exp) {
        let s = format!("{x:.1e}");
        // Go prints e-05 style
        let (m, e) = s.split_once('e').unwrap_or((&s, "0"));
        let e: i32 = e.parse().unwrap_or(0);
        let m = m.trim_end_matches('0').trim_end_matches('.');
        return format!("{m}e{}{:02}", if e < 0 { '-' } else { '+' }, e.abs());
    }
    let decimals = (1 - exp).max(0) as usize;
    let s = format!("{x:.decimals$}");
    if s.contains('.') {
        s.trim_end_matches('0').trim_end_matches('.').to_owned()
    } else {
        s
    }
}

/// A value as pprof prints it with `-unit=B` (bytes) or for counts.
pub fn go_value(v: i64, bytes: bool) -> String {
    if v == 0 {
        "0".into()
    } else if bytes {
        format!("{v}B")
    } else {
        format!("{v}")
    }
}

/// Compare our table for `source` (- `base`) with pprof's text, exactly.
pub fn assert_same(go_text: &str, source: &Path, base: Option<&Path>, q: &TopQuery) {
    let go = parse_go_top(go_text);
    let src = pprof::read_profile(source).expect("source parses");
    let b = base.map(|b| pprof::read_profile(b).expect("base parses"));
    let t = pprof::top_table(&src, b.as_ref(), q).expect("table");
    let bytes = t.unit == "bytes";
    assert_eq!(go.total, go_value(t.total, bytes), "total");
    assert_eq!(go.dropped, t.dropped_nodes, "dropped nodes");
    let ours: Vec<GoRow> = t
        .rows
        .iter()
        .map(|r| GoRow {
            flat: go_value(r.flat, bytes),
            flat_pct: go_pct(r.flat, t.total),
            cum: go_value(r.cum, bytes),
            cum_pct: go_pct(r.cum, t.total),
            name: match r.inline {
                Some(mark) => format!("{} {mark}", r.name),
                None => r.name.clone(),
            },
        })
        .collect();
    assert_eq!(
        go.rows.len(),
        ours.len(),
        "row count\n go: {:#?}\n us: {:#?}",
        go.rows,
        ours
    );
    for (g, o) in go.rows.iter().zip(&ours) {
        assert_eq!(g, o);
    }
}

/// A query.
pub fn q(g: Granularity, index: Option<&str>, cum: bool, all: bool) -> TopQuery {
    TopQuery {
        granularity: g,
        sample_index: index.map(str::to_owned),
        cum_sort: cum,
        node_fraction: if all { 0.0 } else { 0.005 },
    }
}
