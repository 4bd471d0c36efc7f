//! The config file (TOML) of a long-running watch: targets, alert rules with per-target
//! overrides, receivers, the store. It fills the same [`Settings`] as the flags do.
//!
//! Every mistake is refused with the line and the key: unknown keys, values of the wrong
//! type or unit, a target naming no kind or two, a receiver naming no kind or two, a pattern
//! that is not a regular expression, a URL that is not http(s), two targets with one name.
//! `examples/leakscope.toml` shows every key.

use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Deserialize;
use toml::Spanned;

use leakscope_core::alert::{AlertRules, RuleOverrides};
use leakscope_probe::http::{BasicAuth, HttpOptions};

use crate::deliver::alertmanager::DEFAULT_RESEND;
use crate::fields::SeriesUnit;
use crate::settings::{DiagnoseSettings, ReceiverSpec, Settings, StoreSettings, TargetSettings};
use crate::source::prometheus::{DEFAULT_EVERY, DEFAULT_RANGE};
use crate::source::{SourceSpec, KINDS};

pub use leakscope_core::config_file::ConfigError;
use leakscope_core::config_file::{invalid, line_of, read};

/// Read and check the config file at `path`.
pub fn load(path: &Path) -> Result<Settings, ConfigError> {
    let text = read(path)?;
    parse(&text, path)
}

/// Check the config `text` (read from `path`, for messages and relative paths).
pub fn parse(text: &str, path: &Path) -> Result<Settings, ConfigError> {
    let file: File = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        invalid(text, path, span, None, e.message().to_string())
    })?;
    let at = |span: Range<usize>, key: &str, message: String| {
        invalid(text, path, span, Some(key.to_string()), message)
    };
    let dir = path.parent().unwrap_or(Path::new("."));
    let mut s = Settings::default();
    if let Some(i) = file.interval {
        if i.get_ref().0.is_zero() {
            return Err(at(i.span(), "interval", "must be more than 0".into()));
        }
        s.interval = i.into_inner().0;
    }
    s.limit_bytes = file.limit.map(|b| b.0);
    if let Some(m) = file.min_span {
        if m.get_ref().0.is_zero() {
            return Err(at(m.span(), "min_span", "must be more than 0".into()));
        }
        s.min_span = Some(m.into_inner().0);
    }
    s.log = file.log.map(|p| resolve(dir, &p));
    if let Some(l) = file.listen {
        let span = l.span();
        s.listen =
            Some(crate::config::listen_addr(l.get_ref()).map_err(|m| at(span, "listen", m))?);
    }
    if let Some(st) = file.store {
        let retention = match st.retention {
            Some(r) => {
                let (span, total) = (r.span(), r.into_inner().0);
                // What the watcher will ask of the store, checked now.
                leakscope_store::Retention::with_total(total)
                    .map_err(|e| at(span, "retention", e.to_string()))?;
                Some(total)
            }
            None => None,
        };
        s.store = StoreSettings {
            path: st.path.map(|p| resolve(dir, &p)),
            retention,
        };
    }
    if let Some(r) = &file.rules {
        s.rules = r.apply(&AlertRules::default());
    }
    let mut names: BTreeMap<String, Range<usize>> = BTreeMap::new();
    for entry in file.target {
        let span = entry.span();
        let t = entry.into_inner();
        let settings = t.settings(&s.rules, dir, text, path, span.clone())?;
        let name = settings.name();
        if let Some(first) = names.get(&name) {
            let first_line = line_of(text, first.start);
            return Err(invalid(
                text,
                path,
                span,
                Some("name".into()),
                format!("a second target named {name:?} (the first is at line {first_line}); give each a distinct name"),
            ));
        }
        names.insert(name, span);
        s.targets.push(settings);
    }
    if let Some(d) = file.diagnose {
        let span = d.span();
        s.diagnose = match d.into_inner() {
            DiagnoseEntry::On(true) => Some(DiagnoseSettings::default()),
            DiagnoseEntry::On(false) => None,
            DiagnoseEntry::Table(t) => t.settings(dir).map_err(|m| at(span, "diagnose", m))?,
        };
    }
    for r in file.receiver {
        let span = r.span();
        let r = r.into_inner();
        s.receivers.push(r.spec(dir, text, path, span)?);
    }
    Ok(s)
}

/// `HOST:PORT`, or a bare port on 127.0.0.1.
pub fn listen_addr(text: &str) -> Result<SocketAddr, String> {
    if let Ok(port) = text.trim().parse::<u16>() {
        return Ok(SocketAddr::from(([127, 0, 0, 1], port)));
    }
    text.trim()
        .parse()
        .map_err(|_| format!("{text:?} is not an address: write e.g. \"127.0.0.1:9464\""))
}

fn resolve(dir: &Path, p: &Path) -> PathBuf {
    if p.is_absolute() {
        p.to_path_buf()
    } else {
        dir.join(p)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    interval: Option<Spanned<Dur>>,
    limit: Option<Bytes>,
    log: Option<PathBuf>,
    listen: Option<Spanned<String>>,
    min_span: Option<Spanned<Dur>>,
    store: Option<StoreEntry>,
    rules: Option<Rules>,
    #[serde(default)]
    target: Vec<Spanned<TargetEntry>>,
    #[serde(default)]
    receiver: Vec<Spanned<ReceiverEntry>>,
    /// `leakscope lint`'s section: watch leaves it to lint's own reader
    /// (`leakscope_lint::config`), which `config check` runs too.
    #[allow(dead_code)]
    lint: Option<toml::Value>,
    diagnose: Option<Spanned<DiagnoseEntry>>,
}

/// `diagnose = true`, or a `[diagnose]` table (which turns it on unless `enabled = false`).
#[derive(Debug)]
enum DiagnoseEntry {
    On(bool),
    Table(DiagnoseTable),
}

impl<'de> Deserialize<'de> for DiagnoseEntry {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> serde::de::Visitor<'de> for V {
            type Value = DiagnoseEntry;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("true, false, or a [diagnose] table")
            }
            fn visit_bool<E: serde::de::Error>(self, b: bool) -> Result<DiagnoseEntry, E> {
                Ok(DiagnoseEntry::On(b))
            }
            fn visit_map<M: serde::de::MapAccess<'de>>(
                self,
                map: M,
            ) -> Result<DiagnoseEntry, M::Error> {
                DiagnoseTable::deserialize(serde::de::value::MapAccessDeserializer::new(map))
                    .map(DiagnoseEntry::Table)
            }
        }
        d.deserialize_any(V)
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct DiagnoseTable {
    enabled: Option<bool>,
    captures: Option<u32>,
    min_growth: Option<Bytes>,
    min_spacing: Option<Dur>,
    max_spacing: Option<Dur>,
    timeout: Option<Dur>,
    period: Option<Dur>,
    disk_budget: Option<Bytes>,
    headroom: Option<f64>,
    dir: Option<PathBuf>,
}

impl DiagnoseTable {
    fn settings(&self, dir: &Path) -> Result<Option<DiagnoseSettings>, String> {
        if self.enabled == Some(false) {
            return Ok(None);
        }
        let mut d = DiagnoseSettings::default();
        if let Some(n) = self.captures {
            if !(2..=5).contains(&n) {
                return Err(format!(
                    "captures is {n}: a diagnosis diffs 2 to 5 captures"
                ));
            }
            d.captures = n;
        }
        if let Some(b) = self.min_growth {
            d.min_growth_bytes = b.0;
        }
        if let Some(v) = self.min_spacing {
            d.min_spacing = v.0;
        }
        if let Some(v) = self.max_spacing {
            d.max_spacing = v.0;
        }
        if d.max_spacing.is_zero() || d.min_spacing > d.max_spacing {
            return Err("max_spacing must be more than 0 and at least min_spacing".into());
        }
        if let Some(v) = self.timeout {
            d.capture_timeout = v.0;
        }
        if let Some(v) = self.period {
            d.period = v.0;
        }
        if let Some(b) = self.disk_budget {
            d.disk_budget_bytes = b.0 as u64;
        }
        if let Some(h) = self.headroom {
            if !(h.is_finite() && h >= 1.0) {
                return Err(format!(
                    "headroom is {h}: at least 1 (a V8 snapshot needs about the heap again)"
                ));
            }
            d.headroom_factor = h;
        }
        d.dir = self.dir.as_ref().map(|p| resolve(dir, p));
        Ok(Some(d))
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct StoreEntry {
    path: Option<PathBuf>,
    retention: Option<Spanned<Dur>>,
}

/// Alert thresholds; any left out keep the shared (or default) value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Rules {
    alert_above: Option<Bytes>,
    alert_limit_fraction: Option<f64>,
    alert_growth: Option<Bytes>,
    alert_growth_percent: Option<f64>,
    alert_window: Option<Dur>,
    alert_for: Option<Dur>,
    alert_keep_firing_for: Option<Dur>,
    alert_floor_confirms: Option<bool>,
    alert_baseline: Option<Bytes>,
    warmup: Option<Dur>,
    max_restarts: Option<u32>,
}

impl Rules {
    fn apply(&self, base: &AlertRules) -> AlertRules {
        let secs = |d: &Option<Dur>| d.as_ref().map(|d| d.0.as_secs_f64());
        RuleOverrides {
            absolute_bytes: self.alert_above.as_ref().map(|b| b.0),
            limit_fraction: self.alert_limit_fraction,
            growth_bytes_per_hour: self.alert_growth.as_ref().map(|b| b.0),
            growth_percent_per_hour: self.alert_growth_percent,
            growth_window_seconds: secs(&self.alert_window),
            growth_for_seconds: secs(&self.alert_for),
            growth_keep_firing_seconds: secs(&self.alert_keep_firing_for),
            growth_floor_confirms: self.alert_floor_confirms,
            baseline_excess_bytes: self.alert_baseline.as_ref().map(|b| b.0),
            warmup_seconds: secs(&self.warmup),
            max_restarts: self.max_restarts,
        }
        .apply(base)
    }
}

/// TLS and authentication keys, shared by scrape targets and receivers.
#[derive(Debug, Default)]
struct HttpEntry {
    ca_file: Option<PathBuf>,
    bearer_token_file: Option<PathBuf>,
    basic_auth_user: Option<String>,
    basic_auth_password_file: Option<PathBuf>,
    headers: BTreeMap<String, String>,
}

impl HttpEntry {
    fn options(&self, dir: &Path) -> HttpOptions {
        HttpOptions {
            ca_file: self.ca_file.as_ref().map(|p| resolve(dir, p)),
            bearer_token_file: self.bearer_token_file.as_ref().map(|p| resolve(dir, p)),
            basic_auth: self.basic_auth_user.as_ref().map(|u| BasicAuth {
                user: u.clone(),
                password_file: self
                    .basic_auth_password_file
                    .as_ref()
                    .map(|p| resolve(dir, p)),
            }),
            headers: self
                .headers
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect(),
        }
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetEntry {
    name: Option<String>,
    // The kind: exactly one of these.
    pid: Option<Spanned<u32>>,
    process: Option<Spanned<String>>,
    cgroup: Option<Spanned<PathBuf>>,
    scrape: Option<Spanned<String>>,
    command: Option<Spanned<Vec<String>>>,
    prometheus: Option<Spanned<String>>,
    // Options of some kinds.
    query: Option<Spanned<String>>,
    every: Option<Spanned<Dur>>,
    range: Option<Spanned<Dur>>,
    limit_query: Option<Spanned<String>>,
    timeout: Option<Spanned<Dur>>,
    #[serde(default)]
    pss: bool,
    #[serde(default)]
    restart: bool,
    metrics: Option<Spanned<Vec<String>>>,
    units: Option<BTreeMap<String, Spanned<String>>>,
    // TLS and authentication (scrape and prometheus).
    ca_file: Option<PathBuf>,
    bearer_token_file: Option<PathBuf>,
    basic_auth_user: Option<String>,
    basic_auth_password_file: Option<PathBuf>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    limit: Option<Bytes>,
    rules: Option<Rules>,
    /// The pprof base URL of a Go target, for diagnosis.
    pprof: Option<Spanned<String>>,
    /// Restart a command target before it runs out of memory.
    restart_before_oom: Option<Spanned<Dur>>,
}

impl TargetEntry {
    fn http(&self) -> HttpEntry {
        HttpEntry {
            ca_file: self.ca_file.clone(),
            bearer_token_file: self.bearer_token_file.clone(),
            basic_auth_user: self.basic_auth_user.clone(),
            basic_auth_password_file: self.basic_auth_password_file.clone(),
            headers: self.headers.clone(),
        }
    }

    fn settings(
        self,
        shared: &AlertRules,
        dir: &Path,
        text: &str,
        path: &Path,
        span: Range<usize>,
    ) -> Result<TargetSettings, ConfigError> {
        let at = |span: Range<usize>, key: &str, message: String| {
            invalid(text, path, span, Some(key.to_string()), message)
        };
        let kinds: Vec<(&str, Range<usize>)> = [
            ("pid", self.pid.as_ref().map(Spanned::span)),
            ("process", self.process.as_ref().map(Spanned::span)),
            ("cgroup", self.cgroup.as_ref().map(Spanned::span)),
            ("scrape", self.scrape.as_ref().map(Spanned::span)),
            ("command", self.command.as_ref().map(Spanned::span)),
            ("prometheus", self.prometheus.as_ref().map(Spanned::span)),
        ]
        .into_iter()
        .filter_map(|(k, s)| s.map(|s| (k, s)))
        .collect();
        let choices = KINDS
            .iter()
            .filter(|k| k.name != "node-gc")
            .map(|k| format!("{} ({})", k.name, k.about))
            .collect::<Vec<_>>()
            .join(", ");
        let (kind, kind_span) = match kinds.as_slice() {
            [] => {
                return Err(invalid(
                    text,
                    path,
                    span,
                    None,
                    format!("this target names no kind; give one of: {choices}"),
                ))
            }
            [one] => one.clone(),
            [_, second, ..] => {
                return Err(at(
                    second.1.clone(),
                    second.0,
                    format!(
                        "a target has one kind, this one has {} and {}",
                        kinds[0].0, second.0
                    ),
                ))
            }
        };
        let scrape_only = [
            ("metrics", self.metrics.is_some()),
            ("units", self.units.is_some()),
        ];
        let http_only = [
            ("ca_file", self.ca_file.is_some()),
            ("bearer_token_file", self.bearer_token_file.is_some()),
            ("basic_auth_user", self.basic_auth_user.is_some()),
            ("headers", !self.headers.is_empty()),
        ];
        let prometheus_only = [
            ("query", self.query.is_some()),
            ("every", self.every.is_some()),
            ("range", self.range.is_some()),
            ("limit_query", self.limit_query.is_some()),
            ("timeout", self.timeout.is_some()),
        ];
        for (keys, kinds, which) in [
            (&scrape_only[..], &["scrape"][..], "scrape targets"),
            (
                &http_only[..],
                &["scrape", "prometheus"][..],
                "scrape and prometheus targets",
            ),
            (
                &prometheus_only[..],
                &["prometheus"][..],
                "prometheus targets",
            ),
        ] {
            if kinds.contains(&kind) {
                continue;
            }
            if let Some((key, _)) = keys.iter().find(|(_, set)| *set) {
                return Err(at(
                    kind_span,
                    key,
                    format!("`{key}` is for {which}, not {kind}"),
                ));
            }
        }
        if kind != "command" && self.restart {
            return Err(at(
                kind_span,
                "restart",
                format!("`restart` is for command targets, not {kind}"),
            ));
        }
        let http = self.http().options(dir);
        let restart_before_oom = match self.restart_before_oom {
            Some(d) if kind != "command" => {
                return Err(at(
                    d.span(),
                    "restart_before_oom",
                    format!("`restart_before_oom` is for command targets (leakscope restarts only what it started), not {kind}"),
                ))
            }
            Some(d) if d.get_ref().0.is_zero() => {
                return Err(at(d.span(), "restart_before_oom", "must be more than 0".into()))
            }
            Some(d) => Some(d.into_inner().0),
            None => None,
        };
        if let Some(p) = &self.pprof {
            leakscope_probe::http::validate_url(p.get_ref())
                .map_err(|e| at(p.span(), "pprof", e.to_string()))?;
        }
        let pprof = self.pprof.map(Spanned::into_inner);
        let spec = match kind {
            "pid" => SourceSpec::Pid {
                pid: self.pid.map(Spanned::into_inner).unwrap_or(0),
                pss: self.pss,
            },
            "process" => {
                let p = self
                    .process
                    .ok_or_else(|| at(kind_span.clone(), "process", "missing".into()))?;
                crate::source::compile_pattern(p.get_ref())
                    .map_err(|e| at(p.span(), "process", e.to_string()))?;
                SourceSpec::Process {
                    pattern: p.into_inner(),
                    pss: self.pss,
                }
            }
            "cgroup" => SourceSpec::Cgroup {
                path: self.cgroup.map(Spanned::into_inner).unwrap_or_default(),
            },
            "scrape" => {
                let url = self
                    .scrape
                    .ok_or_else(|| at(kind_span.clone(), "scrape", "missing".into()))?;
                leakscope_probe::http::validate_url(url.get_ref())
                    .map_err(|e| at(url.span(), "scrape", e.to_string()))?;
                let metrics = match self.metrics {
                    Some(m) => {
                        for name in m.get_ref() {
                            leakscope_probe::scrape::Selector::parse(name).map_err(|e| {
                                at(m.span(), "metrics", format!("{name:?}: {}", e.message))
                            })?;
                        }
                        m.into_inner()
                    }
                    None => Vec::new(),
                };
                let mut units = Vec::new();
                for (name, unit) in self.units.unwrap_or_default() {
                    let u: SeriesUnit = unit
                        .get_ref()
                        .parse()
                        .map_err(|m| at(unit.span(), "units", m))?;
                    units.push((name, u));
                }
                SourceSpec::Scrape {
                    url: url.into_inner(),
                    metrics,
                    units,
                    http,
                    check_at_start: true,
                }
            }
            "prometheus" => {
                let url = self
                    .prometheus
                    .ok_or_else(|| at(kind_span.clone(), "prometheus", "missing".into()))?;
                leakscope_probe::http::validate_url(url.get_ref())
                    .map_err(|e| at(url.span(), "prometheus", e.to_string()))?;
                let query = self.query.ok_or_else(|| {
                    at(
                        kind_span.clone(),
                        "query",
                        "a prometheus target needs `query`: the PromQL expression whose series to judge".into(),
                    )
                })?;
                if query.get_ref().trim().is_empty() {
                    return Err(at(query.span(), "query", "an empty query".into()));
                }
                let positive = |d: Option<Spanned<Dur>>, key: &str, default: Duration| match d {
                    Some(d) if d.get_ref().0 < Duration::from_secs(1) => {
                        Err(at(d.span(), key, "must be at least 1s".into()))
                    }
                    Some(d) => Ok(d.into_inner().0),
                    None => Ok(default),
                };
                let every = positive(self.every, "every", DEFAULT_EVERY)?;
                let range = positive(self.range, "range", DEFAULT_RANGE)?;
                let mut endpoint = leakscope_fleet::Endpoint::new(url.into_inner());
                endpoint.timeout = positive(self.timeout, "timeout", endpoint.timeout)?;
                endpoint.http = http;
                SourceSpec::Prometheus {
                    endpoint,
                    query: query.into_inner(),
                    every,
                    range,
                    limit_query: self.limit_query.map(Spanned::into_inner),
                }
            }
            _ => {
                let argv = self
                    .command
                    .ok_or_else(|| at(kind_span.clone(), "command", "missing".into()))?;
                if argv.get_ref().is_empty() {
                    return Err(at(argv.span(), "command", "an empty command".into()));
                }
                SourceSpec::Command {
                    argv: argv.into_inner(),
                    restart: self.restart,
                    pss: self.pss,
                }
            }
        };
        Ok(TargetSettings {
            name: self.name,
            spec,
            rules: self.rules.map(|r| r.apply(shared)),
            limit_bytes: self.limit.map(|b| b.0),
            labels: Vec::new(),
            pprof,
            restart_before_oom,
        })
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiverEntry {
    // The kind: exactly one of these.
    webhook: Option<Spanned<String>>,
    alertmanager: Option<Spanned<String>>,
    // Alertmanager only.
    resend: Option<Spanned<Dur>>,
    ca_file: Option<PathBuf>,
    bearer_token_file: Option<PathBuf>,
    basic_auth_user: Option<String>,
    basic_auth_password_file: Option<PathBuf>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

impl ReceiverEntry {
    fn spec(
        self,
        dir: &Path,
        text: &str,
        path: &Path,
        span: Range<usize>,
    ) -> Result<ReceiverSpec, ConfigError> {
        let at = |span: Range<usize>, key: &str, message: String| {
            invalid(text, path, span, Some(key.to_string()), message)
        };
        let http = self.http().options(dir);
        match (self.webhook, self.alertmanager) {
            (Some(url), None) => {
                leakscope_probe::http::validate_url(url.get_ref())
                    .map_err(|e| at(url.span(), "webhook", e.to_string()))?;
                if let Some(r) = self.resend {
                    return Err(at(
                        r.span(),
                        "resend",
                        "`resend` is for alertmanager receivers, not webhooks".into(),
                    ));
                }
                Ok(ReceiverSpec::Webhook {
                    url: url.into_inner(),
                    http,
                })
            }
            (None, Some(url)) => {
                leakscope_probe::http::validate_url(url.get_ref())
                    .map_err(|e| at(url.span(), "alertmanager", e.to_string()))?;
                let resend = match self.resend {
                    Some(r) if r.get_ref().0 < Duration::from_secs(1) => {
                        return Err(at(r.span(), "resend", "must be at least 1s".into()))
                    }
                    Some(r) => r.into_inner().0,
                    None => DEFAULT_RESEND,
                };
                Ok(ReceiverSpec::Alertmanager {
                    url: url.into_inner(),
                    http,
                    resend,
                })
            }
            (Some(_), Some(a)) => Err(at(
                a.span(),
                "alertmanager",
                "a receiver is a webhook or an Alertmanager, not both; write two [[receiver]] entries".into(),
            )),
            (None, None) => Err(invalid(
                text,
                path,
                span,
                None,
                "this receiver names no kind; give webhook = \"URL\" (the Alertmanager webhook format) or alertmanager = \"URL\" (Alertmanager's base URL)".into(),
            )),
        }
    }

    fn http(&self) -> HttpEntry {
        HttpEntry {
            ca_file: self.ca_file.clone(),
            bearer_token_file: self.bearer_token_file.clone(),
            basic_auth_user: self.basic_auth_user.clone(),
            basic_auth_password_file: self.basic_auth_password_file.clone(),
            headers: self.headers.clone(),
        }
    }
}

/// A duration written as `"30s"`, `"1h30m"`, `"30d"`, or a number of seconds.
#[derive(Debug, Clone, Copy)]
struct Dur(Duration);

impl<'de> Deserialize<'de> for Dur {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(f64),
            S(String),
        }
        let err = |m: String| serde::de::Error::custom(m);
        match Raw::deserialize(d)? {
            Raw::N(n) if n.is_finite() && n >= 0.0 => Ok(Dur(Duration::from_secs_f64(n))),
            Raw::N(n) => Err(err(format!("{n} is not a duration"))),
            Raw::S(s) => humantime::parse_duration(s.trim()).map(Dur).map_err(|e| {
                err(format!(
                    "{s:?} is not a duration ({e}): write e.g. \"30s\", \"10m\" or \"30d\""
                ))
            }),
        }
    }
}

/// A size in bytes written as `"500MB"`, `"2GiB"`, or a number of bytes.
#[derive(Debug, Clone, Copy)]
struct Bytes(f64);

impl<'de> Deserialize<'de> for Bytes {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(f64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) if n.is_finite() && n >= 0.0 => Ok(Bytes(n)),
            Raw::N(n) => Err(serde::de::Error::custom(format!("{n} is not a size"))),
            Raw::S(s) => leakscope_core::units::parse_bytes(&s)
                .map(Bytes)
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(text: &str) -> Result<Settings, ConfigError> {
        parse(text, Path::new("/etc/leakscope.toml"))
    }

    #[test]
    fn a_full_config_fills_the_settings() {
        let s = check(
            r#"
interval = "10s"
listen = "127.0.0.1:9464"
[store]
path = "data/leakscope.db"
retention = "30d"
[rules]
alert_growth = "20MB"
alert_for = "30m"
[[target]]
name = "api"
process = "node .*server.js"
[target.rules]
alert_growth_percent = 150
[[target]]
scrape = "https://127.0.0.1:9100/metrics"
metrics = ["jvm_threads_live"]
units = { jvm_threads_live = "count" }
ca_file = "ca.pem"
[[receiver]]
webhook = "https://hooks.example/alert"
"#,
        )
        .expect("valid");
        assert_eq!(s.interval, Duration::from_secs(10));
        assert_eq!(s.store.retention, Some(Duration::from_secs(30 * 86400)));
        assert_eq!(s.store.path, Some(PathBuf::from("/etc/data/leakscope.db")));
        assert_eq!(s.rules.growth_bytes_per_hour, 20e6);
        assert_eq!(s.targets.len(), 2);
        let api = &s.targets[0];
        assert_eq!(api.name(), "api");
        let r = api.rules.as_ref().expect("own rules");
        assert_eq!(r.growth_percent_per_hour, Some(150.0));
        assert_eq!(r.growth_bytes_per_hour, 20e6, "the shared rules underneath");
        assert_eq!(r.growth_for_seconds, 1800.0, "the shared rules underneath");
        match &s.targets[1].spec {
            SourceSpec::Scrape { units, http, .. } => {
                assert_eq!(
                    units,
                    &vec![("jvm_threads_live".to_string(), SeriesUnit::Count)]
                );
                assert_eq!(http.ca_file, Some(PathBuf::from("/etc/ca.pem")));
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(s.receivers.len(), 1);
    }

    #[test]
    fn growth_rule_keys_are_read() {
        let s = check("[rules]\nalert_floor_confirms = false\nalert_keep_firing_for = \"3h\"\n[[target]]\npid = 1\n[target.rules]\nalert_floor_confirms = true\n")
            .expect("valid");
        assert!(!s.rules.growth_floor_confirms);
        assert_eq!(s.rules.growth_keep_firing_seconds, Some(3.0 * 3600.0));
        let r = s.targets[0].rules.as_ref().expect("own rules");
        assert!(r.growth_floor_confirms, "the target's own key");
        assert_eq!(
            r.growth_keep_firing_seconds,
            Some(3.0 * 3600.0),
            "the shared rules underneath"
        );
        let defaults = check("[[target]]\npid = 1\n").expect("valid");
        assert_eq!(defaults.rules, AlertRules::default());
        let err = check("[rules]\nalert_floor_confirms = \"no\"\n").expect_err("not a bool");
        assert!(
            err.to_string().contains("alert_floor_confirms") || err.to_string().contains("line 2"),
            "{err}"
        );
    }

    #[test]
    fn restart_before_oom_is_for_command_targets() {
        let s = check(
            "limit = \"512MiB\"\n[[target]]\ncommand = [\"./svc\"]\nrestart_before_oom = \"10m\"\n",
        )
        .expect("valid");
        assert_eq!(
            s.targets[0].restart_before_oom,
            Some(Duration::from_secs(600))
        );
        let e = check("[[target]]\npid = 42\nrestart_before_oom = \"10m\"\n").unwrap_err();
        assert_eq!(e.line(), Some(3), "{e}");
        assert_eq!(e.key(), Some("restart_before_oom"), "{e}");
        assert!(e.to_string().contains("command targets"), "{e}");
        let e = check("[[target]]\ncommand = [\"x\"]\nrestart_before_oom = \"0s\"\n").unwrap_err();
        assert!(e.to_string().contains("more than 0"), "{e}");
    }

    #[test]
    fn diagnose_is_a_switch_or_a_table() {
        let on = check("diagnose = true\n").expect("valid");
        assert_eq!(on.diagnose, Some(DiagnoseSettings::default()));
        assert_eq!(check("diagnose = false\n").expect("valid").diagnose, None);
        assert_eq!(check("").expect("valid").diagnose, None);
        let t = check(
            "[diagnose]\ncaptures = 2\nmax_spacing = \"30s\"\nperiod = \"2h\"\ndisk_budget = \"500MB\"\ndir = \"ev\"\n[[target]]\ncommand = [\"./svc\"]\npprof = \"http://127.0.0.1:6060\"\n",
        )
        .expect("valid");
        let d = t.diagnose.expect("on");
        assert_eq!(d.captures, 2);
        assert_eq!(d.max_spacing, Duration::from_secs(30));
        assert_eq!(d.period, Duration::from_secs(7200));
        assert_eq!(d.disk_budget_bytes, 500_000_000);
        assert_eq!(d.dir, Some(PathBuf::from("/etc/ev")));
        assert_eq!(t.targets[0].pprof.as_deref(), Some("http://127.0.0.1:6060"));
        for (text, words) in [
            ("[diagnose]\ncaptures = 9\n", "2 to 5 captures"),
            ("[diagnose]\nperiodd = \"1h\"\n", "unknown field"),
            ("[[target]]\npid = 1\npprof = \"localhost:6060\"\n", "http"),
        ] {
            let e = check(text).expect_err(text);
            assert!(e.to_string().contains(words), "{text}: {e}");
        }
    }

    #[test]
    fn prometheus_targets_and_alertmanager_receivers() {
        let s = check(
            r#"
min_span = "5m"
[[target]]
name = "shop"
prometheus = "https://mimir:8080/prometheus"
query = 'container_memory_working_set_bytes{namespace="shop",container!=""}'
every = "2m"
limit_query = "container_spec_memory_limit_bytes > 0"
bearer_token_file = "token"
headers = { "X-Scope-OrgID" = "tenant-1" }
[[receiver]]
alertmanager = "http://127.0.0.1:9093"
resend = "30s"
ca_file = "am-ca.pem"
[[receiver]]
alertmanager = "http://127.0.0.1:9094"
"#,
        )
        .expect("valid");
        assert_eq!(s.min_span, Some(Duration::from_secs(300)));
        match &s.targets[0].spec {
            SourceSpec::Prometheus {
                endpoint,
                query,
                every,
                range,
                limit_query,
            } => {
                assert_eq!(endpoint.base_url, "https://mimir:8080/prometheus");
                assert_eq!(
                    endpoint.http.bearer_token_file,
                    Some(PathBuf::from("/etc/token"))
                );
                assert_eq!(
                    endpoint.http.headers,
                    vec![("X-Scope-OrgID".to_string(), "tenant-1".to_string())]
                );
                assert!(query.starts_with("container_memory_working_set_bytes{"));
                assert_eq!(*every, Duration::from_secs(120));
                assert_eq!(*range, DEFAULT_RANGE);
                assert!(limit_query.is_some());
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(
            s.receivers,
            vec![
                ReceiverSpec::Alertmanager {
                    url: "http://127.0.0.1:9093".into(),
                    http: HttpOptions {
                        ca_file: Some(PathBuf::from("/etc/am-ca.pem")),
                        ..Default::default()
                    },
                    resend: Duration::from_secs(30),
                },
                ReceiverSpec::Alertmanager {
                    url: "http://127.0.0.1:9094".into(),
                    http: HttpOptions::default(),
                    resend: DEFAULT_RESEND,
                },
            ]
        );
    }

    #[test]
    fn mistakes_name_the_line_and_the_key() {
        let cases: &[(&str, usize, &str, &str)] = &[
            ("intervall = \"10s\"\n", 1, "intervall", "unknown field"),
            ("interval = \"soon\"\n", 1, "interval", "not a duration"),
            (
                "\n[[target]]\npid = 1\nprocess = \"x\"\n",
                4,
                "process",
                "one kind",
            ),
            (
                "[[target]]\nprocess = \"(\"\n",
                2,
                "process",
                "regular expression",
            ),
            ("[[target]]\nscrape = \"ftp://x\"\n", 2, "scrape", "http"),
            (
                "[[target]]\npid = 1\nmetrics = [\"m\"]\n",
                2,
                "metrics",
                "scrape targets",
            ),
            (
                "[rules]\nalert_above = \"5 parsecs\"\n",
                2,
                "alert_above",
                "",
            ),
            (
                "[[receiver]]\nwebhook = \"localhost:1\"\n",
                2,
                "webhook",
                "http",
            ),
            (
                "[[target]]\nname = \"a\"\npid = 1\n[[target]]\nname = \"a\"\npid = 2\n",
                4,
                "name",
                "second target",
            ),
            ("[[target]]\nname = \"a\"\n", 1, "", "names no kind"),
            (
                "[[target]]\nprometheus = \"http://p:9090\"\n",
                2,
                "query",
                "needs `query`",
            ),
            (
                "[[target]]\npid = 1\nquery = \"m\"\n",
                2,
                "query",
                "prometheus targets",
            ),
            (
                "[[target]]\nprometheus = \"http://p:9090\"\nquery = \"m\"\nevery = \"0s\"\n",
                4,
                "every",
                "at least 1s",
            ),
            (
                "[[receiver]]\nwebhook = \"http://h\"\nalertmanager = \"http://a\"\n",
                3,
                "alertmanager",
                "not both",
            ),
            (
                "[[receiver]]\nwebhook = \"http://h\"\nresend = \"1m\"\n",
                3,
                "resend",
                "alertmanager receivers",
            ),
            ("\n[[receiver]]\nca_file = \"x\"\n", 2, "", "names no kind"),
            (
                "[[receiver]]\nalertmanager = \"am:9093\"\n",
                2,
                "alertmanager",
                "http",
            ),
            (
                "[store]\nretention = \"0s\"\n",
                2,
                "retention",
                "invalid retention",
            ),
        ];
        for (text, line, key, words) in cases {
            let e = check(text).expect_err(text);
            assert_eq!(e.line(), Some(*line), "{text}: {e}");
            if !key.is_empty() {
                assert_eq!(e.key(), Some(*key), "{text}: {e}");
            }
            assert!(e.to_string().contains(words), "{text}: {e}");
            assert!(e.to_string().contains("/etc/leakscope.toml: line"), "{e}");
        }
    }
}
