//! `{port}` in `run`'s flags: the port the started service listens on, found from /proc
//! ([`leakscope_probe::service_port`]) and written into --load, --ready, --scrape, --pprof
//! and --load-cmd, so the service can be started on port 0 and nobody guesses a free port.
//!
//! It is looked for right after the service starts, before the readiness check and before
//! leakscope opens anything in the service: the Node inspector (SIGUSR1) is opened after
//! readiness, so its port is never taken for the service's.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use leakscope_agent::event::Event;
use leakscope_agent::supervise::Supervisor;
use leakscope_probe::service_port::{find_service_port, ServicePort};

use super::RunArgs;
use crate::units;

/// The placeholder.
pub(super) const PLACEHOLDER: &str = "{port}";

/// The flags `{port}` may appear in.
fn flags(args: &RunArgs) -> impl Iterator<Item = &str> {
    [
        &args.load,
        &args.ready,
        &args.scrape,
        &args.pprof,
        &args.load_cmd,
    ]
    .into_iter()
    .flatten()
    .map(String::as_str)
}

/// True when a flag holds `{port}`: the port is then looked for.
pub(super) fn wanted(args: &RunArgs) -> bool {
    flags(args).any(|t| fill(t, 0) != t)
}

/// `text` with each `{port}` replaced by `port`. `{{` and `}}` are kept as they are: in a
/// load template they stand for literal braces, so `{{port}}` is not the placeholder.
pub(super) fn fill(text: &str, port: u16) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let skip = if rest.starts_with("{{") || rest.starts_with("}}") {
            out.push_str(&rest[..2]);
            2
        } else if rest.starts_with(PLACEHOLDER) {
            out.push_str(&port.to_string());
            PLACEHOLDER.len()
        } else {
            out.push(c);
            c.len_utf8()
        };
        rest = &rest[skip..];
    }
    out
}

/// Ports the flags write out (`:PORT`): a service's second listener named this way (its
/// metrics, its pprof) is not the one `{port}` stands for.
fn named_ports(args: &RunArgs) -> Vec<u16> {
    let mut ports = Vec::new();
    for text in flags(args) {
        for (i, _) in text.match_indices(':') {
            let digits: String = text[i + 1..]
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if let Ok(p) = digits.parse::<u16>() {
                ports.push(p);
            }
        }
    }
    ports
}

/// Wait (within --ready-timeout) for the port the service listens on, and say it unless
/// `quiet`. Fails when the service exits first, listens on several ports, or on none in time.
pub(super) fn discover(
    args: &RunArgs,
    quiet: bool,
    sup: &mut Supervisor,
    mut on_event: impl FnMut(&Event),
    stop: &Arc<AtomicBool>,
) -> anyhow::Result<u16> {
    let root = sup
        .pid()
        .ok_or_else(|| anyhow::anyhow!("the service is not running"))?;
    let found = find_service_port(root, &named_ports(args), args.ready_timeout, || {
        super::pass_events(sup, &mut on_event, || {
            format!("listened on a port (for {PLACEHOLDER})")
        })?;
        if stop.load(Ordering::Relaxed) {
            anyhow::bail!("interrupted while waiting for the service to listen");
        }
        Ok(())
    })?;
    match found {
        ServicePort::One(port) => {
            if !quiet {
                eprintln!("leakscope: the service listens on 127.0.0.1:{port}");
            }
            Ok(port)
        }
        ServicePort::Several(ports) => anyhow::bail!(
            "the service listens on several loopback ports ({}), so {PLACEHOLDER} cannot tell which one to use: write the port instead of {PLACEHOLDER}",
            list(&ports)
        ),
        ServicePort::None => anyhow::bail!(
            "the service did not listen on a loopback port within {} (for {PLACEHOLDER}; raise --ready-timeout, or write the port instead)",
            units::format_duration(args.ready_timeout.as_secs_f64())
        ),
    }
}

/// `a, b and c`.
fn list(ports: &[u16]) -> String {
    let all: Vec<String> = ports.iter().map(u16::to_string).collect();
    match all.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
        _ => all.join(""),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_replaces_the_placeholder_and_keeps_escapes() {
        assert_eq!(
            fill("http://127.0.0.1:{port}/user/{n}", 8080),
            "http://127.0.0.1:8080/user/{n}"
        );
        assert_eq!(fill("{{port}} {port}", 1), "{{port}} 1");
        assert_eq!(fill("plain ü", 1), "plain ü");
    }

    #[test]
    fn lists_read_as_prose() {
        assert_eq!(list(&[1]), "1");
        assert_eq!(list(&[1, 2]), "1 and 2");
        assert_eq!(list(&[1, 2, 3]), "1, 2 and 3");
    }
}
