//! `watch --k8s-node`, the node agent: the pods of this node (a watch with
//! `fieldSelector=spec.nodeName=NODE`), each container's cgroup found by kubelet's layout and
//! sampled as a target named `namespace/pod/container` with those three labels, and OOM
//! kills seen from the cgroup counters within a second (before kubelet has noticed), or from
//! the pod's status when the counter could not be read in time. Restarts come from the pod's
//! status. Pods that come and go are added and removed as the watch reports them.

use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::{Node, Pod};
use kube::api::Api;
use leakscope_agent::discover::{Change, Discovered, Discovery, Labels};
use leakscope_agent::event::Event;
use leakscope_agent::source::{Outcome, Source, SourceSpec};

use crate::cgroup_map::Layout;
use crate::client::{connect, runtime, Connect};
use crate::error::{Call, K8sError};
use crate::pod::PodInfo;
use crate::tracker::ContainerTrack;
use crate::watch::{Update, Watch, WatchSpec};

/// How often the OOM counters are read, and unresolved cgroups looked for again.
pub const OOM_POLL: Duration = Duration::from_secs(1);

/// The kind of a node agent's container target, in the store.
pub const KIND: &str = "k8s-container";

/// What the node agent watches.
#[derive(Debug, Clone)]
pub struct NodeOptions {
    /// How to connect (in-cluster in a DaemonSet).
    pub connect: Connect,
    /// This node's name (`spec.nodeName`; the downward API gives it as $NODE_NAME).
    pub node: String,
    /// The node's cgroup root as mounted here (`/sys/fs/cgroup`, or `/host/sys/fs/cgroup`).
    pub cgroup_root: PathBuf,
}

/// The node agent's discovery.
pub struct NodeDiscovery {
    watch: Watch<PodInfo>,
    layout: Layout,
    cgroup_root: PathBuf,
    pods: HashMap<String, PodState>,
    relisting: Option<HashSet<String>>,
    last_poll: Instant,
    failing: bool,
}

struct PodState {
    info: PodInfo,
    dir: Option<PathBuf>,
    pod_oom: Option<u64>,
    containers: HashMap<String, ContainerState>,
}

struct ContainerState {
    target: String,
    labels: Labels,
    limit: Option<f64>,
    /// The container cgroup being sampled.
    cgroup: Option<PathBuf>,
    /// Its OOM counter when last read.
    counter: Option<u64>,
    track: ContainerTrack,
    unresolved_since: Option<Instant>,
    unresolved_said: bool,
}

impl NodeDiscovery {
    /// Connect and list this node's pods (an error now when the API cannot be reached or
    /// refuses), then follow them.
    pub fn start(opts: &NodeOptions) -> Result<NodeDiscovery, K8sError> {
        check_node(opts)?;
        let watch = Watch::start::<Pod>(
            WatchSpec {
                connect: opts.connect.clone(),
                namespace: None,
                fields: Some(format!("spec.nodeName={}", opts.node)),
                resource: "pods",
            },
            |p| Some(PodInfo::from_pod(p)),
        )?;
        Ok(NodeDiscovery {
            watch,
            layout: Layout::find(&opts.cgroup_root),
            cgroup_root: opts.cgroup_root.clone(),
            pods: HashMap::new(),
            relisting: None,
            last_poll: Instant::now() - OOM_POLL,
            failing: false,
        })
    }

    fn applied(&mut self, info: PodInfo, out: &mut Vec<Change>) {
        if let Some(seen) = &mut self.relisting {
            seen.insert(info.uid.clone());
        }
        let t = leakscope_agent::now();
        let first = !self.pods.contains_key(&info.uid);
        let pod = self
            .pods
            .entry(info.uid.clone())
            .or_insert_with(|| PodState {
                info: info.clone(),
                dir: None,
                pod_oom: None,
                containers: HashMap::new(),
            });
        pod.info = info;
        let names: HashSet<&str> = pod
            .info
            .containers
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        pod.containers.retain(|n, c| {
            let keep = names.contains(n.as_str());
            if !keep {
                out.push(Change::Remove {
                    name: c.target.clone(),
                });
            }
            keep
        });
        for c in &pod.info.containers {
            let st = pod
                .containers
                .entry(c.name.clone())
                .or_insert_with(|| ContainerState {
                    target: format!("{}/{}/{}", pod.info.namespace, pod.info.name, c.name),
                    labels: vec![
                        ("namespace".into(), pod.info.namespace.clone()),
                        ("pod".into(), pod.info.name.clone()),
                        ("container".into(), c.name.clone()),
                    ],
                    limit: c.limit_bytes,
                    cgroup: None,
                    counter: None,
                    track: ContainerTrack::new(c),
                    unresolved_since: None,
                    unresolved_said: false,
                });
            st.limit = c.limit_bytes;
            if first {
                continue;
            }
            for event in st.track.observe(c, t) {
                out.push(Change::Event {
                    name: st.target.clone(),
                    t,
                    event,
                });
            }
        }
    }

    /// Find the cgroups of a pod's containers that are not known (or changed: a restarted
    /// container has a new id and a new cgroup).
    fn resolve_pod(&mut self, uid: &str, out: &mut Vec<Change>) {
        let Some(pod) = self.pods.get_mut(uid) else {
            return;
        };
        if pod.dir.as_ref().is_none_or(|d| !d.is_dir()) {
            pod.dir = self.layout.pod(&pod.info.uid, pod.info.qos);
            if let Some(d) = &pod.dir {
                pod.pod_oom = oom_kills(d);
            }
        }
        for c in &pod.info.containers {
            let Some(st) = pod.containers.get_mut(&c.name) else {
                continue;
            };
            let found = match (&pod.dir, &c.id) {
                (Some(dir), Some(id)) if c.state == "running" => self.layout.container(dir, id),
                _ => None,
            };
            match found {
                Some(path) if st.cgroup.as_ref() != Some(&path) => {
                    let spec = SourceSpec::Cgroup { path: path.clone() };
                    match spec.open() {
                        Ok(src) => {
                            st.counter = oom_kills(&path);
                            st.cgroup = Some(path.clone());
                            st.unresolved_since = None;
                            out.push(Change::Add(Discovered {
                                name: st.target.clone(),
                                kind: KIND,
                                describe: path.display().to_string(),
                                labels: st.labels.clone(),
                                limit_bytes: st.limit,
                                source: Box::new(ContainerSource(src)),
                            }));
                        }
                        Err(e) => {
                            tracing::debug!(target_name = %st.target, "cannot open {}: {e}", path.display())
                        }
                    }
                }
                Some(_) => {}
                None if c.state == "running" && st.cgroup.is_none() => {
                    let since = *st.unresolved_since.get_or_insert_with(Instant::now);
                    if since.elapsed() > Duration::from_secs(30) && !st.unresolved_said {
                        st.unresolved_said = true;
                        out.push(Change::Note(format!(
                            "{}: its cgroup is not under {} (pod {}, container {}); is --cgroup-root the node's /sys/fs/cgroup?",
                            st.target,
                            self.cgroup_root.display(),
                            pod.info.uid,
                            c.id.as_ref().map_or("?", |i| i.id.as_str())
                        )));
                    }
                }
                None => {}
            }
        }
    }

    fn deleted(&mut self, uid: &str, out: &mut Vec<Change>) {
        if let Some(p) = self.pods.remove(uid) {
            for c in p.containers.values() {
                out.push(Change::Remove {
                    name: c.target.clone(),
                });
            }
        }
    }

    /// Read every OOM counter: a container's own, and its pod's (which on cgroup v2 also
    /// counts kills in container cgroups already removed).
    fn poll_counters(&mut self, out: &mut Vec<Change>) {
        let t = leakscope_agent::now();
        let uids: Vec<String> = self.pods.keys().cloned().collect();
        for uid in uids {
            self.resolve_pod(&uid, out);
            let Some(pod) = self.pods.get_mut(&uid) else {
                continue;
            };
            let mut attributed = 0u64;
            for st in pod.containers.values_mut() {
                let Some(path) = &st.cgroup else { continue };
                let now = oom_kills(path);
                if let (Some(before), Some(n)) = (st.counter, now) {
                    if n > before {
                        let delta = n - before;
                        attributed += delta;
                        out.push(Change::Event {
                            name: st.target.clone(),
                            t,
                            event: st.track.oom_seen(delta, t),
                        });
                    }
                }
                if now.is_some() {
                    st.counter = now;
                }
            }
            let Some(dir) = &pod.dir else { continue };
            let now = oom_kills(dir);
            if let (Some(before), Some(n)) = (pod.pod_oom, now) {
                let unexplained = (n - before.min(n)).saturating_sub(attributed);
                // Killed with its cgroup removed before it was read: one container, or the
                // one whose cgroup just went, took it.
                if unexplained > 0 {
                    let gone: Vec<&mut ContainerState> = pod
                        .containers
                        .values_mut()
                        .filter(|c| c.cgroup.as_ref().is_some_and(|p| !p.is_dir()))
                        .collect();
                    let single = pod.info.containers.len() == 1;
                    let victim = if gone.len() == 1 {
                        gone.into_iter().next()
                    } else if single {
                        pod.containers.values_mut().next()
                    } else {
                        None
                    };
                    match victim {
                        Some(st) => out.push(Change::Event {
                            name: st.target.clone(),
                            t,
                            event: st.track.oom_seen(unexplained, t),
                        }),
                        None => out.push(Change::Note(format!(
                            "pod {}/{}: {unexplained} OOM kill(s) in its cgroup; the pod's status will say which container",
                            pod.info.namespace, pod.info.name
                        ))),
                    }
                }
            }
            if now.is_some() {
                pod.pod_oom = now;
            }
        }
    }
}

impl Discovery for NodeDiscovery {
    fn poll(&mut self) -> Vec<Change> {
        let mut out = Vec::new();
        for u in self.watch.drain() {
            match u {
                Update::Relist => self.relisting = Some(HashSet::new()),
                Update::Applied(p) => {
                    let uid = p.uid.clone();
                    self.applied(p, &mut out);
                    self.resolve_pod(&uid, &mut out);
                }
                Update::Deleted(p) => self.deleted(&p.uid, &mut out),
                Update::Synced => {
                    if let Some(seen) = self.relisting.take() {
                        let gone: Vec<String> = self
                            .pods
                            .keys()
                            .filter(|u| !seen.contains(*u))
                            .cloned()
                            .collect();
                        for uid in gone {
                            self.deleted(&uid, &mut out);
                        }
                    }
                    if self.failing {
                        self.failing = false;
                        out.push(Change::Note(
                            "the Kubernetes API answers again; following this node's pods".into(),
                        ));
                    }
                }
                Update::Failed(e) => {
                    if !self.failing {
                        self.failing = true;
                        out.push(Change::Note(format!(
                            "{e}; the pods known are still sampled"
                        )));
                    }
                }
                Update::Fatal(e) => out.push(Change::Note(format!(
                    "{e}; pods are no longer followed (the ones known are still sampled)"
                ))),
            }
        }
        if self.last_poll.elapsed() >= OOM_POLL {
            self.last_poll = Instant::now();
            self.poll_counters(&mut out);
        }
        out
    }

    fn shutdown(&mut self) {
        self.watch.stop();
    }
}

/// The node named must exist (a wrong $NODE_NAME would follow no pods, silently).
fn check_node(opts: &NodeOptions) -> Result<(), K8sError> {
    runtime()?.block_on(async {
        let cluster = connect(&opts.connect).await?;
        let nodes: Api<Node> = Api::all(cluster.client.clone());
        let call = Call {
            server: &cluster.server,
            verb: "get",
            resource: "nodes",
            namespace: None,
        };
        match nodes.get_opt(&opts.node).await {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(K8sError::NoSuchNode {
                server: cluster.server.clone(),
                node: opts.node.clone(),
            }),
            Err(e) => Err(call.error(e)),
        }
    })
}

/// A container's cgroup as a source: its memory; OOM kills are the discovery's to report
/// (it reads the counters every second and across container restarts).
struct ContainerSource(Box<dyn Source>);

impl Source for ContainerSource {
    fn sample(&mut self) -> Outcome {
        let mut o = self.0.sample();
        o.events.retain(|e| !matches!(e, Event::OomKill { .. }));
        o
    }

    fn finished(&self) -> bool {
        // A container's cgroup goes when it restarts; the target stays for the next one.
        false
    }

    fn shutdown(&mut self) {
        self.0.shutdown();
    }
}

/// The OOM-kill counter of the cgroup at `dir`: v2 `memory.events` `oom_kill` (the cgroup
/// and its descendants), v1 `memory.oom_control` `oom_kill`. `None` when it is gone or the
/// kernel keeps no such counter.
pub fn oom_kills(dir: &Path) -> Option<u64> {
    let text = std::fs::read_to_string(dir.join("memory.events"))
        .or_else(|_| std::fs::read_to_string(dir.join("memory.oom_control")))
        .ok()?;
    text.lines()
        .find_map(|l| l.strip_prefix("oom_kill "))
        .and_then(|v| v.trim().parse().ok())
}
