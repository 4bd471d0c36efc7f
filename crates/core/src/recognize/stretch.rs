//! Judging one stretch of a series (a segment between restarts, or its recent half): the
//! floor, its trend, and the shape tests that tell a leak from a plateau, a step or a cycle.

use super::stats::{
    acf_period, detrended_diff_noise, diff_noise, fill_curve, half_lag_slope, median,
    median_and_mad, median_mut, median_sorted, mk_tau, part_means, quad_fit, quad_fit_block_se,
    residual_scale, rolling_mean, rolling_min, student_t975, MAD_TO_SD,
};
use crate::verdict::Pattern;
use std::borrow::Cow;

/// Thresholds that come from [`super::RecognizeOptions`].
#[derive(Debug, Clone, Copy)]
pub(crate) struct Cfg {
    /// Shortest stretch judged, seconds.
    pub min_span_s: f64,
    /// Smallest floor growth called a leak, bytes per second.
    pub min_growth_bps: f64,
    /// Smallest total floor rise called a leak, bytes: at most this (see [`Cfg::rise_floor`]).
    pub min_rise_bytes: f64,
    /// Share of the series' level that a floor rise must reach when that is less than
    /// `min_rise_bytes` (bytes: see [`Cfg::rise_floor`]; counts: 0, the absolute floor only).
    pub rise_share: f64,
    /// How many noise scales the floor rise must exceed.
    pub rise_sigmas: f64,
    /// Smallest Mann–Kendall τ of the floor called a trend.
    pub min_tau: f64,
    /// Only ask "leak or not": a stretch whose floor did not rise significantly is left
    /// unnamed (the scheduled evaluations of the streaming recognizer, which only look for
    /// the first leak; the verdict itself is always judged in full).
    pub screen: bool,
    /// Smallest noise scale assumed (bytes: 1 KiB; counts: half a unit).
    pub min_noise: f64,
    /// Smallest fall taken for a restart (bytes: 1 MB; counts: 3).
    pub min_drop: f64,
    /// The stretch is a trailing window: it may open in the middle of a run.
    pub window: bool,
    /// The stretch belongs to a series with no restart: the recording so far is one run, and
    /// a short one tells its fill from a leak only by the pace of its floor (see
    /// `judge_level`). Runs between restarts are judged together instead.
    pub one_run: bool,
    /// The memory limit, bytes (infinite when unknown): falls from it are kills.
    pub limit: f64,
}

impl Cfg {
    /// The smallest floor rise called a leak over a stretch of `span_s` seconds at `level`
    /// (its mean, asked for only when the share applies): `min_rise_bytes`, or, over an hour
    /// or more, `rise_share` of the level when that is less — but never under twice
    /// `min_drop`, the smallest fall taken for a restart. Allocator noise, page rounding and
    /// measurement jitter scale with the heap: 4 MB is noise on a 2 GB process but a tenth of
    /// a 40 MB one, where a slow leak would wait hours for an absolute floor its own noise
    /// (judged separately, in noise scales) does not ask for. Under an hour a warm-up or a
    /// fill's first minutes rise by as much, and the absolute floor stands.
    pub fn rise_floor(&self, level: impl FnOnce() -> f64, span_s: f64) -> f64 {
        if self.rise_share <= 0.0 || span_s < 3600.0 {
            return self.min_rise_bytes;
        }
        let level = level();
        if !level.is_finite() {
            return self.min_rise_bytes;
        }
        self.min_rise_bytes
            .min((self.rise_share * level.abs()).max(2.0 * self.min_drop))
    }

    /// The smallest rise of a stretch's bucket minima (the largest of a later minimum over an
    /// earlier one, [`super::ordered_rise`]) that any test calls a leak: half the smallest
    /// [`Cfg::rise_floor`] — `min_drop` for bytes (1 MB: half of twice the smallest fall taken
    /// for a restart), half of `min_rise_bytes` for counts. The floor's tests ask its chunk
    /// means, rolling minima of those minima, to rise by half the rise a leak needs, never under
    /// the rise floor; the tests on the means (the means of chunks, the whole-run trend) ask it
    /// of the minima outright. A rise of the minima under this is the size of a fall not taken
    /// for a restart: the noise of a heap's floor, not a leak. The fleet screen settles,
    /// unfetched, every series whose minima rise less (`RecognizeOptions::least_rise`).
    pub fn least_rise(&self) -> f64 {
        // (`rise_floor` at its least: over an hour, where the share applies, at a level of 0.)
        0.5 * self.rise_floor(|| 0.0, 3600.0)
    }

    /// True when the bucket minima `lo` rise by [`Cfg::least_rise`], a later one over an
    /// earlier one: what the tests on the means ask before they call a leak.
    pub(crate) fn minima_show_least_rise(&self, lo: &[f64]) -> bool {
        super::ordered_rise(lo) >= self.least_rise()
    }
}

/// Bucket columns of the stretch being judged.
pub(crate) struct Cols<'a> {
    pub t: &'a [f64],
    pub lo: &'a [f64],
    pub hi: &'a [f64],
    pub mean: &'a [f64],
    /// First and last sample of each bucket, and how many it holds (for names only).
    pub first: &'a [f64],
    pub last: &'a [f64],
    pub n: &'a [u32],
}

/// What the plateau test said about a floor that rose.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Plateau {
    /// The floor did not rise significantly: nothing to test.
    NotTested,
    /// Growth kept its pace: the last third's rate over the middle third's.
    Steady(f64),
    /// Growth slowed, not enough for a plateau (same ratio).
    Slowing(f64),
    /// Growth decelerates towards a bound: a plateau (same ratio).
    Decelerates(f64),
    /// Growth decelerates, yet the last third still rose beyond the noise (same ratio): a
    /// cache nearing its bound, or a leak whose pace eased for a while — the floor so far
    /// cannot tell them apart.
    DeceleratesStillRising(f64),
    /// The last third is flat.
    FlatEnd,
    /// A short run (under an hour, no restart) whose second half grew clearly slower than
    /// its first: a fill slowing; the ratio is the second half's pace over the first's.
    SlowsByHalves(f64),
    /// A leak whose floor grew clearly slower in the second half than in the first (by a
    /// quarter at least, and by more than three noise scales of a half's rise; same ratio as
    /// `SlowsByHalves`), the thirds not slowing enough to call a plateau: a cache still far
    /// from its bound reads the same, and so does a leak after a warm-up.
    EasedByHalves(f64),
    /// A whole run whose floor kept slowing after its first quarter (a warm-up is over by
    /// then): its last three-eighths grew under 80% of the pace of the three-eighths before,
    /// by more than the noise, and those under 65% of the first quarter's: a cache still filling.
    /// The last three-eighths' pace over the pace before.
    SlowsAfterWarmUp(f64),
    /// A whole run whose floor grew clearly slower in its second half, whose means an
    /// exponential approach to a bound explains far better than a line after a warm-up (see
    /// `fill_curve`): a cache filling. The fill's time constant over the run.
    FillsToBound(f64),
}

/// What one stretch looks like.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct StretchEval {
    pub leak: bool,
    pub pattern: Pattern,
    /// Robust floor growth, bytes per second.
    pub growth_bps: f64,
    /// Floor rise over the stretch, bytes.
    pub rise: f64,
    /// The rise a leak needs here (noise and absolute minimum), bytes.
    pub rise_needed: f64,
    /// The least of it, whatever the noise ([`Cfg::rise_floor`] or, for a trend that stands
    /// far above its noise, [`Cfg::least_rise`]), bytes: what the reasons name.
    pub rise_floor: f64,
    /// Mann–Kendall τ of the floor's chunk medians.
    pub tau: f64,
    /// The floor trend's value at the end of the stretch, bytes.
    pub floor_now: f64,
    /// The floor trend's value at the start of the stretch, bytes.
    pub floor_start: f64,
    /// Seconds covered by the judged floor.
    pub span_s: f64,
    /// Dominant cycle, in buckets, when one was seen.
    pub period: Option<usize>,
    /// The same cycle in seconds.
    pub period_s: Option<f64>,
    /// Growth of the last third over growth of the middle third (1 = steady).
    pub late_ratio: f64,
    /// What the plateau test said.
    pub plateau: Plateau,
    /// Range of the floor over the recent half of the stretch, bytes.
    pub recent_rise: f64,
    /// The trend was read on the bucket means, not the minima (see [`judge`]).
    pub on_means: bool,
    pub confidence: f64,
}

fn clamp01(x: f64) -> f64 {
    if x.is_nan() {
        0.0
    } else {
        x.clamp(0.0, 1.0)
    }
}

/// A detected upward jump of the floor: end time (s) and size (bytes).
#[derive(Debug, Clone, Copy)]
struct Jump {
    start: f64,
    end: f64,
    size: f64,
}

/// When the floor `floor` (at times `ft`) first stood `r` above the level of its previous
/// such rise (the first one counted from its start), and how long it has been quiet since the
/// last of these, seconds.
fn floor_rises(ft: &[f64], floor: &[f64], r: f64) -> (Vec<f64>, f64) {
    let mut times = Vec::new();
    let mut level = floor[0];
    for (&t, &v) in ft.iter().zip(floor) {
        if v >= level + r {
            times.push(t);
            level = v;
        }
    }
    let quiet = ft[ft.len() - 1] - times.last().copied().unwrap_or(ft[0]);
    (times, quiet)
}

/// The longest quiet after the last of `jumps` (oldest first, two or more) that bursts at
/// random times, at the pace these kept, leave one time in twenty or more: three of their
/// mean spacings (a Poisson process of rate `1/spacing` is quiet for `q` with chance
/// `e^(−q/spacing)`, 5 % at `q ≈ 3 spacings`). A leak bursts when its traffic comes, not on
/// a clock, so a few bursts often leave a quiet end longer than their median spacing by
/// chance; a fill's steps come quickly and stop, which leaves a quiet of many spacings.
fn random_quiet(jumps: &[Jump]) -> f64 {
    let k = jumps.len();
    if k < 2 {
        return 0.0;
    }
    3.0 * (jumps[k - 1].start - jumps[0].start) / (k - 1) as f64
}

/// True when held bursts `jumps` (oldest first, three or more) read as a leak that paused,
/// not a fill that stopped: their sizes do not shrink (Kendall τ of the sizes at least 0) or
/// the spacings between them do not lengthen (τ of the spacings at most 0). A fill slows
/// toward its bound, so its steps shrink and the quiets between them lengthen, both at once;
/// bursts at random times do neither by rule, and when they pause for long, the quiet at the
/// end says nothing of a bound. (A fill under a collector's sawtooth can pass this too: its
/// floor's steps are the sawtooth's troughs; `judge_level` then asks a transient that stands
/// above the collector's band, which the sawtooth's teeth do not.)
fn paused_not_filled(jumps: &[Jump]) -> bool {
    jumps.len() >= 3 && {
        let sizes: Vec<f64> = jumps.iter().map(|j| j.size).collect();
        let gaps: Vec<f64> = jumps.windows(2).map(|w| w[1].start - w[0].start).collect();
        mk_tau(&sizes, 0.0) >= 0.0 || mk_tau(&gaps, 0.0) <= 0.0
    }
}

/// True when the gaps `gaps` between a floor's rises (oldest first, seconds), and the quiet
/// `quiet` since its latest rise, are those of bursts, not of a fill slowing toward its
/// bound: three gaps or more, one before the latest at least as long as the quiet now (the
/// floor already held that long and rose again), and the gaps do not lengthen (Kendall τ
/// under 0.3: a fill's gaps lengthen at nearly every rise, τ near 1) — or lengthen loosely
/// (τ under 0.5) with the longest not the latest (the floor rose again at its earlier pace
/// after it, where a fill's longest quiet is its last) — or the longest is the latest but
/// the three gaps or more before it did not lengthen at all (their τ at most 0) and the
/// floor rose once more after it: a fill's pace falls all along, so its quiets lengthen
/// from the first, while bursts that come at random pause once for long by chance
/// (a Poisson process's longest gap among a few is often twice or thrice their mean) and
/// then climb on.
fn quiets_of_bursts(gaps: &[f64], quiet: f64) -> bool {
    gaps.len() >= 3 && gaps[..gaps.len() - 1].iter().any(|&gap| gap >= quiet) && {
        let tau = mk_tau(gaps, 0.0);
        let (last, before) = gaps.split_last().expect("three gaps");
        let longest_last = before.iter().all(|gap| gap <= last);
        tau < 0.3
            || (tau < 0.5 && !longest_last)
            || (before.len() >= 3 && mk_tau(before, 0.0) <= 0.0)
    }
}

/// True when the floor `floor` (at times `ft`) kept the jump `j`: it never fell below
/// halfway up it afterwards (a leak keeps what it took; a spike, a deploy that restarts
/// low or a burst of traffic gives it back).
fn kept(ft: &[f64], floor: &[f64], j: &Jump) -> bool {
    let m = floor.len();
    let at = |time: f64| ft.iter().position(|&x| x >= time).unwrap_or(m - 1);
    let low = floor[at(j.end)..]
        .iter()
        .copied()
        .fold(f64::INFINITY, f64::min);
    low >= floor[at(j.start)] + 0.5 * j.size
}

/// A staircase: the floor `floor` (at times `ft`) rose in three steps or more, each a short rise
/// (as the jumps of `judge_level`: under 15 % of the stretch) of 4 scales of its treads' scatter
/// (`tread`, see [`tread_noise`]) and 12 % of the net rise, none under half the largest, none given
/// back (the floor never falls after a step below halfway up it), 6 noise scales (`noise`, the
/// detrended scatter of the chunk minima: the scale that finds the steps does not lower the rise
/// asked for) and `rise_floor` in all, and the floor held at its latest level at most as long as
/// its steps came apart at the most (a quiet end longer than that is a fill that stopped, not a
/// step not yet due) — unless four steps or more came alike, see below. Each batch run that leaks
/// leaves the floor higher than the one before; a deploy is one step, a batch that keeps no residue
/// returns to its floor, and a cache fills by ever smaller steps toward its bound.
fn stairs(ft: &[f64], floor: &[f64], noise: f64, tread: f64, rise_floor: f64) -> bool {
    let m = floor.len();
    if m < 9 {
        return false;
    }
    let fspan = ft[m - 1] - ft[0];
    let net = floor[m - 1] - floor[0];
    if net < (6.0 * noise).max(rise_floor) {
        return false;
    }
    let thr = (4.0 * tread).max(0.12 * net);
    let steps = short_rises(ft, floor, tread, |run| run >= thr);
    if steps.len() < 3 {
        return false;
    }
    let largest = steps.iter().map(|s| s.2).fold(0.0, f64::max);
    let total: f64 = steps.iter().map(|s| s.2).sum();
    let held = steps.iter().all(|&(a, b, size)| {
        let low = floor[b..].iter().copied().fold(f64::INFINITY, f64::min);
        low >= floor[a] + 0.5 * size
    });
    let gap = steps
        .windows(2)
        .map(|w| ft[w[1].0] - ft[w[0].1])
        .fold(0.0, f64::max);
    let quiet = ft[m - 1] - ft[steps[steps.len() - 1].1];
    // (A quiet end longer than the gaps is no fill that stopped when four steps or more came
    // alike — the least within 70 % of the largest — and the treads scatter less than the
    // chunk minima detrended by the mean slope: a cache fills by ever smaller steps toward
    // its bound, a batch or a deploy steps once or twice. The quiet is then read from the
    // latest rise of half a step or more (which may fall under the 12 % of the net rise a
    // step needs, yet clears the treads' scatter), and must be no longer than the
    // staircase took from its first step to that rise: a fill that stepped and stopped
    // has been quiet longer than it climbed.)
    let alike =
        steps.len() >= 4 && steps.iter().all(|s| s.2 >= 0.7 * largest) && tread < noise && {
            let half = (0.5 * largest).max(4.0 * tread);
            let latest = short_rises(ft, floor, tread, |run| run >= half)
                .last()
                .map_or(steps[steps.len() - 1].1, |r| r.1);
            ft[m - 1] - ft[latest] <= ft[latest] - ft[steps[0].0]
        };
    held && total >= 0.5 * net
        && steps.iter().all(|s| s.2 >= 0.5 * largest)
        && (alike || quiet <= gap.max(3.0 * fspan / (m - 1) as f64))
}

/// The scatter of a floor's treads: the successive differences of the chunk minima `v`
/// (not detrended), with the risers set aside — those farther from zero than 4 times the
/// median distance of the ones kept, read again until none is dropped (a clip at ≈ 2.7
/// standard deviations, which costs plain noise almost nothing). A staircase's flat
/// treads differ only by the floor's noise and its risers stand far out; detrended by the
/// mean slope, the treads instead slide down by the line's misfit, and the risers pull
/// the median difference and its spread up with them, which counts the staircase's own
/// steps as scatter. A steady climb moves every difference alike and keeps them all, so
/// its tread scatter is its pace, never below its detrended scatter: only a floor that
/// holds between rises reads lower here. `None` when fewer than 4 differences remain.
fn tread_noise(v: &[f64], s: &mut Vec<f64>) -> Option<f64> {
    // Sorted once, the differences kept at each reading are a prefix of them.
    s.clear();
    s.extend(v.windows(2).map(|w| (w[1] - w[0]).abs()));
    s.sort_unstable_by(f64::total_cmp);
    if s.len() < 4 {
        return None;
    }
    let mut med = median_sorted(s);
    for _ in 0..10 {
        let kept = s.partition_point(|&x| x <= 4.0 * med);
        if kept < 4 {
            return None;
        }
        let next = median_sorted(&s[..kept]);
        if next == med {
            break;
        }
        med = next;
    }
    Some(MAD_TO_SD * med / std::f64::consts::SQRT_2)
}

/// The jumps of the floor `floor` (at times `ft`) read against `noise`: its short rises (see
/// [`short_rises`]) of more than 4 noise scales and 12 % of the net rise `net`.
fn jumps_of(ft: &[f64], floor: &[f64], noise: f64, net: f64) -> Vec<Jump> {
    let thr = (4.0 * noise).max(0.12 * net.abs());
    short_rises(ft, floor, noise, |run| run > thr)
        .into_iter()
        .map(|(a, b, size)| Jump {
            start: ft[a],
            end: ft[b],
            size,
        })
        .collect()
}

/// The jumps of the floor `floor` (at times `ft`) that the step test reads: those it held.
/// One it gave back (see [`given_back`]) was a hump, neither a step nor a leak's rise, and
/// says nothing of the others: a deploy's step after a long burst is still a step.
fn step_jumps<'a>(ft: &[f64], floor: &[f64], jumps: &'a [Jump], noise: f64) -> Vec<&'a Jump> {
    jumps
        .iter()
        .filter(|j| !given_back(ft, floor, j, noise))
        .collect()
}

/// True when the floor `floor` (at times `ft`) gave the jump `j` back: it later fell below
/// halfway up it, by more than `noise`, and has stayed back down at least as long as it
/// stood up. Such a jump was a hump a trailing minimum followed for longer than its window
/// (a long burst's working set, a long spike), not a level the process came to hold: the
/// level a process holds is the lowest it comes back to afterwards, and a deploy's step
/// stays. A fall below the level the jump rose from gives nothing back (a restart or a
/// collection the run did not split there says nothing of whether the jump held), nor does
/// a fall shorter than the hump stood (it may be a dip under a level still held). The floor
/// is the stretch's own, samples already seen: this only looks back from its end.
fn given_back(ft: &[f64], floor: &[f64], j: &Jump, noise: f64) -> bool {
    let m = floor.len();
    let at = |time: f64| ft.iter().position(|&x| x >= time).unwrap_or(m - 1);
    let (top, base) = (at(j.end), floor[at(j.start)]);
    let half = base + 0.5 * j.size - noise;
    let low = floor[top..].iter().copied().fold(f64::INFINITY, f64::min);
    let back = floor[top..]
        .iter()
        .position(|&v| v < half)
        .map_or(ft[m - 1], |k| ft[top + k]);
    low < half && low >= base - noise && ft[m - 1] - back >= back - ft[top]
}

/// The jumps of a floor that rose in held bursts with quiet between, read against its own
/// scatter instead of `noise` (the scatter of the chunk minima `mins`, bucket index into the
/// times `t` and value, detrended by the mean slope). The chunks that hold a burst, and the
/// flats between that slide under the mean slope once detrended, make `noise` count the
/// floor's own rise as scatter. The jumps are read against `fine` (the bucket minima's
/// scatter about their median step), or, when larger, against the chunk minima's scatter
/// between the jumps so found — a level that wanders at the chunks' scale scatters there
/// too, a leak's flats do not. They are kept only when every one is held (the floor never
/// falls below halfway up it afterwards: a leak gives nothing back, a burst of traffic
/// does) and half the pairs of them at least stand apart by the longer one's duration (a
/// leak's bursts are events with quiet between, though two may fall close together; a
/// smooth climb — a fill, a warm-up, a traffic morning — read this finely breaks into short
/// rises that all follow each other).
/// The floor may move between them: a leak that bursts often leaks a little between its
/// bursts too. A rise already under way at the floor's first point is no burst (no quiet
/// before it shows one: a warm-up's tail or a fill's start reads the same). `lag`: how
/// late the floor shows a change of the bucket minima (a trailing minimum, a window; the
/// line through cycle troughs, none) — the chunk minima between the jumps are found on the
/// floor's clock. Empty when that scatter is not below `noise` (then the jumps of `noise`
/// are all there is to read) or when a jump fails either test.
#[allow(clippy::too_many_arguments)]
fn held_jumps(
    ft: &[f64],
    floor: &[f64],
    t: &[f64],
    mins: &[(usize, f64)],
    lag: f64,
    fine: f64,
    noise: f64,
    net: f64,
    s: &mut Vec<f64>,
) -> Vec<Jump> {
    let m = floor.len();
    if fine >= noise || m < 2 {
        return Vec::new();
    }
    let found = jumps_of(ft, floor, fine, net);
    if found.is_empty() {
        return Vec::new();
    }
    // (Pairs of chunk minima within three floor points of a jump are the jump's.)
    let near = 3.0 * (ft[m - 1] - ft[0]) / m as f64;
    let between: Vec<f64> = mins
        .windows(2)
        .filter(|w| {
            let (t0, t1) = (t[w[0].0], t[w[1].0]);
            !found
                .iter()
                .any(|j| j.end - lag >= t0 - near && j.start - lag <= t1)
        })
        .map(|w| (w[1].1 - w[0].1).abs())
        .collect();
    if between.len() < 4 {
        return Vec::new();
    }
    let between = MAD_TO_SD * median(&between, s) / std::f64::consts::SQRT_2;
    let scatter = fine.max(between);
    if scatter >= noise {
        return Vec::new();
    }
    // (A rise already under way at the floor's first point has no quiet before it to show
    // it was a burst: the tail of a warm-up or of a fill's start reads the same.)
    let jumps: Vec<Jump> = jumps_of(ft, floor, scatter, net)
        .into_iter()
        .filter(|j| j.start > ft[0])
        .collect();
    let held = jumps.iter().all(|j| kept(ft, floor, j));
    // (Half the pairs at least: a leak's bursts come when they come, and two may fall close
    // together; a smooth climb read finely has no quiet between any of its rises.)
    let apart = 2 * jumps
        .windows(2)
        .filter(|w| {
            let longer = (w[0].end - w[0].start).max(w[1].end - w[1].start);
            w[1].start - w[0].end >= longer
        })
        .count()
        >= jumps.len().saturating_sub(1);
    if held && apart {
        jumps
    } else {
        Vec::new()
    }
}

/// True when each of `jumps` (oldest first) of the floor `floor` (at times `ft`) rose from
/// the level the floor held before it: the floor where it starts stands no lower than half
/// the jump under the median of the floor since the previous jump. A deploy restarts low and
/// warms up, so the floor's jump starts from the bottom of its dip; a burst's residue lifts
/// the floor from where it was.
fn rose_from_its_flat(ft: &[f64], floor: &[f64], jumps: &[Jump], s: &mut Vec<f64>) -> bool {
    let m = floor.len();
    let at = |time: f64| ft.iter().position(|&x| x >= time).unwrap_or(m - 1);
    let mut prev = ft[0];
    jumps.iter().all(|j| {
        let (a, b) = (at(prev), at(j.start));
        prev = j.end;
        b <= a + 2 || floor[b] >= median(&floor[a..b], s) - 0.5 * j.size
    })
}

/// True when the bucket means around the jump `j` of a floor (which shows a change of the
/// bucket minima `lag` late) stood above the level they kept after it, until `next` (the
/// floor's next jump), by 3 scales or more — of the means' `scatter`, or, `with_wander`, of
/// their wander about that level when it is larger (a level that wanders crosses its median
/// by as much; asked where only two jumps vouch for the bursts) and by `band` at least:
/// the rise came with a transient, a burst of traffic whose working set was given back
/// while its residue stayed.
/// (A cache's fill, a batch's step or a wander of the level climbs to its new level and
/// stays; it does not overshoot it.)
fn came_with_burst(
    c: &Cols,
    j: &Jump,
    lag: f64,
    next: f64,
    scatter: f64,
    with_wander: bool,
    band: f64,
) -> bool {
    let n = c.t.len();
    let bucket = (c.t[n - 1] - c.t[0]) / (n - 1).max(1) as f64;
    let from = j.start - lag - bucket;
    let window = || (0..n).filter(|&i| c.t[i] >= from && c.t[i] <= j.end);
    let mut after: Vec<f64> =
        c.t.iter()
            .zip(c.mean)
            .filter(|&(&t, _)| t > j.end && t < next - lag)
            .map(|(_, &v)| v)
            .collect();
    if after.len() < 3 {
        return false;
    }
    let (held, wander) = median_and_mad(&mut after);
    let bar = held
        + (3.0
            * if with_wander {
                scatter.max(wander)
            } else {
                scatter
            })
        .max(band);
    // (Raised over more than one sample: two bucket means above the bar, or one whose rise
    // above the level is more than one and a half of its samples at its top would give. A
    // single outlier lifts one bucket's mean by its height over the bucket's count: next to
    // a batch's step it would pass for a transient.)
    window().filter(|&i| c.mean[i] >= bar).count() >= 2
        || window().any(|i| {
            c.mean[i] >= bar && (c.mean[i] - held) * f64::from(c.n[i]) >= 1.5 * (c.hi[i] - held)
        })
}

/// The short rises of the floor `floor` (at times `ft`): runs of sample-to-sample gains above
/// a quarter of `noise`, each no longer than 15 % of the span (or three buckets), whose total
/// `big` accepts — `(index before the rise, index at its top, size)`, oldest first. Jumps and
/// staircase steps are both read from them.
fn short_rises(
    ft: &[f64],
    floor: &[f64],
    noise: f64,
    big: impl Fn(f64) -> bool,
) -> Vec<(usize, usize, f64)> {
    let m = floor.len();
    let mut rises = Vec::new();
    if m < 2 {
        return rises;
    }
    let fspan = ft[m - 1] - ft[0];
    let max_run = (fspan * 0.15).max(3.0 * (fspan / m as f64));
    let (mut a, mut run) = (0usize, 0.0);
    for i in 1..=m {
        let d = if i < m {
            floor[i] - floor[i - 1]
        } else {
            f64::NEG_INFINITY
        };
        if d > 0.25 * noise {
            if run == 0.0 {
                a = i - 1;
            }
            run += d;
        } else {
            if big(run) && ft[i - 1] - ft[a] <= max_run {
                rises.push((a, i - 1, run));
            }
            run = 0.0;
        }
    }
    rises
}

/// The minimum of each whole cycle of `p` buckets, counted back from the last bucket:
/// `(bucket index, value)`, oldest first.
fn cycle_troughs(lo: &[f64], p: usize) -> Vec<(usize, f64)> {
    let n = lo.len();
    let mut out = Vec::with_capacity(n / p + 1);
    let mut b = n;
    while b >= p {
        let a = b - p;
        let mut best = a;
        for i in a..b {
            if lo[i] < lo[best] {
                best = i;
            }
        }
        out.push((best, lo[best]));
        b = a;
    }
    // The partial cycle at the start, when it covers most of a cycle.
    if b * 5 >= p * 3 {
        let best = (0..b).fold(0, |best, i| if lo[i] < lo[best] { i } else { best });
        out.push((best, lo[best]));
    }
    out.reverse();
    out
}

/// The mean of each whole chunk of `q` buckets, counted back from the last bucket:
/// `(middle bucket index, mean)`, oldest first.
fn chunk_means(y: &[f64], q: usize) -> Vec<(usize, f64)> {
    let mut out: Vec<(usize, f64)> = y
        .rchunks_exact(q)
        .enumerate()
        .map(|(j, ch)| {
            (
                y.len() - (j + 1) * q + q / 2,
                ch.iter().sum::<f64>() / q as f64,
            )
        })
        .collect();
    out.reverse();
    out
}

/// The piecewise-linear line through `pts` (bucket index, value) at time `x`; flat beyond
/// the ends.
fn interpolate(pts: &[(usize, f64)], t: &[f64], x: f64) -> f64 {
    let Some(&(i0, v0)) = pts.first() else {
        return 0.0;
    };
    if x <= t[i0] {
        return v0;
    }
    for w in pts.windows(2) {
        let ((ia, va), (ib, vb)) = (w[0], w[1]);
        if x <= t[ib] {
            let dt = t[ib] - t[ia];
            return if dt > 0.0 {
                va + (vb - va) * (x - t[ia]) / dt
            } else {
                vb
            };
        }
    }
    pts.last().map_or(v0, |&(_, v)| v)
}

/// The dominant cycle of the stretch in buckets: from the autocorrelation of the bucket
/// means (or `period_hint`, a period from a longer stretch), with at least 2.2 cycles in view
/// — or `force_period` whatever the means say.
fn find_period(
    c: &Cols,
    period_hint: Option<usize>,
    force_period: Option<usize>,
    min_swing: f64,
    s: &mut Vec<f64>,
) -> Option<usize> {
    let n = c.t.len();
    if let Some(p) = force_period {
        return Some(p.clamp(1, n.saturating_sub(4).max(1)));
    }
    // (On at most 64 pair-averaged means: cycles shorter than 2 buckets are left to the
    // rolling minimum anyway.)
    let pairs = |x: &[f64]| -> Vec<f64> {
        x.chunks(2)
            .map(|p| p.iter().sum::<f64>() / p.len() as f64)
            .collect()
    };
    // (Not when pairs would be wider than an eighth of a day: a day would span fewer than
    // eight of them, too few for the autocorrelation to time it — under three in the summary
    // of a 13-day series, buckets 4.5 h wide — and a daily cycle would go unseen.)
    let width = (c.t[n - 1] - c.t[0]) / (n - 1).max(1) as f64;
    let day_hidden = 2.0 * width > super::evaluate::DAY / 8.0;
    let (ds, dt, factor): (Cow<[f64]>, Cow<[f64]>, usize) = if n > 64 && !day_hidden {
        (pairs(c.mean).into(), pairs(c.t).into(), 2)
    } else {
        (c.mean.into(), c.t.into(), 1)
    };
    // Detrended against time, not position: buckets holding one or two samples alternate,
    // and a line drawn against their positions would leave that rhythm as a false cycle.
    let slope = half_lag_slope(&dt, &ds, s);
    let resid: Vec<f64> = ds
        .iter()
        .zip(dt.iter())
        .map(|(v, t)| v - slope * (t - dt[0]))
        .collect();
    // A cycle must swing by more than the smallest noise: rounding is no cycle.
    let (lo, hi) = super::stats::min_max(&resid);
    if hi - lo <= min_swing || hi.is_nan() || lo.is_nan() {
        return period_hint.filter(|&p| (p as f64) * 2.2 <= n as f64);
    }
    // The autocorrelation of white noise scatters by 1/√n: a peak must stand 3 of those above
    // zero (and at 0.3) to be a cycle, not chance.
    let min_acf = (3.0 / (ds.len() as f64).sqrt()).max(0.3);
    acf_period(&resid, 0.0, min_acf, s)
        .map(|p| p * factor)
        .or(period_hint)
        .filter(|&p| (p as f64) * 2.2 <= n as f64)
}

/// The floor of the stretch into `floor`, for the buckets `a..b` it returns: the line through
/// the troughs of each whole cycle when a cycle of several buckets is in view, else the
/// trailing rolling minimum of the bucket minima over a twelfth of the stretch (or a whole
/// cycle).
fn floor_of(
    c: &Cols,
    period: Option<usize>,
    floor: &mut Vec<f64>,
    dq: &mut Vec<usize>,
) -> (usize, usize) {
    let n = c.t.len();
    let mut w = ((n as f64) / 12.0).round().max(1.0) as usize;
    if let Some(p) = period {
        w = w.max(p + 1);
    }
    floor.clear();
    match period {
        // A cycle of several buckets: the floor is the line through the cycle troughs (the
        // minimum of each whole cycle, counted back from the end), sampled at the buckets.
        Some(p) if p >= 3 && (n * 5 / p) >= 13 => {
            let troughs = cycle_troughs(c.lo, p);
            let a = troughs.first().map_or(0, |&(i, _)| i);
            let b = troughs.last().map_or(n - 1, |&(i, _)| i);
            floor.extend(c.t[a..=b].iter().map(|&t| interpolate(&troughs, c.t, t)));
            (a, b + 1)
        }
        _ => {
            let w = w.min(n);
            rolling_min(c.lo, w, floor, dq);
            (w - 1, n)
        }
    }
}

/// The levels just after each collection in `c`, as (time, bytes), when collections show and
/// come farther apart than the floor's window of `w` buckets: the rolling minimum then holds
/// the garbage made since the last collection, not the level after it, and a leaking heap
/// whose collector waits longer as it grows (Go's pacer lets the heap double) reads as a
/// climb that slows. A collection is a fall between successive minima deeper than the
/// floor's `noise` and below the median step by more than 4 robust scales of the steps (a
/// climb's steps scatter about its pace; Gaussian steps pass 4 scales about once in 30,000;
/// readings on a lattice, whole pages or megabytes, give most steps one value and a MAD of
/// 0, so the scale is then the mean absolute deviation), which leaves the level more than
/// `noise` below where it stood two readings before (a fall that only ends a one-reading
/// spike is none) and is not undone by the next reading (a stray low reading is none; the
/// last reading's fall is not yet known to be one). Farther apart: the median length of the
/// pieces that the falls deeper than the noise cut the stretch into exceeds twice the window
/// (the rolling minimum then carries garbage over most of each piece). `None` otherwise.
fn sparse_collection_bottoms(
    c: &Cols,
    w: usize,
    noise: f64,
    s: &mut Vec<f64>,
) -> Option<Vec<(f64, f64)>> {
    let lo = c.lo;
    s.clear();
    s.extend(lo.windows(2).map(|p| p[1] - p[0]));
    let n = s.len().max(1) as f64;
    let (step, mut scale) = median_and_mad(s);
    if scale == 0.0 {
        // (`median_and_mad` left the absolute deviations in `s`.)
        scale = (std::f64::consts::PI / 2.0).sqrt() * s.iter().sum::<f64>() / n;
    }
    let falls: Vec<usize> = (1..lo.len())
        .filter(|&i| {
            let d = lo[i] - lo[i - 1];
            d < -noise
                && d < step - 4.0 * scale
                && (i < 2 || lo[i] < lo[i - 2] - noise)
                && lo.get(i + 1).is_some_and(|&next| next < lo[i - 1])
        })
        .collect();
    if falls.is_empty() {
        return None;
    }
    // Spacing counts every fall deeper than the noise: a regular sawtooth whose deepest
    // falls alone pass the bar above collects as often as its shallower falls say.
    let any: Vec<usize> = (1..lo.len())
        .filter(|&i| lo[i] - lo[i - 1] < -noise)
        .collect();
    let (&first, &last) = (any.first()?, any.last()?);
    s.clear();
    s.push(first as f64);
    s.extend(any.windows(2).map(|p| (p[1] - p[0]) as f64));
    s.push((lo.len() - last) as f64);
    (median_mut(s) > 2.0 * w as f64).then(|| falls.iter().map(|&i| (c.t[i], lo[i])).collect())
}

/// The paces of the collection bottoms before and after `mid`, each from two bottoms or more;
/// `None` when a half holds fewer (too few levels after a collection to read its pace).
fn bottom_halves(b: &[(f64, f64)], mid: f64, s: &mut Vec<f64>) -> Option<(f64, f64)> {
    let k = b.partition_point(|&(t, _)| t < mid);
    let (first, second) = b.split_at(k);
    if first.len() < 2 || second.len() < 2 {
        return None;
    }
    let pace = |h: &[(f64, f64)], s: &mut Vec<f64>| {
        let (t, v): (Vec<f64>, Vec<f64>) = h.iter().copied().unzip();
        half_lag_slope(&t, &v, s)
    };
    Some((pace(first, s), pace(second, s)))
}

/// Whether the levels after the collections `b`, three or more across more than `span`,
/// each stood above the one before by more than `noise`: growth that no single stretch of the
/// floor holds (a step in progress rises at one collection, not at each).
fn rose_at_each_collection(b: &[(f64, f64)], noise: f64, span: f64) -> bool {
    b.len() >= 3
        && b[b.len() - 1].0 - b[0].0 > span
        && b.windows(2).all(|p| p[1].1 - p[0].1 > noise)
}

/// The floor the recognizer sees in the stretch `c`, as (time, bytes) points: for charts
/// and explanations.
pub(crate) fn floor_curve(c: &Cols, min_swing: f64) -> Vec<(f64, f64)> {
    if c.t.len() < 6 {
        return Vec::new();
    }
    let mut s = Vec::new();
    let period = find_period(c, None, None, min_swing, &mut s);
    let (mut floor, mut dq) = (Vec::new(), Vec::new());
    let (a, b) = floor_of(c, period, &mut floor, &mut dq);
    c.t[a..b].iter().copied().zip(floor).collect()
}

/// True when the stretch rose well above where its floor ended (`floor_end`) and came back:
/// at least two bucket means stand `height` above the typical mean (their median) — one
/// bucket alone may be a single wild sample — in a few excursions (runs of high buckets,
/// four at most), and the last tenth is back near that median. Spikes are events, a handful
/// in view; a collector wide against the level stands that high in every one of its cycles.
pub(crate) fn spiked(c: &Cols, floor_end: f64, height: f64, s: &mut Vec<f64>) -> bool {
    let n = c.mean.len();
    let typical = median(c.mean, s);
    let is_high = |i: usize| c.mean[i] - typical.max(floor_end) > height;
    let high = (0..n).filter(|&i| is_high(i)).count();
    let excursions = (0..n)
        .filter(|&i| is_high(i) && !(i >= 1 && is_high(i - 1)))
        .count();
    let tail = &c.mean[n - (n / 10).max(1)..];
    let back = median(tail, s) - typical < 0.5 * height;
    high >= 2 && high * 2 < n && excursions <= 4 && back
}

/// The means of stretch `c` fill to a bound, as [`Plateau::FillsToBound`] asks: an exponential
/// approach explains them better than a line after a warm-up of up to three hours by 10 on
/// the Bayesian information criterion, its time constant under 0.6 of the run (on up to 48
/// parts; see [`fill_curve`] and where `judge` asks it). The fitted fill, or `None`.
pub(crate) fn fills_to_bound(c: &Cols) -> Option<super::stats::FillCurve> {
    fills_to_bound_from(c, 0.0)
}

/// [`fills_to_bound`] with the fill (and the line it is weighed against) free to start up to
/// `late_start` of the span after the stretch does.
fn fills_to_bound_from(c: &Cols, late_start: f64) -> Option<super::stats::FillCurve> {
    fill_beats_warm_line(c, late_start).filter(|f| f.tau_rel <= 0.6)
}

/// The first of [`fills_to_bound`]'s bars alone: an exponential approach explains the means of
/// stretch `c` better than a line after a warm-up of up to three hours by 10 on the BIC, on up
/// to 48 parts, whatever its time constant (both free to start up to `late_start` of the
/// span late).
fn fill_beats_warm_line(c: &Cols, late_start: f64) -> Option<super::stats::FillCurve> {
    fill_curve(c.t, c.mean, c.t.len().min(48), 3.0 * 3600.0, late_start).filter(|f| f.delta > 10.0)
}

/// The shortest run in which a warm-up's minutes are behind its last two thirds (20 minutes
/// of them), so that a steady pace there, or a third that outpaced the one before it, is the
/// level's own and not the warm-up still running: a recording of a few minutes cannot tell
/// a process still warming up from one that leaks, and its slowdown stands as a fill's.
const SEES_PAST_WARM_UP: f64 = 1800.0;

/// Judge the stretch `c` (at least 6 buckets), given the bucket-level noise `sigma` (bytes)
/// and an optional known period in buckets (from a longer stretch), or a period to assume
/// whatever the autocorrelation says (`force_period`: a day, for the daily floor).
///
/// The floor is judged first. When it did not show a leak and nothing else explains the
/// stretch (no cycle at bucket level, no step, plateau or spike), the bucket means get the
/// same judgement: under plain noise a bucket's minimum is its noisiest statistic and its
/// mean the steadiest (many samples averaged), so a slow leak a few noise scales tall over
/// the whole stretch shows in the means long before the minima. (A sawtooth inside the
/// buckets is let through: a stationary one leaves the means flat.)
pub(crate) fn judge(
    c: &Cols,
    sigma: f64,
    period_hint: Option<usize>,
    force_period: Option<usize>,
    cfg: &Cfg,
) -> Option<StretchEval> {
    let n = c.t.len();
    if n < 6 || c.t[n - 1] - c.t[0] < cfg.min_span_s {
        return None;
    }
    let mut s = Vec::with_capacity(n);
    let period = find_period(c, period_hint, force_period, 4.0 * cfg.min_noise, &mut s);
    let floor = judge_level(c, Level::Minima, sigma, period, cfg)?;
    if floor.leak
        || cfg.window
        || force_period.is_some()
        || floor.period.is_some()
        || !matches!(
            floor.pattern,
            Pattern::Stable | Pattern::Sawtooth | Pattern::Unknown
        )
        || !means_rise(c, cfg)
    {
        return Some(floor);
    }
    // (No cycle here: the autocorrelation of the means found none for the floor.)
    match judge_level(c, Level::Means, sigma, None, cfg) {
        // (A leak on the means needs its minima to rise too, by the least rise: see
        // `Cfg::least_rise`.)
        Some(m) if m.leak && cfg.minima_show_least_rise(c.lo) => Some(m),
        _ => Some(floor),
    }
}

/// A cheap screen before the means are judged: the means of twelve chunks rise by
/// `rise_sigmas` times their own scatter (from successive differences about the trend, so
/// a wander slower than a chunk counts as scatter, not trend) and by `min_rise_bytes`, and
/// mostly monotonically.
fn means_rise(c: &Cols, cfg: &Cfg) -> bool {
    const K: usize = 12;
    if c.t.len() < 2 * K {
        return false;
    }
    let (ct, cm) = (part_means(c.t, K), part_means(c.mean, K));
    let mut s = Vec::with_capacity(K);
    let g = half_lag_slope(&ct, &cm, &mut s);
    let rise = g * (ct[K - 1] - ct[0]);
    let resid: Vec<f64> = ct.iter().zip(&cm).map(|(t, m)| m - g * t).collect();
    let noise = diff_noise(&resid, &mut s).max(cfg.min_noise);
    rise >= cfg.rise_sigmas * noise
        && rise >= cfg.min_rise_bytes
        && g >= cfg.min_growth_bps
        && mk_tau(&cm, 0.5 * noise) >= cfg.min_tau
}

/// Which level of the buckets a stretch's trend is read on.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Level {
    /// The floor: minima, what is left after each collection (robust to a sawtooth).
    Minima,
    /// The means, smoothed over a window: steadier under plain noise, used only where no
    /// cycle is in view.
    Means,
}

/// Judge one level of the buckets of `c` (at least 6 of them, over at least the minimum
/// span: `judge` checked), given the stretch's cycle in buckets (`period`), found once.
fn judge_level(
    c: &Cols,
    level_of: Level,
    sigma: f64,
    period: Option<usize>,
    cfg: &Cfg,
) -> Option<StretchEval> {
    let n = c.t.len();
    let span = c.t[n - 1] - c.t[0];
    let mut s = Vec::with_capacity(n);
    let level = (c.mean.iter().sum::<f64>() / n as f64).abs();
    let mut w = ((n as f64) / 12.0).round().max(1.0) as usize;
    if let Some(p) = period {
        w = w.max(p + 1);
    }
    let (mut floor, mut dq) = (Vec::with_capacity(n), Vec::with_capacity(n));
    let (fa, fb) = match level_of {
        Level::Minima => floor_of(c, period, &mut floor, &mut dq),
        Level::Means => {
            let w = w.min(n);
            rolling_mean(c.mean, w, &mut floor);
            (w - 1, n)
        }
    };
    let ft: &[f64] = &c.t[fa..fb];
    let m = floor.len();
    if m < 4 {
        return None;
    }
    let fspan = ft[m - 1] - ft[0];
    let g = half_lag_slope(ft, &floor, &mut s);
    // Noise of the floor: the scatter about the trend of the minima of non-overlapping
    // chunks one window (or one cycle) long — independent samples of the floor, unlike the
    // overlapping rolling minimum whose scatter understates it.
    let q = period.filter(|&p| p >= 3 && n / p >= 3).unwrap_or(w).max(1);
    let mins = match level_of {
        Level::Minima => cycle_troughs(c.lo, q),
        Level::Means => chunk_means(c.mean, q),
    };
    let (icpt, noise, level_noise, tread) = if mins.len() >= 5 {
        // Scatter from successive differences of the detrended minima, so that a step or a
        // curve (model misfit) does not pass for noise.
        let vv: Vec<f64> = mins.iter().map(|&(i, v)| v - g * c.t[i]).collect();
        let icpt = median(&vv, &mut s);
        let noise = diff_noise(&vv, &mut s);
        // (About the median difference as well: a staircase detrended by its mean slope
        // slides down by the same amount from chunk to chunk between its steps, which is the
        // line's misfit, not scatter; `stairs` measures its steps against this.)
        let level_noise = detrended_diff_noise(&vv, &mut s).min(noise);
        let raw: Vec<f64> = mins.iter().map(|&(_, v)| v).collect();
        let tread = tread_noise(&raw, &mut s).map_or(level_noise, |t| t.min(level_noise));
        (icpt, noise, level_noise, tread)
    } else {
        let (icpt, resid) = residual_scale(ft, &floor, g, &mut s);
        let noise = resid.max(0.5 * sigma);
        (icpt, noise, noise, noise)
    };
    let noise = noise.max(level * 1e-4).max(cfg.min_noise);
    let level_noise = level_noise.max(level * 1e-4).max(cfg.min_noise);
    let tread = tread.max(level * 1e-4).max(cfg.min_noise);
    // A staircase of the floor: three steps up or more, alike, none given back (see `stairs`).
    let staircase = level_of == Level::Minima && m >= 9 && g >= cfg.min_growth_bps && {
        let rounding = 0.5 * super::names::reading_quantum(c.lo, c.hi);
        let rise_floor = cfg.rise_floor(|| level, span);
        stairs(
            ft,
            &floor,
            level_noise.max(rounding),
            tread.max(rounding),
            rise_floor,
        )
    };

    // Chunk means of the (already robust) floor: the trend test runs on these (≤ 12 values, spaced ≥ one
    // window apart, which tames the autocorrelation of a rolling minimum).
    let k = m.min(12);
    let cm = part_means(&floor, k);
    let tau = mk_tau(&cm, 0.5 * noise);
    let rise = g * fspan;
    let rise_net = cm[k - 1] - cm[0];
    // (The relative floor holds for the minima only: the means carry the working set, which
    // moves with the load by a few percent without anything being retained.)
    let rise_floor = match level_of {
        Level::Minima => cfg.rise_floor(|| level, span),
        Level::Means => cfg.min_rise_bytes,
    };
    let rise_needed = (cfg.rise_sigmas * noise).max(rise_floor);
    // The shape tests below only matter when the floor moved by a significant amount.
    let gate = rise >= rise_needed || rise_net.abs() >= rise_needed;
    let recent_rise = {
        let tail = &floor[m / 2..];
        tail.iter().copied().fold(f64::NEG_INFINITY, f64::max)
            - tail.iter().copied().fold(f64::INFINITY, f64::min)
    };
    if cfg.screen
        && !staircase
        && !(rise >= rise_needed && rise_net >= 0.5 * rise_needed && g >= cfg.min_growth_bps)
    {
        return Some(StretchEval {
            leak: false,
            pattern: Pattern::Unknown,
            growth_bps: g,
            rise,
            rise_needed,
            rise_floor,
            tau,
            floor_now: icpt + g * ft[m - 1],
            floor_start: icpt + g * ft[0],
            span_s: fspan,
            period,
            period_s: period.map(|p| p as f64 * span / (n - 1).max(1) as f64),
            late_ratio: 1.0,
            plateau: Plateau::NotTested,
            recent_rise,
            on_means: level_of == Level::Means,
            confidence: 0.5,
        });
    }

    // Thirds: is the growth steady, decelerating (plateau) or starting late?
    let third = |i: usize, s: &mut Vec<f64>| {
        let a = i * m / 3;
        let b = ((i + 1) * m / 3).max(a + 2).min(m);
        let a = a.min(b.saturating_sub(2));
        half_lag_slope(&ft[a..b], &floor[a..b], s)
    };
    let (g1, g2, g3) = if m >= 9 && gate {
        (third(0, &mut s), third(1, &mut s), third(2, &mut s))
    } else {
        (g, g, g)
    };
    let late_rise = g3 * fspan / 3.0;
    let mid_rise = g2 * fspan / 3.0;
    let late_ratio = if g2 > 0.0 {
        g3 / g2
    } else if g3 > 0.0 {
        10.0
    } else {
        0.0
    };

    // Jumps of the floor: short runs of rise that carry most of the growth.
    let jumps: Vec<Jump> = if gate {
        jumps_of(ft, &floor, noise, rise_net)
    } else {
        Vec::new()
    };
    let jump_total: f64 = jumps.iter().map(|j| j.size).sum();
    let t_end = ft[m - 1];

    let flat_after = |t_from: f64, s: &mut Vec<f64>| -> Option<bool> {
        let a = ft.iter().position(|&t| t >= t_from)?;
        if m - a < 3 || t_end - t_from < 0.15 * fspan {
            return None;
        }
        let ga = half_lag_slope(&ft[a..], &floor[a..], s);
        // (Not when the climb since is a significant rise on its own: a steady leak after a
        // quick warm-up jump is no step, however large the jump.)
        let since = ga * (t_end - t_from);
        Some(since < (3.0 * noise).max(0.2 * jump_total) && since < rise_needed)
    };
    let held = step_jumps(ft, &floor, &jumps, noise);
    let step = !held.is_empty()
        && held.len() <= 2
        && held.iter().map(|j| j.size).sum::<f64>() >= 0.6 * rise_net
        && held
            .last()
            .and_then(|j| flat_after(j.end, &mut s))
            .unwrap_or(false);
    // (Or, for the jumps read against the floor's own scatter — flats between them that do
    // not wander, the bursts apart: quiet between, which random timing needs — each kept and
    // none under way at the floor's first point, no longer than bursts at random times at
    // the pace they kept leave one time in twenty: see `random_quiet`. A fill's climb, cut
    // into jumps by a coarser noise scale, rises between them.)
    let bursts_in = |jumps: &[Jump], quiet_between: bool, paused: bool, s: &mut Vec<f64>| {
        let total: f64 = jumps.iter().map(|j| j.size).sum();
        jumps.len() >= 3 && total >= 0.5 * rise_net && {
            let gaps: Vec<f64> = jumps.windows(2).map(|w| w[1].start - w[0].start).collect();
            let gap = median(&gaps, s);
            let since = t_end - jumps[jumps.len() - 1].end;
            since <= (1.6 * gap).max(0.3 * fspan)
                || (quiet_between
                    && (since <= random_quiet(jumps) || paused)
                    && jumps[0].start > ft[0]
                    && jumps.iter().all(|j| kept(ft, &floor, j)))
        }
    };
    // Or, on the minima, the jumps read against the floor's own scatter (see `held_jumps`):
    // a leak that grows in bursts holds its floor between them, and the chunk minima count
    // its bursts (and its flats, detrended by the mean slope) as scatter, which hides jumps
    // that stand clear of the floor's real noise. (When the floor read as a step — a deploy
    // is one or two jumps, flat since — only three held jumps or more, each risen from the
    // level the floor held before it (a deploy restarts low and warms up: see
    // `rose_from_its_flat`) and each with a transient above the level it left (a burst of
    // traffic whose working set was given back: see `came_with_burst`). A staircase leak is
    // flagged by its third step, though a large first one makes the coarse floor read two.)
    // (Or two held jumps or more carrying half the rise, each risen from its flat and each
    // with a burst: whatever the step and plateau tests read. Random bursts leave a quiet end
    // that reads as a fill's bound, and a few long bursts carry most of the leak; a batch's
    // step or a deploy climbs to its level and stays, with no transient above it.)
    let bursts = bursts_in(&jumps, false, false, &mut s)
        || (gate && level_of == Level::Minima && {
            let rounding = 0.5 * super::names::reading_quantum(c.lo, c.hi);
            let fine = detrended_diff_noise(&c.lo[fa..fb], &mut s)
                .max(rounding)
                .max(level * 1e-4)
                .max(cfg.min_noise);
            // (A trailing minimum rises a window after the bucket minima it is read from;
            // the line through cycle troughs, which `floor_of` draws here, does not lag.)
            let lag = match period {
                Some(p) if p >= 3 && (n * 5 / p) >= 13 => 0.0,
                _ => c.t[fa] - c.t[0],
            };
            let held = held_jumps(ft, &floor, c.t, &mins, lag, fine, noise, rise_net, &mut s);
            // Whether every held jump (`every`), or one at least, came with a burst (see
            // `came_with_burst`; `band`: the height its transient must clear).
            let came_with = |s: &mut Vec<f64>, with_wander: bool, band: f64, every: bool| {
                let scatter = detrended_diff_noise(&c.mean[fa..fb], s).max(cfg.min_noise);
                let mut each = held.iter().enumerate().map(|(i, j)| {
                    let next = held.get(i + 1).map_or(t_end + lag, |k| k.start);
                    came_with_burst(c, j, lag, next, scatter, with_wander, band)
                });
                if every {
                    each.all(|came| came)
                } else {
                    each.any(|came| came)
                }
            };
            let with_bursts =
                |s: &mut Vec<f64>, with_wander: bool| came_with(s, with_wander, 0.0, true);
            // (A quiet end longer than random bursts leave is still no bound when the bursts
            // did not both shrink and space out as a fill's steps do (see
            // `paused_not_filled`)
            // and one of them at least came with a transient: a burst of traffic whose
            // working set was given back while its residue stayed. A fill, a batch's step or
            // a deploy climbs to the level it keeps and never overshoots it; an LRU cache
            // that fills at a wobbling pace reads as bursts that grow and come closer, then
            // hold at its cap, and only the missing transient tells it apart. The transient
            // must stand above the level by half as much again as the bucket means stand
            // above the floor over the stretch in the median: the collector's band. Under a
            // GC sawtooth the floor steps up at its troughs and the teeth's means stand
            // above the level after each step, as a burst's would, but no higher than the
            // band they make everywhere else; a burst's working set stands clear of it.
            // (`evaluate --seed 3` s0150-plateau: a 2.2 h fill under a 20 MB sawtooth,
            // teeth 8.5 MB above the level, band 11.7 MB.))
            let paused = paused_not_filled(&held) && {
                s.clear();
                s.extend((fa..fb).map(|i| c.mean[i] - floor[i - fa]));
                let band = 1.5 * median_mut(&mut s);
                came_with(&mut s, false, band, false)
            };
            (bursts_in(&held, true, paused, &mut s)
                && (!step
                    || (held.len() >= 3
                        && rose_from_its_flat(ft, &floor, &held, &mut s)
                        && with_bursts(&mut s, false))))
                || (held.len() >= 2
                    && held.iter().map(|j| j.size).sum::<f64>() >= 0.5 * rise_net
                    && rose_from_its_flat(ft, &floor, &held, &mut s)
                    && with_bursts(&mut s, true))
        });

    let significant =
        rise >= rise_needed && rise_net >= 0.5 * rise_needed && g >= cfg.min_growth_bps;
    let flat_end = late_rise < (2.5 * noise).max(0.1 * rise);
    // Halves: the floor's pace over its first half and over its second.
    let halves = |s: &mut Vec<f64>| {
        let h = m / 2;
        (
            half_lag_slope(&ft[..h], &floor[..h], s),
            half_lag_slope(&ft[h..], &floor[h..], s),
        )
    };
    // Deceleration must show at two scales (thirds and halves): one noisy third is no plateau.
    let (h1, h2) = if m >= 8 && gate && g3 < 0.8 * g2.max(g) {
        halves(&mut s)
    } else {
        (g, g)
    };
    // A plateau: the growth slows down, at two scales, by clearly more than the noise.
    let decel = g3 < 0.45 * g2.max(g)
        && h2 < 0.6 * h1
        && (g2.max(g) * fspan / 3.0 - late_rise) >= 2.5 * noise;
    // Or the growth slows at every step: the first third faster than the middle one, the
    // middle faster than the last (by 30% at least, beyond the noise), and the second half
    // under 60% of the first. A fill still far from its bound does this
    // (an exponential approach slows by the same factor each third); a steady leak's thirds
    // differ only by noise, and a leak after a warm-up is steady after its first third.
    // The curvature must stand beyond twice its standard error as well (see `quad_decel`):
    // a wander of the level bends one third or another by chance, not the whole stretch.
    // The floor drawn through cycle troughs holds one independent value per cycle, not one
    // per chunk: nine of them at least, as for a leak.
    let independent = match period {
        Some(p) if p >= 3 && (n * 5 / p) >= 13 => k.min(n / p),
        _ => k,
    };
    let curved = || {
        quad_fit(ft, &floor).is_some_and(|(b, c)| {
            let se_c = noise * (180.0 / independent as f64).sqrt();
            b > 0.0 && c < -2.0 * se_c
        })
    };
    let decel = decel
        || (gate
            && independent >= 9
            && g3 < 0.7 * g2
            && g2 < g1
            && h2 < 0.6 * h1
            && (g2 - g3) * fspan / 3.0 >= 2.5 * noise
            && curved());
    // Or the last third stayed flat: within the noise, and well below what the trend predicts.
    // Or the floor held over the last two thirds — each third within the noise, and the two
    // together: the rise came in the first third and stopped (a cache filled to its bound),
    // and a level that wanders about it, down in one third and back up in the next, is no
    // growth. (The whole stretch's pace, pulled down by the flat two thirds, predicts too
    // little for the test above; a leak of the size that is significant here rises four
    // noise scales over two thirds of the stretch.)
    let held = gate
        && m >= 9
        && mid_rise < 2.5 * noise
        && late_rise < 2.5 * noise
        && half_lag_slope(&ft[m / 3..], &floor[m / 3..], &mut s) * fspan * 2.0 / 3.0 < 2.5 * noise;
    let flat_end = (flat_end && late_rise < 0.35 * g2.max(g) * fspan / 3.0) || held;
    // Or a quadratic through the floor bends down clearly (curvature beyond twice its
    // standard error, ≈ noise·√(180/k) for k independent chunks) and ends at less than half
    // the slope it started with: a fill approaching its bound. The last third must be slower
    // than the middle one too — a warm-up bends the quadratic at the start of a run that then
    // grows steadily.
    // (Or, where the middle and last thirds read alike, the floor still bends after its first
    // quarter: a warm-up is over in minutes and leaves the rest of the run straight, while a
    // fill with a time constant near the run's length keeps slowing — the quadratic through
    // its last three quarters bends down too and ends under half the slope it starts with.
    // Not for a run after restarts nor a floor that climbed in jumps. The bend is weighed
    // against a standard error from the scatter of the block means themselves about the
    // quadratic, widened for their autocorrelation (see `quad_fit_block_se`): a level that
    // wanders bends a quadratic by chance, and a noise scale read about a line, or blocks
    // taken as independent, understate that. The bar is Student's t at 97.5 % for the
    // residuals' degrees of freedom: the textbook "two standard errors" when the standard
    // error is itself estimated from a handful of blocks.)
    let bends_late = || {
        if !cfg.one_run || jump_total >= 0.5 * rise_net {
            return false;
        }
        let a = m / 4;
        let kk = (independent * (m - a) / m).max(1);
        m - a >= 6
            && quad_fit_block_se(&ft[a..], &floor[a..], kk).is_some_and(|(b, c, se)| {
                b > 0.0 && c < -student_t975(kk - 3) * se && (b + 2.0 * c) < 0.5 * b
            })
    };
    // (Not over a run of half an hour to two hours (`SEES_PAST_WARM_UP`), with no restart,
    // whose middle third outpaced its first and whose last third still rose beyond the
    // noise: a fill — an exponential or square-root approach, a cache — is fastest at its
    // start and slows at every step, so its first third is never the slower one; a warm-up
    // that is over in minutes and a level that wanders at the scale of the thirds (tens of
    // minutes) bend the quadratic of a steady leak this way instead. Over longer runs a cache
    // that began filling late reads so too: there the first third may hold the flat before
    // its fill. On the floor of the minima only: the means carry the working set, which
    // swings with the load and humps so without anything retained.)
    let wandered = level_of == Level::Minima
        && cfg.one_run
        && !cfg.window
        && (SEES_PAST_WARM_UP..2.0 * 3600.0).contains(&fspan)
        && g1 < g2
        && late_rise >= 2.5 * noise;
    let quad_decel =
        gate && quad_fit(ft, &floor).is_some_and(|(b, c)| {
            let se_c = noise * (180.0 / k as f64).sqrt();
            b > 0.0 && c < -2.0 * se_c && (b + 2.0 * c) < 0.5 * b
        }) && (g3 < 0.8 * g2 || bends_late())
            && !wandered;
    // Or, over a short run (under an hour, no restart: the whole recording so far), the second
    // half grew clearly slower than the first — by a quarter at least, and by more than three
    // noise scales of a half's rise. A fill decelerates over any span (an exponential approach
    // with a time constant twice the stretch already slows by that much); a leak's pace holds,
    // and one that starts late or speeds up grows faster in the second half. The thirds
    // above hold too few independent floor values to see this in minutes.
    // (The paces of the halves when the second is the clearly slower one; the caveat of a
    // leak that eased reads them too.)
    // A short run whose collections come farther apart than the floor's window shows the
    // level after a collection only at its falls: the halves are read there (see
    // `sparse_collection_bottoms`).
    let short_run = gate && cfg.one_run && !cfg.window && fspan < 3600.0;
    // (`Some(None)`: collections are sparse, and too few in a half to read its pace.)
    let bottoms = if short_run {
        sparse_collection_bottoms(c, w, noise, &mut s)
    } else {
        None
    };
    let bottom_paces = bottoms
        .as_deref()
        .map(|b| bottom_halves(b, ft[m / 2], &mut s));
    let slower_by_halves = |s: &mut Vec<f64>| {
        let (h1, h2) = match bottom_paces {
            Some(paces) => paces?,
            None => halves(s),
        };
        (h1 > 0.0 && (h1 - h2) * fspan / 2.0 >= 3.0 * noise).then_some((h1, h2))
    };
    let halves_ratio = if short_run && m >= 8 {
        slower_by_halves(&mut s).map(|(h1, h2)| h2 / h1)
    } else {
        None
    };
    // (Not when the last two thirds kept one pace — the last at 90% of the middle one's or
    // more, and still rising beyond the noise — with nine floor points, over half an hour
    // at least (`SEES_PAST_WARM_UP`): the halves then slowed by the first third alone, a
    // warm-up's minutes before a steady climb. An exponential approach whose second half
    // lost a quarter of the first's pace loses a sixth between its middle and last thirds,
    // at every step alike.)
    let short_fill = halves_ratio.is_some_and(|r| r < 0.75)
        && !(m >= 9
            && fspan >= SEES_PAST_WARM_UP
            && g2 > 0.0
            && g3 >= 0.9 * g2
            && late_rise >= 2.5 * noise);
    // A floor that rises in bursts is quiet between them: a quiet end is no bound when the
    // floor already held as long (or longer) before its latest quiet and then rose again
    // (the latest quiet may be the pace it has slowed to: a warm-up's rises drift apart),
    // and its quiet stretches do not lengthen (Kendall τ of the gaps between its rises under
    // 0.3; a fill's gaps lengthen at nearly every rise, τ near 1) — or lengthen loosely (τ
    // under 0.5) but the longest is not the latest: the floor rose again at its earlier pace
    // after it, where a fill's longest quiet is its last — or the longest is the latest but
    // the gaps before it did not lengthen at all (see `quiets_of_bursts`). Rises are counted
    // in steps of the same 2.5 noise scales the slowdown must clear, from the fourth on:
    // three gaps, the least that shows a spacing. (Not for the halves test of a short run:
    // minutes hold too few independent rises to tell a spacing.)
    let quiet_seen_before = || {
        let (rises, quiet_now) = floor_rises(ft, &floor, 2.5 * noise);
        let gaps: Vec<f64> = rises.windows(2).map(|w| w[1] - w[0]).collect();
        // (A quiet spans three floor points at least: rises one or two points apart are a
        // steady climb read in steps.)
        let quiet = quiet_now.max(3.0 * fspan / (m - 1) as f64);
        quiets_of_bursts(&gaps, quiet)
    };
    // (Unless the floor slowed at two scales and the means follow an exponential approach to
    // a bound far better than a line after a warm-up — by 10 on the Bayesian information
    // criterion, as `fills_to_bound` asks, whatever the time constant: the slowdown shows it
    // is no line. Bursts leave a line under their steps, which no fill beats by that much; a
    // fill that wanders at its own time scale stalls where the wander dips and climbs on,
    // which the count above reads as the quiet between bursts.)
    // (Reported as `Plateau::FillsToBound`, with the fill's time constant over the run.)
    let could_plateau = (significant || rise_net >= rise_needed) && !bursts;
    let slowed = decel || flat_end || quad_decel;
    let quiet = could_plateau && slowed && quiet_seen_before();
    let fill_over_quiet = (quiet && decel && cfg.one_run && !cfg.window)
        .then(|| fill_beats_warm_line(c, 0.0))
        .flatten()
        .map(|f| f.tau_rel);
    // (A short run whose collections come farther apart than the floor's window, too few
    // of them in a half to read its level: between them its floor is the heap with its
    // garbage, and the slowdowns above read the collector's pacing, not the level. Nothing
    // then shows a fill.)
    let unread = matches!(bottom_paces, Some(None));
    let plateau = could_plateau
        && ((!unread && slowed && (!quiet || fill_over_quiet.is_some())) || short_fill);
    // Or, over a whole run with no restart, the floor keeps slowing after its first quarter: a
    // process's warm-up (its pools, JIT and connections) is over within its first quarter, after
    // which a leak keeps its pace, while a cache still filling slows all along — an exponential
    // approach whose time constant is a third of the run or more still loses half its pace between
    // the first and last three-eighths of the rest. Read on the floor's last three quarters cut in
    // two (robust half-lag slopes): the second half grew under 80% of the first half's pace, by
    // more than the 2.5 noise scales the other slowdowns clear, and that half under 65% of the
    // first quarter's pace: the pace falls at each step, as an approach to a bound does (a leak
    // whose pace eased once, or bursts that happened to bunch early, slow at one step only). The
    // second bar is the looser: a cache filling as the square root of its age (new keys ever
    // rarer) slows to 0.39 of its pace at the first step and only to 0.72 at the second, where a
    // leak after its warm-up keeps its pace (a ratio near 1). Not for a floor that rose in bursts,
    // in jumps (half its rise after the first quarter or more), a staircase or a step, nor one
    // whose quiet spells came before its latest (see `quiet_seen_before`): those pause and climb
    // on at their old pace. Over two hours or more only: a quarter of a shorter run is too brief
    // to hold a warm-up (its pools, JIT and connections take minutes to half an hour).
    // (The jumps counted there are those of the last three quarters, against the rise over
    // them: a fill is fastest at its start, and its first quarter — the part this test sets
    // aside as warm-up — may climb in one or two jumps of the floor; a staircase or bursts
    // spread their jumps over the run and are told apart by the tests above.)
    let jumps_after_warm_up = || -> f64 {
        jumps
            .iter()
            .filter(|j| j.start >= ft[m / 4])
            .map(|j| j.size)
            .sum()
    };
    let slows_after_warm_up = (!plateau
        && could_plateau
        && !unread
        && gate
        && cfg.one_run
        && !cfg.window
        && !staircase
        && !step
        && fspan >= 2.0 * 3600.0
        && m >= 16
        && jumps_after_warm_up() < 0.5 * (floor[m - 1] - floor[m / 4]))
        .then(|| {
            let a = m / 4;
            let mid = (a + m) / 2;
            let s1 = half_lag_slope(&ft[a..mid], &floor[a..mid], &mut s);
            let s2 = half_lag_slope(&ft[mid..], &floor[mid..], &mut s);
            let g0 = half_lag_slope(&ft[..a], &floor[..a], &mut s);
            (s1 > 0.0
                && s1 < 0.65 * g0
                && s2 < 0.8 * s1
                && (s1 - s2) * (t_end - ft[mid]) >= 2.5 * noise)
                .then_some((s2 / s1).max(0.0))
        })
        .flatten()
        .filter(|_| !quiet_seen_before());
    let plateau = plateau || slows_after_warm_up.is_some();
    // The trend: monotone (Mann–Kendall τ). Growth spread over the stretch: at least two of
    // its thirds grow (a ramp confined to the last third is a step in progress or a blip, not
    // yet a leak).
    // Or, over a whole run with no restart whose floor grew clearly slower in its second half
    // than in its first (by a quarter, beyond the noise: see `slower_by_halves`), the means
    // follow an exponential approach to a bound better than any line after a warm-up (see
    // `fills_to_bound`): by 10 on the Bayesian information criterion — "very strong"
    // evidence — counting the parts only as far as their residuals are independent, the
    // fill's time constant under 0.6 of the run (its pace falling all along, by e^(−1/0.6)
    // and more, not once). A process warms its pools, JIT and connections within its first
    // hours, so the warm-up's time constant is held to three hours and a sixth of the run: a
    // slower approach is a cache filling. (A fill that has risen only a few noise scales, or
    // whose approach a warm-up and a line mimic within the noise, stays a leak with the
    // halves caveat: the data do not tell them apart.) Whatever share of the rise the floor
    // read in jumps: a cache fills fastest at first, so its first hours may read as a jump,
    // while growth in jumps that is a leak is told by the step, staircase and bursts tests,
    // which this one excludes.
    let trend = tau >= cfg.min_tau;
    // (Where collections are sparse the thirds read the collector's pacing, not the level:
    // the growth is spread when the levels after three collections or more, across more
    // than a third of the stretch, each stood above the one before by more than the noise.)
    let spread = [g1, g2, g3].iter().filter(|&&gi| gi >= 0.3 * g).count() >= 2
        || bottoms
            .as_deref()
            .is_some_and(|b| rose_at_each_collection(b, noise, fspan / 3.0));
    let fill_fit = (!plateau
        && significant
        && trend
        && spread
        && !staircase
        && !bursts
        && !step
        && gate
        && cfg.one_run
        && !cfg.window
        && !cfg.screen
        && m >= 24
        && slower_by_halves(&mut s).is_some_and(|(h1, h2)| h2 < 0.75 * h1))
    // (Or a fill first used after the run began — a cache may wait for its first requests,
    // as late as 15% into the run — with the line it is weighed against free to start as
    // late (a leak's onset): fitted from the run's start, the flat first hours bend the fill
    // away from the data. Only where that freedom cannot fit what a leak does: the floor
    // rose mostly outside jumps and without quiet spells it had seen before (bursts that
    // began late and bunched early), its pace over the first quarter (which holds the
    // fill's start and its fastest climb) at least half its pace over the next three-eighths
    // (a fill that starts by 15% with a time constant under 0.6 of the run keeps that pace
    // within 1.7 times; a leak whose first burst came late climbs far faster after it), and
    // the rise twice what a leak needs (the start and the bend read beyond a wander the size
    // of a low leak).)
    .then(|| {
        fills_to_bound(c).or_else(|| {
            (jump_total < 0.5 * rise_net
                && rise >= 2.0 * rise_needed
                && {
                    let a = m / 4;
                    let mid = (a + m) / 2;
                    let g0 = half_lag_slope(&ft[..a], &floor[..a], &mut s);
                    half_lag_slope(&ft[a..mid], &floor[a..mid], &mut s) <= 2.0 * g0
                }
                && !quiet_seen_before())
            .then(|| fills_to_bound_from(c, 0.15))
            .flatten()
        })
    })
    .flatten()
    .map(|f| f.tau_rel);
    let plateau = plateau || fill_fit.is_some();
    let fill_fit = fill_fit.or(fill_over_quiet);
    // (Nine floor points at least: with fewer, a warm-up cannot be told from a leak.)
    let leak = m >= 9
        && ((significant && ((trend && spread && !plateau && !step) || (bursts && tau >= 0.4)))
            || (staircase && tau >= 0.4));

    let floor_now = icpt + g * t_end;
    // A collector's sawtooth under the stretch: a slow climb, a sharp fall (only asked for
    // names; a cycle alone is not one).
    let sawtoothy = || super::names::collector_sawtooth(c.lo, c.hi, c.mean, c.first, c.last, c.n);
    // (The names ask more of the band: see `collector_teeth`.)
    let teeth = || super::names::collector_teeth(c.lo, c.hi, c.mean, c.first, c.last, c.n);
    // Cycles of an hour or more are traffic; shorter ones are garbage collection.
    // (Not when a collector's sawtooth runs under the stretch and the cycle has its shape:
    // the period search caught a multiple of the collector's period, see
    // `cycle_falls_sharply`.) The period is found in whole buckets, so it is known to half a
    // bucket: a cycle that may last an hour is traffic's (a collector's cycle is minutes).
    let longest_period_s = |p: usize| (p as f64 + 0.5) * (span / (n - 1).max(1) as f64);
    let cyc_long = period.is_some_and(|p| {
        longest_period_s(p) >= 3600.0
            && !(super::names::cycle_falls_sharply(c.t, c.mean, p) && sawtoothy())
    }) && super::names::cycle_outswings_buckets(c.t, c.mean, c.lo, c.hi);
    // A leak's cycle that is a staircase's spacing: the means rose in a few jumps and held
    // between (see `rose_in_few_jumps`: a traffic cycle's means fall back each period, over a
    // leak that grows with the traffic too), or the means stood above the floor around them
    // (within half a period) for under a quarter of the time (see `stood_above_floor_briefly`:
    // a batch's run is short next to its spacing, traffic is up for half its period, and a
    // leak that grows with it holds what it added). Under half a day only: traffic
    // keeps the clock — a day, or its morning and evening peaks — and a leak that grows only
    // while traffic is up steps once a period just as a staircase does, its busy hours brief
    // on a business day; the cycle's name says it follows the clock.
    let jumps_not_cycle = || {
        period.is_some_and(|p| {
            longest_period_s(p) < 0.5 * super::evaluate::DAY
                && (super::names::rose_in_few_jumps(c.t, c.lo, c.hi, c.mean)
                    || super::names::stood_above_floor_briefly(c.lo, c.mean, p))
        })
    };
    let pattern = if leak {
        // (Names only, from the floor's flat stretches and jumps; not while screening: their
        // fits cost more than the judgement, and a screened name is never shown.)
        if cyc_long && (cfg.screen || !jumps_not_cycle()) {
            Pattern::LeakUnderCycle
        } else if !cfg.screen && super::names::grew_in_bursts(c.t, c.lo, c.hi) {
            Pattern::GrowthInBursts
        } else if (g1 < 0.25 * g3.max(g) && g1 * fspan / 3.0 < 0.15 * rise)
            || (!cfg.screen && super::names::held_level_then_climbed(c.t, c.lo))
        {
            super::names::late_climb(&c.lo[..fa + m / 3], rise_needed.max(8.0 * sigma))
        } else if teeth()
            || (!cfg.screen
                && (super::names::band_on_hard_floor(c.lo, c.hi, c.first, c.last, c.n)
                    || super::names::band_of_fresh_draws(
                        c.t,
                        c.lo,
                        c.hi,
                        c.mean,
                        (c.first, c.last),
                        c.n,
                    )))
        {
            Pattern::RisingFloor
        } else {
            Pattern::LinearGrowth
        }
    } else if step {
        Pattern::Step
    } else if plateau {
        Pattern::Plateau
    } else if rise < -rise_needed && tau <= -cfg.min_tau {
        Pattern::Declining
    } else if cyc_long {
        Pattern::Cyclic
    } else if spiked(
        c,
        cm[k - 1],
        (10.0 * noise).max(0.15 * level),
        &mut Vec::new(),
    ) {
        Pattern::SpikeRecovered
    } else if super::names::collector_teeth_filled(c.lo, c.hi, c.mean, c.first, c.last, c.n) {
        // (Filled: a flat stretch's stray readings stretch its buckets as a collector's band
        // does, and the name would read teeth where there are none; see
        // `collector_teeth_filled`.)
        Pattern::Sawtooth
    } else {
        Pattern::Stable
    };
    // A leak whose second half grew clearly slower than its first, by the halves test above
    // over any span: the verdict stands (a leak after a warm-up does this too, and one whose
    // pace eased), but it says that a cache still filling slows the same way. (Not for growth
    // in jumps: its halves' paces show where the jumps fell. Not while screening: a screened
    // verdict carries no words.)
    let eased_by_halves =
        if leak && !cfg.screen && m >= 8 && !bursts && pattern != Pattern::GrowthInBursts {
            slower_by_halves(&mut s)
                .filter(|&(h1, h2)| h2 < 0.75 * h1)
                .map(|(h1, h2)| (h2 / h1).max(0.0))
        } else {
            None
        };
    let confidence = if leak {
        let a = clamp01((rise / rise_needed - 1.0) / 3.0);
        let b = clamp01((tau - cfg.min_tau) / (1.0 - cfg.min_tau).max(1e-9));
        0.6 + 0.2 * a + 0.2 * b
    } else if step || plateau {
        0.6 + 0.3 * clamp01(1.0 - late_ratio)
    } else {
        let a = clamp01(1.0 - rise / rise_needed);
        let b = clamp01((cfg.min_tau - tau) / cfg.min_tau.max(1e-9));
        0.55 + 0.4 * a.max(b)
    };
    Some(StretchEval {
        leak,
        pattern,
        growth_bps: g,
        rise,
        rise_needed,
        rise_floor,
        tau,
        floor_now,
        floor_start: icpt + g * ft[0],
        span_s: fspan,
        period,
        period_s: period.map(|p| p as f64 * span / (n - 1).max(1) as f64),
        late_ratio,
        plateau: if !gate {
            Plateau::NotTested
        } else if let Some(tau_rel) = fill_fit {
            Plateau::FillsToBound(tau_rel)
        } else if let Some(ratio) = slows_after_warm_up {
            Plateau::SlowsAfterWarmUp(ratio)
        } else if plateau && flat_end && !decel {
            Plateau::FlatEnd
        } else if plateau && short_fill && !decel && !quad_decel {
            Plateau::SlowsByHalves(halves_ratio.unwrap_or(0.0).max(0.0))
        } else if plateau && !flat_end && late_rise >= 2.5 * noise {
            // (The same margin the slowdown itself must clear: a last third that still
            // rose by as much has not reached a bound.)
            Plateau::DeceleratesStillRising(late_ratio.max(0.0))
        } else if plateau {
            Plateau::Decelerates(late_ratio.max(0.0))
        } else if let Some(ratio) = eased_by_halves {
            Plateau::EasedByHalves(ratio)
        } else if late_ratio < 0.8 {
            Plateau::Slowing(late_ratio.max(0.0))
        } else {
            Plateau::Steady(late_ratio)
        },
        recent_rise,
        on_means: level_of == Level::Means,
        confidence: clamp01(confidence),
    })
}

#[cfg(test)]
mod tests {
    use super::super::testing::{centred_uniform, jitter};
    use super::*;

    /// `held_jumps` on a floor of points 10 min apart (chunk minima of ten points, twelve
    /// chunks as in `judge_level`), read against a fine scatter of 0.1 MB where the chunks'
    /// scatter is 5 MB.
    fn held(floor: &[f64]) -> Vec<Jump> {
        let ft: Vec<f64> = (0..floor.len()).map(|i| 600.0 * i as f64).collect();
        let mins = cycle_troughs(floor, 10);
        let net = floor[floor.len() - 1] - floor[0];
        held_jumps(
            &ft,
            floor,
            &ft,
            &mins,
            0.0,
            0.1e6,
            5e6,
            net,
            &mut Vec::new(),
        )
    }

    /// 60 MB plus 10 MB for each of `steps` reached (each a rise over `over` points) under
    /// 0.1 MB of scatter, 120 points.
    fn steps_at(steps: &[usize], over: f64) -> Vec<f64> {
        (0..120)
            .map(|i| {
                let up: f64 = steps
                    .iter()
                    .map(|&s| ((i as f64 + 1.0 - s as f64) / over).clamp(0.0, 1.0))
                    .sum();
                60e6 + 10e6 * up + 0.1e6 * jitter(i)
            })
            .collect()
    }

    /// Three bursts of 10 MB, each over one point, flat between under 0.1 MB of scatter:
    /// three held jumps. The same floor giving back most of its last burst holds no jumps
    /// (a burst of traffic returns its memory, a leak keeps it); rises that follow each
    /// other with a single point between are a climb read finely, not bursts; and over
    /// flats that wander at the chunks' scale the jumps must clear that wander.
    #[test]
    fn held_jumps_are_held_bursts_apart_over_flats_that_do_not_wander() {
        let bursts = steps_at(&[20, 50, 80], 1.0);
        let jumps = held(&bursts);
        assert_eq!(jumps.len(), 3, "{jumps:?}");
        assert!(
            jumps.iter().all(|j| (j.size - 10e6).abs() < 0.5e6),
            "{jumps:?}"
        );

        let given_back: Vec<f64> = bursts
            .iter()
            .enumerate()
            .map(|(i, &v)| v - if i >= 100 { 8e6 } else { 0.0 })
            .collect();
        assert!(held(&given_back).is_empty());

        let climb = steps_at(&[40, 43, 46], 2.0);
        assert!(held(&climb).is_empty());

        // A wander of ±3 MB over four chunks: each chunk's minimum some 3 MB from the next.
        let wandering: Vec<f64> = bursts
            .iter()
            .enumerate()
            .map(|(i, &v)| v + 3e6 * (std::f64::consts::TAU * i as f64 / 40.0).sin())
            .collect();
        assert!(held(&wandering).is_empty());
    }

    /// Four bursts of 10 MB, two of them a point apart (a leak's bursts come when they come):
    /// most pairs stand apart, so all four are held jumps. Three rises that follow each other
    /// a point apart and one burst long after are a climb read finely and a burst: most
    /// pairs do not stand apart, and no jump is read.
    #[test]
    fn held_jumps_may_fall_close_together_when_most_stand_apart() {
        let jumps = held(&steps_at(&[20, 23, 60, 95], 2.0));
        assert_eq!(jumps.len(), 4, "{jumps:?}");
        assert!(held(&steps_at(&[40, 43, 46, 90], 2.0)).is_empty());
    }

    /// A floor read as the trailing minimum of its bucket minima over twelve buckets (as in
    /// `judge_level` with no cycle) steps up a window after they do. Four held bursts of
    /// 10 MB in the bucket minima are four jumps of that floor once the chunk minima are
    /// read on the floor's clock — compared on the buckets' own clock, the pairs of chunk
    /// minima that hold the bursts pass for the flats between them, and their scatter (the
    /// bursts themselves) hides every jump.
    #[test]
    fn held_jumps_compare_the_chunk_minima_with_a_lagging_floor_on_one_clock() {
        let t: Vec<f64> = (0..144).map(|i| 600.0 * i as f64).collect();
        let lo: Vec<f64> = (0..144)
            .map(|i| {
                let bursts = [11usize, 46, 81, 116].iter().filter(|&&b| i >= b).count();
                60e6 + 10e6 * bursts as f64 + 0.1e6 * jitter(i)
            })
            .collect();
        let (mut floor, mut dq) = (Vec::new(), Vec::new());
        rolling_min(&lo, 12, &mut floor, &mut dq);
        let ft = &t[11..];
        let mins = cycle_troughs(&lo, 12);
        let net = floor[floor.len() - 1] - floor[0];
        let lag = t[11] - t[0];
        let jumps = held_jumps(ft, &floor, &t, &mins, lag, 0.1e6, 5e6, net, &mut Vec::new());
        assert_eq!(jumps.len(), 4, "{jumps:?}");
    }

    /// A floor already rising at its first point (the tail of a warm-up, or a fill's start)
    /// has no quiet before that rise to show it was a burst: only the three bursts after it
    /// count.
    #[test]
    fn a_rise_under_way_at_the_floors_first_point_is_no_held_jump() {
        let floor: Vec<f64> = (0..120)
            .map(|i| {
                let start = (i as f64 / 3.0).min(1.0) * 20e6;
                let bursts = [40usize, 70, 100].iter().filter(|&&b| i >= b).count();
                60e6 + start + 5e6 * bursts as f64 + 0.1e6 * jitter(i)
            })
            .collect();
        let jumps = held(&floor);
        assert_eq!(jumps.len(), 3, "{jumps:?}");
        assert!(jumps.iter().all(|j| j.start > 0.0), "{jumps:?}");
    }

    /// 12 h of a floor at 500 MB under 0.3 MB of scatter that rose in three held bursts of
    /// 10 MB, at 2, 4 and 6 h (each over 10 minutes), and has been quiet for 6 h since: half
    /// the stretch, longer than 1.6 of the bursts' spacings and than 0.3 of the stretch, but
    /// under the three spacings that bursts at random at that pace leave one time in twenty.
    /// A leak in bursts; the same bursts at 1, 1.5 and 2 h, quiet for 10 h since (twenty
    /// spacings), reached a bound.
    #[test]
    fn a_quiet_end_that_random_bursts_often_leave_is_no_plateau() {
        let floor = |at: [usize; 3]| -> Vec<f64> {
            (0..144)
                .map(|i| {
                    let up: f64 = at
                        .iter()
                        .map(|&b| ((i as f64 + 1.0 - b as f64) / 2.0).clamp(0.0, 1.0))
                        .sum();
                    500e6 + 10e6 * up + 0.3e6 * jitter(i)
                })
                .collect()
        };
        let leak = judge_minima(&floor([24, 48, 72])).expect("judged");
        assert!(leak.leak, "{leak:?}");
        let filled = judge_minima(&floor([12, 18, 24])).expect("judged");
        assert!(!filled.leak, "{filled:?}");
        let j = |start: f64| Jump {
            start,
            end: start + 600.0,
            size: 1.0,
        };
        assert!((random_quiet(&[j(0.0), j(3600.0), j(7200.0)]) - 10800.0).abs() < 1e-6);
    }

    /// Bursts at random times that paused once for long — the floor's rises 3.7, 2.2 and
    /// 2.4 h apart, then 8.5 h, and a rise again an hour ago — are no fill whose quiets
    /// lengthen (τ of all four gaps 0.33 with the longest the latest, which alone read as a
    /// fill): the gaps before the pause did not lengthen. A fill's gaps lengthen from the
    /// first; and a quiet now longer than any before is no quiet seen before.
    #[test]
    fn bursts_that_paused_once_for_long_and_climbed_on_are_no_fill() {
        let h = 3600.0;
        let paused = [3.7 * h, 2.2 * h, 2.4 * h, 8.5 * h];
        assert!(quiets_of_bursts(&paused, h));
        assert!(!quiets_of_bursts(&[h, 1.5 * h, 2.3 * h, 3.5 * h], h));
        assert!(!quiets_of_bursts(&paused, 9.0 * h));
    }

    /// `judge_minima` for a whole run with no restart (`Cfg::one_run`).
    fn judge_one_run(lo: &[f64]) -> Option<StretchEval> {
        let cfg = Cfg {
            one_run: true,
            ..super::super::RecognizeOptions::default().cfg()
        };
        judge_minima_with(lo, &cfg)
    }

    /// A whole run of 12 h in 5 min buckets: `level` of the hour under a wander of the floor
    /// (an AR(1) of 3 MB steps, 25 min time constant) and 1 MB of scatter, the same draw for
    /// each level.
    fn wandering_run(level: &dyn Fn(f64) -> f64) -> StretchEval {
        let mut x = 195u64.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        let mut w = 0.0;
        let lo: Vec<f64> = (0..144)
            .map(|i| {
                let h = f64::from(i) / 12.0;
                w = 0.8 * w + 3e6 * centred_uniform(&mut x);
                level(h) + w + 1e6 * centred_uniform(&mut x)
            })
            .collect();
        judge_one_run(&lo).expect("judged")
    }

    /// 12 h of 5 min buckets under a wander of the floor (see `wandering_run`): a cache filling
    /// by 60 MB with a time constant of 4 h or 6 h (a third or half the run) is still rising at
    /// the end, and the wander hides its slowing from the thirds; after the first quarter its pace
    /// keeps falling (the last three-eighths under 65% of the three-eighths before, those
    /// under 65% of the first quarter): a plateau, not a leak. A leak of 5 MB/h after a
    /// 15 min warm-up from 60% of its level, under the same wander, stays a leak.
    #[test]
    fn a_fill_that_keeps_slowing_after_its_first_quarter_is_no_leak_after_a_warm_up() {
        for tau_h in [4.0, 6.0] {
            let e = wandering_run(&|h| 400e6 + 60e6 * (1.0 - (-h / tau_h).exp()));
            assert!(!e.leak, "fill with time constant {tau_h} h: {e:?}");
            assert!(
                matches!(e.plateau, Plateau::SlowsAfterWarmUp(r) if r < 0.65),
                "fill with time constant {tau_h} h: {e:?}"
            );
        }
        let leak = wandering_run(&|h| 400e6 * (0.6 + 0.4 * (1.0 - (-h / 0.25).exp())) + 5e6 * h);
        assert!(leak.leak, "{leak:?}");
    }

    /// 12 h of 5 min buckets under the wander of `wandering_run`: a cache filling as the
    /// square root of its age (`tanh √(t/T)` to 250 MB, T of 2, 4 and 8 runs: keys drawn
    /// from a long tail, each new one rarer) slows to 0.39 of its pace between the
    /// first quarter and the next three-eighths but only to 0.72 between those and the last
    /// three-eighths — it slows at each step, by less at the second: a plateau, not a leak.
    /// A leak of 20 MB/h after a 30 min warm-up from 60% of its level, under the same
    /// wander, keeps its pace after the warm-up and stays a leak.
    #[test]
    fn a_square_root_fill_that_slows_less_at_its_second_step_is_no_leak_after_a_warm_up() {
        for t_h in [24.0, 48.0, 100.0] {
            let e = wandering_run(&|h| 400e6 + 250e6 * (h / t_h).sqrt().tanh());
            assert!(!e.leak, "fill on a scale of {t_h} h: {e:?}");
            assert!(
                matches!(e.plateau, Plateau::SlowsAfterWarmUp(r) if r > 0.65 && r < 0.8),
                "fill on a scale of {t_h} h: {e:?}"
            );
        }
        let leak = wandering_run(&|h| 400e6 * (0.6 + 0.4 * (1.0 - (-h / 0.5).exp())) + 20e6 * h);
        assert!(leak.leak, "{leak:?}");
    }

    /// The fills of the test above, under the same wander, each opening with a jump of
    /// 60 MB within its first hour (a cache fastest at its start: its first requests fill
    /// most of it at once), more than half the floor's rise: the jump falls in the first
    /// quarter, which the test sets aside as warm-up, and the pace after it keeps falling — a
    /// plateau still. The leak above with the same jump in its first hour stays a leak.
    #[test]
    fn a_fill_whose_first_quarter_jumped_is_still_judged_by_its_pace_after_it() {
        let jump = |h: f64| if h >= 1.0 { 60e6 } else { 0.0 };
        for tau_h in [4.0, 6.0] {
            let e = wandering_run(&|h| 400e6 + jump(h) + 60e6 * (1.0 - (-h / tau_h).exp()));
            assert!(!e.leak, "fill with time constant {tau_h} h: {e:?}");
            assert!(
                matches!(e.plateau, Plateau::SlowsAfterWarmUp(r) if r < 0.65),
                "fill with time constant {tau_h} h: {e:?}"
            );
        }
        let leak =
            wandering_run(&|h| 400e6 * (0.6 + 0.4 * (1.0 - (-h / 0.25).exp())) + jump(h) + 5e6 * h);
        assert!(leak.leak, "{leak:?}");
    }

    /// A run of one process, in 1 min buckets, under 0.3 MB of scatter: `level` of the
    /// hour. A fill slows from its start; a leak after a warm-up of minutes keeps one pace
    /// after it, even where its level wandered at the scale of the thirds.
    fn short_run(minutes: usize, level: &dyn Fn(f64) -> f64) -> StretchEval {
        short_run_every(minutes, 60.0, level)
    }

    /// [`short_run`] in `n` buckets `step` seconds apart.
    fn short_run_every(n: usize, step: f64, level: &dyn Fn(f64) -> f64) -> StretchEval {
        let cfg = Cfg {
            one_run: true,
            ..super::super::RecognizeOptions::default().cfg()
        };
        let lo: Vec<f64> = (0..n)
            .map(|i| level(i as f64 * step / 3600.0) + 0.3e6 * jitter(i))
            .collect();
        judge_minima_every(&lo, step, &cfg).expect("judged")
    }

    /// Five minutes of a process still warming up, in 10 s buckets: it rose by 80 MB in its
    /// first half minute and then kept one pace, 10 MB a minute, as the 50 minutes of a
    /// warm-up and a leak above do. But a warm-up lasts minutes, and these five hold nothing
    /// past it: the pace the last two thirds kept may be the warm-up's own, so the halves'
    /// slowdown stands, as a fill's. The same shape ten times slower, over 50 minutes, is a
    /// leak.
    #[test]
    fn a_few_minutes_cannot_tell_a_warm_up_still_running_from_a_leak() {
        let warming = |h: f64| 200e6 * (1.0 - 0.4 * (-h * 200.0).exp()) + 600e6 * h;
        let few = short_run_every(30, 10.0, &warming);
        assert!(!few.leak, "{few:?}");
        let long = short_run(50, &|h| warming(h / 10.0));
        assert!(long.leak, "{long:?}");
    }

    /// 50 minutes of a process that warmed up from 60% of its 200 MB within its first few
    /// minutes (a 3 min time constant) and then leaked 20 MB/h: its second half grew far
    /// slower than its first (the warm-up), but its middle and last thirds kept one pace — a
    /// leak, not a short fill. A cache filling by 30 MB with a 40 min time constant over the
    /// same 50 minutes slows at every step: a plateau.
    #[test]
    fn a_short_run_whose_last_two_thirds_keep_one_pace_after_a_warm_up_is_a_leak() {
        let leak = short_run(50, &|h| 200e6 * (1.0 - 0.4 * (-h * 20.0).exp()) + 20e6 * h);
        assert!(leak.leak, "{leak:?}");
        let fill = short_run(50, &|h| 200e6 + 30e6 * (1.0 - (-h * 1.5).exp()));
        assert!(!fill.leak, "{fill:?}");
    }

    /// 100 minutes of a process that warmed up by 20 MB within its first minutes (a 4 min
    /// time constant) and then leaked 20 MB/h, whose level wandered: 8 MB more came around
    /// 45 minutes in (a smooth rise over some ten minutes). Its last third grew slower than
    /// its middle one and the quadratic through the floor bends down, but its first third grew
    /// slower than the middle one too, which no fill does (a fill is fastest at its start),
    /// and the last still rose beyond the noise: a leak. A cache filling by 40 MB with a
    /// 30 min time constant over the same 100 minutes stays a plateau.
    #[test]
    fn a_short_run_whose_middle_third_outpaced_its_first_is_no_fill() {
        let leak = short_run(100, &|h| {
            let wander = 8e6 / (1.0 + (-(h - 0.75) * 15.0).exp());
            200e6 - 20e6 * (-h * 15.0).exp() + 20e6 * h + wander
        });
        assert!(leak.leak, "{leak:?}");
        let fill = short_run(100, &|h| 200e6 + 40e6 * (1.0 - (-h * 2.0).exp()));
        assert!(!fill.leak, "{fill:?}");
    }

    /// Bucket columns over `lo` (5 min buckets), the means and maxima a little above.
    fn judge_minima(lo: &[f64]) -> Option<StretchEval> {
        judge_minima_with(lo, &super::super::RecognizeOptions::default().cfg())
    }

    /// `judge_minima` under `cfg`.
    fn judge_minima_with(lo: &[f64], cfg: &Cfg) -> Option<StretchEval> {
        judge_minima_every(lo, 300.0, cfg)
    }

    /// `judge_minima_with` for buckets `step` seconds apart.
    fn judge_minima_every(lo: &[f64], step: f64, cfg: &Cfg) -> Option<StretchEval> {
        let n = lo.len();
        let t: Vec<f64> = (0..n).map(|i| step * i as f64).collect();
        let hi: Vec<f64> = lo.iter().map(|v| v + 2e6).collect();
        let mean: Vec<f64> = lo.iter().map(|v| v + 1e6).collect();
        let count = vec![5u32; n];
        let c = Cols {
            t: &t,
            lo,
            hi: &hi,
            mean: &mean,
            first: &mean,
            last: &mean,
            n: &count,
        };
        judge(&c, 0.3e6, None, None, cfg)
    }

    /// 12 h of a floor leaking 2 MB/h under 0.3 MB of scatter, with one 40 MB hump that
    /// lasts 80 minutes at 8.3 h (longer than the trailing minimum's hour): the floor follows
    /// the hump up and falls back to the leak's line. That jump, given back, is no step; the
    /// floor rose steadily, a leak.
    #[test]
    fn a_jump_the_floor_gives_back_is_no_step() {
        let lo: Vec<f64> = (0..144)
            .map(|i| {
                let hump = if (100..116).contains(&i) { 40e6 } else { 0.0 };
                500e6 + 2e6 * i as f64 / 12.0 + hump + 0.3e6 * jitter(i)
            })
            .collect();
        let e = judge_minima(&lo).expect("a judged stretch");
        assert!(e.leak, "{e:?}");
    }

    /// A deploy's step of 60 MB at 4 h, held, and later a dip 100 MB deep (below where the
    /// step rose from) for 100 minutes: a restart or collection no run split, which gives
    /// back nothing of the step: still one step, flat since.
    #[test]
    fn a_fall_below_where_the_jump_rose_from_does_not_give_it_back() {
        let lo: Vec<f64> = (0..144)
            .map(|i| {
                let step = if i >= 50 { 60e6 } else { 0.0 };
                let dip = if (90..110).contains(&i) { -100e6 } else { 0.0 };
                500e6 + step + dip + 0.3e6 * jitter(i)
            })
            .collect();
        let e = judge_minima(&lo).expect("a judged stretch");
        assert!(!e.leak, "{e:?}");
        assert_eq!(e.pattern, Pattern::Step, "{e:?}");
    }

    /// A 40 MB hump of 16 points that the floor gives back, then a deploy's held step of
    /// 60 MB: the step test reads the held step alone (the hump does not veto it).
    #[test]
    fn a_hump_given_back_leaves_the_held_step_to_be_read() {
        let ft: Vec<f64> = (0..80).map(|i| 300.0 * i as f64).collect();
        let floor: Vec<f64> = (0..80)
            .map(|i| {
                let hump = if (10..26).contains(&i) { 40e6 } else { 0.0 };
                let step = if i >= 50 { 60e6 } else { 0.0 };
                hump + step
            })
            .collect();
        let jump = |at: usize, size: f64| Jump {
            start: ft[at - 1],
            end: ft[at],
            size,
        };
        let jumps = [jump(10, 40e6), jump(50, 60e6)];
        let held = step_jumps(&ft, &floor, &jumps, 1e6);
        assert_eq!(held.len(), 1);
        assert_eq!(held[0].start, ft[49]);
    }

    /// Chunk minima of a staircase — flat treads under 0.1 MB of scatter, a 10 MB riser every
    /// third chunk: the tread scatter is the treads' own, the risers set aside. A steady
    /// climb keeps every difference: its tread scatter is its pace.
    #[test]
    fn the_treads_of_a_staircase_scatter_by_their_own_noise_not_by_its_risers() {
        let mut s = Vec::new();
        let stair: Vec<f64> = (0..12)
            .map(|i| 60e6 + 10e6 * (i / 3) as f64 + 0.1e6 * jitter(i))
            .collect();
        let tread = tread_noise(&stair, &mut s).unwrap();
        assert!(tread < 0.3e6, "{tread}");

        let line: Vec<f64> = (0..12)
            .map(|i| 60e6 + 3e6 * i as f64 + 0.1e6 * jitter(i))
            .collect();
        assert!(tread_noise(&line, &mut s).unwrap() > 2e6);
    }

    /// Four alike steps of 10 MB, 20 points apart, then 49 quiet points — longer than any
    /// gap, shorter than the 61 points the steps took: a staircase when its treads scatter
    /// less than the inflated noise. Not when the steps shrink (a cache filling toward its
    /// bound), nor when the quiet outlasts the climb (a fill that stepped and stopped), nor
    /// when the treads scatter as much as the noise says.
    #[test]
    fn alike_steps_before_a_quiet_shorter_than_their_climb_are_a_staircase() {
        let ft: Vec<f64> = (0..120).map(|i| 600.0 * i as f64).collect();
        let alike = steps_at(&[10, 30, 50, 70], 1.0);
        assert!(stairs(&ft, &alike, 2e6, 0.15e6, 0.0));
        assert!(!stairs(&ft, &alike, 2e6, 2e6, 0.0));

        let early = steps_at(&[5, 15, 25, 35], 1.0);
        assert!(!stairs(&ft, &early, 2e6, 0.15e6, 0.0));

        let shrinking: Vec<f64> = (0..120)
            .map(|i| {
                let up: f64 = [(10, 10e6), (30, 7e6), (50, 6e6), (70, 5e6)]
                    .iter()
                    .map(|&(s, size)| if i >= s { size } else { 0.0 })
                    .sum();
                60e6 + up + 0.1e6 * jitter(i)
            })
            .collect();
        assert!(!stairs(&ft, &shrinking, 2e6, 0.15e6, 0.0));
    }

    /// `given_back` on a floor 40 MB up for 16 points from point 20: back at the level it rose
    /// from for 24 points, the hump is given back; back below it (a restart the run did not
    /// split), or back for only 4 points after standing 36, it is not (yet).
    #[test]
    fn a_jump_is_given_back_by_a_lasting_fall_to_where_it_rose_from() {
        let ft: Vec<f64> = (0..60).map(|i| 300.0 * i as f64).collect();
        let floor_of = |f: &dyn Fn(usize) -> f64| -> Vec<f64> { (0..60).map(f).collect() };
        let j = Jump {
            start: ft[19],
            end: ft[20],
            size: 40e6,
        };
        let hump = floor_of(&|i| if (20..36).contains(&i) { 40e6 } else { 0.0 });
        assert!(given_back(&ft, &hump, &j, 1e6));
        let below = floor_of(&|i| match i {
            20..36 => 40e6,
            36.. => -100e6,
            _ => 0.0,
        });
        assert!(!given_back(&ft, &below, &j, 1e6));
        let late = floor_of(&|i| if (20..56).contains(&i) { 40e6 } else { 0.0 });
        assert!(!given_back(&ft, &late, &j, 1e6));
    }
}
