//! Container memory from the metrics API (`metrics.k8s.io/v1beta1` PodMetrics, served by
//! metrics-server: what `kubectl top pods` shows — each container's working set), read every
//! interval on a thread of its own, page by page.

use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use kube::api::{Api, ApiResource, DynamicObject, GroupVersionKind, ListParams};

use crate::client::{connect, runtime, Connect};
use crate::error::{Call, K8sError};
use crate::list::{list_all, PAGE_SIZE};
use crate::quantity;

/// One container's memory at one time.
#[derive(Debug, Clone, PartialEq)]
pub struct Usage {
    /// Namespace.
    pub namespace: String,
    /// Pod.
    pub pod: String,
    /// Container.
    pub container: String,
    /// When metrics-server measured it, unix seconds.
    pub t: f64,
    /// Its working set, bytes.
    pub working_set_bytes: f64,
}

/// The PodMetrics of `o`, one [`Usage`] per container.
pub fn usage_of(o: &DynamicObject) -> Vec<Usage> {
    let ns = o.metadata.namespace.clone().unwrap_or_default();
    let pod = o.metadata.name.clone().unwrap_or_default();
    let t = o
        .data
        .get("timestamp")
        .and_then(|v| v.as_str())
        .and_then(|s| s.parse::<k8s_openapi::jiff::Timestamp>().ok())
        .map(|ts| ts.as_millisecond() as f64 / 1000.0)
        .unwrap_or_else(leakscope_agent::now);
    o.data
        .get("containers")
        .and_then(|c| c.as_array())
        .map(|cs| {
            cs.iter()
                .filter_map(|c| {
                    Some(Usage {
                        namespace: ns.clone(),
                        pod: pod.clone(),
                        container: c.get("name")?.as_str()?.to_string(),
                        t,
                        working_set_bytes: quantity::bytes(
                            c.get("usage")?.get("memory")?.as_str()?,
                        )?,
                    })
                })
                .collect()
        })
        .unwrap_or_default()
}

/// The metrics API read every interval; dropping it stops the thread.
pub struct MetricsPoll {
    rx: Receiver<Result<Vec<Usage>, String>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsPoll {
    /// Start reading every `every`.
    pub fn start(
        connect_to: Connect,
        namespace: Option<String>,
        every: Duration,
    ) -> Result<MetricsPoll, K8sError> {
        let (tx, rx) = mpsc::sync_channel(4);
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name("k8s-metrics".into())
            .spawn(move || poll(connect_to, namespace, every, tx, stop_rx))
            .map_err(K8sError::Runtime)?;
        Ok(MetricsPoll {
            rx,
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    /// What arrived: readings, or a sentence when a read failed.
    pub fn drain(&self) -> Vec<Result<Vec<Usage>, String>> {
        self.rx.try_iter().collect()
    }

    /// Stop the thread.
    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl Drop for MetricsPoll {
    fn drop(&mut self) {
        self.stop();
    }
}

fn poll(
    connect_to: Connect,
    namespace: Option<String>,
    every: Duration,
    tx: SyncSender<Result<Vec<Usage>, String>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) {
    let Ok(rt) = runtime() else { return };
    rt.block_on(async move {
        let cluster = match connect(&connect_to).await {
            Ok(c) => c,
            Err(e) => {
                let _ = tx.send(Err(e.to_string()));
                return;
            }
        };
        let ar = ApiResource::from_gvk_with_plural(
            &GroupVersionKind::gvk("metrics.k8s.io", "v1beta1", "PodMetrics"),
            "pods",
        );
        let api: Api<DynamicObject> = match &namespace {
            Some(ns) => Api::namespaced_with(cluster.client.clone(), ns, &ar),
            None => Api::all_with(cluster.client.clone(), &ar),
        };
        let call = Call {
            server: &cluster.server,
            verb: "list",
            resource: "pods.metrics.k8s.io",
            namespace: namespace.as_deref(),
        };
        loop {
            let r = list_all(&api, &ListParams::default(), PAGE_SIZE, call, |o| Some(usage_of(o))).await;
            let msg = match r {
                Ok(l) => Ok(l.items.into_iter().flatten().collect()),
                Err(K8sError::Api { code: 404, .. }) => {
                    let _ = tx.send(Err(format!(
                        "the metrics API (metrics.k8s.io) is not served at {}: install metrics-server for memory and leak recognition; OOM kills and restarts are still watched",
                        cluster.server
                    )));
                    return;
                }
                Err(e) => Err(format!("cannot read container memory: {e}")),
            };
            if tx.send(msg).is_err() {
                return;
            }
            tokio::select! {
                _ = tokio::time::sleep(every) => {}
                _ = &mut stop => return,
            }
        }
    });
}
