//! Inline suppressions: a comment `leakscope: ignore[rule-a, rule-b]` (or `leakscope: ignore`
//! for every rule) on the finding's line or the line above; `leakscope: ignore-file[...]` in
//! the file's first 20 lines covers the whole file. Rules are named by id
//! (`js/timer-not-cleared`) or by name alone (`timer-not-cleared`).

const MARK: &str = "leakscope: ignore";

/// What one file's comments suppress.
#[derive(Debug, Default)]
pub struct Suppressions {
    /// (1-based line, rules or empty for all) of each `ignore` comment.
    lines: Vec<(usize, Vec<String>)>,
    /// Rules (or empty for all) suppressed in the whole file; `None` when no `ignore-file`.
    file: Option<Vec<String>>,
}

impl Suppressions {
    /// Find the suppression comments in a file's text.
    pub fn scan(text: &[u8]) -> Suppressions {
        let mut s = Suppressions::default();
        // Cheap reject: most files have none.
        if !text.windows(MARK.len()).any(|w| w == MARK.as_bytes()) {
            return s;
        }
        for (i, line) in text.split(|b| *b == b'\n').enumerate() {
            let line = String::from_utf8_lossy(line);
            let Some(at) = line.find(MARK) else { continue };
            let rest = &line[at + MARK.len()..];
            let (whole_file, rest) = match rest.strip_prefix("-file") {
                Some(r) => (true, r),
                None => (false, rest),
            };
            let rules: Vec<String> = rest
                .strip_prefix('[')
                .and_then(|r| r.split_once(']'))
                .map(|(inside, _)| {
                    inside
                        .split(',')
                        .map(|r| r.trim().to_string())
                        .filter(|r| !r.is_empty())
                        .collect()
                })
                .unwrap_or_default();
            if whole_file {
                if i < 20 {
                    s.file
                        .get_or_insert_with(Vec::new)
                        .extend(rules.iter().cloned());
                    if rules.is_empty() {
                        s.file = Some(Vec::new());
                    }
                }
            } else {
                s.lines.push((i + 1, rules));
            }
        }
        s
    }

    /// Is a finding of `rule` at `line` suppressed?
    pub fn covers(&self, rule: &str, line: usize) -> bool {
        let matches = |rules: &[String]| rules.is_empty() || rules.iter().any(|r| names(r, rule));
        if self.file.as_deref().is_some_and(matches) {
            return true;
        }
        self.lines
            .iter()
            .any(|(l, rules)| (*l == line || *l + 1 == line) && matches(rules))
    }
}

fn names(selector: &str, rule: &str) -> bool {
    selector == rule
        || rule
            .split_once('/')
            .is_some_and(|(_, name)| name == selector)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_suppress_their_line_and_the_next() {
        let text = b"a\nfoo() // leakscope: ignore[js/timer-not-cleared]\n# leakscope: ignore\nbar()\nx  # leakscope: ignore[listener-not-removed, other]\n";
        let s = Suppressions::scan(text);
        assert!(s.covers("js/timer-not-cleared", 2));
        assert!(s.covers("js/timer-not-cleared", 3));
        assert!(!s.covers("js/listener-not-removed", 2));
        assert!(s.covers("py/anything", 4));
        assert!(s.covers("js/listener-not-removed", 5));
        assert!(!s.covers("js/timer-not-cleared", 5) || s.covers("js/timer-not-cleared", 4));
        assert!(!s.covers("js/timer-not-cleared", 1));
    }

    #[test]
    fn file_wide() {
        let s =
            Suppressions::scan(b"// leakscope: ignore-file[go/ticker-not-stopped]\npackage x\n");
        assert!(s.covers("go/ticker-not-stopped", 90));
        assert!(!s.covers("go/file-not-closed", 90));
        assert!(!Suppressions::scan(b"nothing here").covers("go/x", 1));
    }
}
