//! A byte scanner over any `Read` that tracks the absolute offset: the low level of the
//! streaming `.heapsnapshot` reader. It never holds more than one buffer of the file.

use std::io::Read;

/// Buffer size for reading the file (1 MiB).
const BUF_SIZE: usize = 1 << 20;
/// The hot integer loop keeps at least this many bytes ahead of it when the file has them.
const LOOKAHEAD: usize = 64;

/// A scanning error: what went wrong and at which absolute byte offset.
#[derive(Debug)]
pub(crate) enum ScanError {
    /// Malformed or truncated input at `offset`.
    Format {
        /// Absolute byte offset in the file.
        offset: u64,
        /// What is wrong.
        message: String,
    },
    /// The underlying reader failed.
    Io(std::io::Error),
}

pub(crate) type ScanResult<T> = Result<T, ScanError>;

/// Receives parsed integers in chunks with their byte offsets; may reject value `i`.
type ChunkSink<'a> = dyn FnMut(&[u32], &[u64]) -> Result<(), (usize, String)> + 'a;

/// A buffered reader with JSON tokenizing helpers.
pub(crate) struct Scanner<R> {
    inner: R,
    buf: Box<[u8]>,
    pos: usize,
    end: usize,
    /// Absolute offset of `buf[0]`.
    base: u64,
    eof: bool,
}

impl<R: Read> Scanner<R> {
    /// Wrap `inner`.
    pub(crate) fn new(inner: R) -> Self {
        Self {
            inner,
            buf: vec![0u8; BUF_SIZE].into_boxed_slice(),
            pos: 0,
            end: 0,
            base: 0,
            eof: false,
        }
    }

    /// Absolute offset of the next unread byte.
    pub(crate) fn offset(&self) -> u64 {
        self.base + self.pos as u64
    }

    /// A format error at the current offset.
    pub(crate) fn err<T>(&self, message: impl Into<String>) -> ScanResult<T> {
        Err(ScanError::Format {
            offset: self.offset(),
            message: message.into(),
        })
    }

    /// Move unread bytes to the front and read more; false when nothing more can come.
    fn fill(&mut self) -> ScanResult<bool> {
        if self.eof {
            return Ok(false);
        }
        if self.pos > 0 {
            self.buf.copy_within(self.pos..self.end, 0);
            self.base += self.pos as u64;
            self.end -= self.pos;
            self.pos = 0;
        }
        let mut got = false;
        while self.end < self.buf.len() {
            match self.inner.read(&mut self.buf[self.end..]) {
                Ok(0) => {
                    self.eof = true;
                    break;
                }
                Ok(n) => {
                    self.end += n;
                    got = true;
                    if self.end - self.pos >= LOOKAHEAD {
                        break;
                    }
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(ScanError::Io(e)),
            }
        }
        Ok(got)
    }

    /// The next byte without consuming it; None at end of input.
    pub(crate) fn peek(&mut self) -> ScanResult<Option<u8>> {
        if self.pos >= self.end && !self.fill()? {
            return Ok(None);
        }
        Ok(self.buf.get(self.pos).copied())
    }

    /// Skip JSON whitespace and return the next byte (not consumed).
    pub(crate) fn peek_token(&mut self) -> ScanResult<Option<u8>> {
        loop {
            while self.pos < self.end {
                let b = self.buf[self.pos];
                if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                    self.pos += 1;
                } else {
                    return Ok(Some(b));
                }
            }
            if !self.fill()? {
                return Ok(None);
            }
        }
    }

    /// Consume the next token byte, which must be `want`.
    pub(crate) fn expect(&mut self, want: u8, what: &str) -> ScanResult<()> {
        match self.peek_token()? {
            Some(b) if b == want => {
                self.pos += 1;
                Ok(())
            }
            Some(b) => self.err(format!(
                "expected {what} ('{}'), found '{}'",
                want as char,
                (b as char).escape_default()
            )),
            None => self.err(format!("the file ends early (truncated?): expected {what}")),
        }
    }

    /// Consume one byte (after `peek_token` saw it).
    pub(crate) fn bump(&mut self) {
        self.pos += 1;
    }

    /// Read a JSON array of integers that fit in 32 bits, handing them to `sink` in chunks
    /// together with each value's byte offset; `sink` may reject value `i` of a chunk with a
    /// message, which becomes a format error at that value's offset. Returns the count.
    ///
    /// Chunks hold a multiple of `align` values (whole records), except possibly the last.
    pub(crate) fn read_uint_array(
        &mut self,
        what: &str,
        align: usize,
        mut sink: impl FnMut(&[u32], &[u64]) -> Result<(), (usize, String)>,
    ) -> ScanResult<u64> {
        let align = align.max(1);
        #[allow(non_snake_case)]
        let CHUNK: usize = ((1 << 15) / align).max(1) * align;
        self.expect(b'[', &format!("the start of the {what} array"))?;
        let mut count = 0u64;
        let mut vals: Vec<u32> = Vec::with_capacity(CHUNK + 1);
        let mut offs: Vec<u64> = Vec::with_capacity(CHUNK + 1);
        let flush = |vals: &mut Vec<u32>,
                     offs: &mut Vec<u64>,
                     sink: &mut ChunkSink<'_>|
         -> ScanResult<()> {
            if let Err((i, message)) = sink(vals, offs) {
                return Err(ScanError::Format {
                    offset: offs.get(i).copied().unwrap_or(0),
                    message,
                });
            }
            vals.clear();
            offs.clear();
            Ok(())
        };
        if self.peek_token()? == Some(b']') {
            self.bump();
            return Ok(0);
        }
        loop {
            if self.end - self.pos < LOOKAHEAD {
                self.fill()?;
            }
            // Fast path: well-formed `digits [ws] , [ws]` runs far from the buffer's end.
            // Anything else (errors, the closing bracket, buffer edges) takes the slow path.
            {
                let buf = &self.buf[..self.end];
                let limit = self.end.saturating_sub(LOOKAHEAD);
                let mut p = self.pos;
                while p < limit && vals.len() < CHUNK {
                    let mut b = buf[p];
                    while matches!(b, b' ' | b'\n' | b'\r' | b'\t') && p + 1 < limit {
                        p += 1;
                        b = buf[p];
                    }
                    let start = p;
                    let mut v: u64 = 0;
                    let mut d = b.wrapping_sub(b'0');
                    while d <= 9 && p - start < 11 {
                        v = v * 10 + d as u64;
                        p += 1;
                        d = buf[p].wrapping_sub(b'0');
                    }
                    if p == start || d <= 9 || v > u32::MAX as u64 {
                        p = start;
                        break;
                    }
                    let mut q = p;
                    while matches!(buf[q], b' ' | b'\n' | b'\r' | b'\t') && q + 1 < self.end {
                        q += 1;
                    }
                    if buf[q] != b',' {
                        p = start;
                        break;
                    }
                    vals.push(v as u32);
                    offs.push(self.base + start as u64);
                    p = q + 1;
                }
                self.pos = p;
            }
            if vals.len() >= CHUNK {
                count += vals.len() as u64;
                flush(&mut vals, &mut offs, &mut sink)?;
                continue;
            }
            if self.end - self.pos < LOOKAHEAD {
                self.fill()?;
            }
            // Slow path: one value, with every check.
            while self.pos < self.end && matches!(self.buf[self.pos], b' ' | b'\n' | b'\r' | b'\t')
            {
                self.pos += 1;
                if self.pos == self.end {
                    self.fill()?;
                }
            }
            let start = self.pos;
            let mut v: u64 = 0;
            let mut p = self.pos;
            let end = self.end;
            while p < end && p - start <= 20 {
                let d = self.buf[p].wrapping_sub(b'0');
                if d > 9 {
                    break;
                }
                v = v.wrapping_mul(10).wrapping_add(d as u64);
                p += 1;
            }
            let digits = p - start;
            self.pos = p;
            if digits == 0 {
                return match self.peek()? {
                    None => self.err(format!(
                        "the file ends inside the {what} array (truncated?)"
                    )),
                    Some(b) => self.err(format!(
                        "expected a non-negative integer in the {what} array, found '{}'",
                        (b as char).escape_default()
                    )),
                };
            }
            if p == end && !self.eof {
                // The number may continue in the next buffer: parse it again after refilling.
                self.pos = start;
                self.fill()?;
                continue;
            }
            if digits > 10 || v > u32::MAX as u64 {
                self.pos = start;
                return self.err(format!(
                    "value too large in the {what} array (over 32 bits)"
                ));
            }
            vals.push(v as u32);
            offs.push(self.base + start as u64);
            match self.peek_token()? {
                Some(b',') => self.bump(),
                Some(b']') => {
                    self.bump();
                    count += vals.len() as u64;
                    flush(&mut vals, &mut offs, &mut sink)?;
                    return Ok(count);
                }
                Some(b) => {
                    return self.err(format!(
                        "expected ',' or ']' in the {what} array, found '{}'",
                        (b as char).escape_default()
                    ))
                }
                None => {
                    return self.err(format!(
                        "the file ends inside the {what} array (truncated?)"
                    ))
                }
            }
            if vals.len() >= CHUNK {
                count += vals.len() as u64;
                flush(&mut vals, &mut offs, &mut sink)?;
            }
        }
    }

    /// Read a JSON string (the opening quote is next) and append its UTF-8 bytes to `out`.
    /// Escapes are decoded; lone surrogates become U+FFFD, as do invalid UTF-8 bytes later.
    pub(crate) fn read_string_into(&mut self, out: &mut Vec<u8>) -> ScanResult<()> {
        self.expect(b'"', "a string")?;
        let mut pending_high: Option<u16> = None;
        loop {
            if self.pos >= self.end && !self.fill()? {
                return self.err("the file ends inside a string (truncated?)");
            }
            // Fast path: copy a run of plain bytes.
            let run_start = self.pos;
            let mut p = self.pos;
            while p < self.end {
                let b = self.buf[p];
                if b == b'"' || b == b'\\' || b < 0x20 {
                    break;
                }
                p += 1;
            }
            if p > run_start {
                if let Some(h) = pending_high.take() {
                    push_char(out, h as u32);
                }
                out.extend_from_slice(&self.buf[run_start..p]);
                self.pos = p;
                continue;
            }
            let b = self.buf[self.pos];
            if b == b'"' {
                self.pos += 1;
                if let Some(h) = pending_high.take() {
                    push_char(out, h as u32);
                }
                return Ok(());
            }
            if b < 0x20 {
                return self.err("a control character inside a string");
            }
            // Backslash escape.
            self.pos += 1;
            let Some(e) = self.peek()? else {
                return self.err("the file ends inside a string escape (truncated?)");
            };
            self.pos += 1;
            let simple = match e {
                b'"' => Some(b'"'),
                b'\\' => Some(b'\\'),
                b'/' => Some(b'/'),
                b'b' => Some(8),
                b'f' => Some(12),
                b'n' => Some(b'\n'),
                b'r' => Some(b'\r'),
                b't' => Some(b'\t'),
                b'u' => None,
                _ => {
                    self.pos -= 1;
                    return self.err(format!(
                        "invalid escape '\\{}' in a string",
                        (e as char).escape_default()
                    ));
                }
            };
            if let Some(c) = simple {
                if let Some(h) = pending_high.take() {
                    push_char(out, h as u32);
                }
                out.push(c);
                continue;
            }
            let u = self.read_hex4()?;
            match (pending_high.take(), u) {
                (Some(h), 0xDC00..=0xDFFF) => {
                    let c = 0x10000 + (((h as u32) - 0xD800) << 10) + (u as u32 - 0xDC00);
                    push_char(out, c);
                }
                (prev, 0xD800..=0xDBFF) => {
                    if let Some(h) = prev {
                        push_char(out, h as u32);
                    }
                    pending_high = Some(u);
                }
                (prev, _) => {
                    if let Some(h) = prev {
                        push_char(out, h as u32);
                    }
                    push_char(out, u as u32);
                }
            }
        }
    }

    fn read_hex4(&mut self) -> ScanResult<u16> {
        let mut v: u16 = 0;
        for _ in 0..4 {
            let Some(b) = self.peek()? else {
                return self.err("the file ends inside a \\u escape (truncated?)");
            };
            let d = match b {
                b'0'..=b'9' => b - b'0',
                b'a'..=b'f' => b - b'a' + 10,
                b'A'..=b'F' => b - b'A' + 10,
                _ => return self.err("invalid \\u escape in a string"),
            };
            v = (v << 4) | d as u16;
            self.pos += 1;
        }
        Ok(v)
    }

    /// Skip one JSON value of any kind; when `capture` is given, append its bytes there.
    pub(crate) fn skip_value(&mut self, mut capture: Option<&mut Vec<u8>>) -> ScanResult<()> {
        let mut depth: usize = 0;
        let mut tmp = Vec::new();
        loop {
            let Some(b) = self.peek_token()? else {
                return self.err("the file ends inside a value (truncated?)");
            };
            match b {
                b'"' => {
                    tmp.clear();
                    self.read_string_into(&mut tmp)?;
                    if let Some(c) = capture.as_deref_mut() {
                        // Re-encode: serde_json reads it back.
                        let s = String::from_utf8_lossy(&tmp);
                        match serde_json::to_string(&s) {
                            Ok(j) => c.extend_from_slice(j.as_bytes()),
                            Err(_) => return self.err("cannot re-encode a string"),
                        }
                    }
                }
                b'{' | b'[' => {
                    self.bump();
                    depth += 1;
                    if depth > 64 {
                        return self.err("values nested too deep");
                    }
                    if let Some(c) = capture.as_deref_mut() {
                        c.push(b);
                    }
                    continue;
                }
                b'}' | b']' => {
                    if depth == 0 {
                        return self.err("unexpected closing bracket");
                    }
                    self.bump();
                    depth -= 1;
                    if let Some(c) = capture.as_deref_mut() {
                        c.push(b);
                    }
                }
                b',' | b':' => {
                    if depth == 0 {
                        return self.err("unexpected separator");
                    }
                    self.bump();
                    if let Some(c) = capture.as_deref_mut() {
                        c.push(b);
                    }
                    continue;
                }
                _ => {
                    // Number, true, false, null: a run of scalar bytes.
                    let mut n = 0;
                    while let Some(c) = self.peek()? {
                        if c.is_ascii_alphanumeric() || matches!(c, b'-' | b'+' | b'.') {
                            if let Some(cap) = capture.as_deref_mut() {
                                cap.push(c);
                            }
                            self.pos += 1;
                            n += 1;
                        } else {
                            break;
                        }
                    }
                    if n == 0 {
                        return self.err(format!(
                            "unexpected character '{}'",
                            (b as char).escape_default()
                        ));
                    }
                }
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }
}

/// Append code point `c` as UTF-8; surrogates and invalid values become U+FFFD.
fn push_char(out: &mut Vec<u8>, c: u32) {
    let ch = char::from_u32(c).unwrap_or('\u{FFFD}');
    let mut b = [0u8; 4];
    out.extend_from_slice(ch.encode_utf8(&mut b).as_bytes());
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ints(s: &str) -> Result<Vec<u64>, String> {
        let mut sc = Scanner::new(s.as_bytes());
        let mut v = Vec::new();
        sc.read_uint_array("test", 1, |x, _| {
            v.extend(x.iter().map(|&y| y as u64));
            Ok(())
        })
        .map_err(|e| format!("{e:?}"))?;
        Ok(v)
    }

    #[test]
    fn integer_arrays() {
        assert_eq!(ints("[1,2 ,\n3]").ok(), Some(vec![1, 2, 3]));
        assert_eq!(ints("[]").ok(), Some(vec![]));
        assert!(ints("[1,2").is_err());
        assert!(ints("[1,-2]").is_err());
        assert!(ints("[1,,2]").is_err());
    }

    #[test]
    fn strings_with_escapes() {
        let mut sc = Scanner::new(r#""a\"b\u00e9\ud83d\ude00\ud800x""#.as_bytes());
        let mut out = Vec::new();
        sc.read_string_into(&mut out)
            .map_err(|e| format!("{e:?}"))
            .ok();
        assert_eq!(String::from_utf8_lossy(&out), "a\"bé😀\u{FFFD}x");
    }
}
