//! Broken pprof input gives one clear `HeapError::Format` naming the file, never a panic.

mod pprof_support;

use std::io::Write;

use leakscope_heap::pprof::{parse_profile, parse_profile_capped};
use leakscope_heap::{HeapError, Options};
use pprof_support::fixtures;

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

#[test]
fn truncated_gzip_is_a_format_error_naming_the_file() {
    let good = std::fs::read(fixtures().join("heap2.pb.gz")).expect("fixture");
    let dir = tempfile::tempdir().expect("tempdir");
    for cut in [3, good.len() / 2, good.len() - 5] {
        let p = dir.path().join(format!("cut{cut}.pb.gz"));
        std::fs::write(&p, &good[..cut]).expect("write");
        match leakscope_heap::top(&p, &Options::default()) {
            Err(HeapError::Format { path, message, .. }) => {
                assert_eq!(path, p);
                assert!(
                    message.contains("truncated") || message.contains("profile"),
                    "{message}"
                );
            }
            other => panic!("cut {cut}: {other:?}"),
        }
    }
}

#[test]
fn a_protobuf_that_is_not_a_profile() {
    // A valid protobuf (field 1 = a string), gzipped: not a profile.
    let e = parse_profile(&gz(b"\x0a\x05hello")).expect_err("not a profile");
    assert!(e.message.contains("not a pprof profile"), "{}", e.message);
    // Garbage, not gzipped.
    assert!(parse_profile(b"\x0a\x02\x08").is_err());
    // Empty gzip member.
    assert!(parse_profile(&gz(b"")).is_err());
}

#[test]
fn huge_declared_lengths_and_varints_fail_cleanly() {
    // sample_type with a length of 2^62: more than the input holds.
    let mut b = vec![0x0a];
    b.extend_from_slice(&[0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x3f]);
    assert!(parse_profile(&b).is_err());
    // An 11-byte varint.
    assert!(parse_profile(&[
        0x60, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01
    ])
    .is_err());
    // A string index past the table, a sample naming a missing location.
    let bad_index = [0x0a, 0x04, 0x08, 0x05, 0x10, 0x00, 0x32, 0x00];
    assert!(parse_profile(&bad_index).is_err());
}

#[test]
fn decompression_is_capped() {
    let big = gz(&vec![0u8; 4 << 20]);
    let e = parse_profile_capped(&big, 1 << 20).expect_err("over the cap");
    assert!(e.message.contains("limit"), "{}", e.message);
}
