//! Alert delivery: every receiver behind one trait ([`Receiver`]), each fed through a bounded
//! queue on its own thread, with retries and exponential backoff. A receiver that hangs or
//! fails delays only its own queue, never sampling; alerts are stored as events by the engine
//! before they are queued, so one that cannot be delivered is still on record.
//!
//! Receivers: [`stderr::Stderr`] (JSON lines), [`webhook::Webhook`] (the Alertmanager
//! webhook format) and [`alertmanager::Alertmanager`] (Alertmanager's own API, which must hear
//! again about what still fires: its lane asks it between batches, [`Receiver::refresh_due`]).

pub mod alertmanager;
pub mod stderr;
pub mod webhook;

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use leakscope_core::alert::Alert;

/// Why one delivery attempt failed, and whether trying again may help.
#[derive(Debug, Clone)]
pub struct DeliveryError {
    /// One sentence naming the receiver.
    pub message: String,
    /// True for failures that may pass (timeouts, 5xx, refused connections); false for
    /// ones that will not (4xx, a bad URL).
    pub retryable: bool,
}

/// Somewhere alerts go.
pub trait Receiver: Send {
    /// The receiver as messages name it (`stderr`, a URL without credentials).
    fn name(&self) -> String;
    /// Deliver one batch of alert transitions (one attempt). An empty batch is a refresh
    /// (see [`Receiver::refresh_due`]). A failed batch is delivered again, so taking the same
    /// transitions twice must do no harm.
    fn deliver(&mut self, alerts: &[Alert]) -> Result<(), DeliveryError>;

    /// True when the receiver must be called again although no alert changed (Alertmanager
    /// forgets a firing alert that is not re-sent); asked between batches, a few times a
    /// second. Then [`Receiver::deliver`] gets an empty batch.
    fn refresh_due(&self) -> bool {
        false
    }
}

/// How retries are spaced and bounded.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RetryPolicy {
    /// The wait before the first retry; doubled after each.
    pub first_backoff: Duration,
    /// The longest wait between attempts.
    pub max_backoff: Duration,
    /// Attempts per batch before giving up on it.
    pub max_attempts: u32,
    /// Batches waiting per receiver; beyond it the oldest is dropped (and counted).
    pub queue_cap: usize,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            first_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(60),
            max_attempts: 12,
            queue_cap: 1000,
        }
    }
}

impl RetryPolicy {
    /// The wait after failed attempt number `attempt` (1-based).
    pub fn backoff(&self, attempt: u32) -> Duration {
        let factor = 2u32.saturating_pow(attempt.saturating_sub(1).min(20));
        self.first_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }
}

/// Counters of one receiver.
#[derive(Debug, Default)]
pub struct ReceiverStats {
    /// Batches delivered.
    pub delivered: AtomicU64,
    /// Attempts that failed (each retry counts).
    pub failed_attempts: AtomicU64,
    /// Batches given up on after every attempt failed, or not retryable.
    pub given_up: AtomicU64,
    /// Batches dropped because the queue was full.
    pub dropped: AtomicU64,
}

/// What a delivery thread reports back (said by the engine, stored as events).
#[derive(Debug, Clone)]
pub enum Report {
    /// An attempt failed; another follows after `retry_in`.
    Retrying {
        /// The receiver.
        receiver: String,
        /// The failure.
        error: String,
        /// Attempt number that failed (1-based).
        attempt: u32,
        /// When the next attempt is.
        retry_in: Duration,
    },
    /// Delivered, after `attempts` attempts.
    Delivered {
        /// The receiver.
        receiver: String,
        /// Attempts it took.
        attempts: u32,
    },
    /// Given up on these alerts.
    GaveUp {
        /// The receiver.
        receiver: String,
        /// The last failure.
        error: String,
        /// The alerts not delivered.
        alerts: Vec<Alert>,
    },
}

struct Queue {
    batches: Mutex<VecDeque<Vec<Alert>>>,
    wake: Condvar,
    closing: AtomicBool,
    /// The deadline after which a closing queue stops retrying.
    stats: Arc<ReceiverStats>,
}

struct Lane {
    name: String,
    queue: Arc<Queue>,
    handle: Option<JoinHandle<()>>,
}

/// The delivery threads, one per receiver.
pub struct Delivery {
    lanes: Vec<Lane>,
    policy: RetryPolicy,
    reports: Arc<Mutex<Vec<Report>>>,
}

impl Delivery {
    /// Start one thread per receiver.
    pub fn start(receivers: Vec<Box<dyn Receiver>>, policy: RetryPolicy) -> Delivery {
        let reports = Arc::new(Mutex::new(Vec::new()));
        let lanes = receivers
            .into_iter()
            .map(|r| {
                let name = r.name();
                let queue = Arc::new(Queue {
                    batches: Mutex::new(VecDeque::new()),
                    wake: Condvar::new(),
                    closing: AtomicBool::new(false),
                    stats: Arc::new(ReceiverStats::default()),
                });
                let q = Arc::clone(&queue);
                let rep = Arc::clone(&reports);
                let handle = std::thread::Builder::new()
                    .name(format!("deliver {name}"))
                    .spawn(move || lane(r, q, policy, rep))
                    .ok();
                Lane {
                    name,
                    queue,
                    handle,
                }
            })
            .collect();
        Delivery {
            lanes,
            policy,
            reports,
        }
    }

    /// Queue `alerts` for every receiver; never blocks.
    pub fn send(&self, alerts: &[Alert]) {
        if alerts.is_empty() {
            return;
        }
        for lane in &self.lanes {
            let Ok(mut q) = lane.queue.batches.lock() else {
                continue;
            };
            if q.len() >= self.policy.queue_cap {
                q.pop_front();
                lane.queue.stats.dropped.fetch_add(1, Ordering::Relaxed);
            }
            q.push_back(alerts.to_vec());
            lane.queue.wake.notify_one();
        }
    }

    /// The receivers' names and counters.
    pub fn stats(&self) -> Vec<(String, Arc<ReceiverStats>)> {
        self.lanes
            .iter()
            .map(|l| (l.name.clone(), Arc::clone(&l.queue.stats)))
            .collect()
    }

    /// What happened since the last call.
    pub fn take_reports(&self) -> Vec<Report> {
        self.reports
            .lock()
            .map(|mut r| std::mem::take(&mut *r))
            .unwrap_or_default()
    }

    /// Deliver what is queued, trying for at most `wait` more, then stop. Returns the
    /// batches left undelivered.
    pub fn close(mut self, wait: Duration) -> u64 {
        for lane in &self.lanes {
            lane.queue.closing.store(true, Ordering::Relaxed);
            lane.queue.wake.notify_all();
        }
        let deadline = Instant::now() + wait;
        let mut left = 0u64;
        for lane in &mut self.lanes {
            if let Some(h) = lane.handle.take() {
                while !h.is_finished() && Instant::now() < deadline {
                    std::thread::sleep(Duration::from_millis(10));
                }
                if h.is_finished() {
                    let _ = h.join();
                }
                // A thread still in a hanging attempt is left to end with the process.
            }
            left += lane
                .queue
                .batches
                .lock()
                .map(|q| q.len() as u64)
                .unwrap_or(0);
        }
        left
    }
}

/// One receiver's thread: take the oldest batch, try until delivered, given up, or closing.
fn lane(
    mut r: Box<dyn Receiver>,
    q: Arc<Queue>,
    policy: RetryPolicy,
    reports: Arc<Mutex<Vec<Report>>>,
) {
    let name = r.name();
    let report = |rep: Report| {
        if let Ok(mut v) = reports.lock() {
            v.push(rep);
        }
    };
    loop {
        let batch = {
            let Ok(mut guard) = q.batches.lock() else {
                return;
            };
            loop {
                if let Some(b) = guard.pop_front() {
                    break b;
                }
                if q.closing.load(Ordering::Relaxed) {
                    return;
                }
                if r.refresh_due() {
                    break Vec::new();
                }
                guard = match q.wake.wait_timeout(guard, Duration::from_millis(200)) {
                    Ok((g, _)) => g,
                    Err(_) => return,
                };
            }
        };
        let mut attempt = 0;
        let outcome = loop {
            attempt += 1;
            let started = Instant::now();
            match r.deliver(&batch) {
                Ok(()) => {
                    let took_ms = started.elapsed().as_millis() as u64;
                    if batch.is_empty() {
                        tracing::debug!(receiver = %name, attempt, took_ms, "refreshed");
                    } else {
                        tracing::info!(receiver = %name, alerts = batch.len(), attempt, took_ms, "alerts sent");
                    }
                    break Ok(());
                }
                Err(e) => {
                    q.stats.failed_attempts.fetch_add(1, Ordering::Relaxed);
                    let closing = q.closing.load(Ordering::Relaxed);
                    if !e.retryable || attempt >= policy.max_attempts || closing {
                        break Err(e);
                    }
                    let wait = policy.backoff(attempt);
                    tracing::info!(receiver = %name, attempt, retry_in_ms = wait.as_millis() as u64, "delivery failed, retrying: {}", e.message);
                    report(Report::Retrying {
                        receiver: name.clone(),
                        error: e.message.clone(),
                        attempt,
                        retry_in: wait,
                    });
                    // Sleep, waking early when the watch ends (one last attempt then).
                    let end = Instant::now() + wait;
                    while Instant::now() < end && !q.closing.load(Ordering::Relaxed) {
                        std::thread::sleep((end - Instant::now()).min(Duration::from_millis(50)));
                    }
                }
            }
        };
        match outcome {
            Ok(()) => {
                q.stats.delivered.fetch_add(1, Ordering::Relaxed);
                if attempt > 1 {
                    report(Report::Delivered {
                        receiver: name.clone(),
                        attempts: attempt,
                    });
                }
            }
            Err(e) => {
                q.stats.given_up.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(receiver = %name, attempt, "gave up delivering: {}", e.message);
                report(Report::GaveUp {
                    receiver: name.clone(),
                    error: e.message,
                    alerts: batch,
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use leakscope_core::alert::{AlertStatus, Severity};

    struct Flaky {
        fail_first: u32,
        calls: Arc<AtomicU64>,
    }

    impl Receiver for Flaky {
        fn name(&self) -> String {
            "flaky".into()
        }
        fn deliver(&mut self, _alerts: &[Alert]) -> Result<(), DeliveryError> {
            let n = self.calls.fetch_add(1, Ordering::Relaxed) as u32;
            if n < self.fail_first {
                Err(DeliveryError {
                    message: "HTTP 500".into(),
                    retryable: true,
                })
            } else {
                Ok(())
            }
        }
    }

    fn alert() -> Alert {
        Alert {
            name: "MemoryAboveThreshold".into(),
            status: AlertStatus::Firing,
            target: "t".into(),
            series: "rss_bytes".into(),
            severity: Severity::Warning,
            value: 1.0,
            threshold: 0.0,
            summary: "s".into(),
            starts_at: 0.0,
            ends_at: None,
            labels: Default::default(),
            recognition: None,
            generator_url: None,
            diagnosis: None,
        }
    }

    #[test]
    fn failures_are_retried_with_backoff_until_delivered() {
        let calls = Arc::new(AtomicU64::new(0));
        let policy = RetryPolicy {
            first_backoff: Duration::from_millis(20),
            ..RetryPolicy::default()
        };
        let d = Delivery::start(
            vec![Box::new(Flaky {
                fail_first: 3,
                calls: Arc::clone(&calls),
            })],
            policy,
        );
        let t = Instant::now();
        d.send(&[alert()]);
        let stats = d.stats()[0].1.clone();
        while stats.delivered.load(Ordering::Relaxed) == 0 && t.elapsed() < Duration::from_secs(5) {
            std::thread::sleep(Duration::from_millis(5));
        }
        assert_eq!(stats.delivered.load(Ordering::Relaxed), 1);
        assert_eq!(stats.failed_attempts.load(Ordering::Relaxed), 3);
        // 20 + 40 + 80 ms of backoff at least.
        assert!(
            t.elapsed() >= Duration::from_millis(140),
            "{:?}",
            t.elapsed()
        );
        assert!(d
            .take_reports()
            .iter()
            .any(|r| matches!(r, Report::Delivered { attempts: 4, .. })));
        assert_eq!(d.close(Duration::from_secs(1)), 0);
    }

    #[test]
    fn backoff_doubles_up_to_its_cap() {
        let p = RetryPolicy::default();
        assert_eq!(p.backoff(1), Duration::from_millis(500));
        assert_eq!(p.backoff(2), Duration::from_secs(1));
        assert_eq!(p.backoff(4), Duration::from_secs(4));
        assert_eq!(p.backoff(30), Duration::from_secs(60));
    }

    #[test]
    fn a_full_queue_drops_the_oldest_and_counts_it() {
        struct Stuck;
        impl Receiver for Stuck {
            fn name(&self) -> String {
                "stuck".into()
            }
            fn deliver(&mut self, _: &[Alert]) -> Result<(), DeliveryError> {
                std::thread::sleep(Duration::from_millis(300));
                Ok(())
            }
        }
        let d = Delivery::start(
            vec![Box::new(Stuck)],
            RetryPolicy {
                queue_cap: 2,
                ..RetryPolicy::default()
            },
        );
        let t = Instant::now();
        for _ in 0..5 {
            d.send(&[alert()]);
        }
        assert!(
            t.elapsed() < Duration::from_millis(100),
            "send never blocks"
        );
        assert!(d.stats()[0].1.dropped.load(Ordering::Relaxed) >= 2);
        d.close(Duration::from_millis(10));
    }
}
