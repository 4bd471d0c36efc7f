//! Where kubelet puts a pod's and a container's memory cgroup, for both cgroup drivers, both
//! cgroup versions and the container runtimes' naming — so the node agent can sample a
//! container without asking the runtime.
//!
//! | driver | pod directory (Burstable; Guaranteed pods skip the QoS level) | container directory |
//! | --- | --- | --- |
//! | cgroupfs | `kubepods/burstable/pod<uid>` | `<id>` (containerd, docker), `crio-<id>` (CRI-O) |
//! | systemd | `kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid_>.slice` | `cri-containerd-<id>.scope`, `crio-<id>.scope`, `docker-<id>.scope` |
//!
//! `<uid_>` is the pod UID with `-` written `_` (systemd reserves `-` for slice nesting).
//! cgroup v1 has these under the memory hierarchy (`/sys/fs/cgroup/memory/...`), v2 under the
//! unified root (`/sys/fs/cgroup/...`). A kubelet `--cgroup-root` (kind, some distributions)
//! moves `kubepods` deeper; [`Layout::find`] looks for it two levels down.

use std::path::{Path, PathBuf};

/// A pod's QoS class (`status.qosClass`), which picks the level of its cgroup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum QosClass {
    /// Requests equal limits: directly under `kubepods`.
    Guaranteed,
    /// Under `kubepods/burstable`.
    Burstable,
    /// Under `kubepods/besteffort`.
    BestEffort,
}

impl QosClass {
    /// From `status.qosClass`; an unknown or missing class is Burstable (the most common).
    pub fn parse(text: Option<&str>) -> QosClass {
        match text {
            Some("Guaranteed") => QosClass::Guaranteed,
            Some("BestEffort") => QosClass::BestEffort,
            _ => QosClass::Burstable,
        }
    }

    fn level(self) -> Option<&'static str> {
        match self {
            QosClass::Guaranteed => None,
            QosClass::Burstable => Some("burstable"),
            QosClass::BestEffort => Some("besteffort"),
        }
    }
}

/// kubelet's cgroup driver.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Driver {
    /// Plain directories: `kubepods/burstable/pod<uid>/<id>`.
    Cgroupfs,
    /// systemd slices and scopes: `kubepods.slice/.../cri-containerd-<id>.scope`.
    Systemd,
}

/// A container's id as `status.containerStatuses[].containerID` gives it:
/// `containerd://<id>`, `cri-o://<id>`, `docker://<id>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerId {
    /// `containerd`, `cri-o`, `docker`, ...
    pub runtime: String,
    /// The id, 64 hex digits for the common runtimes.
    pub id: String,
}

impl ContainerId {
    /// Parse `runtime://id`; `None` for an empty or malformed id (a container not started yet).
    pub fn parse(text: &str) -> Option<ContainerId> {
        let (runtime, id) = text.split_once("://")?;
        let ok = !id.is_empty()
            && id.len() <= 128
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
        ok.then(|| ContainerId {
            runtime: runtime.to_string(),
            id: id.to_string(),
        })
    }
}

/// The pod's cgroup directory relative to the `kubepods` parent, as kubelet names it.
pub fn pod_dir(driver: Driver, qos: QosClass, uid: &str) -> PathBuf {
    match driver {
        Driver::Cgroupfs => {
            let mut p = PathBuf::from("kubepods");
            if let Some(level) = qos.level() {
                p.push(level);
            }
            p.push(format!("pod{uid}"));
            p
        }
        Driver::Systemd => {
            let uid = uid.replace('-', "_");
            let mut p = PathBuf::from("kubepods.slice");
            match qos.level() {
                Some(level) => {
                    p.push(format!("kubepods-{level}.slice"));
                    p.push(format!("kubepods-{level}-pod{uid}.slice"));
                }
                None => p.push(format!("kubepods-pod{uid}.slice")),
            }
            p
        }
    }
}

/// The container's cgroup directory name under its pod's, as the runtime names it.
pub fn container_dir(driver: Driver, id: &ContainerId) -> String {
    let prefix = match id.runtime.as_str() {
        "containerd" => "cri-containerd",
        "cri-o" => "crio",
        other => other,
    };
    match (driver, prefix) {
        (Driver::Systemd, p) => format!("{p}-{}.scope", id.id),
        (Driver::Cgroupfs, "crio") => format!("crio-{}", id.id),
        (Driver::Cgroupfs, _) => id.id.clone(),
    }
}

/// The node's cgroup tree as the agent sees it (e.g. the host's `/sys/fs/cgroup` mounted at
/// `/host/sys/fs/cgroup`): where the memory hierarchy is, and where `kubepods` hangs.
#[derive(Debug, Clone)]
pub struct Layout {
    /// The memory hierarchy's root: `<root>/memory` on v1, `<root>` on v2.
    pub memory_root: PathBuf,
    /// The directories `kubepods` (cgroupfs) and `kubepods.slice` (systemd) were looked for
    /// in: the memory root and, for a kubelet `--cgroup-root`, its subdirectories.
    pub parents: Vec<PathBuf>,
}

impl Layout {
    /// The layout under `root` (`/sys/fs/cgroup`, or a directory standing for it).
    pub fn find(root: &Path) -> Layout {
        let v1 = root.join("memory");
        let memory_root = if v1.join("memory.usage_in_bytes").exists() {
            v1
        } else {
            root.to_path_buf()
        };
        let mut parents = vec![memory_root.clone()];
        if !has_kubepods(&memory_root) {
            // kind: /kubelet.slice/kubelet-kubepods.slice; a --cgroup-root=/k8s: /k8s/kubepods.
            for child in subdirs(&memory_root) {
                for grandchild in subdirs(&child) {
                    if has_kubepods(&grandchild) {
                        parents.push(grandchild);
                    }
                }
                if has_kubepods(&child) {
                    parents.push(child);
                }
            }
        }
        Layout {
            memory_root,
            parents,
        }
    }

    /// The pod's cgroup directory, trying both drivers (and a systemd `--cgroup-root` prefix
    /// such as `kubelet-`) under every parent; `None` when it is not there (yet).
    pub fn pod(&self, uid: &str, qos: QosClass) -> Option<PathBuf> {
        for parent in &self.parents {
            for driver in [Driver::Systemd, Driver::Cgroupfs] {
                let p = parent.join(pod_dir(driver, qos, uid));
                if p.is_dir() {
                    return Some(p);
                }
            }
            // systemd with a cgroup root: kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/...
            for slice in subdirs(parent) {
                let Some(name) = slice.file_name().and_then(|n| n.to_str()) else {
                    continue;
                };
                let Some(prefix) = name.strip_suffix("kubepods.slice") else {
                    continue;
                };
                if prefix.is_empty() {
                    continue;
                }
                let p = prefixed(&slice, prefix, qos, uid);
                if p.is_dir() {
                    return Some(p);
                }
            }
        }
        None
    }

    /// The container's cgroup directory under its pod's: the runtime's name for either driver,
    /// else the child whose name holds the id (a runtime naming scopes its own way).
    pub fn container(&self, pod_dir: &Path, id: &ContainerId) -> Option<PathBuf> {
        for driver in [Driver::Systemd, Driver::Cgroupfs] {
            let p = pod_dir.join(container_dir(driver, id));
            if p.is_dir() {
                return Some(p);
            }
        }
        subdirs(pod_dir).into_iter().find(|d| {
            d.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains(&id.id) && !n.contains("conmon"))
        })
    }
}

/// `<prefix>kubepods-burstable.slice/<prefix>kubepods-burstable-pod<uid_>.slice` under `slice`.
fn prefixed(slice: &Path, prefix: &str, qos: QosClass, uid: &str) -> PathBuf {
    let uid = uid.replace('-', "_");
    match qos.level() {
        Some(level) => slice
            .join(format!("{prefix}kubepods-{level}.slice"))
            .join(format!("{prefix}kubepods-{level}-pod{uid}.slice")),
        None => slice.join(format!("{prefix}kubepods-pod{uid}.slice")),
    }
}

fn has_kubepods(dir: &Path) -> bool {
    dir.join("kubepods").is_dir()
        || dir.join("kubepods.slice").is_dir()
        || subdirs(dir).iter().any(|d| {
            d.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.ends_with("-kubepods.slice"))
        })
}

/// Subdirectories of `dir` (none when it cannot be read), at most 4096 of them.
fn subdirs(dir: &Path) -> Vec<PathBuf> {
    let Ok(rd) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    rd.filter_map(Result::ok)
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .map(|e| e.path())
        .take(4096)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const UID: &str = "8f3a1c2e-5b6d-4e7f-9a0b-1c2d3e4f5a6b";
    const ID: &str = "3b6e9c1d2f4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c";

    fn cid(runtime: &str) -> ContainerId {
        ContainerId::parse(&format!("{runtime}://{ID}")).expect("an id")
    }

    #[test]
    fn kubelet_names_pods_per_driver_and_class() {
        assert_eq!(
            pod_dir(Driver::Cgroupfs, QosClass::Burstable, UID),
            PathBuf::from(format!("kubepods/burstable/pod{UID}"))
        );
        assert_eq!(
            pod_dir(Driver::Cgroupfs, QosClass::Guaranteed, UID),
            PathBuf::from(format!("kubepods/pod{UID}"))
        );
        assert_eq!(
            pod_dir(Driver::Systemd, QosClass::BestEffort, UID),
            PathBuf::from(
                "kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod8f3a1c2e_5b6d_4e7f_9a0b_1c2d3e4f5a6b.slice"
            )
        );
        assert_eq!(
            pod_dir(Driver::Systemd, QosClass::Guaranteed, UID),
            PathBuf::from("kubepods.slice/kubepods-pod8f3a1c2e_5b6d_4e7f_9a0b_1c2d3e4f5a6b.slice")
        );
    }

    #[test]
    fn runtimes_name_containers_their_way() {
        assert_eq!(
            container_dir(Driver::Systemd, &cid("containerd")),
            format!("cri-containerd-{ID}.scope")
        );
        assert_eq!(
            container_dir(Driver::Systemd, &cid("cri-o")),
            format!("crio-{ID}.scope")
        );
        assert_eq!(
            container_dir(Driver::Systemd, &cid("docker")),
            format!("docker-{ID}.scope")
        );
        assert_eq!(container_dir(Driver::Cgroupfs, &cid("containerd")), ID);
        assert_eq!(
            container_dir(Driver::Cgroupfs, &cid("cri-o")),
            format!("crio-{ID}")
        );
    }

    #[test]
    fn container_ids_are_checked() {
        assert_eq!(ContainerId::parse(""), None);
        assert_eq!(ContainerId::parse("containerd://"), None);
        assert_eq!(ContainerId::parse("containerd://../../etc"), None);
        assert_eq!(cid("cri-o").runtime, "cri-o");
    }

    #[test]
    fn a_kind_style_cgroup_root_is_found() {
        let d = tempfile::tempdir().expect("tempdir");
        let pod = d.path().join(format!(
            "kubelet.slice/kubelet-kubepods.slice/kubelet-kubepods-burstable.slice/kubelet-kubepods-burstable-pod{}.slice",
            UID.replace('-', "_")
        ));
        std::fs::create_dir_all(pod.join(format!("cri-containerd-{ID}.scope"))).expect("mkdir");
        let layout = Layout::find(d.path());
        let found = layout.pod(UID, QosClass::Burstable).expect("the pod");
        assert_eq!(found, pod);
        assert_eq!(
            layout.container(&found, &cid("containerd")),
            Some(pod.join(format!("cri-containerd-{ID}.scope")))
        );
        assert_eq!(layout.pod(UID, QosClass::Guaranteed), None);
    }
}
