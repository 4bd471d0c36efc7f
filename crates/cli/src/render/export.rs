//! Stored series as text: CSV in the series CSV contract, and OpenMetrics for Prometheus.

use std::collections::BTreeMap;
use std::io::{self, Write};

/// A CSV cell, quoted per RFC 4180 when it holds a comma, a quote or a line break.
pub fn csv_cell(s: &str) -> String {
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_owned()
    }
}

/// The header row: `timestamp`, then one column per series.
pub fn csv_header(w: &mut impl Write, columns: &[String]) -> io::Result<()> {
    w.write_all(b"timestamp")?;
    for c in columns {
        write!(w, ",{}", csv_cell(c))?;
    }
    w.write_all(b"\n")
}

/// One row: the time (unix seconds) and each series' value, blank where it has none.
pub fn csv_row(w: &mut impl Write, t: f64, values: &[Option<f64>]) -> io::Result<()> {
    write!(w, "{t}")?;
    for v in values {
        match v {
            Some(v) => write!(w, ",{v}")?,
            None => w.write_all(b",")?,
        }
    }
    w.write_all(b"\n")
}

/// The OpenMetrics name of a field: `leakscope_` and the field, with every character a metric
/// name cannot hold replaced by `_`.
pub fn metric_name(field: &str) -> String {
    let mut name = String::from("leakscope_");
    name.extend(field.chars().map(|c| {
        if c.is_ascii_alphanumeric() || c == '_' || c == ':' {
            c
        } else {
            '_'
        }
    }));
    name
}

/// A label value with `\`, `"` and line breaks escaped.
pub fn label_value(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// What a member of a metric family carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    /// Raw samples, and each downsampled bucket's mean.
    Value,
    /// Each downsampled bucket's minimum.
    Min,
    /// Each downsampled bucket's maximum.
    Max,
}

/// A series to write: its target, kind, field, and whether it has downsampled buckets.
#[derive(Debug, Clone)]
pub struct Series {
    pub target: String,
    pub kind: String,
    pub field: String,
    pub downsampled: bool,
}

/// One metric family: its name, help text, and members (series index, role, label set).
#[derive(Debug)]
pub struct Family {
    pub name: String,
    pub help: String,
    pub members: Vec<(usize, Role, String)>,
}

/// Group `series` into families: `leakscope_FIELD` (values), `leakscope_FIELD_min` and
/// `_max` (for series with buckets). Labels are `target` and `kind`; where two members of a
/// family would have the same labels (two fields with one metric name), `field` is added.
pub fn families(series: &[Series]) -> Vec<Family> {
    let mut by_name: BTreeMap<String, Vec<(usize, Role)>> = BTreeMap::new();
    for (i, s) in series.iter().enumerate() {
        let base = metric_name(&s.field);
        if s.downsampled {
            by_name
                .entry(format!("{base}_min"))
                .or_default()
                .push((i, Role::Min));
            by_name
                .entry(format!("{base}_max"))
                .or_default()
                .push((i, Role::Max));
        }
        by_name.entry(base).or_default().push((i, Role::Value));
    }
    by_name
        .into_iter()
        .map(|(name, members)| {
            let plain = |i: usize| (series[i].target.as_str(), series[i].kind.as_str());
            let mut seen = std::collections::HashSet::new();
            let clash = !members.iter().all(|&(i, _)| seen.insert(plain(i)));
            let role = members[0].1;
            let members = members
                .into_iter()
                .map(|(i, r)| {
                    let s = &series[i];
                    let mut labels = format!("target=\"{}\",kind=\"{}\"", label_value(&s.target), label_value(&s.kind));
                    if clash {
                        labels.push_str(&format!(",field=\"{}\"", label_value(&s.field)));
                    }
                    (i, r, labels)
                })
                .collect();
            let help = match role {
                Role::Value => "A series stored by leakscope: raw samples, then for older, downsampled periods the mean of each bucket at its midpoint.",
                Role::Min => "The minimum (floor) of each downsampled bucket of a series stored by leakscope, at the bucket's midpoint.",
                Role::Max => "The maximum of each downsampled bucket of a series stored by leakscope, at the bucket's midpoint.",
            };
            Family {
                name,
                help: help.to_owned(),
                members,
            }
        })
        .collect()
}

/// The `# TYPE` and `# HELP` lines of a gauge family.
pub fn om_family(w: &mut impl Write, f: &Family) -> io::Result<()> {
    writeln!(w, "# TYPE {} gauge", f.name)?;
    writeln!(w, "# HELP {} {}", f.name, f.help)
}

/// One sample line: `name{labels} value timestamp`.
pub fn om_sample(w: &mut impl Write, name: &str, labels: &str, v: f64, t: f64) -> io::Result<()> {
    writeln!(w, "{name}{{{labels}}} {v} {t}")
}

/// The end of an OpenMetrics exposition.
pub fn om_end(w: &mut impl Write) -> io::Result<()> {
    w.write_all(b"# EOF\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn series(target: &str, field: &str, downsampled: bool) -> Series {
        Series {
            target: target.into(),
            kind: "pid".into(),
            field: field.into(),
            downsampled,
        }
    }

    #[test]
    fn names_cells_and_labels() {
        assert_eq!(metric_name("rss_bytes"), "leakscope_rss_bytes");
        assert_eq!(
            metric_name("jvm{area=\"heap\"}"),
            "leakscope_jvm_area__heap__"
        );
        assert_eq!(csv_cell("svc, prod"), "\"svc, prod\"");
        assert_eq!(csv_cell("a\"b"), "\"a\"\"b\"");
        assert_eq!(label_value("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
        let mut out = Vec::new();
        csv_row(&mut out, 1_700_000_000.5, &[Some(5.2e7), None, Some(0.25)]).expect("write");
        assert_eq!(
            String::from_utf8_lossy(&out),
            "1700000000.5,52000000,,0.25\n"
        );
    }

    #[test]
    fn families_group_and_disambiguate() {
        let s = vec![
            series("api", "rss_bytes", true),
            series("db", "rss_bytes", false),
            series("api", "a.b", false),
            series("api", "a_b", false),
        ];
        let f = families(&s);
        let names: Vec<&str> = f.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "leakscope_a_b",
                "leakscope_rss_bytes",
                "leakscope_rss_bytes_max",
                "leakscope_rss_bytes_min"
            ]
        );
        assert_eq!(f[0].members.len(), 2);
        assert!(
            f[0].members[0].2.contains("field=\"a.b\""),
            "{:?}",
            f[0].members
        );
        assert_eq!(f[1].members[0].2, "target=\"api\",kind=\"pid\"");
        assert_eq!(
            f[3].members,
            vec![(0, Role::Min, "target=\"api\",kind=\"pid\"".to_owned())]
        );
    }
}
