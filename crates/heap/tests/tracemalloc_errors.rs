//! Broken or hostile tracemalloc dumps give one clear error, never a panic or a big allocation.

use std::path::Path;

use leakscope_heap::tracemalloc::parse_dump;
use leakscope_heap::{HeapError, Options};

fn good() -> Vec<u8> {
    let p = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/python/snap_1.pickle");
    std::fs::read(p).expect("fixture")
}

#[test]
fn every_truncation_is_an_error() {
    let g = good();
    for cut in (0..g.len()).step_by(97).chain([g.len() - 1]) {
        assert!(parse_dump(&g[..cut]).is_err(), "cut at {cut}");
    }
    assert!(parse_dump(&g).is_ok());
}

#[test]
fn code_running_opcodes_and_unknown_classes_are_refused() {
    // REDUCE of os.system: the classic pickle exploit.
    let evil = b"\x80\x04\x8c\x02os\x8c\x06system\x93\x8c\x04echo\x85R.";
    let e = parse_dump(evil).expect_err("refused");
    assert!(e.message.contains("os.system"), "{}", e.message);
    let reduce = b"\x80\x04N\x85R.";
    let e = parse_dump(reduce).expect_err("refused");
    assert!(e.message.contains("opcode 0x52"), "{}", e.message);
    assert_eq!(e.offset, Some(4));
    // A well-formed pickle of something else.
    let e = parse_dump(b"\x80\x04K\x01.").expect_err("not a snapshot");
    assert!(e.message.contains("tracemalloc.Snapshot"), "{}", e.message);
}

#[test]
fn huge_lengths_and_memo_indices_are_bounded() {
    // BINUNICODE8 declaring 2^63 bytes; LONG_BINPUT at index 4 billion; LONG_BINGET of nothing.
    assert!(parse_dump(b"\x80\x05\x8d\xff\xff\xff\xff\xff\xff\xff\x7f").is_err());
    assert!(parse_dump(b"\x80\x05N\x72\x00\x00\x00\xf0.").is_err());
    assert!(parse_dump(b"\x80\x05\x6a\x00\x00\x00\x10.").is_err());
    // LONG4 of 2^31 bytes.
    assert!(parse_dump(b"\x80\x05\x8b\xff\xff\xff\x7f").is_err());
    // Stack underflow, unmatched mark, APPENDS to a non-list.
    assert!(parse_dump(b"\x80\x05t.").is_err());
    assert!(parse_dump(b"\x80\x05K\x01(e.").is_err());
}

#[test]
fn heap_top_names_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let p = dir.path().join("cut.pickle");
    let g = good();
    std::fs::write(&p, &g[..g.len() / 2]).expect("write");
    match leakscope_heap::top(&p, &Options::default()) {
        Err(HeapError::Format {
            path,
            offset,
            message,
        }) => {
            assert_eq!(path, p);
            assert!(offset.is_some());
            assert!(message.contains("truncated"), "{message}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn cheap_opcodes_that_build_dear_objects_are_weighed() {
    // 4 MB of EMPTY_TUPLE: one byte each on the wire, a 32-byte object and a 16-byte stack
    // slot each once built: past 32 times the input, refused while running.
    let mut p = b"\x80\x04".to_vec();
    p.extend(std::iter::repeat_n(b')', 4 << 20));
    p.push(b'.');
    let e = parse_dump(&p).expect_err("refused");
    assert!(e.message.contains("more than 32×"), "{}", e.message);
    assert!(e.offset.is_some_and(|o| o < 4 << 20), "{e:?}");
    // Memo entries must come in order: a PUT that jumps ahead is refused before allocating.
    let e = parse_dump(b"\x80\x04N\x72\x05\x00\x00\x00.").expect_err("jump");
    assert!(e.message.contains("memo index 5"), "{}", e.message);
    // In order (and overwriting an earlier entry) is fine as far as the memo goes.
    let e = parse_dump(b"\x80\x04N\x72\x00\x00\x00\x00\x72\x01\x00\x00\x00\x72\x00\x00\x00\x00.")
        .expect_err("not a snapshot");
    assert!(e.message.contains("tracemalloc.Snapshot"), "{}", e.message);
}
