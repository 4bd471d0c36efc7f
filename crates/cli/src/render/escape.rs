//! Text from snapshots, profiles and CSV files made safe to print on a terminal.
//!
//! Class, function, file and series names come from files anyone can craft. Printed raw, an
//! ESC starts a terminal control sequence (move the cursor, rewrite the screen, set the
//! window title), CR/LF forge table rows, and bidi overrides (U+202E) reorder what is
//! shown. [`printable`] writes each such character as a visible escape instead. JSON output
//! needs none of this: serde_json escapes control characters itself.

use std::borrow::Cow;
use std::fmt::Write;

/// True for characters a terminal would act on or that reorder text: C0 controls (tab and
/// newline included: a table cell is one line), DEL, C1 controls, and the bidi formatting
/// characters (LRM/RLM/ALM, embeddings and overrides U+202A-E, isolates U+2066-9).
fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{200e}'
        | '\u{200f}'
        | '\u{202a}'..='\u{202e}'
        | '\u{2066}'..='\u{2069}')
}

/// `s` with every unsafe character written as an escape: `\n`, `\r`, `\t`, `\x1b` (other C0
/// and DEL), `\u{9b}` (C1 and bidi). Borrowed when nothing needed escaping.
pub fn printable(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_unsafe) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x80 && is_unsafe(c) => {
                let _ = write!(out, "\\x{:02x}", c as u32);
            }
            c if is_unsafe(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::printable;

    #[test]
    fn controls_and_bidi_overrides_become_visible_escapes() {
        assert_eq!(printable("main.leakCache"), "main.leakCache");
        assert_eq!(printable("naïve → 日本"), "naïve → 日本");
        assert_eq!(
            printable("a\u{1b}]0;pwned\u{7}b\r\nc\td\u{7f}"),
            "a\\x1b]0;pwned\\x07b\\r\\nc\\td\\x7f"
        );
        assert_eq!(printable("x\u{9b}2Jy"), "x\\u{9b}2Jy");
        assert_eq!(printable("evil\u{202e}txt.exe"), "evil\\u{202e}txt.exe");
        assert_eq!(printable("\u{2066}\u{200f}"), "\\u{2066}\\u{200f}");
    }
}
