//! What can go wrong talking to a cluster, each said as one sentence that names what to do.

/// An error of the Kubernetes side of leakscope.
#[derive(Debug, thiserror::Error)]
pub enum K8sError {
    /// No kubeconfig was found and leakscope is not running in a pod.
    #[error("no Kubernetes configuration: no kubeconfig at $KUBECONFIG or ~/.kube/config and not running in a pod ({detail}); pass --kubeconfig FILE or --server URL")]
    NoConfig {
        /// What was tried.
        detail: String,
    },
    /// Running in a pod (KUBERNETES_SERVICE_HOST is set) but its service account is unusable.
    #[error("running in a pod, but cannot use its service account: {detail}; mount the service account token (automountServiceAccountToken), or pass --kubeconfig FILE or --server URL")]
    InCluster {
        /// What is missing.
        detail: String,
    },
    /// The kubeconfig named could not be read or used.
    #[error("cannot use the kubeconfig {path}: {detail}")]
    Kubeconfig {
        /// The file.
        path: String,
        /// Why.
        detail: String,
    },
    /// `--server` is not a URL.
    #[error("--server {url:?} is not a URL like https://10.0.0.1:6443 ({detail})")]
    BadServer {
        /// What was given.
        url: String,
        /// Why.
        detail: String,
    },
    /// The API server did not answer.
    #[error("cannot reach the Kubernetes API at {server}: {detail}")]
    Unreachable {
        /// The API server's URL.
        server: String,
        /// The network error.
        detail: String,
    },
    /// The TLS handshake failed: most often a certificate the trusted CA does not vouch for.
    #[error("the Kubernetes API at {server} failed the TLS handshake ({detail}): the server's certificate must be signed by the trusted CA (in a pod, the service account's ca.crt; else the kubeconfig's certificate-authority) and name this address")]
    Tls {
        /// The API server's URL.
        server: String,
        /// What TLS said.
        detail: String,
    },
    /// RBAC forbids a verb on a resource.
    #[error("the Kubernetes API at {server} forbids {verb} on {resource} {scope} (RBAC: grant the verb \"{verb}\" on \"{resource}\" to this identity, e.g. with deploy/kubernetes/rbac.yaml): {message}")]
    Forbidden {
        /// The API server's URL.
        server: String,
        /// get, list or watch.
        verb: &'static str,
        /// pods, events, nodes ...
        resource: &'static str,
        /// "in namespace X" or "across all namespaces".
        scope: String,
        /// The server's message (it names the user).
        message: String,
    },
    /// The credentials were not accepted.
    #[error("the Kubernetes API at {server} did not accept the credentials (401 Unauthorized): {message}; check the kubeconfig's user or the service account token")]
    Unauthorized {
        /// The API server's URL.
        server: String,
        /// The server's message.
        message: String,
    },
    /// Any other answer of the API server.
    #[error(
        "the Kubernetes API at {server} answered {verb} {resource} with {code} {reason}: {message}"
    )]
    Api {
        /// The API server's URL.
        server: String,
        /// The verb.
        verb: &'static str,
        /// The resource.
        resource: &'static str,
        /// HTTP status.
        code: u16,
        /// The Status reason.
        reason: String,
        /// The Status message.
        message: String,
    },
    /// The node agent's node is not in the cluster.
    #[error("the Kubernetes API at {server} has no node named {node:?}; set NODE_NAME (the DaemonSet passes spec.nodeName) or --node to this node's name")]
    NoSuchNode {
        /// The API server's URL.
        server: String,
        /// The name given.
        node: String,
    },
    /// The client could not be built (TLS setup, a bad certificate in the kubeconfig).
    #[error("cannot set up the Kubernetes client for {server}: {detail}")]
    Client {
        /// The API server's URL.
        server: String,
        /// Why.
        detail: String,
    },
    /// A thread or the async runtime could not be started.
    #[error("cannot start the Kubernetes client's runtime: {0}")]
    Runtime(#[source] std::io::Error),
}

/// What was asked when an API call failed, for the error sentence.
#[derive(Debug, Clone, Copy)]
pub struct Call<'a> {
    /// The API server's URL.
    pub server: &'a str,
    /// get, list or watch.
    pub verb: &'static str,
    /// The resource (plural, as RBAC names it).
    pub resource: &'static str,
    /// The namespace, or None for all namespaces.
    pub namespace: Option<&'a str>,
}

impl Call<'_> {
    /// The error for `e`, which this call got.
    pub fn error(&self, e: kube::Error) -> K8sError {
        let server = self.server.to_string();
        if let Some(detail) = tls_failure(&e) {
            return K8sError::Tls { server, detail };
        }
        match e {
            kube::Error::Api(status) => match status.code {
                403 => K8sError::Forbidden {
                    server,
                    verb: self.verb,
                    resource: self.resource,
                    scope: match self.namespace {
                        Some(ns) => format!("in namespace {ns}"),
                        None => "across all namespaces".to_string(),
                    },
                    message: status.message.clone(),
                },
                401 => K8sError::Unauthorized {
                    server,
                    message: status.message.clone(),
                },
                code => K8sError::Api {
                    server,
                    verb: self.verb,
                    resource: self.resource,
                    code,
                    reason: status.reason.clone(),
                    message: status.message.clone(),
                },
            },
            kube::Error::HyperError(_) | kube::Error::Service(_) | kube::Error::ReadEvents(_) => {
                K8sError::Unreachable {
                    server,
                    detail: innermost(&e),
                }
            }
            other => K8sError::Api {
                server,
                verb: self.verb,
                resource: self.resource,
                code: 0,
                reason: "ClientError".to_string(),
                message: innermost(&other),
            },
        }
    }
}

/// What TLS said, when `e` is (or was caused by) a TLS failure. rustls' error travels inside
/// io::Errors (one in another), whose `source` skips what they wrap, so those are opened.
fn tls_failure(e: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut cur = Some(e);
    while let Some(err) = cur {
        if let Some(t) = err.downcast_ref::<rustls::Error>() {
            return Some(t.to_string());
        }
        cur = match err
            .downcast_ref::<std::io::Error>()
            .and_then(|io| io.get_ref())
        {
            Some(inner) => Some(inner as &(dyn std::error::Error + 'static)),
            None => err.source(),
        };
    }
    None
}

/// The deepest cause's message (e.g. "Connection refused (os error 111)"), which says more
/// than the layers of client wrapping around it; its first line only (a YAML parser's error
/// goes on with a snippet of the file).
pub fn innermost(e: &dyn std::error::Error) -> String {
    let mut cur: &dyn std::error::Error = e;
    let mut text = cur.to_string();
    while let Some(next) = cur.source() {
        let t = next.to_string();
        if !t.is_empty() {
            text = t;
        }
        cur = next;
    }
    text.lines().next().unwrap_or("").trim().to_string()
}
