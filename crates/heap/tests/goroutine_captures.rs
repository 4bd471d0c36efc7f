//! Goroutine captures of tests/fixtures/go (written by leakdemo: receivers, senders and
//! selects that leak; three goroutines on a held mutex, one in IO wait, one ticker loop that
//! do not grow) in proto, debug=1 and debug=2 form.

use std::path::{Path, PathBuf};

use leakscope_heap::goroutine::{self, group, parse_text};
use leakscope_heap::Options;

fn f(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../tests/fixtures/go")
        .join(name)
}

fn site_count(cap: &goroutine::Capture, func: &str, state: Option<&str>) -> u64 {
    group(cap)
        .iter()
        .filter(|g| g.site.function == func && state.is_none_or(|s| g.state == s))
        .map(|g| g.count)
        .sum()
}

#[test]
fn three_shapes_agree_on_sites_and_states() {
    let proto = goroutine::read_capture(&f("goroutine3.pb.gz")).expect("proto");
    let d1 = goroutine::read_capture(&f("goroutine3.debug1.txt")).expect("debug=1");
    let d2 = goroutine::read_capture(&f("goroutine3.debug2.txt")).expect("debug=2");
    assert_eq!(proto.shape, "proto");
    assert_eq!(d1.shape, "debug=1");
    assert_eq!(d2.shape, "debug=2");
    for cap in [&proto, &d2] {
        assert!(site_count(cap, "main.leakReceiver.func1", Some("chan receive")) > 100);
        assert!(site_count(cap, "main.leakSender.func1", Some("chan send")) > 10);
        assert!(site_count(cap, "main.leakSelect.func1", Some("select")) > 10);
        assert_eq!(
            site_count(cap, "main.steadyWaiters.func1", Some("semacquire")),
            3
        );
        assert_eq!(
            site_count(cap, "main.steadyWaiters.func2", Some("IO wait")),
            1
        );
    }
    // debug=1 hides runtime frames: sites match, channel states cannot be seen.
    assert_eq!(
        site_count(&d1, "main.leakReceiver.func1", None),
        site_count(&proto, "main.leakReceiver.func1", None)
    );
    assert_eq!(
        site_count(&d1, "main.steadyWaiters.func1", Some("semacquire")),
        3
    );
    // The goroutine writing the profile itself is running.
    assert_eq!(site_count(&proto, "main.write", Some("running")), 1);
}

#[test]
fn debug2_has_wait_minutes_and_creators() {
    let d2 = goroutine::read_capture(&f("goroutine3.debug2.txt")).expect("debug=2");
    let g = group(&d2);
    let recv = g
        .iter()
        .find(|g| g.site.function == "main.leakReceiver.func1")
        .expect("receiver site");
    assert_eq!(recv.site.file, "leakdemo/main.go");
    assert!(recv.max_wait_minutes >= Some(1), "{recv:?}");
    assert_eq!(
        recv.created_by.as_ref().map(|c| c.function.as_str()),
        Some("main.leakReceiver")
    );
    let mutex = g.iter().find(|g| g.state == "semacquire").expect("mutex");
    assert_eq!(mutex.blocking_call.as_deref(), Some("sync.(*Mutex).Lock"));
}

#[test]
fn diff_flags_growing_sites_only() {
    for files in [
        vec!["goroutine1.pb.gz", "goroutine2.pb.gz", "goroutine3.pb.gz"],
        vec!["goroutine1.debug2.txt", "goroutine3.debug2.txt"],
        vec!["goroutine1.debug1.txt", "goroutine3.debug1.txt"],
    ] {
        let paths: Vec<PathBuf> = files.iter().map(|n| f(n)).collect();
        let rep = leakscope_heap::diff(&paths, &Options::default()).expect("diff");
        assert_eq!(rep.profile, "goroutine", "{files:?}");
        let names: Vec<&str> = rep
            .suspects
            .iter()
            .map(|s| s.extra["function"].as_str().unwrap_or(""))
            .collect();
        assert_eq!(names[0], "main.leakReceiver.func1", "{files:?}");
        assert!(names.contains(&"main.leakSender.func1"), "{files:?}");
        assert!(names.contains(&"main.leakSelect.func1"), "{files:?}");
        assert!(
            !names.iter().any(|n| n.starts_with("main.steadyWaiters")),
            "{files:?}: {names:?}"
        );
        let s = &rep.suspects[0];
        assert_eq!(s.pattern, "blocked-goroutines");
        assert!(s.count_delta > 100);
        assert!(s.name.contains("leakdemo/main.go:"), "{}", s.name);
        assert_eq!(
            s.retainer_path
                .last()
                .map(|p| p.starts_with("main.leakReceiver.func1")),
            Some(true)
        );
        if files[0].ends_with(".debug2.txt") {
            assert_eq!(s.extra["state"], "chan receive");
            assert!(s.advice.contains("channel receive"));
            assert!(s.extra.contains_key("max_wait_minutes"));
        }
    }
}

#[test]
fn top_on_goroutine_proto_goes_to_goroutine_analysis() {
    let rep = leakscope_heap::top(&f("goroutine3.pb.gz"), &Options::default()).expect("top");
    assert_eq!(rep.profile, "goroutine");
    assert!(rep.groups[0]
        .name
        .starts_with("main.leakReceiver.func1 [chan receive]"));
    let rep = leakscope_heap::top(&f("goroutine3.debug2.txt"), &Options::default()).expect("top");
    assert!(rep.columns.iter().any(|c| c.key == "max_wait_minutes"));
}

#[test]
fn text_edge_cases() {
    // Go >= 1.21 `created by X in goroutine N`, labels in the header, elided frames, ancestors.
    let text = "goroutine 7 [chan receive, 3 minutes, labels:{\"a\":\"b, c\"}]:\n\
main.worker(0xc000010000)\n\t/src/app/main.go:42 +0x2b\n...additional frames elided...\n\
created by main.start in goroutine 1\n\t/src/app/main.go:40 +0x6a\n\
[originating from goroutine 1]:\nmain.main()\n\t/src/app/main.go:10 +0x1\n\n\
goroutine 8 [select (no cases)]:\nmain.forever()\n\t/src/app/main.go:50\n";
    let cap = parse_text(text).expect("parses");
    assert_eq!(cap.records.len(), 2);
    let r = &cap.records[0];
    assert_eq!(r.state.as_deref(), Some("chan receive"));
    assert_eq!(r.wait_minutes, Some(3));
    assert_eq!(r.frames.len(), 1);
    assert_eq!(r.created_by.as_ref().map(|c| c.line), Some(40));
    assert_eq!(cap.records[1].frames[0].line, 50);
    let sys = parse_text(
        "goroutine 1 gp=0xc000002380 m=nil [select, 2 minutes]:\nmain.f()\n\t/a.go:1 +0x1\n",
    )
    .expect("GOTRACEBACK=system header");
    assert_eq!(sys.records[0].wait_minutes, Some(2));
    assert!(parse_text("hello\n").is_err());
    assert!(parse_text("goroutine x [running]:\n").is_err());
    assert!(parse_text("goroutine profile: total 3\nbad line\n").is_err());
}
