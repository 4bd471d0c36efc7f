//! Where an API lives and how to reach it: base URL, timeout, extra headers (bearer token,
//! basic auth, `X-Scope-OrgID`). One small struct, so that TLS and auth options of the shared
//! HTTP client become wiring here.

use std::time::Duration;

/// An API's base URL and the options of every request to it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// Base URL without the API path, e.g. `http://127.0.0.1:9090` or
    /// `http://mimir:8080/prometheus`.
    pub base_url: String,
    /// Deadline of one request (connect, send, whole answer).
    pub timeout: Duration,
    /// Headers sent with every request, e.g. `("authorization", "Bearer ...")`,
    /// `("x-scope-orgid", "tenant-1")`.
    pub headers: Vec<(String, String)>,
}

impl Endpoint {
    /// An endpoint at `base_url` with a 2-minute timeout (Prometheus' own query timeout) and
    /// no extra headers.
    pub fn new(base_url: impl Into<String>) -> Self {
        Self {
            base_url: base_url.into(),
            timeout: Duration::from_secs(120),
            headers: Vec::new(),
        }
    }

    /// The full URL of `path` (which starts with `/`) under the base URL.
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url.trim_end_matches('/'))
    }

    /// Adds a header sent with every request.
    pub fn with_header(mut self, name: &str, value: &str) -> Self {
        self.headers
            .push((name.to_ascii_lowercase(), value.to_owned()));
        self
    }

    /// Adds `Authorization: Bearer TOKEN`.
    pub fn with_bearer_token(self, token: &str) -> Self {
        self.with_header("authorization", &format!("Bearer {}", token.trim()))
    }

    /// Adds `Authorization: Basic base64(user:password)`.
    pub fn with_basic_auth(self, user: &str, password: &str) -> Self {
        let creds = base64(format!("{user}:{password}").as_bytes());
        self.with_header("authorization", &format!("Basic {creds}"))
    }
}

/// Standard base64 with padding (RFC 4648 §4), for basic auth.
fn base64(bytes: &[u8]) -> String {
    const A: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for c in bytes.chunks(3) {
        let n = (u32::from(c[0]) << 16)
            | (u32::from(*c.get(1).unwrap_or(&0)) << 8)
            | u32::from(*c.get(2).unwrap_or(&0));
        let idx = |shift: u32| char::from(A[((n >> shift) & 63) as usize]);
        out.push(idx(18));
        out.push(idx(12));
        out.push(if c.len() > 1 { idx(6) } else { '=' });
        out.push(if c.len() > 2 { idx(0) } else { '=' });
    }
    out
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

    #[test]
    fn basic_auth_is_rfc4648_base64() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        let e = Endpoint::new("http://x").with_basic_auth("Aladdin", "open sesame");
        assert_eq!(
            e.headers,
            vec![(
                "authorization".to_owned(),
                "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==".to_owned()
            )]
        );
    }
}
