//! Redaction of secrets before anything is stored or logged: header values, URL credentials,
//! and values whose name says they are secret (`token`, `key`, `password`, `secret`...).
//!
//! Every place that stores or prints user-given text (the recorded command line, target
//! specs, error messages, log lines) passes it through here, so the rules live in one place:
//!
//! - `http://user:pass@host` → `http://user:<redacted>@host` (a lone `http://token@host`
//!   loses the whole user part: tokens are often passed as the user name);
//! - `name=value` and query parameters with a secret-like name → `name=<redacted>`;
//! - `Authorization: Bearer …` (any header with a secret-like name) → `Authorization: <redacted>`;
//! - on a command line, the value after `--header`/`-H` (any header: `Name: <redacted>`) and
//!   after a secret-like flag (`--token X` → `--token <redacted>`).

use std::borrow::Cow;

/// What a redacted value is replaced with.
pub const REDACTED: &str = "<redacted>";

/// Words that make a name secret-like (matched case-insensitively anywhere in the name).
const SECRET_WORDS: &[&str] = &[
    "token",
    "secret",
    "passw",
    "pwd",
    "key",
    "auth",
    "credential",
    "cookie",
    "session",
    "signature",
    "private",
];

/// Command-line flags whose value is an HTTP header, `Name: value`.
const HEADER_FLAGS: &[&str] = &["--header", "--headers", "-H"];

/// True when a parameter, flag, header or variable name suggests its value is a secret
/// (`api_key`, `--token`, `X-Auth-Token`, `DB_PASSWORD`...).
pub fn is_secret_name(name: &str) -> bool {
    let name = name.trim_start_matches('-').to_ascii_lowercase();
    !name.is_empty() && SECRET_WORDS.iter().any(|w| name.contains(w))
}

/// `argv` with secrets replaced by [`REDACTED`]: header values, values of secret-like flags,
/// and everything [`redact_text`] finds in each argument.
pub fn redact_argv<S: AsRef<str>>(argv: &[S]) -> Vec<String> {
    let mut out = Vec::with_capacity(argv.len());
    let mut prev: Option<&str> = None;
    for arg in argv {
        let arg = arg.as_ref();
        let redacted = match prev {
            Some(p) if HEADER_FLAGS.contains(&p) => redact_header_value(arg),
            Some(p) if p.starts_with('-') && !p.contains('=') && is_secret_name(p) => {
                REDACTED.to_string()
            }
            _ => match arg.split_once('=') {
                Some((flag, value)) if HEADER_FLAGS.contains(&flag) => {
                    format!("{flag}={}", redact_header_value(value))
                }
                _ => redact_text(arg).into_owned(),
            },
        };
        out.push(redacted);
        prev = Some(arg);
    }
    out
}

/// [`redact_argv`] joined with spaces: a command line safe to store or print.
pub fn redact_command_line<S: AsRef<str>>(argv: &[S]) -> String {
    redact_argv(argv).join(" ")
}

/// `Name: value` → `Name: <redacted>` (the name kept); anything else → `<redacted>`.
fn redact_header_value(header: &str) -> String {
    match header.split_once(':') {
        Some((name, _)) if !name.trim().is_empty() => format!("{}: {REDACTED}", name.trim()),
        _ => REDACTED.to_string(),
    }
}

/// Free text (a URL, an error message, a log line) with URL credentials, secret-like
/// `name=value` pairs and secret-like `Header: value`s replaced by [`REDACTED`].
pub fn redact_text(text: &str) -> Cow<'_, str> {
    let once = redact_url_userinfo(text);
    let twice = redact_assignments(&once);
    let thrice = redact_headers(&twice);
    if thrice == text {
        Cow::Borrowed(text)
    } else {
        Cow::Owned(thrice)
    }
}

/// Characters that end a URL (or a value) inside free text.
fn ends_value(c: char) -> bool {
    c.is_whitespace() || matches!(c, '\'' | '"' | '`' | '<' | '>' | ')' | ',')
}

/// Replace the password (or a lone user part) of every `scheme://user:pass@host` in `text`.
fn redact_url_userinfo(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("://") {
        let scheme_ok = rest[..i]
            .chars()
            .next_back()
            .is_some_and(|c| c.is_ascii_alphanumeric());
        let (head, tail) = rest.split_at(i + 3);
        out.push_str(head);
        let end = tail
            .find(|c: char| ends_value(c) || c == '?' || c == '#')
            .unwrap_or(tail.len());
        let segment = &tail[..end];
        match segment
            .rfind('@')
            .filter(|&at| scheme_ok && is_userinfo(&segment[..at]))
        {
            Some(at) => {
                let userinfo = &segment[..at];
                match userinfo.split_once(':') {
                    Some((user, _)) => {
                        out.push_str(user);
                        out.push(':');
                        out.push_str(REDACTED);
                    }
                    None => out.push_str(REDACTED),
                }
                out.push_str(&segment[at..]);
            }
            None => out.push_str(segment),
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

/// Whether `before_at` (the text between `://` and the last `@`) is a user part rather than a
/// host and a path that contains `@` (`host/users/@me`). A password may contain `/`, so a `:`
/// before the first `/` that is not a port (`host:8080/...`) also means a user part.
fn is_userinfo(before_at: &str) -> bool {
    let Some(slash) = before_at.find('/') else {
        return !before_at.is_empty();
    };
    match before_at[..slash].split_once(':') {
        Some((_, after_colon)) => !after_colon.chars().all(|c| c.is_ascii_digit()),
        None => false,
    }
}

/// Replace the value of every `name=value` whose name is secret-like (query parameters,
/// `--token=...`, `API_KEY=...`).
fn redact_assignments(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(eq) = rest.find('=') {
        let name_start = rest[..eq]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.')))
            .map_or(0, |i| i + 1);
        let name = &rest[name_start..eq];
        out.push_str(&rest[..=eq]);
        let tail = &rest[eq + 1..];
        let end = tail
            .find(|c: char| ends_value(c) || matches!(c, '&' | ';' | '#'))
            .unwrap_or(tail.len());
        if is_secret_name(name) && end > 0 {
            out.push_str(REDACTED);
            rest = &tail[end..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Replace the value of every `Name: value` whose name is secret-like, up to the end of the
/// line or a closing quote.
fn redact_headers(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(colon) = rest.find(": ") {
        let name_start = rest[..colon]
            .rfind(|c: char| !(c.is_ascii_alphanumeric() || matches!(c, '_' | '-')))
            .map_or(0, |i| i + 1);
        let name = &rest[name_start..colon];
        out.push_str(&rest[..colon + 2]);
        let tail = &rest[colon + 2..];
        let end = tail
            .find(['\n', '\r', '\'', '"', '`'])
            .unwrap_or(tail.len());
        if is_secret_name(name) && !tail[..end].trim().is_empty() && tail[..end] != *REDACTED {
            out.push_str(REDACTED);
            rest = &tail[end..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_credentials_keep_the_user() {
        assert_eq!(
            redact_text("http://user:pass@host:8080/x"),
            "http://user:<redacted>@host:8080/x"
        );
        assert_eq!(
            redact_text("cannot connect to http://u:p%40ss@127.0.0.1/metrics (refused)"),
            "cannot connect to http://u:<redacted>@127.0.0.1/metrics (refused)"
        );
        assert_eq!(
            redact_text("https://ghp_abc@github.com/x"),
            "https://<redacted>@github.com/x"
        );
        // A password with a slash in it is still a password.
        assert_eq!(
            redact_text("http://u:pa/ss@host/"),
            "http://u:<redacted>@host/"
        );
    }

    #[test]
    fn urls_without_credentials_are_unchanged() {
        for s in [
            "http://127.0.0.1:9229/json/list",
            "https://registry.npmjs.org/@types/node",
            "http://host:8080/users/@me",
            "http://127.0.0.1:8080/user/{n}",
            "no url here: just text",
        ] {
            assert_eq!(redact_text(s), s);
            assert!(matches!(redact_text(s), Cow::Borrowed(_)));
        }
    }

    #[test]
    fn secret_query_parameters_and_assignments() {
        assert_eq!(
            redact_text("http://h/p?user=ann&api_key=K1&access_token=T2#top"),
            "http://h/p?user=ann&api_key=<redacted>&access_token=<redacted>#top"
        );
        assert_eq!(redact_text("--token=abc"), "--token=<redacted>");
        assert_eq!(redact_text("DB_PASSWORD=hunter2"), "DB_PASSWORD=<redacted>");
        assert_eq!(redact_text("--rps=100"), "--rps=100");
    }

    #[test]
    fn secret_headers_in_text() {
        assert_eq!(
            redact_text("sent 'Authorization: Bearer abc.def' to x"),
            "sent 'Authorization: <redacted>' to x"
        );
        assert_eq!(
            redact_text("Content-Type: text/plain"),
            "Content-Type: text/plain"
        );
    }

    #[test]
    fn command_lines() {
        let argv = [
            "leakscope",
            "run",
            "--header",
            "Authorization: Bearer s3cr3t",
            "-H",
            "X-Tenant: acme",
            "--header=Cookie: sid=42",
            "--load",
            "http://admin:pw@127.0.0.1:8080/u/{n}?key=K",
            "--",
            "node",
            "server.js",
            "--api-token",
            "T0K3N",
            "--port",
            "8080",
        ];
        let line = redact_command_line(&argv);
        assert_eq!(
            line,
            "leakscope run --header Authorization: <redacted> -H X-Tenant: <redacted> \
             --header=Cookie: <redacted> --load http://admin:<redacted>@127.0.0.1:8080/u/{n}?key=<redacted> \
             -- node server.js --api-token <redacted> --port 8080"
        );
        for secret in ["s3cr3t", "acme", "sid=42", "pw@", "=K", "T0K3N"] {
            assert!(!line.contains(secret), "{secret} in {line}");
        }
    }

    #[test]
    fn secret_names() {
        for n in [
            "token",
            "--api-key",
            "X-Auth-Token",
            "DB_PASSWORD",
            "client_secret",
            "Cookie",
        ] {
            assert!(is_secret_name(n), "{n}");
        }
        for n in ["--port", "user", "--load", "--metric", "Content-Type", ""] {
            assert!(!is_secret_name(n), "{n}");
        }
    }
}
