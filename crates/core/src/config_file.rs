//! Mistakes in a TOML config file (the watcher's and `[lint]`'s), said the same way: the file,
//! the line, the key, and why — so `config check` and `lint` point at the same place.

use std::ops::Range;
use std::path::{Path, PathBuf};

/// A config file that cannot be used: where, which key, and why.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file cannot be read.
    #[error("cannot read the config file {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A mistake in the file.
    #[error("{}: line {line}{}: {message}", path.display(), key.as_ref().map(|k| format!(", key `{k}`")).unwrap_or_default())]
    Invalid {
        /// The file.
        path: PathBuf,
        /// 1-based line of the mistake.
        line: usize,
        /// The key it is about, when one is.
        key: Option<String>,
        /// What is wrong.
        message: String,
    },
}

impl ConfigError {
    /// The 1-based line of the mistake, when it is in the file.
    pub fn line(&self) -> Option<usize> {
        match self {
            ConfigError::Invalid { line, .. } => Some(*line),
            ConfigError::Read { .. } => None,
        }
    }

    /// The key the mistake is about.
    pub fn key(&self) -> Option<&str> {
        match self {
            ConfigError::Invalid { key, .. } => key.as_deref(),
            ConfigError::Read { .. } => None,
        }
    }
}

/// The text of the config file at `path`.
pub fn read(path: &Path) -> Result<String, ConfigError> {
    std::fs::read_to_string(path).map_err(|source| ConfigError::Read {
        path: path.to_path_buf(),
        source,
    })
}

/// The mistake at byte `span` of `text` (read from `path`); without a `key`, the key written
/// on that line (`key = ...`) when there is one.
pub fn invalid(
    text: &str,
    path: &Path,
    span: Range<usize>,
    key: Option<String>,
    message: String,
) -> ConfigError {
    ConfigError::Invalid {
        path: path.to_path_buf(),
        line: line_of(text, span.start),
        key: key.or_else(|| key_at(text, span.start)),
        message: message.trim().replace('\n', " "),
    }
}

/// The 1-based line of byte `offset` in `text`.
pub fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The key written on the line holding `offset` (`key = ...`), if any.
fn key_at(text: &str, offset: usize) -> Option<String> {
    let mut offset = offset.min(text.len());
    while !text.is_char_boundary(offset) {
        offset -= 1;
    }
    let start = text[..offset].rfind('\n').map_or(0, |i| i + 1);
    let line = text[start..].lines().next()?;
    let (key, _) = line.split_once('=')?;
    let key = key.trim().trim_matches('"');
    (!key.is_empty() && !key.starts_with('[') && !key.starts_with('#')).then(|| key.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_mistake_names_its_line_and_the_key_written_there() {
        let text = "interval = \"5s\"\nlimit = \"lots\"\n";
        let e = invalid(text, Path::new("a.toml"), 24..30, None, "bad\nsize".into());
        assert_eq!(e.line(), Some(2));
        assert_eq!(e.key(), Some("limit"));
        assert_eq!(e.to_string(), "a.toml: line 2, key `limit`: bad size");
        // A section header is not a key; an offset past the end is the last line.
        let e = invalid("[store]\n", Path::new("a.toml"), 3..4, None, "x".into());
        assert_eq!((e.line(), e.key()), (Some(1), None));
        assert_eq!(
            invalid("a = 1", Path::new("a"), 99..99, None, "x".into()).line(),
            Some(1)
        );
    }
}
