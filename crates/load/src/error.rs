//! The one error type of this crate.

/// Why a load run could not start (or its runtime could not be built).
///
/// Failures of individual requests are never errors: they are counted in
/// [`crate::LoadStats`] and the run goes on.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    /// The URL template is not an `http://host[:port]/path` URL.
    #[error("invalid URL template {url:?}: {reason}")]
    InvalidUrl {
        /// The template as given.
        url: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The target host is not a loopback address and the spec does not allow that.
    #[error("refusing to send load to {host:?}: it is not a loopback address (set allow_non_loopback to target other hosts)")]
    NotLoopback {
        /// The host as written in the URL.
        host: String,
    },
    /// A template (URL path or body) has an unknown or unclosed placeholder.
    #[error("invalid template {template:?}: {reason}")]
    InvalidTemplate {
        /// The template as given.
        template: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A header name or value is not valid HTTP.
    #[error("invalid header {name:?}: {reason}")]
    InvalidHeader {
        /// The header name as given.
        name: String,
        /// What is wrong with it.
        reason: String,
    },
    /// The method is not a valid HTTP method token.
    #[error("invalid HTTP method {0:?}")]
    InvalidMethod(String),
    /// A numeric setting is out of range (zero concurrency, a rate that is not positive, ...).
    #[error("invalid load spec: {0}")]
    InvalidSpec(String),
    /// The host name did not resolve to any address.
    #[error("cannot resolve {host:?}: {source}")]
    Resolve {
        /// The host and port that were looked up.
        host: String,
        /// The resolver's error.
        #[source]
        source: std::io::Error,
    },
    /// The tokio runtime could not be built.
    #[error("cannot start the load generator's runtime: {0}")]
    Runtime(#[source] std::io::Error),
}
