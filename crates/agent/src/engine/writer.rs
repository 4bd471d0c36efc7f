//! The store writer: its own thread owns the database, so a lock held by another process or
//! a full disk never stalls sampling.
//!
//! The engine hands it rows (samples, events) and one flush per round. A flush that fails is
//! reported and counted; the rows stay held — in the store's buffer, bounded by
//! [`leakscope_store::DEFAULT_BUFFER_CAP`] samples and as many events, the oldest dropped and
//! counted beyond that — and are written by the first flush that succeeds. A target whose
//! registration fails (the database locked at start) is registered again at the next flush;
//! its rows wait meanwhile, bounded the same way.
//!
//! The queue to the thread is bounded too ([`QUEUE`] jobs): a writer that falls behind (a
//! slow disk, a starved CPU) must not turn the watcher into a leak. Each flush first takes
//! every job already queued, so one commit serves as many rounds as arrived while the last
//! one ran and the writer catches up instead of committing round by round. Rows the full
//! queue cannot take are dropped and counted; the few jobs that must not be lost
//! (registrations, metadata, run bounds, close) always go. Sampling never blocks on the
//! writer.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use leakscope_store::{RunId, Store, StoreError, TargetId};

use crate::source::Fields;

/// Jobs the queue to the writer thread holds at most: a few seconds of the busiest watch
/// (40 targets sampled every 5 ms), some MiB of rows at most.
pub const QUEUE: usize = 32_768;

/// What the engine asks of the writer.
enum Job {
    /// Make sure a target of this name exists (first registration of a name wins).
    Register {
        name: Arc<str>,
        kind: &'static str,
        spec: String,
    },
    /// Replace the target's metadata.
    Meta {
        name: Arc<str>,
        meta: serde_json::Value,
    },
    Sample {
        name: Arc<str>,
        t: f64,
        fields: Fields,
    },
    Event {
        name: Arc<str>,
        t: f64,
        kind: String,
        detail: serde_json::Value,
    },
    BeginRun {
        t: f64,
        command: String,
    },
    EndRun {
        t: f64,
    },
    Flush,
    /// Flush and stop.
    Close,
}

/// Counters and the last failure of the writer, read by the engine each round.
#[derive(Debug, Default)]
pub struct WriterStatus {
    /// Flushes (and registrations) that failed.
    pub failures: AtomicU64,
    /// Rows dropped because the held rows or the queue reached their bound.
    pub dropped: AtomicU64,
    /// Flushes attempted (one commit each): fewer than rounds when the writer fell behind.
    pub flushes: AtomicU64,
    /// Rows waiting to be written.
    pub held: AtomicU64,
    /// Rows written since the start.
    pub written: AtomicU64,
    /// The last failure, cleared by the next successful flush.
    pub last_error: Mutex<Option<String>>,
}

/// The handle the engine writes through.
pub struct Writer {
    queue: Queue,
    handle: Option<JoinHandle<()>>,
    status: Arc<WriterStatus>,
}

/// The sending side of the bounded queue. Rows (and flushes) are dropped and counted when
/// [`QUEUE`] jobs wait; the jobs that must arrive (registrations, metadata, run bounds, close:
/// a few per target) always go. The count, not a preallocated channel, bounds it, so an idle
/// queue holds no memory.
#[derive(Clone)]
struct Queue {
    tx: Sender<Job>,
    waiting: Arc<AtomicUsize>,
    capacity: usize,
    status: Arc<WriterStatus>,
}

impl Queue {
    fn new(capacity: usize, status: Arc<WriterStatus>) -> (Queue, Jobs) {
        let (tx, rx) = mpsc::channel();
        let waiting = Arc::new(AtomicUsize::new(0));
        let jobs = Jobs {
            rx,
            waiting: Arc::clone(&waiting),
        };
        let queue = Queue {
            tx,
            waiting,
            capacity,
            status,
        };
        (queue, jobs)
    }

    /// A job that must arrive.
    fn must(&self, job: Job) {
        self.waiting.fetch_add(1, Ordering::Relaxed);
        if self.tx.send(job).is_err() {
            self.waiting.fetch_sub(1, Ordering::Relaxed);
        }
    }

    /// A row (or a flush): dropped and counted when the queue is full.
    fn may(&self, job: Job) {
        if self.waiting.load(Ordering::Relaxed) >= self.capacity {
            let rows = match &job {
                Job::Sample { fields, .. } => fields.len() as u64,
                Job::Event { .. } => 1,
                _ => 0,
            };
            self.status.dropped.fetch_add(rows, Ordering::Relaxed);
            return;
        }
        self.must(job);
    }
}

/// The receiving side: counts the jobs it hands out off the queue.
struct Jobs {
    rx: Receiver<Job>,
    waiting: Arc<AtomicUsize>,
}

impl Jobs {
    fn taken(&self, job: Job) -> Job {
        self.waiting.fetch_sub(1, Ordering::Relaxed);
        job
    }

    fn recv(&self) -> Option<Job> {
        self.rx.recv().ok().map(|j| self.taken(j))
    }

    fn try_recv(&self) -> Option<Job> {
        self.rx.try_recv().ok().map(|j| self.taken(j))
    }
}

/// A cloneable sender for other threads (delivery) to store events through.
#[derive(Clone)]
pub struct EventSink {
    queue: Queue,
}

impl EventSink {
    /// Store an event of target `name` (registered by the engine).
    pub fn event(&self, name: &Arc<str>, t: f64, kind: &str, detail: serde_json::Value) {
        self.queue.may(Job::Event {
            name: Arc::clone(name),
            t,
            kind: kind.to_string(),
            detail,
        });
    }
}

impl Writer {
    /// Start the writer thread on an open store.
    pub fn start(store: Store) -> Writer {
        let status = Arc::new(WriterStatus::default());
        let (queue, rx) = Queue::new(QUEUE, Arc::clone(&status));
        let st = Arc::clone(&status);
        let handle = std::thread::Builder::new()
            .name("store writer".into())
            .spawn(move || WriterThread::new(store, st).run(rx))
            .ok();
        Writer {
            queue,
            handle,
            status,
        }
    }

    /// The counters.
    pub fn status(&self) -> &Arc<WriterStatus> {
        &self.status
    }

    /// A sender of events for other threads.
    pub fn events(&self) -> EventSink {
        EventSink {
            queue: self.queue.clone(),
        }
    }

    /// Register the target `name` (idempotent).
    pub fn register(&self, name: &Arc<str>, kind: &'static str, spec: &str) {
        self.queue.must(Job::Register {
            name: Arc::clone(name),
            kind,
            spec: spec.to_string(),
        });
    }

    /// Replace the metadata of target `name`.
    pub fn meta(&self, name: &Arc<str>, meta: serde_json::Value) {
        self.queue.must(Job::Meta {
            name: Arc::clone(name),
            meta,
        });
    }

    /// Store a sample of `name` at `t`.
    pub fn sample(&self, name: &Arc<str>, t: f64, fields: &Fields) {
        self.queue.may(Job::Sample {
            name: Arc::clone(name),
            t,
            fields: fields.clone(),
        });
    }

    /// Store an event of `name` at `t`.
    pub fn event(&self, name: &Arc<str>, t: f64, kind: &str, detail: serde_json::Value) {
        self.queue.may(Job::Event {
            name: Arc::clone(name),
            t,
            kind: kind.to_string(),
            detail,
        });
    }

    /// Record the start of this invocation.
    pub fn begin_run(&self, t: f64, command: &str) {
        self.queue.must(Job::BeginRun {
            t,
            command: command.to_string(),
        });
    }

    /// Record the end of this invocation.
    pub fn end_run(&self, t: f64) {
        self.queue.must(Job::EndRun { t });
    }

    /// Write what was handed over so far (asynchronously).
    pub fn flush(&self) {
        self.queue.may(Job::Flush);
    }

    /// Flush, stop the thread and wait for it at most `wait`. Returns false when rows could
    /// not be written (they are lost with the process).
    pub fn close(mut self, wait: Duration) -> bool {
        self.queue.must(Job::Close);
        let deadline = Instant::now() + wait;
        if let Some(h) = self.handle.take() {
            while !h.is_finished() && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
            if h.is_finished() {
                let _ = h.join();
            } else {
                return false;
            }
        }
        self.status.held.load(Ordering::Relaxed) == 0
    }
}

/// A row waiting for its target's registration.
struct Waiting {
    name: Arc<str>,
    job: Job,
}

struct WriterThread {
    store: Store,
    status: Arc<WriterStatus>,
    ids: HashMap<Arc<str>, TargetId>,
    /// Registrations not done yet: name → (kind, spec).
    unregistered: HashMap<Arc<str>, (&'static str, String)>,
    /// Rows of targets not registered yet, oldest first.
    waiting: VecDeque<Waiting>,
    run: Option<RunId>,
    pending_run: Option<(f64, String)>,
    pending_end: Option<f64>,
    /// Rows handed to the store and not flushed yet.
    in_store: u64,
}

impl WriterThread {
    fn new(store: Store, status: Arc<WriterStatus>) -> Self {
        WriterThread {
            store,
            status,
            ids: HashMap::new(),
            unregistered: HashMap::new(),
            waiting: VecDeque::new(),
            run: None,
            pending_run: None,
            pending_end: None,
            in_store: 0,
        }
    }

    fn run(mut self, rx: Jobs) {
        while let Some(job) = rx.recv() {
            match job {
                Job::Flush => {
                    // Take what queued up meanwhile first: one commit for all of it.
                    loop {
                        match rx.try_recv() {
                            Some(Job::Flush) => {}
                            Some(Job::Close) => {
                                self.flush();
                                return;
                            }
                            Some(other) => self.take(other),
                            None => break,
                        }
                    }
                    self.flush();
                }
                Job::Close => {
                    self.flush();
                    return;
                }
                other => self.take(other),
            }
        }
        self.flush();
    }

    fn take(&mut self, job: Job) {
        match job {
            Job::Register { name, kind, spec } => {
                if !self.ids.contains_key(&name) {
                    self.unregistered.entry(name).or_insert((kind, spec));
                }
            }
            Job::BeginRun { t, command } => self.pending_run = Some((t, command)),
            Job::EndRun { t } => self.pending_end = Some(t),
            Job::Meta { ref name, .. }
            | Job::Sample { ref name, .. }
            | Job::Event { ref name, .. } => {
                let name = Arc::clone(name);
                match self.ids.get(&name).copied() {
                    Some(id) => self.apply(id, job),
                    None => {
                        if self.waiting.len() >= leakscope_store::DEFAULT_BUFFER_CAP {
                            self.waiting.pop_front();
                            self.status.dropped.fetch_add(1, Ordering::Relaxed);
                        }
                        self.waiting.push_back(Waiting { name, job });
                    }
                }
            }
            Job::Flush | Job::Close => {}
        }
        self.publish_held();
    }

    /// Hand a row of a registered target to the store's buffer.
    fn apply(&mut self, id: TargetId, job: Job) {
        let result = match job {
            Job::Sample { t, fields, .. } => {
                let refs: Vec<(&str, f64)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
                self.in_store += refs.len() as u64;
                self.store.append(id, t, &refs)
            }
            Job::Event {
                t, kind, detail, ..
            } => {
                self.in_store += 1;
                self.store.event(id, t, &kind, &detail)
            }
            Job::Meta { meta, .. } => self.store.set_target_meta(id, &meta),
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.failed(&e);
        }
    }

    fn register_pending(&mut self) -> bool {
        let names: Vec<Arc<str>> = self.unregistered.keys().cloned().collect();
        for name in names {
            let Some((kind, spec)) = self.unregistered.get(&name).cloned() else {
                continue;
            };
            match self.store.target(&name, kind, &spec) {
                Ok(id) => {
                    tracing::debug!(target_name = %name, "target registered");
                    self.unregistered.remove(&name);
                    self.ids.insert(name, id);
                }
                Err(e) => {
                    self.failed(&e);
                    return false;
                }
            }
        }
        // Rows that waited for their target go to the store now, in order.
        let mut still = VecDeque::new();
        while let Some(w) = self.waiting.pop_front() {
            match self.ids.get(&w.name).copied() {
                Some(id) => self.apply(id, w.job),
                None => still.push_back(w),
            }
        }
        self.waiting = still;
        true
    }

    fn flush(&mut self) {
        let started = Instant::now();
        self.status.flushes.fetch_add(1, Ordering::Relaxed);
        if !self.register_pending() {
            self.publish_held();
            return;
        }
        if let Some((t, command)) = self.pending_run.take() {
            match self.store.begin_run(t, &command) {
                Ok(id) => self.run = Some(id),
                Err(e) => {
                    self.pending_run = Some((t, command));
                    self.failed(&e);
                }
            }
        }
        match self.store.flush() {
            Ok(stats) => {
                self.status
                    .written
                    .fetch_add((stats.samples + stats.events) as u64, Ordering::Relaxed);
                if stats.dropped > 0 {
                    self.status
                        .dropped
                        .fetch_add(stats.dropped, Ordering::Relaxed);
                }
                self.in_store = 0;
                if let Ok(mut last) = self.status.last_error.lock() {
                    *last = None;
                }
                tracing::debug!(
                    samples = stats.samples,
                    events = stats.events,
                    took_ms = started.elapsed().as_millis() as u64,
                    "store flush"
                );
            }
            Err(e) => self.failed(&e),
        }
        if let (Some(run), Some(t)) = (self.run, self.pending_end) {
            match self.store.end_run(run, t) {
                Ok(()) => self.pending_end = None,
                Err(e) => self.failed(&e),
            }
        }
        self.publish_held();
    }

    fn failed(&mut self, e: &StoreError) {
        self.status.failures.fetch_add(1, Ordering::Relaxed);
        tracing::warn!("store write failed: {e}");
        if let Ok(mut last) = self.status.last_error.lock() {
            *last = Some(e.to_string());
        }
    }

    fn publish_held(&self) {
        let held = self.waiting.len() as u64 + self.store.buffered() as u64;
        self.status.held.store(held, Ordering::Relaxed);
        let _ = self.in_store;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_written_through_the_thread_reach_the_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.db");
        let w = Writer::start(Store::open(&path).expect("open"));
        let name: Arc<str> = Arc::from("api");
        w.register(&name, "pid", "42");
        for i in 0..10 {
            w.sample(&name, 1e9 + f64::from(i), &vec![("rss_bytes".into(), 1e6)]);
        }
        w.event(&name, 1e9, "exit", serde_json::json!({"code": 0}));
        assert!(w.close(Duration::from_secs(10)));
        let s = Store::open_read_only(&path).expect("read");
        assert_eq!(s.points("api", "rss_bytes").expect("points").len(), 10);
    }

    fn rss(v: f64) -> Fields {
        vec![("rss_bytes".into(), v)]
    }

    #[test]
    fn a_writer_behind_takes_every_queued_round_into_one_commit() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("w.db");
        let status = Arc::new(WriterStatus::default());
        let (queue, rx) = Queue::new(QUEUE, Arc::clone(&status));
        let name: Arc<str> = Arc::from("api");
        queue.must(Job::Register {
            name: Arc::clone(&name),
            kind: "pid",
            spec: "42".into(),
        });
        // A thousand rounds queued while the writer was busy elsewhere.
        for i in 0..1000 {
            queue.may(Job::Sample {
                name: Arc::clone(&name),
                t: 1e9 + f64::from(i),
                fields: rss(1e6),
            });
            queue.may(Job::Flush);
        }
        queue.must(Job::Close);
        let store = Store::open(&path).expect("open");
        WriterThread::new(store, Arc::clone(&status)).run(rx);
        assert_eq!(status.flushes.load(Ordering::Relaxed), 1);
        assert_eq!(status.written.load(Ordering::Relaxed), 1000);
        let s = Store::open_read_only(&path).expect("read");
        assert_eq!(s.points("api", "rss_bytes").expect("points").len(), 1000);
    }

    #[test]
    fn a_full_queue_drops_rows_counted_but_never_a_registration() {
        let status = Arc::new(WriterStatus::default());
        let (queue, jobs) = Queue::new(4, Arc::clone(&status));
        let (a, b): (Arc<str>, Arc<str>) = (Arc::from("a"), Arc::from("b"));
        let sample = |name: &Arc<str>, t: f64| Job::Sample {
            name: Arc::clone(name),
            t,
            fields: vec![("rss_bytes".into(), 1.0), ("cpu".into(), 2.0)],
        };
        let register = |name: &Arc<str>| Job::Register {
            name: Arc::clone(name),
            kind: "pid",
            spec: "1".into(),
        };
        queue.must(register(&a));
        for t in 0..5 {
            queue.may(sample(&a, f64::from(t)));
        }
        // Three samples fit; two of two fields each did not.
        assert_eq!(status.dropped.load(Ordering::Relaxed), 4);
        queue.must(register(&b));
        queue.may(sample(&b, 9.0));
        let mut got = Vec::new();
        while let Some(job) = jobs.try_recv() {
            got.push(job);
        }
        assert!(
            matches!(
                &got[..],
                [Job::Register { .. }, Job::Sample { .. }, Job::Sample { .. }, Job::Sample { .. }, Job::Register { name, .. }]
                    if &**name == "b"
            ),
            "{} jobs",
            got.len()
        );
        assert_eq!(status.dropped.load(Ordering::Relaxed), 6);
        // Taken off the queue, the jobs make room again.
        queue.may(sample(&b, 10.0));
        assert!(matches!(jobs.try_recv(), Some(Job::Sample { t, .. }) if t == 10.0));
    }
}
