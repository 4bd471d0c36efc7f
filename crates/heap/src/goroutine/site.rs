//! Where a goroutine blocks and why: the blocking site (the first frame of the program's own
//! code, above runtime and standard-library frames) and the state (wait reason), read from a
//! debug=2 header or inferred from the runtime frames of a proto/debug=1 stack.

use super::parse::{Frame, Record};

/// Import path of a Go function name: `github.com/a/b.(*T).M` -> `github.com/a/b`.
pub fn package_of(function: &str) -> &str {
    let slash = function.rfind('/').map(|i| i + 1).unwrap_or(0);
    match function[slash..].find('.') {
        Some(dot) => &function[..slash + dot],
        None => function,
    }
}

/// True for the program's own code: package `main`, or an import path whose first element
/// has a dot (a module path such as `github.com/...`). Standard-library paths have none.
pub fn is_user(function: &str) -> bool {
    let pkg = package_of(function);
    if pkg == "main" || pkg.starts_with("main.") {
        return true;
    }
    let first = pkg.split('/').next().unwrap_or("");
    first.contains('.')
}

fn is_runtime(function: &str) -> bool {
    let pkg = package_of(function);
    pkg == "runtime" || pkg.starts_with("runtime/internal") || pkg == "internal/runtime"
}

/// The blocking site of a stack (innermost first): the first user frame, else the first
/// non-runtime frame, else the leaf. Also returns the call it blocks in (the frame just
/// below the site, when there is one).
pub fn site(frames: &[Frame]) -> Option<(usize, Option<usize>)> {
    let idx = frames
        .iter()
        .position(|f| is_user(&f.function))
        .or_else(|| frames.iter().position(|f| !is_runtime(&f.function)))
        .or(if frames.is_empty() { None } else { Some(0) })?;
    Some((idx, idx.checked_sub(1)))
}

/// Infer the wait state of a stack without a header, from its runtime/std frames.
pub fn infer_state(frames: &[Frame]) -> String {
    for f in frames {
        let s = match f.function.as_str() {
            "runtime.chanrecv" | "runtime.chanrecv1" | "runtime.chanrecv2" => "chan receive",
            "runtime.chansend" | "runtime.chansend1" => "chan send",
            "runtime.selectgo" => "select",
            "runtime.block" => "select (no cases)",
            "sync.runtime_SemacquireMutex"
            | "sync.runtime_Semacquire"
            | "runtime.semacquire1"
            | "sync.runtime_SemacquireRWMutex"
            | "sync.runtime_SemacquireRWMutexR"
            | "sync.runtime_SemacquireWaitGroup"
            | "internal/sync.runtime_SemacquireMutex" => "semacquire",
            "sync.runtime_notifyListWait" => "sync.Cond.Wait",
            "runtime.netpollblock" | "internal/poll.runtime_pollWait" => "IO wait",
            "time.Sleep" | "runtime.timeSleep" => "sleep",
            "runtime.goroutineProfileWithLabels"
            | "runtime/pprof.runtime_goroutineProfileWithLabels"
            | "runtime.Stack" => "running",
            _ => continue,
        };
        return s.to_owned();
    }
    if frames
        .first()
        .is_some_and(|f| f.function == "runtime.gopark")
    {
        "waiting".to_owned()
    } else {
        "unknown".to_owned()
    }
}

/// The state of a record: its header's, or the inferred one. Newer Go names lock waits
/// (`sync.Mutex.Lock`, `sync.WaitGroup.Wait`); those stay as printed.
pub fn state_of(r: &Record) -> String {
    match &r.state {
        Some(s) if !s.is_empty() => s.clone(),
        _ => infer_state(&r.frames),
    }
}

/// True for states of a goroutine that is parked, not running (`unknown`, a debug=1 stack
/// without runtime frames, counts as parked).
pub fn is_blocked(state: &str) -> bool {
    !matches!(state, "running" | "runnable" | "syscall" | "dead" | "idle")
}

/// True for the channel states LeakProf watches.
pub fn is_channel(state: &str) -> bool {
    state.starts_with("chan ") || state.starts_with("select")
}

/// What to do about goroutines blocked in `state`.
pub fn advice(state: &str) -> String {
    let s = if state.contains("nil chan") {
        "goroutines blocked forever on a nil channel: make the channel before using it, or drop the case"
    } else if state.starts_with("chan receive") {
        "goroutines blocked forever on a channel receive: close the channel when the sender is done, or select on the request context (ctx.Done()) so they can return"
    } else if state.starts_with("chan send") {
        "goroutines blocked forever on a channel send nobody receives: give the channel a buffer (1, or one slot per sender), or select on ctx.Done() so senders can give up"
    } else if state == "select (no cases)" {
        "goroutines parked in `select {}` forever: let them return when their work is done"
    } else if state.starts_with("select") {
        "goroutines stuck in a select whose cases never become ready: add a `case <-ctx.Done():` (or a timer) so they can return, or close one of the channels"
    } else if state.starts_with("semacquire") || state.starts_with("sync.") {
        "goroutines waiting on a lock, WaitGroup or Cond that is never released: find the holder (often a missing Unlock/Done/Signal on an error path)"
    } else if state.starts_with("IO wait") {
        "goroutines waiting on network I/O that never completes: set deadlines (SetReadDeadline) or close connections when the peer or request goes away"
    } else if state == "sleep" {
        "sleeping goroutines keep piling up: stop their loops with a context or a done channel"
    } else {
        "goroutines keep piling up at this site: make sure each one can return (a context, a close, a deadline)"
    };
    s.to_owned()
}

#[cfg(test)]
mod tests {
    use super::{is_user, package_of};

    #[test]
    fn packages_and_user_code() {
        assert_eq!(package_of("github.com/a/b.(*T).M"), "github.com/a/b");
        assert_eq!(package_of("main.leak.func1"), "main");
        assert_eq!(package_of("internal/poll.(*FD).Read"), "internal/poll");
        assert!(is_user("main.leak.func1"));
        assert!(is_user("github.com/a/b.F"));
        assert!(!is_user("net/http.(*conn).serve"));
        assert!(!is_user("sync.(*Mutex).Lock"));
        assert!(!is_user("runtime.gopark"));
    }
}
