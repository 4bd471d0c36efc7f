//! Flags that say where a Prometheus-API server is and how to authenticate to it, shared by
//! every command that reads from one. (`--bearer-token-file` is each command's own: `watch`
//! has one for its scrapes too.)

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::Args;
use leakscope_fleet::Endpoint;

/// `--prometheus URL` and its credentials.
#[derive(Debug, Args, Clone)]
pub struct PromArgs {
    /// Base URL of the Prometheus HTTP API (Prometheus, Thanos, Mimir with its prefix such as
    /// http://mimir:8080/prometheus, VictoriaMetrics).
    #[arg(long, value_name = "URL")]
    pub prometheus: Option<String>,
    /// Basic auth user (the password comes from --basic-auth-password-file).
    #[arg(long, value_name = "USER", requires = "basic_auth_password_file")]
    pub basic_auth_user: Option<String>,
    /// File holding the basic auth password.
    #[arg(long, value_name = "PATH", requires = "basic_auth_user")]
    pub basic_auth_password_file: Option<PathBuf>,
    /// Trust only the CA certificates in this PEM file for an https Prometheus (instead of the
    /// system's roots).
    #[arg(
        long = "prometheus-ca-file",
        value_name = "PATH",
        requires = "prometheus"
    )]
    pub prometheus_ca_file: Option<PathBuf>,
    /// Extra request header, `Name: value` (repeatable), e.g. `X-Scope-OrgID: tenant-1` for
    /// multi-tenant Mimir or Cortex.
    #[arg(long, value_name = "NAME: VALUE")]
    pub header: Vec<String>,
    /// Deadline of one request.
    #[arg(long, value_name = "DURATION", default_value = "2m", value_parser = crate::units::parse_duration)]
    pub prometheus_timeout: std::time::Duration,
}

impl PromArgs {
    /// The endpoint these flags describe, with `Authorization: Bearer` from
    /// `bearer_token_file` when given; `None` without `--prometheus`.
    pub fn endpoint(&self, bearer_token_file: Option<&Path>) -> anyhow::Result<Option<Endpoint>> {
        let Some(url) = &self.prometheus else {
            return Ok(None);
        };
        let mut e = Endpoint::new(url.clone());
        e.timeout = self.prometheus_timeout;
        e.http.ca_file = self.prometheus_ca_file.clone();
        if let Some(path) = bearer_token_file {
            e = e.with_bearer_token_file(path);
        }
        if let (Some(user), Some(path)) = (&self.basic_auth_user, &self.basic_auth_password_file) {
            e = e.with_basic_auth(user, path);
        }
        for h in &self.header {
            let (name, value) = h.split_once(':').with_context(|| {
                format!("--header `{h}` is not `Name: value` (e.g. `X-Scope-OrgID: tenant-1`)")
            })?;
            let name = name.trim();
            if name.is_empty() || !name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') {
                anyhow::bail!("--header `{h}`: `{name}` is not a header name");
            }
            e = e.with_header(name, value.trim());
        }
        Ok(Some(e))
    }
}
