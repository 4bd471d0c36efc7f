#![no_main]
//! Placeholder: the owner of this format writes the target.
libfuzzer_sys::fuzz_target!(|_data: &[u8]| {});
