//! The one HTTP client of leakscope: GET with a body-size cap (scrapes, pprof downloads),
//! POST of a JSON document (webhooks), and a POST that returns any status with its body (the
//! Prometheus and Alertmanager APIs), over `http://` or `https://`.
//!
//! Built on `ureq` 3 with rustls. Server certificates are checked against the system's roots
//! (through the platform verifier), or only against the CA certificates of
//! [`HttpOptions::ca_file`]. [`HttpOptions`] also carries a bearer token file, basic auth and
//! extra headers, so every endpoint leakscope talks to (scrapes, webhooks, Prometheus and
//! Alertmanager APIs) is configured the same way. Build a [`Client`] once per endpoint and
//! reuse it: it keeps connections alive.
//!
//! Errors show URLs with their credentials redacted ([`leakscope_core::redact`]): they end up
//! in logs, the store and terminals.

use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Why an HTTP request failed. Every variant names the URL.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The TLS handshake failed: an untrusted or invalid server certificate, or no common
    /// protocol.
    #[error("{url}: TLS failed ({detail}); if the server's certificate is signed by your own CA, give it with --ca-file")]
    Tls {
        /// The URL.
        url: String,
        /// What failed.
        detail: String,
    },
    /// A file named in [`HttpOptions`] (CA certificates, a token, a password) cannot be used.
    #[error("cannot use {what} {}: {detail}", path.display())]
    File {
        /// What the file is for: "the CA file", "the bearer token file", "the password file".
        what: &'static str,
        /// The path.
        path: PathBuf,
        /// What is wrong with it.
        detail: String,
    },
    /// The URL is not an `http://host[:port]/path` URL.
    #[error("{url}: not a valid http URL ({detail})")]
    InvalidUrl {
        /// The URL as given.
        url: String,
        /// What is wrong with it.
        detail: String,
    },
    /// Nothing answered: connection refused, host not found, connection reset.
    #[error("cannot connect to {url} ({detail})")]
    Unreachable {
        /// The URL.
        url: String,
        /// What failed, e.g. "Connection refused (os error 111)" or "host not found".
        detail: String,
        /// The underlying client error.
        #[source]
        source: Box<ureq::Error>,
    },
    /// The whole exchange (connect, request, response body) took longer than the timeout.
    #[error("{url}: no complete answer within {} ms", timeout.as_millis())]
    Timeout {
        /// The URL.
        url: String,
        /// The timeout that expired.
        timeout: Duration,
    },
    /// The server answered with a status outside 200..=299.
    #[error("{url}: HTTP status {status}{}", excerpt_suffix(body_excerpt))]
    Status {
        /// The URL.
        url: String,
        /// The HTTP status code.
        status: u16,
        /// The first bytes of the response body (lossy UTF-8, at most 200 characters).
        body_excerpt: String,
    },
    /// The response body is larger than the cap the caller gave.
    #[error("{url}: response body is larger than {max_bytes} bytes")]
    TooLarge {
        /// The URL.
        url: String,
        /// The cap, in bytes.
        max_bytes: u64,
    },
    /// The body could not be written where the caller wanted it ([`Client::get_to`]).
    #[error("{url}: cannot write the response body ({source})")]
    Write {
        /// The URL.
        url: String,
        /// The write error.
        #[source]
        source: io::Error,
    },
    /// Any other protocol or I/O failure after connecting.
    #[error("{url}: request failed ({source})")]
    Other {
        /// The URL.
        url: String,
        /// The underlying client error.
        #[source]
        source: Box<ureq::Error>,
    },
}

fn excerpt_suffix(body: &str) -> String {
    if body.is_empty() {
        String::new()
    } else {
        format!(" ({body})")
    }
}

impl HttpError {
    /// The URL the request was for.
    pub fn url(&self) -> &str {
        match self {
            HttpError::Tls { url, .. }
            | HttpError::InvalidUrl { url, .. }
            | HttpError::Unreachable { url, .. }
            | HttpError::Timeout { url, .. }
            | HttpError::Status { url, .. }
            | HttpError::TooLarge { url, .. }
            | HttpError::Write { url, .. }
            | HttpError::Other { url, .. } => url,
            HttpError::File { .. } => "",
        }
    }
}

/// Largest error-body excerpt kept in [`HttpError::Status`], in bytes read.
const EXCERPT_BYTES: u64 = 200;

/// TLS and authentication settings of an endpoint; the default is plain system roots and no
/// credentials.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct HttpOptions {
    /// Trust only the CA certificates in this PEM file (instead of the system's roots).
    pub ca_file: Option<PathBuf>,
    /// Send `Authorization: Bearer <token>` with the token read from this file at each
    /// request (so a rotated token is picked up).
    pub bearer_token_file: Option<PathBuf>,
    /// Send HTTP basic authentication.
    pub basic_auth: Option<BasicAuth>,
    /// Extra request headers, `(name, value)`.
    pub headers: Vec<(String, String)>,
}

/// HTTP basic authentication: a user, and the password read from a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BasicAuth {
    /// The user name.
    pub user: String,
    /// The file holding the password (trailing newline ignored); none for an empty password.
    pub password_file: Option<PathBuf>,
}

/// The certificates (DER) of a PEM file's `CERTIFICATE` blocks; other blocks are skipped.
pub fn pem_certificates(pem: &[u8]) -> Vec<Vec<u8>> {
    ureq::tls::parse_pem(pem)
        .filter_map(|item| match item {
            Ok(ureq::tls::PemItem::Certificate(c)) => Some(c.der().to_vec()),
            _ => None,
        })
        .collect()
}

/// A configured client for one endpoint (or several with the same settings).
#[derive(Debug, Clone)]
pub struct Client {
    agent: ureq::Agent,
    options: HttpOptions,
    timeout: Duration,
}

impl Client {
    /// A client with these settings; every exchange must complete within `timeout`. Fails
    /// when the CA file cannot be read or holds no certificate.
    pub fn new(options: &HttpOptions, timeout: Duration) -> Result<Client, HttpError> {
        use ureq::tls::{Certificate, RootCerts, TlsConfig, TlsProvider};
        let roots = match &options.ca_file {
            None => RootCerts::PlatformVerifier,
            Some(path) => {
                let pem = std::fs::read(path).map_err(|e| HttpError::File {
                    what: "the CA file",
                    path: path.clone(),
                    detail: e.to_string(),
                })?;
                let certs: Vec<Certificate<'static>> = pem_certificates(&pem)
                    .iter()
                    .map(|der| Certificate::from_der(der).to_owned())
                    .collect();
                if certs.is_empty() {
                    return Err(HttpError::File {
                        what: "the CA file",
                        path: path.clone(),
                        detail: "it holds no PEM certificate".into(),
                    });
                }
                RootCerts::new_with_certs(&certs)
            }
        };
        let tls = TlsConfig::builder()
            .provider(TlsProvider::Rustls)
            .root_certs(roots)
            .build();
        let config = ureq::Agent::config_builder()
            .timeout_global(Some(timeout))
            .http_status_as_error(false)
            .tls_config(tls)
            .user_agent(concat!("leakscope/", env!("CARGO_PKG_VERSION")))
            .build();
        // Files named for credentials must be readable now, not at the first alert.
        if let Some(p) = &options.bearer_token_file {
            read_secret("the bearer token file", p)?;
        }
        if let Some(BasicAuth {
            password_file: Some(p),
            ..
        }) = &options.basic_auth
        {
            read_secret("the password file", p)?;
        }
        Ok(Client {
            agent: ureq::Agent::new_with_config(config),
            options: options.clone(),
            timeout,
        })
    }

    /// A client with no CA file and no credentials.
    pub fn plain(timeout: Duration) -> Client {
        Client::new(&HttpOptions::default(), timeout).unwrap_or_else(|_| {
            // Unreachable: only files can fail, and there are none.
            let config = ureq::Agent::config_builder()
                .timeout_global(Some(timeout))
                .http_status_as_error(false)
                .build();
            Client {
                agent: ureq::Agent::new_with_config(config),
                options: HttpOptions::default(),
                timeout,
            }
        })
    }

    /// The timeout of every exchange.
    pub fn timeout(&self) -> Duration {
        self.timeout
    }

    /// The credential and extra headers to send, read now.
    fn headers(&self, url: &str) -> Result<Vec<(String, String)>, HttpError> {
        let _ = url;
        let mut h = self.options.headers.clone();
        if let Some(p) = &self.options.bearer_token_file {
            let token = read_secret("the bearer token file", p)?;
            h.push(("authorization".into(), format!("Bearer {token}")));
        }
        if let Some(b) = &self.options.basic_auth {
            let password = match &b.password_file {
                Some(p) => read_secret("the password file", p)?,
                None => String::new(),
            };
            let raw = format!("{}:{password}", b.user);
            h.push((
                "authorization".into(),
                format!("Basic {}", base64(raw.as_bytes())),
            ));
        }
        Ok(h)
    }

    /// GETs `url` and returns the body; fails if the whole exchange takes longer than the
    /// timeout, the status is not 2xx, or the body is larger than `max_bytes` bytes.
    pub fn get(&self, url: &str, max_bytes: u64) -> Result<Vec<u8>, HttpError> {
        let mut body = Vec::new();
        self.get_to(url, max_bytes, &mut body)?;
        Ok(body)
    }

    /// GETs `url` and streams the body into `out` as it arrives (nothing of it is held in
    /// memory); returns the bytes written. Fails like [`Client::get`]; a body over
    /// `max_bytes` fails after `max_bytes` were written, so write to something the caller
    /// discards on error.
    pub fn get_to(
        &self,
        url: &str,
        max_bytes: u64,
        out: &mut dyn io::Write,
    ) -> Result<u64, HttpError> {
        check_url(url)?;
        let timeout = self.timeout;
        let mut req = self.agent.get(url).header(
            "accept",
            "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5,*/*;q=0.1",
        );
        for (k, v) in self.headers(url)? {
            req = req.header(k, v);
        }
        let mut resp = req.call().map_err(|e| classify(url, timeout, e))?;
        let status = resp.status().as_u16();
        if !(200..=299).contains(&status) {
            return Err(status_error(url, status, resp.body_mut()));
        }
        let mut reader = resp.body_mut().with_config().limit(max_bytes).reader();
        let mut buf = vec![0u8; 64 * 1024];
        let mut written = 0u64;
        loop {
            let n = match io::Read::read(&mut reader, &mut buf) {
                Ok(0) => return Ok(written),
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => {
                    return Err(match ureq::Error::from(e) {
                        ureq::Error::BodyExceedsLimit(_) => HttpError::TooLarge {
                            url: shown_url(url),
                            max_bytes,
                        },
                        other => classify(url, timeout, other),
                    })
                }
            };
            out.write_all(&buf[..n])
                .map_err(|source| HttpError::Write {
                    url: shown_url(url),
                    source,
                })?;
            written += n as u64;
        }
    }

    /// POSTs `body` as `application/json` to `url` and returns the 2xx status; a non-2xx
    /// status is [`HttpError::Status`] with an excerpt of the server's answer.
    pub fn post_json(&self, url: &str, body: &serde_json::Value) -> Result<u16, HttpError> {
        check_url(url)?;
        let timeout = self.timeout;
        let payload = body.to_string();
        let mut req = self
            .agent
            .post(url)
            .header("content-type", "application/json");
        for (k, v) in self.headers(url)? {
            req = req.header(k, v);
        }
        let mut resp = req
            .send(payload.as_bytes())
            .map_err(|e| classify(url, timeout, e))?;
        let status = resp.status().as_u16();
        if !(200..=299).contains(&status) {
            return Err(status_error(url, status, resp.body_mut()));
        }
        // Drain a little of the body so the connection closes cleanly; its content is not needed.
        let _ = resp.body_mut().with_config().limit(64 * 1024).read_to_vec();
        Ok(status)
    }
}

/// An answer of any status, with its body: for APIs that explain errors in the body
/// (Prometheus' `{"status":"error","error":...}`), where the caller reads it whatever the status.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Response {
    /// The HTTP status code.
    pub status: u16,
    /// The body, at most the `max_bytes` the caller allowed.
    pub body: Vec<u8>,
}

impl Client {
    /// POSTs `body` as `content_type` to `url` and returns the status and body whatever the
    /// status; fails when nothing answers within the timeout or the body is larger than
    /// `max_bytes` bytes.
    pub fn post(
        &self,
        url: &str,
        content_type: &str,
        body: &[u8],
        max_bytes: u64,
    ) -> Result<Response, HttpError> {
        check_url(url)?;
        let timeout = self.timeout;
        let mut req = self
            .agent
            .post(url)
            .header("content-type", content_type)
            .header("accept", "application/json");
        for (k, v) in self.headers(url)? {
            req = req.header(k, v);
        }
        let mut resp = req.send(body).map_err(|e| classify(url, timeout, e))?;
        let status = resp.status().as_u16();
        let body = resp
            .body_mut()
            .with_config()
            .limit(max_bytes)
            .read_to_vec()
            .map_err(|e| match e {
                ureq::Error::BodyExceedsLimit(_) => HttpError::TooLarge {
                    url: shown_url(url),
                    max_bytes,
                },
                other => classify(url, timeout, other),
            })?;
        Ok(Response { status, body })
    }
}

/// `application/x-www-form-urlencoded` encoding of `pairs` (what HTML forms and the Prometheus
/// API take in a POST body): unreserved bytes as they are, space as `+`, the rest `%XX`.
pub fn form_urlencoded(pairs: &[(&str, &str)]) -> String {
    let mut out = String::new();
    for (i, (k, v)) in pairs.iter().enumerate() {
        if i > 0 {
            out.push('&');
        }
        encode_form_part(k, &mut out);
        out.push('=');
        encode_form_part(v, &mut out);
    }
    out
}

fn encode_form_part(s: &str, out: &mut String) {
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b))
            }
            b' ' => out.push('+'),
            _ => {
                const HEX: &[u8; 16] = b"0123456789ABCDEF";
                out.push('%');
                out.push(char::from(HEX[usize::from(b >> 4)]));
                out.push(char::from(HEX[usize::from(b & 15)]));
            }
        }
    }
}

/// GETs `url` with a plain [`Client`] (see [`Client::get`]).
pub fn get(url: &str, timeout: Duration, max_bytes: u64) -> Result<Vec<u8>, HttpError> {
    Client::plain(timeout).get(url, max_bytes)
}

/// Streams `url` into `out` with a plain [`Client`] (see [`Client::get_to`]).
pub fn get_to(
    url: &str,
    timeout: Duration,
    max_bytes: u64,
    out: &mut dyn io::Write,
) -> Result<u64, HttpError> {
    Client::plain(timeout).get_to(url, max_bytes, out)
}

/// POSTs JSON with a plain [`Client`] (see [`Client::post_json`]).
pub fn post_json(url: &str, body: &serde_json::Value, timeout: Duration) -> Result<u16, HttpError> {
    Client::plain(timeout).post_json(url, body)
}

/// Check that `url` is an `http://` or `https://` URL with a host, without connecting: for
/// checking every URL a user gives before anything starts.
pub fn validate_url(url: &str) -> Result<(), HttpError> {
    check_url(url)
}

/// `url` as messages and the store show it: credentials and secret query parameters
/// redacted ([`leakscope_core::redact`]).
pub fn shown_url(url: &str) -> String {
    leakscope_core::redact::redact_text(url).into_owned()
}

/// Read a secret from a file: its content without the trailing newline.
fn read_secret(what: &'static str, path: &Path) -> Result<String, HttpError> {
    let text = std::fs::read_to_string(path).map_err(|e| HttpError::File {
        what,
        path: path.to_path_buf(),
        detail: e.to_string(),
    })?;
    Ok(text.trim_end_matches(['\n', '\r']).to_string())
}

/// Standard base64 with padding (RFC 4648), for basic auth.
fn base64(bytes: &[u8]) -> String {
    const ABC: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ABC[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

fn check_url(url: &str) -> Result<(), HttpError> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    let rest = if lower.starts_with("https://") {
        url.get(8..).unwrap_or("")
    } else if lower.starts_with("http://") {
        url.get(7..).unwrap_or("")
    } else {
        return Err(HttpError::InvalidUrl {
            url: shown_url(url),
            detail: "it must start with http:// or https://".to_string(),
        });
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    let host = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    if host.is_empty() || host.starts_with(':') {
        return Err(HttpError::InvalidUrl {
            url: shown_url(url),
            detail: "no host".to_string(),
        });
    }
    Ok(())
}

fn status_error(url: &str, status: u16, body: &mut ureq::Body) -> HttpError {
    let bytes = body
        .with_config()
        .limit(EXCERPT_BYTES)
        .read_to_vec()
        .unwrap_or_default();
    let text = String::from_utf8_lossy(&bytes);
    let body_excerpt: String = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect::<String>()
        .trim()
        .to_string();
    HttpError::Status {
        url: shown_url(url),
        status,
        body_excerpt,
    }
}

/// Maps a ureq error onto our variants.
fn classify(url: &str, timeout: Duration, err: ureq::Error) -> HttpError {
    let url_s = shown_url(url);
    // A certificate rejected in the handshake surfaces as an I/O error from rustls.
    let text = err.to_string();
    if text.contains("certificate") || text.contains("TLS") || text.contains("tls") {
        return HttpError::Tls {
            url: url_s,
            detail: text.trim_start_matches("io: ").to_string(),
        };
    }
    match err {
        ureq::Error::Timeout(_) => HttpError::Timeout {
            url: url_s,
            timeout,
        },
        ureq::Error::Io(ref io_err) => match io_err.kind() {
            io::ErrorKind::TimedOut | io::ErrorKind::WouldBlock => HttpError::Timeout {
                url: url_s,
                timeout,
            },
            io::ErrorKind::ConnectionRefused
            | io::ErrorKind::ConnectionReset
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::NotConnected
            | io::ErrorKind::AddrNotAvailable
            | io::ErrorKind::HostUnreachable
            | io::ErrorKind::NetworkUnreachable => HttpError::Unreachable {
                url: url_s,
                detail: io_err.to_string(),
                source: Box::new(err),
            },
            _ => HttpError::Other {
                url: url_s,
                source: Box::new(err),
            },
        },
        ureq::Error::HostNotFound => HttpError::Unreachable {
            url: url_s,
            detail: "host not found".to_string(),
            source: Box::new(err),
        },
        ureq::Error::ConnectionFailed => HttpError::Unreachable {
            url: url_s,
            detail: "connection failed".to_string(),
            source: Box::new(err),
        },
        ureq::Error::BadUri(ref detail) => HttpError::InvalidUrl {
            url: url_s,
            detail: detail.clone(),
        },
        ureq::Error::Tls(detail) => HttpError::Tls {
            url: url_s,
            detail: detail.to_string(),
        },
        ureq::Error::Rustls(ref e) => HttpError::Tls {
            url: url_s,
            detail: e.to_string(),
        },
        other => HttpError::Other {
            url: url_s,
            source: Box::new(other),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_encoding_escapes_what_promql_uses() {
        let s = form_urlencoded(&[("query", "m{a=\"b c\"}[5m] + 1"), ("step", "60")]);
        assert_eq!(s, "query=m%7Ba%3D%22b+c%22%7D%5B5m%5D+%2B+1&step=60");
        assert_eq!(form_urlencoded(&[("q", "é&=")]), "q=%C3%A9%26%3D");
    }

    #[test]
    fn https_urls_are_accepted_and_checked_like_http_ones() {
        assert!(validate_url("https://prom.example:9090/api/v1/query").is_ok());
        assert!(validate_url("https://user:pw@host/x").is_ok());
        assert!(matches!(
            validate_url("https:///x"),
            Err(HttpError::InvalidUrl { .. })
        ));
    }

    #[test]
    fn credentials_are_not_shown() {
        assert_eq!(
            shown_url("https://ann:hunter2@h:1/m?x=1"),
            "https://ann:<redacted>@h:1/m?x=1"
        );
        assert_eq!(shown_url("http://h/m@x"), "http://h/m@x");
    }

    #[test]
    fn errors_do_not_show_credentials() {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .unwrap_or(1);
        let url = format!("http://ann:hunter2@127.0.0.1:{port}/metrics?token=T0K");
        let err = get(&url, Duration::from_secs(2), 10).expect_err("nothing listens");
        let text = err.to_string();
        assert!(!text.contains("hunter2") && !text.contains("T0K"), "{text}");
        assert!(text.contains("ann:<redacted>@127.0.0.1"), "{text}");
        let probe = crate::error::ProbeError::from_http(&url, err);
        assert!(!probe.to_string().contains("hunter2"), "{probe}");
    }

    #[test]
    fn base64_matches_rfc4648() {
        assert_eq!(base64(b""), "");
        assert_eq!(base64(b"f"), "Zg==");
        assert_eq!(base64(b"fo"), "Zm8=");
        assert_eq!(base64(b"foo"), "Zm9v");
        assert_eq!(
            base64(b"Aladdin:open sesame"),
            "QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
        );
    }

    #[test]
    fn a_missing_or_empty_ca_file_is_an_error_naming_it() {
        let dir = tempfile::tempdir().expect("tempdir");
        let missing = dir.path().join("none.pem");
        let opts = HttpOptions {
            ca_file: Some(missing.clone()),
            ..Default::default()
        };
        let err = Client::new(&opts, Duration::from_secs(1)).expect_err("missing");
        assert!(err.to_string().contains("none.pem"), "{err}");
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a cert").expect("write");
        let opts = HttpOptions {
            ca_file: Some(empty),
            ..Default::default()
        };
        let err = Client::new(&opts, Duration::from_secs(1)).expect_err("empty");
        assert!(err.to_string().contains("no PEM certificate"), "{err}");
    }

    #[test]
    fn non_http_urls_are_invalid() {
        for url in [
            "ftp://x/",
            "localhost:9090/metrics",
            "http:///metrics",
            "",
            "https://:80/",
        ] {
            let err = get(url, Duration::from_secs(1), 10).expect_err("must fail");
            assert!(matches!(err, HttpError::InvalidUrl { .. }), "{url}: {err}");
        }
    }
}
