//! The one error type of the heap crate: it names the file and, where known, the byte offset.

use std::path::{Path, PathBuf};

/// What went wrong reading or analyzing a snapshot or profile.
#[derive(Debug, thiserror::Error)]
pub enum HeapError {
    /// The file could not be read.
    #[error("cannot read {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// The file is not what it claims, is truncated or corrupt.
    #[error("{path}{}: {message}", offset.map(|o| format!(" at byte {o}")).unwrap_or_default())]
    Format {
        /// The file.
        path: PathBuf,
        /// Byte offset of the problem, when known.
        offset: Option<u64>,
        /// What is wrong, in one sentence.
        message: String,
    },
    /// Inputs that cannot be compared (different processes, sample types, formats).
    #[error("{0}")]
    Mismatch(String),
    /// A request the format cannot answer (unknown --by or --sample-index, too few files).
    #[error("{0}")]
    Usage(String),
}

impl HeapError {
    /// An I/O error on `path`.
    pub fn io(path: &Path, source: std::io::Error) -> Self {
        HeapError::Io {
            path: path.to_path_buf(),
            source,
        }
    }

    /// A format error in `path` at `offset`.
    pub fn format(path: &Path, offset: Option<u64>, message: impl Into<String>) -> Self {
        HeapError::Format {
            path: path.to_path_buf(),
            offset,
            message: message.into(),
        }
    }
}
