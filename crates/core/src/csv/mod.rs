//! The series CSV contract of DESIGN.md, read in a streaming way.
//!
//! A header row; the first column is the timestamp (unix seconds, integer or fractional, or
//! RFC 3339 such as `2024-05-01T12:00:00Z`); each further column is one series, in bytes,
//! named by its header. Blank or unparsable cells and timestamps going backwards are errors
//! naming the line (1-based) and column, unless [`CsvOptions::skip_bad_rows`] is set, in which
//! case the row is skipped and counted. Equal timestamps are allowed. A UTF-8 BOM, CRLF line
//! ends, blank lines and quotes around header names and cells are accepted.
//!
//! [`read_series_csv`] hands each row to a callback, so a file of several GB is analyzed in
//! bounded memory; [`read_all`] collects everything into [`Series`] for small files.

use crate::series::{Point, Series};
use std::io::BufRead;

/// How to read a series CSV.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvOptions {
    /// Skip (and count) rows with a blank or unparsable cell, a wrong number of cells or a
    /// timestamp before the previous row's, instead of failing.
    pub skip_bad_rows: bool,
}

/// What a read saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CsvSummary {
    /// Series names: the header cells after the timestamp column.
    pub columns: Vec<String>,
    /// Data rows handed to the callback.
    pub rows: u64,
    /// Rows skipped under [`CsvOptions::skip_bad_rows`].
    pub skipped: u64,
}

/// Why a series CSV could not be read. Lines are 1-based, counting the header as line 1.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// Reading failed.
    #[error("cannot read the CSV: {0}")]
    Io(#[from] std::io::Error),
    /// The input has no header row.
    #[error("the CSV is empty: expected a header row `timestamp,<series>...`")]
    Empty,
    /// The header has no series column.
    #[error("line {line}: the header needs a timestamp column and at least one series column")]
    NoSeriesColumn {
        /// Line of the header.
        line: u64,
    },
    /// There is a header but no data row.
    #[error("the CSV has a header but no data rows")]
    NoRows,
    /// A row has a different number of cells than the header.
    #[error("line {line}: expected {expected} cells like the header, found {found}")]
    FieldCount {
        /// Offending line.
        line: u64,
        /// Cells in the header.
        expected: usize,
        /// Cells in this row.
        found: usize,
    },
    /// A timestamp is blank or neither a number nor RFC 3339.
    #[error("line {line}: bad timestamp {value:?} (expected unix seconds or RFC 3339)")]
    BadTimestamp {
        /// Offending line.
        line: u64,
        /// The cell as written.
        value: String,
    },
    /// A value cell is blank, not a number, or not finite.
    #[error("line {line}, column {column:?}: bad value {value:?} (expected a number of bytes)")]
    BadValue {
        /// Offending line.
        line: u64,
        /// Header name of the column.
        column: String,
        /// The cell as written.
        value: String,
    },
    /// A timestamp is earlier than the previous row's.
    #[error("line {line}: timestamp {t} is before the previous row's {prev}; rows must be in time order")]
    NonMonotonic {
        /// Offending line.
        line: u64,
        /// This row's timestamp, unix seconds.
        t: f64,
        /// The previous row's timestamp, unix seconds.
        prev: f64,
    },
}

impl CsvError {
    /// The 1-based line the error is about, when it is about one.
    pub fn line(&self) -> Option<u64> {
        match self {
            CsvError::NoSeriesColumn { line }
            | CsvError::FieldCount { line, .. }
            | CsvError::BadTimestamp { line, .. }
            | CsvError::BadValue { line, .. }
            | CsvError::NonMonotonic { line, .. } => Some(*line),
            _ => None,
        }
    }

    fn is_row_error(&self) -> bool {
        matches!(
            self,
            CsvError::FieldCount { .. }
                | CsvError::BadTimestamp { .. }
                | CsvError::BadValue { .. }
                | CsvError::NonMonotonic { .. }
        )
    }
}

/// Strip surrounding whitespace and one pair of double quotes.
fn unquote(s: &str) -> &str {
    let s = s.trim();
    s.strip_prefix('"')
        .and_then(|s| s.strip_suffix('"'))
        .unwrap_or(s)
        .trim()
}

/// Parse a timestamp cell: unix seconds (integer or fractional) or RFC 3339.
pub fn parse_timestamp(s: &str) -> Option<f64> {
    let s = unquote(s);
    if s.is_empty() {
        return None;
    }
    if let Ok(x) = s.parse::<f64>() {
        return x.is_finite().then_some(x);
    }
    let st = humantime::parse_rfc3339_weak(s).ok()?;
    Some(match st.duration_since(std::time::UNIX_EPOCH) {
        Ok(d) => d.as_secs_f64(),
        Err(e) => -e.duration().as_secs_f64(),
    })
}

/// Read a series CSV from `r`, calling `on_row(t, values)` for each data row in order
/// (`t` unix seconds, `values[i]` bytes of series `columns[i]`). Holds one row at a time.
pub fn read_series_csv<R: BufRead>(
    mut r: R,
    opts: &CsvOptions,
    mut on_row: impl FnMut(f64, &[f64]),
) -> Result<CsvSummary, CsvError> {
    let mut line = String::new();
    let mut lineno = 0u64;
    let mut summary = CsvSummary::default();
    // Header: the first non-blank line.
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            return Err(CsvError::Empty);
        }
        lineno += 1;
        let l = line.trim_start_matches('\u{feff}').trim();
        if l.is_empty() {
            continue;
        }
        summary.columns = l
            .split(',')
            .skip(1)
            .map(|c| unquote(c).to_string())
            .collect();
        if summary.columns.is_empty() {
            return Err(CsvError::NoSeriesColumn { line: lineno });
        }
        break;
    }
    let width = summary.columns.len() + 1;
    let mut values = vec![0.0; width - 1];
    let mut prev_t = f64::NEG_INFINITY;
    loop {
        line.clear();
        if r.read_line(&mut line)? == 0 {
            break;
        }
        lineno += 1;
        let l = line.trim();
        if l.is_empty() {
            continue;
        }
        match parse_row(l, lineno, prev_t, &summary.columns, &mut values) {
            Ok(t) => {
                prev_t = t;
                summary.rows += 1;
                on_row(t, &values);
            }
            Err(e) if opts.skip_bad_rows && e.is_row_error() => summary.skipped += 1,
            Err(e) => return Err(e),
        }
    }
    if summary.rows == 0 && summary.skipped == 0 {
        return Err(CsvError::NoRows);
    }
    Ok(summary)
}

fn parse_row(
    l: &str,
    line: u64,
    prev_t: f64,
    columns: &[String],
    values: &mut [f64],
) -> Result<f64, CsvError> {
    let mut cells = l.split(',');
    let ts = cells.next().unwrap_or("");
    let t = parse_timestamp(ts).ok_or_else(|| CsvError::BadTimestamp {
        line,
        value: unquote(ts).to_string(),
    })?;
    let mut found = 1;
    for (i, cell) in cells.enumerate() {
        found += 1;
        if i >= values.len() {
            continue;
        }
        let c = unquote(cell);
        match c.parse::<f64>() {
            Ok(v) if v.is_finite() => values[i] = v,
            _ => {
                return Err(CsvError::BadValue {
                    line,
                    column: columns.get(i).cloned().unwrap_or_default(),
                    value: c.to_string(),
                })
            }
        }
    }
    if found != values.len() + 1 {
        return Err(CsvError::FieldCount {
            line,
            expected: values.len() + 1,
            found,
        });
    }
    if t < prev_t {
        return Err(CsvError::NonMonotonic {
            line,
            t,
            prev: prev_t,
        });
    }
    Ok(t)
}

/// Read a whole series CSV into one [`Series`] per column (for small files; large files
/// should stream through [`read_series_csv`]).
pub fn read_all<R: BufRead>(r: R, opts: &CsvOptions) -> Result<Vec<Series>, CsvError> {
    read_all_with_summary(r, opts).map(|(s, _)| s)
}

/// [`read_all`], also returning the [`CsvSummary`] (e.g. the count of skipped rows).
pub fn read_all_with_summary<R: BufRead>(
    r: R,
    opts: &CsvOptions,
) -> Result<(Vec<Series>, CsvSummary), CsvError> {
    let mut points: Vec<Vec<Point>> = Vec::new();
    let summary = read_series_csv(r, opts, |t, vs| {
        if points.is_empty() {
            points = vec![Vec::new(); vs.len()];
        }
        for (p, &v) in points.iter_mut().zip(vs) {
            p.push(Point::new(t, v));
        }
    })?;
    if points.is_empty() {
        points = vec![Vec::new(); summary.columns.len()];
    }
    let series = summary
        .columns
        .iter()
        .zip(points)
        .map(|(name, points)| Series {
            name: name.clone(),
            points,
        })
        .collect();
    Ok((series, summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(s: &str, skip: bool) -> Result<(Vec<Series>, CsvSummary), CsvError> {
        read_all_with_summary(
            s.as_bytes(),
            &CsvOptions {
                skip_bad_rows: skip,
            },
        )
    }

    #[test]
    fn reads_numbers_rfc3339_bom_crlf_quotes() {
        let text = "\u{feff}\"timestamp\",\"rss_bytes\",heap\r\n\
                    1700000000,100,5\r\n\
                    1700000030.5,200,6\r\n\
                    2023-11-14T22:14:20Z,300,7\r\n\r\n\n";
        let (s, sum) = read(text, false).expect("valid csv");
        assert_eq!(sum.columns, vec!["rss_bytes", "heap"]);
        assert_eq!(sum.rows, 3);
        assert_eq!(s[0].name, "rss_bytes");
        assert_eq!(s[0].points[1], Point::new(1_700_000_030.5, 200.0));
        assert_eq!(s[1].points[2], Point::new(1_700_000_060.0, 7.0));
    }

    #[test]
    fn errors_name_the_line_and_column() {
        let e = read("timestamp,a,b\n1,2,3\n2,,4\n", false).expect_err("must fail");
        assert!(
            matches!(&e, CsvError::BadValue { line: 3, column, .. } if column == "a"),
            "{e}"
        );
        assert!(e.to_string().contains("line 3"));
        let e = read("timestamp,a\n1,2\nx,3\n", false).expect_err("must fail");
        assert!(matches!(e, CsvError::BadTimestamp { line: 3, .. }));
        let e = read("timestamp,a\n5,2\n4,3\n", false).expect_err("must fail");
        assert!(matches!(e, CsvError::NonMonotonic { line: 3, .. }));
        let e = read("timestamp,a\n5,2,9\n", false).expect_err("must fail");
        assert!(matches!(
            e,
            CsvError::FieldCount {
                line: 2,
                expected: 2,
                found: 3
            }
        ));
        let e = read("timestamp,a\n5,nan\n", false).expect_err("must fail");
        assert_eq!(e.line(), Some(2));
    }

    #[test]
    fn empty_and_header_only() {
        assert!(matches!(read("", false), Err(CsvError::Empty)));
        assert!(matches!(read("\n\n", false), Err(CsvError::Empty)));
        assert!(matches!(
            read("timestamp,a\n", false),
            Err(CsvError::NoRows)
        ));
        assert!(matches!(
            read("timestamp\n1\n", false),
            Err(CsvError::NoSeriesColumn { line: 1 })
        ));
    }

    #[test]
    fn skip_bad_rows_counts_them() {
        let (s, sum) = read("timestamp,a\n1,2\n2,oops\n0,5\n3,4\n3,5\n", true).expect("skips");
        assert_eq!(sum.rows, 3);
        assert_eq!(sum.skipped, 2);
        assert_eq!(s[0].points.len(), 3);
    }

    #[test]
    fn streams_rows() {
        let mut n = 0;
        let sum = read_series_csv(
            "timestamp,a,b\n1,1,2\n2,3,4\n".as_bytes(),
            &CsvOptions::default(),
            |t, v| {
                n += 1;
                assert_eq!(v.len(), 2);
                assert!(t >= 1.0);
            },
        )
        .expect("reads");
        assert_eq!((n, sum.rows), (2, 2));
    }
}
