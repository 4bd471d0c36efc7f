//! Container memory from a cgroup directory, v1 or v2, detected automatically.
//!
//! | field | cgroup v2 | cgroup v1 |
//! |---|---|---|
//! | `usage_bytes` | `memory.current` | `memory.usage_in_bytes` |
//! | `working_set_bytes` | usage − `inactive_file` (≥ 0) | usage − `total_inactive_file` (≥ 0) |
//! | `anon_bytes` | `memory.stat` `anon` | `memory.stat` `total_rss` |
//! | `file_bytes` | `memory.stat` `file` | `memory.stat` `total_cache` |
//! | `limit_bytes` | `memory.max` (`max` → none) | `memory.stat` `hierarchical_memory_limit` (huge → none) |
//! | `oom_kill_count` | `memory.events.local` `oom_kill`, else `memory.events` | `memory.oom_control` `oom_kill` |
//!
//! Working set is what cAdvisor and the kubelet call `container_memory_working_set_bytes`; it
//! includes active page cache, so prefer `anon_bytes` as a leak signal. Each file costs a few
//! µs to read.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use crate::error::{ProbeError, Target};
use crate::fsutil::{keyed_values, parse_u64, read_into, trim};
use crate::pidtree::CGROUP_ROOT;

/// Which cgroup interface a directory speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub enum CgroupVersion {
    /// Legacy per-controller hierarchy (`/sys/fs/cgroup/memory/...`).
    V1,
    /// Unified hierarchy (`/sys/fs/cgroup/...`, or `/sys/fs/cgroup/unified` on hybrid hosts).
    V2,
}

/// Limits at or above this many bytes mean "no limit" (v1 writes 9223372036854771712,
/// `PAGE_COUNTER_MAX` pages, for unlimited).
const UNLIMITED_BYTES: u64 = 1 << 62;

/// One reading of a cgroup's memory. Sizes are bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CgroupSample {
    /// Memory charged to the cgroup, bytes, page cache included.
    pub usage_bytes: u64,
    /// Usage minus inactive file cache, bytes, clamped at 0 (cAdvisor's working set).
    pub working_set_bytes: u64,
    /// Anonymous memory, bytes (v2 `anon`, v1 `total_rss`): the best leak signal.
    pub anon_bytes: u64,
    /// Page cache, bytes (v2 `file`, v1 `total_cache`), tmpfs/shmem included.
    pub file_bytes: u64,
    /// The memory limit, bytes; `None` when unlimited. v1 reports the effective limit
    /// (`hierarchical_memory_limit`, the lowest of this cgroup and its ancestors); v2 reports
    /// this cgroup's own `memory.max` only, so a lower limit on a parent is not seen.
    pub limit_bytes: Option<u64>,
    /// Processes killed by the OOM killer in this cgroup so far; `None` when the kernel does
    /// not report it (v1 before Linux 4.13).
    pub oom_kill_count: Option<u64>,
}

impl CgroupSample {
    /// `(field name, value)` pairs for logging and storage: `cgroup_usage_bytes`,
    /// `cgroup_working_set_bytes`, `cgroup_anon_bytes`, `cgroup_file_bytes`, and
    /// `cgroup_limit_bytes` / `cgroup_oom_kill_count` when known.
    pub fn fields(&self) -> Vec<(&'static str, f64)> {
        let mut out = vec![
            ("cgroup_usage_bytes", self.usage_bytes as f64),
            ("cgroup_working_set_bytes", self.working_set_bytes as f64),
            ("cgroup_anon_bytes", self.anon_bytes as f64),
            ("cgroup_file_bytes", self.file_bytes as f64),
        ];
        if let Some(limit) = self.limit_bytes {
            out.push(("cgroup_limit_bytes", limit as f64));
        }
        if let Some(kills) = self.oom_kill_count {
            out.push(("cgroup_oom_kill_count", kills as f64));
        }
        out
    }
}

/// An opened memory cgroup; [`Cgroup::sample`] reuses its buffers.
#[derive(Debug)]
pub struct Cgroup {
    dir: PathBuf,
    version: CgroupVersion,
    buf: Vec<u8>,
    path: String,
}

impl Cgroup {
    /// Opens the cgroup at `path`: an absolute directory, or a path relative to
    /// `/sys/fs/cgroup` (v2), `/sys/fs/cgroup/unified` (v2 on hybrid hosts) or
    /// `/sys/fs/cgroup/memory` (v1), tried in that order. A leading `/` on a path that is not
    /// itself a cgroup directory is treated as relative, so `/system.slice/x.service` works.
    pub fn open(path: &Path) -> Result<Cgroup, ProbeError> {
        Self::open_under(path, Path::new(CGROUP_ROOT))
    }

    /// [`Cgroup::open`] with a different mount root (tests use a fixture tree).
    pub fn open_under(path: &Path, root: &Path) -> Result<Cgroup, ProbeError> {
        let mut candidates = Vec::new();
        if path.is_absolute() {
            candidates.push(path.to_path_buf());
        }
        let rel = path.strip_prefix("/").unwrap_or(path);
        if !path.is_absolute() || !path.starts_with(root) {
            candidates.push(root.join(rel));
            candidates.push(root.join("unified").join(rel));
            candidates.push(root.join("memory").join(rel));
        }
        for dir in &candidates {
            if let Some(version) = detect(dir) {
                return Ok(Cgroup {
                    dir: dir.clone(),
                    version,
                    buf: Vec::with_capacity(4096),
                    path: String::with_capacity(dir.as_os_str().len() + 32),
                });
            }
        }
        let tried: Vec<String> = candidates.iter().map(|p| p.display().to_string()).collect();
        let detail = if candidates.iter().any(|d| d.is_dir()) {
            format!(
                "no memory.current (v2) or memory.usage_in_bytes (v1) in {}; is the memory controller enabled there?",
                tried.join(", ")
            )
        } else {
            format!("no such directory (tried {})", tried.join(", "))
        };
        Err(ProbeError::NotACgroup {
            target: Target::Cgroup(path.to_path_buf()),
            detail,
        })
    }

    /// The cgroup directory that was found.
    pub fn path(&self) -> &Path {
        &self.dir
    }

    /// Which interface the directory speaks.
    pub fn version(&self) -> CgroupVersion {
        self.version
    }

    /// Reads the cgroup's memory files (v2: `memory.current`, `memory.stat`, `memory.max`,
    /// `memory.events[.local]`; v1: `memory.usage_in_bytes`, `memory.stat`,
    /// `memory.oom_control`). A removed cgroup is [`ProbeError::Gone`].
    pub fn sample(&mut self) -> Result<CgroupSample, ProbeError> {
        match self.version {
            CgroupVersion::V2 => self.sample_v2(),
            CgroupVersion::V1 => self.sample_v1(),
        }
    }

    fn sample_v2(&mut self) -> Result<CgroupSample, ProbeError> {
        let usage = self.read_number("memory.current")?;
        let (mut anon, mut file, mut inactive_file) = (0, 0, 0);
        let n = self.read("memory.stat")?;
        for (key, value) in keyed_values(self.content(n)) {
            let slot = match key {
                b"anon" => &mut anon,
                b"file" => &mut file,
                b"inactive_file" => &mut inactive_file,
                _ => continue,
            };
            *slot = parse_u64(value).unwrap_or(0);
        }
        // memory.max is absent in the root cgroup, which has no limit.
        let limit = match self.read("memory.max") {
            Ok(n) => parse_limit(trim(self.content(n))),
            Err(_) => None,
        };
        // memory.events.local (Linux ≥ 5.7) counts this cgroup only; memory.events includes
        // children.
        let oom = match self.read("memory.events.local") {
            Ok(n) => find_key(self.content(n), b"oom_kill"),
            Err(_) => match self.read("memory.events") {
                Ok(n) => find_key(self.content(n), b"oom_kill"),
                Err(_) => None,
            },
        };
        Ok(CgroupSample {
            usage_bytes: usage,
            working_set_bytes: usage.saturating_sub(inactive_file),
            anon_bytes: anon,
            file_bytes: file,
            limit_bytes: limit,
            oom_kill_count: oom,
        })
    }

    fn sample_v1(&mut self) -> Result<CgroupSample, ProbeError> {
        let usage = self.read_number("memory.usage_in_bytes")?;
        let (mut rss, mut cache, mut inactive_file) = (0, 0, 0);
        let mut limit = None;
        let n = self.read("memory.stat")?;
        for (key, value) in keyed_values(self.content(n)) {
            let slot = match key {
                b"total_rss" => &mut rss,
                b"total_cache" => &mut cache,
                b"total_inactive_file" => &mut inactive_file,
                b"hierarchical_memory_limit" => {
                    limit = parse_limit(value);
                    continue;
                }
                _ => continue,
            };
            *slot = parse_u64(value).unwrap_or(0);
        }
        let oom = match self.read("memory.oom_control") {
            Ok(n) => find_key(self.content(n), b"oom_kill"),
            Err(_) => None,
        };
        Ok(CgroupSample {
            usage_bytes: usage,
            working_set_bytes: usage.saturating_sub(inactive_file),
            anon_bytes: rss,
            file_bytes: cache,
            limit_bytes: limit,
            oom_kill_count: oom,
        })
    }

    /// Reads `<dir>/<name>` into `self.buf`; returns the content length.
    fn read(&mut self, name: &str) -> Result<usize, ProbeError> {
        self.path.clear();
        let _ = write!(self.path, "{}/{name}", self.dir.display());
        let path = Path::new(&self.path);
        read_into(path, &mut self.buf)
            .map_err(|e| ProbeError::from_io(Target::Cgroup(self.dir.clone()), path, e))
    }

    fn content(&self, n: usize) -> &[u8] {
        self.buf.get(..n).unwrap_or(&[])
    }

    fn read_number(&mut self, name: &str) -> Result<u64, ProbeError> {
        let n = self.read(name)?;
        let text = self.content(n);
        parse_u64(trim(text)).ok_or_else(|| ProbeError::Parse {
            target: Target::Cgroup(self.dir.clone()),
            what: name.to_string(),
            detail: format!(
                "expected a number of bytes, found {:?}",
                String::from_utf8_lossy(text.get(..64.min(text.len())).unwrap_or(&[]))
            ),
        })
    }
}

/// v2 if `memory.current` is there, v1 if `memory.usage_in_bytes` is.
fn detect(dir: &Path) -> Option<CgroupVersion> {
    if dir.join("memory.current").is_file() {
        Some(CgroupVersion::V2)
    } else if dir.join("memory.usage_in_bytes").is_file() {
        Some(CgroupVersion::V1)
    } else {
        None
    }
}

/// `max` or a huge value → `None`, else the number of bytes.
fn parse_limit(value: &[u8]) -> Option<u64> {
    if value == b"max" {
        return None;
    }
    parse_u64(value).filter(|&v| v < UNLIMITED_BYTES)
}

fn find_key(buf: &[u8], wanted: &[u8]) -> Option<u64> {
    keyed_values(buf)
        .find(|(k, _)| *k == wanted)
        .and_then(|(_, v)| parse_u64(v))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits() {
        assert_eq!(parse_limit(b"max"), None);
        assert_eq!(parse_limit(b"9223372036854771712"), None);
        assert_eq!(parse_limit(b"33554432"), Some(33554432));
        assert_eq!(parse_limit(b"junk"), None);
    }

    #[test]
    fn missing_directory_names_what_was_tried() {
        let dir = tempfile::tempdir().expect("tempdir");
        let err = Cgroup::open_under(Path::new("no/such"), dir.path()).expect_err("must fail");
        let msg = err.to_string();
        assert!(
            msg.contains("not a memory cgroup") && msg.contains("no such directory"),
            "{msg}"
        );
    }
}
