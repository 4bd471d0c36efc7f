//! The `[lint]` section of the leakscope config file (the same TOML file `watch --config`
//! reads; watch leaves this section to lint). Every mistake is refused naming the line and
//! key: unknown keys, a severity that is not one, a rule selector that names no rule.
//!
//! ```toml
//! [lint]
//! rules = ["js", "py/unbounded-cache"]    # only these (ids, names or families); default: all
//! skip = ["unbounded-query"]              # never these
//! severity = "warning"                    # the least severity shown: note, warning, error
//! exclude = ["vendor/**", "*.min.js"]     # globs, besides .gitignore
//! max_file_bytes = 2000000                # larger files are skipped with a warning
//! [lint.severities]
//! "go/goroutine-blocked" = "error"        # per-rule severity
//! ```

use std::collections::BTreeMap;
use std::ops::Range;
use std::path::Path;

use serde::Deserialize;
use toml::Spanned;

use crate::finding::Severity;
use crate::options::{Options, Selector};

pub use leakscope_core::config_file::ConfigError;
use leakscope_core::config_file::{invalid, read};

#[derive(Debug, Deserialize)]
struct Document {
    lint: Option<Spanned<Section>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Section {
    rules: Option<Vec<Spanned<String>>>,
    skip: Option<Vec<Spanned<String>>>,
    severity: Option<Spanned<String>>,
    exclude: Option<Vec<String>>,
    max_file_bytes: Option<Spanned<i64>>,
    severities: Option<BTreeMap<String, Spanned<String>>>,
}

/// Read the `[lint]` section of the config file at `path` into `opts` (keys it does not
/// have leave `opts` as they are). Returns whether the file has a `[lint]` section.
pub fn load(path: &Path, opts: &mut Options) -> Result<bool, ConfigError> {
    let text = read(path)?;
    apply(&text, path, opts)
}

/// [`load`] for text already read from `path`.
pub fn apply(text: &str, path: &Path, opts: &mut Options) -> Result<bool, ConfigError> {
    let doc: Document = toml::from_str(text).map_err(|e| {
        let span = e.span().unwrap_or(0..0);
        invalid(text, path, span, None, e.message().to_string())
    })?;
    let Some(section) = doc.lint else {
        return Ok(false);
    };
    let section = section.into_inner();
    let at = |span: Range<usize>, key: &str, message: String| {
        invalid(text, path, span, Some(key.to_string()), message)
    };
    let selectors = |list: &[Spanned<String>], key: &str| -> Result<Vec<Selector>, ConfigError> {
        list.iter()
            .map(|s| Selector::parse(s.get_ref()).map_err(|m| at(s.span(), key, m)))
            .collect()
    };
    if let Some(rules) = &section.rules {
        opts.select = selectors(rules, "rules")?;
    }
    if let Some(skip) = &section.skip {
        opts.skip = selectors(skip, "skip")?;
    }
    if let Some(s) = &section.severity {
        opts.min_severity = Severity::parse(s.get_ref()).ok_or_else(|| {
            at(
                s.span(),
                "severity",
                format!(
                    "{:?} is not a severity: write note, warning or error",
                    s.get_ref()
                ),
            )
        })?;
    }
    if let Some(ex) = section.exclude {
        opts.exclude = ex;
    }
    if let Some(m) = &section.max_file_bytes {
        if *m.get_ref() <= 0 {
            return Err(at(m.span(), "max_file_bytes", "must be more than 0".into()));
        }
        opts.max_file_bytes = *m.get_ref() as u64;
    }
    if let Some(sev) = &section.severities {
        for (rule, level) in sev {
            let selector = Selector::parse(rule).map_err(|m| at(level.span(), rule, m))?;
            let severity = Severity::parse(level.get_ref()).ok_or_else(|| {
                at(
                    level.span(),
                    rule,
                    format!(
                        "{:?} is not a severity: write note, warning or error",
                        level.get_ref()
                    ),
                )
            })?;
            opts.severities.push((selector, severity));
        }
    }
    Ok(true)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Options, ConfigError> {
        let mut o = Options::default();
        apply(text, Path::new("leakscope.toml"), &mut o).map(|_| o)
    }

    #[test]
    fn a_full_section_is_read() {
        let o = parse(
            "interval = \"30s\"\n[[target]]\npid = 1\n[lint]\nrules = [\"js\", \"py/unbounded-cache\"]\nskip = [\"unbounded-query\"]\nseverity = \"note\"\nexclude = [\"vendor/**\"]\nmax_file_bytes = 1000\n[lint.severities]\n\"go/goroutine-blocked\" = \"error\"\n",
        )
        .expect("valid");
        assert_eq!(o.select.len(), 2);
        assert_eq!(o.skip.len(), 1);
        assert_eq!(o.min_severity, Severity::Note);
        assert_eq!(o.exclude, vec!["vendor/**".to_string()]);
        assert_eq!(o.max_file_bytes, 1000);
        assert_eq!(o.severities.len(), 1);
    }

    #[test]
    fn mistakes_name_line_and_key() {
        let e = parse("[lint]\nrules = [\"js\"]\nseverity = \"loud\"\n").expect_err("bad severity");
        let s = e.to_string();
        assert!(s.contains("line 3") && s.contains("`severity`"), "{s}");
        let e = parse("[lint]\n\nskip = [\"no-such-rule\"]\n").expect_err("bad rule");
        let s = e.to_string();
        assert!(s.contains("line 3") && s.contains("no-such-rule"), "{s}");
        let e = parse("[lint]\nrulez = []\n").expect_err("unknown key");
        assert!(
            e.to_string().contains("line 1") || e.to_string().contains("line 2"),
            "{e}"
        );
        let e = parse("[lint\n").expect_err("not toml");
        assert!(e.to_string().contains("line 1"), "{e}");
        assert!(!apply(
            "[[target]]\npid = 1\n",
            Path::new("x"),
            &mut Options::default()
        )
        .expect("no lint section is fine"));
    }
}
