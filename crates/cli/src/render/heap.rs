//! Heap reports (every snapshot/profile format) as tables for people. Names and paths come
//! from the files: everything printed goes through [`printable`] (the table does it for
//! its cells).

use leakscope_heap::{HeapReport, Unit};

use crate::render::escape::printable;
use crate::render::table::Table;
use crate::units;

/// The group table, then the ranked suspects with their retainer paths and advice.
pub fn report(r: &HeapReport) -> String {
    let mut out = String::new();
    let delta = r.mode == "diff";
    let mut headers: Vec<&str> = vec!["NAME"];
    headers.extend(r.columns.iter().map(|c| c.title.as_str()));
    let mut right = vec![false];
    right.extend(r.columns.iter().map(|_| true));
    let mut t = Table::new(&headers, &right);
    for g in &r.groups {
        let mut row = vec![match &g.location {
            Some(loc) => format!("{} ({loc})", g.name),
            None => g.name.clone(),
        }];
        for c in &r.columns {
            row.push(match g.values.get(&c.key) {
                Some(v) => value(*v, c.unit, delta && c.key.contains("delta")),
                None => String::new(),
            });
        }
        t.row(row);
    }
    let inputs: Vec<_> = r.inputs.iter().map(|i| printable(i)).collect();
    out.push_str(&format!(
        "{} {} {} of {}\n",
        printable(&r.format),
        printable(&r.profile),
        printable(&r.mode),
        inputs.join(" → ")
    ));
    if let Some(m) = &r.matching {
        out.push_str(&format!("matched by {}\n", printable(m)));
    }
    if !r.totals.is_empty() {
        let totals: Vec<String> = r
            .totals
            .iter()
            .map(|(k, v)| {
                let unit = if k.contains("size") || k.contains("bytes") || k.contains("space") {
                    Unit::Bytes
                } else {
                    Unit::Count
                };
                format!("{} {}", printable(k), value(*v, unit, false))
            })
            .collect();
        out.push_str(&format!("totals: {}\n", totals.join(", ")));
    }
    out.push('\n');
    if let Some(l) = &r.listing {
        // A listing replaces the group table, as `go tool pprof -list` prints only it.
        out.push_str(&listing(l));
    } else if t.is_empty() {
        out.push_str("(no groups)\n");
    } else {
        out.push_str(&t.render());
        out.push('\n');
    }
    if !r.suspects.is_empty() {
        out.push_str("\nSuspects, most likely first:\n");
        for (i, s) in r.suspects.iter().enumerate() {
            let growth = if s.pattern.contains("goroutine") {
                format!("{:+} goroutines", s.count_delta)
            } else {
                format!(
                    "{:+} objects, {}",
                    s.count_delta,
                    units::format_signed_bytes(s.size_delta as f64)
                )
            };
            out.push_str(&format!(
                "{}. {} — {}: {growth}\n",
                i + 1,
                printable(&s.pattern),
                printable(&s.name)
            ));
            if !s.retainer_path.is_empty() {
                let path: Vec<_> = s.retainer_path.iter().map(|p| printable(p)).collect();
                out.push_str(&format!("   path:   {}\n", path.join(" → ")));
            }
            if !s.advice.is_empty() {
                out.push_str(&format!("   advice: {}\n", printable(&s.advice)));
            }
        }
    } else if r.mode == "diff" {
        out.push_str("\nNo suspects: nothing grew in a way that looks like a leak.\n");
    }
    for n in &r.notes {
        out.push_str(&format!("note: {}\n", printable(n)));
    }
    out.trim_end().to_string()
}

/// A `--list` listing in `go tool pprof -list`'s layout: a header per function and file,
/// then `flat cum line:text`, `.` for no value.
fn listing(l: &leakscope_heap::pprof::list::Listing) -> String {
    let unit = leakscope_heap::pprof::report_unit(&l.unit);
    let v = |x: i64| value(x as f64, unit, false);
    let dot = |x: i64| if x == 0 { ".".to_string() } else { v(x) };
    let mut out = format!("Total: {}\n", v(l.total));
    for r in &l.routines {
        out.push_str(&format!(
            "ROUTINE ======================== {} in {}\n",
            printable(&r.function),
            printable(&r.file)
        ));
        let pct = if l.total == 0 {
            0.0
        } else {
            (r.cum as f64 / l.total as f64).abs() * 100.0
        };
        out.push_str(&format!(
            "{:>10} {:>10} (flat, cum) {pct:.2}% of Total\n",
            v(r.flat),
            v(r.cum)
        ));
        if let Some(e) = &r.error {
            out.push_str(&format!(" Error: {}\n", printable(e)));
        }
        for s in &r.lines {
            // Source text is shown with its tabs as spaces; anything else unsafe is escaped.
            out.push_str(&format!(
                "{:>10} {:>10} {:>6}:{}\n",
                dot(s.flat),
                dot(s.cum),
                s.line,
                printable(&s.text.replace('\t', "    "))
            ));
        }
    }
    out
}

fn value(v: f64, unit: Unit, signed: bool) -> String {
    match unit {
        Unit::Bytes if signed => units::format_signed_bytes(v),
        Unit::Bytes => units::format_bytes(v),
        Unit::Count if signed && v > 0.0 => format!("+{v:.0}"),
        Unit::Count => format!("{v:.0}"),
        Unit::Percent => format!("{v:.2}%"),
        Unit::Seconds => units::format_duration(v),
    }
}
