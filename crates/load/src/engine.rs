//! The run itself: worker tasks on a tokio runtime, one HTTP/1.1 connection each.
//!
//! Each of `concurrency` workers claims request numbers from a shared counter
//! (so `{n}` is unique and `max_requests` exact), waits for the number's due
//! time in rate mode, and sends the request on its own keep-alive connection,
//! reconnecting when the server closes it or a request fails.

use crate::spec::Plan;
use crate::stats::{Outcome, Tally};
use crate::template::Rng;
use crate::{LoadError, LoadSpec, LoadStats};
use bytes::Bytes;
use http_body_util::{BodyExt, Full};
use hyper::client::conn::http1::{self, Connection, SendRequest};
use hyper_util::rt::TokioIo;
use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};
use tokio::net::TcpStream;

/// How often the blocking caller is given progress.
const PROGRESS_EVERY: Duration = Duration::from_secs(1);
/// How often the coordinator looks at the stop flag.
const POLL_EVERY: Duration = Duration::from_millis(20);
/// After the end (stop flag or duration), requests in flight get this long to finish.
const DRAIN_GRACE: Duration = Duration::from_secs(2);
/// A rate-mode request that starts later than this after its due time counts as late.
const LATE_AFTER: Duration = Duration::from_millis(100);
/// A worker whose connect failed waits this long before trying again, so a down
/// server is not hammered in a tight loop.
const RECONNECT_PAUSE: Duration = Duration::from_millis(10);

/// Runs `spec` to its end and returns the totals.
///
/// Blocks the calling thread; the work runs on a tokio runtime owned by this
/// call. `on_progress` is called on the calling thread about once a second with
/// the totals so far. Raising `stop` ends the run early (in-flight requests get
/// up to 2 s to finish; those that do not are not counted).
///
/// Errors only when the spec is invalid or the runtime cannot start; failed
/// requests are counted in the returned [`LoadStats`].
pub fn run(
    spec: &LoadSpec,
    stop: Arc<AtomicBool>,
    mut on_progress: impl FnMut(&LoadStats),
) -> Result<LoadStats, LoadError> {
    let plan = Arc::new(Plan::new(spec)?);
    // One thread: tokio's current-thread scheduler, which needs no cross-thread
    // synchronisation and costs less CPU per request than the multi-thread one.
    let runtime = if plan.threads == 1 {
        tokio::runtime::Builder::new_current_thread()
            .enable_io()
            .enable_time()
            .build()
    } else {
        tokio::runtime::Builder::new_multi_thread()
            .worker_threads(plan.threads)
            .enable_io()
            .enable_time()
            .thread_name("leakscope-load")
            .build()
    }
    .map_err(LoadError::Runtime)?;

    let tallies: Arc<Vec<Mutex<Tally>>> = Arc::new(
        (0..plan.concurrency)
            .map(|_| Mutex::new(Tally::new()))
            .collect(),
    );
    let start = Instant::now();
    let done = Arc::new(AtomicBool::new(false));
    let elapsed = std::thread::scope(|scope| {
        // The run happens on a helper thread (inside `block_on`), so this thread
        // is free to call `on_progress`, which need not be `Send`.
        let runner = std::thread::Builder::new()
            .name("leakscope-load".into())
            .spawn_scoped(scope, || {
                runtime.block_on(coordinate(
                    Arc::clone(&plan),
                    Arc::clone(&tallies),
                    Arc::clone(&stop),
                    Arc::clone(&done),
                    start,
                ))
            })
            .map_err(LoadError::Runtime)?;
        let mut next_report = start + PROGRESS_EVERY;
        while !done.load(Ordering::Acquire) && !runner.is_finished() {
            let now = Instant::now();
            if now >= next_report {
                on_progress(&sum(&tallies, now - start));
                next_report += PROGRESS_EVERY;
            } else {
                std::thread::sleep((next_report - now).min(POLL_EVERY));
            }
        }
        Ok(runner.join().unwrap_or_else(|_| start.elapsed()))
    })?;
    // Tasks still alive are dropped with the runtime.
    runtime.shutdown_background();
    Ok(sum(&tallies, elapsed))
}

/// Sums the workers' tallies into the public view.
fn sum(tallies: &[Mutex<Tally>], elapsed: Duration) -> LoadStats {
    let mut total = Tally::new();
    for tally in tallies {
        total.add(&lock(tally));
    }
    total.to_stats(elapsed)
}

/// Locks a tally, ignoring poisoning (a tally is plain counters, always consistent).
fn lock(tally: &Mutex<Tally>) -> MutexGuard<'_, Tally> {
    tally
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Starts the workers, ends them at the deadline or stop flag, and returns the
/// run's elapsed time (up to the last finished request, or the end condition).
async fn coordinate(
    plan: Arc<Plan>,
    tallies: Arc<Vec<Mutex<Tally>>>,
    stop: Arc<AtomicBool>,
    done: Arc<AtomicBool>,
    start: Instant,
) -> Duration {
    let next_seq = Arc::new(AtomicU64::new(0));
    let (ending_tx, ending) = tokio::sync::watch::channel(false);
    let deadline = plan.duration.map(|d| start + d);
    let mut workers = tokio::task::JoinSet::new();
    for index in 0..plan.concurrency {
        workers.spawn(worker(Worker {
            index,
            plan: Arc::clone(&plan),
            tallies: Arc::clone(&tallies),
            next_seq: Arc::clone(&next_seq),
            ending: ending.clone(),
            start,
            deadline,
        }));
    }

    let mut drain_until: Option<tokio::time::Instant> = None;
    loop {
        tokio::select! {
            joined = workers.join_next() => {
                if joined.is_none() {
                    break; // every worker finished on its own
                }
            }
            _ = tokio::time::sleep(POLL_EVERY) => {}
        }
        let now = Instant::now();
        let over = stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| now >= d);
        if over && drain_until.is_none() {
            // Workers waiting for a due time return now; requests in flight finish.
            let _ = ending_tx.send(true);
            drain_until = Some(tokio::time::Instant::now() + DRAIN_GRACE);
        }
        if drain_until.is_some_and(|t| tokio::time::Instant::now() >= t) {
            workers.abort_all();
            while workers.join_next().await.is_some() {}
            break;
        }
    }
    let elapsed = start.elapsed();
    done.store(true, Ordering::Release);
    elapsed
}

/// One worker's share of the plan.
struct Worker {
    index: usize,
    plan: Arc<Plan>,
    tallies: Arc<Vec<Mutex<Tally>>>,
    next_seq: Arc<AtomicU64>,
    /// Becomes true when the run is over (stop flag or deadline).
    ending: tokio::sync::watch::Receiver<bool>,
    start: Instant,
    deadline: Option<Instant>,
}

/// Sends requests on one connection at a time until the plan or the coordinator says stop.
async fn worker(mut w: Worker) {
    let plan = &*w.plan;
    let Some(tally) = w.tallies.get(w.index) else {
        return;
    };
    let mut rng = Rng::from_clock(w.index as u64 + 1);
    let mut conn: Option<Conn> = None;
    let mut path = String::new();
    let mut body = String::new();

    loop {
        if *w.ending.borrow() {
            return;
        }
        let seq = w.next_seq.fetch_add(1, Ordering::Relaxed);
        if plan.max_requests.is_some_and(|max| seq >= max) {
            return;
        }
        let mut late = false;
        if let Some(rate) = plan.rate {
            let due = w.start + Duration::from_secs_f64(seq as f64 / rate);
            if w.deadline.is_some_and(|d| due >= d) {
                return;
            }
            let now = Instant::now();
            if due > now {
                tokio::select! {
                    _ = tokio::time::sleep_until(due.into()) => {}
                    _ = w.ending.wait_for(|over| *over) => return,
                }
            } else {
                late = now - due > LATE_AFTER;
            }
        }
        if *w.ending.borrow() || w.deadline.is_some_and(|d| Instant::now() >= d) {
            return;
        }

        // A usable connection: reuse the open one, or connect.
        let reusable = match conn.take() {
            Some(mut c) => {
                let Conn { sender, driver } = &mut c;
                drive(driver, sender.ready()).await.ok().map(|()| c)
            }
            None => None,
        };
        let mut c = match reusable {
            Some(s) => s,
            None => match connect(plan).await {
                Ok(s) => {
                    lock(tally).connections += 1;
                    s
                }
                Err(outcome) => {
                    {
                        let mut t = lock(tally);
                        t.late += u64::from(late);
                        t.record(outcome, None, 0);
                    }
                    tokio::time::sleep(RECONNECT_PAUSE).await;
                    continue;
                }
            },
        };

        path.clear();
        plan.path.render_into(seq, &mut rng, &mut path);
        let request_body = match &plan.body {
            Some(template) => {
                body.clear();
                template.render_into(seq, &mut rng, &mut body);
                Full::new(Bytes::copy_from_slice(body.as_bytes()))
            }
            None => Full::new(Bytes::new()),
        };
        let mut builder = http::Request::builder()
            .method(plan.method.clone())
            .uri(path.as_str());
        for (name, value) in &plan.headers {
            builder = builder.header(name, value);
        }
        let Ok(request) = builder.body(request_body) else {
            // Cannot happen: the plan validated the path and headers.
            lock(tally).record(Outcome::Io, None, 0);
            continue;
        };

        let sent_at = Instant::now();
        let Conn { sender, driver } = &mut c;
        let result =
            tokio::time::timeout(plan.timeout, drive(driver, exchange(sender, request))).await;
        let latency = sent_at.elapsed();
        let mut t = lock(tally);
        t.late += u64::from(late);
        match result {
            Ok(Ok((status, bytes))) => {
                let outcome = if status >= 400 {
                    Outcome::Http
                } else {
                    Outcome::Ok
                };
                t.record(outcome, Some(latency), bytes);
                conn = Some(c); // keep-alive: reuse unless the server closed it
            }
            Ok(Err(bytes)) => t.record(Outcome::Io, None, bytes),
            Err(_elapsed) => t.record(Outcome::Timeout, None, 0),
        }
    }
}

/// One HTTP/1.1 connection, driven by the worker that owns it (no extra task:
/// that saves a task wake-up and a channel hop per request).
struct Conn {
    sender: SendRequest<Full<Bytes>>,
    /// hyper's connection state machine: it does the socket I/O when polled.
    /// `None` once it has finished (the server closed the connection, or an I/O error).
    driver: Option<Driver>,
}

type Driver = Pin<Box<Connection<TokioIo<TcpStream>, Full<Bytes>>>>;

/// Awaits `fut` while polling the connection's driver, which does the I/O `fut` waits for.
async fn drive<F: Future>(driver: &mut Option<Driver>, fut: F) -> F::Output {
    tokio::pin!(fut);
    while let Some(d) = driver {
        tokio::select! {
            biased;
            out = &mut fut => return out,
            // The connection is over. Dropping the driver makes hyper fail a pending
            // request ("dispatch gone") and `ready()`, so `fut` cannot hang.
            _ = d.as_mut() => *driver = None,
        }
    }
    fut.await
}

/// Opens a connection.
async fn connect(plan: &Plan) -> Result<Conn, Outcome> {
    let stream =
        match tokio::time::timeout(plan.connect_timeout, TcpStream::connect(plan.addr)).await {
            Ok(Ok(stream)) => stream,
            Ok(Err(_)) | Err(_) => return Err(Outcome::Connect),
        };
    let _ = stream.set_nodelay(true);
    let (sender, driver) = http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|_| Outcome::Connect)?;
    Ok(Conn {
        sender,
        driver: Some(Box::pin(driver)),
    })
}

/// Sends one request and reads the whole response body.
/// Returns the status and body bytes, or the body bytes read before a failure.
async fn exchange(
    sender: &mut SendRequest<Full<Bytes>>,
    request: http::Request<Full<Bytes>>,
) -> Result<(u16, u64), u64> {
    let response = sender.send_request(request).await.map_err(|_| 0u64)?;
    let status = response.status().as_u16();
    let mut body = response.into_body();
    let mut bytes = 0u64;
    while let Some(frame) = body.frame().await {
        match frame {
            Ok(frame) => {
                if let Some(data) = frame.data_ref() {
                    bytes += data.len() as u64;
                }
            }
            Err(_) => return Err(bytes),
        }
    }
    Ok((status, bytes))
}
