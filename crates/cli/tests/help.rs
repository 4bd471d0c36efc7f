//! `--help` as people read it: every command has examples, and load templates show literally.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

fn help(args: &[&str]) -> String {
    let out = common::leakscope().args(args).output().unwrap();
    assert_eq!(out.status.code(), Some(0), "{args:?} exits 0");
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn run_help_shows_every_template_literally() {
    for args in [&["run", "--help"][..], &["help", "run"], &["run", "-h"]] {
        let text = help(args);
        for t in ["{n}", "{rand}"] {
            assert!(text.contains(t), "{args:?} shows {t}:\n{text}");
        }
        assert!(!text.contains("{#"), "no escape mark leaks:\n{text}");
        // clap would have turned `{n}` into a line break right after `/user/`.
        assert!(!text.contains("/user/\n"), "{text}");
    }
    assert!(help(&["run", "--help"]).contains("http://127.0.0.1:8080/user/{n}"));
}

#[test]
fn every_command_has_examples() {
    for cmd in ["watch", "run", "analyze", "ls"] {
        let text = help(&[cmd, "--help"]);
        assert!(
            text.contains("Example"),
            "{cmd} --help has examples:\n{text}"
        );
    }
}

#[test]
fn usage_errors_exit_2_on_stderr() {
    let out = common::leakscope().args(["run"]).output().unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    assert!(String::from_utf8_lossy(&out.stderr).contains("--load"));
}

#[test]
fn bash_completions_load_and_know_the_commands() {
    let script = help(&["completions", "bash"]);
    for cmd in ["watch", "run", "analyze", "heap", "config"] {
        assert!(script.contains(cmd), "completes {cmd}");
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leakscope.bash");
    std::fs::write(&path, &script).unwrap();
    // Sourcing it in a real bash registers the completion function.
    let out = std::process::Command::new("bash")
        .arg("-c")
        .arg(format!(
            "source {} && complete -p leakscope",
            path.display()
        ))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8_lossy(&out.stdout).contains("_leakscope"));
}

#[test]
fn man_pages_are_written_for_every_command() {
    let dir = tempfile::tempdir().unwrap();
    let out = common::leakscope()
        .args(["-q", "man", "--out"])
        .arg(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    for page in [
        "leakscope",
        "leakscope-watch",
        "leakscope-run",
        "leakscope-heap",
    ] {
        let text = std::fs::read_to_string(dir.path().join(format!("{page}.1"))).unwrap();
        assert!(text.contains(".TH"), "{page} is a man page");
        assert!(!text.contains("{#"), "{page} shows templates literally");
    }
    let run = std::fs::read_to_string(dir.path().join("leakscope-run.1")).unwrap();
    assert!(
        run.contains("/user/{n}"),
        "the run page shows the {{n}} template"
    );
}
