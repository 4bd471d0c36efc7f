//! A watch of one resource on a thread of its own (a current-thread async runtime), turned
//! into updates a synchronous consumer takes between rounds. `kube::runtime::watcher` lists,
//! then watches from the list's resourceVersion; when the API server answers 410 Gone (the
//! history it was watching from is compacted) it lists again, which shows here as
//! [`Update::Relist`] … [`Update::Synced`] so the consumer can drop what was deleted meanwhile.

use std::fmt::Debug;
use std::sync::mpsc::{self, Receiver, SyncSender};
use std::thread::JoinHandle;
use std::time::Duration;

use futures_util::StreamExt;
use kube::api::Api;
use kube::runtime::watcher;
use kube::Resource;
use serde::de::DeserializeOwned;

use crate::client::{connect, runtime, Connect};
use crate::error::{Call, K8sError};

/// What the consumer hears.
#[derive(Debug)]
pub enum Update<T> {
    /// The watch (re)starts with a full list; the objects follow as `Applied`.
    Relist,
    /// An object appeared or changed.
    Applied(T),
    /// An object was deleted.
    Deleted(T),
    /// The list is complete: what was not `Applied` since `Relist` is gone.
    Synced,
    /// The API failed; the watch retries with backoff (a sentence to say).
    Failed(String),
    /// The API refuses (RBAC, credentials): the watch stopped.
    Fatal(K8sError),
}

/// Which resource, where, how it is called in messages.
#[derive(Debug, Clone)]
pub struct WatchSpec {
    /// How to connect.
    pub connect: Connect,
    /// One namespace, or all.
    pub namespace: Option<String>,
    /// A field selector (`spec.nodeName=worker-1`, `reason=OOMKilling`).
    pub fields: Option<String>,
    /// The resource as RBAC names it (`pods`, `events`), for errors.
    pub resource: &'static str,
}

/// A running watch; dropping it stops the thread.
pub struct Watch<T> {
    rx: Receiver<Update<T>>,
    stop: Option<tokio::sync::oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

/// How many updates may wait for the consumer before the watch waits for it.
const QUEUE: usize = 4096;

impl<T: Send + 'static> Watch<T> {
    /// Start watching; returns once the first list answered, so that an unreachable API, a
    /// missing kubeconfig or a forbidden list is an error now.
    pub fn start<K>(spec: WatchSpec, map: fn(&K) -> Option<T>) -> Result<Watch<T>, K8sError>
    where
        K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
            + Clone
            + DeserializeOwned
            + Debug
            + Send
            + 'static,
        K::DynamicType: Default,
    {
        let (tx, rx) = mpsc::sync_channel(QUEUE);
        let (ready_tx, ready_rx) = mpsc::channel();
        let (stop_tx, stop_rx) = tokio::sync::oneshot::channel();
        let thread = std::thread::Builder::new()
            .name(format!("k8s-watch-{}", spec.resource))
            .spawn(move || run(spec, map, tx, ready_tx, stop_rx))
            .map_err(K8sError::Runtime)?;
        let mut w = Watch {
            rx,
            stop: Some(stop_tx),
            thread: Some(thread),
        };
        match ready_rx.recv() {
            Ok(Ok(())) => Ok(w),
            Ok(Err(e)) => {
                w.stop();
                Err(e)
            }
            Err(_) => {
                w.stop();
                Err(K8sError::Runtime(std::io::Error::other(
                    "the watch thread ended before its first list",
                )))
            }
        }
    }

    /// The updates that arrived, without waiting.
    pub fn drain(&self) -> Vec<Update<T>> {
        self.rx.try_iter().collect()
    }

    /// Stop the thread (closing the watch connection) and wait for it.
    pub fn stop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

impl<T> Drop for Watch<T> {
    fn drop(&mut self) {
        if let Some(s) = self.stop.take() {
            let _ = s.send(());
        }
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn run<K, T>(
    spec: WatchSpec,
    map: fn(&K) -> Option<T>,
    tx: SyncSender<Update<T>>,
    ready: mpsc::Sender<Result<(), K8sError>>,
    mut stop: tokio::sync::oneshot::Receiver<()>,
) where
    K: Resource<Scope = k8s_openapi::NamespaceResourceScope>
        + Clone
        + DeserializeOwned
        + Debug
        + Send
        + 'static,
    K::DynamicType: Default,
{
    let rt = match runtime() {
        Ok(rt) => rt,
        Err(e) => {
            let _ = ready.send(Err(e));
            return;
        }
    };
    rt.block_on(async move {
        let cluster = match connect(&spec.connect).await {
            Ok(c) => c,
            Err(e) => {
                let _ = ready.send(Err(e));
                return;
            }
        };
        let api: Api<K> = match &spec.namespace {
            Some(ns) => Api::namespaced(cluster.client.clone(), ns),
            None => Api::all(cluster.client.clone()),
        };
        let mut cfg = watcher::Config::default().page_size(crate::list::PAGE_SIZE);
        if let Some(f) = &spec.fields {
            cfg = cfg.fields(f);
        }
        let call = |verb| Call {
            server: &cluster.server,
            verb,
            resource: spec.resource,
            namespace: spec.namespace.as_deref(),
        };
        let mut stream = watcher(api, cfg).boxed();
        let mut ready = Some(ready);
        let mut backoff = Duration::from_millis(500);
        loop {
            let item = tokio::select! {
                item = stream.next() => item,
                _ = &mut stop => return,
            };
            let Some(item) = item else { return };
            let update = match item {
                Ok(watcher::Event::Init) => Update::Relist,
                Ok(watcher::Event::InitApply(o) | watcher::Event::Apply(o)) => match map(&o) {
                    Some(t) => Update::Applied(t),
                    None => continue,
                },
                Ok(watcher::Event::Delete(o)) => match map(&o) {
                    Some(t) => Update::Deleted(t),
                    None => continue,
                },
                Ok(watcher::Event::InitDone) => {
                    backoff = Duration::from_millis(500);
                    Update::Synced
                }
                // 410 Gone: the history it watched from is compacted; the watcher lists
                // again by itself (Relist … Synced follow). Not a failure.
                Err(watcher::Error::WatchError(s)) if s.code == 410 => {
                    tracing::info!(resource = spec.resource, "410 Gone: listing again");
                    continue;
                }
                Err(e) => {
                    let err = match e {
                        watcher::Error::InitialListFailed(e) => call("list").error(e),
                        watcher::Error::WatchStartFailed(e) | watcher::Error::WatchFailed(e) => {
                            call("watch").error(e)
                        }
                        watcher::Error::WatchError(s) => call("watch").error(kube::Error::Api(s)),
                        watcher::Error::NoResourceVersion => K8sError::Api {
                            server: cluster.server.clone(),
                            verb: "list",
                            resource: spec.resource,
                            code: 0,
                            reason: "NoResourceVersion".into(),
                            message: "the list carried no metadata.resourceVersion to watch from"
                                .into(),
                        },
                    };
                    if let Some(r) = ready.take() {
                        let _ = r.send(Err(err));
                        return;
                    }
                    if matches!(
                        err,
                        K8sError::Forbidden { .. } | K8sError::Unauthorized { .. }
                    ) {
                        let _ = tx.send(Update::Fatal(err));
                        return;
                    }
                    let _ = tx.send(Update::Failed(format!(
                        "{err} (retrying in {:.1}s)",
                        backoff.as_secs_f64()
                    )));
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = &mut stop => return,
                    }
                    backoff = (backoff * 2).min(Duration::from_secs(30));
                    continue;
                }
            };
            // The first list answered: the caller may go on.
            if !matches!(update, Update::Relist) {
                if let Some(r) = ready.take() {
                    let _ = r.send(Ok(()));
                }
            }
            if tx.send(update).is_err() {
                return;
            }
        }
    });
}
