//! What a target runs, and so how evidence is captured from it. Only a runtime leakscope
//! recognizes from `/proc/PID/exe` is ever signalled: Node (SIGUSR1 opens its inspector,
//! through probe's checks), and Python only when it catches SIGUSR2 (the tracemalloc hook
//! of `examples/`; uncaught, SIGUSR2 would kill it).

use std::path::PathBuf;

use leakscope_probe::node::{self, ProcessIdentity};

use crate::{DiagnoseError, Request};

/// Something evidence can be captured from.
#[derive(Debug, Clone, PartialEq)]
pub enum Subject {
    /// A Node process: heap snapshots through its inspector.
    Node {
        /// The Node process.
        pid: u32,
    },
    /// A Go service: heap and goroutine profiles from its pprof endpoints.
    Go {
        /// The pprof base, ending in `/debug/pprof`.
        base: String,
    },
    /// A Python process with the tracemalloc hook: a dump per SIGUSR2.
    Python {
        /// The Python process.
        pid: u32,
        /// Where its dumps appear, most likely first.
        dirs: Vec<PathBuf>,
    },
}

impl Subject {
    /// The process captured from, if one is.
    pub fn pid(&self) -> Option<u32> {
        match self {
            Subject::Node { pid } | Subject::Python { pid, .. } => Some(*pid),
            Subject::Go { .. } => None,
        }
    }

    /// One phrase for logs.
    pub fn describe(&self) -> String {
        match self {
            Subject::Node { pid } => format!("Node process {pid}"),
            Subject::Go { base } => leakscope_probe::http::shown_url(base),
            Subject::Python { pid, .. } => format!("Python process {pid}"),
        }
    }
}

/// The pprof base of `url`: kept when it already ends in `/debug/pprof`, else that path is
/// added to its origin.
pub fn pprof_base(url: &str) -> String {
    let u = url.trim_end_matches('/');
    if u.ends_with("/debug/pprof") {
        return u.to_string();
    }
    // scheme://host:port — anything after it (a /metrics path) is dropped.
    let origin = match u.find("://") {
        Some(i) => match u[i + 3..].find('/') {
            Some(j) => &u[..i + 3 + j],
            None => u,
        },
        None => u,
    };
    format!("{origin}/debug/pprof")
}

/// What `req` runs: a pprof URL makes it Go; else the Node process of its tree, else a
/// Python process of its tree that catches SIGUSR2; else it is skipped, and nothing is
/// signalled.
pub fn find(req: &Request) -> Result<Subject, DiagnoseError> {
    if let Some(url) = &req.pprof {
        leakscope_probe::http::validate_url(url)
            .map_err(|e| DiagnoseError::Skipped(format!("the pprof URL of {}: {e}", req.target)))?;
        return Ok(Subject::Go {
            base: pprof_base(url),
        });
    }
    let Some(root) = req.pid else {
        return Err(DiagnoseError::Skipped(format!(
            "{} has no process leakscope can capture from and no pprof URL (give --pprof URL for a Go service)",
            req.target
        )));
    };
    if let Some(pid) = node::service_node(root) {
        return Ok(Subject::Node { pid });
    }
    let tree = std::iter::once(root).chain(leakscope_probe::proc::descendants(root));
    for pid in tree {
        let Some(id) = ProcessIdentity::read(pid) else {
            continue;
        };
        if is_python(&id) && leakscope_probe::pidfd::catches(pid, libc::SIGUSR2) == Some(true) {
            return Ok(Subject::Python {
                pid,
                dirs: dump_dirs(pid),
            });
        }
    }
    let what = ProcessIdentity::read(root)
        .map(|id| id.describe())
        .unwrap_or_else(|| format!("process {root}, gone"));
    Err(DiagnoseError::Skipped(format!(
        "{} runs {what}: neither Node nor Python with the tracemalloc hook (a SIGUSR2 handler), and no pprof URL was given; nothing was signalled",
        req.target
    )))
}

/// True when the executable is CPython (`python`, `python3`, `python3.11`).
fn is_python(id: &ProcessIdentity) -> bool {
    id.exe
        .as_ref()
        .and_then(|p| p.file_name())
        .map(|n| n.to_string_lossy().into_owned())
        .is_some_and(|n| {
            n.strip_prefix("python")
                .is_some_and(|rest| rest.chars().all(|c| c.is_ascii_digit() || c == '.'))
        })
}

/// Where the hook writes: `$LEAKSCOPE_TRACEMALLOC_DIR` or `$LEAKSCOPE_DUMP_DIR` of the
/// process (the two example hooks), else its temp dir and its working directory.
fn dump_dirs(pid: u32) -> Vec<PathBuf> {
    let env: Vec<String> = std::fs::read(format!("/proc/{pid}/environ"))
        .map(|b| {
            b.split(|c| *c == 0)
                .map(|s| String::from_utf8_lossy(s).into_owned())
                .collect()
        })
        .unwrap_or_default();
    let var = |k: &str| {
        env.iter()
            .find_map(|kv| kv.strip_prefix(k).and_then(|v| v.strip_prefix('=')))
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    let cwd = std::fs::read_link(format!("/proc/{pid}/cwd")).ok();
    let rel = |p: PathBuf| match (&cwd, p.is_absolute()) {
        (Some(c), false) => c.join(p),
        _ => p,
    };
    let mut dirs = Vec::new();
    for k in ["LEAKSCOPE_TRACEMALLOC_DIR", "LEAKSCOPE_DUMP_DIR"] {
        if let Some(d) = var(k) {
            dirs.push(rel(d));
        }
    }
    dirs.push(
        var("TMPDIR")
            .map(rel)
            .unwrap_or_else(|| PathBuf::from("/tmp")),
    );
    if let Some(c) = cwd {
        dirs.push(c);
    }
    dirs.dedup();
    dirs
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pprof_base_from_what_users_give() {
        assert_eq!(
            pprof_base("http://127.0.0.1:8080"),
            "http://127.0.0.1:8080/debug/pprof"
        );
        assert_eq!(
            pprof_base("http://127.0.0.1:8080/metrics"),
            "http://127.0.0.1:8080/debug/pprof"
        );
        assert_eq!(
            pprof_base("http://h:1/debug/pprof/"),
            "http://h:1/debug/pprof"
        );
    }

    #[test]
    fn this_test_process_is_not_signalled() {
        let req = Request {
            target: "self".into(),
            pid: Some(std::process::id()),
            pprof: None,
            growth_bytes_per_hour: 1e9,
            limit_bytes: None,
            used_bytes: None,
        };
        let e = find(&req).unwrap_err();
        assert!(e.is_skip(), "{e}");
        assert!(e.to_string().contains("neither Node nor Python"), "{e}");
    }
}
