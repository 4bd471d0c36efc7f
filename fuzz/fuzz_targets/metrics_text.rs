#![no_main]
//! Fuzzes the Prometheus/OpenMetrics text parser with arbitrary bytes (lossy UTF-8): it must
//! never panic, a success yields named series, and an error names a line that exists.
//!
//!     cargo +nightly fuzz run metrics_text
use leakscope_probe::scrape::{parse_exposition, select, Selector};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let text = String::from_utf8_lossy(data);
    match parse_exposition(&text) {
        Ok(samples) => {
            assert!(samples.iter().all(|s| !s.name.is_empty()));
            let wanted: Vec<String> = text.lines().take(4).map(str::to_string).collect();
            let _ = select(&samples, &wanted);
        }
        Err(err) => {
            assert!(err.line >= 1 && err.line <= text.lines().count().max(1));
        }
    }
    if let Some(first) = text.lines().next() {
        if let Ok(sel) = Selector::parse(first) {
            // The canonical form parses back to the same selector.
            let again = Selector::parse(&sel.to_string());
            assert_eq!(again.ok(), Some(sel));
        }
    }
});
