//! Which language a file is, from its name.

use std::path::Path;

use serde::Serialize;

/// A language `leakscope lint` reads. TypeScript and TSX are separate grammars of one family.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    /// `.js`, `.mjs`, `.cjs`, `.jsx` (the grammar reads JSX).
    JavaScript,
    /// `.ts`, `.mts`, `.cts` (declaration files `.d.ts` hold no code and are skipped).
    TypeScript,
    /// `.tsx`.
    Tsx,
    /// `.py`.
    Python,
    /// `.go`.
    Go,
}

/// Rules are written per family: one rule serves JavaScript, TypeScript and TSX alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Family {
    /// JavaScript, TypeScript, JSX and TSX; rule ids start with `js/`.
    Js,
    /// Python; rule ids start with `py/`.
    Py,
    /// Go; rule ids start with `go/`.
    Go,
}

impl Language {
    /// Every language, in a fixed order.
    pub const ALL: [Language; 5] = [
        Language::JavaScript,
        Language::TypeScript,
        Language::Tsx,
        Language::Python,
        Language::Go,
    ];

    /// The language of `path` by its extension, or `None` for files lint does not read.
    pub fn from_path(path: &Path) -> Option<Language> {
        let name = path.file_name()?.to_str()?;
        if name.ends_with(".d.ts") || name.ends_with(".d.mts") || name.ends_with(".d.cts") {
            return None;
        }
        let ext = path.extension()?.to_str()?;
        Some(match ext {
            "js" | "mjs" | "cjs" | "jsx" => Language::JavaScript,
            "ts" | "mts" | "cts" => Language::TypeScript,
            "tsx" => Language::Tsx,
            "py" => Language::Python,
            "go" => Language::Go,
            _ => return None,
        })
    }

    /// The rule family this language belongs to.
    pub fn family(self) -> Family {
        match self {
            Language::JavaScript | Language::TypeScript | Language::Tsx => Family::Js,
            Language::Python => Family::Py,
            Language::Go => Family::Go,
        }
    }

    /// The name people read: `javascript`, `typescript`, `tsx`, `python`, `go`.
    pub fn name(self) -> &'static str {
        match self {
            Language::JavaScript => "javascript",
            Language::TypeScript => "typescript",
            Language::Tsx => "tsx",
            Language::Python => "python",
            Language::Go => "go",
        }
    }
}

impl Family {
    /// Every family, in a fixed order.
    pub const ALL: [Family; 3] = [Family::Js, Family::Py, Family::Go];

    /// The rule-id prefix: `js`, `py`, `go`.
    pub fn prefix(self) -> &'static str {
        match self {
            Family::Js => "js",
            Family::Py => "py",
            Family::Go => "go",
        }
    }

    /// The family named by a rule-id prefix.
    pub fn from_prefix(prefix: &str) -> Option<Family> {
        Family::ALL.into_iter().find(|f| f.prefix() == prefix)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extensions_map_to_languages() {
        let l = |p: &str| Language::from_path(Path::new(p));
        assert_eq!(l("a/b.jsx"), Some(Language::JavaScript));
        assert_eq!(l("a/b.mjs"), Some(Language::JavaScript));
        assert_eq!(l("b.ts"), Some(Language::TypeScript));
        assert_eq!(l("b.d.ts"), None);
        assert_eq!(l("b.tsx"), Some(Language::Tsx));
        assert_eq!(l("x.py"), Some(Language::Python));
        assert_eq!(l("main.go"), Some(Language::Go));
        assert_eq!(l("Makefile"), None);
        assert_eq!(l("x.pyc"), None);
    }
}
