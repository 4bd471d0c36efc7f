//! Remote sources on threads of their own: the engine hands each a tick and takes the outcome
//! whenever it comes, so an endpoint that stops answering delays only its own target.

use std::sync::mpsc::{self, Receiver, Sender};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::source::{JudgedSeries, Outcome, Source};

/// What a worker sends back after one sampling.
pub(crate) struct Done {
    /// The target's slot in the engine.
    pub slot: usize,
    /// The time the sampling was asked for, unix seconds (the sample's timestamp).
    pub t: f64,
    pub outcome: Outcome,
    /// Series the source judged itself, when it did.
    pub judged: Option<Vec<JudgedSeries>>,
    pub finished: bool,
    pub status: Option<String>,
    pub took: Duration,
}

/// A remote source's thread.
pub(crate) struct Worker {
    tx: Option<Sender<f64>>,
    /// When the sampling now running was asked for; None when idle.
    pub busy_since: Option<Instant>,
    handle: Option<JoinHandle<()>>,
}

/// Stack of a worker thread: the HTTP client and a TLS handshake fit easily.
const STACK_BYTES: usize = 512 * 1024;

impl Worker {
    /// Move `source` to a new thread; outcomes go to `results` tagged with `slot`.
    pub fn spawn(
        slot: usize,
        name: &str,
        mut source: Box<dyn Source>,
        results: Sender<Done>,
    ) -> std::io::Result<Worker> {
        let (tx, rx): (Sender<f64>, Receiver<f64>) = mpsc::channel();
        let label = name.to_string();
        let handle = std::thread::Builder::new()
            .name(format!("sample {}", short(name)))
            .stack_size(STACK_BYTES)
            .spawn(move || {
                while let Ok(t) = rx.recv() {
                    let started = Instant::now();
                    let outcome = source.sample();
                    let took = started.elapsed();
                    tracing::debug!(target_name = %label, took_ms = took.as_millis() as u64, ok = matches!(outcome.reading, Some(Ok(_))), "sampled");
                    let done = Done {
                        slot,
                        t,
                        finished: source.finished(),
                        status: source.status(),
                        judged: source.take_judged(),
                        outcome,
                        took,
                    };
                    if results.send(done).is_err() {
                        break;
                    }
                }
                source.shutdown();
            })?;
        Ok(Worker {
            tx: Some(tx),
            busy_since: None,
            handle: Some(handle),
        })
    }

    /// Ask for a sample at `t`; false when the thread is gone.
    pub fn tick(&mut self, t: f64) -> bool {
        match &self.tx {
            Some(tx) if tx.send(t).is_ok() => {
                self.busy_since = Some(Instant::now());
                true
            }
            _ => false,
        }
    }

    /// Let the thread end after its current sampling (it then shuts its source down).
    pub fn stop(&mut self) {
        self.tx = None;
    }

    /// Wait at most until `deadline` for the thread to end; true when it did.
    pub fn join(&mut self, deadline: Instant) -> bool {
        self.stop();
        let Some(h) = self.handle.take() else {
            return true;
        };
        while !h.is_finished() && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(5));
        }
        if h.is_finished() {
            let _ = h.join();
            true
        } else {
            // Still inside a hanging call; it ends with its timeout or with the process.
            false
        }
    }
}

/// A thread name fits 15 bytes on Linux; keep the end of long names (the path or port).
fn short(name: &str) -> String {
    let chars: Vec<char> = name.chars().collect();
    let n = chars.len();
    chars[n.saturating_sub(8)..].iter().collect()
}
