//! What can happen to a watched target between samples: exits, restarts, OOM kills.

use leakscope_core::alert::TargetEvent;

/// Something that happened to a target between samples.
#[derive(Debug, Clone, PartialEq)]
pub enum Event {
    /// The process exited (exit code or signal when it was our child; OOM-killed when its
    /// cgroup's oom_kill counter moved).
    Exited {
        /// Exit code, for a child that exited normally.
        code: Option<i32>,
        /// Signal number, for a child killed by a signal.
        signal: Option<i32>,
        /// True when the cgroup's OOM-kill counter moved across the exit.
        oom_killed: bool,
    },
    /// The supervised command was started again; `count` restarts so far.
    Restarted {
        /// Restarts so far.
        count: u32,
    },
    /// The watcher restarted the supervised command because its time to the memory limit
    /// fell below `--restart-before-oom`: a restart of ours, not an exit of its own.
    RestartedBeforeOom {
        /// Restarts so far (this one counted; exits restarted with `--restart` too).
        count: u32,
        /// The recognized time to the limit when it was restarted, seconds.
        time_to_limit_seconds: f64,
        /// Its memory then, bytes.
        used_bytes: f64,
        /// The memory limit, bytes.
        limit_bytes: f64,
        /// What it was restarted after: the evidence captured first (the named culprit), or
        /// why none was, one sentence.
        evidence: String,
    },
    /// The cgroup's OOM-kill counter moved by `delta` (to `total`).
    OomKill {
        /// New kills since the last sample.
        delta: u64,
        /// The counter now.
        total: u64,
    },
    /// The service behind a /metrics endpoint restarted (process_start_time_seconds changed);
    /// `count` restarts seen so far.
    ServiceRestarted {
        /// Restarts so far.
        count: u32,
    },
}

impl Event {
    /// The event's name in the store and log.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::Exited {
                oom_killed: true, ..
            } => "oom_kill",
            Event::Exited { .. } => "exit",
            Event::Restarted { .. }
            | Event::ServiceRestarted { .. }
            | Event::RestartedBeforeOom { .. } => "restart",
            Event::OomKill { .. } => "oom_kill",
        }
    }

    /// Details for the store and log.
    pub fn detail(&self) -> serde_json::Value {
        match self {
            Event::Exited {
                code,
                signal,
                oom_killed,
            } => serde_json::json!({
                "code": code, "signal": signal, "oom_killed": oom_killed,
                "description": describe_exit(*code, *signal, *oom_killed),
            }),
            Event::Restarted { count } => serde_json::json!({ "restarts": count }),
            Event::RestartedBeforeOom {
                count,
                time_to_limit_seconds,
                used_bytes,
                limit_bytes,
                evidence,
            } => serde_json::json!({
                "restarts": count,
                "reason": "restart_before_oom",
                "time_to_limit_seconds": (time_to_limit_seconds * 10.0).round() / 10.0,
                "used_bytes": used_bytes.round(),
                "limit_bytes": limit_bytes.round(),
                "evidence": evidence,
                "description": format!(
                    "restarted by leakscope before it ran out of memory ({} of {} in use, {:.0} s to the limit; restart {count}), {evidence}",
                    leakscope_core::units::format_bytes(*used_bytes),
                    leakscope_core::units::format_bytes(*limit_bytes),
                    time_to_limit_seconds
                ),
            }),
            Event::OomKill { delta, total } => {
                serde_json::json!({ "new_kills": delta, "oom_kill_total": total })
            }
            Event::ServiceRestarted { count } => serde_json::json!({
                "restarts": count,
                "description": "the service restarted (process_start_time_seconds changed)",
            }),
        }
    }

    /// The same event as the alert rules see it.
    pub fn to_alert_event(&self) -> TargetEvent {
        match self {
            Event::Exited {
                code,
                signal,
                oom_killed,
            } => TargetEvent::Exited {
                code: *code,
                signal: *signal,
                oom_killed: *oom_killed,
            },
            Event::Restarted { count } | Event::ServiceRestarted { count } => {
                TargetEvent::Restarted {
                    count: u64::from(*count),
                }
            }
            Event::RestartedBeforeOom {
                count,
                time_to_limit_seconds,
                ..
            } => TargetEvent::RestartedBeforeOom {
                count: u64::from(*count),
                time_to_limit_seconds: *time_to_limit_seconds,
            },
            Event::OomKill { total, .. } => TargetEvent::OomKill { count: *total },
        }
    }
}

/// "exited with code 3", "killed by signal 9 (OOM kill)" ...
pub fn describe_exit(code: Option<i32>, signal: Option<i32>, oom_killed: bool) -> String {
    let base = match (code, signal) {
        (Some(c), _) => format!("exited with code {c}"),
        (None, Some(s)) => format!("killed by signal {s}"),
        (None, None) => "exited".to_string(),
    };
    if oom_killed {
        format!("{base}: OOM-killed (the cgroup's oom_kill counter moved)")
    } else {
        base
    }
}
