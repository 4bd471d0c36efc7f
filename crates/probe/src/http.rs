//! A tiny blocking HTTP client for plain `http://` URLs: GET with a body-size cap (scrapes,
//! pprof downloads) and POST of a JSON document (Alertmanager-style webhooks).
//!
//! Built on `ureq` 3 without TLS: **https is not supported** and is refused up front with
//! [`HttpError::HttpsUnsupported`].
//!
//! Errors show URLs with their credentials redacted ([`leakscope_core::redact`]): they end up
//! in logs, the store and terminals.

use std::io;
use std::time::Duration;

/// Why an HTTP request failed. Every variant names the URL.
#[derive(Debug, thiserror::Error)]
pub enum HttpError {
    /// The URL uses `https://`, which this build cannot speak.
    #[error("{url}: https is not supported (leakscope speaks plain http only); use an http:// URL, e.g. through a local proxy")]
    HttpsUnsupported {
        /// The URL as given.
        url: String,
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
        source: ureq::Error,
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
    /// The body could not be written where the caller wanted it ([`get_to`]).
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
        source: ureq::Error,
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
            HttpError::HttpsUnsupported { url }
            | HttpError::InvalidUrl { url, .. }
            | HttpError::Unreachable { url, .. }
            | HttpError::Timeout { url, .. }
            | HttpError::Status { url, .. }
            | HttpError::TooLarge { url, .. }
            | HttpError::Write { url, .. }
            | HttpError::Other { url, .. } => url,
        }
    }
}

/// Largest error-body excerpt kept in [`HttpError::Status`], in bytes read.
const EXCERPT_BYTES: u64 = 200;

/// GETs `url` and returns the body; fails if the whole exchange takes longer than `timeout`,
/// the status is not 2xx, or the body is larger than `max_bytes` bytes.
pub fn get(url: &str, timeout: Duration, max_bytes: u64) -> Result<Vec<u8>, HttpError> {
    let mut body = Vec::new();
    get_to(url, timeout, max_bytes, &mut body)?;
    Ok(body)
}

/// GETs `url` and streams the body into `out` as it arrives (nothing of it is held in
/// memory); returns the bytes written. Fails like [`get`]; a body over `max_bytes` fails
/// after `max_bytes` were written, so write to something the caller discards on error.
pub fn get_to(
    url: &str,
    timeout: Duration,
    max_bytes: u64,
    out: &mut dyn io::Write,
) -> Result<u64, HttpError> {
    check_url(url)?;
    let agent = agent(timeout);
    let mut resp = agent
        .get(url)
        .header(
            "accept",
            "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5,*/*;q=0.1",
        )
        .call()
        .map_err(|e| classify(url, timeout, e))?;
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
                        url: shown(url),
                        max_bytes,
                    },
                    other => classify(url, timeout, other),
                })
            }
        };
        out.write_all(&buf[..n])
            .map_err(|source| HttpError::Write {
                url: shown(url),
                source,
            })?;
        written += n as u64;
    }
}

/// POSTs `body` as `application/json` to `url` and returns the 2xx status; a non-2xx status is
/// [`HttpError::Status`] with an excerpt of the server's answer.
pub fn post_json(url: &str, body: &serde_json::Value, timeout: Duration) -> Result<u16, HttpError> {
    check_url(url)?;
    let payload = body.to_string();
    let mut resp = agent(timeout)
        .post(url)
        .header("content-type", "application/json")
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

/// `url` as errors show it: credentials and secret query parameters redacted.
fn shown(url: &str) -> String {
    leakscope_core::redact::redact_text(url).into_owned()
}

fn agent(timeout: Duration) -> ureq::Agent {
    let config = ureq::Agent::config_builder()
        .timeout_global(Some(timeout))
        .http_status_as_error(false)
        .user_agent(concat!("leakscope/", env!("CARGO_PKG_VERSION")))
        .build();
    ureq::Agent::new_with_config(config)
}

fn check_url(url: &str) -> Result<(), HttpError> {
    let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
    if lower.starts_with("https://") {
        return Err(HttpError::HttpsUnsupported { url: shown(url) });
    }
    if !lower.starts_with("http://") {
        return Err(HttpError::InvalidUrl {
            url: shown(url),
            detail: "it must start with http://".to_string(),
        });
    }
    let rest = url.get(7..).unwrap_or("");
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() {
        return Err(HttpError::InvalidUrl {
            url: shown(url),
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
        url: shown(url),
        status,
        body_excerpt,
    }
}

/// Maps a ureq error onto our variants.
fn classify(url: &str, timeout: Duration, err: ureq::Error) -> HttpError {
    let url_s = shown(url);
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
                source: err,
            },
            _ => HttpError::Other {
                url: url_s,
                source: err,
            },
        },
        ureq::Error::HostNotFound => HttpError::Unreachable {
            url: url_s,
            detail: "host not found".to_string(),
            source: err,
        },
        ureq::Error::ConnectionFailed => HttpError::Unreachable {
            url: url_s,
            detail: "connection failed".to_string(),
            source: err,
        },
        ureq::Error::BadUri(ref detail) => HttpError::InvalidUrl {
            url: url_s,
            detail: detail.clone(),
        },
        ureq::Error::TlsRequired | ureq::Error::RequireHttpsOnly(_) => {
            HttpError::HttpsUnsupported { url: url_s }
        }
        other => HttpError::Other {
            url: url_s,
            source: other,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn https_is_refused_with_a_clear_message() {
        let err = get("https://127.0.0.1:1/", Duration::from_secs(1), 10).expect_err("must fail");
        assert!(matches!(err, HttpError::HttpsUnsupported { .. }));
        assert!(err.to_string().contains("https is not supported"));
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
    fn non_http_urls_are_invalid() {
        for url in ["ftp://x/", "localhost:9090/metrics", "http:///metrics", ""] {
            let err = get(url, Duration::from_secs(1), 10).expect_err("must fail");
            assert!(matches!(err, HttpError::InvalidUrl { .. }), "{url}: {err}");
        }
    }
}
