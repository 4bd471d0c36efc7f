//! The things `watch` samples: processes, cgroups, /metrics endpoints and a supervised command.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use leakscope_probe::cgroup::Cgroup;
use leakscope_probe::error::ProbeError;
use leakscope_probe::proc::ProcReader;
use leakscope_probe::scrape;

use super::WatchArgs;
pub use crate::event::Event;
use crate::supervise::{OomWatch, Supervisor};
use crate::tree::{read_process, sum_tree};

/// How long one scrape may take before it counts as failed.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);

pub use crate::tree::Fields;

/// What one sampling round got from a target.
pub struct Outcome {
    /// The sample, or why it failed; None when there was nothing to sample (gone).
    pub reading: Option<Result<Fields, ProbeError>>,
    /// Events seen since the last round.
    pub events: Vec<Event>,
}

enum Source {
    Pid {
        pid: u32,
        start_ticks: u64,
        reader: ProcReader,
        oom: OomWatch,
    },
    Cgroup {
        cgroup: Cgroup,
        last_oom: Option<u64>,
    },
    Scrape {
        url: String,
        metrics: Vec<String>,
        start_time: Option<f64>,
        restarts: u32,
    },
    Command(Supervisor),
}

/// A watched target.
pub struct Target {
    /// Name in the log and store: `pid:1234`, `cgroup:/sys/...`, the URL, or the command's name.
    pub name: String,
    /// `pid`, `cgroup`, `scrape` or `command`.
    pub kind: &'static str,
    /// What the user gave: the pid, path, URL or command line.
    pub spec: String,
    /// False once the target is gone for good.
    pub active: bool,
    /// The store's id for this target.
    pub store_id: Option<leakscope_store::TargetId>,
    source: Source,
    pss: bool,
}

/// Open every target the arguments name; any that cannot be watched is an error now.
pub fn open_all(args: &WatchArgs) -> anyhow::Result<Vec<Target>> {
    let mut targets = Vec::new();
    for &pid in &args.pid {
        let mut reader = ProcReader::new();
        let first = reader.sample(pid).map_err(|e| start_error(e, "--pid"))?;
        if args.pss {
            reader
                .sample_pss(pid)
                .map_err(|e| start_error(e, "--pss"))?;
        }
        targets.push(Target {
            name: format!("pid:{pid}"),
            kind: "pid",
            spec: pid.to_string(),
            active: true,
            store_id: None,
            source: Source::Pid {
                pid,
                start_ticks: first.start_time_ticks,
                reader,
                oom: OomWatch::of_pid(pid),
            },
            pss: args.pss,
        });
    }
    for path in &args.cgroup {
        let mut cgroup = Cgroup::open(path).map_err(|e| start_error(e, "--cgroup"))?;
        let first = cgroup.sample().map_err(|e| start_error(e, "--cgroup"))?;
        targets.push(Target {
            name: format!("cgroup:{}", path.display()),
            kind: "cgroup",
            spec: path.display().to_string(),
            active: true,
            store_id: None,
            source: Source::Cgroup {
                cgroup,
                last_oom: first.oom_kill_count,
            },
            pss: false,
        });
    }
    for url in &args.scrape {
        let samples =
            scrape::scrape(url, SCRAPE_TIMEOUT).map_err(|e| start_error(e, "--scrape"))?;
        let metrics: Vec<String> = if args.metric.is_empty() {
            scrape::DEFAULT_METRICS
                .iter()
                .map(|s| s.to_string())
                .collect()
        } else {
            args.metric.clone()
        };
        let chosen = scrape::select(&samples, &metrics);
        if chosen.is_empty() {
            anyhow::bail!(
                "{url} serves none of the metrics {} (use --metric NAME to choose one it has)",
                metrics.join(", ")
            );
        }
        // Names and specs are logged and stored: no credentials in them.
        let shown = leakscope_core::redact::redact_text(url).into_owned();
        targets.push(Target {
            name: shown.clone(),
            kind: "scrape",
            spec: shown,
            active: true,
            store_id: None,
            source: Source::Scrape {
                url: url.clone(),
                metrics,
                start_time: start_time_of(&samples),
                restarts: 0,
            },
            pss: false,
        });
    }
    if !args.command.is_empty() {
        let sup = Supervisor::start(&args.command, args.restart).with_context(|| {
            format!(
                "cannot start {}",
                leakscope_core::redact::redact_command_line(&args.command)
            )
        })?;
        let name = args.name.clone().unwrap_or_else(|| {
            PathBuf::from(&args.command[0])
                .file_name()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_else(|| args.command[0].clone())
        });
        targets.push(Target {
            name,
            kind: "command",
            spec: leakscope_core::redact::redact_command_line(&args.command),
            active: true,
            store_id: None,
            source: Source::Command(sup),
            pss: args.pss,
        });
    }
    Ok(targets)
}

fn start_error(e: ProbeError, flag: &str) -> anyhow::Error {
    anyhow::anyhow!("{e} (given with {flag})")
}

fn start_time_of(samples: &[scrape::MetricSample]) -> Option<f64> {
    samples
        .iter()
        .find(|s| s.name == "process_start_time_seconds")
        .map(|s| s.value)
}

impl Target {
    /// Take one sample, and report what happened since the last one.
    pub fn sample(&mut self, _t: f64) -> Outcome {
        let pss = self.pss;
        match &mut self.source {
            Source::Pid {
                pid,
                start_ticks,
                reader,
                oom,
            } => {
                match read_process(reader, *pid, pss) {
                    Ok((fields, ticks)) if ticks == *start_ticks => {
                        oom.follow(*pid);
                        Outcome {
                            reading: Some(Ok(fields)),
                            events: vec![],
                        }
                    }
                    Ok(_) => {
                        // Same pid, new process: ours is gone.
                        self.active = false;
                        Outcome {
                            reading: None,
                            events: vec![Event::Exited {
                                code: None,
                                signal: None,
                                oom_killed: oom.moved(),
                            }],
                        }
                    }
                    Err(e) if e.is_gone() => {
                        self.active = false;
                        Outcome {
                            reading: None,
                            events: vec![Event::Exited {
                                code: None,
                                signal: None,
                                oom_killed: oom.moved(),
                            }],
                        }
                    }
                    Err(e) => Outcome {
                        reading: Some(Err(e)),
                        events: vec![],
                    },
                }
            }
            Source::Cgroup { cgroup, last_oom } => match cgroup.sample() {
                Ok(s) => {
                    let mut events = vec![];
                    if let (Some(before), Some(now)) = (*last_oom, s.oom_kill_count) {
                        if now > before {
                            events.push(Event::OomKill {
                                delta: now - before,
                                total: now,
                            });
                        }
                    }
                    *last_oom = s.oom_kill_count.or(*last_oom);
                    let fields = s
                        .fields()
                        .into_iter()
                        .map(|(k, v)| (k.to_string(), v))
                        .collect();
                    Outcome {
                        reading: Some(Ok(fields)),
                        events,
                    }
                }
                Err(e) => {
                    if e.is_gone() {
                        self.active = false;
                    }
                    Outcome {
                        reading: Some(Err(e)),
                        events: vec![],
                    }
                }
            },
            Source::Scrape {
                url,
                metrics,
                start_time,
                restarts,
            } => match scrape::scrape(url, SCRAPE_TIMEOUT) {
                Ok(samples) => {
                    let mut events = vec![];
                    let st = start_time_of(&samples);
                    if let (Some(a), Some(b)) = (*start_time, st) {
                        if (a - b).abs() > 0.5 {
                            *restarts += 1;
                            events.push(Event::ServiceRestarted { count: *restarts });
                        }
                    }
                    *start_time = st.or(*start_time);
                    let fields = scrape::select(&samples, metrics);
                    Outcome {
                        reading: Some(Ok(fields)),
                        events,
                    }
                }
                Err(e) => Outcome {
                    reading: Some(Err(e)),
                    events: vec![],
                },
            },
            Source::Command(sup) => {
                let events = sup.poll();
                let reading = sup
                    .pid()
                    .map(|pid| sum_tree(sup.reader(), pid, pss))
                    .filter(|f| f.iter().any(|(k, v)| k == "processes" && *v > 0.0))
                    .map(Ok);
                if sup.finished() {
                    self.active = false;
                }
                Outcome { reading, events }
            }
        }
    }

    /// The memory limit this target knows of (a cgroup's), bytes.
    pub fn limit_bytes(&self, fields: &Fields) -> Option<f64> {
        fields
            .iter()
            .find(|(k, _)| k == crate::fields::LIMIT_FIELD)
            .map(|(_, v)| *v)
            .filter(|v| *v > 0.0)
    }

    /// Stop the supervised command, if any.
    pub fn shutdown(&mut self) {
        if let Source::Command(sup) = &mut self.source {
            sup.stop();
        }
    }
}
