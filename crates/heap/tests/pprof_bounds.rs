//! What decoding a pprof profile builds is measured before it is built, and the measure is
//! right: a counting allocator compares the survey's figure with what prost allocates.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::io::Write;

use leakscope_heap::pprof::proto::{Function, Label, Line, Location, Profile, Sample, ValueType};
use leakscope_heap::pprof::{budget, parse_profile, parse_profile_limited, Limits};
use prost::Message;

/// Counts the live heap bytes of each thread (tests run on threads side by side).
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|c| c.set(c.get() + delta));
}

fn live() -> isize {
    LIVE.with(Cell::get)
}

// SAFETY: forwards to the system allocator, only counting sizes.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, l: Layout) -> *mut u8 {
        count(l.size() as isize);
        // SAFETY: same layout, forwarded.
        unsafe { System.alloc(l) }
    }
    unsafe fn dealloc(&self, p: *mut u8, l: Layout) {
        count(-(l.size() as isize));
        // SAFETY: same pointer and layout, forwarded.
        unsafe { System.dealloc(p, l) }
    }
    unsafe fn realloc(&self, p: *mut u8, l: Layout, new: usize) -> *mut u8 {
        count(new as isize - l.size() as isize);
        // SAFETY: same pointer and layout, forwarded.
        unsafe { System.realloc(p, l, new) }
    }
}

#[global_allocator]
static A: Counting = Counting;

/// A profile shaped like a real one: stacks of 1-40 frames, 4 values, 0-2 labels per
/// sample, locations of 1-3 lines, a few hundred strings.
fn realistic(samples: u64) -> Profile {
    let mut strings: Vec<String> = vec!["".into()];
    for t in [
        "alloc_objects",
        "count",
        "alloc_space",
        "bytes",
        "inuse_objects",
        "count",
    ] {
        strings.push(t.into());
    }
    let mut p = Profile {
        sample_type: (0..3)
            .map(|i| ValueType {
                r#type: 1 + 2 * i,
                unit: 2 + 2 * i,
            })
            .collect(),
        ..Profile::default()
    };
    for f in 1..=300u64 {
        strings.push(format!("main.function{f}"));
        strings.push(format!("pkg/file{}.go", f % 30));
        p.function.push(Function {
            id: f,
            name: strings.len() as i64 - 2,
            filename: strings.len() as i64 - 1,
            ..Function::default()
        });
    }
    for l in 1..=500u64 {
        p.location.push(Location {
            id: l,
            address: 0x40_0000 + l * 64,
            line: (0..1 + l % 3)
                .map(|k| Line {
                    function_id: 1 + (l * 7 + k) % 300,
                    line: (l * 13 % 400) as i64,
                    ..Line::default()
                })
                .collect(),
            ..Location::default()
        });
    }
    for s in 0..samples {
        p.sample.push(Sample {
            location_id: (0..1 + s % 40)
                .map(|k| 1 + (s * 31 + k * 17) % 500)
                .collect(),
            value: vec![s as i64 % 97, 1 + s as i64, (s * 4096) as i64],
            label: (0..s % 3)
                .map(|k| Label {
                    key: 2,
                    num: 64 << k,
                    ..Label::default()
                })
                .collect(),
        });
    }
    p.string_table = strings;
    p
}

#[test]
fn the_survey_measures_what_prost_builds() {
    let raw = realistic(20_000).encode_to_vec();
    let estimate = budget::survey(&raw).expect("valid").decoded_bytes;
    let before = live();
    let p = parse_profile(&raw).expect("parses");
    let built = (live() - before) as usize;
    assert_eq!(p.sample.len(), 20_000);
    // The estimate adds 16 bytes of allocator bookkeeping per block, which no allocator
    // reports; without it, it is what was allocated.
    assert!(
        built <= estimate as usize && built as f64 >= estimate as f64 * 0.8,
        "built {built}, estimated {estimate}"
    );
    // A realistic profile is far inside the limits.
    assert!(
        estimate < 12 * raw.len() as u64,
        "{estimate} for {}",
        raw.len()
    );
    drop(p);
}

fn gz(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

#[test]
fn gzip_stops_at_the_inflation_cap() {
    let head = realistic(10).encode_to_vec();
    let mut bomb = head.clone();
    bomb.extend(std::iter::repeat_n([0x12u8, 0x00], 10 << 20).flatten());
    let z = gz(&bomb);
    let before = live();
    let e = parse_profile(&z).expect_err("a bomb");
    assert!(e.message.contains("gzip bomb"), "{}", e.message);
    // Nothing but the error is left allocated.
    assert!(live() - before < 1024);
    // The same bytes uncompressed are refused for what they would build (10 M empty
    // samples: 36 bytes decoded per byte).
    let e = parse_profile(&bomb).expect_err("too dear to decode");
    assert!(
        e.message.contains("10485770 samples") && e.message.contains("at most 24×"),
        "{}",
        e.message
    );
    // A profile that compresses well but is small stays readable: the floor is 8 MiB.
    assert!(parse_profile(&gz(&realistic(2000).encode_to_vec())).is_ok());
}

#[test]
fn limits_are_enforced_as_configured() {
    let raw = realistic(5_000).encode_to_vec();
    let shape = budget::survey(&raw).expect("valid");
    let tight = Limits {
        decoded_floor_bytes: 0,
        max_decoded_per_byte: 2,
        ..Limits::default()
    };
    let e = parse_profile_limited(&raw, &tight).expect_err("over 2x");
    assert!(e.message.contains("5000 samples"), "{}", e.message);
    let capped = Limits {
        max_decoded_bytes: shape.decoded_bytes - 1,
        ..Limits::default()
    };
    let e = parse_profile_limited(&raw, &capped).expect_err("over the cap");
    assert!(e.message.contains("allows one profile"), "{}", e.message);
    let exact = Limits {
        max_decoded_bytes: shape.decoded_bytes,
        ..Limits::default()
    };
    assert!(parse_profile_limited(&raw, &exact).is_ok());
}
