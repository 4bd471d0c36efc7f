//! Targets that come and go while the engine runs — the pods of a node, the containers of a
//! cluster — found by a [`Discovery`] beside the sources. The engine polls each discovery
//! between rounds (every 100 ms at most), so an event seen outside a source (a pod's status
//! saying a container was OOM-killed, a cgroup counter read between samples) is judged and
//! alerted on within that time, not at the next sample.

use crate::event::Event;
use crate::source::Source;

/// A target's own labels (`namespace`, `pod`, `container`), carried on its samples in the log,
/// its alerts and its /metrics series.
pub type Labels = Vec<(String, String)>;

/// Something that finds targets.
pub trait Discovery: Send {
    /// What changed since the last call.
    fn poll(&mut self) -> Vec<Change>;

    /// Stop watching (called once, when the engine finishes).
    fn shutdown(&mut self) {}
}

/// One change a discovery reports.
pub enum Change {
    /// A new target, sampled from the next round on. A target of the same name that is still
    /// sampled is replaced (its series and alert state go on).
    Add(Discovered),
    /// The target is gone (its pod deleted): stop sampling it and drop its /metrics series.
    Remove {
        /// The target's name.
        name: String,
    },
    /// Something happened to a target that its source did not see itself — logged, stored,
    /// judged and alerted on as a source's own events are.
    Event {
        /// The target's name.
        name: String,
        /// When, unix seconds.
        t: f64,
        /// What.
        event: Event,
    },
    /// A sentence for the user (the API stopped answering; it answers again).
    Note(String),
}

/// A target a discovery found.
pub struct Discovered {
    /// Its name in the log, store, alerts and /metrics.
    pub name: String,
    /// The kind, for the store (`cgroup`, `k8s-container`).
    pub kind: &'static str,
    /// What it is, for the store (a cgroup path).
    pub describe: String,
    /// Its labels.
    pub labels: Labels,
    /// Its memory limit, bytes, when known.
    pub limit_bytes: Option<f64>,
    /// The opened source.
    pub source: Box<dyn Source>,
}

impl std::fmt::Debug for Change {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Change::Add(d) => write!(f, "Add({} {:?})", d.name, d.labels),
            Change::Remove { name } => write!(f, "Remove({name})"),
            Change::Event { name, t, event } => write!(f, "Event({name} at {t}: {event:?})"),
            Change::Note(n) => write!(f, "Note({n})"),
        }
    }
}
