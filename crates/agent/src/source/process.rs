//! A process matched by a pattern on its command line (`process = "node .*server.js"`):
//! re-resolved when it exits and a new one starts, so a restart under a new pid is followed.
//! While none matches, the target waits (and says so) instead of failing.

use leakscope_probe::proc::ProcReader;
use regex::Regex;

use super::tree::read_process;
use super::{wrong_kind, Event, Kind, Outcome, Source, SourceError, SourceSpec};
use crate::supervise::OomWatch;

/// The `process` kind.
pub const KIND: Kind = Kind {
    name: "process",
    about: "the process whose command line matches a pattern, followed across restarts",
    open,
};

fn open(spec: &SourceSpec) -> Result<Box<dyn Source>, SourceError> {
    let SourceSpec::Process { pattern, pss } = spec else {
        return Err(wrong_kind(KIND.name));
    };
    let re = compile(pattern)?;
    let mut src = ProcessSource {
        pattern: pattern.clone(),
        re,
        pss: *pss,
        reader: ProcReader::new(),
        current: None,
        seen: 0,
        restarts: 0,
    };
    src.resolve();
    Ok(Box::new(src))
}

/// Compile a process pattern, or say why it is not one.
pub fn compile(pattern: &str) -> Result<Regex, SourceError> {
    Regex::new(pattern).map_err(|e| SourceError::BadPattern {
        pattern: pattern.to_string(),
        detail: e.to_string(),
    })
}

/// This process and its ancestors, up to init.
fn ancestors_and_self() -> Vec<u32> {
    let mut out = vec![std::process::id()];
    let mut pid = std::process::id();
    while let Some(ppid) = parent_of(pid).filter(|p| *p > 1 && !out.contains(p)) {
        out.push(ppid);
        pid = ppid;
    }
    out
}

fn parent_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    rest.split_whitespace().nth(1)?.parse().ok()
}

struct Current {
    pid: u32,
    start_ticks: u64,
    oom: OomWatch,
}

struct ProcessSource {
    pattern: String,
    re: Regex,
    pss: bool,
    reader: ProcReader,
    current: Option<Current>,
    /// Processes followed so far.
    seen: u32,
    restarts: u32,
}

impl ProcessSource {
    /// Attach to the oldest matching process other than ourselves; true when one was found.
    fn resolve(&mut self) -> bool {
        // Never ourselves or a process we run under (their command lines hold the pattern).
        let skip = ancestors_and_self();
        let mut best: Option<(u64, u32)> = None;
        let Ok(dir) = std::fs::read_dir("/proc") else {
            return false;
        };
        for entry in dir.flatten() {
            let Some(pid) = entry
                .file_name()
                .to_str()
                .and_then(|s| s.parse::<u32>().ok())
            else {
                continue;
            };
            if skip.contains(&pid) {
                continue;
            }
            let Ok(raw) = std::fs::read(format!("/proc/{pid}/cmdline")) else {
                continue;
            };
            if raw.is_empty() {
                continue; // kernel threads and zombies
            }
            let line = String::from_utf8_lossy(&raw)
                .trim_end_matches('\0')
                .replace('\0', " ");
            if !self.re.is_match(&line) {
                continue;
            }
            let Ok(s) = self.reader.sample(pid) else {
                continue;
            };
            if best.is_none_or(|(t, _)| s.start_time_ticks < t) {
                best = Some((s.start_time_ticks, pid));
            }
        }
        let Some((start_ticks, pid)) = best else {
            return false;
        };
        tracing::info!(pid, pattern = %self.pattern, "process found");
        self.current = Some(Current {
            pid,
            start_ticks,
            oom: OomWatch::of_pid(pid),
        });
        self.seen += 1;
        true
    }
}

impl Source for ProcessSource {
    fn sample(&mut self) -> Outcome {
        let mut events = Vec::new();
        if self.current.is_none() {
            if !self.resolve() {
                return Outcome::default();
            }
            if self.seen > 1 {
                self.restarts += 1;
                events.push(Event::Restarted {
                    count: self.restarts,
                });
            }
        }
        let Some(cur) = self.current.as_mut() else {
            return Outcome::default();
        };
        match read_process(&mut self.reader, cur.pid, self.pss) {
            Ok((fields, ticks)) if ticks == cur.start_ticks => {
                cur.oom.follow(cur.pid);
                Outcome {
                    reading: Some(Ok(fields)),
                    events,
                }
            }
            Err(e) if !e.is_gone() => Outcome {
                reading: Some(Err(e)),
                events,
            },
            // Exited (or its pid was reused): say so, and look for the next one next time.
            _ => {
                events.push(Event::Exited {
                    code: None,
                    signal: None,
                    oom_killed: cur.oom.moved(),
                });
                self.current = None;
                Outcome {
                    reading: None,
                    events,
                }
            }
        }
    }

    fn pid(&self) -> Option<u32> {
        self.current.as_ref().map(|c| c.pid)
    }

    fn finished(&self) -> bool {
        false
    }

    fn status(&self) -> Option<String> {
        match &self.current {
            None if self.seen == 0 => Some(format!(
                "waiting for a process matching {:?} (none runs yet)",
                self.pattern
            )),
            None => Some(format!(
                "waiting for a process matching {:?} to start again",
                self.pattern
            )),
            Some(c) => Some(format!(
                "following process {} (matches {:?})",
                c.pid, self.pattern
            )),
        }
    }
}
