//! (in progress)
use crate::{HeapError, HeapReport, Options};
use std::path::PathBuf;
/// Diff files.
pub fn diff_files(paths: &[PathBuf], _opts: &Options) -> Result<HeapReport, HeapError> {
    Err(HeapError::Usage(format!(
        "{}: diff not ready",
        paths[0].display()
    )))
}
