//! The Verdict JSON contract of DESIGN.md: what recognition says about one series.
//!
//! Field names and the string values of [`VerdictKind`] and [`Pattern`] are a stable contract
//! that users' scripts rely on: add fields, never rename or drop them.

use serde::{Deserialize, Serialize};

/// Whether the series leaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VerdictKind {
    /// Unbounded growth of the floor.
    Leak,
    /// Enough data, and no unbounded growth.
    NoLeak,
    /// Too few points or too short a span to tell.
    InsufficientData,
}

/// The shape recognition saw. Leak patterns first, then normal ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    /// Steady growth of the whole series.
    LinearGrowth,
    /// A GC sawtooth whose floor keeps rising.
    RisingFloor,
    /// Resets (restarts), and growth again after each.
    LeakWithRestarts,
    /// A daily (or other) cycle on top of a rising trend.
    LeakUnderCycle,
    /// Flat at first, then unbounded growth from some point on.
    LateOnsetLeak,
    /// Growth in bursts (a staircase) that never comes back down.
    GrowthInBursts,
    /// Growth that decelerates to a bound: a cache filling.
    Plateau,
    /// Rises and falls back to a baseline: traffic cycles.
    Cyclic,
    /// A temporary spike that returned to the baseline.
    SpikeRecovered,
    /// One step up (a batch job caching results, a deploy), then flat.
    Step,
    /// A GC sawtooth with a flat floor.
    Sawtooth,
    /// Nothing happening.
    Stable,
    /// Shrinking memory.
    Declining,
    /// Not enough data to name a shape.
    Unknown,
}

impl Pattern {
    /// The contract name, as serialized (e.g. `"rising-floor"`).
    pub fn as_str(self) -> &'static str {
        match self {
            Pattern::LinearGrowth => "linear-growth",
            Pattern::RisingFloor => "rising-floor",
            Pattern::LeakWithRestarts => "leak-with-restarts",
            Pattern::LeakUnderCycle => "leak-under-cycle",
            Pattern::LateOnsetLeak => "late-onset-leak",
            Pattern::GrowthInBursts => "growth-in-bursts",
            Pattern::Plateau => "plateau",
            Pattern::Cyclic => "cyclic",
            Pattern::SpikeRecovered => "spike-recovered",
            Pattern::Step => "step",
            Pattern::Sawtooth => "sawtooth",
            Pattern::Stable => "stable",
            Pattern::Declining => "declining",
            Pattern::Unknown => "unknown",
        }
    }

    /// True for the patterns that mean a leak.
    pub fn is_leak(self) -> bool {
        matches!(
            self,
            Pattern::LinearGrowth
                | Pattern::RisingFloor
                | Pattern::LeakWithRestarts
                | Pattern::LeakUnderCycle
                | Pattern::LateOnsetLeak
                | Pattern::GrowthInBursts
        )
    }
}

impl std::fmt::Display for Pattern {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What recognition says about one series (one element of `{"series": [...]}`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Verdict {
    /// The series name (CSV header, or `target/field`).
    pub name: String,
    /// leak, no_leak or insufficient_data.
    pub verdict: VerdictKind,
    /// The recognized shape.
    pub pattern: Pattern,
    /// Trend of the floor, bytes per hour; 0 when there is none.
    pub growth_bytes_per_hour: f64,
    /// How sure recognition is of `verdict`, 0..1.
    pub confidence: f64,
    /// Unix seconds of the first sample at which the streaming recognizer, replaying the series
    /// in order, flagged the leak; null when it never did.
    pub detected_at: Option<f64>,
    /// Seconds from the last sample until the floor trend reaches `limit_bytes`; null when no
    /// limit is known or there is no growth.
    pub time_to_limit_seconds: Option<f64>,
    /// The memory limit used for `time_to_limit_seconds`, in bytes, when known.
    pub limit_bytes: Option<f64>,
    /// Number of points seen.
    pub samples: usize,
    /// Seconds between the first and the last point.
    pub span_seconds: f64,
    /// Value of the first point, bytes.
    pub first_bytes: f64,
    /// Value of the last point, bytes.
    pub last_bytes: f64,
    /// Number of resets (restarts) seen: drops of more than half to near the start level.
    pub restarts: usize,
    /// Short human reasons behind the verdict, most important first.
    pub reasons: Vec<String>,
    /// The floor's trend over the trailing 1 h, 6 h and 1 d, for each window the series
    /// covers (empty for shorter series).
    #[serde(default)]
    pub windows: Vec<WindowTrend>,
    /// Length in seconds of the stretch whose floor confirmed the leak: one of the
    /// `windows` (3600, 21600, 86400), or the whole judged stretch (the series since its
    /// last restart, or since the onset of a late leak); null when there is no leak.
    #[serde(default)]
    pub confirmed_by_window_seconds: Option<f64>,
    /// Why the verdict may be wrong when recognition knows it might be — e.g. a series only
    /// minutes long whose growth could still be a cache filling — else null. Confidence is
    /// lowered in the same breath.
    #[serde(default)]
    pub caveat: Option<String>,
    /// Period of the cycle seen in the series (GC sawtooth, daily traffic), seconds; null when
    /// none was seen.
    #[serde(default)]
    pub period_seconds: Option<f64>,
}

/// The floor's trend over one trailing window of the series.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowTrend {
    /// Length of the window, seconds (3600, 21600 or 86400).
    pub window_seconds: f64,
    /// Trend of the floor inside the window, bytes per hour (robust slope; may be negative).
    pub growth_bytes_per_hour: f64,
    /// True when the floor inside this window, judged on its own and in the context of the
    /// whole series, is a leak.
    pub confirmed: bool,
    /// The shape seen inside the window.
    pub pattern: Pattern,
    /// Floor at the start and at the end of the window, bytes (null when the window's floor
    /// could not be judged).
    pub floor_start_bytes: Option<f64>,
    /// See `floor_start_bytes`.
    pub floor_end_bytes: Option<f64>,
}

/// The document `analyze --format json` prints: `{"series": [...]}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VerdictReport {
    /// One verdict per analyzed series.
    pub series: Vec<Verdict>,
}
