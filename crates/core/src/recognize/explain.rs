//! From evaluations to the verdict people read: which stretch decided, the numbers behind it
//! in words they can check, how sure it is, and when it might be wrong (a caveat).

use super::evaluate::{Eval, DAY};
use super::stretch::Plateau;
use super::windows::{self, WINDOWS};
use super::{Assessment, Recognizer, SeriesUnit};
use crate::series::Point;
use crate::units;
use crate::verdict::{Pattern, Verdict, VerdictKind};

/// Below this judged span a steady rise may still be a cache filling at a steady rate: the
/// verdict says so and confidence is scaled down (seconds).
const SHORT_S: f64 = 3600.0;

/// The largest daily swing of a service's working set taken for a cycle's, as a share of its
/// floor: traffic-driven working sets swing 10–60 % a day. A floor that rose further than this
/// within a day is no morning's rise.
const DAILY_SWING: f64 = 0.6;

/// What a verdict was drawn from, for a chart and an explanation a person can check: the
/// bounded summary of the series the recognizer kept, the floor it judged, the restarts it
/// saw and the stretch that decided.
#[derive(Debug, Clone, PartialEq)]
pub struct Explanation {
    /// The verdict explained.
    pub verdict: Verdict,
    /// The series as the recognizer summarized it: time buckets, oldest first (at most
    /// [`super::RecognizeOptions::max_buckets`] of them).
    pub buckets: Vec<SummaryBucket>,
    /// The floor of each run between restarts (the level after each GC, or each cycle's
    /// trough): `t` unix seconds, `v` in the series' unit.
    pub floor: Vec<Point>,
    /// Times of the restarts seen, unix seconds.
    pub restarts_at: Vec<f64>,
    /// Start of the stretch that decided the verdict, unix seconds (null without a verdict).
    pub judged_from: Option<f64>,
}

/// One time bucket of the series summary.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SummaryBucket {
    /// Time of its first and last point, unix seconds.
    pub t_first: f64,
    /// See `t_first`.
    pub t_last: f64,
    /// Smallest, mean and largest value of its points.
    pub min: f64,
    /// See `min`.
    pub mean: f64,
    /// See `min`.
    pub max: f64,
}

/// The explanation of `r`'s verdict (see [`Recognizer::explain`]).
pub(crate) fn explanation(r: &Recognizer) -> Explanation {
    let a = r.current();
    let verdict = verdict(r, &a);
    let mut all = r.buckets.closed.clone();
    all.extend(r.buckets.open);
    let (floor, restarts_at) = super::evaluate::floors(&all, &r.cfg);
    let d = decide(&a);
    let judged_from = match (d.window, r.last) {
        (Some(k), Some(l)) => Some(l.t - WINDOWS[k].seconds),
        _ => Some(d.eval.judged_from).filter(|t| t.is_finite()),
    };
    Explanation {
        verdict,
        buckets: all
            .iter()
            .map(|b| SummaryBucket {
                t_first: b.t_first,
                t_last: b.t_last,
                min: b.lo,
                mean: b.mean(),
                max: b.hi,
            })
            .collect(),
        floor: floor.into_iter().map(|(t, v)| Point::new(t, v)).collect(),
        restarts_at,
        judged_from,
    }
}

/// The stretch that decided the verdict.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Decision {
    pub eval: Eval,
    /// Window index when a trailing window decided (the whole series did not).
    pub window: Option<usize>,
    pub leak: bool,
}

/// Which evaluation decides: the whole series when it calls a leak (or when no window does),
/// else the longest window that confirms one.
pub(crate) fn decide(a: &Assessment) -> Decision {
    if a.main.kind == VerdictKind::Leak {
        return Decision {
            eval: traffic_inside_buckets(a),
            window: None,
            leak: true,
        };
    }
    let confirmed = a.confirmed();
    for k in (0..WINDOWS.len()).rev() {
        if let (true, Some(w)) = (confirmed[k], a.windows[k]) {
            let mut eval = w;
            // Flat for most of the series, growing in the recent window: a late leak.
            let whole_s = a.main.detail.map_or(0.0, |d| d.span_s);
            if whole_s >= 2.0 * WINDOWS[k].seconds
                && !matches!(
                    eval.pattern,
                    Pattern::GrowthInBursts | Pattern::LeakWithRestarts
                )
            {
                eval.pattern = Pattern::LateOnsetLeak;
            }
            eval.restarts = eval.restarts.max(a.main.restarts);
            return Decision {
                eval,
                window: Some(k),
                leak: true,
            };
        }
    }
    let mut eval = traffic_inside_buckets(a);
    // Deploys: restarts to levels held (see `Eval::deploys`; the name only) — what the whole
    // series read as a spike that came back is the level before a deploy, and a plateau the
    // new process's warm-up. (Unless every finer window timed a traffic cycle, above: then
    // the falls may be the cycle's.)
    if eval.deploys && eval.pattern != Pattern::Cyclic {
        eval.pattern = Pattern::Step;
    }
    Decision {
        eval,
        window: None,
        leak: false,
    }
}

/// The whole series' evaluation, named for a traffic cycle when its wide buckets read one as
/// a collector's: a band inside the buckets is any cycle faster than they are, and the whole
/// series names it a sawtooth (or a rising floor under one) from the band alone — or, when
/// the band does not read as a collector's, nothing at all: a flat floor, stable. A cycle
/// inside those buckets is fast enough for every finer window — six hours, a day — to time
/// it: when each of them that judged the series times a cycle of an hour or more (traffic's
/// pace; a cycle one of them alone times is a beat or that resolution's artifact) and the
/// hour's window, a minute a bucket, sees no collector's teeth (a collector's cycle is
/// minutes), the band is that traffic. Names only: the verdict stands.
fn traffic_inside_buckets(a: &Assessment) -> Eval {
    let mut e = a.main;
    let seen = |k: usize| {
        a.windows[k]
            .filter(|w| w.kind != VerdictKind::InsufficientData)
            .map(|w| w.pattern)
    };
    let finer: Vec<Pattern> = (1..WINDOWS.len()).filter_map(seen).collect();
    let timed_traffic = !finer.is_empty()
        && finer
            .iter()
            .all(|p| matches!(p, Pattern::Cyclic | Pattern::LeakUnderCycle));
    let teeth = matches!(seen(0), Some(Pattern::Sawtooth | Pattern::RisingFloor));
    if timed_traffic && !teeth {
        match e.pattern {
            Pattern::Sawtooth | Pattern::Stable => e.pattern = Pattern::Cyclic,
            Pattern::RisingFloor => e.pattern = Pattern::LeakUnderCycle,
            _ => {}
        }
    }
    e
}

/// `confidence` moved towards a coin toss (0.5), keeping `share` of its distance from it:
/// what a caveat takes away from a verdict the evidence cannot yet settle.
fn towards_coin_toss(confidence: f64, share: f64) -> f64 {
    0.5 + (confidence - 0.5) * share
}

/// How much a judged span of `s` seconds counts towards full confidence, 0..1: a minute of
/// evidence is not an hour of it.
fn coverage(s: f64) -> f64 {
    if s >= SHORT_S {
        1.0
    } else {
        (s.max(0.0) / SHORT_S).powf(0.3)
    }
}

/// A duration in words: "45 s", "12 min", "1 h", "3.5 h", "2.1 d".
pub(crate) fn span_words(s: f64) -> String {
    if s > 0.0 && s % 3600.0 == 0.0 && s <= 86400.0 {
        format!("{:.0} h", s / 3600.0)
    } else if s >= 2.0 * 86400.0 {
        format!("{:.1} d", s / 86400.0)
    } else if s >= 5400.0 {
        format!("{:.1} h", s / 3600.0)
    } else if s >= 120.0 {
        format!("{:.0} min", s / 60.0)
    } else {
        format!("{s:.0} s")
    }
}

/// An amount in the series' unit: "12.3 MiB" or "412".
fn amount(u: SeriesUnit, v: f64) -> String {
    match u {
        SeriesUnit::Bytes => units::format_bytes(v),
        SeriesUnit::Count => units::format_count(v),
    }
}

/// A rate per hour in the series' unit: "+4.20 MiB/h" or "+35.0/h".
fn rate(u: SeriesUnit, v: f64) -> String {
    match u {
        SeriesUnit::Bytes => units::format_rate_per_hour(v),
        SeriesUnit::Count => format!("{v:+.1}/h"),
    }
}

/// [`super::names::held_spike`] on every bucket of `r`'s whole series, the open one included.
fn held_spike(r: &Recognizer) -> bool {
    let all = || r.buckets.closed.iter().chain(r.buckets.open.iter());
    let lo: Vec<f64> = all().map(|b| b.lo).collect();
    let hi: Vec<f64> = all().map(|b| b.hi).collect();
    let mean: Vec<f64> = all().map(|b| b.mean()).collect();
    let n: Vec<u32> = all().map(|b| b.n).collect();
    super::names::held_spike(&lo, &hi, &mean, &n)
}

/// The verdict of `r` from its assessment `a`.
pub(crate) fn verdict(r: &Recognizer, a: &Assessment) -> Verdict {
    let d = decide(a);
    let e = d.eval;
    let first = r.first.unwrap_or(Point::new(0.0, 0.0));
    let last = r.last.unwrap_or(first);
    let kind = if d.leak { VerdictKind::Leak } else { e.kind };
    let leak = kind == VerdictKind::Leak;
    let detected_at = if leak {
        r.detected_at.or(Some(last.t))
    } else {
        None
    };
    let growth_bps = if leak || e.kind != VerdictKind::InsufficientData {
        e.growth_bps
    } else {
        0.0
    };
    let growth = growth_bps * 3600.0;
    let time_to_limit_seconds = match r.opts.limit_bytes {
        Some(limit) if leak && growth_bps > 0.0 && limit.is_finite() => {
            let now = if e.floor_now.is_finite() {
                e.floor_now
            } else {
                last.v
            };
            Some(((limit - now) / growth_bps).max(0.0))
        }
        _ => None,
    };
    let judged_s = match d.window {
        Some(k) => WINDOWS[k].seconds,
        None => (last.t - e.judged_from).max(0.0),
    };
    let confirmed = a.confirmed();
    let windows: Vec<_> = (0..WINDOWS.len())
        .filter_map(|k| a.windows[k].map(|w| windows::trend(k, &w, confirmed[k])))
        .collect();
    let mut confidence = if e.confidence.is_finite() {
        e.confidence.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let cover = coverage(judged_s);
    let mut caveat = None;
    if kind != VerdictKind::InsufficientData && cover < 1.0 {
        // Little time judged: confidence moves towards a coin toss.
        confidence = towards_coin_toss(confidence, cover);
        caveat = Some(if leak {
            let slowing = e
                .detail
                .map_or(String::new(), |d| match d.plateau {
                    Plateau::Steady(ratio) => format!(
                        " (its growth has not slowed: the last third grew at {:.0}% of the rate before)",
                        100.0 * ratio
                    ),
                    // Slowing, yet not enough to call a bound: the hard case, said plainly.
                    Plateau::Slowing(ratio) => format!(
                        " (its growth slowed: the last third grew at {:.0}% of the rate before, as a cache nearing its bound would, though not enough to call a plateau)",
                        100.0 * ratio
                    ),
                    Plateau::EasedByHalves(ratio) => format!(
                        " (its growth slowed: the second half grew at {:.0}% of the first half's pace, as a cache still filling would)",
                        100.0 * ratio
                    ),
                    _ => String::new(),
                });
            format!(
                "only {} of growth seen{slowing}: a cache still filling at a steady rate looks the same until it reaches its bound; watch longer to be sure",
                span_words(judged_s)
            )
        } else if let Some(Plateau::SlowsByHalves(ratio)) = e.detail.map(|d| d.plateau) {
            // The hard case of a short recording, said plainly: the fill is told by its pace
            // alone, and a leak whose pace eased for a while would read the same.
            format!(
                "only {} seen and the floor still rising, at {:.0}% of its earlier pace by the second half: a cache still filling slows like this, but a leak whose pace eased for a while cannot be told from it yet; watch longer to be sure",
                span_words(judged_s),
                100.0 * ratio
            )
        } else {
            format!(
                "only {} seen: a leak slower than the noise over that time would not show yet",
                span_words(judged_s)
            )
        });
    }
    // A plateau whose floor still rose beyond the noise in its last third: the growth slowed,
    // as a cache nearing its bound does, but has not stopped; a leak whose pace eased for a
    // while reads the same until the floor holds (or climbs on), and the verdict says so.
    if !leak && caveat.is_none() {
        let slowed = match e.detail.map(|d| d.plateau) {
            Some(Plateau::SlowsAfterWarmUp(ratio)) => Some(format!(
                "the floor's growth kept slowing after its first quarter, to {:.0}% of its earlier pace over the last three-eighths of {}, but still rose beyond the noise",
                100.0 * ratio,
                span_words(judged_s)
            )),
            Some(Plateau::DeceleratesStillRising(ratio)) => Some(format!(
                "the floor's growth slowed to {:.0}% of its earlier pace but still rose beyond the noise in the last third of {}",
                100.0 * ratio,
                span_words(judged_s)
            )),
            _ => None,
        };
        if let Some(slowed) = slowed {
            caveat = Some(format!(
                "{slowed}: a cache nearing its bound slows like this, and so does a leak whose pace eased for a while; watch until the floor holds to be sure"
            ));
        }
    }
    // A leak whose floor grew clearly slower in its second half than in its first: a cache
    // still far from its bound slows the same way, and so does a leak after a warm-up or one
    // whose pace eased; the floor so far cannot tell them apart (a deceleration test strict
    // enough to clear such caches also clears leaks after a warm-up), and the verdict says
    // so. Confidence moves towards a coin toss by the share of the pace kept.
    if leak && caveat.is_none() {
        if let Some(Plateau::EasedByHalves(ratio)) = e.detail.map(|d| d.plateau) {
            confidence = towards_coin_toss(confidence, ratio.clamp(0.0, 1.0));
            caveat = Some(format!(
                "the floor's second half grew at {:.0}% of the first half's pace, beyond the noise: a cache still filling slows like this, and so does a leak after a warm-up or one whose pace eased; watch until the floor holds or climbs on to be sure",
                100.0 * ratio
            ));
        }
    }
    // Under a day seen, with no restarts: the morning of a daily traffic cycle lifts the
    // working set for hours before the evening fall, and reads as a leak until then. A rise
    // small beside the floor could be one; confidence moves towards a coin toss by the share
    // of a day seen, and the verdict says why.
    let seen_s = last.t - first.t;
    if leak && caveat.is_none() && e.restarts == 0 && seen_s < DAY {
        let rise = e.growth_bps * judged_s;
        let before = e.floor_now - rise;
        if rise.is_finite() && before > 0.0 && rise < DAILY_SWING * before {
            confidence = towards_coin_toss(confidence, (seen_s / DAY).sqrt());
            caveat = Some(format!(
                "only {} seen and the floor rose {:.0}% of its level: the morning of a daily traffic cycle rises as much before its evening fall; a full day tells them apart",
                span_words(seen_s),
                100.0 * rise / before
            ));
        }
    }
    // One or two falls read as restarts, with nothing that shows a new process after them: a
    // collector's full collections (a JVM's old generation) fall the same way, and only a
    // third fall shows whether the runs end at one height (a collector's threshold) or
    // wherever the clock cut them. Confidence moves towards a coin toss by the falls missing.
    if leak && caveat.is_none() && e.falls.may_be_collections(e.restarts) {
        confidence = towards_coin_toss(confidence, e.restarts as f64 / 3.0);
        let (falls, them) = if e.restarts == 1 {
            ("one fall of the floor was read as a restart", "it")
        } else {
            ("two falls of the floor were read as restarts", "them")
        };
        caveat = Some(format!(
            "{falls}, with no warm-up after {them} and not at a memory limit: a collector's full collection (a JVM's old generation) falls the same way; a third fall tells them apart (a collector's come at one height)"
        ));
    }
    // Falls to one height read as a collector's: with no limit known, kills at a limit look
    // the same (every run ends at the limit), and only the limit tells them apart.
    if caveat.is_none() && !leak && e.falls.collector && r.opts.limit_bytes.is_none() {
        caveat = Some(format!(
            "{} falls to one height were read as a collector's cycles; if the process was killed at a memory limit each time, pass it with --limit (kills at a known limit are restarts of a leak)",
            e.restarts
        ));
    }
    // A flat series that held a burst for minutes and released it: the whole series' buckets
    // show it in their maxima where the means that named it "stable" (or a sawtooth's band)
    // barely moved (see `names::held_spike`; the name only).
    let pattern = match e.pattern {
        Pattern::Stable | Pattern::Sawtooth if kind == VerdictKind::NoLeak && held_spike(r) => {
            Pattern::SpikeRecovered
        }
        p => p,
    };
    Verdict {
        name: r.name.clone(),
        verdict: kind,
        pattern,
        growth_bytes_per_hour: if growth.is_finite() { growth } else { 0.0 },
        confidence: confidence.clamp(0.0, 1.0),
        detected_at,
        time_to_limit_seconds,
        limit_bytes: r.opts.limit_bytes,
        samples: r.n,
        span_seconds: last.t - first.t,
        first_bytes: first.v,
        last_bytes: last.v,
        restarts: e.restarts.max(a.main.restarts),
        reasons: reasons(r, a, &d, judged_s),
        windows,
        confirmed_by_window_seconds: leak.then_some(judged_s),
        caveat,
        period_seconds: e
            .detail
            .and_then(|d| d.period_s)
            .or(a.main.detail.and_then(|d| d.period_s))
            .filter(|p| p.is_finite()),
    }
}

/// The reasons behind the verdict in words a person can check against a chart: which
/// stretch, which floor, how many restarts, what the plateau test said.
fn reasons(r: &Recognizer, a: &Assessment, d: &Decision, judged_s: f64) -> Vec<String> {
    let e = &d.eval;
    let u = r.opts.unit;
    let mut out = Vec::new();
    match (&e.detail, e.kind) {
        (_, VerdictKind::InsufficientData) if !d.leak => out.push(format!(
            "too few samples to judge: {} point(s) over {}; the floor's trend needs at least 12 points in 8 time buckets",
            r.n,
            span_words(r.last.map_or(0.0, |l| l.t) - r.first.map_or(0.0, |f| f.t))
        )),
        (Some(s), _) => {
            let which = match d.window {
                Some(k) => format!("the last {}", span_words(WINDOWS[k].seconds)),
                None if e.restarts > 0 => {
                    format!("the {} since the last restart", span_words(judged_s))
                }
                None => format!("the last {}", span_words(judged_s)),
            };
            // (A leak read from the same hours on earlier days was held to that test's own
            // noise and τ, not the whole run's: the reasons name what it asked.)
            let seasonal = e.seasonal.filter(|_| d.leak);
            // (So was one read from the floor of each day: each step of the troughs was held
            // to the least step that test asks, not the stretch's rise, τ or plateau test.)
            let daily = e.daily.filter(|_| d.leak);
            let (needed, least, tau) = match (seasonal, daily) {
                (Some(sr), _) => (sr.needed, r.cfg.min_rise_bytes, sr.tau),
                (None, Some(dr)) => (dr.step_min, r.cfg.min_rise_bytes, s.tau),
                (None, None) => (s.rise_needed, s.rise_floor, s.tau),
            };
            out.push(format!(
                "floor {} from {} to {} ({}) over {which}; a leak needs a rise of at least {} ({} × its noise, and {} at least)",
                if s.rise >= 0.0 { "rose" } else { "fell" },
                amount(u, s.floor_start),
                amount(u, s.floor_now),
                rate(u, s.growth_bps * 3600.0),
                amount(u, needed),
                r.cfg.rise_sigmas,
                amount(u, least)
            ));
            out.push(match s.period_s {
                _ if s.on_means => "the floor is the rolling mean of the samples: no cycle in \
                                    view, and under plain noise the means show a slow rise that \
                                    the minima scatter too much to show"
                    .into(),
                Some(p) => format!(
                    "the floor is the minimum of each cycle: a cycle of {} was seen",
                    span_words(p)
                ),
                None => "the floor is the rolling minimum of the samples (the level after each GC)".into(),
            });
            out.push(match daily {
                Some(dr) => format!(
                    "the floor of each day: {} of the {} step(s) from one day's trough to the next rose by at least {} (6 × the troughs' noise, and a tenth of the daily swing), {} from the first trough to the last: a leak the daily cycle hides from the floor within the day",
                    dr.up,
                    dr.days.saturating_sub(1),
                    amount(u, dr.step_min),
                    amount(u, dr.rise)
                ),
                None => format!("trend τ = {tau:.2} on the floor (0.55 or more is a monotone rise)"),
            });
            out.push(match s.plateau {
                // (Its climb within the last day stands for the plateau test: see below.)
                _ if seasonal.is_some() => "plateau test: the floor still climbed within the last day (below)".into(),
                _ if daily.is_some_and(|dr| dr.days >= 4) => "plateau test: the troughs' rise did not fade (their last step not under 30% of their first)".into(),
                _ if daily.is_some() => "plateau test: not asked of the troughs (a fade shows over three steps or more)".into(),
                Plateau::NotTested => "plateau test not needed: the floor did not rise significantly".into(),
                Plateau::Steady(ratio) => format!(
                    "plateau test: growth did not slow (last third at {:.0}% of the middle third; a plateau needs under 45%)",
                    100.0 * ratio
                ),
                Plateau::Slowing(ratio) => format!(
                    "plateau test: growth slows but not enough to call a plateau (last third at {:.0}% of the middle third)",
                    100.0 * ratio
                ),
                Plateau::Decelerates(ratio) => format!(
                    "plateau test: growth decelerates towards a bound (last third at {:.0}% of the middle third): a cache filling, not a leak",
                    100.0 * ratio
                ),
                Plateau::DeceleratesStillRising(ratio) => format!(
                    "plateau test: growth decelerates (last third at {:.0}% of the middle third), but the last third still rose beyond the noise: a cache nearing its bound, or a leak whose pace eased",
                    100.0 * ratio
                ),
                Plateau::SlowsAfterWarmUp(ratio) => format!(
                    "plateau test: after its first quarter the floor kept slowing (its last three-eighths grew at {:.0}% of the pace before, beyond the noise, and the first quarter faster still): a cache filling, not a leak after a warm-up",
                    100.0 * ratio
                ),
                Plateau::FlatEnd => "plateau test: the last third of the floor is flat".into(),
                Plateau::EasedByHalves(ratio) => format!(
                    "plateau test: the thirds did not slow enough to call a plateau, but the floor's second half grew at {:.0}% of the first half's pace, beyond the noise",
                    100.0 * ratio
                ),
                Plateau::FillsToBound(tau_rel) => format!(
                    "plateau test: the floor's second half grew clearly slower than its first, and an approach to a bound (time constant {:.0}% of the run) fits the means far better than a line after a warm-up of up to 3 h: a cache filling, not a leak",
                    100.0 * tau_rel
                ),
                Plateau::SlowsByHalves(ratio) => format!(
                    "plateau test: over this short run the second half of the floor grew at {:.0}% of the first half's pace, beyond the noise: a cache filling, not a leak so far",
                    100.0 * ratio
                ),
            });
            if e.pattern == Pattern::Step {
                out.push("one or two steps up, flat since: a deploy or a batch that keeps its results".into());
            }
            // A stretch that leaked on its own reading under a verdict of no leak: the runs
            // around it overruled it (see `evaluate`'s `named`), and the verdict says why its
            // rise past the bar is none.
            if !d.leak && s.pattern.is_leak() {
                out.push(if e.falls.collector || e.falls.may_be_collections(e.restarts) {
                    "that rise lies within one run, and the falls between the runs read as a collector's full collections (or may be: one or two falls with no sign of a new process): the floor since a fall refills what the collection gave back, not a leak".into()
                } else {
                    "that rise lies within one run, and the runs around it overrule it: most complete runs did not leak, and a run young next to them or not past the floor they held is a new process warming up after its restart, not a leak".into()
                });
            }
            if let Some(sr) = seasonal {
                out.push(format!(
                    "the last day ran at least {} above the lowest floor any earlier day held at the same hour, at every hour (no earlier day stood more than {} above the days before it at every hour), and climbed {} more within the day: a leak that began before the last day, not the daily cycle, a busier day or a step",
                    amount(u, sr.least),
                    amount(u, sr.earlier),
                    amount(u, sr.climb)
                ));
            }
            if d.leak && r.detected_at.is_some() {
                out.push("flagged while replaying the series in order".into());
            }
        }
        (None, _) => {}
    }
    let restarts = e.restarts.max(a.main.restarts);
    if restarts > 0 {
        out.push(format!(
            "{restarts} restart(s) seen: the floor is judged within each run, not across them"
        ));
    }
    for (k, w) in a.windows.iter().enumerate() {
        if let Some(w) = w {
            let t = windows::trend(k, w, a.confirmed()[k]);
            out.push(format!(
                "last {}: floor {}, {}{}",
                span_words(WINDOWS[k].seconds),
                rate(u, t.growth_bytes_per_hour),
                t.pattern,
                match (t.confirmed, t.pattern.is_leak()) {
                    (true, _) => ", confirms a leak",
                    // (A window that reads a leak on its own but stands against the whole
                    // series: its name is the window's shape, not the verdict.)
                    (false, true) => ", not confirmed",
                    (false, false) => "",
                }
            ));
        }
    }
    if r.ignored > 0 {
        out.push(format!(
            "{} non-finite or out-of-order point(s) ignored",
            r.ignored
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eval(kind: VerdictKind, pattern: Pattern) -> Eval {
        Eval {
            kind,
            pattern,
            ..Eval::insufficient(0)
        }
    }

    /// The whole series' `main`, and the windows of an hour, six hours and a day (`None`:
    /// too little data for that window).
    fn assess(main: Eval, windows: [Option<Pattern>; 3]) -> Assessment {
        let mut a = Assessment::new();
        a.main = main;
        for (w, p) in a.windows.iter_mut().zip(windows) {
            *w = Some(match p {
                Some(p) => eval(VerdictKind::NoLeak, p),
                None => Eval::insufficient(0),
            });
        }
        a
    }

    #[test]
    fn a_band_every_finer_window_times_as_traffic_is_named_a_cycle() {
        use Pattern::*;
        let saw = eval(VerdictKind::NoLeak, Sawtooth);
        let rising = eval(VerdictKind::Leak, RisingFloor);
        // The whole series reads a band; six hours and a day time a cycle of an hour or more,
        // and the hour sees no collector's teeth: traffic inside the wide buckets.
        let d = decide(&assess(saw, [Some(Stable), Some(Cyclic), Some(Cyclic)]));
        assert_eq!((d.eval.pattern, d.leak), (Cyclic, false));
        let d = decide(&assess(
            rising,
            [Some(Declining), Some(LeakUnderCycle), None],
        ));
        assert_eq!((d.eval.pattern, d.leak), (LeakUnderCycle, true));
        // The hour sees a collector's teeth: a beat of them timed at an hour is no traffic.
        let d = decide(&assess(saw, [Some(Sawtooth), Some(Cyclic), Some(Cyclic)]));
        assert_eq!(d.eval.pattern, Sawtooth);
        // One finer window alone times the cycle: the other reads the series otherwise.
        let d = decide(&assess(saw, [Some(Stable), Some(Cyclic), Some(Sawtooth)]));
        assert_eq!(d.eval.pattern, Sawtooth);
        let d = decide(&assess(
            rising,
            [Some(Stable), Some(LateOnsetLeak), Some(LeakUnderCycle)],
        ));
        assert_eq!((d.eval.pattern, d.leak), (RisingFloor, true));
        // No finer window timed anything.
        let d = decide(&assess(rising, [Some(Stable), None, None]));
        assert_eq!(d.eval.pattern, RisingFloor);
        // The whole series' buckets hold the cycle whole and read their band as no
        // collector's: a flat floor, stable; six hours and a day time the traffic.
        let stable = eval(VerdictKind::NoLeak, Stable);
        let d = decide(&assess(stable, [Some(Stable), Some(Cyclic), Some(Cyclic)]));
        assert_eq!((d.eval.pattern, d.leak), (Cyclic, false));
        // Not when the hour sees a collector's teeth, nor when one finer window alone times
        // a cycle.
        let d = decide(&assess(
            stable,
            [Some(Sawtooth), Some(Cyclic), Some(Cyclic)],
        ));
        assert_eq!(d.eval.pattern, Stable);
        let d = decide(&assess(stable, [Some(Stable), Some(Cyclic), Some(Stable)]));
        assert_eq!(d.eval.pattern, Stable);
    }

    #[test]
    fn deploys_that_settle_within_minutes_are_steps() {
        // A day of a 300 MB process sampled every minute, deployed twice: each deploy
        // restarts it at a third of its new level, warms up in five minutes (time constant)
        // and holds the new level — 240 MB after the first, 270 MB after the second. The
        // judged stretch alone reads the run since otherwise (its warm-up); the name is a
        // step (see `Eval::deploys`, and `evaluate`'s naming of flat runs between restarts
        // that changed the level), and the verdict stays no leak.
        let opts = crate::recognize::RecognizeOptions::default();
        let mut r = crate::recognize::Recognizer::new("deploys", opts);
        for i in 0..24 * 60 {
            let t = 60.0 * i as f64;
            let scatter = ((i as f64 * 12.9898).sin() * 43758.5453).fract();
            let (level, since) = match t / 3600.0 {
                h if h < 9.0 => (300e6, None),
                h if h < 15.0 => (240e6, Some(t - 9.0 * 3600.0)),
                _ => (270e6, Some(t - 15.0 * 3600.0)),
            };
            let v = since.map_or(level, |s: f64| {
                level * (1.0 - (2.0 / 3.0) * (-s / 300.0).exp())
            });
            r.push(Point::new(1.7e9 + t, v + 1e6 * scatter));
        }
        let a = r.current();
        assert!(a.main.deploys, "{:#?}", a.main);
        let v = r.verdict();
        assert_eq!(
            (v.verdict, v.pattern),
            (VerdictKind::NoLeak, Pattern::Step),
            "{v:#?}"
        );
    }

    #[test]
    fn a_rise_the_runs_overrule_is_explained_without_a_leaks_name() {
        // 14.4 h of a process restarted every 4 h that warms up to 500 MB within minutes,
        // sampled every 30 s; the current run, 2.4 h old, climbs steadily from 200 to 450 MB
        // — a leak on its own reading, young and under the height the earlier runs held: a
        // warm-up (see `evaluate`'s `named`). The verdict, its name and its reasons say no
        // leak, and say why the rise past the bar is none.
        let run = 4.0 * 3600.0;
        let points: Vec<Point> = (0..(14.4 * 120.0) as usize)
            .map(|i| {
                let t = 30.0 * i as f64;
                let age = t % run;
                let v = if t < 3.0 * run {
                    500e6 - 300e6 * (-age / 300.0).exp()
                } else {
                    200e6 + 250e6 * age / (2.4 * 3600.0)
                };
                Point::new(1.7e9 + t, v)
            })
            .collect();
        let opts = crate::recognize::RecognizeOptions::default();
        let v = crate::recognize::recognize("warm-up", &points, &opts);
        assert_eq!(v.verdict, VerdictKind::NoLeak, "{v:#?}");
        assert!(!v.pattern.is_leak(), "{v:#?}");
        assert!(
            v.reasons
                .iter()
                .any(|r| r.contains("warming up after its restart")),
            "{v:#?}"
        );
        // (A window that reads a leak on its own says it was not confirmed.)
        for (w, line) in v
            .windows
            .iter()
            .zip(v.reasons.iter().filter(|r| r.starts_with("last ")))
        {
            assert!(
                !w.pattern.is_leak() || line.ends_with(", not confirmed"),
                "{v:#?}"
            );
        }
    }

    #[test]
    fn traffic_faster_than_the_whole_series_buckets_is_a_cycle() {
        // Three days of a 100 MB process whose traffic swings 40 MB every 70 minutes: the
        // whole series' buckets, wider than the cycle, hold it as a band; six hours and a
        // day time it. A leak of 1 MB/h under it is a leak under a cycle.
        let opts = crate::recognize::RecognizeOptions::default();
        for (leak, want) in [(0.0, Pattern::Cyclic), (1e6, Pattern::LeakUnderCycle)] {
            let points: Vec<Point> = (0..72 * 60)
                .map(|i| {
                    let t = 60.0 * i as f64;
                    let x = std::f64::consts::TAU * t / 4200.0;
                    let scatter = ((i as f64 * 12.9898).sin() * 43758.5453).fract();
                    Point::new(
                        1.7e9 + t,
                        100e6 + leak * t / 3600.0 + 20e6 * (1.0 - x.cos()) + 2e6 * scatter,
                    )
                })
                .collect();
            let v = crate::recognize::recognize("traffic", &points, &opts);
            assert_eq!(v.pattern, want, "{v:#?}");
        }
    }
}
