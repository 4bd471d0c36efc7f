//! The source model: every kind of target samples through one interface, [`Source`], that
//! yields readings (field values) and events (exit, restart, OOM kill).
//!
//! A target is described by a [`SourceSpec`] (from flags or the config file) and opened
//! through the registry, [`KINDS`]: adding a kind of source is one module with its spec
//! variant, its `open`, and one line in [`KINDS`].
//!
//! Sources that talk to the network ([`Source::remote`]) are sampled off the sampling
//! thread by the engine, so one that stops answering delays only itself; one with a
//! [`Source::period`] of its own (a Prometheus query re-judged every few minutes) is sampled
//! on that schedule instead of every round.
//!
//! A source may judge its series itself ([`Source::take_judged`]): a Prometheus query's series are
//! judged over a trailing window by the fleet judge (screen, fetch, recognizer), and the
//! engine applies the same alert rules, dedupe and resolve to them as to sampled series.
//!
//! # Sources to come
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
pub mod prometheus;
mod scrape;
pub mod tree;

use std::path::PathBuf;
use std::time::Duration;

use leakscope_core::alert::AlertRules;
use leakscope_core::{Point, Verdict};
use leakscope_fleet::Endpoint;
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

/// A series a source judged itself — a series of a Prometheus query, judged over its trailing
/// window by the fleet judge — with its newest points for the alert rules.
#[derive(Debug, Clone)]
pub struct JudgedSeries {
    /// Its name: the series' selector, e.g. `mem_bytes{namespace="shop",pod="cart-7f9"}`.
    pub name: String,
    /// Its labels (no `__name__`), on its alerts and its /metrics series.
    pub labels: Vec<(String, String)>,
    /// Its recent points (bytes), oldest first; the engine takes those newer than the last it
    /// took.
    pub points: Vec<Point>,
    /// The verdict on the whole trailing window.
    pub verdict: Verdict,
    /// Where it can be looked at (a Prometheus graph of it).
    pub link: Option<String>,
    /// Time of its first point in the window, unix seconds.
    pub first_t: f64,
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

    /// For a remote source with a schedule of its own (a Prometheus query re-judged every 5
    /// minutes): the time between samplings, instead of the engine's interval.
    fn period(&self) -> Option<Duration> {
        None
    }

    /// The alert rules the target is judged by, given once before the first sample; a source
    /// that judges its series itself hands back enough recent points for them.
    fn rules(&mut self, rules: &AlertRules) {
        let _ = rules;
    }

    /// The series the source judged itself at its last sampling, when it did (taken once):
    /// every series it has — one missing from the list is gone, and its alerts resolve.
    fn take_judged(&mut self) -> Option<Vec<JudgedSeries>> {
        None
    }

    /// A sentence about the source's state when it is not sampling normally (e.g. "waiting
    /// for a process matching ..."); the engine says it when it changes.
    fn status(&self) -> Option<String> {
        None
    }

    /// The root of the target's processes now (the pid, the matched process, the
    /// supervised command), for capturing evidence from it; `None` for targets without one.
    fn pid(&self) -> Option<u32> {
        None
    }

    /// The memory cgroup the source's command runs in, sampled now: its limit is measured
    /// against all it holds, the command and anything else (a sidecar, leakscope itself when
    /// it runs in the same container). `None` for sources that supervise no command.
    fn cgroup(&mut self) -> Option<leakscope_probe::cgroup::CgroupSample> {
        None
    }

    /// Stop what the source started (a supervised command), close what it opened (an
    /// inspector). Called once, when the target is dropped or the watch ends.
    fn shutdown(&mut self) {}

    /// Restart the command this source supervises, now (`--restart-before-oom`): its
    /// restarts so far, or why it could not be started again; `None` when the source
    /// supervises nothing.
    fn restart_now(&mut self) -> Option<std::io::Result<u32>> {
        None
    }
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
    /// Every series of a PromQL query on a Prometheus-API server (Prometheus, Thanos, Mimir,
    /// VictoriaMetrics), re-judged every `every` over the trailing `range`.
    Prometheus {
        /// The server, its timeout, TLS and credentials.
        endpoint: Endpoint,
        /// The expression whose series are judged (bytes).
        query: String,
        /// Time between judgements.
        every: Duration,
        /// The trailing window each judgement covers.
        range: Duration,
        /// An instant query giving each series' memory limit, bytes, matched on shared labels.
        limit_query: Option<String>,
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
            SourceSpec::Prometheus { .. } => "prometheus",
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
            SourceSpec::Prometheus { query, .. } => query.clone(),
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
            SourceSpec::Prometheus {
                endpoint, query, ..
            } => format!(
                "{} {query}",
                leakscope_probe::http::shown_url(&endpoint.base_url)
            ),
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
    prometheus::KIND,
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
            SourceSpec::Prometheus {
                endpoint: Endpoint::new("http://x"),
                query: "m".into(),
                every: Duration::from_secs(300),
                range: Duration::from_secs(86400),
                limit_query: None,
            },
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
