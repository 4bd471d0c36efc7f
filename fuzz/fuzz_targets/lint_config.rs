#![no_main]
//! Fuzzes the `[lint]` section of a config file: arbitrary text must never panic, and a refused
//! file names a line that exists (or the line just past the end).
//!
//!     cargo +nightly fuzz run lint_config
use std::path::Path;

use leakscope_lint::config::{apply, ConfigError};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    let mut opts = leakscope_lint::Options::default();
    if let Err(err) = apply(&text, Path::new("fuzz.toml"), &mut opts) {
        if let ConfigError::Invalid { line, .. } = &err {
            assert!(*line >= 1 && *line <= text.lines().count() + 1, "line {line}: {err}");
        }
        assert!(!err.to_string().is_empty());
    }
});
