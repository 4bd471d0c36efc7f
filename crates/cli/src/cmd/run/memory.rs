//! What `run` measures each interval: the service's process tree from /proc, its runtime heap
//! from `--scrape`, and for Node the V8 heap right after a forced GC (the floor, not the noise).

use std::time::Duration;

use leakscope_probe::inspector::{self, NodeCheck, Session};
use leakscope_probe::node;
use leakscope_probe::proc::ProcReader;
use leakscope_probe::scrape;

use crate::tree::{sum_tree, Fields};

/// The field holding the post-GC V8 heap of a Node service.
pub const NODE_HEAP_AFTER_GC: &str = "heap_used_after_gc_bytes";

/// A Node service's inspector session, opened by us (SIGUSR1) or found open. The session
/// closes an inspector we opened on every way out (close, error, drop).
pub struct NodeGc {
    session: Session,
    pub pid: u32,
}

impl NodeGc {
    /// Find the Node process of the service's tree and open its inspector; None (with the
    /// reason on stderr unless quiet) when there is none or it cannot be opened.
    pub fn open(root: u32, quiet: bool) -> Option<NodeGc> {
        let pid = node::service_node(root)?;
        let opened = inspector::open_inspector(pid, Duration::from_secs(5), NodeCheck::Required)
            .and_then(Session::connect);
        match opened {
            Ok(session) => Some(NodeGc { session, pid }),
            Err(e) => {
                if !quiet {
                    eprintln!("leakscope: cannot force GCs in Node process {pid}, measuring RSS instead: {e}");
                }
                None
            }
        }
    }

    /// Force a full GC, then read the heap in use: the floor.
    pub fn heap_after_gc(&mut self) -> Option<f64> {
        self.session.collect_garbage().ok()?;
        self.session.heap_used_bytes().ok().map(|b| b as f64)
    }

    /// Leave the process as found: end the session, and close the inspector if we opened it.
    pub fn close(self) {
        if let Err(e) = self.session.close() {
            eprintln!("leakscope: warning: {e}");
        }
    }
}

/// Everything `run` reads each interval.
pub struct Meter {
    reader: ProcReader,
    pub node: Option<NodeGc>,
    scrape: Option<(String, Vec<String>)>,
    scrape_failures: u64,
}

impl Meter {
    /// A meter for the service; `scrape` is the /metrics URL and the metrics to take.
    pub fn new(node: Option<NodeGc>, scrape: Option<(String, Vec<String>)>) -> Self {
        Self {
            reader: ProcReader::new(),
            node,
            scrape,
            scrape_failures: 0,
        }
    }

    /// One reading of the service rooted at `pid`; empty when the tree is gone.
    pub fn read(&mut self, pid: u32) -> Fields {
        let mut fields = sum_tree(&mut self.reader, pid, false);
        if !fields.iter().any(|(k, v)| k == "processes" && *v > 0.0) {
            return Vec::new();
        }
        if let Some(node) = self.node.as_mut() {
            if let Some(v) = node.heap_after_gc() {
                fields.push((NODE_HEAP_AFTER_GC.into(), v));
            }
        }
        if let Some((url, metrics)) = &self.scrape {
            match scrape::scrape(url, Duration::from_secs(5)) {
                Ok(samples) => fields.extend(scrape::select(&samples, metrics)),
                Err(e) => {
                    self.scrape_failures += 1;
                    if self.scrape_failures == 1 || self.scrape_failures % 10 == 0 {
                        eprintln!(
                            "leakscope: scrape failed ({} so far): {e}",
                            self.scrape_failures
                        );
                    }
                }
            }
        }
        fields
    }

    /// Close the inspector session, leaving the process as found.
    pub fn close(&mut self) {
        if let Some(node) = self.node.take() {
            node.close();
        }
    }
}

/// The series the verdict is about: the post-GC heap for Node, a runtime heap from /metrics,
/// else the resident set.
pub fn primary_field(fields: &Fields) -> Option<&str> {
    if fields.iter().any(|(k, _)| k == NODE_HEAP_AFTER_GC) {
        return Some(NODE_HEAP_AFTER_GC);
    }
    crate::fields::primary(fields.iter().map(|(k, _)| k.as_str()))
}
