//! Small helpers shared by the /proc and cgroup readers: read a whole small file into a
//! reused buffer, and parse unsigned integers and `key value` lines without allocating.

use std::fs::File;
use std::io::{self, Read};
use std::path::Path;

/// Reads the whole file at `path` into `buf` and returns how many bytes it holds; the content
/// is `&buf[..n]`. `buf` keeps its (zero-initialised) length between calls so repeated reads
/// neither allocate nor clear memory, and no `fstat`/`lseek` is spent on a size hint that
/// procfs and cgroupfs report as 0 anyway.
pub(crate) fn read_into(path: &Path, buf: &mut Vec<u8>) -> io::Result<usize> {
    let mut file = File::open(path)?;
    if buf.len() < 4096 {
        buf.resize(4096, 0);
    }
    let mut n = 0;
    loop {
        if n == buf.len() {
            let len = buf.len();
            buf.resize(len * 2, 0);
        }
        match file.read(&mut buf[n..]) {
            Ok(0) => return Ok(n),
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

/// Parses an ASCII decimal unsigned integer (no sign, no spaces). `None` on anything else or
/// on overflow.
pub(crate) fn parse_u64(s: &[u8]) -> Option<u64> {
    if s.is_empty() {
        return None;
    }
    let mut v: u64 = 0;
    for &c in s {
        if !c.is_ascii_digit() {
            return None;
        }
        v = v.checked_mul(10)?.checked_add(u64::from(c - b'0'))?;
    }
    Some(v)
}

/// Iterates the `key value` pairs of a flat keyed file (cgroup `memory.stat`,
/// `memory.events`, `memory.oom_control`): one pair per line, separated by whitespace.
/// Lines without a value are skipped.
pub(crate) fn keyed_values(buf: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    buf.split(|&c| c == b'\n').filter_map(|line| {
        let mut parts = line
            .split(|c| c.is_ascii_whitespace())
            .filter(|p| !p.is_empty());
        let key = parts.next()?;
        let value = parts.next()?;
        Some((key, value))
    })
}

/// Trims ASCII whitespace from both ends.
pub(crate) fn trim(s: &[u8]) -> &[u8] {
    let start = s
        .iter()
        .position(|c| !c.is_ascii_whitespace())
        .unwrap_or(s.len());
    let end = s
        .iter()
        .rposition(|c| !c.is_ascii_whitespace())
        .map_or(start, |i| i + 1);
    s.get(start..end).unwrap_or(&[])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_u64_rejects_junk_and_overflow() {
        assert_eq!(parse_u64(b"0"), Some(0));
        assert_eq!(parse_u64(b"18446744073709551615"), Some(u64::MAX));
        assert_eq!(parse_u64(b"18446744073709551616"), None);
        assert_eq!(parse_u64(b""), None);
        assert_eq!(parse_u64(b"-1"), None);
        assert_eq!(parse_u64(b"12 "), None);
    }

    #[test]
    fn keyed_values_skip_lines_without_value() {
        let pairs: Vec<_> = keyed_values(b"anon 10\n\nfile\nshmem  3 \n").collect();
        assert_eq!(
            pairs,
            vec![(&b"anon"[..], &b"10"[..]), (&b"shmem"[..], &b"3"[..])]
        );
    }

    #[test]
    fn trim_handles_all_space() {
        assert_eq!(trim(b"  "), b"");
        assert_eq!(trim(b" a b\n"), b"a b");
    }
}
