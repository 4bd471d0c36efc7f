//! Retention with downsampling, driven with synthetic time through the public API: raw
//! points age into buckets whose min/mean/max/count match the samples they replace, data
//! past the retention is deleted (events too), late samples join their bucket, and a large
//! backlog is worked off a bounded slice per flush.

use leakscope_store::{Bucket, Retention, Store, StoreError, Tier, MAINTENANCE_CHUNKS};
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Duration;

const T0: f64 = 1_700_000_000.0;
const STEP: f64 = 60.0;
const HOUR: f64 = 3600.0;
const DAY: f64 = 86_400.0;
const EVERY: u64 = 8;

fn retention() -> Retention {
    Retention {
        raw: Duration::from_secs(6 * 3600),
        tiers: vec![
            Tier {
                bucket: Duration::from_secs(300),
                until: Duration::from_secs(2 * 86_400),
            },
            Tier {
                bucket: Duration::from_secs(3600),
                until: Duration::from_secs(4 * 86_400),
            },
        ],
    }
}

/// A GC sawtooth on a floor rising 1 page per sample, in whole pages.
fn rss(i: u64) -> f64 {
    4096.0 * (25_000.0 + i as f64 + 300.0 * (i % 7) as f64)
}

/// Write `n` samples a minute apart (rss_bytes and a constant thread count), one flush each,
/// and one event a day; returns every (t, rss) written.
fn write(store: &mut Store, n: u64) -> Result<Vec<(f64, f64)>, StoreError> {
    let api = store.target("api", "pid", "4242")?;
    let mut written = Vec::new();
    for i in 0..n {
        let t = T0 + i as f64 * STEP;
        store.append(api, t, &[("rss_bytes", rss(i)), ("threads", 9.0)])?;
        if i % (DAY / STEP) as u64 == 0 {
            store.event(api, t, "restart", &json!({ "i": i }))?;
        }
        store.flush()?;
        written.push((t, rss(i)));
    }
    Ok(written)
}

#[test]
fn old_data_becomes_buckets_then_goes() -> Result<(), StoreError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("r.db");
    let mut s = Store::open(&path)?;
    s.set_compact_every(EVERY);
    s.set_retention(&retention()).expect("valid");
    let written = write(&mut s, (6.0 * DAY / STEP) as u64)?;
    let now = written.last().map_or(T0, |w| w.0);
    drop(s);

    let r = Store::open_read_only(&path)?;
    let mut rows: Vec<Bucket> = Vec::new();
    r.for_each_bucket("api", "rss_bytes", |b| rows.push(b))?;
    // Retention runs a slice per flush and visits this target every EVERY flushes, so it
    // may lag by that many samples.
    let lag = EVERY as f64 * STEP;

    // Nothing older than the retention (4 days), nothing much younger left behind.
    let cutoff = now - 4.0 * DAY;
    let first = rows.first().expect("rows");
    assert!(
        first.start_t + first.width_seconds > cutoff - lag,
        "{first:?}"
    );
    assert!(first.start_t < cutoff + HOUR, "{first:?}");

    // Tiers in order: 1-hour buckets, 5-minute buckets, raw; each boundary where the plan says.
    let widths: Vec<f64> = rows.iter().map(|b| b.width_seconds).collect();
    let kinds: Vec<f64> = widths.iter().fold(Vec::new(), |mut k, &w| {
        if k.last() != Some(&w) {
            k.push(w);
        }
        k
    });
    assert_eq!(kinds, vec![3600.0, 300.0, 0.0]);
    let raw_first = rows
        .iter()
        .find(|b| b.width_seconds == 0.0)
        .expect("raw")
        .start_t;
    // Moves happen in whole destination chunks (24 buckets), each target at its own phase
    // (target id 1: one bucket).
    let raw_horizon = ((now - 6.0 * HOUR - 300.0) / (2.0 * HOUR)).floor() * 2.0 * HOUR + 300.0;
    assert!(
        (raw_horizon - lag..=raw_horizon + STEP).contains(&raw_first),
        "raw from {raw_first}, horizon {raw_horizon}"
    );
    let fine_first = rows
        .iter()
        .find(|b| b.width_seconds == 300.0)
        .expect("5m")
        .start_t;
    let fine_horizon = ((now - 2.0 * DAY - HOUR) / DAY).floor() * DAY + HOUR;
    assert_eq!(fine_first, fine_horizon);

    // Every bucket is exactly the samples it replaced; raw points are the samples.
    let by_t: BTreeMap<u64, f64> = written.iter().map(|&(t, v)| (t as u64, v)).collect();
    let mut points_in_rows = 0;
    for b in &rows {
        let lo = b.start_t as u64;
        let hi = (b.start_t + b.width_seconds.max(1.0)) as u64;
        let vs: Vec<f64> = by_t.range(lo..hi).map(|(_, v)| *v).collect();
        assert_eq!(b.count as usize, vs.len(), "{b:?}");
        let min = vs.iter().copied().fold(f64::INFINITY, f64::min);
        let max = vs.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mean = vs.iter().sum::<f64>() / vs.len() as f64;
        assert_eq!((b.min, b.max, b.mean), (min, max, mean), "{b:?}");
        points_in_rows += vs.len();
    }
    // Everything after the first kept row is there, nothing twice.
    let kept = by_t.range(first.start_t as u64..).count();
    assert_eq!(points_in_rows, kept);

    // Points: the floor (bucket min) at bucket midpoints, then raw samples, in time order.
    let points = r.points("api", "rss_bytes")?;
    assert_eq!(points.len(), rows.len());
    assert!(points.windows(2).all(|p| p[0].t < p[1].t));
    for (p, b) in points.iter().zip(&rows) {
        assert_eq!((p.t, p.v), (b.mid_t(), b.min));
    }

    // list(): raw samples, buckets, and the samples they summarize.
    let info = r
        .list()?
        .into_iter()
        .find(|i| i.field == "rss_bytes")
        .expect("listed");
    let raw = rows.iter().filter(|b| b.width_seconds == 0.0).count() as u64;
    let buckets = rows.len() as u64 - raw;
    let summarized: u64 = rows
        .iter()
        .filter(|b| b.width_seconds > 0.0)
        .map(|b| b.count)
        .sum();
    assert_eq!(
        (
            info.samples,
            info.downsampled_buckets,
            info.downsampled_samples
        ),
        (raw, buckets, summarized)
    );
    assert_eq!(
        (info.first_t, info.last_t, info.last_v),
        (
            Some(first.mid_t()),
            Some(now),
            Some(rss(written.len() as u64 - 1))
        )
    );

    // Events older than the retention are gone, the rest kept.
    let events: Vec<f64> = r.events(None)?.iter().map(|e| e.t).collect();
    let want: Vec<f64> = (0..6)
        .map(|d| T0 + d as f64 * DAY)
        .filter(|&t| t >= cutoff)
        .collect();
    assert_eq!(events, want);
    assert_eq!(r.integrity_check()?, vec!["ok".to_string()]);
    Ok(())
}

#[test]
fn a_late_sample_joins_its_bucket() -> Result<(), StoreError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut s = Store::open(&dir.path().join("late.db"))?;
    s.set_compact_every(EVERY);
    s.set_retention(&retention()).expect("valid");
    let written = write(&mut s, (DAY / STEP) as u64)?;
    let bucket_of = |s: &Store, t: f64| -> Result<Bucket, StoreError> {
        let mut found = None;
        s.for_each_bucket("api", "rss_bytes", |b| {
            if b.width_seconds == 300.0 && b.start_t <= t && t < b.start_t + 300.0 {
                found = Some(b);
            }
        })?;
        Ok(found.expect("a 5-minute bucket there"))
    };
    let late_t = written[30].0 + 30.0; // between two samples, 10 hours ago
    let before = bucket_of(&s, late_t)?;
    let api = s.target("api", "pid", "4242")?;
    s.append(api, late_t, &[("rss_bytes", 4096.0)])?;
    let now = written.last().map_or(T0, |w| w.0);
    // Go on sampling until the late sample was compacted and retention visited it.
    for i in 1..=3 * EVERY {
        s.append(api, now + i as f64 * STEP, &[("rss_bytes", 1e8)])?;
        s.flush()?;
    }
    let after = bucket_of(&s, late_t)?;
    assert_eq!(after.count, before.count + 1);
    assert_eq!((after.min, after.max), (4096.0, before.max));
    let want = (before.mean * before.count as f64 + 4096.0) / after.count as f64;
    assert!((after.mean - want).abs() <= want * 1e-12, "{after:?}");
    Ok(())
}

#[test]
fn a_backlog_is_worked_off_a_bounded_slice_per_flush() -> Result<(), StoreError> {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("backlog.db");
    let mut s = Store::open(&path)?;
    s.set_compact_every(EVERY);
    // First keep everything raw: 40 targets × 3 days a minute apart.
    s.set_retention(&Retention {
        raw: Duration::from_secs(3650 * 86_400),
        tiers: vec![],
    })
    .expect("valid");
    let targets = (0..40)
        .map(|i| s.target(&format!("t{i}"), "pid", &i.to_string()))
        .collect::<Result<Vec<_>, _>>()?;
    let n = (3.0 * DAY / STEP) as u64;
    for i in 0..n {
        for &t in &targets {
            s.append(t, T0 + i as f64 * STEP, &[("rss_bytes", rss(i))])?;
        }
        s.flush()?;
    }
    s.compact()?;
    // Then a retention that makes almost all of it old at once.
    s.set_retention(&retention()).expect("valid");
    let per_flush_cap = (MAINTENANCE_CHUNKS * 256) as u64;
    let mut flushes = 0;
    let mut moved = 0;
    let mut t = T0 + n as f64 * STEP;
    loop {
        for &id in &targets {
            s.append(id, t, &[("rss_bytes", 1e8)])?;
        }
        let st = s.flush()?;
        assert!(st.downsampled + st.expired <= per_flush_cap, "{st:?}");
        moved += st.downsampled + st.expired;
        flushes += 1;
        t += STEP;
        if flushes > EVERY && st.downsampled == 0 && st.expired == 0 {
            break;
        }
        assert!(flushes < 10_000, "backlog never worked off");
    }
    eprintln!("backlog: {moved} moved over {flushes} flushes");
    assert!(flushes > 2, "the work was spread over flushes ({flushes})");
    // 40 targets × (3 days − ~8 h of raw) went into buckets.
    assert!(moved > 40 * (2.0 * DAY / STEP) as u64, "moved {moved}");
    let r = Store::open_read_only(&path)?;
    let info = &r.list()?[0];
    assert!(
        info.downsampled_buckets > 0 && info.samples < (8.0 * HOUR / STEP) as u64 + EVERY,
        "{info:?}"
    );
    Ok(())
}
