#![no_main]
//! The pprof survey (which measures a profile before it is decoded, and on which the memory
//! limits rest) against prost: whatever prost decodes, the survey must measure too, with the
//! same counts, and it must never panic on anything.
use leakscope_heap::pprof::{budget, proto::Profile};
use prost::Message;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    let shape = budget::survey(data);
    let Ok(p) = Profile::decode(data) else {
        return;
    };
    let shape = match shape {
        Ok(s) => s,
        // Protobuf groups (wire types 3 and 4) are skipped by prost but never used by
        // profile.proto; the survey refuses them. Anything else is a disagreement.
        Err(e) => {
            assert!(e.message.contains("wire type 3") || e.message.contains("wire type 4"), "{e}");
            return;
        }
    };
    assert_eq!(shape.samples, p.sample.len() as u64);
    assert_eq!(shape.locations, p.location.len() as u64);
    assert_eq!(shape.functions, p.function.len() as u64);
    assert_eq!(shape.mappings, p.mapping.len() as u64);
    assert_eq!(shape.strings, p.string_table.len() as u64);
    assert_eq!(shape.sample_types, p.sample_type.len() as u64);
    assert_eq!(shape.comments, p.comment.len() as u64);
    // The estimate covers at least the tables and the nested elements themselves.
    let nested: u64 = p
        .sample
        .iter()
        .map(|s| 8 * (s.location_id.len() + s.value.len()) as u64 + 32 * s.label.len() as u64)
        .sum::<u64>()
        + p.location.iter().map(|l| 24 * l.line.len() as u64).sum::<u64>()
        + p.string_table.iter().map(|s| s.len() as u64).sum::<u64>();
    assert!(shape.decoded_bytes >= nested, "{} < {nested}", shape.decoded_bytes);
});
