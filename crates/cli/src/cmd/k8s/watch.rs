//! `leakscope k8s watch`: the engine of `watch` with the cluster's containers as targets
//! (`leakscope_k8s::cluster`), alerting through the same rules and receivers.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use leakscope_agent::engine::log::SampleLog;
use leakscope_agent::event::Event;
use leakscope_agent::{Engine, EngineOptions, Observer, ReceiverSpec, Settings};
use leakscope_core::VerdictKind;
use leakscope_k8s::cluster::{ClusterDiscovery, ClusterOptions};
use leakscope_probe::error::ProbeError;
use leakscope_probe::http::HttpOptions;

use super::K8sWatchArgs;
use crate::cli::Common;

/// Watch the cluster until stopped; exit 1 when a leak alert fired or a leak was recognized.
pub fn run(args: &K8sWatchArgs, common: &Common) -> anyhow::Result<u8> {
    let stop = Arc::new(AtomicBool::new(false));
    for sig in [signal_hook::consts::SIGINT, signal_hook::consts::SIGTERM] {
        signal_hook::flag::register(sig, Arc::clone(&stop))
            .context("cannot install the signal handler")?;
    }
    let mut settings = Settings {
        rules: args.rules.apply(&Settings::default().rules),
        log: args.log.clone(),
        listen: args.listen,
        ..Settings::default()
    };
    if let Some(i) = args.interval {
        anyhow::ensure!(!i.is_zero(), "--interval must be more than 0");
        settings.interval = i;
    }
    if let Some(m) = args.min_span {
        anyhow::ensure!(!m.is_zero(), "--min-span must be more than 0");
        settings.min_span = Some(m);
    }
    if let Some(url) = &args.webhook {
        leakscope_probe::http::validate_url(url).context("--webhook")?;
        settings.receivers.push(ReceiverSpec::Webhook {
            url: url.clone(),
            http: HttpOptions {
                ca_file: args.ca_file.clone(),
                ..Default::default()
            },
        });
    }
    let db = args.db.path()?;
    settings.store.path = Some(db.clone());
    let discovery = ClusterDiscovery::start(&ClusterOptions {
        connect: args.cluster.connect(),
        namespace: args.cluster.namespace.clone(),
        metrics_every: (!args.no_metrics).then_some(settings.interval),
    })?;
    let store = crate::cli::open_store(&db, common.quiet)?;
    let log = SampleLog::open(settings.log.as_deref())?;
    let opts = EngineOptions {
        count: args.count,
        duration: args.duration,
        ..EngineOptions::default()
    };
    let mut engine = Engine::start(&settings, store, log, opts)?;
    engine.discover(Box::new(discovery));
    if !common.quiet {
        eprintln!(
            "leakscope: following pods and OOM events {}",
            match &args.cluster.namespace {
                Some(ns) => format!("in namespace {ns}"),
                None => "in every namespace".into(),
            }
        );
        if let Some(addr) = engine.metrics_addr() {
            eprintln!("leakscope: serving /metrics and /healthz on http://{addr}");
        }
    }
    let mut view = View {
        quiet: common.quiet,
        stop,
    };
    engine.run(&mut view);
    let summary = engine.finish(&mut view, Duration::from_secs(6));
    let leak = summary.leak_alerted
        || summary
            .verdicts
            .iter()
            .any(|(v, _)| v.verdict == VerdictKind::Leak);
    Ok(u8::from(leak))
}

/// What `k8s watch` says on stderr.
struct View {
    quiet: bool,
    stop: Arc<AtomicBool>,
}

impl Observer for View {
    fn event(&mut self, target: &str, _t: f64, ev: &Event) {
        if !self.quiet {
            eprintln!("leakscope: {target}: {}: {}", ev.kind(), ev.detail());
        }
    }

    fn failure(&mut self, target: &str, err: &ProbeError, count: u64) {
        if !self.quiet && (count == 1 || count % 10 == 0) {
            eprintln!("leakscope: {target}: sample failed ({count} so far): {err}");
        }
    }

    fn note(&mut self, text: &str) {
        if !self.quiet {
            eprintln!("leakscope: {text}");
        }
    }

    fn should_stop(&mut self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }
}
