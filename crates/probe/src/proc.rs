//! Per-process memory from `/proc`, hand-parsed into reused buffers.
//!
//! One [`ProcReader::sample`] reads `/proc/PID/stat` and `/proc/PID/status` (two small,
//! O(1) files; a few µs each) and takes the clock with `clock_gettime(CLOCK_BOOTTIME)`, the
//! clock `/proc/uptime` itself reports, instead of opening `/proc/uptime`. It allocates only
//! the `comm` string. The `procfs` crate was not used here because its `status()` builds a
//! `HashMap` of every line on each call; see `docs/benchmarks/sampling.md` for the cost.
//!
//! [`ProcReader::sample_pss`] reads `/proc/PID/smaps_rollup`, which walks the target's page
//! tables under its mmap lock (about 3–8 ms per GiB of RSS, and the target stalls meanwhile):
//! call it only when the user asked for PSS.
//!
//! Process trees ([`descendants`]) and the memory cgroup of a process ([`cgroup_of_pid`]) live
//! in [`crate::pidtree`] and are re-exported here.

use std::fmt::Write as _;
use std::path::Path;

use crate::error::{ProbeError, Target};
use crate::fsutil::{parse_u64, read_into, trim};

pub use crate::pidtree::{cgroup_from_text, cgroup_of_pid, descendants, CGROUP_ROOT};

/// One reading of a process's memory. Sizes are bytes.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct ProcSample {
    /// The pid read.
    pub pid: u32,
    /// The parent pid (from `/proc/PID/stat`).
    pub ppid: u32,
    /// Command name (`comm`, at most 15 bytes, from `/proc/PID/stat`).
    pub comm: String,
    /// Resident set size, bytes (`VmRSS` = anon + file + shmem).
    pub rss_bytes: u64,
    /// Resident anonymous memory, bytes (`RssAnon`): heap, stacks, private mappings. The
    /// best per-process leak signal.
    pub rss_anon_bytes: u64,
    /// Resident file-backed memory, bytes (`RssFile`): code, mapped files.
    pub rss_file_bytes: u64,
    /// Resident shared memory, bytes (`RssShmem`): shm, tmpfs, shared anonymous mappings.
    pub rss_shmem_bytes: u64,
    /// Swapped-out anonymous private memory, bytes (`VmSwap`).
    pub swap_bytes: u64,
    /// Number of threads (`Threads`).
    pub threads: u64,
    /// Seconds since the process started.
    pub uptime_seconds: f64,
    /// Start time in clock ticks since boot (`/proc/PID/stat` field 22). With the pid it
    /// identifies the process across pid reuse: a different value means a restart.
    pub start_time_ticks: u64,
    /// Proportional memory from `smaps_rollup`, when it was asked for.
    pub pss: Option<PssSample>,
}

/// Proportional and unique set sizes from `/proc/PID/smaps_rollup`. Bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct PssSample {
    /// Proportional set size, bytes (`Pss`): shared pages divided among their sharers.
    pub pss_bytes: u64,
    /// Anonymous part of PSS, bytes (`Pss_Anon`); `None` on kernels older than 5.10.
    pub pss_anon_bytes: Option<u64>,
    /// Unique set size, bytes (`Private_Clean + Private_Dirty`): freed if the process exits.
    pub uss_bytes: u64,
    /// Proportional swap, bytes (`SwapPss`).
    pub swap_pss_bytes: u64,
}

impl ProcSample {
    /// The numeric readings as `(field name, value)` pairs for logging and storage:
    /// `rss_bytes`, `rss_anon_bytes`, `rss_file_bytes`, `rss_shmem_bytes`, `swap_bytes`,
    /// `threads`, `uptime_seconds`, then the [`PssSample::fields`] when PSS was read.
    pub fn fields(&self) -> Vec<(&'static str, f64)> {
        let mut out = vec![
            ("rss_bytes", self.rss_bytes as f64),
            ("rss_anon_bytes", self.rss_anon_bytes as f64),
            ("rss_file_bytes", self.rss_file_bytes as f64),
            ("rss_shmem_bytes", self.rss_shmem_bytes as f64),
            ("swap_bytes", self.swap_bytes as f64),
            ("threads", self.threads as f64),
            ("uptime_seconds", self.uptime_seconds),
        ];
        if let Some(pss) = &self.pss {
            out.extend(pss.fields());
        }
        out
    }
}

impl PssSample {
    /// `(field name, value)` pairs: `pss_bytes`, `pss_anon_bytes` (when known), `uss_bytes`,
    /// `swap_pss_bytes`.
    pub fn fields(&self) -> Vec<(&'static str, f64)> {
        let mut out = vec![("pss_bytes", self.pss_bytes as f64)];
        if let Some(anon) = self.pss_anon_bytes {
            out.push(("pss_anon_bytes", anon as f64));
        }
        out.push(("uss_bytes", self.uss_bytes as f64));
        out.push(("swap_pss_bytes", self.swap_pss_bytes as f64));
        out
    }
}

/// Reads process memory with reused buffers; keep one per sampling thread.
#[derive(Debug)]
pub struct ProcReader {
    buf: Vec<u8>,
    path: String,
    ticks_per_second: f64,
}

impl Default for ProcReader {
    fn default() -> Self {
        Self::new()
    }
}

impl ProcReader {
    /// A reader with empty buffers; looks up the clock tick rate (`_SC_CLK_TCK`) once.
    pub fn new() -> ProcReader {
        // SAFETY: sysconf has no preconditions; it returns -1 for an unknown name.
        let tck = unsafe { libc::sysconf(libc::_SC_CLK_TCK) };
        ProcReader {
            buf: Vec::with_capacity(4096),
            path: String::with_capacity(64),
            ticks_per_second: if tck > 0 { tck as f64 } else { 100.0 },
        }
    }

    /// Reads `/proc/PID/stat` and `/proc/PID/status` of `pid`. A process that has exited
    /// (no such pid, or a zombie not yet reaped) is [`ProbeError::Gone`].
    pub fn sample(&mut self, pid: u32) -> Result<ProcSample, ProbeError> {
        let stat = self.read_stat(pid)?;
        if matches!(stat.state, b'Z' | b'X' | b'x') {
            return Err(ProbeError::Gone {
                target: Target::Pid(pid),
                reason: "it exited (zombie, not yet reaped by its parent)".to_string(),
                source: None,
            });
        }
        let now = boottime_seconds();
        let started = stat.start_time_ticks as f64 / self.ticks_per_second;
        let status = self.read_status(pid)?;
        Ok(ProcSample {
            pid,
            ppid: stat.ppid,
            comm: stat.comm,
            rss_bytes: status.vm_rss,
            rss_anon_bytes: status.rss_anon,
            rss_file_bytes: status.rss_file,
            rss_shmem_bytes: status.rss_shmem,
            swap_bytes: status.vm_swap,
            threads: status.threads,
            uptime_seconds: (now - started).max(0.0),
            start_time_ticks: stat.start_time_ticks,
            pss: None,
        })
    }

    /// [`ProcReader::sample`] plus [`ProcReader::sample_pss`] in one sample. Costly: see
    /// the module docs.
    pub fn sample_with_pss(&mut self, pid: u32) -> Result<ProcSample, ProbeError> {
        let mut sample = self.sample(pid)?;
        sample.pss = Some(self.sample_pss(pid)?);
        Ok(sample)
    }

    /// Reads `/proc/PID/smaps_rollup` (Linux ≥ 4.14). Needs ptrace-read access to the
    /// target (same user or root), else [`ProbeError::PermissionDenied`]. Walks the target's
    /// page tables: milliseconds per GiB of RSS, stalling the target meanwhile.
    pub fn sample_pss(&mut self, pid: u32) -> Result<PssSample, ProbeError> {
        let n = self.read_file(pid, "smaps_rollup")?;
        let text = self.buf.get(..n).unwrap_or(&[]);
        if text.is_empty() {
            // The kernel returns an empty file once the mm is gone (exited, zombie).
            return Err(ProbeError::Gone {
                target: Target::Pid(pid),
                reason: "it exited (smaps_rollup is empty)".to_string(),
                source: None,
            });
        }
        let mut pss = None;
        let mut pss_anon = None;
        let mut private_clean = 0;
        let mut private_dirty = 0;
        let mut swap_pss = 0;
        for (key, kb) in kb_lines(text) {
            match key {
                b"Pss" => pss = Some(kb * 1024),
                b"Pss_Anon" => pss_anon = Some(kb * 1024),
                b"Private_Clean" => private_clean = kb * 1024,
                b"Private_Dirty" => private_dirty = kb * 1024,
                b"SwapPss" => swap_pss = kb * 1024,
                _ => {}
            }
        }
        let pss_bytes = pss.ok_or_else(|| ProbeError::Parse {
            target: Target::Pid(pid),
            what: format!("/proc/{pid}/smaps_rollup"),
            detail: "no \"Pss:\" line".to_string(),
        })?;
        Ok(PssSample {
            pss_bytes,
            pss_anon_bytes: pss_anon,
            uss_bytes: private_clean + private_dirty,
            swap_pss_bytes: swap_pss,
        })
    }

    /// Reads `/proc/PID/<name>` into `self.buf`, returning the length.
    fn read_file(&mut self, pid: u32, name: &str) -> Result<usize, ProbeError> {
        self.path.clear();
        // Writing to a String cannot fail.
        let _ = write!(self.path, "/proc/{pid}/{name}");
        read_into(Path::new(&self.path), &mut self.buf)
            .map_err(|e| ProbeError::from_io(Target::Pid(pid), Path::new(&self.path), e))
    }

    fn read_stat(&mut self, pid: u32) -> Result<Stat, ProbeError> {
        let n = self.read_file(pid, "stat")?;
        let text = self.buf.get(..n).unwrap_or(&[]);
        parse_stat(text).map_err(|detail| ProbeError::Parse {
            target: Target::Pid(pid),
            what: format!("/proc/{pid}/stat"),
            detail: detail.to_string(),
        })
    }

    fn read_status(&mut self, pid: u32) -> Result<Status, ProbeError> {
        let n = self.read_file(pid, "status")?;
        let text = self.buf.get(..n).unwrap_or(&[]);
        if text.is_empty() {
            return Err(ProbeError::Gone {
                target: Target::Pid(pid),
                reason: "it exited (status is empty)".to_string(),
                source: None,
            });
        }
        Ok(parse_status(text))
    }
}

/// The fields of `/proc/PID/stat` we use.
#[derive(Debug, PartialEq)]
pub(crate) struct Stat {
    pub(crate) comm: String,
    pub(crate) state: u8,
    pub(crate) ppid: u32,
    pub(crate) start_time_ticks: u64,
}

/// Parses `/proc/PID/stat`: `pid (comm) state ppid … starttime(22) …`. `comm` may contain
/// spaces and parentheses, so it is everything between the first `(` and the *last* `)`.
pub(crate) fn parse_stat(text: &[u8]) -> Result<Stat, &'static str> {
    let open = text
        .iter()
        .position(|&c| c == b'(')
        .ok_or("no '(' before comm")?;
    let close = text
        .iter()
        .rposition(|&c| c == b')')
        .ok_or("no ')' after comm")?;
    if close < open {
        return Err("')' before '('");
    }
    let comm = String::from_utf8_lossy(text.get(open + 1..close).unwrap_or(&[])).into_owned();
    let rest = text.get(close + 1..).unwrap_or(&[]);
    // Fields after comm, numbered from 3 (state).
    let mut fields = rest
        .split(|c| c.is_ascii_whitespace())
        .filter(|f| !f.is_empty());
    let state = fields
        .next()
        .and_then(|f| f.first().copied())
        .ok_or("no state field")?;
    let ppid = fields
        .next()
        .and_then(parse_u64)
        .and_then(|v| u32::try_from(v).ok())
        .ok_or("bad ppid field")?;
    // starttime is field 22; ppid was field 4, so skip fields 5..=21 (17 fields).
    let start_time_ticks = fields
        .nth(17)
        .and_then(parse_u64)
        .ok_or("bad starttime field (22)")?;
    Ok(Stat {
        comm,
        state,
        ppid,
        start_time_ticks,
    })
}

/// The fields of `/proc/PID/status` we use, in bytes (threads: a count).
#[derive(Debug, Default, PartialEq)]
pub(crate) struct Status {
    pub(crate) vm_rss: u64,
    pub(crate) rss_anon: u64,
    pub(crate) rss_file: u64,
    pub(crate) rss_shmem: u64,
    pub(crate) vm_swap: u64,
    pub(crate) threads: u64,
}

/// Parses `/proc/PID/status`. Kernel threads have no `Vm*`/`Rss*` lines: those read as 0.
pub(crate) fn parse_status(text: &[u8]) -> Status {
    let mut s = Status::default();
    // Stop once all six fields are seen: they sit in the first half of the file, before the
    // signal masks and CPU lists.
    let mut seen = 0u8;
    for line in text.split(|&c| c == b'\n') {
        // Cheap first-byte filter: the fields we want start with 'V', 'R' or 'T'.
        match line.first() {
            Some(b'V' | b'R' | b'T') => {}
            _ => continue,
        }
        let Some((key, value)) = split_key(line) else {
            continue;
        };
        let (bit, slot) = match key {
            b"VmRSS" => (1, &mut s.vm_rss),
            b"RssAnon" => (2, &mut s.rss_anon),
            b"RssFile" => (4, &mut s.rss_file),
            b"RssShmem" => (8, &mut s.rss_shmem),
            b"VmSwap" => (16, &mut s.vm_swap),
            b"Threads" => {
                s.threads = parse_u64(value).unwrap_or(0);
                seen |= 32;
                if seen == 63 {
                    break;
                }
                continue;
            }
            _ => continue,
        };
        *slot = parse_kb(value).unwrap_or(0);
        seen |= bit;
        if seen == 63 {
            break;
        }
    }
    s
}

/// Splits `Key:   value` into (`Key`, `value` trimmed).
fn split_key(line: &[u8]) -> Option<(&[u8], &[u8])> {
    let colon = line.iter().position(|&c| c == b':')?;
    let key = line.get(..colon)?;
    let value = trim(line.get(colon + 1..)?);
    Some((key, value))
}

/// Parses `1234 kB` into bytes.
fn parse_kb(value: &[u8]) -> Option<u64> {
    let digits = value.strip_suffix(b" kB").unwrap_or(value);
    parse_u64(trim(digits))?.checked_mul(1024)
}

/// Iterates `Key: N kB` lines as (`Key`, N in kB).
fn kb_lines(text: &[u8]) -> impl Iterator<Item = (&[u8], u64)> {
    text.split(|&c| c == b'\n').filter_map(|line| {
        let (key, value) = split_key(line)?;
        let digits = value.strip_suffix(b" kB")?;
        Some((key, parse_u64(trim(digits))?))
    })
}

/// Seconds since boot on `CLOCK_BOOTTIME`, the clock behind `/proc/uptime` and the process
/// start times in `/proc/PID/stat`.
pub fn boottime_seconds() -> f64 {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_BOOTTIME exists on Linux ≥ 2.6.39.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_BOOTTIME, &mut ts) };
    if rc != 0 {
        return read_proc_uptime().unwrap_or(0.0);
    }
    ts.tv_sec as f64 + ts.tv_nsec as f64 / 1e9
}

/// Fallback: the first number of `/proc/uptime`, seconds.
fn read_proc_uptime() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/uptime").ok()?;
    text.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat_with_spaces_and_parens_in_comm() {
        let line = b"4242 (my (weird) proc) S 1 4242 4242 0 -1 4194560 100 0 0 0 5 3 0 0 20 0 3 0 987654 123456 789 18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0\n";
        let stat = parse_stat(line).expect("parses");
        assert_eq!(stat.comm, "my (weird) proc");
        assert_eq!(stat.state, b'S');
        assert_eq!(stat.ppid, 1);
        assert_eq!(stat.start_time_ticks, 987654);
    }

    #[test]
    fn stat_truncated_is_an_error() {
        assert!(parse_stat(b"12 (x) S 1 2 3").is_err());
        assert!(parse_stat(b"garbage").is_err());
        assert!(parse_stat(b"12 )x( S 1").is_err());
    }

    #[test]
    fn status_fields_in_bytes() {
        let text = b"Name:\tcat\nState:\tR (running)\nVmRSS:\t    1748 kB\nRssAnon:\t     112 kB\nRssFile:\t    1636 kB\nRssShmem:\t       0 kB\nVmSwap:\t       8 kB\nThreads:\t3\n";
        let s = parse_status(text);
        assert_eq!(s.vm_rss, 1748 * 1024);
        assert_eq!(s.rss_anon, 112 * 1024);
        assert_eq!(s.rss_file, 1636 * 1024);
        assert_eq!(s.rss_shmem, 0);
        assert_eq!(s.vm_swap, 8 * 1024);
        assert_eq!(s.threads, 3);
    }

    #[test]
    fn kernel_thread_status_reads_as_zero() {
        let s = parse_status(b"Name:\tkthreadd\nState:\tS (sleeping)\nThreads:\t1\n");
        assert_eq!(s.vm_rss, 0);
        assert_eq!(s.threads, 1);
    }

    #[test]
    fn boottime_matches_proc_uptime() {
        let proc_uptime = read_proc_uptime().expect("/proc/uptime");
        let clock = boottime_seconds();
        assert!(
            (clock - proc_uptime).abs() < 1.0,
            "{clock} vs {proc_uptime}"
        );
    }

    #[test]
    fn sample_self() {
        let mut reader = ProcReader::new();
        let s = reader.sample(std::process::id()).expect("own process");
        assert!(s.rss_bytes > 0);
        assert_eq!(
            s.rss_bytes,
            s.rss_anon_bytes + s.rss_file_bytes + s.rss_shmem_bytes
        );
        assert!(s.uptime_seconds >= 0.0 && s.uptime_seconds < 3600.0);
        let names: Vec<_> = s.fields().iter().map(|(n, _)| *n).collect();
        assert_eq!(names[0], "rss_bytes");
        assert!(names.contains(&"uptime_seconds"));
        let pss = reader
            .sample_pss(std::process::id())
            .expect("own smaps_rollup");
        assert!(pss.pss_bytes > 0 && pss.uss_bytes > 0);
    }
}
