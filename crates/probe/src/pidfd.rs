//! A process held by a pidfd (Linux ≥ 5.3): a signal sent through it reaches that process or
//! fails, never a later process that reused the pid between leakscope's checks and the
//! signal. Older kernels (and seccomp filters) fall back to kill(2).

use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A held process.
pub struct Pidfd {
    pid: u32,
    fd: Option<OwnedFd>,
}

impl Pidfd {
    /// Hold `pid`; `None` when there is no such process.
    pub fn open(pid: u32) -> Option<Pidfd> {
        let raw_pid = libc::pid_t::try_from(pid).ok()?;
        // SAFETY: pidfd_open takes a pid and flags and returns a new fd or -1.
        let rc = unsafe { libc::syscall(libc::SYS_pidfd_open, raw_pid, 0) };
        if rc >= 0 {
            // SAFETY: rc is a file descriptor we just received and own.
            let fd = unsafe { OwnedFd::from_raw_fd(rc as i32) };
            return Some(Pidfd { pid, fd: Some(fd) });
        }
        match std::io::Error::last_os_error().raw_os_error() {
            Some(libc::ESRCH) => None,
            // ENOSYS (old kernel), EPERM (seccomp): fall back to kill(2).
            _ if std::path::Path::new(&format!("/proc/{pid}")).exists() => {
                Some(Pidfd { pid, fd: None })
            }
            _ => None,
        }
    }

    /// The pid held.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Send `sig` to the held process.
    pub fn signal(&self, sig: libc::c_int) -> std::io::Result<()> {
        let rc = match &self.fd {
            // SAFETY: a valid pidfd, a valid signal, no siginfo, no flags.
            Some(fd) => unsafe {
                libc::syscall(
                    libc::SYS_pidfd_send_signal,
                    fd.as_raw_fd(),
                    sig,
                    std::ptr::null::<libc::siginfo_t>(),
                    0,
                )
            },
            // SAFETY: kill(2) with a valid signal number has no memory-safety preconditions.
            None => libc::c_long::from(unsafe { libc::kill(self.pid as libc::pid_t, sig) }),
        };
        if rc == 0 {
            Ok(())
        } else {
            Err(std::io::Error::last_os_error())
        }
    }
}

/// True when process `pid` catches signal `sig` (its bit in `SigCgt` of `/proc/PID/status`),
/// so the signal runs a handler instead of its default action (often: terminate). `None`
/// when the status cannot be read.
pub fn catches(pid: u32, sig: libc::c_int) -> Option<bool> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let mask = status
        .lines()
        .find_map(|l| l.strip_prefix("SigCgt:"))
        .and_then(|m| u64::from_str_radix(m.trim(), 16).ok())?;
    let bit = u32::try_from(sig).ok()?.checked_sub(1)?;
    Some(mask & (1u64 << bit.min(63)) != 0)
}
