//! Real cgroups made by a test under a root of its own (standing for a node's cgroup root,
//! in kubelet's layouts), removed deepest first when the test ends, pass or fail.

use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// A directory of cgroups, removed deepest first on drop.
pub struct Root {
    pub dir: PathBuf,
}

impl Root {
    /// `PARENT/leakscope-k8s-PID-TAG`, or why it cannot be made.
    pub fn create(parent: &str, tag: &str) -> Result<Root, String> {
        let dir = Path::new(parent).join(format!("leakscope-k8s-{}-{tag}", std::process::id()));
        fs::create_dir(&dir).map_err(|e| format!("cannot mkdir {}: {e}", dir.display()))?;
        Ok(Root { dir })
    }

    /// A root in the cgroup v1 memory hierarchy, or None (the test skips, saying why).
    pub fn v1_memory(tag: &str) -> Option<Root> {
        Root::create("/sys/fs/cgroup/memory", tag)
            .map_err(|e| eprintln!("SKIP: no writable cgroup v1 memory hierarchy here ({e})"))
            .ok()
    }

    /// The cgroup at `rel` under the root, made with its parents.
    pub fn mkdir(&self, rel: impl AsRef<Path>) -> PathBuf {
        let mut p = self.dir.clone();
        for part in rel.as_ref().components() {
            p.push(part);
            if !p.exists() {
                fs::create_dir(&p).unwrap();
            }
        }
        p
    }
}

impl Drop for Root {
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
            let deadline = Instant::now() + Duration::from_secs(5);
            while fs::remove_dir(dir).is_err() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(20));
            }
        }
        rm(&self.dir);
    }
}
