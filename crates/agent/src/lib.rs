//! leakscope-agent: the watcher as a library, for `watch` and `run` (and the fleet and
//! Kubernetes sources to come).
//!
//! - [`source`]: one interface, [`source::Source`], for every kind of target — a pid, a
//!   process matched by pattern, a cgroup, a /metrics endpoint, a supervised command, the
//!   Node heap after a forced GC — with a registry of kinds ([`source::KINDS`]).
//! - [`engine`]: the sampling loop with per-target deadlines, the store writer that survives
//!   a locked or full database, judging and alerting.
//! - [`deliver`]: alert receivers behind one trait, each on a bounded queue with retries.
//! - [`diagnosis`]: evidence on a verdict (`--diagnose`), captured off the sampling thread.
//! - [`metrics`]: the watcher's own `/metrics` and `/healthz`.
//! - [`discover`]: targets that come and go (a node's pods), beside the sources.
//! - [`settings`] and [`config`]: what a watch does, from flags or a TOML file.
//! - [`supervise`]: starting and stopping commands with everything they start.

pub mod config;
pub mod deliver;
pub mod diagnosis;
pub mod discover;
pub mod engine;
pub mod event;
pub mod fields;
pub mod metrics;
pub mod settings;
pub mod source;
pub mod supervise;

pub use engine::{Engine, EngineError, EngineOptions, Observer, Summary};
pub use settings::{ReceiverSpec, Settings, StoreSettings, TargetSettings};
pub use source::{Source, SourceError, SourceSpec};

/// Seconds since the epoch, now.
pub fn now() -> f64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0)
}
