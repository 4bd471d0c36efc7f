//! What `run` measures each interval: the service's process tree from /proc, its runtime heap
//! from `--scrape`, and for Node the V8 heap right after a forced GC (the floor, not the noise).

use std::time::Duration;

use leakscope_probe::inspector::{self, Inspector};
use leakscope_probe::proc::{self as procfs, ProcReader};
use leakscope_probe::scrape;

use crate::tree::{sum_tree, Fields};

/// The field holding the post-GC V8 heap of a Node service.
pub const NODE_HEAP_AFTER_GC: &str = "heap_used_after_gc_bytes";

/// A Node service's inspector session, opened by us (SIGUSR1) or found open.
pub struct NodeGc {
    inspector: Inspector,
    opened_by_us: bool,
    pub pid: u32,
}

impl NodeGc {
    /// Find a Node process in the service's tree and open its inspector; None (with the reason
    /// on stderr unless quiet) when there is none or it cannot be opened.
    pub fn open(root: u32, quiet: bool) -> Option<NodeGc> {
        let pid = std::iter::once(root)
            .chain(procfs::descendants(root))
            .find(|p| is_node(*p))?;
        let url = match inspector::open_inspector(pid, Duration::from_secs(5)) {
            Ok(u) => u,
            Err(e) => {
                if !quiet {
                    eprintln!("leakscope: cannot force GCs in Node process {pid}, measuring RSS instead: {e}");
                }
                return None;
            }
        };
        match Inspector::connect(&url.ws_url) {
            Ok(inspector) => Some(NodeGc {
                inspector,
                opened_by_us: url.opened_by_us,
                pid,
            }),
            Err(e) => {
                if !quiet {
                    eprintln!("leakscope: cannot connect to the inspector of process {pid}: {e}");
                }
                None
            }
        }
    }

    /// Force a full GC, then read the heap in use: the floor.
    pub fn heap_after_gc(&mut self) -> Option<f64> {
        self.inspector.collect_garbage().ok()?;
        self.inspector.heap_used_bytes().ok().map(|b| b as f64)
    }

    /// Leave the process as found: end the session, and close the inspector if we opened it.
    pub fn close(self) {
        let _ = self.inspector.close(self.opened_by_us);
    }
}

fn is_node(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/comm"))
        .map(|c| c.trim() == "node" || c.trim().starts_with("node"))
        .unwrap_or(false)
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
