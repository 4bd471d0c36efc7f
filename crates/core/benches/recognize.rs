//! Criterion bench: recognition of corpus-like series (full verdict incl. `detected_at`).

use criterion::{criterion_group, criterion_main, Criterion};
use leakscope_core::corpus;
use leakscope_core::{recognize, RecognizeOptions};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    // 2,880 points (a day at 30 s) of a leak with a GC sawtooth, and of a flat sawtooth.
    let series: Vec<_> = corpus::generate(42, 12)
        .into_iter()
        .map(|mut s| {
            s.points.truncate(2880);
            s
        })
        .collect();
    let opts = RecognizeOptions::default();
    c.bench_function("recognize 12 corpus series (≤2880 points each)", |b| {
        b.iter(|| {
            for s in &series {
                black_box(recognize(&s.name, &s.points, &opts));
            }
        })
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);
