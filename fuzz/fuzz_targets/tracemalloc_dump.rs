#![no_main]
//! tracemalloc dump bytes: the unpickler and the statistics must never panic.
use leakscope_heap::tracemalloc::{self, KeyType};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let Ok(s) = tracemalloc::parse_dump(data) else {
        return;
    };
    for k in [KeyType::Lineno, KeyType::Filename, KeyType::Traceback] {
        let _ = tracemalloc::statistics(&s, k, false);
        let _ = tracemalloc::compare_to(&s, &s, k, false);
    }
    let _ = tracemalloc::statistics(&s, KeyType::Lineno, true);
});
