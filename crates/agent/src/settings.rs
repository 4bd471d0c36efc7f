//! What a watch does, as one struct that flags and the config file both fill in.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use leakscope_core::alert::AlertRules;
use leakscope_probe::http::HttpOptions;

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
}

impl TargetSettings {
    /// A target with the shared rules and no name of its own.
    pub fn new(spec: SourceSpec) -> TargetSettings {
        TargetSettings {
            name: None,
            spec,
            rules: None,
            limit_bytes: None,
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
}

/// The store's place and retention.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StoreSettings {
    /// The database file (default: the user's data directory).
    pub path: Option<PathBuf>,
    /// How long raw samples are kept (default: the store's, 30 days). Passed to the store.
    pub retention: Option<Duration>,
}
