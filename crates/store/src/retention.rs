//! How long the store keeps data, and at what resolution: raw samples for a while, then
//! per-bucket min/mean/max/count in coarser tiers, then nothing.

use std::time::Duration;

const HOUR: u64 = 3600;
const DAY: u64 = 24 * HOUR;

/// Retention with downsampling. Raw samples are kept for [`Retention::raw`]; older data is
/// kept as buckets of `tiers[0].bucket` until it is `tiers[0].until` old, then as buckets of
/// `tiers[1].bucket`, and so on; data older than the last `until` ([`Retention::total`]) is
/// deleted, events too. Ages are measured from the newest sample appended, not the clock.
///
/// The default: raw for 24 h, 5-minute buckets until 7 days, 1-hour buckets until 30 days.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Retention {
    /// How long raw samples are kept.
    pub raw: Duration,
    /// The downsampled tiers, finest first.
    pub tiers: Vec<Tier>,
}

/// One downsampled tier: buckets of `bucket`, kept until they are `until` old.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Tier {
    /// Bucket width (whole seconds).
    pub bucket: Duration,
    /// Age at which the buckets move to the next tier, or are deleted in the last one.
    pub until: Duration,
}

/// A retention that cannot work, in one sentence.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid retention: {0}")]
pub struct RetentionError(pub String);

impl Default for Retention {
    fn default() -> Self {
        Retention {
            raw: Duration::from_secs(DAY),
            tiers: vec![
                Tier {
                    bucket: Duration::from_secs(300),
                    until: Duration::from_secs(7 * DAY),
                },
                Tier {
                    bucket: Duration::from_secs(HOUR),
                    until: Duration::from_secs(30 * DAY),
                },
            ],
        }
    }
}

impl Retention {
    /// The default tiers cut at `total` (the `retention = "30d"` of a config file): raw for
    /// min(24 h, total), 5-minute buckets up to min(7 d, total), 1-hour buckets up to `total`.
    pub fn with_total(total: Duration) -> Result<Retention, RetentionError> {
        let d = Retention::default();
        let raw = d.raw.min(total);
        let mut tiers = Vec::new();
        let mut reached = raw;
        for t in d.tiers {
            if total <= reached {
                break;
            }
            let until = t.until.min(total);
            tiers.push(Tier { until, ..t });
            reached = until;
        }
        if let Some(last) = tiers.last_mut() {
            last.until = total;
        }
        let r = Retention { raw, tiers };
        r.validate()?;
        Ok(r)
    }

    /// How long anything is kept: the last tier's `until`, or `raw` without tiers.
    pub fn total(&self) -> Duration {
        self.tiers.last().map_or(self.raw, |t| t.until)
    }

    /// Check that the tiers make sense: `raw` at least one second; buckets whole seconds,
    /// each a multiple of the previous one (so re-bucketing is exact); ages increasing.
    pub fn validate(&self) -> Result<(), RetentionError> {
        let err = |m: String| Err(RetentionError(m));
        if self.raw < Duration::from_secs(1) {
            return err(format!(
                "the raw window must be at least 1s, not {:?}",
                self.raw
            ));
        }
        let mut prev_bucket = 0u64;
        let mut prev_until = self.raw;
        for (i, t) in self.tiers.iter().enumerate() {
            let b = t.bucket.as_secs();
            if t.bucket.subsec_nanos() != 0 || b == 0 {
                return err(format!(
                    "tier {}: the bucket must be a whole number of seconds, not {:?}",
                    i + 1,
                    t.bucket
                ));
            }
            if prev_bucket != 0 && (b <= prev_bucket || b % prev_bucket != 0) {
                return err(format!(
                    "tier {}: the bucket ({b}s) must be a multiple of the previous tier's ({prev_bucket}s) and larger",
                    i + 1
                ));
            }
            if t.until <= prev_until {
                return err(format!(
                    "tier {}: `until` ({:?}) must be longer than the previous tier's ({prev_until:?})",
                    i + 1,
                    t.until
                ));
            }
            prev_bucket = b;
            prev_until = t.until;
        }
        Ok(())
    }
}

/// Buckets per downsampled chunk: data moves to a tier of bucket width `w` in steps of
/// `w * BUCKETS_PER_CHUNK` (2 h for 5-minute buckets), so each move writes one full chunk.
pub(crate) const BUCKETS_PER_CHUNK: i64 = 24;

/// The retention in the units maintenance works in (µs, seconds for tier keys).
#[derive(Debug, Clone)]
pub(crate) struct Plan {
    raw_keep_us: i64,
    /// (bucket width s, keep µs), finest first.
    tiers: Vec<(i64, i64)>,
}

/// What happens to data of one tier once it is older than `keep_us`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Rule {
    pub keep_us: i64,
    /// The tier (bucket width, seconds) it moves to; `None`: deleted.
    pub dest: Option<i64>,
}

fn us(d: Duration) -> i64 {
    i64::try_from(d.as_micros()).unwrap_or(i64::MAX)
}

impl Plan {
    pub fn new(r: &Retention) -> Plan {
        Plan {
            raw_keep_us: us(r.raw),
            tiers: r
                .tiers
                .iter()
                .map(|t| (t.bucket.as_secs() as i64, us(t.until)))
                .collect(),
        }
    }

    pub fn total_us(&self) -> i64 {
        self.tiers.last().map_or(self.raw_keep_us, |t| t.1)
    }

    /// The rule for the tier with bucket width `width` seconds (0: raw). A width the plan
    /// does not have (the configuration changed) moves on at once to the next coarser tier,
    /// or, without one, is kept for the whole retention.
    pub fn rule(&self, width: i64) -> Rule {
        let coarser = |w: i64| self.tiers.iter().map(|t| t.0).find(|&b| b > w);
        if width == 0 {
            return Rule {
                keep_us: self.raw_keep_us,
                dest: coarser(0),
            };
        }
        match self.tiers.iter().find(|t| t.0 == width) {
            Some(&(_, keep)) => Rule {
                keep_us: keep,
                dest: coarser(width),
            },
            None => match coarser(width) {
                Some(dest) => Rule {
                    keep_us: 0,
                    dest: Some(dest),
                },
                None => Rule {
                    keep_us: self.total_us(),
                    dest: None,
                },
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_and_totals() {
        let d = Retention::default();
        assert_eq!(d.validate(), Ok(()));
        assert_eq!(d.total(), Duration::from_secs(30 * DAY));
        assert_eq!(Retention::with_total(Duration::from_secs(30 * DAY)), Ok(d));
        let short = Retention::with_total(Duration::from_secs(3 * DAY)).expect("valid");
        assert_eq!(short.tiers.len(), 1);
        assert_eq!(short.total(), Duration::from_secs(3 * DAY));
        let tiny = Retention::with_total(Duration::from_secs(HOUR)).expect("valid");
        assert_eq!((tiny.raw, tiny.tiers.len()), (Duration::from_secs(HOUR), 0));
        let long = Retention::with_total(Duration::from_secs(365 * DAY)).expect("valid");
        assert_eq!(long.tiers[1].until, Duration::from_secs(365 * DAY));
    }

    #[test]
    fn bad_retentions_are_refused() {
        let mut r = Retention::default();
        r.tiers[1].bucket = Duration::from_secs(400);
        assert!(r.validate().is_err(), "not a multiple of 300");
        let mut r = Retention::default();
        r.tiers[0].until = Duration::from_secs(HOUR);
        assert!(r.validate().is_err(), "shorter than raw");
        assert!(Retention::with_total(Duration::ZERO).is_err());
    }

    #[test]
    fn rules() {
        let p = Plan::new(&Retention::default());
        assert_eq!(
            p.rule(0),
            Rule {
                keep_us: 86_400_000_000,
                dest: Some(300)
            }
        );
        assert_eq!(p.rule(300).dest, Some(3600));
        assert_eq!(
            p.rule(3600),
            Rule {
                keep_us: 30 * 86_400_000_000,
                dest: None
            }
        );
        assert_eq!(
            p.rule(600),
            Rule {
                keep_us: 0,
                dest: Some(3600)
            },
            "unknown tier moves on"
        );
        assert_eq!(
            p.rule(7200),
            Rule {
                keep_us: 30 * 86_400_000_000,
                dest: None
            }
        );
        assert_eq!(p.total_us(), 30 * 86_400_000_000);
    }
}
