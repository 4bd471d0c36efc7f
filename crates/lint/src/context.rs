//! Where a piece of code runs: once at startup, or again and again (per request, per
//! component mount). A leak needs repetition, so per-call rules take their full severity only
//! where the code is known to repeat, and are notes elsewhere.

use tree_sitter::Node;

use crate::lang::Family;
use crate::syntax::{self, text};

/// How often the code around a node runs, as far as its shape tells.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallSite {
    /// Module or package level: runs once.
    TopLevel,
    /// Inside a request handler (by its parameters, name, decorator or route registration).
    RequestPath,
    /// Inside a UI lifecycle hook that runs per mount or render (`useEffect`,
    /// `componentDidMount`, ...).
    Lifecycle,
    /// Inside a function whose name says it runs once (`init`, `setup`, `main`, ...).
    Setup,
    /// Inside some other function: may run many times, may not.
    Other,
}

impl CallSite {
    /// True where repetition is known: a request handler or a lifecycle hook.
    pub fn repeats(self) -> bool {
        matches!(self, CallSite::RequestPath | CallSite::Lifecycle)
    }
}

/// Classify where `node` runs.
pub fn classify(family: Family, node: Node<'_>, src: &[u8]) -> CallSite {
    let funcs = syntax::enclosing_functions(family, node);
    if funcs.is_empty() {
        return CallSite::TopLevel;
    }
    for f in &funcs {
        if is_request_handler(family, *f, src) {
            return CallSite::RequestPath;
        }
        if family == Family::Js && is_lifecycle(*f, src) {
            return CallSite::Lifecycle;
        }
    }
    let named = funcs
        .iter()
        .find_map(|f| syntax::function_name(*f, src))
        .unwrap_or_default();
    if is_setup_name(&named) {
        CallSite::Setup
    } else {
        CallSite::Other
    }
}

const REQUEST_PARAMS_JS: &[&str] = &["req", "request", "res", "response", "ctx"];
const REQUEST_PARAMS_PY: &[&str] = &["request", "req"];
const ROUTE_METHODS_JS: &[&str] = &[
    "get", "post", "put", "patch", "delete", "all", "use", "route", "head", "options",
];
const HANDLER_TYPES_GO: &[&str] = &[
    "*http.Request",
    "http.ResponseWriter",
    "*gin.Context",
    "echo.Context",
    "*fiber.Ctx",
    "*fasthttp.RequestCtx",
];

/// True for handler-like names: `handle`, `handleUser`, `handle_user`, `userHandler`,
/// `user_handler`, `user_view`, `ServeHTTP`, `dispatch`. Test functions (`test_…`, `Test…`)
/// are not, whatever they end with: each runs once per test run.
pub fn is_handler_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    if lower.starts_with("test") {
        return false;
    }
    lower == "handle"
        || lower == "handler"
        || lower == "dispatch"
        || lower == "servehttp"
        || lower == "view"
        || name.starts_with("handle_")
        || (name.starts_with("handle") && name[6..].starts_with(|c: char| c.is_ascii_uppercase()))
        || (name.starts_with("Handle") && !name.starts_with("Handler"))
        || name.ends_with("Handler")
        || lower.ends_with("_handler")
        || lower.ends_with("_view")
}

fn is_request_handler(family: Family, f: Node<'_>, src: &[u8]) -> bool {
    let name = syntax::function_name(f, src).unwrap_or_default();
    match family {
        Family::Js => {
            let params = syntax::param_names(f, src);
            if params
                .iter()
                .any(|p| REQUEST_PARAMS_JS.contains(&p.as_str()))
            {
                return true;
            }
            if is_handler_name(&name) {
                return true;
            }
            // app.get('/x', (a, b) => ...), router.use(fn), http.createServer(fn)
            if let Some(call) = f.parent().and_then(|a| a.parent()) {
                if call.kind() == "call_expression" {
                    if let Some(callee) = syntax::callee(call) {
                        let c = syntax::norm(callee, src);
                        let last = c.rsplit('.').next().unwrap_or("");
                        if c.contains('.') && ROUTE_METHODS_JS.contains(&last)
                            || last == "createServer"
                        {
                            return true;
                        }
                    }
                }
            }
            false
        }
        Family::Py => {
            if f.kind() != "function_definition" {
                return false;
            }
            let params = syntax::param_names(f, src);
            if params
                .iter()
                .any(|p| REQUEST_PARAMS_PY.contains(&p.as_str()))
            {
                return true;
            }
            // class-based views: get/post/... methods of a class
            let in_class = f
                .parent()
                .and_then(|b| b.parent())
                .is_some_and(|c| c.kind() == "class_definition")
                || f.parent()
                    .and_then(|d| d.parent())
                    .and_then(|b| b.parent())
                    .is_some_and(|c| c.kind() == "class_definition");
            if in_class && matches!(name.as_str(), "get" | "post" | "put" | "patch" | "delete") {
                return true;
            }
            // http.server's BaseHTTPRequestHandler: do_GET, do_POST, ...
            if is_handler_name(&name) || (in_class && name.starts_with("do_")) {
                return true;
            }
            if let Some(dec) = f.parent().filter(|p| p.kind() == "decorated_definition") {
                let mut c = dec.walk();
                for d in dec.named_children(&mut c) {
                    if d.kind() != "decorator" {
                        continue;
                    }
                    let t = text(d, src);
                    if t.contains("route")
                        || t.contains("api_view")
                        || [
                            ".get(",
                            ".post(",
                            ".put(",
                            ".patch(",
                            ".delete(",
                            ".websocket(",
                        ]
                        .iter()
                        .any(|m| t.contains(m))
                    {
                        return true;
                    }
                }
            }
            false
        }
        Family::Go => {
            let types = syntax::go_param_types(f, src);
            types.iter().any(|t| HANDLER_TYPES_GO.contains(&t.as_str())) || is_handler_name(&name)
        }
    }
}

fn is_lifecycle(f: Node<'_>, src: &[u8]) -> bool {
    let name = syntax::function_name(f, src).unwrap_or_default();
    if matches!(
        name.as_str(),
        "componentDidMount"
            | "componentDidUpdate"
            | "connectedCallback"
            | "mounted"
            | "created"
            | "ngOnInit"
            | "onMount"
            | "firstUpdated"
    ) {
        return true;
    }
    let Some(call) = f.parent().and_then(|a| a.parent()) else {
        return false;
    };
    if call.kind() != "call_expression" {
        return false;
    }
    syntax::callee(call).is_some_and(|c| {
        let c = syntax::norm(c, src);
        let last = c.rsplit('.').next().unwrap_or("");
        matches!(
            last,
            "useEffect" | "useLayoutEffect" | "useInsertionEffect" | "onMounted" | "onMount"
        )
    })
}

/// Names of functions that usually run once: `init`, `setup`, `main`, `start`, `install`,
/// `register`, `bootstrap`, `configure`, `listen`, `initialize`, and `setup_x`/`initX` forms.
pub fn is_setup_name(name: &str) -> bool {
    let lower = name.to_ascii_lowercase();
    const STEMS: &[&str] = &[
        "init",
        "setup",
        "set_up",
        "main",
        "start",
        "install",
        "register",
        "bootstrap",
        "configure",
        "listen",
        "initialize",
        "create_app",
        "createapp",
        "createserver",
        "run",
    ];
    STEMS.iter().any(|s| {
        lower == *s
            || lower.starts_with(&format!("{s}_"))
            || (lower.starts_with(s)
                && name[s.len().min(name.len())..].starts_with(|c: char| c.is_ascii_uppercase()))
    }) || lower.starts_with("_init")
        || lower.starts_with("_setup")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn handler_and_setup_names() {
        for n in [
            "handle",
            "handleUser",
            "handle_user",
            "userHandler",
            "user_view",
            "ServeHTTP",
            "HandleFunc2",
        ] {
            assert!(is_handler_name(n), "{n}");
        }
        for n in [
            "handler_registry_size",
            "handlesomething",
            "render",
            "get",
            "test_existing_handler",
            "TestUserHandler",
        ] {
            assert!(!is_handler_name(n), "{n}");
        }
        for n in [
            "init",
            "setupRoutes",
            "setup_logging",
            "main",
            "startServer",
            "_init_cache",
        ] {
            assert!(is_setup_name(n), "{n}");
        }
        for n in ["handle", "starter", "mainly", "runner"] {
            assert!(!is_setup_name(n), "{n}");
        }
    }
}
