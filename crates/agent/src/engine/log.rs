//! The sample log: one JSON line per sample and per event (stdout or a file), flushed once
//! per round. A log that cannot be written any more (a closed pipe, a full disk) is dropped
//! while watching and storing go on.

use std::fs::OpenOptions;
use std::io::{BufWriter, Write};
use std::path::Path;

use serde_json::{json, Map, Value};

use crate::event::Event;

/// The JSON-line log of samples and events.
pub struct SampleLog {
    out: Option<Box<dyn Write + Send>>,
    failed: bool,
}

impl SampleLog {
    /// Log to stdout.
    pub fn stdout() -> SampleLog {
        SampleLog {
            out: Some(Box::new(std::io::stdout())),
            failed: false,
        }
    }

    /// Append to the file at `path` (created 0600 if needed).
    pub fn file(path: &Path) -> std::io::Result<SampleLog> {
        use std::os::unix::fs::OpenOptionsExt;
        let f = OpenOptions::new()
            .create(true)
            .append(true)
            .mode(0o600)
            .open(path)?;
        Ok(SampleLog {
            out: Some(Box::new(BufWriter::new(f))),
            failed: false,
        })
    }

    /// The log the settings ask for: the file at `path`, or stdout without one; an error
    /// names the file.
    pub fn open(path: Option<&Path>) -> std::io::Result<SampleLog> {
        match path {
            Some(p) => SampleLog::file(p).map_err(|e| {
                std::io::Error::new(
                    e.kind(),
                    format!("cannot open the log file {}: {e}", p.display()),
                )
            }),
            None => Ok(SampleLog::stdout()),
        }
    }

    /// No log at all.
    pub fn none() -> SampleLog {
        SampleLog {
            out: None,
            failed: false,
        }
    }

    /// Log one sample: `{"target", "kind", "timestamp", "labels": {...}, <field>: <value>...}`
    /// (`labels` only for targets that have them: a pod's namespace, pod and container).
    pub fn sample(
        &mut self,
        target: &str,
        kind: &str,
        ts: f64,
        fields: &[(String, f64)],
        labels: &[(String, String)],
    ) {
        if self.out.is_none() {
            return;
        }
        let mut line = Map::new();
        line.insert("target".into(), json!(target));
        line.insert("kind".into(), json!(kind));
        if !labels.is_empty() {
            line.insert("labels".into(), super::labels_json(labels));
        }
        line.insert("timestamp".into(), json!(round_ms(ts)));
        for (k, v) in fields {
            line.insert(k.clone(), leakscope_core::units::json_number(*v));
        }
        self.write(&Value::Object(line));
    }

    /// Log an event: `{"target", "timestamp", "labels": {...}, "event": <kind>, <details>...}`.
    pub fn event(&mut self, target: &str, ts: f64, ev: &Event, labels: &[(String, String)]) {
        if self.out.is_none() {
            return;
        }
        let mut line = Map::new();
        line.insert("target".into(), json!(target));
        if !labels.is_empty() {
            line.insert("labels".into(), super::labels_json(labels));
        }
        line.insert("timestamp".into(), json!(round_ms(ts)));
        line.insert("event".into(), json!(ev.kind()));
        if let Value::Object(m) = ev.detail() {
            line.extend(m);
        }
        self.write(&Value::Object(line));
    }

    /// Push what was written this round out. Returns false once, when the log just failed.
    pub fn flush(&mut self) -> bool {
        if let Some(out) = self.out.as_mut() {
            if out.flush().is_err() {
                self.out = None;
                self.failed = true;
                return false;
            }
        }
        true
    }

    /// True once writing failed and the log was dropped.
    pub fn failed(&self) -> bool {
        self.failed
    }

    fn write(&mut self, v: &Value) {
        let Some(out) = self.out.as_mut() else { return };
        let ok = serde_json::to_writer(&mut *out, v).is_ok() && out.write_all(b"\n").is_ok();
        if !ok {
            self.out = None;
            self.failed = true;
        }
    }
}

fn round_ms(t: f64) -> f64 {
    (t * 1000.0).round() / 1000.0
}
