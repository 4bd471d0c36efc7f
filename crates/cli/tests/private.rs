//! What leakscope writes is private and free of secrets: a downloaded profile goes to an
//! exclusive 0600 temporary file (a symlink planted at a guessable name is not followed), the
//! store a `run` creates is 0600 in 0700 directories, and header values, URL credentials and
//! secret-named arguments never reach the database (its -wal included), stdout or stderr.

#![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

mod common;

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use common::*;

fn fixture(rel: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures")
        .join(rel)
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// The last pid the kernel handed out (in this pid namespace).
fn last_pid() -> u32 {
    std::fs::read_to_string("/proc/sys/kernel/ns_last_pid")
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

#[test]
fn a_symlink_planted_at_the_old_download_name_is_not_followed() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim.txt");
    std::fs::write(&victim, "precious\n").unwrap();
    // The old name was /tmp/leakscope-<pid>-<n>.download: plant it for every pid leakscope
    // is likely to get next.
    let from = last_pid() + 1;
    let planted = from..from + 2000;
    for pid in planted.clone() {
        std::os::unix::fs::symlink(
            &victim,
            tmp.path().join(format!("leakscope-{pid}-0.download")),
        )
        .unwrap();
    }
    let served = tempfile::tempdir().unwrap();
    std::fs::copy(fixture("go/heap2.pb.gz"), served.path().join("heap")).unwrap();
    let (mut server, port) = serve_dir(served.path());
    let child = leakscope()
        .args(["heap", "top", "--format", "json"])
        .arg(format!("http://127.0.0.1:{port}/heap"))
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let pid = child.id();
    let out = child.wait_with_output().unwrap();
    server.kill().ok();
    server.wait().ok();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        planted.contains(&pid),
        "leakscope got pid {pid}, outside the planted range"
    );
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious\n");
    // The planted link is still there and still points where it did; nothing else is left.
    let link = tmp.path().join(format!("leakscope-{pid}-0.download"));
    assert_eq!(std::fs::read_link(&link).unwrap(), victim);
    let leftovers: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .flatten()
        .filter(|e| !e.file_type().unwrap().is_symlink() && e.path() != victim)
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

/// A one-shot HTTP server that sends half of `body`, waits until `go` exists, then sends the
/// rest: the download is caught in the middle.
const SLOW_SERVER: &str = r#"
import http.server, os, sys, time
body = open(sys.argv[1], 'rb').read()
go, port = sys.argv[2], int(sys.argv[3])
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        half = len(body) // 2
        self.wfile.write(body[:half]); self.wfile.flush()
        for _ in range(600):
            if os.path.exists(go): break
            time.sleep(0.05)
        self.wfile.write(body[half:])
    def log_message(self, *a): pass
http.server.HTTPServer(('127.0.0.1', port), H).serve_forever()
"#;

#[test]
fn a_download_in_progress_is_a_private_file() {
    let tmp = tempfile::tempdir().unwrap();
    let work = tempfile::tempdir().unwrap();
    let go = work.path().join("go");
    let port = free_port();
    let mut server = Command::new("python3")
        .args(["-c", SLOW_SERVER])
        .arg(fixture("go/heap2.pb.gz"))
        .arg(&go)
        .arg(port.to_string())
        .spawn()
        .unwrap();
    assert!(wait_for(Duration::from_secs(10), || {
        std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
    }));
    let child = leakscope()
        .args(["heap", "top", "--format", "json"])
        .arg(format!("http://127.0.0.1:{port}/heap"))
        .env("TMPDIR", tmp.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Caught half-way: the server holds back the second half until `go` exists.
    let mut seen = None;
    wait_for(Duration::from_secs(20), || {
        let found = std::fs::read_dir(tmp.path())
            .unwrap()
            .flatten()
            .map(|e| e.path())
            .find(|p| p.to_string_lossy().ends_with(".download"));
        if let Some(p) = found {
            if let Ok(meta) = std::fs::symlink_metadata(&p) {
                let m = mode(&p);
                seen = Some((p, meta.file_type().is_file(), m));
                return true;
            }
        }
        false
    });
    std::fs::write(&go, "").unwrap();
    let out = child.wait_with_output().unwrap();
    server.kill().ok();
    server.wait().ok();
    let (file, regular, file_mode) = seen.expect("no download file appeared in TMPDIR");
    assert!(regular, "the download is not a regular file");
    assert_eq!(file_mode, 0o600, "the download is readable by others");
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!file.exists(), "the download was not removed");
}

/// Every byte of the files in `dir`, concatenated.
fn all_bytes(dir: &Path) -> Vec<u8> {
    let mut bytes = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        if e.file_type().unwrap().is_file() {
            bytes.extend(std::fs::read(e.path()).unwrap_or_default());
        }
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

const SECRETS: [&str; 4] = ["S3CR3T-HEADER", "S3CR3T-PASS", "S3CR3T-TOKEN", "S3CR3T-ARG"];

#[test]
fn a_run_store_is_private_and_holds_no_secret() {
    let dir = tempfile::tempdir().unwrap();
    let store_dir = dir.path().join("new/sub");
    let db = store_dir.join("soak.db");
    let port = free_port();
    let service = repo().join("examples/node/cache/leaky.js");
    let child = leakscope()
        .args([
            "run",
            "--format",
            "json",
            "--warmup",
            "1s",
            "--duration",
            "5s",
            "--interval",
            "1s",
            "--rps",
            "50",
            "--header",
            "Authorization: Bearer S3CR3T-HEADER",
        ])
        .arg("--load")
        .arg(format!("http://127.0.0.1:{port}/user/{{n}}"))
        .arg("--scrape")
        .arg(format!(
            "http://metrics:S3CR3T-PASS@127.0.0.1:{port}/metrics?token=S3CR3T-TOKEN"
        ))
        .arg("--db")
        .arg(&db)
        .arg("--")
        .arg("node")
        .arg(&service)
        .args(["--port", &port.to_string(), "--api-key", "S3CR3T-ARG"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // While it runs, the write-ahead log and shared memory exist: check them then.
    let wal = store_dir.join("soak.db-wal");
    let shm = store_dir.join("soak.db-shm");
    assert!(wait_for(Duration::from_secs(30), || wal.exists() && shm.exists()));
    let modes = [
        (dir.path().join("new"), mode(&dir.path().join("new"))),
        (store_dir.clone(), mode(&store_dir)),
        (db.clone(), mode(&db)),
        (wal.clone(), mode(&wal)),
        (shm.clone(), mode(&shm)),
    ];
    let while_running = all_bytes(&store_dir);
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    // A 5 s soak is too short to judge: exit 2 saying so (it still stored what it measured).
    assert!(
        matches!(out.status.code(), Some(0 | 1))
            || (out.status.code() == Some(2) && stderr.contains("could not be judged")),
        "{stdout}\n{stderr}"
    );
    for (p, m) in &modes {
        let want = if p.is_dir() { 0o700 } else { 0o600 };
        assert_eq!(*m, want, "{} is {m:03o}", p.display());
    }
    let after = all_bytes(&store_dir);
    for secret in SECRETS {
        assert!(
            !contains(&while_running, secret),
            "{secret} in the store (-wal) while running"
        );
        assert!(!contains(&after, secret), "{secret} in the store files");
        assert!(!stdout.contains(secret), "{secret} on stdout");
        assert!(!stderr.contains(secret), "{secret} on stderr: {stderr}");
    }
    // The command line was recorded, with the header's name and the URL's user kept.
    let stored = [while_running, after].concat();
    assert!(contains(&stored, "--header Authorization: <redacted>"));
    assert!(contains(&stored, "http://metrics:<redacted>@127.0.0.1"));
    assert!(contains(&stored, "--api-key <redacted>"));
}

#[test]
fn an_existing_store_others_can_read_is_warned_about_and_left_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("w.db");
    let mut sleeper = Command::new("sleep").arg("30").spawn().unwrap();
    let watch = || {
        leakscope()
            .args(["watch", "--count", "1", "--interval", "50ms", "--pid"])
            .arg(sleeper.id().to_string())
            .arg("--db")
            .arg(&db)
            .stdout(Stdio::null())
            .output()
            .unwrap()
    };
    let first = watch();
    assert_eq!(first.status.code(), Some(0));
    assert!(!String::from_utf8_lossy(&first.stderr).contains("readable by other users"));
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let second = watch();
    sleeper.kill().ok();
    sleeper.wait().ok();
    let err = String::from_utf8_lossy(&second.stderr);
    assert_eq!(second.status.code(), Some(0), "{err}");
    assert!(
        err.contains("the store is readable by other users") && err.contains("mode 644"),
        "{err}"
    );
    assert!(
        err.contains(&format!("chmod 600 {}", db.display())),
        "{err}"
    );
    assert_eq!(mode(&db), 0o644, "the user's file was changed");
}
