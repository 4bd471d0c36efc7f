//! OOM events: `OOMKilling` from node-problem-detector's kernel monitor and `SystemOOM` from
//! kubelet — both about a Node, not a pod — and how they are joined to the container they
//! most likely killed.

use std::sync::OnceLock;

use k8s_openapi::api::core::v1::Event;
use regex::Regex;
use serde::Serialize;

use crate::pod::PodInfo;

/// The event reasons read: node-problem-detector's and kubelet's.
pub const REASONS: [&str; 2] = ["OOMKilling", "SystemOOM"];

/// How far apart (seconds) an OOM event and a container's OOMKilled termination may be and
/// still be taken as the same kill. kubelet notices an exit within seconds; NPD reads
/// /dev/kmsg at once; the rest is clock skew between nodes and the API server.
pub const JOIN_WINDOW_SECONDS: f64 = 120.0;

/// One OOM event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OomEvent {
    /// `OOMKilling` or `SystemOOM`.
    pub reason: String,
    /// The node it happened on.
    pub node: Option<String>,
    /// What it is about: `Node/worker-1`, `Pod/shop/checkout-0`.
    pub object: String,
    /// When it last happened, RFC 3339.
    pub at: Option<String>,
    /// How many times it was seen (`count`).
    pub count: u32,
    /// The killed process's name, from the message.
    pub process: Option<String>,
    /// The message.
    pub message: String,
    /// When it last happened, unix seconds.
    #[serde(skip)]
    pub t: Option<f64>,
    /// A pod UID named in the message (the kernel's `oom_memcg=/kubepods/.../pod<uid>`).
    #[serde(skip)]
    pub pod_uid: Option<String>,
    /// `involvedObject` namespace and name when it is a Pod.
    #[serde(skip)]
    pub pod: Option<(String, String)>,
    /// The Event object's namespace/name (its `count` grows when the same thing repeats).
    #[serde(skip)]
    pub id: String,
}

impl OomEvent {
    /// The OOM event in `e`, or `None` for another reason.
    pub fn from_event(e: &Event) -> Option<OomEvent> {
        let reason = e.reason.clone()?;
        if !REASONS.contains(&reason.as_str()) {
            return None;
        }
        let obj = &e.involved_object;
        let kind = obj.kind.clone().unwrap_or_default();
        let name = obj.name.clone().unwrap_or_default();
        let message = e.message.clone().unwrap_or_default();
        let ts = e
            .last_timestamp
            .as_ref()
            .map(|t| t.0)
            .or_else(|| e.event_time.as_ref().map(|t| t.0))
            .or_else(|| e.first_timestamp.as_ref().map(|t| t.0))
            .or_else(|| e.metadata.creation_timestamp.as_ref().map(|t| t.0));
        let node = if kind == "Node" {
            Some(name.clone())
        } else {
            e.source
                .as_ref()
                .and_then(|s| s.host.clone())
                .or_else(|| e.reporting_instance.clone())
        };
        let pod =
            (kind == "Pod").then(|| (obj.namespace.clone().unwrap_or_default(), name.clone()));
        let object = match &pod {
            Some((ns, n)) => format!("Pod/{ns}/{n}"),
            None => format!("{kind}/{name}"),
        };
        Some(OomEvent {
            reason,
            node,
            object,
            at: ts.map(|t| t.to_string()),
            count: e.count.and_then(|c| u32::try_from(c).ok()).unwrap_or(1),
            process: process_of(&message),
            pod_uid: pod_uid_of(&message),
            t: ts.map(|t| t.as_millisecond() as f64 / 1000.0),
            message,
            pod,
            id: format!(
                "{}/{}",
                e.metadata.namespace.as_deref().unwrap_or(""),
                e.metadata.name.as_deref().unwrap_or("")
            ),
        })
    }

    /// The container this event most likely is about, as (pod, container) indexes into
    /// `pods`: the pod it names (as its object or by UID in the message), else an OOM-killed
    /// container on its node whose termination is within [`JOIN_WINDOW_SECONDS`] of it (the
    /// nearest; a container named like the killed process wins a tie).
    pub fn join(
        &self,
        pods: &[PodInfo],
        by_uid: &dyn Fn(&str) -> Option<usize>,
    ) -> Option<(usize, usize)> {
        let named = match (&self.pod, &self.pod_uid) {
            (Some((ns, n)), _) => pods.iter().position(|p| p.namespace == *ns && p.name == *n),
            (None, Some(uid)) => by_uid(uid),
            (None, None) => None,
        };
        if let Some(p) = named {
            let pod = &pods[p];
            let c = self
                .nearest(pod, p)
                .map(|(_, c, _)| c)
                .or_else(|| {
                    pod.containers
                        .iter()
                        .position(|c| Some(&c.name) == self.process.as_ref())
                })
                .unwrap_or(0);
            return (!pod.containers.is_empty()).then_some((p, c));
        }
        let node = self.node.as_ref()?;
        pods.iter()
            .enumerate()
            .filter(|(_, p)| p.node.as_ref() == Some(node))
            .filter_map(|(i, p)| self.nearest(p, i))
            .min_by(|a, b| a.2.total_cmp(&b.2))
            .map(|(p, c, _)| (p, c))
    }

    /// The pod's OOM-killed container nearest in time, within the window: (pod, container,
    /// distance in seconds, less a little for a name match).
    fn nearest(&self, pod: &PodInfo, p: usize) -> Option<(usize, usize, f64)> {
        let t = self.t?;
        pod.containers
            .iter()
            .enumerate()
            .filter(|(_, c)| c.oom_killed())
            .filter_map(|(i, c)| {
                let ft = c.last_termination.as_ref()?.finished_t?;
                let d = (ft - t).abs();
                let bonus = if Some(&c.name) == self.process.as_ref() {
                    0.5
                } else {
                    0.0
                };
                (d <= JOIN_WINDOW_SECONDS).then_some((p, i, d - bonus))
            })
            .min_by(|a, b| a.2.total_cmp(&b.2))
    }
}

/// `Killed process 4242 (java)` (kernel, via NPD) or `victim process: java, pid: 4242`
/// (kubelet).
fn process_of(message: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| {
            Regex::new(r"Killed process \d+ \(([^)]{1,64})\)|victim process: ([^,\s]{1,64})").ok()
        })
        .as_ref()?;
    let c = re.captures(message)?;
    c.get(1).or(c.get(2)).map(|m| m.as_str().to_string())
}

/// The pod UID in a kernel cgroup path (`pod8f3a…-…` for cgroupfs, `pod8f3a…_…` for systemd).
fn pod_uid_of(message: &str) -> Option<String> {
    static RE: OnceLock<Option<Regex>> = OnceLock::new();
    let re = RE
        .get_or_init(|| {
            Regex::new(
                r"pod([0-9a-f]{8}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{4}[-_][0-9a-f]{12})",
            )
            .ok()
        })
        .as_ref()?;
    re.captures(message)
        .and_then(|c| c.get(1))
        .map(|m| m.as_str().replace('_', "-"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_process_and_pod_are_read_from_messages() {
        let npd = "Memory cgroup out of memory: Killed process 4242 (java) total-vm:1817324kB, anon-rss:524112kB, file-rss:0kB";
        assert_eq!(process_of(npd).as_deref(), Some("java"));
        let kubelet = "System OOM encountered, victim process: node, pid: 1777";
        assert_eq!(process_of(kubelet).as_deref(), Some("node"));
        let kernel = "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),oom_memcg=/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod8f3a1c2e_5b6d_4e7f_9a0b_1c2d3e4f5a6b.slice,task=java,pid=4242";
        assert_eq!(
            pod_uid_of(kernel).as_deref(),
            Some("8f3a1c2e-5b6d-4e7f-9a0b-1c2d3e4f5a6b")
        );
        assert_eq!(pod_uid_of(npd), None);
    }
}
