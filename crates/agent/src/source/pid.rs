//! One process by pid. Gone for good when it exits; a new process under the same pid (pid
//! reuse) is noticed by its start time and not sampled.

use leakscope_probe::proc::ProcReader;

use super::tree::read_process;
use super::{wrong_kind, Event, Kind, Outcome, Source, SourceError, SourceSpec};
use crate::supervise::OomWatch;

/// The `pid` kind.
pub const KIND: Kind = Kind {
    name: "pid",
    about: "one process, by pid",
    open,
};

fn open(spec: &SourceSpec) -> Result<Box<dyn Source>, SourceError> {
    let SourceSpec::Pid { pid, pss } = *spec else {
        return Err(wrong_kind(KIND.name));
    };
    Ok(Box::new(PidSource::attach(pid, pss)?))
}

/// A process followed by pid and start time.
pub struct PidSource {
    pid: u32,
    start_ticks: u64,
    reader: ProcReader,
    oom: OomWatch,
    pss: bool,
    gone: bool,
}

impl PidSource {
    /// Attach to `pid`; fails when it does not exist or cannot be read (or, with `pss`, its
    /// smaps_rollup cannot).
    pub fn attach(pid: u32, pss: bool) -> Result<PidSource, SourceError> {
        let mut reader = ProcReader::new();
        let first = reader.sample(pid)?;
        if pss {
            reader.sample_pss(pid)?;
        }
        Ok(PidSource {
            pid,
            start_ticks: first.start_time_ticks,
            reader,
            oom: OomWatch::of_pid(pid),
            pss,
            gone: false,
        })
    }

    fn exited(&mut self) -> Outcome {
        self.gone = true;
        Outcome {
            reading: None,
            events: vec![Event::Exited {
                code: None,
                signal: None,
                oom_killed: self.oom.moved(),
            }],
        }
    }
}

impl Source for PidSource {
    fn sample(&mut self) -> Outcome {
        if self.gone {
            return Outcome::default();
        }
        match read_process(&mut self.reader, self.pid, self.pss) {
            Ok((fields, ticks)) if ticks == self.start_ticks => {
                self.oom.follow(self.pid);
                Outcome {
                    reading: Some(Ok(fields)),
                    events: vec![],
                }
            }
            // Same pid, new process: ours is gone.
            Ok(_) => self.exited(),
            Err(e) if e.is_gone() => self.exited(),
            Err(e) => Outcome {
                reading: Some(Err(e)),
                events: vec![],
            },
        }
    }

    fn finished(&self) -> bool {
        self.gone
    }

    fn pid(&self) -> Option<u32> {
        (!self.gone).then_some(self.pid)
    }
}
