//! Typed errors of the probes: each names its target (a pid, a cgroup path or a URL) and keeps
//! the cause, so the CLI can print one sentence and a watcher can count failures per target.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use crate::http::HttpError;

/// What a probe was looking at when it failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// A process, by pid.
    Pid(u32),
    /// A cgroup directory (or the path the user gave for one).
    Cgroup(PathBuf),
    /// A URL (a `/metrics` endpoint).
    Url(String),
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Pid(pid) => write!(f, "process {pid}"),
            Target::Cgroup(path) => write!(f, "cgroup {}", path.display()),
            // URLs may carry credentials; messages never show them.
            Target::Url(url) => write!(f, "{}", leakscope_core::redact::redact_text(url)),
        }
    }
}

/// The error every probe returns. Match on the variant to tell "the target went away"
/// ([`ProbeError::Gone`]) from "we may not look" ([`ProbeError::PermissionDenied`]) from
/// "it answered nonsense" ([`ProbeError::Parse`]) from network trouble.
#[derive(Debug, thiserror::Error)]
pub enum ProbeError {
    /// The target no longer exists: the process exited (ENOENT/ESRCH, or it is a zombie)
    /// or the cgroup directory was removed.
    #[error("{target} is gone ({reason})")]
    Gone {
        /// The target that disappeared.
        target: Target,
        /// Short human reason, e.g. "it exited".
        reason: String,
        /// The OS error, when there was one.
        #[source]
        source: Option<io::Error>,
    },
    /// The OS refused to let us read a file of the target (EACCES/EPERM).
    #[error(
        "permission denied reading {} for {target}; run leakscope as the target's user or as root",
        path.display()
    )]
    PermissionDenied {
        /// The target.
        target: Target,
        /// The file we could not read.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
    /// A file or response did not have the expected format.
    #[error("cannot parse {what} of {target}: {detail}")]
    Parse {
        /// The target.
        target: Target,
        /// What was being parsed, e.g. "/proc/42/stat" or "the metrics response".
        what: String,
        /// What was wrong, naming the line where there is one.
        detail: String,
    },
    /// The path exists (or was looked up) but is not a memory cgroup we can read.
    #[error("{target} is not a memory cgroup: {detail}")]
    NotACgroup {
        /// The path the user gave.
        target: Target,
        /// What was looked for and where.
        detail: String,
    },
    /// Nothing answered at the URL (connection refused, host not found, reset).
    #[error(
        "{target} is unreachable ({}); is the service running and listening there?",
        unreachable_reason(source)
    )]
    Unreachable {
        /// The URL.
        target: Target,
        /// The HTTP client's error.
        #[source]
        source: HttpError,
    },
    /// The URL did not answer within the timeout.
    #[error("{target} did not answer within {} ms", timeout.as_millis())]
    Timeout {
        /// The URL.
        target: Target,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// Any other HTTP failure: a non-2xx status, a body over the size cap, https, a bad URL.
    /// Its message is the [`HttpError`]'s, which names the URL.
    #[error(transparent)]
    Http(HttpError),
    /// A query of a metrics API (Prometheus) failed; `message` is the client's own sentence,
    /// which names the URL and what to check.
    #[error("{message}")]
    Query {
        /// The API's base URL.
        target: Target,
        /// What failed, one sentence.
        message: String,
    },
    /// Any other I/O error while reading a file of the target.
    #[error("cannot read {} for {target}: {source}", path.display())]
    Io {
        /// The target.
        target: Target,
        /// The file.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: io::Error,
    },
}

impl ProbeError {
    /// The target this error is about.
    pub fn target(&self) -> Target {
        match self {
            ProbeError::Gone { target, .. }
            | ProbeError::PermissionDenied { target, .. }
            | ProbeError::Parse { target, .. }
            | ProbeError::NotACgroup { target, .. }
            | ProbeError::Unreachable { target, .. }
            | ProbeError::Timeout { target, .. }
            | ProbeError::Query { target, .. }
            | ProbeError::Io { target, .. } => target.clone(),
            ProbeError::Http(err) => Target::Url(err.url().to_string()),
        }
    }

    /// True when the target went away (process exited, cgroup removed): a watcher should stop
    /// sampling it rather than retry.
    pub fn is_gone(&self) -> bool {
        matches!(self, ProbeError::Gone { .. })
    }

    /// Classifies an I/O error from reading `path` for `target`: ENOENT/ESRCH become
    /// [`ProbeError::Gone`], EACCES/EPERM [`ProbeError::PermissionDenied`], the rest
    /// [`ProbeError::Io`].
    pub(crate) fn from_io(target: Target, path: &Path, err: io::Error) -> ProbeError {
        let raw = err.raw_os_error();
        if err.kind() == io::ErrorKind::NotFound || raw == Some(libc::ESRCH) {
            let reason = match target {
                Target::Pid(_) => "no such process: it exited, or never existed".to_string(),
                _ => format!("{} no longer exists", path.display()),
            };
            ProbeError::Gone {
                target,
                reason,
                source: Some(err),
            }
        } else if err.kind() == io::ErrorKind::PermissionDenied || raw == Some(libc::EPERM) {
            ProbeError::PermissionDenied {
                target,
                path: path.to_path_buf(),
                source: err,
            }
        } else {
            ProbeError::Io {
                target,
                path: path.to_path_buf(),
                source: err,
            }
        }
    }

    /// Wraps an HTTP client error for the URL target, keeping the unreachable/timeout split.
    pub(crate) fn from_http(url: &str, err: HttpError) -> ProbeError {
        let target = Target::Url(crate::http::shown_url(url));
        match err {
            HttpError::Timeout { timeout, .. } => ProbeError::Timeout { target, timeout },
            HttpError::Unreachable { .. } => ProbeError::Unreachable {
                target,
                source: err,
            },
            other => ProbeError::Http(other),
        }
    }
}

fn unreachable_reason(err: &HttpError) -> &str {
    match err {
        HttpError::Unreachable { detail, .. } => detail,
        _ => "no connection",
    }
}
