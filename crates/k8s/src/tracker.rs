//! A container's status over time, turned into the events the alert rules judge: a restart
//! (`restartCount` went up) and an OOM kill (a new last termination with reason OOMKilled).
//! What the first sight of a pod shows is history, not news: counts start from there, so a
//! container that restarted 12 times last week does not fire a restart storm today.

use leakscope_agent::event::Event;

use crate::oom_event::JOIN_WINDOW_SECONDS;
use crate::pod::ContainerInfo;

/// What is known of one container.
#[derive(Debug, Clone, Default)]
pub struct ContainerTrack {
    restarts: u32,
    restarts_seen: u32,
    last_end: Option<(Option<String>, Option<String>)>,
    /// OOM kills seen since watching began.
    pub ooms: u64,
    /// When another signal (a cgroup counter, an OOM event) last showed an OOM kill of it,
    /// unix seconds; a status saying the same kill is then not counted again.
    pub other_oom_at: Option<f64>,
    /// When the status last showed an OOM kill (its `finishedAt`), unix seconds.
    pub status_oom_at: Option<f64>,
}

impl ContainerTrack {
    /// Start tracking from what `c` shows now.
    pub fn new(c: &ContainerInfo) -> ContainerTrack {
        ContainerTrack {
            restarts: c.restarts,
            last_end: end_key(c),
            ..ContainerTrack::default()
        }
    }

    /// The events between the last status and `c`, at `t` unix seconds.
    pub fn observe(&mut self, c: &ContainerInfo, t: f64) -> Vec<Event> {
        let mut out = Vec::new();
        if c.restarts > self.restarts {
            self.restarts_seen = self
                .restarts_seen
                .saturating_add(c.restarts - self.restarts);
            out.push(Event::Restarted {
                count: self.restarts_seen,
            });
        }
        self.restarts = self.restarts.max(c.restarts);
        let key = end_key(c);
        if key != self.last_end {
            self.last_end = key;
            if let Some(end) = c.last_termination.as_ref().filter(|e| e.is_oom_kill()) {
                let when = end.finished_t.unwrap_or(t);
                self.status_oom_at = Some(when);
                let seen = self
                    .other_oom_at
                    .is_some_and(|a| (a - when).abs() <= JOIN_WINDOW_SECONDS);
                if !seen {
                    out.push(self.oom(1));
                }
            }
        }
        out
    }

    /// An OOM kill seen by another signal at `t`; the event to report.
    pub fn oom_seen(&mut self, delta: u64, t: f64) -> Event {
        self.other_oom_at = Some(t);
        self.oom(delta)
    }

    /// An OOM event (node-problem-detector's, at `t`) joined to this container; `None` when the
    /// status already showed that kill.
    pub fn oom_event(&mut self, t: f64) -> Option<Event> {
        if self
            .status_oom_at
            .is_some_and(|a| (a - t).abs() <= JOIN_WINDOW_SECONDS)
            || self
                .other_oom_at
                .is_some_and(|a| (a - t).abs() <= JOIN_WINDOW_SECONDS)
        {
            return None;
        }
        Some(self.oom_seen(1, t))
    }

    fn oom(&mut self, delta: u64) -> Event {
        self.ooms += delta;
        Event::OomKill {
            delta,
            total: self.ooms,
        }
    }
}

fn end_key(c: &ContainerInfo) -> Option<(Option<String>, Option<String>)> {
    c.last_termination
        .as_ref()
        .map(|e| (e.container_id.clone(), e.finished_at.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pod::Termination;

    fn container(restarts: u32, end: Option<(&str, &str, f64)>) -> ContainerInfo {
        ContainerInfo {
            name: "app".into(),
            id: None,
            restarts,
            last_termination: end.map(|(reason, id, t)| Termination {
                reason: Some(reason.into()),
                exit_code: if reason == "OOMKilled" { 137 } else { 1 },
                finished_at: Some(format!("{t}")),
                started_at: None,
                finished_t: Some(t),
                container_id: Some(id.into()),
            }),
            state: "running".into(),
            limit_bytes: None,
            request_bytes: None,
        }
    }

    #[test]
    fn history_is_not_news_and_each_change_is_one_event() {
        let mut tr = ContainerTrack::new(&container(12, Some(("OOMKilled", "a", 100.0))));
        assert!(tr
            .observe(&container(12, Some(("OOMKilled", "a", 100.0))), 200.0)
            .is_empty());
        let ev = tr.observe(&container(13, Some(("OOMKilled", "b", 300.0))), 301.0);
        assert_eq!(
            ev,
            [
                Event::Restarted { count: 1 },
                Event::OomKill { delta: 1, total: 1 }
            ]
        );
        let ev = tr.observe(&container(15, Some(("Error", "c", 400.0))), 401.0);
        assert_eq!(ev, [Event::Restarted { count: 3 }]);
    }

    #[test]
    fn a_kill_the_counters_saw_is_not_counted_again_from_the_status() {
        let mut tr = ContainerTrack::new(&container(0, None));
        assert_eq!(
            tr.oom_seen(1, 1000.0),
            Event::OomKill { delta: 1, total: 1 }
        );
        let ev = tr.observe(&container(1, Some(("OOMKilled", "a", 1000.4))), 1002.0);
        assert_eq!(ev, [Event::Restarted { count: 1 }]);
        // A later kill the counters missed is counted.
        let ev = tr.observe(&container(2, Some(("OOMKilled", "b", 5000.0))), 5001.0);
        assert_eq!(
            ev,
            [
                Event::Restarted { count: 2 },
                Event::OomKill { delta: 1, total: 2 }
            ]
        );
    }
}
