//! `--restart-before-oom` (RESIN's last step): a supervised command whose recognized leak
//! would reach its memory limit within the configured span is restarted by us (see [`due`]
//! and [`Run`]), and the restart is logged, stored and alerted as
//! [`Event::RestartedBeforeOom`], a restart of ours rather than a crash.
//!
//! With `--diagnose` the restart comes after the evidence: it waits for the diagnosis under
//! way, or asks for one when no leak alert has (its window can be longer than the time
//! left). The wait is bounded: a diagnosis that fails or is skipped (the period, the limit
//! too near for a snapshot) lets the restart go on, and so does the time left falling below
//! a quarter of the span. The restart says which: the culprit it was restarted after, or
//! why there is no evidence (`--diagnose` off among the reasons).
//!
//! Only the supervised command (its process group and descendants, as
//! [`crate::supervise::Supervisor`] stops them) is ever signalled.

use std::sync::Arc;
use std::time::{Duration, Instant};

use leakscope_core::alert::{names, AlertDiagnosis, AlertStatus};
use leakscope_core::{Verdict, VerdictKind};
use leakscope_probe::cgroup::Cgroup;

use super::{Engine, Observer, Runner};
use crate::event::Event;
use crate::fields::SeriesUnit;
use crate::settings::Settings;
use crate::source::SourceSpec;

/// Why a command should be restarted now.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Due {
    /// The time to the limit, seconds: the recognized one, or less when memory now, the
    /// largest burst or the cgroup's other memory say so.
    pub time_to_limit_seconds: f64,
    /// Memory now, bytes.
    pub used_bytes: f64,
    /// The limit, bytes.
    pub limit_bytes: f64,
}

/// What a restart is judged on, kept across the samples of one process of the command: a
/// restart starts a new one.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Run {
    pid: Option<u32>,
    /// Memory when recognition first called this process's a leak, bytes.
    leak_from: Option<f64>,
    last: Option<f64>,
    /// The largest rise between two samples, outside captures, bytes.
    burst: f64,
}

impl Run {
    /// Take the sample `value` of process `pid`, judged `verdict`. While `capturing` (a
    /// snapshot is built in the heap it measures) no rise counts as a burst.
    pub fn observe(&mut self, pid: Option<u32>, value: f64, verdict: &Verdict, capturing: bool) {
        if pid != self.pid || !value.is_finite() {
            *self = Run {
                pid,
                ..Run::default()
            };
            if !value.is_finite() {
                return;
            }
        }
        if let Some(last) = self.last.filter(|_| !capturing) {
            self.burst = self.burst.max(value - last);
        }
        self.last = Some(value);
        if verdict.verdict == VerdictKind::Leak {
            self.leak_from.get_or_insert(value);
        } else if self.leak_from.is_some_and(|from| value < from) {
            // Back below where the leak was called: it was a warm-up or a cache after all.
            self.leak_from = None;
        }
    }

    /// The growth, bytes an hour, of this process's leak: the verdict's while recognition
    /// calls it a leak; after it wavered to a plateau or a step — a V8 heap's resident set
    /// climbs in jumps, flat between them, and a snapshot inflates it — while memory stays
    /// above where the leak was first called, the floor's growth it gives now (0 when none).
    /// `None` when no leak was called on this process.
    pub fn leak_growth(&self, verdict: &Verdict) -> Option<f64> {
        if verdict.verdict == VerdictKind::Leak {
            return Some(verdict.growth_bytes_per_hour);
        }
        self.leak_from?;
        Some(verdict.growth_bytes_per_hour.max(0.0))
    }

    /// The largest rise between two samples of this process outside captures, bytes.
    pub fn burst_bytes(&self) -> f64 {
        self.burst
    }
}

/// Restart now when memory in use, `used_bytes`, and one more burst as large as the largest
/// seen, `burst_bytes`, leave less than `within` of growth at `growth_bytes_per_hour` (the
/// leak's, see [`Run::leak_growth`]) before `limit_bytes`. It is memory now that decides, not
/// the floor's recognized time to the limit (`recognized_ttl`, reported when sooner): a
/// freshly restarted command, far below the limit, is not restarted again on the verdict of
/// the one before it, and a burst or the cgroup's other memory can bring the OOM kill sooner
/// than the floor's pace does.
pub fn due(
    growth_bytes_per_hour: f64,
    recognized_ttl: Option<f64>,
    used_bytes: f64,
    burst_bytes: f64,
    limit_bytes: Option<f64>,
    within: Duration,
) -> Option<Due> {
    let limit = limit_bytes.filter(|l| l.is_finite() && *l > 0.0)?;
    if !used_bytes.is_finite() || growth_bytes_per_hour.is_nan() {
        return None;
    }
    let left = limit - used_bytes - burst_bytes.max(0.0);
    let rate = growth_bytes_per_hour.max(0.0) / 3600.0;
    let from_now = if left <= 0.0 {
        0.0
    } else if rate > 0.0 {
        left / rate
    } else {
        return None;
    };
    (from_now < within.as_secs_f64()).then_some(Due {
        time_to_limit_seconds: recognized_ttl
            .filter(|t| t.is_finite())
            .map_or(from_now, |t| t.min(from_now)),
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

/// What a person should know before relying on `restart_before_oom`, one sentence each: a
/// Node command with no heap limit of its own sizes one from the memory it sees (Node 20 in
/// a 600 MiB cgroup: 312 MiB) and aborts with "JavaScript heap out of memory" when it is
/// reached, which can come before the restart falls due. `node_options`: the `NODE_OPTIONS`
/// the command is started with.
pub fn caveats(settings: &Settings, node_options: Option<&std::ffi::OsStr>) -> Vec<String> {
    settings
        .targets
        .iter()
        .filter(|t| t.restart_before_oom.is_some())
        .filter_map(|t| match &t.spec {
            SourceSpec::Command { argv, .. } => {
                let exe = std::path::Path::new(argv.first()?).file_name()?.to_str()?;
                (leakscope_probe::node::is_node_name(exe)
                    && !leakscope_probe::node::sets_heap_limit(argv, node_options))
                .then(|| {
                    format!(
                        "{}: node sizes its JavaScript heap limit from the memory it sees (about half of a small cgroup's limit) and aborts with \"JavaScript heap out of memory\" at it, which can come before --restart-before-oom acts: give node --max-old-space-size (MiB) near the memory limit",
                        t.name()
                    )
                })
            }
            _ => None,
        })
        .collect()
}

/// The memory limit of the cgroup this process runs in (a command we start begins there).
fn own_cgroup_limit() -> Option<u64> {
    let path = leakscope_probe::proc::cgroup_of_pid(std::process::id())?;
    Cgroup::open(&path).ok()?.sample().ok()?.limit_bytes
}

/// What the diagnoses of a target found since we last restarted it, for the restart to
/// refer to.
#[derive(Debug, Clone, Default, PartialEq)]
pub enum Captured {
    /// No diagnosis has ended yet.
    #[default]
    Nothing,
    /// One named its culprit (or found nothing that grew), from evidence kept on disk.
    Named(AlertDiagnosis),
    /// None could be had: why, one clause ("the diagnosis was skipped: ...").
    Missing(String),
}

/// What a restart falls due with.
enum Before {
    /// Wait: evidence is being captured.
    Wait,
    /// Restart now, after this (a sentence for the event and the alert, and the diagnosis
    /// the alert carries, when there is one).
    Restart(String, Option<AlertDiagnosis>),
}

impl Engine {
    /// After a sample of target `i` judged with `limit`: restart it when it is due (see
    /// [`due`]) — with `--diagnose`, once a diagnosis has its evidence, asking for one when no
    /// leak alert has yet.
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
        let verdict = series.verdict();
        let (value, field) = (series.last_value, series.field.clone());
        let name = Arc::clone(&self.slots[i].name);
        let capturing = self.diagnoser.as_ref().is_some_and(|d| d.busy_with(&name));
        let slot = &mut self.slots[i];
        let (pid, cgroup) = match &mut slot.runner {
            Runner::Local(src) => (src.pid(), src.cgroup()),
            Runner::Remote(_) => (None, None),
        };
        slot.run.observe(pid, value, &verdict, capturing);
        // The cgroup's limit is measured against all it holds (its working set), leakscope
        // too when it runs in the same container; a limit of the user's, against the series.
        let used = match cgroup {
            Some(c) if c.limit_bytes.map(|l| l as f64) == limit => {
                value.max(c.working_set_bytes as f64)
            }
            _ => value,
        };
        let due = slot.run.leak_growth(&verdict).and_then(|growth| {
            due(
                growth,
                verdict.time_to_limit_seconds,
                used,
                slot.run.burst_bytes(),
                limit,
                within,
            )
        });
        let Some(due) = due else {
            // A capture under way can make the verdict waver (a snapshot is built in the
            // heap it measures): the wait it began keeps its bound until it ends.
            if !capturing {
                self.slots[i].restart_waiting = None;
            }
            return;
        };
        let (evidence, diagnosis) = match self.before_restart(
            i,
            &due,
            within,
            &field,
            verdict.growth_bytes_per_hour,
            obs,
        ) {
            Before::Wait => return,
            Before::Restart(evidence, diagnosis) => (evidence, diagnosis),
        };
        self.slots[i].restart_waiting = None;
        let name = Arc::clone(&self.slots[i].name);
        let Runner::Local(src) = &mut self.slots[i].runner else {
            return;
        };
        match src.restart_now() {
            None => {}
            Some(Ok(count)) => {
                // A new process: what was captured was of the one before.
                self.slots[i].captured = Captured::Nothing;
                // The event says it on stderr, in the log, the store and the alert.
                let ev = Event::RestartedBeforeOom {
                    count,
                    time_to_limit_seconds: due.time_to_limit_seconds,
                    used_bytes: due.used_bytes,
                    limit_bytes: due.limit_bytes,
                    evidence: evidence.clone(),
                };
                let mut fired = self.record(i, t, &ev, obs);
                for a in &mut fired {
                    if a.name == names::RESTARTED_BEFORE_OOM && a.status == AlertStatus::Firing {
                        a.summary = format!("{}, {evidence}", a.summary);
                        a.diagnosis.clone_from(&diagnosis);
                    }
                }
                self.fire(i, t, fired);
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

    /// Whether target `i`, due for a restart, has its evidence: restart when a diagnosis has
    /// ended (named or not) or cannot be had (`--diagnose` off, the limit too near to wait);
    /// wait while one is capturing, asking for one first when nothing has.
    ///
    /// The wait ends when less than a quarter of `within` is left by the time to the limit
    /// recognized when it began, counted down by the clock: a capture inflates the memory it
    /// measures (a V8 snapshot is built in the heap), and the rate recognized during it would
    /// cut short the very wait it is for. Memory above 90% of the limit ends it too, however
    /// it got there.
    fn before_restart(
        &mut self,
        i: usize,
        due: &Due,
        within: Duration,
        field: &str,
        growth_bytes_per_hour: f64,
        obs: &mut dyn Observer,
    ) -> Before {
        let name = Arc::clone(&self.slots[i].name);
        let left = match self.slots[i].restart_waiting {
            Some((since, then)) => then - since.elapsed().as_secs_f64(),
            None => due.time_to_limit_seconds,
        };
        // Waiting longer would lose the evidence and the service to the OOM killer alike.
        let urgent = left < within.as_secs_f64() / 4.0 || due.used_bytes > 0.9 * due.limit_bytes;
        let Some(d) = self.diagnoser.as_ref().filter(|d| d.enabled()) else {
            return Before::Restart("without evidence: --diagnose is off".into(), None);
        };
        let busy = d.busy_with(&name);
        match &self.slots[i].captured {
            Captured::Named(a) if !busy => {
                let culprit = a
                    .culprit()
                    .unwrap_or_else(|| "nothing that grew like a leak".into());
                let dir = a
                    .evidence
                    .first()
                    .and_then(|p| std::path::Path::new(p).parent())
                    .map(|p| format!(", evidence in {}", p.display()))
                    .unwrap_or_default();
                return Before::Restart(
                    format!(
                        "after its evidence: the diagnosis named {culprit} ({} captures{dir})",
                        a.evidence.len()
                    ),
                    Some(a.clone()),
                );
            }
            Captured::Missing(why) if !busy => {
                return Before::Restart(format!("without evidence: {why}"), None);
            }
            _ => {}
        }
        if urgent {
            let why = if busy {
                "the diagnosis under way had not finished"
            } else {
                "no diagnosis had started"
            };
            return Before::Restart(
                format!(
                    "without evidence: {why} with {:.0} s left to the limit",
                    left.min(due.time_to_limit_seconds).max(0.0)
                ),
                None,
            );
        }
        if !busy {
            // No leak alert asked yet (its window is longer than the time left): ask now.
            let request = self.diagnosis_request(i, field, growth_bytes_per_hour);
            if let Some(d) = self.diagnoser.as_mut() {
                d.submit(request, None);
            }
        }
        if self.slots[i].restart_waiting.is_none() {
            self.slots[i].restart_waiting = Some((Instant::now(), left));
            obs.note(&format!(
                "{name}: {left:.0} s to its memory limit; restarting it once the diagnosis {} has its evidence",
                if busy { "under way" } else { "asked for now" }
            ));
        }
        Before::Wait
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
    fn a_node_command_without_a_heap_limit_is_cautioned_about() {
        use crate::settings::TargetSettings;
        let command = |argv: &[&str], within: Option<u64>| {
            let mut t = TargetSettings::new(SourceSpec::Command {
                argv: argv.iter().map(|s| s.to_string()).collect(),
                restart: false,
                pss: false,
            });
            t.restart_before_oom = within.map(Duration::from_secs);
            t
        };
        let s = Settings {
            targets: vec![
                command(&["/usr/bin/node", "server.js"], Some(600)),
                command(&["node", "--max-old-space-size=900", "a.js"], Some(600)),
                command(&["python3", "svc.py"], Some(600)),
                command(&["node", "b.js"], None),
            ],
            ..Settings::default()
        };
        let said = caveats(&s, None);
        assert_eq!(said.len(), 1, "{said:?}");
        assert!(said[0].contains("--max-old-space-size"), "{said:?}");
        let opts = std::ffi::OsStr::new("--max-old-space-size=900");
        assert!(caveats(&s, Some(opts)).is_empty());
    }

    #[test]
    fn a_leak_near_its_limit_is_due_and_a_fresh_restart_is_not() {
        // 1 MB/s, at ~650 MB of a 700 MB limit: ~50 s left.
        let v = verdict(700e6, 1e6);
        assert_eq!(v.verdict, VerdictKind::Leak, "{v:?}");
        let (g, ttl) = (v.growth_bytes_per_hour, v.time_to_limit_seconds);
        let min = |s| Duration::from_secs(s);
        let d = due(g, ttl, 649e6, 0.0, Some(700e6), min(120)).expect("due");
        assert!(d.time_to_limit_seconds < 120.0, "{d:?}");
        assert!(due(g, ttl, 649e6, 0.0, Some(700e6), min(20)).is_none());
        // The same verdict, but memory now is a fresh command's: not due.
        assert!(due(g, ttl, 40e6, 0.0, Some(700e6), min(120)).is_none());
        assert!(due(g, ttl, 649e6, 0.0, None, min(120)).is_none());
        // 20 s from the limit at its pace, but one more burst like the last would reach it.
        assert!(due(g, ttl, 600e6, 0.0, Some(700e6), min(20)).is_none());
        let d = due(g, ttl, 600e6, 90e6, Some(700e6), min(20)).expect("due");
        assert!(d.time_to_limit_seconds < 20.0, "{d:?}");
        // Not growing, but at the limit but for less than a burst.
        assert!(due(0.0, None, 650e6, 60e6, Some(700e6), min(20)).is_some());
        assert!(due(0.0, None, 600e6, 60e6, Some(700e6), min(20)).is_none());
    }

    #[test]
    fn flat_memory_is_never_due() {
        let v = verdict(60e6, 0.0);
        assert_ne!(v.verdict, VerdictKind::Leak);
        let mut run = Run::default();
        run.observe(Some(7), 59e6, &v, false);
        assert_eq!(run.leak_growth(&v), None);
    }

    #[test]
    fn a_leak_called_stays_called_while_memory_stays_above_where_it_was_called() {
        let leak = verdict(700e6, 1e6);
        let mut plateau = verdict(700e6, 0.0);
        plateau.growth_bytes_per_hour = 1e9;
        assert_eq!(leak.verdict, VerdictKind::Leak);
        assert_ne!(plateau.verdict, VerdictKind::Leak);
        let mut run = Run::default();
        run.observe(Some(7), 300e6, &plateau, false);
        assert_eq!(run.leak_growth(&plateau), None, "no leak called yet");
        run.observe(Some(7), 320e6, &leak, false);
        assert_eq!(run.leak_growth(&leak), Some(leak.growth_bytes_per_hour));
        // The verdict wavers to a plateau while the resident set holds between jumps.
        run.observe(Some(7), 330e6, &plateau, false);
        assert_eq!(run.leak_growth(&plateau), Some(1e9));
        // A snapshot's jump is no burst; a jump of the heap is.
        run.observe(Some(7), 450e6, &plateau, true);
        assert_eq!(run.burst_bytes(), 20e6);
        run.observe(Some(7), 510e6, &plateau, false);
        assert_eq!(run.burst_bytes(), 60e6);
        // Below where the leak was called: a warm-up or a cache after all.
        run.observe(Some(7), 310e6, &plateau, false);
        assert_eq!(run.leak_growth(&plateau), None);
        // A new process starts afresh.
        run.observe(Some(7), 320e6, &leak, false);
        run.observe(Some(8), 40e6, &plateau, false);
        assert_eq!(run.leak_growth(&plateau), None);
        assert_eq!(run.burst_bytes(), 0.0);
    }
}
