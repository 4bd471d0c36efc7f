//! `leakscope lint`: the memory-leak code-review checklist as static checks for
//! JavaScript/TypeScript (with JSX/TSX), Python and Go.
//!
//! The checklist: caches without a bound, listeners never removed, unbounded queries,
//! background goroutines and threads without an exit, timer closures holding large data,
//! pooled connections not returned, files and sockets not closed on every path, recurring
//! timers never cleared. Rules are data (`rules/*.toml`: metadata, texts and a tree-sitter
//! query each); what a query cannot say ("never removed in this scope") is a check in Rust
//! ([`check`]). Files are walked honoring `.gitignore`; findings come out as JSON
//! ([`report::Report`]) or SARIF 2.1.0 ([`sarif`]); a heap diff can confirm them
//! ([`evidence`]).
//!
//! The parsers (tree-sitter and four C grammars) are the `parsers` feature; without it the
//! catalog, config, models and evidence still build and [`lint`] answers
//! [`LintError::NoParsers`].

pub mod catalog;
pub mod config;
pub mod error;
pub mod evidence;
pub mod finding;
pub mod gomod;
pub mod lang;
pub mod options;
pub mod report;
pub mod sarif;
pub mod suppress;

#[cfg(feature = "parsers")]
pub mod check;
#[cfg(feature = "parsers")]
mod context;
#[cfg(feature = "parsers")]
pub mod engine;
#[cfg(feature = "parsers")]
pub mod prefilter;
#[cfg(feature = "parsers")]
pub mod run;
#[cfg(feature = "parsers")]
pub mod syntax;
#[cfg(feature = "parsers")]
pub mod walk;

pub use error::LintError;
pub use finding::{Finding, Precision, Severity, Warning};
pub use options::{Options, Selector};
pub use report::Report;

/// True when this build can parse source files.
pub const HAS_PARSERS: bool = cfg!(feature = "parsers");

/// Lint the files under `paths` with `opts`. Every finding is returned whatever its severity;
/// apply evidence, then [`Report::retain_shown`] with `opts.min_severity`.
#[cfg(feature = "parsers")]
pub fn lint(paths: &[std::path::PathBuf], opts: &Options) -> Result<Report, LintError> {
    run::lint(paths, opts)
}

/// Without the `parsers` feature there is nothing to lint with.
#[cfg(not(feature = "parsers"))]
pub fn lint(_paths: &[std::path::PathBuf], _opts: &Options) -> Result<Report, LintError> {
    Err(LintError::NoParsers)
}
