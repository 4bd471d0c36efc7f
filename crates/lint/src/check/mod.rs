//! The checks: what a rule's query cannot say, in Rust. Each rule of the catalog names one
//! check and gives it parameters; the check looks at one query match and returns hits.

mod collection;
mod goroutine;
mod listener;
mod report;
mod resource;
mod sql;
mod thread;
mod timer;

use tree_sitter::Node;

use crate::catalog::Rule;
use crate::lang::{Family, Language};

/// One parsed file, as the checks see it.
pub struct Src<'a> {
    /// The file's bytes.
    pub text: &'a [u8],
    /// Its language.
    pub lang: Language,
    /// The tree's root.
    pub root: Node<'a>,
    /// The `go` version of the nearest go.mod (Go files only), e.g. `(1, 23)`.
    pub go_version: Option<(u32, u32)>,
}

impl Src<'_> {
    /// The rule family of the file.
    pub fn family(&self) -> Family {
        self.lang.family()
    }
}

/// One query match: the `@match` node and the other captures by name.
pub struct Match<'t> {
    /// The node captured `@match`.
    pub node: Node<'t>,
    /// Every capture, by name.
    pub captures: Vec<(&'static str, Node<'t>)>,
}

impl<'t> Match<'t> {
    /// The first node captured under `name`.
    pub fn get(&self, name: &str) -> Option<Node<'t>> {
        self.captures
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, node)| *node)
    }
}

/// What a check found.
pub struct Hit<'t> {
    /// The node to report (its range is the finding's).
    pub node: Node<'t>,
    /// Values for the rule's message placeholders.
    pub vars: Vec<(&'static str, String)>,
    /// A weaker case: reported as a note whatever the rule's severity.
    pub weak: bool,
    /// Which of the rule's variant messages to use, if not the main one.
    pub variant: Option<&'static str>,
    /// The identifier the finding is about.
    pub subject: Option<String>,
    /// The function where runtime evidence for it would show.
    pub scope: Option<Node<'t>>,
    /// Other lines that matter.
    pub related: Vec<usize>,
}

impl<'t> Hit<'t> {
    /// A full-strength hit at `node`.
    pub fn at(node: Node<'t>) -> Self {
        Hit {
            node,
            vars: Vec::new(),
            weak: false,
            variant: None,
            subject: None,
            scope: None,
            related: Vec::new(),
        }
    }

    /// Add a placeholder value.
    pub fn var(mut self, key: &'static str, value: impl Into<String>) -> Self {
        self.vars.push((key, value.into()));
        self
    }

    /// Set the subject.
    pub fn subject(mut self, s: impl Into<String>) -> Self {
        self.subject = Some(s.into());
        self
    }

    /// Mark as weak (a note) when `weak`.
    pub fn weak_if(mut self, weak: bool) -> Self {
        self.weak = self.weak || weak;
        self
    }

    /// Use a variant message.
    pub fn variant(mut self, v: &'static str) -> Self {
        self.variant = Some(v);
        self
    }

    /// Set the evidence scope.
    pub fn scope(mut self, s: Option<Node<'t>>) -> Self {
        self.scope = s;
        self
    }

    /// Add a related line.
    pub fn related(mut self, line: usize) -> Self {
        self.related.push(line);
        self
    }
}

/// A rule's check with its parameters read.
#[derive(Debug, Clone)]
pub enum Check {
    /// The query says it all (with optional ancestor and function-name conditions).
    Report(report::Params),
    /// A resource acquired and never released in its function.
    Unreleased(resource::Params),
    /// A module-level collection written per call and never shrunk.
    Collection(collection::Params),
    /// A listener registered per call on a long-lived emitter, never removed.
    Listener(listener::Params),
    /// A recurring timer never cleared.
    TimerUncleared,
    /// A timer callback capturing a large local.
    TimerClosure(timer::ClosureParams),
    /// A SQL string without LIMIT.
    Sql,
    /// A Django queryset iterated whole.
    DjangoQueryset,
    /// A thread whose target loops forever with no exit.
    ThreadNoExit,
    /// A goroutine blocked forever on a channel nobody serves.
    GoroutineBlocked,
}

impl Check {
    /// Read the check named by `rule` and its parameters.
    pub fn of(rule: &Rule) -> Result<Check, String> {
        let p = toml::Value::Table(rule.params.clone());
        let bad = |e: toml::de::Error| format!("{}: bad params: {e}", rule.id);
        Ok(match rule.check.as_str() {
            "report" => Check::Report(p.try_into().map_err(bad)?),
            "unreleased" => Check::Unreleased(p.try_into().map_err(bad)?),
            "unbounded-collection" => Check::Collection(p.try_into().map_err(bad)?),
            "listener" => Check::Listener(p.try_into().map_err(bad)?),
            "timer-uncleared" => Check::TimerUncleared,
            "timer-closure" => Check::TimerClosure(p.try_into().map_err(bad)?),
            "sql" => Check::Sql,
            "django-queryset" => Check::DjangoQueryset,
            "thread-no-exit" => Check::ThreadNoExit,
            "goroutine-blocked" => Check::GoroutineBlocked,
            other => return Err(format!("{}: unknown check {other:?}", rule.id)),
        })
    }

    /// Run the check on one match.
    pub fn run<'t>(&self, src: &Src<'t>, m: &Match<'t>) -> Vec<Hit<'t>> {
        match self {
            Check::Report(p) => report::run(p, src, m),
            Check::Unreleased(p) => resource::run(p, src, m),
            Check::Collection(p) => collection::run(p, src, m),
            Check::Listener(p) => listener::run(p, src, m),
            Check::TimerUncleared => timer::uncleared(src, m),
            Check::TimerClosure(p) => timer::closure(p, src, m),
            Check::Sql => sql::run(src, m),
            Check::DjangoQueryset => sql::django(src, m),
            Check::ThreadNoExit => thread::run(src, m),
            Check::GoroutineBlocked => goroutine::run(src, m),
        }
    }
}

/// True when the file's go.mod declares at least `version` (`"1.23"`).
pub fn go_at_least(src: &Src<'_>, version: &str) -> bool {
    let Some((maj, min)) = src.go_version else {
        return false;
    };
    let mut parts = version.split('.');
    let want_maj: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(1);
    let want_min: u32 = parts.next().and_then(|s| s.parse().ok()).unwrap_or(0);
    (maj, min) >= (want_maj, want_min)
}
