#![no_main]
//! Fuzzes `leakscope lint` on one arbitrary source text: the first byte picks the language
//! (JavaScript, TypeScript, TSX, Python, Go), the rest is the file. Parsing and every rule's
//! check must never panic on any tree tree-sitter's error recovery builds, and every finding
//! names a line of the text.
//!
//!     cargo +nightly fuzz run lint_source
use leakscope_lint::lang::Language;
use leakscope_lint::Options;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Some((first, text)) = data.split_first() else { return };
    let lang = Language::ALL[usize::from(*first) % Language::ALL.len()];
    let go_version = (*first & 0x80 != 0).then_some((1, 21));
    let opts = Options {
        min_severity: leakscope_lint::Severity::Note,
        ..Options::default()
    };
    let checked = leakscope_lint::run::check_text("fuzz", lang, text, go_version, &opts);
    let lines = text.split(|b| *b == b'\n').count();
    for f in &checked.findings {
        assert!(f.line >= 1 && f.line <= lines, "{} at line {} of {lines}", f.rule, f.line);
        assert!(!f.message.is_empty());
    }
});
