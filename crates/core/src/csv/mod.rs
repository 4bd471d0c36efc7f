//! The series CSV contract of DESIGN.md, read in a streaming way with `csv-core` (the parser
//! of the `csv` crate).
//!
//! A header row; the first column is the timestamp (see [`parse_timestamp`] for the forms
//! accepted: unix seconds or milliseconds, RFC 3339); each further column is one series, in
//! bytes, named by its header. Blank or unparsable cells (also cells that are not UTF-8) and
//! timestamps going backwards are errors naming the line (1-based) and column, unless
//! [`CsvOptions::skip_bad_rows`] is set, in which case the row is skipped and counted. Equal
//! timestamps are allowed.
//!
//! Cells follow RFC 4180: quoted cells may hold commas, line breaks and doubled quotes
//! (`"svc, prod"`, Grafana's `"rss{pod=""a""}"`). A UTF-8 BOM, CRLF line ends, blank lines,
//! whitespace around cells, and Excel's `sep=;` first line (Grafana's "Download for Excel")
//! are accepted. UTF-16 files are refused with a hint.
//!
//! [`read_series_csv`] hands each row to a callback, so a file of several GB is analyzed in
//! bounded memory: one row is held at a time, a row may not exceed
//! [`CsvOptions::max_row_bytes`], and a header may not name more than
//! [`CsvOptions::max_columns`] series. [`read_all`] collects everything into [`Series`] for
//! small files.

mod cell;
mod records;

pub use cell::{excerpt, parse_timestamp, EXCERPT_CHARS};

use crate::series::{Point, Series};
use std::io::BufRead;

/// The default for [`CsvOptions::max_columns`].
pub const DEFAULT_MAX_COLUMNS: usize = 10_000;

/// The default for [`CsvOptions::max_row_bytes`] (16 MiB).
pub const DEFAULT_MAX_ROW_BYTES: u64 = 16 << 20;

/// How to read a series CSV.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CsvOptions {
    /// Skip (and count) rows with a blank, unparsable or non-UTF-8 cell, a wrong number of
    /// cells or a timestamp before the previous row's, instead of failing.
    pub skip_bad_rows: bool,
    /// The most series columns a header may have: each series costs its reader a few KB.
    pub max_columns: usize,
    /// The longest row, header included (bytes).
    pub max_row_bytes: u64,
}

impl Default for CsvOptions {
    fn default() -> Self {
        Self {
            skip_bad_rows: false,
            max_columns: DEFAULT_MAX_COLUMNS,
            max_row_bytes: DEFAULT_MAX_ROW_BYTES,
        }
    }
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
/// Cells and column names are echoed cut to [`EXCERPT_CHARS`] characters.
#[derive(Debug, thiserror::Error)]
pub enum CsvError {
    /// Reading failed.
    #[error("cannot read the CSV: {0}")]
    Io(#[from] std::io::Error),
    /// The input has no header row.
    #[error("the CSV is empty: expected a header row `timestamp,<series>...`")]
    Empty,
    /// The input is UTF-16 (it starts with a UTF-16 byte order mark).
    #[error("the CSV is UTF-16 (Grafana's \"Download for Excel\" writes that); export it again without that option, or convert it with `iconv -f UTF-16 -t UTF-8`")]
    Utf16,
    /// The header has no series column.
    #[error("line {line}: the header needs a timestamp column and at least one series column")]
    NoSeriesColumn {
        /// Line of the header.
        line: u64,
    },
    /// The header names more series than [`CsvOptions::max_columns`].
    #[error("line {line}: the header names {columns} series, more than the {max} leakscope reads from one file; split it into files of at most {max} series columns, each starting with the timestamp column")]
    TooManyColumns {
        /// Line of the header.
        line: u64,
        /// Series columns in the header.
        columns: usize,
        /// The limit.
        max: usize,
    },
    /// A row is longer than [`CsvOptions::max_row_bytes`].
    #[error(
        "line {line}: a row is longer than {max_bytes} bytes, the limit; is this a series CSV?"
    )]
    RowTooLong {
        /// Line where the row starts.
        line: u64,
        /// The limit.
        max_bytes: u64,
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
    /// A cell is not valid UTF-8.
    #[error("line {line}, column {column:?}: the cell is not UTF-8 text")]
    NotUtf8 {
        /// Offending line.
        line: u64,
        /// Header name of the column (cut).
        column: String,
    },
    /// A timestamp is blank or neither a number nor RFC 3339.
    #[error("line {line}: bad timestamp {value:?} (expected unix seconds or RFC 3339)")]
    BadTimestamp {
        /// Offending line.
        line: u64,
        /// The cell as written (cut).
        value: String,
    },
    /// A value cell is blank, not a number, or not finite.
    #[error("line {line}, column {column:?}: bad value {value:?} (expected a number of bytes{})", unit_hint(.value))]
    BadValue {
        /// Offending line.
        line: u64,
        /// Header name of the column (cut).
        column: String,
        /// The cell as written (cut).
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

/// A hint for values written with a unit (`1.21 GiB`): Grafana's "Formatted data" export.
fn unit_hint(value: &str) -> &'static str {
    let v = value.trim();
    let number_then_unit = v.starts_with(|c: char| c.is_ascii_digit() || c == '-')
        && v.ends_with(|c: char| c.is_ascii_alphabetic());
    if number_then_unit {
        "; values with units come from Grafana's \"Formatted data\": export with it off"
    } else {
        ""
    }
}

impl CsvError {
    /// The 1-based line the error is about, when it is about one.
    pub fn line(&self) -> Option<u64> {
        match self {
            CsvError::NoSeriesColumn { line }
            | CsvError::TooManyColumns { line, .. }
            | CsvError::RowTooLong { line, .. }
            | CsvError::FieldCount { line, .. }
            | CsvError::NotUtf8 { line, .. }
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
                | CsvError::NotUtf8 { .. }
                | CsvError::BadTimestamp { .. }
                | CsvError::BadValue { .. }
                | CsvError::NonMonotonic { .. }
        )
    }
}

/// What comes before the CSV proper: a BOM, Excel's `sep=X` line.
struct Prelude {
    delimiter: u8,
    /// Lines consumed before the header (the `sep=` line).
    lines: u64,
}

fn prelude<R: BufRead>(r: &mut R) -> Result<Prelude, CsvError> {
    let head = r.fill_buf()?;
    if head.starts_with(&[0xff, 0xfe]) || head.starts_with(&[0xfe, 0xff]) {
        return Err(CsvError::Utf16);
    }
    if head.starts_with("\u{feff}".as_bytes()) {
        r.consume(3);
    }
    let head = r.fill_buf()?;
    let sep = head.len() >= 5
        && head[..4].eq_ignore_ascii_case(b"sep=")
        && head[4].is_ascii_punctuation() | (head[4] == b'\t')
        && head[4] != b'"'
        && matches!(head.get(5), None | Some(b'\r' | b'\n'));
    if !sep {
        return Ok(Prelude {
            delimiter: b',',
            lines: 0,
        });
    }
    let delimiter = head[4];
    let mut line = Vec::new();
    r.read_until(b'\n', &mut line)?;
    Ok(Prelude {
        delimiter,
        lines: 1,
    })
}

/// Read a series CSV from `r`, calling `on_row(t, values)` for each data row in order
/// (`t` unix seconds, `values[i]` bytes of series `columns[i]`). Holds one row at a time.
pub fn read_series_csv<R: BufRead>(
    mut r: R,
    opts: &CsvOptions,
    mut on_row: impl FnMut(f64, &[f64]),
) -> Result<CsvSummary, CsvError> {
    let pre = prelude(&mut r)?;
    let mut rec = records::Records::new(r, pre.delimiter, 1 + pre.lines, opts.max_row_bytes);
    if !rec.next(opts.max_columns.saturating_add(1))? {
        return Err(CsvError::Empty);
    }
    let series = rec.len().saturating_sub(1);
    if series == 0 {
        return Err(CsvError::NoSeriesColumn { line: rec.line() });
    }
    if series > opts.max_columns {
        return Err(CsvError::TooManyColumns {
            line: rec.line(),
            columns: series,
            max: opts.max_columns,
        });
    }
    let mut names = rec
        .cells()
        .map(|c| cell::unquote(&String::from_utf8_lossy(c)).to_owned());
    let timestamp_column = names.next().unwrap_or_default();
    let mut summary = CsvSummary {
        columns: names.collect(),
        ..CsvSummary::default()
    };
    let mut values = vec![0.0; series];
    let mut prev_t = f64::NEG_INFINITY;
    let row = Row {
        timestamp_column: &timestamp_column,
        columns: &summary.columns,
    };
    let (mut rows, mut skipped) = (0u64, 0u64);
    while rec.next(series + 1)? {
        match row.parse(&rec, prev_t, &mut values) {
            Ok(t) => {
                prev_t = t;
                rows += 1;
                on_row(t, &values);
            }
            Err(e) if opts.skip_bad_rows && e.is_row_error() => skipped += 1,
            Err(e) => return Err(e),
        }
    }
    if rows == 0 && skipped == 0 {
        return Err(CsvError::NoRows);
    }
    summary.rows = rows;
    summary.skipped = skipped;
    Ok(summary)
}

/// The header, for parsing and naming the cells of data rows.
struct Row<'a> {
    timestamp_column: &'a str,
    columns: &'a [String],
}

impl Row<'_> {
    /// Parse the current record of `rec` into `values`; returns its timestamp.
    fn parse<R: BufRead>(
        &self,
        rec: &records::Records<R>,
        prev_t: f64,
        values: &mut [f64],
    ) -> Result<f64, CsvError> {
        let line = rec.line();
        if rec.len() != values.len() + 1 {
            return Err(CsvError::FieldCount {
                line,
                expected: values.len() + 1,
                found: rec.len(),
            });
        }
        let text = |i: usize, column: &str| {
            std::str::from_utf8(rec.cell(i).unwrap_or_default()).map_err(|_| CsvError::NotUtf8 {
                line,
                column: excerpt(column),
            })
        };
        let ts = text(0, self.timestamp_column)?;
        let t = parse_timestamp(ts).ok_or_else(|| CsvError::BadTimestamp {
            line,
            value: excerpt(ts),
        })?;
        for (i, (v, column)) in values.iter_mut().zip(self.columns).enumerate() {
            // Quotes after whitespace are not CSV quotes; strip them as people mean them.
            let c = cell::unquote(text(i + 1, column)?);
            match c.parse::<f64>() {
                Ok(x) if x.is_finite() => *v = x,
                _ => {
                    return Err(CsvError::BadValue {
                        line,
                        column: excerpt(column),
                        value: excerpt(c),
                    })
                }
            }
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
                ..CsvOptions::default()
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
    fn lines_count_blank_lines_and_quoted_line_breaks() {
        let e = read("timestamp,a\n1,2\n\n\n\"2\",x\n", false).expect_err("bad");
        assert_eq!(e.line(), Some(5), "{e}");
        let e = read("timestamp,\"a\nb\"\n1,2\n2,x\n", false).expect_err("bad");
        assert_eq!(e.line(), Some(4), "{e}");
        let e = read("sep=;\ntimestamp;a\n1;2\n2;x\n", false).expect_err("bad");
        assert_eq!(e.line(), Some(4), "{e}");
        let e = read("t,a\r\n1,2\r\n\r\n\r3,x\r\n", false).expect_err("bad");
        assert_eq!(e.line(), Some(4), "{e}");
    }

    proptest::proptest! {
        /// Whatever the quoting, padding, line ends and blank lines, the reader returns the
        /// values written and names the line of a bad cell.
        #[test]
        fn reads_back_what_was_written(
            rows in proptest::collection::vec(proptest::collection::vec(-1_000_000i64..1_000_000, 2), 1..40),
            styles in proptest::collection::vec(0u8..8, 120),
            bad_row in proptest::option::of(0usize..40),
        ) {
            let mut text = String::from("\"timestamp\",\"a, b\" ,c\r\n");
            let mut line = 2u64;
            let mut bad_line = None;
            let mut k = 0;
            let mut style = || { k += 1; styles[k % styles.len()] };
            for (i, r) in rows.iter().enumerate() {
                if style() == 0 {
                    text.push('\n');
                    line += 1;
                }
                let cell = |v: i64, s: u8| match s % 4 {
                    0 => format!("{v}"),
                    1 => format!("\"{v}\""),
                    2 => format!("  {v} "),
                    _ => format!(" \"{v}\" "),
                };
                let bad = bad_row == Some(i);
                let b = if bad { "\"1\n2\"".to_string() } else { cell(r[1], style()) };
                text.push_str(&format!("{},{},{b}", cell(i as i64, style()), cell(r[0], style())));
                if bad && bad_line.is_none() {
                    bad_line = Some(line);
                }
                line += 1 + u64::from(bad);
                text.push_str(if style() % 2 == 0 { "\n" } else { "\r\n" });
            }
            match read(&text, false) {
                Ok((s, sum)) => {
                    proptest::prop_assert!(bad_line.is_none());
                    proptest::prop_assert_eq!(sum.rows as usize, rows.len());
                    proptest::prop_assert_eq!(&s[0].name, "a, b");
                    for (i, r) in rows.iter().enumerate() {
                        proptest::prop_assert_eq!(s[0].points[i], Point::new(i as f64, r[0] as f64));
                        proptest::prop_assert_eq!(s[1].points[i].v, r[1] as f64);
                    }
                }
                Err(e) => proptest::prop_assert_eq!(e.line(), bad_line, "{}", e),
            }
        }
    }

    #[test]
    fn quoted_cells_hold_commas_and_doubled_quotes() {
        let text = "timestamp,\"svc, prod\",\"rss{pod=\"\"a\"\"}\"\n1,\"1,5\",2\n";
        let e = read(text, false).expect_err("1,5 is not a number");
        assert!(
            matches!(&e, CsvError::BadValue { column, .. } if column == "svc, prod"),
            "{e}"
        );
        let (s, _) = read(
            "timestamp,\"svc, prod\",\"rss{pod=\"\"a\"\"}\"\n1,\"15\",2\n",
            false,
        )
        .expect("valid");
        assert_eq!(s[0].name, "svc, prod");
        assert_eq!(s[1].name, "rss{pod=\"a\"}");
        assert_eq!(s[0].points[0], Point::new(1.0, 15.0));
    }

    /// Grafana's panel inspector, "Download CSV" with "Series joined by time" (toCSV in
    /// grafana-data): every header cell quoted with `""` escapes, epoch milliseconds, CRLF,
    /// a blank line after the frame; "Download for Excel" (Grafana < 10) adds `sep=,`.
    #[test]
    fn grafana_exports_read_as_they_are_written() {
        let header = "\"Time\",\"process_resident_memory_bytes{instance=\"\"localhost:9090\"\", job=\"\"prometheus\"\"}\",\"go_memstats_heap_inuse_bytes{instance=\"\"localhost:9090\"\", job=\"\"prometheus\"\"}\"\r\n";
        let rows = "1714564800000,104857600,52428800\r\n1714564815000,105906176,53477376\r\n\r\n";
        for prefix in ["", "sep=,\r\n", "\u{feff}"] {
            let (s, sum) = read(&format!("{prefix}{header}{rows}"), false).expect("grafana csv");
            assert_eq!(sum.rows, 2);
            assert_eq!(
                s[0].name,
                "process_resident_memory_bytes{instance=\"localhost:9090\", job=\"prometheus\"}"
            );
            assert_eq!(s[1].points[1], Point::new(1_714_564_815.0, 53_477_376.0));
        }
        // "Formatted data" writes local times without a zone and values with units.
        let (s, _) = read("\"Time\",\"rss\"\r\n2024-05-01 12:00:00,1\r\n", false).expect("time");
        assert_eq!(s[0].points[0].t, 1_714_564_800.0);
        let e = read(
            "\"Time\",\"rss\"\r\n2024-05-01 12:00:00,1.21 GiB\r\n",
            false,
        )
        .expect_err("unit");
        assert!(e.to_string().contains("Formatted data"), "{e}");
        let e = read("\u{feff}", false).expect_err("empty");
        assert!(matches!(e, CsvError::Empty));
        let utf16: Vec<u8> = [0xff, 0xfe, b't', 0].to_vec();
        let e = read_all(&utf16[..], &CsvOptions::default()).expect_err("utf-16");
        assert!(matches!(e, CsvError::Utf16), "{e}");
    }

    #[test]
    fn non_utf8_cells_name_the_line_and_can_be_skipped() {
        let text = b"timestamp,a\n1,2\n2,\xff\n3,4\n";
        let e = read_all(&text[..], &CsvOptions::default()).expect_err("not utf-8");
        assert!(
            matches!(&e, CsvError::NotUtf8 { line: 3, column } if column == "a"),
            "{e}"
        );
        assert!(e.to_string().starts_with("line 3"), "{e}");
        let skip = CsvOptions {
            skip_bad_rows: true,
            ..CsvOptions::default()
        };
        let (s, sum) = read_all_with_summary(&text[..], &skip).expect("skips");
        assert_eq!((sum.rows, sum.skipped), (2, 1));
        assert_eq!(s[0].points[1], Point::new(3.0, 4.0));
        // A non-UTF-8 header name is kept, lossily.
        let (s, _) = read_all_with_summary(&b"timestamp,r\xe9s\n1,2\n"[..], &skip).expect("ok");
        assert_eq!(s[0].name, "r\u{fffd}s");
    }

    #[test]
    fn echoed_cells_are_cut_and_long_rows_refused() {
        let cell = "x".repeat(2 << 20);
        let e = read(&format!("timestamp,a\n1,{cell}\n"), false).expect_err("bad");
        let msg = e.to_string();
        assert!(msg.len() < 300 && msg.contains('…'), "{} chars", msg.len());
        let e = read(&format!("timestamp,{cell}\n1,{cell}\n"), false).expect_err("bad");
        assert!(e.to_string().len() < 300);
        let small = CsvOptions {
            max_row_bytes: 64 << 10,
            ..CsvOptions::default()
        };
        let text = format!("timestamp,a\n1,2\n\n2,{cell}\n3,4\n");
        let e = read_all(text.as_bytes(), &small).expect_err("too long");
        assert!(matches!(e, CsvError::RowTooLong { line: 4, .. }), "{e}");
    }

    #[test]
    fn too_many_columns_is_one_error_naming_the_cap() {
        let opts = CsvOptions {
            max_columns: 3,
            ..CsvOptions::default()
        };
        assert!(read_all(&b"t,a,b,c\n1,2,3,4\n"[..], &opts).is_ok());
        let e = read_all(&b"t,a,b,c,d\n1,2,3,4,5\n"[..], &opts).expect_err("4 > 3");
        assert!(matches!(
            e,
            CsvError::TooManyColumns {
                line: 1,
                columns: 4,
                max: 3
            }
        ));
        assert!(e.to_string().contains("split it"), "{e}");
        // Past the cap, cells are counted without being stored, however many.
        let wide = |n: usize| (0..n).map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let opts = CsvOptions {
            max_columns: 50,
            ..CsvOptions::default()
        };
        let text = format!("{}\n{}\n", wide(301), wide(301));
        let e = read_all(text.as_bytes(), &opts).expect_err("300 > 50");
        assert!(
            matches!(e, CsvError::TooManyColumns { columns: 300, .. }),
            "{e}"
        );
        let text = format!("t,a,b\n1,2,3\n{}\n", wide(1000));
        let e = read_all(text.as_bytes(), &opts).expect_err("1000 cells");
        assert!(
            matches!(
                e,
                CsvError::FieldCount {
                    line: 3,
                    found: 1000,
                    ..
                }
            ),
            "{e}"
        );
        let s =
            read_all(format!("{}\n{}\n", wide(51), wide(51)).as_bytes(), &opts).expect("50 series");
        assert_eq!((s.len(), s[49].points[0].v), (50, 50.0));
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
