//! What to send: [`LoadSpec`], and its validation into a ready-to-run plan.

use crate::template::Template;
use crate::LoadError;
use http::header::{HeaderName, HeaderValue};
use http::Method;
use std::net::{IpAddr, SocketAddr, ToSocketAddrs};
use std::time::Duration;

/// What load to generate: the request to send, how fast, and for how long.
///
/// The run ends at the first of `duration`, `max_requests` and the stop flag;
/// with neither limit set it runs until the stop flag is raised.
///
/// ```
/// use leakscope_load::LoadSpec;
/// use std::time::Duration;
/// let spec = LoadSpec {
///     rate: Some(200.0),
///     duration: Some(Duration::from_secs(60)),
///     ..LoadSpec::new("http://127.0.0.1:8080/user/{n}")
/// };
/// assert_eq!(spec.concurrency, 16);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LoadSpec {
    /// `http://host[:port]/path?query`; the path and query may hold `{n}` (the
    /// request's sequence number, from 0), `{rand}` (a random u64) and `{uuid}`.
    /// `{{` and `}}` are literal braces. Only `http://` is supported.
    pub url_template: String,
    /// HTTP method, e.g. `"GET"` or `"POST"`.
    pub method: String,
    /// Extra request headers (a `Host` header here replaces the one taken from the URL).
    pub headers: Vec<(String, String)>,
    /// Request body, with the same placeholders as the URL; `None` sends no body.
    pub body_template: Option<String>,
    /// Open-loop rate in requests per second: request `n` is due at `start + n / rate`,
    /// whether or not earlier responses have arrived (up to `concurrency` in flight).
    /// `None` is closed-loop: each of the `concurrency` connections sends its next
    /// request as soon as the previous response has been read.
    pub rate: Option<f64>,
    /// Number of connections, each with at most one request in flight.
    pub concurrency: usize,
    /// Stop issuing requests after this long.
    pub duration: Option<Duration>,
    /// Stop after exactly this many requests have been issued (and completed or failed).
    pub max_requests: Option<u64>,
    /// A request (connect excluded) that takes longer than this is counted in
    /// `errors_timeout` and its connection is closed.
    pub timeout: Duration,
    /// Connecting longer than this counts in `errors_connect`.
    pub connect_timeout: Duration,
    /// Tokio worker threads; `None` uses the number of CPUs.
    pub threads: Option<usize>,
    /// Targets must be loopback addresses unless this is set (safety: tests and CI
    /// only ever load 127.0.0.1).
    pub allow_non_loopback: bool,
}

impl LoadSpec {
    /// A closed-loop GET spec for `url_template` with 16 connections, a 30 s request
    /// timeout, a 5 s connect timeout and no end condition.
    pub fn new(url_template: impl Into<String>) -> Self {
        LoadSpec {
            url_template: url_template.into(),
            method: "GET".to_string(),
            headers: Vec::new(),
            body_template: None,
            rate: None,
            concurrency: 16,
            duration: None,
            max_requests: None,
            timeout: Duration::from_secs(30),
            connect_timeout: Duration::from_secs(5),
            threads: None,
            allow_non_loopback: false,
        }
    }
}

impl LoadSpec {
    /// Checks the spec without sending anything: URL, templates, method, headers,
    /// numbers, and that the host resolves to a loopback address (unless allowed).
    /// [`crate::run`] does the same checks first.
    pub fn validate(&self) -> Result<(), LoadError> {
        Plan::new(self).map(|_| ())
    }
}

/// A validated spec: parsed templates and headers, a resolved address.
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    pub addr: SocketAddr,
    pub method: Method,
    pub path: Template,
    pub body: Option<Template>,
    /// Host first (unless overridden), then the caller's headers.
    pub headers: Vec<(HeaderName, HeaderValue)>,
    pub rate: Option<f64>,
    pub concurrency: usize,
    pub duration: Option<Duration>,
    pub max_requests: Option<u64>,
    pub timeout: Duration,
    pub connect_timeout: Duration,
    pub threads: usize,
}

impl Plan {
    /// Checks everything that can be checked before the first request.
    pub(crate) fn new(spec: &LoadSpec) -> Result<Plan, LoadError> {
        let url = spec.url_template.as_str();
        let invalid_url = |reason: &str| LoadError::InvalidUrl {
            url: url.to_string(),
            reason: reason.to_string(),
        };
        let rest = url.strip_prefix("http://").ok_or_else(|| {
            invalid_url("only http:// URLs are supported (no https, no scheme-less URLs)")
        })?;
        let (authority, path_and_query) = match rest.find(['/', '?']) {
            Some(i) if rest.as_bytes()[i] == b'/' => (&rest[..i], rest[i..].to_string()),
            Some(i) => (&rest[..i], format!("/{}", &rest[i..])),
            None => (rest, "/".to_string()),
        };
        if authority.is_empty() || authority.contains(['{', '}', '@']) {
            return Err(invalid_url(
                "the host must be literal (no placeholders, no user info)",
            ));
        }
        let authority_uri: http::uri::Authority = authority
            .parse()
            .map_err(|e| invalid_url(&format!("bad host or port: {e}")))?;
        let host = authority_uri.host();
        let port = authority_uri.port_u16().unwrap_or(80);

        let path = Template::parse(&path_and_query)?;
        // Placeholders render to digits, hex and dashes only, so if one rendering is
        // a valid request target, all are.
        let sample = path.render(0, &mut crate::template::Rng::new(0));
        sample
            .parse::<http::uri::PathAndQuery>()
            .map_err(|e| invalid_url(&format!("bad path: {e}")))?;
        let body = spec
            .body_template
            .as_deref()
            .map(Template::parse)
            .transpose()?;

        let method = Method::from_bytes(spec.method.as_bytes())
            .map_err(|_| LoadError::InvalidMethod(spec.method.clone()))?;

        let mut headers = Vec::with_capacity(spec.headers.len() + 1);
        let host_overridden = spec
            .headers
            .iter()
            .any(|(name, _)| name.eq_ignore_ascii_case("host"));
        if !host_overridden {
            let value = HeaderValue::from_str(authority)
                .map_err(|e| invalid_url(&format!("bad host: {e}")))?;
            headers.push((http::header::HOST, value));
        }
        for (name, value) in &spec.headers {
            let invalid = |reason: String| LoadError::InvalidHeader {
                name: name.clone(),
                reason,
            };
            let header_name = HeaderName::from_bytes(name.as_bytes())
                .map_err(|e| invalid(format!("bad name: {e}")))?;
            let header_value =
                HeaderValue::from_str(value).map_err(|e| invalid(format!("bad value: {e}")))?;
            headers.push((header_name, header_value));
        }

        if spec.concurrency == 0 {
            return Err(LoadError::InvalidSpec(
                "concurrency must be at least 1".into(),
            ));
        }
        if let Some(rate) = spec.rate {
            if !(rate.is_finite() && rate > 0.0) {
                return Err(LoadError::InvalidSpec(format!(
                    "rate must be a positive number of requests per second, not {rate}"
                )));
            }
        }
        if spec.timeout.is_zero() || spec.connect_timeout.is_zero() {
            return Err(LoadError::InvalidSpec("timeouts must be positive".into()));
        }
        let threads = match spec.threads {
            Some(0) => return Err(LoadError::InvalidSpec("threads must be at least 1".into())),
            Some(n) => n,
            None => std::thread::available_parallelism().map_or(1, |n| n.get()),
        };

        let addr = resolve(host, port, spec.allow_non_loopback)?;
        Ok(Plan {
            addr,
            method,
            path,
            body,
            headers,
            rate: spec.rate,
            concurrency: spec.concurrency,
            duration: spec.duration,
            max_requests: spec.max_requests,
            timeout: spec.timeout,
            connect_timeout: spec.connect_timeout,
            threads,
        })
    }
}

/// Resolves `host:port` once, up front; refuses non-loopback addresses unless allowed.
fn resolve(host: &str, port: u16, allow_non_loopback: bool) -> Result<SocketAddr, LoadError> {
    let bare = host.trim_start_matches('[').trim_end_matches(']');
    let addrs: Vec<SocketAddr> = match bare.parse::<IpAddr>() {
        Ok(ip) => vec![SocketAddr::new(ip, port)],
        Err(_) => (bare, port)
            .to_socket_addrs()
            .map_err(|source| LoadError::Resolve {
                host: format!("{host}:{port}"),
                source,
            })?
            .collect(),
    };
    if !allow_non_loopback && addrs.iter().any(|a| !a.ip().is_loopback()) {
        return Err(LoadError::NotLoopback {
            host: host.to_string(),
        });
    }
    // Prefer IPv4: "localhost" often resolves to ::1 first while servers bind 127.0.0.1.
    addrs
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addrs.first())
        .copied()
        .ok_or_else(|| LoadError::Resolve {
            host: format!("{host}:{port}"),
            source: std::io::Error::new(std::io::ErrorKind::NotFound, "no address"),
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn plan(url: &str) -> Result<Plan, LoadError> {
        Plan::new(&LoadSpec::new(url))
    }

    #[test]
    fn accepts_loopback_urls() {
        let p = plan("http://127.0.0.1:8080/user/{n}").expect("valid");
        assert_eq!(p.addr, "127.0.0.1:8080".parse().expect("addr"));
        assert_eq!(p.headers[0].1, "127.0.0.1:8080");
        let p = plan("http://[::1]:9/x?q={rand}").expect("valid");
        assert_eq!(p.addr, "[::1]:9".parse().expect("addr"));
        let p = plan("http://127.0.0.1").expect("valid");
        assert_eq!(p.addr.port(), 80);
        assert_eq!(p.path.render(0, &mut crate::template::Rng::new(0)), "/");
        let p = plan("http://127.0.0.1:1?a=1").expect("valid");
        assert_eq!(p.path.render(0, &mut crate::template::Rng::new(0)), "/?a=1");
    }

    #[test]
    fn rejects_other_hosts_and_schemes() {
        assert!(matches!(
            plan("http://10.1.2.3/"),
            Err(LoadError::NotLoopback { .. })
        ));
        assert!(matches!(
            plan("https://127.0.0.1/"),
            Err(LoadError::InvalidUrl { .. })
        ));
        assert!(matches!(
            plan("http://{n}.example/"),
            Err(LoadError::InvalidUrl { .. })
        ));
        assert!(matches!(
            plan("http://127.0.0.1/a b"),
            Err(LoadError::InvalidUrl { .. })
        ));
        let allowed = Plan::new(&LoadSpec {
            allow_non_loopback: true,
            ..LoadSpec::new("http://10.1.2.3/")
        });
        assert!(allowed.is_ok());
    }

    #[test]
    fn rejects_bad_numbers_and_headers() {
        let base = LoadSpec::new("http://127.0.0.1:1/");
        let bad = [
            LoadSpec {
                concurrency: 0,
                ..base.clone()
            },
            LoadSpec {
                rate: Some(0.0),
                ..base.clone()
            },
            LoadSpec {
                rate: Some(f64::NAN),
                ..base.clone()
            },
            LoadSpec {
                method: "GE T".into(),
                ..base.clone()
            },
            LoadSpec {
                headers: vec![("bad name".into(), "v".into())],
                ..base.clone()
            },
        ];
        for spec in bad {
            assert!(Plan::new(&spec).is_err(), "{spec:?}");
        }
    }
}
