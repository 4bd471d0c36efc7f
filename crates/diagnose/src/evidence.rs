//! The evidence directory: captures kept for people to open later, private (the directory
//! 0700, every file 0600: heap contents hold secrets), within a disk budget — the oldest
//! files are dropped first.
//!
//! Files are named `<unix seconds>-<target>-<n>.<kind>` so that a listing tells what each
//! is without opening it; a capture in progress is a hidden `.partial` file, renamed into
//! place when complete and never counted or listed.

use std::fs;
use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::time::SystemTime;

use serde::Serialize;

use crate::DiagnoseError;

/// Name of the directory beside the database.
pub const DIR_NAME: &str = "evidence";

/// The evidence directory and its budget.
#[derive(Debug)]
pub struct Evidence {
    dir: PathBuf,
    budget_bytes: u64,
    // Captures of several targets may make room at once.
    lock: Mutex<()>,
}

/// One kept file.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvidenceFile {
    /// The file.
    pub path: PathBuf,
    /// The target it was captured from (from its name).
    pub target: String,
    /// What it is: `heapsnapshot`, `heap.pb.gz`, `goroutine.pb.gz`, `pickle`.
    pub kind: String,
    /// Its size, bytes.
    pub bytes: u64,
    /// When it was written, unix seconds.
    pub written_at: f64,
}

impl Evidence {
    /// The directory `dir` (created 0700, or made 0700) with a budget of `budget_bytes`.
    pub fn open(dir: &Path, budget_bytes: u64) -> Result<Evidence, DiagnoseError> {
        let err = |source| DiagnoseError::Evidence {
            path: dir.to_path_buf(),
            source,
        };
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)
            .map_err(err)?;
        // An existing directory made by someone else's umask is made private too.
        fs::set_permissions(dir, fs::Permissions::from_mode(0o700)).map_err(err)?;
        Ok(Evidence {
            dir: dir.to_path_buf(),
            budget_bytes,
            lock: Mutex::new(()),
        })
    }

    /// The default directory for a database at `db`: `evidence/` beside it.
    pub fn default_dir(db: &Path) -> PathBuf {
        db.parent()
            .filter(|p| !p.as_os_str().is_empty())
            .unwrap_or(Path::new("."))
            .join(DIR_NAME)
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path for capture `n` of `target` of `kind`, stamped `stamp` (unix seconds).
    pub fn path_for(&self, stamp: u64, target: &str, n: u32, kind: &str) -> PathBuf {
        self.dir
            .join(format!("{stamp}-{}-{n}.{kind}", file_safe(target)))
    }

    /// A new private (0600) partial file for `path`; rename it with [`Self::keep`].
    pub fn create_partial(&self, path: &Path) -> Result<(PathBuf, fs::File), DiagnoseError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let partial = self.dir.join(format!(".{name}.partial"));
        let f = fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&partial)
            .map_err(|source| DiagnoseError::Evidence {
                path: partial.clone(),
                source,
            })?;
        Ok((partial, f))
    }

    /// Move a complete partial file into place.
    pub fn keep(&self, partial: &Path, path: &Path) -> Result<(), DiagnoseError> {
        fs::rename(partial, path).map_err(|source| DiagnoseError::Evidence {
            path: path.to_path_buf(),
            source,
        })
    }

    /// Bring a file written elsewhere (a tracemalloc dump) into the directory as `path`:
    /// renamed when on the same file system, else copied and removed; 0600 either way.
    pub fn adopt(&self, from: &Path, path: &Path) -> Result<(), DiagnoseError> {
        let err = |source| DiagnoseError::Evidence {
            path: path.to_path_buf(),
            source,
        };
        if fs::rename(from, path).is_err() {
            let (partial, mut f) = self.create_partial(path)?;
            let copied = fs::read(from).and_then(|b| f.write_all(&b));
            if let Err(e) = copied {
                let _ = fs::remove_file(&partial);
                return Err(err(e));
            }
            self.keep(&partial, path)?;
            let _ = fs::remove_file(from);
        }
        fs::set_permissions(path, fs::Permissions::from_mode(0o600)).map_err(err)
    }

    /// Make room for `need_bytes` more: drop the oldest files (never those in `keep`) until
    /// everything fits the budget. Fails, naming the budget, when even then it does not.
    pub fn make_room(&self, need_bytes: u64, keep: &[PathBuf]) -> Result<(), DiagnoseError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let mut files = self.list()?;
        let mut total: u64 = files.iter().map(|f| f.bytes).sum();
        files.sort_by(|a, b| a.written_at.total_cmp(&b.written_at));
        for f in files.iter().filter(|f| !keep.contains(&f.path)) {
            if total.saturating_add(need_bytes) <= self.budget_bytes {
                break;
            }
            if fs::remove_file(&f.path).is_ok() {
                tracing::info!(file = %f.path.display(), bytes = f.bytes, "evidence dropped (disk budget)");
                total = total.saturating_sub(f.bytes);
            }
        }
        if total.saturating_add(need_bytes) > self.budget_bytes {
            return Err(DiagnoseError::Skipped(format!(
                "the evidence disk budget ({} MB in {}) cannot hold about {} MB more",
                self.budget_bytes / 1_000_000,
                self.dir.display(),
                need_bytes.div_ceil(1_000_000)
            )));
        }
        Ok(())
    }

    /// The files kept, oldest first.
    pub fn list(&self) -> Result<Vec<EvidenceFile>, DiagnoseError> {
        list(&self.dir)
    }
}

/// The files kept in the evidence directory `dir`, oldest first (none when it does not
/// exist).
pub fn list(dir: &Path) -> Result<Vec<EvidenceFile>, DiagnoseError> {
    let rd = match fs::read_dir(dir) {
        Ok(rd) => rd,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(source) => {
            return Err(DiagnoseError::Evidence {
                path: dir.to_path_buf(),
                source,
            })
        }
    };
    let mut out = Vec::new();
    for entry in rd.flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        let Ok(meta) = entry.metadata() else { continue };
        if !meta.is_file() {
            continue;
        }
        let (target, kind) = parse_name(&name);
        let written_at = meta
            .modified()
            .ok()
            .and_then(|t| t.duration_since(SystemTime::UNIX_EPOCH).ok())
            .map_or(0.0, |d| d.as_secs_f64());
        out.push(EvidenceFile {
            path: entry.path(),
            target,
            kind,
            bytes: meta.len(),
            written_at,
        });
    }
    out.sort_by(|a, b| a.written_at.total_cmp(&b.written_at));
    Ok(out)
}

/// `<stamp>-<target>-<n>.<kind>` → (target, kind); other names keep their whole name.
fn parse_name(name: &str) -> (String, String) {
    let (stem, kind) = match name.split_once('.') {
        Some((s, k)) => (s, k.to_string()),
        None => (name, String::new()),
    };
    let target = stem
        .split_once('-')
        .and_then(|(_, rest)| rest.rsplit_once('-').map(|(t, _)| t.to_string()))
        .unwrap_or_else(|| stem.to_string());
    (target, kind)
}

/// A target name as part of a file name: `[A-Za-z0-9_]` kept, the rest `_`, at most 60.
fn file_safe(name: &str) -> String {
    let s: String = name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .take(60)
        .collect();
    if s.is_empty() {
        "target".into()
    } else {
        s
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::MetadataExt;

    fn write(ev: &Evidence, stamp: u64, n: u32, bytes: usize) -> PathBuf {
        let p = ev.path_for(stamp, "node:svc", n, "heapsnapshot");
        let (partial, mut f) = ev.create_partial(&p).expect("partial");
        f.write_all(&vec![b'x'; bytes]).expect("write");
        ev.keep(&partial, &p).expect("keep");
        // Distinct modification times, oldest first.
        let t = SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(stamp);
        fs::File::options()
            .write(true)
            .open(&p)
            .and_then(|f| f.set_modified(t))
            .expect("mtime");
        p
    }

    #[test]
    fn files_are_private_and_the_oldest_go_first() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("evidence");
        let ev = Evidence::open(&dir, 1000).expect("open");
        assert_eq!(fs::metadata(&dir).expect("dir").mode() & 0o777, 0o700);
        let a = write(&ev, 1000, 1, 400);
        let b = write(&ev, 2000, 1, 400);
        assert_eq!(fs::metadata(&a).expect("a").mode() & 0o777, 0o600);
        let listed = ev.list().expect("list");
        assert_eq!(listed.len(), 2);
        assert_eq!(listed[0].target, "node_svc");
        assert_eq!(listed[0].kind, "heapsnapshot");
        // 800 + 400 > 1000: the oldest goes, the newer stays.
        ev.make_room(400, &[]).expect("room");
        assert!(!a.exists() && b.exists());
        // A file of this diagnosis is never dropped; then there is no room.
        let e = ev.make_room(700, std::slice::from_ref(&b)).unwrap_err();
        assert!(e.is_skip() && e.to_string().contains("disk budget"), "{e}");
        assert!(b.exists());
    }

    #[test]
    fn a_shared_directory_is_made_private() {
        let tmp = tempfile::tempdir().expect("tmp");
        let dir = tmp.path().join("evidence");
        fs::create_dir(&dir).expect("mkdir");
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).expect("chmod");
        Evidence::open(&dir, 1).expect("open");
        assert_eq!(fs::metadata(&dir).expect("dir").mode() & 0o777, 0o700);
    }
}
