//! How a diagnosis captures: how many captures, how far apart, how long each may take, how
//! much disk the evidence may use, how often per target.

use std::path::PathBuf;
use std::time::Duration;

/// The diagnosis settings (`watch --diagnose`, `[diagnose]` in the config file).
#[derive(Debug, Clone, PartialEq)]
pub struct DiagnoseSettings {
    /// Captures per diagnosis (2 or 3; 3 show growth in both intervals).
    pub captures: u32,
    /// The leak should grow by at least this many bytes between captures; with the
    /// verdict's growth rate it sets the spacing.
    pub min_growth_bytes: f64,
    /// The shortest time between captures.
    pub min_spacing: Duration,
    /// The longest time between captures, whatever the growth rate.
    pub max_spacing: Duration,
    /// One capture (a snapshot, a profile download, a dump) may take this long.
    pub capture_timeout: Duration,
    /// At most one diagnosis per target per this period.
    pub period: Duration,
    /// The evidence directory may hold this many bytes; the oldest files go first.
    pub disk_budget_bytes: u64,
    /// A V8 snapshot needs about the heap again: capture only when the room left below the
    /// limit is at least this many times the heap in use.
    pub headroom_factor: f64,
    /// Where evidence is kept (default: `evidence/` beside the database).
    pub dir: Option<PathBuf>,
    /// Suspects kept in a diagnosis.
    pub suspects: usize,
    /// Groups the diffs compute (the table, not sent in alerts).
    pub groups: usize,
}

impl Default for DiagnoseSettings {
    fn default() -> Self {
        DiagnoseSettings {
            captures: 3,
            min_growth_bytes: 10e6,
            min_spacing: Duration::from_secs(5),
            max_spacing: Duration::from_secs(600),
            capture_timeout: Duration::from_secs(300),
            period: Duration::from_secs(3600),
            disk_budget_bytes: 2_000_000_000,
            headroom_factor: 1.5,
            dir: None,
            suspects: 5,
            groups: 30,
        }
    }
}

impl DiagnoseSettings {
    /// The time between captures for a leak growing `growth_bytes_per_hour`: long enough
    /// for [`Self::min_growth_bytes`] of growth, within [`Self::min_spacing`] and
    /// [`Self::max_spacing`].
    pub fn spacing(&self, growth_bytes_per_hour: f64) -> Duration {
        let lo = self.min_spacing.min(self.max_spacing);
        if !(growth_bytes_per_hour.is_finite() && growth_bytes_per_hour > 0.0) {
            return self.max_spacing;
        }
        let seconds = self.min_growth_bytes.max(0.0) / (growth_bytes_per_hour / 3600.0);
        Duration::try_from_secs_f64(seconds)
            .unwrap_or(self.max_spacing)
            .clamp(lo, self.max_spacing)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spacing_follows_growth_within_bounds() {
        let s = DiagnoseSettings::default();
        // 10 MB at 360 MB/h: 100 s.
        assert_eq!(s.spacing(360e6), Duration::from_secs(100));
        // Very fast: the minimum; very slow or unknown: the maximum.
        assert_eq!(s.spacing(1e12), s.min_spacing);
        assert_eq!(s.spacing(1e3), s.max_spacing);
        assert_eq!(s.spacing(0.0), s.max_spacing);
        assert_eq!(s.spacing(f64::NAN), s.max_spacing);
    }
}
