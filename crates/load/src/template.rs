//! Request templates: `{n}`, `{rand}` and `{uuid}` placeholders in a path or body.

use crate::LoadError;
use std::fmt::Write as _;

/// One piece of a parsed template.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Segment {
    Literal(String),
    /// `{n}`: the request's sequence number, counting from 0.
    Seq,
    /// `{rand}`: a random `u64` in decimal.
    Rand,
    /// `{uuid}`: a random version-4 UUID.
    Uuid,
}

/// A parsed template, rendered once per request.
///
/// `{{` and `}}` stand for literal braces.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Template {
    segments: Vec<Segment>,
}

impl Template {
    /// Parses `text`; unknown or unclosed placeholders are an error.
    pub fn parse(text: &str) -> Result<Self, LoadError> {
        let invalid = |reason: String| LoadError::InvalidTemplate {
            template: text.to_string(),
            reason,
        };
        let mut segments = Vec::new();
        let mut literal = String::new();
        let mut rest = text;
        while let Some(pos) = rest.find(['{', '}']) {
            literal.push_str(&rest[..pos]);
            let tail = &rest[pos..];
            if let Some(after) = tail.strip_prefix("{{") {
                literal.push('{');
                rest = after;
            } else if let Some(after) = tail.strip_prefix("}}") {
                literal.push('}');
                rest = after;
            } else if tail.starts_with('}') {
                return Err(invalid(format!(
                    "unmatched '}}' at byte {}; write '}}}}' for a literal brace",
                    text.len() - tail.len()
                )));
            } else {
                let close = tail.find('}').ok_or_else(|| {
                    invalid("unclosed '{'; write '{{' for a literal brace".into())
                })?;
                let segment = match &tail[1..close] {
                    "n" => Segment::Seq,
                    "rand" => Segment::Rand,
                    "uuid" => Segment::Uuid,
                    other => {
                        return Err(invalid(format!(
                            "unknown placeholder {{{other}}}; use {{n}}, {{rand}} or {{uuid}}"
                        )))
                    }
                };
                if !literal.is_empty() {
                    segments.push(Segment::Literal(std::mem::take(&mut literal)));
                }
                segments.push(segment);
                rest = &tail[close + 1..];
            }
        }
        literal.push_str(rest);
        if !literal.is_empty() {
            segments.push(Segment::Literal(literal));
        }
        Ok(Template { segments })
    }

    /// Appends the rendering for request number `seq` to `out`, drawing random values from `rng`.
    pub fn render_into(&self, seq: u64, rng: &mut Rng, out: &mut String) {
        for segment in &self.segments {
            // Writing into a String cannot fail.
            let _ = match segment {
                Segment::Literal(text) => {
                    out.push_str(text);
                    Ok(())
                }
                Segment::Seq => write!(out, "{seq}"),
                Segment::Rand => write!(out, "{}", rng.next_u64()),
                Segment::Uuid => {
                    let (hi, lo) = (rng.next_u64(), rng.next_u64());
                    // Version 4 (random) and the RFC 4122 variant bits.
                    let hi = (hi & !0xF000) | 0x4000;
                    let lo = (lo & !(0b11 << 62)) | (0b10 << 62);
                    write!(
                        out,
                        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
                        hi >> 32,
                        (hi >> 16) & 0xFFFF,
                        hi & 0xFFFF,
                        lo >> 48,
                        lo & 0xFFFF_FFFF_FFFF
                    )
                }
            };
        }
    }

    /// The rendering for request number `seq`, as a new string.
    pub fn render(&self, seq: u64, rng: &mut Rng) -> String {
        let mut out = String::new();
        self.render_into(seq, rng, &mut out);
        out
    }
}

/// A small, fast, non-cryptographic random generator (SplitMix64) for `{rand}` and `{uuid}`.
#[derive(Debug, Clone)]
pub(crate) struct Rng(u64);

impl Rng {
    /// A generator seeded with `seed`; equal seeds give equal sequences.
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    /// A generator seeded from the clock and `salt` (e.g. a worker index).
    pub fn from_clock(salt: u64) -> Self {
        let nanos = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0);
        Rng(nanos ^ salt.wrapping_mul(0x9E37_79B9_7F4A_7C15))
    }

    /// The next random `u64`.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn renders_placeholders_and_escapes() {
        let t = Template::parse("/user/{n}?r={rand}&x={{y}}").expect("valid");
        let mut rng = Rng::new(1);
        let out = t.render(42, &mut rng);
        assert!(out.starts_with("/user/42?r="), "{out}");
        assert!(out.ends_with("&x={y}"), "{out}");
    }

    #[test]
    fn uuid_is_version_4() {
        let t = Template::parse("{uuid}").expect("valid");
        let out = t.render(0, &mut Rng::new(7));
        assert_eq!(out.len(), 36, "{out}");
        assert_eq!(&out[14..15], "4", "{out}");
        assert!(matches!(&out[19..20], "8" | "9" | "a" | "b"), "{out}");
    }

    #[test]
    fn rejects_bad_placeholders() {
        assert!(Template::parse("/x/{id}").is_err());
        assert!(Template::parse("/x/{n").is_err());
        assert!(Template::parse("/x/n}").is_err());
    }
}
