//! A pod as leakscope needs it: who owns it, where it runs, and per container its id, limit,
//! restarts and last termination — taken from the API's `Pod` once, so that the full object
//! (kilobytes each) is not kept. One reading of a pod serves the scan, the cluster watch and
//! the node agent.

use k8s_openapi::api::core::v1::{ContainerStatus, Pod};
use serde::Serialize;

use crate::cgroup_map::{ContainerId, QosClass};
use crate::quantity;

/// The exit code of a process killed by SIGKILL (128 + 9), what an OOM kill leaves.
pub const SIGKILL_EXIT: i32 = 137;

/// The parts of a pod leakscope uses.
#[derive(Debug, Clone, PartialEq)]
pub struct PodInfo {
    /// Namespace.
    pub namespace: String,
    /// Name.
    pub name: String,
    /// `metadata.uid`.
    pub uid: String,
    /// The node it is scheduled on.
    pub node: Option<String>,
    /// Its controller: `Deployment/checkout`, `StatefulSet/db`, `Job/nightly-28911`, ...
    pub owner: Option<String>,
    /// QoS class (picks its cgroup's place).
    pub qos: QosClass,
    /// `status.phase`.
    pub phase: Option<String>,
    /// True once `metadata.deletionTimestamp` is set.
    pub deleting: bool,
    /// Its (regular) containers.
    pub containers: Vec<ContainerInfo>,
}

/// One container of a pod.
#[derive(Debug, Clone, PartialEq)]
pub struct ContainerInfo {
    /// The container's name.
    pub name: String,
    /// The running (or last) container's id, when started.
    pub id: Option<ContainerId>,
    /// `restartCount`.
    pub restarts: u32,
    /// The last termination (`lastState.terminated`, or `state.terminated` when it is not
    /// running now).
    pub last_termination: Option<Termination>,
    /// `running`, `waiting: CrashLoopBackOff`, `terminated: OOMKilled`, ...
    pub state: String,
    /// `resources.limits.memory`, bytes.
    pub limit_bytes: Option<f64>,
    /// `resources.requests.memory`, bytes.
    pub request_bytes: Option<f64>,
}

/// How a container last ended.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Termination {
    /// `OOMKilled`, `Error`, `Completed`, ...
    pub reason: Option<String>,
    /// The exit code (137 after an OOM kill).
    pub exit_code: i32,
    /// When it ended, RFC 3339.
    pub finished_at: Option<String>,
    /// When that run had started, RFC 3339.
    pub started_at: Option<String>,
    /// When it ended, unix seconds.
    #[serde(skip)]
    pub finished_t: Option<f64>,
    /// The id of the container that ended.
    #[serde(skip)]
    pub container_id: Option<String>,
}

impl Termination {
    /// True for an OOM kill: the reason the runtime gives.
    pub fn is_oom_kill(&self) -> bool {
        self.reason.as_deref() == Some("OOMKilled")
    }
}

impl ContainerInfo {
    /// True when the container's last end was an OOM kill.
    pub fn oom_killed(&self) -> bool {
        self.last_termination
            .as_ref()
            .is_some_and(Termination::is_oom_kill)
    }
}

impl PodInfo {
    /// Read what leakscope needs from `pod`.
    pub fn from_pod(pod: &Pod) -> PodInfo {
        let meta = &pod.metadata;
        let spec = pod.spec.as_ref();
        let status = pod.status.as_ref();
        let statuses: &[ContainerStatus] = status
            .and_then(|s| s.container_statuses.as_deref())
            .unwrap_or(&[]);
        let containers = spec
            .map(|s| s.containers.as_slice())
            .unwrap_or(&[])
            .iter()
            .map(|c| {
                let resources = c.resources.as_ref();
                let mem = |m: Option<
                    &std::collections::BTreeMap<
                        String,
                        k8s_openapi::apimachinery::pkg::api::resource::Quantity,
                    >,
                >| {
                    m.and_then(|m| m.get("memory"))
                        .and_then(|q| quantity::bytes(&q.0))
                };
                let st = statuses.iter().find(|s| s.name == c.name);
                ContainerInfo {
                    name: c.name.clone(),
                    id: st
                        .and_then(|s| s.container_id.as_deref())
                        .and_then(ContainerId::parse),
                    restarts: st.map_or(0, |s| u32::try_from(s.restart_count).unwrap_or(0)),
                    last_termination: st.and_then(termination),
                    state: st.map_or_else(|| "pending".to_string(), state),
                    limit_bytes: mem(resources.and_then(|r| r.limits.as_ref())),
                    request_bytes: mem(resources.and_then(|r| r.requests.as_ref())),
                }
            })
            .collect();
        PodInfo {
            namespace: meta.namespace.clone().unwrap_or_default(),
            name: meta.name.clone().unwrap_or_default(),
            uid: meta.uid.clone().unwrap_or_default(),
            node: spec.and_then(|s| s.node_name.clone()),
            owner: owner(pod),
            qos: QosClass::parse(status.and_then(|s| s.qos_class.as_deref())),
            phase: status.and_then(|s| s.phase.clone()),
            deleting: meta.deletion_timestamp.is_some(),
            containers,
        }
    }
}

/// The controller, with a ReplicaSet made of a Deployment named as the Deployment (its name
/// less the pod-template-hash), as `kubectl` users think of it.
fn owner(pod: &Pod) -> Option<String> {
    let refs = pod.metadata.owner_references.as_deref()?;
    let r = refs
        .iter()
        .find(|r| r.controller == Some(true))
        .or(refs.first())?;
    if r.kind == "ReplicaSet" {
        let hash = pod
            .metadata
            .labels
            .as_ref()
            .and_then(|l| l.get("pod-template-hash"));
        if let Some(deployment) = hash.and_then(|h| r.name.strip_suffix(&format!("-{h}"))) {
            return Some(format!("Deployment/{deployment}"));
        }
    }
    Some(format!("{}/{}", r.kind, r.name))
}

fn termination(s: &ContainerStatus) -> Option<Termination> {
    let t = s
        .last_state
        .as_ref()
        .and_then(|l| l.terminated.as_ref())
        .or_else(|| s.state.as_ref().and_then(|st| st.terminated.as_ref()))?;
    Some(Termination {
        reason: t.reason.clone(),
        exit_code: t.exit_code,
        finished_at: t.finished_at.as_ref().map(|f| f.0.to_string()),
        started_at: t.started_at.as_ref().map(|f| f.0.to_string()),
        finished_t: t
            .finished_at
            .as_ref()
            .map(|f| f.0.as_millisecond() as f64 / 1000.0),
        container_id: t.container_id.clone(),
    })
}

fn state(s: &ContainerStatus) -> String {
    let Some(st) = s.state.as_ref() else {
        return "unknown".into();
    };
    if st.running.is_some() {
        "running".into()
    } else if let Some(w) = &st.waiting {
        format!("waiting: {}", w.reason.as_deref().unwrap_or("unknown"))
    } else if let Some(t) = &st.terminated {
        format!("terminated: {}", t.reason.as_deref().unwrap_or("unknown"))
    } else {
        "unknown".into()
    }
}
