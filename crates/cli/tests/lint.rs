//! `leakscope lint` end to end: the project's own examples (every leaky one flagged, every
//! fixed twin clean), SARIF accepted by the 2.1.0 schema, configuration and suppressions,
//! bad input that warns and goes on, and runtime evidence from real Go and Python services
//! under load confirming the findings.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::*;

/// `leakscope lint ARGS` in `cwd`, not yet run.
fn lint_cmd(args: &[&str], cwd: &Path) -> Command {
    let mut cmd = leakscope();
    cmd.arg("lint").args(args).current_dir(cwd);
    cmd
}

fn lint(args: &[&str], cwd: &Path) -> Output {
    lint_cmd(args, cwd).output().unwrap()
}

fn rules_of(v: &serde_json::Value) -> Vec<(String, u64)> {
    v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect()
}

#[test]
fn every_leaky_example_is_flagged_and_every_fixed_twin_is_clean() {
    let repo = repo();
    // (leaky, fixed twin, rule, text on the flagged line)
    let cases = [
        (
            "examples/node/cache/leaky.js",
            "examples/node/cache/fixed.js",
            "js/unbounded-cache",
            "profiles.set(user, profile)",
        ),
        (
            "examples/node/listener/leaky.js",
            "examples/node/listener/fixed.js",
            "js/listener-not-removed",
            "settings.on('change'",
        ),
        (
            "examples/node/closure/leaky.js",
            "examples/node/closure/fixed.js",
            "js/timer-closure-captures-large",
            "setTimeout(",
        ),
        (
            "examples/python/cache/leaky.py",
            "examples/python/cache/fixed.py",
            "py/unbounded-cache",
            "PROFILES[user] = profile",
        ),
        (
            "examples/python/records/leaky.py",
            "examples/python/records/fixed.py",
            "py/unbounded-cache",
            "REQUEST_LOG.append(",
        ),
        (
            "examples/go/goroutines/leaky/main.go",
            "examples/go/goroutines/fixed/main.go",
            "go/goroutine-blocked",
            "recs <- page",
        ),
        (
            "examples/go/cache/leaky/main.go",
            "examples/go/cache/fixed/main.go",
            "go/unbounded-cache",
            "profiles[user] = profile",
        ),
    ];
    let mut expected = Vec::new();
    for (leaky, fixed, rule, at) in cases {
        let found = rules_of(&run_json(lint_cmd(&["--format", "json", leaky], &repo), 1));
        assert_eq!(found.len(), 1, "{leaky}: one finding, the leak: {found:?}");
        assert_eq!(found[0].0, rule, "{leaky}: {found:?}");
        // The finding names the line of the leak's statement.
        let text = std::fs::read_to_string(repo.join(leaky)).unwrap();
        let line = found[0].1 as usize;
        let flagged = text.lines().nth(line - 1).unwrap();
        assert!(
            flagged.contains(at),
            "{leaky}:{line} is not at the leak: {flagged}"
        );
        expected.push((leaky.to_string(), rule.to_string(), line as u64));

        let v = run_json(lint_cmd(&["--format", "json", fixed], &repo), 0);
        assert!(rules_of(&v).is_empty());
    }
    // The whole examples tree at the default severity: the seven leaks above, plus the
    // deliberate leak of the tracemalloc example (`SEEN`, remembered forever), and nothing else.
    let text = std::fs::read_to_string(repo.join("examples/python/tracemalloc_signal/service.py"))
        .unwrap();
    let seen = text
        .lines()
        .position(|l| l.trim_start().starts_with("SEEN[len(SEEN)]"))
        .unwrap() as u64
        + 1;
    expected.push((
        "examples/python/tracemalloc_signal/service.py".into(),
        "py/unbounded-cache".into(),
        seen,
    ));
    expected.sort();
    let v = run_json(lint_cmd(&["--format", "json", "examples"], &repo), 1);
    let mut all: Vec<(String, String, u64)> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["file"].as_str().unwrap().to_string(),
                f["rule"].as_str().unwrap().to_string(),
                f["line"].as_u64().unwrap(),
            )
        })
        .collect();
    all.sort();
    assert_eq!(all, expected);
}

#[test]
fn sarif_is_valid_2_1_0_with_what_github_reads() {
    let repo = repo();
    let out = lint(
        &["--format", "sarif", "--severity", "note", "examples"],
        &repo,
    );
    let v = expect_json(&out, 1);
    assert_eq!(v["version"], "2.1.0");
    let run = &v["runs"][0];
    let rules = run["tool"]["driver"]["rules"].as_array().unwrap();
    assert!(rules.len() >= 20);
    for r in rules {
        for key in ["id", "name"] {
            assert!(!r[key].as_str().unwrap().is_empty());
        }
        assert!(!r["shortDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["fullDescription"]["text"].as_str().unwrap().is_empty());
        assert!(!r["help"]["text"].as_str().unwrap().is_empty());
        assert!(["very-high", "high", "medium", "low"]
            .contains(&r["properties"]["precision"].as_str().unwrap()));
    }
    let results = run["results"].as_array().unwrap();
    assert!(results.len() >= 7);
    for res in results {
        assert!(!res["partialFingerprints"]["primaryLocationLineHash"]
            .as_str()
            .unwrap()
            .is_empty());
        let loc = &res["locations"][0]["physicalLocation"];
        assert!(loc["artifactLocation"]["uri"]
            .as_str()
            .unwrap()
            .starts_with("examples/"));
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
        let idx = res["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[idx]["id"], res["ruleId"]);
    }
    // The schema check: Python's jsonschema against the SARIF 2.1.0 schema.
    let dir = tempfile::tempdir().unwrap();
    let doc = dir.path().join("out.sarif");
    std::fs::write(&doc, &out.stdout).unwrap();
    let schema = repo.join("crates/lint/tests/fixtures/sarif/sarif-schema-2.1.0.json");
    let check = Command::new("python3")
        .args([
            "-c",
            "import json,sys\ntry:\n import jsonschema\nexcept ImportError:\n print('SKIP'); sys.exit(0)\njsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])))\nprint('valid')",
        ])
        .arg(&schema)
        .arg(&doc)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&check.stdout);
    assert!(
        check.status.success(),
        "{said}{}",
        String::from_utf8_lossy(&check.stderr)
    );
    if said.contains("SKIP") {
        eprintln!("SKIP: python3 jsonschema is missing (apt-get install python3-jsonschema)");
    } else {
        assert!(said.contains("valid"));
    }
}

#[test]
fn other_commands_refuse_sarif_in_one_sentence() {
    let out = leakscope()
        .args(["ls", "--format", "sarif", "--db", "/nonexistent/x.db"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--format sarif is for `leakscope lint` only"),
        "{err}"
    );
    assert_eq!(err.lines().count(), 1, "{err}");
}

fn project(files: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, text) in files {
        let p = dir.path().join(name);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, text).unwrap();
    }
    dir
}

const JS_LEAK: &str = "const seen = new Map();\nfunction handle(req, res) {\n  seen.set(req.url, req.body);\n  res.end();\n}\n";
const PY_LEAK: &str = "import threading\n\ndef worker():\n    while True:\n        job = jobs.get()\n        job()\n\ndef handle(request):\n    threading.Thread(target=worker).start()\n";

#[test]
fn gitignore_rules_suppressions_and_the_lint_section() {
    let dir = project(&[
        (".gitignore", "gen/\n"),
        ("app.js", JS_LEAK),
        ("gen/bundle.js", JS_LEAK),
        ("svc.py", PY_LEAK),
        (
            "quiet.js",
            "const seen = new Map();\nfunction handle(req, res) {\n  // leakscope: ignore[js/unbounded-cache]\n  seen.set(req.url, req.body);\n}\n",
        ),
    ]);
    let v = run_json(lint_cmd(&["--format", "json"], dir.path()), 1);
    let files: Vec<String> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["file"].as_str().unwrap().to_string())
        .collect();
    assert!(files.iter().any(|f| f.ends_with("app.js")), "{files:?}");
    assert!(files.iter().any(|f| f.ends_with("svc.py")), "{files:?}");
    assert!(
        !files.iter().any(|f| f.contains("gen/")),
        ".gitignore is honored: {files:?}"
    );
    assert!(
        !files.iter().any(|f| f.ends_with("quiet.js")),
        "suppressed: {files:?}"
    );
    assert_eq!(v["suppressed"], 1);
    for f in v["findings"].as_array().unwrap() {
        for key in ["rule", "file", "line", "severity", "message", "fix"] {
            assert!(!f[key].is_null(), "{key} in {f}");
        }
    }

    // --rule and --skip
    let v = json_of(&lint(&["--format", "json", "--rule", "py"], dir.path()));
    assert!(rules_of(&v).iter().all(|(r, _)| r.starts_with("py/")));
    assert_eq!(
        v["files"], 1,
        "with only Python rules, only svc.py is read: {v}"
    );
    let out = lint(
        &[
            "--format",
            "json",
            "--skip",
            "unbounded-cache,thread-no-exit",
        ],
        dir.path(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stdout)
    );
    let out = lint(&["--rule", "no-such-rule"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no-such-rule"));

    // ./leakscope.toml's [lint] section is read by default.
    std::fs::write(
        dir.path().join("leakscope.toml"),
        "[lint]\nskip = [\"js\"]\nseverity = \"warning\"\n",
    )
    .unwrap();
    assert!(rules_of(&json_of(&lint(&["--format", "json"], dir.path())))
        .iter()
        .all(|(r, _)| !r.starts_with("js/")));

    // A broken config: exit 2, naming the file, line and key.
    std::fs::write(
        dir.path().join("leakscope.toml"),
        "[lint]\nskip = []\nseverity = \"loud\"\n",
    )
    .unwrap();
    let out = lint(&[], dir.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("leakscope.toml: line 3") && err.contains("severity"),
        "{err}"
    );
    let out = leakscope()
        .args(["config", "check", "leakscope.toml"])
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2), "config check reads [lint] too");
    std::fs::write(dir.path().join("other.toml"), "[lint\n").unwrap();
    let out = lint(&["--config", "other.toml"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("other.toml: line 1"));
}

#[test]
fn exit_codes_and_formats_clean_leaky_and_missing() {
    let clean = project(&[(
        "ok.py",
        "CACHE = {}\n\ndef view(request):\n    return CACHE.get(request.path)\n",
    )]);
    for format in ["table", "json", "sarif"] {
        let out = lint(&["--format", format], clean.path());
        assert_eq!(
            out.status.code(),
            Some(0),
            "{format}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        if format != "table" {
            let v = json_of(&out);
            let results = if format == "json" {
                &v["findings"]
            } else {
                &v["runs"][0]["results"]
            };
            assert_eq!(results.as_array().unwrap().len(), 0, "{format}: {v}");
        }
    }
    let leaky = project(&[("app.js", JS_LEAK)]);
    let out = lint(&[], leaky.path());
    assert_eq!(out.status.code(), Some(1));
    // The table: a header, then one row naming file:line, severity, rule, message and fix.
    let table = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<&str> = table.lines().collect();
    assert!(
        rows[0].starts_with("LOCATION") && rows[0].contains("RULE") && rows[0].contains("FIX"),
        "{table}"
    );
    assert_eq!(rows.len(), 2, "{table}");
    assert!(
        rows[1].starts_with("app.js:3")
            && rows[1].contains("js/unbounded-cache")
            && rows[1].contains("`seen`"),
        "{table}"
    );
    // --severity error hides the warning: nothing shown is exit 0, and the summary says so.
    let out = lint(&["--severity", "error"], leaky.path());
    assert_eq!(out.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("1 below error hidden"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    // A path that does not exist: exit 2, one sentence naming it, no output.
    let out = lint(&["--format", "json", "no/such/dir"], leaky.path());
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("no/such/dir") && err.lines().count() == 1,
        "{err}"
    );
    assert!(out.stdout.is_empty());
}

#[test]
fn bad_files_warn_by_name_and_the_run_goes_on() {
    let minified = format!("var a={};{}\n", "1", "x=1;".repeat(30_000));
    let huge = format!("// generated\n{}", "const x = 1;\n".repeat(200_000));
    let dir = project(&[
        ("good.js", JS_LEAK),
        ("broken.py", "def handle(request):\n    return )\n\nCACHE = {}\n\ndef view(request):\n    CACHE[request.path] = 1\n"),
        ("min.js", &minified),
        ("huge.js", &huge),
    ]);
    std::fs::write(dir.path().join("blob.js"), b"\x00\x01\x02binary\x00data").unwrap();
    std::fs::create_dir(dir.path().join("sub")).unwrap();
    std::os::unix::fs::symlink("..", dir.path().join("sub/loop")).unwrap();
    std::os::unix::fs::symlink("missing.js", dir.path().join("dangling.js")).unwrap();
    let out = lint(&["--format", "json"], dir.path());
    let err = String::from_utf8_lossy(&out.stderr);
    let v = expect_json(&out, 1);
    let found = rules_of(&v);
    assert!(
        found.iter().any(|(r, _)| r == "js/unbounded-cache"),
        "{found:?}"
    );
    // The file with a syntax error is still checked past the error.
    assert!(
        found
            .iter()
            .any(|(r, l)| r == "py/unbounded-cache" && *l == 7),
        "{found:?}"
    );
    for (name, what) in [
        ("broken.py", "syntax error at line 2"),
        ("min.js", "minified"),
        ("huge.js", "larger than"),
        ("blob.js", "binary"),
        ("loop", "symlink loop"),
        ("dangling.js", "dangling.js"),
    ] {
        assert!(
            err.lines().any(|l| l.contains(name) && l.contains(what)),
            "no warning naming {name} ({what}):\n{err}"
        );
    }
}

/// A file none of whose literals any selected rule needs is read (counted) but not parsed, so
/// its syntax error is not reported; `--parse-all` parses it and reports it. Findings are the
/// same either way.
#[test]
fn files_no_selected_rule_can_match_are_not_parsed_unless_parse_all() {
    let dir = project(&[
        ("broken.py", "def handle(request):\n    return )\n"),
        (
            "repo.py",
            "import functools\n\nclass Repo:\n    @functools.lru_cache(maxsize=None)\n    def get(self, k):\n        return k\n",
        ),
    ]);
    let args = ["--format", "json", "--rule", "py/lru-cache-on-method"];
    let fast = lint(&args, dir.path());
    let all = lint(&[&args[..], &["--parse-all"]].concat(), dir.path());
    for out in [&fast, &all] {
        let v = expect_json(out, 1);
        assert_eq!(rules_of(&v), [("py/lru-cache-on-method".to_string(), 4)]);
        assert_eq!(v["files"], 2, "{v}");
        assert_eq!(v["lines"], 8, "{v}");
    }
    let fast_err = String::from_utf8_lossy(&fast.stderr);
    let all_err = String::from_utf8_lossy(&all.stderr);
    assert!(!fast_err.contains("broken.py"), "{fast_err}");
    assert!(
        all_err
            .lines()
            .any(|l| l.contains("broken.py") && l.contains("syntax error at line 2")),
        "{all_err}"
    );
}

#[test]
fn lint_list_rules_covers_every_checklist_item() {
    let v = run_json(
        leakscope().args(["lint", "--list-rules", "--format", "json"]),
        0,
    );
    let items: std::collections::BTreeSet<String> = v["rules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["item"].as_str().unwrap().to_string())
        .collect();
    for item in [
        "cache",
        "listener",
        "query",
        "background",
        "closure",
        "pool",
        "close",
        "timer",
    ] {
        assert!(items.contains(item), "{item} missing: {items:?}");
    }
}

// ---- Runtime evidence from real services -------------------------------------------------

/// GET http://127.0.0.1:port/path into `file` (or discard), with a plain TcpStream.
fn http_get(port: u16, path: &str, file: Option<&Path>) -> bool {
    use std::io::{Read, Write};
    let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) else {
        return false;
    };
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    if write!(s, "GET {path} HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n").is_err() {
        return false;
    }
    let mut buf = Vec::new();
    if s.read_to_end(&mut buf).is_err() {
        return false;
    }
    let Some(at) = buf.windows(4).position(|w| w == b"\r\n\r\n") else {
        return false;
    };
    if let Some(f) = file {
        std::fs::write(f, &buf[at + 4..]).unwrap();
    }
    buf.starts_with(b"HTTP/1.0 200") || buf.starts_with(b"HTTP/1.1 200")
}

struct Service(std::process::Child);

impl Drop for Service {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn evidence_lint(target: &str, diff: &Path) -> serde_json::Value {
    run_json(
        lint_cmd(
            &[
                "--format",
                "json",
                "--evidence",
                diff.to_str().unwrap(),
                target,
            ],
            &repo(),
        ),
        1,
    )
}

#[test]
fn a_go_heap_diff_under_load_confirms_the_cache_finding() {
    if Command::new("go").arg("version").output().is_err() {
        eprintln!("SKIP: go is not installed (apt-get install golang-go)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let bin = dir.path().join("cache-leaky");
    let st = Command::new("go")
        .args(["build", "-o"])
        .arg(&bin)
        .arg("./cache/leaky")
        .current_dir(repo().join("examples/go"))
        .env("GOFLAGS", "-mod=mod")
        .env("GOCACHE", std::env::temp_dir().join("leakscope-gocache"))
        .status()
        .unwrap();
    assert!(st.success());
    let port = free_port();
    let _svc = Service(
        Command::new(&bin)
            .args(["--port", &port.to_string()])
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(wait_for(Duration::from_secs(10), || http_get(
        port, "/stats", None
    )));
    let h1 = dir.path().join("h1.pb.gz");
    assert!(http_get(port, "/debug/pprof/heap?gc=1", Some(&h1)));
    // 6,000 entries of ~2 KB: about 24 samples at Go's 512 KiB heap sampling rate, so the
    // estimate clears the 3 MB bar below all but ~1 in 10,000 times (with 3,000 entries, ~12
    // samples, it missed about 1 in 50).
    for i in 0..6000 {
        assert!(http_get(port, &format!("/user/u{i}"), None));
    }
    let h2 = dir.path().join("h2.pb.gz");
    assert!(http_get(port, "/debug/pprof/heap?gc=1", Some(&h2)));
    let diff = heap_diff(&[&h1, &h2], dir.path());
    let v = evidence_lint("examples/go", &diff);
    let first = &v["findings"][0];
    assert_eq!(first["rule"], "go/unbounded-cache", "{v}");
    assert_eq!(first["confirmed"], true);
    assert_eq!(first["severity"], "error");
    assert_eq!(first["evidence"]["format"], "pprof");
    assert!(
        first["evidence"]["size_delta"].as_i64().unwrap() > 3000 * 2048 / 2,
        "{first}"
    );
    // The goroutine example in the same tree is not confirmed by the cache's growth.
    let others: Vec<&serde_json::Value> =
        v["findings"].as_array().unwrap().iter().skip(1).collect();
    assert!(others.iter().all(|f| f["confirmed"] == false), "{others:?}");
}

#[test]
fn a_python_tracemalloc_diff_under_load_confirms_the_cache_finding() {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
    let svc = Service(
        Command::new("python3")
            .arg(repo().join("examples/python/cache/leaky.py"))
            .args(["--port", &port.to_string()])
            .env("LEAKSCOPE_TRACEMALLOC", "1")
            .env("LEAKSCOPE_TRACEMALLOC_DIR", dir.path())
            .stdout(Stdio::null())
            .spawn()
            .unwrap(),
    );
    assert!(wait_for(Duration::from_secs(10), || http_get(
        port, "/stats", None
    )));
    let pid = svc.0.id() as i32;
    let dumps = || -> Vec<PathBuf> {
        let mut v: Vec<PathBuf> = std::fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| p.extension().is_some_and(|e| e == "pickle"))
            .collect();
        v.sort();
        v
    };
    // SIGUSR2 makes the example dump a tracemalloc snapshot (examples/python/service.py).
    unsafe { libc::kill(pid, libc::SIGUSR2) };
    assert!(wait_for(Duration::from_secs(10), || dumps().len() == 1));
    for i in 0..1500 {
        assert!(http_get(port, &format!("/user/u{i}"), None));
    }
    unsafe { libc::kill(pid, libc::SIGUSR2) };
    assert!(wait_for(Duration::from_secs(10), || dumps().len() == 2));
    std::thread::sleep(Duration::from_millis(300));
    let d = dumps();
    let diff = heap_diff(&[&d[0], &d[1]], dir.path());
    let v = evidence_lint("examples/python", &diff);
    let first = &v["findings"][0];
    assert_eq!(first["rule"], "py/unbounded-cache", "{v}");
    assert!(first["file"].as_str().unwrap().ends_with("cache/leaky.py"));
    assert_eq!(first["confirmed"], true);
    assert_eq!(first["evidence"]["format"], "tracemalloc");
    // The records example did not run: it is not confirmed.
    let records = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["file"].as_str().unwrap().contains("records"))
        .unwrap();
    assert_eq!(records["confirmed"], false);
}

fn heap_diff(inputs: &[&Path], dir: &Path) -> PathBuf {
    let out = leakscope()
        .args(["heap", "diff", "--format", "json"])
        .args(inputs)
        .output()
        .unwrap();
    assert!(
        out.status.code() == Some(1),
        "heap diff found no suspect: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let p = dir.join("diff.json");
    std::fs::write(&p, &out.stdout).unwrap();
    p
}

#[test]
fn evidence_that_is_not_a_heap_diff_is_refused() {
    let dir = project(&[("app.js", JS_LEAK), ("x.json", "{\"not\": \"a diff\"}")]);
    let out = lint(&["--evidence", "x.json"], dir.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("x.json"));
}
