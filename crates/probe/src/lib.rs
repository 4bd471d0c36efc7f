//! leakscope-probe: where samples come from.
//!
//! Each source reads one kind of target and returns typed readings in bytes; failures are
//! typed errors ([`ProbeError`]) that name the target and keep the cause, so a watcher can
//! report one failing target and go on with the rest.
//!
//! - [`proc`]: per-process memory from `/proc` ([`proc::ProcReader`]), process trees and the
//!   memory cgroup of a process.
//! - [`cgroup`]: container memory from a cgroup v1 or v2 directory ([`cgroup::Cgroup`]).
//! - [`scrape`]: runtime metrics from a Prometheus `/metrics` endpoint.
//! - [`http`]: the small plain-http client behind scrapes, profile downloads and webhooks.
//! - [`inspector`]: the Node.js inspector client.
//! - [`node`]: is a process Node.js, and where its inspector listens.
//! - [`pidfd`]: signals that reach the process checked, never a pid reused since.
//! - [`sockets`]: listening TCP sockets from /proc: a process's ports, a port's holder.
//! - [`service_port`]: the loopback port a started service listens on.

pub mod cgroup;
pub mod error;
pub mod exposition;
mod fsutil;
pub mod http;
pub mod inspector;
pub mod node;
pub mod pidfd;
mod pidtree;
pub mod proc;
pub mod scrape;
pub mod service_port;
pub mod sockets;

pub use error::{ProbeError, Target};
