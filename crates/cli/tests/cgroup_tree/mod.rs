//! Real cgroups made by a test under a root of its own, in kubelet's layouts, and removed
//! (deepest first) when the test ends, pass or fail.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// Cgroups under a test root, removed deepest first.
pub struct Tree {
    pub root: PathBuf,
}

impl Tree {
    /// A root under the cgroup v1 memory hierarchy, or None (the test skips, saying why) when
    /// this machine has none that can be written.
    pub fn v1_memory(name: &str) -> Option<Tree> {
        let root = PathBuf::from(format!(
            "/sys/fs/cgroup/memory/leakscope-{name}-{}",
            std::process::id()
        ));
        match fs::create_dir(&root) {
            Ok(()) => Some(Tree { root }),
            Err(e) => {
                eprintln!("SKIP: no writable cgroup v1 memory hierarchy here ({e})");
                None
            }
        }
    }

    /// The cgroup at `rel` (slash-separated) under the root, made with its parents.
    pub fn mk(&self, rel: &str) -> PathBuf {
        let mut p = self.root.clone();
        for part in rel.split('/') {
            p.push(part);
            if !p.exists() {
                fs::create_dir(&p).unwrap();
            }
        }
        p
    }
}

impl Drop for Tree {
    fn drop(&mut self) {
        fn rm(dir: &Path) {
            if let Ok(rd) = fs::read_dir(dir) {
                for e in rd.flatten() {
                    if e.file_type().is_ok_and(|t| t.is_dir()) {
                        rm(&e.path());
                    }
                }
            }
            // A cgroup whose last process just exited can refuse removal for a moment.
            let end = Instant::now() + Duration::from_secs(5);
            while fs::remove_dir(dir).is_err() && Instant::now() < end {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        rm(&self.root);
    }
}

/// The JSON lines of a watcher's `--log` so far (a line being written is skipped).
pub fn log_lines(path: &Path) -> Vec<serde_json::Value> {
    fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .collect()
}
