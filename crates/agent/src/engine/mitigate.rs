//! `--restart-before-oom` (RESIN's last step): a supervised command whose recognized time to
//! its memory limit falls below the configured span is restarted by us — after a diagnosis
//! under way has captured its evidence, unless the time left falls below a quarter of the
//! span while it waits — and the restart is logged, stored and alerted as
//! [`Event::RestartedBeforeOom`], a restart of ours rather than a crash.
//!
//! Only the supervised command (its process group and descendants, as
//! [`crate::supervise::Supervisor`] stops them) is ever signalled.

use std::sync::Arc;
use std::time::Duration;

use leakscope_core::{Verdict, VerdictKind};
use leakscope_probe::cgroup::Cgroup;

use super::{Engine, Observer, Runner};
use crate::event::Event;
use crate::fields::SeriesUnit;
use crate::settings::Settings;
use crate::source::{Outcome, SourceSpec};

/// Why a command should be restarted now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Due {
    /// The recognized time to the limit, seconds.
    pub time_to_limit_seconds: f64,
    /// Memory now, bytes.
    pub used_bytes: f64,
    /// The limit, bytes.
    pub limit_bytes: f64,
}

/// Restart now when recognition calls the series a leak whose time to `limit_bytes` is below
/// `within`, and the memory in use now (`used_bytes`, at the floor's growth rate) agrees: a
/// freshly restarted command, far below the limit, is not restarted again on the verdict of
/// the one before it.
pub fn due(
    verdict: &Verdict,
    used_bytes: f64,
    limit_bytes: Option<f64>,
    within: Duration,
) -> Option<Due> {
    let limit = limit_bytes.filter(|l| l.is_finite() && *l > 0.0)?;
    if verdict.verdict != VerdictKind::Leak || !used_bytes.is_finite() {
        return None;
    }
    let ttl = verdict.time_to_limit_seconds.filter(|t| t.is_finite())?;
    let rate = verdict.growth_bytes_per_hour / 3600.0;
    if rate.is_nan() || rate <= 0.0 {
        return None;
    }
    let from_now = ((limit - used_bytes) / rate).max(0.0);
    let within = within.as_secs_f64();
    (ttl < within && from_now < within).then_some(Due {
        time_to_limit_seconds: ttl.min(from_now),
        used_bytes,
        limit_bytes: limit,
    })
}

/// Refuse, as one sentence, a `restart_before_oom` that cannot work: on a target that is not
/// a supervised command, or with no memory limit known (`--limit`, a target's `limit`, or the
/// memory cgroup the command starts in, which is ours).
pub fn check(settings: &Settings) -> Result<(), String> {
    for t in &settings.targets {
        if t.restart_before_oom.is_none() {
            continue;
        }
        if !matches!(t.spec, SourceSpec::Command { .. }) {
            return Err(format!(
                "--restart-before-oom restarts only a command leakscope supervises (`-- CMD ARGS...`), not the {} target {}",
                t.spec.kind(),
                t.name()
            ));
        }
        let known =
            settings.limit_bytes.or(t.limit_bytes).is_some() || own_cgroup_limit().is_some();
        if !known {
            return Err(format!(
                "--restart-before-oom needs the memory limit of {}: none is set on its cgroup, so give one with --limit (or `limit` in the config)",
                t.name()
            ));
        }
    }
    Ok(())
}

/// The memory limit of the cgroup this process runs in (a command we start begins there).
fn own_cgroup_limit() -> Option<u64> {
    let path = leakscope_probe::proc::cgroup_of_pid(std::process::id())?;
    Cgroup::open(&path).ok()?.sample().ok()?.limit_bytes
}

impl Engine {
    /// After a sample of target `i` judged with `limit`: restart it when it is due (see
    /// [`due`]), unless a diagnosis of it is still capturing evidence.
    pub(super) fn restart_if_due(
        &mut self,
        i: usize,
        t: f64,
        limit: Option<f64>,
        obs: &mut dyn Observer,
    ) {
        let slot = &self.slots[i];
        let Some(within) = slot.settings.as_ref().and_then(|s| s.restart_before_oom) else {
            return;
        };
        let Some(series) = slot
            .judge
            .series
            .iter()
            .find(|s| s.primary && s.unit == SeriesUnit::Bytes)
        else {
            return;
        };
        let Some(due) = due(&series.verdict(), series.last_value, limit, within) else {
            return;
        };
        let name = Arc::clone(&slot.name);
        // Evidence first, unless the limit is now so near that waiting would lose the
        // evidence and the service to the OOM killer alike.
        let urgent = due.time_to_limit_seconds < within.as_secs_f64() / 4.0;
        if !urgent && self.diagnoser.as_ref().is_some_and(|d| d.busy_with(&name)) {
            if !self.slots[i].restart_waiting_said {
                self.slots[i].restart_waiting_said = true;
                obs.note(&format!(
                    "{name}: {:.0} s to its memory limit; restarting it once the diagnosis under way has its evidence",
                    due.time_to_limit_seconds
                ));
            }
            return;
        }
        self.slots[i].restart_waiting_said = false;
        let Runner::Local(src) = &mut self.slots[i].runner else {
            return;
        };
        match src.restart_now() {
            None => {}
            Some(Ok(count)) => {
                // The event says it on stderr, in the log, the store and the alert.
                let ev = Event::RestartedBeforeOom {
                    count,
                    time_to_limit_seconds: due.time_to_limit_seconds,
                    used_bytes: due.used_bytes,
                    limit_bytes: due.limit_bytes,
                };
                let out = Outcome {
                    reading: None,
                    events: vec![ev],
                };
                self.process(i, t, out, obs);
                self.log.flush();
            }
            Some(Err(e)) => {
                obs.note(&format!(
                    "{name}: stopped before it ran out of memory, but cannot be started again: {e}"
                ));
                self.slots[i].active = false;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leakscope_core::{recognize, Point, RecognizeOptions};

    fn verdict(limit: f64, slope_per_s: f64) -> Verdict {
        let pts: Vec<Point> = (0..600)
            .map(|k| Point::new(1e9 + k as f64, 50e6 + slope_per_s * k as f64))
            .collect();
        let opts = RecognizeOptions {
            limit_bytes: Some(limit),
            min_span_seconds: 60.0,
            bucket_seconds: 3.0,
            ..Default::default()
        };
        recognize("rss", &pts, &opts)
    }

    #[test]
    fn a_leak_near_its_limit_is_due_and_a_fresh_restart_is_not() {
        // 1 MB/s, at ~650 MB of a 700 MB limit: ~50 s left.
        let v = verdict(700e6, 1e6);
        assert_eq!(v.verdict, VerdictKind::Leak, "{v:?}");
        let d = due(&v, 649e6, Some(700e6), Duration::from_secs(120)).expect("due");
        assert!(d.time_to_limit_seconds < 120.0, "{d:?}");
        assert!(due(&v, 649e6, Some(700e6), Duration::from_secs(20)).is_none());
        // The same verdict, but memory now is a fresh command's: not due.
        assert!(due(&v, 40e6, Some(700e6), Duration::from_secs(120)).is_none());
        assert!(due(&v, 649e6, None, Duration::from_secs(120)).is_none());
    }

    #[test]
    fn flat_memory_is_never_due() {
        let v = verdict(60e6, 0.0);
        assert_ne!(v.verdict, VerdictKind::Leak);
        assert!(due(&v, 59e6, Some(60e6), Duration::from_secs(3600)).is_none());
    }
}
