//! leakscope-k8s: Kubernetes for leakscope.
//!
//! - [`client`]: connecting (`--server`, `--kubeconfig`, in-cluster) and [`error`]: one
//!   sentence per failure (no kubeconfig, unreachable, RBAC forbidden naming verb and resource).
//! - [`pod`]: the parts of a pod leakscope reads (owner, node, per container id, limit,
//!   restarts, last termination); [`oom_event`]: node OOM events and their join to pods.
//! - [`list`]: paginated lists; [`scan`]: `k8s scan`.
//! - [`watch`]: a resource watched on a thread of its own (410 Gone re-lists);
//!   [`node`]: the node agent's discovery of its pods' containers (`watch --k8s-node`).
//! - [`cluster`]: `k8s watch` (pods, OOM events and the metrics API as engine targets);
//!   [`metrics_api`]: container memory from metrics-server.
//! - [`cgroup_map`]: where kubelet puts a container's cgroup (both drivers, v1 and v2,
//!   containerd, CRI-O, docker), testable without a cluster.

pub mod cgroup_map;
pub mod client;
pub mod cluster;
pub mod error;
pub mod list;
pub mod metrics_api;
pub mod node;
pub mod oom_event;
pub mod pod;
pub mod quantity;
pub mod scan;
pub mod tracker;
pub mod watch;

pub use client::{Cluster, Connect};
pub use error::K8sError;

/// What leakscope asks of the Kubernetes API: (API group, resource, verb). The manifests'
/// ClusterRole (deploy/kubernetes/rbac.yaml) grants these; a test checks it does.
pub const RBAC_NEEDED: &[(&str, &str, &str)] = &[
    ("", "pods", "list"),
    ("", "pods", "watch"),
    ("", "events", "list"),
    ("", "events", "watch"),
    ("", "nodes", "get"),
    ("metrics.k8s.io", "pods", "list"),
];
