//! A deterministic stand-in for `fuzz/fuzz_targets/metrics_text.rs` that runs in every
//! `cargo test`: mutate real exposition text thousands of times and check the parser never
//! panics, errors name an existing line, and selectors round-trip through their text form.

use std::path::Path;

use leakscope_probe::scrape::{parse_exposition, select, Selector};

/// xorshift64*: small, deterministic, good enough to pick mutations.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
}

const INTERESTING: &[u8] = b"{}=\",# \n\t\\\r+-.eE0123456789aZ_:\xc3\xa9\xff";

fn mutate(rng: &mut Rng, data: &mut Vec<u8>) {
    for _ in 0..=rng.below(4) {
        let at = rng.below(data.len() + 1);
        match rng.below(4) {
            0 if at < data.len() => data[at] = INTERESTING[rng.below(INTERESTING.len())],
            1 => data.insert(at, INTERESTING[rng.below(INTERESTING.len())]),
            2 if at < data.len() => {
                let end = (at + rng.below(16)).min(data.len());
                data.drain(at..end);
            }
            _ => {
                let end = (at + rng.below(32)).min(data.len());
                let chunk = data[at..end].to_vec();
                let to = rng.below(data.len() + 1);
                data.splice(to..to, chunk);
            }
        }
    }
}

fn check(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    match parse_exposition(&text) {
        Ok(samples) => {
            assert!(samples.iter().all(|s| !s.name.is_empty()));
            let wanted: Vec<String> = text.lines().take(4).map(str::to_string).collect();
            let _ = select(&samples, &wanted);
        }
        Err(err) => assert!(
            err.line >= 1 && err.line <= text.lines().count().max(1),
            "{err} in {text:?}"
        ),
    }
    for line in text.lines().take(8) {
        if let Ok(sel) = Selector::parse(line) {
            let again = Selector::parse(&sel.to_string());
            assert_eq!(again.as_ref().ok(), Some(&sel), "{line:?} -> {sel}");
        }
    }
}

#[test]
fn mutated_expositions_never_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/metrics");
    let mut seeds: Vec<Vec<u8>> = ["python_client.txt", "python_client.om.txt"]
        .iter()
        .map(|f| std::fs::read(dir.join(f)).expect("fixture"))
        .collect();
    seeds.push(
        b"{\"a.b\", c=\"d\\\"\"} 1 2 # {x=\"y\"} 1\nm{a=\"1\",} +Inf\n# TYPE m gauge\n# EOF\n"
            .to_vec(),
    );
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    for i in 0..6000 {
        let seed = &seeds[i % seeds.len()];
        // Work on a window so each case stays small and fast.
        let start = rng.below(seed.len());
        let end = (start + 64 + rng.below(512)).min(seed.len());
        let mut data = seed[start..end].to_vec();
        mutate(&mut rng, &mut data);
        check(&data);
    }
}
