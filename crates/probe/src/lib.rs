//! leakscope-probe: where samples come from.
//!
//! Each source reads one kind of target and returns typed readings in bytes; failures are
//! typed errors that name the target and keep the cause, so a watcher can report one failing
//! target and go on with the rest.

pub mod cgroup;
pub mod http;
pub mod inspector;
pub mod proc;
pub mod scrape;
