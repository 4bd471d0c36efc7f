//! Label sets and PromQL selectors: how a series is named (`metric{label="value",...}`) and
//! how a query is narrowed to chosen series.

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// The labels of one series, `__name__` included when the series has one.
pub type Labels = BTreeMap<String, String>;

/// The metric name label.
pub const NAME: &str = "__name__";

/// A PromQL double-quoted string literal for `s` (backslash, quote and control characters
/// escaped).
pub fn quote(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '"' => out.push_str("\\\""),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// `s` with the RE2 metacharacters escaped, so that it matches itself literally.
pub fn regex_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\.+*?()|[]{}^$".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The selector naming a series: `metric{a="1",b="2"}` (labels in name order), `{a="1"}`
/// without a metric name, `metric` without other labels.
pub fn selector(labels: &Labels) -> String {
    let mut out = labels.get(NAME).cloned().unwrap_or_default();
    let rest: Vec<String> = labels
        .iter()
        .filter(|(k, _)| k.as_str() != NAME)
        .map(|(k, v)| format!("{k}={}", quote(v)))
        .collect();
    if !rest.is_empty() || out.is_empty() {
        out.push('{');
        out.push_str(&rest.join(","));
        out.push('}');
    }
    out
}

/// A plain vector selector, `metric{matchers}` or `{matchers}`: the only query form whose
/// series can be narrowed by adding a matcher (any other expression is filtered with `and`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VectorSelector {
    /// The metric name, when written before the braces.
    pub metric: Option<String>,
    /// The matchers as written, each `label op "value"` (re-quoted).
    pub matchers: Vec<String>,
}

impl VectorSelector {
    /// Parses `query` when it is exactly a vector selector (no range, offset, function or
    /// operator); `None` for any other expression.
    pub fn parse(query: &str) -> Option<Self> {
        let mut p = Cursor {
            s: query.trim().as_bytes(),
            i: 0,
        };
        let metric = p.ident(true);
        p.ws();
        let mut matchers = Vec::new();
        if p.eat(b'{') {
            loop {
                p.ws();
                if p.eat(b'}') {
                    break;
                }
                let name = p.ident(false)?;
                p.ws();
                let op = p.op()?;
                p.ws();
                let value = p.string()?;
                matchers.push(format!("{name}{op}{}", quote(&value)));
                p.ws();
                if p.eat(b',') {
                    continue;
                }
                if p.eat(b'}') {
                    break;
                }
                return None;
            }
        }
        p.ws();
        if p.i != p.s.len() || (metric.is_none() && matchers.is_empty()) {
            return None;
        }
        Some(Self { metric, matchers })
    }

    /// The one metric this selector reads: its name before the braces, or a `__name__="m"`
    /// matcher; `None` when it may read several.
    pub fn metric_name(&self) -> Option<String> {
        if self.metric.is_some() {
            return self.metric.clone();
        }
        self.matchers.iter().find_map(|m| {
            let v = m.strip_prefix("__name__=\"")?.strip_suffix('"')?;
            (!v.contains('\\')).then(|| v.to_owned())
        })
    }

    /// This selector with one more matcher (`label op "value"`, already formatted).
    pub fn with_matcher(&self, matcher: &str) -> String {
        let mut all = self.matchers.clone();
        all.push(matcher.to_owned());
        format!(
            "{}{{{}}}",
            self.metric.as_deref().unwrap_or(""),
            all.join(",")
        )
    }
}

struct Cursor<'a> {
    s: &'a [u8],
    i: usize,
}

impl Cursor<'_> {
    fn ws(&mut self) {
        while self.s.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
    }
    fn eat(&mut self, b: u8) -> bool {
        if self.s.get(self.i) == Some(&b) {
            self.i += 1;
            true
        } else {
            false
        }
    }
    /// A metric name (`colons` allowed) or label name.
    fn ident(&mut self, colons: bool) -> Option<String> {
        let start = self.i;
        while let Some(&b) = self.s.get(self.i) {
            let ok = b.is_ascii_alphabetic()
                || b == b'_'
                || (colons && b == b':')
                || (self.i > start && b.is_ascii_digit());
            if !ok {
                break;
            }
            self.i += 1;
        }
        (self.i > start).then(|| String::from_utf8_lossy(&self.s[start..self.i]).into_owned())
    }
    fn op(&mut self) -> Option<&'static str> {
        for op in ["=~", "!~", "!=", "="] {
            if self.s[self.i..].starts_with(op.as_bytes()) {
                self.i += op.len();
                return Some(op);
            }
        }
        None
    }
    /// A quoted string: `"..."` or `'...'` with backslash escapes, or a raw `` `...` ``.
    fn string(&mut self) -> Option<String> {
        let q = *self.s.get(self.i)?;
        if !matches!(q, b'"' | b'\'' | b'`') {
            return None;
        }
        self.i += 1;
        let mut out = Vec::new();
        loop {
            let b = *self.s.get(self.i)?;
            self.i += 1;
            if b == q {
                break;
            }
            if b == b'\\' && q != b'`' {
                let e = *self.s.get(self.i)?;
                self.i += 1;
                out.push(match e {
                    b'n' => b'\n',
                    b't' => b'\t',
                    b'r' => b'\r',
                    other => other,
                });
            } else {
                out.push(b);
            }
        }
        String::from_utf8(out).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn selectors_name_series() {
        let l = labels(&[("__name__", "m"), ("pod", "a\"b"), ("ns", "x")]);
        assert_eq!(selector(&l), r#"m{ns="x",pod="a\"b"}"#);
        assert_eq!(selector(&labels(&[("__name__", "m")])), "m");
        assert_eq!(selector(&labels(&[("job", "j")])), r#"{job="j"}"#);
        assert_eq!(selector(&Labels::new()), "{}");
    }

    #[test]
    fn vector_selectors_parse_and_other_expressions_do_not() {
        let s = VectorSelector::parse(r#" m{ns="shop", pod=~'cart-.*'} "#).expect("selector");
        assert_eq!(s.metric.as_deref(), Some("m"));
        assert_eq!(
            s.with_matcher(r#"pod=~"a|b""#),
            r#"m{ns="shop",pod=~"cart-.*",pod=~"a|b"}"#
        );
        assert_eq!(s.metric_name().as_deref(), Some("m"));
        let by_matcher = VectorSelector::parse(r#"{__name__="m", a="b"}"#).expect("selector");
        assert_eq!(by_matcher.metric_name().as_deref(), Some("m"));
        let several = VectorSelector::parse(r#"{__name__=~"m|n"}"#).expect("selector");
        assert_eq!(several.metric_name(), None);
        assert!(VectorSelector::parse("m").is_some());
        assert!(VectorSelector::parse(r#"{__name__="m"}"#).is_some());
        assert!(VectorSelector::parse("a:b:rate5m{x!=\"\"}").is_some());
        for q in [
            "rate(m[5m])",
            "m[5m]",
            "m offset 1h",
            "m / 2",
            "sum(m)",
            "m{a=\"b\"",
            "{}",
            "",
            "m{a=b}",
        ] {
            assert!(VectorSelector::parse(q).is_none(), "{q}");
        }
    }

    #[test]
    fn regex_escape_is_literal() {
        assert_eq!(regex_escape("a.b|c(1)"), r"a\.b\|c\(1\)");
    }
}
