//! /proc sampling against real processes started by the test.

mod common;

use std::process::{Command, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use common::{have_python, Allocator, Reaped};
use leakscope_probe::proc::{cgroup_of_pid, descendants, ProcReader};
use leakscope_probe::ProbeError;

const MIB: u64 = 1024 * 1024;

#[test]
fn rss_anon_follows_what_a_real_process_allocated() {
    if !have_python() {
        eprintln!("skipped: python3 is not available");
        return;
    }
    let mut small = Allocator::start(0);
    let mut big = Allocator::start(96);
    assert!(small.go() && big.go(), "allocators did not start");
    let mut reader = ProcReader::new();
    let s = reader.sample(small.pid()).expect("small");
    let b = reader.sample(big.pid()).expect("big");
    assert_eq!(b.comm, "python3");
    let delta_anon = b.rss_anon_bytes as i64 - s.rss_anon_bytes as i64;
    let delta_rss = b.rss_bytes as i64 - s.rss_bytes as i64;
    // 96 MiB allocated; allow 5 % for allocator slack and interpreter noise.
    let want = 96 * MIB as i64;
    assert!(
        (delta_anon - want).abs() < want / 20,
        "anon delta {} MiB, want ~96 MiB",
        delta_anon / MIB as i64
    );
    assert!(
        (delta_rss - want).abs() < want / 20,
        "rss delta {delta_rss}"
    );
    assert_eq!(
        b.rss_bytes,
        b.rss_anon_bytes + b.rss_file_bytes + b.rss_shmem_bytes
    );
    assert!(b.uptime_seconds >= 0.0 && b.uptime_seconds < 120.0);
    assert!(b.start_time_ticks > 0);
    assert_eq!(b.ppid, std::process::id());

    let pss = reader.sample_pss(big.pid()).expect("pss of own child");
    assert!(
        pss.pss_bytes >= 96 * MIB && pss.uss_bytes >= 96 * MIB,
        "{pss:?}"
    );
    let with = reader.sample_with_pss(big.pid()).expect("both");
    let names: Vec<&str> = with.fields().iter().map(|(n, _)| *n).collect();
    for want in [
        "rss_bytes",
        "rss_anon_bytes",
        "uptime_seconds",
        "pss_bytes",
        "uss_bytes",
    ] {
        assert!(names.contains(&want), "{want} missing from {names:?}");
    }
}

#[test]
fn uptime_counts_from_process_start() {
    let child = Reaped::spawn(Command::new("sleep").arg("600"));
    let mut reader = ProcReader::new();
    let before_first = Instant::now();
    let first = reader.sample(child.pid()).expect("sample");
    let after_first = Instant::now();
    thread::sleep(Duration::from_millis(500));
    let before_second = Instant::now();
    let second = reader.sample(child.pid()).expect("sample");
    let after_second = Instant::now();
    // The uptime grows exactly as much as the clock did between the two reads.
    let grew = second.uptime_seconds - first.uptime_seconds;
    let least = (before_second - after_first).as_secs_f64() - 0.01;
    let most = (after_second - before_first).as_secs_f64() + 0.01;
    assert!(
        (least..=most).contains(&grew),
        "uptime grew {grew} s, clock {least}..{most} s"
    );
    assert_eq!(first.start_time_ticks, second.start_time_ticks);
    assert_eq!(second.comm, "sleep");
}

#[test]
fn a_reaped_process_is_gone() {
    let mut child = Command::new("true").spawn().expect("spawn true");
    let pid = child.id();
    child.wait().expect("wait");
    let err = ProcReader::new().sample(pid).expect_err("exited");
    assert!(err.is_gone(), "{err:?}");
    assert!(
        err.to_string().contains(&format!("process {pid} is gone")),
        "{err}"
    );
}

#[test]
fn a_zombie_is_gone() {
    let mut child = Command::new("true").spawn().expect("spawn true");
    let pid = child.id();
    // Let it exit without reaping it: it stays a zombie until wait().
    let deadline = Instant::now() + Duration::from_secs(5);
    let err = loop {
        match ProcReader::new().sample(pid) {
            Err(e) => break e,
            Ok(_) if Instant::now() < deadline => thread::sleep(Duration::from_millis(5)),
            Ok(s) => panic!("still alive after 5 s: {s:?}"),
        }
    };
    assert!(err.is_gone(), "{err:?}");
    assert!(err.to_string().contains("zombie"), "{err}");
    child.wait().expect("reap");
}

/// Processes that exit and are reaped while we sample them must only ever give `Gone`, never
/// a parse or I/O error, whatever point of the read they die at.
#[test]
fn processes_exiting_mid_sample_are_gone_not_garbage() {
    let mut reader = ProcReader::new();
    let mut gone = 0;
    for _ in 0..40 {
        let mut child = Command::new("sh")
            .arg("-c")
            .arg("i=0; while [ $i -lt 200 ]; do i=$((i+1)); done")
            .stdout(Stdio::null())
            .spawn()
            .expect("spawn sh");
        let pid = child.id();
        let reaper = thread::spawn(move || child.wait());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match reader.sample(pid) {
                // Guard against the pid being reused by a long-lived process.
                Ok(_) if Instant::now() > deadline => panic!("pid {pid} never went away"),
                Ok(_) => continue,
                Err(e) => {
                    assert!(matches!(e, ProbeError::Gone { .. }), "{e:?}");
                    gone += 1;
                    break;
                }
            }
        }
        let _ = reaper.join();
    }
    assert_eq!(gone, 40);
}

#[test]
fn descendants_finds_children_and_grandchildren() {
    let tree = Reaped::spawn(
        Command::new("sh")
            .arg("-c")
            .arg("sleep 600 & sh -c 'sleep 600 & wait' & wait"),
    );
    let deadline = Instant::now() + Duration::from_secs(5);
    let found = loop {
        let found = descendants(tree.pid());
        if found.len() >= 4 || Instant::now() > deadline {
            break found;
        }
        thread::sleep(Duration::from_millis(20));
    };
    // sleep, sh, and that sh's sleep (the grandchild).
    let mut reader = ProcReader::new();
    let comms: Vec<String> = found
        .iter()
        .filter_map(|&p| reader.sample(p).ok().map(|s| s.comm))
        .collect();
    assert_eq!(found.len(), 3, "{found:?} {comms:?}");
    assert_eq!(
        comms.iter().filter(|c| *c == "sleep").count(),
        2,
        "{comms:?}"
    );
    // Kill the grandchildren too (Reaped only kills the top shell).
    for pid in found {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    assert!(descendants(u32::MAX - 1).is_empty());
}

#[test]
fn cgroup_of_own_process_is_a_memory_cgroup() {
    match cgroup_of_pid(std::process::id()) {
        Some(dir) => {
            assert!(
                dir.join("memory.current").exists() || dir.join("memory.usage_in_bytes").exists(),
                "{}",
                dir.display()
            );
            eprintln!("own memory cgroup: {}", dir.display());
        }
        None => eprintln!("no memory cgroup for this process (v2 root or no memory controller)"),
    }
    assert_eq!(cgroup_of_pid(u32::MAX - 1), None);
}

/// The environment variable that turns this test binary into the unprivileged helper of
/// [`smaps_rollup_of_another_users_process_is_permission_denied`].
const AS_NOBODY: &str = "LEAKSCOPE_PROBE_TEST_PSS_OF";

#[test]
fn smaps_rollup_of_another_users_process_is_permission_denied() {
    if let Ok(pid) = std::env::var(AS_NOBODY) {
        // We are the helper, running as nobody: status is world-readable, smaps_rollup
        // needs ptrace access to the (root-owned) target.
        let pid: u32 = pid.parse().expect("pid");
        let mut reader = ProcReader::new();
        let basic = reader.sample(pid);
        let pss = reader.sample_pss(pid);
        println!(
            "HELPER basic_ok={} pss={}",
            basic.is_ok(),
            match pss {
                Err(ProbeError::PermissionDenied { .. }) => "permission_denied".to_string(),
                other => format!("{other:?}"),
            }
        );
        return;
    }
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 {
        eprintln!("skipped: needs root to start a helper as another user");
        return;
    }
    let have_setpriv = Command::new("setpriv")
        .arg("--help")
        .stdout(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !have_setpriv {
        eprintln!("skipped: setpriv (util-linux) is not installed");
        return;
    }
    let target = Reaped::spawn(Command::new("sleep").arg("600"));
    let exe = std::env::current_exe().expect("test exe");
    let out = Command::new("setpriv")
        .args(["--reuid=65534", "--regid=65534", "--clear-groups"])
        .arg(&exe)
        .args([
            "--exact",
            "smaps_rollup_of_another_users_process_is_permission_denied",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(AS_NOBODY, target.pid().to_string())
        .output()
        .expect("run helper");
    let stdout = String::from_utf8_lossy(&out.stdout);
    if !stdout.contains("HELPER") {
        eprintln!(
            "skipped: the helper could not run as nobody (is {} readable by others?): {}",
            exe.display(),
            String::from_utf8_lossy(&out.stderr)
        );
        return;
    }
    assert!(
        stdout.contains("HELPER basic_ok=true pss=permission_denied"),
        "{stdout}"
    );

    // The message a user sees names the file and what to do.
    let err = ProbeError::PermissionDenied {
        target: leakscope_probe::Target::Pid(1),
        path: "/proc/1/smaps_rollup".into(),
        source: std::io::Error::from_raw_os_error(libc::EACCES),
    };
    assert_eq!(
        err.to_string(),
        "permission denied reading /proc/1/smaps_rollup for process 1; run leakscope as the target's user or as root"
    );
}
