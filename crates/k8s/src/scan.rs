//! `k8s scan`: one pass over a cluster (or a namespace) — containers last terminated
//! OOMKilled, containers restarting more than N times, and the OOM events of nodes joined to
//! the containers they killed — ranked, worst first.

use std::collections::{BTreeSet, HashMap};

use k8s_openapi::api::core::v1::{Event, Pod};
use kube::api::{Api, ListParams};
use serde::Serialize;

use crate::client::Cluster;
use crate::error::{Call, K8sError};
use crate::list::{list_all, PAGE_SIZE};
use crate::oom_event::{OomEvent, JOIN_WINDOW_SECONDS, REASONS};
use crate::pod::{PodInfo, Termination};
use leakscope_core::{Verdict, VerdictKind};

/// What to scan.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// One namespace, or all of them.
    pub namespace: Option<String>,
    /// Report containers restarted more than this many times (default 5).
    pub restarts_over: u32,
    /// Objects per list page.
    pub page_size: u32,
}

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            namespace: None,
            restarts_over: 5,
            page_size: PAGE_SIZE,
        }
    }
}

/// One container worth looking at.
#[derive(Debug, Clone, Serialize)]
pub struct ContainerReport {
    /// Namespace.
    pub namespace: String,
    /// Pod.
    pub pod: String,
    /// Container.
    pub container: String,
    /// The pod's controller (`Deployment/checkout`), when it has one.
    pub owner: Option<String>,
    /// The node.
    pub node: Option<String>,
    /// `restartCount`.
    pub restarts: u32,
    /// OOM kills seen: the last termination (the API keeps only the last) and the OOM events
    /// joined to it at other times — a lower bound.
    pub oom_kills: u32,
    /// How it last ended.
    pub last_termination: Option<Termination>,
    /// Its memory limit, bytes.
    pub limit_bytes: Option<f64>,
    /// Its memory request, bytes.
    pub request_bytes: Option<f64>,
    /// `running`, `waiting: CrashLoopBackOff`, ...
    pub state: String,
    /// The OOM events joined to it.
    pub oom_events: Vec<OomEvent>,
    /// Why it is listed: `oom_killed`, `restarts`, `oom_event`, `leak`.
    pub findings: Vec<&'static str>,
    /// The recognizer's verdict on its memory series (`leak`, `no_leak`,
    /// `insufficient_data`); null when no series was judged.
    pub verdict: Option<String>,
    /// The shape of its series (`linear-growth`, `plateau`, ...), when judged.
    pub pattern: Option<String>,
    /// Growth of its memory's floor, bytes per hour, when judged.
    pub growth_bytes_per_hour: Option<f64>,
    /// Time until it reaches its limit at that growth, seconds, when judged and growing.
    pub time_to_limit_seconds: Option<f64>,
}

impl ContainerReport {
    /// True when it was OOM-killed or recognized as leaking (what makes `scan` exit 1).
    pub fn is_bad(&self) -> bool {
        self.oom_kills > 0 || self.verdict.as_deref() == Some("leak")
    }
}

/// How much was looked at.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Scanned {
    /// Pods listed.
    pub pods: usize,
    /// Containers in them.
    pub containers: usize,
    /// Namespaces they are in.
    pub namespaces: usize,
    /// OOM events listed.
    pub oom_events: usize,
    /// List requests made (pages).
    pub requests: u32,
    /// Lists started again after their continue token expired.
    pub relists: u32,
    /// Memory series judged (with --prometheus).
    pub judged: usize,
}

/// The result of a scan.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanReport {
    /// Containers with findings, worst first.
    pub containers: Vec<ContainerReport>,
    /// OOM events no container could be joined to (a system OOM, a pod already gone).
    pub node_events: Vec<OomEvent>,
    /// How much was looked at.
    pub scanned: Scanned,
    /// Things said along the way (a part of the cluster that could not be read).
    pub notes: Vec<String>,
}

/// What a scan read from the API, before it is judged and ranked.
#[derive(Debug, Clone, Default)]
pub struct Collected {
    /// Every pod listed.
    pub pods: Vec<PodInfo>,
    /// Every OOM event listed.
    pub events: Vec<OomEvent>,
    /// The report so far: requests made, notes.
    pub report: ScanReport,
}

/// A container's memory series judged by the recognizer (from Prometheus).
#[derive(Debug, Clone)]
pub struct Judged {
    /// Namespace.
    pub namespace: String,
    /// Pod.
    pub pod: String,
    /// Container.
    pub container: String,
    /// The verdict on its series.
    pub verdict: Verdict,
}

/// Scan the cluster: [`collect`], then [`assemble`] without memory verdicts.
pub async fn scan(cluster: &Cluster, opts: &ScanOptions) -> Result<ScanReport, K8sError> {
    let c = collect(cluster, opts).await?;
    Ok(assemble(c, &[], opts))
}

/// List the pods and OOM events.
pub async fn collect(cluster: &Cluster, opts: &ScanOptions) -> Result<Collected, K8sError> {
    let ns = opts.namespace.as_deref();
    let pods_api: Api<Pod> = match ns {
        Some(n) => Api::namespaced(cluster.client.clone(), n),
        None => Api::all(cluster.client.clone()),
    };
    let call = Call {
        server: &cluster.server,
        verb: "list",
        resource: "pods",
        namespace: ns,
    };
    let pods = list_all(
        &pods_api,
        &ListParams::default(),
        opts.page_size,
        call,
        |p| Some(PodInfo::from_pod(p)),
    )
    .await?;
    let mut report = ScanReport::default();
    report.scanned.requests += pods.pages;
    report.scanned.relists += pods.restarts;
    let pods = pods.items;

    let mut events = Vec::new();
    for reason in REASONS {
        let sel = ListParams::default().fields(&format!("reason={reason}"));
        let mut places: Vec<Option<&str>> = vec![ns];
        // Events about a Node land in `default`; read them too when scanning one namespace.
        if ns.is_some_and(|n| n != "default") {
            places.push(Some("default"));
        }
        for (i, place) in places.into_iter().enumerate() {
            let api: Api<Event> = match place {
                Some(n) => Api::namespaced(cluster.client.clone(), n),
                None => Api::all(cluster.client.clone()),
            };
            let call = Call {
                server: &cluster.server,
                verb: "list",
                resource: "events",
                namespace: place,
            };
            match list_all(&api, &sel, opts.page_size, call, OomEvent::from_event).await {
                Ok(l) => {
                    report.scanned.requests += l.pages;
                    report.scanned.relists += l.restarts;
                    events.extend(l.items);
                }
                // The extra namespace is a courtesy: say so and go on without it.
                Err(e @ K8sError::Forbidden { .. }) if i > 0 => {
                    let note = format!("node OOM events were not read: {e}");
                    if !report.notes.contains(&note) {
                        report.notes.push(note);
                    }
                }
                Err(e) => return Err(e),
            }
        }
    }
    report.scanned.oom_events = events.len();
    Ok(Collected {
        pods,
        events,
        report,
    })
}

/// Join events and memory verdicts to containers and keep the containers with findings,
/// ranked. A leak verdict without a time to limit gets one from the container's limit in its
/// spec.
pub fn assemble(c: Collected, judged: &[Judged], opts: &ScanOptions) -> ScanReport {
    let Collected {
        pods,
        events,
        mut report,
    } = c;
    let verdicts: HashMap<(&str, &str, &str), &Verdict> = judged
        .iter()
        .map(|j| {
            (
                (j.namespace.as_str(), j.pod.as_str(), j.container.as_str()),
                &j.verdict,
            )
        })
        .collect();
    let pods = &pods;
    report.scanned.pods = pods.len();
    report.scanned.containers = pods.iter().map(|p| p.containers.len()).sum();
    report.scanned.namespaces = pods
        .iter()
        .map(|p| p.namespace.as_str())
        .collect::<BTreeSet<_>>()
        .len();
    let uid_index: HashMap<&str, usize> = pods
        .iter()
        .enumerate()
        .map(|(i, p)| (p.uid.as_str(), i))
        .collect();
    let by_uid = |u: &str| uid_index.get(u).copied();
    let mut joined: HashMap<(usize, usize), Vec<OomEvent>> = HashMap::new();
    for ev in events {
        match ev.join(pods, &by_uid) {
            Some(k) => joined.entry(k).or_default().push(ev),
            None => report.node_events.push(ev),
        }
    }
    for (pi, pod) in pods.iter().enumerate() {
        for (ci, c) in pod.containers.iter().enumerate() {
            let evs = joined.remove(&(pi, ci)).unwrap_or_default();
            let mut findings = Vec::new();
            let last_oom = c.oom_killed();
            if last_oom {
                findings.push("oom_killed");
            }
            if c.restarts > opts.restarts_over {
                findings.push("restarts");
            }
            if !evs.is_empty() {
                findings.push("oom_event");
            }
            let verdict = verdicts
                .get(&(pod.namespace.as_str(), pod.name.as_str(), c.name.as_str()))
                .copied();
            if verdict.is_some_and(|v| v.verdict == VerdictKind::Leak) {
                findings.push("leak");
            }
            if findings.is_empty() {
                continue;
            }
            let time_to_limit = verdict.and_then(|v| {
                v.time_to_limit_seconds.or_else(|| {
                    let limit = c.limit_bytes?;
                    (v.verdict == VerdictKind::Leak && v.growth_bytes_per_hour > 0.0)
                        .then(|| (limit - v.last_bytes).max(0.0) / v.growth_bytes_per_hour * 3600.0)
                })
            });
            let oom_kills = u32::from(last_oom) + other_kills(c.last_termination.as_ref(), &evs);
            report.containers.push(ContainerReport {
                namespace: pod.namespace.clone(),
                pod: pod.name.clone(),
                container: c.name.clone(),
                owner: pod.owner.clone(),
                node: pod.node.clone(),
                restarts: c.restarts,
                oom_kills,
                last_termination: c.last_termination.clone(),
                limit_bytes: c.limit_bytes,
                request_bytes: c.request_bytes,
                state: c.state.clone(),
                oom_events: evs,
                findings,
                verdict: verdict.map(|v| kind_name(v.verdict).to_string()),
                pattern: verdict.map(|v| v.pattern.as_str().to_string()),
                growth_bytes_per_hour: verdict.map(|v| v.growth_bytes_per_hour),
                time_to_limit_seconds: time_to_limit,
            });
        }
    }
    report.scanned.judged = judged.len();
    rank(&mut report.containers);
    report
}

/// The contract name of a verdict (`leak`, `no_leak`, `insufficient_data`).
fn kind_name(k: VerdictKind) -> &'static str {
    match k {
        VerdictKind::Leak => "leak",
        VerdictKind::NoLeak => "no_leak",
        VerdictKind::InsufficientData => "insufficient_data",
    }
}

/// Kills the events show beyond the last termination: each event's `count`, less one for an
/// event at the time of an OOMKilled last termination (the same kill).
fn other_kills(last: Option<&Termination>, evs: &[OomEvent]) -> u32 {
    let last_t = last.filter(|t| t.is_oom_kill()).and_then(|t| t.finished_t);
    evs.iter()
        .map(|e| {
            let same =
                matches!((last_t, e.t), (Some(a), Some(b)) if (a - b).abs() <= JOIN_WINDOW_SECONDS);
            e.count.saturating_sub(u32::from(same))
        })
        .sum()
}

/// Worst first: leaking or OOM-killed, then more kills, the latest termination, more
/// restarts; then by name, so the order is stable.
pub fn rank(list: &mut [ContainerReport]) {
    list.sort_by(|a, b| {
        b.is_bad()
            .cmp(&a.is_bad())
            .then(
                (b.verdict.as_deref() == Some("leak")).cmp(&(a.verdict.as_deref() == Some("leak"))),
            )
            .then(b.oom_kills.cmp(&a.oom_kills))
            .then_with(|| {
                let t = |c: &ContainerReport| {
                    c.last_termination
                        .as_ref()
                        .and_then(|t| t.finished_t)
                        .unwrap_or(f64::MIN)
                };
                t(b).total_cmp(&t(a))
            })
            .then(b.restarts.cmp(&a.restarts))
            .then_with(|| {
                (&a.namespace, &a.pod, &a.container).cmp(&(&b.namespace, &b.pod, &b.container))
            })
    });
}
