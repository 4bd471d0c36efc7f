//! Errors that stop a lint run (bad usage, a broken config, missing paths). Problems with
//! single files are warnings instead, and the run goes on.

use std::path::PathBuf;

use crate::config::ConfigError;

/// Why a lint run could not start or finish.
#[derive(Debug, thiserror::Error)]
pub enum LintError {
    /// A path given does not exist or cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Path {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// An exclude glob is not a glob.
    #[error("the exclude pattern {glob:?} is not a glob: {message}")]
    Glob {
        /// The pattern.
        glob: String,
        /// Why.
        message: String,
    },
    /// A rule selector names no rule.
    #[error("{0}")]
    Selector(String),
    /// The config file is broken.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// An evidence file cannot be used.
    #[error("cannot use the evidence file {}: {message}", path.display())]
    Evidence {
        /// The file.
        path: PathBuf,
        /// Why.
        message: String,
    },
    /// The rules do not compile (a defect of this build).
    #[error("the lint rules do not load: {0}")]
    Rules(String),
    /// This build has no parsers.
    #[error("this leakscope was built without the lint parsers; rebuild with the `lint` feature (cargo build --features lint)")]
    NoParsers,
}
