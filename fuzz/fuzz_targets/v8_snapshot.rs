#![no_main]
//! Fuzz the V8 `.heapsnapshot` reader and, when a file parses, every analysis on it: no input
//! may panic, hang or allocate without bound; bad input must be a `HeapError`.
use leakscope_heap::v8;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(snap) = v8::reader::read_slice(data) else {
        return;
    };
    let a = v8::analyze(snap);
    let _ = v8::top_report(&a, "fuzz", &leakscope_heap::Options::default());
    let one = v8::diff::Indexed::new(a);
    let _ = v8::suspects::find_suspects(std::slice::from_ref(&one));
});
