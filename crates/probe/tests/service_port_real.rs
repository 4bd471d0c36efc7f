//! Finding the port a real service bound to port 0, from /proc, through a shell above it.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use common::have_python;
use leakscope_probe::service_port::{find_service_port, tree_listen_ports, ServicePort};

/// `sh -c` running python3 (not exec'd: the listener is the shell's child), which binds one
/// loopback listener on port 0 per delay in `delays_s` (sleeping that long first), prints
/// each port on a line, then sleeps. In a process group of its own, stopped on drop.
struct Service {
    child: Child,
    ports: Vec<u16>,
}

impl Service {
    fn start(delays_s: &[f64]) -> Service {
        let py = format!(
            "import socket, sys, time\nheld = []\nfor d in {delays_s:?}:\n    time.sleep(d)\n    s = socket.socket()\n    s.bind(('127.0.0.1', 0))\n    s.listen()\n    held.append(s)\n    print(s.getsockname()[1], flush=True)\ntime.sleep(600)\n"
        );
        let mut child = Command::new("sh")
            .arg("-c")
            .arg(r#"python3 -c "$0"; true"#)
            .arg(py)
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("sh runs");
        let mut out = BufReader::new(child.stdout.take().expect("piped"));
        let mut ports = Vec::new();
        for _ in delays_s {
            let mut line = String::new();
            out.read_line(&mut line).expect("read a port");
            ports.push(line.trim().parse().expect("a port"));
        }
        ports.sort_unstable();
        Service { child, ports }
    }
}

impl Drop for Service {
    fn drop(&mut self) {
        // SAFETY: kill(2) on the process group of a child we started with process_group(0).
        unsafe { libc::kill(-(self.child.id() as i32), libc::SIGKILL) };
        let _ = self.child.wait();
    }
}

fn no_check() -> Result<(), ()> {
    Ok(())
}

#[test]
fn the_port_a_grandchild_bound_to_port_0_is_found() {
    if !have_python() {
        eprintln!("skipped: python3 is not available");
        return;
    }
    let svc = Service::start(&[0.0]);
    let root = svc.child.id();
    assert_eq!(
        tree_listen_ports(root),
        svc.ports,
        "the shell's child listens"
    );
    let found = find_service_port(root, &[], Duration::from_secs(10), no_check);
    assert_eq!(found, Ok(ServicePort::One(svc.ports[0])));
    // A port the caller names itself is never the one sought: nothing else listens.
    let t = Instant::now();
    let found = find_service_port(root, &svc.ports, Duration::from_millis(500), no_check);
    assert_eq!(found, Ok(ServicePort::None));
    assert!(t.elapsed() >= Duration::from_millis(500), "it waited");
}

#[test]
fn two_listeners_are_both_reported_and_a_named_one_is_left_out() {
    if !have_python() {
        eprintln!("skipped: python3 is not available");
        return;
    }
    let svc = Service::start(&[0.0, 0.0]);
    let other = Service::start(&[0.0]);
    let root = svc.child.id();
    let found = find_service_port(root, &[], Duration::from_secs(10), no_check);
    assert_eq!(found, Ok(ServicePort::Several(svc.ports.clone())));
    // Naming one of them leaves the other.
    let found = find_service_port(root, &svc.ports[..1], Duration::from_secs(10), no_check);
    assert_eq!(found, Ok(ServicePort::One(svc.ports[1])));
    // Another tree's port is not this tree's.
    assert!(!tree_listen_ports(root).contains(&other.ports[0]));
    assert_eq!(tree_listen_ports(other.child.id()), other.ports);
}

#[test]
fn a_second_listener_opened_after_the_first_look_is_waited_for() {
    if !have_python() {
        eprintln!("skipped: python3 is not available");
        return;
    }
    // The shell starts python, which opens its first listener at once and the second 30 ms
    // later; the search starts before either is open, so it must not settle on the first
    // (two equal looks are 100 ms apart).
    let py = "import socket, time\nheld = []\nfor d in (0.0, 0.03):\n    time.sleep(d)\n    s = socket.socket()\n    s.bind(('127.0.0.1', 0))\n    s.listen()\n    held.append(s)\ntime.sleep(600)\n";
    let mut child = Command::new("sh")
        .arg("-c")
        .arg(r#"python3 -c "$0"; true"#)
        .arg(py)
        .process_group(0)
        .spawn()
        .expect("sh runs");
    let root = child.id();
    let found = find_service_port(root, &[], Duration::from_secs(10), no_check);
    // SAFETY: kill(2) on the process group of a child we started with process_group(0).
    unsafe { libc::kill(-(root as i32), libc::SIGKILL) };
    let _ = child.wait();
    match found {
        Ok(ServicePort::Several(p)) => assert_eq!(p.len(), 2, "{p:?}"),
        other => panic!("want both ports, got {other:?}"),
    }
}

#[test]
fn the_check_ends_the_wait() {
    let mut child = Command::new("sleep")
        .arg("600")
        .spawn()
        .expect("sleep runs");
    let mut looks = 0;
    let t = Instant::now();
    let found = find_service_port(child.id(), &[], Duration::from_secs(30), || {
        looks += 1;
        if looks == 3 {
            Err("exited")
        } else {
            Ok(())
        }
    });
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(found, Err("exited"));
    assert!(t.elapsed() < Duration::from_secs(5));
}
