//! `k8s watch`: a cluster (or a namespace) followed through the watch API — pods, and the
//! `OOMKilling` and `SystemOOM` events (they expire after about an hour, so they are watched,
//! not polled) — as targets of the engine, one per container (`namespace/pod/container`, with
//! those labels), so the same rules and receivers as `watch` alert on a new OOM kill, a
//! restart storm, and, with the metrics API (metrics-server), memory recognized as leaking.
//! A node OOM event that matches no container becomes an event of a target `node/NAME`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use k8s_openapi::api::core::v1::{Event as ApiEvent, Pod};
use leakscope_agent::discover::{Change, Discovered, Discovery};
use leakscope_agent::source::{Fields, Outcome, Source};

use crate::client::Connect;
use crate::error::K8sError;
use crate::metrics_api::{MetricsPoll, Usage};
use crate::oom_event::{OomEvent, REASONS};
use crate::pod::PodInfo;
use crate::tracker::ContainerTrack;
use crate::watch::{Update, Watch, WatchSpec};

/// The kind of a cluster watch's targets, in the store.
pub const KIND: &str = "k8s-container";

/// What `k8s watch` follows.
#[derive(Debug, Clone)]
pub struct ClusterOptions {
    /// How to connect.
    pub connect: Connect,
    /// One namespace, or all.
    pub namespace: Option<String>,
    /// Read memory from the metrics API this often (None: no memory, events only).
    pub metrics_every: Option<Duration>,
}

/// The newest memory reading of a container, handed from the metrics poll to its source.
#[derive(Debug, Default)]
struct Feed {
    newest: Option<(f64, f64)>,
    taken: f64,
}

struct Tracked {
    target: String,
    track: ContainerTrack,
    feed: Arc<Mutex<Feed>>,
}

/// The cluster watch's discovery.
pub struct ClusterDiscovery {
    pods_watch: Watch<PodInfo>,
    event_watches: Vec<Watch<OomEvent>>,
    metrics: Option<MetricsPoll>,
    pods: HashMap<String, (PodInfo, HashMap<String, Tracked>)>,
    relisting: Option<Vec<String>>,
    /// Event objects already counted: name → count.
    events_seen: HashMap<String, u32>,
    /// Events listed before watching are history.
    events_synced: Vec<bool>,
    nodes: HashMap<String, u64>,
    failing: bool,
}

impl ClusterDiscovery {
    /// Connect, list pods and OOM events (errors now: unreachable, forbidden), then follow.
    pub fn start(opts: &ClusterOptions) -> Result<ClusterDiscovery, K8sError> {
        let pods_watch = Watch::start::<Pod>(
            WatchSpec {
                connect: opts.connect.clone(),
                namespace: opts.namespace.clone(),
                fields: None,
                resource: "pods",
            },
            |p| Some(PodInfo::from_pod(p)),
        )?;
        let mut event_watches = Vec::new();
        for reason in REASONS {
            event_watches.push(Watch::start::<ApiEvent>(
                WatchSpec {
                    connect: opts.connect.clone(),
                    namespace: opts.namespace.clone(),
                    fields: Some(format!("reason={reason}")),
                    resource: "events",
                },
                OomEvent::from_event,
            )?);
        }
        let metrics = match opts.metrics_every {
            Some(every) => Some(MetricsPoll::start(
                opts.connect.clone(),
                opts.namespace.clone(),
                every,
            )?),
            None => None,
        };
        Ok(ClusterDiscovery {
            events_synced: vec![false; event_watches.len()],
            pods_watch,
            event_watches,
            metrics,
            pods: HashMap::new(),
            relisting: None,
            events_seen: HashMap::new(),
            nodes: HashMap::new(),
            failing: false,
        })
    }

    fn pod_applied(&mut self, info: PodInfo, out: &mut Vec<Change>) {
        if let Some(seen) = &mut self.relisting {
            seen.push(info.uid.clone());
        }
        let t = leakscope_agent::now();
        let first = !self.pods.contains_key(&info.uid);
        let entry = self
            .pods
            .entry(info.uid.clone())
            .or_insert_with(|| (info.clone(), HashMap::new()));
        entry.0 = info;
        let (pod, tracked) = entry;
        for c in &pod.containers {
            if let Some(tr) = tracked.get_mut(&c.name) {
                for event in tr.track.observe(c, t) {
                    out.push(Change::Event {
                        name: tr.target.clone(),
                        t,
                        event,
                    });
                }
                continue;
            }
            let target = format!("{}/{}/{}", pod.namespace, pod.name, c.name);
            let feed = Arc::new(Mutex::new(Feed::default()));
            out.push(Change::Add(Discovered {
                name: target.clone(),
                kind: KIND,
                describe: format!("pod {}/{} container {}", pod.namespace, pod.name, c.name),
                labels: vec![
                    ("namespace".into(), pod.namespace.clone()),
                    ("pod".into(), pod.name.clone()),
                    ("container".into(), c.name.clone()),
                ],
                limit_bytes: c.limit_bytes,
                source: Box::new(FeedSource {
                    feed: Arc::clone(&feed),
                    limit: c.limit_bytes,
                }),
            }));
            let mut track = ContainerTrack::new(c);
            if !first {
                // A container added to a running pod (an ephemeral one): its status is news.
                for event in track.observe(c, t) {
                    out.push(Change::Event {
                        name: target.clone(),
                        t,
                        event,
                    });
                }
            }
            tracked.insert(
                c.name.clone(),
                Tracked {
                    target,
                    track,
                    feed,
                },
            );
        }
    }

    fn pod_deleted(&mut self, uid: &str, out: &mut Vec<Change>) {
        if let Some((_, tracked)) = self.pods.remove(uid) {
            for tr in tracked.into_values() {
                out.push(Change::Remove { name: tr.target });
            }
        }
    }

    fn oom_event(&mut self, ev: OomEvent, history: bool, out: &mut Vec<Change>) {
        let before = self
            .events_seen
            .insert(ev.id.clone(), ev.count)
            .unwrap_or(0);
        if history || ev.count <= before {
            return;
        }
        let t = ev.t.unwrap_or_else(leakscope_agent::now);
        let list: Vec<PodInfo> = self.pods.values().map(|(p, _)| p.clone()).collect();
        let by_uid = |u: &str| list.iter().position(|p| p.uid == u);
        if let Some((pi, ci)) = ev.join(&list, &by_uid) {
            let (pod, c) = (&list[pi], &list[pi].containers[ci]);
            if let Some(tr) = self
                .pods
                .get_mut(&pod.uid)
                .and_then(|(_, m)| m.get_mut(&c.name))
            {
                if let Some(event) = tr.track.oom_event(t) {
                    out.push(Change::Event {
                        name: tr.target.clone(),
                        t,
                        event,
                    });
                }
                return;
            }
        }
        // Nothing to join it to: the node itself is the target.
        let node = ev.node.clone().unwrap_or_else(|| "unknown".into());
        let target = format!("node/{node}");
        let count = self.nodes.entry(node.clone()).or_insert(0);
        if *count == 0 {
            out.push(Change::Add(Discovered {
                name: target.clone(),
                kind: "k8s-node",
                describe: format!("node {node}"),
                labels: vec![("node".into(), node.clone())],
                limit_bytes: None,
                source: Box::new(FeedSource {
                    feed: Arc::new(Mutex::new(Feed::default())),
                    limit: None,
                }),
            }));
        }
        let delta = u64::from(ev.count - before);
        *count += delta;
        out.push(Change::Note(format!(
            "{} on node {node}: {}",
            ev.reason,
            ev.message.chars().take(200).collect::<String>()
        )));
        out.push(Change::Event {
            name: target,
            t,
            event: leakscope_agent::event::Event::OomKill {
                delta,
                total: *count,
            },
        });
    }

    fn usage(&mut self, usage: Vec<Usage>) {
        let by_name: HashMap<(&str, &str), &PodInfo> = self
            .pods
            .values()
            .map(|(p, _)| ((p.namespace.as_str(), p.name.as_str()), p))
            .collect();
        let mut hits = Vec::new();
        for u in &usage {
            if let Some(p) = by_name.get(&(u.namespace.as_str(), u.pod.as_str())) {
                hits.push((p.uid.clone(), u));
            }
        }
        for (uid, u) in hits {
            if let Some(tr) = self.pods.get(&uid).and_then(|(_, m)| m.get(&u.container)) {
                if let Ok(mut f) = tr.feed.lock() {
                    f.newest = Some((u.t, u.working_set_bytes));
                }
            }
        }
    }
}

impl Discovery for ClusterDiscovery {
    fn poll(&mut self) -> Vec<Change> {
        let mut out = Vec::new();
        let mut failed = Vec::new();
        // Anything but a failure means the API answers.
        let mut answered = false;
        for u in self.pods_watch.drain() {
            match u {
                Update::Relist => self.relisting = Some(Vec::new()),
                Update::Applied(p) => {
                    answered = true;
                    self.pod_applied(p, &mut out);
                }
                Update::Deleted(p) => {
                    answered = true;
                    self.pod_deleted(&p.uid, &mut out);
                }
                Update::Synced => {
                    answered = true;
                    if let Some(seen) = self.relisting.take() {
                        let seen: std::collections::HashSet<String> = seen.into_iter().collect();
                        let gone: Vec<String> = self
                            .pods
                            .keys()
                            .filter(|u| !seen.contains(*u))
                            .cloned()
                            .collect();
                        for uid in gone {
                            self.pod_deleted(&uid, &mut out);
                        }
                    }
                }
                Update::Failed(e) => failed.push(e),
                Update::Fatal(e) => failed.push(format!("{e}; pods are no longer followed")),
            }
        }
        for i in 0..self.event_watches.len() {
            for u in self.event_watches[i].drain() {
                match u {
                    Update::Relist => {}
                    Update::Applied(ev) => {
                        answered = true;
                        let history = !self.events_synced[i];
                        self.oom_event(ev, history, &mut out);
                    }
                    // Events expire (about an hour): forget them with their counts.
                    Update::Deleted(ev) => {
                        self.events_seen.remove(&ev.id);
                    }
                    Update::Synced => {
                        answered = true;
                        self.events_synced[i] = true;
                    }
                    Update::Failed(e) => failed.push(e),
                    Update::Fatal(e) => {
                        failed.push(format!("{e}; OOM events are no longer followed"))
                    }
                }
            }
        }
        if let Some(m) = &self.metrics {
            for r in m.drain() {
                match r {
                    Ok(u) => self.usage(u),
                    Err(e) => failed.push(e),
                }
            }
        }
        if let Some(e) = failed.into_iter().next() {
            if !self.failing {
                self.failing = true;
                out.push(Change::Note(e));
            }
        } else if self.failing && answered {
            self.failing = false;
            out.push(Change::Note(
                "the Kubernetes API answers again; following pods and OOM events".into(),
            ));
        }
        out
    }

    fn shutdown(&mut self) {
        self.pods_watch.stop();
        for w in &mut self.event_watches {
            w.stop();
        }
        if let Some(m) = &mut self.metrics {
            m.stop();
        }
    }
}

/// A container's memory as the metrics API last gave it (one reading per new value); events
/// come from the discovery.
struct FeedSource {
    feed: Arc<Mutex<Feed>>,
    limit: Option<f64>,
}

impl Source for FeedSource {
    fn sample(&mut self) -> Outcome {
        let Ok(mut f) = self.feed.lock() else {
            return Outcome::default();
        };
        let Some((t, v)) = f.newest.filter(|(t, _)| *t > f.taken) else {
            return Outcome::default();
        };
        f.taken = t;
        let mut fields: Fields = vec![("cgroup_working_set_bytes".into(), v)];
        if let Some(l) = self.limit {
            fields.push(("cgroup_limit_bytes".into(), l));
        }
        Outcome {
            reading: Some(Ok(fields)),
            events: vec![],
        }
    }

    fn finished(&self) -> bool {
        false
    }
}
