//! Is this process Node.js? The one check that stands between leakscope and a SIGUSR1 sent
//! to the wrong process: nginx, gunicorn and many daemons use SIGUSR1 to reopen logs or
//! restart, and a Python service may run a handler of its own.
//!
//! The answer comes from the executable (`/proc/PID/exe`), which a process cannot fake the
//! way it can rewrite its `comm` or `argv[0]`. A renamed Node binary (a single-executable
//! app, a copy called `myservice`) is not recognized: the user vouches for it with `--force`.
//!
//! Also here: where Node's inspector would listen ([`inspector_port`]), and the
//! `NODE_OPTIONS` that give a Node service leakscope starts an inspector port of its own
//! ([`node_options_with_own_inspector_port`]).

use std::ffi::{OsStr, OsString};
use std::path::PathBuf;

use leakscope_core::redact::redact_argv;

/// Node's default inspector port.
pub const DEFAULT_INSPECTOR_PORT: u16 = 9229;

/// The option leakscope adds to `NODE_OPTIONS` of what it starts: SIGUSR1 then opens the
/// inspector on a free loopback port instead of 9229, so concurrent services do not collide.
pub const OWN_INSPECTOR_PORT_OPTION: &str = "--inspect-port=127.0.0.1:0";

/// What a process runs, as `/proc` tells it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProcessIdentity {
    /// The pid.
    pub pid: u32,
    /// The executable (`/proc/PID/exe`, without a ` (deleted)` suffix); `None` when it
    /// cannot be read (another user's process, a kernel thread).
    pub exe: Option<PathBuf>,
    /// Why `exe` is unknown, when it is.
    pub exe_error: Option<String>,
    /// The command line (`/proc/PID/cmdline`), one entry per argument.
    pub cmdline: Vec<String>,
}

impl ProcessIdentity {
    /// Read the executable and command line of `pid`; `None` when there is no such process.
    pub fn read(pid: u32) -> Option<ProcessIdentity> {
        let proc_dir = PathBuf::from(format!("/proc/{pid}"));
        if !proc_dir.exists() {
            return None;
        }
        let (exe, exe_error) = match std::fs::read_link(proc_dir.join("exe")) {
            Ok(p) => {
                let s = p.to_string_lossy();
                let trimmed = s.strip_suffix(" (deleted)").unwrap_or(&s);
                (Some(PathBuf::from(trimmed)), None)
            }
            Err(e) => (None, Some(e.to_string())),
        };
        let cmdline = std::fs::read(proc_dir.join("cmdline"))
            .map(|b| split_nul(&b))
            .unwrap_or_default();
        Some(ProcessIdentity {
            pid,
            exe,
            exe_error,
            cmdline,
        })
    }

    /// True when the executable is Node.js: named `node`, `nodejs`, or `node` with a version
    /// (`node20`, `node-v20.11.1`), as nvm, distributions and installers name it.
    pub fn is_node(&self) -> bool {
        self.exe
            .as_ref()
            .and_then(|p| p.file_name())
            .is_some_and(|n| is_node_name(&n.to_string_lossy()))
    }

    /// One phrase saying what the process is, for error messages:
    /// `/usr/bin/python3.11 (python3 service.py)`. Secrets on its command line are redacted,
    /// control characters escaped, and a long command line cut.
    pub fn describe(&self) -> String {
        let exe = match (&self.exe, &self.exe_error) {
            (Some(p), _) => p.display().to_string(),
            (None, Some(e)) => format!("a program whose executable cannot be read ({e})"),
            (None, None) => "a program whose executable cannot be read".to_string(),
        };
        if self.cmdline.is_empty() {
            return printable(&exe);
        }
        let mut cmd = redact_argv(&self.cmdline).join(" ");
        if cmd.chars().count() > 100 {
            cmd = cmd.chars().take(100).collect::<String>() + "…";
        }
        printable(&format!("{exe} ({cmd})"))
    }
}

/// True when `name` (an executable's file name) is a Node.js binary's usual name.
pub fn is_node_name(name: &str) -> bool {
    if name == "node" || name == "nodejs" {
        return true;
    }
    // node20, node-20, node_20, node-v20.11.1, nodejs20
    let Some(rest) = name
        .strip_prefix("nodejs")
        .or_else(|| name.strip_prefix("node"))
    else {
        return false;
    };
    let rest = rest.trim_start_matches(['-', '_']);
    let rest = rest.strip_prefix('v').unwrap_or(rest);
    rest.starts_with(|c: char| c.is_ascii_digit())
        && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
}

/// True when `pid` runs a Node.js executable (see [`ProcessIdentity::is_node`]).
pub fn is_node(pid: u32) -> bool {
    ProcessIdentity::read(pid).is_some_and(|p| p.is_node())
}

/// The Node process of a service rooted at `root` (itself or a descendant): the first Node
/// process in the tree that has no Node process below it. So `npm start` (Node) → `node
/// server.js` yields the server, and a cluster primary yields its first worker.
pub fn service_node(root: u32) -> Option<u32> {
    let tree: Vec<u32> = std::iter::once(root)
        .chain(crate::proc::descendants(root))
        .collect();
    let nodes: Vec<u32> = tree.iter().copied().filter(|p| is_node(*p)).collect();
    nodes
        .iter()
        .copied()
        .find(|&p| {
            let below = crate::proc::descendants(p);
            !nodes.iter().any(|n| below.contains(n))
        })
        .or_else(|| nodes.first().copied())
}

/// True when a `node` command line (`argv`, the executable first) or `NODE_OPTIONS` sets the
/// JavaScript heap's limit (`--max-old-space-size`, or V8's spelling with underscores).
/// Only node's own options count: those before the script.
pub fn sets_heap_limit(argv: &[String], node_options: Option<&OsStr>) -> bool {
    let is_limit =
        |a: &str| a.starts_with("--max-old-space-size") || a.starts_with("--max_old_space_size");
    let own = argv
        .iter()
        .skip(1)
        .take_while(|a| a.starts_with('-'))
        .any(|a| is_limit(a));
    own || node_options.is_some_and(|o| o.to_string_lossy().split_whitespace().any(is_limit))
}

/// `NODE_OPTIONS` for a process leakscope starts: what the user had, plus
/// [`OWN_INSPECTOR_PORT_OPTION`] unless the user already chose an inspector port (an explicit
/// `--inspect-port`, `--inspect=...` or `--inspect-brk=...` is kept as is).
pub fn node_options_with_own_inspector_port(existing: Option<&OsStr>) -> OsString {
    let existing = existing.map(|s| s.to_string_lossy().into_owned());
    match existing.as_deref().map(str::trim) {
        None | Some("") => OsString::from(OWN_INSPECTOR_PORT_OPTION),
        Some(opts) if sets_inspector_port(opts.split_whitespace()) => OsString::from(opts),
        Some(opts) => OsString::from(format!("{opts} {OWN_INSPECTOR_PORT_OPTION}")),
    }
}

/// True when one of `args` chooses where Node's inspector listens.
fn sets_inspector_port<'a>(args: impl IntoIterator<Item = &'a str>) -> bool {
    args.into_iter()
        .any(|a| inspector_port_option(a).is_some() || a == "--inspect-port" || a == "--debug-port")
}

/// The host:port value of `--inspect-port=`, `--debug-port=`, `--inspect=` or `--inspect-brk=`.
fn inspector_port_option(arg: &str) -> Option<&str> {
    [
        "--inspect-port=",
        "--debug-port=",
        "--inspect=",
        "--inspect-brk=",
    ]
    .iter()
    .find_map(|p| arg.strip_prefix(p))
}

/// The loopback port Node process `pid` opens its inspector on when signalled, from its
/// command line and `NODE_OPTIONS` (when readable); the last setting wins, as in Node.
/// `None` when it is 0 (a free port is picked).
pub fn inspector_port(pid: u32) -> Option<u16> {
    let cmdline = std::fs::read(format!("/proc/{pid}/cmdline"))
        .map(|b| split_nul(&b))
        .unwrap_or_default();
    let node_options = std::fs::read(format!("/proc/{pid}/environ"))
        .map(|b| split_nul(&b))
        .unwrap_or_default()
        .into_iter()
        .find_map(|kv| kv.strip_prefix("NODE_OPTIONS=").map(str::to_string))
        .unwrap_or_default();
    let node_options: Vec<String> = node_options
        .split_whitespace()
        .map(str::to_string)
        .collect();
    port_from_options(&node_options, &cmdline)
}

/// The inspector port chosen by `NODE_OPTIONS` and then by the options on the command line
/// (those before the script; the last setting wins, as in Node): default 9229, `None` for 0.
fn port_from_options(node_options: &[String], cmdline: &[String]) -> Option<u16> {
    let mut port = DEFAULT_INSPECTOR_PORT;
    let before_script = cmdline.iter().skip(1).scan(false, |value_next, a| {
        let is_value = std::mem::replace(value_next, a == "--inspect-port" || a == "--debug-port");
        (is_value || a.starts_with('-')).then_some(a)
    });
    let mut take_next = false;
    for a in node_options.iter().chain(before_script) {
        let value = if take_next {
            take_next = false;
            Some(a.as_str())
        } else if a == "--inspect-port" || a == "--debug-port" {
            take_next = true;
            None
        } else {
            inspector_port_option(a)
        };
        if let Some(v) = value {
            let p = v.rsplit(':').next().unwrap_or(v);
            if let Ok(p) = p.parse::<u16>() {
                port = p;
            }
        }
    }
    (port != 0).then_some(port)
}

/// NUL-separated fields (cmdline, environ), lossily decoded; no empty last field.
fn split_nul(bytes: &[u8]) -> Vec<String> {
    bytes
        .split(|&b| b == 0)
        .filter(|s| !s.is_empty())
        .map(|s| String::from_utf8_lossy(s).into_owned())
        .collect()
}

/// Control characters escaped, so a crafted command line cannot rewrite the terminal.
fn printable(s: &str) -> String {
    s.chars()
        .flat_map(|c| {
            if c.is_control() {
                c.escape_default().collect::<Vec<_>>()
            } else {
                vec![c]
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn node_names() {
        for n in [
            "node",
            "nodejs",
            "node20",
            "node-20",
            "node-v20.11.1",
            "nodejs18",
        ] {
            assert!(is_node_name(n), "{n}");
        }
        for n in [
            "python3.11",
            "nodemon",
            "node-red",
            "bash",
            "myservice",
            "nod",
            "node-",
        ] {
            assert!(!is_node_name(n), "{n}");
        }
    }

    #[test]
    fn this_test_binary_is_not_node() {
        let me = ProcessIdentity::read(std::process::id()).expect("own process");
        assert!(!me.is_node());
        assert!(me.exe.is_some());
        assert!(me.describe().contains(&me.cmdline[0]));
        assert!(ProcessIdentity::read(u32::MAX).is_none());
    }

    #[test]
    fn descriptions_redact_and_escape() {
        let id = ProcessIdentity {
            pid: 1,
            exe: Some("/usr/bin/python3.11".into()),
            exe_error: None,
            cmdline: vec![
                "python3".into(),
                "svc.py".into(),
                "--token".into(),
                "T0K".into(),
                "\x1b[2J".into(),
            ],
        };
        let d = id.describe();
        assert!(
            d.starts_with("/usr/bin/python3.11 (python3 svc.py --token <redacted>"),
            "{d}"
        );
        assert!(!d.contains('\x1b') && !d.contains("T0K"), "{d}");
    }

    #[test]
    fn a_heap_limit_is_seen_in_nodes_own_options_or_node_options() {
        let v = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!sets_heap_limit(&v(&["node", "server.js"]), None));
        assert!(sets_heap_limit(
            &v(&["node", "--max-old-space-size=2048", "server.js"]),
            None
        ));
        assert!(sets_heap_limit(
            &v(&["node", "--max_old_space_size", "2048", "server.js"]),
            None
        ));
        // The script's own arguments are not node's.
        assert!(!sets_heap_limit(
            &v(&["node", "server.js", "--max-old-space-size=2048"]),
            None
        ));
        let opts = OsStr::new("--inspect-port=0 --max-old-space-size=900");
        assert!(sets_heap_limit(&v(&["node", "server.js"]), Some(opts)));
        assert!(!sets_heap_limit(
            &v(&["node", "server.js"]),
            Some(OsStr::new("--inspect"))
        ));
    }

    #[test]
    fn node_options_keep_the_users_and_add_a_free_port() {
        assert_eq!(
            node_options_with_own_inspector_port(None),
            OsString::from("--inspect-port=127.0.0.1:0")
        );
        assert_eq!(
            node_options_with_own_inspector_port(Some(OsStr::new("--max-old-space-size=512"))),
            OsString::from("--max-old-space-size=512 --inspect-port=127.0.0.1:0")
        );
        let chosen = "--inspect=127.0.0.1:9333";
        assert_eq!(
            node_options_with_own_inspector_port(Some(OsStr::new(chosen))),
            OsString::from(chosen)
        );
    }

    #[test]
    fn inspector_port_from_options() {
        let v = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(port_from_options(&[], &v(&["node", "a.js"])), Some(9229));
        assert_eq!(
            port_from_options(&v(&["--inspect-port=127.0.0.1:0"]), &v(&["node", "a.js"])),
            None
        );
        assert_eq!(
            port_from_options(&[], &v(&["node", "--inspect-port", "9300", "a.js"])),
            Some(9300)
        );
        assert_eq!(
            port_from_options(
                &v(&["--inspect-port=0"]),
                &v(&["node", "--inspect=9444", "a.js"])
            ),
            Some(9444)
        );
        // Options after the script are the script's own.
        assert_eq!(
            port_from_options(&[], &v(&["node", "a.js", "--inspect-port=1234"])),
            Some(9229)
        );
    }
}
