//! The limits a careful engineer keeps: not diagnosing one target over and over, and not
//! taking a snapshot that could push a process over its memory limit.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use crate::DiagnoseError;

/// At most one diagnosis per target per period.
#[derive(Debug)]
pub struct Gate {
    period: Duration,
    last: HashMap<String, Instant>,
}

impl Gate {
    /// A gate letting each target through once per `period`.
    pub fn new(period: Duration) -> Gate {
        Gate {
            period,
            last: HashMap::new(),
        }
    }

    /// Change the period (a config reload), keeping when each target was last let through.
    pub fn set_period(&mut self, period: Duration) {
        self.period = period;
    }

    /// Let `target` through now (and count it), or say when it may go again. A diagnosis
    /// that fails counts too: a target is not hammered with retries.
    pub fn admit(&mut self, target: &str, now: Instant) -> Result<(), DiagnoseError> {
        if let Some(at) = self.last.get(target) {
            let since = now.saturating_duration_since(*at);
            if since < self.period {
                return Err(DiagnoseError::Skipped(format!(
                    "{target} was diagnosed {:.0} s ago; at most one diagnosis per target every {:.0} s (diagnose period)",
                    since.as_secs_f64(),
                    self.period.as_secs_f64()
                )));
            }
        }
        self.last.insert(target.to_string(), now);
        Ok(())
    }
}

/// The memory a process may still take before its limit, bytes: the limit given (or its
/// cgroup's) less what it uses, else the machine's `MemAvailable`. `None` when nothing is
/// known.
pub fn room(pid: Option<u32>, limit_bytes: Option<f64>, used_bytes: Option<f64>) -> Option<f64> {
    if let (Some(limit), Some(used)) = (limit_bytes, used_bytes) {
        return Some(limit - used);
    }
    if let Some(pid) = pid {
        if let Some(dir) = leakscope_probe::proc::cgroup_of_pid(pid) {
            if let Ok(mut cg) = leakscope_probe::cgroup::Cgroup::open(&dir) {
                if let Ok(s) = cg.sample() {
                    if let Some(limit) = s.limit_bytes {
                        return Some(limit as f64 - s.usage_bytes as f64);
                    }
                }
            }
        }
    }
    mem_available()
}

/// `MemAvailable` of /proc/meminfo, bytes.
pub fn mem_available() -> Option<f64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024.0)
}

/// Ok when `need_bytes` (times `factor`) fits in `room_bytes`; otherwise the reason to skip.
pub fn room_for(
    what: &str,
    need_bytes: f64,
    factor: f64,
    room_bytes: Option<f64>,
) -> Result<(), DiagnoseError> {
    let Some(room) = room_bytes else {
        return Ok(());
    };
    let want = need_bytes * factor;
    if want > room {
        return Err(DiagnoseError::Skipped(format!(
            "too near the memory limit for {what}: it needs about {} MB ({factor}x the {} MB in use) and only {} MB are left",
            (want / 1e6).round(),
            (need_bytes / 1e6).round(),
            (room.max(0.0) / 1e6).round()
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_gate_lets_a_target_through_once_per_period() {
        let mut g = Gate::new(Duration::from_secs(60));
        let t0 = Instant::now();
        assert!(g.admit("a", t0).is_ok());
        let again = g.admit("a", t0 + Duration::from_secs(10)).unwrap_err();
        assert!(
            again.is_skip() && again.to_string().contains("diagnosed 10 s ago"),
            "{again}"
        );
        assert!(g.admit("b", t0 + Duration::from_secs(10)).is_ok());
        assert!(g.admit("a", t0 + Duration::from_secs(61)).is_ok());
    }

    #[test]
    fn a_snapshot_that_does_not_fit_is_skipped() {
        assert!(room_for("a V8 heap snapshot", 100e6, 1.5, Some(200e6)).is_ok());
        let e = room_for("a V8 heap snapshot", 100e6, 1.5, Some(120e6)).unwrap_err();
        assert!(e.to_string().contains("too near the memory limit"), "{e}");
        assert!(room_for("x", 1e12, 1.5, None).is_ok());
    }

    #[test]
    fn room_is_limit_less_use_when_both_are_known() {
        assert_eq!(room(None, Some(500e6), Some(300e6)), Some(200e6));
        // This machine has some memory available.
        assert!(room(None, None, None).is_some_and(|r| r > 0.0));
    }
}
