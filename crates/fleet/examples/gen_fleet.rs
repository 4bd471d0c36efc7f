//! Generates a labeled fleet of container memory series for the fleet benchmark: OpenMetrics
//! files, one per 2-hour block window (so that `promtool tsdb create-blocks-from openmetrics`
//! reads each sample once), plus `truth.jsonl` (one line per series: labels, leak or not, the
//! shape) and `meta.json` (start, end, step).
//!
//! Beside `container_memory_working_set_bytes` (cAdvisor) it writes, at the same times, what a
//! Kubernetes cluster exports about the same containers:
//! - `container_spec_memory_limit_bytes` (cAdvisor, same labels): a leak restarted at a limit
//!   is OOM-killed there, so its limit is the height its runs reach (and its working set never
//!   passes it); every other container has a round limit (a multiple of 64 MiB) 1.25–3 × above
//!   its peak over the range, except one in five that has none (0, as cAdvisor reports an
//!   unlimited container: Burstable pods without a memory limit are common);
//! - `kube_pod_container_status_restarts_total` (kube-state-metrics: `namespace, pod,
//!   container`), which counts each OOM kill of a leak restarted at its limit when it happens;
//!   every other container stays at 0, except 3 % of the stable ones (memory flat at its base,
//!   so a restart leaves no mark on the curve) restarted once or twice for unrelated reasons
//!   (a failed liveness probe, an evicted pod's container).
//!
//! Those extras draw from a generator seeded by each series' own seed, so the memory series are
//! the same as before they were written.
//!
//! ```text
//! cargo run --release -p leakscope-fleet --example gen_fleet -- OUT_DIR [SERIES] [DAYS] [STEP_S] [END_UNIX]
//! ```
//!
//! Workloads (deployments of 2–6 replicas, some with a sidecar) draw a shape: stable, GC
//! sawtooth, daily cycle, cache filling to a plateau, step, recovered spike, declining, or a
//! leak (linear, rising floor under a sawtooth, restarts at a limit, late onset, bursts, under
//! a daily cycle); some have one replica leaking alone, some roll out a new version mid-range
//! that leaks while the old one did not.

use std::fmt::Write as _;
use std::io::Write as _;
use std::path::PathBuf;

use leakscope_core::corpus::Rng;

const MB: f64 = 1e6;
const H: f64 = 3600.0;
const BLOCK: i64 = 7200;

#[derive(Debug, Clone, Copy, PartialEq)]
enum Shape {
    Stable,
    Sawtooth { amp: f64, period: f64 },
    Cycle { amp: f64, phase: f64 },
    Plateau { size: f64, t0: f64, tau: f64 },
    Step { size: f64, at: f64 },
    Spike { size: f64, at: f64, width: f64 },
    Declining { size: f64, tau: f64 },
    Linear { g: f64 },
    RisingFloor { g: f64, amp: f64, period: f64 },
    Restarts { g: f64, every: f64 },
    LateOnset { g: f64, at: f64 },
    Bursts { jump: f64, every: f64 },
    UnderCycle { g: f64, amp: f64, phase: f64 },
}

impl Shape {
    fn name(self) -> &'static str {
        match self {
            Shape::Stable => "stable",
            Shape::Sawtooth { .. } => "sawtooth",
            Shape::Cycle { .. } => "cyclic",
            Shape::Plateau { .. } => "plateau",
            Shape::Step { .. } => "step",
            Shape::Spike { .. } => "spike-recovered",
            Shape::Declining { .. } => "declining",
            Shape::Linear { .. } => "linear-growth",
            Shape::RisingFloor { .. } => "rising-floor",
            Shape::Restarts { .. } => "leak-with-restarts",
            Shape::LateOnset { .. } => "late-onset-leak",
            Shape::Bursts { .. } => "growth-in-bursts",
            Shape::UnderCycle { .. } => "leak-under-cycle",
        }
    }

    /// True when the shape leaks over `[from, to]` (seconds since the range start).
    fn leaks(self, from: f64, to: f64) -> bool {
        match self {
            Shape::Linear { .. }
            | Shape::RisingFloor { .. }
            | Shape::Bursts { .. }
            | Shape::UnderCycle { .. } => true,
            Shape::Restarts { .. } => true,
            Shape::LateOnset { at, .. } => from + at < to - 12.0 * H,
            _ => false,
        }
    }

    /// Memory above the base at `x` seconds since the series began.
    fn value(self, x: f64, day_x: f64) -> f64 {
        let saw = |amp: f64, period: f64| amp * (x / period).fract();
        let cycle = |amp: f64, phase: f64| {
            amp * (0.5 - 0.5 * (std::f64::consts::TAU * day_x / 86400.0 + phase).cos())
        };
        match self {
            Shape::Stable => 0.0,
            Shape::Sawtooth { amp, period } => saw(amp, period),
            Shape::Cycle { amp, phase } => cycle(amp, phase),
            Shape::Plateau { size, t0, tau } => {
                if x < t0 {
                    0.0
                } else {
                    size * (1.0 - (-(x - t0) / tau).exp())
                }
            }
            Shape::Step { size, at } => size * ((x - at) / 600.0).clamp(0.0, 1.0),
            Shape::Spike { size, at, width } => size * (-((x - at) / width).powi(2)).exp(),
            Shape::Declining { size, tau } => size * (-x / tau).exp(),
            Shape::Linear { g } => g * x / H,
            Shape::RisingFloor { g, amp, period } => g * x / H + saw(amp, period),
            Shape::Restarts { g, every } => g * (x % every) / H,
            Shape::LateOnset { g, at } => g * (x - at).max(0.0) / H,
            Shape::Bursts { jump, every } => {
                let k = (x / every).floor();
                jump * (k + ((x - k * every) / 900.0).clamp(0.0, 1.0))
            }
            Shape::UnderCycle { g, amp, phase } => g * x / H + cycle(amp, phase),
        }
    }
}

/// Draws a leak rate, bytes per hour: log-uniform from 1.5 to 60 MB/h.
fn rate(r: &mut Rng) -> f64 {
    r.log_range(1.5 * MB, 60.0 * MB)
}

fn no_leak_shape(r: &mut Rng, span: f64) -> Shape {
    let u = r.f();
    if u < 0.28 {
        Shape::Stable
    } else if u < 0.52 {
        Shape::Sawtooth {
            amp: r.log_range(5.0 * MB, 200.0 * MB),
            period: r.range(600.0, 3000.0),
        }
    } else if u < 0.74 {
        Shape::Cycle {
            amp: r.log_range(10.0 * MB, 400.0 * MB),
            phase: r.range(0.0, std::f64::consts::TAU),
        }
    } else if u < 0.84 {
        Shape::Plateau {
            size: r.log_range(40.0 * MB, 600.0 * MB),
            t0: r.range(0.0, 0.4 * span),
            tau: r.range(2.0 * H, 14.0 * H),
        }
    } else if u < 0.91 {
        Shape::Step {
            size: r.log_range(20.0 * MB, 300.0 * MB),
            at: r.range(0.15 * span, 0.7 * span),
        }
    } else if u < 0.96 {
        Shape::Spike {
            size: r.log_range(30.0 * MB, 500.0 * MB),
            at: r.range(0.1 * span, 0.8 * span),
            width: r.range(1.0 * H, 4.0 * H),
        }
    } else {
        Shape::Declining {
            size: r.log_range(30.0 * MB, 300.0 * MB),
            tau: r.range(3.0 * H, 24.0 * H),
        }
    }
}

fn leak_shape(r: &mut Rng, span: f64) -> Shape {
    let g = rate(r);
    match r.int(0, 5) {
        0 => Shape::Linear { g },
        1 => Shape::RisingFloor {
            g,
            amp: r.log_range(10.0 * MB, 150.0 * MB),
            period: r.range(600.0, 3000.0),
        },
        2 => Shape::Restarts {
            g: g.max(5.0 * MB),
            every: r.range(24.0 * H, 60.0 * H),
        },
        3 => Shape::LateOnset {
            g,
            at: r.range(0.3 * span, 0.7 * span),
        },
        4 => Shape::Bursts {
            jump: r.log_range(15.0 * MB, 80.0 * MB),
            every: r.range(5.0 * H, 14.0 * H),
        },
        _ => Shape::UnderCycle {
            g,
            amp: r.log_range(10.0 * MB, 300.0 * MB),
            phase: r.range(0.0, std::f64::consts::TAU),
        },
    }
}

/// One series of the fleet.
struct Series {
    labels: String,
    truth_labels: Vec<(String, String)>,
    shape: Shape,
    base: f64,
    noise: f64,
    /// Seconds since the range start: alive from..to.
    from: f64,
    to: f64,
    offset: f64,
    seed: u64,
    leak: bool,
    /// `container_spec_memory_limit_bytes`: 0 when the container has none.
    limit: f64,
    /// Seconds since the range start at which the container restarted (OOM kills of a leak
    /// restarted at its limit, or unrelated restarts of a stable one).
    restarts_at: Vec<f64>,
    /// kube-state-metrics' selector of the container's restart counter.
    restart_labels: String,
}

const MIB: f64 = 1024.0 * 1024.0;

impl Series {
    /// The memory limit and the restarts of the container, drawn from its own seed: a leak
    /// restarted at its limit is killed at the height its runs reach; every other container
    /// has a round limit with headroom above its peak over the range, or none.
    fn draw_limit_and_restarts(&mut self, step: f64) {
        let mut r = Rng::new(self.seed ^ 0x005E_ED0F_11A1);
        if let Shape::Restarts { g, every } = self.shape {
            // Killed when the working set reaches the limit: the top of every run.
            self.limit = ((self.base + g * every / H) / MIB).ceil() * MIB;
            let mut x = self.from + every;
            while x < self.to {
                self.restarts_at.push(x);
                x += every;
            }
            return;
        }
        let mut peak = self.base;
        let mut x = self.from;
        while x < self.to {
            peak = peak.max(self.base + self.shape.value(x - self.from, x));
            x += step;
        }
        peak += 4.0 * self.noise;
        self.limit = if r.chance(0.2) {
            0.0
        } else {
            let chunk = 64.0 * MIB;
            ((peak * r.range(1.25, 3.0)) / chunk).ceil() * chunk
        };
        if self.shape == Shape::Stable && r.chance(0.03) {
            for _ in 0..r.int(1, 2) {
                self.restarts_at.push(r.range(self.from, self.to));
            }
            self.restarts_at.sort_by(f64::total_cmp);
        }
    }

    /// Restarts counted by time `x` (seconds since the range start).
    fn restarts_by(&self, x: f64) -> usize {
        self.restarts_at.partition_point(|&r| r <= x)
    }
}

fn hash_noise(seed: u64, i: u64) -> f64 {
    let mut r = Rng::new(seed ^ i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    r.normal()
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let out = PathBuf::from(
        args.first()
            .ok_or("usage: gen_fleet OUT_DIR [SERIES] [DAYS] [STEP_S] [END_UNIX]")?,
    );
    let want: usize = args.get(1).map_or(Ok(10_000), |s| s.parse())?;
    let days: f64 = args.get(2).map_or(Ok(7.0), |s| s.parse())?;
    let step: i64 = args.get(3).map_or(Ok(300), |s| s.parse())?;
    let end: i64 = match args.get(4) {
        Some(s) => s.parse()?,
        None => {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)?
                .as_secs() as i64;
            (now - 4 * 3600) / BLOCK * BLOCK
        }
    };
    let span = days * 86400.0;
    let start = end - span as i64;
    std::fs::create_dir_all(&out)?;
    let mut r = Rng::new(20_261_124);
    let mut fleet: Vec<Series> = Vec::new();
    let mut d = 0usize;
    while fleet.len() < want {
        let ns = format!("ns-{:02}", d % 20);
        let dep = format!("svc-{d:04}");
        let replicas = r.int(2, 6) as usize;
        let sidecar = r.chance(0.2);
        let u = r.f();
        // What happens to the workload.
        let (kind, shape) = if u < 0.12 {
            ("leak", leak_shape(&mut r, span))
        } else if u < 0.16 {
            ("lone", no_leak_shape(&mut r, span))
        } else if u < 0.20 {
            ("new-version", no_leak_shape(&mut r, span))
        } else {
            ("fine", no_leak_shape(&mut r, span))
        };
        let base = r.log_range(30.0 * MB, 2000.0 * MB);
        let noise = (base * r.range(0.001, 0.006)).max(0.2 * MB);
        let lone = r.int(0, replicas as u64 - 1) as usize;
        let rollout = r.range(0.35 * span, 0.8 * span);
        let new_leak = leak_shape(&mut r, span);
        let versions: Vec<(&str, f64, f64)> = if kind == "new-version" {
            vec![("v1", 0.0, rollout), ("v2", rollout, span)]
        } else {
            vec![("v1", 0.0, span)]
        };
        for (vi, &(version, from, to)) in versions.iter().enumerate() {
            let hash = format!("{:x}", r.next_u64() % 0xfff_ffff);
            for k in 0..replicas {
                let pod = format!("{dep}-{hash}-{:05x}", r.next_u64() % 0xfffff);
                let mut containers = vec![("app", shape, base, noise)];
                if sidecar {
                    containers.push((
                        "proxy",
                        Shape::Stable,
                        r.range(30.0 * MB, 80.0 * MB),
                        0.3 * MB,
                    ));
                }
                for (ci, (container, mut sh, b, nz)) in containers.into_iter().enumerate() {
                    if ci == 0 && kind == "lone" && k == lone {
                        sh = Shape::Linear { g: rate(&mut r) };
                    }
                    if ci == 0 && kind == "new-version" && vi == 1 {
                        sh = new_leak;
                    }
                    let labels = [
                        ("namespace", ns.as_str()),
                        ("deployment", dep.as_str()),
                        ("version", version),
                        ("pod", pod.as_str()),
                        ("container", container),
                    ];
                    let mut sel = String::from("container_memory_working_set_bytes{");
                    for (i, (k, v)) in labels.iter().enumerate() {
                        if i > 0 {
                            sel.push(',');
                        }
                        let _ = write!(sel, "{k}=\"{v}\"");
                    }
                    sel.push('}');
                    let restart_labels = format!(
                        "kube_pod_container_status_restarts_total{{namespace=\"{ns}\",pod=\"{pod}\",container=\"{container}\"}}"
                    );
                    let jitter = r.range(0.97, 1.03);
                    let sh = match sh {
                        Shape::Linear { g } => Shape::Linear { g: g * jitter },
                        other => other,
                    };
                    fleet.push(Series {
                        labels: sel,
                        truth_labels: labels
                            .iter()
                            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                            .collect(),
                        shape: sh,
                        base: b * r.range(0.9, 1.1),
                        noise: nz,
                        from,
                        to,
                        offset: r.range(0.0, step as f64 - 1.0).floor(),
                        seed: r.next_u64(),
                        leak: sh.leaks(from, to),
                        limit: 0.0,
                        restarts_at: Vec::new(),
                        restart_labels,
                    });
                }
            }
        }
        d += 1;
    }

    for s in &mut fleet {
        s.draw_limit_and_restarts(step as f64);
    }

    let mut truth = std::io::BufWriter::new(std::fs::File::create(out.join("truth.jsonl"))?);
    for s in &fleet {
        let labels: serde_json::Map<String, serde_json::Value> = s
            .truth_labels
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::String(v.clone())))
            .collect();
        writeln!(
            truth,
            "{}",
            serde_json::json!({"labels": labels, "leak": s.leak, "shape": s.shape.name()})
        )?;
    }
    truth.flush()?;

    let mut samples = 0u64;
    let mut block = start / BLOCK * BLOCK;
    let mut files = 0;
    while block < end {
        let path = out.join(format!("block-{block}.om"));
        let mut w = std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(&path)?);
        let mut line = String::new();
        // One family after another (OpenMetrics keeps a family's samples together), each
        // sampled at the memory series' own times.
        for family in 0..3 {
            let _ = match family {
                0 => writeln!(w, "# TYPE container_memory_working_set_bytes gauge"),
                1 => writeln!(w, "# TYPE container_spec_memory_limit_bytes gauge"),
                _ => writeln!(w, "# TYPE kube_pod_container_status_restarts counter"),
            };
            for s in &fleet {
                // Sample times: start + offset + k*step, within [block, block+BLOCK) and alive.
                let t_first = start as f64 + s.offset;
                let k0 = (((block as f64 - t_first) / step as f64).ceil()).max(0.0) as u64;
                let mut k = k0;
                loop {
                    let t = t_first + (k * step as u64) as f64;
                    if t >= (block + BLOCK) as f64 || t > end as f64 {
                        break;
                    }
                    let x = t - start as f64;
                    if x >= s.from && x < s.to {
                        line.clear();
                        match family {
                            0 => {
                                let mut v = s.base
                                    + s.shape.value(x - s.from, t)
                                    + s.noise * hash_noise(s.seed, k);
                                if matches!(s.shape, Shape::Restarts { .. }) {
                                    // OOM-killed at the limit: the working set never passes it.
                                    v = v.min(s.limit);
                                }
                                let _ = writeln!(
                                    line,
                                    "{} {} {}",
                                    s.labels,
                                    v.max(1e6).round(),
                                    t as i64
                                );
                                samples += 1;
                            }
                            1 => {
                                let name = s.labels.replacen(
                                    "container_memory_working_set_bytes",
                                    "container_spec_memory_limit_bytes",
                                    1,
                                );
                                let _ = writeln!(line, "{name} {} {}", s.limit, t as i64);
                            }
                            _ => {
                                let _ = writeln!(
                                    line,
                                    "{} {} {}",
                                    s.restart_labels,
                                    s.restarts_by(x),
                                    t as i64
                                );
                            }
                        }
                        w.write_all(line.as_bytes())?;
                    }
                    k += 1;
                }
            }
        }
        writeln!(w, "# EOF")?;
        w.flush()?;
        files += 1;
        block += BLOCK;
    }
    let leaks = fleet.iter().filter(|s| s.leak).count();
    let limited = fleet.iter().filter(|s| s.limit > 0.0).count();
    let restarted = fleet.iter().filter(|s| !s.restarts_at.is_empty()).count();
    std::fs::write(
        out.join("meta.json"),
        serde_json::json!({"start": start, "end": end, "step": step, "series": fleet.len(),
            "leaks": leaks, "samples": samples, "files": files, "with_limit": limited,
            "restarted": restarted})
        .to_string(),
    )?;
    eprintln!(
        "{} series ({leaks} leak), {samples} samples in {files} files, {start}..{end} at {step} s",
        fleet.len()
    );
    Ok(())
}
