//! The source model: every kind of target samples through one interface, [`Source`], that
//! yields readings (field values) and events (exit, restart, OOM kill).
//!
//! A target is described by a [`SourceSpec`] (from flags or the config file) and opened
//! through the registry, [`KINDS`]: adding a kind of source is one module with its spec
//! variant, its `open`, and one line in [`KINDS`].
//!
//! Sources that talk to the network ([`Source::remote`]) are sampled off the sampling
//! thread by the engine, so one that stops answering delays only itself.
//!
//! # Sources to come
//! - **A Prometheus query** (`prometheus = "https://prom:9090"`, `query = "container_memory_
//!   working_set_bytes{namespace=\"shop\"}"`): a variant `PromQuery { base_url, query, http:
//!   HttpOptions }` whose source runs an instant query each round through
//!   [`leakscope_probe::http::Client`] (TLS, bearer token, `X-Scope-OrgID` header already
//!   there), is `remote`, and yields one field per returned series, named by its label set
//!   the way [`leakscope_probe::scrape::Selector`] prints it; units by suffix as for scrapes.
//!   A backfill of history (`query_range`) goes to the recognizer before the first round.
//! - **A Kubernetes pod** (`pod = "shop/checkout-*"`): per container, its cgroup (the node's
//!   kubelet path) is a [`SourceSpec::Cgroup`], and the pod's status is the event stream —
//!   `restartCount` → [`Event::Restarted`], `lastState.terminated.reason = OOMKilled` →
//!   [`Event::OomKill`]. Pods come and go, so that issue adds a *discovery* beside the
//!   sources: something that yields [`crate::TargetSettings`] as pods appear and retires
//!   them as they go, which the engine applies like a config reload
//!   ([`crate::Engine::apply`], which keeps series of targets that stay).

mod cgroup;
mod command;
pub mod node_gc;
pub use command::CommandSource;
pub use process::compile as compile_pattern;
mod pid;
mod process;
mod scrape;
pub mod tree;

use std::path::PathBuf;
use std::time::Duration;

use leakscope_probe::error::ProbeError;
use leakscope_probe::http::HttpOptions;

pub use crate::event::Event;
use crate::fields::SeriesUnit;
pub use tree::Fields;

/// How long one scrape may take before it counts as failed.
pub const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);

/// What one sampling of a source got.
#[derive(Debug, Default)]
pub struct Outcome {
    /// The sample, or why it failed; None when there was nothing to sample (gone, or the
    /// process is not there yet).
    pub reading: Option<Result<Fields, ProbeError>>,
    /// Events seen since the last sampling.
    pub events: Vec<Event>,
}

/// Which of a source's fields are judged beyond the defaults (the primary memory field and
/// the count fields), with their units.
pub type Judged = Vec<(String, SeriesUnit)>;

/// One watched thing that can be sampled: a process, a process tree, a cgroup, an endpoint.
pub trait Source: Send {
    /// Take one sample, and report what happened since the last one.
    fn sample(&mut self) -> Outcome;

    /// True once the target is gone for good (nothing will be sampled again).
    fn finished(&self) -> bool;

    /// True for sources that wait on the network (or on another process's answer): the
    /// engine samples them on a thread of their own, each with its own deadline.
    fn remote(&self) -> bool {
        false
    }

    /// Fields the user asked to be judged beyond the defaults, with their units.
    fn judged(&self) -> Judged {
        Vec::new()
    }

    /// A sentence about the source's state when it is not sampling normally (e.g. "waiting
    /// for a process matching ..."); the engine says it when it changes.
    fn status(&self) -> Option<String> {
        None
    }

    /// Stop what the source started (a supervised command), close what it opened (an
    /// inspector). Called once, when the target is dropped or the watch ends.
    fn shutdown(&mut self) {}
}

/// What to watch, as flags and the config file describe it. One variant per kind of source;
/// see [`KINDS`].
#[derive(Debug, Clone, PartialEq)]
pub enum SourceSpec {
    /// One process by pid; gone for good when it exits (pid reuse is noticed).
    Pid {
        /// The process id.
        pid: u32,
        /// Also read PSS/USS (costly).
        pss: bool,
    },
    /// The oldest process whose command line matches a regular expression; when it exits,
    /// the next match is taken (a restart under a new pid). Waits while none runs.
    Process {
        /// The pattern, matched against the arguments joined by spaces.
        pattern: String,
        /// Also read PSS/USS (costly).
        pss: bool,
    },
    /// A memory cgroup, v1 or v2.
    Cgroup {
        /// Absolute, or relative to /sys/fs/cgroup.
        path: PathBuf,
    },
    /// A Prometheus /metrics endpoint.
    Scrape {
        /// The URL, http:// or https://.
        url: String,
        /// Metrics to take (`name` or `name{label="v"}`); empty: the common runtime metrics.
        metrics: Vec<String>,
        /// Units of named metrics, where the suffix does not say.
        units: Vec<(String, SeriesUnit)>,
        /// TLS and authentication.
        http: HttpOptions,
        /// Fail at start when the endpoint does not answer or serves none of the metrics.
        check_at_start: bool,
    },
    /// A command leakscope starts and supervises, sampled with all its descendants.
    Command {
        /// The command and its arguments.
        argv: Vec<String>,
        /// Start it again when it exits, counting restarts.
        restart: bool,
        /// Also read PSS/USS (costly).
        pss: bool,
    },
    /// The V8 heap right after a forced full GC, of the Node process in a process tree
    /// (through its inspector, closed again at the end).
    NodeGc {
        /// The root of the tree (the supervised service).
        root: u32,
    },
}

impl SourceSpec {
    /// The kind's name, as in [`KINDS`] and the store (`pid`, `process`, `cgroup`, `scrape`,
    /// `command`, `node-gc`).
    pub fn kind(&self) -> &'static str {
        match self {
            SourceSpec::Pid { .. } => "pid",
            SourceSpec::Process { .. } => "process",
            SourceSpec::Cgroup { .. } => "cgroup",
            SourceSpec::Scrape { .. } => "scrape",
            SourceSpec::Command { .. } => "command",
            SourceSpec::NodeGc { .. } => "node-gc",
        }
    }

    /// The name a target gets when none is given: `pid:1234`, `cgroup:/sys/...`, the URL
    /// (credentials redacted), the command's file name, `process:PATTERN`.
    pub fn default_name(&self) -> String {
        match self {
            SourceSpec::Pid { pid, .. } => format!("pid:{pid}"),
            SourceSpec::Process { pattern, .. } => format!("process:{pattern}"),
            SourceSpec::Cgroup { path } => format!("cgroup:{}", path.display()),
            SourceSpec::Scrape { url, .. } => leakscope_probe::http::shown_url(url),
            SourceSpec::Command { argv, .. } => argv
                .first()
                .map(|a| {
                    PathBuf::from(a)
                        .file_name()
                        .map(|s| s.to_string_lossy().into_owned())
                        .unwrap_or_else(|| a.clone())
                })
                .unwrap_or_default(),
            SourceSpec::NodeGc { root } => format!("node-gc:{root}"),
        }
    }

    /// What the user gave, for the store: the pid, path, URL or command line (credentials and
    /// secrets redacted), or the pattern.
    pub fn describe(&self) -> String {
        match self {
            SourceSpec::Pid { pid, .. } => pid.to_string(),
            SourceSpec::Process { pattern, .. } => pattern.clone(),
            SourceSpec::Cgroup { path } => path.display().to_string(),
            SourceSpec::Scrape { url, .. } => leakscope_probe::http::shown_url(url),
            SourceSpec::Command { argv, .. } => leakscope_core::redact::redact_command_line(argv),
            SourceSpec::NodeGc { root } => root.to_string(),
        }
    }

    /// Open the source through the registry.
    pub fn open(&self) -> Result<Box<dyn Source>, SourceError> {
        let kind = self.kind();
        let entry = KINDS
            .iter()
            .find(|k| k.name == kind)
            .ok_or(SourceError::UnknownKind { kind })?;
        (entry.open)(self)
    }
}

/// One registered kind of source.
pub struct Kind {
    /// The kind's name: the config key that selects it, and its name in the store.
    pub name: &'static str,
    /// One line on what it watches, for help and error messages.
    pub about: &'static str,
    /// Open a source of this kind (the spec is of this kind's variant).
    pub open: fn(&SourceSpec) -> Result<Box<dyn Source>, SourceError>,
}

/// The registry of source kinds.
pub const KINDS: &[Kind] = &[
    pid::KIND,
    process::KIND,
    cgroup::KIND,
    scrape::KIND,
    command::KIND,
    node_gc::KIND,
];

/// Why a source could not be opened. Each names the target.
#[derive(Debug, thiserror::Error)]
pub enum SourceError {
    /// The probe failed on the first sample (no such process, not a cgroup, unreachable).
    #[error(transparent)]
    Probe(#[from] ProbeError),
    /// The endpoint answers but serves none of the wanted metrics.
    #[error("{url} serves none of the metrics {} (use --metric NAME to choose one it has)", wanted.join(", "))]
    NoMetrics {
        /// The URL (credentials redacted).
        url: String,
        /// The metrics asked for.
        wanted: Vec<String>,
    },
    /// A metric selector that does not parse.
    #[error("the metric {metric:?} is not `name` or `name{{label=\"value\"}}`: {detail}")]
    BadMetric {
        /// The selector as given.
        metric: String,
        /// What is wrong.
        detail: String,
    },
    /// A process pattern that is not a valid regular expression.
    #[error("the process pattern {pattern:?} is not a valid regular expression: {detail}")]
    BadPattern {
        /// The pattern.
        pattern: String,
        /// The regex error.
        detail: String,
    },
    /// The command could not be started.
    #[error("cannot start {command}: {source}")]
    Start {
        /// The command line.
        command: String,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// No Node process, or its inspector could not be opened.
    #[error("cannot force GCs in {what}: {detail}")]
    Inspector {
        /// Which process.
        what: String,
        /// Why.
        detail: String,
    },
    /// A spec handed to the wrong kind, or a kind missing from the registry (a bug).
    #[error("no source kind {kind} is registered")]
    UnknownKind {
        /// The kind asked for.
        kind: &'static str,
    },
}

/// The spec a kind's `open` got was of another kind: a registry bug, said as an error.
fn wrong_kind(kind: &'static str) -> SourceError {
    SourceError::UnknownKind { kind }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_registered_once() {
        let specs = [
            SourceSpec::Pid {
                pid: std::process::id(),
                pss: false,
            },
            SourceSpec::Process {
                pattern: "x".into(),
                pss: false,
            },
            SourceSpec::Cgroup { path: "/x".into() },
            SourceSpec::Scrape {
                url: "http://x".into(),
                metrics: vec![],
                units: vec![],
                http: HttpOptions::default(),
                check_at_start: false,
            },
            SourceSpec::Command {
                argv: vec!["x".into()],
                restart: false,
                pss: false,
            },
            SourceSpec::NodeGc { root: 1 },
        ];
        for s in &specs {
            assert_eq!(
                KINDS.iter().filter(|k| k.name == s.kind()).count(),
                1,
                "{}",
                s.kind()
            );
        }
        assert_eq!(KINDS.len(), specs.len());
    }

    #[test]
    fn a_pid_source_samples_this_process() {
        let spec = SourceSpec::Pid {
            pid: std::process::id(),
            pss: false,
        };
        let mut src = spec.open().expect("this process is there");
        let out = src.sample();
        let fields = out.reading.expect("a reading").expect("no error");
        assert!(fields.iter().any(|(k, v)| k == "rss_bytes" && *v > 0.0));
        assert!(!src.finished());
    }
}
