//! Which files to read: the paths given, directories walked honoring `.gitignore` (and
//! `.ignore`), hidden files skipped, symlinks followed with loops reported, plus the config's
//! exclude globs. A file named on the command line is read whatever the ignore files say.

use std::path::{Path, PathBuf};

use ignore::overrides::OverrideBuilder;
use ignore::WalkBuilder;

use crate::error::LintError;
use crate::finding::Warning;
use crate::lang::Language;

/// A file to lint.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct SourceFile {
    /// Where it is.
    pub path: PathBuf,
    /// How findings name it (as found, without a leading `./`).
    pub display: String,
    /// Its language.
    pub lang: Language,
}

/// Collect the files under `paths`; problems with single entries become warnings.
pub fn collect(
    paths: &[PathBuf],
    exclude: &[String],
    warnings: &mut Vec<Warning>,
) -> Result<Vec<SourceFile>, LintError> {
    let mut files = Vec::new();
    for root in paths {
        let meta = std::fs::metadata(root).map_err(|source| LintError::Path {
            path: root.clone(),
            source,
        })?;
        if meta.is_file() {
            match Language::from_path(root) {
                Some(lang) => files.push(source_file(root, lang)),
                None => warnings.push(Warning {
                    path: root.clone(),
                    message: "not a JavaScript/TypeScript, Python or Go file; skipped".into(),
                }),
            }
            continue;
        }
        let mut overrides = OverrideBuilder::new(root);
        for glob in exclude {
            overrides
                .add(&format!("!{glob}"))
                .map_err(|e| LintError::Glob {
                    glob: glob.clone(),
                    message: e.to_string(),
                })?;
        }
        let overrides = overrides.build().map_err(|e| LintError::Glob {
            glob: exclude.join(", "),
            message: e.to_string(),
        })?;
        let walker = WalkBuilder::new(root)
            .follow_links(true)
            .require_git(false)
            .overrides(overrides)
            .build();
        for entry in walker {
            match entry {
                Ok(e) => {
                    if !e.file_type().is_some_and(|t| t.is_file()) {
                        continue;
                    }
                    if let Some(lang) = Language::from_path(e.path()) {
                        files.push(source_file(e.path(), lang));
                    }
                }
                Err(err) => warnings.push(walk_warning(root, &err)),
            }
        }
    }
    files.sort();
    files.dedup_by(|a, b| a.path == b.path);
    Ok(files)
}

fn source_file(path: &Path, lang: Language) -> SourceFile {
    let shown = path.display().to_string();
    let display = shown.strip_prefix("./").unwrap_or(&shown).to_string();
    SourceFile {
        path: path.to_path_buf(),
        display,
        lang,
    }
}

/// One sentence naming the file for a walk error (a symlink loop, a broken link, no access).
fn walk_warning(root: &Path, err: &ignore::Error) -> Warning {
    fn inner(err: &ignore::Error, path: Option<PathBuf>) -> (Option<PathBuf>, String) {
        match err {
            ignore::Error::WithPath { path, err } => inner(err, Some(path.clone())),
            ignore::Error::WithDepth { err, .. } | ignore::Error::WithLineNumber { err, .. } => {
                inner(err, path)
            }
            ignore::Error::Loop { ancestor, child } => (
                Some(child.clone()),
                format!(
                    "a symlink loop (it leads back to {}); not followed",
                    ancestor.display()
                ),
            ),
            ignore::Error::Io(e) => (path, format!("cannot be read: {e}; skipped")),
            other => (path, format!("{other}; skipped")),
        }
    }
    let (path, message) = inner(err, None);
    Warning {
        path: path.unwrap_or_else(|| root.to_path_buf()),
        message,
    }
}
