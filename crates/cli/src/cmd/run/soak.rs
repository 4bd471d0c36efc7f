//! What `run` makes of the samples the engine takes: the memory series of the soak (every
//! candidate signal kept, the best chosen at the end), the load rate beside it, the live
//! progress line, how the service ended — and at the end the verdict with the run's numbers.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use leakscope_agent::event::{describe_exit, Event};
use leakscope_agent::fields::{self, NODE_HEAP_AFTER_GC};
use leakscope_agent::source::Fields;
use leakscope_agent::Observer;
use leakscope_core::recognize::per_request::{self, Served};
use leakscope_core::{Point, Recognizer, VerdictKind};
use leakscope_load::LoadStats;
use leakscope_report::{LoadPoint, RunData};

use super::diagnosis::{self, RunDiagnosis};
use super::outcome::{self, RunVerdict};
use super::progress::Progress;
use super::{LoadShared, RunArgs};
use crate::cli::{Common, OutputFormat};
use crate::units;

/// The soak as it is measured.
pub struct SoakView {
    stop: Arc<AtomicBool>,
    shared: Arc<LoadShared>,
    started: Instant,
    total: Duration,
    warmup_end: f64,
    load: bool,
    /// Memory series that could be the signal, with the requests served at each point.
    candidates: BTreeMap<String, Vec<Served>>,
    load_points: Vec<LoadPoint>,
    last_req: (f64, u64, u64),
    progress: Progress,
    service_end: String,
    partial: bool,
    died_oom: bool,
    crashed: bool,
    died: bool,
    diagnosis: Option<RunDiagnosis>,
    /// How the soak judges, for asking for the diagnosis as soon as it would say leak.
    judging: leakscope_core::RecognizeOptions,
    rounds: u64,
}

impl SoakView {
    /// A view of a soak of `total` (warm-up included).
    pub fn new(
        args: &RunArgs,
        common: &Common,
        stop: Arc<AtomicBool>,
        shared: Arc<LoadShared>,
        total: Duration,
        interval: Duration,
        diagnosis: Option<RunDiagnosis>,
    ) -> SoakView {
        let t0 = units::now();
        SoakView {
            stop,
            shared,
            started: Instant::now(),
            total,
            warmup_end: t0 + args.warmup.as_secs_f64(),
            load: args.load.is_some(),
            candidates: BTreeMap::new(),
            load_points: Vec::new(),
            last_req: (t0, 0, 0),
            progress: Progress::new(common.quiet || common.format == OutputFormat::Json, total),
            service_end: "stopped by leakscope at the end".into(),
            partial: false,
            died_oom: false,
            crashed: false,
            died: false,
            diagnosis,
            judging: soak_options(args, "rss_bytes", interval),
            rounds: 0,
        }
    }

    /// Every few rounds after warm-up, judge the soak so far; at the first leak, ask for the
    /// diagnosis (once).
    fn maybe_diagnose(&mut self) {
        self.rounds += 1;
        let Some(d) = self.diagnosis.as_ref() else {
            return;
        };
        if d.asked() || self.rounds % 5 != 0 {
            return;
        }
        let after: Vec<Point> = self
            .signal()
            .and_then(|s| self.candidates.get(s))
            .map(|v| {
                v.iter()
                    .map(|s| s.sample)
                    .filter(|p| p.t >= self.warmup_end)
                    .collect()
            })
            .unwrap_or_default();
        let mut r = Recognizer::new("soak", self.judging.clone());
        for p in &after {
            r.push(*p);
        }
        let v = r.verdict();
        if v.verdict != VerdictKind::Leak {
            return;
        }
        let remaining = self.total.saturating_sub(self.started.elapsed());
        let used = after.last().map_or(0.0, |p| p.v);
        if let Some(d) = self.diagnosis.as_mut() {
            self.progress.finish();
            eprintln!(
                "leakscope: the growth is recognized as a leak ({}/h); capturing evidence from the service",
                units::format_signed_bytes(v.growth_bytes_per_hour)
            );
            d.start(v.growth_bytes_per_hour, used, remaining);
        }
    }

    /// The signal: the post-GC heap for Node, a runtime heap from /metrics, else the RSS.
    fn signal(&self) -> Option<&str> {
        fields::primary(
            self.candidates
                .iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, _)| k.as_str()),
        )
    }

    /// End the progress line.
    pub fn finish_progress(&mut self) {
        self.progress.finish();
    }

    /// The verdict of the soak and the report's data.
    pub fn verdict(
        &mut self,
        args: &RunArgs,
        load_stats: Option<LoadStats>,
        interval: Duration,
    ) -> anyhow::Result<(RunVerdict, RunData)> {
        let signal = self.signal().unwrap_or("rss_bytes").to_string();
        let series: Vec<Point> = self
            .candidates
            .get(&signal)
            .map(|v| v.iter().map(|s| s.sample).collect())
            .unwrap_or_default();
        if series.is_empty() {
            anyhow::bail!(
                "the service ({}) gave no memory readings; nothing to judge",
                self.service_end
            );
        }
        let rss: Vec<Point> = self
            .candidates
            .get("rss_bytes")
            .map(|v| v.iter().map(|s| s.sample).collect())
            .unwrap_or_default();
        let warmup_end = self.warmup_end;
        let after: Vec<Point> = series
            .iter()
            .copied()
            .filter(|p| p.t >= warmup_end)
            .collect();
        let opts = soak_options(args, &signal, interval);
        let mut r = Recognizer::new(format!("service/{signal}"), opts.clone());
        for p in &after {
            r.push(*p);
        }
        let explanation = r.explain();
        let mut verdict = explanation.verdict.clone();
        let served = self
            .candidates
            .get(&signal)
            .map(|v| per_request::served_from(v, warmup_end))
            .unwrap_or_default();
        if verdict.verdict != VerdictKind::Leak && self.load {
            if let Some(leak) = per_request::judged_on_load_clock(&served, opts) {
                verdict = leak;
            }
        }
        verdict.name = format!(
            "{}/{}",
            args.name.clone().unwrap_or_else(|| "service".into()),
            signal
        );
        if self.died_oom {
            verdict.verdict = VerdictKind::Leak;
            verdict
                .reasons
                .insert(0, "the service was OOM-killed during the soak".into());
        }
        let base = outcome::baseline(if after.is_empty() { &series } else { &after });
        let fin = outcome::final_value(&series);
        let requests = load_stats.as_ref().map(|s| s.requests);
        let errors = load_stats.as_ref().map(|s| s.errors());
        let growth_per_request = per_request::bytes_per_request(&served);
        let failed_fail_above = match (args.fail_above, base, fin) {
            (Some(x), Some(b), Some(f)) => f - b > x,
            _ => false,
        };
        let diagnosed = self.diagnosis.as_mut().and_then(|d| d.finish());
        let diagnosis_json = diagnosed.map(|o| match o {
            Ok(d) => serde_json::to_value(d).unwrap_or_default(),
            Err(e) if e.is_skip() => serde_json::json!({ "skipped": e.to_string() }),
            Err(e) => serde_json::json!({ "error": e.to_string() }),
        });
        let diagnosis_facts = diagnosed.map(diagnosis::facts).unwrap_or_default();
        let rv = RunVerdict {
            signal: signal.clone(),
            bytes_per_request: if self.load { growth_per_request } else { None },
            baseline_bytes: base,
            final_bytes: fin,
            requests,
            errors,
            error_rate: match (requests, errors) {
                (Some(r), Some(e)) if r > 0 => Some(e as f64 / r as f64),
                _ => None,
            },
            requests_per_second: load_stats.as_ref().map(|s| s.rps),
            duration_seconds: self.started.elapsed().as_secs_f64(),
            warmup_seconds: args.warmup.as_secs_f64(),
            fail_above_bytes: args.fail_above,
            failed_fail_above,
            service_end: self.service_end.clone(),
            partial: self.partial,
            service_crashed: self.crashed,
            verdict,
            diagnosis: diagnosis_json,
        };
        if requests == Some(0) || errors.zip(requests).is_some_and(|(e, r)| r > 0 && e == r) {
            eprintln!(
                "leakscope: warning: the load target answered no request successfully ({} of {} failed); is --load right?",
                errors.unwrap_or(0),
                requests.unwrap_or(0)
            );
        }
        let slope = rv.verdict.growth_bytes_per_hour / 3600.0;
        let data = RunData {
            title: leakscope_core::redact::redact_command_line(&args.command),
            memory_label: signal_label(&signal),
            extra_series: if signal != "rss_bytes" && !rss.is_empty() {
                vec![("RSS".into(), rss)]
            } else {
                vec![]
            },
            load: std::mem::take(&mut self.load_points),
            warmup_end: Some(warmup_end),
            baseline_bytes: base,
            trend: base.map(|b| (warmup_end, b, slope)),
            limit_bytes: args.limit,
            floor: explanation.floor,
            restarts_at: explanation.restarts_at,
            verdict: rv.verdict.clone(),
            facts: run_facts(&rv).into_iter().chain(diagnosis_facts).collect(),
            memory: series,
        };
        Ok((rv, data))
    }
}

impl Observer for SoakView {
    fn sample(&mut self, _target: &str, t: f64, fields_now: &Fields) {
        // Past the soak's end the load has stopped and sampling goes on only while a
        // diagnosis finishes: a floor flat without load is no part of the verdict (judged,
        // it made a leak look like a cache that filled).
        if self.started.elapsed() >= self.total {
            return;
        }
        let requests = self.shared.requests.load(Ordering::Relaxed) as f64;
        for (k, v) in fields_now {
            if fields::MEMORY_FIELDS.contains(&k.as_str()) {
                self.candidates.entry(k.clone()).or_default().push(Served {
                    sample: Point::new(t, *v),
                    requests,
                });
            }
        }
    }

    fn event(&mut self, _target: &str, _t: f64, ev: &Event) {
        if let Event::Exited {
            code,
            signal,
            oom_killed,
        } = *ev
        {
            self.service_end = describe_exit(code, signal, oom_killed);
            self.died_oom = oom_killed;
            self.crashed = !oom_killed;
            self.partial = true;
            self.died = true;
            eprintln!("leakscope: the service died mid-soak: {}", self.service_end);
        }
    }

    fn note(&mut self, text: &str) {
        tracing::info!("{text}");
    }

    fn should_stop(&mut self) -> bool {
        if self.stop.load(Ordering::Relaxed) && !self.partial {
            self.partial = true;
            self.service_end = "interrupted (Ctrl-C); the service was stopped".into();
        }
        self.stop.load(Ordering::Relaxed)
    }

    fn round(&mut self, _rounds: u64) -> bool {
        // Load rate since the last round.
        let t = units::now();
        let (req, err) = (
            self.shared.requests.load(Ordering::Relaxed),
            self.shared.errors.load(Ordering::Relaxed),
        );
        let dt = (t - self.last_req.0).max(1e-3);
        let dreq = req.saturating_sub(self.last_req.1);
        let derr = err.saturating_sub(self.last_req.2);
        let have_memory = self.signal().is_some();
        if self.load && have_memory {
            self.load_points.push(LoadPoint {
                t,
                rps: dreq as f64 / dt,
                error_rate: if dreq > 0 {
                    derr as f64 / dreq as f64
                } else {
                    0.0
                },
            });
        }
        self.last_req = (t, req, err);
        let series: Vec<Point> = self
            .signal()
            .and_then(|s| self.candidates.get(s))
            .map(|v| v.iter().map(|s| s.sample).collect())
            .unwrap_or_default();
        self.progress.update(
            self.started.elapsed(),
            self.load.then_some(req),
            series.last().map(|p| p.v),
            &series,
        );
        self.maybe_diagnose();
        // A diagnosis under way is waited for (its captures were spaced to fit the load).
        let diagnosing = self.diagnosis.as_ref().is_some_and(RunDiagnosis::running);
        !self.died && (self.started.elapsed() < self.total || diagnosing)
    }
}

/// One sentence for a soak that could not be judged, with the numbers it needs.
pub fn too_short(v: &RunVerdict, args: &RunArgs, interval: Duration) -> String {
    let need = soak_options(args, &v.signal, interval).min_span_seconds;
    format!(
        "the soak could not be judged: {} samples over {} after warm-up, and judging needs at least 10 samples over {}; lengthen --duration (or shorten --interval, now {})",
        v.verdict.samples,
        units::format_duration(v.verdict.span_seconds.max(0.0)),
        units::format_duration(need),
        units::format_duration(interval.as_secs_f64())
    )
}

/// Rows the report shows beside the chart, beyond the ones it derives itself.
fn run_facts(rv: &RunVerdict) -> Vec<(String, String)> {
    let mut facts = vec![("Service".to_string(), rv.service_end.clone())];
    if let Some(b) = rv.bytes_per_request {
        facts.push(("Bytes per request".into(), format!("{b:.0} B")));
    }
    if rv.partial {
        facts.push((
            "Partial run".into(),
            "yes: the numbers cover what was measured until it ended".into(),
        ));
    }
    facts
}

/// Recognition for a soak: short spans are the point, so judge from a minute on, with buckets
/// as fine as the sampling.
fn soak_options(
    args: &RunArgs,
    field: &str,
    interval: Duration,
) -> leakscope_core::RecognizeOptions {
    let mut o = fields::recognize_options(fields::default_unit(field), args.limit);
    o.min_span_seconds = (args.duration.as_secs_f64() * 0.4).clamp(30.0, 1200.0);
    o.bucket_seconds = interval.as_secs_f64().max(0.5);
    o
}

fn signal_label(signal: &str) -> String {
    match signal {
        NODE_HEAP_AFTER_GC => "V8 heap used after a forced GC".into(),
        "rss_bytes" => "resident set (RSS)".into(),
        other => other.to_string(),
    }
}
