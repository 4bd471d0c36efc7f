//! The fake API server (fake_apiserver.py beside this file) from Rust tests: start it on a
//! free loopback port, steer it through its /_control/ endpoints, stop it when dropped.
//! Shared by the k8s crate's tests and the cli's (`#[path]`).

#![allow(dead_code, clippy::unwrap_used)] // each test file uses part of it

pub mod cgroups;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::time::Duration;

/// This directory.
pub fn support_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(if env!("CARGO_MANIFEST_DIR").ends_with("k8s") {
        "tests/support"
    } else {
        "../k8s/tests/support"
    })
}

/// The recorded cluster (pods, events) the tests use.
pub fn cluster_fixture() -> PathBuf {
    support_dir().join("../fixtures/cluster.json")
}

/// A running fake API server.
pub struct FakeApi {
    child: Child,
    _stdin: ChildStdin,
    /// Its port on 127.0.0.1.
    pub port: u16,
    /// Where it serves the API over HTTPS, when started with `--tls-cert`.
    pub tls_port: Option<u16>,
}

impl FakeApi {
    /// Start it with `args` (e.g. `--fixture FILE`, `--generate 5000,200`); `None` (the test
    /// should say it skips) when python3 is missing.
    pub fn start(args: &[&str]) -> Option<FakeApi> {
        let mut child = match Command::new("python3")
            .arg(support_dir().join("fake_apiserver.py"))
            .args(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
        {
            Ok(c) => c,
            Err(e) => {
                eprintln!("SKIP: cannot start python3 for the fake API server: {e}");
                return None;
            }
        };
        let stdin = child.stdin.take().unwrap();
        let mut line = String::new();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        stdout.read_line(&mut line).unwrap();
        let port = line
            .trim()
            .strip_prefix("PORT ")
            .and_then(|p| p.parse().ok())
            .unwrap_or_else(|| panic!("the fake API server said {line:?}"));
        let tls_port = args.contains(&"--tls-cert").then(|| {
            let mut line = String::new();
            stdout.read_line(&mut line).unwrap();
            line.trim()
                .strip_prefix("TLS_PORT ")
                .and_then(|p| p.parse().ok())
                .unwrap_or_else(|| panic!("the fake API server said {line:?}"))
        });
        Some(FakeApi {
            child,
            _stdin: stdin,
            port,
            tls_port,
        })
    }

    /// Started with the recorded cluster.
    pub fn with_cluster() -> Option<FakeApi> {
        let f = cluster_fixture();
        FakeApi::start(&["--fixture", f.to_str().unwrap()])
    }

    /// Its URL.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// POST `body` to /_control/`what`.
    pub fn control(&self, what: &str, body: &serde_json::Value) {
        let text = body.to_string();
        let (status, answer) = self.http(
            "POST",
            &format!("/_control/{what}"),
            &format!(
                "Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{text}",
                text.len()
            ),
        );
        assert_eq!(status, 200, "control {what}: {answer}");
    }

    /// The requests it got, as paths with queries, in order.
    pub fn requests(&self) -> Vec<String> {
        let (_, body) = self.http("GET", "/_control/requests", "\r\n");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["requests"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r.as_str().unwrap().to_string())
            .filter(|r| !r.starts_with("/_control"))
            .collect()
    }

    /// Each API request's path and `Authorization` header (None when it had none), in order.
    pub fn authorizations(&self) -> Vec<(String, Option<String>)> {
        let (_, body) = self.http("GET", "/_control/authorizations", "\r\n");
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        v["authorizations"]
            .as_array()
            .unwrap()
            .iter()
            .map(|a| {
                (
                    a[0].as_str().unwrap().to_string(),
                    a[1].as_str().map(str::to_string),
                )
            })
            .collect()
    }

    fn http(&self, method: &str, path: &str, rest: &str) -> (u16, String) {
        let mut s = TcpStream::connect(("127.0.0.1", self.port)).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(10))).unwrap();
        write!(
            s,
            "{method} {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{rest}"
        )
        .unwrap();
        let mut out = String::new();
        s.read_to_string(&mut out).unwrap();
        let status = out
            .split_whitespace()
            .nth(1)
            .and_then(|c| c.parse().ok())
            .unwrap_or(0);
        let body = out
            .split_once("\r\n\r\n")
            .map(|x| x.1)
            .unwrap_or("")
            .to_string();
        (status, body)
    }
}

impl Drop for FakeApi {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
