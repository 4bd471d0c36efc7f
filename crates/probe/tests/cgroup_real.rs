//! cgroup sampling: live tests in real cgroups (whatever version this machine has, as root),
//! plus the format fixtures of `tests/fixtures/cgroup/` for the version it lacks.

mod common;

use std::fs;
use std::path::{Path, PathBuf};
use std::thread;
use std::time::{Duration, Instant};

use common::{have_python, Allocator};
use leakscope_probe::cgroup::{Cgroup, CgroupVersion};
use leakscope_probe::proc::cgroup_of_pid;

const MIB: u64 = 1024 * 1024;

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/cgroup")
}

/// A cgroup directory made for one test, removed (after its processes are gone) on drop.
struct TempCgroup {
    dir: PathBuf,
}

impl TempCgroup {
    /// Creates `<root>/leakscope-test-<pid>-<name>`; `Err` says why it cannot.
    fn create(root: &Path, name: &str) -> Result<TempCgroup, String> {
        let dir = root.join(format!("leakscope-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir(&dir);
        fs::create_dir(&dir).map_err(|e| format!("cannot mkdir {}: {e}", dir.display()))?;
        Ok(TempCgroup { dir })
    }
    fn write(&self, file: &str, value: &str) -> Result<(), String> {
        fs::write(self.dir.join(file), value)
            .map_err(|e| format!("cannot write {value:?} to {file}: {e}"))
    }
    fn add(&self, pid: u32) -> Result<(), String> {
        self.write("cgroup.procs", &pid.to_string())
    }
}

impl Drop for TempCgroup {
    fn drop(&mut self) {
        // rmdir fails with EBUSY until the last (killed) task has left.
        let deadline = Instant::now() + Duration::from_secs(5);
        while fs::remove_dir(&self.dir).is_err() && Instant::now() < deadline {
            thread::sleep(Duration::from_millis(20));
        }
    }
}

/// The v2 mount point whose root offers the memory controller, if any.
fn v2_root_with_memory() -> Result<PathBuf, String> {
    for root in ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"] {
        let root = Path::new(root);
        let Ok(controllers) = fs::read_to_string(root.join("cgroup.controllers")) else {
            continue;
        };
        if controllers.split_whitespace().any(|c| c == "memory") {
            let subtree =
                fs::read_to_string(root.join("cgroup.subtree_control")).unwrap_or_default();
            if !subtree.split_whitespace().any(|c| c == "memory") {
                fs::write(root.join("cgroup.subtree_control"), "+memory")
                    .map_err(|e| format!("cannot enable +memory in {}: {e}", root.display()))?;
            }
            return Ok(root.to_path_buf());
        }
        return Err(format!(
            "cgroup2 at {} offers controllers [{}] without memory (memory is bound to v1)",
            root.display(),
            controllers.trim()
        ));
    }
    Err("no cgroup2 mount found".to_string())
}

fn v1_root() -> Result<PathBuf, String> {
    let root = PathBuf::from("/sys/fs/cgroup/memory");
    if root.join("memory.usage_in_bytes").exists() {
        Ok(root)
    } else {
        Err("no cgroup-v1 memory hierarchy at /sys/fs/cgroup/memory".to_string())
    }
}

/// Runs `f` against a live cgroup of `version`, or prints why that version is skipped.
fn with_live_root(version: CgroupVersion, f: impl FnOnce(&Path) -> Result<(), String>) {
    if !have_python() {
        eprintln!("skipped live {version:?}: python3 is not available");
        return;
    }
    let root = match version {
        CgroupVersion::V1 => v1_root(),
        CgroupVersion::V2 => v2_root_with_memory(),
    };
    match root.and_then(|root| f(&root)) {
        Ok(()) => eprintln!("live {version:?} test ran"),
        Err(why) if why.starts_with("cannot mkdir") || !why.contains("ASSERT") => {
            eprintln!("skipped live {version:?}: {why}")
        }
        Err(why) => panic!("{why}"),
    }
}

/// A 64 MiB allocation inside a 256 MiB cgroup shows up in usage, anon and working set.
fn live_sample(root: &Path, version: CgroupVersion) -> Result<(), String> {
    let cg = TempCgroup::create(root, "sample")?;
    match version {
        CgroupVersion::V1 => cg.write("memory.limit_in_bytes", &(256 * MIB).to_string())?,
        CgroupVersion::V2 => cg.write("memory.max", &(256 * MIB).to_string())?,
    }
    let mut opened = Cgroup::open(&cg.dir).map_err(|e| format!("ASSERT open: {e}"))?;
    assert_eq!(opened.version(), version);
    let empty = opened.sample().map_err(|e| format!("ASSERT sample: {e}"))?;
    assert_eq!(empty.limit_bytes, Some(256 * MIB));
    assert_eq!(empty.oom_kill_count, Some(0));

    let mut alloc = Allocator::start(64);
    cg.add(alloc.pid())?;
    assert!(alloc.go(), "allocator died");
    assert_eq!(
        cgroup_of_pid(alloc.pid()).as_deref(),
        Some(cg.dir.as_path())
    );
    let s = opened.sample().map_err(|e| format!("ASSERT sample: {e}"))?;
    eprintln!("{version:?} live sample: {s:?}");
    assert!(
        s.usage_bytes >= 64 * MIB && s.usage_bytes < 128 * MIB,
        "{s:?}"
    );
    assert!(
        s.anon_bytes >= 64 * MIB && s.anon_bytes <= s.usage_bytes,
        "{s:?}"
    );
    assert!(s.working_set_bytes <= s.usage_bytes && s.working_set_bytes >= 64 * MIB);
    // Opening by the relative path finds the same directory.
    let rel = cg.dir.file_name().map(PathBuf::from).unwrap_or_default();
    let again = Cgroup::open(&rel).map_err(|e| format!("ASSERT open relative: {e}"))?;
    assert_eq!(again.path(), cg.dir.as_path());
    drop(alloc);
    Ok(())
}

/// A process allocating 200 MiB in a 32 MiB cgroup is OOM-killed and the counter moves.
fn live_oom(root: &Path, version: CgroupVersion) -> Result<(), String> {
    let cg = TempCgroup::create(root, "oom")?;
    match version {
        CgroupVersion::V1 => {
            cg.write("memory.limit_in_bytes", &(32 * MIB).to_string())?;
            // Without this a machine with swap would swap instead of killing.
            let _ = cg.write("memory.memsw.limit_in_bytes", &(32 * MIB).to_string());
        }
        CgroupVersion::V2 => {
            cg.write("memory.max", &(32 * MIB).to_string())?;
            let _ = cg.write("memory.swap.max", "0");
        }
    }
    let mut opened = Cgroup::open(&cg.dir).map_err(|e| format!("ASSERT open: {e}"))?;
    let before = opened.sample().map_err(|e| format!("ASSERT sample: {e}"))?;
    assert_eq!(before.oom_kill_count, Some(0));
    let mut alloc = Allocator::start(200);
    cg.add(alloc.pid())?;
    let survived = alloc.go();
    let status = alloc.child.wait().map_err(|e| e.to_string())?;
    assert!(!survived, "the 200 MiB allocation survived a 32 MiB limit");
    use std::os::unix::process::ExitStatusExt;
    assert_eq!(status.signal(), Some(libc::SIGKILL), "{status:?}");
    let after = opened.sample().map_err(|e| format!("ASSERT sample: {e}"))?;
    eprintln!("{version:?} after OOM: {after:?}");
    assert!(after.oom_kill_count >= Some(1), "{after:?}");
    assert_eq!(after.limit_bytes, Some(32 * MIB));
    Ok(())
}

#[test]
fn live_v1_sample() {
    with_live_root(CgroupVersion::V1, |root| {
        live_sample(root, CgroupVersion::V1)
    });
}

#[test]
fn live_v1_oom_kill_is_counted() {
    with_live_root(CgroupVersion::V1, |root| live_oom(root, CgroupVersion::V1));
}

#[test]
fn live_v2_sample() {
    with_live_root(CgroupVersion::V2, |root| {
        live_sample(root, CgroupVersion::V2)
    });
}

#[test]
fn live_v2_oom_kill_is_counted() {
    with_live_root(CgroupVersion::V2, |root| live_oom(root, CgroupVersion::V2));
}

#[test]
fn removed_cgroup_is_gone() {
    let Ok(root) = v1_root().or_else(|_| v2_root_with_memory()) else {
        eprintln!("skipped: no writable memory cgroup hierarchy");
        return;
    };
    let Ok(cg) = TempCgroup::create(&root, "gone") else {
        eprintln!("skipped: cannot create a cgroup under {}", root.display());
        return;
    };
    let mut opened = Cgroup::open(&cg.dir).expect("open");
    opened.sample().expect("sample");
    drop(cg);
    let err = opened.sample().expect_err("removed");
    assert!(err.is_gone(), "{err:?}");
}

#[test]
fn v1_fixture_captured_from_a_real_cgroup() {
    let mut cg = Cgroup::open(&fixtures().join("v1")).expect("open v1 fixture");
    assert_eq!(cg.version(), CgroupVersion::V1);
    let s = cg.sample().expect("sample");
    assert_eq!(s.usage_bytes, 28327936);
    assert_eq!(s.anon_bytes, 28008448);
    assert_eq!(s.file_bytes, 20480);
    assert_eq!(s.working_set_bytes, 28327936 - 4096);
    assert_eq!(s.limit_bytes, Some(64 * MIB));
    assert_eq!(s.oom_kill_count, Some(0));
}

#[test]
fn v2_fixture_limited_with_local_events() {
    let mut cg = Cgroup::open_under(
        Path::new("/system.slice/app.service"),
        &fixtures().join("v2"),
    )
    .expect("open v2 fixture by cgroup path");
    assert_eq!(cg.version(), CgroupVersion::V2);
    let s = cg.sample().expect("sample");
    assert_eq!(s.usage_bytes, 700 * MIB);
    assert_eq!(s.working_set_bytes, 600 * MIB);
    assert_eq!(s.anon_bytes, 500 * MIB);
    assert_eq!(s.file_bytes, 180 * MIB);
    assert_eq!(s.limit_bytes, Some(1024 * MIB));
    assert_eq!(
        s.oom_kill_count,
        Some(2),
        "memory.events.local wins over memory.events"
    );
    let names: Vec<&str> = s.fields().iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "cgroup_usage_bytes",
            "cgroup_working_set_bytes",
            "cgroup_anon_bytes",
            "cgroup_file_bytes",
            "cgroup_limit_bytes",
            "cgroup_oom_kill_count"
        ]
    );
}

#[test]
fn v2_fixture_unlimited_clamped_without_local_events() {
    let mut cg = Cgroup::open(&fixtures().join("v2/unlimited")).expect("open");
    let s = cg.sample().expect("sample");
    assert_eq!(s.usage_bytes, 4096000);
    assert_eq!(
        s.working_set_bytes, 0,
        "inactive_file > current clamps to 0"
    );
    assert_eq!(s.limit_bytes, None, "\"max\" is no limit");
    assert_eq!(s.oom_kill_count, Some(0), "falls back to memory.events");
}

#[test]
fn malformed_files_are_parse_errors_naming_the_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    fs::write(dir.path().join("memory.current"), "lots\n").expect("write");
    fs::write(dir.path().join("memory.stat"), "anon 1\n").expect("write");
    let mut cg = Cgroup::open(dir.path()).expect("open");
    let err = cg.sample().expect_err("bad number");
    let msg = err.to_string();
    assert!(
        msg.contains("memory.current") && msg.contains("lots"),
        "{msg}"
    );
    // A directory that is not a cgroup says what it looked for.
    let plain = tempfile::tempdir().expect("tempdir");
    let err = Cgroup::open(plain.path()).expect_err("not a cgroup");
    assert!(err
        .to_string()
        .contains("memory.current (v2) or memory.usage_in_bytes (v1)"));
}
