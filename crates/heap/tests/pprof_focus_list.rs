//! `--focus`, `--ignore` and `--list` against `go tool pprof -focus/-ignore/-list` run live on
//! the Go fixtures (and the fixture program's own source for the listing). Without `go` on
//! PATH the tests print SKIP and pass.

mod pprof_support;

use std::path::PathBuf;
use std::process::Command;

use leakscope_heap::{HeapError, HeapReport, Options};
use pprof_support::{fixtures, go_value, parse_go_top};

fn have_go() -> bool {
    let ok = Command::new("go")
        .arg("version")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        eprintln!("SKIP: go is not installed");
    }
    ok
}

fn go_pprof(args: &[&str]) -> String {
    let out = Command::new("go")
        .args(["tool", "pprof", "-unit=B"])
        .args(args)
        .current_dir(fixtures())
        .output()
        .expect("run go tool pprof");
    assert!(
        out.status.success(),
        "go tool pprof {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn opts(index: &str, focus: Option<&str>, ignore: Option<&str>) -> Options {
    Options {
        sample_index: Some(index.into()),
        limit: 0,
        focus: focus.map(Into::into),
        ignore: ignore.map(Into::into),
        ..Default::default()
    }
}

/// Our rows (name, flat, cum) against pprof's `-top` text.
fn assert_rows(go_text: &str, r: &HeapReport) {
    let go = parse_go_top(go_text);
    let ours: Vec<(String, String, String)> = r
        .groups
        .iter()
        .map(|g| {
            (
                g.name.clone(),
                go_value(g.values["flat"] as i64, true),
                go_value(g.values["cum"] as i64, true),
            )
        })
        .collect();
    let theirs: Vec<(String, String, String)> = go
        .rows
        .iter()
        .map(|g| {
            (
                g.name.trim_end_matches(" (inline)").to_string(),
                g.flat.clone(),
                g.cum.clone(),
            )
        })
        .collect();
    assert!(!theirs.is_empty(), "pprof shows rows: {go_text}");
    assert_eq!(ours, theirs, "\npprof said:\n{go_text}");
    assert_eq!(go.total, go_value(r.totals["total"] as i64, true), "total");
}

#[test]
fn focus_and_ignore_keep_the_samples_pprof_keeps() {
    if !have_go() {
        return;
    }
    let f = fixtures();
    let cases: [(&str, Option<&str>, Option<&str>); 4] = [
        ("alloc_space", Some("pprof"), None),
        ("alloc_space", None, Some("leakCache")),
        ("alloc_space", Some("main\\.main"), Some("leakCache")),
        ("alloc_space", Some("leakdemo/main.go"), Some("flate")),
    ];
    for (index, focus, ignore) in cases {
        let mut args = vec![format!("-sample_index={index}"), "-top".into()];
        if let Some(x) = focus {
            args.push(format!("-focus={x}"));
        }
        if let Some(x) = ignore {
            args.push(format!("-ignore={x}"));
        }
        args.push("heap2.pb.gz".into());
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let r =
            leakscope_heap::top(&f.join("heap2.pb.gz"), &opts(index, focus, ignore)).expect("top");
        assert_rows(&go_pprof(&a), &r);
        // The same filters on a diff, after the base is subtracted (pprof filters the
        // merged profile).
        let mut args_d = args.clone();
        args_d.pop();
        args_d.extend(["-base".into(), "heap1.pb.gz".into(), "heap2.pb.gz".into()]);
        let a: Vec<&str> = args_d.iter().map(String::as_str).collect();
        let d = leakscope_heap::diff(
            &[f.join("heap1.pb.gz"), f.join("heap2.pb.gz")],
            &opts(index, focus, ignore),
        )
        .expect("diff");
        assert_rows(&go_pprof(&a), &d);
    }
}

#[test]
fn a_focus_that_matches_nothing_says_so_and_a_bad_regex_is_a_usage_error() {
    let f = fixtures().join("heap2.pb.gz");
    let r = leakscope_heap::top(&f, &opts("inuse_space", Some("^no_such_fn$"), None)).expect("top");
    assert!(r.groups.is_empty());
    assert!(
        r.notes.iter().any(|n| n.contains("matched no frame")),
        "{:?}",
        r.notes
    );
    match leakscope_heap::top(&f, &opts("inuse_space", Some("(unclosed"), None)) {
        Err(HeapError::Usage(m)) => assert!(m.contains("--focus") && m.contains("regular"), "{m}"),
        other => panic!("expected a usage error, got {other:?}"),
    }
    let v8 = fixtures().join("../v8/service-1.heapsnapshot");
    match leakscope_heap::top(&v8, &opts("inuse_space", Some("x"), None)) {
        Err(HeapError::Usage(m)) => assert!(m.contains("pprof"), "{m}"),
        other => panic!("expected a usage error, got {other:?}"),
    }
}

/// pprof's `-list` text: per routine, (function, file, [(line, flat, cum, text)]).
type GoListing = Vec<(String, String, Vec<(i64, String, String, String)>)>;

fn parse_go_list(text: &str) -> GoListing {
    let mut out: GoListing = Vec::new();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("ROUTINE ======================== ") {
            let (f, file) = rest.split_once(" in ").expect("ROUTINE name in file");
            out.push((f.to_string(), file.to_string(), Vec::new()));
        } else if line.contains("(flat, cum)") || line.starts_with("Total:") {
            continue;
        } else if let Some(last) = out.last_mut() {
            // "%10s %10s %6d:%s"
            let (nums, text) = line.split_at(line.find(':').expect("line:text"));
            let toks: Vec<&str> = nums.split_whitespace().collect();
            last.2.push((
                toks[2].parse().expect("line number"),
                toks[0].to_string(),
                toks[1].to_string(),
                text[1..].to_string(),
            ));
        }
    }
    out
}

#[test]
fn list_shows_the_lines_pprof_lists() {
    if !have_go() {
        return;
    }
    let f = fixtures();
    for (index, pattern, base) in [
        ("inuse_space", "main\\.", false),
        ("alloc_space", "churn|leakCache", false),
        ("inuse_space", "leakCache", true),
    ] {
        let mut args = vec![format!("-sample_index={index}"), format!("-list={pattern}")];
        let mut o = opts(index, None, None);
        o.list = Some(pattern.into());
        o.source_path = Some(f.clone());
        let r = if base {
            args.extend(["-base".into(), "heap1.pb.gz".into()]);
            leakscope_heap::diff(&[f.join("heap1.pb.gz"), f.join("heap2.pb.gz")], &o)
        } else {
            leakscope_heap::top(&f.join("heap2.pb.gz"), &o)
        }
        .expect("report");
        args.push("heap2.pb.gz".into());
        let a: Vec<&str> = args.iter().map(String::as_str).collect();
        let go = parse_go_list(&go_pprof(&a));
        let l = r.listing.expect("a listing");
        let dot = |v: i64| {
            if v == 0 {
                ".".to_string()
            } else {
                go_value(v, true)
            }
        };
        let ours: GoListing = l
            .routines
            .iter()
            .map(|x| {
                assert!(x.error.is_none(), "{x:?}");
                (
                    x.function.clone(),
                    x.file.clone(),
                    x.lines
                        .iter()
                        .map(|s| (s.line, dot(s.flat), dot(s.cum), s.text.clone()))
                        .collect(),
                )
            })
            .collect();
        assert!(!go.is_empty());
        assert_eq!(ours, go, "-list={pattern} base={base}");
        assert!(ours.iter().any(|r| r.2.iter().any(|l| l.1 != ".")));
    }
    // Sources that cannot be found are said per routine, numbers still there.
    let mut o = opts("inuse_space", None, None);
    o.list = Some("leakCache".into());
    o.source_path = Some(PathBuf::from("/nonexistent-dir"));
    let r = leakscope_heap::top(&f.join("heap2.pb.gz"), &o).expect("top");
    let x = &r.listing.expect("listing").routines[0];
    assert!(
        x.error.as_deref().unwrap_or("").contains("could not find"),
        "{x:?}"
    );
    assert!(x.cum > 0);
}
