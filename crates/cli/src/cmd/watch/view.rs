//! What `watch` says on stderr while the engine runs, when to stop, and reloading the config
//! on SIGHUP.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use leakscope_agent::event::Event;
use leakscope_agent::source::Fields;
use leakscope_agent::{Observer, Settings};
use leakscope_probe::error::ProbeError;

use super::WatchArgs;

/// The watch's stderr and its signals.
pub struct WatchView<'a> {
    quiet: bool,
    stop: Arc<AtomicBool>,
    hup: Arc<AtomicBool>,
    args: &'a WatchArgs,
    errors_said: HashMap<String, u64>,
}

impl<'a> WatchView<'a> {
    /// Say things unless `quiet`; stop when `stop` is set; reload when `hup` is.
    pub fn new(
        quiet: bool,
        stop: Arc<AtomicBool>,
        hup: Arc<AtomicBool>,
        args: &'a WatchArgs,
    ) -> Self {
        WatchView {
            quiet,
            stop,
            hup,
            args,
            errors_said: HashMap::new(),
        }
    }
}

impl Observer for WatchView<'_> {
    fn sample(&mut self, _target: &str, _t: f64, _fields: &Fields) {}

    fn event(&mut self, target: &str, _t: f64, ev: &Event) {
        if self.quiet {
            return;
        }
        let detail = ev.detail();
        let what = detail
            .get("description")
            .and_then(serde_json::Value::as_str)
            .map(str::to_string)
            .unwrap_or_else(|| detail.to_string());
        eprintln!("leakscope: {target}: {}: {what}", ev.kind());
    }

    fn failure(&mut self, target: &str, err: &ProbeError, count: u64) {
        let said = self.errors_said.entry(target.to_string()).or_default();
        *said = count;
        // The first failure and every 10th, so a failing target does not flood stderr.
        if !self.quiet && (count == 1 || count % 10 == 0) {
            eprintln!("leakscope: {target}: sample failed ({count} so far): {err}");
        }
    }

    fn note(&mut self, text: &str) {
        tracing::info!("{text}");
        if !self.quiet {
            eprintln!("leakscope: {text}");
        }
    }

    fn should_stop(&mut self) -> bool {
        self.stop.load(Ordering::Relaxed)
    }

    fn reload(&mut self) -> Option<Settings> {
        if !self.hup.swap(false, Ordering::Relaxed) {
            return None;
        }
        let Some(path) = &self.args.config else {
            self.note("SIGHUP: no --config to reload; going on as before");
            return None;
        };
        match super::settings(self.args) {
            Ok(s) => {
                // Not quiet-able: the operator asked for it.
                eprintln!("leakscope: reloaded {}", path.display());
                Some(s)
            }
            Err(e) => {
                eprintln!(
                    "leakscope: not reloaded, going on with the previous config: {}",
                    crate::out::sentence(&e)
                );
                None
            }
        }
    }
}
