//! Where an API lives and how to reach it: base URL, timeout, and the shared HTTP client's
//! options (CA file for https, bearer token file, basic auth, extra headers such as
//! `X-Scope-OrgID`).

use std::time::Duration;

use leakscope_probe::http::{BasicAuth, Client, HttpError, HttpOptions};

/// An API's base URL and the options of every request to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Base URL without the API path, e.g. `http://127.0.0.1:9090` or
    /// `https://mimir:8080/prometheus`.
    pub base_url: String,
    /// Deadline of one request (connect, send, whole answer).
    pub timeout: Duration,
    /// TLS and credentials.
    pub http: HttpOptions,
}

impl Endpoint {
    /// An endpoint at `base_url` with a 2-minute timeout (Prometheus' own query timeout),
    /// system CA roots and no credentials.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            timeout: Duration::from_secs(120),
            http: HttpOptions::default(),
        }
    }

    /// The full URL of `path` (which starts with `/`) under the base URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    /// Adds a header sent with every request (e.g. `X-Scope-OrgID`).
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.http
            .headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Sends `Authorization: Bearer <token>`, the token read from `path` at each request.
    pub fn with_bearer_token_file(mut self, path: impl Into<std::path::PathBuf>) -> Self {
        self.http.bearer_token_file = Some(path.into());
        self
    }

    /// Sends basic auth as `user`, the password read from `password_file`.
    pub fn with_basic_auth(
        mut self,
        user: &str,
        password_file: impl Into<std::path::PathBuf>,
    ) -> Self {
        self.http.basic_auth = Some(BasicAuth {
            user: user.to_owned(),
            password_file: Some(password_file.into()),
        });
        self
    }

    /// The HTTP client for this endpoint; fails when the CA or a credential file is unusable.
    pub fn client(&self) -> Result<Client, HttpError> {
        Client::new(&self.http, self.timeout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_join_under_a_prefix() {
        let e = Endpoint::new("http://mimir:8080/prometheus/");
        assert_eq!(
            e.url("/api/v1/query"),
            "http://mimir:8080/prometheus/api/v1/query"
        );
    }
}
