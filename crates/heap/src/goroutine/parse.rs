//! Goroutine captures in all three shapes Go writes them, read into one [`Capture`]:
//! profile.proto (`/debug/pprof/goroutine`), `debug=1` text (counts per stack) and `debug=2`
//! text (`runtime.Stack(all)`: one block per goroutine with its state and wait minutes).

use crate::pprof::{self, merge::st};

/// One stack frame.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Frame {
    /// Function name as Go prints it (`main.leakReceiver.func1`, `sync.(*Mutex).Lock`).
    pub function: String,
    /// Source file (as recorded; `-trimpath` builds give module-relative paths).
    pub file: String,
    /// Line number (0 when unknown).
    pub line: i64,
}

impl Frame {
    /// `function file:line`.
    pub fn display(&self) -> String {
        if self.file.is_empty() {
            self.function.clone()
        } else {
            format!("{} {}:{}", self.function, self.file, self.line)
        }
    }
}

/// Goroutines sharing one stack (and, for debug=2, one state).
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// How many goroutines.
    pub count: u64,
    /// Wait reason or status from a debug=2 header (`chan receive`); None when the capture
    /// has no states (proto, debug=1): then it is inferred from runtime frames.
    pub state: Option<String>,
    /// Minutes waited, from debug=2 headers (Go prints it only when >= 1).
    pub wait_minutes: Option<u64>,
    /// The stack, innermost (leaf) first.
    pub frames: Vec<Frame>,
    /// `created by` frame (debug=2 only).
    pub created_by: Option<Frame>,
}

/// One goroutine capture.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Capture {
    /// `proto`, `debug=1` or `debug=2`.
    pub shape: &'static str,
    /// The stacks.
    pub records: Vec<Record>,
}

impl Capture {
    /// Total goroutines.
    pub fn total(&self) -> u64 {
        self.records
            .iter()
            .map(|r| r.count)
            .fold(0, u64::saturating_add)
    }
}

/// Why text is not a goroutine dump.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextError {
    /// 1-based line number of the problem.
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for TextError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "line {}: {}", self.line, self.message)
    }
}

impl std::error::Error for TextError {}

/// True when `prefix` starts a goroutine dump in text (debug=1 or debug=2).
pub fn sniff_text(prefix: &[u8]) -> bool {
    let s = String::from_utf8_lossy(&prefix[..prefix.len().min(256)]);
    let s = s.trim_start();
    s.starts_with("goroutine profile: total ")
        || s.starts_with("goroutineleak profile: total ")
        || (s.starts_with("goroutine ")
            && s["goroutine ".len()..].starts_with(|c: char| c.is_ascii_digit()))
}

/// Parse a debug=1 or debug=2 goroutine dump.
pub fn parse_text(text: &str) -> Result<Capture, TextError> {
    let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    if first.contains(" profile: total ") {
        parse_debug1(text)
    } else if first.starts_with("goroutine ") {
        parse_debug2(text)
    } else {
        Err(TextError {
            line: 1,
            message: "not a goroutine dump: expected `goroutine profile: total N` or `goroutine N [state]:`"
                .into(),
        })
    }
}

/// `func+0x1f` -> `func`.
fn strip_offset(f: &str) -> &str {
    match f.rfind("+0x") {
        Some(i) => &f[..i],
        None => f,
    }
}

/// `file:line` (with an optional ` +0x..` suffix) -> (file, line).
fn file_line(s: &str) -> (String, i64) {
    let s = s.trim();
    let s = match s.rfind(" +0x") {
        Some(i) => &s[..i],
        None => s,
    };
    match s.rsplit_once(':') {
        Some((f, l)) => match l.trim().parse::<i64>() {
            Ok(n) => (f.to_owned(), n),
            Err(_) => (s.to_owned(), 0),
        },
        None => (s.to_owned(), 0),
    }
}

fn parse_debug1(text: &str) -> Result<Capture, TextError> {
    let mut cap = Capture {
        shape: "debug=1",
        records: Vec::new(),
    };
    let mut cur: Option<Record> = None;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_end();
        if t.is_empty() || t.contains(" profile: total ") {
            continue;
        }
        if let Some(rest) = t.strip_prefix('#') {
            let parts: Vec<&str> = rest
                .split('\t')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .collect();
            if parts.first().is_some_and(|p| p.starts_with("labels:"))
                || rest.trim_start().starts_with("labels:")
            {
                continue;
            }
            if let (Some(r), [_pc, func, loc, ..]) = (cur.as_mut(), parts.as_slice()) {
                let (file, line) = file_line(loc);
                r.frames.push(Frame {
                    function: strip_offset(func).to_owned(),
                    file,
                    line,
                });
            }
            continue;
        }
        if let Some((n, _)) = t.split_once(" @") {
            if let Some(r) = cur.take() {
                cap.records.push(r);
            }
            let count = n.trim().parse::<u64>().map_err(|_| TextError {
                line: i + 1,
                message: format!("expected `<count> @ <pcs>`, found {t:?}"),
            })?;
            cur = Some(Record {
                count,
                state: None,
                wait_minutes: None,
                frames: Vec::new(),
                created_by: None,
            });
            continue;
        }
        return Err(TextError {
            line: i + 1,
            message: format!("unexpected line in a debug=1 goroutine profile: {t:?}"),
        });
    }
    if let Some(r) = cur.take() {
        cap.records.push(r);
    }
    Ok(cap)
}

/// `goroutine 7 [chan receive, 3 minutes, locked to thread]:` -> (state, minutes).
fn header(t: &str) -> Option<(String, Option<u64>)> {
    let rest = t.strip_prefix("goroutine ")?;
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    if digits == 0 {
        return None;
    }
    // Tracebacks with GOTRACEBACK=system put `gp=0x.. m=..` between the id and the bracket.
    let rest = &rest[digits..];
    let inner = &rest[rest.find('[')? + 1..];
    let end = inner.rfind("]:")?;
    let inner = &inner[..end];
    let mut parts = inner.split(", ");
    let state = parts.next().unwrap_or("").trim();
    let state = state.strip_suffix(" (scan)").unwrap_or(state).to_owned();
    let mut minutes = None;
    for p in parts {
        if let Some(m) = p.trim().strip_suffix(" minutes") {
            minutes = m.trim().parse::<u64>().ok();
        }
    }
    Some((state, minutes))
}

fn parse_debug2(text: &str) -> Result<Capture, TextError> {
    let mut cap = Capture {
        shape: "debug=2",
        records: Vec::new(),
    };
    let mut cur: Option<Record> = None;
    // The function line waiting for its file line; whether it is the `created by` frame.
    let mut pending: Option<(String, bool)> = None;
    let mut ancestors = false;
    for (i, line) in text.lines().enumerate() {
        let t = line.trim_end();
        if t.is_empty() {
            continue;
        }
        if t.starts_with("goroutine ") && !t.starts_with('\t') {
            let (state, minutes) = header(t).ok_or_else(|| TextError {
                line: i + 1,
                message: format!("a goroutine header that does not parse: {t:?}"),
            })?;
            if let Some(r) = cur.take() {
                cap.records.push(r);
            }
            cur = Some(Record {
                count: 1,
                state: Some(state),
                wait_minutes: minutes,
                frames: Vec::new(),
                created_by: None,
            });
            pending = None;
            ancestors = false;
            continue;
        }
        let Some(r) = cur.as_mut() else {
            return Err(TextError {
                line: i + 1,
                message: "text before the first `goroutine N [state]:` header".into(),
            });
        };
        if ancestors {
            continue;
        }
        if t.starts_with("[originating from goroutine") {
            ancestors = true; // GODEBUG=tracebackancestors: not this goroutine's stack
            continue;
        }
        if let Some(loc) = line.strip_prefix('\t') {
            if let Some((function, created)) = pending.take() {
                let (file, line) = file_line(loc);
                let f = Frame {
                    function,
                    file,
                    line,
                };
                if created {
                    r.created_by = Some(f);
                } else {
                    r.frames.push(f);
                }
            }
            continue;
        }
        if t.starts_with("...") {
            continue; // "...additional frames elided..."
        }
        if let Some(c) = t.strip_prefix("created by ") {
            let c = c.split(" in goroutine ").next().unwrap_or(c);
            pending = Some((c.trim().to_owned(), true));
            continue;
        }
        let function = match t.rfind('(') {
            Some(p) if t.ends_with(')') && p > 0 => &t[..p],
            _ => t,
        };
        pending = Some((function.to_owned(), false));
    }
    if let Some(r) = cur.take() {
        cap.records.push(r);
    }
    Ok(cap)
}

/// A goroutine profile.proto (already parsed) as a capture: one record per sample.
pub fn from_profile(p: &pprof::Profile) -> Capture {
    let funcs: std::collections::HashMap<u64, &pprof::proto::Function> =
        p.function.iter().map(|f| (f.id, f)).collect();
    let locs: std::collections::HashMap<u64, &pprof::proto::Location> =
        p.location.iter().map(|l| (l.id, l)).collect();
    let mut cap = Capture {
        shape: "proto",
        records: Vec::with_capacity(p.sample.len()),
    };
    for s in &p.sample {
        let count = s.value.first().copied().unwrap_or(0).max(0) as u64;
        let mut frames = Vec::new();
        for id in &s.location_id {
            let Some(l) = locs.get(id) else { continue };
            for ln in &l.line {
                let (function, file) = match funcs.get(&ln.function_id) {
                    Some(f) => (st(p, f.name).to_owned(), st(p, f.filename).to_owned()),
                    None => (format!("{:#x}", l.address), String::new()),
                };
                frames.push(Frame {
                    function,
                    file,
                    line: ln.line,
                });
            }
        }
        cap.records.push(Record {
            count,
            state: None,
            wait_minutes: None,
            frames,
            created_by: None,
        });
    }
    cap
}
