//! (being written)

use std::path::{Path, PathBuf};

use crate::{HeapError, HeapReport, Options};

/// True when `prefix` starts a file of this format.
pub fn sniff(_prefix: &[u8]) -> bool {
    false
}

/// `heap top` for this format.
pub fn top(path: &Path, _opts: &Options) -> Result<HeapReport, HeapError> {
    Err(HeapError::Usage(format!(
        "{}: this format is not supported yet",
        path.display()
    )))
}

/// `heap diff` for this format.
pub fn diff(paths: &[PathBuf], _opts: &Options) -> Result<HeapReport, HeapError> {
    Err(HeapError::Usage(format!(
        "{}: this format is not supported yet",
        paths[0].display()
    )))
}

/// True when `path` holds a goroutine profile (proto or text).
pub fn is_goroutine_profile(_path: &Path) -> Result<bool, HeapError> {
    Ok(false)
}

/// `heap top` of a goroutine profile.proto already parsed.
pub fn top_profile(
    path: &Path,
    _p: &crate::pprof::Profile,
    _opts: &Options,
) -> Result<HeapReport, HeapError> {
    top(path, _opts)
}
