//! `leakscope k8s scan|watch`: flags here; the work is in `leakscope_k8s` (built with the
//! cargo feature `k8s`, on by default).

#[cfg(feature = "k8s")]
mod scan;
#[cfg(feature = "k8s")]
mod watch;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use clap::{Args, Subcommand};

use crate::cli::{Common, DbArgs};
use crate::cmd::watch::rules::RuleArgs;
use crate::units;

#[derive(Debug, Subcommand)]
pub enum K8sCommand {
    /// One pass over a cluster: containers OOM-killed, restarting, and node OOM events.
    #[command(
        after_help = "Examples:\n  leakscope k8s scan\n  leakscope k8s scan --namespace shop --restarts 3 --format json\n  leakscope k8s scan --prometheus http://prometheus:9090 --range 24h\n  leakscope k8s scan --server http://127.0.0.1:8001   # through `kubectl proxy`\n\nExit codes: 0 = nothing OOM-killed or leaking, 1 = a container was OOM-killed or is leaking, 2 = error.\n\nIn a pod, with no --kubeconfig, --server or kubeconfig file, the pod's service account is used:\nHTTPS to $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT trusting only its ca.crt, its token\n(re-read as it rotates) and namespace, from /var/run/secrets/kubernetes.io/serviceaccount or the\ndirectory in $LEAKSCOPE_SERVICEACCOUNT_DIR (tests)."
    )]
    Scan(Box<ScanArgs>),
    /// Follow pods and OOM events through the watch API and alert, as `watch` does, on a new
    /// OOM kill, a restart storm, and memory recognized as leaking (from metrics-server).
    #[command(
        after_help = "Examples:\n  leakscope k8s watch --webhook http://alert-receiver:8080/hook\n  leakscope k8s watch -n shop --interval 30s --listen 127.0.0.1:9464 --db /var/lib/leakscope/k8s.db\n\nEach container is a target `namespace/pod/container` with those labels; a node OOM event no\ncontainer explains is an event of `node/NAME`. Exit codes: 0 = no leak, 1 = a leak, 2 = error.\n\nIn a pod, with no --kubeconfig, --server or kubeconfig file, the pod's service account is used:\nHTTPS to $KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT trusting only its ca.crt, its token\n(re-read as it rotates) and namespace, from /var/run/secrets/kubernetes.io/serviceaccount or the\ndirectory in $LEAKSCOPE_SERVICEACCOUNT_DIR (tests)."
    )]
    Watch(Box<K8sWatchArgs>),
}

#[derive(Debug, Args)]
pub struct K8sWatchArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Time between rounds: memory read from the metrics API, alerts judged [default: 30s].
    #[arg(long, value_parser = units::parse_duration)]
    pub interval: Option<Duration>,
    /// Stop after this long (default: until Ctrl-C or SIGTERM).
    #[arg(long, value_parser = units::parse_duration)]
    pub duration: Option<Duration>,
    /// Stop after this many rounds.
    #[arg(long, value_name = "N")]
    pub count: Option<u64>,
    /// Do not read memory from the metrics API (OOM kills and restarts only).
    #[arg(long)]
    pub no_metrics: bool,
    #[command(flatten)]
    pub db: DbArgs,
    /// Write the JSON-line sample and event log here instead of stdout.
    #[arg(long, value_name = "FILE")]
    pub log: Option<PathBuf>,
    /// Also POST alerts here, in the Alertmanager webhook format (http:// or https://).
    #[arg(long, value_name = "URL")]
    pub webhook: Option<String>,
    /// Trust only the CA certificates in this PEM file for an https --webhook.
    #[arg(long, value_name = "FILE")]
    pub ca_file: Option<PathBuf>,
    /// Serve Prometheus metrics (/metrics) and /healthz here; a bare port listens on
    /// 127.0.0.1.
    #[arg(long, value_name = "ADDR", value_parser = crate::cmd::watch::parse_listen)]
    pub listen: Option<SocketAddr>,
    #[command(flatten)]
    pub rules: RuleArgs,
    /// The shortest span of samples recognition judges before calling a leak [default: 20m];
    /// lower it to see a leak sooner in a short soak or in CI.
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration)]
    pub min_span: Option<Duration>,
}

/// Which cluster, and which part of it.
#[derive(Debug, Args, Clone)]
pub struct ClusterArgs {
    /// A kubeconfig file (its current context) [default: $KUBECONFIG or ~/.kube/config, else
    /// in a pod its service account: /var/run/secrets/kubernetes.io/serviceaccount, or the
    /// directory in $LEAKSCOPE_SERVICEACCOUNT_DIR].
    #[arg(long, value_name = "FILE", conflicts_with = "server")]
    pub kubeconfig: Option<PathBuf>,
    /// The API server's URL, e.g. http://127.0.0.1:8001 behind `kubectl proxy` (no credentials
    /// are sent).
    #[arg(long, value_name = "URL")]
    pub server: Option<String>,
    /// Only this namespace.
    #[arg(
        long,
        short = 'n',
        value_name = "NS",
        conflicts_with = "all_namespaces"
    )]
    pub namespace: Option<String>,
    /// Every namespace (the default).
    #[arg(long, short = 'A')]
    pub all_namespaces: bool,
}

#[derive(Debug, Args)]
pub struct ScanArgs {
    #[command(flatten)]
    pub cluster: ClusterArgs,
    /// Report containers restarted more than this many times.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub restarts: u32,
    /// Objects asked for per list request (`limit`; the rest follows with `continue`).
    #[arg(long, value_name = "N", default_value_t = 500, value_parser = clap::value_parser!(u32).range(1..))]
    pub page_size: u32,
    #[command(flatten)]
    pub prom: crate::prom_args::PromArgs,
    /// With --prometheus: how far back from --end each container's
    /// container_memory_working_set_bytes is judged.
    #[arg(long, value_name = "DURATION", default_value = "24h", value_parser = units::parse_duration)]
    pub range: Duration,
    /// With --prometheus: the end of the range, unix seconds or RFC 3339 [default: now].
    #[arg(long, value_name = "TIME", value_parser = leakscope_fleet::range::parse_time)]
    pub end: Option<f64>,
}

/// Run a `k8s` command.
pub fn run(cmd: &K8sCommand, common: &Common) -> anyhow::Result<u8> {
    match cmd {
        #[cfg(feature = "k8s")]
        K8sCommand::Scan(args) => scan::run(args, common),
        #[cfg(feature = "k8s")]
        K8sCommand::Watch(args) => watch::run(args, common),
        #[cfg(not(feature = "k8s"))]
        K8sCommand::Scan(_) | K8sCommand::Watch(_) => {
            let _ = common;
            Err(not_built())
        }
    }
}

/// The error of a Kubernetes command in a build without the `k8s` feature.
#[cfg(not(feature = "k8s"))]
pub fn not_built() -> anyhow::Error {
    anyhow::anyhow!(
        "this leakscope was built without Kubernetes support; build it with `cargo build --features k8s` (the default)"
    )
}

#[cfg(feature = "k8s")]
impl ClusterArgs {
    /// How to connect.
    pub fn connect(&self) -> leakscope_k8s::Connect {
        leakscope_k8s::Connect {
            kubeconfig: self.kubeconfig.clone(),
            server: self.server.clone(),
        }
    }
}
