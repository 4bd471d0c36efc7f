//! Listening TCP sockets from `/proc`: the loopback ports a process listens on (where a Node
//! inspector opened by SIGUSR1 shows up; with listeners on all addresses, where a service
//! can be reached locally), and which process holds a given port (to say who
//! took 9229 when an inspector cannot open).
//!
//! A socket is matched to a process by its inode: `/proc/net/tcp{,6}` lists sockets with
//! their inode, and `/proc/PID/fd/N` links to `socket:[INODE]`.

use std::collections::HashSet;

/// `/proc/net/tcp` state code of a listening socket.
const TCP_LISTEN: &str = "0A";

/// One listening socket from a `/proc/.../net/tcp{,6}` table.
struct Listening {
    /// The local address in the table's hex form.
    addr: String,
    port: u16,
    inode: String,
}

/// The listening sockets of one `tcp` or `tcp6` table's text.
fn listening(table: &str) -> impl Iterator<Item = Listening> + '_ {
    table.lines().skip(1).filter_map(|line| {
        let f: Vec<&str> = line.split_whitespace().collect();
        if f.len() < 10 || f[3] != TCP_LISTEN {
            return None;
        }
        let (addr, port) = f[1].split_once(':')?;
        Some(Listening {
            addr: addr.to_string(),
            port: u16::from_str_radix(port, 16).ok()?,
            inode: f[9].to_string(),
        })
    })
}

/// True for 127.0.0.0/8 (IPv4, as the kernel prints it: little-endian hex) and ::1.
fn is_loopback(addr: &str) -> bool {
    (addr.len() == 8 && addr.ends_with("7F")) || addr == "00000000000000000000000001000000"
}

/// True for 0.0.0.0 and :: (a listener there also takes the port on loopback).
fn is_any(addr: &str) -> bool {
    addr.bytes().all(|b| b == b'0')
}

/// The socket inodes among `pid`'s open files.
fn socket_inodes(pid: u32) -> HashSet<String> {
    let mut inodes = HashSet::new();
    if let Ok(rd) = std::fs::read_dir(format!("/proc/{pid}/fd")) {
        for e in rd.flatten() {
            if let Ok(t) = std::fs::read_link(e.path()) {
                let t = t.to_string_lossy();
                if let Some(i) = t.strip_prefix("socket:[").and_then(|x| x.strip_suffix(']')) {
                    inodes.insert(i.to_string());
                }
            }
        }
    }
    inodes
}

/// TCP ports on which `pid` listens on 127.0.0.1 (IPv4) or ::1, from `/proc/PID/fd` and
/// `/proc/PID/net/tcp{,6}`; sorted, no duplicates.
pub fn loopback_listen_ports(pid: u32) -> Vec<u16> {
    listen_ports(&[pid], is_loopback)
}

/// TCP ports any of `pids` accepts connections to 127.0.0.1 or ::1 on: their loopback
/// listeners and those on all addresses (0.0.0.0, ::), which take the port on loopback too;
/// sorted, no duplicates.
pub fn local_listen_ports(pids: &[u32]) -> Vec<u16> {
    listen_ports(pids, |a| is_loopback(a) || is_any(a))
}

/// Ports of the listening sockets held by any of `pids` whose local address passes `keep`;
/// sorted, no duplicates. Processes of one network namespace share one socket table, so each
/// namespace's table is read once, not once per process (a process tree is mostly one).
fn listen_ports(pids: &[u32], keep: fn(&str) -> bool) -> Vec<u16> {
    // Namespace (the `ns/net` link; empty when unreadable) -> its processes and their sockets.
    let mut by_namespace: Vec<(String, Vec<u32>, HashSet<String>)> = Vec::new();
    for &pid in pids {
        let inodes = socket_inodes(pid);
        if inodes.is_empty() {
            continue;
        }
        let ns = std::fs::read_link(format!("/proc/{pid}/ns/net"))
            .map(|l| l.to_string_lossy().into_owned())
            .unwrap_or_default();
        match by_namespace.iter_mut().find(|(n, ..)| *n == ns) {
            Some((_, members, all)) => {
                members.push(pid);
                all.extend(inodes);
            }
            None => by_namespace.push((ns, vec![pid], inodes)),
        }
    }
    let mut ports = Vec::new();
    for (_, members, inodes) in &by_namespace {
        for table in ["tcp", "tcp6"] {
            // Any member's view of the table will do; one that exited meanwhile has none.
            let Some(text) = members
                .iter()
                .find_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/net/{table}")).ok())
            else {
                continue;
            };
            ports.extend(
                listening(&text)
                    .filter(|l| keep(&l.addr) && inodes.contains(&l.inode))
                    .map(|l| l.port),
            );
        }
    }
    ports.sort_unstable();
    ports.dedup();
    ports
}

/// Who listens on a loopback TCP port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortHolder {
    /// The port.
    pub port: u16,
    /// The process holding it; `None` when its open files cannot be read (another user's
    /// process, without root).
    pub pid: Option<u32>,
    /// What that process runs (see [`crate::node::ProcessIdentity::describe`]).
    pub command: Option<String>,
}

impl std::fmt::Display for PortHolder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (self.pid, &self.command) {
            (Some(pid), Some(cmd)) => write!(f, "process {pid}, {cmd}"),
            (Some(pid), None) => write!(f, "process {pid}"),
            _ => write!(f, "a process this user cannot see (run as root to name it)"),
        }
    }
}

/// The process listening on `port` on loopback (or on all addresses, which also takes it),
/// in this network namespace; `None` when nothing listens there.
pub fn port_holder(port: u16) -> Option<PortHolder> {
    let mut inodes = HashSet::new();
    for table in ["tcp", "tcp6"] {
        let Ok(text) = std::fs::read_to_string(format!("/proc/net/{table}")) else {
            continue;
        };
        inodes.extend(
            listening(&text)
                .filter(|l| l.port == port && (is_loopback(&l.addr) || is_any(&l.addr)))
                .map(|l| l.inode),
        );
    }
    if inodes.is_empty() {
        return None;
    }
    let pid = std::fs::read_dir("/proc").ok().and_then(|rd| {
        rd.flatten()
            .filter_map(|e| e.file_name().to_str()?.parse::<u32>().ok())
            .find(|&pid| !socket_inodes(pid).is_disjoint(&inodes))
    });
    Some(PortHolder {
        port,
        pid,
        command: pid
            .and_then(crate::node::ProcessIdentity::read)
            .map(|p| p.describe()),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn own_listener_is_found_by_port_and_by_pid() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let me = std::process::id();
        assert!(loopback_listen_ports(me).contains(&port));
        let holder = port_holder(port).expect("someone holds it");
        assert_eq!(holder.pid, Some(me));
        assert!(holder.to_string().starts_with(&format!("process {me}, ")));
        drop(l);
        assert!(!loopback_listen_ports(me).contains(&port));
    }

    #[test]
    fn a_listener_on_all_addresses_is_local_not_loopback() {
        let l = std::net::TcpListener::bind("0.0.0.0:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let me = std::process::id();
        assert!(local_listen_ports(&[me]).contains(&port));
        assert!(!loopback_listen_ports(me).contains(&port));
    }

    #[test]
    fn a_process_gone_from_the_list_hides_no_one_elses_ports() {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = l.local_addr().expect("addr").port();
        let me = std::process::id();
        // A pid past the kernel's limit (2^22) never exists: it has no sockets, no table.
        let gone = 1 << 23;
        assert_eq!(local_listen_ports(&[gone]), Vec::<u16>::new());
        assert!(local_listen_ports(&[gone, me]).contains(&port));
        assert!(local_listen_ports(&[me, gone, me]).contains(&port));
    }

    #[test]
    fn table_rows() {
        let table = "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n   0: 0100007F:240D 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0 100 0 0 10 0\n   1: 0100007F:240D 0100007F:9C40 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0 100 0 0 10 0\n";
        let rows: Vec<Listening> = listening(table).collect();
        assert_eq!(rows.len(), 1, "only the LISTEN row");
        assert_eq!(rows[0].port, 9229);
        assert_eq!(rows[0].inode, "4242");
        assert!(is_loopback(&rows[0].addr));
        assert!(is_any("00000000") && !is_any("0100007F"));
    }
}
