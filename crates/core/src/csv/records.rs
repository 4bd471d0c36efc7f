//! CSV records off a byte stream, parsed by `csv-core` (the RFC 4180 DFA of the `csv` crate) and buffered here, so that the reader knows the exact line where each
//! record starts (blank lines and line breaks inside quoted cells counted) and holds
//! bounded memory: a record's cells may not exceed `max_row_bytes`, and only the first
//! `keep` cells of a record are stored (the rest are counted and dropped).

use std::io::{BufRead, ErrorKind};

use super::CsvError;

/// One record at a time from `R`.
pub(super) struct Records<R> {
    inner: R,
    core: csv_core::Reader,
    /// Line of the next unread byte (1-based).
    next_line: u64,
    max_row_bytes: u64,
    /// Line where the current record starts.
    record_line: u64,
    /// The stored cells' bytes (unquoted), back to back; `data[..used]` holds them.
    data: Vec<u8>,
    /// Where each stored cell ends in `data` (`ends[..stored]`; the rest is room).
    ends: Vec<usize>,
    /// Cells of the current record stored.
    stored: usize,
    /// Cells of the current record, stored or not.
    cells: usize,
}

impl<R: BufRead> Records<R> {
    /// Records of `inner`, whose first byte is on line `first_line`, split at `delimiter`.
    pub(super) fn new(inner: R, delimiter: u8, first_line: u64, max_row_bytes: u64) -> Self {
        Self {
            inner,
            core: csv_core::ReaderBuilder::new().delimiter(delimiter).build(),
            next_line: first_line,
            max_row_bytes,
            record_line: first_line,
            data: Vec::new(),
            ends: Vec::new(),
            stored: 0,
            cells: 0,
        }
    }

    /// The line where the current record starts.
    pub(super) fn line(&self) -> u64 {
        self.record_line
    }

    /// How many cells the current record has (stored or not).
    pub(super) fn len(&self) -> usize {
        self.cells
    }

    /// Stored cell `i`, without surrounding whitespace.
    pub(super) fn cell(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends[..self.stored].get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(self.data[start..end].trim_ascii())
    }

    /// The stored cells.
    pub(super) fn cells(&self) -> impl Iterator<Item = &[u8]> + '_ {
        (0..self.stored).filter_map(|i| self.cell(i))
    }

    fn fill(&mut self) -> Result<&[u8], CsvError> {
        loop {
            match self.inner.fill_buf() {
                Ok(_) => break,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(CsvError::Io(e)),
            }
        }
        // Filled: this returns the buffer without reading.
        self.inner.fill_buf().map_err(CsvError::Io)
    }

    /// Read the next record that is not blank, storing at most `keep` cells; false at the end.
    pub(super) fn next(&mut self, keep: usize) -> Result<bool, CsvError> {
        loop {
            if !self.skip_line_breaks()? {
                return Ok(false);
            }
            self.read_record(keep)?;
            let blank = self.cells == self.stored && self.cells().all(<[u8]>::is_empty);
            if !blank {
                return Ok(true);
            }
        }
    }

    /// Skip the line breaks before a record; false at the end of the input.
    fn skip_line_breaks(&mut self) -> Result<bool, CsvError> {
        loop {
            let buf = self.fill()?;
            if buf.is_empty() {
                return Ok(false);
            }
            let n = buf
                .iter()
                .take_while(|&&b| b == b'\n' || b == b'\r')
                .count();
            let newlines = buf[..n].iter().filter(|&&b| b == b'\n').count() as u64;
            let rest = buf.len() - n;
            self.next_line += newlines;
            self.inner.consume(n);
            if rest > 0 {
                return Ok(true);
            }
        }
    }

    fn read_record(&mut self, keep: usize) -> Result<(), CsvError> {
        use csv_core::ReadRecordResult as R;
        self.record_line = self.next_line;
        self.stored = 0;
        let mut dropped = 0usize;
        let mut used = 0usize;
        // Where cells past `keep` end: counted, then forgotten.
        let mut scratch = [0usize; 64];
        loop {
            if used == self.data.len() {
                if self.data.len() as u64 >= self.max_row_bytes {
                    return Err(CsvError::RowTooLong {
                        line: self.record_line,
                        max_bytes: self.max_row_bytes,
                    });
                }
                let grown = (self.data.len() * 2)
                    .max(1024)
                    .min(usize::try_from(self.max_row_bytes).unwrap_or(usize::MAX));
                self.data.resize(grown, 0);
            }
            if self.stored == self.ends.len() && self.ends.len() < keep {
                let grown = (self.ends.len() * 2).max(16).min(keep);
                self.ends.resize(grown, 0);
            }
            let buf = match self.inner.fill_buf() {
                Ok(b) => b,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(e) => return Err(CsvError::Io(e)),
            };
            let storing = self.stored < self.ends.len();
            let ends = if storing {
                &mut self.ends[self.stored..]
            } else {
                &mut scratch[..]
            };
            let (res, nin, nout, nend) = self.core.read_record(buf, &mut self.data[used..], ends);
            self.next_line += buf[..nin].iter().filter(|&&b| b == b'\n').count() as u64;
            self.inner.consume(nin);
            used += nout;
            if storing {
                self.stored += nend;
            } else {
                dropped += nend;
                // Their bytes go too: the next ones overwrite them.
                used = self.stored.checked_sub(1).map_or(0, |i| self.ends[i]);
            }
            match res {
                R::InputEmpty | R::OutputFull | R::OutputEndsFull => {}
                R::Record | R::End => {
                    self.cells = self.stored + dropped;
                    return Ok(());
                }
            }
        }
    }
}
