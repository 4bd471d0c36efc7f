#![no_main]
//! Fuzzes the `watch --config` parser with arbitrary text: it must never panic, and a refused
//! file names a line that exists (or the line just past the end, for a missing value there).
//!
//!     cargo +nightly fuzz run config_toml
use std::path::Path;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    if let Err(err) = leakscope_agent::config::parse(&text, Path::new("fuzz.toml")) {
        if let Some(line) = err.line() {
            assert!(line >= 1 && line <= text.lines().count() + 1, "line {line}: {err}");
        }
        assert!(!err.to_string().is_empty());
    }
});
