//! The screen must lose no leak the recognizer would find: on the recognizer's own labeled
//! corpus (every pattern, spans from 30 minutes to days, noise, restarts), every series that
//! `recognize` calls a leak has a floor rise at or above the screen's threshold.

use leakscope_core::corpus::generate;
use leakscope_core::{recognize, RecognizeOptions, VerdictKind};
use leakscope_fleet::screen::{floor_rise, floor_window, threshold};

#[test]
fn every_recognized_leak_passes_the_screen() {
    let opts = RecognizeOptions::default();
    let mut leaks = 0;
    let mut settled = 0;
    for seed in [7u64, 1234] {
        for s in generate(seed, 360) {
            let (Some(first), Some(last)) = (s.points.first(), s.points.last()) else {
                continue;
            };
            let span = (last.t - first.t) as i64;
            let window = floor_window(span, 1, &opts, 0.0);
            let rise = floor_rise(&s.points, window);
            let v = recognize(&s.name, &s.points, &opts);
            if v.verdict == VerdictKind::Leak {
                leaks += 1;
                assert!(
                    rise >= threshold(&opts),
                    "{} (seed {seed}) is a leak but its floor rise {rise} is below the screen's {}",
                    s.name,
                    threshold(&opts)
                );
            } else if rise < threshold(&opts) {
                settled += 1;
            }
        }
    }
    assert!(leaks > 200, "the corpus holds leaks: {leaks}");
    // The screen is not vacuous: it settles some of the rest.
    assert!(settled > 0, "nothing settled");
    eprintln!("{leaks} leaks all passed; {settled} non-leaks settled by the screen");
}
