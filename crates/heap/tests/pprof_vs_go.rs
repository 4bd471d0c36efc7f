//! Our pprof tables against `go tool pprof` itself, run live. Needs `go` (and python3 for the
//! generated profiles) on PATH; without them the tests print SKIP and pass. CI installs Go.

mod pprof_support;

use std::path::Path;
use std::process::Command;

use leakscope_heap::pprof::Granularity::{self, Files, Functions, Lines};
use pprof_support::{assert_same, fixtures, q};

fn have(tool: &str) -> bool {
    Command::new(tool)
        .arg(if tool == "go" { "version" } else { "--version" })
        .output()
        .map(|o| o.status.success())
        .unwrap_or(false)
}

fn go_top(args: &[&str], files: &[&Path]) -> String {
    let mut cmd = Command::new("go");
    cmd.args(["tool", "pprof", "-top", "-nodefraction=0"])
        .args(args);
    // Exact bytes for byte-valued sample types (counts print as plain numbers anyway).
    if !args
        .iter()
        .any(|a| a.contains("objects") || *a == "-sample_index=0")
    {
        cmd.arg("-unit=B");
    }
    for f in files {
        cmd.arg(f);
    }
    let out = cmd.output().expect("run go tool pprof");
    assert!(
        out.status.success(),
        "go tool pprof failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn flag(g: Granularity) -> &'static str {
    match g {
        Functions => "-functions",
        Lines => "-lines",
        Files => "-files",
    }
}

fn check_all(base: &Path, source: &Path) {
    for g in [Functions, Lines, Files] {
        for cum in [false, true] {
            let mut args = vec![flag(g)];
            if cum {
                args.push("-cum");
            }
            assert_same(
                &go_top(&args, &[source]),
                source,
                None,
                &q(g, None, cum, true),
            );
            let mut bargs = args.clone();
            bargs.push("-base");
            let b = base.to_str().expect("utf-8 path");
            bargs.push(b);
            assert_same(
                &go_top(&bargs, &[source]),
                source,
                Some(base),
                &q(g, None, cum, true),
            );
        }
    }
    for si in ["alloc_objects", "alloc_space", "inuse_objects", "0"] {
        let a = format!("-sample_index={si}");
        assert_same(
            &go_top(&[&a], &[source]),
            source,
            None,
            &q(Functions, Some(si), false, true),
        );
        let b = base.to_str().expect("utf-8 path");
        assert_same(
            &go_top(&[&a, "-base", b], &[source]),
            source,
            Some(base),
            &q(Functions, Some(si), false, true),
        );
    }
}

#[test]
fn fixtures_equal_go_tool_pprof() {
    if !have("go") {
        eprintln!(
            "SKIP fixtures_equal_go_tool_pprof: `go` is not on PATH (apt-get install -y golang-go)"
        );
        return;
    }
    let f = fixtures();
    check_all(&f.join("heap1.pb.gz"), &f.join("heap2.pb.gz"));
    // Reversed: negative diffs.
    check_all(&f.join("heap2.pb.gz"), &f.join("heap1.pb.gz"));
}

#[test]
fn generated_profiles_equal_go_tool_pprof() {
    if !have("go") || !have("python3") {
        eprintln!("SKIP generated_profiles_equal_go_tool_pprof: needs `go` and `python3` on PATH");
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let gen = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench/go-python/gen_bigprof_go.py");
    let main = Command::new("python3").arg(&gen).output().expect("python3");
    assert!(main.status.success());
    std::fs::write(d.join("main.go"), &main.stdout).expect("write main.go");
    std::fs::write(d.join("go.mod"), "module bigprof\n\ngo 1.19\n").expect("write go.mod");
    let st = Command::new("go")
        .args(["build", "-trimpath", "-o", "bigprof", "."])
        .current_dir(d)
        .status()
        .expect("go build");
    assert!(st.success());
    for (args, out) in [
        (["8", "3000", "1"], "a.pb.gz"),
        (["8", "5000", "2"], "b.pb.gz"),
    ] {
        let st = Command::new(d.join("bigprof"))
            .args(args)
            .arg(d.join(out))
            .status()
            .expect("bigprof");
        assert!(st.success());
    }
    check_all(&d.join("a.pb.gz"), &d.join("b.pb.gz"));
}

/// Compare any two profiles: `PPROF_BASE=a.pb.gz PPROF_SOURCE=b.pb.gz cargo test -p
/// leakscope-heap --test pprof_vs_go -- --ignored env_files` (`PPROF_QUICK=1`: only
/// `-top -base` by function and by line).
#[test]
#[ignore]
fn env_files_equal_go_tool_pprof() {
    let (Ok(b), Ok(s)) = (std::env::var("PPROF_BASE"), std::env::var("PPROF_SOURCE")) else {
        eprintln!("SKIP: set PPROF_BASE and PPROF_SOURCE");
        return;
    };
    let (b, s) = (Path::new(&b), Path::new(&s));
    if std::env::var("PPROF_QUICK").is_ok() {
        // Only the default view and -lines of `-top -base` (for big profiles).
        let bs = b.to_str().expect("utf-8 path");
        assert_same(
            &go_top(&["-base", bs], &[s]),
            s,
            Some(b),
            &q(Functions, None, false, true),
        );
        assert_same(
            &go_top(&["-lines", "-base", bs], &[s]),
            s,
            Some(b),
            &q(Lines, None, false, true),
        );
        return;
    }
    check_all(b, s);
}
