//! Where the database lives by default.

use std::path::PathBuf;

/// The database file name inside the data directory.
pub const DB_FILE_NAME: &str = "leakscope.db";

/// The default database path: `$XDG_DATA_HOME/leakscope/leakscope.db` when `XDG_DATA_HOME` is
/// an absolute path, else `$HOME/.local/share/leakscope/leakscope.db`; `None` when neither
/// variable is usable (the CLI then asks for `--db PATH`).
pub fn default_db_path() -> Option<PathBuf> {
    db_path_from(
        std::env::var_os("XDG_DATA_HOME").map(PathBuf::from),
        std::env::var_os("HOME").map(PathBuf::from),
    )
}

/// [`default_db_path`] with the environment passed in (testable without touching env vars).
fn db_path_from(xdg_data_home: Option<PathBuf>, home: Option<PathBuf>) -> Option<PathBuf> {
    let data = match xdg_data_home.filter(|p| p.is_absolute()) {
        Some(d) => d,
        None => home
            .filter(|p| p.is_absolute())?
            .join(".local")
            .join("share"),
    };
    Some(data.join("leakscope").join(DB_FILE_NAME))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn xdg_wins_when_absolute() {
        let p = db_path_from(Some("/x/data".into()), Some("/home/u".into()));
        assert_eq!(p, Some(PathBuf::from("/x/data/leakscope/leakscope.db")));
    }

    #[test]
    fn relative_xdg_is_ignored() {
        let p = db_path_from(Some("rel".into()), Some("/home/u".into()));
        assert_eq!(
            p,
            Some(PathBuf::from("/home/u/.local/share/leakscope/leakscope.db"))
        );
    }

    #[test]
    fn nothing_usable() {
        assert_eq!(db_path_from(None, None), None);
        assert_eq!(db_path_from(Some("".into()), Some("".into())), None);
    }
}
