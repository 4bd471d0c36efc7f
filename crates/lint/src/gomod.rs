//! The Go version a file is built with: the `go` line of the nearest go.mod above it.
//! Go 1.23 made unreferenced tickers and timers collectable, so some rules depend on it.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Looks up and remembers go.mod versions by directory.
#[derive(Debug, Default)]
pub struct GoMods {
    by_dir: Mutex<HashMap<PathBuf, Option<(u32, u32)>>>,
}

impl GoMods {
    /// The `go` version of the nearest go.mod at or above `file`'s directory.
    pub fn version_for(&self, file: &Path) -> Option<(u32, u32)> {
        let dir = file.parent()?.to_path_buf();
        self.version_in(&dir)
    }

    fn version_in(&self, dir: &Path) -> Option<(u32, u32)> {
        if let Ok(cache) = self.by_dir.lock() {
            if let Some(v) = cache.get(dir) {
                return *v;
            }
        }
        let here = dir.join("go.mod");
        let v = match std::fs::read(&here) {
            Ok(bytes) => parse_go_line(&String::from_utf8_lossy(&bytes)),
            Err(_) => dir.parent().and_then(|p| {
                if p.as_os_str().is_empty() {
                    None
                } else {
                    self.version_in(p)
                }
            }),
        };
        if let Ok(mut cache) = self.by_dir.lock() {
            cache.insert(dir.to_path_buf(), v);
        }
        v
    }
}

/// The version of a go.mod's `go 1.22` / `go 1.22.3` line.
pub fn parse_go_line(text: &str) -> Option<(u32, u32)> {
    for line in text.lines() {
        let line = line.split("//").next().unwrap_or("").trim();
        if let Some(v) = line
            .strip_prefix("go ")
            .or_else(|| line.strip_prefix("go\t"))
        {
            let mut parts = v.trim().split('.');
            let major = parts.next()?.parse().ok()?;
            let minor = parts
                .next()
                .map(|m| {
                    m.chars()
                        .take_while(char::is_ascii_digit)
                        .collect::<String>()
                })
                .and_then(|m| m.parse().ok())
                .unwrap_or(0);
            return Some((major, minor));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_lines() {
        assert_eq!(parse_go_line("module x\n\ngo 1.19\n"), Some((1, 19)));
        assert_eq!(
            parse_go_line("module x\ngo 1.23.4 // pinned\n"),
            Some((1, 23))
        );
        assert_eq!(parse_go_line("module x\ngo 1.21rc1\n"), Some((1, 21)));
        assert_eq!(parse_go_line("module x\n"), None);
        assert_eq!(parse_go_line("module x\ngodebug x=1\n"), None);
    }

    #[test]
    fn nearest_go_mod_wins() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(dir.path().join("go.mod"), "module a\ngo 1.19\n").expect("write");
        std::fs::create_dir_all(dir.path().join("sub/deeper")).expect("mkdir");
        std::fs::write(dir.path().join("sub/go.mod"), "module b\ngo 1.24\n").expect("write");
        let mods = GoMods::default();
        assert_eq!(mods.version_for(&dir.path().join("main.go")), Some((1, 19)));
        assert_eq!(
            mods.version_for(&dir.path().join("sub/deeper/x.go")),
            Some((1, 24))
        );
    }
}
