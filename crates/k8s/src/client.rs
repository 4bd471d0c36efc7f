//! Connecting to a cluster: `--server URL`, `--kubeconfig FILE`, or what the environment says
//! ($KUBECONFIG or ~/.kube/config, else the pod's service account when run in a pod).

use std::path::{Path, PathBuf};
use std::time::Duration;

use kube::config::{KubeConfigOptions, Kubeconfig};

use crate::error::{innermost, K8sError};

/// How long connecting to the API server may take.
pub const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// Where the cluster is, as the flags say.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Connect {
    /// A kubeconfig file (its current context).
    pub kubeconfig: Option<PathBuf>,
    /// The API server's URL, without credentials (e.g. `kubectl proxy` at
    /// http://127.0.0.1:8001).
    pub server: Option<String>,
}

/// A connected client and the server's URL (for messages).
#[derive(Clone)]
pub struct Cluster {
    /// The kube client.
    pub client: kube::Client,
    /// The API server's URL.
    pub server: String,
}

/// Build the client the flags ask for. Nothing is sent yet: an unreachable server or missing
/// permission shows at the first call, named by it.
pub async fn connect(c: &Connect) -> Result<Cluster, K8sError> {
    let mut config = if let Some(url) = &c.server {
        let uri: http::Uri =
            url.parse()
                .map_err(|e: http::uri::InvalidUri| K8sError::BadServer {
                    url: url.clone(),
                    detail: e.to_string(),
                })?;
        if uri.scheme().is_none() || uri.host().is_none() {
            return Err(K8sError::BadServer {
                url: url.clone(),
                detail: "it needs a scheme and a host".into(),
            });
        }
        kube::Config::new(uri)
    } else if let Some(path) = &c.kubeconfig {
        let shown = path.display().to_string();
        let kc = Kubeconfig::read_from(path).map_err(|e| K8sError::Kubeconfig {
            path: shown.clone(),
            detail: innermost(&e),
        })?;
        kube::Config::from_custom_kubeconfig(kc, &KubeConfigOptions::default())
            .await
            .map_err(|e| K8sError::Kubeconfig {
                path: shown,
                detail: innermost(&e),
            })?
    } else {
        match kube::Config::from_kubeconfig(&KubeConfigOptions::default()).await {
            Ok(config) => config,
            Err(no_kubeconfig) => match InClusterEnv::from_env()? {
                Some(pod) => pod.config()?,
                None => {
                    return Err(K8sError::NoConfig {
                        detail: innermost(&no_kubeconfig),
                    })
                }
            },
        }
    };
    config.connect_timeout = Some(CONNECT_TIMEOUT);
    // kube's own retry of 429/503/504 backs off up to 15 times (minutes) without a word; the
    // watches retry with a backoff they report, and lists retry a little (`list`).
    config.default_retry = false;
    let server = config
        .cluster_url
        .to_string()
        .trim_end_matches('/')
        .to_string();
    let client = kube::Client::try_from(config).map_err(|e| K8sError::Client {
        server: server.clone(),
        detail: innermost(&e),
    })?;
    Ok(Cluster { client, server })
}

/// Where a pod's service account is mounted: `token`, `ca.crt` and `namespace`.
pub const SERVICE_ACCOUNT_DIR: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

/// The environment variable that moves [`SERVICE_ACCOUNT_DIR`] (tests; a projected token
/// mounted elsewhere). Honouring it grants nothing: whoever sets our environment can already
/// set $KUBECONFIG to any server, token and CA; it only moves where the three files are read,
/// and the server must still present a certificate that `ca.crt` vouches for.
pub const SERVICE_ACCOUNT_DIR_ENV: &str = "LEAKSCOPE_SERVICEACCOUNT_DIR";

/// What a pod tells a process about its cluster: the API service's address (kubelet sets
/// `KUBERNETES_SERVICE_HOST` and `_PORT` in every container) and the service account's
/// directory.
#[derive(Debug, Clone, PartialEq)]
pub struct InClusterEnv {
    /// `KUBERNETES_SERVICE_HOST`.
    pub host: String,
    /// `KUBERNETES_SERVICE_PORT`, as given.
    pub port: String,
    /// Where `token`, `ca.crt` and `namespace` are.
    pub dir: PathBuf,
}

impl InClusterEnv {
    /// The environment's, or None when this is not a pod (no `KUBERNETES_SERVICE_HOST`).
    pub fn from_env() -> Result<Option<InClusterEnv>, K8sError> {
        let Some(host) = std::env::var("KUBERNETES_SERVICE_HOST")
            .ok()
            .filter(|h| !h.trim().is_empty())
        else {
            return Ok(None);
        };
        let port = std::env::var("KUBERNETES_SERVICE_PORT").map_err(|_| K8sError::InCluster {
            detail: "KUBERNETES_SERVICE_HOST is set but KUBERNETES_SERVICE_PORT is not".into(),
        })?;
        let dir = std::env::var_os(SERVICE_ACCOUNT_DIR_ENV)
            .filter(|d| !d.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(SERVICE_ACCOUNT_DIR));
        Ok(Some(InClusterEnv {
            host: host.trim().to_string(),
            port: port.trim().to_string(),
            dir,
        }))
    }

    /// The client configuration: HTTPS to the service with the service account's CA, its
    /// token re-read from the file as kubelet rotates it (kube re-reads it within a minute,
    /// and `ca.crt` too), its namespace as the default one.
    pub fn config(&self) -> Result<kube::Config, K8sError> {
        let port: u16 = self.port.parse().map_err(|_| K8sError::InCluster {
            detail: format!(
                "KUBERNETES_SERVICE_PORT {:?} is not a port number",
                self.port
            ),
        })?;
        let host = match self.host.parse::<std::net::IpAddr>() {
            Ok(std::net::IpAddr::V6(ip)) => format!("[{ip}]"),
            _ => self.host.clone(),
        };
        let url = format!("https://{host}:{port}");
        let uri: http::Uri =
            url.parse()
                .map_err(|e: http::uri::InvalidUri| K8sError::InCluster {
                    detail: format!(
                        "KUBERNETES_SERVICE_HOST {:?} does not make a URL ({e})",
                        self.host
                    ),
                })?;
        let token = self.dir.join("token");
        let ca = self.dir.join("ca.crt");
        let token_text = read_mounted(&token, "token")?;
        if token_text.trim_ascii().is_empty() {
            return Err(K8sError::InCluster {
                detail: format!("the service account token {} is empty", token.display()),
            });
        }
        let certs = leakscope_probe::http::pem_certificates(&read_mounted(&ca, "CA certificate")?);
        if certs.is_empty() {
            return Err(K8sError::InCluster {
                detail: format!("{} holds no PEM certificate", ca.display()),
            });
        }
        let namespace = read_mounted(&self.dir.join("namespace"), "namespace")?;
        let mut config = kube::Config::new(uri);
        config.default_namespace = String::from_utf8_lossy(&namespace).trim().to_string();
        config.root_cert = Some(certs);
        config.root_cert_file = Some(ca);
        config.auth_info.token_file = Some(token.display().to_string());
        Ok(config)
    }
}

/// A file of the mounted service account, or the sentence saying it is missing.
fn read_mounted(path: &Path, what: &str) -> Result<Vec<u8>, K8sError> {
    std::fs::read(path).map_err(|e| K8sError::InCluster {
        detail: format!(
            "cannot read the service account's {what} {}: {e}",
            path.display()
        ),
    })
}

/// A single-threaded async runtime for the client, for callers that are not async.
pub fn runtime() -> Result<tokio::runtime::Runtime, K8sError> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(K8sError::Runtime)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)] // tests: a failed unwrap is a failed test

    use super::*;

    /// A service-account directory; the certificate is only parsed as PEM here, not verified.
    fn mounted(token: Option<&str>) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("ca.crt"),
            "-----BEGIN CERTIFICATE-----\nAAECAwQFBgcICQ==\n-----END CERTIFICATE-----\n",
        )
        .unwrap();
        std::fs::write(dir.path().join("namespace"), "leakscope\n").unwrap();
        if let Some(t) = token {
            std::fs::write(dir.path().join("token"), t).unwrap();
        }
        dir
    }

    fn env(host: &str, port: &str, dir: &Path) -> InClusterEnv {
        InClusterEnv {
            host: host.into(),
            port: port.into(),
            dir: dir.to_path_buf(),
        }
    }

    #[test]
    fn the_service_account_gives_url_ca_token_file_and_namespace() {
        let dir = mounted(Some("secret"));
        let c = env("10.96.0.1", "443", dir.path()).config().unwrap();
        assert_eq!(c.cluster_url.to_string(), "https://10.96.0.1:443/");
        assert_eq!(c.default_namespace, "leakscope");
        assert_eq!(c.root_cert, Some(vec![(0u8..10).collect::<Vec<u8>>()]));
        assert_eq!(c.root_cert_file, Some(dir.path().join("ca.crt")));
        // The file, not its content: kube re-reads it as it rotates.
        assert_eq!(
            c.auth_info.token_file.as_deref(),
            Some(dir.path().join("token").to_str().unwrap())
        );
        assert!(c.auth_info.token.is_none());
        assert!(!c.accept_invalid_certs);
        let c = env("fd00::1", "6443", dir.path()).config().unwrap();
        assert_eq!(c.cluster_url.to_string(), "https://[fd00::1]:6443/");
    }

    #[test]
    fn a_missing_token_or_bad_port_is_one_sentence() {
        let dir = mounted(None);
        let e = env("10.96.0.1", "443", dir.path()).config().unwrap_err();
        let text = e.to_string();
        assert!(
            text.contains("cannot read the service account's token"),
            "{text}"
        );
        assert!(text.contains("automountServiceAccountToken"), "{text}");
        let dir = mounted(Some("secret"));
        let e = env("10.96.0.1", "https", dir.path()).config().unwrap_err();
        assert!(e.to_string().contains("is not a port number"), "{e}");
    }
}
