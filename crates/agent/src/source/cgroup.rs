//! A memory cgroup (v1 or v2): its usage, working set, limit and OOM kills.

use leakscope_probe::cgroup::Cgroup;

use super::{wrong_kind, Event, Kind, Outcome, Source, SourceError, SourceSpec};

/// The `cgroup` kind.
pub const KIND: Kind = Kind {
    name: "cgroup",
    about: "a memory cgroup, v1 or v2",
    open,
};

fn open(spec: &SourceSpec) -> Result<Box<dyn Source>, SourceError> {
    let SourceSpec::Cgroup { path } = spec else {
        return Err(wrong_kind(KIND.name));
    };
    let mut cgroup = Cgroup::open(path)?;
    let first = cgroup.sample()?;
    Ok(Box::new(CgroupSource {
        cgroup,
        last_oom: first.oom_kill_count,
        gone: false,
    }))
}

struct CgroupSource {
    cgroup: Cgroup,
    last_oom: Option<u64>,
    gone: bool,
}

impl Source for CgroupSource {
    fn sample(&mut self) -> Outcome {
        match self.cgroup.sample() {
            Ok(s) => {
                let mut events = vec![];
                if let (Some(before), Some(now)) = (self.last_oom, s.oom_kill_count) {
                    if now > before {
                        events.push(Event::OomKill {
                            delta: now - before,
                            total: now,
                        });
                    }
                }
                self.last_oom = s.oom_kill_count.or(self.last_oom);
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
                    self.gone = true;
                }
                Outcome {
                    reading: Some(Err(e)),
                    events: vec![],
                }
            }
        }
    }

    fn finished(&self) -> bool {
        self.gone
    }
}
