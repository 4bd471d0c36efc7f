//! The packaging people deploy: the systemd unit and the Dockerfile name real flags and files,
//! and systemd itself accepts the unit.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// Every `--flag` in `args` is one that `leakscope <cmd> --help` lists.
fn assert_real_flags(cmd: &[&str], args: &[String]) {
    let mut help_args: Vec<&str> = cmd.to_vec();
    help_args.push("--help");
    let out = common::leakscope().args(&help_args).output().unwrap();
    let help = String::from_utf8(out.stdout).unwrap();
    for a in args.iter().filter(|a| a.starts_with("--")) {
        let flag = a.split('=').next().unwrap();
        assert!(help.contains(flag), "`leakscope {cmd:?}` has no {flag}");
    }
}

#[test]
fn systemd_unit_is_accepted_by_systemd_and_names_real_flags() {
    let unit = std::fs::read_to_string(repo().join("deploy/systemd/leakscope.service")).unwrap();
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart="))
        .expect("an ExecStart line");
    let words: Vec<String> = exec.split_whitespace().map(String::from).collect();
    assert_eq!(words[0], "/usr/local/bin/leakscope");
    assert_eq!(words[1], "watch");
    assert_real_flags(&["watch"], &words[2..]);
    assert!(
        unit.contains("ExecReload=/bin/kill -HUP $MAINPID"),
        "reload is SIGHUP"
    );
    for hardening in [
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "CapabilityBoundingSet=\n",
    ] {
        assert!(unit.contains(hardening), "hardened with {hardening:?}");
    }

    let Ok(out) = std::process::Command::new("systemd-analyze")
        .arg("--version")
        .output()
    else {
        eprintln!("SKIP: systemd-analyze is not installed; only the flags were checked");
        return;
    };
    assert!(out.status.success());
    // systemd checks the executable exists: point the unit at the binary under test.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leakscope.service");
    std::fs::write(
        &path,
        unit.replace("/usr/local/bin/leakscope", env!("CARGO_BIN_EXE_leakscope")),
    )
    .unwrap();
    let out = std::process::Command::new("systemd-analyze")
        .args(["verify", "--man=no"])
        .arg(&path)
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "systemd-analyze verify: {err}");
    // It exits 0 on unknown keys and bad values too, and says so on stderr.
    assert!(
        err.trim().is_empty(),
        "systemd-analyze verify complains: {err}"
    );
}

#[test]
fn dockerfile_copies_real_files_and_runs_real_flags() {
    let text = std::fs::read_to_string(repo().join("Dockerfile")).unwrap();
    let cmd = text
        .lines()
        .find_map(|l| l.strip_prefix("CMD "))
        .expect("a CMD line");
    let args: Vec<String> = serde_json::from_str(cmd).unwrap();
    assert_eq!(args[0], "watch");
    assert_real_flags(&["watch"], &args[1..]);
    assert!(text.contains("USER 65532"), "runs as non-root");
    for src in text
        .lines()
        .filter_map(|l| l.strip_prefix("COPY --from=build /src/"))
    {
        let file = src.split_whitespace().next().unwrap();
        if file.starts_with("target/") {
            continue; // what the build stage made
        }
        assert!(
            repo().join(file).exists(),
            "COPY of {file}, which is in the repo"
        );
    }
    let build = text
        .lines()
        .find(|l| l.starts_with("RUN cargo build"))
        .expect("a build step");
    assert!(build.contains("--locked") && build.contains("-p leakscope"));
}
