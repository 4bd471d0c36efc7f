//! Where samples go: one JSON line each to the log (stdout or `--log FILE`) and a row per
//! field in the store, flushed once per interval so a killed watcher loses at most one.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context;
use leakscope_probe::error::ProbeError;
use leakscope_store::{Store, TargetId};
use serde_json::{json, Map, Value};

use super::target::{Event, Target};

/// The sample log and the store.
pub struct Sink {
    store: Store,
    log: Option<Box<dyn Write>>,
    quiet: bool,
    /// Errors printed per target name, to keep a failing target from flooding stderr.
    errors_said: std::collections::HashMap<String, u64>,
}

impl Sink {
    /// Open the store at `db` (created and migrated if needed) and the log.
    pub fn open(db: &Path, log: Option<&Path>, quiet: bool) -> anyhow::Result<Self> {
        let store = crate::cli::open_store(db, quiet)?;
        let log: Box<dyn Write> = match log {
            Some(p) => Box::new(BufWriter::new(
                OpenOptions::new()
                    .create(true)
                    .append(true)
                    .open(p)
                    .with_context(|| format!("cannot open the log file {}", p.display()))?,
            )),
            None => Box::new(std::io::stdout()),
        };
        Ok(Self {
            store,
            log: Some(log),
            quiet,
            errors_said: Default::default(),
        })
    }

    /// Record the target in the store; returns its id.
    pub fn register(&mut self, t: &Target) -> anyhow::Result<TargetId> {
        Ok(self.store.target(&t.name, t.kind, &t.spec)?)
    }

    /// Log and store one sample.
    pub fn sample(&mut self, t: &Target, ts: f64, fields: &[(String, f64)]) -> anyhow::Result<()> {
        let mut line = Map::new();
        line.insert("target".into(), json!(t.name));
        line.insert("kind".into(), json!(t.kind));
        line.insert("timestamp".into(), json!(round_ms(ts)));
        for (k, v) in fields {
            line.insert(k.clone(), leakscope_core::units::json_number(*v));
        }
        self.write_log(&Value::Object(line));
        if let Some(id) = t.store_id {
            let refs: Vec<(&str, f64)> = fields.iter().map(|(k, v)| (k.as_str(), *v)).collect();
            self.store.append(id, ts, &refs)?;
        }
        Ok(())
    }

    /// Log and store an event (exit, restart, OOM kill), and say it on stderr.
    pub fn event(&mut self, t: &Target, ts: f64, ev: &Event) -> anyhow::Result<()> {
        let detail = ev.detail();
        let mut line = Map::new();
        line.insert("target".into(), json!(t.name));
        line.insert("timestamp".into(), json!(round_ms(ts)));
        line.insert("event".into(), json!(ev.kind()));
        if let Value::Object(m) = &detail {
            line.extend(m.clone());
        }
        self.write_log(&Value::Object(line));
        if !self.quiet {
            let what = detail
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_string)
                .unwrap_or_else(|| detail.to_string());
            eprintln!("leakscope: {}: {}: {what}", t.name, ev.kind());
        }
        if let Some(id) = t.store_id {
            self.store.event(id, ts, ev.kind(), &detail)?;
        }
        Ok(())
    }

    /// A failed sample: stored as an event and said on stderr (the first and every 10th time).
    pub fn error(&mut self, t: &Target, ts: f64, e: &ProbeError) -> anyhow::Result<()> {
        let n = self.errors_said.entry(t.name.clone()).or_default();
        *n += 1;
        if !self.quiet && (*n == 1 || *n % 10 == 0) {
            eprintln!("leakscope: {}: sample failed ({} so far): {e}", t.name, n);
        }
        if let Some(id) = t.store_id {
            self.store
                .event(id, ts, "error", &json!({ "message": e.to_string() }))?;
        }
        Ok(())
    }

    /// Commit what this round wrote.
    pub fn flush(&mut self) -> anyhow::Result<()> {
        if let Some(log) = self.log.as_mut() {
            if log.flush().is_err() {
                self.log_failed();
            }
        }
        self.store.flush()?;
        Ok(())
    }

    fn write_log(&mut self, v: &Value) {
        let Some(log) = self.log.as_mut() else { return };
        let ok = serde_json::to_writer(&mut *log, v).is_ok() && log.write_all(b"\n").is_ok();
        if !ok {
            self.log_failed();
        }
    }

    /// The log cannot be written (a closed pipe, a full disk): keep watching and storing.
    fn log_failed(&mut self) {
        self.log = None;
        if !self.quiet {
            eprintln!("leakscope: the sample log cannot be written any more; samples still go to the store");
        }
    }
}

fn round_ms(t: f64) -> f64 {
    (t * 1000.0).round() / 1000.0
}
