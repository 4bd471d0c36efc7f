//! A command leakscope starts and supervises (in its own process group), sampled with all
//! its descendants; exits, OOM kills and restarts are its events.

use super::tree::sum_tree;
use super::{wrong_kind, Kind, Outcome, Source, SourceError, SourceSpec};
use crate::supervise::Supervisor;

/// The `command` kind.
pub const KIND: Kind = Kind {
    name: "command",
    about: "a command leakscope starts, with its children",
    open,
};

fn open(spec: &SourceSpec) -> Result<Box<dyn Source>, SourceError> {
    let SourceSpec::Command { argv, restart, pss } = spec else {
        return Err(wrong_kind(KIND.name));
    };
    let sup = Supervisor::start(argv, *restart).map_err(|source| SourceError::Start {
        command: leakscope_core::redact::redact_command_line(argv),
        source,
    })?;
    Ok(Box::new(CommandSource::new(sup, *pss)))
}

/// A supervised command as a source.
pub struct CommandSource {
    sup: Supervisor,
    pss: bool,
}

impl CommandSource {
    /// Sample an already started command (e.g. `run`'s service, started before it was ready).
    pub fn new(sup: Supervisor, pss: bool) -> CommandSource {
        CommandSource { sup, pss }
    }
}

impl Source for CommandSource {
    fn sample(&mut self) -> Outcome {
        let events = self.sup.poll();
        let pss = self.pss;
        let reading = self
            .sup
            .pid()
            .map(|pid| sum_tree(self.sup.reader(), pid, pss))
            .filter(|f| f.iter().any(|(k, v)| k == "processes" && *v > 0.0))
            .map(|mut f| {
                // The limit of the cgroup the command runs in, for time-to-limit.
                if let Some(limit) = self.sup.limit_bytes() {
                    f.push((crate::fields::LIMIT_FIELD.into(), limit as f64));
                }
                Ok(f)
            });
        Outcome { reading, events }
    }

    fn finished(&self) -> bool {
        self.sup.finished()
    }

    fn pid(&self) -> Option<u32> {
        self.sup.pid()
    }

    fn cgroup(&mut self) -> Option<leakscope_probe::cgroup::CgroupSample> {
        self.sup.cgroup()
    }

    fn shutdown(&mut self) {
        self.sup.stop();
    }

    fn restart_now(&mut self) -> Option<std::io::Result<u32>> {
        Some(self.sup.restart_now())
    }
}
