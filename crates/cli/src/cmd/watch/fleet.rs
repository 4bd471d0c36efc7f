//! `watch --prometheus URL --query PROMQL`: a fleet's series re-judged on a schedule, and
//! `--alertmanager URL`: alerts to Alertmanager's own API. Flags into settings only; the
//! engine does the work.

use std::path::Path;
use std::time::Duration;

use clap::Args;
use leakscope_agent::deliver::alertmanager::DEFAULT_RESEND;
use leakscope_agent::source::prometheus::{DEFAULT_EVERY, DEFAULT_RANGE};
use leakscope_agent::{ReceiverSpec, SourceSpec};
use leakscope_probe::http::HttpOptions;

use crate::prom_args::PromArgs;
use crate::units;

/// The fleet and Alertmanager flags of `watch`.
#[derive(Debug, Args, Clone)]
pub struct FleetWatchArgs {
    #[command(flatten)]
    pub prom: PromArgs,
    /// With --prometheus: a PromQL expression whose every series is judged, in bytes
    /// (repeatable; one target each), e.g.
    /// `container_memory_working_set_bytes{namespace="shop",container!=""}`.
    #[arg(long, value_name = "PROMQL", requires = "prometheus")]
    pub query: Vec<String>,
    /// Judge the --query series again this often (screen, fetch the candidates, recognize),
    /// each time over the trailing --range [default: 5m].
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration, requires = "query")]
    pub every: Option<Duration>,
    /// The trailing window each judgement of --query covers [default: 24h].
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration, requires = "query")]
    pub range: Option<Duration>,
    /// An instant query giving each --query series' memory limit in bytes, matched on the
    /// labels they share, for time-to-limit (e.g. `container_spec_memory_limit_bytes > 0`).
    #[arg(long, value_name = "PROMQL", requires = "query")]
    pub limit_query: Option<String>,
    /// Also send alerts to this Alertmanager (its base URL, e.g. http://alertmanager:9093;
    /// repeatable: each of an HA pair gets every alert), through its own API, so its routing,
    /// grouping, silences and inhibition apply.
    #[arg(long, value_name = "URL")]
    pub alertmanager: Vec<String>,
    /// Send firing alerts to Alertmanager again this often: it resolves by itself an alert
    /// not heard of for four times this long [default: 1m].
    #[arg(long, value_name = "DURATION", value_parser = units::parse_duration, requires = "alertmanager")]
    pub alertmanager_resend: Option<Duration>,
}

impl FleetWatchArgs {
    /// The Prometheus targets these flags describe; `bearer_token_file` authenticates them.
    pub fn targets(&self, bearer_token_file: Option<&Path>) -> anyhow::Result<Vec<SourceSpec>> {
        let Some(endpoint) = self.prom.endpoint(bearer_token_file)? else {
            return Ok(Vec::new());
        };
        leakscope_probe::http::validate_url(&endpoint.base_url)
            .map_err(|e| anyhow::anyhow!("--prometheus: {e}"))?;
        if self.query.is_empty() {
            anyhow::bail!(
                "--prometheus needs --query PROMQL: the expression whose series to judge"
            );
        }
        let at_least_1s = |d: Option<Duration>, flag: &str, default: Duration| match d {
            Some(d) if d < Duration::from_secs(1) => {
                anyhow::bail!("{flag} must be at least 1s")
            }
            Some(d) => Ok(d),
            None => Ok(default),
        };
        let every = at_least_1s(self.every, "--every", DEFAULT_EVERY)?;
        let range = at_least_1s(self.range, "--range", DEFAULT_RANGE)?;
        let mut out = Vec::new();
        for query in &self.query {
            if query.trim().is_empty() {
                anyhow::bail!("--query is empty: give the PromQL expression whose series to judge");
            }
            out.push(SourceSpec::Prometheus {
                endpoint: endpoint.clone(),
                query: query.clone(),
                every,
                range,
                limit_query: self.limit_query.clone(),
            });
        }
        Ok(out)
    }

    /// The Alertmanager receivers; `ca_file` verifies https ones.
    pub fn receivers(&self, ca_file: Option<&Path>) -> anyhow::Result<Vec<ReceiverSpec>> {
        let resend = match self.alertmanager_resend {
            Some(d) if d < Duration::from_secs(1) => {
                anyhow::bail!("--alertmanager-resend must be at least 1s")
            }
            Some(d) => d,
            None => DEFAULT_RESEND,
        };
        self.alertmanager
            .iter()
            .map(|url| {
                // Checked now: a bad URL is an error at start, not at the first alert.
                leakscope_probe::http::validate_url(url)
                    .map_err(|e| anyhow::anyhow!("--alertmanager: {e}"))?;
                Ok(ReceiverSpec::Alertmanager {
                    url: url.clone(),
                    http: HttpOptions {
                        ca_file: ca_file.map(Path::to_path_buf),
                        ..Default::default()
                    },
                    resend,
                })
            })
            .collect()
    }
}
