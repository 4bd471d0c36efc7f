//! The watcher's own `/metrics`: verdicts and values of every judged series, sampling health
//! and the watcher's own process, in the Prometheus (OpenMetrics) text format, written with
//! `prometheus-client`; `/healthz` says the watcher is alive. Served by a small blocking
//! server on its own thread (tiny_http), on 127.0.0.1 unless told otherwise.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use prometheus_client::encoding::text::encode;
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::{Registry, Unit};

use leakscope_core::{Verdict, VerdictKind};

use crate::deliver::ReceiverStats;
use crate::engine::writer::WriterStatus;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct SeriesLabels {
    target: String,
    series: String,
    #[prometheus(flatten)]
    labels: Vec<(String, String)>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct VerdictLabels {
    target: String,
    series: String,
    pattern: String,
    #[prometheus(flatten)]
    labels: Vec<(String, String)>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct TargetLabels {
    target: String,
    #[prometheus(flatten)]
    labels: Vec<(String, String)>,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ReceiverLabels {
    receiver: String,
}

type FGauge = Gauge<f64, AtomicU64>;

/// Everything `/metrics` shows; the engine updates it as samples are judged.
pub struct Metrics {
    registry: Registry,
    value: Family<SeriesLabels, FGauge>,
    growth: Family<SeriesLabels, FGauge>,
    verdict: Family<VerdictLabels, Gauge>,
    confidence: Family<SeriesLabels, FGauge>,
    time_to_limit: Family<SeriesLabels, FGauge>,
    samples: Family<TargetLabels, Counter>,
    errors: Family<TargetLabels, Counter>,
    behind: Family<TargetLabels, Counter>,
    age: Family<TargetLabels, FGauge>,
    store_failures: Counter,
    store_dropped: Counter,
    store_held: Gauge,
    delivery_failed: Family<ReceiverLabels, Counter>,
    delivery_given_up: Family<ReceiverLabels, Counter>,
    rss: Gauge,
    cpu: Counter<f64, AtomicU64>,
    fds: Gauge,
    threads: Gauge,
    start_time: FGauge,
    /// Mutable state read at scrape time.
    live: Mutex<Live>,
}

#[derive(Default)]
struct Live {
    /// Last sample time per target, unix seconds.
    last_sample: HashMap<String, f64>,
    /// The pattern currently exported per series (to drop the old label set on change).
    patterns: HashMap<(String, String), String>,
    writer: Option<Arc<WriterStatus>>,
    receivers: Vec<(String, Arc<ReceiverStats>)>,
    /// A target's own labels (a pod's namespace, pod and container), on each of its series.
    labels: HashMap<String, Vec<(String, String)>>,
    /// A series' own labels (a Prometheus series' namespace, pod, container), by target and
    /// series.
    series_labels: HashMap<(String, String), Vec<(String, String)>>,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    /// The metric families, all prefixed `leakscope_`.
    pub fn new() -> Metrics {
        let mut r = Registry::with_prefix("leakscope");
        let m = Metrics {
            value: Family::default(),
            growth: Family::default(),
            verdict: Family::default(),
            confidence: Family::default(),
            time_to_limit: Family::default(),
            samples: Family::default(),
            errors: Family::default(),
            behind: Family::default(),
            age: Family::default(),
            store_failures: Counter::default(),
            store_dropped: Counter::default(),
            store_held: Gauge::default(),
            delivery_failed: Family::default(),
            delivery_given_up: Family::default(),
            rss: Gauge::default(),
            cpu: Counter::default(),
            fds: Gauge::default(),
            threads: Gauge::default(),
            start_time: Gauge::default(),
            live: Mutex::new(Live::default()),
            registry: Registry::default(),
        };
        r.register(
            "last_value",
            "The newest sample of a judged series (bytes for memory series, else a count)",
            m.value.clone(),
        );
        r.register(
            "floor_growth_bytes_per_hour",
            "Growth of the series' floor (its trend after GC and daily troughs), bytes per hour",
            m.growth.clone(),
        );
        r.register(
            "verdict",
            "1 when the series is recognized as a leak, else 0; pattern names the shape seen",
            m.verdict.clone(),
        );
        r.register(
            "confidence",
            "Confidence of the verdict, 0 to 1",
            m.confidence.clone(),
        );
        r.register_with_unit(
            "time_to_limit",
            "Time until the series reaches its memory limit at the current growth",
            Unit::Seconds,
            m.time_to_limit.clone(),
        );
        r.register("samples", "Samples taken of a target", m.samples.clone());
        r.register(
            "sample_errors",
            "Samples of a target that failed",
            m.errors.clone(),
        );
        r.register(
            "sampling_behind",
            "Rounds a target was skipped because its previous sample had not finished",
            m.behind.clone(),
        );
        r.register_with_unit(
            "last_sample_age",
            "Time since the newest sample of a target",
            Unit::Seconds,
            m.age.clone(),
        );
        r.register(
            "store_write_failures",
            "Database writes that failed (rows are held and written later)",
            m.store_failures.clone(),
        );
        r.register(
            "store_rows_dropped",
            "Rows dropped because the held rows reached their bound while writes failed",
            m.store_dropped.clone(),
        );
        r.register(
            "store_rows_held",
            "Rows waiting to be written to the database",
            m.store_held.clone(),
        );
        r.register(
            "alert_delivery_failures",
            "Alert delivery attempts that failed (each retry counts)",
            m.delivery_failed.clone(),
        );
        r.register(
            "alerts_undelivered",
            "Alert batches given up on after every retry (they are in the store)",
            m.delivery_given_up.clone(),
        );
        r.register_with_unit(
            "process_resident_memory",
            "Resident memory of the watcher itself",
            Unit::Bytes,
            m.rss.clone(),
        );
        r.register_with_unit(
            "process_cpu",
            "CPU time used by the watcher itself",
            Unit::Seconds,
            m.cpu.clone(),
        );
        r.register(
            "process_open_fds",
            "Open file descriptors of the watcher itself",
            m.fds.clone(),
        );
        r.register(
            "process_threads",
            "Threads of the watcher itself",
            m.threads.clone(),
        );
        r.register_with_unit(
            "process_start_time",
            "Start time of the watcher, unix time",
            Unit::Seconds,
            m.start_time.clone(),
        );
        Metrics { registry: r, ..m }
    }

    /// Show the store writer's counters.
    pub fn watch_writer(&self, status: Arc<WriterStatus>) {
        if let Ok(mut l) = self.live.lock() {
            l.writer = Some(status);
        }
    }

    /// Show the receivers' counters.
    pub fn watch_receivers(&self, receivers: Vec<(String, Arc<ReceiverStats>)>) {
        if let Ok(mut l) = self.live.lock() {
            l.receivers = receivers;
        }
    }

    /// Give every series of `target` these labels too (e.g. namespace, pod, container).
    pub fn label(&self, target: &str, labels: &[(String, String)]) {
        if let Ok(mut l) = self.live.lock() {
            if labels.is_empty() {
                l.labels.remove(target);
            } else {
                l.labels.insert(target.to_string(), labels.to_vec());
            }
        }
    }

    fn target_labels(&self, target: &str) -> Vec<(String, String)> {
        self.live
            .lock()
            .ok()
            .and_then(|l| l.labels.get(target).cloned())
            .unwrap_or_default()
    }

    fn tl(&self, target: &str) -> TargetLabels {
        TargetLabels {
            target: target.to_string(),
            labels: self.target_labels(target),
        }
    }

    /// A sample of `target` at `t` unix seconds.
    pub fn sampled(&self, target: &str, t: f64) {
        self.samples.get_or_create(&self.tl(target)).inc();
        if let Ok(mut l) = self.live.lock() {
            l.last_sample.insert(target.to_string(), t);
        }
    }

    /// A failed sample of `target`.
    pub fn sample_error(&self, target: &str) {
        self.errors.get_or_create(&self.tl(target)).inc();
    }

    /// A round skipped for `target` (its previous sample still running).
    pub fn behind(&self, target: &str) {
        self.behind.get_or_create(&self.tl(target)).inc();
    }

    /// Give a series of `target` these labels too (a Prometheus series' own, without names
    /// that clash with `target`, `series` or `pattern`). A change drops the old label set.
    pub fn series_labels(&self, target: &str, series: &str, labels: &[(String, String)]) {
        let key = (target.to_string(), series.to_string());
        let old = match self.live.lock() {
            Ok(l) if l.series_labels.get(&key).map(Vec::as_slice) == Some(labels) => return,
            Ok(l) if !l.series_labels.contains_key(&key) && labels.is_empty() => return,
            Ok(_) => true,
            Err(_) => return,
        };
        if old {
            // Remove what is exported under the old labels, then take the new ones.
            self.forget_series(target, series);
        }
        if let Ok(mut l) = self.live.lock() {
            l.series_labels.insert(key, labels.to_vec());
        }
    }

    /// A series' labels: its own (a Prometheus series'), else its target's (a pod's).
    fn labels_of(&self, target: &str, series: &str) -> Vec<(String, String)> {
        self.live
            .lock()
            .ok()
            .and_then(|l| {
                l.series_labels
                    .get(&(target.to_string(), series.to_string()))
                    .or_else(|| l.labels.get(target))
                    .cloned()
            })
            .unwrap_or_default()
    }

    /// Drop one series of `target` (a Prometheus series that is gone).
    pub fn forget_series(&self, target: &str, series: &str) {
        let labels = self.labels_of(target, series);
        let sl = SeriesLabels {
            target: target.to_string(),
            series: series.to_string(),
            labels,
        };
        self.value.remove(&sl);
        self.growth.remove(&sl);
        self.confidence.remove(&sl);
        self.time_to_limit.remove(&sl);
        if let Ok(mut l) = self.live.lock() {
            let key = (sl.target.clone(), sl.series.clone());
            if let Some(p) = l.patterns.remove(&key) {
                self.verdict.remove(&VerdictLabels {
                    target: sl.target,
                    series: sl.series,
                    pattern: p,
                    labels: sl.labels,
                });
            }
            l.series_labels.remove(&key);
        }
    }

    /// The newest value and verdict of a judged series.
    pub fn series(&self, target: &str, series: &str, value: f64, v: &Verdict) {
        let sl = SeriesLabels {
            target: target.to_string(),
            series: series.to_string(),
            labels: self.labels_of(target, series),
        };
        self.value.get_or_create(&sl).set(value);
        self.growth.get_or_create(&sl).set(v.growth_bytes_per_hour);
        self.confidence.get_or_create(&sl).set(v.confidence);
        match v.time_to_limit_seconds {
            Some(s) => {
                self.time_to_limit.get_or_create(&sl).set(s);
            }
            None => {
                self.time_to_limit.remove(&sl);
            }
        }
        let pattern = v.pattern.as_str().to_string();
        if let Ok(mut l) = self.live.lock() {
            let key = (sl.target.clone(), sl.series.clone());
            if let Some(old) = l.patterns.insert(key, pattern.clone()) {
                if old != pattern {
                    self.verdict.remove(&VerdictLabels {
                        target: sl.target.clone(),
                        series: sl.series.clone(),
                        pattern: old,
                        labels: sl.labels.clone(),
                    });
                }
            }
        }
        self.verdict
            .get_or_create(&VerdictLabels {
                target: sl.target,
                series: sl.series,
                pattern,
                labels: sl.labels,
            })
            .set(i64::from(v.verdict == VerdictKind::Leak));
    }

    /// Forget a target's series (removed by a config reload).
    pub fn forget(&self, target: &str) {
        let t = self.tl(target);
        self.samples.remove(&t);
        self.errors.remove(&t);
        self.behind.remove(&t);
        self.age.remove(&t);
        let gone: Vec<String> = match self.live.lock() {
            Ok(mut l) => {
                l.last_sample.remove(target);
                l.patterns
                    .keys()
                    .filter(|(tg, _)| tg == target)
                    .map(|(_, series)| series.clone())
                    .collect()
            }
            Err(_) => return,
        };
        // Each series as one that is gone, while the target's labels still name it.
        for series in gone {
            self.forget_series(target, &series);
        }
        if let Ok(mut l) = self.live.lock() {
            l.labels.remove(target);
        }
    }

    /// The exposition now (OpenMetrics text), with ages and the watcher's own numbers
    /// brought up to date.
    pub fn render(&self) -> String {
        self.refresh();
        let mut out = String::new();
        if encode(&mut out, &self.registry).is_err() {
            out.clear();
        }
        out
    }

    fn refresh(&self) {
        let now = crate::now();
        if let Ok(l) = self.live.lock() {
            for (target, t) in &l.last_sample {
                let labels = TargetLabels {
                    target: target.clone(),
                    labels: l.labels.get(target).cloned().unwrap_or_default(),
                };
                self.age.get_or_create(&labels).set((now - t).max(0.0));
            }
            if let Some(w) = &l.writer {
                catch_up(&self.store_failures, w.failures.load(Ordering::Relaxed));
                catch_up(&self.store_dropped, w.dropped.load(Ordering::Relaxed));
                self.store_held
                    .set(w.held.load(Ordering::Relaxed).min(i64::MAX as u64) as i64);
            }
            for (name, s) in &l.receivers {
                let rl = ReceiverLabels {
                    receiver: name.clone(),
                };
                catch_up(
                    &self.delivery_failed.get_or_create(&rl),
                    s.failed_attempts.load(Ordering::Relaxed),
                );
                catch_up(
                    &self.delivery_given_up.get_or_create(&rl),
                    s.given_up.load(Ordering::Relaxed),
                );
            }
        }
        if let Some(p) = own_process() {
            self.rss.set(p.rss_bytes as i64);
            let cpu = p.cpu_seconds;
            let now = self.cpu.get();
            if cpu > now {
                self.cpu.inc_by(cpu - now);
            }
            self.fds.set(p.open_fds as i64);
            self.threads.set(p.threads as i64);
            self.start_time.set(p.start_time);
        }
    }
}

/// Bring a counter up to a total kept elsewhere.
fn catch_up(c: &Counter, total: u64) {
    let now = c.get();
    if total > now {
        c.inc_by(total - now);
    }
}

struct OwnProcess {
    rss_bytes: u64,
    cpu_seconds: f64,
    open_fds: usize,
    threads: u64,
    start_time: f64,
}

/// The watcher's own numbers from /proc/self.
fn own_process() -> Option<OwnProcess> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let (_, rest) = stat.rsplit_once(')')?;
    let f: Vec<&str> = rest.split_whitespace().collect();
    // Fields after the command: state is index 0 (field 3 of proc(5)).
    let num = |i: usize| f.get(i).and_then(|s| s.parse::<u64>().ok());
    // SAFETY: sysconf has no memory effects.
    let (tick, page) = unsafe {
        (
            libc::sysconf(libc::_SC_CLK_TCK).max(1) as f64,
            libc::sysconf(libc::_SC_PAGESIZE).max(1) as u64,
        )
    };
    let utime = num(11)?;
    let stime = num(12)?;
    let threads = num(17)?;
    let start_ticks = num(19)?;
    let rss_pages = num(21)?;
    let open_fds = std::fs::read_dir("/proc/self/fd")
        .map(|d| d.count())
        .unwrap_or(0);
    Some(OwnProcess {
        rss_bytes: rss_pages * page,
        cpu_seconds: (utime + stime) as f64 / tick,
        open_fds,
        threads,
        // Unix time now, less the seconds since the process started.
        start_time: crate::now()
            - (leakscope_probe::proc::boottime_seconds() - start_ticks as f64 / tick),
    })
}

/// The `/metrics` and `/healthz` server.
pub struct Server {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    handle: Option<JoinHandle<()>>,
}

/// The content type of the exposition, for clients that ask for OpenMetrics (Prometheus does).
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// The content type of the classic Prometheus text format, for everyone else.
pub const TEXT_CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// True when an `Accept` header ranks OpenMetrics above the classic text format (as
/// Prometheus does); by q-values, the first listed winning a tie.
pub fn prefers_openmetrics(accept: &str) -> bool {
    let mut om: Option<f64> = None;
    let mut text: Option<f64> = None;
    for part in accept.split(',') {
        let mut it = part.split(';').map(str::trim);
        let media = it.next().unwrap_or("");
        let q = it
            .find_map(|p| p.strip_prefix("q="))
            .and_then(|q| q.parse::<f64>().ok())
            .unwrap_or(1.0);
        let slot = match media {
            "application/openmetrics-text" => &mut om,
            "text/plain" => &mut text,
            _ => continue,
        };
        *slot = Some(slot.map_or(q, |x: f64| x.max(q)));
    }
    match (om, text) {
        (Some(o), Some(t)) => o > t,
        (Some(_), None) => true,
        _ => false,
    }
}

/// The OpenMetrics text turned into the classic Prometheus text format (0.0.4) that older
/// tools read (`promtool check metrics`, curl): counters' HELP and TYPE name the `_total`
/// series, and the OpenMetrics-only `# UNIT` and `# EOF` lines go.
pub fn to_text_format(openmetrics: &str) -> String {
    let lines: Vec<&str> = openmetrics.lines().collect();
    let mut counters = std::collections::HashSet::new();
    for l in &lines {
        if let Some(rest) = l.strip_prefix("# TYPE ") {
            if let Some(name) = rest.strip_suffix(" counter") {
                counters.insert(name.to_string());
            }
        }
    }
    let mut out = String::with_capacity(openmetrics.len());
    for l in lines {
        if l.starts_with("# UNIT ") || l == "# EOF" {
            continue;
        }
        let renamed = ["# HELP ", "# TYPE "].iter().find_map(|p| {
            let rest = l.strip_prefix(p)?;
            let (name, tail) = rest.split_once(' ')?;
            counters
                .contains(name)
                .then(|| format!("{p}{name}_total {tail}"))
        });
        match renamed {
            Some(r) => out.push_str(&r),
            None => out.push_str(l),
        }
        out.push('\n');
    }
    out
}

impl Server {
    /// Listen on `addr` and serve `metrics` on a thread of its own.
    pub fn start(addr: SocketAddr, metrics: Arc<Metrics>) -> std::io::Result<Server> {
        let server = tiny_http::Server::http(addr).map_err(std::io::Error::other)?;
        let bound = server
            .server_addr()
            .to_ip()
            .ok_or_else(|| std::io::Error::other("not an IP listener"))?;
        let stop = Arc::new(AtomicBool::new(false));
        let st = Arc::clone(&stop);
        let handle = std::thread::Builder::new()
            .name("metrics".into())
            .spawn(move || serve(&server, &metrics, &st))?;
        tracing::info!(%bound, "serving /metrics");
        Ok(Server {
            addr: bound,
            stop,
            handle: Some(handle),
        })
    }

    /// The address listened on (with the port chosen when 0 was asked).
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

fn serve(server: &tiny_http::Server, metrics: &Metrics, stop: &AtomicBool) {
    use tiny_http::{Header, Response};
    while !stop.load(Ordering::Relaxed) {
        let req = match server.recv_timeout(Duration::from_millis(200)) {
            Ok(Some(r)) => r,
            Ok(None) => continue,
            Err(_) => return,
        };
        let path = req.url().split('?').next().unwrap_or("").to_string();
        let started = std::time::Instant::now();
        let resp = match (req.method(), path.as_str()) {
            (tiny_http::Method::Get, "/metrics") => {
                let openmetrics = req
                    .headers()
                    .iter()
                    .find(|h| h.field.equiv("Accept"))
                    .is_some_and(|h| prefers_openmetrics(h.value.as_str()));
                let body = metrics.render();
                let (body, ctype) = if openmetrics {
                    (body, CONTENT_TYPE)
                } else {
                    (to_text_format(&body), TEXT_CONTENT_TYPE)
                };
                let mut r = Response::from_string(body);
                if let Ok(h) = Header::from_bytes("Content-Type", ctype) {
                    r = r.with_header(h);
                }
                r
            }
            (tiny_http::Method::Get, "/healthz") => Response::from_string("ok\n"),
            _ => Response::from_string("not found\n").with_status_code(404),
        };
        let _ = req.respond(resp);
        tracing::debug!(%path, took_us = started.elapsed().as_micros() as u64, "served");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_negotiation_follows_q_values() {
        let prometheus = "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";
        assert!(prefers_openmetrics(prometheus));
        assert!(!prefers_openmetrics(
            "text/plain;version=0.0.4;q=0.9,application/openmetrics-text;q=0.5,*/*;q=0.1"
        ));
        assert!(!prefers_openmetrics("*/*"));
        let text = to_text_format("# HELP a_b x.\n# TYPE a_b counter\na_b_total 1\n# HELP g y.\n# TYPE g gauge\n# UNIT g seconds\ng 2\n# EOF\n");
        assert_eq!(
            text,
            "# HELP a_b_total x.\n# TYPE a_b_total counter\na_b_total 1\n# HELP g y.\n# TYPE g gauge\ng 2\n"
        );
    }

    #[test]
    fn a_changed_pattern_replaces_the_old_label_set() {
        let m = Metrics::new();
        let mut v = leakscope_core::recognize("x", &[], &Default::default());
        v.pattern = leakscope_core::Pattern::Plateau;
        m.series("api", "rss_bytes", 5e7, &v);
        v.pattern = leakscope_core::Pattern::LinearGrowth;
        v.verdict = VerdictKind::Leak;
        m.series("api", "rss_bytes", 6e7, &v);
        let text = m.render();
        assert!(
            text.contains(
                "leakscope_verdict{target=\"api\",series=\"rss_bytes\",pattern=\"linear-growth\"} 1"
            ),
            "{text}"
        );
        assert!(!text.contains("pattern=\"plateau\""), "{text}");
        assert!(
            text.contains("leakscope_process_resident_memory_bytes "),
            "{text}"
        );
        assert!(text.ends_with("# EOF\n"));
    }
}
