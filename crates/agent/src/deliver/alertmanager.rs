//! Alerts to Alertmanager's own API (`POST /api/v2/alerts`), so that its routing, grouping,
//! silences and inhibition apply — through the fleet crate's client
//! ([`leakscope_fleet::alertmanager`]). One receiver per Alertmanager (an HA pair gets one
//! each, as Prometheus sends to each), with what Alertmanager expects of a client: every firing
//! alert again each `resend` interval with an `endsAt` four intervals ahead (so it expires if
//! leakscope stops), and a resolved alert with its `endsAt` until one send of it succeeds.

use std::time::Duration;

use leakscope_core::alert::Alert;
use leakscope_fleet::alertmanager::{Alertmanagers, AmAlert, Notifier};
use leakscope_fleet::Endpoint;
use leakscope_probe::http::{HttpError, HttpOptions};

use super::{DeliveryError, Receiver};

/// How long one POST may take.
pub const ALERTMANAGER_TIMEOUT: Duration = Duration::from_secs(10);

/// How often firing alerts are re-sent by default (Prometheus' `--rules.alert.resend-delay`).
pub const DEFAULT_RESEND: Duration = Duration::from_secs(60);

/// The Alertmanager receiver.
pub struct Alertmanager {
    name: String,
    managers: Alertmanagers,
    notifier: Notifier,
    generator_url: String,
}

impl Alertmanager {
    /// A receiver posting to the Alertmanager at base URL `url` (e.g. `http://am:9093`),
    /// re-sending firing alerts every `resend`; `generator_url` links alerts that carry no
    /// link of their own (this watcher's /metrics). Fails when the URL is not http(s) or a
    /// file named in `http` (CA, token, password) cannot be used.
    pub fn new(
        url: &str,
        http: &HttpOptions,
        resend: Duration,
        generator_url: &str,
    ) -> Result<Alertmanager, HttpError> {
        leakscope_probe::http::validate_url(url)?;
        let endpoint = Endpoint {
            base_url: url.to_owned(),
            timeout: ALERTMANAGER_TIMEOUT,
            http: http.clone(),
        };
        // Unusable CA or credential files are an error now, not at the first alert.
        endpoint.client()?;
        Ok(Alertmanager {
            name: leakscope_probe::http::shown_url(url),
            managers: Alertmanagers::new(vec![endpoint]),
            notifier: Notifier::new(resend.as_secs_f64()),
            generator_url: generator_url.to_owned(),
        })
    }
}

impl Alertmanager {
    /// Start knowing `firing` (what fired before a reload started this receiver): they are
    /// sent at once and re-sent while they fire, so Alertmanager does not expire them.
    pub fn resume(&mut self, firing: &[Alert]) {
        for a in firing {
            self.notifier
                .apply(AmAlert::from_alert(a, &self.generator_url));
        }
    }
}

impl Receiver for Alertmanager {
    fn name(&self) -> String {
        self.name.clone()
    }

    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), DeliveryError> {
        for a in alerts {
            self.notifier
                .apply(AmAlert::from_alert(a, &self.generator_url));
        }
        let now = crate::now();
        let Some(due) = self.notifier.due(now) else {
            return Ok(());
        };
        let valid_until = self.notifier.valid_until(now);
        match self.managers.post(&due, valid_until).into_iter().next() {
            Some(Err(e)) => {
                let retryable = e.is_transient();
                if !retryable {
                    // Refused resolutions would be refused again at every refresh.
                    self.notifier.drop_resolved();
                }
                Err(DeliveryError {
                    message: e.to_string(),
                    retryable,
                })
            }
            _ => {
                self.notifier.sent(now);
                Ok(())
            }
        }
    }

    fn refresh_due(&self) -> bool {
        self.notifier.due(crate::now()).is_some()
    }
}
