#![no_main]
//! Goroutine dumps in text (debug=1, debug=2): parsing and grouping must never panic.
use leakscope_heap::goroutine;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let _ = goroutine::sniff_text(data);
    if let Ok(cap) = goroutine::parse_text(text) {
        let _ = goroutine::group(&cap);
    }
});
