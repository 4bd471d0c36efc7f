//! A byte scanner over any `Read` that tracks the absolute offset: the low level of the
//! streaming `.heapsnapshot` reader. It never holds more than one buffer of the file.

use std::io::Read;

/// Buffer size for reading the file (8 MiB): one batch of integer-array pieces.
const BUF_SIZE: usize = 8 << 20;
/// The smallest buffer (for inputs known to be small).
const MIN_BUF_SIZE: usize = 64 << 10;
/// Integer arrays are parsed in pieces of about this many bytes, one per task.
const PIECE_BYTES: usize = 1 << 20;
/// A refill stops once at least this many bytes are ahead (token-level reads need few).
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
    /// Wrap `inner` with the full-size buffer (tests).
    #[cfg(test)]
    pub(crate) fn new(inner: R) -> Self {
        Self::with_size_hint(inner, 0)
    }

    /// Wrap `inner`, whose length is about `size_hint` bytes (0 = unknown): small inputs get a
    /// small buffer (fuzzing reads thousands of tiny ones a second).
    pub(crate) fn with_size_hint(inner: R, size_hint: u64) -> Self {
        let size = match size_hint {
            0 => BUF_SIZE,
            n => (n as usize).saturating_add(1).clamp(MIN_BUF_SIZE, BUF_SIZE),
        };
        Self {
            inner,
            buf: vec![0u8; size].into_boxed_slice(),
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

    /// Move unread bytes to the front and read until the buffer is full or the input ends.
    fn fill_full(&mut self) -> ScanResult<()> {
        while !self.eof && (self.pos > 0 || self.end < self.buf.len()) {
            self.fill()?;
        }
        Ok(())
    }

    /// Read a JSON array of integers that fit in 32 bits, handing them to `sink` in chunks of
    /// whole records of `align` values (a last partial record is left out; the returned count
    /// says so). `sink` may reject value `i` of a chunk with a message, which becomes a format
    /// error at that value's byte offset. Returns the number of values.
    ///
    /// The buffer's text is cut after commas into pieces that are parsed on all cores: the
    /// `nodes` and `edges` arrays are ~90% of a snapshot file.
    pub(crate) fn read_uint_array(
        &mut self,
        what: &str,
        align: usize,
        mut sink: impl FnMut(&[u32]) -> Result<(), (usize, String)>,
    ) -> ScanResult<u64> {
        let align = align.max(1);
        self.expect(b'[', &format!("the start of the {what} array"))?;
        if self.peek_token()? == Some(b']') {
            self.bump();
            return Ok(0);
        }
        let mut count = 0u64;
        // Values of a record cut by a piece boundary, with their offsets.
        let mut carry: Vec<u32> = Vec::with_capacity(align);
        let mut carry_off: Vec<u64> = Vec::with_capacity(align);
        let mut row: Vec<u32> = Vec::with_capacity(align);
        let mut pool: Vec<Vec<u32>> = Vec::new();
        loop {
            self.fill_full()?;
            let region = &self.buf[self.pos..self.end];
            // Cut after the last comma so no value is split; at the end of the input (or
            // with no comma in a full buffer) the whole region is one last piece.
            let cut = match region.iter().rposition(|&b| b == b',') {
                Some(c) if !self.eof => c + 1,
                _ => region.len(),
            };
            let text = &region[..cut];
            let bounds = piece_bounds(text, PIECE_BYTES);
            let base = self.base + self.pos as u64;
            // Value buffers are reused from batch to batch: fresh ones would cost a page
            // fault per 4 KiB every time.
            if pool.len() < bounds.len() {
                pool.resize_with(bounds.len(), Vec::new);
            }
            let eof = self.eof;
            // Hand the values of one parsed piece to `sink` in whole records; Some(index of
            // the closing bracket in `text`) when the array ends in this piece.
            let mut absorb =
                |a: usize, b: usize, end: PieceEnd, vals: &[u32]| -> ScanResult<Option<usize>> {
                    let ptext = &text[a..b];
                    let pbase = base + a as u64;
                    count += vals.len() as u64;
                    let at = |i: usize| pbase + value_offset(ptext, i) as u64;
                    let mut rest = vals;
                    if !carry.is_empty() {
                        let need = (align - carry.len()).min(rest.len());
                        for (i, &v) in rest[..need].iter().enumerate() {
                            carry.push(v);
                            carry_off.push(at(i));
                        }
                        rest = &rest[need..];
                        if carry.len() == align {
                            row.clear();
                            row.extend_from_slice(&carry);
                            if let Err((i, message)) = sink(&row) {
                                let offset = carry_off.get(i).copied().unwrap_or(pbase);
                                return Err(ScanError::Format { offset, message });
                            }
                            carry.clear();
                            carry_off.clear();
                        }
                    }
                    let skipped = vals.len() - rest.len();
                    let whole = rest.len() / align * align;
                    if whole > 0 {
                        if let Err((i, message)) = sink(&rest[..whole]) {
                            let offset = at(skipped + i);
                            return Err(ScanError::Format { offset, message });
                        }
                    }
                    let tail = skipped + whole;
                    if tail < vals.len() {
                        let lim = match end {
                            PieceEnd::Closed(q) => q,
                            _ => ptext.len(),
                        };
                        let offs = tail_offsets(&ptext[..lim], vals.len() - tail);
                        carry.extend_from_slice(&vals[tail..]);
                        carry_off.extend(offs.iter().map(|&o| pbase + o as u64));
                    }
                    match end {
                        PieceEnd::Closed(q) => Ok(Some(a + q)),
                        PieceEnd::AfterValue if b == text.len() => {
                            // A value not followed by ',' or ']' before the input (or a full
                            // buffer of whitespace) ends.
                            let offset = pbase + ptext.len() as u64;
                            let message = if eof {
                                format!("the file ends inside the {what} array (truncated?)")
                            } else {
                                format!(
                                    "a value and over {} KiB of whitespace inside the {what} array",
                                    text.len() >> 10
                                )
                            };
                            Err(ScanError::Format { offset, message })
                        }
                        _ => Ok(None),
                    }
                };
            // Pieces are parsed on the pool while this thread hands finished ones, in order,
            // to the sink: the sink's sequential work overlaps the parsing.
            let (tx, rx) = std::sync::mpsc::channel();
            let closed = rayon::in_place_scope(|sc| -> ScanResult<Option<usize>> {
                for (i, &(a, b)) in bounds.iter().enumerate() {
                    let tx = tx.clone();
                    let mut vals = std::mem::take(&mut pool[i]);
                    sc.spawn(move |_| {
                        let r = parse_piece(&text[a..b], base + a as u64, what, &mut vals);
                        let _ = tx.send((i, r, vals));
                    });
                }
                drop(tx);
                let mut done: Vec<Option<(ScanResult<PieceEnd>, Vec<u32>)>> =
                    (0..bounds.len()).map(|_| None).collect();
                for (next, &(a, b)) in bounds.iter().enumerate() {
                    while done[next].is_none() {
                        match rx.try_recv() {
                            Ok((i, r, v)) => {
                                done[i] = Some((r, v));
                                continue;
                            }
                            Err(std::sync::mpsc::TryRecvError::Disconnected) => break,
                            Err(std::sync::mpsc::TryRecvError::Empty) => {}
                        }
                        // On a pool thread, run pending work (maybe our own pieces) instead
                        // of blocking it; block only when there is nothing to run.
                        if rayon::yield_now() != Some(rayon::Yield::Executed) {
                            match rx.recv() {
                                Ok((i, r, v)) => done[i] = Some((r, v)),
                                Err(_) => break,
                            }
                        }
                    }
                    let Some((res, vals)) = done[next].take() else {
                        break;
                    };
                    let r = res.and_then(|end| absorb(a, b, end, &vals));
                    pool[next] = vals;
                    match r {
                        Ok(None) => {}
                        other => return other,
                    }
                }
                Ok(None)
            })?;
            if let Some(q) = closed {
                // Past the closing bracket.
                self.pos += q + 1;
                return Ok(count);
            }
            self.pos += cut;
            if self.eof && self.pos >= self.end {
                return self.err(format!(
                    "the file ends inside the {what} array (truncated?)"
                ));
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
            let p = run_start + plain_string_len(&self.buf[run_start..self.end]);
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
                    if capture.is_none() {
                        // Skipped arrays (`locations`, `samples`) can be large: scan in place,
                        // taking separators along inside arrays and objects. (So a doubled
                        // comma in a skipped section goes unnoticed; nothing reads it.)
                        let seps = depth > 0;
                        loop {
                            let region = &self.buf[self.pos..self.end];
                            let fast = if seps { number_list_len(region) } else { 0 };
                            let run = fast
                                + region[fast..]
                                    .iter()
                                    .position(|&c| {
                                        !(c.is_ascii_alphanumeric()
                                            || matches!(c, b'-' | b'+' | b'.')
                                            || (seps && (c == b',' || is_ws(c))))
                                    })
                                    .unwrap_or(region.len() - fast);
                            self.pos += run;
                            n += run;
                            if self.pos < self.end || !self.fill()? {
                                break;
                            }
                        }
                    }
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

/// The length of the leading run of bytes in `b` that a JSON string holds as they are (no
/// quote, backslash or control character).
fn plain_string_len(b: &[u8]) -> usize {
    let mut p = 0;
    #[cfg(target_arch = "x86_64")]
    {
        use std::arch::x86_64::*;
        while p + 16 <= b.len() {
            // SAFETY: SSE2 is always available on x86_64; the load reads 16 bytes inside `b`.
            let stop = unsafe {
                let x = _mm_loadu_si128(b.as_ptr().add(p) as *const __m128i);
                let quote = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'"' as i8));
                let backslash = _mm_cmpeq_epi8(x, _mm_set1_epi8(b'\\' as i8));
                // Unsigned x <= 0x1f: max(x, 0x1f) == 0x1f.
                let c = _mm_set1_epi8(0x1f);
                let control = _mm_cmpeq_epi8(_mm_max_epu8(x, c), c);
                _mm_movemask_epi8(_mm_or_si128(_mm_or_si128(quote, backslash), control)) as u32
            };
            if stop != 0 {
                return p + stop.trailing_zeros() as usize;
            }
            p += 16;
        }
    }
    p + b[p..]
        .iter()
        .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
        .unwrap_or(b.len() - p)
}

/// The length of the leading run of digits, commas and newlines in `b`, 64 bytes at a time
/// (a run shorter than it is fine: callers go on byte by byte).
fn number_list_len(b: &[u8]) -> usize {
    let mut p = 0;
    while p + 64 <= b.len() {
        let (nd, comma, nl) = classify64(&b[p..p + 64]);
        let other = nd & !comma & !nl;
        if other != 0 {
            return p + other.trailing_zeros() as usize;
        }
        p += 64;
    }
    p
}

/// How a piece of an integer array's text ends.
#[derive(Debug, Clone, Copy, PartialEq)]
enum PieceEnd {
    /// After a comma (or at the start): the next value comes in the next piece.
    Open,
    /// Right after a value, with no ',' or ']' yet.
    AfterValue,
    /// At the closing bracket, at this index of the piece.
    Closed(usize),
}

#[inline]
fn is_ws(b: u8) -> bool {
    matches!(b, b' ' | b'\n' | b'\r' | b'\t')
}

/// Split `text` (which ends after a comma, or is the last region) into pieces of about `size`
/// bytes, each cut right after a comma.
fn piece_bounds(text: &[u8], size: usize) -> Vec<(usize, usize)> {
    let mut out = Vec::with_capacity(text.len() / size + 1);
    let mut a = 0;
    while a < text.len() {
        let mut b = (a + size).min(text.len());
        if b < text.len() {
            b = match text[b..].iter().position(|&c| c == b',') {
                Some(i) => b + i + 1,
                None => text.len(),
            };
        }
        out.push((a, b));
        a = b;
    }
    if out.is_empty() {
        out.push((0, 0));
    }
    out
}

/// Parse one piece: `ws* digits ws* ,` repeated; stops at `]`. `base` is the piece's offset
/// in the file, for errors.
fn parse_piece(text: &[u8], base: u64, what: &str, vals: &mut Vec<u32>) -> ScanResult<PieceEnd> {
    let n = text.len();
    vals.clear();
    // Every value takes at least two bytes (`0,`), and a window appends 32 before it trims:
    // this never reallocates.
    vals.reserve(n / 2 + 64);
    let mut p = 0;
    let err = |at: usize, message: String| {
        Err(ScanError::Format {
            offset: base + at as u64,
            message,
        })
    };
    loop {
        // Fastest path: 64 bytes of well-formed `digits[\n],` at a time.
        while p + 72 <= n {
            match parse_window(text, p, vals) {
                Some(q) => p = q,
                None => break,
            }
        }
        // Fast path: up to 8 digits and a comma, eight bytes at a time (SWAR). Anything else
        // (whitespace, longer numbers, errors, the piece's last bytes) takes the checked path.
        while p + 16 <= n {
            let (len, v) = swar_digits(&text[p..p + 8]);
            // V8 writes `,` between values and `\n,` after each record.
            let step = match (text[p + len], text[p + len + 1]) {
                (b',', _) => len + 1,
                (b'\n', b',') => len + 2,
                _ => break,
            };
            if len == 0 {
                break;
            }
            vals.push(v);
            p += step;
        }
        while p < n && is_ws(text[p]) {
            p += 1;
        }
        if p == n {
            return Ok(PieceEnd::Open);
        }
        let start = p;
        let mut v: u64 = 0;
        while p < n {
            let d = text[p].wrapping_sub(b'0');
            if d > 9 {
                break;
            }
            v = v * 10 + d as u64;
            p += 1;
            if p - start > 10 {
                break;
            }
        }
        if p == start {
            let b = text[p];
            return err(
                p,
                format!(
                    "expected a non-negative integer in the {what} array, found '{}'",
                    (b as char).escape_default()
                ),
            );
        }
        if p - start > 10 || v > u32::MAX as u64 {
            return err(
                start,
                format!("value too large in the {what} array (over 32 bits)"),
            );
        }
        vals.push(v as u32);
        while p < n && is_ws(text[p]) {
            p += 1;
        }
        if p == n {
            return Ok(PieceEnd::AfterValue);
        }
        match text[p] {
            b',' => p += 1,
            b']' => return Ok(PieceEnd::Closed(p)),
            b => {
                return err(
                    p,
                    format!(
                        "expected ',' or ']' in the {what} array, found '{}'",
                        (b as char).escape_default()
                    ),
                )
            }
        }
    }
}

/// The high bit of each byte of `w` that equals `b`, exactly (no false positives).
#[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
#[inline(always)]
fn bytes_eq(w: u64, b: u8) -> u64 {
    let x = w ^ (0x0101_0101_0101_0101 * b as u64);
    !(((x & 0x7f7f_7f7f_7f7f_7f7f) + 0x7f7f_7f7f_7f7f_7f7f) | x) & 0x8080_8080_8080_8080
}

/// The high bit of each byte of `w` that is not an ASCII digit.
#[inline(always)]
fn non_digits(w: u64) -> u64 {
    let d = w ^ 0x3030_3030_3030_3030;
    // Bytes of 10 or more (after the xor) get the high bit. A carry out of a byte of 0x8a
    // or more may also mark the digit after it: exact up to the first marked byte, and
    // callers that need more reject windows holding such bytes.
    (d.wrapping_add(0x7676_7676_7676_7676) | d) & 0x8080_8080_8080_8080
}

/// The 8 high bits of `x` (one per byte) as an 8-bit mask, byte 0 in bit 0.
#[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
#[inline(always)]
fn gather(x: u64) -> u64 {
    (x >> 7).wrapping_mul(0x0102_0408_1020_4080) >> 56
}

/// The value of the first `len` (1..=8) digit bytes of `w` (little-endian).
#[inline(always)]
fn digits_value(w: u64, len: usize) -> u32 {
    let d = w ^ 0x3030_3030_3030_3030;
    // Keep the digits, moved to the high bytes: the low bytes become leading zeros.
    let mut v = d << (8 * (8 - len));
    // Combine digits pairwise, then pairs of pairs, then the two halves.
    v = (v & 0x0f0f_0f0f_0f0f_0f0f)
        .wrapping_mul(10 << 8)
        .wrapping_add(v & 0x0f0f_0f0f_0f0f_0f0f)
        >> 8;
    v = (v & 0x00ff_00ff_00ff_00ff)
        .wrapping_mul(100 << 16)
        .wrapping_add(v & 0x00ff_00ff_00ff_00ff)
        >> 16;
    v = (v & 0x0000_ffff_0000_ffff)
        .wrapping_mul(10000 << 32)
        .wrapping_add(v & 0x0000_ffff_0000_ffff)
        >> 32;
    v as u32
}

#[inline(always)]
fn load8(text: &[u8], at: usize) -> u64 {
    let mut w = [0u8; 8];
    w.copy_from_slice(&text[at..at + 8]);
    u64::from_le_bytes(w)
}

/// Parse the 64 bytes at `p` (a value's first byte) up to their last comma when they hold
/// nothing but values of at most 8 digits, each followed by `,` or `\n,`; returns where the
/// next value starts, or None to let the checked path look. Values are found from bit masks
/// of the window's digits, commas and newlines, so one value's parse does not wait for the
/// previous one's end (no dependency chain through the position). Needs `p + 72 <= len`.
#[inline]
fn parse_window(text: &[u8], p: usize, vals: &mut Vec<u32>) -> Option<usize> {
    // Cheap early out for whitespace-formatted arrays (pretty-printed files).
    if !text[p].is_ascii_digit() {
        return None;
    }
    let (nd, comma, nl) = classify64(&text[p..p + 64]);
    if comma == 0 {
        return None;
    }
    let len = 64 - comma.leading_zeros() as usize; // just past the last comma
    let lm = if len == 64 { !0 } else { (1u64 << len) - 1 };
    let (nd, nl) = (nd & lm, nl & lm);
    let digits = !nd & lm;
    // Exact classes: a byte is a digit, a comma or a newline, and nothing else. (The
    // non-digit mask can over-mark after a high byte; such a byte is caught here as bad.)
    let bad = nd & !comma & !nl;
    // `,` then a digit (except the last comma, whose follower is outside); `\n` then `,`;
    // a digit before `\n`; a digit or `\n` before `,`.
    let comma_ok = comma & (nd >> 1) & (lm >> 1) == 0;
    let nl_ok = nl & !(comma >> 1) == 0 && nl & (nd << 1) == 0;
    let comma_after = comma & (nd << 1) & !(nl << 1) == 0;
    // No run of 9 digits (those take the checked path, which knows 10-digit values).
    let mut run = digits;
    for k in 1..9 {
        run &= digits >> k;
    }
    if bad != 0 || !comma_ok || !nl_ok || !comma_after || run != 0 {
        return None;
    }
    let mut starts = digits & ((nd << 1) | 1);
    let mut ends = nd & (digits << 1);
    // Staged in registers/stack and appended once: pushing one by one reloads the Vec's
    // length and capacity every time.
    let mut out = [0u32; 32];
    let mut k = 0;
    while starts != 0 && k < out.len() {
        let s = starts.trailing_zeros() as usize;
        let e = ends.trailing_zeros() as usize;
        starts &= starts - 1;
        ends &= ends - 1;
        out[k] = digits_value(load8(text, p + s), e - s);
        k += 1;
    }
    // A fixed-size copy inlines to a few vector moves (a variable one calls memmove).
    let keep = vals.len() + k;
    vals.extend_from_slice(&out);
    vals.truncate(keep);
    Some(p + len)
}

/// Bit masks of the 64 bytes of `w` (byte i in bit i): non-digits, commas, newlines. The
/// non-digit mask may over-mark after a byte of 0x8a or more (see [`non_digits`]).
#[cfg(not(target_arch = "x86_64"))]
#[inline(always)]
fn classify64(w: &[u8]) -> (u64, u64, u64) {
    classify64_swar(w)
}

/// [`classify64`] in plain 64-bit arithmetic, for targets without SSE2 (and to check the
/// SSE2 one against).
#[cfg_attr(all(target_arch = "x86_64", not(test)), allow(dead_code))]
#[inline(always)]
fn classify64_swar(w: &[u8]) -> (u64, u64, u64) {
    let (mut nd, mut comma, mut nl) = (0u64, 0u64, 0u64);
    for k in 0..8 {
        let x = load8(w, 8 * k);
        nd |= gather(non_digits(x)) << (8 * k);
        comma |= gather(bytes_eq(x, b',')) << (8 * k);
        nl |= gather(bytes_eq(x, b'\n')) << (8 * k);
    }
    (nd, comma, nl)
}

/// Bit masks of the 64 bytes of `w` (byte i in bit i): non-digits, commas, newlines. SSE2 is
/// part of x86-64, so no feature check: a compare and a move-mask per 16 bytes and class.
#[cfg(target_arch = "x86_64")]
#[inline(always)]
fn classify64(w: &[u8]) -> (u64, u64, u64) {
    use std::arch::x86_64::*;
    let w: &[u8; 64] = w.try_into().expect("classify64 takes 64 bytes");
    let (mut nd, mut comma, mut nl) = (0u64, 0u64, 0u64);
    // SAFETY: SSE2 is always available on x86_64, and every load reads 16 bytes inside `w`.
    unsafe {
        let (lo, hi) = (_mm_set1_epi8(b'0' as i8 - 1), _mm_set1_epi8(b'9' as i8 + 1));
        let (c, n) = (_mm_set1_epi8(b',' as i8), _mm_set1_epi8(b'\n' as i8));
        for k in 0..4 {
            let x = _mm_loadu_si128(w.as_ptr().add(16 * k) as *const __m128i);
            // Signed compares: bytes of 0x80 and up are negative, so never digits.
            let digit = _mm_and_si128(_mm_cmpgt_epi8(x, lo), _mm_cmplt_epi8(x, hi));
            let d = _mm_movemask_epi8(digit) as u16 as u64;
            nd |= (!d & 0xffff) << (16 * k);
            comma |= (_mm_movemask_epi8(_mm_cmpeq_epi8(x, c)) as u16 as u64) << (16 * k);
            nl |= (_mm_movemask_epi8(_mm_cmpeq_epi8(x, n)) as u16 as u64) << (16 * k);
        }
    }
    (nd, comma, nl)
}

/// The number of leading ASCII digits in `b` (8 bytes, at most 8 counted) and their value;
/// `(0, 0)` when `b` does not start with a digit.
#[inline(always)]
fn swar_digits(b: &[u8]) -> (usize, u32) {
    let w = load8(b, 0);
    // Eight when all are digits: the caller then finds a digit, not a delimiter, after a
    // longer number and leaves it to the checked path.
    let len = (non_digits(w).trailing_zeros() / 8) as usize;
    if len == 0 {
        return (0, 0);
    }
    (len, digits_value(w, len))
}

/// Start indexes of the last `k` values in `text`, in order (backward scan: cheap at the end).
fn tail_offsets(text: &[u8], k: usize) -> Vec<usize> {
    let mut out = Vec::with_capacity(k);
    let mut p = text.len();
    while out.len() < k && p > 0 {
        while p > 0 && (is_ws(text[p - 1]) || text[p - 1] == b',') {
            p -= 1;
        }
        while p > 0 && text[p - 1].is_ascii_digit() {
            p -= 1;
        }
        out.push(p);
    }
    out.reverse();
    out
}

/// Index in `text` where value number `i` of a piece starts: O(i), so for error offsets and
/// the first values of a piece only.
fn value_offset(text: &[u8], i: usize) -> usize {
    let mut p = 0;
    let mut k = 0;
    while p < text.len() {
        while p < text.len() && (is_ws(text[p]) || text[p] == b',') {
            p += 1;
        }
        if k == i {
            return p;
        }
        while p < text.len() && text[p].is_ascii_digit() {
            p += 1;
        }
        k += 1;
    }
    p
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
        sc.read_uint_array("test", 1, |x| {
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

    /// Long arrays take the eight-bytes-at-a-time path; check it against the values written,
    /// for every digit count, separators with whitespace, and piece and buffer boundaries.
    #[test]
    fn long_integer_arrays_match_what_was_written() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut want = Vec::new();
        let mut text = String::from("[");
        // Over 8 MiB of text: more than one buffer, many pieces.
        for i in 0..1_700_000u32 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let digits = (x % 10) as u32 + 1;
            let v = if digits == 10 {
                (x >> 8) as u32
            } else {
                ((x >> 8) % 10u64.pow(digits)) as u32
            };
            want.push(v as u64);
            if i > 0 {
                text.push_str(match x % 7 {
                    0 => "\n,",
                    1 => " , ",
                    _ => ",",
                });
            }
            text.push_str(&v.to_string());
        }
        text.push(']');
        assert!(text.len() > BUF_SIZE);
        assert_eq!(ints(&text).ok(), Some(want.clone()));
        // Records of 7 values arrive whole, in order, whatever the piece boundaries.
        let mut sc = Scanner::new(text.as_bytes());
        let mut got = Vec::new();
        let count = sc
            .read_uint_array("test", 7, |x| {
                assert_eq!(x.len() % 7, 0);
                got.extend(x.iter().map(|&y| y as u64));
                Ok(())
            })
            .map_err(|e| format!("{e:?}"));
        assert_eq!(count, Ok(want.len() as u64));
        assert_eq!(got[..], want[..want.len() / 7 * 7]);
        assert_eq!(ints("[4294967295,0]").ok(), Some(vec![4294967295, 0]));
        let big = format!("[{}4294967296,1]", "1,".repeat(20));
        assert!(ints(&big).is_err());
        assert!(ints(&format!("[{}12345678901,1]", "1,".repeat(20))).is_err());
    }

    #[test]
    fn byte_classes_agree_between_sse2_and_plain_arithmetic() {
        // Windows mixing the bytes of integer arrays with anything else, from a fixed LCG.
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u32
        };
        for _ in 0..20_000 {
            let mut w = [0u8; 64];
            let mix = next() % 4;
            for b in w.iter_mut() {
                let r = next();
                *b = match (mix, r % 8) {
                    (0, _) | (_, 0..=4) => b"0123456789,\n"[(r >> 8) as usize % 12],
                    _ => (r >> 8) as u8,
                };
            }
            let (nd, comma, nl) = classify64(&w);
            let (snd, scomma, snl) = classify64_swar(&w);
            assert_eq!((comma, nl), (scomma, snl), "{w:?}");
            let exact = !w
                .iter()
                .enumerate()
                .fold(0u64, |m, (i, b)| m | (b.is_ascii_digit() as u64) << i);
            assert_eq!(nd, exact, "{w:?}");
            // The plain version may over-mark only after a byte that is 0x8a or more once
            // xor-ed with b'0' (see `non_digits`).
            let high = w.iter().position(|&b| b ^ b'0' >= 0x8a).unwrap_or(64);
            let upto = if high >= 63 {
                !0
            } else {
                (1u64 << (high + 1)) - 1
            };
            assert_eq!(snd & upto, nd & upto, "{w:?}");
            assert_eq!(snd & nd, nd, "{w:?}");
        }
    }

    /// Hands out its bytes in uneven reads, with an interruption now and then, as a pipe or
    /// a slow disk might.
    struct Dribble<'a> {
        data: &'a [u8],
        calls: usize,
    }

    impl std::io::Read for Dribble<'_> {
        fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
            self.calls += 1;
            if self.calls % 97 == 0 {
                return Err(std::io::ErrorKind::Interrupted.into());
            }
            let n = out
                .len()
                .min(self.data.len())
                .min(7919 * (1 + self.calls % 300));
            out[..n].copy_from_slice(&self.data[..n]);
            self.data = &self.data[n..];
            Ok(n)
        }
    }

    #[test]
    fn arrays_across_buffers_and_uneven_reads_and_what_follows_them() {
        // Two arrays of over a buffer each, with a key between, through uneven reads: what
        // follows an array's closing bracket is read from where the array's buffer left it.
        let first: Vec<u64> = (0..2_000_000u64)
            .map(|i| i * 2_654_435_761 % 100_000_007)
            .collect();
        let second: Vec<u64> = (0..1_900_000u64).map(|i| i % 1000).collect();
        let join = |v: &[u64]| {
            v.iter()
                .enumerate()
                .map(|(i, x)| {
                    if i % 7 == 6 {
                        format!("{x}\n")
                    } else {
                        x.to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join(",")
        };
        let text = format!("[{}],\"next\":[{}]}}", join(&first), join(&second));
        assert!(text.len() > 2 * BUF_SIZE);
        let mut sc = Scanner::new(Dribble {
            data: text.as_bytes(),
            calls: 0,
        });
        let mut got = Vec::new();
        let n = sc.read_uint_array("first", 1, |x| {
            got.extend(x.iter().map(|&y| y as u64));
            Ok(())
        });
        assert_eq!(n.ok(), Some(first.len() as u64));
        assert!(got == first);
        assert!(sc.expect(b',', "a comma").is_ok());
        let mut key = Vec::new();
        assert!(sc.read_string_into(&mut key).is_ok());
        assert_eq!(key, b"next");
        assert!(sc.expect(b':', "a colon").is_ok());
        got.clear();
        let n = sc.read_uint_array("second", 1, |x| {
            got.extend(x.iter().map(|&y| y as u64));
            Ok(())
        });
        assert_eq!(n.ok(), Some(second.len() as u64));
        assert!(got == second);
        assert_eq!(sc.offset(), text.len() as u64 - 1);
        assert_eq!(sc.peek_token().ok().flatten(), Some(b'}'));
        // A bad byte far into the second buffer is reported at its own offset.
        let at = BUF_SIZE + BUF_SIZE / 3;
        let at = at
            + text.as_bytes()[at..]
                .iter()
                .position(|b| b.is_ascii_digit())
                .unwrap_or(0);
        let mut bad = text.into_bytes();
        bad[at] = b'x';
        let mut sc = Scanner::new(Dribble {
            data: &bad,
            calls: 0,
        });
        match sc.read_uint_array("first", 1, |_| Ok(())) {
            Err(ScanError::Format { offset, .. }) => assert_eq!(offset, at as u64),
            other => panic!("expected a format error at {at}: {other:?}"),
        }
    }

    #[test]
    fn bad_values_are_reported_at_their_offset() {
        let mut text = String::from("[");
        for i in 0..100_000 {
            text.push_str(&format!("{},", i * 37));
        }
        let text = text;
        // A letter, and a non-ASCII byte (which could fool the bit tricks), mid-window.
        for bad in ["12x4", "12\u{e9}4"] {
            let mut t = text.clone();
            let at = t.len();
            t.push_str(bad);
            t.push_str(&",1".repeat(40));
            t.push(']');
            let mut sc = Scanner::new(t.as_bytes());
            match sc.read_uint_array("test", 1, |_| Ok(())) {
                Err(ScanError::Format { offset, .. }) => assert_eq!(offset, at as u64 + 2),
                other => panic!("expected a format error, got {other:?}"),
            }
        }
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

    #[test]
    fn long_strings_with_an_escape_or_a_stop_byte_anywhere() {
        // Runs are scanned 16 bytes at a time: put the special byte at every position.
        let plain = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOP";
        for k in 0..=plain.len() {
            let (a, b) = plain.split_at(k);
            let text = format!("\"{a}\\n{b}\",");
            let mut sc = Scanner::new(text.as_bytes());
            let mut out = Vec::new();
            assert!(sc.read_string_into(&mut out).is_ok(), "escape at {k}");
            assert_eq!(out, format!("{a}\n{b}").into_bytes());
            assert_eq!(sc.peek().ok().flatten(), Some(b','));
            // A raw control byte is refused where it stands.
            let text = format!("\"{a}\u{1}{b}\"");
            let mut sc = Scanner::new(text.as_bytes());
            match sc.read_string_into(&mut Vec::new()) {
                Err(ScanError::Format { offset, .. }) => assert_eq!(offset, 1 + k as u64),
                other => panic!("control byte at {k}: {other:?}"),
            }
        }
    }

    #[test]
    fn long_skipped_number_lists_end_at_their_bracket() {
        let body: String = (0..300).map(|i| format!("{i},{}\n,", i * 7)).collect();
        for tail in ["9]", "9,\"s\",[1,2],{\"k\":1}]", "9 ]"] {
            let text = format!("[{body}{tail},\"next\"");
            let mut sc = Scanner::new(text.as_bytes());
            assert!(sc.skip_value(None).is_ok(), "{tail}");
            assert_eq!(sc.offset(), text.len() as u64 - 7, "{tail}");
            // Cut anywhere, it is an error, never a panic or a success.
            for cut in [70, 1000, text.len() - 9] {
                let mut sc = Scanner::new(&text.as_bytes()[..cut]);
                assert!(sc.skip_value(None).is_err(), "{tail} cut at {cut}");
            }
        }
    }
}
