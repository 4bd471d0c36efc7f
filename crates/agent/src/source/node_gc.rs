//! The V8 heap of a Node service right after a forced full GC: the floor itself, not the
//! sawtooth. Through the inspector (opened with SIGUSR1 when needed, closed again at the end);
//! sampled off the sampling thread, since a full GC of a large heap takes a while.

use std::time::Duration;

use leakscope_probe::inspector::{self, NodeCheck, Session};
use leakscope_probe::node;

use super::{wrong_kind, Kind, Outcome, Source, SourceError, SourceSpec};
use crate::fields::NODE_HEAP_AFTER_GC;

/// The `node-gc` kind.
pub const KIND: Kind = Kind {
    name: "node-gc",
    about: "the V8 heap after a forced GC of the Node process in a process tree",
    open,
};

fn open(spec: &SourceSpec) -> Result<Box<dyn Source>, SourceError> {
    let SourceSpec::NodeGc { root } = *spec else {
        return Err(wrong_kind(KIND.name));
    };
    Ok(Box::new(NodeGc::open(root)?))
}

/// A Node service's inspector session, opened by us (SIGUSR1) or found open. The session
/// closes an inspector we opened on every way out (shutdown, error, drop).
pub struct NodeGc {
    session: Option<Session>,
    /// The Node process.
    pub pid: u32,
    gone: bool,
}

impl NodeGc {
    /// Find the Node process of the tree rooted at `root` and open its inspector.
    pub fn open(root: u32) -> Result<NodeGc, SourceError> {
        let pid = node::service_node(root).ok_or_else(|| SourceError::Inspector {
            what: format!("the process tree of {root}"),
            detail: "no Node process in it".into(),
        })?;
        let session = inspector::open_inspector(pid, Duration::from_secs(5), NodeCheck::Required)
            .and_then(Session::connect)
            .map_err(|e| SourceError::Inspector {
                what: format!("Node process {pid}"),
                detail: e.to_string(),
            })?;
        Ok(NodeGc {
            session: Some(session),
            pid,
            gone: false,
        })
    }

    /// Force a full GC, then read the heap in use: the floor, bytes.
    pub fn heap_after_gc(&mut self) -> Option<f64> {
        let s = self.session.as_mut()?;
        s.collect_garbage().ok()?;
        s.heap_used_bytes().ok().map(|b| b as f64)
    }
}

impl Source for NodeGc {
    fn sample(&mut self) -> Outcome {
        match self.heap_after_gc() {
            Some(v) => Outcome {
                reading: Some(Ok(vec![(NODE_HEAP_AFTER_GC.to_string(), v)])),
                events: vec![],
            },
            None => {
                // The process is gone (its service's exit is reported by the service's source).
                if !std::path::Path::new(&format!("/proc/{}", self.pid)).exists() {
                    self.gone = true;
                }
                Outcome::default()
            }
        }
    }

    fn finished(&self) -> bool {
        self.gone
    }

    fn remote(&self) -> bool {
        true
    }

    /// Leave the process as found: end the session, and close the inspector if we opened it.
    fn shutdown(&mut self) {
        if let Some(s) = self.session.take() {
            if let Err(e) = s.close() {
                tracing::warn!("{e}");
                eprintln!("leakscope: warning: {e}");
            }
        }
    }
}

impl Drop for NodeGc {
    fn drop(&mut self) {
        self.shutdown();
    }
}
