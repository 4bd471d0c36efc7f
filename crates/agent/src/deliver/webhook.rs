//! Alerts POSTed to a URL in the Alertmanager webhook format (version 4), so receivers
//! written for Alertmanager work unchanged. http or https, with the shared client's TLS and
//! authentication settings.

use std::time::Duration;

use leakscope_core::alert::{alertmanager_payload, Alert};
use leakscope_probe::http::{Client, HttpError, HttpOptions};

use super::{DeliveryError, Receiver};

/// How long one POST may take.
pub const WEBHOOK_TIMEOUT: Duration = Duration::from_secs(5);

/// The webhook receiver.
pub struct Webhook {
    url: String,
    client: Client,
}

impl Webhook {
    /// A receiver POSTing to `url`; fails when the URL is not http(s) or a file named in
    /// `http` (CA, token, password) cannot be read.
    pub fn new(url: &str, http: &HttpOptions) -> Result<Webhook, HttpError> {
        leakscope_probe::http::validate_url(url)?;
        Ok(Webhook {
            url: url.to_string(),
            client: Client::new(http, WEBHOOK_TIMEOUT)?,
        })
    }
}

impl Receiver for Webhook {
    fn name(&self) -> String {
        leakscope_probe::http::shown_url(&self.url)
    }

    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), DeliveryError> {
        let payload = alertmanager_payload(alerts, "leakscope", "");
        self.client
            .post_json(&self.url, &payload)
            .map(|_| ())
            .map_err(|e| DeliveryError {
                retryable: retryable(&e),
                message: e.to_string(),
            })
    }
}

/// Worth another try: the network, timeouts, 5xx, 408 and 429. Not: other 4xx, bad URLs,
/// unreadable credential files, TLS (a certificate does not fix itself).
fn retryable(e: &HttpError) -> bool {
    match e {
        HttpError::Status { status, .. } => *status >= 500 || *status == 408 || *status == 429,
        HttpError::Unreachable { .. } | HttpError::Timeout { .. } | HttpError::Other { .. } => true,
        HttpError::TooLarge { .. }
        | HttpError::Write { .. }
        | HttpError::InvalidUrl { .. }
        | HttpError::Tls { .. }
        | HttpError::File { .. } => false,
    }
}
