//! Hostile input through the real binary (issue 10, items 5, 7, 8, 9): files built to
//! exhaust memory are refused with one sentence and exit 2 while the process stays small
//! (peak RSS from the kernel via wait4), sums cannot wrap, crafted CSV reads with line
//! numbers, and names from files cannot drive the terminal.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use common::*;
use leakscope_heap::pprof::proto::{Function, Label, Line, Location, Profile, Sample, ValueType};
use prost::Message;

const MIB: u64 = 1 << 20;

/// A profile with one sample type (`space`/`bytes`) and the strings `extra` after it.
fn pprof_header(extra: &[&str]) -> Profile {
    let mut strings = vec![String::new(), "space".into(), "bytes".into()];
    strings.extend(extra.iter().map(|s| s.to_string()));
    Profile {
        sample_type: vec![ValueType { r#type: 1, unit: 2 }],
        string_table: strings,
        ..Profile::default()
    }
}

/// The wire bytes of `s` as one more entry of a profile's `sample` field: repeated entries
/// may follow the rest of the message, so `header ++ entry × n` is a valid profile.
fn sample_entry(s: Sample) -> Vec<u8> {
    Profile {
        sample: vec![s],
        ..Profile::default()
    }
    .encode_to_vec()
}

fn write_profile(path: &Path, head: &Profile, entry: &[u8], n: usize, gzip: bool) {
    let f = std::fs::File::create(path).unwrap();
    let mut w: Box<dyn Write> = if gzip {
        Box::new(flate2::write::GzEncoder::new(
            f,
            flate2::Compression::best(),
        ))
    } else {
        Box::new(std::io::BufWriter::new(f))
    };
    w.write_all(&head.encode_to_vec()).unwrap();
    let block = entry.repeat(64 << 10);
    for _ in 0..n / (64 << 10) {
        w.write_all(&block).unwrap();
    }
    w.write_all(&entry.repeat(n % (64 << 10))).unwrap();
    w.flush().unwrap();
}

fn heap_top(path: &Path, extra: &[&str]) -> Measured {
    run_measured(leakscope().arg("heap").arg("top").arg(path).args(extra))
}

#[test]
fn a_pprof_gzip_bomb_is_refused_before_it_inflates() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("bomb.pb.gz");
    // 30 M empty samples: 60 MB of `12 00`, 58 KB gzipped; decoded they took 2.2 GB.
    write_profile(
        &p,
        &pprof_header(&[]),
        &sample_entry(Sample::default()),
        30_000_000,
        true,
    );
    assert!(std::fs::metadata(&p).unwrap().len() < 100_000);
    let m = heap_top(&p, &[]);
    let err = m.err();
    assert_eq!(m.code, Some(2), "{err}");
    assert!(
        err.contains("bomb.pb.gz") && err.contains("gzip bomb"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        m.peak_rss_bytes < 64 * MIB,
        "peak RSS {} MiB",
        m.peak_rss_bytes / MIB
    );
}

#[test]
fn pprof_samples_built_to_exhaust_memory_are_refused_before_decoding() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("labels.pb");
    // 10 M samples of one empty label: 4 bytes each on the wire, 216 once decoded.
    let s = Sample {
        label: vec![Label::default()],
        ..Sample::default()
    };
    write_profile(&p, &pprof_header(&[]), &sample_entry(s), 10_000_000, false);
    let m = heap_top(&p, &[]);
    let err = m.err();
    assert_eq!(m.code, Some(2), "{err}");
    assert!(
        err.contains("10000000 samples") && err.contains("real profiles need at most 24×"),
        "{err}"
    );
    // The 40 MB file is read whole; nothing more.
    assert!(
        m.peak_rss_bytes < 128 * MIB,
        "peak RSS {} MiB",
        m.peak_rss_bytes / MIB
    );
}

#[test]
fn sums_of_huge_sample_values_saturate_instead_of_wrapping() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("imax.pb");
    let mut prof = pprof_header(&["main.a", "main.b"]);
    for (id, name) in [(1u64, 3i64), (2, 4)] {
        prof.function.push(Function {
            id,
            name,
            ..Function::default()
        });
        prof.location.push(Location {
            id,
            line: vec![Line {
                function_id: id,
                ..Line::default()
            }],
            ..Location::default()
        });
        prof.sample.push(Sample {
            location_id: vec![id],
            value: vec![i64::MAX],
            label: vec![],
        });
    }
    std::fs::write(&p, prof.encode_to_vec()).unwrap();
    let m = heap_top(&p, &["--format", "json"]);
    assert_eq!(m.code, Some(0), "{}", m.err());
    let v: serde_json::Value = serde_json::from_slice(&m.stdout).unwrap();
    // Before: the total wrapped to -2 and each row was 461168601842738790400%.
    assert_eq!(v["totals"]["total"].as_f64(), Some(i64::MAX as f64), "{v}");
    for g in v["groups"].as_array().unwrap() {
        assert_eq!(g["flat"].as_f64(), Some(i64::MAX as f64), "{g}");
        assert_eq!(g["flat_pct"].as_f64(), Some(100.0), "{g}");
    }
    let notes = v["notes"].to_string();
    assert!(notes.contains("capped"), "{notes}");
}

/// A tracemalloc-looking pickle whose memo PUTs jump ahead by the bytes left each time.
fn memo_jump_pickle(puts: usize) -> Vec<u8> {
    let head: &[u8] = b"\x80\x04\x8c\x0btracemalloc0N";
    let size = head.len() + puts * 5 + 2;
    let mut data = head.to_vec();
    let mut memo_len: u64 = 0;
    for _ in 0..puts {
        let remaining = (size - (data.len() + 5)) as u64;
        let idx = (memo_len + remaining).min(u64::from(u32::MAX));
        data.push(b'r');
        data.extend_from_slice(&(idx as u32).to_le_bytes());
        memo_len = idx + 1;
    }
    data.extend_from_slice(b"0.");
    data
}

#[test]
fn a_pickle_whose_memo_jumps_ahead_is_refused_at_the_first_jump() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("memo.pickle");
    // 20 KB; before, each PUT allocated the gap and the process reached 630 MB.
    std::fs::write(&p, memo_jump_pickle(4000)).unwrap();
    let m = heap_top(&p, &[]);
    let err = m.err();
    assert_eq!(m.code, Some(2), "{err}");
    assert!(
        err.contains("memo index") && err.contains("at byte 17"),
        "{err}"
    );
    assert!(
        m.peak_rss_bytes < 32 * MIB,
        "peak RSS {} MiB",
        m.peak_rss_bytes / MIB
    );
}

fn analyze(path: &Path, extra: &[&str]) -> Measured {
    run_measured(leakscope().arg("analyze").arg(path).args(extra))
}

#[test]
fn a_csv_header_of_a_million_columns_is_one_error_in_small_memory() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("wide.csv");
    let cols = 1_000_000;
    let mut text = String::from("timestamp");
    for i in 0..cols {
        text.push_str(&format!(",s{i}"));
    }
    text.push('\n');
    for t in [1, 2] {
        text.push_str(&t.to_string());
        text.push_str(&",1".repeat(cols));
        text.push('\n');
    }
    std::fs::write(&p, text).unwrap();
    let m = analyze(&p, &[]);
    let err = m.err();
    assert_eq!(m.code, Some(2), "{err}");
    assert!(
        err.contains("wide.csv")
            && err.contains("1000000 series")
            && err.contains("split it into files of at most 10000"),
        "{err}"
    );
    // Before: 5.3 GB (a recognizer of ~9 KB per column, allocated up front).
    assert!(
        m.peak_rss_bytes < 64 * MIB,
        "peak RSS {} MiB",
        m.peak_rss_bytes / MIB
    );
}

#[test]
fn a_huge_csv_cell_is_not_echoed_and_a_huge_row_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    for (mb, wanted) in [(4usize, "bad value"), (40, "longer than 16777216 bytes")] {
        let p = dir.path().join(format!("cell{mb}.csv"));
        let mut f = std::io::BufWriter::new(std::fs::File::create(&p).unwrap());
        f.write_all(b"timestamp,rss_bytes\n1,100\n2,").unwrap();
        f.write_all(&vec![b'x'; mb << 20]).unwrap();
        f.write_all(b"\n3,300\n").unwrap();
        drop(f);
        let m = analyze(&p, &[]);
        let err = m.err();
        assert_eq!(m.code, Some(2), "{}", &err[..err.len().min(300)]);
        assert!(
            err.len() < 400 && err.contains(wanted) && err.contains("line 3"),
            "{} bytes: {}",
            err.len(),
            &err[..err.len().min(300)]
        );
    }
}

#[test]
fn a_csv_cell_that_is_not_utf8_names_its_line_and_can_be_skipped() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("latin1.csv");
    let mut text = b"timestamp,rss_bytes\n".to_vec();
    for i in 0..90 {
        if i == 1 {
            text.extend_from_slice(b"60,1\xe90\n");
        } else {
            text.extend_from_slice(format!("{},{}\n", i * 60, 100_000_000).as_bytes());
        }
    }
    std::fs::write(&p, &text).unwrap();
    let m = analyze(&p, &[]);
    let err = m.err();
    assert_eq!(m.code, Some(2), "{err}");
    assert!(err.contains("line 3") && err.contains("not UTF-8"), "{err}");
    let m = analyze(&p, &["--skip-bad-rows", "--format", "json"]);
    assert_eq!(m.code, Some(0), "{}", m.err());
    assert!(m.err().contains("skipped 1 bad rows of 90"), "{}", m.err());
}

/// What Grafana's panel inspector writes for "Download CSV" with "Series joined by time":
/// quoted headers holding label sets with `""`, epoch milliseconds, CRLF, a blank line after
/// the frame; plus a quoted header cell holding a comma.
#[test]
fn a_grafana_csv_export_is_judged_series_by_series() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("grafana.csv");
    let leaking = r#"process_resident_memory_bytes{instance="api-1:9100", job="api"}"#;
    let mut text = format!(
        "\"Time\",\"{}\",\"svc, prod\"\r\n",
        leaking.replace('"', "\"\"")
    );
    for i in 0..480u64 {
        let t_ms = 1_714_564_800_000 + i * 15_000;
        let grows = 200_000_000 + i * 150_000 + (i % 8) * 3_000_000;
        let flat = 300_000_000 + (i % 8) * 3_000_000;
        text.push_str(&format!("{t_ms},{grows},{flat}\r\n"));
    }
    text.push_str("\r\n");
    std::fs::write(&p, text).unwrap();
    let m = analyze(&p, &["--format", "json"]);
    assert_eq!(m.code, Some(1), "{}", m.err());
    let v: serde_json::Value = serde_json::from_slice(&m.stdout).unwrap();
    let series = v["series"].as_array().unwrap();
    assert_eq!(series[0]["name"], leaking, "{v}");
    assert_eq!(series[0]["verdict"], "leak", "{v}");
    assert_eq!(series[1]["name"], "svc, prod", "{v}");
    assert_eq!(series[1]["verdict"], "no_leak", "{v}");
    // Detected within the two hours, in seconds (not milliseconds).
    let at = series[0]["detected_at"].as_f64().unwrap();
    assert!(
        (1_714_564_800.0..1_714_564_800.0 + 7200.0).contains(&at),
        "{at}"
    );
}

fn fixture(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

#[test]
fn a_v8_root_index_out_of_range_is_an_error_naming_the_field() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("v8/service-3.heapsnapshot")).unwrap();
    for bad in ["999999999", "3"] {
        let p = dir.path().join(format!("root{bad}.heapsnapshot"));
        let edited = text.replacen(
            "\"node_count\":",
            &format!("\"root_index\":{bad},\"node_count\":"),
            1,
        );
        std::fs::write(&p, edited).unwrap();
        let m = heap_top(&p, &[]);
        let err = m.err();
        assert_eq!(m.code, Some(2), "{err}");
        assert!(
            err.contains(&format!("snapshot.root_index is {bad}"))
                && err.contains("at byte 12")
                && err.contains("60329 nodes"),
            "{err}"
        );
    }
}

/// Raw bytes a crafted name could send to the terminal.
fn assert_no_terminal_controls(out: &[u8]) {
    let text = String::from_utf8_lossy(out);
    for bad in ['\u{1b}', '\u{7}', '\r', '\u{9b}', '\u{202e}'] {
        assert!(!text.contains(bad), "{bad:?} in {text}");
    }
}

#[test]
fn names_from_a_crafted_profile_are_escaped_in_tables() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path().join("names.pb.gz");
    let evil = "main.\u{1b}]0;pwned\u{7}\u{1b}[2J\r\nfake 100%\u{202e}gnp.exe\u{9b}1m";
    let mut prof = pprof_header(&[evil, "/src/\u{1b}[31mred.go"]);
    prof.function.push(Function {
        id: 1,
        name: 3,
        filename: 4,
        ..Function::default()
    });
    prof.location.push(Location {
        id: 1,
        line: vec![Line {
            function_id: 1,
            line: 7,
            ..Line::default()
        }],
        ..Location::default()
    });
    prof.sample.push(Sample {
        location_id: vec![1],
        value: vec![4096],
        label: vec![],
    });
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&prof.encode_to_vec()).unwrap();
    std::fs::write(&p, gz.finish().unwrap()).unwrap();
    for by in ["function", "line"] {
        let m = heap_top(&p, &["--by", by]);
        assert_eq!(m.code, Some(0), "{}", m.err());
        assert_no_terminal_controls(&m.stdout);
        let out = String::from_utf8_lossy(&m.stdout);
        assert!(
            out.contains(r"main.\x1b]0;pwned\x07\x1b[2J\r\nfake 100%\u{202e}gnp.exe\u{9b}1m"),
            "{out}"
        );
    }
    // JSON keeps the name as it is (escaped by JSON itself).
    let m = heap_top(&p, &["--format", "json"]);
    let v: serde_json::Value = serde_json::from_slice(&m.stdout).unwrap();
    assert_eq!(v["groups"][0]["name"], evil);
}

#[test]
fn class_names_from_a_crafted_snapshot_are_escaped_in_tables() {
    let dir = tempfile::tempdir().unwrap();
    let text = std::fs::read_to_string(fixture("v8/service-3.heapsnapshot")).unwrap();
    let edited = text.replacen(
        "\n\"CacheEntry\",",
        "\n\"Cache\\u001b]0;pwned\\u0007\\r\\n\\u202eEntry\",",
        1,
    );
    assert_ne!(edited.len(), text.len());
    let p = dir.path().join("names.heapsnapshot");
    std::fs::write(&p, edited).unwrap();
    let m = heap_top(&p, &[]);
    assert_eq!(m.code, Some(0), "{}", m.err());
    assert_no_terminal_controls(&m.stdout);
    let out = String::from_utf8_lossy(&m.stdout);
    assert!(
        out.contains(r"Cache\x1b]0;pwned\x07\r\n\u{202e}Entry"),
        "{out}"
    );
    // A diff's suspects (names, retainer paths) go through the same escaping.
    let m = run_measured(
        leakscope()
            .args(["heap", "diff"])
            .arg(fixture("v8/service-1.heapsnapshot"))
            .arg(&p),
    );
    assert_no_terminal_controls(&m.stdout);
    assert_no_terminal_controls(&m.stderr);
}
