//! The built-in HTTP load generator of `leakscope run`.
//!
//! A soak test needs steady, realistic traffic while memory is watched. This
//! crate sends templated HTTP/1.1 requests (`/user/{n}` gives every request a
//! new key) to a service, either closed-loop (`concurrency` connections, each
//! sending its next request when the last response is read) or open-loop at a
//! fixed `rate`, and counts every outcome: refused connections, timeouts and
//! HTTP errors are reported, never hidden.
//!
//! For safety the target must be a loopback address unless the caller sets
//! [`LoadSpec::allow_non_loopback`]. Only `http://` is supported.
//!
//! ```no_run
//! use leakscope_load::{run, LoadSpec};
//! use std::sync::{atomic::AtomicBool, Arc};
//! use std::time::Duration;
//!
//! let spec = LoadSpec {
//!     concurrency: 32,
//!     duration: Some(Duration::from_secs(10)),
//!     ..LoadSpec::new("http://127.0.0.1:8080/user/{n}")
//! };
//! let stop = Arc::new(AtomicBool::new(false));
//! let stats = run(&spec, stop, |s| eprintln!("{} requests, {:.0}/s", s.requests, s.rps))?;
//! println!("{} ok, {} errors, p99 {:?}", stats.ok, stats.errors(), stats.latency.p99);
//! # Ok::<(), leakscope_load::LoadError>(())
//! ```

mod engine;
mod error;
mod spec;
mod stats;
mod template;

pub use engine::run;
pub use error::LoadError;
pub use spec::LoadSpec;
pub use stats::{Latency, LoadStats};
