//! A plain aligned text table: left-aligned text, right-aligned numbers. Every cell and
//! header is passed through [`printable`], so names read from files cannot drive the
//! terminal.

use super::escape::printable;

/// A table being built row by row.
#[derive(Debug, Default)]
pub struct Table {
    headers: Vec<String>,
    right: Vec<bool>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers; `right[i]` right-aligns column i (numbers).
    pub fn new(headers: &[&str], right: &[bool]) -> Self {
        Self {
            headers: headers.iter().map(|h| printable(h).into_owned()).collect(),
            right: right.to_vec(),
            rows: Vec::new(),
        }
    }

    /// Add a row (missing cells print empty).
    pub fn row(&mut self, cells: Vec<String>) {
        let cells = cells
            .into_iter()
            .map(|c| match printable(&c) {
                std::borrow::Cow::Borrowed(_) => c,
                std::borrow::Cow::Owned(escaped) => escaped,
            })
            .collect();
        self.rows.push(cells);
    }

    /// True when no row was added.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The table as text, one line per row, no trailing newline.
    pub fn render(&self) -> String {
        let n = self.headers.len();
        let mut width: Vec<usize> = self.headers.iter().map(|h| h.chars().count()).collect();
        for r in &self.rows {
            for (i, c) in r.iter().enumerate().take(n) {
                width[i] = width[i].max(c.chars().count());
            }
        }
        let mut out = String::new();
        let fmt_row = |cells: &[String], out: &mut String| {
            let mut line = String::new();
            for (i, w) in width.iter().enumerate() {
                let cell = cells.get(i).map(String::as_str).unwrap_or("");
                let pad = w.saturating_sub(cell.chars().count());
                let last = i + 1 == n;
                if self.right.get(i).copied().unwrap_or(false) {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                } else {
                    line.push_str(cell);
                    if !last {
                        line.push_str(&" ".repeat(pad));
                    }
                }
                if !last {
                    line.push_str("  ");
                }
            }
            out.push_str(line.trim_end());
            out.push('\n');
        };
        fmt_row(&self.headers, &mut out);
        for r in &self.rows {
            fmt_row(r, &mut out);
        }
        out.pop();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_align_and_numbers_go_right() {
        let mut t = Table::new(&["NAME", "SIZE"], &[false, true]);
        t.row(vec!["a".into(), "1.0 KiB".into()]);
        t.row(vec!["longer".into(), "12 B".into()]);
        assert_eq!(
            t.render(),
            "NAME       SIZE\na       1.0 KiB\nlonger     12 B"
        );
    }

    #[test]
    fn cells_cannot_break_rows_or_drive_the_terminal() {
        let mut t = Table::new(&["NAME", "N"], &[false, true]);
        t.row(vec!["x\r\n\u{1b}[2Jfake  99".into(), "1".into()]);
        let out = t.render();
        assert_eq!(out.lines().count(), 2, "{out}");
        assert!(!out.contains('\u{1b}') && !out.contains('\r'), "{out:?}");
        assert!(out.contains("x\\r\\n\\x1b[2Jfake  99"), "{out}");
    }
}
