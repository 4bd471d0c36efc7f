//! What a watch does, as one struct that flags and the config file both fill in.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use leakscope_core::alert::AlertRules;
use leakscope_probe::http::HttpOptions;

pub use leakscope_diagnose::DiagnoseSettings;

use crate::source::SourceSpec;

/// Default time between samples.
pub const DEFAULT_INTERVAL: Duration = Duration::from_secs(30);

/// Everything a watch is configured with.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    /// Time between samples.
    pub interval: Duration,
    /// The targets.
    pub targets: Vec<TargetSettings>,
    /// Alert rules of every target without its own.
    pub rules: AlertRules,
    /// The memory limit in bytes, for time-to-limit and the limit-fraction alert (default:
    /// the cgroup's limit when known).
    pub limit_bytes: Option<f64>,
    /// Where alerts go (stderr JSON lines are always on).
    pub receivers: Vec<ReceiverSpec>,
    /// The store.
    pub store: StoreSettings,
    /// Write the JSON-line sample log here (default: stdout).
    pub log: Option<PathBuf>,
    /// Serve /metrics and /healthz here.
    pub listen: Option<SocketAddr>,
    /// The shortest span of samples recognition judges (default: the recognizer's, 20
    /// minutes); a shorter one recognizes leaks of short-lived services sooner.
    pub min_span: Option<Duration>,
    /// Capture evidence from a target when a leak alert fires on it (`--diagnose`); `None`:
    /// never.
    pub diagnose: Option<DiagnoseSettings>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            interval: DEFAULT_INTERVAL,
            targets: Vec::new(),
            rules: AlertRules::default(),
            limit_bytes: None,
            receivers: Vec::new(),
            store: StoreSettings::default(),
            log: None,
            listen: None,
            min_span: None,
            diagnose: None,
        }
    }
}

/// One target: what to sample and how to judge it.
#[derive(Debug, Clone, PartialEq)]
pub struct TargetSettings {
    /// The name in the log, store, alerts and /metrics (default: from the spec).
    pub name: Option<String>,
    /// What to sample.
    pub spec: SourceSpec,
    /// This target's alert rules, when they differ from the shared ones.
    pub rules: Option<AlertRules>,
    /// This target's memory limit, bytes.
    pub limit_bytes: Option<f64>,
    /// Its own labels (a pod's namespace, pod and container) on its samples, alerts and
    /// /metrics series.
    pub labels: crate::discover::Labels,
    /// The pprof base URL of a Go target (`http://127.0.0.1:8080`), for diagnosis.
    pub pprof: Option<String>,
    /// A supervised command is restarted when its recognized time to the memory limit falls
    /// below this (`--restart-before-oom`), after the evidence is captured.
    pub restart_before_oom: Option<Duration>,
}

impl TargetSettings {
    /// A target with the shared rules and no name of its own.
    pub fn new(spec: SourceSpec) -> TargetSettings {
        TargetSettings {
            name: None,
            spec,
            rules: None,
            limit_bytes: None,
            labels: Vec::new(),
            pprof: None,
            restart_before_oom: None,
        }
    }

    /// The name it is known by.
    pub fn name(&self) -> String {
        self.name
            .clone()
            .unwrap_or_else(|| self.spec.default_name())
    }
}

/// Where alerts go besides stderr.
#[derive(Debug, Clone, PartialEq)]
pub enum ReceiverSpec {
    /// POST in the Alertmanager webhook format.
    Webhook {
        /// The URL (http or https).
        url: String,
        /// TLS and authentication.
        http: HttpOptions,
    },
    /// Alertmanager's own API (`POST /api/v2/alerts`): routing, grouping, silences and
    /// inhibition apply; firing alerts are re-sent every `resend`.
    Alertmanager {
        /// The base URL, e.g. `http://alertmanager:9093`.
        url: String,
        /// TLS and authentication.
        http: HttpOptions,
        /// How often firing alerts are sent again (Alertmanager expires them otherwise).
        resend: Duration,
    },
}

/// The store's place and retention.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreSettings {
    /// The database file (default: the user's data directory).
    pub path: Option<PathBuf>,
    /// How long anything is kept (default: the store's, 30 days): raw samples for up to 24 h,
    /// then downsampled buckets (see `leakscope_store::Retention::with_total`).
    pub retention: Option<Duration>,
}
