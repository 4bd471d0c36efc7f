//! The loopback port a service listens on, found from `/proc` once it starts: so a service
//! can be started on port 0 (or on a port it picks itself) and still be loaded, probed and
//! scraped without anyone guessing a free port beforehand — a guess races with every other
//! socket bound to port 0 meanwhile.
//!
//! The service is the process tree leakscope started (a shell or a wrapper may sit above the
//! real server), so every process in the tree counts.

use std::time::{Duration, Instant};

use crate::sockets::local_listen_ports;

/// Time between two looks at the tree's sockets.
pub const LOOK_EVERY: Duration = Duration::from_millis(100);

/// TCP ports on which `root` or any of its descendants listens on loopback (or on all
/// addresses, which takes loopback too); sorted, no duplicates. Empty when the tree is gone.
pub fn tree_listen_ports(root: u32) -> Vec<u16> {
    let tree: Vec<u32> = std::iter::once(root)
        .chain(crate::proc::descendants(root))
        .collect();
    local_listen_ports(&tree)
}

/// What [`find_service_port`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ServicePort {
    /// The service listens on this one port.
    One(u16),
    /// The service listens on several ports (sorted): which one is meant cannot be told.
    Several(Vec<u16>),
    /// Nothing listened within the time given.
    None,
}

/// Wait, up to `timeout`, for the tree rooted at `root` to listen on a loopback port that is
/// not among `known` (ports the caller names itself, such as a metrics port given literally,
/// which are never the one sought). `check` runs before every look, [`LOOK_EVERY`] apart; its
/// error (the service exited, the user interrupted) ends the wait at once and is returned.
///
/// A port counts once the set of candidate ports is the same at two consecutive looks: a
/// service that opens two listeners a moment apart (its API, then its metrics) would
/// otherwise be taken at its first one, and reported as listening on one port when it
/// listens on two. One look later costs 100 ms; a listener opened later than that is missed,
/// and one never is by a service that opens all of them before it serves.
pub fn find_service_port<E>(
    root: u32,
    known: &[u16],
    timeout: Duration,
    mut check: impl FnMut() -> Result<(), E>,
) -> Result<ServicePort, E> {
    let start = Instant::now();
    let mut last: Vec<u16> = Vec::new();
    loop {
        check()?;
        let now: Vec<u16> = tree_listen_ports(root)
            .into_iter()
            .filter(|p| !known.contains(p))
            .collect();
        let settled = !now.is_empty() && now == last;
        if settled || start.elapsed() >= timeout {
            return Ok(match now.as_slice() {
                [] => ServicePort::None,
                [one] => ServicePort::One(*one),
                _ => ServicePort::Several(now),
            });
        }
        last = now;
        std::thread::sleep(LOOK_EVERY);
    }
}
