#![no_main]
//! The store's blobs (chunks and recent-log rows) as read from a database file, which may be
//! damaged or crafted: decoding must never panic nor allocate beyond what the input justifies.

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    leakscope_store::fuzz_decode(data);
});
