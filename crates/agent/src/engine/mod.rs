//! The engine: sample every target each interval, log and store every sample, judge the
//! series, fire alerts and hand them to delivery — with each slow part off the sampling
//! path.
//!
//! - Local sources (/proc, cgroups, supervised commands) are sampled inline: microseconds.
//! - Remote sources (scrapes, the Node inspector) each run on a [`worker`] thread; a target
//!   whose previous sample has not come back by its next tick is skipped and reported as
//!   behind — that target alone. A remote source with a period of its own (a Prometheus
//!   query judged every 5 minutes) is ticked on that schedule, checked every 100 ms.
//! - Series a source judged itself (a Prometheus query's) go through the same alert rules as
//!   sampled ones; their labels go on their alerts and /metrics series.
//! - The store is written by its own thread ([`writer`]): a locked or full database is
//!   reported and counted while rows are held, bounded, and written later.
//! - Alerts are stored as events, then queued per receiver ([`crate::deliver`]).
//!
//! The caller renders: an [`Observer`] sees samples, events, failures and notes, decides when
//! to stop and hands in reloaded settings.

mod evidence;
pub mod judge;
pub mod log;
pub mod mitigate;
mod worker;
pub mod writer;

use std::collections::{BTreeMap, HashSet};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender};
use std::sync::Arc;
use std::time::{Duration, Instant};

use leakscope_core::alert::{Alert, AlertRules, AlertStatus};
use leakscope_core::Verdict;
use leakscope_probe::error::ProbeError;
use leakscope_store::Store;

use crate::deliver::{self, Delivery, Receiver as _, Report, RetryPolicy};
use crate::diagnosis::Diagnoser;
use crate::discover::{Change, Discovered, Discovery, Labels};
use crate::event::Event;
use crate::fields;
use crate::metrics::{self, Metrics};
use crate::settings::{ReceiverSpec, Settings, TargetSettings};
use crate::source::{Fields, Judged, JudgedSeries, Outcome, Source, SourceError};
use judge::Judge;
use log::SampleLog;
use worker::{Done, Worker};
use writer::Writer;

/// What the caller sees and decides while the engine runs. Every method has a default.
pub trait Observer {
    /// A sample of `target` at `t` unix seconds.
    fn sample(&mut self, target: &str, t: f64, fields: &Fields) {
        let _ = (target, t, fields);
    }
    /// An event of `target` (exit, restart, OOM kill).
    fn event(&mut self, target: &str, t: f64, ev: &Event) {
        let _ = (target, t, ev);
    }
    /// A failed sample of `target`; `count` failures of it so far.
    fn failure(&mut self, target: &str, err: &ProbeError, count: u64) {
        let _ = (target, err, count);
    }
    /// Something worth saying on stderr (a target waiting, falling behind, the store failing
    /// and recovering, a delivery retried).
    fn note(&mut self, text: &str) {
        let _ = text;
    }
    /// Checked often: true to stop now.
    fn should_stop(&mut self) -> bool {
        false
    }
    /// Checked each round: new settings to apply (a config reload), if any.
    fn reload(&mut self) -> Option<Settings> {
        None
    }
    /// After each round (`rounds` so far): false to stop.
    fn round(&mut self, rounds: u64) -> bool {
        let _ = rounds;
        true
    }
}

/// The engine's own choices (not part of a config file).
#[derive(Debug, Clone)]
pub struct EngineOptions {
    /// Recognize and alert (`watch`); `run` judges its soak itself.
    pub judge: bool,
    /// Print alerts as JSON lines on stderr.
    pub stderr_alerts: bool,
    /// Retries of alert delivery.
    pub retry: RetryPolicy,
    /// Stop after this many rounds.
    pub count: Option<u64>,
    /// Stop after this long.
    pub duration: Option<Duration>,
}

impl Default for EngineOptions {
    fn default() -> Self {
        EngineOptions {
            judge: true,
            stderr_alerts: true,
            retry: RetryPolicy::default(),
            count: None,
            duration: None,
        }
    }
}

/// Why the engine could not start.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// A target could not be opened.
    #[error("{source}")]
    Source {
        /// The target's name.
        name: String,
        /// The kind (`pid`, `scrape` ...), for the flag or config key it came from.
        kind: &'static str,
        /// Why.
        #[source]
        source: Box<SourceError>,
    },
    /// A receiver's URL or files are unusable.
    #[error("the alert receiver {url}: {source}")]
    Receiver {
        /// The URL (credentials redacted).
        url: String,
        /// Why.
        #[source]
        source: leakscope_probe::http::HttpError,
    },
    /// The /metrics listener could not bind.
    #[error("cannot listen on {addr} for /metrics: {source}")]
    Listen {
        /// The address.
        addr: std::net::SocketAddr,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A thread could not be started.
    #[error("cannot start a thread: {0}")]
    Thread(#[source] std::io::Error),
    /// `--diagnose`: the evidence directory cannot be used.
    #[error("{0}")]
    Evidence(#[source] leakscope_diagnose::DiagnoseError),
    /// `--restart-before-oom` cannot work (no supervised command, no known limit).
    #[error("{0}")]
    RestartBeforeOom(String),
}

enum Runner {
    Local(Box<dyn Source>),
    Remote(Worker),
}

/// One target in the engine.
struct Slot {
    name: Arc<str>,
    kind: &'static str,
    settings: Option<TargetSettings>,
    runner: Runner,
    judged: Judged,
    judge: Judge,
    limit: Option<f64>,
    labels: Labels,
    /// A remote source's own schedule, and when it is due next.
    period: Option<(Duration, Instant)>,
    active: bool,
    errors: u64,
    behind: u64,
    behind_said: bool,
    status: Option<String>,
    /// `--restart-before-oom`: since when its restart waits for a diagnosis, and the time
    /// to the limit then (seconds), which bounds the wait.
    restart_waiting: Option<(Instant, f64)>,
    /// `--diagnose`: what the diagnoses of it found since we last restarted it (or why
    /// nothing), for a restart before its OOM to refer to.
    captured: mitigate::Captured,
    /// `--restart-before-oom`: what its current process showed so far.
    run: mitigate::Run,
}

/// What a finished watch found.
#[derive(Debug)]
pub struct Summary {
    /// The final verdict of every judged series, with the time of its first sample.
    pub verdicts: Vec<(Verdict, f64)>,
    /// True when a leak alert fired during the watch.
    pub leak_alerted: bool,
    /// Samples that failed.
    pub errors: u64,
    /// Alert batches that could not be delivered (they are in the store).
    pub undelivered: u64,
    /// True when everything sampled reached the database.
    pub stored: bool,
}

/// The sampling engine.
pub struct Engine {
    opts: EngineOptions,
    interval: Duration,
    rules: AlertRules,
    limit: Option<f64>,
    slots: Vec<Slot>,
    log: SampleLog,
    log_failed_said: bool,
    writer: Writer,
    delivery: Delivery,
    receivers: Vec<ReceiverSpec>,
    /// The link on alerts that have none of their own (this watcher's /metrics).
    generator_url: String,
    /// Alerts firing now, by target, series and rule: handed to receivers started by a
    /// reload, so Alertmanager keeps hearing of them.
    firing: BTreeMap<(String, String, String), Alert>,
    min_span: Option<Duration>,
    metrics: Arc<Metrics>,
    server: Option<metrics::Server>,
    results_tx: Sender<Done>,
    results: Receiver<Done>,
    rounds: u64,
    errors: u64,
    leak_alerted: bool,
    store_failures_seen: u64,
    store_failing: bool,
    behind_said: bool,
    discoveries: Vec<Box<dyn Discovery>>,
    diagnoser: Option<Diagnoser>,
}

impl Engine {
    /// Start the store writer, the receivers and (with `listen`) the /metrics server, and
    /// open every target of `settings`; any target that cannot be opened is an error now.
    pub fn start(
        settings: &Settings,
        store: Store,
        log: SampleLog,
        opts: EngineOptions,
    ) -> Result<Engine, EngineError> {
        mitigate::check(settings).map_err(EngineError::RestartBeforeOom)?;
        let diagnoser = match &settings.diagnose {
            Some(d) => {
                Some(Diagnoser::start(d.clone(), store.path()).map_err(EngineError::Evidence)?)
            }
            None => None,
        };
        let writer = Writer::start(store);
        let generator_url = settings
            .listen
            .map(|a| format!("http://{a}/metrics"))
            .unwrap_or_default();
        let delivery = start_delivery(&settings.receivers, &opts, &generator_url, &[])?;
        let metrics = Arc::new(Metrics::new());
        metrics.watch_writer(Arc::clone(writer.status()));
        metrics.watch_receivers(delivery.stats());
        let server = match settings.listen {
            Some(addr) => Some(
                metrics::Server::start(addr, Arc::clone(&metrics))
                    .map_err(|source| EngineError::Listen { addr, source })?,
            ),
            None => None,
        };
        let (results_tx, results) = mpsc::channel();
        let mut engine = Engine {
            opts,
            interval: settings.interval,
            rules: settings.rules.clone(),
            limit: settings.limit_bytes,
            slots: Vec::new(),
            log,
            log_failed_said: false,
            writer,
            delivery,
            receivers: settings.receivers.clone(),
            generator_url,
            firing: BTreeMap::new(),
            min_span: settings.min_span,
            metrics,
            server,
            results_tx,
            results,
            rounds: 0,
            errors: 0,
            leak_alerted: false,
            store_failures_seen: 0,
            store_failing: false,
            behind_said: false,
            discoveries: Vec::new(),
            diagnoser,
        };
        for t in &settings.targets {
            let name = t.name();
            let source = t.spec.open().map_err(|source| EngineError::Source {
                name: name.clone(),
                kind: t.spec.kind(),
                source: Box::new(source),
            })?;
            engine.add(t.spec.kind(), &t.spec.describe(), Some(t.clone()), source)?;
        }
        Ok(engine)
    }

    /// The address /metrics is served on, when it is.
    pub fn metrics_addr(&self) -> Option<std::net::SocketAddr> {
        self.server.as_ref().map(metrics::Server::addr)
    }

    /// The interval between rounds.
    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Add an opened source as a target named by `settings` (or `kind:describe`). Targets
    /// sharing a name share one stored target (the first registration's kind and spec).
    pub fn add(
        &mut self,
        kind: &'static str,
        describe: &str,
        settings: Option<TargetSettings>,
        source: Box<dyn Source>,
    ) -> Result<(), EngineError> {
        let name: Arc<str> = Arc::from(
            settings
                .as_ref()
                .map(TargetSettings::name)
                .unwrap_or_else(|| format!("{kind}:{describe}")),
        );
        self.add_named(name, kind, describe, settings, source)
    }

    /// [`Engine::add`] with the name given.
    pub fn add_named(
        &mut self,
        name: Arc<str>,
        kind: &'static str,
        describe: &str,
        settings: Option<TargetSettings>,
        source: Box<dyn Source>,
    ) -> Result<(), EngineError> {
        let labels = settings
            .as_ref()
            .map(|s| s.labels.clone())
            .unwrap_or_default();
        let limit = settings.as_ref().and_then(|s| s.limit_bytes);
        self.add_slot(name, kind, describe, settings, labels, limit, source)
    }

    #[allow(clippy::too_many_arguments)]
    fn add_slot(
        &mut self,
        name: Arc<str>,
        kind: &'static str,
        describe: &str,
        settings: Option<TargetSettings>,
        labels: Labels,
        limit: Option<f64>,
        source: Box<dyn Source>,
    ) -> Result<(), EngineError> {
        self.writer.register(&name, kind, describe);
        let judged = source.judged();
        let mut meta = serde_json::Map::new();
        if !judged.is_empty() {
            // analyze --db judges these too.
            meta.insert(
                fields::META_JUDGED.into(),
                judged
                    .iter()
                    .map(|(f, u)| serde_json::json!({"field": f, "unit": u}))
                    .collect(),
            );
        }
        if !labels.is_empty() {
            meta.insert("labels".into(), labels_json(&labels));
        }
        if !meta.is_empty() {
            self.writer.meta(&name, serde_json::Value::Object(meta));
        }
        self.metrics.label(&name, &labels);
        let rules = settings
            .as_ref()
            .and_then(|s| s.rules.clone())
            .unwrap_or_else(|| self.rules.clone());
        let slot_index = self.slots.len();
        let mut source = source;
        source.rules(&rules);
        let period = source
            .period()
            .filter(|_| source.remote())
            .map(|p| (p, Instant::now()));
        let mut judge = Judge::new(&name, rules);
        judge.set_min_span(self.min_span.map(|d| d.as_secs_f64()));
        let runner = if source.remote() {
            Runner::Remote(
                Worker::spawn(slot_index, &name, source, self.results_tx.clone())
                    .map_err(EngineError::Thread)?,
            )
        } else {
            Runner::Local(source)
        };
        self.slots.push(Slot {
            judge,
            name,
            kind,
            settings,
            runner,
            judged,
            limit,
            labels,
            period,
            active: true,
            errors: 0,
            behind: 0,
            behind_said: false,
            status: None,
            restart_waiting: None,
            captured: mitigate::Captured::Nothing,
            run: mitigate::Run::default(),
        });
        Ok(())
    }

    /// Let `d` add and remove targets, and report their events, while the engine runs.
    pub fn discover(&mut self, d: Box<dyn Discovery>) {
        self.discoveries.push(d);
    }

    /// Stop sampling the target named `name` and forget its /metrics series (its pod is
    /// gone). True when it was sampled.
    pub fn remove(&mut self, name: &str) -> bool {
        match self.slots.iter().position(|s| s.active && *s.name == *name) {
            Some(i) => {
                self.retire(i);
                true
            }
            None => false,
        }
    }

    /// Apply what the discoveries found since the last call.
    fn poll_discoveries(&mut self, obs: &mut dyn Observer) {
        let mut changes = Vec::new();
        for d in &mut self.discoveries {
            changes.extend(d.poll());
        }
        for c in changes {
            match c {
                Change::Add(d) => self.add_discovered(d, obs),
                Change::Remove { name } => {
                    if self.remove(&name) {
                        obs.note(&format!("{name}: gone; no longer sampled"));
                    }
                }
                Change::Event { name, t, event } => {
                    match self.slots.iter().position(|s| s.active && *s.name == *name) {
                        Some(i) => {
                            let out = Outcome {
                                reading: None,
                                events: vec![event],
                            };
                            self.process(i, t, out, obs);
                        }
                        None => {
                            let n: Arc<str> = Arc::from(name.as_str());
                            self.log.event(&n, t, &event, &[]);
                            self.writer.event(&n, t, event.kind(), event.detail());
                            obs.event(&n, t, &event);
                        }
                    }
                    self.log.flush();
                }
                Change::Note(n) => obs.note(&n),
            }
        }
    }

    /// A discovered target: a new slot, or the running slot of that name with a new source
    /// (a restarted container's new cgroup), keeping its series and alert state.
    fn add_discovered(&mut self, d: Discovered, obs: &mut dyn Observer) {
        let existing = self
            .slots
            .iter()
            .position(|s| s.active && *s.name == *d.name && s.settings.is_none());
        match existing {
            Some(i) if !d.source.remote() => {
                let slot = &mut self.slots[i];
                match &mut slot.runner {
                    Runner::Local(old) => old.shutdown(),
                    Runner::Remote(w) => w.stop(),
                }
                slot.runner = Runner::Local(d.source);
                slot.limit = d.limit_bytes;
                if slot.labels != d.labels {
                    slot.labels = d.labels;
                    self.metrics.label(&slot.name, &slot.labels);
                }
                self.writer.register(&slot.name, d.kind, &d.describe);
            }
            _ => {
                if let Some(i) = existing {
                    self.retire(i);
                }
                let name: Arc<str> = Arc::from(d.name.as_str());
                if let Err(e) = self.add_slot(
                    name,
                    d.kind,
                    &d.describe,
                    None,
                    d.labels,
                    d.limit_bytes,
                    d.source,
                ) {
                    obs.note(&format!("{}: {e}", d.name));
                }
            }
        }
    }

    /// Record the start of this invocation in the store.
    pub fn begin_run(&self, t: f64, command: &str) {
        self.writer.begin_run(t, command);
    }

    /// Record the end of this invocation in the store.
    pub fn end_run(&self, t: f64) {
        self.writer.end_run(t);
    }

    /// Log and store an event of target `name` outside the sampling loop (e.g. while `run`
    /// waits for its service to become ready).
    pub fn record_event(
        &mut self,
        name: &Arc<str>,
        kind: &'static str,
        describe: &str,
        t: f64,
        ev: &Event,
    ) {
        self.writer.register(name, kind, describe);
        self.log.event(name, t, ev, &[]);
        self.writer.event(name, t, ev.kind(), ev.detail());
        self.writer.flush();
    }

    /// Apply reloaded settings: targets are matched by name; an unchanged one keeps its
    /// series, verdicts and alert state (only its rules and limit are updated), a changed or
    /// new one is opened, one no longer named is stopped. Returns the problems (targets that
    /// could not be opened), each one sentence.
    pub fn apply(&mut self, settings: &Settings) -> Vec<String> {
        let mut problems = Vec::new();
        if let Err(e) = mitigate::check(settings) {
            problems.push(e);
        }
        self.interval = settings.interval;
        self.rules = settings.rules.clone();
        self.limit = settings.limit_bytes;
        self.min_span = settings.min_span;
        match (&settings.diagnose, self.diagnoser.as_mut()) {
            (_, Some(running)) => running.set_settings(settings.diagnose.clone()),
            (Some(_), None) => problems.push(
                "diagnose was turned on in the config file: restart the watch for it to take effect".into(),
            ),
            (None, None) => {}
        }
        if settings.receivers != self.receivers {
            let firing: Vec<Alert> = self.firing.values().cloned().collect();
            match start_delivery(
                &settings.receivers,
                &self.opts,
                &self.generator_url,
                &firing,
            ) {
                Ok(d) => {
                    let old = std::mem::replace(&mut self.delivery, d);
                    self.metrics.watch_receivers(self.delivery.stats());
                    self.receivers = settings.receivers.clone();
                    let _ = old.close(Duration::from_secs(2));
                }
                Err(e) => problems.push(e.to_string()),
            }
        }
        let wanted: Vec<(String, &TargetSettings)> =
            settings.targets.iter().map(|t| (t.name(), t)).collect();
        for i in 0..self.slots.len() {
            if !self.slots[i].active {
                continue;
            }
            let keep = wanted.iter().find(|(n, _)| **n == *self.slots[i].name);
            match keep {
                Some((_, t))
                    if self.slots[i].settings.as_ref().map(|s| &s.spec) == Some(&t.spec) =>
                {
                    let rules = t.rules.clone().unwrap_or_else(|| self.rules.clone());
                    let slot = &mut self.slots[i];
                    slot.judge.set_rules(rules);
                    slot.limit = t.limit_bytes;
                    slot.settings = Some((*t).clone());
                }
                Some(_) | None if self.slots[i].settings.is_some() => self.retire(i),
                _ => {}
            }
        }
        for (name, t) in wanted {
            let running = self.slots.iter().any(|s| {
                s.active
                    && *s.name == *name
                    && s.settings.as_ref().map(|x| &x.spec) == Some(&t.spec)
            });
            if running {
                continue;
            }
            match t.spec.open() {
                Ok(src) => {
                    if let Err(e) =
                        self.add(t.spec.kind(), &t.spec.describe(), Some(t.clone()), src)
                    {
                        problems.push(e.to_string());
                    }
                }
                Err(e) => problems.push(format!("{name}: {e}")),
            }
        }
        problems
    }

    /// Stop sampling target `i` (removed from the config).
    fn retire(&mut self, i: usize) {
        // No receiver keeps paging for a target no longer watched.
        let t = crate::now();
        let resolved = self.slots[i].judge.clear(t);
        self.fire(i, t, resolved);
        let slot = &mut self.slots[i];
        slot.active = false;
        match &mut slot.runner {
            Runner::Local(src) => src.shutdown(),
            Runner::Remote(w) => w.stop(),
        }
        self.metrics.forget(&slot.name);
        tracing::info!(target_name = %slot.name, "target removed");
    }

    /// Sample until the observer stops it, the limits are reached, or every target is gone.
    pub fn run(&mut self, obs: &mut dyn Observer) {
        let started = Instant::now();
        let mut next = Instant::now();
        loop {
            if self.wait_until(next, obs) {
                break;
            }
            if let Some(s) = obs.reload() {
                for p in self.apply(&s) {
                    obs.note(&p);
                }
            }
            let round_started = Instant::now();
            self.round(obs);
            tracing::debug!(
                round = self.rounds,
                took_us = round_started.elapsed().as_micros() as u64,
                "round"
            );
            if !obs.round(self.rounds) {
                break;
            }
            if self.discoveries.is_empty() && self.slots.iter().all(|s| !s.active) {
                obs.note("every target is gone; stopping");
                break;
            }
            if self.opts.count.is_some_and(|c| self.rounds >= c)
                || self.opts.duration.is_some_and(|d| started.elapsed() >= d)
            {
                break;
            }
            next += self.interval;
            let now = Instant::now();
            if next < now {
                // Local sampling took longer than the interval: say so once, then skip
                // missed rounds.
                if !self.behind_said {
                    obs.note(&format!(
                        "sampling fell behind by {:.1}s; samples will be further apart than the interval",
                        (now - next).as_secs_f64()
                    ));
                    self.behind_said = true;
                }
                next = now;
            }
        }
    }

    /// Take remote results until `deadline`; true when the observer asks to stop.
    fn wait_until(&mut self, deadline: Instant, obs: &mut dyn Observer) -> bool {
        loop {
            if obs.should_stop() {
                return true;
            }
            self.poll_discoveries(obs);
            self.tick_scheduled(obs);
            let now = Instant::now();
            if now >= deadline {
                return false;
            }
            self.take_diagnoses(obs);
            let wait = (deadline - now).min(Duration::from_millis(100));
            match self.results.recv_timeout(wait) {
                Ok(done) => self.take_done(done, obs),
                Err(RecvTimeoutError::Timeout) => {}
                Err(RecvTimeoutError::Disconnected) => std::thread::sleep(wait),
            }
        }
    }

    fn take_done(&mut self, done: Done, obs: &mut dyn Observer) {
        let i = done.slot;
        if let Some(Runner::Remote(w)) = self.slots.get_mut(i).map(|s| &mut s.runner) {
            w.busy_since = None;
        }
        if !self.slots[i].active {
            return;
        }
        tracing::debug!(target_name = %self.slots[i].name, took_ms = done.took.as_millis() as u64, "remote sample back");
        self.process(i, done.t, done.outcome, obs);
        if let Some(list) = done.judged {
            self.judge_given(i, list);
        }
        self.update_status(i, done.status, obs);
        if done.finished {
            self.slots[i].active = false;
        }
        if self.slots[i].behind_said {
            self.slots[i].behind_said = false;
            obs.note(&format!("{}: sampling caught up", self.slots[i].name));
        }
    }

    /// One round: sample local targets now, tick idle remote ones, flush.
    fn round(&mut self, obs: &mut dyn Observer) {
        let t = crate::now();
        for i in 0..self.slots.len() {
            if !self.slots[i].active {
                continue;
            }
            let scheduled = self.slots[i].period.is_some();
            match &mut self.slots[i].runner {
                Runner::Local(src) => {
                    let started = Instant::now();
                    let outcome = src.sample();
                    let (finished, status) = (src.finished(), src.status());
                    let given = src.take_judged();
                    tracing::trace!(target_name = %self.slots[i].name, took_us = started.elapsed().as_micros() as u64, "sampled");
                    self.process(i, t, outcome, obs);
                    if let Some(list) = given {
                        self.judge_given(i, list);
                    }
                    self.update_status(i, status, obs);
                    if finished {
                        self.slots[i].active = false;
                    }
                }
                // Ticked on its own schedule (tick_scheduled).
                Runner::Remote(_) if scheduled => {}
                Runner::Remote(w) => match w.busy_since {
                    None => {
                        if !w.tick(t) {
                            self.slots[i].active = false;
                        }
                    }
                    Some(since) => {
                        let running = since.elapsed();
                        let slot = &mut self.slots[i];
                        slot.behind += 1;
                        self.metrics.behind(&slot.name);
                        if !slot.behind_said {
                            slot.behind_said = true;
                            obs.note(&format!(
                                "{}: sampling fell behind (its last sample has been running for {:.1}s); its rounds are skipped until it answers, the other targets go on",
                                slot.name,
                                running.as_secs_f64()
                            ));
                        }
                    }
                },
            }
        }
        let log_ok = self.log.flush() && !self.log.failed();
        if !log_ok && !self.log_failed_said {
            obs.note("the sample log cannot be written any more; samples still go to the store");
            self.log_failed_said = true;
        }
        self.writer.flush();
        self.rounds += 1;
        self.check_store(obs);
        self.check_delivery(obs);
    }

    /// Tick the remote targets with a schedule of their own that are due; one still busy
    /// then is behind (counted and said, like a round skipped).
    fn tick_scheduled(&mut self, obs: &mut dyn Observer) {
        let now = Instant::now();
        for i in 0..self.slots.len() {
            let slot = &mut self.slots[i];
            let Some((period, due)) = slot.period else {
                continue;
            };
            if !slot.active || now < due {
                continue;
            }
            // The next due time keeps the cadence; after a long stall it starts from now.
            let next = if due + period > now {
                due + period
            } else {
                now + period
            };
            slot.period = Some((period, next));
            let Runner::Remote(w) = &mut slot.runner else {
                continue;
            };
            match w.busy_since {
                None => {
                    if !w.tick(crate::now()) {
                        slot.active = false;
                    }
                }
                Some(since) => {
                    slot.behind += 1;
                    self.metrics.behind(&slot.name);
                    if !slot.behind_said {
                        slot.behind_said = true;
                        obs.note(&format!(
                            "{}: the judgement due now is skipped: the last one has been running for {:.1}s (longer than its period); the other targets go on",
                            slot.name,
                            since.elapsed().as_secs_f64()
                        ));
                    }
                }
            }
        }
    }

    /// Series target `i`'s source judged itself: each through its alert rules, onto
    /// /metrics with its labels; those it no longer lists are gone (alerts resolved, metrics
    /// dropped).
    fn judge_given(&mut self, i: usize, list: Vec<JudgedSeries>) {
        if !self.opts.judge {
            return;
        }
        let name = Arc::clone(&self.slots[i].name);
        let limit = self.limit.or(self.slots[i].limit);
        let present: HashSet<String> = list.iter().map(|s| s.name.clone()).collect();
        let mut fired = Vec::new();
        for js in list {
            let (alerts, s) = self.slots[i].judge.given(js, limit);
            self.metrics.series_labels(&name, &s.field, &s.labels);
            self.metrics
                .series(&name, &s.field, s.last_value, &s.verdict());
            fired.extend(alerts);
        }
        let t = crate::now();
        let (resolved, dropped) = self.slots[i].judge.gone(t, &present);
        for field in dropped {
            self.metrics.forget_series(&name, &field);
        }
        fired.extend(resolved);
        self.fire(i, t, fired);
    }

    fn update_status(&mut self, i: usize, status: Option<String>, obs: &mut dyn Observer) {
        let slot = &mut self.slots[i];
        if status != slot.status {
            if let Some(s) = &status {
                obs.note(&format!("{}: {s}", slot.name));
            }
            slot.status = status;
        }
    }

    /// Log and store event `ev` of target `i`; the alerts it raises, not fired yet.
    fn record(&mut self, i: usize, t: f64, ev: &Event, obs: &mut dyn Observer) -> Vec<Alert> {
        let name = &self.slots[i].name;
        self.log.event(name, t, ev, &self.slots[i].labels);
        self.writer.event(name, t, ev.kind(), ev.detail());
        obs.event(name, t, ev);
        if self.opts.judge {
            self.slots[i].judge.event(t, ev.to_alert_event())
        } else {
            Vec::new()
        }
    }

    /// Log, store, judge one outcome of target `i`.
    fn process(&mut self, i: usize, t: f64, out: Outcome, obs: &mut dyn Observer) {
        let name = Arc::clone(&self.slots[i].name);
        for ev in &out.events {
            let fired = self.record(i, t, ev, obs);
            self.fire(i, t, fired);
        }
        match out.reading {
            Some(Ok(fields_now)) => {
                let kind = self.slots[i].kind;
                self.log
                    .sample(&name, kind, t, &fields_now, &self.slots[i].labels);
                self.writer.sample(&name, t, &fields_now);
                self.metrics.sampled(&name, t);
                obs.sample(&name, t, &fields_now);
                if self.opts.judge {
                    let slot = &mut self.slots[i];
                    let limit = self.limit.or(slot.limit).or_else(|| limit_of(&fields_now));
                    let fired = slot.judge.sample(t, &fields_now, &slot.judged, limit);
                    for s in &slot.judge.series {
                        if fields_now.iter().any(|(f, _)| *f == s.field) {
                            self.metrics
                                .series(&name, &s.field, s.last_value, &s.verdict());
                        }
                    }
                    self.fire(i, t, fired);
                    self.restart_if_due(i, t, limit, obs);
                }
            }
            Some(Err(e)) => {
                let slot = &mut self.slots[i];
                slot.errors += 1;
                self.errors += 1;
                self.writer.event(
                    &name,
                    t,
                    "error",
                    serde_json::json!({ "message": e.to_string() }),
                );
                self.metrics.sample_error(&name);
                obs.failure(&name, &e, slot.errors);
            }
            None => {}
        }
    }

    /// Store alert transitions of target `i` as events (with its labels), then queue them for
    /// delivery.
    fn fire(&mut self, i: usize, t: f64, mut fired: Vec<Alert>) {
        if fired.is_empty() {
            return;
        }
        let name = &self.slots[i].name;
        if !self.slots[i].labels.is_empty() {
            // The target's labels (a pod's), under a series' own (a Prometheus series').
            let labels: std::collections::BTreeMap<String, String> =
                self.slots[i].labels.iter().cloned().collect();
            for a in &mut fired {
                let own = std::mem::replace(&mut a.labels, labels.clone());
                a.labels.extend(own);
            }
        }
        self.leak_alerted |= judge::is_leak_alert(&fired);
        for a in &fired {
            let key = (a.target.clone(), a.series.clone(), a.name.clone());
            match a.status {
                AlertStatus::Firing => {
                    self.firing.insert(key, a.clone());
                }
                AlertStatus::Resolved => {
                    self.firing.remove(&key);
                }
            }
            let detail = serde_json::to_value(a).unwrap_or_default();
            self.writer.event(name, t, "alert", detail);
        }
        self.delivery.send(&fired);
        if self.diagnoser.is_some() {
            let name = Arc::clone(name);
            self.ask_diagnosis(&name, &fired);
        }
    }

    /// Say when the store starts failing (first and every 10th failure) and when it recovers.
    fn check_store(&mut self, obs: &mut dyn Observer) {
        use std::sync::atomic::Ordering;
        let st = self.writer.status();
        let failures = st.failures.load(Ordering::Relaxed);
        let last = st.last_error.lock().ok().and_then(|l| l.clone());
        let held = st.held.load(Ordering::Relaxed);
        if failures > self.store_failures_seen {
            let first = self.store_failures_seen == 0 || !self.store_failing;
            self.store_failures_seen = failures;
            self.store_failing = true;
            if first || failures % 10 == 0 {
                obs.note(&format!(
                    "the database cannot be written ({failures} failures so far): {}; sampling and alerting go on, {held} rows are held and will be written when it is writable again",
                    last.unwrap_or_default()
                ));
            }
        } else if self.store_failing && last.is_none() {
            self.store_failing = false;
            let dropped = st.dropped.load(Ordering::Relaxed);
            obs.note(&format!(
                "the database is writable again; the held rows were written{}",
                if dropped > 0 {
                    format!(" ({dropped} of the oldest were dropped while it was not)")
                } else {
                    String::new()
                }
            ));
        }
    }

    fn check_delivery(&mut self, obs: &mut dyn Observer) {
        for r in self.delivery.take_reports() {
            match r {
                Report::Retrying {
                    receiver,
                    error,
                    attempt,
                    retry_in,
                } => obs.note(&format!(
                    "cannot send the alert to {receiver} (attempt {attempt}; retrying in {:.1}s): {error}",
                    retry_in.as_secs_f64()
                )),
                Report::Delivered { receiver, attempts } => obs.note(&format!(
                    "the alert reached {receiver} after {attempts} attempts"
                )),
                Report::GaveUp {
                    receiver,
                    error,
                    alerts,
                } if alerts.is_empty() => obs.note(&format!(
                    "gave up re-sending the firing alerts to {receiver} for now: {error} (trying again later)"
                )),
                Report::GaveUp {
                    receiver,
                    error,
                    alerts,
                } => {
                    obs.note(&format!(
                        "gave up sending {} alert(s) to {receiver}: {error} (they are in the store as events)",
                        alerts.len()
                    ));
                    let t = crate::now();
                    for a in alerts {
                        let name: Arc<str> = Arc::from(a.target.as_str());
                        self.writer.event(
                            &name,
                            t,
                            "alert_undelivered",
                            serde_json::json!({ "receiver": receiver, "error": error, "alert": a }),
                        );
                    }
                }
            }
        }
    }

    /// Stop: take what remote targets are still sampling (up to `wait`), stop every source
    /// (supervised commands included), write the store, deliver queued alerts, and return
    /// the verdicts.
    pub fn finish(mut self, obs: &mut dyn Observer, wait: Duration) -> Summary {
        let deadline = Instant::now() + wait;
        while self
            .slots
            .iter()
            .any(|s| matches!(&s.runner, Runner::Remote(w) if w.busy_since.is_some()) && s.active)
            && Instant::now() < deadline
        {
            if let Ok(done) = self.results.recv_timeout(Duration::from_millis(50)) {
                self.take_done(done, obs);
            }
        }
        // Remote sources first (an inspector is closed while its service still runs), then
        // local ones (a supervised command is stopped with everything it started).
        let join_deadline = Instant::now() + Duration::from_secs(10);
        for s in &mut self.slots {
            if let Runner::Remote(w) = &mut s.runner {
                w.stop();
            }
        }
        for s in &mut self.slots {
            if let Runner::Remote(w) = &mut s.runner {
                w.join(join_deadline);
            }
        }
        for s in &mut self.slots {
            if let Runner::Local(src) = &mut s.runner {
                src.shutdown();
            }
        }
        for d in &mut self.discoveries {
            d.shutdown();
        }
        if let Some(mut d) = self.diagnoser.take() {
            if d.busy() {
                obs.note(
                    "stopping the diagnosis under way (an inspector it opened is closed first)",
                );
            }
            for f in d.stop(leakscope_probe::inspector::CLOSE_WAIT + Duration::from_secs(10)) {
                self.diagnosed(f, obs);
            }
        }
        self.log.flush();
        self.writer.flush();
        self.check_delivery(obs);
        let undelivered = self.delivery.close(Duration::from_secs(5));
        if undelivered > 0 {
            obs.note(&format!(
                "{undelivered} alert batch(es) were not delivered before exit (they are in the store as events)"
            ));
        }
        let stored = self.writer.close(Duration::from_secs(15));
        if !stored {
            obs.note("some samples could not be written to the database before exit");
        }
        let verdicts = self
            .slots
            .iter()
            .flat_map(|s| s.judge.series.iter().map(|x| (x.verdict(), x.first_t)))
            .collect();
        Summary {
            verdicts,
            leak_alerted: self.leak_alerted,
            errors: self.errors,
            undelivered,
            stored,
        }
    }
}

/// The receivers: stderr (when asked) and every configured one; `generator_url` links
/// Alertmanager alerts that carry no link of their own; Alertmanagers start knowing the
/// alerts `firing` (after a reload), which they must keep hearing of.
fn start_delivery(
    receivers: &[ReceiverSpec],
    opts: &EngineOptions,
    generator_url: &str,
    firing: &[Alert],
) -> Result<Delivery, EngineError> {
    let mut list: Vec<Box<dyn deliver::Receiver>> = Vec::new();
    if opts.stderr_alerts {
        list.push(Box::new(deliver::stderr::Stderr));
    }
    for r in receivers {
        match r {
            ReceiverSpec::Webhook { url, http } => {
                let w = deliver::webhook::Webhook::new(url, http).map_err(|source| {
                    EngineError::Receiver {
                        url: leakscope_probe::http::shown_url(url),
                        source,
                    }
                })?;
                tracing::info!(receiver = %w.name(), "alerts go to the webhook");
                list.push(Box::new(w));
            }
            ReceiverSpec::Alertmanager { url, http, resend } => {
                let mut a =
                    deliver::alertmanager::Alertmanager::new(url, http, *resend, generator_url)
                        .map_err(|source| EngineError::Receiver {
                            url: leakscope_probe::http::shown_url(url),
                            source,
                        })?;
                a.resume(firing);
                tracing::info!(receiver = %a.name(), "alerts go to Alertmanager");
                list.push(Box::new(a));
            }
        }
    }
    Ok(Delivery::start(list, opts.retry))
}

/// Labels as a JSON object.
pub fn labels_json(labels: &[(String, String)]) -> serde_json::Value {
    serde_json::Value::Object(
        labels
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect(),
    )
}

/// The memory limit a reading carries (a cgroup's), bytes.
fn limit_of(fields_now: &Fields) -> Option<f64> {
    fields_now
        .iter()
        .find(|(k, _)| k == fields::LIMIT_FIELD)
        .map(|(_, v)| *v)
        .filter(|v| *v > 0.0)
}
