//! A parser for the Prometheus text exposition format (0.0.4) that also accepts what
//! OpenMetrics 1.0 endpoints send: `# EOF`, float timestamps, exemplars after `#`, and
//! quoted UTF-8 metric names inside the braces (`{"my.metric",a="b"} 1`).
//!
//! Written by hand because the one small crate for it (`prometheus-parse`) is unmaintained and
//! allocates a regex match per line; this one is a single pass over the bytes of each line.

/// One sample line: a series (name + labels) and its value. The timestamp is dropped.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct MetricSample {
    /// Metric name, e.g. `go_memstats_heap_inuse_bytes` or `http_requests_total`.
    pub name: String,
    /// Labels in the order written, values unescaped.
    pub labels: Vec<(String, String)>,
    /// The value; may be NaN or ±Inf.
    pub value: f64,
}

/// Malformed exposition text: which line, what was wrong, and the line itself.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("line {line}: {message}: `{excerpt}`")]
pub struct ScrapeError {
    /// 1-based line number.
    pub line: usize,
    /// What was wrong.
    pub message: String,
    /// The start of the offending line (at most 120 characters).
    pub excerpt: String,
}

const METRIC_TYPES: &[&str] = &[
    "counter",
    "gauge",
    "histogram",
    "summary",
    "untyped",
    "unknown",
    "info",
    "stateset",
    "gaugehistogram",
];

/// Parses a whole exposition. Comments, `# HELP` and `# TYPE` lines and blank lines are
/// skipped (a `# TYPE` with an unknown type, or `# HELP`/`# TYPE` without a metric name, is an
/// error); parsing stops at an OpenMetrics `# EOF`. The first malformed line is an error that
/// names it.
pub fn parse_exposition(text: &str) -> Result<Vec<MetricSample>, ScrapeError> {
    let mut out = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let line = raw.trim_matches(|c| c == ' ' || c == '\t' || c == '\r');
        if line.is_empty() {
            continue;
        }
        let result = if let Some(comment) = line.strip_prefix('#') {
            match check_comment(comment) {
                Ok(true) => break,
                Ok(false) => continue,
                Err(e) => Err(e),
            }
        } else {
            parse_sample(line).map(|s| out.push(s))
        };
        if let Err(message) = result {
            return Err(ScrapeError {
                line: i + 1,
                message,
                excerpt: line.chars().take(120).collect(),
            });
        }
    }
    Ok(out)
}

/// Checks a comment line (text after `#`). `Ok(true)` means `# EOF`.
fn check_comment(comment: &str) -> Result<bool, String> {
    let comment = comment.trim_start();
    if comment == "EOF" {
        return Ok(true);
    }
    let mut words = comment.split_whitespace();
    match words.next() {
        Some("HELP") => {
            words.next().ok_or("# HELP without a metric name")?;
        }
        Some("TYPE") => {
            words.next().ok_or("# TYPE without a metric name")?;
            let kind = words.next().ok_or("# TYPE without a type")?;
            if !METRIC_TYPES.contains(&kind) {
                return Err(format!("unknown metric type {kind:?}"));
            }
        }
        _ => {}
    }
    Ok(false)
}

/// A cursor over one line.
struct Cursor<'a> {
    s: &'a str,
    pos: usize,
}

impl<'a> Cursor<'a> {
    fn peek(&self) -> Option<char> {
        self.s.get(self.pos..)?.chars().next()
    }
    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }
    fn skip_ws(&mut self) -> usize {
        let start = self.pos;
        while matches!(self.peek(), Some(' ' | '\t')) {
            self.pos += 1;
        }
        self.pos - start
    }
    fn rest(&self) -> &'a str {
        self.s.get(self.pos..).unwrap_or("")
    }
    /// Takes `[a-zA-Z_:][a-zA-Z0-9_:]*` (colons only when `colons`).
    fn ident(&mut self, colons: bool) -> &'a str {
        let start = self.pos;
        while let Some(c) = self.peek() {
            let ok = c.is_ascii_alphabetic()
                || c == '_'
                || (colons && c == ':')
                || (self.pos > start && c.is_ascii_digit());
            if !ok {
                break;
            }
            self.pos += 1;
        }
        self.s.get(start..self.pos).unwrap_or("")
    }
    /// Takes a `"..."` string with `\\`, `\"` and `\n` escapes; the cursor is on the `"`.
    fn quoted(&mut self) -> Result<String, String> {
        self.bump();
        let mut out = String::new();
        loop {
            match self.bump() {
                None => return Err("unterminated quoted string".to_string()),
                Some('"') => return Ok(out),
                Some('\\') => match self.bump() {
                    Some('n') => out.push('\n'),
                    Some('\\') => out.push('\\'),
                    Some('"') => out.push('"'),
                    // Unknown escapes are kept as written (Prometheus does the same).
                    Some(c) => {
                        out.push('\\');
                        out.push(c);
                    }
                    None => return Err("unterminated quoted string".to_string()),
                },
                Some(c) => out.push(c),
            }
        }
    }
}

/// Parses the series part of a sample line (name and labels), leaving the cursor after it.
fn series(cur: &mut Cursor<'_>) -> Result<(String, Vec<(String, String)>), String> {
    let mut name = cur.ident(true).to_string();
    if name.is_empty() && cur.peek() != Some('{') {
        return Err("expected a metric name".to_string());
    }
    let mut labels: Vec<(String, String)> = Vec::new();
    cur.skip_ws();
    if cur.peek() != Some('{') {
        return Ok((name, labels));
    }
    cur.bump();
    let mut first = true;
    loop {
        cur.skip_ws();
        match cur.peek() {
            Some('}') => {
                cur.bump();
                break;
            }
            None => return Err("unterminated label set (missing '}')".to_string()),
            _ => {}
        }
        let label = if cur.peek() == Some('"') {
            let quoted = cur.quoted()?;
            cur.skip_ws();
            if first && name.is_empty() && matches!(cur.peek(), Some(',' | '}')) {
                // OpenMetrics 2 / Prometheus 3 quoted metric name: {"my.metric", ...}
                name = quoted;
                first = false;
                if cur.peek() == Some(',') {
                    cur.bump();
                }
                continue;
            }
            quoted
        } else {
            let ident = cur.ident(false);
            if ident.is_empty() {
                return Err(format!(
                    "expected a label name, found {:?}",
                    cur.peek().map(String::from).unwrap_or_default()
                ));
            }
            ident.to_string()
        };
        first = false;
        cur.skip_ws();
        if cur.bump() != Some('=') {
            return Err(format!("expected '=' after label name {label:?}"));
        }
        cur.skip_ws();
        if cur.peek() != Some('"') {
            return Err(format!("expected a quoted value for label {label:?}"));
        }
        let value = cur.quoted()?;
        if labels.iter().any(|(k, _)| *k == label) {
            return Err(format!("duplicate label {label:?}"));
        }
        labels.push((label, value));
        cur.skip_ws();
        match cur.bump() {
            Some(',') => {}
            Some('}') => break,
            _ => return Err("expected ',' or '}' after a label value".to_string()),
        }
    }
    if name.is_empty() {
        return Err("expected a metric name".to_string());
    }
    Ok((name, labels))
}

/// Parses `name{labels}` with nothing after it (for selectors).
pub(crate) fn parse_series(text: &str) -> Result<(String, Vec<(String, String)>), String> {
    let mut cur = Cursor { s: text, pos: 0 };
    let parsed = series(&mut cur)?;
    cur.skip_ws();
    if !cur.rest().is_empty() {
        return Err(format!("unexpected text {:?} after the series", cur.rest()));
    }
    Ok(parsed)
}

fn parse_sample(line: &str) -> Result<MetricSample, String> {
    let mut cur = Cursor { s: line, pos: 0 };
    let (name, labels) = series(&mut cur)?;
    cur.skip_ws();
    let rest = cur.rest();
    let mut tokens = rest.split([' ', '\t']).filter(|t| !t.is_empty());
    let value_text = tokens.next().ok_or("missing value")?;
    let value =
        parse_value(value_text).ok_or_else(|| format!("value {value_text:?} is not a number"))?;
    if let Some(ts) = tokens.next() {
        if ts.starts_with('#') {
            // OpenMetrics exemplar right after the value: ignored.
        } else if ts.parse::<i64>().is_err() && parse_value(ts).is_none_or(|t| !t.is_finite()) {
            return Err(format!("timestamp {ts:?} is not a number"));
        } else if let Some(extra) = tokens.next() {
            if !extra.starts_with('#') {
                return Err(format!("unexpected text {extra:?} after the timestamp"));
            }
        }
    }
    Ok(MetricSample {
        name,
        labels,
        value,
    })
}

/// Parses a sample value as Go's `strconv.ParseFloat` would for exposition values:
/// decimal/exponent forms, `NaN`, `+Inf`, `-Inf`, `Inf`.
fn parse_value(text: &str) -> Option<f64> {
    match text {
        "NaN" | "nan" => Some(f64::NAN),
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        _ => {
            let first = text.as_bytes().first()?;
            // Rust also accepts "infinity"/"nan" spellings; require a digit, sign or dot.
            if !(first.is_ascii_digit() || matches!(first, b'+' | b'-' | b'.')) {
                return None;
            }
            text.parse::<f64>().ok()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values() {
        assert_eq!(parse_value("1.5e3"), Some(1500.0));
        assert_eq!(parse_value("-0"), Some(-0.0));
        assert!(parse_value("NaN").is_some_and(f64::is_nan));
        assert_eq!(parse_value("+Inf"), Some(f64::INFINITY));
        assert_eq!(parse_value("abc"), None);
        assert_eq!(parse_value(""), None);
    }
}
