#![no_main]
//! Fuzz the series CSV reader (`leakscope analyze FILE.csv`) and the recognizer on whatever it
//! reads: no input may panic or hang; bad input must be a `CsvError` (or skipped rows).
use leakscope_core::csv::{read_series_csv, CsvOptions};
use leakscope_core::{recognize, Point, RecognizeOptions};

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    for skip_bad_rows in [false, true] {
        let mut series: Vec<Vec<Point>> = Vec::new();
        // Small caps, so that inputs of a few KB reach the column and row limits too.
        let opts = CsvOptions {
            skip_bad_rows,
            max_columns: 64,
            max_row_bytes: 4096,
        };
        let read = read_series_csv(data, &opts, |t, vals| {
            if series.len() < vals.len() {
                series.resize_with(vals.len(), Vec::new);
            }
            for (s, &v) in series.iter_mut().zip(vals) {
                if s.len() < 10_000 {
                    s.push(Point { t, v });
                }
            }
        });
        if read.is_err() {
            continue;
        }
        let opts = RecognizeOptions {
            // Short spans too, so small inputs reach the whole recognizer.
            min_span_seconds: 1.0,
            ..RecognizeOptions::default()
        };
        for (i, points) in series.iter().enumerate() {
            let v = recognize(&format!("s{i}"), points, &opts);
            assert!(
                (0.0..=1.0).contains(&v.confidence),
                "confidence {} out of [0, 1]",
                v.confidence
            );
        }
    }
});
