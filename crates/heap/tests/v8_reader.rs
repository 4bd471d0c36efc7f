//! The V8 reader on hand-made and damaged inputs: layouts from other Node/Chrome versions
//! (6 node fields, other field orders, `root_index`), JSON escapes, and truncated, corrupt or
//! foreign files, which must give one `HeapError::Format` with a byte offset, never a panic.

use std::path::{Path, PathBuf};

use leakscope_heap::v8::{self, model::kind, reader::read_slice};
use leakscope_heap::HeapError;

/// A tiny snapshot in the layout of Node 18 (no `detachedness`), with fields in `fields`
/// order. Graph: root(0) -shortcut-> global(1) -property "cache"-> Map(2) -internal "table"->
/// table(3); plus a weak edge root -> 3.
fn tiny(fields: &[&str], strings: &str) -> String {
    let row = |t: u32, name: u32, id: u32, size: u32, edges: u32| -> String {
        fields
            .iter()
            .map(|f| match *f {
                "type" => t,
                "name" => name,
                "id" => id,
                "self_size" => size,
                "edge_count" => edges,
                _ => 0,
            })
            .map(|v| v.to_string())
            .collect::<Vec<_>>()
            .join(",")
    };
    let nf = fields.len() as u32;
    let nodes = [
        row(9, 0, 1, 0, 2),
        row(3, 1, 3, 100, 1),
        row(3, 2, 5, 40, 1),
        row(1, 3, 7, 400, 0),
    ]
    .join(",\n");
    let edges = format!(
        "5,1,{},\n6,4,{},\n2,5,{},\n3,6,{}",
        nf,
        3 * nf,
        2 * nf,
        3 * nf
    );
    let fields_json = fields
        .iter()
        .map(|f| format!("\"{f}\""))
        .collect::<Vec<_>>()
        .join(",");
    let types: Vec<String> = fields
        .iter()
        .map(|f| {
            if *f == "type" {
                r#"["hidden","array","string","object","code","closure","regexp","number","native","synthetic","concatenated string","sliced string","symbol","bigint"]"#.to_string()
            } else {
                "\"number\"".to_string()
            }
        })
        .collect();
    format!(
        r#"{{"snapshot":{{"meta":{{"node_fields":[{fields_json}],"node_types":[{}],"edge_fields":["type","name_or_index","to_node"],"edge_types":[["context","element","property","internal","hidden","shortcut","weak"],"string_or_number","node"]}},"node_count":4,"edge_count":4}},
"nodes":[{nodes}],
"edges":[{edges}],
"trace_function_infos":[],"trace_tree":[],"samples":[],"locations":[0,1,2,3],
"strings":{strings}}}"#,
        types.join(",")
    )
}

const STRINGS: &str = r#"["","global","Map","","weak","cache","table"]"#;
const NODE18: &[&str] = &[
    "type",
    "name",
    "id",
    "self_size",
    "edge_count",
    "trace_node_id",
];

#[test]
fn node18_layout_reads_and_analyzes() {
    let text = tiny(NODE18, STRINGS);
    let s = read_slice(text.as_bytes()).expect("parses");
    assert_eq!(s.node_count(), 4);
    assert_eq!(s.edge_count(), 4);
    assert_eq!(s.name(2), "Map");
    assert_eq!(s.node_kind[3], kind::ARRAY);
    assert!(s.detachedness.is_empty());
    let a = v8::analyze(s);
    // DevTools moves the table's 400 bytes onto its single owner, the Map.
    assert_eq!(a.shallow[2], 440);
    assert_eq!(a.shallow[3], 0);
    assert_eq!(a.retained[1], 540.0);
    assert_eq!(a.idom[2], 1);
}

#[test]
fn field_order_comes_from_meta() {
    let reordered = &[
        "id",
        "edge_count",
        "self_size",
        "name",
        "type",
        "detachedness",
        "extra",
    ];
    let a = read_slice(tiny(NODE18, STRINGS).as_bytes()).expect("parses");
    let b = read_slice(tiny(reordered, STRINGS).as_bytes()).expect("parses");
    assert_eq!(a.node_id, b.node_id);
    assert_eq!(a.self_size, b.self_size);
    assert_eq!(a.node_kind, b.node_kind);
    assert_eq!(a.edge_to, b.edge_to);
    assert_eq!(b.detachedness.len(), 4);
}

#[test]
fn json_escapes_in_strings() {
    let strings =
        r#"["","glo\u0062al","M\"ap\\","\ud83d\ude00 \ud800 x\n","weak","cache","table"]"#;
    let s = read_slice(tiny(NODE18, strings).as_bytes()).expect("parses");
    assert_eq!(s.name(1), "global");
    assert_eq!(s.name(2), "M\"ap\\");
    assert_eq!(s.name(3), "😀 \u{FFFD} x\n");
}

fn format_offset(r: Result<v8::Snapshot, HeapError>) -> u64 {
    match r {
        Err(HeapError::Format {
            offset: Some(o), ..
        }) => o,
        Err(e) => panic!("expected a format error with an offset, got {e}"),
        Ok(_) => panic!("expected a format error, got a snapshot"),
    }
}

#[test]
fn every_truncation_is_a_format_error_with_an_offset() {
    let text = tiny(NODE18, STRINGS);
    let bytes = text.as_bytes();
    for cut in 0..bytes.len() {
        // Cutting only trailing whitespace would still be a whole snapshot.
        if bytes[cut..].iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let off = format_offset(read_slice(&bytes[..cut]));
        assert!(off <= cut as u64, "offset {off} past the cut at {cut}");
    }
}

#[test]
fn corrupt_values_are_located() {
    let text = tiny(NODE18, STRINGS);
    // An edge pointing at a non-node index.
    let bad = text.replacen("5,1,6,", "5,1,7,", 1);
    let off = format_offset(read_slice(bad.as_bytes()));
    assert_eq!(off, bad.find("5,1,7,").expect("present") as u64 + 4);
    // A negative number.
    let bad = text.replacen("\"nodes\":[9", "\"nodes\":[-9", 1);
    let off = format_offset(read_slice(bad.as_bytes()));
    assert_eq!(bad.as_bytes()[off as usize], b'-');
    // A node type that meta does not list.
    let bad = text.replacen("\"nodes\":[9", "\"nodes\":[99", 1);
    let off = format_offset(read_slice(bad.as_bytes()));
    assert_eq!(&bad.as_bytes()[off as usize..off as usize + 3], b"99,");
    // An edge type that meta does not list.
    let bad = text.replacen("5,1,6,", "77,1,6,", 1);
    let off = format_offset(read_slice(bad.as_bytes()));
    assert_eq!(off, bad.find("77,1,6,").expect("present") as u64);
    // A name index past the strings table.
    let bad = text.replace(STRINGS, r#"["",""]"#);
    format_offset(read_slice(bad.as_bytes()));
}

#[test]
fn foreign_files_are_refused() {
    for junk in [
        &b""[..],
        b"not json at all",
        b"{}",
        b"[1,2,3]",
        b"{\"snapshot\": 5}",
        b"{\"nodes\":[1,2]}",
        b"\x1f\x8b\x08\x00",
    ] {
        assert!(
            read_slice(junk).is_err(),
            "{:?}",
            String::from_utf8_lossy(junk)
        );
    }
    assert!(!v8::sniff(b"{\"nodes\":[]}"));
    assert!(v8::sniff(br#"{"snapshot":{"meta":{"node_fields":[]}}}"#));
}

#[test]
fn truncated_real_snapshot_names_file_and_offset() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/v8/service-1.heapsnapshot");
    let data = std::fs::read(&src).expect("fixture");
    let dir = tempfile::tempdir().expect("tempdir");
    for cut in [60usize, 2000, data.len() / 2, data.len() - 10] {
        let p = dir.path().join(format!("cut-{cut}.heapsnapshot"));
        std::fs::write(&p, &data[..cut]).expect("write");
        match leakscope_heap::top(&p, &Default::default()) {
            Err(HeapError::Format {
                path,
                offset: Some(o),
                message,
            }) => {
                assert_eq!(path, p);
                assert!(o <= cut as u64, "{o} > {cut}: {message}");
            }
            other => panic!("cut at {cut}: expected a format error, got {other:?}"),
        }
    }
}

/// Found by review while fuzzing: a `meta` listing a field twice must be refused, not
/// mis-indexed.
#[test]
fn repeated_meta_fields_are_refused() {
    let fields = &[
        "type",
        "name",
        "id",
        "self_size",
        "edge_count",
        "edge_count",
    ];
    format_offset(read_slice(tiny(fields, STRINGS).as_bytes()));
    let fields = &["type", "name", "id", "self_size", "edge_count", "name"];
    format_offset(read_slice(tiny(fields, STRINGS).as_bytes()));
}

/// Reading fuzz-like garbage after a valid header must fail cleanly, never panic.
#[test]
fn garbage_after_a_valid_header() {
    let text = tiny(NODE18, STRINGS);
    let head = &text[..text.find("\"nodes\"").expect("nodes")];
    for tail in [
        "\"nodes\":[1e5]}",
        "\"nodes\":[99999999999]}",
        "\"nodes\":\"x\"}",
        "\"strings\":[\"\\ud800\"]}",
        "\"nodes\":[],\"edges\":[],\"strings\":[]}",
    ] {
        let doc = format!("{head}{tail}");
        assert!(read_slice(doc.as_bytes()).is_err(), "{doc}");
    }
}

/// `heap diff` reads the next file on a thread of its own, which waits for the current
/// analysis before its edges: a truncated file anywhere in the series must come back as
/// that file's error (the reader is never left waiting, nothing hangs).
#[test]
fn diff_names_the_truncated_file_wherever_it_is() {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../tests/fixtures/v8");
    let good: Vec<PathBuf> = (1..=3)
        .map(|i| fixtures.join(format!("service-{i}.heapsnapshot")))
        .collect();
    let data = std::fs::read(&good[1]).expect("fixture");
    let dir = tempfile::tempdir().expect("tempdir");
    let cut = dir.path().join("cut.heapsnapshot");
    std::fs::write(&cut, &data[..data.len() * 2 / 3]).expect("write");
    for k in 0..3 {
        let mut paths = good.clone();
        paths[k] = cut.clone();
        match leakscope_heap::diff(&paths, &Default::default()) {
            Err(HeapError::Format { path, .. }) => assert_eq!(path, cut, "bad file at {k}"),
            other => panic!("bad file at {k}: expected a format error, got {other:?}"),
        }
    }
}

#[test]
fn root_index_must_name_a_node() {
    let text = tiny(NODE18, STRINGS);
    let with_root = |r: &str| {
        text.replacen(
            "\"node_count\":4",
            &format!("\"root_index\":{r},\"node_count\":4"),
            1,
        )
    };
    // A valid root_index (node 1 × 6 fields) is honoured.
    let s = read_slice(with_root("6").as_bytes()).expect("parses");
    assert_eq!(s.root, 1);
    // Past the last node, or not at the start of a node: an error at the header, naming the
    // field, instead of node 0 in silence.
    for bad in ["24", "4000000000", "7"] {
        let r = read_slice(with_root(bad).as_bytes());
        match r {
            Err(HeapError::Format {
                offset: Some(12),
                message,
                ..
            }) => assert!(
                message.contains(&format!("snapshot.root_index is {bad}"))
                    && message.contains("4 nodes (6 fields each: 0, 6, ... 18)"),
                "{message}"
            ),
            other => panic!("root_index {bad}: {other:?}"),
        }
    }
}
