//! A pprof `-top` [`Table`] as a [`HeapReport`] (the Heap JSON contract).

use std::collections::BTreeMap;

use super::merge::st;
use super::{Profile, Table};
use crate::{Column, Group, HeapReport, Options, Unit};

/// What kind of profile `p` is, from its sample types: `heap`, `allocs`, `goroutine`, `cpu`,
/// `mutex`/`block` (`contentions`), else the first sample type's name.
pub fn profile_kind(p: &Profile) -> String {
    let types: Vec<&str> = p.sample_type.iter().map(|vt| st(p, vt.r#type)).collect();
    if types.contains(&"inuse_space") {
        if st(p, p.default_sample_type) == "alloc_space" {
            "allocs".into()
        } else {
            "heap".into()
        }
    } else if types.contains(&"goroutine") {
        "goroutine".into()
    } else if types.contains(&"cpu") || types.contains(&"samples") {
        "cpu".into()
    } else if types.contains(&"contentions") {
        "contention".into()
    } else {
        types.first().map(|s| s.to_string()).unwrap_or_default()
    }
}

/// The report unit of a pprof unit string.
pub fn unit_of(unit: &str) -> Unit {
    match unit {
        "bytes" | "byte" | "B" => Unit::Bytes,
        _ => Unit::Count,
    }
}

/// pprof's percentage: |value / total| * 100 (0 when the total is 0).
pub fn pct(value: i64, total: i64) -> f64 {
    if total == 0 {
        0.0
    } else {
        (value as f64 / total as f64).abs() * 100.0
    }
}

/// Build the report of `table` (computed from `p`, with base subtracted for a diff).
pub fn build(
    p: &Profile,
    table: &Table,
    mode: &str,
    inputs: Vec<String>,
    opts: &Options,
) -> HeapReport {
    let mut rep = HeapReport::new("pprof", &profile_kind(p), mode, inputs);
    let unit = unit_of(&table.unit);
    rep.columns = vec![
        Column::new("flat", "flat", unit),
        Column::new("flat_pct", "flat%", Unit::Percent),
        Column::new("sum_pct", "sum%", Unit::Percent),
        Column::new("cum", "cum", unit),
        Column::new("cum_pct", "cum%", Unit::Percent),
    ];
    let mut sum = 0i64;
    let limit = if opts.limit == 0 {
        usize::MAX
    } else {
        opts.limit
    };
    for r in &table.rows {
        sum = sum.saturating_add(r.flat);
        if rep.groups.len() >= limit {
            continue;
        }
        let mut values = BTreeMap::new();
        values.insert("flat".to_owned(), r.flat as f64);
        values.insert("flat_pct".to_owned(), pct(r.flat, table.total));
        values.insert("sum_pct".to_owned(), pct(sum, table.total));
        values.insert("cum".to_owned(), r.cum as f64);
        values.insert("cum_pct".to_owned(), pct(r.cum, table.total));
        rep.groups.push(Group {
            name: r.name.clone(),
            location: None,
            values,
        });
    }
    rep.totals.insert("total".into(), table.total as f64);
    rep.totals.insert("shown_flat".into(), sum as f64);
    rep.totals.insert("nodes".into(), table.rows.len() as f64);
    rep.totals
        .insert("dropped_nodes".into(), table.dropped_nodes as f64);
    rep.notes.push(format!(
        "Type: {} ({}); percentages are of the total {} (sum of |value| over samples{})",
        table.sample_type,
        table.unit,
        table.total,
        if mode == "diff" {
            " of NEW minus BASE, as go tool pprof -base"
        } else {
            ""
        }
    ));
    if table.total == i64::MAX || sum == i64::MAX {
        rep.notes.push(
            "the values add up past the largest 64-bit integer, so totals and percentages are \
             capped there; the profile's values are corrupt"
                .to_owned(),
        );
    }
    if table.dropped_nodes > 0 {
        rep.notes.push(format!(
            "Dropped {} nodes whose |cum| is under 0.5% of the total, as go tool pprof -top does",
            table.dropped_nodes
        ));
    }
    if table.rows.len() > rep.groups.len() {
        rep.notes.push(format!(
            "showing {} of {} rows (--limit)",
            rep.groups.len(),
            table.rows.len()
        ));
    }
    rep
}

/// The sum of the chosen sample type in one profile.
fn sum_of(p: &Profile, sample_type: &str) -> Option<i64> {
    let vi = p
        .sample_type
        .iter()
        .position(|vt| st(p, vt.r#type) == sample_type)?;
    Some(
        p.sample
            .iter()
            .map(|s| s.value.get(vi).copied().unwrap_or(0))
            .fold(0i64, i64::saturating_add),
    )
}

/// Add `base_total`, `source_total` and `delta_total` of the shown sample type to a diff report.
pub fn add_diff_totals(rep: &mut HeapReport, base: &Profile, source: &Profile, table: &Table) {
    if let (Some(b), Some(s)) = (
        sum_of(base, &table.sample_type),
        sum_of(source, &table.sample_type),
    ) {
        rep.totals.insert("base_total".into(), b as f64);
        rep.totals.insert("source_total".into(), s as f64);
        rep.totals
            .insert("delta_total".into(), s.saturating_sub(b) as f64);
    }
    if base.period != source.period {
        rep.notes.push(format!(
            "the profiles were sampled at different rates (period {} vs {}); values are already un-sampled, so they still compare",
            base.period, source.period
        ));
    }
}
